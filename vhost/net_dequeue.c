/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_dequeue.c - guest transmit: frames the driver put on a transmitq are
 * copied into DPDK mbufs for the switch (vnet_dequeue_burst, vhost/net.h).
 * Chains come from the ring engine (vhost/virtq.c), checksum requests are
 * mapped by net_offload.c.
 *
 * Security model: the chain, its virtio-net header and the frame are written
 * by the guest, which may change them while we copy.  The header is copied
 * out once and validated from the copy; every length is checked before the
 * copy; a malformed frame costs the guest that frame (counted as an error,
 * its chain returned) and nothing else.
 *
 * Per burst: one bulk mbuf allocation, one acquire load of avail->idx, one
 * release store of used->idx and at most one eventfd write; no locks.
 */
#include <errno.h>

#include "util/log.h"
#include "vhost/iov.h"
#include "vhost/net_priv.h"

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>

/* Copy @len bytes at the cursor into @m, chaining segments from @mp when one is not enough. */
static int tx_copy_to_mbuf(struct iov_iter *it, uint32_t len, struct rte_mbuf *m,
			   struct rte_mempool *mp)
{
	struct rte_mbuf *cur = m;
	uint32_t left = len;

	while (left > 0) {
		uint32_t room = rte_pktmbuf_tailroom(cur), chunk;

		if (room == 0) {
			struct rte_mbuf *seg = rte_pktmbuf_alloc(mp);

			if (!seg)
				return -ENOMEM;
			cur->next = seg;
			m->nb_segs++;
			cur = seg;
			if (rte_pktmbuf_tailroom(cur) == 0)
				return -ENOMEM; /* a pool without data room */
			continue;
		}
		chunk = MIN(room, left);
		if (iov_iter_copy_from(it, rte_pktmbuf_mtod_offset(cur, void *, cur->data_len),
				       chunk) != chunk)
			return -EINVAL; /* cannot happen: out_len was summed from these segments */
		cur->data_len += chunk;
		left -= chunk;
	}
	m->pkt_len = len;
	return 0;
}

/* Undo a partly built mbuf so the slot can take the next frame. */
static void tx_reset_mbuf(struct rte_mbuf *m)
{
	if (m->next)
		rte_pktmbuf_free(m->next);
	m->next = NULL;
	rte_pktmbuf_reset(m);
}

/* Fill @m from the transmit chain @c (virtio 1.2, 5.1.6.2). */
static int tx_build(struct vnet_queue *q, const struct vq_chain *c, struct rte_mbuf *m,
		    struct rte_mempool *mp)
{
	struct virtio_net_hdr_v1 h = { 0 };
	struct iov_iter it;
	int ret;

	if (c->n_in) {
		LOG_RL(LOG_LVL_WARN, "vhost", "%s: transmit chain with writable buffers",
		       q->vq.name);
		return -EINVAL;
	}
	if (c->out_len < (uint32_t)q->hdr_len + RTE_ETHER_HDR_LEN) {
		LOG_RL(LOG_LVL_WARN, "vhost", "%s: transmit chain of %u bytes is too short",
		       q->vq.name, c->out_len);
		return -EINVAL;
	}
	iov_iter_init(&it, c->iov, c->n_out);
	iov_iter_copy_from(&it, &h, q->hdr_len);
	ret = tx_copy_to_mbuf(&it, c->out_len - q->hdr_len, m, mp);
	if (ret)
		return ret;
	ret = vnet_offload_from_hdr(
		&h, m, (struct vnet_tx_offloads){ .csum = q->csum, .tso = q->host_tso });
	if (ret)
		LOG_RL(LOG_LVL_WARN, "vhost",
		       "%s: bad header for a %u-byte frame: flags 0x%x gso_type %u gso_size %u "
		       "hdr_len %u csum_start %u csum_offset %u",
		       q->vq.name, m->pkt_len, h.flags, h.gso_type, h.gso_size, h.hdr_len,
		       h.csum_start, h.csum_offset);
	return ret;
}

/*
 * Take one frame into @m.  Returns 1 when @m holds it, 0 when a chain was
 * consumed but its frame dropped (counted), -EAGAIN / -EIO to stop.  The
 * bytes the chain offered, taken or not, are added to *@charged.
 */
static int tx_one(struct vnet_queue *q, struct rte_mbuf *m, struct rte_mempool *mp,
		  uint32_t *charged)
{
	struct iovec iov[VNET_MAX_SEGS];
	struct vq_chain c = { .iov = iov, .iov_cap = VNET_MAX_SEGS };
	int ret;

	ret = vq_pop_chain(&q->vq, &c);
	if (ret == -EAGAIN || ret == -EIO)
		return ret;
	*charged += c.out_len + c.in_len;
	if (ret == 0)
		ret = tx_build(q, &c, m, mp);
	/* The device writes nothing into a transmit buffer (virtio 1.2, 5.1.6.2.2). */
	vq_push_used(&q->vq, c.head, 0);
	if (ret == 0)
		return 1;
	if (ret != -EMSGSIZE && ret != -ENOBUFS)
		vq_chain_refused(&q->vq); /* the engine charged its own refusals */
	vnet_count(&q->cnt.errors, 1);
	tx_reset_mbuf(m);
	return 0;
}

/*
 * A RARP request from @mac (RFC 903, opcode 3), broadcast: what QEMU's
 * announce_self sends and DPDK's vhost library builds on SEND_RARP.
 */
static void rarp_fill(uint8_t *p, const uint8_t mac[6])
{
	static const uint8_t arp_hdr[8] = { 0, 1, 8, 0, 6, 4, 0, 3 }; /* Ethernet, IPv4, RARP req */

	memset(p, 0, RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN);
	memset(p, 0xff, RTE_ETHER_ADDR_LEN);
	memcpy(p + 6, mac, 6);
	p[12] = 0x80;
	p[13] = 0x35;
	memcpy(p + 14, arp_hdr, sizeof(arp_hdr));
	memcpy(p + 22, mac, 6); /* sender hardware address; sender IP 0 */
	memcpy(p + 32, mac, 6); /* target hardware address; target IP 0 */
}

/* The RARP net.c's announce op asked for, if any (transmitq 0's PMD). */
static struct rte_mbuf *vnet_take_announce(struct vnet_dev *dev, struct rte_mempool *mp)
{
	struct rte_mbuf *m;
	uint8_t mac[6];
	uint64_t v;
	uint8_t *p;

	if (likely(!atomic_load_explicit(&dev->announce, memory_order_relaxed)))
		return NULL;
	v = atomic_exchange_explicit(&dev->announce, 0, memory_order_relaxed);
	if (!(v & VNET_ANNOUNCE_PENDING))
		return NULL;
	memcpy(mac, &v, sizeof(mac));
	m = rte_pktmbuf_alloc(mp);
	p = m ? (uint8_t *)rte_pktmbuf_append(m, RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN) : NULL;
	if (!p) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	rarp_fill(p, mac);
	return m;
}

uint16_t vnet_dequeue_burst(struct vnet_dev *dev, uint16_t qp, struct rte_mempool *mp,
			    struct rte_mbuf **pkts, uint16_t n)
{
	struct vnet_queue *q = vnet_running_queue(dev, 2u * qp + 1);
	uint32_t bytes = 0, charged = 0;
	uint16_t count, i, got = 0;
	int ret;

	if (!q)
		return 0;
	if (unlikely(qp == 0 && n > 0 && (pkts[0] = vnet_take_announce(dev, mp)) != NULL))
		return 1; /* the guest's frames follow with the next burst */
	vq_burst_begin(&q->vq);
	/*
	 * Read the guest-written avail index once: @count sizes the mbuf array,
	 * so it must never exceed what the caller's @pkts holds.
	 */
	count = vq_avail_count(&q->vq);
	count = MIN(count, MIN(n, (uint16_t)VNET_MAX_BURST));
	if (count == 0)
		return 0;
	vq_prefetch_avail(&q->vq, count, false);
	if (rte_pktmbuf_alloc_bulk(mp, pkts, count)) {
		LOG_RL(LOG_LVL_WARN, "vhost", "%s: mbuf pool %s empty", q->vq.name, mp->name);
		return 0;
	}
	/* Every chain's bytes count against the weight, delivered or dropped. */
	for (i = 0; i < count && charged < VQ_WEIGHT_BYTES; i++) {
		ret = tx_one(q, pkts[got], mp, &charged);
		if (ret < 0)
			break;
		if (ret == 1)
			bytes += pkts[got++]->pkt_len;
	}
	if (got < count)
		rte_pktmbuf_free_bulk(&pkts[got], count - got);
	vq_flush_used(&q->vq);
	vnet_count(&q->cnt.packets, got);
	vnet_count(&q->cnt.bytes, bytes);
	return got;
}
