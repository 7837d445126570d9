/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * irq.h - interrupts and notifications that bypass userspace: MSI routes
 * on KVM GSIs, irqfds (an eventfd write injects an interrupt) and ioeventfds
 * (a guest write to an address signals an eventfd without an exit).
 *
 * KVM_SET_GSI_ROUTING replaces the whole table, so one router per VM owns
 * it: the default PIC/IOAPIC routes of GSIs 0-23 plus the MSI routes devices
 * allocate from GSI 24 up.  Devices (virtio_pci.c, later VFIO) only ask for
 * a GSI, point it at an MSI message and attach an eventfd.
 */
#ifndef FERRY_VMM_IRQ_H
#define FERRY_VMM_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#include "util/lock.h"

#define IRQ_FIRST_MSI_GSI 24
#define IRQ_MAX_MSI 1024

struct irq_msi_route {
	bool used; /* allocated by a device */
	bool valid; /* has a message (otherwise not in the KVM table) */
	uint64_t addr; /* MSI address */
	uint32_t data; /* MSI data */
};

struct irq_router {
	int vm_fd;
	struct mutex lock;
	struct irq_msi_route msi[IRQ_MAX_MSI] GUARDED; /* GSI = IRQ_FIRST_MSI_GSI + index */
};

void irq_router_init(struct irq_router *r, int vm_fd);
void irq_router_fini(struct irq_router *r);

/* A free GSI for an MSI route, or -ENOSPC. */
int irq_msi_alloc(struct irq_router *r);
void irq_msi_free(struct irq_router *r, int gsi);
/* Point @gsi at an MSI message and commit the table to KVM. */
int irq_msi_set(struct irq_router *r, int gsi, uint64_t addr, uint32_t data);

/* Attach / detach an eventfd to a GSI (KVM_IRQFD). */
int irq_irqfd_assign(int vm_fd, int fd, int gsi);
int irq_irqfd_deassign(int vm_fd, int fd, int gsi);

/* Signal @fd on @len-byte guest writes to MMIO @addr (KVM_IOEVENTFD). */
int irq_ioeventfd_assign(int vm_fd, int fd, uint64_t addr, uint32_t len);
int irq_ioeventfd_deassign(int vm_fd, int fd, uint64_t addr, uint32_t len);

#endif
