/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fw.h - what the firmware tables say about the machine: the CPUs (APIC
 * IDs) and the first IOAPIC.  acpi.c reads the ACPI MADT, mptable.c the Intel
 * MP table; fw.c picks one (MADT when an RSDP is found, else MP, unless the
 * command line forces one) and keeps the result in fw_cpus, which smp.c and
 * the fault report (cpu.c) read.  Tables come from the VMM and are parsed
 * with every length and checksum checked: a bad table is skipped, not
 * trusted.  Ring 3.
 */
#ifndef FERRY_GUEST_FW_H
#define FERRY_GUEST_FW_H

#include "guest.h"

enum fw_table {
	FW_TABLE_NONE, /* nothing usable found: one CPU assumed */
	FW_TABLE_ACPI, /* ACPI MADT */
	FW_TABLE_MP, /* Intel MP table (MP spec 1.4) */
};

/* Which table to try: FW_TABLE_NONE means "auto" (ACPI first, then MP). */
struct fw_cpus {
	enum fw_table source; /* the table these came from */
	unsigned int count; /* enabled CPUs, at most GUEST_MAX_CPUS */
	unsigned int dropped; /* enabled CPUs beyond GUEST_MAX_CPUS */
	uint32_t apic_ids[GUEST_MAX_CPUS]; /* in table order; index = "cpu N" */
	uint32_t ioapic_addr; /* first IOAPIC's MMIO base, 0 if none listed */
};

extern struct fw_cpus fw_cpus;

/*
 * Fills fw_cpus from the table @want (FW_TABLE_NONE: auto).  @rsdp_hint is
 * start_info's rsdp_paddr (0: scan the BIOS areas).  Returns 0, or -ENOENT
 * when no usable table was found (fw_cpus then lists only this CPU).
 */
int fw_find_cpus(enum fw_table want, uint64_t rsdp_hint);

/* Index of @apic_id in fw_cpus ("cpu N"), -1 if absent.  Safe in ring 0. */
int fw_cpu_index(uint32_t apic_id);

const char *fw_table_name(enum fw_table t);

/* For the parsers: adds an enabled CPU, ignoring duplicates. */
void fw_cpus_add(struct fw_cpus *c, uint32_t apic_id);

/*
 * Looks for @sig (@len bytes) on 16-byte boundaries in [start, end): the way
 * both the RSDP and the MP floating pointer are found.  Returns the address
 * of the first candidate whose @check passes, or 0.
 */
uintptr_t fw_scan(uintptr_t start, uintptr_t end, const char *sig, size_t len,
		  bool (*check)(uintptr_t addr));

/* The EBDA's first KiB, where both tables may also live (0 if none). */
uintptr_t fw_ebda_base(void);

int acpi_find_cpus(uint64_t rsdp_hint, struct fw_cpus *out);
int mptable_find_cpus(struct fw_cpus *out);

#endif
