/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * probe.c - read-only probes of the host's VFIO support (see vfio.h): opens
 * the container to learn the API version and counts IOMMU groups in sysfs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

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

int vfio_print_host_info(FILE *f)
{
	int fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	int groups = count_iommu_groups();
	int api, err;

	if (fd < 0) {
		err = -errno;
		fprintf(f,
			"vfio: unavailable (/dev/vfio/vfio: %s; load vfio-pci and enable an "
			"IOMMU)\n",
			strerror(errno));
		return err;
	}
	api = ioctl(fd, VFIO_GET_API_VERSION);
	fprintf(f, "vfio: api %d, type1 iommu %s, %d IOMMU group(s)\n", api,
		ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0 ? "yes" : "no",
		groups < 0 ? 0 : groups);
	close(fd);
	return 0;
}
