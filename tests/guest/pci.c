/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pci.c - PCI configuration space through mechanism #1 (see pci.h).  Each
 * access costs two port exits (address, then data), so enumeration reads as
 * little as it can: one dword per absent slot.
 */
#include "lib.h"
#include "pci.h"

#define IDENTITY_MAP_END 0x100000000ULL /* boot.S maps 0-4 GiB */

/* MSI-X capability (PCI 3.0, 6.8.2) and table entry layout. */
#define MSIX_CTRL 2 /* le16 Message Control */
#define MSIX_CTRL_SIZE_MASK 0x07ff /* table size - 1 */
#define MSIX_CTRL_FMASK 0x4000 /* function mask */
#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_TABLE 4 /* le32: offset | BIR */
#define MSIX_ENTRY_SIZE 16
#define MSIX_ENTRY_ADDR_LO 0
#define MSIX_ENTRY_ADDR_HI 4
#define MSIX_ENTRY_DATA 8
#define MSIX_ENTRY_CTRL 12
#define MSIX_ENTRY_MASKED 1
#define MSI_ADDR_BASE 0xfee00000u /* SDM vol. 3, 11.11.1: destination in bits 19:12 */

#define PCI_CONF_ADDR 0xcf8
#define PCI_CONF_DATA 0xcfc
#define PCI_CONF_ENABLE 0x80000000u
#define PCI_HEADER_MF 0x80 /* multi-function device */
#define PCI_BAR_IO 0x1
#define PCI_BAR_TYPE_MASK 0x6
#define PCI_BAR_TYPE_64 0x4
#define PCI_BAR_PREFETCH 0x8
#define PCI_CAP_WALK_MAX 48 /* (256 - 64) / 4: more entries means a loop */

static void pci_select(const struct pci_dev *d, uint8_t off)
{
	outl(PCI_CONF_ADDR, PCI_CONF_ENABLE | (uint32_t)d->bus << 16 | (uint32_t)d->dev << 11 |
				    (uint32_t)d->fn << 8 | (off & 0xfc));
}

uint32_t pci_read32(const struct pci_dev *d, uint8_t off)
{
	pci_select(d, off);
	return inl(PCI_CONF_DATA);
}

uint16_t pci_read16(const struct pci_dev *d, uint8_t off)
{
	pci_select(d, off);
	return inw(PCI_CONF_DATA + (off & 2));
}

uint8_t pci_read8(const struct pci_dev *d, uint8_t off)
{
	pci_select(d, off);
	return inb(PCI_CONF_DATA + (off & 3));
}

void pci_write32(const struct pci_dev *d, uint8_t off, uint32_t v)
{
	pci_select(d, off);
	outl(PCI_CONF_DATA, v);
}

void pci_write16(const struct pci_dev *d, uint8_t off, uint16_t v)
{
	pci_select(d, off);
	outw(PCI_CONF_DATA + (off & 2), v);
}

/* Reads the IDs of @d; false if nothing answers there. */
static bool pci_probe_fn(struct pci_dev *d)
{
	uint32_t id = pci_read32(d, PCI_VENDOR_ID);

	if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
		return false;
	d->vendor = (uint16_t)id;
	d->device = (uint16_t)(id >> 16);
	d->class_rev = pci_read32(d, PCI_CLASS_REV);
	d->header_type = pci_read8(d, PCI_HEADER_TYPE);
	return true;
}

unsigned int pci_enumerate(uint8_t bus, struct pci_dev *out, unsigned int max)
{
	unsigned int n = 0;

	for (uint8_t dev = 0; dev < 32 && n < max; dev++) {
		uint8_t nfn = 1;

		for (uint8_t fn = 0; fn < nfn && n < max; fn++) {
			struct pci_dev d = { .bus = bus, .dev = dev, .fn = fn };

			if (!pci_probe_fn(&d))
				continue;
			if (fn == 0 && (d.header_type & PCI_HEADER_MF))
				nfn = 8;
			d.header_type &= (uint8_t)~PCI_HEADER_MF;
			out[n++] = d;
		}
	}
	return n;
}

uint8_t pci_find_cap(const struct pci_dev *d, uint8_t id, uint8_t after)
{
	uint8_t off;

	if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	off = after ? pci_read8(d, after + 1) : pci_read8(d, PCI_CAP_PTR);
	for (unsigned int i = 0; i < PCI_CAP_WALK_MAX && off >= 0x40; i++) {
		off &= 0xfc; /* the low two bits are reserved */
		if (pci_read8(d, off) == id)
			return off;
		off = pci_read8(d, off + 1);
	}
	return 0;
}

/* Writes all-ones to the BAR dword at @off and returns what sticks. */
static uint32_t pci_bar_mask(const struct pci_dev *d, uint8_t off)
{
	uint32_t old = pci_read32(d, off), mask;

	pci_write32(d, off, 0xffffffff);
	mask = pci_read32(d, off);
	pci_write32(d, off, old);
	return mask;
}

static void pci_bar_size(const struct pci_dev *d, uint8_t off, struct pci_bar *b)
{
	uint16_t cmd = pci_read16(d, PCI_COMMAND);
	uint64_t mask;

	/* Turn decoding off so the probe value never claims an address. */
	pci_write16(d, PCI_COMMAND, cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	mask = pci_bar_mask(d, off);
	if (!mask) {
		/* Nothing sticks: the BAR is not implemented. */
		pci_write16(d, PCI_COMMAND, cmd);
		return;
	}
	if (b->is64)
		mask |= (uint64_t)pci_bar_mask(d, off + 4) << 32;
	else if (!b->io)
		mask |= 0xffffffff00000000ULL;
	else
		mask |= 0xffffffffffff0000ULL; /* I/O BARs decode 16 bits */
	pci_write16(d, PCI_COMMAND, cmd);
	mask &= b->io ? ~0x3ULL : ~0xfULL;
	b->size = ~mask + 1;
}

int pci_read_bar(const struct pci_dev *d, unsigned int n, bool probe, struct pci_bar *out)
{
	uint8_t off = (uint8_t)(PCI_BAR0 + 4 * n);
	uint32_t lo;

	if (n > 5)
		return -EINVAL;
	if (d->header_type == 1 && n > 1)
		return -ENOENT;
	*out = (struct pci_bar){ 0 };
	lo = pci_read32(d, off);
	out->io = lo & PCI_BAR_IO;
	if (out->io) {
		out->addr = lo & ~0x3u;
	} else {
		out->is64 = (lo & PCI_BAR_TYPE_MASK) == PCI_BAR_TYPE_64;
		out->prefetch = lo & PCI_BAR_PREFETCH;
		out->addr = lo & ~0xfu;
		if (out->is64 && n == 5)
			return -EINVAL;
		if (out->is64)
			out->addr |= (uint64_t)pci_read32(d, off + 4) << 32;
	}
	if (probe)
		pci_bar_size(d, off, out);
	return 0;
}

uintptr_t pci_bar_range(const struct pci_dev *d, uint8_t bar, uint32_t off, uint32_t len)
{
	struct pci_bar b;

	if (bar > 5 || pci_read_bar(d, bar, true, &b) || b.io || !b.addr)
		return 0;
	if ((uint64_t)off + len > b.size || b.addr + b.size > IDENTITY_MAP_END)
		return 0;
	return (uintptr_t)(b.addr + off);
}

int pci_msix_find(const struct pci_dev *d, struct pci_msix *m)
{
	uint8_t cap = pci_find_cap(d, PCI_CAP_ID_MSIX, 0);
	uint32_t table;
	uint16_t n;

	*m = (struct pci_msix){ 0 };
	if (!cap)
		return -ENODEV;
	n = (uint16_t)((pci_read16(d, cap + MSIX_CTRL) & MSIX_CTRL_SIZE_MASK) + 1);
	table = pci_read32(d, cap + MSIX_TABLE);
	m->table = pci_bar_range(d, table & 7, table & ~7u, (uint32_t)n * MSIX_ENTRY_SIZE);
	if (!m->table)
		return -EINVAL;
	m->cap = cap;
	m->size = n;
	return 0;
}

static uintptr_t pci_msix_entry(const struct pci_msix *m, uint16_t entry)
{
	return m->table + (uintptr_t)entry * MSIX_ENTRY_SIZE;
}

int pci_msix_enable(const struct pci_dev *d, const struct pci_msix *m, uint16_t entry,
		    uint32_t apic_id, uint8_t vector)
{
	uintptr_t e = pci_msix_entry(m, entry);
	uint16_t ctrl;

	if (!m->cap)
		return -ENODEV;
	if (entry >= m->size || apic_id > 0xff)
		return -EINVAL;
	ctrl = pci_read16(d, m->cap + MSIX_CTRL);
	/* Enabled with the function masked while the entry is written (PCI 3.0, 6.8.2.3). */
	pci_write16(d, m->cap + MSIX_CTRL, ctrl | MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK);
	for (uint16_t i = 0; i < m->size; i++)
		if (i != entry && !(ctrl & MSIX_CTRL_ENABLE))
			mmio_write32(pci_msix_entry(m, i) + MSIX_ENTRY_CTRL, MSIX_ENTRY_MASKED);
	mmio_write32(e + MSIX_ENTRY_ADDR_LO, MSI_ADDR_BASE | apic_id << 12);
	mmio_write32(e + MSIX_ENTRY_ADDR_HI, 0);
	mmio_write32(e + MSIX_ENTRY_DATA, vector); /* fixed delivery, edge */
	mmio_write32(e + MSIX_ENTRY_CTRL, 0);
	pci_write16(d, m->cap + MSIX_CTRL,
		    (uint16_t)((ctrl | MSIX_CTRL_ENABLE) & ~MSIX_CTRL_FMASK));
	return 0;
}

void pci_msix_disable(const struct pci_dev *d, const struct pci_msix *m)
{
	uint16_t ctrl;

	if (!m->cap)
		return;
	for (uint16_t i = 0; i < m->size; i++)
		mmio_write32(pci_msix_entry(m, i) + MSIX_ENTRY_CTRL, MSIX_ENTRY_MASKED);
	ctrl = pci_read16(d, m->cap + MSIX_CTRL);
	pci_write16(d, m->cap + MSIX_CTRL,
		    (uint16_t)(ctrl & ~(MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK)));
}
