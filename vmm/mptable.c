/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mptable.c - builds MP spec 1.4 tables (see mptable.h): a 16-byte floating
 * pointer followed by the configuration table with processor, bus, IOAPIC,
 * I/O interrupt and local interrupt entries.  ISA IRQs map one to one onto
 * IOAPIC pins, matching KVM's default GSI routing; LINT0 is ExtINT (the
 * 8259 PIC) and LINT1 NMI on every CPU, as real firmware sets them.
 */
#include <errno.h>
#include <string.h>

#include "util/compiler.h"
#include "vmm/layout.h"
#include "vmm/mptable.h"

#define MP_APIC_VERSION 0x14
#define MP_IOAPIC_VERSION 0x11
#define MP_BUS_ISA 0
#define MP_BUS_PCI 1

struct mpf_intel {
	char signature[4]; /* "_MP_" */
	uint32_t physptr; /* configuration table address */
	uint8_t length; /* in 16-byte units: 1 */
	uint8_t specification; /* 4 = MP spec 1.4 */
	uint8_t checksum;
	uint8_t feature[5]; /* all 0: a configuration table is present */
} FERRY_PACKED;

struct mpc_table {
	char signature[4]; /* "PCMP" */
	uint16_t length; /* base table length incl. entries */
	uint8_t spec;
	uint8_t checksum;
	char oem[8];
	char product[12];
	uint32_t oemptr;
	uint16_t oemsize;
	uint16_t oemcount; /* number of entries */
	uint32_t lapic; /* local APIC address */
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} FERRY_PACKED;

struct mpc_cpu {
	uint8_t type; /* 0 */
	uint8_t apicid;
	uint8_t apicver;
	uint8_t cpuflag; /* 1: enabled, 2: boot processor */
	uint32_t cpufeature; /* CPUID.1 EAX (stepping, model, family) */
	uint32_t featureflag; /* CPUID.1 EDX */
	uint32_t reserved[2];
} FERRY_PACKED;

struct mpc_bus {
	uint8_t type; /* 1 */
	uint8_t busid;
	char bustype[6];
} FERRY_PACKED;

struct mpc_ioapic {
	uint8_t type; /* 2 */
	uint8_t apicid;
	uint8_t apicver;
	uint8_t flags; /* 1: enabled */
	uint32_t apicaddr;
} FERRY_PACKED;

struct mpc_intsrc {
	uint8_t type; /* 3: I/O interrupt, 4: local interrupt */
	uint8_t irqtype; /* 0 INT, 1 NMI, 3 ExtINT */
	uint16_t irqflag; /* polarity and trigger; 0 = bus default */
	uint8_t srcbus;
	uint8_t srcbusirq;
	uint8_t dstapic;
	uint8_t dstirq;
} FERRY_PACKED;

_Static_assert(sizeof(struct mpf_intel) == 16, "MP floating pointer is 16 bytes");
_Static_assert(sizeof(struct mpc_table) == 44, "MP config header is 44 bytes");
_Static_assert(sizeof(struct mpc_cpu) == 20, "MP processor entry is 20 bytes");
_Static_assert(sizeof(struct mpc_intsrc) == 8, "MP interrupt entry is 8 bytes");

/* Level-triggered, active-low: how PCI INTx lines behave. */
#define MP_IRQ_PCI_FLAGS 0x000f

static uint8_t mp_checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)-sum;
}

/* A cursor that appends entries and counts them. */
struct mp_writer {
	uint8_t *p;
	size_t used;
	size_t cap;
	uint16_t count;
};

static int mp_put(struct mp_writer *w, const void *e, size_t len)
{
	if (len > w->cap - w->used)
		return -ENOSPC;
	memcpy(w->p + w->used, e, len);
	w->used += len;
	w->count++;
	return 0;
}

static int mp_put_cpus(struct mp_writer *w, const struct mptable_params *p)
{
	int ret = 0;

	for (unsigned int i = 0; i < p->nr_cpus && !ret; i++) {
		struct mpc_cpu c = {
			.type = 0,
			.apicid = (uint8_t)i,
			.apicver = MP_APIC_VERSION,
			.cpuflag = (uint8_t)(1 | (i == 0 ? 2 : 0)),
			.cpufeature = p->cpu_signature,
			.featureflag = p->cpu_features,
		};
		ret = mp_put(w, &c, sizeof(c));
	}
	return ret;
}

static int mp_put_irq(struct mp_writer *w, uint8_t type, uint8_t irqtype, uint16_t flags,
		      uint8_t bus, uint8_t busirq, uint8_t dst, uint8_t dstirq)
{
	struct mpc_intsrc e = { type, irqtype, flags, bus, busirq, dst, dstirq };

	return mp_put(w, &e, sizeof(e));
}

static int mp_put_buses_ioapic(struct mp_writer *w, uint8_t ioapic_id)
{
	struct mpc_bus isa = { 1, MP_BUS_ISA, { 'I', 'S', 'A', ' ', ' ', ' ' } };
	struct mpc_bus pci = { 1, MP_BUS_PCI, { 'P', 'C', 'I', ' ', ' ', ' ' } };
	struct mpc_ioapic io = { 2, ioapic_id, MP_IOAPIC_VERSION, 1, (uint32_t)LAYOUT_IOAPIC };
	int ret;

	ret = mp_put(w, &isa, sizeof(isa));
	if (!ret)
		ret = mp_put(w, &pci, sizeof(pci));
	if (!ret)
		ret = mp_put(w, &io, sizeof(io));
	return ret;
}

static int mp_put_irqs(struct mp_writer *w, const struct mptable_params *p, uint8_t ioapic_id)
{
	int ret = 0;

	/* ISA IRQs 0-15 (but the cascade, 2) on the IOAPIC pin of the same number. */
	for (uint8_t irq = 0; irq < 16 && !ret; irq++)
		if (irq != 2)
			ret = mp_put_irq(w, 3, 0, 0, MP_BUS_ISA, irq, ioapic_id, irq);
	/* PCI INTA of slot n: source IRQ is (slot << 2) | pin (A = 0). */
	for (uint8_t slot = 0; slot < 32 && !ret; slot++)
		if (p->pci_irq_slots & (1u << slot))
			ret = mp_put_irq(w, 3, 0, MP_IRQ_PCI_FLAGS, MP_BUS_PCI,
					 (uint8_t)(slot << 2), ioapic_id, (uint8_t)(16 + slot % 8));
	if (!ret)
		ret = mp_put_irq(w, 4, 3, 0, MP_BUS_ISA, 0, 0xff, 0); /* LINT0: ExtINT */
	if (!ret)
		ret = mp_put_irq(w, 4, 1, 0, MP_BUS_ISA, 0, 0xff, 1); /* LINT1: NMI */
	return ret;
}

int mptable_build(uint8_t *buf, size_t len, uint64_t gpa, const struct mptable_params *p)
{
	struct mpf_intel *mpf = (struct mpf_intel *)buf;
	struct mpc_table hdr = { .signature = { 'P', 'C', 'M', 'P' }, .spec = 4 };
	struct mp_writer w;
	uint8_t ioapic_id;
	int ret;

	if (!p->nr_cpus || p->nr_cpus > MPTABLE_MAX_CPUS)
		return -EINVAL;
	if (len < sizeof(*mpf) + sizeof(hdr))
		return -ENOSPC;
	ioapic_id = (uint8_t)p->nr_cpus; /* the first APIC ID no CPU uses */
	w = (struct mp_writer){ .p = buf + sizeof(*mpf) + sizeof(hdr),
				.cap = len - sizeof(*mpf) - sizeof(hdr) };
	ret = mp_put_cpus(&w, p);
	if (!ret)
		ret = mp_put_buses_ioapic(&w, ioapic_id);
	if (!ret)
		ret = mp_put_irqs(&w, p, ioapic_id);
	if (ret)
		return ret;
	memcpy(hdr.oem, "FERRY   ", 8);
	memcpy(hdr.product, "FERRY VMM   ", 12);
	hdr.length = (uint16_t)(sizeof(hdr) + w.used);
	hdr.oemcount = w.count;
	hdr.lapic = (uint32_t)LAYOUT_LAPIC;
	memcpy(buf + sizeof(*mpf), &hdr, sizeof(hdr));
	buf[sizeof(*mpf) + offsetof(struct mpc_table, checksum)] =
		mp_checksum(buf + sizeof(*mpf), hdr.length);
	memset(mpf, 0, sizeof(*mpf));
	memcpy(mpf->signature, "_MP_", 4);
	mpf->physptr = (uint32_t)(gpa + sizeof(*mpf));
	mpf->length = 1;
	mpf->specification = 4;
	mpf->checksum = mp_checksum(buf, sizeof(*mpf));
	return (int)(sizeof(*mpf) + hdr.length);
}
