/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kernel.c - passthrough through the kernel's VFIO (vfio.h): one container
 * per VM holding the IOMMU groups of its devices (type1v2), all of guest RAM
 * mapped for DMA at its guest-physical addresses, KVM's kvm-vfio device told
 * about every group, and each device's regions and MSI-X behind the
 * struct vfio_dev_ops that fn.c builds the guest's view on.
 *
 * The order of refusals matters: interrupt remapping is checked before
 * anything on the host changes, so a refused device keeps its driver.
 * iommufd would be a second implementation of the container part (groups
 * become device cdevs bound to an IOAS); the ops table is where it plugs in.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/compiler.h"
#include "util/log.h"
#include "vfio/fn.h"
#include "vfio/sysfs.h"
#include "vfio/vfio.h"
#include "vmm/mem.h"
#include "vmm/vmm.h"

#define VFIO_VM_MAX_DEVS 8
#define NREGIONS (VFIO_PCI_CONFIG_REGION_INDEX + 1)

struct vfio_kdev {
	char bdf[VFIO_BDF_LEN];
	char name[48];
	int group; /* IOMMU group number */
	int fd; /* the device */
	struct vfio_region_info reg[NREGIONS];
	unsigned int msix_count;
	bool can_reset;
	struct vfio_fn *fn;
};

struct vfio_group {
	int num;
	int fd;
};

struct vfio_vm {
	struct vmm_vm *vm;
	int container; /* -1 until the first device */
	int kvm_dev; /* KVM's kvm-vfio device, -1 if none */
	unsigned int dma_mapped; /* guest RAM slots mapped for DMA */
	unsigned int ngroups, ndevs;
	struct vfio_group groups[VFIO_VM_MAX_DEVS];
	struct vfio_kdev *devs[VFIO_VM_MAX_DEVS];
};

/* ---- the device's ops ---- */

static int region_rw(struct vfio_kdev *d, unsigned int idx, uint64_t off, void *buf, uint32_t len,
		     bool write)
{
	const struct vfio_region_info *r = &d->reg[idx];
	ssize_t n;

	if (off > r->size || len > r->size - off)
		return -EINVAL;
	n = write ? pwrite(d->fd, buf, len, (off_t)(r->offset + off)) :
		    pread(d->fd, buf, len, (off_t)(r->offset + off));
	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
}

static int kd_cfg_rw(void *dev, uint32_t off, void *buf, uint32_t len, bool write)
{
	return region_rw(dev, VFIO_PCI_CONFIG_REGION_INDEX, off, buf, len, write);
}

static int kd_bar_info(void *dev, unsigned int bar, struct vfio_bar_info *out)
{
	struct vfio_kdev *d = dev;

	if (bar > VFIO_PCI_BAR5_REGION_INDEX)
		return -EINVAL;
	out->size = d->reg[bar].size;
	out->mmap = d->reg[bar].flags & VFIO_REGION_INFO_FLAG_MMAP;
	return 0;
}

static int kd_bar_rw(void *dev, unsigned int bar, uint64_t off, void *buf, uint32_t len, bool write)
{
	return bar > VFIO_PCI_BAR5_REGION_INDEX ? -EINVAL :
						  region_rw(dev, bar, off, buf, len, write);
}

static void *kd_bar_mmap(void *dev, unsigned int bar, uint64_t size)
{
	struct vfio_kdev *d = dev;
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd,
		       (off_t)d->reg[bar].offset);

	if (p != MAP_FAILED)
		return p;
	/* Kernels before 4.16 keep the MSI-X table out of mmap: trap it all then. */
	LOG_WARN("vfio", "%s: BAR%u cannot be mapped (%s); every access traps", d->bdf, bar,
		 strerror(errno));
	return NULL;
}

static void kd_bar_munmap(void *dev, unsigned int bar, void *map, uint64_t size)
{
	(void)dev;
	(void)bar;
	munmap(map, size);
}

static int kd_set_msix(void *dev, const int *fds, unsigned int n)
{
	struct vfio_kdev *d = dev;
	struct vfio_irq_set *s;
	size_t sz;
	int ret = 0;

	if (n > d->msix_count)
		return -EINVAL;
	sz = sizeof(*s) + n * sizeof(int);
	s = calloc(1, sz);
	if (!s)
		return -ENOMEM;
	*s = (struct vfio_irq_set){
		.argsz = (uint32_t)sz,
		.flags = VFIO_IRQ_SET_ACTION_TRIGGER |
			 (n ? VFIO_IRQ_SET_DATA_EVENTFD : VFIO_IRQ_SET_DATA_NONE),
		.index = VFIO_PCI_MSIX_IRQ_INDEX,
		.count = n,
	};
	if (n)
		memcpy(s->data, fds, n * sizeof(int));
	if (ioctl(d->fd, VFIO_DEVICE_SET_IRQS, s) < 0)
		ret = -errno;
	else if (n)
		LOG_INFO("vfio", "%s: MSI-X on, %u vector(s) to KVM irqfds", d->bdf, n);
	free(s);
	return ret;
}

static int kd_reset(void *dev)
{
	struct vfio_kdev *d = dev;

	if (!d->can_reset)
		return -ENOTTY;
	return ioctl(d->fd, VFIO_DEVICE_RESET) < 0 ? -errno : 0;
}

static const struct vfio_dev_ops kd_ops = {
	.cfg_rw = kd_cfg_rw,
	.bar_info = kd_bar_info,
	.bar_rw = kd_bar_rw,
	.bar_mmap = kd_bar_mmap,
	.bar_munmap = kd_bar_munmap,
	.set_msix = kd_set_msix,
	.reset = kd_reset,
};

/* ---- container, groups, DMA ---- */

static int fail(const char *where, const char *what, int err)
{
	LOG_ERR("vfio", "%s: %s: %s", where, what, strerror(err));
	return -err;
}

static int container_open(struct vfio_vm *v, const char *where)
{
	if (v->container >= 0)
		return 0;
	v->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (v->container < 0)
		return fail(where, "cannot open /dev/vfio/vfio (modprobe vfio-pci)", errno);
	if (ioctl(v->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    ioctl(v->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0) {
		close(v->container);
		v->container = -1;
		return fail(where, "the kernel's VFIO lacks the type1v2 IOMMU", ENOTSUP);
	}
	return 0;
}

/* All of guest RAM, IOVA = guest-physical address, as the guest's driver programs it. */
static int dma_map(struct vfio_vm *v, const char *where)
{
	const struct vmm_mem *mem = vmm_vm_mem(v->vm);

	for (unsigned int i = v->dma_mapped; i < mem->nslots; i++) {
		struct vfio_iommu_type1_dma_map m = {
			.argsz = sizeof(m),
			.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
			.vaddr = (uint64_t)(uintptr_t)mem->slots[i].hva,
			.iova = mem->slots[i].gpa,
			.size = mem->slots[i].size,
		};

		/* The pages are pinned: without CAP_IPC_LOCK, RLIMIT_MEMLOCK must cover them. */
		if (ioctl(v->container, VFIO_IOMMU_MAP_DMA, &m) < 0)
			return fail(where,
				    errno == ENOMEM ? "cannot pin guest RAM for DMA (ulimit -l?)" :
						      "cannot map guest RAM for DMA",
				    errno);
		v->dma_mapped = i + 1; /* so teardown unmaps what a later failure leaves */
	}
	return 0;
}

static void dma_unmap(struct vfio_vm *v)
{
	const struct vmm_mem *mem = vmm_vm_mem(v->vm);

	for (unsigned int i = 0; i < v->dma_mapped; i++) {
		struct vfio_iommu_type1_dma_unmap u = {
			.argsz = sizeof(u),
			.iova = mem->slots[i].gpa,
			.size = mem->slots[i].size,
		};

		ioctl(v->container, VFIO_IOMMU_UNMAP_DMA, &u);
	}
	v->dma_mapped = 0;
}

/* KVM's kvm-vfio device learns the group (non-coherent DMA, posted-interrupt bypass). */
static void kvm_add_group(struct vfio_vm *v, int group_fd, const char *where)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };
	struct kvm_device_attr a = { .group = KVM_DEV_VFIO_GROUP,
				     .attr = KVM_DEV_VFIO_GROUP_ADD,
				     .addr = (uint64_t)(uintptr_t)&group_fd };

	int err = 0;

	if (v->kvm_dev < 0 && ioctl(vmm_vm_fd(v->vm), KVM_CREATE_DEVICE, &cd) == 0)
		v->kvm_dev = (int)cd.fd;
	else if (v->kvm_dev < 0)
		err = errno;
	if (!err && ioctl(v->kvm_dev, KVM_SET_DEVICE_ATTR, &a) < 0)
		err = errno;
	if (err)
		LOG_WARN("vfio", "%s: KVM's kvm-vfio device does not take the group: %s", where,
			 strerror(err));
}

static int group_attach(struct vfio_vm *v, int num, const char *where)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[32], what[96];
	int fd, ret;

	for (unsigned int i = 0; i < v->ngroups; i++)
		if (v->groups[i].num == num)
			return v->groups[i].fd;
	if (v->ngroups == VFIO_VM_MAX_DEVS)
		return fail(where, "too many IOMMU groups", ENOSPC);
	snprintf(path, sizeof(path), "/dev/vfio/%d", num);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(what, sizeof(what), "cannot open %s", path);
		return fail(where, what, errno);
	}
	if (ioctl(fd, VFIO_GROUP_GET_STATUS, &st) < 0 || !(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		snprintf(what, sizeof(what),
			 "IOMMU group %d is not viable (bind every device in it to vfio-pci)", num);
		close(fd);
		return fail(where, what, EBUSY);
	}
	ret = ioctl(fd, VFIO_GROUP_SET_CONTAINER, &v->container);
	if (!ret && !v->ngroups)
		ret = ioctl(v->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
	if (ret < 0) {
		ret = fail(where, "the IOMMU refuses the group", errno);
		close(fd);
		return ret;
	}
	v->groups[v->ngroups++] = (struct vfio_group){ .num = num, .fd = fd };
	kvm_add_group(v, fd, where);
	return fd;
}

/* ---- devices ---- */

static int device_open(struct vfio_kdev *d, int group_fd, const char *where)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_irq_info irq = { .argsz = sizeof(irq), .index = VFIO_PCI_MSIX_IRQ_INDEX };

	d->fd = ioctl(group_fd, VFIO_GROUP_GET_DEVICE_FD, d->bdf);
	if (d->fd < 0)
		return fail(where, "VFIO does not give the device", errno);
	if (ioctl(d->fd, VFIO_DEVICE_GET_INFO, &info) < 0 ||
	    !(info.flags & VFIO_DEVICE_FLAGS_PCI) || info.num_regions < NREGIONS)
		return fail(where, "not a PCI device VFIO knows", ENODEV);
	d->can_reset = info.flags & VFIO_DEVICE_FLAGS_RESET;
	for (unsigned int i = 0; i < NREGIONS; i++) {
		d->reg[i] = (struct vfio_region_info){ .argsz = sizeof(d->reg[i]), .index = i };
		if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &d->reg[i]) < 0)
			return fail(where, "cannot read its region table", errno);
	}
	if (info.num_irqs > VFIO_PCI_MSIX_IRQ_INDEX &&
	    ioctl(d->fd, VFIO_DEVICE_GET_IRQ_INFO, &irq) == 0)
		d->msix_count = irq.count;
	return 0;
}

/* The host must remap interrupts, or the config must say it may go without. */
static int check_ir(const struct vfio_pt_opts *o, const char *where)
{
	struct vfio_host_caps c;

	vfio_host_caps(&c);
	if (c.ir)
		return 0;
	if (!o->allow_unsafe_interrupts) {
		LOG_ERR("vfio",
			"%s: refused: this host has no interrupt remapping (no IR-PCI-MSI: the "
			"IOMMU's IR is off), so the device could inject any interrupt; turn IR on "
			"(intel_iommu=on, no intremap=off) or set \"allow_unsafe_interrupts\": true",
			where);
		return -EPERM;
	}
	if (!c.unsafe_allowed) {
		LOG_ERR("vfio",
			"%s: refused by the kernel too: without interrupt remapping vfio_iommu_type1 "
			"needs allow_unsafe_interrupts=1",
			where);
		return -EPERM;
	}
	LOG_WARN("vfio", "%s: passed through WITHOUT interrupt remapping, as the config allows",
		 where);
	return 0;
}

static int resolve(const struct vfio_pt_opts *o, char bdf[VFIO_BDF_LEN])
{
	if (o->pci) {
		snprintf(bdf, VFIO_BDF_LEN, "%s", o->pci);
		return 0;
	}
	return vfio_sysfs_vf(o->pf, o->vf, bdf);
}

static int kdev_setup(struct vfio_vm *v, struct vfio_kdev *d, const char *where)
{
	int ret = vfio_sysfs_bind(d->bdf), gfd;

	if (ret)
		return ret;
	d->group = vfio_sysfs_group(d->bdf);
	if (d->group < 0)
		return fail(where, "the device has no IOMMU group (is the IOMMU on?)", ENODEV);
	ret = container_open(v, where);
	gfd = ret ? ret : group_attach(v, d->group, where);
	if (gfd < 0)
		return gfd;
	if (v->dma_mapped < vmm_vm_mem(v->vm)->nslots && (ret = dma_map(v, where)))
		return ret;
	ret = device_open(d, gfd, where);
	if (ret)
		return ret;
	snprintf(d->name, sizeof(d->name), "%s.%s", vmm_vm_name(v->vm), d->bdf);
	ret = vfio_fn_create(v->vm, &kd_ops, d, d->name, &d->fn);
	if (!ret && vfio_fn_vectors(d->fn) > d->msix_count) {
		/* The guest would enable MSI-X and never get an interrupt. */
		LOG_ERR("vfio", "%s: VFIO offers %u MSI-X vectors, the capability %u", where,
			d->msix_count, vfio_fn_vectors(d->fn));
		vfio_fn_destroy(d->fn);
		d->fn = NULL;
		ret = -EINVAL;
	}
	return ret;
}

int vfio_vm_add(struct vfio_vm *v, const struct vfio_pt_opts *o, const char *where)
{
	struct vfio_host_caps c;
	struct vfio_kdev *d;
	int ret;

	if (v->ndevs == VFIO_VM_MAX_DEVS)
		return fail(where, "too many passed-through devices", ENOSPC);
	ret = check_ir(o, where);
	if (ret)
		return ret;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->fd = -1;
	ret = resolve(o, d->bdf);
	if (!ret)
		ret = kdev_setup(v, d, where);
	if (ret) {
		if (d->fd >= 0)
			close(d->fd);
		free(d);
		return ret;
	}
	v->devs[v->ndevs++] = d;
	vfio_host_caps(&c);
	LOG_INFO("vfio",
		 "%s: %s (IOMMU group %d) passed through at guest slot %u, %u MSI-X vector(s), "
		 "interrupt remapping %s, posted interrupts %s",
		 where, d->bdf, d->group, vfio_fn_slot(d->fn), vfio_fn_vectors(d->fn),
		 c.ir ? "on" : "OFF", c.posted ? "on" : "off");
	return 0;
}

struct vfio_vm *vfio_vm_create(struct vmm_vm *vm)
{
	struct vfio_vm *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->vm = vm;
	v->container = -1;
	v->kvm_dev = -1;
	return v;
}

void vfio_vm_destroy(struct vfio_vm *v)
{
	if (!v)
		return;
	/* Devices stop (bus mastering off, reset) before their DMA window closes. */
	for (unsigned int i = 0; i < v->ndevs; i++) {
		vfio_fn_destroy(v->devs[i]->fn);
		close(v->devs[i]->fd);
		free(v->devs[i]);
	}
	dma_unmap(v);
	for (unsigned int i = 0; i < v->ngroups; i++) {
		struct kvm_device_attr a = { .group = KVM_DEV_VFIO_GROUP,
					     .attr = KVM_DEV_VFIO_GROUP_DEL,
					     .addr = (uint64_t)(uintptr_t)&v->groups[i].fd };

		/* KVM lets go of the group (and so of the container) now, not with the VM. */
		if (v->kvm_dev >= 0)
			ioctl(v->kvm_dev, KVM_SET_DEVICE_ATTR, &a);
		close(v->groups[i].fd);
	}
	if (v->kvm_dev >= 0)
		close(v->kvm_dev);
	if (v->container >= 0)
		close(v->container);
	free(v);
}
