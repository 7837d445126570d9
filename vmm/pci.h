/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pci.h - a PCI host bridge with configuration mechanism #1 (ports 0xcf8 and
 * 0xcfc) and bus 0, on which devices register with one embedded header.
 *
 * The bus owns the standard config header: it implements BAR sizing, moves a
 * device's BARs when the guest reprograms them (calling the device's bar_map
 * and bar_unmap ops), and applies writes through a per-byte write mask so a
 * guest can change only what a real device lets it change.  Devices see
 * config writes to their capabilities after the mask is applied.  Like
 * firmware, the bus assigns BAR addresses at registration and turns decoding
 * on, so guests without a PCI allocator (Ferry's test guest) just read them.
 */
#ifndef FERRY_VMM_PCI_H
#define FERRY_VMM_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/pci_regs.h>

#include "util/lock.h"

/*
 * Config header offsets and bits (PCI Local Bus 3.0, section 6.1), the config
 * space size and the BAR count are the kernel's UAPI names (pci_regs.h).
 */
#define PCI_MAX_SLOTS 32
/* Where the bus lays out a device's capabilities: right after the header. */
#define PCI_CAP_START PCI_STD_HEADER_SIZEOF

struct pci_dev;

struct pci_dev_ops {
	/* The BAR now decodes at @addr: claim it (e.g. iotrap_register). */
	int (*bar_map)(struct pci_dev *dev, unsigned int bar, uint64_t addr);
	/* The BAR stops decoding at @addr. */
	void (*bar_unmap)(struct pci_dev *dev, unsigned int bar, uint64_t addr);
	/* After a masked write landed at @off (the command register or >= PCI_CAP_START). */
	void (*cfg_written)(struct pci_dev *dev, uint32_t off, uint32_t len);
	/* Before a read at @off (>= PCI_CAP_START): refresh cfg[]. Optional. */
	void (*cfg_read)(struct pci_dev *dev, uint32_t off, uint32_t len);
};

struct pci_bar {
	uint64_t size; /* 0: BAR unused; else a power of two */
	bool io; /* port I/O rather than memory */
	bool mem64; /* 64-bit memory BAR: the next BAR register is its upper half */
	uint64_t addr; /* address the BAR register holds */
	bool mapped; /* currently claimed through bar_map */
};

/* The header a PCI device embeds; find the device with container_of(). */
struct pci_dev {
	uint8_t cfg[PCI_CFG_SPACE_SIZE]; /* config space as the guest reads it */
	uint8_t wmask[PCI_CFG_SPACE_SIZE]; /* bits the guest may write (BARs aside) */
	struct pci_bar bars[PCI_STD_NUM_BARS];
	const struct pci_dev_ops *ops;
	const char *name; /* for messages */
	uint8_t slot; /* device number on bus 0 */
	unsigned int cap_end; /* next free config offset for a capability (256: full) */
	uint8_t *cap_prev_next; /* where to link the next capability */
};

struct iotrap_bus;

/* [@off, @off + @len) and [@lo, @lo + @n) share a byte (config or BAR offsets). */
static inline bool pci_overlaps(uint64_t off, uint64_t len, uint64_t lo, uint64_t n)
{
	return off < lo + n && lo < off + len;
}

/* The guest wrote the chipset's reset control register (0xcf9). */
typedef void (*pci_reset_fn)(void *opaque);

struct pci_bus {
	struct mutex lock; /* config accesses and BAR moves */
	uint32_t cfg_addr GUARDED; /* the 0xcf8 latch */
	struct pci_dev *slots[PCI_MAX_SLOTS] GUARDED;
	uint64_t mmio_next GUARDED; /* next free BAR address */
	uint64_t mmio_end;
	uint32_t io_next GUARDED;
	struct pci_dev host_bridge;
	struct iotrap_bus *pio;
	pci_reset_fn reset;
	void *reset_opaque;
};

int pci_bus_init(struct pci_bus *bus, struct iotrap_bus *pio, pci_reset_fn reset, void *opaque);
void pci_bus_fini(struct pci_bus *bus);

/* Fill the identity of a device's header before pci_dev_register(). */
void pci_dev_init(struct pci_dev *dev, const char *name, uint16_t vendor, uint16_t device,
		  uint32_t class_code, uint16_t subsys_vendor, uint16_t subsys_id);
/* Declare BAR @bar of @size bytes (a power of two >= 16); @flags PCI_BAR_*. */
int pci_dev_add_bar(struct pci_dev *dev, unsigned int bar, uint64_t size, uint32_t flags);
/*
 * Append a capability (its first byte is the ID; the next-pointer byte is
 * managed here) with a write mask for its bytes.  Returns its config offset
 * or -ENOSPC.
 */
int pci_dev_add_cap(struct pci_dev *dev, const void *cap, const void *wmask, uint8_t len);

/* Put @dev in a free slot, assign its BARs and enable decoding. */
int pci_dev_register(struct pci_bus *bus, struct pci_dev *dev);
void pci_dev_unregister(struct pci_bus *bus, struct pci_dev *dev);

/* Bit n set: the device in slot n uses INTx (for the MP table). */
uint32_t pci_bus_intx_slots(struct pci_bus *bus);

/* Config-space handler, exposed for unit tests (bus 0 only). */
void pci_cfg_access(struct pci_bus *bus, uint8_t slot, uint8_t fn, uint32_t off, uint8_t *data,
		    uint32_t len, bool is_write);

#endif
