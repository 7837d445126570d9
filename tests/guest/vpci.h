/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vpci.h - the driver side of the virtio-pci modern transport (virtio 1.2,
 * 4.1): find a device on bus 0 (pci.h), locate its structures through the
 * vendor capabilities (never at fixed offsets, so Ferry's layout and QEMU's
 * both work), and drive the common configuration: reset, status, feature
 * negotiation, queue set-up, notification addresses and MSI-X.  vnet.c
 * builds the net device on it; virtq.c owns the rings it hands over.
 *
 * Every structure is reached through its BAR's identity-mapped address, so
 * all of this runs in ring 3.  What the device reports (capability offsets
 * and lengths, queue sizes, notify offsets, MSI-X table size) is checked
 * against the BAR sizes before it is used.
 */
#ifndef FERRY_GUEST_VPCI_H
#define FERRY_GUEST_VPCI_H

#include "pci.h"

/* One located structure: where it is mapped and how many bytes it spans. */
struct vpci_region {
	uintptr_t addr; /* 0 if the capability was absent */
	uint32_t len; /* from the capability, checked against the BAR */
};

struct vpci {
	struct pci_dev pci; /* the function on bus 0 */
	struct vpci_region common; /* struct virtio_pci_common_cfg */
	struct vpci_region isr; /* ISR status byte */
	struct vpci_region device; /* device-specific configuration */
	struct vpci_region notify; /* queue notification area */
	uint32_t notify_mult; /* notify_off_multiplier */
	struct pci_msix msix; /* cap 0: none */
};

/*
 * Finds the first function with the virtio vendor ID and @device_id on bus
 * 0, turns on memory decoding and bus mastering (DMA), and maps every
 * structure.  Returns 0, -ENODEV (no such function) or -EINVAL (a capability
 * points outside its BAR, beyond 4 GiB, or a required one is missing).
 */
int vpci_open(struct vpci *v, uint16_t device_id);

/* Writes 0 to device_status and waits for it to read back 0 (4.1.4.3.2). */
int vpci_reset(struct vpci *v);
uint8_t vpci_get_status(const struct vpci *v);
/* ORs @bits into device_status (bits are only ever added, 2.1). */
void vpci_add_status(struct vpci *v, uint8_t bits);

uint64_t vpci_get_features(const struct vpci *v);
void vpci_set_features(struct vpci *v, uint64_t f);

/* Queue set-up (4.1.5.1.3). */
struct vpci_queue_cfg {
	uint16_t size; /* in: the most the driver wants; out: what was set */
	uint64_t desc, avail, used; /* ring addresses (physical) */
	uint16_t vector; /* MSI-X table entry, or VIRTIO_MSI_NO_VECTOR */
	uintptr_t notify; /* out: where to write the queue index to kick */
};

/* How many entries queue @q offers (0: no such queue). */
uint16_t vpci_queue_max(struct vpci *v, uint16_t q);

/*
 * Programs queue @q with @c (size rounded down to a power of two) and
 * enables it.  Returns 0, -ENOENT (no such queue), -EINVAL (a notify offset
 * outside the notify area) or -EIO (the device refused the MSI-X vector).
 */
int vpci_queue_setup(struct vpci *v, uint16_t q, struct vpci_queue_cfg *c);

/* One byte of device-specific configuration, read with the generation check (4.1.4.3.1). */
int vpci_read_device_cfg(struct vpci *v, uint32_t off, void *buf, uint32_t len);

/*
 * Points MSI-X table entry @entry at @vector on the CPU with @apic_id (fixed
 * delivery, edge), unmasks it and enables MSI-X.  Must run before queues are
 * given vectors.  Returns 0, or -ENODEV without an MSI-X capability, -EINVAL
 * for an entry beyond the table.
 */
int vpci_msix_enable(struct vpci *v, uint16_t entry, uint32_t apic_id, uint8_t vector);
/* Masks every entry and turns MSI-X off again. */
void vpci_msix_disable(struct vpci *v);

#endif
