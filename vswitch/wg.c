/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * wg.c - the WireGuard tunnel's control side (wg.h): the peers, their
 * keypairs and the receiver-index table the PMDs open messages with, the
 * kernel socket handshakes travel through, and the tunnel's own thread,
 * which takes handshake messages (wg_hs.c), roaming requests and key
 * confirmations from the PMDs, and runs every peer's timers.
 *
 * Keypairs rotate as the whitepaper (5.4.5) and Linux do: the initiator
 * uses new keys at once, keeping the old ones as "previous" for what is
 * still in flight; the responder keeps new keys as "next" until the first
 * data message under them arrives.  A replaced keypair leaves the index
 * table first and is freed after a grace period (wg_reap()).
 *
 * The socket is bound to the local VTEP address and the WireGuard port.
 * A classic BPF filter keeps data messages out of it: on an AF_XDP uplink
 * they never reach the kernel, but a DPDK af_packet uplink shows the kernel
 * a copy of everything, and those belong to the PMDs.  The socket's queue
 * also tells load: a batch that comes back full means handshakes arrive
 * faster than this thread takes them, and for a second after that every
 * handshake message must carry a cookie (mac2) to be answered.
 */
#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "util/log.h"
#include "vswitch/overlay_priv.h"
#include "vswitch/wg_priv.h"

#define WG_BATCH 64 /* datagrams per recvmmsg: a full one means we are behind */
#define WG_LOAD_NS 1000000000ull /* under load for this long after a full batch */
#define WG_TICK_MAX_NS 100000000ull /* timers run at least this often */
#define WG_ROAM_RING 256
#define WG_SOCK_BUF (4 << 20)

static const char *const ctr_names[VSW_WG_CTR_MAX] = {
	[VSW_WG_INIT_RX] = "initiations_rx",
	[VSW_WG_INIT_TX] = "initiations_tx",
	[VSW_WG_RESP_RX] = "responses_rx",
	[VSW_WG_RESP_TX] = "responses_tx",
	[VSW_WG_COOKIE_RX] = "cookies_rx",
	[VSW_WG_COOKIE_TX] = "cookies_tx",
	[VSW_WG_KEEPALIVE_TX] = "keepalives_tx",
	[VSW_WG_KEEPALIVE_RX] = "keepalives_rx",
	[VSW_WG_BAD_MSG] = "bad_message",
	[VSW_WG_BAD_MAC1] = "bad_mac1",
	[VSW_WG_BAD_HANDSHAKE] = "bad_handshake",
	[VSW_WG_UNKNOWN_PEER] = "unknown_peer",
	[VSW_WG_REPLAYED] = "replayed_initiation",
	[VSW_WG_FLOOD] = "initiation_flood",
	[VSW_WG_RATE_LIMITED] = "rate_limited",
	[VSW_WG_UNKNOWN_INDEX] = "unknown_index",
	[VSW_WG_ROAMED] = "roamed",
	[VSW_WG_LOAD_EPISODES] = "under_load",
};

const char *vsw_wg_ctr_name(enum vsw_wg_ctr c)
{
	return (unsigned int)c < VSW_WG_CTR_MAX ? ctr_names[c] : "?";
}

static struct vsw_wg_peer *wg_peer_at(const struct vsw_wg *wg, unsigned int i)
{
	return atomic_load_explicit(&wg->peers[i], memory_order_relaxed);
}

struct vsw_wg_peer *wg_peer_by_key(struct vsw_wg *wg, const uint8_t pub[WG_KEY_LEN])
{
	struct vsw_wg_peer *p;

	for (unsigned int i = 0; i < VSW_WG_MAX_PEERS; i++) {
		p = wg_peer_at(wg, i);
		if (p && memcmp(p->id.pub, pub, WG_KEY_LEN) == 0)
			return p;
	}
	return NULL;
}

/* ---- the index table ---- */

uint32_t wg_index_reserve(struct vsw_wg *wg, struct vsw_wg_peer *peer)
{
	uint32_t slot, rnd, index;

	for (unsigned int tries = 0; tries < WG_INDEX_SLOTS; tries++) {
		slot = wg->slot_cursor++ % WG_INDEX_SLOTS;
		if (wg->owner[slot].kind != WG_SLOT_FREE ||
		    atomic_load_explicit(&wg->index[slot], memory_order_relaxed))
			continue;
		/* Random high bits: an old index a peer still uses does not find new keys. */
		if (wg_random(&rnd, sizeof(rnd)) < 0)
			return 0;
		index = (rnd << WG_INDEX_BITS) | slot;
		if (index == 0)
			continue;
		wg->owner[slot].index = index;
		wg->owner[slot].peer = peer->idx;
		wg->owner[slot].kind = WG_SLOT_HANDSHAKE;
		return index;
	}
	return 0;
}

void wg_index_release(struct vsw_wg *wg, uint32_t index)
{
	uint32_t slot = index & (WG_INDEX_SLOTS - 1);

	if (index && wg->owner[slot].index == index && wg->owner[slot].kind == WG_SLOT_HANDSHAKE)
		wg->owner[slot].kind = WG_SLOT_FREE;
}

/* ---- keypairs ---- */

static void wg_set_cur(struct vsw_wg_peer *peer, struct vsw_wg_kp *k)
{
	/* Pairs with the acquire load in wg_dp.c's wg_send_keys(). */
	atomic_store_explicit(&peer->cur, k, memory_order_release);
}

/* Free the retired keypairs once no PMD can hold them. */
static void wg_reap(struct vsw_wg *wg) REQUIRES(wg->lock)
{
	if (!wg->n_retired)
		return;
	vsw_datapath_sync(wg->sw);
	for (unsigned int i = 0; i < wg->n_retired; i++) {
		wg_keypair_clear(&wg->retired[i]->kp);
		free(wg->retired[i]);
	}
	wg->n_retired = 0;
}

/* Take @k out of the index table; it is freed by the next wg_reap(). */
static void wg_retire(struct vsw_wg *wg, struct vsw_wg_kp *k) REQUIRES(wg->lock)
{
	if (!k)
		return;
	if (atomic_load_explicit(&wg->index[k->slot], memory_order_relaxed) == k)
		atomic_store_explicit(&wg->index[k->slot], NULL, memory_order_release);
	if (wg->owner[k->slot].index == k->kp.k.local_index)
		wg->owner[k->slot].kind = WG_SLOT_FREE;
	if (wg->n_retired == sizeof(wg->retired) / sizeof(wg->retired[0]))
		wg_reap(wg);
	wg->retired[wg->n_retired++] = k;
}

static void wg_drop_keys(struct vsw_wg *wg, struct vsw_wg_peer *peer) REQUIRES(wg->lock)
{
	struct vsw_wg_kp *cur = atomic_load_explicit(&peer->cur, memory_order_relaxed);

	wg_set_cur(peer, NULL);
	wg_retire(wg, cur);
	wg_retire(wg, peer->prev);
	wg_retire(wg, peer->next);
	peer->prev = peer->next = NULL;
}

/* Tell the PMDs that @peer's staged packets can go now. */
static void wg_flush_staged(struct vsw_wg *wg, struct vsw_wg_peer *peer)
{
	struct vsw *sw = wg->sw;

	/* Pairs with the fence in wg_dp.c's wg_stage(): the keys are out before we look. */
	atomic_thread_fence(memory_order_seq_cst);
	if (rte_ring_empty(peer->staged))
		return;
	atomic_store_explicit(&peer->flush, true, memory_order_release);
	/* Pairs with the acquire exchange in wg_dp.c's vsw_wg_flush(). */
	atomic_store_explicit(&wg->flush_pending, true, memory_order_release);
	for (unsigned int i = 0; i < sw->n_pmds; i++)
		vsw_pmd_kick(sw->pmds[i]);
}

void vsw_wg_nexthop_ready(struct vsw *sw, uint16_t idx)
{
	struct vsw_wg *wg = wg_of(sw);
	struct vsw_wg_peer *peer =
		wg && idx < VSW_WG_MAX_PEERS ?
			atomic_load_explicit(&wg->peers[idx], memory_order_acquire) :
			NULL;

	if (peer && atomic_load_explicit(&peer->cur, memory_order_acquire))
		wg_flush_staged(wg, peer);
}

static void wg_drop_staged(struct vsw_wg_peer *peer)
{
	void *m;

	while (rte_ring_mc_dequeue(peer->staged, &m) == 0)
		rte_pktmbuf_free(m);
}

int wg_install_keys(struct vsw_wg *wg, struct vsw_wg_peer *peer, struct wg_session_keys *keys,
		    uint64_t now)
{
	uint32_t slot = keys->local_index & (WG_INDEX_SLOTS - 1);
	struct vsw_wg_kp *k = calloc(1, sizeof(*k)), *cur;

	if (!k) {
		wg_wipe(keys, sizeof(*keys));
		return -ENOMEM;
	}
	wg_keypair_init(&k->kp, keys, now, peer);
	wg_wipe(keys, sizeof(*keys));
	k->slot = (uint16_t)slot;
	wg->owner[slot].kind = WG_SLOT_KEYPAIR;
	cur = atomic_load_explicit(&peer->cur, memory_order_relaxed);
	if (k->kp.k.initiator) {
		/* New keys at once; what was in flight still opens with the previous ones. */
		wg_retire(wg, peer->prev);
		if (peer->next) {
			peer->prev = peer->next;
			peer->next = NULL;
			wg_retire(wg, cur);
		} else {
			peer->prev = cur;
		}
		wg_set_cur(peer, k);
	} else {
		atomic_init(&k->unconfirmed, true);
		wg_retire(wg, peer->next);
		wg_retire(wg, peer->prev);
		peer->next = k;
		peer->prev = NULL;
	}
	/* Pairs with the acquire load in wg_dp.c's wg_keys_for(). */
	atomic_store_explicit(&wg->index[slot], k, memory_order_release);
	wg_timers_session(&peer->timers, now);
	peer->handshakes++;
	peer->last_hs_wall_s = (uint64_t)time(NULL);
	if (k->kp.k.initiator)
		wg_flush_staged(wg, peer);
	return 0;
}

/* Data arrived under the unconfirmed keys: they become the current ones. */
static void wg_confirm(struct vsw_wg *wg, struct vsw_wg_peer *peer) REQUIRES(wg->lock)
{
	struct vsw_wg_kp *next = peer->next;

	if (!next)
		return;
	wg_retire(wg, peer->prev);
	peer->prev = atomic_load_explicit(&peer->cur, memory_order_relaxed);
	peer->next = NULL;
	atomic_store_explicit(&next->unconfirmed, false, memory_order_relaxed);
	wg_set_cur(peer, next);
	wg_flush_staged(wg, peer);
}

/* Keys past REJECT_AFTER_TIME are of no use to anyone. */
static void wg_expire(struct vsw_wg *wg, struct vsw_wg_peer *peer, uint64_t now) REQUIRES(wg->lock)
{
	struct vsw_wg_kp *cur = atomic_load_explicit(&peer->cur, memory_order_relaxed);
	uint64_t max = wg->times.reject_after_time;

	if (cur && wg_age(now, cur->kp.birth_ns) >= max) {
		wg_set_cur(peer, NULL);
		wg_retire(wg, cur);
	}
	if (peer->prev && wg_age(now, peer->prev->kp.birth_ns) >= max) {
		wg_retire(wg, peer->prev);
		peer->prev = NULL;
	}
	if (peer->next && wg_age(now, peer->next->kp.birth_ns) >= max) {
		wg_retire(wg, peer->next);
		peer->next = NULL;
	}
}

/* ---- endpoints and the socket ---- */

static socklen_t wg_sockaddr(const struct vsw_wg_endpoint *ep, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (ep->addr.family == AF_INET) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(ep->port);
		memcpy(&s4->sin_addr, ep->addr.a, 4);
		return sizeof(*s4);
	}
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(ep->port);
	memcpy(&s6->sin6_addr, ep->addr.a, 16);
	return sizeof(*s6);
}

static bool wg_endpoint_of(const struct sockaddr_storage *ss, struct vsw_wg_endpoint *ep)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

	memset(ep, 0, sizeof(*ep));
	ep->addr.family = (uint8_t)ss->ss_family;
	if (ss->ss_family == AF_INET) {
		memcpy(ep->addr.a, &s4->sin_addr, 4);
		ep->port = ntohs(s4->sin_port);
		return true;
	}
	if (ss->ss_family == AF_INET6) {
		memcpy(ep->addr.a, &s6->sin6_addr, 16);
		ep->port = ntohs(s6->sin6_port);
		return true;
	}
	return false;
}

int wg_sendto(struct vsw_wg *wg, const struct vsw_wg_endpoint *to, const void *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = wg_sockaddr(to, &ss);

	if (sendto(wg->sock, buf, len, MSG_DONTWAIT, (struct sockaddr *)&ss, sl) < 0)
		return -errno;
	return 0;
}

int wg_send(struct vsw_wg *wg, struct vsw_wg_peer *peer, const void *buf, size_t len)
{
	const struct vsw_wg_endpoint *ep = atomic_load_explicit(&peer->ep, memory_order_relaxed);
	int ret;

	if (!ep)
		return -EDESTADDRREQ;
	ret = wg_sendto(wg, ep, buf, len);
	if (ret == 0) {
		atomic_store_explicit(&peer->any_tx, wg_now(wg), memory_order_relaxed);
		peer->thread_tx_bytes += len;
	}
	return ret;
}

void wg_set_endpoint(struct vsw_wg *wg, struct vsw_wg_peer *peer, const struct vsw_wg_endpoint *ep)
{
	struct vsw_wg_endpoint *old = atomic_load_explicit(&peer->ep, memory_order_relaxed), *n;
	char a[VSW_ADDR_STRLEN], key[WG_KEY_B64_LEN + 1];

	if (old && old->port == ep->port && memcmp(&old->addr, &ep->addr, sizeof(ep->addr)) == 0)
		return;
	if (ep->addr.family != wg->outer.addr.family)
		return; /* not reachable from our socket */
	n = malloc(sizeof(*n));
	if (!n)
		return;
	*n = *ep;
	if (!old || memcmp(&old->addr, &ep->addr, sizeof(ep->addr)) != 0)
		atomic_store_explicit(&peer->live_port, 0, memory_order_relaxed);
	/* Pairs with the acquire load in wg_dp.c's wg_roam(). */
	atomic_store_explicit(&peer->ep, n, memory_order_release);
	if (old)
		wg_count(wg, VSW_WG_ROAMED);
	wg_key_to_base64(key, peer->id.pub);
	LOG_INFO("wireguard", "peer %s: endpoint %s port %u", key,
		 vsw_addr_str(&ep->addr, a, sizeof(a)), ep->port);
	vsw_datapath_sync(wg->sw);
	free(old);
	vsw_underlay_kick(atomic_load_explicit(&wg->sw->ovl, memory_order_acquire));
}

bool vsw_wg_endpoint(struct vsw *sw, uint16_t idx, struct vsw_wg_endpoint *ep)
{
	struct vsw_wg *wg = wg_of(sw);
	const struct vsw_wg_endpoint *e = NULL;
	struct vsw_wg_peer *p;

	if (!wg || idx >= VSW_WG_MAX_PEERS)
		return false;
	mutex_lock(&wg->lock);
	p = wg_peer_at(wg, idx);
	if (p)
		e = atomic_load_explicit(&p->ep, memory_order_relaxed);
	if (e)
		*ep = *e;
	mutex_unlock(&wg->lock);
	return e != NULL;
}

/*
 * The kernel's socket on our port.  Its filter passes handshake messages
 * and cookie replies (the first byte of the UDP payload, 1 to 3) and drops
 * data messages, which are the PMDs'.
 */
static int wg_socket(const struct vsw_wg *wg)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 8), /* the UDP payload's first byte */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, WG_MSG_DATA, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
	};
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };
	struct vsw_wg_endpoint local = { .addr = wg->outer.addr, .port = wg->outer.port };
	int fd, one = 1, buf = WG_SOCK_BUF, ret;
	struct sockaddr_storage ss;
	socklen_t sl = wg_sockaddr(&local, &ss);

	fd = socket(local.addr.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (local.addr.family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* A deep queue absorbs a burst of handshakes; its being full is what load means. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

/* ---- the thread ---- */

static bool wg_have_keys(const struct vsw_wg *wg, const struct vsw_wg_peer *peer, uint64_t now)
{
	const struct vsw_wg_kp *k = atomic_load_explicit(&peer->cur, memory_order_relaxed);

	return k && wg_age(now, k->kp.birth_ns) < wg->times.reject_after_time &&
	       atomic_load_explicit(&k->kp.send_counter, memory_order_relaxed) <
		       WG_REJECT_AFTER_MESSAGES;
}

/*
 * Whether the data path's request for a handshake still stands: it may have
 * seen no keys just before a confirmation or a handshake brought some.
 */
static bool wg_want_stands(const struct vsw_wg *wg, const struct vsw_wg_peer *peer, uint64_t now)
{
	const struct vsw_wg_kp *k = atomic_load_explicit(&peer->cur, memory_order_relaxed);
	const struct wg_times *t = &wg->times;
	uint64_t age;

	if (!wg_have_keys(wg, peer, now))
		return true;
	age = wg_age(now, k->kp.birth_ns);
	return (k->kp.k.initiator &&
		age >= t->reject_after_time - t->keepalive_timeout - t->rekey_timeout) ||
	       (k->kp.k.initiator && age >= t->rekey_after_time) ||
	       atomic_load_explicit(&k->kp.send_counter, memory_order_relaxed) >=
		       t->rekey_after_messages;
}

/* One peer's timers (timers.h) and key expiry. */
static void wg_peer_tick(struct vsw_wg *wg, struct vsw_wg_peer *peer, uint64_t now)
	REQUIRES(wg->lock)
{
	struct wg_timer_inputs in;
	unsigned int act;

	if (atomic_exchange_explicit(&peer->confirm, false, memory_order_relaxed))
		wg_confirm(wg, peer);
	wg_expire(wg, peer, now);
	in = (struct wg_timer_inputs){
		.data_tx = atomic_load_explicit(&peer->data_tx, memory_order_relaxed),
		.data_rx = atomic_load_explicit(&peer->data_rx, memory_order_relaxed),
		.any_tx = atomic_load_explicit(&peer->any_tx, memory_order_relaxed),
		.auth_rx = atomic_load_explicit(&peer->auth_rx, memory_order_relaxed),
		.want_handshake =
			atomic_exchange_explicit(&peer->want_hs, false, memory_order_relaxed) &&
			wg_want_stands(wg, peer, now),
		.have_keys = wg_have_keys(wg, peer, now),
		.initiating = peer->hs.state == WG_HS_INIT_SENT,
	};
	act = wg_timers_tick(&peer->timers, &wg->times, &in, now);
	if (act & WG_TIMER_ZERO_KEYS) {
		wg_drop_keys(wg, peer);
		wg_index_release(wg, peer->hs.local_index);
		wg_handshake_clear(&peer->hs);
	}
	if (act & WG_TIMER_GIVE_UP) {
		wg_index_release(wg, peer->hs.local_index);
		wg_handshake_clear(&peer->hs);
		wg_drop_staged(peer);
	}
	if (act & WG_TIMER_INITIATE)
		wg_hs_initiate(wg, peer, now, act & WG_TIMER_RETRY);
	if (act & WG_TIMER_KEEPALIVE)
		wg_hs_keepalive(wg, peer, now);
}

static void wg_tick(struct vsw_wg *wg, uint64_t now) REQUIRES(wg->lock)
{
	struct vsw_wg_peer *p;

	for (unsigned int i = 0; i < VSW_WG_MAX_PEERS; i++) {
		p = wg_peer_at(wg, i);
		if (p)
			wg_peer_tick(wg, p, now);
	}
}

static void wg_take_roams(struct vsw_wg *wg) REQUIRES(wg->lock)
{
	struct vsw_wg_peer *p;
	struct wg_roam r;

	while (rte_ring_sc_dequeue_elem(wg->roam, &r, sizeof(r)) == 0) {
		p = r.peer < VSW_WG_MAX_PEERS ? wg_peer_at(wg, r.peer) : NULL;
		if (p)
			wg_set_endpoint(wg, p, &r.ep);
	}
}

/* Read what the socket holds, a batch at a time; true if a batch came back full. */
static bool wg_receive(struct vsw_wg *wg, uint64_t now)
{
	uint8_t bufs[WG_BATCH][256]; /* handshake messages are at most 148 bytes */
	struct sockaddr_storage from[WG_BATCH];
	struct mmsghdr msgs[WG_BATCH];
	struct iovec iov[WG_BATCH];
	struct vsw_wg_endpoint src;
	int n, i;

	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < WG_BATCH; i++) {
		iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &from[i];
		msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
	}
	n = recvmmsg(wg->sock, msgs, WG_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return false;
	mutex_lock(&wg->lock);
	for (i = 0; i < n; i++)
		if (wg_endpoint_of(&from[i], &src) && !(msgs[i].msg_hdr.msg_flags & MSG_TRUNC))
			wg_hs_receive(wg, bufs[i], msgs[i].msg_len, &src, now);
		else
			wg_count(wg, VSW_WG_BAD_MSG);
	wg_reap(wg);
	mutex_unlock(&wg->lock);
	return n == WG_BATCH;
}

enum { WG_FD_STOP, WG_FD_WAKE, WG_FD_SOCK, WG_NFDS };

static void *wg_main(void *arg)
{
	struct vsw_wg *wg = arg;
	struct pollfd pfd[WG_NFDS] = {
		[WG_FD_STOP] = { .fd = wg->stop_fd, .events = POLLIN },
		[WG_FD_WAKE] = { .fd = wg->wake_fd, .events = POLLIN },
		[WG_FD_SOCK] = { .fd = wg->sock, .events = POLLIN },
	};
	uint64_t tick = wg->times.rekey_timeout / 20, next = 0, now;
	eventfd_t val;
	bool tick_now;
	int timeout;

	if (tick > WG_TICK_MAX_NS)
		tick = WG_TICK_MAX_NS;
	pthread_setname_np(pthread_self(), "ferry-wireguard");
	for (;;) {
		now = wg_now(wg);
		tick_now = now >= next;
		if (pfd[WG_FD_WAKE].revents) {
			/* Clear first: a request made after this point writes the eventfd again. */
			atomic_store_explicit(&wg->wake_pending, false, memory_order_seq_cst);
			eventfd_read(wg->wake_fd, &val);
			tick_now = true;
		}
		/* A few batches at most, so that timers run even under a flood. */
		for (int b = 0; pfd[WG_FD_SOCK].revents && b < 8; b++) {
			if (!wg_receive(wg, now))
				break;
			if (now >= atomic_load_explicit(&wg->load_until, memory_order_relaxed))
				wg_count(wg, VSW_WG_LOAD_EPISODES);
			atomic_store_explicit(&wg->load_until, now + WG_LOAD_NS,
					      memory_order_relaxed);
		}
		if (tick_now) {
			mutex_lock(&wg->lock);
			wg_take_roams(wg);
			wg_tick(wg, now);
			wg_reap(wg);
			mutex_unlock(&wg->lock);
			next = now + tick;
		}
		now = wg_now(wg);
		timeout = next > now ? (int)((next - now) / 1000000) + 1 : 0;
		if (poll(pfd, WG_NFDS, timeout) < 0 && errno != EINTR)
			break;
		if (pfd[WG_FD_STOP].revents)
			break;
	}
	return NULL;
}

/* ---- control API ---- */

static int wg_check_opts(const struct vsw_overlay *ovl, const struct vsw_wg_opts *o)
{
	if (o->address.family != AF_INET && o->address.family != AF_INET6) {
		LOG_ERR("wireguard", "the tunnel address must be IPv4 or IPv6");
		return -EINVAL;
	}
	if (o->listen_port == ovl->opts.udp_port) {
		LOG_ERR("wireguard", "listen port %u is the VXLAN port", o->listen_port);
		return -EINVAL;
	}
	if (memcmp(&o->address, &ovl->opts.local, sizeof(o->address)) == 0) {
		LOG_ERR("wireguard", "the tunnel address must not be the local VTEP address");
		return -EINVAL;
	}
	return 0;
}

static void wg_free(struct vsw_wg *wg)
{
	if (wg->sock >= 0)
		close(wg->sock);
	if (wg->wake_fd >= 0)
		close(wg->wake_fd);
	if (wg->stop_fd >= 0)
		close(wg->stop_fd);
	rte_ring_free(wg->roam);
	wg_aead_free(wg->aead);
	mutex_destroy(&wg->lock);
	wg_wipe(&wg->me, sizeof(wg->me));
	wg_wipe(&wg->cc, sizeof(wg->cc));
	free(wg);
}

static struct vsw_wg *wg_create(struct vsw *sw, struct vsw_overlay *ovl,
				const struct vsw_wg_opts *o)
{
	struct vsw_wg *wg = calloc(1, sizeof(*wg));
	char name[32];

	if (!wg)
		return NULL;
	wg->sw = sw;
	wg->sock = wg->wake_fd = wg->stop_fd = -1;
	mutex_init(&wg->lock);
	wg->opts = *o;
	wg_wipe(wg->opts.private_key, sizeof(wg->opts.private_key));
	if (!wg->opts.listen_port)
		wg->opts.listen_port = VSW_WG_PORT;
	wg_times_init(&wg->times, o->time_scale, o->rekey_after_messages);
	wg_cookie_checker_init(&wg->cc, wg->times.cookie_max_age);
	wg->ns_per_tsc = 1e9 / (double)sw->tsc_hz;
	wg->outer = (struct vxlan_local){ .addr = ovl->opts.local,
					  .port = wg->opts.listen_port,
					  .plain = true };
	wg->inner = (struct vxlan_local){ .addr = o->address, .port = ovl->opts.udp_port };
	snprintf(name, sizeof(name), "wgroam-%u", sw->instance);
	wg->roam = rte_ring_create_elem(name, sizeof(struct wg_roam), WG_ROAM_RING, SOCKET_ID_ANY,
					RING_F_SC_DEQ);
	wg->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	wg->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	wg->aead = wg_aead_new();
	if (wg_identity_init(&wg->me, o->private_key) < 0 || !wg->roam || wg->wake_fd < 0 ||
	    wg->stop_fd < 0 || !wg->aead) {
		wg_free(wg);
		return NULL;
	}
	return wg;
}

/* Every PMD its own sealing context, before the PMDs can see the tunnel. */
static int wg_pmd_contexts(struct vsw *sw)
{
	for (unsigned int i = 0; i < sw->n_pmds; i++) {
		if (!sw->pmds[i]->aead)
			sw->pmds[i]->aead = wg_aead_new();
		if (!sw->pmds[i]->aead)
			return -ENOMEM;
	}
	return 0;
}

int vsw_wg_enable(struct vsw *sw, const struct vsw_wg_opts *o)
{
	struct vsw_overlay *ovl = atomic_load_explicit(&sw->ovl, memory_order_acquire);
	char a[VSW_ADDR_STRLEN], key[WG_KEY_B64_LEN + 1];
	struct vsw_wg *wg;
	int ret;

	if (!ovl)
		return -ENODEV;
	ret = wg_check_opts(ovl, o);
	if (ret)
		return ret;
	if (wg_crypto_init() < 0) {
		LOG_ERR("wireguard", "OpenSSL lacks X25519, BLAKE2s or ChaCha20-Poly1305");
		return -ENOTSUP;
	}
	mutex_lock(&sw->ctl_lock);
	ret = -EALREADY;
	if (wg_of(sw))
		goto out_unlock;
	ret = -ENOMEM;
	wg = wg_create(sw, ovl, o);
	if (!wg || wg_pmd_contexts(sw) < 0)
		goto err_free;
	wg->sock = wg_socket(wg);
	if (wg->sock < 0) {
		ret = wg->sock;
		LOG_ERR("wireguard", "cannot listen on %s port %u: %s",
			vsw_addr_str(&wg->outer.addr, a, sizeof(a)), wg->outer.port,
			strerror(-ret));
		goto err_free;
	}
	ret = -pthread_create(&wg->thread, NULL, wg_main, wg);
	if (ret)
		goto err_free;
	wg->thread_started = true;
	/* Pairs with the acquire load in wg_of(). */
	atomic_store_explicit(&sw->wg, wg, memory_order_release);
	wg_key_to_base64(key, wg->me.pub);
	LOG_INFO("wireguard", "public key %s, port %u, tunnel address %s", key, wg->outer.port,
		 vsw_addr_str(&o->address, a, sizeof(a)));
	ret = 0;
	goto out_unlock;
err_free:
	if (wg)
		wg_free(wg);
out_unlock:
	mutex_unlock(&sw->ctl_lock);
	return ret;
}

static bool wg_prefix_ok(const struct vsw_prefix *p)
{
	return (p->addr.family == AF_INET && p->plen <= 32) ||
	       (p->addr.family == AF_INET6 && p->plen <= 128);
}

static int wg_check_peer(const struct vsw_wg *wg, const struct vsw_wg_peer_opts *p)
	REQUIRES(wg->lock)
{
	struct vsw_wg_peer *q;

	if (p->n_allowed > VSW_WG_MAX_ALLOWED || (p->endpoint.family && !p->endpoint_port) ||
	    (p->endpoint.family && p->endpoint.family != wg->outer.addr.family))
		return -EINVAL;
	for (unsigned int i = 0; i < p->n_allowed; i++)
		if (!wg_prefix_ok(&p->allowed[i]))
			return -EINVAL;
	if (memcmp(p->public_key, wg->me.pub, WG_KEY_LEN) == 0)
		return -EINVAL;
	for (unsigned int i = 0; i < VSW_WG_MAX_PEERS; i++) {
		q = wg_peer_at(wg, i);
		if (!q)
			continue;
		if (memcmp(q->id.pub, p->public_key, WG_KEY_LEN) == 0)
			return -EEXIST;
		for (unsigned int j = 0; j < q->n_allowed; j++)
			for (unsigned int k = 0; k < p->n_allowed; k++)
				if (q->allowed[j].plen == p->allowed[k].plen &&
				    memcmp(&q->allowed[j].addr, &p->allowed[k].addr,
					   sizeof(p->allowed[k].addr)) == 0)
					return -EEXIST;
	}
	return 0;
}

static struct vsw_wg_peer *wg_peer_new(struct vsw_wg *wg, const struct vsw_wg_peer_opts *p,
				       uint16_t idx)
{
	static _Atomic unsigned int gen;
	struct vsw_wg_peer *peer = calloc(1, sizeof(*peer));
	char name[32];

	if (!peer)
		return NULL;
	peer->idx = idx;
	snprintf(name, sizeof(name), "wgst-%u-%u", wg->sw->instance, atomic_fetch_add(&gen, 1));
	peer->staged = rte_ring_create(name, WG_STAGED, SOCKET_ID_ANY, 0);
	if (p->endpoint.family) {
		peer->ep = malloc(sizeof(*peer->ep));
		if (peer->ep)
			*peer->ep = (struct vsw_wg_endpoint){ .addr = p->endpoint,
							      .port = p->endpoint_port };
	}
	if (!peer->staged || (p->endpoint.family && !peer->ep) ||
	    wg_peer_id_init(&peer->id, &wg->me, p->public_key, p->has_psk ? p->psk : NULL) < 0 ||
	    !peer->id.ss_ok) {
		rte_ring_free(peer->staged);
		free(peer->ep);
		wg_wipe(peer, sizeof(*peer));
		free(peer);
		return NULL;
	}
	memcpy(peer->allowed, p->allowed, p->n_allowed * sizeof(p->allowed[0]));
	peer->n_allowed = p->n_allowed;
	peer->persistent_keepalive_s = p->persistent_keepalive_s;
	wg_timers_init(&peer->timers, p->persistent_keepalive_s);
	return peer;
}

int vsw_wg_peer_add(struct vsw *sw, const struct vsw_wg_peer_opts *p)
{
	struct vsw_wg *wg = wg_of(sw);
	struct vsw_wg_peer *peer = NULL;
	unsigned int idx;
	int ret;

	if (!wg)
		return -ENODEV;
	mutex_lock(&sw->ctl_lock);
	mutex_lock(&wg->lock);
	ret = wg_check_peer(wg, p);
	for (idx = 0; ret == 0 && idx < VSW_WG_MAX_PEERS && wg_peer_at(wg, idx); idx++)
		;
	if (ret == 0 && idx == VSW_WG_MAX_PEERS)
		ret = -ENOSPC;
	if (ret == 0) {
		peer = wg_peer_new(wg, p, (uint16_t)idx);
		ret = peer ? 0 : -EINVAL; /* a small-order key, or no memory */
	}
	if (ret == 0) {
		/* The slot was free for a grace period at least: no PMD counts into it. */
		for (unsigned int i = 0; i < sw->n_pmds; i++)
			memset(&sw->pmds[i]->wg_ctr[idx], 0, sizeof(sw->pmds[i]->wg_ctr[idx]));
		/* Pairs with the acquire loads in wg_dp.c. */
		atomic_store_explicit(&wg->peers[idx], peer, memory_order_release);
	}
	mutex_unlock(&wg->lock);
	if (ret == 0)
		ovl_reroute(sw);
	mutex_unlock(&sw->ctl_lock);
	if (ret == 0) {
		vsw_underlay_kick(atomic_load_explicit(&sw->ovl, memory_order_acquire));
		/* The thread starts what the peer needs (a persistent keepalive's handshake). */
		eventfd_write(wg->wake_fd, 1);
	}
	return ret;
}

static void wg_peer_free(struct vsw_wg *wg, struct vsw_wg_peer *peer) REQUIRES(wg->lock)
{
	wg_drop_keys(wg, peer);
	wg_index_release(wg, peer->hs.local_index);
	wg_reap(wg);
	wg_drop_staged(peer);
	rte_ring_free(peer->staged);
	free(atomic_load_explicit(&peer->ep, memory_order_relaxed));
	wg_wipe(peer, sizeof(*peer));
	free(peer);
}

int vsw_wg_peer_remove(struct vsw *sw, const uint8_t public_key[32])
{
	struct vsw_wg *wg = wg_of(sw);
	struct vsw_wg_peer *peer;

	if (!wg)
		return -ENODEV;
	mutex_lock(&sw->ctl_lock);
	mutex_lock(&wg->lock);
	peer = wg_peer_by_key(wg, public_key);
	if (peer)
		atomic_store_explicit(&wg->peers[peer->idx], NULL, memory_order_release);
	mutex_unlock(&wg->lock);
	if (peer) {
		/* VTEPs leave the peer before it goes; then no PMD can reach it. */
		ovl_reroute(sw);
		mutex_lock(&wg->lock);
		wg_peer_free(wg, peer); /* its grace period covers the peer too */
		mutex_unlock(&wg->lock);
	}
	mutex_unlock(&sw->ctl_lock);
	if (peer)
		vsw_underlay_kick(atomic_load_explicit(&sw->ovl, memory_order_acquire));
	return peer ? 0 : -ENOENT;
}

static bool wg_prefix_has(const struct vsw_prefix *p, const struct vsw_addr *a)
{
	unsigned int full = p->plen / 8, rest = p->plen % 8;

	if (p->addr.family != a->family || memcmp(p->addr.a, a->a, full) != 0)
		return false;
	return rest == 0 || ((p->addr.a[full] ^ a->a[full]) & (0xff00u >> rest) & 0xff) == 0;
}

uint16_t vsw_wg_route(struct vsw *sw, const struct vsw_addr *a)
{
	struct vsw_wg *wg = wg_of(sw);
	uint16_t best = VSW_WG_NONE;
	struct vsw_wg_peer *p;
	int best_len = -1;

	if (!wg)
		return VSW_WG_NONE;
	for (unsigned int i = 0; i < VSW_WG_MAX_PEERS; i++) {
		p = wg_peer_at(wg, i);
		for (unsigned int j = 0; p && j < p->n_allowed; j++)
			if (p->allowed[j].plen > best_len && wg_prefix_has(&p->allowed[j], a)) {
				best_len = p->allowed[j].plen;
				best = (uint16_t)i;
			}
	}
	return best;
}

void vsw_wg_stop(struct vsw *sw)
{
	struct vsw_wg *wg = wg_of(sw);

	if (wg && wg->thread_started && eventfd_write(wg->stop_fd, 1) == 0) {
		pthread_join(wg->thread, NULL);
		wg->thread_started = false;
	}
}

void vsw_wg_destroy(struct vsw *sw)
{
	struct vsw_wg *wg = wg_of(sw);
	struct vsw_wg_peer *p;

	if (!wg)
		return;
	vsw_wg_stop(sw);
	atomic_store_explicit(&sw->wg, NULL, memory_order_release);
	mutex_lock(&wg->lock);
	for (unsigned int i = 0; i < VSW_WG_MAX_PEERS; i++) {
		p = wg_peer_at(wg, i);
		if (p)
			wg_peer_free(wg, p);
	}
	mutex_unlock(&wg->lock);
	for (unsigned int i = 0; i < sw->n_pmds; i++) {
		wg_aead_free(sw->pmds[i]->aead);
		sw->pmds[i]->aead = NULL;
	}
	wg_free(wg);
}

/* ---- what the control API shows ---- */

int vsw_wg_stats(struct vsw *sw, struct vsw_wg_stats *st)
{
	struct vsw_wg *wg = wg_of(sw);

	memset(st, 0, sizeof(*st));
	if (!wg)
		return 0;
	st->enabled = true;
	memcpy(st->public_key, wg->me.pub, WG_KEY_LEN);
	st->listen_port = wg->outer.port;
	st->address = wg->opts.address;
	st->under_load = wg_now(wg) < atomic_load_explicit(&wg->load_until, memory_order_relaxed);
	mutex_lock(&wg->lock);
	for (unsigned int i = 0; i < VSW_WG_MAX_PEERS; i++)
		st->n_peers += wg_peer_at(wg, i) != NULL;
	mutex_unlock(&wg->lock);
	for (unsigned int i = 0; i < VSW_WG_CTR_MAX; i++)
		st->ctr[i] = atomic_load_explicit(&wg->ctr[i], memory_order_relaxed);
	for (unsigned int i = 0; i < sw->n_pmds; i++)
		for (unsigned int j = 0; j < VSW_WG_MAX_PEERS; j++)
			st->ctr[VSW_WG_KEEPALIVE_RX] +=
				vsw_ctr_read(&sw->pmds[i]->wg_ctr[j].keepalive_rx);
	return 0;
}

static void wg_peer_fill(struct vsw_wg *wg, const struct vsw_wg_peer *p,
			 struct vsw_wg_peer_stats *st) REQUIRES(wg->lock)
{
	const struct vsw_wg_endpoint *ep = atomic_load_explicit(&p->ep, memory_order_relaxed);
	const struct vsw_wg_peer_ctr *c;
	struct vsw *sw = wg->sw;

	memset(st, 0, sizeof(*st));
	memcpy(st->public_key, p->id.pub, WG_KEY_LEN);
	if (ep) {
		st->endpoint = ep->addr;
		st->endpoint_port = ep->port;
	}
	st->n_allowed = p->n_allowed;
	memcpy(st->allowed, p->allowed, p->n_allowed * sizeof(p->allowed[0]));
	st->persistent_keepalive_s = p->persistent_keepalive_s;
	st->last_handshake_s = p->last_hs_wall_s;
	st->handshakes = p->handshakes;
	st->session = wg_have_keys(wg, p, wg_now(wg));
	st->rx_bytes = p->thread_rx_bytes;
	st->tx_bytes = p->thread_tx_bytes;
	st->staged = rte_ring_count(p->staged);
	for (unsigned int i = 0; i < sw->n_pmds; i++) {
		c = &sw->pmds[i]->wg_ctr[p->idx];
		st->rx_bytes += vsw_ctr_read(&c->rx_bytes);
		st->tx_bytes += vsw_ctr_read(&c->tx_bytes);
		st->rx_packets += vsw_ctr_read(&c->rx_packets);
		st->tx_packets += vsw_ctr_read(&c->tx_packets);
	}
}

unsigned int vsw_wg_peers(struct vsw *sw, struct vsw_wg_peer_stats *out, unsigned int max)
{
	struct vsw_wg *wg = wg_of(sw);
	struct vsw_wg_peer *p;
	unsigned int n = 0;

	if (!wg)
		return 0;
	mutex_lock(&wg->lock);
	for (unsigned int i = 0; i < VSW_WG_MAX_PEERS && n < max; i++) {
		p = wg_peer_at(wg, i);
		if (p)
			wg_peer_fill(wg, p, &out[n++]);
	}
	mutex_unlock(&wg->lock);
	return n;
}

int vsw_tenant_encrypted(struct vsw *sw, uint32_t vni, bool encrypted)
{
	int ret = -ENOENT;

	mutex_lock(&sw->ctl_lock);
	for (unsigned int i = 0; i < VSW_MAX_TENANTS; i++)
		if (sw->tenants[i] && sw->tenants[i]->vni == vni) {
			ret = encrypted && !wg_of(sw) ? -ENODEV : 0;
			if (ret == 0)
				atomic_store_explicit(&sw->tenants[i]->encrypted, encrypted,
						      memory_order_relaxed);
		}
	mutex_unlock(&sw->ctl_lock);
	return ret;
}
