/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * acpi.c - CPUs and IOAPIC from the ACPI MADT (see fw.h).
 *
 * RSDP from start_info or a scan of the EBDA and 0xE0000-0xFFFFF (ACPI 6.5,
 * 5.2.5.1), then the XSDT (or RSDT for revision 0), then the "APIC" table
 * (5.2.12).  The tables come from the VMM: every length is checked against
 * its container and every checksum verified before anything is read.
 */
#include "fw.h"
#include "lib.h"

#define RSDP_SIG "RSD PTR "
#define RSDP_V1_LEN 20
#define ACPI_ADDR_LIMIT 0x100000000ULL /* only the identity-mapped 4 GiB is readable */
#define ACPI_TABLE_MAX (1u << 20) /* no sane MADT/XSDT is larger */

#define MADT_LAPIC 0 /* 5.2.12.2 Processor Local APIC */
#define MADT_IOAPIC 1 /* 5.2.12.3 I/O APIC */
#define MADT_X2APIC 9 /* 5.2.12.12 Processor Local x2APIC */
#define MADT_CPU_ENABLED 1 /* flags bit 0 */

struct acpi_rsdp {
	char sig[8]; /* "RSD PTR " */
	uint8_t checksum; /* over the first 20 bytes */
	char oem_id[6];
	uint8_t revision; /* 0: ACPI 1.0 (RSDT only); 2: XSDT fields valid */
	uint32_t rsdt; /* physical address of the RSDT */
	uint32_t length; /* revision 2: length of this structure */
	uint64_t xsdt; /* revision 2: physical address of the XSDT */
	uint8_t xchecksum; /* revision 2: over the whole structure */
	uint8_t reserved[3];
} PACKED;

struct acpi_header {
	char sig[4]; /* table signature, e.g. "APIC" */
	uint32_t length; /* whole table, header included */
	uint8_t revision;
	uint8_t checksum; /* whole table sums to 0 */
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} PACKED;

struct madt {
	struct acpi_header hdr; /* "APIC" */
	uint32_t lapic_addr; /* local APIC MMIO base */
	uint32_t flags; /* bit 0: dual 8259s present */
	uint8_t entries[]; /* interrupt controller structures */
} PACKED;

struct madt_entry {
	uint8_t type; /* MADT_* */
	uint8_t length; /* whole entry */
} PACKED;

struct madt_lapic {
	struct madt_entry h;
	uint8_t acpi_id; /* processor UID */
	uint8_t apic_id;
	uint32_t flags; /* MADT_CPU_ENABLED */
} PACKED;

struct madt_ioapic {
	struct madt_entry h;
	uint8_t id;
	uint8_t reserved;
	uint32_t addr; /* MMIO base */
	uint32_t gsi_base;
} PACKED;

struct madt_x2apic {
	struct madt_entry h;
	uint16_t reserved;
	uint32_t x2apic_id;
	uint32_t flags; /* MADT_CPU_ENABLED */
	uint32_t acpi_uid;
} PACKED;

static bool rsdp_valid(uintptr_t addr)
{
	const struct acpi_rsdp *r = (const void *)addr;

	if (memcmp(r->sig, RSDP_SIG, 8) || checksum8(r, RSDP_V1_LEN))
		return false;
	if (r->revision < 2)
		return true;
	return r->length >= sizeof(*r) && r->length <= PAGE_SIZE && !checksum8(r, r->length);
}

static const struct acpi_rsdp *rsdp_find(uint64_t hint)
{
	uintptr_t a = 0, ebda = fw_ebda_base();

	if (hint && hint < ACPI_ADDR_LIMIT && rsdp_valid((uintptr_t)hint))
		return (const void *)(uintptr_t)hint;
	if (ebda)
		a = fw_scan(ebda, ebda + 1024, RSDP_SIG, 8, rsdp_valid);
	if (!a)
		a = fw_scan(0xe0000, 0x100000, RSDP_SIG, 8, rsdp_valid);
	return (const void *)a;
}

/* A table at @pa with a plausible length and a valid checksum, or NULL. */
static const struct acpi_header *acpi_table(uint64_t pa)
{
	const struct acpi_header *h = (const void *)(uintptr_t)pa;

	if (!pa || pa + sizeof(*h) > ACPI_ADDR_LIMIT)
		return NULL;
	if (h->length < sizeof(*h) || h->length > ACPI_TABLE_MAX ||
	    pa + h->length > ACPI_ADDR_LIMIT || checksum8(h, h->length))
		return NULL;
	return h;
}

/* Finds @sig through the XSDT (8-byte entries) or the RSDT (4-byte ones). */
static const struct acpi_header *acpi_find_table(const struct acpi_rsdp *rsdp, const char *sig)
{
	bool x = rsdp->revision >= 2 && rsdp->xsdt;
	const struct acpi_header *root = acpi_table(x ? rsdp->xsdt : rsdp->rsdt);
	size_t esize = x ? 8 : 4, n;

	if (!root)
		return NULL;
	n = (root->length - sizeof(*root)) / esize;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *e = (const uint8_t *)(root + 1) + i * esize;
		uint64_t pa = 0;
		const struct acpi_header *t;

		memcpy(&pa, e, esize);
		t = acpi_table(pa);
		if (t && !memcmp(t->sig, sig, 4))
			return t;
	}
	return NULL;
}

static void madt_entry(const struct madt_entry *e, struct fw_cpus *out)
{
	const struct madt_lapic *l = (const void *)e;
	const struct madt_x2apic *x = (const void *)e;
	const struct madt_ioapic *io = (const void *)e;

	if (e->type == MADT_LAPIC && e->length >= sizeof(*l)) {
		if (l->flags & MADT_CPU_ENABLED)
			fw_cpus_add(out, l->apic_id);
	} else if (e->type == MADT_X2APIC && e->length >= sizeof(*x)) {
		if (x->flags & MADT_CPU_ENABLED)
			fw_cpus_add(out, x->x2apic_id);
	} else if (e->type == MADT_IOAPIC && e->length >= sizeof(*io) && !out->ioapic_addr) {
		out->ioapic_addr = io->addr;
	}
}

int acpi_find_cpus(uint64_t rsdp_hint, struct fw_cpus *out)
{
	const struct acpi_rsdp *rsdp = rsdp_find(rsdp_hint);
	const struct madt *madt;
	const uint8_t *p, *end;

	if (!rsdp)
		return -ENOENT;
	madt = (const void *)acpi_find_table(rsdp, "APIC");
	if (!madt || madt->hdr.length < sizeof(*madt))
		return -ENOENT;
	p = madt->entries;
	end = (const uint8_t *)madt + madt->hdr.length;
	while (end - p >= (ptrdiff_t)sizeof(struct madt_entry)) {
		const struct madt_entry *e = (const void *)p;

		/* A zero length would loop forever; a long one would leave the table. */
		if (e->length < sizeof(*e) || e->length > end - p)
			break;
		madt_entry(e, out);
		p += e->length;
	}
	out->source = FW_TABLE_ACPI;
	return out->count ? 0 : -ENOENT;
}
