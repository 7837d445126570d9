/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_enqueue.c - guest receive: frames from the switch are copied into the
 * buffers the driver posted on a receiveq (vnet_enqueue_burst, vhost/net.h),
 * one chain per frame, or several with VIRTIO_NET_F_MRG_RXBUF (virtio 1.2,
 * 5.1.6.3 and 5.1.6.4).  Chains come from vhost/virtq.c; checksum state is
 * turned into header flags by net_offload.c.
 *
 * Security model: the receive buffers are guest memory the guest may
 * rewrite or repost at will; we only ever write into the segments the chain
 * walker translated and length-checked, and a chain that cannot hold even a
 * header is returned empty and counted rather than trusted.
 *
 * A frame first reserves all the chains it needs, then is copied; if the
 * ring runs dry half-way the reserved chains are given back (vq_unpop) so
 * the driver never sees half a frame.
 */
#include <errno.h>

#include "util/log.h"
#include "vhost/iov.h"
#include "vhost/net_priv.h"

#include <rte_mbuf.h>

/* Frames up to this size get their receive buffers prefetched (see vnet_enqueue_burst). */
#define VNET_RX_PREFETCH_MAX 256

/* Writable segments one (merged) frame may use, across all of its chains. */
#define RX_MAX_IOV 256

/* One chain reserved for the frame being delivered. */
struct rx_buf {
	uint32_t head; /* the chain's token (vq_chain.head) */
	uint32_t len; /* writable bytes it offers */
};

/* Chains reserved for one frame; reused frame after frame. */
struct rx_frame {
	struct iovec iov[RX_MAX_IOV]; /* writable segments of all reserved chains, in order */
	struct rx_buf bufs[RX_MAX_IOV]; /* the reserved chains (each has >= 1 segment) */
	uint16_t nbufs; /* chains reserved */
	uint16_t niov; /* segments used in iov[] */
	uint32_t cap; /* writable bytes reserved */
	bool interleaved; /* a refused chain was consumed between reserved ones */
};

/* Hand back the chains reserved for a frame that will not be delivered. */
static void rx_give_back(struct vnet_queue *q, struct rx_frame *f)
{
	uint16_t i;

	if (!f->interleaved) {
		/* Last taken, first given back: the ring position walks back chain by chain. */
		for (i = f->nbufs; i-- > 0;)
			vq_unpop(&q->vq, f->bufs[i].head);
		return;
	}
	/* A refused chain sits between ours in the avail ring: return ours empty instead. */
	for (i = 0; i < f->nbufs; i++)
		vq_push_used(&q->vq, f->bufs[i].head, 0);
}

/* Take one more chain for the frame; 0, 1 if it was refused (and returned), or -errno to stop. */
static int rx_take_chain(struct vnet_queue *q, struct rx_frame *f)
{
	struct vq_chain c = { .iov = &f->iov[f->niov], .iov_cap = VNET_MAX_SEGS };
	int ret = vq_pop_chain(&q->vq, &c);

	if (ret == -EAGAIN || ret == -EIO)
		return ret;
	/* virtio 1.2, 5.1.6.3.1: every receive buffer is writable and holds at least a header. */
	if (ret == 0 && (c.n_out || c.in_len < q->hdr_len))
		ret = -EINVAL;
	if (ret) {
		LOG_RL(LOG_LVL_WARN, "vhost", "%s: unusable receive chain (%d)", q->vq.name, ret);
		if (ret == -EINVAL)
			vq_chain_refused(&q->vq); /* the engine charged its own refusals */
		vq_push_used(&q->vq, c.head, 0);
		vnet_count(&q->cnt.errors, 1);
		f->interleaved |= f->nbufs > 0;
		return 1;
	}
	f->bufs[f->nbufs].head = c.head;
	f->bufs[f->nbufs].len = c.in_len;
	f->nbufs++;
	f->niov += c.n_in;
	f->cap += c.in_len;
	return 0;
}

/*
 * Reserve chains for @need bytes, at most @max_bufs of them.  -ENOSPC: the
 * ring ran dry; -EMSGSIZE: the frame cannot fit; -EIO: the queue broke.
 */
static int rx_reserve(struct vnet_queue *q, struct rx_frame *f, uint64_t need, uint16_t max_bufs)
{
	int ret;

	f->nbufs = f->niov = 0;
	f->cap = 0;
	f->interleaved = false;
	while (f->cap < need) {
		if (f->nbufs == max_bufs || RX_MAX_IOV - f->niov < VNET_MAX_SEGS) {
			rx_give_back(q, f);
			return -EMSGSIZE;
		}
		ret = rx_take_chain(q, f);
		if (ret == -EAGAIN) {
			rx_give_back(q, f);
			return -ENOSPC;
		}
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Copy header and frame into the reserved chains and queue their used elements. */
static void rx_fill(struct vnet_queue *q, struct rx_frame *f, const struct rte_mbuf *m)
{
	struct virtio_net_hdr_v1 h = { .gso_type = VIRTIO_NET_HDR_GSO_NONE,
				       .num_buffers = f->nbufs };
	struct vnet_csum_fixup fix;
	const struct rte_mbuf *seg;
	struct iov_iter it;
	uint32_t left = q->hdr_len + m->pkt_len, len;
	uint16_t i, sum;

	vnet_offload_to_hdr(m, q->guest_csum, &h, &fix);
	iov_iter_init(&it, f->iov, f->niov);
	iov_iter_copy_to(&it, &h, q->hdr_len);
	for (seg = m; seg; seg = seg->next)
		iov_iter_copy_to(&it, rte_pktmbuf_mtod(seg, const void *), seg->data_len);
	if (fix.needed) {
		/* Summed from the mbuf, never from guest memory the guest could change meanwhile. */
		sum = vnet_csum_mbuf(m, fix.start);
		iov_iter_init(&it, f->iov, f->niov);
		iov_iter_skip(&it, q->hdr_len + fix.offset);
		iov_iter_copy_to(&it, &sum, sizeof(sum));
	}
	for (i = 0; i < f->nbufs; i++) {
		len = MIN(left, f->bufs[i].len);
		vq_push_used(&q->vq, f->bufs[i].head, len);
		left -= len;
	}
}

/* Deliver one frame: 0, or -EMSGSIZE (frame dropped), -ENOSPC / -EIO (stop). */
static int rx_one(struct vnet_queue *q, struct rx_frame *f, const struct rte_mbuf *m)
{
	uint64_t need = (uint64_t)q->hdr_len + m->pkt_len;
	unsigned int tso = vnet_tso_kind(m);
	int ret;

	/* A driver without GUEST_TSO has no use for a 64 KiB frame (the switch segments for it). */
	if (unlikely(tso) && !(tso & q->guest_tso))
		return -EMSGSIZE;
	ret = rx_reserve(q, f, need, q->mrg_rxbuf ? RX_MAX_IOV : 1);
	if (ret)
		return ret;
	rx_fill(q, f, m);
	return 0;
}

uint16_t vnet_enqueue_burst(struct vnet_dev *dev, uint16_t qp, struct rte_mbuf **pkts, uint16_t n)
{
	struct vnet_queue *q = vnet_running_queue(dev, 2u * qp);
	struct rx_frame f;
	uint64_t bytes = 0;
	uint16_t i, done = 0;
	int ret = 0;

	if (!q)
		return 0;
	vq_burst_begin(&q->vq);
	/*
	 * Measured in the vhost loop: prefetching the receive buffers for
	 * writing gains 10-25 % up to 256 B frames and costs 10-20 % from 512 B
	 * (where the hardware's stream prefetcher already covers the copy), so
	 * the burst's first frame decides.
	 */
	if (n && rte_pktmbuf_pkt_len(pkts[0]) <= VNET_RX_PREFETCH_MAX)
		vq_prefetch_avail(&q->vq, MIN(n, vq_avail_count(&q->vq)), true);
	for (i = 0; i < n; i++) {
		ret = rx_one(q, &f, pkts[i]);
		if (ret == -EMSGSIZE) {
			vnet_count(&q->cnt.errors, 1);
			continue;
		}
		if (ret)
			break;
		done++;
		bytes += pkts[i]->pkt_len;
	}
	if (ret == -ENOSPC || ret == -EIO)
		vnet_count(&q->cnt.drops, n - i);
	vq_flush_used(&q->vq);
	vnet_count(&q->cnt.packets, done);
	vnet_count(&q->cnt.bytes, bytes);
	return done;
}
