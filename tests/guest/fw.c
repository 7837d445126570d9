/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fw.c - choosing between the ACPI and MP tables, and the helpers both
 * parsers share (see fw.h).
 */
#include "apic.h"
#include "fw.h"
#include "lib.h"

#define BDA_EBDA_SEGMENT 0x40e /* BIOS data area: EBDA segment (16-bit) */

struct fw_cpus fw_cpus;

void fw_cpus_add(struct fw_cpus *c, uint32_t apic_id)
{
	for (unsigned int i = 0; i < c->count; i++) {
		if (c->apic_ids[i] == apic_id)
			return;
	}
	if (c->count == GUEST_MAX_CPUS) {
		c->dropped++;
		return;
	}
	c->apic_ids[c->count++] = apic_id;
}

int fw_cpu_index(uint32_t apic_id)
{
	for (unsigned int i = 0; i < fw_cpus.count; i++) {
		if (fw_cpus.apic_ids[i] == apic_id)
			return (int)i;
	}
	return -1;
}

const char *fw_table_name(enum fw_table t)
{
	switch (t) {
	case FW_TABLE_ACPI:
		return "acpi";
	case FW_TABLE_MP:
		return "mp";
	default:
		return "none";
	}
}

uintptr_t fw_scan(uintptr_t start, uintptr_t end, const char *sig, size_t len,
		  bool (*check)(uintptr_t addr))
{
	for (uintptr_t a = ALIGN_UP(start, 16); a + len <= end; a += 16) {
		if (!memcmp((const void *)a, sig, len) && check(a))
			return a;
	}
	return 0;
}

uintptr_t fw_ebda_base(void)
{
	uintptr_t ebda = (uintptr_t) * (const volatile uint16_t *)phys_ptr(BDA_EBDA_SEGMENT) << 4;

	/* Only believe a pointer into the top of conventional memory. */
	return ebda >= 0x80000 && ebda < 0xa0000 ? ebda : 0;
}

int fw_find_cpus(enum fw_table want, uint64_t rsdp_hint)
{
	struct fw_cpus c = { 0 };
	int rc = -ENOENT;

	if (want != FW_TABLE_MP)
		rc = acpi_find_cpus(rsdp_hint, &c);
	if (rc && want != FW_TABLE_ACPI) {
		c = (struct fw_cpus){ 0 };
		rc = mptable_find_cpus(&c);
	}
	if (rc || !c.count) {
		/* No table: this CPU is the only one we know of. */
		c = (struct fw_cpus){ .source = FW_TABLE_NONE };
		fw_cpus_add(&c, apic_id_self());
		rc = -ENOENT;
	}
	fw_cpus = c;
	return rc;
}
