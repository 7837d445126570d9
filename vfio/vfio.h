/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio.h - device passthrough through VFIO: what the host offers (the
 * container device, IOMMU groups, interrupt remapping, posted interrupts,
 * SR-IOV physical and virtual functions), and passing PCI functions, SR-IOV
 * VFs above all, through to a VM: bound to vfio-pci, their DMA confined to
 * guest RAM by the IOMMU, their MSI-X vectors injected by KVM from eventfds.
 */
#ifndef FERRY_VFIO_VFIO_H
#define FERRY_VFIO_VFIO_H

#include <stdbool.h>
#include <stdio.h>

/* What the host's kernel offers for passthrough (read from sysfs and procfs). */
struct vfio_host_caps {
	int groups; /* IOMMU groups, -1 without an IOMMU */
	bool ir; /* interrupts go through the IOMMU's remapping (IR-* irqchips) */
	bool unsafe_allowed; /* vfio_iommu_type1 allow_unsafe_interrupts=Y */
	bool posted; /* VT-d posted interrupts on every DMAR unit (with ir) */
};

void vfio_host_caps(struct vfio_host_caps *c);

struct vmm_vm;
struct vfio_vm;

/* One device to pass through: @pci, or VF @vf of PF @pf (VFs enabled if it has none). */
struct vfio_pt_opts {
	const char *pci; /* "0000:00:01.1", or NULL */
	const char *pf; /* with @vf, when @pci is NULL */
	unsigned int vf;
	bool allow_unsafe_interrupts; /* pass through even without interrupt remapping */
};

/* The passthrough devices of one VM (one VFIO container). */
struct vfio_vm *vfio_vm_create(struct vmm_vm *vm);
/*
 * Pass a device through to the VM: 0, or -errno after one log line that
 * starts with @where (-EPERM: the host has no interrupt remapping and @o does
 * not allow going without; the device is then left as it was).
 */
int vfio_vm_add(struct vfio_vm *v, const struct vfio_pt_opts *o, const char *where);
/* Every device reset and off the bus, guest RAM out of the IOMMU. */
void vfio_vm_destroy(struct vfio_vm *v);

/* Describe VFIO support on @f; returns 0 if a VFIO container can be opened. */
int vfio_print_host_info(FILE *f);

#endif
