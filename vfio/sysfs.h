/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sysfs.h - the PCI sysfs files passthrough reads and writes: a device's
 * driver and IOMMU group, a PF's VFs (enabled through sriov_numvfs), and
 * handing a device to vfio-pci through driver_override.  Internal to vfio/.
 */
#ifndef FERRY_VFIO_SYSFS_H
#define FERRY_VFIO_SYSFS_H

#include <stddef.h>

#define VFIO_PCI_DEVICES "/sys/bus/pci/devices"
/* "0000:00:01.1" */
#define VFIO_BDF_LEN 13

/* The first line of a sysfs file, without its newline; "" when unreadable. */
void vfio_sysfs_line(const char *path, char *buf, size_t len);
/* The last component of @path into @buf, cut to fit. */
void vfio_basename(const char *path, char *buf, size_t len);
/* The IOMMU group of PCI device @bdf, or -1. */
int vfio_sysfs_group(const char *bdf);
/* The name of the driver bound to @bdf, or "none". */
void vfio_sysfs_driver(const char *bdf, char *buf, size_t len);

/*
 * The address of VF @vf of PF @pf into @bdf, enabling VFs first if the PF
 * has none (sriov_numvfs is only ever raised from 0: changing it otherwise
 * would pull VFs from under whoever uses them).  0 or -errno, logged.
 */
int vfio_sysfs_vf(const char *pf, unsigned int vf, char bdf[VFIO_BDF_LEN]);
/* Bind @bdf to vfio-pci (unbinding its driver first); 0 or -errno, logged. */
int vfio_sysfs_bind(const char *bdf);

#endif
