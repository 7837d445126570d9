/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_vqdev.c - libFuzzer harness for the request parsers behind two more
 * guest-driven queues: the virtio-blk device (vhost/blk.c: request headers,
 * sector ranges, discard/write-zeroes ranges, the status byte) and the
 * virtio-net control queue (vhost/net_ctrl.c: command classes, argument
 * lengths, MAC tables, VQ_PAIRS_SET).  Both run thread-less (manual mode),
 * so every input plays the same way, over the unit tests' fake guest memory
 * with its guard pages.  The disk is a 64 KiB file in /tmp.
 *
 * Input: byte 0 picks features (bit 0 EVENT_IDX, 1 INDIRECT, 2 read-only
 * disk); then records of op (1 byte), len (1 byte), len bytes where op % 4 is
 *   0: the guest writes the argument (after a 3-byte offset) into its memory;
 *   1: the disk serves its queue (vblk_poll);
 *   2: the control queue answers its commands (vnet_ctrl_poll);
 *   3: the guest makes descriptor arg[0] available on queue arg[1] & 1
 *      (0 the disk's, 1 the control queue), then the device is polled.
 * Every run starts from fresh devices over memory the previous run left.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_guest.h"
#include "vhost/blk.h"
#include "vhost/net.h"

#define QSIZE 64
#define DISK_BYTES (64 * 1024)

static struct fg_mem g;
static struct fg_vq bq, cq;
static char image[] = "/tmp/ferry-fuzz-vblk-XXXXXX";

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static uint8_t zero[DISK_BYTES];
	int fd = mkstemp(image);

	(void)argc;
	(void)argv;
	if (fd < 0 || write(fd, zero, sizeof(zero)) != (ssize_t)sizeof(zero) || fg_mem_init(&g) ||
	    fg_vq_init(&bq, &g, QSIZE) || fg_vq_init(&cq, &g, QSIZE))
		abort(); /* the harness itself cannot run */
	close(fd);
	return 0;
}

struct devs {
	struct vblk *b;
	struct vnet_dev *n;
};

static void play(void *ctx, uint8_t op, const uint8_t *arg, uint8_t len)
{
	struct devs *d = ctx;

	switch (op % 4) {
	case 0:
		fg_fuzz_write(&g, arg, len);
		break;
	case 1:
		vblk_poll(d->b);
		break;
	case 2:
		vnet_ctrl_poll(d->n);
		break;
	default:
		if (len < 2)
			break;
		fg_vq_publish(arg[1] & 1 ? &cq : &bq, (uint16_t)(arg[0] % QSIZE));
		if (arg[1] & 1)
			vnet_ctrl_poll(d->n);
		else
			vblk_poll(d->b);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t ring = VNET_BIT(VIRTIO_F_VERSION_1);
	struct vnet_params np = { .name = "fz", .queue_pairs = 2, .manual_ctrl = true };
	struct virtio_queue_cfg qc;
	struct vblk *b;
	struct vnet_dev *n;

	if (!size)
		return 0;
	ring |= (data[0] & 1) ? VNET_BIT(VIRTIO_RING_F_EVENT_IDX) : 0;
	ring |= (data[0] & 2) ? VNET_BIT(VIRTIO_RING_F_INDIRECT_DESC) : 0;
	b = vblk_create(&(struct vblk_params){
		.name = "fz", .path = image, .readonly = data[0] & 4, .manual = true });
	n = vnet_create(&np);
	if (!b || !n)
		abort();
	vblk_virtio_dev(b)->mem = g.map;
	vnet_virtio_dev(n)->mem = g.map;
	vblk_virtio_dev(b)->ops->set_features(vblk_virtio_dev(b),
					      ring | VNET_BIT(VIRTIO_BLK_F_FLUSH) |
						      VNET_BIT(VIRTIO_BLK_F_DISCARD) |
						      VNET_BIT(VIRTIO_BLK_F_WRITE_ZEROES));
	vnet_virtio_dev(n)->ops->set_features(vnet_virtio_dev(n), ring | VNET_FEATURES_CTRL);
	fg_vq_cfg(&bq, &qc);
	qc.last_avail_idx = qc.used_idx = 0;
	vblk_virtio_dev(b)->ops->queue_start(vblk_virtio_dev(b), 0, &qc);
	fg_vq_cfg(&cq, &qc);
	qc.last_avail_idx = qc.used_idx = 0;
	vnet_virtio_dev(n)->ops->queue_start(vnet_virtio_dev(n), 4, &qc);
	fg_fuzz_records(data + 1, size - 1, play, &(struct devs){ b, n });
	vblk_destroy(b);
	vnet_destroy(n);
	return 0;
}
