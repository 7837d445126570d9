/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msix.h - an MSI-X table and PBA (PCI Local Bus 3.0, section 6.8.2) whose
 * vectors are eventfds wired to KVM irqfds, so whoever signals a vector (a
 * PMD thread, a vhost-user backend, later a VFIO device) interrupts the guest
 * without an exit or a trip through this process.
 *
 * Masking follows the kernel-bypass recipe: while a vector is masked (entry
 * mask bit, function mask, or MSI-X disabled) its irqfd is detached, so a
 * signal stays pending in the eventfd; the PBA reports it, and re-attaching
 * on unmask makes KVM deliver it at once.  The owner serialises all calls
 * (virtio_pci.c holds its device lock), except msix_notify(), which any
 * thread may call.
 */
#ifndef FERRY_VMM_MSIX_H
#define FERRY_VMM_MSIX_H

#include <stdbool.h>
#include <stdint.h>

#define MSIX_ENTRY_SIZE 16
#define MSIX_NO_VECTOR 0xffff

struct irq_router;

struct msix_vector {
	uint8_t entry[MSIX_ENTRY_SIZE]; /* addr lo, addr hi, data, vector control */
	int fd; /* eventfd: write it to raise the vector */
	int gsi; /* KVM GSI of its MSI route */
	bool attached; /* fd is an irqfd on gsi right now */
};

struct msix {
	struct irq_router *router;
	int vm_fd;
	unsigned int n; /* table entries */
	struct msix_vector *v;
	bool enabled; /* Message Control: MSI-X Enable */
	bool masked; /* Message Control: Function Mask */
};

int msix_init(struct msix *m, struct irq_router *router, int vm_fd, unsigned int n);
void msix_fini(struct msix *m);

/* Guest accesses to the table and PBA (offsets relative to each). */
void msix_table_access(struct msix *m, uint64_t off, uint8_t *data, uint32_t len, bool is_write);
void msix_pba_read(struct msix *m, uint64_t off, uint8_t *data, uint32_t len);
/* The Message Control register changed. */
void msix_set_control(struct msix *m, bool enabled, bool masked);

/* The eventfd that raises @vec, or -1 for MSIX_NO_VECTOR or out of range. */
int msix_vector_fd(const struct msix *m, unsigned int vec);
/* Raise @vec (any thread). */
void msix_notify(const struct msix *m, unsigned int vec);

#endif
