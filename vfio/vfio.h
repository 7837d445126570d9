/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio.h - device passthrough through VFIO.  For now: what the host offers
 * (the container device, IOMMU groups, interrupt remapping, posted
 * interrupts, SR-IOV physical and virtual functions), so `ferry info` and
 * error messages can say why passthrough is or is not possible.  Devices
 * come with the rest of the VFIO issue.
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

/* Describe VFIO support on @f; returns 0 if a VFIO container can be opened. */
int vfio_print_host_info(FILE *f);

#endif
