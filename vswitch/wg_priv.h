/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * wg_priv.h - the WireGuard tunnel's objects, shared by wg.c (control API,
 * peers, keypairs, the tunnel's thread), wg_hs.c (handshake messages on
 * that thread), wg_dp.c (the PMD side), and the overlay files that route
 * VTEPs into it.  Nobody else.
 *
 * Who writes what:
 * - Peer slots and each peer's immutable part (keys, allowed IPs) change
 *   under the switch's ctl_lock, then wg->lock, published as private.h says.
 * - Everything a handshake changes (the handshake state, the keypairs, the
 *   endpoint, the index table) belongs to the tunnel's thread and is written
 *   under wg->lock.  PMDs read the current keypair, the endpoint and the
 *   index table through _Atomic pointers; what they replace is freed after
 *   a grace period.
 * - PMDs tell the thread what they saw through the peer's timestamps and
 *   flags (want_hs, confirm) and a ring of roaming requests, and wake it
 *   through one eventfd.  The thread tells the PMDs that packets staged for
 *   a peer can go through flush_pending.
 *
 * Times are nanoseconds of the switch clock (wg_now()), from the TSC, so a
 * PMD stamps a packet without a system call.
 */
#ifndef FERRY_VSWITCH_WG_PRIV_H
#define FERRY_VSWITCH_WG_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_cycles.h>

#include "util/lock.h"
#include "vswitch/private.h"
#include "vswitch/vxlan.h"
#include "vswitch/wg.h"
#include "wireguard/cookie.h"
#include "wireguard/data.h"
#include "wireguard/noise.h"
#include "wireguard/timers.h"

struct rte_mbuf;
struct rte_ring;
struct vsw_overlay;
struct vsw_pmd;
struct vsw_tenant;
struct vsw_vtep;
struct vsw_nexthop;

#define VSW_WG_NONE 0xffffu /* "no peer": a VTEP outside every peer's allowed IPs */
#define WG_INDEX_BITS 10 /* receiver indices: random high bits, slot in the low ones */
#define WG_INDEX_SLOTS (1u << WG_INDEX_BITS)
#define WG_STAGED 128 /* packets a peer holds while it has no keys (ring size) */
#define WG_RATELIMIT_SLOTS 1024 /* sources the handshake rate limiter tracks */

/* A keypair as the switch keeps it. */
struct vsw_wg_kp {
	struct wg_keypair kp; /* kp.owner: the struct vsw_wg_peer */
	uint16_t slot; /* in the index table */
	_Atomic bool unconfirmed; /* the responder's new keys: the first data confirms them */
};

struct vsw_wg_endpoint {
	struct vsw_addr addr;
	uint16_t port; /* host order */
};

struct vsw_wg_peer {
	uint16_t idx; /* slot in wg->peers and in the PMDs' counters */
	/* Immutable while published. */
	struct wg_peer_id id;
	struct vsw_prefix allowed[VSW_WG_MAX_ALLOWED];
	unsigned int n_allowed;
	/* Read by PMDs; written by the thread under wg->lock. */
	struct vsw_wg_kp *_Atomic cur; /* sends with it; NULL: none */
	struct vsw_wg_endpoint *_Atomic ep; /* NULL: not known yet */
	struct rte_ring *staged; /* mbufs waiting for keys (MP/MC) */
	/* Written by PMDs (and the thread), read by the thread: wg_timer_inputs. */
	_Atomic uint64_t data_tx, data_rx, any_tx, auth_rx;
	_Atomic bool want_hs; /* keys old or missing */
	_Atomic bool confirm; /* data arrived under the unconfirmed keys */
	_Atomic bool flush; /* keys are here: PMDs send what is staged */
	/*
	 * The source port of the newest authenticated packet from the endpoint's
	 * address, WG_LIVE_PORT | port (0: none since the address changed).  Data
	 * goes there at once, as the kernel's does, not to a NAT mapping that is
	 * gone while the thread and the underlay rebuild the template.
	 */
	_Atomic uint32_t live_port;
	/* The thread's, under wg->lock. */
	struct wg_handshake hs;
	struct vsw_wg_kp *prev, *next; /* the keys before cur; the unconfirmed ones */
	struct wg_timers timers;
	uint8_t last_ts[WG_TAI64N_LEN]; /* newest initiation timestamp taken */
	uint64_t last_init_ns; /* when it was taken */
	uint8_t sent_mac1[WG_MAC_LEN]; /* of our last handshake message: cookie replies bind it */
	bool sent_mac1_ok;
	uint8_t cookie[WG_MAC_LEN]; /* from its cookie reply: our mac2 */
	uint64_t cookie_ns; /* when it came; 0 = none */
	uint64_t handshakes, last_hs_wall_s;
	uint64_t thread_tx_bytes, thread_rx_bytes; /* handshakes and keepalives the thread moved */
	uint16_t persistent_keepalive_s;
};

#define WG_LIVE_PORT (1u << 16)

/* A roaming request: an authenticated packet from @peer came from @ep. */
struct wg_roam {
	uint16_t peer;
	struct vsw_wg_endpoint ep;
};

enum wg_slot_kind { WG_SLOT_FREE, WG_SLOT_HANDSHAKE, WG_SLOT_KEYPAIR };

struct vsw_wg {
	struct vsw *sw;
	struct vsw_wg_opts opts; /* private_key wiped once the identity is made */
	struct wg_identity me;
	struct wg_times times;
	double ns_per_tsc;
	struct vxlan_local outer; /* the local VTEP address and our port: sealed messages */
	struct vxlan_local inner; /* our tunnel address and the VXLAN port: what they hold */
	int sock; /* the kernel's UDP socket on outer: handshakes and keepalives */
	int wake_fd, stop_fd; /* eventfds */
	_Atomic bool wake_pending; /* wake_fd written and not yet handled */
	_Atomic bool flush_pending; /* some peer's staged packets can go */
	struct rte_ring *roam; /* PMDs -> thread */
	pthread_t thread;
	bool thread_started;
	struct mutex lock;
	struct vsw_wg_peer *_Atomic peers[VSW_WG_MAX_PEERS]; /* ctl_lock and lock */
	struct vsw_wg_kp *_Atomic index[WG_INDEX_SLOTS]; /* receiver index -> keys (lock) */
	struct {
		uint32_t index;
		uint16_t peer;
		uint8_t kind; /* enum wg_slot_kind */
	} owner[WG_INDEX_SLOTS]; /* lock */
	unsigned int slot_cursor; /* lock */
	/* The thread's alone. */
	struct wg_aead *aead; /* seals keepalives */
	struct wg_cookie_checker cc;
	_Atomic uint64_t load_until; /* under load until then */
	struct {
		uint8_t key[WG_COOKIE_SRC_MAX];
		uint64_t tokens, last;
	} rl[WG_RATELIMIT_SLOTS];
	struct vsw_wg_kp *retired[3 * VSW_WG_MAX_PEERS + 8]; /* freed after a grace period */
	unsigned int n_retired;
	_Atomic uint64_t ctr[VSW_WG_CTR_MAX];
};

static inline uint64_t wg_now(const struct vsw_wg *wg)
{
	return (uint64_t)((double)(rte_rdtsc() - wg->sw->tsc0) * wg->ns_per_tsc);
}

/*
 * How old keys born at @birth are at @now.  Threads read the TSC on
 * different CPUs, whose counters need not agree to the nanosecond: a birth
 * "after" now is age 0, never a huge unsigned age.
 */
static inline uint64_t wg_age(uint64_t now, uint64_t birth)
{
	return now > birth ? now - birth : 0;
}

static inline void wg_count(struct vsw_wg *wg, enum vsw_wg_ctr c)
{
	atomic_fetch_add_explicit(&wg->ctr[c], 1, memory_order_relaxed);
}

static inline struct vsw_wg *wg_of(const struct vsw *sw)
{
	/* Pairs with the release store in wg.c's vsw_wg_enable(). */
	return atomic_load_explicit(&sw->wg, memory_order_acquire);
}

/* wg.c, for the overlay (under ctl_lock): the peer whose allowed IPs hold @a, or VSW_WG_NONE. */
uint16_t vsw_wg_route(struct vsw *sw, const struct vsw_addr *a) REQUIRES(sw->ctl_lock);
/* Copy peer @idx's endpoint (underlay.c); false when there is none. */
bool vsw_wg_endpoint(struct vsw *sw, uint16_t idx, struct vsw_wg_endpoint *ep);
/* Teardown, as vsw_ovl_stop()/destroy(). */
void vsw_wg_stop(struct vsw *sw);
void vsw_wg_destroy(struct vsw *sw);

/* wg.c, for wg_hs.c (on the thread, under wg->lock). */
struct vsw_wg_peer *wg_peer_by_key(struct vsw_wg *wg, const uint8_t pub[WG_KEY_LEN])
	REQUIRES(wg->lock);
/* Reserve an index slot for @peer's handshake; the index, or 0 when full. */
uint32_t wg_index_reserve(struct vsw_wg *wg, struct vsw_wg_peer *peer) REQUIRES(wg->lock);
void wg_index_release(struct vsw_wg *wg, uint32_t index) REQUIRES(wg->lock);
/* Keys of a completed handshake (@keys wiped): as cur (initiator) or next (responder). */
int wg_install_keys(struct vsw_wg *wg, struct vsw_wg_peer *peer, struct wg_session_keys *keys,
		    uint64_t now) REQUIRES(wg->lock);
/* The peer's endpoint is now @ep (an authenticated packet came from there). */
/*
 * overlay.c, under ctl_lock (which peer removal holds): a next hop to peer
 * @idx is usable now, so what waited for it can go if there are keys.
 */
void vsw_wg_nexthop_ready(struct vsw *sw, uint16_t idx);
void wg_set_endpoint(struct vsw_wg *wg, struct vsw_wg_peer *peer, const struct vsw_wg_endpoint *ep)
	REQUIRES(wg->lock);
/* Send @len bytes to the peer's endpoint through the kernel socket; 0 or -errno. */
int wg_send(struct vsw_wg *wg, struct vsw_wg_peer *peer, const void *buf, size_t len);
/* ... or to anyone (cookie replies go where the message came from). */
int wg_sendto(struct vsw_wg *wg, const struct vsw_wg_endpoint *to, const void *buf, size_t len);

/* wg_hs.c: the thread's side of the protocol (under wg->lock). */
void wg_hs_receive(struct vsw_wg *wg, const uint8_t *buf, size_t len,
		   const struct vsw_wg_endpoint *src, uint64_t now) REQUIRES(wg->lock);
void wg_hs_initiate(struct vsw_wg *wg, struct vsw_wg_peer *peer, uint64_t now, bool retry)
	REQUIRES(wg->lock);
void wg_hs_keepalive(struct vsw_wg *wg, struct vsw_wg_peer *peer, uint64_t now) REQUIRES(wg->lock);

/* wg_dp.c: the PMD side. */
/*
 * An uplink packet @m to our WireGuard port, @rx its outer parse: open it.
 * true: @m now holds a VXLAN packet that came sealed by peer *peer and @rx
 * describes it (as vxlan_parse() would); false: @m was consumed (dropped,
 * counted, or a keepalive).
 */
bool vsw_wg_rx(struct vsw_pmd *pmd, struct vsw_wg *wg, struct rte_mbuf *m, struct vxlan_rx *rx,
	       uint16_t *peer);
/*
 * Seal @m (one reference, handed over) for VTEP @v of tenant @vni (its
 * encrypted flag @encrypted) through next hop @nh.
 */
void vsw_wg_output(struct vsw_pmd *pmd, struct vsw_wg *wg, uint32_t vni, bool encrypted,
		   struct vsw_vtep *v, const struct vsw_nexthop *nh, struct rte_mbuf *m);
/* Send what peers staged, now that they have keys (flush_pending was set). */
void vsw_wg_flush(struct vsw_pmd *pmd, struct vsw_wg *wg);

#endif
