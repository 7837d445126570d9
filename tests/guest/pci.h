/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pci.h - PCI configuration mechanism #1 (ports 0xCF8/0xCFC) on bus 0:
 * enumeration, capability walk and BAR decoding, the base a virtio-pci
 * driver builds on.  BARs are assigned by the VMM (Ferry: 32-bit memory
 * BARs from 0xC0000000) and only read here; the identity map makes them
 * reachable from ring 3, where this runs (port I/O through IOPL=3).
 */
#ifndef FERRY_GUEST_PCI_H
#define FERRY_GUEST_PCI_H

#include "guest.h"

#define PCI_MAX_DEVS 64

#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_CLASS_REV 0x08 /* class << 8 | revision */
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SUBSYS_VENDOR 0x2c
#define PCI_SUBSYS_ID 0x2e
#define PCI_CAP_PTR 0x34
#define PCI_INTERRUPT_LINE 0x3c

#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_STATUS_CAP_LIST 0x10

#define PCI_CAP_ID_MSIX 0x11
#define PCI_CAP_ID_VNDR 0x09 /* virtio-pci uses these (virtio 1.2, 4.1.4) */

/* One function found on the bus. */
struct pci_dev {
	uint8_t bus, dev, fn; /* address */
	uint16_t vendor, device; /* IDs */
	uint32_t class_rev; /* class code << 8 | revision */
	uint8_t header_type; /* without the multi-function bit */
};

/* One decoded base address register. */
struct pci_bar {
	uint64_t addr; /* bus address (= guest physical) */
	uint64_t size; /* bytes, 0 if not probed or unimplemented */
	bool io; /* I/O space rather than memory */
	bool is64; /* 64-bit memory BAR: it used the next BAR too */
	bool prefetch; /* prefetchable memory */
};

uint32_t pci_read32(const struct pci_dev *d, uint8_t off);
uint16_t pci_read16(const struct pci_dev *d, uint8_t off);
uint8_t pci_read8(const struct pci_dev *d, uint8_t off);
void pci_write32(const struct pci_dev *d, uint8_t off, uint32_t v);
void pci_write16(const struct pci_dev *d, uint8_t off, uint16_t v);

/* Fills @out with up to @max functions of @bus; returns how many. */
unsigned int pci_enumerate(uint8_t bus, struct pci_dev *out, unsigned int max);

/*
 * Offset of the next capability with @id after offset @after (0: from the
 * start), or 0 if none.  The walk is bounded, so a looping list ends.
 */
uint8_t pci_find_cap(const struct pci_dev *d, uint8_t id, uint8_t after);

/*
 * Decodes BAR @n (0-5).  With @probe, also sizes it (writes all-ones with
 * decoding off, then restores it).  Returns 0, or -EINVAL for a bad @n or a
 * 64-bit BAR in slot 5, -ENOENT for a type-1 header beyond BAR 1.
 */
int pci_read_bar(const struct pci_dev *d, unsigned int n, bool probe, struct pci_bar *out);

/* A function's MSI-X: where its capability and table are. */
struct pci_msix {
	uint8_t cap; /* config offset, 0: none */
	uint16_t size; /* table entries */
	uintptr_t table; /* the table's (identity-mapped) address */
};

/*
 * The address of [@off, @off + @len) in memory BAR @bar (probed), or 0 when
 * it is not a memory BAR, not assigned, too short or above the identity map.
 */
uintptr_t pci_bar_range(const struct pci_dev *d, uint8_t bar, uint32_t off, uint32_t len);

/* Find @d's MSI-X: 0, -ENODEV (none) or -EINVAL (table outside its BAR). */
int pci_msix_find(const struct pci_dev *d, struct pci_msix *m);

/*
 * Point table entry @entry at @vector on the CPU with @apic_id (fixed, edge),
 * unmask it and enable MSI-X; the first enable masks every other entry.
 */
int pci_msix_enable(const struct pci_dev *d, const struct pci_msix *m, uint16_t entry,
		    uint32_t apic_id, uint8_t vector);
/* Mask every entry and turn MSI-X off. */
void pci_msix_disable(const struct pci_dev *d, const struct pci_msix *m);

#endif
