/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * underlay.c - the overlay thread: how each remote VTEP is reached, read
 * from the kernel through libnl-route-3, and the overlay's housekeeping
 * (learning requests from the PMDs, aging of learned VTEPs).
 *
 * For each VTEP the kernel's own FIB answers (RTM_GETROUTE, so policy
 * routing and ECMP choose as they would for the host): egress interface,
 * gateway and preferred source.  The egress interface must carry a Ferry
 * uplink.  The next hop's MAC comes from the neighbour table (a libnl cache
 * kept current by notifications); when it is missing, a datagram to the
 * discard port makes the kernel resolve it, and frames meanwhile are
 * counted and dropped (overlay_dp.c).  A known MAC is kept while the kernel
 * re-resolves it, so a neighbour entry going stale costs nothing.
 *
 * Route, link, address and neighbour notifications trigger a pass over all
 * VTEPs; a pass also runs every second, so a lost notification (ENOBUFS) or
 * a probe in flight costs at most a second.  Each VTEP's result is a new
 * immutable next hop (overlay_priv.h), published only when it differs.
 * Netlink is spoken only here, never under the switch's ctl_lock.
 */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/rtnetlink.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>

#include <rte_cycles.h>

#include "util/log.h"
#include "vswitch/overlay_priv.h"
#include "vswitch/port.h"
#include "vswitch/wg_priv.h"

#define UL_TICK_MS 1000 /* housekeeping and a full pass */
#define UL_REFRESH_WAIT_S 5
#define UL_DISCARD_PORT 9 /* RFC 863: where resolution probes go */
#define UL_IFF_LOWER_UP (1u << 16) /* linux/if.h's, which clashes with net/if.h */
#define UL_NUD_USABLE \
	(NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP)

/* An uplink as a pass sees it (copied under ctl_lock). */
struct ul_uplink {
	uint16_t id;
	int ifindex;
	uint8_t mac[6];
	uint32_t mtu;
};

/* A VTEP as a pass sees it. */
struct ul_vtep {
	uint16_t idx;
	struct vsw_addr addr;
	struct vsw_nexthop old; /* what is published now */
	uint16_t wg_peer; /* VSW_WG_NONE: plain VXLAN */
	bool has_ep; /* encrypted: the peer's endpoint, where the route goes */
	struct vsw_wg_endpoint ep;
};

/* What the kernel's FIB says about one destination. */
struct ul_route {
	bool found;
	uint8_t type; /* RTN_UNICAST, RTN_UNREACHABLE, ... */
	int ifindex;
	struct vsw_addr gw, prefsrc; /* family 0 when absent */
};

struct vsw_underlay {
	struct vsw_overlay *ovl;
	pthread_t thread;
	int stop_fd, kick_fd; /* eventfds */
	struct nl_cache_mngr *mngr;
	struct nl_cache *links, *neighs, *addrs;
	struct nl_sock *ev; /* route notifications (not cached: a host may hold a full table) */
	struct nl_sock *q; /* RTM_GETROUTE queries */
	int probe_fd[2]; /* UDP, IPv4 and IPv6: resolution probes */
	bool dirty; /* thread-private: run a pass */
	bool local_warned;
	uint32_t probe_s[VSW_MAX_VTEPS]; /* thread-private: last probe per VTEP slot */
	struct mutex lock; /* refresh waiters */
	struct cond done;
	uint64_t kick_gen GUARDED, done_gen GUARDED;
	/* Scratch of one pass (thread-private). */
	struct ul_uplink ups[VSW_MAX_PORTS];
	unsigned int n_ups;
	struct ul_vtep vteps[VSW_MAX_VTEPS];
	unsigned int n_vteps;
};

static unsigned int alen(uint8_t family)
{
	return family == AF_INET ? 4 : 16;
}

/* ---- netlink ---- */

static int ul_route_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct ul_route *rt = arg;
	struct nlattr *tb[RTA_MAX + 1];
	struct rtmsg *r = nlmsg_data(h);
	unsigned int n = alen(r->rtm_family);

	if (h->nlmsg_type != RTM_NEWROUTE || nlmsg_parse(h, sizeof(*r), tb, RTA_MAX, NULL) < 0)
		return NL_SKIP;
	rt->found = true;
	rt->type = r->rtm_type;
	if (tb[RTA_OIF])
		rt->ifindex = (int)nla_get_u32(tb[RTA_OIF]);
	if (tb[RTA_GATEWAY] && (unsigned int)nla_len(tb[RTA_GATEWAY]) == n) {
		rt->gw.family = r->rtm_family;
		memcpy(rt->gw.a, nla_data(tb[RTA_GATEWAY]), n);
	}
	if (tb[RTA_PREFSRC] && (unsigned int)nla_len(tb[RTA_PREFSRC]) == n) {
		rt->prefsrc.family = r->rtm_family;
		memcpy(rt->prefsrc.a, nla_data(tb[RTA_PREFSRC]), n);
	}
	return NL_OK;
}

/* The kernel's route to @dst (RTM_GETROUTE, as `ip route get`); 0 or -errno. */
static int ul_route_get(struct vsw_underlay *ul, const struct vsw_addr *dst, struct ul_route *rt)
{
	struct rtmsg rtm = { .rtm_family = dst->family,
			     .rtm_dst_len = (unsigned char)(alen(dst->family) * 8) };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETROUTE, 0);
	int err;

	memset(rt, 0, sizeof(*rt));
	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0 ||
	    nla_put(msg, RTA_DST, (int)alen(dst->family), dst->a) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_socket_modify_cb(ul->q, NL_CB_VALID, NL_CB_CUSTOM, ul_route_cb, rt);
	/*
	 * No ACK is asked for (ul_nl_open): the kernel answers with the route or
	 * with an error message ("no route" comes back as -ENETUNREACH), and one
	 * receive takes either.
	 */
	err = nl_send_auto(ul->q, msg);
	nlmsg_free(msg);
	if (err >= 0)
		err = nl_recvmsgs_default(ul->q);
	if (err < 0)
		return -ENETUNREACH;
	return rt->found ? 0 : -ENETUNREACH;
}

static void ul_change_cb(struct nl_cache *c, struct nl_object *o, int action, void *arg)
{
	struct vsw_underlay *ul = arg;

	(void)c;
	(void)o;
	(void)action;
	ul->dirty = true;
}

static int ul_event_cb(struct nl_msg *msg, void *arg)
{
	struct vsw_underlay *ul = arg;

	(void)msg;
	ul->dirty = true;
	return NL_OK;
}

static int ul_nl_open(struct vsw_underlay *ul)
{
	int err;

	/*
	 * Not NL_AUTO_PROVIDE: libnl keeps one "provided" cache per type for the
	 * whole process and never drops its reference to the one a second
	 * switch replaces, so that one would outlive its switch.
	 */
	err = nl_cache_mngr_alloc(NULL, NETLINK_ROUTE, 0, &ul->mngr);
	if (!err)
		err = nl_cache_mngr_add(ul->mngr, "route/link", ul_change_cb, ul, &ul->links);
	if (!err)
		err = nl_cache_mngr_add(ul->mngr, "route/neigh", ul_change_cb, ul, &ul->neighs);
	if (!err)
		err = nl_cache_mngr_add(ul->mngr, "route/addr", ul_change_cb, ul, &ul->addrs);
	if (err) {
		LOG_ERR("underlay", "netlink caches: %s", nl_geterror(err));
		return -EIO;
	}
	ul->ev = nl_socket_alloc();
	ul->q = nl_socket_alloc();
	if (!ul->ev || !ul->q)
		return -ENOMEM;
	nl_socket_disable_seq_check(ul->ev);
	nl_socket_modify_cb(ul->ev, NL_CB_VALID, NL_CB_CUSTOM, ul_event_cb, ul);
	err = nl_connect(ul->ev, NETLINK_ROUTE);
	if (!err)
		err = nl_socket_add_memberships(ul->ev, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE, 0);
	if (!err)
		err = nl_socket_set_nonblocking(ul->ev);
	if (!err)
		err = nl_connect(ul->q, NETLINK_ROUTE);
	nl_socket_disable_auto_ack(ul->q);
	if (err) {
		LOG_ERR("underlay", "netlink sockets: %s", nl_geterror(err));
		return -EIO;
	}
	return 0;
}

static void ul_nl_close(struct vsw_underlay *ul)
{
	if (ul->mngr)
		nl_cache_mngr_free(ul->mngr); /* frees its caches too */
	if (ul->ev)
		nl_socket_free(ul->ev);
	if (ul->q)
		nl_socket_free(ul->q);
}

/* ---- one VTEP ---- */

/* Make the kernel resolve @via on @ifindex: a datagram to its discard port. */
static void ul_probe(struct vsw_underlay *ul, int ifindex, const struct vsw_addr *via)
{
	char cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))] = { 0 };
	struct sockaddr_storage ss = { 0 };
	struct msghdr mh = { .msg_name = &ss, .msg_control = cbuf };
	struct cmsghdr *cm = (struct cmsghdr *)cbuf;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct in6_pktinfo p6 = { .ipi6_ifindex = (unsigned int)ifindex };
	struct in_pktinfo p4 = { .ipi_ifindex = ifindex };
	int fd = ul->probe_fd[via->family == AF_INET6];

	/* The pktinfo pins the egress interface to the one the route chose. */
	if (via->family == AF_INET) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(UL_DISCARD_PORT);
		memcpy(&s4->sin_addr, via->a, 4);
		mh.msg_namelen = sizeof(*s4);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(p4));
		memcpy(CMSG_DATA(cm), &p4, sizeof(p4));
		mh.msg_controllen = CMSG_SPACE(sizeof(p4));
	} else {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(UL_DISCARD_PORT);
		memcpy(&s6->sin6_addr, via->a, 16);
		mh.msg_namelen = sizeof(*s6);
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(p6));
		memcpy(CMSG_DATA(cm), &p6, sizeof(p6));
		mh.msg_controllen = CMSG_SPACE(sizeof(p6));
	}
	if (fd >= 0 && sendmsg(fd, &mh, MSG_DONTWAIT) < 0 && errno != EAGAIN)
		LOG_RL(LOG_LVL_DEBUG, "underlay", "resolution probe: %s", strerror(errno));
}

static const struct ul_uplink *ul_uplink_of(const struct vsw_underlay *ul, int ifindex)
{
	unsigned int i;

	for (i = 0; i < ul->n_ups; i++)
		if (ul->ups[i].ifindex == ifindex)
			return &ul->ups[i];
	return NULL;
}

/* Egress link state and MTU; false when the link is down or gone. */
static bool ul_link(struct vsw_underlay *ul, int ifindex, uint32_t *mtu)
{
	struct rtnl_link *l = rtnl_link_get(ul->links, ifindex);
	unsigned int flags;

	if (!l)
		return false;
	flags = rtnl_link_get_flags(l);
	*mtu = rtnl_link_get_mtu(l);
	rtnl_link_put(l);
	return (flags & IFF_UP) && (flags & UL_IFF_LOWER_UP);
}

/* The neighbour's MAC if the kernel has a usable one; 0 or -ENOENT. */
static int ul_neigh(struct vsw_underlay *ul, int ifindex, const struct vsw_addr *via,
		    uint8_t mac[6])
{
	struct nl_addr *a = nl_addr_build(via->family, via->a, alen(via->family));
	struct rtnl_neigh *n = a ? rtnl_neigh_get(ul->neighs, ifindex, a) : NULL;
	struct nl_addr *ll = n ? rtnl_neigh_get_lladdr(n) : NULL;
	int ret = -ENOENT;

	if (n && (rtnl_neigh_get_state(n) & UL_NUD_USABLE) && ll && nl_addr_get_len(ll) == 6) {
		memcpy(mac, nl_addr_get_binary_addr(ll), 6);
		ret = 0;
	}
	if (n)
		rtnl_neigh_put(n);
	nl_addr_put(a);
	return ret;
}

/*
 * Everything but the template: route, uplink, link, neighbour, towards the
 * VTEP itself or, for an encrypted one, towards its WireGuard peer.
 */
static void ul_path(struct vsw_underlay *ul, const struct ul_vtep *vt, struct vsw_nexthop *nh,
		    uint32_t now_s)
{
	const struct vsw_addr *dst = vt->wg_peer != VSW_WG_NONE ? &vt->ep.addr : &vt->addr;
	const struct ul_uplink *up;
	struct ul_route rt;
	uint32_t link_mtu = 0;

	if (vt->wg_peer != VSW_WG_NONE && !vt->has_ep) {
		nh->state = VSW_NH_NO_ENDPOINT;
		return;
	}
	if (ul_route_get(ul, dst, &rt) < 0 || rt.type != RTN_UNICAST || rt.ifindex <= 0) {
		nh->state = VSW_NH_NO_ROUTE;
		return;
	}
	nh->ifindex = rt.ifindex;
	nh->via = rt.gw.family ? rt.gw : *dst;
	nh->src = rt.prefsrc;
	up = ul_uplink_of(ul, rt.ifindex);
	if (!up) {
		nh->state = VSW_NH_NO_UPLINK;
		return;
	}
	nh->uplink = up->id;
	if (!ul_link(ul, rt.ifindex, &link_mtu)) {
		nh->state = VSW_NH_LINK_DOWN;
		return;
	}
	nh->mtu = up->mtu && up->mtu < link_mtu ? up->mtu : link_mtu;
	if (ul_neigh(ul, rt.ifindex, &nh->via, nh->via_mac) == 0) {
		nh->state = VSW_NH_OK;
		return;
	}
	/* Keep a MAC we had for the same hop while the kernel looks again. */
	if (vt->old.state == VSW_NH_OK && vt->old.ifindex == nh->ifindex &&
	    memcmp(&vt->old.via, &nh->via, sizeof(nh->via)) == 0) {
		memcpy(nh->via_mac, vt->old.via_mac, 6);
		nh->state = VSW_NH_OK;
	} else {
		nh->state = VSW_NH_NO_NEIGH;
	}
	if (ul->probe_s[vt->idx] != now_s) {
		ul->probe_s[vt->idx] = now_s;
		ul_probe(ul, rt.ifindex, &nh->via);
	}
}

/*
 * An encrypted VTEP's templates: plain UDP from our WireGuard port to the
 * peer's endpoint outside, VXLAN from our tunnel address to the VTEP inside
 * (no UDP checksum over IPv4: the seal protects it).
 */
static int ul_wg_tmpl(struct vsw_underlay *ul, const struct ul_vtep *vt, struct vsw_nexthop *nh,
		      struct vxlan_tmpl_params *p)
{
	struct vsw_wg *wg = wg_of(ul->ovl->sw);
	struct vxlan_tmpl_params in = { .src = wg->opts.address,
					.dst = vt->addr,
					.port = ul->ovl->opts.udp_port,
					.ttl = p->ttl };

	nh->wg_peer = vt->wg_peer;
	p->dst = vt->ep.addr;
	p->port = vt->ep.port;
	p->sport = wg->outer.port;
	p->plain = true;
	return vxlan_tmpl_init(&nh->inner, &in);
}

static struct vsw_nexthop *ul_resolve(struct vsw_underlay *ul, const struct ul_vtep *vt,
				      uint32_t now_s)
{
	const struct vsw_overlay_opts *o = &ul->ovl->opts;
	struct vsw_nexthop *nh = calloc(1, sizeof(*nh));
	struct vxlan_tmpl_params p = { .src = o->local,
				       .dst = vt->addr,
				       .port = o->udp_port,
				       .ttl = o->ttl,
				       .df = o->df,
				       .udp_csum = o->udp_csum };
	const struct ul_uplink *up;

	if (!nh)
		return NULL;
	nh->wg_peer = VSW_WG_NONE;
	ul_path(ul, vt, nh, now_s);
	if (nh->state != VSW_NH_OK)
		return nh;
	up = ul_uplink_of(ul, nh->ifindex);
	memcpy(p.dst_mac, nh->via_mac, 6);
	memcpy(p.src_mac, up->mac, 6);
	if ((vt->wg_peer != VSW_WG_NONE && ul_wg_tmpl(ul, vt, nh, &p) < 0) ||
	    vxlan_tmpl_init(&nh->tmpl, &p) < 0)
		nh->state = VSW_NH_NO_ROUTE;
	return nh;
}

/* ---- a pass ---- */

static void ul_snapshot(struct vsw_underlay *ul)
{
	struct vsw_overlay *ovl = ul->ovl;
	struct vsw *sw = ovl->sw;
	struct vsw_vtep *v;
	struct vsw_port *p;
	unsigned int i;

	ul->n_ups = ul->n_vteps = 0;
	mutex_lock(&sw->ctl_lock);
	for (i = 0; i < VSW_MAX_PORTS; i++) {
		p = atomic_load_explicit(&sw->ports[i], memory_order_relaxed);
		if (!p || !p->ops->uplink)
			continue;
		ul->ups[ul->n_ups] =
			(struct ul_uplink){ .id = p->id, .ifindex = p->ifindex, .mtu = p->mtu };
		memcpy(ul->ups[ul->n_ups++].mac, p->mac, 6);
	}
	for (i = 0; i < VSW_MAX_VTEPS; i++) {
		v = atomic_load_explicit(&ovl->vteps[i], memory_order_relaxed);
		if (!v)
			continue;
		atomic_store_explicit(&v->want_resolve, false, memory_order_relaxed);
		ul->vteps[ul->n_vteps].idx = (uint16_t)i;
		ul->vteps[ul->n_vteps].addr = v->addr;
		ul->vteps[ul->n_vteps].wg_peer =
			atomic_load_explicit(&v->wg_peer, memory_order_relaxed);
		ul->vteps[ul->n_vteps].has_ep = ul->vteps[ul->n_vteps].wg_peer != VSW_WG_NONE &&
						vsw_wg_endpoint(sw, ul->vteps[ul->n_vteps].wg_peer,
								&ul->vteps[ul->n_vteps].ep);
		ul->vteps[ul->n_vteps++].old = *atomic_load_explicit(&v->nh, memory_order_relaxed);
	}
	mutex_unlock(&sw->ctl_lock);
}

static void ul_check_local(struct vsw_underlay *ul)
{
	const struct vsw_addr *l = &ul->ovl->opts.local;
	struct nl_object *o;
	struct nl_addr *a;
	char buf[VSW_ADDR_STRLEN];

	for (o = nl_cache_get_first(ul->addrs); o; o = nl_cache_get_next(o)) {
		a = rtnl_addr_get_local((struct rtnl_addr *)o);
		if (a && nl_addr_get_family(a) == l->family &&
		    nl_addr_get_len(a) == alen(l->family) &&
		    memcmp(nl_addr_get_binary_addr(a), l->a, alen(l->family)) == 0) {
			ul->local_warned = false;
			return;
		}
	}
	if (!ul->local_warned)
		LOG_WARN("underlay",
			 "local VTEP address %s is on no interface of this host: remote VTEPs "
			 "cannot resolve it",
			 vsw_addr_str(l, buf, sizeof(buf)));
	ul->local_warned = true;
}

static void ul_pass(struct vsw_underlay *ul)
{
	struct vsw_overlay *ovl = ul->ovl;
	uint32_t now_s = (uint32_t)(rte_rdtsc() / rte_get_tsc_hz());
	struct vsw_nexthop *nh[VSW_MAX_VTEPS];
	unsigned int i;

	ul_check_local(ul);
	ul_snapshot(ul);
	for (i = 0; i < ul->n_vteps; i++)
		nh[i] = ul_resolve(ul, &ul->vteps[i], now_s);
	mutex_lock(&ovl->sw->ctl_lock);
	for (i = 0; i < ul->n_vteps; i++)
		if (nh[i])
			ovl_set_nexthop(ovl, ul->vteps[i].idx, &ul->vteps[i].addr, nh[i]);
	mutex_unlock(&ovl->sw->ctl_lock);
}

/* ---- the thread ---- */

static uint64_t ul_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

enum { UL_FD_STOP, UL_FD_KICK, UL_FD_REQ, UL_FD_CACHE, UL_FD_ROUTE, UL_NFDS };

/* Handle what woke the thread; false to stop. */
static bool ul_events(struct vsw_underlay *ul, const struct pollfd *pfd, uint64_t *gen)
{
	eventfd_t val;
	bool resolve = false;

	if (pfd[UL_FD_STOP].revents)
		return false;
	if (pfd[UL_FD_KICK].revents && eventfd_read(ul->kick_fd, &val) == 0) {
		mutex_lock(&ul->lock);
		*gen = ul->kick_gen;
		mutex_unlock(&ul->lock);
		ul->dirty = true;
	}
	if (pfd[UL_FD_REQ].revents) {
		ovl_take_requests(ul->ovl, &resolve);
		ul->dirty |= resolve;
	}
	if (pfd[UL_FD_CACHE].revents)
		nl_cache_mngr_data_ready(ul->mngr);
	/* An error here is a lost notification (ENOBUFS): do a full pass. */
	if (pfd[UL_FD_ROUTE].revents && nl_recvmsgs_default(ul->ev) < 0)
		ul->dirty = true;
	return true;
}

static void *ul_main(void *arg)
{
	struct vsw_underlay *ul = arg;
	struct pollfd pfd[UL_NFDS] = {
		[UL_FD_STOP] = { .fd = ul->stop_fd, .events = POLLIN },
		[UL_FD_KICK] = { .fd = ul->kick_fd, .events = POLLIN },
		[UL_FD_REQ] = { .fd = ul->ovl->req_fd, .events = POLLIN },
		[UL_FD_CACHE] = { .fd = nl_cache_mngr_get_fd(ul->mngr), .events = POLLIN },
		[UL_FD_ROUTE] = { .fd = nl_socket_get_fd(ul->ev), .events = POLLIN },
	};
	uint64_t next = ul_now_ms(), now, gen = 0;

	pthread_setname_np(pthread_self(), "ferry-underlay");
	for (;;) {
		now = ul_now_ms();
		if (now >= next) {
			ovl_age(ul->ovl);
			ul->dirty = true;
			next = now + UL_TICK_MS;
		}
		if (ul->dirty) {
			ul->dirty = false;
			ul_pass(ul);
			mutex_lock(&ul->lock);
			ul->done_gen = gen;
			cond_broadcast(&ul->done);
			mutex_unlock(&ul->lock);
		}
		now = ul_now_ms();
		if (poll(pfd, UL_NFDS, next > now ? (int)(next - now) : 0) < 0 && errno != EINTR)
			break;
		if (!ul_events(ul, pfd, &gen))
			break;
	}
	return NULL;
}

static void ul_free(struct vsw_underlay *ul)
{
	ul_nl_close(ul);
	for (int i = 0; i < 2; i++)
		if (ul->probe_fd[i] >= 0)
			close(ul->probe_fd[i]);
	if (ul->stop_fd >= 0)
		close(ul->stop_fd);
	if (ul->kick_fd >= 0)
		close(ul->kick_fd);
	mutex_destroy(&ul->lock);
	free(ul);
}

int vsw_underlay_start(struct vsw_overlay *ovl)
{
	struct vsw_underlay *ul = calloc(1, sizeof(*ul));
	int ret;

	if (!ul)
		return -ENOMEM;
	ul->ovl = ovl;
	mutex_init(&ul->lock);
	pthread_cond_init(&ul->done.c, NULL);
	ul->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ul->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ul->probe_fd[0] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ul->probe_fd[1] = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ret = ul->stop_fd < 0 || ul->kick_fd < 0 ? -errno : ul_nl_open(ul);
	if (ret == 0)
		ret = -pthread_create(&ul->thread, NULL, ul_main, ul);
	if (ret) {
		LOG_ERR("underlay", "cannot start the overlay thread: %s", strerror(-ret));
		ul_free(ul);
		return ret;
	}
	ovl->ul = ul;
	return 0;
}

void vsw_underlay_stop(struct vsw_overlay *ovl)
{
	struct vsw_underlay *ul = ovl->ul;

	if (!ul)
		return;
	if (eventfd_write(ul->stop_fd, 1) == 0)
		pthread_join(ul->thread, NULL);
	ovl->ul = NULL;
	pthread_cond_destroy(&ul->done.c);
	ul_free(ul);
}

void vsw_underlay_kick(struct vsw_overlay *ovl)
{
	struct vsw_underlay *ul = ovl->ul;

	if (!ul)
		return;
	mutex_lock(&ul->lock);
	ul->kick_gen++;
	mutex_unlock(&ul->lock);
	eventfd_write(ul->kick_fd, 1);
}

int vsw_underlay_refresh(struct vsw_overlay *ovl)
{
	struct vsw_underlay *ul = ovl->ul;
	struct timespec until;
	uint64_t target;
	int ret = 0;

	if (!ul)
		return -ESRCH;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += UL_REFRESH_WAIT_S;
	mutex_lock(&ul->lock);
	target = ++ul->kick_gen;
	eventfd_write(ul->kick_fd, 1);
	while (ul->done_gen < target && ret == 0)
		ret = cond_timedwait(&ul->done, &ul->lock, &until);
	mutex_unlock(&ul->lock);
	return ret ? -ETIMEDOUT : 0;
}
