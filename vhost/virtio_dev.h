/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio_dev.h - the contract between a virtio transport and a virtio device.
 *
 * Transports (vmm/virtio_pci.c for Ferry's own guests; vhost/vhost_user*.c
 * for peers speaking vhost-user) drive devices only through this ops table;
 * devices (vhost/net.c) never call into a transport except through the two
 * callbacks a transport installs in struct virtio_dev.  No device knows which
 * transport carries it, and no transport knows what a virtio-net is.
 *
 * Threads: every op is called from the control side (a vCPU thread handling
 * an MMIO exit, or the vhost-user socket thread) with the transport's device
 * lock held; ops never block on the guest.  The datapath (PMD threads) runs
 * concurrently and is fenced off by the device itself when queues stop.
 */
#ifndef FERRY_VHOST_VIRTIO_DEV_H
#define FERRY_VHOST_VIRTIO_DEV_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct vhost_mem;
struct virtio_dev;

/*
 * Device types (virtio 1.2, section 5: VIRTIO_ID_*), status bits (2.1:
 * VIRTIO_CONFIG_S_*) and reserved feature bits (6: VIRTIO_F_*, with
 * VIRTIO_RING_F_INDIRECT_DESC and VIRTIO_RING_F_EVENT_IDX in virtio_ring.h)
 * come from the kernel's UAPI headers.
 */
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

/*
 * Where a started queue lives and how it signals.  Ring addresses are host
 * virtual addresses the transport has already translated and length-checked
 * against the device's memory map (virtio_ring_layout()), so the device may
 * access the rings directly.  Buffer addresses inside descriptors are
 * guest-physical and are translated per access through the device's struct
 * vhost_mem.
 */
struct virtio_queue_cfg {
	uint16_t size; /* ring size <= the device's maximum (virtio_queue_size_ok()) */
	bool packed; /* VIRTIO_F_RING_PACKED negotiated: the layout of virtio 1.2, 2.8 */
	void *desc; /* descriptor table / packed descriptor ring (host virtual) */
	void *avail; /* driver area: split "available" ring, or packed driver event suppression */
	void *used; /* device area: split "used" ring, or packed device event suppression */
	/*
	 * Where to resume (0 after a reset).  Packed rings keep their wrap
	 * counter in bit 15 (VRING_PACKED_EVENT_F_WRAP_CTR), as vhost-user's
	 * SET/GET_VRING_BASE carry it, so a fresh packed ring starts at 0x8000.
	 */
	uint16_t last_avail_idx;
	uint16_t used_idx; /* ditto for the used side */
	int kick_fd; /* eventfd the driver's notifications arrive on, -1: poll only */
	int call_fd; /* eventfd that interrupts the driver, -1: no interrupts */
	/*
	 * The fds are a peer's too (vhost-user): it shares their open file
	 * descriptions and may make them blocking under us, so the device
	 * writes the call fd through util/fdguard.h and breaks the queue when
	 * the peer blocks it.  Ferry's own ioeventfds and irqfds need no guard.
	 */
	bool peer_fds;
};

struct virtio_dev_ops {
	const char *name; /* device kind for logs, e.g. "virtio-net" */
	uint16_t device_id; /* VIRTIO_ID_* */
	uint16_t (*num_queues)(struct virtio_dev *dev);
	uint16_t (*max_queue_size)(struct virtio_dev *dev, uint16_t qidx);
	uint64_t (*get_features)(struct virtio_dev *dev);
	/* Called when the driver sets FEATURES_OK; a -errno refuses the set. */
	int (*set_features)(struct virtio_dev *dev, uint64_t features);
	/* Device-specific config space (virtio 1.2, section 4.1.4.6). */
	uint32_t (*config_size)(struct virtio_dev *dev);
	void (*config_read)(struct virtio_dev *dev, uint32_t off, void *buf, uint32_t len);
	void (*config_write)(struct virtio_dev *dev, uint32_t off, const void *buf, uint32_t len);
	/* Start serving one queue (at DRIVER_OK, or when a peer enables it). */
	int (*queue_start)(struct virtio_dev *dev, uint16_t qidx,
			   const struct virtio_queue_cfg *cfg);
	/*
	 * Stop serving one queue and return the index to resume from.  When it
	 * returns, no datapath thread touches the queue's rings any more.
	 */
	uint16_t (*queue_stop)(struct virtio_dev *dev, uint16_t qidx);
	/* Replace the interrupt eventfd of a running queue (MSI-X masking). */
	void (*queue_set_call_fd)(struct virtio_dev *dev, uint16_t qidx, int call_fd);
	/* Device reset (virtio 1.2, section 2.4): all queues are stopped first. */
	void (*reset)(struct virtio_dev *dev);
	/*
	 * Optional (network devices): make @mac known to the network, as after a
	 * migration (vhost-user SEND_RARP).  Must not block.
	 */
	void (*announce)(struct virtio_dev *dev, const uint8_t mac[6]);
};

/*
 * The embedded header every virtio device starts with; transports find the
 * device through it and devices find themselves with container_of().
 */
struct virtio_dev {
	const struct virtio_dev_ops *ops;
	struct vhost_mem *mem; /* the guest memory map descriptor buffers live in */
	/* Installed by the transport: raise the configuration-change interrupt. */
	void (*config_changed)(struct virtio_dev *dev);
	/*
	 * Installed by the transport (may be NULL): the device can no longer
	 * serve a queue (the driver broke the ring); the transport reports
	 * DEVICE_NEEDS_RESET (virtio 1.2, 2.1.2).  Any thread may call it, a
	 * PMD included, so it must not block.
	 */
	void (*needs_reset)(struct virtio_dev *dev);
	void *transport; /* the transport's private data for the callback */
};

/* Sizes and alignments of a queue's three areas (virtio 1.2, 2.7 table 2.2, and 2.8.10). */
struct virtio_ring_layout {
	uint64_t desc_len, driver_len, device_len;
	uint64_t desc_align, driver_align, device_align;
};

static inline struct virtio_ring_layout virtio_ring_layout(uint16_t size, bool packed)
{
	if (packed)
		return (struct virtio_ring_layout){ 16ull * size, 4, 4, 16, 4, 4 };
	return (struct virtio_ring_layout){
		16ull * size, 6 + 2ull * size, 6 + 8ull * size, 16, 2, 4
	};
}

/* Split rings need a power of two; packed rings any size (virtio 1.2, 2.7 and 2.8). */
static inline bool virtio_queue_size_ok(uint16_t size, bool packed)
{
	return size && (packed || !(size & (size - 1))) && size <= 32768;
}

/* Where a fresh ring starts: index 0, and for a packed ring both wrap counters at 1. */
static inline uint16_t virtio_ring_start(bool packed)
{
	return packed ? (uint16_t)(1u << VRING_PACKED_EVENT_F_WRAP_CTR) : 0;
}

/*
 * A config_read for devices that keep their config space as a struct: copy
 * the bytes of [@off, @off + @len) that lie inside @cfg, zero the rest
 * (reads past the structure return zeros).
 */
static inline void virtio_config_read_struct(const void *cfg, uint32_t size, uint32_t off,
					     void *buf, uint32_t len)
{
	uint32_t n = 0;

	if (off < size) {
		n = size - off < len ? size - off : len;
		memcpy(buf, (const uint8_t *)cfg + off, n);
	}
	memset((uint8_t *)buf + n, 0, len - n);
}

#endif
