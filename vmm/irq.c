/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * irq.c - the GSI router, irqfds and ioeventfds of irq.h.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "util/log.h"
#include "vmm/irq.h"

#define IRQ_DEFAULT_ROUTES (16 + 24) /* PIC pins of GSI 0-15, IOAPIC pins of 0-23 */

void irq_router_init(struct irq_router *r, int vm_fd) NO_THREAD_SAFETY_ANALYSIS
{
	memset(r, 0, sizeof(*r));
	r->vm_fd = vm_fd;
	mutex_init(&r->lock);
}

void irq_router_fini(struct irq_router *r)
{
	mutex_destroy(&r->lock);
}

int irq_msi_alloc(struct irq_router *r)
{
	int gsi = -ENOSPC;

	mutex_lock(&r->lock);
	for (int i = 0; i < IRQ_MAX_MSI; i++) {
		if (!r->msi[i].used) {
			r->msi[i] = (struct irq_msi_route){ .used = true };
			gsi = IRQ_FIRST_MSI_GSI + i;
			break;
		}
	}
	mutex_unlock(&r->lock);
	return gsi;
}

static void irq_default_routes(struct kvm_irq_routing_entry *e)
{
	unsigned int n = 0;

	/* KVM's own defaults, which a table we set must repeat. */
	for (uint32_t gsi = 0; gsi < 16; gsi++)
		e[n++] = (struct kvm_irq_routing_entry){
			.gsi = gsi,
			.type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = { gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
				       gsi % 8 },
		};
	for (uint32_t gsi = 0; gsi < 24; gsi++)
		e[n++] = (struct kvm_irq_routing_entry){
			.gsi = gsi,
			.type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = { KVM_IRQCHIP_IOAPIC, gsi },
		};
}

static int irq_commit(struct irq_router *r) REQUIRES(r->lock)
{
	struct {
		uint32_t nr;
		uint32_t flags;
		struct kvm_irq_routing_entry e[IRQ_DEFAULT_ROUTES + IRQ_MAX_MSI];
	} *t = calloc(1, sizeof(*t));
	int ret = 0;

	if (!t)
		return -ENOMEM;
	irq_default_routes(t->e);
	t->nr = IRQ_DEFAULT_ROUTES;
	for (int i = 0; i < IRQ_MAX_MSI; i++) {
		if (!r->msi[i].used || !r->msi[i].valid)
			continue;
		t->e[t->nr++] = (struct kvm_irq_routing_entry){
			.gsi = (uint32_t)(IRQ_FIRST_MSI_GSI + i),
			.type = KVM_IRQ_ROUTING_MSI,
			.u.msi = { .address_lo = (uint32_t)r->msi[i].addr,
				   .address_hi = (uint32_t)(r->msi[i].addr >> 32),
				   .data = r->msi[i].data },
		};
	}
	if (ioctl(r->vm_fd, KVM_SET_GSI_ROUTING, t) < 0) {
		ret = -errno;
		LOG_RL(LOG_LVL_ERR, "vmm", "KVM_SET_GSI_ROUTING: %s", strerror(errno));
	}
	free(t);
	return ret;
}

int irq_msi_set(struct irq_router *r, int gsi, uint64_t addr, uint32_t data)
{
	int i = gsi - IRQ_FIRST_MSI_GSI, ret;

	if (i < 0 || i >= IRQ_MAX_MSI)
		return -EINVAL;
	mutex_lock(&r->lock);
	if (r->msi[i].valid && r->msi[i].addr == addr && r->msi[i].data == data) {
		mutex_unlock(&r->lock);
		return 0; /* unchanged: spare KVM a table rebuild */
	}
	r->msi[i].addr = addr;
	r->msi[i].data = data;
	r->msi[i].valid = true;
	ret = irq_commit(r);
	mutex_unlock(&r->lock);
	return ret;
}

void irq_msi_free(struct irq_router *r, int gsi)
{
	int i = gsi - IRQ_FIRST_MSI_GSI;

	if (i < 0 || i >= IRQ_MAX_MSI)
		return;
	mutex_lock(&r->lock);
	if (r->msi[i].valid) {
		r->msi[i] = (struct irq_msi_route){ 0 };
		irq_commit(r);
	}
	r->msi[i].used = false;
	mutex_unlock(&r->lock);
}

static int irq_irqfd(int vm_fd, int fd, int gsi, uint32_t flags)
{
	struct kvm_irqfd irqfd = { .fd = (uint32_t)fd, .gsi = (uint32_t)gsi, .flags = flags };

	return ioctl(vm_fd, KVM_IRQFD, &irqfd) < 0 ? -errno : 0;
}

int irq_irqfd_assign(int vm_fd, int fd, int gsi)
{
	return irq_irqfd(vm_fd, fd, gsi, 0);
}

int irq_irqfd_deassign(int vm_fd, int fd, int gsi)
{
	return irq_irqfd(vm_fd, fd, gsi, KVM_IRQFD_FLAG_DEASSIGN);
}

static int irq_ioeventfd(int vm_fd, int fd, uint64_t addr, uint32_t len, uint32_t flags)
{
	struct kvm_ioeventfd io = { .addr = addr, .len = len, .fd = fd, .flags = flags };

	return ioctl(vm_fd, KVM_IOEVENTFD, &io) < 0 ? -errno : 0;
}

int irq_ioeventfd_assign(int vm_fd, int fd, uint64_t addr, uint32_t len)
{
	return irq_ioeventfd(vm_fd, fd, addr, len, 0);
}

int irq_ioeventfd_deassign(int vm_fd, int fd, uint64_t addr, uint32_t len)
{
	return irq_ioeventfd(vm_fd, fd, addr, len, KVM_IOEVENTFD_FLAG_DEASSIGN);
}
