/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fn.h - a passed-through PCI function as the guest sees it: a device on
 * Ferry's PCI bus whose config space is virtualised (identity and BAR layout
 * from the real function, capabilities filtered by a table, MSI-X emulated),
 * whose BARs are mapped into the guest straight from the device except the
 * pages holding the MSI-X table and PBA, which are trapped, and whose MSI-X
 * vectors are eventfds the device signals and KVM injects (vmm/msix.c).
 *
 * What it knows of the device comes through struct vfio_dev_ops, so the
 * kernel's VFIO (kernel.c) and a unit test's fake device plug in alike.  The
 * device side is trusted no more than the guest: a capability list that
 * loops, an MSI-X table outside its BAR or a BAR that is not a power of two
 * is refused with an error naming it.
 */
#ifndef FERRY_VFIO_FN_H
#define FERRY_VFIO_FN_H

#include <stdbool.h>
#include <stdint.h>

#define VFIO_FN_NUM_BARS 6
/* More vectors than this are not offered (they would each hold a KVM GSI). */
#define VFIO_FN_MAX_VECTORS 128

struct vmm_vm;
struct vfio_fn;

/* One BAR of the real function. */
struct vfio_bar_info {
	uint64_t size; /* bytes; 0: not implemented */
	bool mmap; /* the whole BAR can be mapped into this process */
};

struct vfio_dev_ops {
	/* Config space of the real function (as VFIO virtualises it): 0 or -errno. */
	int (*cfg_rw)(void *dev, uint32_t off, void *buf, uint32_t len, bool write);
	int (*bar_info)(void *dev, unsigned int bar, struct vfio_bar_info *out);
	/* An access to BAR @bar at @off through the kernel (no mapping). */
	int (*bar_rw)(void *dev, unsigned int bar, uint64_t off, void *buf, uint32_t len,
		      bool write);
	/* Map the whole BAR; NULL when it cannot be (every access is then trapped). */
	void *(*bar_mmap)(void *dev, unsigned int bar, uint64_t size);
	void (*bar_munmap)(void *dev, unsigned int bar, void *map, uint64_t size);
	/* Have the device signal @fds[i] for MSI-X vector i; @n 0 disables MSI-X. */
	int (*set_msix)(void *dev, const int *fds, unsigned int n);
	/* Function-level reset (FLR or what the kernel has for it): 0 or -errno. */
	int (*reset)(void *dev);
};

/*
 * Build the guest's view of the device and put it on @vm's PCI bus; the
 * device is reset first.  -EINVAL (logged, naming @name) when the device's
 * layout cannot be passed through safely.
 */
int vfio_fn_create(struct vmm_vm *vm, const struct vfio_dev_ops *ops, void *dev, const char *name,
		   struct vfio_fn **out);
/* Off the bus, MSI-X off, BARs unmapped, the device reset. */
void vfio_fn_destroy(struct vfio_fn *fn);

/* What the guest got: vectors offered and the guest's PCI slot (for tests and logs). */
unsigned int vfio_fn_vectors(const struct vfio_fn *fn);
unsigned int vfio_fn_slot(const struct vfio_fn *fn);

#endif
