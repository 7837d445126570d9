/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * probe.c - read-only probes of the host's VFIO support (see vfio.h): the
 * container's API, IOMMU groups, whether interrupts are remapped (the
 * precondition for passing a device through safely: without it a device
 * can forge MSI writes that inject any interrupt into any CPU), posted
 * interrupts, and the SR-IOV physical functions with their virtual ones.
 *
 * Everything comes from sysfs and procfs, so it works without privileges
 * beyond reading them; nothing is opened for writing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/vfio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vfio/sysfs.h"
#include "vfio/vfio.h"

static int count_iommu_groups(void)
{
	DIR *d = opendir("/sys/kernel/iommu_groups");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/*
 * Interrupt remapping is on when the kernel routes interrupts through it:
 * its irqchips are then named "IR-IO-APIC", "IR-PCI-MSI" (Intel VT-d and AMD-Vi
 * alike), and the IO-APIC's lines always use one.
 */
static bool ir_enabled(void)
{
	FILE *f = fopen("/proc/interrupts", "r");
	char *line = NULL;
	size_t cap = 0;
	bool on = false;

	/* Whole lines: with many CPUs they outgrow any fixed buffer, the chip name last. */
	while (f && !on && getline(&line, &cap, f) > 0)
		on = strstr(line, " IR-") != NULL;
	free(line);
	if (f)
		fclose(f);
	return on;
}

/* VT-d capability register bit 59 (PI) on every DMAR unit: posted interrupts. */
static bool vtd_posted(void)
{
	DIR *d = opendir("/sys/class/iommu");
	char path[PATH_MAX], cap[64];
	struct dirent *e;
	int units = 0, pi = 0;

	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, "dmar", 4))
			continue;
		snprintf(path, sizeof(path), "/sys/class/iommu/%s/intel-iommu/cap", e->d_name);
		vfio_sysfs_line(path, cap, sizeof(cap));
		units++;
		pi += cap[0] && (strtoull(cap, NULL, 16) >> 59 & 1);
	}
	if (d)
		closedir(d);
	return units && pi == units;
}

void vfio_host_caps(struct vfio_host_caps *c)
{
	char v[16];

	memset(c, 0, sizeof(*c));
	c->groups = count_iommu_groups();
	c->ir = ir_enabled();
	vfio_sysfs_line("/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts", v,
			sizeof(v));
	c->unsafe_allowed = v[0] == 'Y';
	c->posted = c->ir && vtd_posted();
}

/* One PF with its VFs (the virtfnN links), on @f. */
static void print_pf(FILE *f, const char *bdf)
{
	char path[PATH_MAX], target[PATH_MAX], num[16], total[16], id[16], drv[64], vf[64];
	ssize_t n;

	snprintf(path, sizeof(path), VFIO_PCI_DEVICES "/%s/sriov_numvfs", bdf);
	vfio_sysfs_line(path, num, sizeof(num));
	snprintf(path, sizeof(path), VFIO_PCI_DEVICES "/%s/sriov_totalvfs", bdf);
	vfio_sysfs_line(path, total, sizeof(total));
	snprintf(path, sizeof(path), VFIO_PCI_DEVICES "/%s/device", bdf);
	vfio_sysfs_line(path, id, sizeof(id));
	vfio_sysfs_driver(bdf, drv, sizeof(drv));
	fprintf(f, "sr-iov: PF %s (device %s, driver %s, iommu group %d): %s of %s VFs enabled\n",
		bdf, id, drv, vfio_sysfs_group(bdf), num[0] ? num : "?", total);
	for (int i = 0; i < 256; i++) {
		snprintf(path, sizeof(path), VFIO_PCI_DEVICES "/%s/virtfn%d", bdf, i);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			break;
		target[n] = '\0';
		vfio_basename(target, vf, sizeof(vf));
		vfio_sysfs_driver(vf, drv, sizeof(drv));
		fprintf(f, "sr-iov:   VF %d %s (driver %s, iommu group %d)\n", i, vf, drv,
			vfio_sysfs_group(vf));
	}
}

/* Every PCI device that can have VFs (sriov_totalvfs > 0). */
static void print_sriov(FILE *f)
{
	DIR *d = opendir(VFIO_PCI_DEVICES);
	char path[PATH_MAX], total[16];
	struct dirent *e;
	int pfs = 0;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), VFIO_PCI_DEVICES "/%s/sriov_totalvfs", e->d_name);
		vfio_sysfs_line(path, total, sizeof(total));
		if (atoi(total) <= 0)
			continue;
		print_pf(f, e->d_name);
		pfs++;
	}
	if (d)
		closedir(d);
	if (!pfs)
		fprintf(f, "sr-iov: no physical function with VFs\n");
}

int vfio_print_host_info(FILE *f)
{
	int fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	int api, err = fd < 0 ? -errno : 0; /* before the probes below overwrite errno */
	struct vfio_host_caps c;

	vfio_host_caps(&c);
	if (fd < 0) {
		fprintf(f,
			"vfio: unavailable (/dev/vfio/vfio: %s; load vfio-pci and enable an "
			"IOMMU)\n",
			strerror(-err));
	} else {
		api = ioctl(fd, VFIO_GET_API_VERSION);
		fprintf(f, "vfio: api %d, type1 iommu %s, %d IOMMU group(s)\n", api,
			ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0 ? "yes" : "no",
			c.groups < 0 ? 0 : c.groups);
		close(fd);
	}
	fprintf(f, "interrupt remapping: %s%s\n", c.ir ? "on" : "off",
		c.unsafe_allowed ? " (vfio_iommu_type1 allow_unsafe_interrupts=Y: VFIO would "
				   "pass devices through without it)" :
				   "");
	fprintf(f, "posted interrupts: %s\n",
		c.posted ? "yes (every VT-d unit has PI; intremap=nopost would turn it off)" :
			   "no");
	print_sriov(f);
	return err;
}
