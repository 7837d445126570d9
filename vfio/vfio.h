/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio.h - device passthrough through VFIO.  For now: what the host offers
 * (the container device, IOMMU groups), so `ferry info` and error messages
 * can say why passthrough is unavailable.  Devices come with the VFIO issue.
 */
#ifndef FERRY_VFIO_VFIO_H
#define FERRY_VFIO_VFIO_H

#include <stdio.h>

/* Describe VFIO support on @f; returns 0 if a VFIO container can be opened. */
int vfio_print_host_info(FILE *f);

#endif
