/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_copy.c - copy-through micro-benchmark of the virtio-net datapath:
 * one fake guest (fake_guest.h) transmits 64-byte frames, the device
 * dequeues them into mbufs and enqueues them into a second fake guest's
 * receive buffers, and both fake drivers recycle their buffers at once.
 * Both guests poll (VRING_AVAIL_F_NO_INTERRUPT), like DPDK virtio-user.
 *
 * Prints ns/packet for the device side alone (dequeue + enqueue + mbuf
 * free, timed with the TSC) and for the whole loop; asserts nothing, since
 * timing on a shared machine is noise-prone (docs/hosts.md).  Run by hand or
 * with `meson test --benchmark vhost_copy_through`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_guest.h"
#include "vhost/net.h"
#include "vhost/net_priv.h"

#include <rte_cycles.h>
#include <rte_mbuf.h>

#define QSIZE 256
#define BURST 32
#define FRAME 64
#define PACKETS (10u * 1000u * 1000u)

struct bench_dev {
	struct vnet_dev *dev; /* the device */
	struct fg_vq q[2]; /* the fake driver's receiveq and transmitq */
};

static struct fg_mem g;

static int bench_dev_init(struct bench_dev *b, uint64_t features)
{
	struct vnet_params p = { .name = "bench", .max_queue_size = QSIZE };
	struct virtio_dev *vd;
	struct virtio_queue_cfg cfg;
	uint16_t i;

	b->dev = vnet_create(&p);
	if (!b->dev)
		return -1;
	vd = vnet_virtio_dev(b->dev);
	vd->mem = g.map;
	if (vd->ops->set_features(vd, features))
		return -1;
	for (i = 0; i < 2; i++) {
		if (fg_vq_init(&b->q[i], &g, QSIZE))
			return -1;
		/* Poll-mode drivers: no interrupts wanted. */
		b->q[i].avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
		fg_vq_cfg(&b->q[i], &cfg);
		if (vd->ops->queue_start(vd, i, &cfg))
			return -1;
	}
	return 0;
}

/* Fill the source's transmitq with 64-byte frames and the sink's receiveq with 2 KiB buffers. */
static void post_buffers(struct bench_dev *src, struct bench_dev *dst)
{
	unsigned int i;

	for (i = 0; i < QSIZE; i++) {
		uint64_t gpa = fg_alloc(&g, VNET_HDR_LEN + FRAME, 64);
		struct fg_buf tx = { gpa, VNET_HDR_LEN + FRAME, false };
		struct fg_buf rx = { fg_alloc(&g, 2048, 64), 2048, true };
		uint8_t *p = fg_ptr(&g, gpa);

		memset(p, 0, VNET_HDR_LEN);
		memset(p + VNET_HDR_LEN, 0xab, FRAME);
		fg_vq_add(&src->q[1], &tx, 1);
		fg_vq_add(&dst->q[0], &rx, 1);
	}
}

/* The fake driver gives every returned chain straight back. */
static void recycle(struct fg_vq *q)
{
	uint32_t id, len;

	while (fg_vq_get_used(q, &id, &len))
		fg_vq_publish(q, (uint16_t)id);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void run(struct bench_dev *src, struct bench_dev *dst, struct rte_mempool *mp,
		const char *what)
{
	struct rte_mbuf *pkts[BURST];
	uint64_t moved = 0, dev_cycles = 0, t0;
	double start = now_s(), secs;
	uint16_t n, sent;

	while (moved < PACKETS) {
		t0 = rte_rdtsc();
		n = vnet_dequeue_burst(src->dev, 0, mp, pkts, BURST);
		sent = vnet_enqueue_burst(dst->dev, 0, pkts, n);
		rte_pktmbuf_free_bulk(pkts, n);
		dev_cycles += rte_rdtsc() - t0;
		moved += sent;
		recycle(&src->q[1]);
		recycle(&dst->q[0]);
	}
	secs = now_s() - start;
	printf("%-28s %.1f ns/packet device side, %.1f ns/packet whole loop (%.2f Mpps)\n", what,
	       dev_cycles * 1e9 / rte_get_tsc_hz() / moved, secs * 1e9 / moved, moved / secs / 1e6);
}

int main(void)
{
	static const struct {
		const char *what;
		uint64_t features;
	} modes[] = {
		{ "64 B, VERSION_1", VNET_BIT(VIRTIO_F_VERSION_1) },
		{ "64 B, VERSION_1+MRG_RXBUF",
		  VNET_BIT(VIRTIO_F_VERSION_1) | VNET_BIT(VIRTIO_NET_F_MRG_RXBUF) },
	};
	struct rte_mempool *mp = fg_dpdk_init("bench_copy", 4095, 256);
	unsigned int i;

	if (!mp)
		return 1;
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct bench_dev src, dst;

		if (fg_mem_init(&g) || bench_dev_init(&src, modes[i].features) ||
		    bench_dev_init(&dst, modes[i].features))
			return 1;
		post_buffers(&src, &dst);
		run(&src, &dst, mp, modes[i].what);
		vnet_destroy(src.dev);
		vnet_destroy(dst.dev);
		fg_mem_fini(&g);
	}
	fg_dpdk_fini(mp);
	return 0;
}
