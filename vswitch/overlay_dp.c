/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * overlay_dp.c - the PMD side of the VXLAN overlay: decapsulation of what an
 * uplink receives, and encapsulation of what forward.c sends to a remote
 * VTEP.  Runs in PMD threads only: no lock, no allocation but mbufs, and a
 * syscall only to wake the overlay thread when it has something to learn or
 * resolve (at most one request per address per second per PMD).
 *
 * Security model: uplink packets come from the network.  vxlan_parse()
 * checks every header (vxlan.h); then the VNI must be a tenant of ours that
 * travels over VXLAN, the sender a VTEP of that tenant (or the tenant
 * learns), and the inner source MAC not one of our own NICs'.  Each refusal
 * is counted by reason (overlay.h) and the frame freed; the tenant's
 * forwarding (forward.c) then applies its own checks to the inner frame.
 * Frames from a tunnel are never sent back into one (split horizon).
 *
 * Transmit: a frame the switch alone holds, in one segment with headroom,
 * gets its outer headers in place; a shared one (flooding) or a chained one
 * is copied into a fresh buffer.  A partial checksum the guest left for us
 * (NEEDS_CSUM) is completed first: no uplink offloads inner checksums.  The
 * outer headers come from the VTEP's next hop, a template the overlay thread
 * builds (underlay.c); a frame for a VTEP without one is counted and
 * dropped while the thread resolves it.
 */
#include <string.h>
#include <sys/eventfd.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "vswitch/overlay_priv.h"
#include "vswitch/port.h"
#include "vswitch/wg_priv.h"

#define DP_REJECT 0xfffeu /* dp_source(): the sender may not send to this tenant */

/* vxlan_parse() verdicts as drop reasons (VXLAN_OK and NOT_TUNNEL never get here). */
static const uint8_t verdict_drop[VXLAN_VERDICT_MAX] = {
	[VXLAN_TRUNCATED] = VSW_TUN_TRUNCATED,	     [VXLAN_BAD_IP] = VSW_TUN_BAD_IP,
	[VXLAN_IP_OPTIONS] = VSW_TUN_IP_OPTIONS,     [VXLAN_FRAGMENT] = VSW_TUN_FRAGMENT,
	[VXLAN_BAD_IP_CSUM] = VSW_TUN_BAD_IP_CSUM,   [VXLAN_BAD_UDP] = VSW_TUN_BAD_UDP,
	[VXLAN_BAD_UDP_CSUM] = VSW_TUN_BAD_UDP_CSUM, [VXLAN_BAD_FLAGS] = VSW_TUN_BAD_FLAGS,
	[VXLAN_BAD_SRC] = VSW_TUN_BAD_SRC,	     [VXLAN_INNER_RUNT] = VSW_TUN_INNER_RUNT,
};

/* Frames of one burst from one VTEP into one tenant, handed to forward.c together. */
struct dp_run {
	struct vsw_ingress in;
	uint16_t n;
	struct rte_mbuf *pkts[VSW_BURST_MAX];
};

static void dp_drop(struct vsw_pmd *pmd, struct rte_mbuf *m, enum vsw_tun_drop why)
{
	rte_pktmbuf_free(m);
	vsw_ctr_add(&pmd->ovl_ctr.drops[why], 1);
}

static struct vsw_tenant *dp_tenant(const struct vsw_vni_map *map, uint32_t vni)
{
	unsigned int lo = 0, hi = map->n, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (map->e[mid].vni == vni)
			return map->e[mid].t;
		if (map->e[mid].vni < vni)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void dp_request(struct vsw_pmd *pmd, struct vsw_overlay *ovl, const struct ovl_req *r)
{
	if (rte_ring_mp_enqueue_elem(ovl->req, (void *)r, sizeof(*r)) != 0) {
		vsw_ctr_add(&pmd->ovl_ctr.learn_queue_full, 1);
		return;
	}
	/* One wake-up per batch: the thread clears the flag before it drains. */
	if (!atomic_exchange_explicit(&ovl->req_pending, true, memory_order_seq_cst))
		eventfd_write(ovl->req_fd, 1);
}

/* Ask the overlay thread to learn @a for tenant @t, once a second per PMD at most. */
static void dp_ask_learn(struct vsw_pmd *pmd, struct vsw_overlay *ovl, const struct vsw_tenant *t,
			 const struct vsw_addr *a, uint32_t now_s)
{
	struct ovl_req r = { .kind = OVL_REQ_LEARN, .tenant = (uint8_t)t->idx, .addr = *a };

	if (pmd->last_learn_s == now_s && pmd->last_learn_tenant == t->idx &&
	    memcmp(&pmd->last_learn_req, a, sizeof(*a)) == 0)
		return;
	pmd->last_learn_req = *a;
	pmd->last_learn_tenant = (uint8_t)t->idx;
	pmd->last_learn_s = now_s;
	dp_request(pmd, ovl, &r);
}

/*
 * The FDB source value for frames from VTEP @a into tenant @t, which came
 * sealed by WireGuard peer @via (VSW_WG_NONE: plain VXLAN): VSW_FDB_VTEP |
 * slot for a known VTEP, VSW_PORT_NONE for one being learned (deliver, do not
 * learn MACs yet), DP_REJECT with *why for a stranger to a tenant that does
 * not learn, or for a VTEP that must come through the tunnel (its peer's)
 * and did not.
 */
static uint16_t dp_source(struct vsw_pmd *pmd, struct vsw_overlay *ovl, const struct vsw_tenant *t,
			  const struct vsw_addr *a, uint16_t via, uint32_t now_s,
			  enum vsw_tun_drop *why)
{
	bool learn = atomic_load_explicit(&t->learn, memory_order_relaxed);
	void *data = NULL;
	struct vsw_vtep *v = NULL;
	uint16_t peer;
	uint32_t idx;

	if (rte_hash_lookup_data(ovl->h, a, &data) >= 0) {
		idx = (uint32_t)(uintptr_t)data;
		/* Pairs with the release store in overlay.c's ovl_vtep_add(). */
		v = idx < VSW_MAX_VTEPS ?
			    atomic_load_explicit(&ovl->vteps[idx], memory_order_acquire) :
			    NULL;
	}
	if (v && memcmp(&v->addr, a, sizeof(*a)) != 0)
		v = NULL; /* a slot reused since the lookup */
	peer = v ? atomic_load_explicit(&v->wg_peer, memory_order_relaxed) : VSW_WG_NONE;
	if (v && peer != via) {
		*why = via == VSW_WG_NONE ? VSW_TUN_UNENCRYPTED : VSW_TUN_WG_ALLOWED_IPS;
		return DP_REJECT;
	}
	if (v) {
		if (atomic_load_explicit(&v->last_seen, memory_order_relaxed) != now_s)
			atomic_store_explicit(&v->last_seen, now_s, memory_order_relaxed);
		if (atomic_load_explicit(&v->member, memory_order_relaxed) & (1ull << t->idx))
			return (uint16_t)(VSW_FDB_VTEP | v->idx);
	}
	*why = VSW_TUN_UNKNOWN_VTEP;
	if (!learn)
		return DP_REJECT;
	dp_ask_learn(pmd, ovl, t, a, now_s);
	/* A known VTEP joining another tenant: its MACs can be learned already. */
	return v ? (uint16_t)(VSW_FDB_VTEP | v->idx) : VSW_PORT_NONE;
}

static void dp_flush(struct vsw_pmd *pmd, struct dp_run *run, uint32_t now_s)
{
	if (run->n)
		vsw_fwd_burst(pmd, &run->in, run->pkts, run->n, now_s);
	run->n = 0;
}

/* Strip the outer headers of @m and refuse inner sources that are our own NICs. */
static bool dp_decap(struct vsw_pmd *pmd, struct rte_mbuf *m, const struct vxlan_rx *rx)
{
	const struct rte_ether_hdr *eth;

	rte_pktmbuf_adj(m, (uint16_t)rx->inner_off);
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - rx->inner_len));
	/* The outer packet's offload state says nothing about the inner frame. */
	m->ol_flags = 0;
	m->packet_type = 0;
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (rte_hash_lookup(pmd->sw->owned_macs, &eth->src_addr) >= 0) {
		dp_drop(pmd, m, VSW_TUN_SPOOFED_SRC);
		return false;
	}
	return true;
}

/*
 * Parse @m as plain VXLAN or, failing that, as a WireGuard message to our
 * port, opened into the VXLAN it sealed: false when @m was consumed.
 * *via: the peer it came sealed by, VSW_WG_NONE for plain VXLAN.
 */
static bool dp_parse(struct vsw_pmd *pmd, struct vsw_overlay *ovl, struct rte_mbuf *m,
		     struct vxlan_rx *rx, uint16_t *via)
{
	const uint8_t *pkt = rte_pktmbuf_mtod(m, const uint8_t *);
	struct vsw_wg *wg = wg_of(pmd->sw);
	enum vxlan_verdict v;

	*via = VSW_WG_NONE;
	v = vxlan_parse(pkt, rte_pktmbuf_data_len(m), &ovl->local, rx);
	if (v == VXLAN_NOT_TUNNEL && wg) {
		v = vxlan_parse(pkt, rte_pktmbuf_data_len(m), &wg->outer, rx);
		if (v == VXLAN_OK)
			return vsw_wg_rx(pmd, wg, m, rx, via);
	}
	if (v == VXLAN_NOT_TUNNEL) {
		rte_pktmbuf_free(m);
		vsw_ctr_add(&pmd->ovl_ctr.not_tunnel, 1);
		return false;
	}
	if (v != VXLAN_OK) {
		dp_drop(pmd, m, (enum vsw_tun_drop)verdict_drop[v]);
		return false;
	}
	return true;
}

/* One packet from an uplink: drop it, or add its inner frame to @run. */
static void dp_rx_one(struct vsw_pmd *pmd, struct vsw_overlay *ovl, const struct vsw_vni_map *map,
		      struct rte_mbuf *m, struct dp_run *run, uint32_t now_s)
{
	enum vsw_tun_drop why = VSW_TUN_UNKNOWN_VTEP;
	struct vxlan_rx rx;
	struct vsw_tenant *t;
	uint16_t src, via;

	if (m->nb_segs != 1) {
		dp_drop(pmd, m, VSW_TUN_NONLINEAR);
		return;
	}
	if (!dp_parse(pmd, ovl, m, &rx, &via))
		return;
	t = dp_tenant(map, rx.vni);
	if (!t) {
		dp_drop(pmd, m, VSW_TUN_UNKNOWN_VNI);
		return;
	}
	if (via == VSW_WG_NONE && atomic_load_explicit(&t->encrypted, memory_order_relaxed)) {
		dp_drop(pmd, m, VSW_TUN_UNENCRYPTED);
		return;
	}
	src = dp_source(pmd, ovl, t, &rx.src, via, now_s, &why);
	if (src == DP_REJECT) {
		dp_drop(pmd, m, why);
		return;
	}
	if (!dp_decap(pmd, m, &rx))
		return;
	vsw_ctr_add(&pmd->ovl_ctr.decap_packets, 1);
	vsw_ctr_add(&pmd->ovl_ctr.decap_bytes, rx.inner_len);
	if (vsw_fdb_is_vtep(src)) {
		vsw_ctr_add(&pmd->vtep_ctr[src & ~VSW_FDB_VTEP].rx_packets, 1);
		vsw_ctr_add(&pmd->vtep_ctr[src & ~VSW_FDB_VTEP].rx_bytes, rx.inner_len);
		/* Under EVPN the control plane says where remote MACs are, not the traffic. */
		if (atomic_load_explicit(&t->evpn, memory_order_relaxed))
			src = VSW_PORT_NONE;
	}
	if (run->n && (run->in.t != t || run->in.src != src))
		dp_flush(pmd, run, now_s);
	run->in.t = t;
	run->in.src = src;
	run->pkts[run->n++] = m;
}

void vsw_ovl_rx(struct vsw_pmd *pmd, struct vsw_port *uplink, struct rte_mbuf **pkts, uint16_t n,
		uint32_t now_s)
{
	/* Pairs with the release store in overlay.c's vsw_overlay_enable(). */
	struct vsw_overlay *ovl = atomic_load_explicit(&pmd->sw->ovl, memory_order_acquire);
	struct vsw_port_ctr *pc = &pmd->port_ctr[uplink->id];
	const struct vsw_vni_map *map;
	struct dp_run run = { .in = { .port = uplink, .tunnel = true } };
	uint64_t bytes = 0;
	uint16_t i;

	for (i = 0; i < n; i++)
		bytes += rte_pktmbuf_pkt_len(pkts[i]);
	vsw_ctr_add(&pc->rx_packets, n);
	vsw_ctr_add(&pc->rx_bytes, bytes);
	if (!ovl) {
		for (i = 0; i < n; i++)
			dp_drop(pmd, pkts[i], VSW_TUN_NO_OVERLAY);
		return;
	}
	/* Pairs with the release exchange in overlay.c's ovl_publish_vnis(). */
	map = atomic_load_explicit(&ovl->vnis, memory_order_acquire);
	for (i = 0; i < n; i++)
		dp_rx_one(pmd, ovl, map, pkts[i], &run, now_s);
	dp_flush(pmd, &run, now_s);
}

/* ---- transmit ---- */

/*
 * Complete a partial L4 checksum (virtio NEEDS_CSUM, as net_offload.c maps
 * it): the field holds the pseudo-header sum, the rest is summed from the L4
 * header on.  Metadata that does not fit the frame leaves it as it is.
 */
static void dp_finish_csum(uint8_t *frame, uint32_t len, const struct rte_mbuf *meta)
{
	uint64_t l4 = meta->ol_flags & RTE_MBUF_F_TX_L4_MASK;
	uint32_t start = (uint32_t)meta->l2_len + meta->l3_len, off;
	uint16_t c;

	if (l4 != RTE_MBUF_F_TX_TCP_CKSUM && l4 != RTE_MBUF_F_TX_UDP_CKSUM)
		return;
	off = start + (l4 == RTE_MBUF_F_TX_TCP_CKSUM ? 16 : 6);
	if (off + 2 > len)
		return;
	c = (uint16_t)~rte_raw_cksum(frame + start, len - start);
	if (c == 0 && l4 == RTE_MBUF_F_TX_UDP_CKSUM)
		c = 0xffff; /* RFC 768: zero means "no checksum" */
	memcpy(frame + off, &c, sizeof(c));
}

struct rte_mbuf *vsw_ovl_make_room(struct vsw_pmd *pmd, struct rte_mbuf *m, uint32_t head,
				   uint32_t tail, uint8_t **inner)
{
	uint32_t len = rte_pktmbuf_pkt_len(m);
	struct rte_mbuf *out = m;
	const void *src;
	uint8_t *hdr;

	if (rte_mbuf_refcnt_read(m) == 1 && RTE_MBUF_DIRECT(m) && m->nb_segs == 1 &&
	    rte_pktmbuf_headroom(m) >= head && rte_pktmbuf_tailroom(m) >= tail) {
		*inner = rte_pktmbuf_mtod(m, uint8_t *);
		dp_finish_csum(*inner, len, m);
		/* Neither can fail: the room was checked. */
		rte_pktmbuf_prepend(m, (uint16_t)head);
		rte_pktmbuf_append(m, (uint16_t)tail);
	} else {
		out = rte_pktmbuf_alloc(pmd->sw->pool);
		hdr = out && head + len + tail <= UINT16_MAX ?
			      (uint8_t *)rte_pktmbuf_append(out, (uint16_t)(head + len + tail)) :
			      NULL;
		if (!hdr) {
			rte_pktmbuf_free(out);
			rte_pktmbuf_free(m);
			return NULL;
		}
		*inner = hdr + head;
		src = rte_pktmbuf_read(m, 0, len, *inner);
		if (src != *inner)
			memcpy(*inner, src, len);
		dp_finish_csum(*inner, len, m);
		rte_pktmbuf_free(m);
	}
	out->ol_flags = 0;
	out->packet_type = 0;
	return out;
}

/* No usable next hop: ask the thread to look (once until it has) and drop. */
static void dp_no_nexthop(struct vsw_pmd *pmd, struct vsw_overlay *ovl, struct vsw_vtep *v,
			  struct rte_mbuf *m)
{
	struct ovl_req r = { .kind = OVL_REQ_RESOLVE };

	if (v) {
		vsw_ctr_add(&pmd->vtep_ctr[v->idx].tx_dropped, 1);
		r.vtep = v->idx;
		if (!atomic_exchange_explicit(&v->want_resolve, true, memory_order_relaxed))
			dp_request(pmd, ovl, &r);
	}
	dp_drop(pmd, m, VSW_TUN_NO_NEXTHOP);
}

/* The uplink of @nh if it is still the port the next hop was built for. */
static struct vsw_port *dp_uplink(const struct vsw_pmd *pmd, const struct vsw_nexthop *nh)
{
	struct vsw_port *p;

	if (nh->state != VSW_NH_OK || nh->uplink >= VSW_MAX_PORTS)
		return NULL;
	/* Pairs with the release store in vswitch.c's vsw_port_attach(). */
	p = atomic_load_explicit(&pmd->sw->ports[nh->uplink], memory_order_acquire);
	return p && p->ops->uplink && p->ifindex == nh->ifindex ? p : NULL;
}

struct vsw_port *vsw_ovl_uplink(const struct vsw_pmd *pmd, const struct vsw_nexthop *nh)
{
	return dp_uplink(pmd, nh);
}

void vsw_ovl_want_nexthop(struct vsw_pmd *pmd, struct vsw_vtep *v)
{
	struct vsw_overlay *ovl = atomic_load_explicit(&pmd->sw->ovl, memory_order_acquire);
	struct ovl_req r = { .kind = OVL_REQ_RESOLVE, .vtep = v->idx };

	if (ovl && !atomic_exchange_explicit(&v->want_resolve, true, memory_order_relaxed))
		dp_request(pmd, ovl, &r);
}

void vsw_ovl_no_nexthop(struct vsw_pmd *pmd, struct vsw_vtep *v, struct rte_mbuf *m)
{
	dp_no_nexthop(pmd, atomic_load_explicit(&pmd->sw->ovl, memory_order_acquire), v, m);
}

/*
 * A TSO frame is tunnelled as the segments the guest would have sent
 * without TSO: no uplink here takes inner TSO, and each segment is sized to
 * the guest's MTU, which is what the tunnel's MTU was set for.
 */
static void dp_output_segments(struct vsw_pmd *pmd, uint32_t vni, bool encrypted, uint16_t vtep,
			       struct rte_mbuf *m)
{
	struct rte_mbuf *segs[VSW_GSO_MAX_SEGS];
	/* Checksums stay pending: the copy into the tunnel packet completes them. */
	int n = vsw_gso_segment(m, pmd->sw->pool, true, segs, VSW_GSO_MAX_SEGS);

	if (n < 0) {
		dp_drop(pmd, m, VSW_TUN_NO_MBUF);
		return;
	}
	rte_pktmbuf_free(m);
	for (int i = 0; i < n; i++)
		vsw_ovl_output_vni(pmd, vni, encrypted, vtep, segs[i]);
}

void vsw_ovl_output_vni(struct vsw_pmd *pmd, uint32_t vni, bool encrypted, uint16_t vtep,
			struct rte_mbuf *m)
{
	struct vsw_overlay *ovl = atomic_load_explicit(&pmd->sw->ovl, memory_order_acquire);
	struct vsw_wg *wg = wg_of(pmd->sw);
	const struct vsw_nexthop *nh;
	struct vsw_vtep *v = NULL;
	struct vsw_port *up;
	struct rte_mbuf *out;
	uint32_t len = rte_pktmbuf_pkt_len(m);
	uint16_t peer;
	uint8_t *inner;

	if (unlikely(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG)) {
		dp_output_segments(pmd, vni, encrypted, vtep, m);
		return;
	}
	if (ovl && vtep < VSW_MAX_VTEPS)
		v = atomic_load_explicit(&ovl->vteps[vtep], memory_order_acquire);
	if (!v) {
		dp_drop(pmd, m, VSW_TUN_NO_NEXTHOP);
		return;
	}
	/* Pairs with the release store in overlay.c's ovl_set_nexthop(). */
	nh = atomic_load_explicit(&v->nh, memory_order_acquire);
	peer = atomic_load_explicit(&v->wg_peer, memory_order_relaxed);
	if (peer != VSW_WG_NONE && wg) {
		vsw_wg_output(pmd, wg, vni, encrypted, v, nh, m);
		return;
	}
	/* Plain VXLAN; never for a tenant that is only carried sealed. */
	if (encrypted || peer != VSW_WG_NONE) {
		vsw_ctr_add(&pmd->vtep_ctr[vtep].tx_dropped, 1);
		dp_drop(pmd, m, VSW_TUN_UNENCRYPTED);
		return;
	}
	up = nh->wg_peer == VSW_WG_NONE ? dp_uplink(pmd, nh) : NULL;
	if (!up) {
		dp_no_nexthop(pmd, ovl, v, m);
		return;
	}
	/* DF: never fragmented; GSO frames were segmented above, so this is a bug's backstop. */
	if (len + nh->tmpl.len - VXLAN_ETH_HLEN > nh->mtu ||
	    (m->ol_flags & (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG))) {
		vsw_ctr_add(&pmd->vtep_ctr[vtep].tx_dropped, 1);
		dp_drop(pmd, m, VSW_TUN_TOO_BIG);
		return;
	}
	out = vsw_ovl_make_room(pmd, m, nh->tmpl.len, 0, &inner);
	if (!out) {
		vsw_ctr_add(&pmd->ovl_ctr.drops[VSW_TUN_NO_MBUF], 1);
		return;
	}
	vxlan_write(&nh->tmpl, rte_pktmbuf_mtod(out, uint8_t *), vni, vxlan_src_port(inner, len),
		    len);
	if (nh->tmpl.udp_csum)
		vxlan_udp_csum(&nh->tmpl, rte_pktmbuf_mtod(out, uint8_t *),
			       rte_raw_cksum(inner, len));
	vsw_ctr_add(&pmd->ovl_ctr.encap_packets, 1);
	vsw_ctr_add(&pmd->ovl_ctr.encap_bytes, len + nh->tmpl.len);
	vsw_ctr_add(&pmd->vtep_ctr[vtep].tx_packets, 1);
	vsw_ctr_add(&pmd->vtep_ctr[vtep].tx_bytes, len + nh->tmpl.len);
	vsw_fwd_buffer(pmd, up, out);
}

void vsw_ovl_output(struct vsw_pmd *pmd, const struct vsw_tenant *t, uint16_t vtep,
		    struct rte_mbuf *m)
{
	vsw_ovl_output_vni(pmd, t->vni, atomic_load_explicit(&t->encrypted, memory_order_relaxed),
			   vtep, m);
}
