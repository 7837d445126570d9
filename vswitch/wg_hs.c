/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * wg_hs.c - the tunnel thread's side of the WireGuard protocol: handshake
 * initiations, responses and cookie replies as they arrive on the kernel
 * socket, and the initiations and keepalives the timers send.  Runs on the
 * tunnel's thread under wg->lock (wg_priv.h), never on a PMD.
 *
 * Security model: every datagram is from anyone.  In order: the message's
 * format (wg_msg_classify), mac1 (keyed by our public key, so only someone
 * who knows it makes us do a Diffie-Hellman), and, under load, mac2 (a
 * cookie only the sender's address can hold: else a cookie reply, which
 * costs no Diffie-Hellman and keeps no state) and a per-address rate.  Then
 * the handshake itself, on a copy that is kept only if it authenticates,
 * then the initiation's timestamp must be newer than the last one taken
 * from that peer and at least 20 ms after it (whitepaper 5.1: replay and
 * flood).  Each refusal is counted (wg.h).
 */
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "util/log.h"
#include "vswitch/wg_priv.h"

#define NS 1000000000ull
#define WG_INITIATIONS_PER_SECOND 50 /* from one peer */
#define WG_HS_RATE 20 /* handshakes a second from one address, under load */
#define WG_HS_BURST 5

static bool wg_cookie_valid(const struct vsw_wg *wg, const struct vsw_wg_peer *peer, uint64_t now)
{
	return peer->cookie_ns &&
	       now - peer->cookie_ns < wg->times.cookie_max_age - wg->times.cookie_latency;
}

/* The MACs of a handshake message we send, remembering mac1 for a cookie reply to it. */
static int wg_macs(struct vsw_wg *wg, struct vsw_wg_peer *peer, uint8_t *msg, size_t len,
		   uint64_t now)
{
	int ret = wg_macs_write(msg, len, peer->id.mac1_key,
				wg_cookie_valid(wg, peer, now) ? peer->cookie : NULL);

	memcpy(peer->sent_mac1, msg + len - 2 * WG_MAC_LEN, WG_MAC_LEN);
	peer->sent_mac1_ok = ret == 0;
	return ret;
}

/* A token bucket per source address (not port) for handshakes under load. */
static bool wg_rate_ok(struct vsw_wg *wg, const struct vsw_wg_endpoint *src, uint64_t now)
{
	uint8_t key[WG_COOKIE_SRC_MAX] = { 0 };
	uint32_t h = 2166136261u;
	uint64_t t;

	memcpy(key, src->addr.a, src->addr.family == AF_INET ? 4 : 16);
	key[16] = src->addr.family;
	for (unsigned int i = 0; i < sizeof(key); i++)
		h = (h ^ key[i]) * 16777619u;
	h %= WG_RATELIMIT_SLOTS;
	/* A slot another address holds is taken over: a flood of addresses only evicts. */
	if (memcmp(wg->rl[h].key, key, sizeof(key)) != 0 || !wg->rl[h].last) {
		memcpy(wg->rl[h].key, key, sizeof(key));
		wg->rl[h].tokens = (WG_HS_BURST - 1) * NS;
		wg->rl[h].last = now;
		return true;
	}
	t = wg->rl[h].tokens + (now - wg->rl[h].last) * WG_HS_RATE;
	if (t > WG_HS_BURST * NS)
		t = WG_HS_BURST * NS;
	wg->rl[h].last = now;
	if (t < NS) {
		wg->rl[h].tokens = t;
		return false;
	}
	wg->rl[h].tokens = t - NS;
	return true;
}

/* Under load: answer with a cookie for the sender's address instead (5.4.7). */
static void wg_send_cookie(struct vsw_wg *wg, const uint8_t *msg, size_t len,
			   const struct vsw_wg_endpoint *src, const struct wg_cookie_src *cs,
			   uint64_t now)
{
	struct wg_msg_cookie c;

	if (wg_cookie_reply_create(&wg->cc, &wg->me, msg, len, wg_get_le32(msg + 4), cs, now, &c) ==
		    0 &&
	    wg_sendto(wg, src, &c, sizeof(c)) == 0)
		wg_count(wg, VSW_WG_COOKIE_TX);
}

/* Answer the initiation @peer->hs holds, and keep the keys as the unconfirmed ones. */
static void wg_respond(struct vsw_wg *wg, struct vsw_wg_peer *peer, uint64_t now) REQUIRES(wg->lock)
{
	struct wg_session_keys keys;
	struct wg_msg_response r;
	uint32_t index = wg_index_reserve(wg, peer);

	if (!index || wg_response_create(&peer->hs, &peer->id, index, &r) < 0 ||
	    wg_macs(wg, peer, (uint8_t *)&r, sizeof(r), now) < 0 ||
	    wg_handshake_derive(&peer->hs, &keys) < 0) {
		LOG_RL(LOG_LVL_WARN, "wireguard",
		       "cannot answer an initiation (index table full?)");
		wg_index_release(wg, index);
		wg_handshake_clear(&peer->hs);
		return;
	}
	/* The keys first: the initiator's first data may follow the response at once. */
	if (wg_install_keys(wg, peer, &keys, now) < 0)
		return;
	if (wg_send(wg, peer, &r, sizeof(r)) == 0)
		wg_count(wg, VSW_WG_RESP_TX);
}

static void wg_on_initiation(struct vsw_wg *wg, const struct wg_msg_initiation *m,
			     const struct vsw_wg_endpoint *src, uint64_t now) REQUIRES(wg->lock)
{
	struct wg_init_opened o;
	struct wg_handshake hs;
	struct vsw_wg_peer *peer;
	uint8_t ts[WG_TAI64N_LEN];

	if (wg_initiation_open(&wg->me, m, &o) < 0) {
		wg_count(wg, VSW_WG_BAD_HANDSHAKE);
		return;
	}
	peer = wg_peer_by_key(wg, o.pub);
	if (!peer || wg_initiation_finish(&o, &peer->id, &hs, ts) < 0) {
		wg_count(wg, peer ? VSW_WG_BAD_HANDSHAKE : VSW_WG_UNKNOWN_PEER);
		goto out;
	}
	if (memcmp(ts, peer->last_ts, sizeof(ts)) <= 0) {
		wg_count(wg, VSW_WG_REPLAYED);
		goto out;
	}
	if (peer->last_init_ns && now - peer->last_init_ns < NS / WG_INITIATIONS_PER_SECOND) {
		wg_count(wg, VSW_WG_FLOOD);
		goto out;
	}
	memcpy(peer->last_ts, ts, sizeof(ts));
	peer->last_init_ns = now;
	peer->thread_rx_bytes += sizeof(*m);
	wg_count(wg, VSW_WG_INIT_RX);
	atomic_store_explicit(&peer->auth_rx, now, memory_order_relaxed);
	/* Ours, if one was out, gives way: both ends end up with the keys of this one. */
	wg_index_release(wg, peer->hs.local_index);
	wg_handshake_clear(&peer->hs);
	peer->hs = hs;
	wg_set_endpoint(wg, peer, src);
	wg_respond(wg, peer, now);
out:
	wg_wipe(&hs, sizeof(hs));
	wg_wipe(&o, sizeof(o));
}

/* The peer whose handshake (or, for a cookie, handshake or keys) holds index @index. */
static struct vsw_wg_peer *wg_owner(struct vsw_wg *wg, uint32_t index, bool keys_too)
	REQUIRES(wg->lock)
{
	uint32_t slot = index & (WG_INDEX_SLOTS - 1);

	if (wg->owner[slot].index != index || wg->owner[slot].kind == WG_SLOT_FREE ||
	    (!keys_too && wg->owner[slot].kind != WG_SLOT_HANDSHAKE))
		return NULL;
	return atomic_load_explicit(&wg->peers[wg->owner[slot].peer], memory_order_relaxed);
}

static void wg_on_response(struct vsw_wg *wg, const struct wg_msg_response *m,
			   const struct vsw_wg_endpoint *src, uint64_t now) REQUIRES(wg->lock)
{
	struct vsw_wg_peer *peer = wg_owner(wg, wg_get_le32(m->receiver), false);
	struct wg_session_keys keys;

	if (!peer || peer->hs.state != WG_HS_INIT_SENT) {
		wg_count(wg, VSW_WG_UNKNOWN_INDEX);
		return;
	}
	if (wg_response_consume(&peer->hs, &wg->me, &peer->id, m) < 0) {
		wg_count(wg, VSW_WG_BAD_HANDSHAKE);
		return;
	}
	wg_count(wg, VSW_WG_RESP_RX);
	peer->thread_rx_bytes += sizeof(*m);
	atomic_store_explicit(&peer->auth_rx, now, memory_order_relaxed);
	wg_set_endpoint(wg, peer, src);
	if (wg_handshake_derive(&peer->hs, &keys) < 0 || wg_install_keys(wg, peer, &keys, now) < 0)
		return;
	/* The responder uses the keys once data comes: send some, if nothing waits. */
	if (!atomic_load_explicit(&peer->flush, memory_order_relaxed))
		wg_hs_keepalive(wg, peer, now);
}

static void wg_on_cookie(struct vsw_wg *wg, const struct wg_msg_cookie *m, uint64_t now)
	REQUIRES(wg->lock)
{
	struct vsw_wg_peer *peer = wg_owner(wg, wg_get_le32(m->receiver), true);
	uint8_t cookie[WG_MAC_LEN];

	if (!peer || !peer->sent_mac1_ok) {
		wg_count(wg, VSW_WG_UNKNOWN_INDEX);
		return;
	}
	if (wg_cookie_reply_open(&peer->id, peer->sent_mac1, m, cookie) < 0) {
		wg_count(wg, VSW_WG_BAD_HANDSHAKE);
		return;
	}
	/* Our next initiation (the retry timer sends it) carries it as mac2. */
	memcpy(peer->cookie, cookie, sizeof(cookie));
	peer->cookie_ns = now ? now : 1;
	peer->sent_mac1_ok = false;
	wg_count(wg, VSW_WG_COOKIE_RX);
}

void wg_hs_receive(struct vsw_wg *wg, const uint8_t *buf, size_t len,
		   const struct vsw_wg_endpoint *src, uint64_t now)
{
	enum wg_msg_verdict why;
	enum wg_msg_type type = wg_msg_classify(buf, len, &why);
	bool under_load = now < atomic_load_explicit(&wg->load_until, memory_order_relaxed);
	struct wg_cookie_src cs;
	enum wg_mac_verdict mv;

	if (type == WG_MSG_INVALID) {
		wg_count(wg, VSW_WG_BAD_MSG);
		return;
	}
	if (type == WG_MSG_DATA)
		return; /* a PMD's (the socket filter should have kept it out) */
	if (type == WG_MSG_COOKIE) {
		wg_on_cookie(wg, (const struct wg_msg_cookie *)buf, now);
		return;
	}
	wg_cookie_src_init(&cs, src->addr.a, src->addr.family == AF_INET ? 4 : 16, src->port);
	mv = wg_macs_check(&wg->cc, wg->me.mac1_key, buf, len, &cs, now, under_load);
	if (mv == WG_MAC_BAD) {
		wg_count(wg, VSW_WG_BAD_MAC1);
		return;
	}
	if (under_load && mv != WG_MAC_OK_COOKIE) {
		wg_send_cookie(wg, buf, len, src, &cs, now);
		return;
	}
	if (under_load && !wg_rate_ok(wg, src, now)) {
		wg_count(wg, VSW_WG_RATE_LIMITED);
		return;
	}
	if (type == WG_MSG_INITIATION)
		wg_on_initiation(wg, (const struct wg_msg_initiation *)buf, src, now);
	else
		wg_on_response(wg, (const struct wg_msg_response *)buf, src, now);
}

void wg_hs_initiate(struct vsw_wg *wg, struct vsw_wg_peer *peer, uint64_t now, bool retry)
{
	struct wg_msg_initiation m;
	uint8_t ts[WG_TAI64N_LEN];
	struct timespec rt;
	uint32_t index, rnd = 0;

	if (!atomic_load_explicit(&peer->ep, memory_order_relaxed))
		return; /* it has to reach us first */
	wg_index_release(wg, peer->hs.local_index);
	wg_handshake_clear(&peer->hs);
	index = wg_index_reserve(wg, peer);
	if (!index)
		return;
	clock_gettime(CLOCK_REALTIME, &rt);
	wg_tai64n(ts, (uint64_t)rt.tv_sec, (uint32_t)rt.tv_nsec);
	if (wg_initiation_create(&peer->hs, &wg->me, &peer->id, index, ts, &m) < 0 ||
	    wg_macs(wg, peer, (uint8_t *)&m, sizeof(m), now) < 0) {
		wg_index_release(wg, index);
		wg_handshake_clear(&peer->hs);
		return;
	}
	if (wg_send(wg, peer, &m, sizeof(m)) == 0)
		wg_count(wg, VSW_WG_INIT_TX);
	wg_random(&rnd, sizeof(rnd));
	/* A lost initiation is retried by the timers, sent or not. */
	wg_timers_initiation_sent(&peer->timers, &wg->times, now, retry, rnd);
}

void wg_hs_keepalive(struct vsw_wg *wg, struct vsw_wg_peer *peer, uint64_t now)
{
	struct vsw_wg_kp *k = atomic_load_explicit(&peer->cur, memory_order_relaxed);
	uint8_t msg[WG_DATA_MIN_LEN];
	uint64_t counter;
	long len;

	if (!k || wg_age(now, k->kp.birth_ns) >= wg->times.reject_after_time)
		return;
	counter = atomic_fetch_add_explicit(&k->kp.send_counter, 1, memory_order_relaxed);
	if (counter >= WG_REJECT_AFTER_MESSAGES)
		return;
	len = wg_data_seal(wg->aead, &k->kp, counter, msg, 0);
	if (len > 0 && wg_send(wg, peer, msg, (size_t)len) == 0)
		wg_count(wg, VSW_WG_KEEPALIVE_TX);
}
