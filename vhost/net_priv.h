/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_priv.h - virtio-net internals shared by the control side (net.c), the
 * two datapath directions (net_dequeue.c: guest transmit, net_enqueue.c:
 * guest receive) and the header/offload translation (net_offload.c).  Not
 * for use outside vhost/.
 */
#ifndef FERRY_VHOST_NET_PRIV_H
#define FERRY_VHOST_NET_PRIV_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <stddef.h>

#include <linux/virtio_net.h>

#include "util/compiler.h"
#include "vhost/net.h"
#include "vhost/virtq.h"
#include "vhost/vq_worker.h"

struct rte_mbuf;

/*
 * The virtio-net header (virtio 1.2, 5.1.6) is the UAPI's struct
 * virtio_net_hdr_v1 (num_buffers exists with VERSION_1 or MRG_RXBUF);
 * without either the header stops before num_buffers.
 */
#define VNET_HDR_LEN_LEGACY offsetof(struct virtio_net_hdr_v1, num_buffers)
#define VNET_HDR_LEN sizeof(struct virtio_net_hdr_v1)

/*
 * The config space Ferry exposes (virtio 1.2, 5.1.4): the UAPI's struct
 * virtio_net_config up to and including mtu; speed, duplex and the RSS
 * fields belong to features Ferry does not offer.
 */
#define VNET_CONFIG_LEN offsetof(struct virtio_net_config, speed)

/* Longest frame a guest may transmit: 64 KiB of IP plus Ethernet and one VLAN tag. */
#define VNET_MAX_FRAME (65535u + 18u)
/* Per-chain cap on receive buffers: generous, it only bounds the work of translating one. */
#define VNET_MAX_RX_CHAIN (1u << 20)
/* Segments one chain may have before it is refused. */
#define VNET_MAX_SEGS 64

enum vnet_qstate {
	VNET_Q_STOPPED = 0,
	VNET_Q_RUNNING = 1,
};

/* Counters written by the queue's PMD thread only, read by anyone (relaxed). */
struct vnet_qcounters {
	_Atomic uint64_t packets;
	_Atomic uint64_t bytes;
	_Atomic uint64_t errors;
	_Atomic uint64_t drops;
};

struct vnet_queue {
	struct vq vq; /* the ring engine */
	_Atomic int state; /* enum vnet_qstate; bursts load it with acquire */
	/* Snapshot of the negotiated features at queue_start, for the datapath. */
	uint16_t hdr_len; /* VNET_HDR_LEN or VNET_HDR_LEN_LEGACY */
	bool mrg_rxbuf; /* VIRTIO_NET_F_MRG_RXBUF */
	bool csum; /* VIRTIO_NET_F_CSUM: the guest may send NEEDS_CSUM */
	bool guest_csum; /* VIRTIO_NET_F_GUEST_CSUM: we may send NEEDS_CSUM/DATA_VALID */
	uint8_t host_tso; /* VNET_TSO4/6: the guest may send such TSO frames */
	uint8_t guest_tso; /* VNET_TSO4/6: we may send such TSO frames */
	struct vnet_qcounters cnt; /* statistics */
} __attribute__((aligned(64))); /* queues of one device sit on different PMDs */

/* The control queue (net_ctrl.c): its ring and the thread that answers it. */
struct vnet_ctrl {
	struct vq vq;
	struct vq_worker w; /* w.running: the queue runs (PMDs read it) */
};

struct vnet_dev {
	struct virtio_dev vdev; /* what transports see; must stay first for container_of */
	char name[24]; /* for logs */
	uint8_t mac[6]; /* config space mac */
	uint16_t nr_qp; /* queue pairs */
	uint16_t max_queue_size; /* largest ring a driver may set up */
	uint16_t mtu; /* config space mtu (0: none) */
	_Atomic uint16_t link_status; /* VIRTIO_NET_S_*: set by the control plane, read by vCPUs */
	uint64_t offered; /* features offered */
	uint64_t acked; /* features the driver accepted */
	void (*sync)(void *arg); /* datapath fence, NULL: callers serialise */
	void *sync_arg; /* its argument */
	struct vnet_queue *queues; /* 2 * nr_qp, cache-line aligned */
	struct vnet_ctrl ctrl; /* queue 2 * nr_qp, with VIRTIO_NET_F_CTRL_VQ */
	_Atomic uint16_t active_qp; /* pairs the driver uses (VQ_PAIRS_SET; 1 until then) */
	_Atomic bool mq; /* VIRTIO_NET_F_MQ negotiated: for PMDs, which must not read acked */
	_Atomic uint8_t guest_tso; /* vnet_guest_tso(), for PMDs likewise */
	/*
	 * A RARP to send with transmitq 0's next burst (SEND_RARP): the MAC in
	 * the low 48 bits and VNET_ANNOUNCE_PENDING, one value so a second
	 * request can never tear the first.
	 */
	_Atomic uint64_t announce;
};

#define VNET_ANNOUNCE_PENDING (1ull << 63)

/* Bump a single-writer counter without a locked instruction. */
static inline void vnet_count(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

/* The queue behind @qidx if it is running, else NULL.  Called at every burst. */
static inline struct vnet_queue *vnet_running_queue(struct vnet_dev *dev, uint32_t qidx)
{
	struct vnet_queue *q;

	if (unlikely(qidx >= 2u * dev->nr_qp))
		return NULL;
	q = &dev->queues[qidx];
	/*
	 * Acquire: pairs with the release store in queue_start, so the ring
	 * pointers and feature snapshot written before it are visible here.
	 */
	if (atomic_load_explicit(&q->state, memory_order_acquire) != VNET_Q_RUNNING)
		return NULL;
	return q;
}

/*
 * net_announce.c: a control queue that only takes ANNOUNCE_ACK, for a device
 * that offers GUEST_ANNOUNCE (the vhost-user frontend).  pending is the
 * VIRTIO_NET_S_ANNOUNCE bit its config space shows until the driver acks.
 */
struct vnet_announce_ctl {
	struct vq vq;
	struct vq_worker w;
	_Atomic bool pending;
	char name[40]; /* for logs */
	void (*on_broken)(void *arg); /* the ring broke: the device asks for a reset */
	void *on_broken_arg;
};
int vnet_announce_ctl_init(struct vnet_announce_ctl *a, const char *name,
			   void (*on_broken)(void *arg), void *arg);
void vnet_announce_ctl_fini(struct vnet_announce_ctl *a);
int vnet_announce_ctl_start(struct vnet_announce_ctl *a, const struct virtio_queue_cfg *cfg,
			    const struct vhost_mem *mem, uint64_t features);
/* Stop serving; where the ring stopped (0 if it was not running). */
uint16_t vnet_announce_ctl_stop(struct vnet_announce_ctl *a);

/*
 * net_ctrl.c: one control command chain (virtio 1.2, 5.1.6.5): header and
 * arguments readable, copied out before @cmd looks at them (class, command,
 * arguments: the ack it returns), the ack the chain's last writable byte;
 * pushed, or the queue broken for a chain with nowhere to put the ack.
 */
typedef uint8_t (*vnet_ctrl_cmd_fn)(void *arg, uint8_t cls, uint8_t cmd, const uint8_t *data,
				    size_t len);
void vnet_ctrl_answer(struct vq *vq, const struct vq_chain *c, vnet_ctrl_cmd_fn cmd, void *arg);

/* net_ctrl.c: set up, start and stop the control queue (control side, device lock held). */
int vnet_ctrl_init(struct vnet_dev *dev, bool manual);
int vnet_ctrl_start(struct vnet_dev *dev, const struct virtio_queue_cfg *cfg);
uint16_t vnet_ctrl_stop(struct vnet_dev *dev);

/* net_offload.c */
/* What a transmit queue's driver may ask of the device. */
struct vnet_tx_offloads {
	bool csum; /* VIRTIO_NET_F_CSUM */
	uint8_t tso; /* VNET_TSO4/6: HOST_TSO4/6 */
};
int vnet_offload_from_hdr(const struct virtio_net_hdr_v1 *h, struct rte_mbuf *m,
			  struct vnet_tx_offloads ok);
/* Where a pending checksum of a frame still has to be stored (receive path). */
struct vnet_csum_fixup {
	bool needed; /* compute the checksum and write it at offset */
	uint32_t start; /* first byte summed */
	uint32_t offset; /* frame offset of the 16-bit checksum field */
};
void vnet_offload_to_hdr(const struct rte_mbuf *m, bool guest_csum, struct virtio_net_hdr_v1 *h,
			 struct vnet_csum_fixup *fix);
/* The VNET_TSO4/6 direction of a TSO frame, 0 for any other frame. */
unsigned int vnet_tso_kind(const struct rte_mbuf *m);
uint16_t vnet_csum_mbuf(const struct rte_mbuf *m, uint32_t start);

#endif
