/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * blk.h - the virtio-blk device (virtio 1.2, section 5.2) on a raw image
 * file: read, write, flush, get-id, discard and write-zeroes, served by one
 * I/O thread per device that sleeps on the queue's kick eventfd, so a
 * request never passes through a vCPU thread (as in Cloud Hypervisor's
 * block device, and Firecracker's before io_uring).
 *
 * Requests are hostile input: the header is copied out of guest memory
 * before it is read, every sector range is checked against the capacity
 * without overflow, data moves with preadv/pwritev straight between the
 * image and the guest buffers the chain walker translated and
 * length-checked (vhost/virtq.h), and a malformed request gets an error
 * status, never a crash; a ring the driver breaks gives DEVICE_NEEDS_RESET.
 */
#ifndef FERRY_VHOST_BLK_H
#define FERRY_VHOST_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "vhost/virtio_dev.h"

/* Feature and status bits, request types and the config layout: the UAPI's. */
#include <linux/virtio_blk.h>

#define VBLK_QUEUE_SIZE 256
#define VBLK_SEG_MAX 126 /* data segments per request, as QEMU offers */
#define VBLK_MAX_REQ (8u << 20) /* bytes of data one request may move */
#define VBLK_SECTOR 512u

struct vblk;

struct vblk_params {
	const char *name; /* for logs and the default serial; copied */
	const char *path; /* the raw image: a regular file or a block device */
	bool readonly; /* VIRTIO_BLK_F_RO, and the image opened read-only */
	const char *serial; /* GET_ID's answer (20 bytes at most); NULL: @name */
	bool manual; /* tests and fuzzers: no I/O thread; vblk_poll() serves the queue */
};

/*
 * Open the image (locked against other writers, as QEMU locks images) and
 * build the device; NULL after logging why.  The image's size, rounded down
 * to whole sectors, is the capacity.
 */
struct vblk *vblk_create(const struct vblk_params *p);
void vblk_destroy(struct vblk *b);
struct virtio_dev *vblk_virtio_dev(struct vblk *b);
uint64_t vblk_capacity(const struct vblk *b); /* in 512-byte sectors */
/* With @manual: serve what the running queue holds, on this thread; -EIO once broken. */
int vblk_poll(struct vblk *b);

#endif
