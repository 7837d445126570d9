/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * overlay_priv.h - the overlay's objects, shared by overlay.c (tables and
 * control API), overlay_dp.c (the PMD side) and underlay.c (the thread that
 * learns, ages and resolves next hops through netlink), and nobody else.
 *
 * Publication follows private.h: the PMDs read VTEP slots, next hops, the
 * VNI map and tenants' VTEP sets through _Atomic pointers to immutable
 * objects, which the control side replaces and frees after a grace period.
 * Control-side changes hold the switch's ctl_lock.  A PMD never writes a
 * table: what it wants learned or resolved it queues on the request ring for
 * the overlay thread.
 */
#ifndef FERRY_VSWITCH_OVERLAY_PRIV_H
#define FERRY_VSWITCH_OVERLAY_PRIV_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vswitch/overlay.h"
#include "vswitch/private.h"
#include "vswitch/vxlan.h"

struct rte_hash;
struct rte_ring;
struct vsw_underlay;

/* How a VTEP is reached right now.  Immutable once published. */
struct vsw_nexthop {
	enum vsw_nh_state state;
	uint16_t uplink; /* port id of the egress uplink (state OK) */
	int ifindex; /* the uplink's interface: a reused port id must match it */
	uint32_t mtu; /* largest outer IP packet the path takes */
	struct vsw_addr via; /* gateway, or the VTEP itself when on-link */
	struct vsw_addr src; /* the route's preferred source (shown only) */
	uint8_t via_mac[6];
	struct vxlan_tmpl tmpl; /* outer headers (state OK); plain UDP to the peer when wg */
	/* Encrypted VTEPs: the WireGuard peer, and the VXLAN headers sealed inside. */
	uint16_t wg_peer; /* VSW_WG_NONE: plain VXLAN */
	struct vxlan_tmpl inner; /* its Ethernet part is overwritten by WireGuard's header */
};

/* One remote VTEP.  The slot and its address never change while published. */
struct vsw_vtep {
	struct vsw_addr addr;
	uint16_t idx; /* slot in vsw_overlay.vteps, and FDB value VSW_FDB_VTEP | idx */
	uint64_t seeded; /* tenants (bit = tenant idx) that configured it; ctl_lock */
	uint64_t evpn; /* tenants whose EVPN control plane announced it (evpn.c); ctl_lock */
	_Atomic uint64_t member; /* tenants it floods for: seeded, announced or learned */
	_Atomic uint32_t last_seen; /* switch clock of its last packet; PMDs write */
	_Atomic bool want_resolve; /* a PMD had no next hop for it */
	_Atomic uint16_t wg_peer; /* whose allowed IPs hold it (wg.h), VSW_WG_NONE: plain */
	struct vsw_nexthop *_Atomic nh; /* never NULL once published */
	uint32_t next_probe_s; /* underlay: when to ask the kernel to resolve again */
};

/* VNI -> tenant for decapsulation, sorted by VNI.  Immutable once published. */
struct vsw_vni_map {
	unsigned int n;
	struct {
		uint32_t vni;
		struct vsw_tenant *t;
	} e[];
};

enum ovl_req_kind {
	OVL_REQ_LEARN, /* add @addr to tenant @tenant's VTEPs */
	OVL_REQ_RESOLVE, /* VTEP @vtep has no next hop */
};

/* What a PMD asks of the overlay thread (the request ring's elements). */
struct ovl_req {
	uint8_t kind;
	uint8_t tenant; /* tenant idx */
	uint16_t vtep;
	struct vsw_addr addr;
};

struct vsw_overlay {
	struct vsw *sw;
	struct vsw_overlay_opts opts;
	struct vxlan_local local;
	struct rte_hash *h; /* address -> slot; lock-free readers, written under ctl_lock */
	struct vsw_vtep *_Atomic vteps[VSW_MAX_VTEPS];
	struct vsw_vni_map *_Atomic vnis;
	struct rte_ring *req; /* PMDs (producers) -> overlay thread (consumer) */
	int req_fd; /* eventfd: a request is queued */
	_Atomic bool req_pending; /* req_fd written and not yet handled */
	_Atomic uint64_t vteps_learned, vteps_aged;
	struct vsw_underlay *ul; /* underlay.c: the thread and its netlink state */
	/* The uplink filter (ctl_lock); allow is owned. */
	struct vsw_uplink_filter filter;
	struct vsw_prefix *filter_allow;
};

/* overlay.c, for underlay.c (thread side). */
/* Handle the queued requests; sets *resolve when some VTEP wants a next hop. */
void ovl_take_requests(struct vsw_overlay *ovl, bool *resolve);
/* Remove learned VTEPs silent longer than the aging time. */
void ovl_age(struct vsw_overlay *ovl);
/*
 * Replace VTEP @idx's next hop with @nh (taken over) if it differs and the
 * slot still holds address @addr; under ctl_lock.
 */
void ovl_set_nexthop(struct vsw_overlay *ovl, uint16_t idx, const struct vsw_addr *addr,
		     struct vsw_nexthop *nh) REQUIRES(ovl->sw->ctl_lock);

/* Recompute which WireGuard peer each VTEP goes through (peers changed); under ctl_lock. */
void ovl_reroute(struct vsw *sw) REQUIRES(sw->ctl_lock);

/* For evpn.c: tenant @vni's remote MACs come from the control plane only (@on). */
int ovl_tenant_evpn(struct vsw *sw, uint32_t vni, bool on);
/*
 * The MACs of tenant @vni on local ports, at most @max into @out (*more:
 * how many did not fit); the count or -ENOENT.
 */
int ovl_local_macs(struct vsw *sw, uint32_t vni, uint8_t (*out)[6], unsigned int max,
		   unsigned int *more);

/* underlay.c, for overlay.c. */
int vsw_underlay_start(struct vsw_overlay *ovl);
void vsw_underlay_stop(struct vsw_overlay *ovl);
/* Re-resolve every VTEP soon (a VTEP or an uplink came or went). */
void vsw_underlay_kick(struct vsw_overlay *ovl);
/* Kick and wait (up to a few seconds) until a pass after the kick has finished. */
int vsw_underlay_refresh(struct vsw_overlay *ovl);

#endif
