/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * private.h - the switch's internal objects, shared by the files of
 * vswitch/ and nobody else: the switch (vswitch.c), tenants (tenant.c), PMD
 * contexts (pmd.c) and the per-burst forwarding code (forward.c).
 *
 * Publication rule: everything a PMD reads that the control thread changes
 * (the port table, a tenant's port set, a PMD's poll list) is an _Atomic
 * pointer to an immutable object.  The control thread builds a new object,
 * stores it with release order, waits one RCU grace period (rte_rcu_qsbr;
 * each PMD is a QSBR reader and reports quiescence once per loop iteration)
 * and only then frees the old one.  PMDs never hold such a pointer across a
 * quiescent state.  Counters are per PMD, written by that PMD only, read by
 * the control thread with relaxed loads and summed.
 */
#ifndef FERRY_VSWITCH_PRIVATE_H
#define FERRY_VSWITCH_PRIVATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/compiler.h"
#include "util/lock.h"
#include "vswitch/overlay.h"
#include "vswitch/vswitch.h"
#include "vswitch/wg.h"

struct rte_hash;
struct rte_mbuf;
struct rte_mempool;
struct rte_rcu_qsbr;
struct vsw_fdb;
struct vsw_overlay;
struct vsw_wg;
struct vsw_evpn;
struct wg_aead;

/* The ports of one tenant: flooding targets.  Immutable once published. */
struct vsw_port_set {
	unsigned int n;
	uint16_t ids[];
};

/* The remote VTEPs a tenant floods to (overlay.c).  Immutable once published. */
struct vsw_vtep_set {
	unsigned int n;
	uint16_t idx[];
};

struct vsw_tenant {
	uint32_t vni;
	unsigned int idx; /* slot in vsw.tenants and in the per-PMD counters */
	struct vsw_fdb *fdb;
	struct vsw_port_set *_Atomic ports; /* RCU-published */
	_Atomic uint64_t aged; /* written by the control thread only */
	/* Overlay (overlay.c): set under ctl_lock before the tenant enters the VNI map. */
	bool vxlan; /* carried over VXLAN */
	_Atomic bool learn; /* accept and learn VTEPs not seeded for it */
	_Atomic bool encrypted; /* only through the WireGuard tunnel (wg.h) */
	_Atomic bool evpn; /* remote MACs from EVPN (evpn.h), none learned from traffic */
	struct vsw_vtep_set *_Atomic vteps; /* RCU-published; never NULL */
};

/*
 * Where a burst entered its tenant: a local port, or a remote VTEP through
 * an uplink.  @src is what the FDB learns for the frames' source MACs: the
 * port id, VSW_FDB_VTEP | VTEP index, or VSW_PORT_NONE (do not learn: a VTEP
 * still being learned).  Frames from a tunnel are never flooded back into
 * tunnels (split horizon, as every full-mesh VXLAN VTEP).
 */
struct vsw_ingress {
	struct vsw_tenant *t;
	struct vsw_port *port; /* counts rx and drops: the local port, or the uplink */
	uint16_t src;
	bool tunnel;
};

/* One (port, rx queue) a PMD polls. */
struct vsw_rxq_ref {
	struct vsw_port *port;
	uint16_t q;
};

/* A PMD's queues.  Immutable once published; gen tells the PMD to rebuild its epoll set. */
struct vsw_poll_list {
	uint64_t gen;
	unsigned int n;
	struct vsw_rxq_ref rxq[];
};

struct vsw_port_ctr {
	_Atomic uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	_Atomic uint64_t drops[VSW_DROP_MAX];
	_Atomic uint64_t gso_rx, gso_tx, gso_split, csum_sw; /* vsw_port_stats */
};

struct vsw_tenant_ctr {
	_Atomic uint64_t rx_packets, rx_bytes, unicast, flooded, dropped;
	_Atomic uint64_t learned, moved, learn_failed;
};

/* Overlay counters of one PMD (overlay_dp.c). */
struct vsw_ovl_ctr {
	_Atomic uint64_t decap_packets, decap_bytes, encap_packets, encap_bytes;
	_Atomic uint64_t not_tunnel, learn_queue_full;
	_Atomic uint64_t drops[VSW_TUN_DROP_MAX];
};

/* Per remote VTEP, per PMD; zeroed when the VTEP slot is taken. */
struct vsw_vtep_ctr {
	_Atomic uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes, tx_dropped;
};

/* Per WireGuard peer, per PMD: data messages (bytes as `wg show` counts them). */
struct vsw_wg_peer_ctr {
	_Atomic uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes, keepalive_rx;
};

struct vsw_pmd_ctr {
	_Atomic uint64_t iterations, busy_iterations, rx_packets, tx_packets;
	_Atomic uint64_t sleeps, sleep_aborts, wakeups_measured;
	_Atomic uint64_t lat_min_ns, lat_max_ns, lat_sum_ns;
	_Atomic uint64_t lat_hist[VSW_LAT_BUCKETS];
};

/* Frames waiting for one output port during one PMD iteration. */
struct vsw_txbuf {
	struct vsw_port *port; /* captured when buffering; valid until the next quiescent state */
	uint16_t n;
	uint64_t ol_flags; /* OR of the buffered frames' ol_flags: is any offload pending? */
	struct rte_mbuf *pkts[VSW_BURST_MAX];
};

struct vsw_pmd {
	struct vsw *sw;
	unsigned int idx; /* also the QSBR thread id */
	int cpu; /* -1: not pinned */
	uint16_t txq; /* tx queue this PMD uses on every port (idx modulo the port's count) */
	pthread_t thread;
	bool thread_started;
	_Atomic bool stop; /* set by the control thread; read with acquire each iteration */
	struct vsw_poll_list *_Atomic poll; /* RCU-published by the control thread */
	int ctl_fd; /* eventfd: the control thread wakes a sleeping PMD */
	_Atomic uint64_t ctl_tsc; /* TSC of the last ctl_fd write */

	/* Private to the PMD thread. */
	int epfd; /* epoll over the wait fds of ep_gen's poll list and ctl_fd */
	uint64_t ep_gen; /* poll list generation epfd was built for */
	uint64_t ep_fd_gen; /* vsw.fd_gen when epfd was built */
	bool ep_timeout; /* some queue has no wait fd: sleep with a timeout */
	uint64_t lat_start; /* notification TSC of the wake being measured, 0 = none */
	uint64_t last_busy; /* TSC of the last iteration that received frames */
	uint32_t now_s; /* the switch clock (seconds) as of next_s_tsc's second */
	uint64_t next_s_tsc; /* TSC at which now_s must be recomputed */
	uint16_t n_dirty; /* output ports with buffered frames */
	uint16_t dirty[VSW_MAX_PORTS];
	struct vsw_txbuf txb[VSW_MAX_PORTS];

	/* Written by the PMD, read by the control thread. */
	struct vsw_port_ctr port_ctr[VSW_MAX_PORTS];
	struct vsw_tenant_ctr tenant_ctr[VSW_MAX_TENANTS];
	struct vsw_pmd_ctr ctr;
	struct vsw_ovl_ctr ovl_ctr;
	struct vsw_vtep_ctr vtep_ctr[VSW_MAX_VTEPS];
	struct vsw_wg_peer_ctr wg_ctr[VSW_WG_MAX_PEERS];
	/* PMD-private: the last VTEP address this PMD asked the overlay thread to learn. */
	struct vsw_addr last_learn_req;
	uint8_t last_learn_tenant;
	uint32_t last_learn_s; /* when it asked */
	/* PMD-private: WireGuard's context for sealing and opening, and the last roaming request. */
	struct wg_aead *aead;
	uint16_t last_roam_peer;
	uint32_t last_roam_s;
};

struct vsw {
	struct vsw_opts opts;
	unsigned int instance; /* makes DPDK object names unique in the process */
	struct rte_mempool *pool;
	struct rte_rcu_qsbr *qs; /* one reader per PMD context */
	uint64_t tsc_hz, tsc0; /* the switch clock: seconds since tsc0 */
	uint64_t idle_tsc; /* idle_sleep_us in TSC cycles, 0 = never sleep */
	struct mutex ctl_lock; /* serialises control operations; PMDs never take it */
	struct vsw_port *_Atomic ports[VSW_MAX_PORTS]; /* RCU-published */
	struct vsw_tenant *tenants[VSW_MAX_TENANTS] GUARDED; /* control side, under ctl_lock */
	unsigned int n_pmds; /* PMD contexts */
	bool manual; /* no PMD threads: vsw_poll() drives context 0 */
	struct vsw_pmd *pmds[VSW_MAX_PMDS];
	uint64_t poll_gen GUARDED; /* last poll list generation handed out (ctl_lock) */
	_Atomic uint64_t fd_gen; /* bumped when a port's wait fds may have changed */
	/*
	 * MACs of local NICs (ports that have one), with a use count as data: a
	 * tunnel frame claiming one is a spoof (overlay_dp.c).  Lock-free readers;
	 * written under ctl_lock.
	 */
	struct rte_hash *owned_macs;
	struct vsw_overlay *_Atomic ovl; /* set once by vsw_overlay_enable() */
	struct vsw_wg *_Atomic wg; /* set once by vsw_wg_enable() */
	struct vsw_evpn *_Atomic evpn; /* the EVPN thread (evpn.h), made on first binding */
	struct vsw_capture *captures[VSW_MAX_CAPTURES] GUARDED; /* capture.c */
	int capture_seq GUARDED;
	_Atomic bool evpn_kicked; /* a PMD learned a local MAC of an EVPN tenant */
	pthread_t hk_thread; /* housekeeping: MAC aging */
	bool hk_started;
	int hk_fd; /* eventfd that stops the housekeeping thread */
};

/* Single-writer counter update: no locked instruction needed. */
static inline void vsw_ctr_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static inline uint64_t vsw_ctr_read(const _Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

static inline uint32_t vsw_clock_s(const struct vsw *sw, uint64_t tsc)
{
	return (uint32_t)((tsc - sw->tsc0) / sw->tsc_hz);
}

/* tenant.c */
/* ... and a port is going: its captures end (under ctl_lock). */
void vsw_capture_port_gone(struct vsw *sw, struct vsw_port *p) REQUIRES(sw->ctl_lock);

/* evpn.c, for PMDs: a local MAC was learned in an EVPN tenant: export it soon. */
void vsw_evpn_kick(struct vsw *sw);
/* ... and a local guest of tenant @vni claims IPv4 address @ip_be (network order) for @mac. */
void vsw_evpn_saw_arp(struct vsw *sw, uint32_t vni, uint32_t ip_be, const uint8_t mac[6]);
struct vsw_tenant *vsw_tenant_create(struct vsw *sw, uint32_t vni, unsigned int idx);
void vsw_tenant_destroy(struct vsw_tenant *t);
/* Publish @t's port set with @add added (or VSW_PORT_NONE) and @del removed; returns the old set. */
struct vsw_port_set *vsw_tenant_publish_ports(struct vsw_tenant *t, uint16_t add, uint16_t del);
void vsw_tenant_fill_stats(struct vsw *sw, const struct vsw_tenant *t, struct vsw_tenant_stats *st);

/* pmd.c */
struct vsw_pmd *vsw_pmd_create(struct vsw *sw, unsigned int idx, int cpu);
int vsw_pmd_start(struct vsw_pmd *pmd);
/* Join the thread (if any); the context stays for counters and port removal. */
void vsw_pmd_stop(struct vsw_pmd *pmd);
void vsw_pmd_destroy(struct vsw_pmd *pmd);
/* Publish a new poll list, wake the PMD; returns the old list (free after a grace period). */
struct vsw_poll_list *vsw_pmd_publish(struct vsw_pmd *pmd, struct vsw_poll_list *pl);
/* Wake the PMD if it sleeps (it then re-reads its poll list). */
void vsw_pmd_kick(struct vsw_pmd *pmd);
/* One iteration on the calling thread (manual mode); frames received. */
unsigned int vsw_pmd_poll_once(struct vsw_pmd *pmd);
void vsw_pmd_fill_stats(const struct vsw_pmd *pmd, struct vsw_pmd_stats *st);

/* forward.c */
void vsw_fwd_burst(struct vsw_pmd *pmd, const struct vsw_ingress *in, struct rte_mbuf **pkts,
		   uint16_t n, uint32_t now_s);
/* Queue @m (owned by the caller, handed over) for port @out. */
void vsw_fwd_buffer(struct vsw_pmd *pmd, struct vsw_port *out, struct rte_mbuf *m);
/* Send everything buffered; called at the end of every iteration. */
void vsw_fwd_flush(struct vsw_pmd *pmd);

/*
 * gso.c: software offloads.  Complete @*pm's pending L4 checksum (copying a
 * shared frame first, which replaces *pm): 0 or -errno, the frame still the
 * caller's.
 */
int vsw_sw_csum(struct rte_mbuf **pm, struct rte_mempool *mp);
/* Longest Ethernet + IP + TCP header a TSO frame may have (14 + 4 + 60 + 60, rounded). */
#define VSW_GSO_MAX_HDR 160
/* Most segments the switch cuts one TSO frame into (vhost lets in no more: VNET_GSO_MAX_SEGS). */
#define VSW_GSO_MAX_SEGS 256
/*
 * Cut TSO frame @m into at most @cap TCP segments in @out (new mbufs from
 * @mp); with @csum_pending their checksums are left to the output
 * (RTE_MBUF_F_TX_TCP_CKSUM, pseudo-header sum in the field), else complete.
 * Returns the count, -ENOMEM, -E2BIG (more than @cap) or -EINVAL (metadata
 * that does not fit the frame).  @m stays the caller's.
 */
int vsw_gso_segment(const struct rte_mbuf *m, struct rte_mempool *mp, bool csum_pending,
		    struct rte_mbuf **out, uint16_t cap);

/* overlay_dp.c: the PMD side of the overlay. */
/* A burst from an uplink: decapsulate, check and hand each tenant its frames. */
void vsw_ovl_rx(struct vsw_pmd *pmd, struct vsw_port *uplink, struct rte_mbuf **pkts, uint16_t n,
		uint32_t now_s);
/* Encapsulate @m (one reference, handed over) for VTEP @vtep of tenant @t. */
void vsw_ovl_output(struct vsw_pmd *pmd, const struct vsw_tenant *t, uint16_t vtep,
		    struct rte_mbuf *m);
/* The same by VNI (packets a WireGuard peer staged): @encrypted, the tenant's flag. */
void vsw_ovl_output_vni(struct vsw_pmd *pmd, uint32_t vni, bool encrypted, uint16_t vtep,
			struct rte_mbuf *m);
/*
 * @m (one reference, handed over) with @head bytes of room before the frame
 * and @tail after it: in place when the switch holds the only copy in one
 * segment with the room, else copied.  NULL (and @m freed) without a buffer.
 * *inner points at the frame, whose partial checksum is completed.
 */
struct rte_mbuf *vsw_ovl_make_room(struct vsw_pmd *pmd, struct rte_mbuf *m, uint32_t head,
				   uint32_t tail, uint8_t **inner);
struct vsw_nexthop;
struct vsw_vtep;
/* The uplink of next hop @nh if it is usable (dp_uplink). */
struct vsw_port *vsw_ovl_uplink(const struct vsw_pmd *pmd, const struct vsw_nexthop *nh);
/* Count, ask the overlay thread to resolve VTEP @v, and drop @m. */
void vsw_ovl_no_nexthop(struct vsw_pmd *pmd, struct vsw_vtep *v, struct rte_mbuf *m);
/* ... or only ask the overlay thread to resolve it (the caller keeps the frame). */
void vsw_ovl_want_nexthop(struct vsw_pmd *pmd, struct vsw_vtep *v);

/* overlay.c: what the rest of the switch tells the overlay (under ctl_lock). */
void vsw_ovl_tenant_removed(struct vsw *sw, struct vsw_tenant *t) REQUIRES(sw->ctl_lock);
/* A port came or went: uplinks change next hops, local MACs the spoof table. */
void vsw_ovl_port_changed(struct vsw *sw, struct vsw_port *p, bool added) REQUIRES(sw->ctl_lock);
/* Teardown: stop the overlay thread (PMDs may still run), then free (they are gone). */
void vsw_ovl_stop(struct vsw *sw);
void vsw_ovl_destroy(struct vsw *sw);

#endif
