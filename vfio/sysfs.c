/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sysfs.c - the PCI sysfs files of sysfs.h.  Writes go through open/write so
 * the kernel's error (EBUSY from sriov_numvfs, ENODEV from drivers_probe)
 * reaches the message.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "vfio/sysfs.h"

/* The first line of a sysfs file, without its newline; "" when unreadable. */
void vfio_sysfs_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (f && fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
}

/* The IOMMU group of PCI device @bdf, or -1. */
int vfio_sysfs_group(const char *bdf)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), VFIO_PCI_DEVICES "/%s/iommu_group", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return -1;
	target[n] = '\0';
	base = strrchr(target, '/');
	return atoi(base ? base + 1 : target);
}

/* The last component of @path into @buf, cut to fit. */
void vfio_basename(const char *path, char *buf, size_t len)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strnlen(base, len - 1);
	memcpy(buf, base, n);
	buf[n] = '\0';
}

/* The name of the driver bound to @bdf, or "none". */
void vfio_sysfs_driver(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), VFIO_PCI_DEVICES "/%s/driver", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0) {
		snprintf(buf, len, "none");
		return;
	}
	target[n] = '\0';
	vfio_basename(target, buf, len);
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;
	size_t n = strlen(val);

	if (fd < 0)
		return -errno;
	if (write(fd, val, n) != (ssize_t)n)
		ret = errno ? -errno : -EIO;
	close(fd);
	return ret;
}

static int vf_link(const char *pf, unsigned int vf, char bdf[VFIO_BDF_LEN])
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), VFIO_PCI_DEVICES "/%s/virtfn%u", pf, vf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return -ENOENT;
	target[n] = '\0';
	vfio_basename(target, bdf, VFIO_BDF_LEN);
	return 0;
}

int vfio_sysfs_vf(const char *pf, unsigned int vf, char bdf[VFIO_BDF_LEN])
{
	char path[PATH_MAX], num[16], total[16];
	int ret;

	if (vf_link(pf, vf, bdf) == 0)
		return 0;
	snprintf(path, sizeof(path), VFIO_PCI_DEVICES "/%s/sriov_totalvfs", pf);
	vfio_sysfs_line(path, total, sizeof(total));
	snprintf(path, sizeof(path), VFIO_PCI_DEVICES "/%s/sriov_numvfs", pf);
	vfio_sysfs_line(path, num, sizeof(num));
	if (!total[0] || vf >= (unsigned int)atoi(total)) {
		LOG_ERR("vfio", "%s: %s", pf,
			total[0] ? "has fewer VFs than asked for" : "is not an SR-IOV PF");
		return -ENODEV;
	}
	if (atoi(num) != 0) {
		LOG_ERR("vfio", "%s: VF %u is not enabled and %s VFs are in use", pf, vf, num);
		return -EBUSY;
	}
	snprintf(num, sizeof(num), "%u", vf + 1);
	ret = write_file(path, num);
	if (ret) {
		LOG_ERR("vfio", "%s: cannot enable %s VFs: %s", pf, num, strerror(-ret));
		return ret;
	}
	LOG_INFO("vfio", "%s: %s VFs enabled", pf, num);
	ret = vf_link(pf, vf, bdf);
	if (ret)
		LOG_ERR("vfio", "%s: VF %u did not appear", pf, vf);
	return ret;
}

int vfio_sysfs_bind(const char *bdf)
{
	char path[PATH_MAX], drv[64];
	int ret;

	vfio_sysfs_driver(bdf, drv, sizeof(drv));
	if (!strcmp(drv, "vfio-pci"))
		return 0;
	if (access("/sys/bus/pci/drivers/vfio-pci", F_OK)) {
		LOG_ERR("vfio", "%s: the vfio-pci driver is not loaded (modprobe vfio-pci)", bdf);
		return -ENOENT;
	}
	snprintf(path, sizeof(path), VFIO_PCI_DEVICES "/%s/driver_override", bdf);
	ret = write_file(path, "vfio-pci");
	if (!ret && strcmp(drv, "none")) {
		snprintf(path, sizeof(path), VFIO_PCI_DEVICES "/%s/driver/unbind", bdf);
		ret = write_file(path, bdf);
	}
	if (!ret)
		ret = write_file("/sys/bus/pci/drivers_probe", bdf);
	vfio_sysfs_driver(bdf, drv, sizeof(drv));
	if (!ret && strcmp(drv, "vfio-pci"))
		ret = -ENODEV;
	if (ret)
		LOG_ERR("vfio", "%s: cannot bind it to vfio-pci: %s", bdf, strerror(-ret));
	else
		LOG_INFO("vfio", "%s: bound to vfio-pci", bdf);
	return ret;
}
