/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio_pci.c - the virtio-pci modern transport (see virtio_pci.h).
 *
 * Security model: the guest driver is hostile.  Every register write is
 * validated before it changes state; ring addresses are translated with
 * their full lengths through the VM's memory map before a device sees them;
 * a driver that hands over bad rings gets DEVICE_NEEDS_RESET, never a crash.
 *
 * BAR 0 layout (64-bit memory BAR, VP_BAR_SIZE bytes):
 *   0x0000 common configuration (4.1.4.3)    0x3000 notify addresses, 4 bytes apart
 *   0x1000 ISR status (4.1.4.5)              0x4000 MSI-X table (16 bytes per vector)
 *   0x2000 device-specific configuration     0x6000 MSI-X PBA
 *
 * Locking: vp->lock serialises guest register accesses (from any vCPU) and
 * the device ops they trigger.  The device's config_changed callback may run
 * on any thread, with or without the lock, so what it touches is atomic.
 */
#include <errno.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/virtio_pci.h>

#include "util/log.h"
#include "vhost/mem.h"
#include "vhost/virtio_dev.h"
#include "vmm/iotrap.h"
#include "vmm/irq.h"
#include "vmm/mem.h"
#include "vmm/msix.h"
#include "vmm/pci.h"
#include "vmm/virtio_pci.h"
#include "vmm/vmm.h"

#define VP_BAR_SIZE 0x8000
#define VP_COMMON_OFF 0x0000
#define VP_COMMON_LEN 0x40
#define VP_ISR_OFF 0x1000
#define VP_DEVICE_OFF 0x2000
#define VP_DEVICE_LEN 0x1000
#define VP_NOTIFY_OFF 0x3000
#define VP_NOTIFY_LEN 0x1000
#define VP_NOTIFY_MULT 4
#define VP_MSIX_OFF 0x4000
#define VP_PBA_OFF 0x6000
#define VP_MAX_QUEUES (VP_NOTIFY_LEN / VP_NOTIFY_MULT)

/* Red Hat's vendor ID, which virtio devices use (4.1.2); not in the UAPI headers. */
#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040 /* + device type: modern-only IDs (4.1.2.1) */

/*
 * The capability types (VIRTIO_PCI_CAP_*_CFG, 4.1.4), their field offsets
 * (VIRTIO_PCI_CAP_*) and the common configuration's field offsets
 * (VIRTIO_PCI_COMMON_*, 4.1.4.3) are the UAPI's (linux/virtio_pci.h).  The
 * ISR's queue bit has no UAPI name; its config bit is VIRTIO_PCI_ISR_CONFIG.
 */
#define VP_ISR_QUEUE 0x1

/* Transport features this transport does not implement: never offered. */
#define VP_FEATURES_BLOCKED                                                       \
	((1ull << VIRTIO_F_ACCESS_PLATFORM) | (1ull << 36) /* ORDER_PLATFORM */ | \
	 (1ull << 37) /* SR_IOV */ | (1ull << 38) /* NOTIFICATION_DATA */ |       \
	 (1ull << 39) /* NOTIF_CONFIG_DATA */ | (1ull << 40) /* RING_RESET */)

struct vp_queue {
	uint16_t size; /* as the driver set it (starts at max_size) */
	uint16_t max_size;
	uint16_t vector; /* MSI-X vector or MSIX_NO_VECTOR */
	bool enabled; /* the driver wrote queue_enable = 1 */
	bool running; /* the device serves it */
	uint64_t desc, driver, device; /* guest-physical ring addresses */
	int kick_fd; /* eventfd behind the queue's ioeventfd */
};

struct virtio_pci {
	struct pci_dev pci; /* embedded header on the VM's PCI bus */
	struct vmm_vm *vm;
	struct virtio_dev *dev;
	struct vhost_mem *mem; /* the VM's RAM as the device sees it */
	char name[32];
	struct mutex lock;
	uint32_t dfselect GUARDED; /* device_feature_select */
	uint32_t gfselect GUARDED; /* driver_feature_select */
	uint64_t driver_features GUARDED;
	uint8_t status GUARDED;
	uint16_t queue_select GUARDED;
	uint16_t nqueues; /* from the device, fixed */
	struct vp_queue *q; /* GUARDED by lock; an array, so not annotated */
	struct msix msix; /* vector i: queue i; the last vector: config */
	_Atomic uint16_t config_vector;
	atomic_bool needs_reset; /* the device broke down: DEVICE_NEEDS_RESET until reset */
	atomic_uchar isr;
	atomic_uchar config_gen;
	uint8_t msix_cap; /* config offsets of our capabilities */
	uint8_t cfg_cap;
	uint64_t bar_addr; /* where BAR 0 is mapped (while mapped) */
};

static uint64_t vp_get(const uint8_t *p, unsigned int len)
{
	uint64_t v = 0;

	memcpy(&v, p, len);
	return v;
}

static void vp_put(uint8_t *p, uint64_t v, unsigned int len)
{
	memcpy(p, &v, len);
}

/* ---- queues ---- */

/* Translate one ring with its whole length; NULL if it is not RAM. */
static void *vp_ring(struct virtio_pci *vp, uint64_t gpa, uint64_t len, uint64_t align)
{
	uint64_t got = len;
	void *p;

	if (gpa & (align - 1))
		return NULL;
	p = vhost_mem_gpa_to_hva(vp->mem, gpa, &got);
	return p && got >= len ? p : NULL;
}

static int vp_queue_start(struct virtio_pci *vp, uint16_t i) REQUIRES(vp->lock)
{
	struct vp_queue *q = &vp->q[i];
	bool packed = vp->driver_features & (1ull << VIRTIO_F_RING_PACKED);
	struct virtio_queue_cfg cfg = {
		.size = q->size,
		.packed = packed,
		/* A queue starts fresh at DRIVER_OK: both wrap counters at 1 for a packed one. */
		.last_avail_idx = virtio_ring_start(packed),
		.used_idx = virtio_ring_start(packed),
		.kick_fd = q->kick_fd,
		.call_fd = msix_vector_fd(&vp->msix, q->vector),
	};
	struct virtio_ring_layout l = virtio_ring_layout(q->size, packed);
	int ret;

	if (!virtio_queue_size_ok(q->size, packed) || q->size > q->max_size) {
		LOG_RL(LOG_LVL_WARN, "virtio-pci", "%s: queue %u: bad size %u", vp->name, i,
		       q->size);
		return -EINVAL;
	}
	cfg.desc = vp_ring(vp, q->desc, l.desc_len, l.desc_align);
	cfg.avail = vp_ring(vp, q->driver, l.driver_len, l.driver_align);
	cfg.used = vp_ring(vp, q->device, l.device_len, l.device_align);
	if (!cfg.desc || !cfg.avail || !cfg.used) {
		LOG_RL(LOG_LVL_WARN, "virtio-pci", "%s: queue %u: rings outside guest RAM",
		       vp->name, i);
		return -EFAULT;
	}
	ret = vp->dev->ops->queue_start(vp->dev, i, &cfg);
	if (!ret)
		q->running = true;
	return ret;
}

static void vp_queue_stop(struct virtio_pci *vp, uint16_t i) REQUIRES(vp->lock)
{
	if (!vp->q[i].running)
		return;
	vp->dev->ops->queue_stop(vp->dev, i);
	vp->q[i].running = false;
}

static void vp_raise_config(struct virtio_pci *vp)
{
	atomic_fetch_or(&vp->isr, VIRTIO_PCI_ISR_CONFIG);
	msix_notify(&vp->msix, atomic_load(&vp->config_vector));
}

/* Any thread (a PMD finding a broken ring): atomics and an eventfd write only. */
static void vp_needs_reset(struct virtio_dev *dev)
{
	struct virtio_pci *vp = dev->transport;

	if (!atomic_exchange(&vp->needs_reset, true))
		vp_raise_config(vp);
}

/* The driver set DRIVER_OK: serve every enabled queue, or ask for a reset. */
static void vp_driver_ok(struct virtio_pci *vp) REQUIRES(vp->lock)
{
	for (uint16_t i = 0; i < vp->nqueues; i++) {
		if (!vp->q[i].enabled || vp->q[i].running)
			continue;
		if (vp_queue_start(vp, i)) {
			vp_needs_reset(vp->dev);
			return;
		}
	}
}

static void vp_reset(struct virtio_pci *vp) REQUIRES(vp->lock)
{
	for (uint16_t i = 0; i < vp->nqueues; i++)
		vp_queue_stop(vp, i);
	vp->dev->ops->reset(vp->dev);
	for (uint16_t i = 0; i < vp->nqueues; i++) {
		struct vp_queue *q = &vp->q[i];

		q->size = q->max_size;
		q->vector = MSIX_NO_VECTOR;
		q->enabled = false;
		q->desc = q->driver = q->device = 0;
	}
	vp->dfselect = vp->gfselect = 0;
	vp->driver_features = 0;
	vp->status = 0;
	vp->queue_select = 0;
	atomic_store(&vp->config_vector, MSIX_NO_VECTOR);
	atomic_store(&vp->isr, 0);
	atomic_store(&vp->needs_reset, false);
}

static uint64_t vp_device_features(struct virtio_pci *vp)
{
	return vp->dev->ops->get_features(vp->dev) & ~VP_FEATURES_BLOCKED;
}

/* FEATURES_OK: accept only a subset of what we offer, with VERSION_1 (4.1.3). */
static bool vp_features_ok(struct virtio_pci *vp) REQUIRES(vp->lock)
{
	uint64_t f = vp->driver_features;

	if ((f & ~vp_device_features(vp)) || !(f & (1ull << VIRTIO_F_VERSION_1)))
		return false;
	return vp->dev->ops->set_features(vp->dev, f) == 0;
}

static void vp_write_status(struct virtio_pci *vp, uint8_t v) REQUIRES(vp->lock)
{
	uint8_t added = (uint8_t)(v & ~vp->status);

	if (v == 0) {
		vp_reset(vp);
		return;
	}
	if ((added & VIRTIO_CONFIG_S_FEATURES_OK) && !vp_features_ok(vp))
		added &=
			(uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK; /* the driver re-reads and sees no */
	/* Bits are only ever added until a reset (2.1); NEEDS_RESET is the device's. */
	vp->status |= added & (uint8_t)~VIRTIO_CONFIG_S_NEEDS_RESET;
	if ((added & VIRTIO_CONFIG_S_DRIVER_OK) && (vp->status & VIRTIO_CONFIG_S_FEATURES_OK))
		vp_driver_ok(vp);
}

/* ---- the common configuration structure (4.1.4.3) ---- */

static struct vp_queue *vp_selected(struct virtio_pci *vp) REQUIRES(vp->lock)
{
	return vp->queue_select < vp->nqueues ? &vp->q[vp->queue_select] : NULL;
}

static void vp_common_image(struct virtio_pci *vp, uint8_t *img) REQUIRES(vp->lock)
{
	struct vp_queue *q = vp_selected(vp);
	uint64_t df = vp_device_features(vp);

	memset(img, 0, VP_COMMON_LEN);
	vp_put(img + VIRTIO_PCI_COMMON_DFSELECT, vp->dfselect, 4);
	vp_put(img + VIRTIO_PCI_COMMON_DF,
	       vp->dfselect < 2 ? (uint32_t)(df >> (32 * vp->dfselect)) : 0, 4);
	vp_put(img + VIRTIO_PCI_COMMON_GFSELECT, vp->gfselect, 4);
	vp_put(img + VIRTIO_PCI_COMMON_GF,
	       vp->gfselect < 2 ? (uint32_t)(vp->driver_features >> (32 * vp->gfselect)) : 0, 4);
	vp_put(img + VIRTIO_PCI_COMMON_MSIX, atomic_load(&vp->config_vector), 2);
	vp_put(img + VIRTIO_PCI_COMMON_NUMQ, vp->nqueues, 2);
	img[VIRTIO_PCI_COMMON_STATUS] =
		(uint8_t)(vp->status |
			  (atomic_load(&vp->needs_reset) ? VIRTIO_CONFIG_S_NEEDS_RESET : 0));
	img[VIRTIO_PCI_COMMON_CFGGENERATION] = atomic_load(&vp->config_gen);
	vp_put(img + VIRTIO_PCI_COMMON_Q_SELECT, vp->queue_select, 2);
	if (!q)
		return; /* a queue that does not exist reads as size 0 */
	vp_put(img + VIRTIO_PCI_COMMON_Q_SIZE, q->size, 2);
	vp_put(img + VIRTIO_PCI_COMMON_Q_MSIX, q->vector, 2);
	vp_put(img + VIRTIO_PCI_COMMON_Q_ENABLE, q->enabled, 2);
	vp_put(img + VIRTIO_PCI_COMMON_Q_NOFF, vp->queue_select,
	       2); /* queue_notify_off: one slot each */
	vp_put(img + VIRTIO_PCI_COMMON_Q_DESCLO, q->desc, 8);
	vp_put(img + VIRTIO_PCI_COMMON_Q_AVAILLO, q->driver, 8);
	vp_put(img + VIRTIO_PCI_COMMON_Q_USEDLO, q->device, 8);
}

static uint16_t vp_valid_vector(struct virtio_pci *vp, uint64_t v)
{
	/* A vector the table does not have reads back as NO_VECTOR (4.1.4.3.2). */
	return v < vp->msix.n ? (uint16_t)v : MSIX_NO_VECTOR;
}

static void vp_write_queue_field(struct virtio_pci *vp, unsigned int off, uint64_t v)
	REQUIRES(vp->lock)
{
	struct vp_queue *q = vp_selected(vp);
	bool live = vp->status & VIRTIO_CONFIG_S_DRIVER_OK;

	if (!q || q->running)
		return; /* a running queue's setup is frozen */
	if (off == VIRTIO_PCI_COMMON_Q_SIZE)
		q->size = (uint16_t)v;
	else if (off == VIRTIO_PCI_COMMON_Q_MSIX)
		q->vector = vp_valid_vector(vp, v);
	else if (off == VIRTIO_PCI_COMMON_Q_DESCLO)
		q->desc = v;
	else if (off == VIRTIO_PCI_COMMON_Q_AVAILLO)
		q->driver = v;
	else if (off == VIRTIO_PCI_COMMON_Q_USEDLO)
		q->device = v;
	else if (off == VIRTIO_PCI_COMMON_Q_ENABLE && v == 1)
		q->enabled = true;
	/* Enabling after DRIVER_OK starts the queue at once. */
	if (off == VIRTIO_PCI_COMMON_Q_ENABLE && v == 1 && live &&
	    vp_queue_start(vp, vp->queue_select))
		vp_needs_reset(vp->dev);
}

static void vp_write_field(struct virtio_pci *vp, unsigned int off, const uint8_t *img)
	REQUIRES(vp->lock)
{
	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		vp->dfselect = (uint32_t)vp_get(img + off, 4);
		break;
	case VIRTIO_PCI_COMMON_GFSELECT:
		vp->gfselect = (uint32_t)vp_get(img + off, 4);
		break;
	case VIRTIO_PCI_COMMON_GF:
		if (vp->gfselect < 2 && !(vp->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
			unsigned int sh = 32 * vp->gfselect;

			vp->driver_features &= ~(0xffffffffull << sh);
			vp->driver_features |= vp_get(img + off, 4) << sh;
		}
		break;
	case VIRTIO_PCI_COMMON_MSIX:
		atomic_store(&vp->config_vector, vp_valid_vector(vp, vp_get(img + off, 2)));
		break;
	case VIRTIO_PCI_COMMON_STATUS:
		vp_write_status(vp, img[off]);
		break;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		vp->queue_select = (uint16_t)vp_get(img + off, 2);
		break;
	case VIRTIO_PCI_COMMON_Q_SIZE:
	case VIRTIO_PCI_COMMON_Q_MSIX:
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		vp_write_queue_field(vp, off, vp_get(img + off, 2));
		break;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_USEDLO:
		vp_write_queue_field(vp, off, vp_get(img + off, 8));
		break;
	default: /* read-only fields */
		break;
	}
}

/* Writable fields and their sizes, so any access width updates whole fields. */
static const struct {
	uint8_t off;
	uint8_t len;
} vp_fields[] = {
	{ VIRTIO_PCI_COMMON_DFSELECT, 4 },  { VIRTIO_PCI_COMMON_GFSELECT, 4 },
	{ VIRTIO_PCI_COMMON_GF, 4 },	    { VIRTIO_PCI_COMMON_MSIX, 2 },
	{ VIRTIO_PCI_COMMON_STATUS, 1 },    { VIRTIO_PCI_COMMON_Q_SELECT, 2 },
	{ VIRTIO_PCI_COMMON_Q_SIZE, 2 },    { VIRTIO_PCI_COMMON_Q_MSIX, 2 },
	{ VIRTIO_PCI_COMMON_Q_ENABLE, 2 },  { VIRTIO_PCI_COMMON_Q_DESCLO, 8 },
	{ VIRTIO_PCI_COMMON_Q_AVAILLO, 8 }, { VIRTIO_PCI_COMMON_Q_USEDLO, 8 },
};

static void vp_common_access(struct virtio_pci *vp, uint64_t off, uint8_t *data, uint32_t len,
			     bool is_write) REQUIRES(vp->lock)
{
	uint8_t img[VP_COMMON_LEN];

	vp_common_image(vp, img);
	if (!is_write) {
		memcpy(data, img + off, len);
		return;
	}
	memcpy(img + off, data, len);
	for (size_t i = 0; i < ARRAY_SIZE(vp_fields); i++)
		if (vp_fields[i].off < off + len &&
		    off < (uint64_t)vp_fields[i].off + vp_fields[i].len)
			vp_write_field(vp, vp_fields[i].off, img);
}

/* ---- BAR 0 ---- */

static void vp_device_cfg(struct virtio_pci *vp, uint64_t off, uint8_t *data, uint32_t len,
			  bool is_write) REQUIRES(vp->lock)
{
	uint32_t size = vp->dev->ops->config_size(vp->dev);

	if (off + len > size) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (is_write)
		vp->dev->ops->config_write(vp->dev, (uint32_t)off, data, len);
	else
		vp->dev->ops->config_read(vp->dev, (uint32_t)off, data, len);
}

static void vp_notify(struct virtio_pci *vp, uint64_t off)
{
	uint64_t q = off / VP_NOTIFY_MULT, one = 1;

	/* Reached only when no ioeventfd matched (e.g. a 4-byte write): kick by hand. */
	if (q < vp->nqueues && write(vp->q[q].kick_fd, &one, sizeof(one)) < 0)
		LOG_RL(LOG_LVL_WARN, "virtio-pci", "%s: kick: %s", vp->name, strerror(errno));
}

static void vp_bar_access(struct virtio_pci *vp, uint64_t off, uint8_t *data, uint32_t len,
			  bool is_write)
{
	mutex_lock(&vp->lock);
	if (off < VP_COMMON_OFF + VP_COMMON_LEN && off + len <= VP_COMMON_LEN) {
		vp_common_access(vp, off, data, len, is_write);
	} else if (off >= VP_ISR_OFF && off < VP_ISR_OFF + 4) {
		if (!is_write) { /* reading ISR acknowledges it (4.1.4.5) */
			memset(data, 0, len);
			data[0] = off == VP_ISR_OFF ? atomic_exchange(&vp->isr, 0) : 0;
		}
	} else if (off >= VP_DEVICE_OFF && off < VP_DEVICE_OFF + VP_DEVICE_LEN) {
		vp_device_cfg(vp, off - VP_DEVICE_OFF, data, len, is_write);
	} else if (off >= VP_NOTIFY_OFF && off < VP_NOTIFY_OFF + VP_NOTIFY_LEN) {
		if (is_write)
			vp_notify(vp, off - VP_NOTIFY_OFF);
		else
			memset(data, 0, len);
	} else if (off >= VP_MSIX_OFF && off < VP_PBA_OFF) {
		msix_table_access(&vp->msix, off - VP_MSIX_OFF, data, len, is_write);
	} else if (off >= VP_PBA_OFF && !is_write) {
		msix_pba_read(&vp->msix, off - VP_PBA_OFF, data, len);
	} else if (!is_write) {
		memset(data, 0, len);
	}
	mutex_unlock(&vp->lock);
}

static void vp_bar_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	vp_bar_access(opaque, off, data, len, is_write);
}

static uint64_t vp_notify_addr(struct virtio_pci *vp, uint64_t bar, uint16_t q)
{
	(void)vp;
	return bar + VP_NOTIFY_OFF + (uint64_t)q * VP_NOTIFY_MULT;
}

static int vp_bar_map(struct pci_dev *pci, unsigned int bar, uint64_t addr)
{
	struct virtio_pci *vp = container_of(pci, struct virtio_pci, pci);
	int vm_fd = vmm_vm_fd(vp->vm), ret;

	(void)bar;
	ret = iotrap_register(vmm_vm_mmio(vp->vm), addr, VP_BAR_SIZE, vp_bar_io, vp);
	if (ret)
		return ret;
	/* The driver writes the 16-bit queue index (4.1.5.2): match 2-byte writes. */
	for (uint16_t q = 0; q < vp->nqueues; q++)
		if (irq_ioeventfd_assign(vm_fd, vp->q[q].kick_fd, vp_notify_addr(vp, addr, q), 2))
			LOG_WARN("virtio-pci", "%s: queue %u kicks will exit (no ioeventfd)",
				 vp->name, q);
	vp->bar_addr = addr;
	return 0;
}

static void vp_bar_unmap(struct pci_dev *pci, unsigned int bar, uint64_t addr)
{
	struct virtio_pci *vp = container_of(pci, struct virtio_pci, pci);
	int vm_fd = vmm_vm_fd(vp->vm);

	(void)bar;
	for (uint16_t q = 0; q < vp->nqueues; q++)
		irq_ioeventfd_deassign(vm_fd, vp->q[q].kick_fd, vp_notify_addr(vp, addr, q), 2);
	iotrap_unregister(vmm_vm_mmio(vp->vm), addr);
}

/* ---- PCI config space: MSI-X control and the PCI_CFG access window ---- */

/*
 * struct virtio_pci_cfg_cap (4.1.4.9): a window onto BAR 0 through config
 * space; the largest capability this transport adds, so its size bounds them.
 */
#define CFG_CAP_DATA offsetof(struct virtio_pci_cfg_cap, pci_cfg_data)
#define CFG_CAP_LEN sizeof(struct virtio_pci_cfg_cap)

/* The window's target, if the driver set a valid one (else false). */
static bool vp_cfg_window(struct virtio_pci *vp, uint32_t *boff, uint32_t *blen)
{
	const uint8_t *c = vp->pci.cfg + vp->cfg_cap;

	*boff = (uint32_t)vp_get(c + VIRTIO_PCI_CAP_OFFSET, 4);
	*blen = (uint32_t)vp_get(c + VIRTIO_PCI_CAP_LENGTH, 4);
	return c[VIRTIO_PCI_CAP_BAR] == 0 && (*blen == 1 || *blen == 2 || *blen == 4) &&
	       *boff % *blen == 0 && *boff < VP_BAR_SIZE;
}

static void vp_cfg_written(struct pci_dev *pci, uint32_t off, uint32_t len)
{
	struct virtio_pci *vp = container_of(pci, struct virtio_pci, pci);
	uint32_t boff, blen;
	uint16_t ctrl;

	if (pci_overlaps(off, len, vp->msix_cap + 2, 2)) {
		ctrl = (uint16_t)vp_get(pci->cfg + vp->msix_cap + 2, 2);
		mutex_lock(&vp->lock);
		msix_set_control(&vp->msix, ctrl & 0x8000, ctrl & 0x4000);
		mutex_unlock(&vp->lock);
	}
	if (pci_overlaps(off, len, vp->cfg_cap + CFG_CAP_DATA, 4) &&
	    vp_cfg_window(vp, &boff, &blen))
		vp_bar_access(vp, boff, pci->cfg + vp->cfg_cap + CFG_CAP_DATA, blen, true);
}

static void vp_cfg_read(struct pci_dev *pci, uint32_t off, uint32_t len)
{
	struct virtio_pci *vp = container_of(pci, struct virtio_pci, pci);
	uint32_t boff, blen;

	if (pci_overlaps(off, len, vp->cfg_cap + CFG_CAP_DATA, 4) &&
	    vp_cfg_window(vp, &boff, &blen))
		vp_bar_access(vp, boff, pci->cfg + vp->cfg_cap + CFG_CAP_DATA, blen, false);
}

static const struct pci_dev_ops vp_pci_ops = {
	.bar_map = vp_bar_map,
	.bar_unmap = vp_bar_unmap,
	.cfg_written = vp_cfg_written,
	.cfg_read = vp_cfg_read,
};

/* A struct virtio_pci_cap (4.1.4) for one structure in BAR 0. */
static int vp_add_vcap(struct virtio_pci *vp, uint8_t type, uint32_t off, uint32_t len,
		       uint8_t caplen)
{
	uint8_t cap[CFG_CAP_LEN] = { PCI_CAP_ID_VNDR, 0, caplen, type, 0 };
	uint8_t mask[CFG_CAP_LEN] = { 0 };

	vp_put(cap + VIRTIO_PCI_CAP_OFFSET, off, 4);
	vp_put(cap + VIRTIO_PCI_CAP_LENGTH, len, 4);
	if (type == VIRTIO_PCI_CAP_NOTIFY_CFG)
		vp_put(cap + offsetof(struct virtio_pci_notify_cap, notify_off_multiplier),
		       VP_NOTIFY_MULT, 4);
	if (type == VIRTIO_PCI_CAP_PCI_CFG) { /* bar, offset, length and data are the driver's */
		mask[VIRTIO_PCI_CAP_BAR] = 0xff;
		memset(mask + VIRTIO_PCI_CAP_OFFSET, 0xff, 12);
	}
	return pci_dev_add_cap(&vp->pci, cap, mask, caplen);
}

static int vp_add_msix_cap(struct virtio_pci *vp)
{
	uint8_t cap[12] = { PCI_CAP_ID_MSIX, 0 }, mask[12] = { 0 };

	vp_put(cap + PCI_MSIX_FLAGS, vp->msix.n - 1, 2); /* table size - 1 */
	vp_put(cap + PCI_MSIX_TABLE, VP_MSIX_OFF, 4); /* BIR 0 */
	vp_put(cap + PCI_MSIX_PBA, VP_PBA_OFF, 4);
	mask[3] = 0xc0; /* MSI-X Enable and Function Mask */
	return pci_dev_add_cap(&vp->pci, cap, mask, sizeof(cap));
}

static int vp_setup_config_space(struct virtio_pci *vp)
{
	uint16_t type = vp->dev->ops->device_id;
	int off;

	pci_dev_init(&vp->pci, vp->name, VIRTIO_PCI_VENDOR, VIRTIO_PCI_DEVICE_BASE + type,
		     type == VIRTIO_ID_NET ? 0x020000 : 0xff0000, VIRTIO_PCI_VENDOR, 0x40);
	vp->pci.cfg[PCI_REVISION_ID] = 1; /* modern device (4.1.2.1) */
	vp->pci.ops = &vp_pci_ops;
	if (pci_dev_add_bar(&vp->pci, 0, VP_BAR_SIZE, PCI_BASE_ADDRESS_MEM_TYPE_64) ||
	    vp_add_vcap(vp, VIRTIO_PCI_CAP_COMMON_CFG, VP_COMMON_OFF, VP_COMMON_LEN, 16) < 0 ||
	    vp_add_vcap(vp, VIRTIO_PCI_CAP_NOTIFY_CFG, VP_NOTIFY_OFF, VP_NOTIFY_MULT * vp->nqueues,
			20) < 0 ||
	    vp_add_vcap(vp, VIRTIO_PCI_CAP_ISR_CFG, VP_ISR_OFF, 1, 16) < 0 ||
	    vp_add_vcap(vp, VIRTIO_PCI_CAP_DEVICE_CFG, VP_DEVICE_OFF,
			MAX(1u, vp->dev->ops->config_size(vp->dev)), 16) < 0)
		return -ENOSPC;
	off = vp_add_vcap(vp, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, CFG_CAP_LEN);
	if (off < 0)
		return off;
	vp->cfg_cap = (uint8_t)off;
	off = vp_add_msix_cap(vp);
	if (off < 0)
		return off;
	vp->msix_cap = (uint8_t)off;
	return 0;
}

/* ---- life cycle ---- */

static void vp_config_changed(struct virtio_dev *dev)
{
	struct virtio_pci *vp = dev->transport;

	atomic_fetch_add(&vp->config_gen, 1);
	vp_raise_config(vp);
}

static struct vhost_mem *vp_build_mem(struct vmm_vm *vm)
{
	const struct vmm_mem *m = vmm_vm_mem(vm);
	struct vhost_mem *vm_map = vhost_mem_create(m->nslots);

	for (unsigned int i = 0; vm_map && i < m->nslots; i++) {
		struct vhost_mem_region r = {
			.gpa = m->slots[i].gpa,
			.size = m->slots[i].size,
			.uaddr = (uint64_t)(uintptr_t)m->slots[i].hva,
			.hva = m->slots[i].hva,
			/* A vhost-user frontend hands these to its backend; not owned here. */
			.fd = m->fd,
			.fd_offset = m->slots[i].fd_offset,
		};

		if (vhost_mem_add_region(vm_map, &r)) {
			vhost_mem_destroy(vm_map);
			return NULL;
		}
	}
	return vm_map;
}

static int vp_init_queues(struct virtio_pci *vp)
{
	vp->q = calloc(vp->nqueues, sizeof(*vp->q));
	if (!vp->q)
		return -ENOMEM;
	/* Every fd -1 before the first eventfd(): a failure part-way must not close fd 0. */
	for (uint16_t i = 0; i < vp->nqueues; i++)
		vp->q[i].kick_fd = -1;
	for (uint16_t i = 0; i < vp->nqueues; i++) {
		struct vp_queue *q = &vp->q[i];

		q->max_size = vp->dev->ops->max_queue_size(vp->dev, i);
		q->size = q->max_size;
		q->vector = MSIX_NO_VECTOR;
		q->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (q->kick_fd < 0)
			return -errno;
	}
	return 0;
}

static void vp_free(struct virtio_pci *vp)
{
	for (uint16_t i = 0; vp->q && i < vp->nqueues; i++)
		if (vp->q[i].kick_fd >= 0)
			close(vp->q[i].kick_fd);
	free(vp->q);
	msix_fini(&vp->msix);
	vhost_mem_destroy(vp->mem);
	mutex_destroy(&vp->lock);
	free(vp);
}

struct virtio_pci *virtio_pci_create(struct vmm_vm *vm, struct virtio_dev *dev, const char *name)
{
	struct virtio_pci *vp = calloc(1, sizeof(*vp));
	int ret;

	if (!vp)
		return NULL;
	mutex_init(&vp->lock);
	vp->vm = vm;
	vp->dev = dev;
	snprintf(vp->name, sizeof(vp->name), "%s", name);
	atomic_init(&vp->config_vector, MSIX_NO_VECTOR);
	vp->nqueues = dev->ops->num_queues(dev);
	vp->mem = vp_build_mem(vm);
	ret = !vp->mem ? -ENOMEM : vp->nqueues == 0 || vp->nqueues > VP_MAX_QUEUES ? -EINVAL : 0;
	if (!ret)
		ret = vp_init_queues(vp);
	if (!ret)
		ret = msix_init(&vp->msix, vmm_vm_irq(vm), vmm_vm_fd(vm), vp->nqueues + 1u);
	if (!ret)
		ret = vp_setup_config_space(vp);
	if (ret)
		goto err_free;
	dev->mem = vp->mem;
	dev->transport = vp;
	dev->config_changed = vp_config_changed;
	dev->needs_reset = vp_needs_reset;
	ret = pci_dev_register(vmm_vm_pci(vm), &vp->pci);
	if (ret)
		goto err_free;
	return vp;
err_free:
	LOG_ERR("virtio-pci", "%s: cannot create the %s transport: %s", name, dev->ops->name,
		strerror(-ret));
	dev->config_changed = NULL;
	dev->needs_reset = NULL;
	vp_free(vp);
	return NULL;
}

void virtio_pci_destroy(struct virtio_pci *vp)
{
	if (!vp)
		return;
	mutex_lock(&vp->lock);
	for (uint16_t i = 0; i < vp->nqueues; i++)
		vp_queue_stop(vp, i);
	mutex_unlock(&vp->lock);
	pci_dev_unregister(vmm_vm_pci(vp->vm), &vp->pci);
	vp->dev->config_changed = NULL;
	vp->dev->needs_reset = NULL;
	vp->dev->mem = NULL;
	vp_free(vp);
}
