/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mptable.c - CPUs and IOAPIC from the Intel MP table (see fw.h).
 *
 * MultiProcessor Specification 1.4: the floating pointer "_MP_" lives in the
 * EBDA's first KiB, the last KiB of base memory or 0xF0000-0xFFFFF (4.0); it
 * points to the "PCMP" configuration table (4.2), whose entries (4.3) have
 * fixed sizes by type.  Default configurations (no table, feature byte 1
 * set) are not supported: Ferry always writes a table.
 */
#include "fw.h"
#include "lib.h"

#define MP_FP_SIG "_MP_"
#define MP_CT_SIG "PCMP"
#define MP_BASE_MEM_LAST_KB 0x9fc00 /* last KiB of 640 KiB base memory */

#define MP_ENTRY_CPU 0 /* 20 bytes */
#define MP_ENTRY_BUS 1 /* 8 bytes */
#define MP_ENTRY_IOAPIC 2 /* 8 bytes */
#define MP_ENTRY_IOINT 3 /* 8 bytes */
#define MP_ENTRY_LINT 4 /* 8 bytes */
#define MP_CPU_ENABLED 0x01
#define MP_IOAPIC_ENABLED 0x01

struct mp_fp {
	char sig[4]; /* "_MP_" */
	uint32_t config; /* physical address of the configuration table, 0: default config */
	uint8_t length; /* in 16-byte units: 1 */
	uint8_t spec_rev; /* 1 or 4 */
	uint8_t checksum; /* structure sums to 0 */
	uint8_t features[5]; /* [0] != 0: default configuration number */
} PACKED;

struct mp_config {
	char sig[4]; /* "PCMP" */
	uint16_t base_length; /* header + base entries */
	uint8_t spec_rev;
	uint8_t checksum; /* base table sums to 0 */
	char oem_id[8];
	char product_id[12];
	uint32_t oem_table;
	uint16_t oem_table_size;
	uint16_t entry_count; /* base entries */
	uint32_t lapic_addr;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} PACKED;

struct mp_cpu {
	uint8_t type; /* MP_ENTRY_CPU */
	uint8_t apic_id;
	uint8_t apic_version;
	uint8_t flags; /* bit 0 enabled, bit 1 bootstrap processor */
	uint32_t signature;
	uint32_t features;
	uint32_t reserved[2];
} PACKED;

struct mp_ioapic {
	uint8_t type; /* MP_ENTRY_IOAPIC */
	uint8_t id;
	uint8_t version;
	uint8_t flags; /* bit 0 enabled */
	uint32_t addr; /* MMIO base */
} PACKED;

static bool mp_fp_valid(uintptr_t addr)
{
	const struct mp_fp *fp = (const void *)addr;

	return fp->length == 1 && !checksum8(fp, 16);
}

static const struct mp_fp *mp_fp_find(void)
{
	uintptr_t a = 0, ebda = fw_ebda_base();

	if (ebda)
		a = fw_scan(ebda, ebda + 1024, MP_FP_SIG, 4, mp_fp_valid);
	if (!a)
		a = fw_scan(MP_BASE_MEM_LAST_KB, MP_BASE_MEM_LAST_KB + 1024, MP_FP_SIG, 4,
			    mp_fp_valid);
	if (!a)
		a = fw_scan(0xf0000, 0x100000, MP_FP_SIG, 4, mp_fp_valid);
	return (const void *)a;
}

/* Size of the base entry of @type, 0 for types this spec does not define. */
static size_t mp_entry_size(uint8_t type)
{
	switch (type) {
	case MP_ENTRY_CPU:
		return sizeof(struct mp_cpu);
	case MP_ENTRY_BUS:
	case MP_ENTRY_IOAPIC:
	case MP_ENTRY_IOINT:
	case MP_ENTRY_LINT:
		return 8;
	default:
		return 0;
	}
}

static void mp_entry(const uint8_t *p, struct fw_cpus *out)
{
	const struct mp_cpu *cpu = (const void *)p;
	const struct mp_ioapic *io = (const void *)p;

	if (*p == MP_ENTRY_CPU && (cpu->flags & MP_CPU_ENABLED))
		fw_cpus_add(out, cpu->apic_id);
	else if (*p == MP_ENTRY_IOAPIC && (io->flags & MP_IOAPIC_ENABLED) && !out->ioapic_addr)
		out->ioapic_addr = io->addr;
}

int mptable_find_cpus(struct fw_cpus *out)
{
	const struct mp_fp *fp = mp_fp_find();
	const struct mp_config *ct;
	const uint8_t *p, *end;

	if (!fp || !fp->config)
		return -ENOENT;
	ct = (const void *)(uintptr_t)fp->config;
	if (memcmp(ct->sig, MP_CT_SIG, 4) || ct->base_length < sizeof(*ct) ||
	    checksum8(ct, ct->base_length))
		return -ENOENT;
	p = (const uint8_t *)(ct + 1);
	end = (const uint8_t *)ct + ct->base_length;
	for (unsigned int i = 0; i < ct->entry_count && p < end; i++) {
		size_t size = mp_entry_size(*p);

		/* An unknown type has an unknown size: stop rather than guess. */
		if (!size || size > (size_t)(end - p))
			break;
		mp_entry(p, out);
		p += size;
	}
	out->source = FW_TABLE_MP;
	return out->count ? 0 : -ENOENT;
}
