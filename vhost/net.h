/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net.h - the virtio-net device (virtio 1.2, section 5.1): control ops for a
 * transport (through struct virtio_dev, vhost/virtio_dev.h) and burst
 * functions for the switch (vswitch/), modelled on rte_vhost's
 * enqueue/dequeue bursts.
 *
 * Queue numbering (virtio 1.2, 5.1.2): queue 2*qp is receiveq qp (frames to
 * the guest, filled by vnet_enqueue_burst), 2*qp+1 is transmitq qp (frames
 * from the guest, drained by vnet_dequeue_burst).  The control queue, when
 * it comes with VIRTIO_NET_F_CTRL_VQ (offered with multiqueue), is queue
 * 2*max_queue_pairs and is answered by a thread of its own (net_ctrl.c).
 *
 * Threads: control ops run on the transport's thread with its device lock;
 * burst and notify functions run on PMD threads, one thread per queue at a
 * time, concurrently with control ops.  Stopping a queue fences the PMDs off
 * through the sync callback (vnet_set_datapath_sync); without one installed
 * the caller promises that no burst runs concurrently with a control op.
 */
#ifndef FERRY_VHOST_NET_H
#define FERRY_VHOST_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vhost/virtio_dev.h"

struct rte_mbuf;
struct rte_mempool;
struct vnet_dev;

/* Device feature bits (virtio 1.2, 5.1.3) and config status bits (5.1.4): the UAPI's. */
#include <linux/virtio_net.h>

#define VNET_BIT(b) (1ull << (b))
/*
 * Everything this device can offer; VIRTIO_NET_F_MTU only when an MTU is
 * set; the control queue and what needs it (CTRL_*, MQ) only with more than
 * one queue pair, so a single-queue NIC negotiates as it always did.
 */
/* The control queue and the features that need it. */
#define VNET_FEATURES_CTRL                                                 \
	(VNET_BIT(VIRTIO_NET_F_CTRL_VQ) | VNET_BIT(VIRTIO_NET_F_CTRL_RX) | \
	 VNET_BIT(VIRTIO_NET_F_CTRL_MAC_ADDR) | VNET_BIT(VIRTIO_NET_F_MQ))
/*
 * TCP segmentation offload both ways (virtio 1.2, 5.1.6.2 and 5.1.6.4).
 * Not offered: HOST_UFO (Linux stopped sending UFO in 4.14), HOST_USO
 * (Linux 6.2 and later) and the ECN variants.
 */
#define VNET_FEATURES_TSO                                                      \
	(VNET_BIT(VIRTIO_NET_F_HOST_TSO4) | VNET_BIT(VIRTIO_NET_F_HOST_TSO6) | \
	 VNET_BIT(VIRTIO_NET_F_GUEST_TSO4) | VNET_BIT(VIRTIO_NET_F_GUEST_TSO6))
#define VNET_FEATURES_SUPPORTED                                                      \
	(VNET_BIT(VIRTIO_F_VERSION_1) | VNET_BIT(VIRTIO_NET_F_MAC) |                 \
	 VNET_BIT(VIRTIO_NET_F_STATUS) | VNET_BIT(VIRTIO_NET_F_MRG_RXBUF) |          \
	 VNET_BIT(VIRTIO_NET_F_CSUM) | VNET_BIT(VIRTIO_NET_F_GUEST_CSUM) |           \
	 VNET_BIT(VIRTIO_RING_F_EVENT_IDX) | VNET_BIT(VIRTIO_RING_F_INDIRECT_DESC) | \
	 VNET_BIT(VIRTIO_NET_F_MTU) | VNET_FEATURES_CTRL | VNET_FEATURES_TSO |       \
	 VNET_BIT(VIRTIO_F_RING_PACKED))
/* What a device offers unless told otherwise: as QEMU, split rings only (packed=off). */
#define VNET_FEATURES_DEFAULT (VNET_FEATURES_SUPPORTED & ~VNET_BIT(VIRTIO_F_RING_PACKED))

/* The features to offer for a NIC's switches: TSO both ways, packed rings. */
static inline uint64_t vnet_features(bool tso, bool packed)
{
	uint64_t f = VNET_FEATURES_DEFAULT;

	if (!tso)
		f &= ~VNET_FEATURES_TSO;
	if (packed)
		f |= VNET_BIT(VIRTIO_F_RING_PACKED);
	return f;
}

/* TCP segmentation offload directions, as vnet_guest_tso() reports them. */
#define VNET_TSO4 1u /* TCP over IPv4 */
#define VNET_TSO6 2u /* TCP over IPv6 */
/*
 * Most segments one TSO frame from a guest may ask for: a 64 KiB frame at
 * the smallest MSS a Linux peer negotiates over IPv4 (536) is 123; a frame
 * asking for more is dropped, since each segment costs the switch a copy.
 */
#define VNET_GSO_MAX_SEGS 256

#define VNET_DEFAULT_QUEUE_SIZE 256
/* Most frames one burst call handles; the return value says how many were. */
#define VNET_MAX_BURST 64

struct vnet_params {
	const char *name; /* for logs; copied */
	uint8_t mac[6]; /* offered with VIRTIO_NET_F_MAC */
	uint16_t queue_pairs; /* receiveq/transmitq pairs; 0 means 1 */
	uint16_t max_queue_size; /* power of two <= 32768; 0 means 256 */
	uint16_t mtu; /* 0: VIRTIO_NET_F_MTU is not offered */
	uint64_t features; /* offered: masked by VNET_FEATURES_SUPPORTED; 0: VNET_FEATURES_DEFAULT */
	bool manual_ctrl; /* tests and fuzzers: no control-queue thread; vnet_ctrl_poll() */
};

/*
 * Receive queues (pairs) frames to the guest may use now: 1 without
 * VIRTIO_NET_F_MQ; what the driver set with VQ_PAIRS_SET where Ferry runs
 * the control queue; else the pairs a vhost-user peer has enabled.
 */
uint16_t vnet_tx_queue_pairs(const struct vnet_dev *dev);

/*
 * VNET_TSO4 | VNET_TSO6: the TSO frames (RTE_MBUF_F_TX_TCP_SEG) the driver
 * takes whole (GUEST_TSO4/6 with GUEST_CSUM); the switch segments others.
 */
unsigned int vnet_guest_tso(const struct vnet_dev *dev);

/*
 * One line on what the driver negotiated, for operators (virtio's feature
 * names): "virtio-net: 2/4 queue pairs, packed rings, mrg_rxbuf, event_idx,
 * csum, host_tso, guest_tso" (control thread).
 */
void vnet_describe(const struct vnet_dev *dev, char *buf, size_t len);

/* With manual_ctrl: answer what the control queue holds, on this thread; -EIO once broken. */
int vnet_ctrl_poll(struct vnet_dev *dev);

/* Counters of one queue since the device was created. */
struct vnet_queue_stats {
	uint64_t packets; /* frames moved */
	uint64_t bytes; /* their bytes, without the virtio-net header */
	uint64_t errors; /* malformed chains, headers or frames (dropped) */
	uint64_t drops; /* frames not delivered for want of guest buffers */
	uint64_t broken; /* times the queue was marked broken */
	uint64_t interrupts; /* call eventfd writes */
};

/* A device, its queues stopped; NULL on bad parameters or no memory. */
struct vnet_dev *vnet_create(const struct vnet_params *p);
/* Free a device whose queues are stopped (after a transport reset). NULL is fine. */
void vnet_destroy(struct vnet_dev *dev);
/* The embedded header a transport drives; set its ->mem before starting queues. */
struct virtio_dev *vnet_virtio_dev(struct vnet_dev *dev);
struct vnet_dev *vnet_from_virtio_dev(struct virtio_dev *vdev);
uint16_t vnet_queue_pairs(const struct vnet_dev *dev);

/*
 * Install the datapath fence.  After a queue is marked stopped (queue_stop,
 * reset, and call-fd replacement) the device calls sync(arg), which must
 * return only when no thread is inside a burst or notify call on this
 * device that started before (the switch uses rte_rcu_qsbr).
 */
void vnet_set_datapath_sync(struct vnet_dev *dev, void (*sync)(void *arg), void *arg);
/* Set VIRTIO_NET_S_LINK_UP and raise a config interrupt if it changed. */
void vnet_set_link(struct vnet_dev *dev, bool up);
/* 0, or -EINVAL for a bad queue index. */
int vnet_get_stats(const struct vnet_dev *dev, uint16_t qidx, struct vnet_queue_stats *st);

/*
 * Frames the guest transmitted on transmitq @qp, copied into mbufs from @mp.
 * A header with NEEDS_CSUM becomes RTE_MBUF_F_TX_{IPV4,IPV6,TCP_CKSUM,
 * UDP_CKSUM} with l2/l3/l4 lengths (the L4 checksum field then holds the
 * pseudo-header sum, as DPDK expects); other layouts are checksummed here.
 * A TSO frame (HOST_TSO4/6) adds RTE_MBUF_F_TX_TCP_SEG and tso_segsz; its
 * pseudo-header sum covers the whole L4 length, as Linux's does.
 * Returns the number of mbufs in @pkts, which the caller owns.
 */
uint16_t vnet_dequeue_burst(struct vnet_dev *dev, uint16_t qp, struct rte_mempool *mp,
			    struct rte_mbuf **pkts, uint16_t n);
/*
 * Copy frames into the guest's buffers on receiveq @qp (merged across
 * several buffers when VIRTIO_NET_F_MRG_RXBUF is negotiated).  Checksum
 * state travels as DATA_VALID / NEEDS_CSUM with GUEST_CSUM, and pending
 * checksums are completed here without it.  A TSO frame goes whole to a
 * driver that takes it (vnet_guest_tso), and is dropped (an error) on a
 * queue that does not.  Returns how many frames were
 * delivered; the caller still frees every mbuf.
 */
uint16_t vnet_enqueue_burst(struct vnet_dev *dev, uint16_t qp, struct rte_mbuf **pkts, uint16_t n);

/* For PMD threads that sleep when idle: the queue's kick eventfd (-1 if none or stopped). */
int vnet_queue_kick_fd(struct vnet_dev *dev, uint16_t qidx);
/* Re-enable kicks; true when work is already there (do not sleep). */
bool vnet_queue_enable_notify(struct vnet_dev *dev, uint16_t qidx);
void vnet_queue_disable_notify(struct vnet_dev *dev, uint16_t qidx);

#endif
