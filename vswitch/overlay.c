/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * overlay.c - the overlay's tables and control API (overlay.h): the local
 * VTEP, the remote VTEPs (seeded by configuration or learned from traffic,
 * aged when silent), each tenant's flood list of VTEPs, the VNI map the
 * PMDs decapsulate with, and the table of local NIC MACs that tunnel frames
 * may not claim.  overlay_dp.c is the PMD side; underlay.c runs the thread
 * that learns, ages and finds next hops.
 *
 * Every change runs under the switch's ctl_lock and follows private.h's
 * rule: build, publish, wait one grace period, free.  Removing a VTEP takes
 * it out of the address hash and its slot first, waits, and only then
 * flushes the MACs learned behind it: a PMD that looked the address up
 * before the removal could otherwise learn a MAC onto a slot that a new VTEP
 * reuses.  Learned VTEPs are bounded by the table (VSW_MAX_VTEPS) and aged;
 * a tenant that must not accept unknown senders turns learning off.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_ring.h>

#include "util/log.h"
#include "vswitch/fdb.h"
#include "vswitch/overlay_priv.h"
#include "vswitch/port.h"
#include "vswitch/wg_priv.h"

#define OVL_REQ_RING 1024 /* pending learn/resolve requests */

static const char *const drop_names[VSW_TUN_DROP_MAX] = {
	[VSW_TUN_TRUNCATED] = "truncated",	 [VSW_TUN_BAD_IP] = "bad_ip",
	[VSW_TUN_IP_OPTIONS] = "ip_options",	 [VSW_TUN_FRAGMENT] = "fragment",
	[VSW_TUN_BAD_IP_CSUM] = "bad_ip_csum",	 [VSW_TUN_BAD_UDP] = "bad_udp",
	[VSW_TUN_BAD_UDP_CSUM] = "bad_udp_csum", [VSW_TUN_BAD_FLAGS] = "bad_flags",
	[VSW_TUN_BAD_SRC] = "bad_src",		 [VSW_TUN_INNER_RUNT] = "inner_runt",
	[VSW_TUN_NONLINEAR] = "nonlinear",	 [VSW_TUN_NO_OVERLAY] = "no_overlay",
	[VSW_TUN_UNKNOWN_VNI] = "unknown_vni",	 [VSW_TUN_UNKNOWN_VTEP] = "unknown_vtep",
	[VSW_TUN_SPOOFED_SRC] = "spoofed_src",	 [VSW_TUN_UNENCRYPTED] = "unencrypted",
	[VSW_TUN_WG_BAD_MSG] = "wg_bad_msg",	 [VSW_TUN_WG_UNKNOWN_INDEX] = "wg_unknown_index",
	[VSW_TUN_WG_EXPIRED] = "wg_expired",	 [VSW_TUN_WG_BAD_AUTH] = "wg_bad_auth",
	[VSW_TUN_WG_REPLAY] = "wg_replay",	 [VSW_TUN_WG_ALLOWED_IPS] = "wg_allowed_ips",
	[VSW_TUN_WG_NOT_VXLAN] = "wg_not_vxlan", [VSW_TUN_NO_NEXTHOP] = "no_nexthop",
	[VSW_TUN_TOO_BIG] = "too_big",		 [VSW_TUN_NO_MBUF] = "no_mbuf",
	[VSW_TUN_WG_NO_KEYS] = "wg_no_keys",
};

static const char *const nh_names[VSW_NH_STATE_MAX] = {
	[VSW_NH_PENDING] = "pending",	      [VSW_NH_OK] = "ok",
	[VSW_NH_NO_ROUTE] = "no_route",	      [VSW_NH_NO_UPLINK] = "no_uplink",
	[VSW_NH_NO_NEIGH] = "no_neighbour",   [VSW_NH_LINK_DOWN] = "link_down",
	[VSW_NH_NO_ENDPOINT] = "no_endpoint",
};

const char *vsw_tun_drop_name(enum vsw_tun_drop d)
{
	return (unsigned int)d < VSW_TUN_DROP_MAX ? drop_names[d] : "?";
}

const char *vsw_nh_state_name(enum vsw_nh_state s)
{
	return (unsigned int)s < VSW_NH_STATE_MAX ? nh_names[s] : "?";
}

void vsw_overlay_opts_init(struct vsw_overlay_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->udp_port = VXLAN_PORT;
	o->ttl = 64;
	o->df = true;
	o->vtep_aging_s = 300;
}

static struct vsw_overlay *ovl_of(struct vsw *sw)
{
	/* Pairs with the release store in vsw_overlay_enable(). */
	return atomic_load_explicit(&sw->ovl, memory_order_acquire);
}

static struct vsw_tenant *ovl_tenant(struct vsw *sw, uint32_t vni) REQUIRES(sw->ctl_lock)
{
	unsigned int i;

	for (i = 0; i < VSW_MAX_TENANTS; i++)
		if (sw->tenants[i] && sw->tenants[i]->vni == vni)
			return sw->tenants[i];
	return NULL;
}

static struct vsw_vtep *ovl_slot(const struct vsw_overlay *ovl, unsigned int idx)
{
	return atomic_load_explicit(&ovl->vteps[idx], memory_order_relaxed);
}

/* ---- the VNI map and the tenants' VTEP sets ---- */

static int ovl_publish_vnis(struct vsw *sw, struct vsw_overlay *ovl) REQUIRES(sw->ctl_lock)
{
	struct vsw_vni_map *m, *old;
	struct vsw_tenant *t;
	unsigned int i, j;

	m = malloc(sizeof(*m) + VSW_MAX_TENANTS * sizeof(m->e[0]));
	if (!m)
		return -ENOMEM;
	m->n = 0;
	for (i = 0; i < VSW_MAX_TENANTS; i++) {
		t = sw->tenants[i];
		if (!t || !t->vxlan)
			continue;
		/* Insertion sort: the PMDs binary-search the map. */
		for (j = m->n; j > 0 && m->e[j - 1].vni > t->vni; j--)
			m->e[j] = m->e[j - 1];
		m->e[j].vni = t->vni;
		m->e[j].t = t;
		m->n++;
	}
	/* Pairs with the acquire load in overlay_dp.c's dp_tenant(). */
	old = atomic_exchange_explicit(&ovl->vnis, m, memory_order_acq_rel);
	vsw_datapath_sync(sw);
	free(old);
	return 0;
}

/* Rebuild tenant @t's flood list from the VTEPs' member bits. */
static int ovl_publish_set(struct vsw *sw, struct vsw_overlay *ovl, struct vsw_tenant *t)
	REQUIRES(sw->ctl_lock)
{
	uint64_t bit = 1ull << t->idx;
	struct vsw_vtep_set *s, *old;
	struct vsw_vtep *v;
	unsigned int i;

	s = malloc(sizeof(*s) + VSW_MAX_VTEPS * sizeof(s->idx[0]));
	if (!s)
		return -ENOMEM;
	s->n = 0;
	for (i = 0; i < VSW_MAX_VTEPS; i++) {
		v = ovl_slot(ovl, i);
		if (v && (atomic_load_explicit(&v->member, memory_order_relaxed) & bit))
			s->idx[s->n++] = (uint16_t)i;
	}
	/* Pairs with the acquire load in forward.c's fwd_flood(). */
	old = atomic_exchange_explicit(&t->vteps, s, memory_order_acq_rel);
	vsw_datapath_sync(sw);
	free(old);
	return 0;
}

/* ---- VTEP slots ---- */

static int ovl_vtep_find(const struct vsw_overlay *ovl, const struct vsw_addr *a)
{
	void *data;

	if (rte_hash_lookup_data(ovl->h, a, &data) < 0)
		return -ENOENT;
	return (int)(uintptr_t)data;
}

static void ovl_zero_ctr(struct vsw *sw, unsigned int idx)
{
	unsigned int i;

	for (i = 0; i < sw->n_pmds; i++)
		memset(&sw->pmds[i]->vtep_ctr[idx], 0, sizeof(sw->pmds[i]->vtep_ctr[idx]));
}

/* A new VTEP in a free slot, not a member of any tenant yet; its index or -errno. */
static int ovl_vtep_add(struct vsw *sw, struct vsw_overlay *ovl, const struct vsw_addr *a)
	REQUIRES(sw->ctl_lock)
{
	struct vsw_vtep *v;
	struct vsw_nexthop *nh;
	unsigned int idx;

	for (idx = 0; idx < VSW_MAX_VTEPS && ovl_slot(ovl, idx); idx++)
		;
	if (idx == VSW_MAX_VTEPS)
		return -ENOSPC;
	v = calloc(1, sizeof(*v));
	nh = calloc(1, sizeof(*nh));
	if (!v || !nh)
		goto err_free;
	v->addr = *a;
	v->idx = (uint16_t)idx;
	atomic_init(&v->wg_peer, vsw_wg_route(sw, a));
	nh->state = VSW_NH_PENDING;
	nh->wg_peer = VSW_WG_NONE;
	atomic_init(&v->nh, nh);
	atomic_init(&v->last_seen, vsw_clock_s(sw, rte_rdtsc()));
	/* The slot was free for a grace period at least: no PMD counts into it. */
	ovl_zero_ctr(sw, idx);
	/* Publish the slot before the hash can lead a PMD to it. */
	atomic_store_explicit(&ovl->vteps[idx], v, memory_order_release);
	if (rte_hash_add_key_data(ovl->h, a, (void *)(uintptr_t)idx) < 0) {
		atomic_store_explicit(&ovl->vteps[idx], NULL, memory_order_release);
		vsw_datapath_sync(sw);
		goto err_free;
	}
	return (int)idx;

err_free:
	free(nh);
	free(v);
	return -ENOMEM;
}

static void ovl_flush_vtep_macs(struct vsw *sw, uint16_t idx) REQUIRES(sw->ctl_lock)
{
	unsigned int i;

	for (i = 0; i < VSW_MAX_TENANTS; i++)
		if (sw->tenants[i])
			vsw_fdb_flush_port(sw->tenants[i]->fdb, (uint16_t)(VSW_FDB_VTEP | idx),
					   vsw_datapath_sync, sw);
}

/* Remove VTEP @idx, which is a member of no tenant any more (so in no flood list). */
static void ovl_vtep_del(struct vsw *sw, struct vsw_overlay *ovl, uint16_t idx)
	REQUIRES(sw->ctl_lock)
{
	struct vsw_vtep *v = ovl_slot(ovl, idx);
	int32_t pos = rte_hash_del_key(ovl->h, &v->addr);

	atomic_store_explicit(&ovl->vteps[idx], NULL, memory_order_release);
	vsw_datapath_sync(sw);
	/* No PMD can find the VTEP now, so none can learn a MAC onto it. */
	ovl_flush_vtep_macs(sw, idx);
	if (pos >= 0)
		rte_hash_free_key_with_position(ovl->h, pos);
	free(atomic_load_explicit(&v->nh, memory_order_relaxed));
	free(v);
}

/* Drop tenant @t's claim on VTEP @idx; the VTEP goes when nobody claims it. */
static void ovl_vtep_leave(struct vsw *sw, struct vsw_overlay *ovl, struct vsw_tenant *t,
			   uint16_t idx) REQUIRES(sw->ctl_lock)
{
	struct vsw_vtep *v = ovl_slot(ovl, idx);
	uint64_t bit = 1ull << t->idx;

	v->seeded &= ~bit;
	v->evpn &= ~bit;
	atomic_fetch_and_explicit(&v->member, ~bit, memory_order_relaxed);
	ovl_publish_set(sw, ovl, t);
	vsw_fdb_flush_port(t->fdb, (uint16_t)(VSW_FDB_VTEP | idx), vsw_datapath_sync, sw);
	if (atomic_load_explicit(&v->member, memory_order_relaxed) == 0)
		ovl_vtep_del(sw, ovl, idx);
}

/* ---- the uplink filter ---- */

/*
 * Push the filter to every uplink that filters in XDP: the configured
 * prefixes plus each seeded VTEP as a host prefix, and the VNIs of the
 * tenants on the overlay.  Learned VTEPs are not added: where VTEPs are
 * enforced, a learned one must come from an allowed prefix to be seen at all.
 */
static void ovl_sync_filter(struct vsw *sw, struct vsw_overlay *ovl) REQUIRES(sw->ctl_lock)
{
	unsigned int np = 0, nv = 0, i;
	struct vsw_port_filter pf;
	struct vsw_prefix *pre;
	uint32_t vnis[VSW_MAX_TENANTS];
	struct vsw_vtep *v;
	struct vsw_port *p;

	pre = malloc((ovl->filter.n_allow + VSW_MAX_VTEPS) * sizeof(*pre));
	if (!pre) {
		LOG_ERR("overlay", "uplink filter: out of memory, not updated");
		return;
	}
	for (i = 0; i < ovl->filter.n_allow; i++)
		pre[np++] = ovl->filter_allow[i];
	for (i = 0; i < VSW_MAX_VTEPS; i++) {
		v = ovl_slot(ovl, i);
		if (v && (v->seeded | v->evpn))
			pre[np++] =
				(struct vsw_prefix){ .addr = v->addr,
						     .plen = v->addr.family == AF_INET ? 32 : 128 };
	}
	for (i = 0; i < VSW_MAX_TENANTS; i++)
		if (sw->tenants[i] && sw->tenants[i]->vxlan)
			vnis[nv++] = sw->tenants[i]->vni;
	pf = (struct vsw_port_filter){ .enforce_vteps = ovl->filter.enforce_vteps,
				       .enforce_vnis = ovl->filter.enforce_vnis,
				       .rate_pps = ovl->filter.rate_pps,
				       .burst = ovl->filter.burst,
				       .prefixes = pre,
				       .n_prefixes = np,
				       .vnis = vnis,
				       .n_vnis = nv };
	for (i = 0; i < VSW_MAX_PORTS; i++) {
		p = atomic_load_explicit(&sw->ports[i], memory_order_relaxed);
		if (p && p->ops->set_filter && p->ops->set_filter(p, &pf))
			LOG_ERR("overlay", "uplink %s: cannot update its XDP filter", p->name);
	}
	free(pre);
}

int vsw_uplink_filter_set(struct vsw *sw, const struct vsw_uplink_filter *f)
{
	struct vsw_overlay *ovl = ovl_of(sw);
	struct vsw_prefix *allow = NULL;

	if (!ovl)
		return -ENODEV;
	if (f->n_allow > VSW_MAX_FILTER_PREFIXES)
		return -ENOSPC;
	if (f->n_allow) {
		allow = malloc(f->n_allow * sizeof(*allow));
		if (!allow)
			return -ENOMEM;
		memcpy(allow, f->allow, f->n_allow * sizeof(*allow));
	}
	mutex_lock(&sw->ctl_lock);
	free(ovl->filter_allow);
	ovl->filter = *f;
	ovl->filter.allow = ovl->filter_allow = allow;
	ovl_sync_filter(sw, ovl);
	mutex_unlock(&sw->ctl_lock);
	return 0;
}

int vsw_uplink_filter_stats(struct vsw *sw, uint16_t id, struct vsw_filter_stats *st)
{
	struct vsw_port *p;

	memset(st, 0, sizeof(*st));
	mutex_lock(&sw->ctl_lock);
	p = id < VSW_MAX_PORTS ? atomic_load_explicit(&sw->ports[id], memory_order_relaxed) : NULL;
	if (p && p->ops->filter_stats)
		p->ops->filter_stats(p, st);
	mutex_unlock(&sw->ctl_lock);
	return p ? 0 : -ENOENT;
}

/* ---- control API ---- */

static int ovl_check_opts(const struct vsw_overlay_opts *o)
{
	if (o->local.family != AF_INET && o->local.family != AF_INET6) {
		LOG_ERR("overlay", "the local VTEP needs an IPv4 or IPv6 address");
		return -EINVAL;
	}
	if (o->udp_port == 0 || o->ttl == 0) {
		LOG_ERR("overlay", "UDP port and TTL must not be 0");
		return -EINVAL;
	}
	return 0;
}

static struct vsw_overlay *ovl_create(struct vsw *sw, const struct vsw_overlay_opts *o)
{
	char hname[32], rname[32];
	struct rte_hash_parameters hp = {
		.name = hname,
		.entries = VSW_MAX_VTEPS,
		.key_len = sizeof(struct vsw_addr),
		.socket_id = SOCKET_ID_ANY,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	struct vsw_overlay *ovl = calloc(1, sizeof(*ovl));

	if (!ovl)
		return NULL;
	ovl->sw = sw;
	ovl->opts = *o;
	ovl->local.addr = o->local;
	ovl->local.port = o->udp_port;
	ovl->req_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	snprintf(hname, sizeof(hname), "vteps-%u", sw->instance);
	snprintf(rname, sizeof(rname), "ovlreq-%u", sw->instance);
	ovl->h = rte_hash_create(&hp);
	ovl->req = rte_ring_create_elem(rname, sizeof(struct ovl_req), OVL_REQ_RING, SOCKET_ID_ANY,
					RING_F_SC_DEQ);
	atomic_init(&ovl->vnis, calloc(1, sizeof(struct vsw_vni_map)));
	if (ovl->req_fd < 0 || !ovl->h || !ovl->req || !atomic_load(&ovl->vnis)) {
		LOG_ERR("overlay", "cannot allocate the VTEP table");
		goto err_free;
	}
	return ovl;

err_free:
	free(atomic_load(&ovl->vnis));
	rte_ring_free(ovl->req);
	rte_hash_free(ovl->h);
	if (ovl->req_fd >= 0)
		close(ovl->req_fd);
	free(ovl);
	return NULL;
}

static void ovl_free(struct vsw_overlay *ovl)
{
	struct vsw_vtep *v;
	unsigned int i;

	for (i = 0; i < VSW_MAX_VTEPS; i++) {
		v = ovl_slot(ovl, i);
		if (!v)
			continue;
		free(atomic_load_explicit(&v->nh, memory_order_relaxed));
		free(v);
	}
	free(atomic_load(&ovl->vnis));
	free(ovl->filter_allow);
	rte_ring_free(ovl->req);
	rte_hash_free(ovl->h);
	close(ovl->req_fd);
	free(ovl);
}

int vsw_overlay_enable(struct vsw *sw, const struct vsw_overlay_opts *o)
{
	struct vsw_overlay *ovl;
	char buf[VSW_ADDR_STRLEN];
	int ret;

	ret = ovl_check_opts(o);
	if (ret)
		return ret;
	mutex_lock(&sw->ctl_lock);
	if (ovl_of(sw)) {
		ret = -EALREADY;
		goto out_unlock;
	}
	ovl = ovl_create(sw, o);
	if (!ovl) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	/* The thread waits for ctl_lock before it touches anything. */
	ret = vsw_underlay_start(ovl);
	if (ret) {
		ovl_free(ovl);
		goto out_unlock;
	}
	/* Pairs with the acquire load in ovl_of() and overlay_dp.c. */
	atomic_store_explicit(&sw->ovl, ovl, memory_order_release);
	LOG_INFO("overlay", "local VTEP %s, UDP port %u", vsw_addr_str(&o->local, buf, sizeof(buf)),
		 o->udp_port);
out_unlock:
	mutex_unlock(&sw->ctl_lock);
	return ret;
}

void vsw_ovl_stop(struct vsw *sw)
{
	struct vsw_overlay *ovl = ovl_of(sw);

	if (ovl)
		vsw_underlay_stop(ovl);
}

void vsw_ovl_destroy(struct vsw *sw)
{
	struct vsw_overlay *ovl = ovl_of(sw);

	if (!ovl)
		return;
	atomic_store_explicit(&sw->ovl, NULL, memory_order_release);
	ovl_free(ovl);
}

int vsw_tenant_vxlan(struct vsw *sw, uint32_t vni, bool learn)
{
	struct vsw_overlay *ovl = ovl_of(sw);
	struct vsw_tenant *t;
	int ret = -ENODEV;

	if (!ovl)
		return ret;
	mutex_lock(&sw->ctl_lock);
	t = ovl_tenant(sw, vni);
	ret = t ? 0 : -ENOENT;
	if (t) {
		atomic_store_explicit(&t->learn, learn, memory_order_relaxed);
		t->vxlan = true;
		ret = ovl_publish_vnis(sw, ovl);
		ovl_sync_filter(sw, ovl);
	}
	mutex_unlock(&sw->ctl_lock);
	return ret;
}

/*
 * The tenant and family checks both vtep calls share; 0 or -errno.  A VTEP
 * has the local VTEP's family, or the tunnel address's when WireGuard
 * carries it.
 */
static int ovl_vtep_args(struct vsw *sw, struct vsw_overlay *ovl, uint32_t vni,
			 const struct vsw_addr *a, struct vsw_tenant **t) REQUIRES(sw->ctl_lock)
{
	struct vsw_wg *wg = wg_of(sw);

	*t = ovl_tenant(sw, vni);
	if (!*t)
		return -ENOENT;
	if (!(*t)->vxlan ||
	    (a->family != ovl->opts.local.family && (!wg || a->family != wg->opts.address.family)))
		return -EINVAL;
	return 0;
}

void ovl_reroute(struct vsw *sw)
{
	struct vsw_overlay *ovl = ovl_of(sw);
	struct vsw_vtep *v;
	uint16_t peer;

	for (unsigned int i = 0; ovl && i < VSW_MAX_VTEPS; i++) {
		v = ovl_slot(ovl, i);
		if (!v)
			continue;
		peer = vsw_wg_route(sw, &v->addr);
		if (peer != atomic_load_explicit(&v->wg_peer, memory_order_relaxed))
			atomic_store_explicit(&v->wg_peer, peer, memory_order_relaxed);
	}
	/* No PMD uses the old peer of any VTEP after this. */
	vsw_datapath_sync(sw);
}

int vsw_tenant_vtep_add(struct vsw *sw, uint32_t vni, const struct vsw_addr *remote)
{
	struct vsw_overlay *ovl = ovl_of(sw);
	struct vsw_tenant *t;
	struct vsw_vtep *v;
	int ret, idx;

	if (!ovl)
		return -ENODEV;
	mutex_lock(&sw->ctl_lock);
	ret = ovl_vtep_args(sw, ovl, vni, remote, &t);
	if (ret)
		goto out_unlock;
	if (memcmp(remote, &ovl->opts.local, sizeof(*remote)) == 0 ||
	    (wg_of(sw) && memcmp(remote, &wg_of(sw)->opts.address, sizeof(*remote)) == 0)) {
		ret = -EINVAL;
		goto out_unlock;
	}
	/* A tenant carried only sealed takes VTEPs that the tunnel reaches. */
	if (atomic_load_explicit(&t->encrypted, memory_order_relaxed) &&
	    vsw_wg_route(sw, remote) == VSW_WG_NONE) {
		ret = -EPERM;
		goto out_unlock;
	}
	idx = ovl_vtep_find(ovl, remote);
	if (idx < 0)
		idx = ovl_vtep_add(sw, ovl, remote);
	if (idx < 0) {
		ret = idx;
		goto out_unlock;
	}
	v = ovl_slot(ovl, (unsigned int)idx);
	v->seeded |= 1ull << t->idx;
	atomic_fetch_or_explicit(&v->member, 1ull << t->idx, memory_order_relaxed);
	ret = ovl_publish_set(sw, ovl, t);
	ovl_sync_filter(sw, ovl);
out_unlock:
	mutex_unlock(&sw->ctl_lock);
	if (ret == 0)
		vsw_underlay_kick(ovl);
	return ret;
}

int vsw_tenant_vtep_remove(struct vsw *sw, uint32_t vni, const struct vsw_addr *remote)
{
	struct vsw_overlay *ovl = ovl_of(sw);
	struct vsw_tenant *t;
	struct vsw_vtep *v;
	int ret, idx;

	if (!ovl)
		return -ENODEV;
	mutex_lock(&sw->ctl_lock);
	ret = ovl_vtep_args(sw, ovl, vni, remote, &t);
	idx = ret ? ret : ovl_vtep_find(ovl, remote);
	v = idx >= 0 ? ovl_slot(ovl, (unsigned int)idx) : NULL;
	if (ret == 0 && (!v || !(v->seeded & (1ull << t->idx))))
		ret = -ENOENT;
	if (ret == 0 && (v->evpn & (1ull << t->idx)))
		v->seeded &= ~(1ull << t->idx); /* EVPN still announces it: it stays */
	else if (ret == 0)
		ovl_vtep_leave(sw, ovl, t, (uint16_t)idx);
	if (ret == 0)
		ovl_sync_filter(sw, ovl);
	mutex_unlock(&sw->ctl_lock);
	return ret;
}

int vsw_tenant_vtep_evpn(struct vsw *sw, uint32_t vni, const struct vsw_addr *remote, bool add)
{
	struct vsw_overlay *ovl = ovl_of(sw);
	struct vsw_vtep *v = NULL;
	struct vsw_tenant *t;
	uint64_t bit;
	int ret, idx;

	if (!ovl)
		return -ENODEV;
	mutex_lock(&sw->ctl_lock);
	ret = ovl_vtep_args(sw, ovl, vni, remote, &t);
	if (ret)
		goto out_unlock;
	if (memcmp(remote, &ovl->opts.local, sizeof(*remote)) == 0) {
		ret = -EINVAL; /* our own */
		goto out_unlock;
	}
	bit = 1ull << t->idx;
	idx = ovl_vtep_find(ovl, remote);
	if (add && idx < 0)
		idx = ovl_vtep_add(sw, ovl, remote);
	v = idx >= 0 ? ovl_slot(ovl, (unsigned int)idx) : NULL;
	if (!v) {
		ret = add ? idx : -ENOENT;
		goto out_unlock;
	}
	if (add) {
		v->evpn |= bit;
		atomic_fetch_or_explicit(&v->member, bit, memory_order_relaxed);
		ret = ovl_publish_set(sw, ovl, t);
	} else if (v->seeded & bit) {
		v->evpn &= ~bit; /* the configuration still names it */
	} else if (v->evpn & bit) {
		ovl_vtep_leave(sw, ovl, t, (uint16_t)idx);
	}
	ovl_sync_filter(sw, ovl);
out_unlock:
	mutex_unlock(&sw->ctl_lock);
	if (ret == 0 && add)
		vsw_underlay_kick(ovl);
	return ret;
}

int vsw_tenant_mac_evpn(struct vsw *sw, uint32_t vni, const uint8_t mac[6],
			const struct vsw_addr *remote, bool add)
{
	struct vsw_overlay *ovl = ovl_of(sw);
	struct rte_ether_addr ea;
	struct vsw_tenant *t;
	uint16_t port;
	int ret, idx;

	if (!ovl)
		return -ENODEV;
	memcpy(ea.addr_bytes, mac, sizeof(ea.addr_bytes));
	mutex_lock(&sw->ctl_lock);
	ret = ovl_vtep_args(sw, ovl, vni, remote, &t);
	idx = ret ? ret : ovl_vtep_find(ovl, remote);
	if (ret == 0 &&
	    (idx < 0 || !(atomic_load_explicit(&ovl_slot(ovl, (unsigned int)idx)->member,
					       memory_order_relaxed) &
			  (1ull << t->idx))))
		ret = -ENOENT; /* the VTEP first: its type-3 route, or the MAC's own */
	if (ret)
		goto out_unlock;
	port = (uint16_t)(VSW_FDB_VTEP | idx);
	if (add)
		ret = vsw_fdb_pin(t->fdb, &ea, port, vsw_clock_s(sw, rte_rdtsc()));
	else if (vsw_fdb_unpin(t->fdb, &ea, port, vsw_datapath_sync, sw) == 0)
		ret = -ENOENT;
out_unlock:
	mutex_unlock(&sw->ctl_lock);
	return ret;
}

int ovl_tenant_evpn(struct vsw *sw, uint32_t vni, bool on)
{
	struct vsw_tenant *t;

	mutex_lock(&sw->ctl_lock);
	t = ovl_tenant(sw, vni);
	if (t && t->vxlan)
		atomic_store_explicit(&t->evpn, on, memory_order_relaxed);
	mutex_unlock(&sw->ctl_lock);
	return !t ? -ENOENT : t->vxlan ? 0 : -EINVAL;
}

struct ovl_local_ctx {
	uint8_t (*out)[6];
	unsigned int n, max, more;
};

static void ovl_local_one(const struct rte_ether_addr *mac, uint16_t port, uint32_t seen,
			  bool pinned, void *arg)
{
	struct ovl_local_ctx *c = arg;

	(void)seen;
	(void)pinned;
	if (vsw_fdb_is_vtep(port))
		return;
	if (c->n < c->max)
		memcpy(c->out[c->n++], mac->addr_bytes, 6);
	else
		c->more++;
}

int ovl_local_macs(struct vsw *sw, uint32_t vni, uint8_t (*out)[6], unsigned int max,
		   unsigned int *more)
{
	struct ovl_local_ctx c = { .out = out, .max = max };
	struct vsw_tenant *t;

	mutex_lock(&sw->ctl_lock);
	t = ovl_tenant(sw, vni);
	if (t)
		vsw_fdb_walk(t->fdb, ovl_local_one, &c);
	mutex_unlock(&sw->ctl_lock);
	*more = c.more;
	return t ? (int)c.n : -ENOENT;
}

void vsw_ovl_tenant_removed(struct vsw *sw, struct vsw_tenant *t)
{
	struct vsw_overlay *ovl = ovl_of(sw);
	uint64_t bit = 1ull << t->idx;
	struct vsw_vtep *v;
	unsigned int i;

	if (!ovl || !t->vxlan)
		return;
	t->vxlan = false;
	ovl_publish_vnis(sw, ovl);
	for (i = 0; i < VSW_MAX_VTEPS; i++) {
		v = ovl_slot(ovl, i);
		if (v && (atomic_load_explicit(&v->member, memory_order_relaxed) & bit))
			ovl_vtep_leave(sw, ovl, t, (uint16_t)i);
	}
	ovl_sync_filter(sw, ovl);
}

/* ---- local NIC MACs ---- */

static void ovl_owned_mac(struct vsw *sw, const uint8_t mac[6], bool added) REQUIRES(sw->ctl_lock)
{
	uintptr_t uses = 0;
	void *data;
	int32_t pos;

	if (rte_hash_lookup_data(sw->owned_macs, mac, &data) >= 0)
		uses = (uintptr_t)data;
	uses = added ? uses + 1 : uses - (uses > 0);
	if (uses) {
		if (rte_hash_add_key_data(sw->owned_macs, mac, (void *)uses) < 0)
			LOG_WARN("overlay",
				 "local MAC table full: tunnel frames may claim a NIC's MAC");
		return;
	}
	pos = rte_hash_del_key(sw->owned_macs, mac);
	if (pos < 0)
		return;
	/* Lock-free readers: the position is reused only after a grace period. */
	vsw_datapath_sync(sw);
	rte_hash_free_key_with_position(sw->owned_macs, pos);
}

void vsw_ovl_port_changed(struct vsw *sw, struct vsw_port *p, bool added)
{
	struct vsw_overlay *ovl = ovl_of(sw);

	if (p->tenant && p->has_mac)
		ovl_owned_mac(sw, p->mac, added);
	if (p->ops->uplink && ovl)
		vsw_underlay_kick(ovl);
	/* A new uplink filters like the others from its first packet on. */
	if (p->ops->set_filter && ovl && added)
		ovl_sync_filter(sw, ovl);
}

/* ---- the overlay thread's side ---- */

static void ovl_learn(struct vsw *sw, struct vsw_overlay *ovl, const struct ovl_req *r,
		      bool *resolve) REQUIRES(sw->ctl_lock)
{
	struct vsw_tenant *t = r->tenant < VSW_MAX_TENANTS ? sw->tenants[r->tenant] : NULL;
	char buf[VSW_ADDR_STRLEN];
	struct vsw_vtep *v;
	int idx;

	/* The tenant may have changed since the PMD asked. */
	if (!t || !t->vxlan || !atomic_load_explicit(&t->learn, memory_order_relaxed))
		return;
	idx = ovl_vtep_find(ovl, &r->addr);
	if (idx < 0) {
		idx = ovl_vtep_add(sw, ovl, &r->addr);
		if (idx < 0) {
			LOG_RL(LOG_LVL_WARN, "overlay", "cannot learn VTEP %s: %s",
			       vsw_addr_str(&r->addr, buf, sizeof(buf)), strerror(-idx));
			return;
		}
		atomic_fetch_add_explicit(&ovl->vteps_learned, 1, memory_order_relaxed);
		*resolve = true;
		LOG_INFO("overlay", "learned VTEP %s on VNI %u",
			 vsw_addr_str(&r->addr, buf, sizeof(buf)), t->vni);
	}
	v = ovl_slot(ovl, (unsigned int)idx);
	if (atomic_load_explicit(&v->member, memory_order_relaxed) & (1ull << t->idx))
		return;
	atomic_fetch_or_explicit(&v->member, 1ull << t->idx, memory_order_relaxed);
	ovl_publish_set(sw, ovl, t);
}

void ovl_take_requests(struct vsw_overlay *ovl, bool *resolve)
{
	struct vsw *sw = ovl->sw;
	struct ovl_req r[32];
	unsigned int n, i;
	eventfd_t val;

	/* Clear first: a request queued after this point writes the eventfd again. */
	atomic_store_explicit(&ovl->req_pending, false, memory_order_seq_cst);
	eventfd_read(ovl->req_fd, &val);
	while ((n = rte_ring_sc_dequeue_burst_elem(ovl->req, r, sizeof(r[0]), 32, NULL)) > 0) {
		mutex_lock(&sw->ctl_lock);
		for (i = 0; i < n; i++) {
			if (r[i].kind == OVL_REQ_LEARN)
				ovl_learn(sw, ovl, &r[i], resolve);
			else
				*resolve = true;
		}
		mutex_unlock(&sw->ctl_lock);
	}
}

void ovl_age(struct vsw_overlay *ovl)
{
	struct vsw *sw = ovl->sw;
	uint32_t now = vsw_clock_s(sw, rte_rdtsc()), seen;
	char buf[VSW_ADDR_STRLEN];
	struct vsw_vtep *v;
	unsigned int i, k;
	uint64_t members;

	if (ovl->opts.vtep_aging_s == 0)
		return;
	mutex_lock(&sw->ctl_lock);
	for (i = 0; i < VSW_MAX_VTEPS; i++) {
		v = ovl_slot(ovl, i);
		if (!v || v->seeded || v->evpn)
			continue;
		seen = atomic_load_explicit(&v->last_seen, memory_order_relaxed);
		/* Signed: a PMD may have refreshed it after @now was read. */
		if ((int32_t)(now - seen) < (int32_t)ovl->opts.vtep_aging_s)
			continue;
		LOG_INFO("overlay", "VTEP %s aged out after %u s of silence",
			 vsw_addr_str(&v->addr, buf, sizeof(buf)), now - seen);
		members = atomic_exchange_explicit(&v->member, 0, memory_order_relaxed);
		for (k = 0; k < VSW_MAX_TENANTS; k++)
			if (sw->tenants[k] && (members & (1ull << k)))
				ovl_publish_set(sw, ovl, sw->tenants[k]);
		ovl_vtep_del(sw, ovl, (uint16_t)i);
		atomic_fetch_add_explicit(&ovl->vteps_aged, 1, memory_order_relaxed);
	}
	mutex_unlock(&sw->ctl_lock);
}

/* A VTEP's path changed: say how it is reached now (or why not), once per change. */
static void ovl_log_nexthop(struct vsw_overlay *ovl, const struct vsw_vtep *v,
			    const struct vsw_nexthop *old, const struct vsw_nexthop *nh)
{
	char a[VSW_ADDR_STRLEN], via[VSW_ADDR_STRLEN];
	struct vsw_port *up;

	if (old->state == nh->state && old->uplink == nh->uplink &&
	    !memcmp(&old->via, &nh->via, sizeof(nh->via)) && !memcmp(old->via_mac, nh->via_mac, 6))
		return;
	vsw_addr_str(&v->addr, a, sizeof(a));
	if (nh->state != VSW_NH_OK) {
		LOG_INFO("overlay", "VTEP %s: %s", a, vsw_nh_state_name(nh->state));
		return;
	}
	up = atomic_load_explicit(&ovl->sw->ports[nh->uplink], memory_order_relaxed);
	LOG_INFO("overlay", "VTEP %s: via %s (%02x:%02x:%02x:%02x:%02x:%02x) on uplink %s, MTU %u",
		 a, vsw_addr_str(&nh->via, via, sizeof(via)), nh->via_mac[0], nh->via_mac[1],
		 nh->via_mac[2], nh->via_mac[3], nh->via_mac[4], nh->via_mac[5],
		 up ? up->name : "?", nh->mtu);
}

void ovl_set_nexthop(struct vsw_overlay *ovl, uint16_t idx, const struct vsw_addr *addr,
		     struct vsw_nexthop *nh)
{
	struct vsw_vtep *v = ovl_slot(ovl, idx);
	struct vsw_nexthop *old;

	/* The VTEP may have gone, and its slot been reused, since the pass began. */
	if (!v || memcmp(&v->addr, addr, sizeof(*addr)) != 0) {
		free(nh);
		return;
	}
	old = atomic_load_explicit(&v->nh, memory_order_relaxed);
	if (memcmp(old, nh, sizeof(*nh)) == 0) {
		free(nh);
		return;
	}
	ovl_log_nexthop(ovl, v, old, nh);
	/* Pairs with the acquire load in overlay_dp.c's vsw_ovl_output(). */
	atomic_store_explicit(&v->nh, nh, memory_order_release);
	vsw_datapath_sync(ovl->sw);
	free(old);
	if (nh->state == VSW_NH_OK && nh->wg_peer != VSW_WG_NONE)
		vsw_wg_nexthop_ready(ovl->sw, nh->wg_peer);
}

/* ---- what the control API shows ---- */

/* An encrypted VTEP shows the peer whose tunnel carries it. */
static void ovl_vtep_fill_wg(struct vsw *sw, const struct vsw_vtep *v, struct vsw_vtep_stats *st)
	REQUIRES(sw->ctl_lock)
{
	uint16_t p = atomic_load_explicit(&v->wg_peer, memory_order_relaxed);
	struct vsw_wg *wg = wg_of(sw);
	struct vsw_wg_peer *peer;

	if (p == VSW_WG_NONE || !wg)
		return;
	/* Peers leave under ctl_lock: this one stays while we read it. */
	peer = atomic_load_explicit(&wg->peers[p], memory_order_relaxed);
	st->encrypted = true;
	if (peer)
		memcpy(st->wg_peer_key, peer->id.pub, sizeof(st->wg_peer_key));
}

static void ovl_vtep_fill(struct vsw *sw, const struct vsw_vtep *v, struct vsw_vtep_stats *st,
			  uint32_t now) REQUIRES(sw->ctl_lock)
{
	const struct vsw_nexthop *nh = atomic_load_explicit(&v->nh, memory_order_relaxed);
	uint64_t members = atomic_load_explicit(&v->member, memory_order_relaxed);
	const struct vsw_vtep_ctr *c;
	struct vsw_port *up;
	unsigned int i;

	memset(st, 0, sizeof(*st));
	st->addr = v->addr;
	st->learned = (v->seeded | v->evpn) == 0;
	st->evpn = v->evpn != 0;
	st->idle_s = now - atomic_load_explicit(&v->last_seen, memory_order_relaxed);
	for (i = 0; i < VSW_MAX_TENANTS; i++)
		if ((members & (1ull << i)) && sw->tenants[i])
			st->vnis[st->n_vnis++] = sw->tenants[i]->vni;
	st->state = nh->state;
	ovl_vtep_fill_wg(sw, v, st);
	st->via = nh->via;
	st->src = nh->src;
	st->mtu = nh->mtu;
	memcpy(st->via_mac, nh->via_mac, sizeof(st->via_mac));
	up = nh->uplink < VSW_MAX_PORTS ?
		     atomic_load_explicit(&sw->ports[nh->uplink], memory_order_relaxed) :
		     NULL;
	if (nh->state == VSW_NH_OK && up)
		snprintf(st->uplink, sizeof(st->uplink), "%s", up->name);
	for (i = 0; i < sw->n_pmds; i++) {
		c = &sw->pmds[i]->vtep_ctr[v->idx];
		st->rx_packets += vsw_ctr_read(&c->rx_packets);
		st->rx_bytes += vsw_ctr_read(&c->rx_bytes);
		st->tx_packets += vsw_ctr_read(&c->tx_packets);
		st->tx_bytes += vsw_ctr_read(&c->tx_bytes);
		st->tx_dropped += vsw_ctr_read(&c->tx_dropped);
	}
}

unsigned int vsw_vteps(struct vsw *sw, struct vsw_vtep_stats *out, unsigned int max)
{
	struct vsw_overlay *ovl = ovl_of(sw);
	uint32_t now = vsw_clock_s(sw, rte_rdtsc());
	unsigned int i, n = 0;
	struct vsw_vtep *v;

	if (!ovl)
		return 0;
	mutex_lock(&sw->ctl_lock);
	for (i = 0; i < VSW_MAX_VTEPS && n < max; i++) {
		v = ovl_slot(ovl, i);
		if (v)
			ovl_vtep_fill(sw, v, &out[n++], now);
	}
	mutex_unlock(&sw->ctl_lock);
	return n;
}

int vsw_overlay_stats(struct vsw *sw, struct vsw_overlay_stats *st)
{
	struct vsw_overlay *ovl = ovl_of(sw);
	const struct vsw_ovl_ctr *c;
	struct vsw_vtep *v;
	unsigned int i, r;

	memset(st, 0, sizeof(*st));
	if (!ovl)
		return 0;
	st->enabled = true;
	st->opts = ovl->opts;
	st->vteps_learned = atomic_load_explicit(&ovl->vteps_learned, memory_order_relaxed);
	st->vteps_aged = atomic_load_explicit(&ovl->vteps_aged, memory_order_relaxed);
	mutex_lock(&sw->ctl_lock);
	for (i = 0; i < VSW_MAX_VTEPS; i++) {
		v = ovl_slot(ovl, i);
		st->n_vteps += v != NULL;
		st->n_learned += v && (v->seeded | v->evpn) == 0;
	}
	for (i = 0; i < sw->n_pmds; i++) {
		c = &sw->pmds[i]->ovl_ctr;
		st->decap_packets += vsw_ctr_read(&c->decap_packets);
		st->decap_bytes += vsw_ctr_read(&c->decap_bytes);
		st->encap_packets += vsw_ctr_read(&c->encap_packets);
		st->encap_bytes += vsw_ctr_read(&c->encap_bytes);
		st->not_tunnel += vsw_ctr_read(&c->not_tunnel);
		st->learn_queue_full += vsw_ctr_read(&c->learn_queue_full);
		for (r = 0; r < VSW_TUN_DROP_MAX; r++)
			st->drops[r] += vsw_ctr_read(&c->drops[r]);
	}
	mutex_unlock(&sw->ctl_lock);
	return 0;
}

struct ovl_dump_ctx {
	struct vsw *sw;
	struct vsw_overlay *ovl;
	struct vsw_mac_entry *out;
	unsigned int n, max;
	uint32_t now;
};

static void ovl_dump_one(const struct rte_ether_addr *mac, uint16_t port, uint32_t seen,
			 bool pinned, void *arg)
{
	struct ovl_dump_ctx *c = arg;
	struct vsw_mac_entry *e;
	struct vsw_vtep *v;
	struct vsw_port *p;

	if (c->n >= c->max)
		return;
	e = &c->out[c->n++];
	memset(e, 0, sizeof(*e));
	memcpy(e->mac, mac->addr_bytes, sizeof(e->mac));
	e->idle_s = c->now - seen;
	e->evpn = pinned;
	if (vsw_fdb_is_vtep(port)) {
		e->remote = true;
		v = c->ovl ? ovl_slot(c->ovl, port - VSW_FDB_VTEP) : NULL;
		if (v)
			e->vtep = v->addr;
		return;
	}
	p = port < VSW_MAX_PORTS ? atomic_load_explicit(&c->sw->ports[port], memory_order_relaxed) :
				   NULL;
	snprintf(e->port, sizeof(e->port), "%s", p ? p->name : "?");
}

int vsw_fdb_dump(struct vsw *sw, uint32_t vni, struct vsw_mac_entry *out, unsigned int max)
{
	struct ovl_dump_ctx c = { .sw = sw, .ovl = ovl_of(sw), .out = out, .max = max };
	struct vsw_tenant *t;

	c.now = vsw_clock_s(sw, rte_rdtsc());
	mutex_lock(&sw->ctl_lock);
	t = ovl_tenant(sw, vni);
	if (t)
		vsw_fdb_walk(t->fdb, ovl_dump_one, &c);
	mutex_unlock(&sw->ctl_lock);
	return t ? (int)c.n : -ENOENT;
}

int vsw_overlay_refresh(struct vsw *sw)
{
	struct vsw_overlay *ovl = ovl_of(sw);

	return ovl ? vsw_underlay_refresh(ovl) : -ENODEV;
}
