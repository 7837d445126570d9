/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_virtq.c - libFuzzer harness for the virtqueue engine (vhost/virtq.c)
 * and the virtio-net device's datapath (vhost/net_*.c) as a hostile guest
 * drives them: the input is a script the guest plays against a running
 * device, over the unit tests' fake guest memory (fake_guest.c: three
 * regions, a hole, guard pages around everything, so a stray device access
 * faults).
 *
 * Input: byte 0 picks the negotiated features (bit 0 EVENT_IDX, 1 INDIRECT,
 * 2 MRG_RXBUF, 3 CSUM, 4 GUEST_CSUM, 5 HOST_TSO4/6, 6 GUEST_TSO4/6, 7 packed
 * rings: the same memory read as a packed descriptor ring and the two event
 * suppression structures); then records of
 *   op (1 byte), len (1 byte), len bytes of argument
 * where op % 4 is
 *   0: the guest writes the argument (after a 3-byte offset) into its memory:
 *      rings, descriptors, indirect tables and buffers alike, between calls;
 *   1: the device drains the transmit queue (vnet_dequeue_burst);
 *   2: the device delivers frames to the receive queue (vnet_enqueue_burst),
 *      sizes and contents from the argument;
 *   3: notifications off and on again (the PMD's sleep path).
 * Every run starts from a fresh device over memory the previous run left.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "fake_guest.h"
#include "vhost/net.h"

#define QSIZE 64
#define BURST 32

static struct rte_mempool *pool;
static struct fg_mem g;
static struct fg_vq rxq, txq;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	pool = fg_dpdk_init("fuzz_virtq", 4096, 0);
	if (!pool || fg_mem_init(&g) || fg_vq_init(&rxq, &g, QSIZE) || fg_vq_init(&txq, &g, QSIZE))
		abort(); /* the harness itself cannot run */
	return 0;
}

static uint64_t features_of(uint8_t b)
{
	uint64_t f = VNET_BIT(VIRTIO_F_VERSION_1);

	f |= (b & 1) ? VNET_BIT(VIRTIO_RING_F_EVENT_IDX) : 0;
	f |= (b & 2) ? VNET_BIT(VIRTIO_RING_F_INDIRECT_DESC) : 0;
	f |= (b & 4) ? VNET_BIT(VIRTIO_NET_F_MRG_RXBUF) : 0;
	f |= (b & 8) ? VNET_BIT(VIRTIO_NET_F_CSUM) : 0;
	f |= (b & 16) ? VNET_BIT(VIRTIO_NET_F_GUEST_CSUM) : 0;
	f |= (b & 32) ? VNET_BIT(VIRTIO_NET_F_HOST_TSO4) | VNET_BIT(VIRTIO_NET_F_HOST_TSO6) : 0;
	f |= (b & 64) ? VNET_BIT(VIRTIO_NET_F_GUEST_TSO4) | VNET_BIT(VIRTIO_NET_F_GUEST_TSO6) : 0;
	f |= (b & 128) ? VNET_BIT(VIRTIO_F_RING_PACKED) : 0;
	return f;
}

static void device_rx(struct vnet_dev *dev, const uint8_t *a, size_t len)
{
	struct rte_mbuf *m[BURST];
	uint16_t n = 0, sent;

	for (size_t i = 0; i + 1 < len && n < BURST; i += 2, n++) {
		uint16_t flen = (uint16_t)(14 + (a[i] | (a[i + 1] & 7) << 8));

		m[n] = rte_pktmbuf_alloc(pool);
		if (!m[n] || !rte_pktmbuf_append(m[n], flen)) {
			rte_pktmbuf_free(m[n]);
			break;
		}
		memset(rte_pktmbuf_mtod(m[n], void *), a[i], flen);
		m[n]->ol_flags |= (a[i + 1] & 8) ? RTE_MBUF_F_TX_TCP_CKSUM : 0;
		if (a[i + 1] & 16) {
			/* A TSO frame, for a driver that may or may not have GUEST_TSO. */
			m[n]->ol_flags |=
				RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM |
				((a[i + 1] & 32) ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4);
			m[n]->l2_len = 14;
			m[n]->l3_len = 20;
			m[n]->l4_len = 20;
			m[n]->tso_segsz = 1448;
		}
	}
	sent = vnet_enqueue_burst(dev, 0, m, n);
	(void)sent;
	rte_pktmbuf_free_bulk(m, n); /* the device copies; the caller always frees */
}

static void device_tx(struct vnet_dev *dev)
{
	struct rte_mbuf *m[BURST];
	uint16_t n = vnet_dequeue_burst(dev, 0, pool, m, BURST);

	rte_pktmbuf_free_bulk(m, n);
}

static void play(void *ctx, uint8_t op, const uint8_t *arg, uint8_t len)
{
	struct vnet_dev *dev = ctx;

	switch (op % 4) {
	case 0:
		fg_fuzz_write(&g, arg, len);
		break;
	case 1:
		device_tx(dev);
		break;
	case 2:
		device_rx(dev, arg, len);
		break;
	default:
		vnet_queue_disable_notify(dev, 1);
		vnet_queue_enable_notify(dev, 1);
		break;
	}
}

/* The fake guest's split ring, or its memory taken as a packed ring. */
static void start_queue(struct virtio_dev *vdev, uint16_t idx, const struct fg_vq *q, bool packed)
{
	struct virtio_queue_cfg cfg;

	fg_vq_cfg(q, &cfg);
	cfg.packed = packed;
	cfg.last_avail_idx = cfg.used_idx = virtio_ring_start(packed);
	vdev->ops->queue_start(vdev, idx, &cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vnet_params p = { .name = "fuzz",
				 .mac = { 2, 0, 0, 0, 0, 1 },
				 .mtu = 1500,
				 .features = VNET_FEATURES_SUPPORTED };
	struct vnet_dev *dev;
	struct virtio_dev *vdev;

	if (size < 1)
		return 0;
	dev = vnet_create(&p);
	if (!dev)
		return 0;
	vdev = vnet_virtio_dev(dev);
	vdev->mem = g.map;
	if (vdev->ops->set_features(vdev, features_of(data[0])) == 0) {
		start_queue(vdev, 0, &rxq, data[0] & 128);
		start_queue(vdev, 1, &txq, data[0] & 128);
		fg_fuzz_records(data + 1, size - 1, play, dev);
	}
	vdev->ops->reset(vdev);
	vnet_destroy(dev);
	return 0;
}
