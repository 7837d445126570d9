/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * wg_dp.c - the PMD side of the WireGuard tunnel: opening the data messages
 * an uplink brings, sealing VXLAN packets for encrypted VTEPs, and sending
 * what peers staged while they waited for keys.  No lock but a keypair's
 * replay spinlock, no allocation but mbufs, no system call but the eventfd
 * that wakes the tunnel's thread (once per batch of requests).
 *
 * Security model: a message is checked in this order, each refusal counted
 * (overlay.h): its format and length (wg_msg_classify), a receiver index
 * that names keys we hold, their age, the Poly1305 tag (the packet is
 * opened in place; a refused one is garbage and freed), and only then the
 * counter against the replay window, so a forged message moves nothing.
 * What it held must be an IP packet from an address in the sending peer's
 * allowed IPs, and VXLAN to our tunnel address, which vxlan_parse() checks
 * as it checks any VXLAN.  The peer's endpoint follows authenticated
 * packets only (roaming).
 *
 * Sealing (whitepaper 5.4.6): the VXLAN headers go in front of the frame
 * where the outer Ethernet header would be, their Ethernet part overwritten
 * by the 16-byte message header, then the packet is padded to 16 bytes,
 * encrypted in place with the tag after it, and the plain UDP headers to
 * the peer's endpoint go in front of all.  A frame the switch alone holds
 * with the room is sealed where it lies; a shared one is copied once.
 */
#include <string.h>
#include <sys/eventfd.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "vswitch/overlay_priv.h"
#include "vswitch/port.h"
#include "vswitch/wg_priv.h"

static void wg_drop(struct vsw_pmd *pmd, struct rte_mbuf *m, enum vsw_tun_drop why)
{
	rte_pktmbuf_free(m);
	vsw_ctr_add(&pmd->ovl_ctr.drops[why], 1);
}

static void wg_wake(struct vsw_wg *wg)
{
	/* One wake-up per batch: the thread clears the flag before it looks. */
	if (!atomic_exchange_explicit(&wg->wake_pending, true, memory_order_seq_cst))
		eventfd_write(wg->wake_fd, 1);
}

static void wg_want_handshake(struct vsw_wg *wg, struct vsw_wg_peer *peer)
{
	if (!atomic_load_explicit(&peer->want_hs, memory_order_relaxed)) {
		atomic_store_explicit(&peer->want_hs, true, memory_order_relaxed);
		wg_wake(wg);
	}
}

static void wg_stamp(_Atomic uint64_t *t, uint64_t now)
{
	/* Several PMDs may stamp one peer: a slightly older stamp changes no decision. */
	if (atomic_load_explicit(t, memory_order_relaxed) < now)
		atomic_store_explicit(t, now, memory_order_relaxed);
}

static bool wg_in_prefix(const struct vsw_prefix *p, const struct vsw_addr *a)
{
	unsigned int full = p->plen / 8, rest = p->plen % 8;

	if (p->addr.family != a->family || memcmp(p->addr.a, a->a, full) != 0)
		return false;
	return rest == 0 || ((p->addr.a[full] ^ a->a[full]) & (0xff00u >> rest) & 0xff) == 0;
}

static bool wg_allowed(const struct vsw_wg_peer *peer, const struct vsw_addr *a)
{
	for (unsigned int i = 0; i < peer->n_allowed; i++)
		if (wg_in_prefix(&peer->allowed[i], a))
			return true;
	return false;
}

/* An authenticated packet came from @rx's source: tell the thread if the peer moved. */
static void wg_roam(struct vsw_pmd *pmd, struct vsw_wg *wg, struct vsw_wg_peer *peer,
		    const struct vxlan_rx *rx)
{
	/* Pairs with the release exchange in wg.c's wg_set_endpoint(). */
	const struct vsw_wg_endpoint *ep = atomic_load_explicit(&peer->ep, memory_order_acquire);
	struct wg_roam r = { .peer = peer->idx, .ep = { .addr = rx->src, .port = rx->sport } };
	bool same_addr = ep && memcmp(&ep->addr, &rx->src, sizeof(rx->src)) == 0;
	uint32_t live = WG_LIVE_PORT | rx->sport;

	if (same_addr && atomic_load_explicit(&peer->live_port, memory_order_relaxed) != live)
		atomic_store_explicit(&peer->live_port, live, memory_order_relaxed);
	if (same_addr && ep->port == rx->sport)
		return;
	/* At most once a second per PMD and peer: the thread takes the newest anyway. */
	if (pmd->last_roam_peer == peer->idx && pmd->last_roam_s == pmd->now_s)
		return;
	pmd->last_roam_peer = peer->idx;
	pmd->last_roam_s = pmd->now_s;
	if (rte_ring_mp_enqueue_elem(wg->roam, &r, sizeof(r)) == 0)
		wg_wake(wg);
}

/* The keys @index names, if we hold them and they are young enough; else NULL and *why. */
static struct vsw_wg_kp *wg_keys_for(struct vsw_wg *wg, uint32_t index, uint64_t now,
				     enum vsw_tun_drop *why)
{
	/* Pairs with the release store in wg.c's wg_index_publish(). */
	struct vsw_wg_kp *k = atomic_load_explicit(&wg->index[index & (WG_INDEX_SLOTS - 1)],
						   memory_order_acquire);

	if (!k || k->kp.k.local_index != index) {
		*why = VSW_TUN_WG_UNKNOWN_INDEX;
		return NULL;
	}
	if (wg_age(now, k->kp.birth_ns) >= wg->times.reject_after_time) {
		*why = VSW_TUN_WG_EXPIRED;
		return NULL;
	}
	return k;
}

/*
 * What a data message held, in place at @plain (@plen bytes, padded): check
 * it is VXLAN to us from an address of @peer's, and describe it in @rx
 * relative to @pkt.  The 14 bytes in front of @plain (the message header's
 * tail, no longer needed) become an Ethernet header so that vxlan_parse()
 * reads it as any VXLAN packet.
 */
static enum vsw_tun_drop wg_inner(struct vsw_wg *wg, const struct vsw_wg_peer *peer, uint8_t *pkt,
				  uint8_t *plain, uint32_t plen, struct vxlan_rx *rx)
{
	uint8_t *eth = plain - VXLAN_ETH_HLEN;
	uint16_t type = plain[0] >> 4 == 4 ? RTE_ETHER_TYPE_IPV4 :
			plain[0] >> 4 == 6 ? RTE_ETHER_TYPE_IPV6 :
					     0;

	if (!type)
		return VSW_TUN_WG_NOT_VXLAN;
	memset(eth, 0, 12);
	eth[12] = (uint8_t)(type >> 8);
	eth[13] = (uint8_t)type;
	if (vxlan_parse(eth, plen + VXLAN_ETH_HLEN, &wg->inner, rx) != VXLAN_OK)
		return VSW_TUN_WG_NOT_VXLAN;
	if (!wg_allowed(peer, &rx->src))
		return VSW_TUN_WG_ALLOWED_IPS;
	rx->inner_off += (uint32_t)(eth - pkt);
	return VSW_TUN_DROP_MAX;
}

/* Note what an authenticated message from @peer says for the timers and the keys. */
static void wg_rx_seen(struct vsw_pmd *pmd, struct vsw_wg *wg, struct vsw_wg_kp *k,
		       struct vsw_wg_peer *peer, const struct vxlan_rx *outer, uint64_t now)
{
	wg_stamp(&peer->auth_rx, now);
	/* The first data under the responder's new keys confirms them (5.4.5). */
	if (atomic_load_explicit(&k->unconfirmed, memory_order_relaxed) &&
	    !atomic_exchange_explicit(&peer->confirm, true, memory_order_relaxed))
		wg_wake(wg);
	/* Keys about to expire on the initiator's side: renew them now (whitepaper 6.2). */
	if (k->kp.k.initiator && wg_age(now, k->kp.birth_ns) >=
					 wg->times.reject_after_time - wg->times.keepalive_timeout -
						 wg->times.rekey_timeout)
		wg_want_handshake(wg, peer);
	wg_roam(pmd, wg, peer, outer);
}

bool vsw_wg_rx(struct vsw_pmd *pmd, struct vsw_wg *wg, struct rte_mbuf *m, struct vxlan_rx *rx,
	       uint16_t *via)
{
	uint8_t *pkt = rte_pktmbuf_mtod(m, uint8_t *), *msg = pkt + rx->inner_off;
	enum vsw_tun_drop why = VSW_TUN_WG_BAD_MSG;
	struct vsw_wg_peer_ctr *pc;
	struct vsw_wg_peer *peer;
	enum wg_msg_verdict mv;
	uint64_t now, counter;
	struct vsw_wg_kp *k;
	size_t plen;

	/* Handshake messages go to the kernel's socket (uplink.bpf.c): not ours here. */
	if (wg_msg_classify(msg, rx->inner_len, &mv) != WG_MSG_DATA) {
		if (mv == WG_MSG_VALID) {
			rte_pktmbuf_free(m);
			vsw_ctr_add(&pmd->ovl_ctr.not_tunnel, 1);
			return false;
		}
		goto drop;
	}
	now = wg_now(wg);
	k = wg_keys_for(wg, wg_get_le32(msg + 4), now, &why);
	if (!k)
		goto drop;
	why = VSW_TUN_WG_BAD_AUTH;
	if (wg_data_open(pmd->aead, &k->kp, msg, rx->inner_len, &plen, &counter) < 0)
		goto drop;
	why = VSW_TUN_WG_REPLAY;
	if (!wg_keypair_accept(&k->kp, counter))
		goto drop;
	peer = k->kp.owner;
	pc = &pmd->wg_ctr[peer->idx];
	vsw_ctr_add(&pc->rx_bytes, rx->inner_len);
	wg_rx_seen(pmd, wg, k, peer, rx, now);
	if (plen == 0) {
		vsw_ctr_add(&pc->keepalive_rx, 1);
		rte_pktmbuf_free(m);
		return false;
	}
	vsw_ctr_add(&pc->rx_packets, 1);
	wg_stamp(&peer->data_rx, now);
	why = wg_inner(wg, peer, pkt, msg + WG_DATA_HLEN, (uint32_t)plen, rx);
	if (why != VSW_TUN_DROP_MAX)
		goto drop;
	*via = peer->idx;
	return true;
drop:
	wg_drop(pmd, m, why);
	return false;
}

/* ---- transmit ---- */

/* The keys to send with and a counter, or NULL when there are none fit for it. */
static struct vsw_wg_kp *wg_send_keys(struct vsw_wg *wg, struct vsw_wg_peer *peer, uint64_t now,
				      uint64_t *counter)
{
	/* Pairs with the release store in wg.c's wg_set_cur(). */
	struct vsw_wg_kp *k = atomic_load_explicit(&peer->cur, memory_order_acquire);
	uint64_t age;

	if (!k)
		return NULL;
	age = wg_age(now, k->kp.birth_ns);
	if (age >= wg->times.reject_after_time)
		return NULL;
	*counter = atomic_fetch_add_explicit(&k->kp.send_counter, 1, memory_order_relaxed);
	if (*counter >= WG_REJECT_AFTER_MESSAGES)
		return NULL;
	/* Whitepaper 6.2: the initiator renews old keys; either side renews worn ones. */
	if ((k->kp.k.initiator && age >= wg->times.rekey_after_time) ||
	    *counter >= wg->times.rekey_after_messages)
		wg_want_handshake(wg, peer);
	return k;
}

/*
 * No keys yet: keep @m for the handshake (tagged with where it goes) and ask
 * for one.  Keys may arrive between our look and the enqueue, after the
 * thread looked at the (then empty) queue: so look again, and flush
 * ourselves if they did.
 */
static void wg_stage(struct vsw_pmd *pmd, struct vsw_wg *wg, struct vsw_wg_peer *peer, uint32_t vni,
		     uint16_t vtep, bool encrypted, struct rte_mbuf *m)
{
	m->hash.fdir.lo = vni | (encrypted ? 1u << 31 : 0);
	m->hash.fdir.hi = vtep;
	if (rte_ring_mp_enqueue(peer->staged, m) != 0) {
		wg_drop(pmd, m, VSW_TUN_WG_NO_KEYS);
		return;
	}
	/* Pairs with the fence in wg.c's wg_flush_staged(): one of us sees the other. */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&peer->cur, memory_order_acquire)) {
		atomic_store_explicit(&peer->flush, true, memory_order_relaxed);
		atomic_store_explicit(&wg->flush_pending, true, memory_order_release);
		return;
	}
	wg_want_handshake(wg, peer);
}

/* Is @nh's lack of an uplink a matter of moments (being resolved, or built for another peer)? */
static bool wg_nh_coming(const struct vsw_nexthop *nh, uint16_t pidx)
{
	return nh->wg_peer != pidx || nh->state == VSW_NH_PENDING ||
	       nh->state == VSW_NH_NO_ENDPOINT || nh->state == VSW_NH_NO_NEIGH;
}

/*
 * Keys but no path yet: keep @m with the staged packets, which go when the
 * next hop is published (vsw_wg_nexthop_ready()); counted as waiting for a
 * next hop if there is no room.
 */
static void wg_hold(struct vsw_pmd *pmd, struct vsw_wg *wg, struct vsw_wg_peer *peer, uint32_t vni,
		    struct vsw_vtep *v, bool encrypted, struct rte_mbuf *m)
{
	const struct vsw_nexthop *nh;

	m->hash.fdir.lo = vni | (encrypted ? 1u << 31 : 0);
	m->hash.fdir.hi = v->idx;
	if (rte_ring_mp_enqueue(peer->staged, m) != 0) {
		wg_drop(pmd, m, VSW_TUN_NO_NEXTHOP);
		return;
	}
	/*
	 * Pairs with the fence in wg.c's wg_flush_staged(), which runs after the
	 * next hop is published: one of us sees the other, so nothing waits on.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	nh = atomic_load_explicit(&v->nh, memory_order_acquire);
	if (nh->wg_peer == peer->idx && vsw_ovl_uplink(pmd, nh)) {
		atomic_store_explicit(&peer->flush, true, memory_order_relaxed);
		atomic_store_explicit(&wg->flush_pending, true, memory_order_release);
	}
}

/* The headers and sealing of one packet into @out, which has the room (see vsw_wg_output()). */
static long wg_seal(struct vsw_pmd *pmd, const struct vsw_nexthop *nh, const struct vsw_wg_kp *k,
		    uint64_t counter, uint32_t vni, uint8_t *out, const uint8_t *frame,
		    uint32_t len, uint32_t live_port)
{
	uint32_t inner_h = nh->inner.len - VXLAN_ETH_HLEN;
	uint8_t *msg = out + nh->tmpl.len, *vx = msg + WG_DATA_HLEN - VXLAN_ETH_HLEN;
	long mlen;

	vxlan_write(&nh->inner, vx, vni, vxlan_src_port(frame, len), len);
	if (nh->inner.udp_csum)
		vxlan_udp_csum(&nh->inner, vx, rte_raw_cksum(frame, len));
	mlen = wg_data_seal(pmd->aead, &k->kp, counter, msg, inner_h + len);
	if (mlen < 0)
		return mlen;
	udp_tmpl_write(&nh->tmpl, out, (uint32_t)mlen);
	if (live_port) /* the peer's port moved: the template follows when the thread has it */
		udp_tmpl_set_dport(&nh->tmpl, out, (uint16_t)live_port);
	if (nh->tmpl.udp_csum)
		vxlan_udp_csum(&nh->tmpl, out, rte_raw_cksum(msg, (size_t)mlen));
	return mlen;
}

void vsw_wg_output(struct vsw_pmd *pmd, struct vsw_wg *wg, uint32_t vni, bool encrypted,
		   struct vsw_vtep *v, const struct vsw_nexthop *nh, struct rte_mbuf *m)
{
	uint16_t pidx = atomic_load_explicit(&v->wg_peer, memory_order_relaxed);
	struct vsw_wg_peer *peer =
		pidx < VSW_WG_MAX_PEERS ?
			atomic_load_explicit(&wg->peers[pidx], memory_order_acquire) :
			NULL;
	uint32_t len = rte_pktmbuf_pkt_len(m), plain, head;
	struct vsw_wg_peer_ctr *pc;
	struct vsw_port *up;
	struct vsw_wg_kp *k;
	struct rte_mbuf *out;
	uint64_t now, counter = 0;
	uint8_t *frame;
	long mlen;

	if (!peer) {
		vsw_ovl_no_nexthop(pmd, v, m);
		return;
	}
	/*
	 * No keys: wait for the handshake, even where the peer's endpoint is not
	 * known yet (it may be the one to call), as the kernel's staged queue does.
	 */
	now = wg_now(wg);
	k = wg_send_keys(wg, peer, now, &counter);
	if (!k) {
		wg_stage(pmd, wg, peer, vni, v->idx, encrypted, m);
		return;
	}
	/* The next hop must be the tunnel's to this very peer: never plain, never another's. */
	up = nh->wg_peer == pidx ? vsw_ovl_uplink(pmd, nh) : NULL;
	if (!up && wg_nh_coming(nh, pidx)) {
		/* Keys, and the path on its way (the peer just called): wait with the staged. */
		vsw_ovl_want_nexthop(pmd, v);
		wg_hold(pmd, wg, peer, vni, v, encrypted, m);
		return;
	}
	if (!up) {
		vsw_ovl_no_nexthop(pmd, v, m);
		return;
	}
	plain = nh->inner.len - VXLAN_ETH_HLEN + len;
	head = nh->tmpl.len + WG_DATA_HLEN + nh->inner.len - VXLAN_ETH_HLEN;
	/* DF: never fragmented; a GSO frame is not segmented here (no port makes one). */
	if (nh->tmpl.len - VXLAN_ETH_HLEN + plain + WG_DATA_OVERHEAD(plain) > nh->mtu ||
	    (m->ol_flags & (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG))) {
		vsw_ctr_add(&pmd->vtep_ctr[v->idx].tx_dropped, 1);
		wg_drop(pmd, m, VSW_TUN_TOO_BIG);
		return;
	}
	out = vsw_ovl_make_room(pmd, m, head, WG_DATA_OVERHEAD(plain) - WG_DATA_HLEN, &frame);
	if (!out) {
		vsw_ctr_add(&pmd->ovl_ctr.drops[VSW_TUN_NO_MBUF], 1);
		return;
	}
	mlen = wg_seal(pmd, nh, k, counter, vni, rte_pktmbuf_mtod(out, uint8_t *), frame, len,
		       atomic_load_explicit(&peer->live_port, memory_order_relaxed));
	if (mlen < 0) {
		wg_drop(pmd, out, VSW_TUN_NO_MBUF);
		return;
	}
	pc = &pmd->wg_ctr[pidx];
	vsw_ctr_add(&pc->tx_packets, 1);
	vsw_ctr_add(&pc->tx_bytes, (uint64_t)mlen);
	wg_stamp(&peer->data_tx, now);
	wg_stamp(&peer->any_tx, now);
	vsw_ctr_add(&pmd->ovl_ctr.encap_packets, 1);
	vsw_ctr_add(&pmd->ovl_ctr.encap_bytes, rte_pktmbuf_pkt_len(out));
	vsw_ctr_add(&pmd->vtep_ctr[v->idx].tx_packets, 1);
	vsw_ctr_add(&pmd->vtep_ctr[v->idx].tx_bytes, rte_pktmbuf_pkt_len(out));
	vsw_fwd_buffer(pmd, up, out);
}

void vsw_wg_flush(struct vsw_pmd *pmd, struct vsw_wg *wg)
{
	struct rte_mbuf *pkts[VSW_BURST_MAX];
	struct vsw_wg_peer *peer;
	unsigned int i, n, j, budget;

	if (!atomic_exchange_explicit(&wg->flush_pending, false, memory_order_acq_rel))
		return;
	for (i = 0; i < VSW_WG_MAX_PEERS; i++) {
		peer = atomic_load_explicit(&wg->peers[i], memory_order_acquire);
		if (!peer || !atomic_exchange_explicit(&peer->flush, false, memory_order_acq_rel))
			continue;
		/*
		 * What cannot go now (keys gone again) is staged anew by the output
		 * path: take only what was there when we started.
		 */
		budget = rte_ring_count(peer->staged);
		while (budget &&
		       (n = rte_ring_mc_dequeue_burst(peer->staged, (void **)pkts,
						      RTE_MIN(budget, VSW_BURST_MAX), NULL)) > 0) {
			budget -= n;
			for (j = 0; j < n; j++)
				vsw_ovl_output_vni(pmd, pkts[j]->hash.fdir.lo & VSW_MAX_VNI,
						   pkts[j]->hash.fdir.lo >> 31,
						   (uint16_t)pkts[j]->hash.fdir.hi, pkts[j]);
		}
	}
}
