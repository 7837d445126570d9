/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * forward.c - what a PMD does with one rx burst: sanity checks, MAC learning,
 * one bulk FDB lookup, then unicast, flood (head-end replication within the
 * ingress tenant only: its local ports and its remote VTEPs) or drop, into
 * per-output-port tx buffers that are flushed when full and at the end of
 * every PMD iteration (pmd.c).  Frames for remote VTEPs go through the
 * overlay (overlay_dp.c), which encapsulates them into an uplink's buffer.
 *
 * Frames come from guests and peers: nothing in them is trusted.  A frame is
 * read only after its first segment is known to hold an Ethernet header, and
 * every rejected frame is counted by reason.  No allocation, lock (except a
 * shared tx queue's, see port.h) or syscall happens here.
 */
#include <netinet/in.h>
#include <rte_ether.h>
#include <rte_jhash.h>
#include <rte_mbuf.h>

#include "vswitch/evpn.h"
#include "vswitch/fdb.h"
#include "vswitch/port.h"
#include "vswitch/private.h"

/* Classified frames of one burst, in arrival order. */
struct fwd_burst {
	unsigned int n;
	struct rte_mbuf *pkts[VSW_BURST_MAX];
	const struct rte_ether_addr *src[VSW_BURST_MAX];
	const struct rte_ether_addr *dst[VSW_BURST_MAX];
	uint16_t out[VSW_BURST_MAX]; /* FDB answer for dst */
};

static void fwd_drop(struct vsw_pmd *pmd, const struct vsw_ingress *in, struct rte_mbuf *m,
		     enum vsw_drop_reason why)
{
	rte_pktmbuf_free(m);
	vsw_ctr_add(&pmd->port_ctr[in->port->id].drops[why], 1);
	vsw_ctr_add(&pmd->tenant_ctr[in->t->idx].dropped, 1);
}

/*
 * A flow's hash: the MAC pair and, for IPv4/IPv6 (one VLAN tag skipped),
 * the addresses and TCP/UDP ports of an unfragmented packet.  Read within
 * the first segment only; a short or odd frame just hashes on less.
 */
static uint32_t fwd_flow_hash(const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m), off = 12, h, l4 = 0;
	uint16_t type;
	uint8_t proto = 0;

	if (len < 14)
		return 0;
	h = rte_jhash(p, 12, 0);
	type = (uint16_t)(p[off] << 8 | p[off + 1]);
	if (type == RTE_ETHER_TYPE_VLAN && len >= 18) {
		off += 4;
		type = (uint16_t)(p[off] << 8 | p[off + 1]);
	}
	off += 2;
	if (type == RTE_ETHER_TYPE_IPV4 && len >= off + 20 && !(p[off + 6] & 0x3f) && !p[off + 7]) {
		proto = p[off + 9];
		h = rte_jhash(p + off + 12, 8, h);
		l4 = off + (uint32_t)(p[off] & 0xf) * 4;
	} else if (type == RTE_ETHER_TYPE_IPV6 && len >= off + 40) {
		proto = p[off + 6];
		h = rte_jhash(p + off + 8, 32, h);
		l4 = off + 40;
	}
	if ((proto == IPPROTO_TCP || proto == IPPROTO_UDP) && l4 && len >= l4 + 4)
		h = rte_jhash(p + l4, 4, h);
	return h;
}

static uint16_t fwd_tx_locked(struct vsw_port *port, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent;

	if (!port->shared_txq)
		return port->ops->tx_burst(port, q, pkts, n);
	spinlock_lock(&port->txq_lock[q]);
	sent = port->ops->tx_burst(port, q, pkts, n);
	spinlock_unlock(&port->txq_lock[q]);
	return sent;
}

/* Send by flow: one tx_burst per queue; what a queue refused is freed. */
static uint16_t fwd_tx_by_flow(struct vsw_port *port, struct rte_mbuf **pkts, uint16_t n,
			       uint64_t *lost)
{
	struct rte_mbuf *byq[VSW_PORT_MAX_QUEUES][VSW_BURST_MAX];
	uint16_t cnt[VSW_PORT_MAX_QUEUES] = { 0 }, sent = 0, i, q, s;

	for (i = 0; i < n; i++) {
		q = (uint16_t)(fwd_flow_hash(pkts[i]) % port->n_txq);
		byq[q][cnt[q]++] = pkts[i];
	}
	for (q = 0; q < port->n_txq; q++) {
		if (!cnt[q])
			continue;
		s = fwd_tx_locked(port, q, byq[q], cnt[q]);
		for (i = s; i < cnt[q]; i++) {
			*lost += rte_pktmbuf_pkt_len(byq[q][i]);
			rte_pktmbuf_free(byq[q][i]);
		}
		sent += s;
	}
	return sent;
}

/* Hand @n frames to @port: what it did not take is freed and counted. */
static void fwd_xmit(struct vsw_pmd *pmd, struct vsw_port *port, struct rte_mbuf **pkts, uint16_t n)
{
	struct vsw_port_ctr *pc = &pmd->port_ctr[port->id];
	uint16_t sent, i;
	uint64_t bytes = 0, lost = 0;

	/* Count before sending: a port may free what it took right away. */
	for (i = 0; i < n; i++)
		bytes += rte_pktmbuf_pkt_len(pkts[i]);
	vsw_capture_hook(pmd->sw, port, pkts, n, true);
	if (port->txq_by_flow && port->n_txq > 1) {
		sent = fwd_tx_by_flow(port, pkts, n, &lost);
	} else {
		sent = fwd_tx_locked(port, pmd->txq % port->n_txq, pkts, n);
		for (i = sent; i < n; i++) {
			lost += rte_pktmbuf_pkt_len(pkts[i]);
			rte_pktmbuf_free(pkts[i]);
		}
	}
	vsw_ctr_add(&pc->tx_packets, sent);
	vsw_ctr_add(&pc->tx_bytes, bytes - lost);
	vsw_ctr_add(&pmd->ctr.tx_packets, sent);
	if (sent < n)
		vsw_ctr_add(&pc->drops[VSW_DROP_TX], (uint64_t)(n - sent));
}

/* Output frames of the soft path, sent in order once VSW_BURST_MAX are ready. */
struct fwd_out {
	struct vsw_port *port;
	uint16_t n;
	struct rte_mbuf *pkts[VSW_BURST_MAX];
};

static void fwd_out_add(struct vsw_pmd *pmd, struct fwd_out *o, struct rte_mbuf *m)
{
	o->pkts[o->n++] = m;
	if (o->n == VSW_BURST_MAX) {
		fwd_xmit(pmd, o->port, o->pkts, o->n);
		o->n = 0;
	}
}

/* A TSO frame for a port that cannot take it whole: its segments go out instead. */
static void fwd_segment(struct vsw_pmd *pmd, struct fwd_out *o, struct rte_mbuf *m,
			unsigned int caps)
{
	struct vsw_port_ctr *pc = &pmd->port_ctr[o->port->id];
	struct rte_mbuf *segs[VSW_GSO_MAX_SEGS];
	int n = vsw_gso_segment(m, pmd->sw->pool, caps & VSW_TXO_CSUM, segs, VSW_GSO_MAX_SEGS);

	rte_pktmbuf_free(m);
	if (n < 0) {
		vsw_ctr_add(&pc->drops[VSW_DROP_OFFLOAD], 1);
		return;
	}
	vsw_ctr_add(&pc->gso_split, 1);
	for (int i = 0; i < n; i++)
		fwd_out_add(pmd, o, segs[i]);
}

/*
 * Frames that ask @port for offloads it lacks (@caps): checksums completed,
 * TSO frames segmented, the rest as they are, all in their order.
 */
static void fwd_send_soft(struct vsw_pmd *pmd, struct vsw_port *port, struct rte_mbuf **pkts,
			  uint16_t n, unsigned int caps)
{
	struct vsw_port_ctr *pc = &pmd->port_ctr[port->id];
	struct fwd_out o = { .port = port };
	unsigned int tso;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (m->ol_flags & RTE_MBUF_F_TX_TCP_SEG) {
			tso = (m->ol_flags & RTE_MBUF_F_TX_IPV6) ? VSW_TXO_TSO6 : VSW_TXO_TSO4;
			if (!(caps & tso)) {
				fwd_segment(pmd, &o, m, caps);
				continue;
			}
			vsw_ctr_add(&pc->gso_tx, 1);
		} else if ((m->ol_flags & RTE_MBUF_F_TX_L4_MASK) && !(caps & VSW_TXO_CSUM)) {
			if (vsw_sw_csum(&m, pmd->sw->pool)) {
				rte_pktmbuf_free(m);
				vsw_ctr_add(&pc->drops[VSW_DROP_OFFLOAD], 1);
				continue;
			}
			vsw_ctr_add(&pc->csum_sw, 1);
		}
		fwd_out_add(pmd, &o, m);
	}
	if (o.n)
		fwd_xmit(pmd, port, o.pkts, o.n);
}

static void fwd_send(struct vsw_pmd *pmd, struct vsw_txbuf *txb)
{
	struct vsw_port *port = txb->port;

	/* One test per burst keeps the common case (no offload pending) as it was. */
	if (unlikely(txb->ol_flags & (RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG)))
		fwd_send_soft(pmd, port, txb->pkts, txb->n,
			      port->ops->tx_offloads ? port->ops->tx_offloads(port) : 0);
	else
		fwd_xmit(pmd, port, txb->pkts, txb->n);
	txb->n = 0;
	txb->ol_flags = 0;
}

/* txb->port != NULL exactly while the port is on the dirty list. */
void vsw_fwd_buffer(struct vsw_pmd *pmd, struct vsw_port *out, struct rte_mbuf *m)
{
	struct vsw_txbuf *txb = &pmd->txb[out->id];

	if (!txb->port) {
		txb->port = out;
		pmd->dirty[pmd->n_dirty++] = out->id;
	}
	txb->pkts[txb->n++] = m;
	txb->ol_flags |= m->ol_flags;
	if (txb->n >= pmd->sw->opts.burst)
		fwd_send(pmd, txb);
}

void vsw_fwd_flush(struct vsw_pmd *pmd)
{
	struct vsw_txbuf *txb;
	uint16_t i;

	for (i = 0; i < pmd->n_dirty; i++) {
		txb = &pmd->txb[pmd->dirty[i]];
		if (txb->n)
			fwd_send(pmd, txb);
		txb->port = NULL;
	}
	pmd->n_dirty = 0;
}

/* The port behind @id if it may receive from tenant @t, else NULL. */
static struct vsw_port *fwd_port(struct vsw_pmd *pmd, uint16_t id, const struct vsw_tenant *t)
{
	struct vsw_port *p;

	if (id >= VSW_MAX_PORTS)
		return NULL;
	/* Pairs with the release store in vswitch.c when a port is published. */
	p = atomic_load_explicit(&pmd->sw->ports[id], memory_order_acquire);
	return p && p->tenant == t ? p : NULL;
}

/*
 * One buffer for @k ports: every segment gets k references because
 * rte_pktmbuf_free() drops one per segment.  Ports must not write into
 * shared frames (port.h).
 */
static void fwd_share(struct rte_mbuf *m, unsigned int k)
{
	for (; m; m = m->next)
		rte_mbuf_refcnt_update(m, (int16_t)(k - 1));
}

/*
 * Flood within the tenant: every local port but the ingress one and, for a
 * frame that did not come from a tunnel, every remote VTEP of the tenant
 * (head-end replication).  Each output holds one reference; the overlay
 * copies what it encapsulates and drops its reference.
 */
static void fwd_flood(struct vsw_pmd *pmd, const struct vsw_ingress *in, struct rte_mbuf *m)
{
	struct vsw_tenant *t = in->t;
	const struct vsw_port_set *set = atomic_load_explicit(&t->ports, memory_order_acquire);
	const struct vsw_vtep_set *vt = NULL;
	struct vsw_port *outs[VSW_MAX_PORTS];
	unsigned int i, k = 0, nv = 0;

	for (i = 0; i < set->n; i++) {
		if (set->ids[i] == in->src)
			continue;
		outs[k] = fwd_port(pmd, set->ids[i], t);
		if (outs[k])
			k++;
	}
	if (!in->tunnel) {
		vt = atomic_load_explicit(&t->vteps, memory_order_acquire);
		nv = vt->n;
	}
	if (k + nv == 0) {
		fwd_drop(pmd, in, m, VSW_DROP_NO_DEST);
		return;
	}
	fwd_share(m, k + nv);
	for (i = 0; i < nv; i++)
		vsw_ovl_output(pmd, t, vt->idx[i], m);
	for (i = 0; i < k; i++)
		vsw_fwd_buffer(pmd, outs[i], m);
	vsw_ctr_add(&pmd->tenant_ctr[t->idx].flooded, 1);
}

static void fwd_one(struct vsw_pmd *pmd, const struct vsw_ingress *in, struct fwd_burst *b,
		    unsigned int i)
{
	uint16_t to = b->out[i];
	struct vsw_port *out;

	if (rte_is_multicast_ether_addr(b->dst[i]) || to == VSW_PORT_NONE) {
		fwd_flood(pmd, in, b->pkts[i]);
		return;
	}
	if (to == in->src) {
		fwd_drop(pmd, in, b->pkts[i], VSW_DROP_HAIRPIN);
		return;
	}
	if (vsw_fdb_is_vtep(to)) {
		/* Tunnel to tunnel is never forwarded: the sender reaches that VTEP itself. */
		if (in->tunnel) {
			fwd_drop(pmd, in, b->pkts[i], VSW_DROP_HAIRPIN);
			return;
		}
		vsw_ovl_output(pmd, in->t, (uint16_t)(to & ~VSW_FDB_VTEP), b->pkts[i]);
		vsw_ctr_add(&pmd->tenant_ctr[in->t->idx].unicast, 1);
		return;
	}
	out = fwd_port(pmd, to, in->t);
	if (!out) {
		/* Stale entry of a port being removed: treat as unknown. */
		fwd_flood(pmd, in, b->pkts[i]);
		return;
	}
	vsw_fwd_buffer(pmd, out, b->pkts[i]);
	vsw_ctr_add(&pmd->tenant_ctr[in->t->idx].unicast, 1);
}

/* Keep frames with a readable Ethernet header and a unicast source. */
static void fwd_filter(struct vsw_pmd *pmd, const struct vsw_ingress *in, struct rte_mbuf **pkts,
		       uint16_t n, struct fwd_burst *b)
{
	struct rte_ether_hdr *eth;
	uint64_t bytes = 0, gso = 0;
	uint16_t i;

	b->n = 0;
	for (i = 0; i < n; i++) {
		bytes += rte_pktmbuf_pkt_len(pkts[i]);
		gso += !!(pkts[i]->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
		if (rte_pktmbuf_data_len(pkts[i]) < RTE_ETHER_HDR_LEN) {
			fwd_drop(pmd, in, pkts[i], VSW_DROP_RUNT);
			continue;
		}
		eth = rte_pktmbuf_mtod(pkts[i], struct rte_ether_hdr *);
		if (rte_is_multicast_ether_addr(&eth->src_addr) ||
		    rte_is_zero_ether_addr(&eth->src_addr)) {
			fwd_drop(pmd, in, pkts[i], VSW_DROP_BAD_SRC);
			continue;
		}
		b->pkts[b->n] = pkts[i];
		b->src[b->n] = &eth->src_addr;
		b->dst[b->n] = &eth->dst_addr;
		b->n++;
	}
	/* An uplink's own counters hold the outer packets (overlay_dp.c). */
	if (!in->tunnel) {
		vsw_ctr_add(&pmd->port_ctr[in->port->id].rx_packets, n);
		vsw_ctr_add(&pmd->port_ctr[in->port->id].rx_bytes, bytes);
		if (gso)
			vsw_ctr_add(&pmd->port_ctr[in->port->id].gso_rx, gso);
	}
	vsw_ctr_add(&pmd->tenant_ctr[in->t->idx].rx_packets, n);
	vsw_ctr_add(&pmd->tenant_ctr[in->t->idx].rx_bytes, bytes);
}

/* EVPN tenants: who claims which IPv4 address, from the ARP its guests send. */
static void fwd_snoop_arp(struct vsw_pmd *pmd, const struct vsw_ingress *in,
			  const struct fwd_burst *b)
{
	uint8_t mac[RTE_ETHER_ADDR_LEN];
	uint32_t ip;

	for (unsigned int i = 0; i < b->n; i++)
		if (vsw_arp_claim(rte_pktmbuf_mtod(b->pkts[i], const uint8_t *),
				  rte_pktmbuf_data_len(b->pkts[i]), &ip, mac))
			vsw_evpn_saw_arp(pmd->sw, in->t->vni, ip, mac);
}

void vsw_fwd_burst(struct vsw_pmd *pmd, const struct vsw_ingress *in, struct rte_mbuf **pkts,
		   uint16_t n, uint32_t now_s)
{
	struct vsw_tenant_ctr *tc = &pmd->tenant_ctr[in->t->idx];
	struct vsw_fdb_learn res = { 0 };
	struct fwd_burst b;
	unsigned int i;

	fwd_filter(pmd, in, pkts, n, &b);
	if (b.n == 0)
		return;
	if (in->src != VSW_PORT_NONE) {
		vsw_fdb_learn_bulk(in->t->fdb, b.src, b.n, in->src, now_s, &res);
		vsw_ctr_add(&tc->learned, res.learned);
		if (!in->tunnel && atomic_load_explicit(&in->t->evpn, memory_order_relaxed)) {
			if (res.learned | res.moved)
				vsw_evpn_kick(pmd->sw);
			fwd_snoop_arp(pmd, in, &b);
		}
		vsw_ctr_add(&tc->moved, res.moved);
		vsw_ctr_add(&tc->learn_failed, res.failed);
	}
	vsw_fdb_lookup_bulk(in->t->fdb, b.dst, b.n, b.out);
	for (i = 0; i < b.n; i++)
		fwd_one(pmd, in, &b, i);
}
