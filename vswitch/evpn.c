/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * evpn.c - the EVPN mirror (evpn.h): a thread that keeps bound tenants and
 * the kernel's bridge/vxlan FDB, which FRR's zebra reads and writes, in step.
 *
 * Import.  zebra installs, on the vxlan device, one entry per remote VTEP
 * with the all-zero MAC (type 3) and one per remote MAC (type 2), each with
 * NDA_DST.  The thread subscribes to neighbour and link notifications, then
 * dumps AF_BRIDGE neighbours once per binding (and again whenever a device
 * changes or a notification was lost), marking what the dump holds and
 * withdrawing what it no longer does.  Notifications queued during a dump
 * are applied after it, in order, so the last word is the kernel's.
 *
 * Export.  The switch learns local MACs on the PMDs; the thread compares the
 * tenant's local MACs with what it put in the bridge every tick, and at once
 * when a PMD kicks it, adding `static` entries (which zebra advertises;
 * `permanent` ones it does not) and deleting the ones that went.
 *
 * Lock order: evpn->lock, then the switch's ctl_lock (inside overlay.c's
 * calls).  Nothing here runs on a PMD.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include <rte_ring.h>

#include "util/lock.h"
#include "util/log.h"
#include "vswitch/evpn.h"
#include "vswitch/overlay.h"
#include "vswitch/overlay_priv.h"

#define EVPN_TICK_MS 1000 /* export pass and device checks, besides kicks */
#define EVPN_MAX_ENTRIES 65536 /* imported MACs, exported MACs: per tenant */
#define EVPN_SOCK_BUF (4 << 20) /* a burst of routes must not overflow notifications */
#define EVPN_ARP_RING 1024 /* ARP seen by PMDs, waiting for the thread */
#define EVPN_MAX_STALE 256 /* neighbour entries of an earlier run removed per dump */
/*
 * NDA_PROTOCOL of the neighbour entries Ferry writes on a bridge: after a
 * crash, the next run finds its leftovers by it (zebra's are 11).
 */
#define EVPN_PROTO 0xf5

/* A guest claims @ip (network order) for @mac: seen in its ARP by a PMD. */
struct evpn_arp {
	uint32_t vni;
	uint32_t ip;
	uint8_t mac[6];
};

/* An IPv4 address of a local MAC, exported as a neighbour entry of the bridge. */
struct evpn_neigh {
	uint32_t ip; /* network order */
	uint8_t mac[6];
	bool exported;
};

/* What zebra put on the device: @mac (all zero: a flood VTEP) behind @vtep. */
struct evpn_remote {
	uint8_t mac[6];
	bool seen; /* in the dump being read */
	struct vsw_addr vtep;
};

/* One bound tenant; the thread's, under evpn->lock. */
struct evpn_tenant {
	uint32_t vni;
	char dev[IF_NAMESIZE], bridge[IF_NAMESIZE], port[IF_NAMESIZE];
	int vx_ifindex, br_ifindex, tap_ifindex; /* 0: not found */
	int tap_fd;
	bool ready, dirty, sweep;
	char state[96];
	struct evpn_remote *remote;
	unsigned int n_remote, cap_remote;
	uint8_t (*local)[6]; /* exported: in the bridge FDB now; sorted (evpn_mac_cmp) */
	unsigned int n_local;
	struct evpn_neigh *neigh; /* local MACs' IPv4 addresses (MAC/IP routes) */
	unsigned int n_neigh, cap_neigh;
	uint32_t stale[EVPN_MAX_STALE]; /* a dump found these of an earlier run */
	unsigned int n_stale;
	uint64_t imported, withdrawn, export_adds, export_dels, errors, resyncs;
};

struct vsw_evpn {
	struct vsw *sw;
	pthread_t thread;
	int stop_fd, kick_fd;
	struct nl_sock *ev; /* notifications */
	struct nl_sock *q; /* dumps and requests */
	/* Bindings, taken by the thread for a whole pass and by the control calls. */
	struct mutex lock;
	struct evpn_tenant *t[VSW_MAX_TENANTS];
	unsigned int n;
	uint8_t (*scratch)[6]; /* one export pass's local MACs */
	struct rte_ring *arps; /* struct evpn_arp: PMDs -> thread */
	_Atomic uint64_t arps_dropped; /* the ring was full */
	bool dump_inet; /* the dump being read is of IPv4 neighbours */
};

/* ---- the tables one binding keeps ---- */

static struct evpn_remote *evpn_find(struct evpn_tenant *t, const uint8_t mac[6])
{
	for (unsigned int i = 0; i < t->n_remote; i++)
		if (memcmp(t->remote[i].mac, mac, 6) == 0)
			return &t->remote[i];
	return NULL;
}

static bool evpn_zero(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	return memcmp(mac, zero, 6) == 0;
}

/* Does anything still hold VTEP @a for @t: its type-3 entry or a MAC behind it? */
static bool evpn_vtep_held(const struct evpn_tenant *t, const struct vsw_addr *a)
{
	for (unsigned int i = 0; i < t->n_remote; i++)
		if (memcmp(&t->remote[i].vtep, a, sizeof(*a)) == 0)
			return true;
	return false;
}

static void evpn_err(struct evpn_tenant *t, int ret, const char *what, const uint8_t mac[6],
		     const struct vsw_addr *a)
{
	char buf[VSW_ADDR_STRLEN];

	t->errors++;
	LOG_RL(LOG_LVL_WARN, "evpn", "tenant %u: cannot %s %02x:%02x:%02x:%02x:%02x:%02x at %s: %s",
	       t->vni, what, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
	       vsw_addr_str(a, buf, sizeof(buf)), strerror(-ret));
}

/* zebra says @mac (all zero: a flood VTEP) is behind @vtep. */
static void evpn_import(struct vsw_evpn *e, struct evpn_tenant *t, const uint8_t mac[6],
			const struct vsw_addr *vtep)
{
	struct evpn_remote *r = evpn_find(t, mac), old;
	struct evpn_remote *grown;
	bool held;
	int ret = 0;

	if (r && memcmp(&r->vtep, vtep, sizeof(*vtep)) == 0) {
		r->seen = true;
		return;
	}
	if (!r) {
		if (t->n_remote == EVPN_MAX_ENTRIES) {
			evpn_err(t, -ENOSPC, "import", mac, vtep);
			return;
		}
		if (t->n_remote == t->cap_remote) {
			grown = realloc(t->remote, (t->cap_remote * 2 + 16) * sizeof(*grown));
			if (!grown) {
				evpn_err(t, -ENOMEM, "import", mac, vtep);
				return;
			}
			t->remote = grown;
			t->cap_remote = t->cap_remote * 2 + 16;
		}
		memset(&old, 0, sizeof(old));
		held = evpn_vtep_held(t, vtep);
		r = &t->remote[t->n_remote++];
	} else {
		old = *r; /* the MAC moved to another VTEP */
		held = evpn_vtep_held(t, vtep);
	}
	memcpy(r->mac, mac, 6);
	r->vtep = *vtep;
	r->seen = true;
	t->imported++;
	/* The overlay's VTEP set changes only for a VTEP new to this tenant. */
	if (!held)
		ret = vsw_tenant_vtep_evpn(e->sw, t->vni, vtep, true);
	if (ret == 0 && !evpn_zero(mac))
		ret = vsw_tenant_mac_evpn(e->sw, t->vni, mac, vtep, true);
	if (ret)
		evpn_err(t, ret, "import", mac, vtep);
	if (old.vtep.family && !evpn_vtep_held(t, &old.vtep))
		vsw_tenant_vtep_evpn(e->sw, t->vni, &old.vtep, false);
}

/* zebra took @mac back (from wherever it was). */
static void evpn_withdraw(struct vsw_evpn *e, struct evpn_tenant *t, const uint8_t mac[6])
{
	struct evpn_remote *r = evpn_find(t, mac);
	struct vsw_addr vtep;

	if (!r)
		return;
	vtep = r->vtep;
	*r = t->remote[--t->n_remote];
	t->withdrawn++;
	if (!evpn_zero(mac))
		vsw_tenant_mac_evpn(e->sw, t->vni, mac, &vtep, false);
	if (!evpn_vtep_held(t, &vtep))
		vsw_tenant_vtep_evpn(e->sw, t->vni, &vtep, false);
}

/* After a dump: what it did not hold is gone. */
static void evpn_sweep(struct vsw_evpn *e, struct evpn_tenant *t)
{
	unsigned int i = 0;

	while (i < t->n_remote) {
		if (t->remote[i].seen) {
			i++;
			continue;
		}
		evpn_withdraw(e, t, t->remote[i].mac);
	}
}

/* ---- netlink in ---- */

static struct evpn_tenant *evpn_tenant_of(struct vsw_evpn *e, int ifindex, const struct nlattr *vni)
{
	for (unsigned int i = 0; i < e->n; i++) {
		struct evpn_tenant *t = e->t[i];

		/* One device per VNI, or one "external" device naming the VNI per entry. */
		if (t->vx_ifindex == ifindex &&
		    (!vni || nla_get_u32((struct nlattr *)vni) == t->vni))
			return t;
	}
	return NULL;
}

static struct evpn_neigh *evpn_neigh_find(struct evpn_tenant *t, uint32_t ip)
{
	for (unsigned int i = 0; i < t->n_neigh; i++)
		if (t->neigh[i].ip == ip)
			return &t->neigh[i];
	return NULL;
}

/* A dump of IPv4 neighbours: ours from an earlier run that we no longer hold are stale. */
static void evpn_inet_msg(struct vsw_evpn *e, const struct ndmsg *ndm, struct nlattr **tb)
{
	uint32_t ip;

	if (!tb[NDA_PROTOCOL] || nla_get_u8(tb[NDA_PROTOCOL]) != EVPN_PROTO || !tb[NDA_DST] ||
	    nla_len(tb[NDA_DST]) != 4)
		return;
	memcpy(&ip, nla_data(tb[NDA_DST]), 4);
	for (unsigned int i = 0; i < e->n; i++) {
		struct evpn_tenant *t = e->t[i];

		if (t->br_ifindex == ndm->ndm_ifindex && !evpn_neigh_find(t, ip) &&
		    t->n_stale < EVPN_MAX_STALE)
			t->stale[t->n_stale++] = ip;
	}
}

/* One of our neighbour entries went (someone deleted it, the bridge went): write it again. */
static void evpn_inet_gone(struct vsw_evpn *e, const struct ndmsg *ndm, struct nlattr **tb)
{
	struct evpn_neigh *n;
	uint32_t ip;

	if (!tb[NDA_DST] || nla_len(tb[NDA_DST]) != 4)
		return;
	memcpy(&ip, nla_data(tb[NDA_DST]), 4);
	for (unsigned int i = 0; i < e->n; i++) {
		n = e->t[i]->br_ifindex == ndm->ndm_ifindex ? evpn_neigh_find(e->t[i], ip) : NULL;
		if (n && n->exported) {
			n->exported = false;
			atomic_store_explicit(&e->sw->evpn_kicked, true, memory_order_relaxed);
			eventfd_write(e->kick_fd, 1);
		}
	}
}

static void evpn_neigh_msg(struct vsw_evpn *e, struct nlmsghdr *h)
{
	struct nlattr *tb[NDA_MAX + 1];
	struct evpn_tenant *t;
	struct ndmsg *ndm;
	struct vsw_addr a;
	int dlen;

	if (!nlmsg_valid_hdr(h, sizeof(*ndm)) ||
	    nlmsg_parse(h, sizeof(*ndm), tb, NDA_MAX, NULL) < 0)
		return;
	ndm = nlmsg_data(h);
	if (ndm->ndm_family == AF_INET && e->dump_inet) {
		evpn_inet_msg(e, ndm, tb);
		return;
	}
	if (ndm->ndm_family == AF_INET && h->nlmsg_type == RTM_DELNEIGH) {
		evpn_inet_gone(e, ndm, tb);
		return;
	}
	if (ndm->ndm_family != AF_BRIDGE || !tb[NDA_LLADDR] || nla_len(tb[NDA_LLADDR]) != 6 ||
	    !tb[NDA_DST] || (tb[NDA_VNI] && nla_len(tb[NDA_VNI]) != 4))
		return; /* not a vxlan device's remote entry */
	t = evpn_tenant_of(e, ndm->ndm_ifindex, tb[NDA_VNI]);
	dlen = nla_len(tb[NDA_DST]);
	if (!t || (dlen != 4 && dlen != 16))
		return;
	memset(&a, 0, sizeof(a));
	a.family = dlen == 4 ? AF_INET : AF_INET6;
	memcpy(a.a, nla_data(tb[NDA_DST]), (size_t)dlen);
	if (h->nlmsg_type == RTM_NEWNEIGH)
		evpn_import(e, t, nla_data(tb[NDA_LLADDR]), &a);
	else
		evpn_withdraw(e, t, nla_data(tb[NDA_LLADDR]));
}

/* A link changed: a bound device appearing, going or moving bridge means a resync. */
static void evpn_link_msg(struct vsw_evpn *e, struct nlmsghdr *h)
{
	struct nlattr *tb[IFLA_MAX + 1];
	struct ifinfomsg *ifi;
	const char *name;
	bool del = h->nlmsg_type == RTM_DELLINK;
	int master;

	if (!nlmsg_valid_hdr(h, sizeof(*ifi)) ||
	    nlmsg_parse(h, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0)
		return;
	ifi = nlmsg_data(h);
	name = tb[IFLA_IFNAME] ? nla_get_string(tb[IFLA_IFNAME]) : "";
	master = tb[IFLA_MASTER] ? (int)nla_get_u32(tb[IFLA_MASTER]) : 0;
	for (unsigned int i = 0; i < e->n; i++) {
		struct evpn_tenant *t = e->t[i];

		if (strncmp(t->dev, name, IF_NAMESIZE) == 0 || t->vx_ifindex == ifi->ifi_index)
			t->dirty |= del || t->vx_ifindex != ifi->ifi_index ||
				    master != t->br_ifindex;
		else if (t->tap_ifindex == ifi->ifi_index)
			t->dirty |= del || master != t->br_ifindex;
		else if (t->br_ifindex == ifi->ifi_index)
			t->dirty |= del;
	}
}

static int evpn_msg_cb(struct nl_msg *msg, void *arg)
{
	struct vsw_evpn *e = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);

	switch (h->nlmsg_type) {
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
		evpn_neigh_msg(e, h);
		break;
	case RTM_NEWLINK:
	case RTM_DELLINK:
		evpn_link_msg(e, h);
		break;
	default:
		break;
	}
	return NL_OK;
}

/* ---- the binding's devices ---- */

/* The kernel's view of @ifindex: 0 and its master, or -errno. */
static int evpn_link_get(struct vsw_evpn *e, const char *name, int *ifindex, int *master,
			 bool *vxlan)
{
	struct rtnl_link *l = NULL;
	const char *type;
	int ret = rtnl_link_get_kernel(e->q, 0, name, &l);

	if (ret < 0)
		return -ENODEV;
	*ifindex = rtnl_link_get_ifindex(l);
	*master = rtnl_link_get_master(l);
	type = rtnl_link_get_type(l);
	*vxlan = type && strcmp(type, "vxlan") == 0;
	rtnl_link_put(l);
	return 0;
}

/* Ferry's TAP for @t, made once per binding and kept: its entries live as long as it. */
static int evpn_tap(struct evpn_tenant *t)
{
	struct ifreq ifr;

	if (t->tap_fd >= 0)
		return 0;
	t->tap_fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (t->tap_fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", t->port);
	if (ioctl(t->tap_fd, TUNSETIFF, &ifr) < 0) {
		int ret = -errno;

		close(t->tap_fd);
		t->tap_fd = -1;
		return ret;
	}
	t->tap_ifindex = (int)if_nametoindex(t->port);
	return t->tap_ifindex ? 0 : -ENODEV;
}

/* Enslave the TAP to @br and bring it up. */
static int evpn_tap_join(struct vsw_evpn *e, struct evpn_tenant *t, int br)
{
	struct rtnl_link *chg = rtnl_link_alloc(), *cur = NULL;
	int ret = rtnl_link_enslave_ifindex(e->q, br, t->tap_ifindex);

	if (ret == 0 && chg && rtnl_link_get_kernel(e->q, t->tap_ifindex, NULL, &cur) == 0) {
		rtnl_link_set_flags(chg, IFF_UP);
		ret = rtnl_link_change(e->q, cur, chg, 0);
	}
	if (cur)
		rtnl_link_put(cur);
	if (chg)
		rtnl_link_put(chg);
	return ret < 0 ? -EIO : 0;
}

/* Find the device and its bridge, put the TAP there; t->ready says how far it got. */
static void evpn_attach(struct vsw_evpn *e, struct evpn_tenant *t)
{
	int ifindex = 0, master = 0, tap_master = 0, tap_if = 0, ret;
	bool vxlan = false, tap_vx;

	t->ready = false;
	t->vx_ifindex = t->br_ifindex = 0;
	if (evpn_link_get(e, t->dev, &ifindex, &master, &vxlan) < 0) {
		snprintf(t->state, sizeof(t->state), "no device %s (yet)", t->dev);
		return;
	}
	t->vx_ifindex = ifindex;
	if (!vxlan || !master) {
		snprintf(t->state, sizeof(t->state), "%s is %s", t->dev,
			 vxlan ? "in no bridge" : "not a vxlan device");
		return;
	}
	t->br_ifindex = master;
	if_indextoname((unsigned int)master, t->bridge);
	ret = evpn_tap(t);
	if (ret == 0 && evpn_link_get(e, t->port, &tap_if, &tap_master, &tap_vx) == 0 &&
	    tap_master != master)
		ret = evpn_tap_join(e, t, master);
	if (ret) {
		snprintf(t->state, sizeof(t->state), "cannot put TAP %s in bridge %s: %s", t->port,
			 t->bridge, strerror(-ret));
		return;
	}
	t->ready = true;
	t->n_local = 0; /* the bridge may have dropped them: put them all back */
	for (unsigned int i = 0; i < t->n_neigh; i++)
		t->neigh[i].exported = false;
	snprintf(t->state, sizeof(t->state), "ok");
}

static int evpn_neigh_req(struct vsw_evpn *e, struct evpn_tenant *t, uint32_t ip,
			  const uint8_t *mac);

/* Neighbour entries an earlier run left on the bridges (found by EVPN_PROTO): remove them. */
static void evpn_stale(struct vsw_evpn *e)
{
	struct ndmsg ndm = { .ndm_family = AF_INET };
	int ret;

	e->dump_inet = true;
	ret = nl_send_simple(e->q, RTM_GETNEIGH, NLM_F_DUMP, &ndm, sizeof(ndm));
	if (ret >= 0)
		ret = nl_recvmsgs_default(e->q);
	e->dump_inet = false;
	for (unsigned int i = 0; i < e->n; i++) {
		for (unsigned int k = 0; ret >= 0 && k < e->t[i]->n_stale; k++)
			evpn_neigh_req(e, e->t[i], e->t[i]->stale[k], NULL);
		e->t[i]->n_stale = 0;
	}
}

/* One dump of the bridge FDB: mark and sweep every dirty binding. */
static void evpn_resync(struct vsw_evpn *e)
{
	struct ndmsg ndm = { .ndm_family = AF_BRIDGE };
	unsigned int i, k;
	bool any = false;

	for (i = 0; i < e->n; i++) {
		if (!e->t[i]->dirty)
			continue;
		e->t[i]->dirty = false;
		e->t[i]->resyncs++;
		evpn_attach(e, e->t[i]);
		for (k = 0; k < e->t[i]->n_remote; k++)
			e->t[i]->remote[k].seen = false;
		e->t[i]->sweep = true;
		any = true;
	}
	if (!any)
		return;
	if (nl_send_simple(e->q, RTM_GETNEIGH, NLM_F_DUMP, &ndm, sizeof(ndm)) < 0 ||
	    nl_recvmsgs_default(e->q) < 0) {
		LOG_RL(LOG_LVL_WARN, "evpn", "cannot dump the bridge FDB: will try again");
		for (i = 0; i < e->n; i++)
			e->t[i]->dirty |= e->t[i]->sweep;
		return;
	}
	for (i = 0; i < e->n; i++) {
		if (e->t[i]->sweep)
			evpn_sweep(e, e->t[i]);
		e->t[i]->sweep = false;
	}
	evpn_stale(e);
}

/* ---- export ---- */

/* Add (@add) or delete @mac as a static entry of the TAP in its bridge. */
static int evpn_fdb_req(struct vsw_evpn *e, struct evpn_tenant *t, const uint8_t mac[6], bool add)
{
	struct ndmsg ndm = { .ndm_family = AF_BRIDGE,
			     .ndm_ifindex = t->tap_ifindex,
			     .ndm_flags = NTF_MASTER,
			     /* static: zebra advertises it (it does not advertise permanent). */
			     .ndm_state = NUD_NOARP };
	struct nl_msg *m = nlmsg_alloc_simple(add ? RTM_NEWNEIGH : RTM_DELNEIGH,
					      add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	int ret = -ENOMEM;

	if (m && nlmsg_append(m, &ndm, sizeof(ndm), NLMSG_ALIGNTO) == 0 &&
	    nla_put(m, NDA_LLADDR, 6, mac) == 0) {
		ret = nl_send_auto(e->q, m);
		ret = ret < 0 ? -EIO : nl_wait_for_ack(e->q);
	}
	nlmsg_free(m);
	if (ret < 0 && !(ret == -NLE_OBJ_NOTFOUND && !add)) {
		t->errors++;
		LOG_RL(LOG_LVL_WARN, "evpn",
		       "tenant %u: cannot %s %02x:%02x:%02x:%02x:%02x:%02x on %s: %s", t->vni,
		       add ? "add" : "delete", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
		       t->port, ret == -EIO || ret == -ENOMEM ? strerror(-ret) : nl_geterror(ret));
		return -EIO;
	}
	if (add)
		t->export_adds++;
	else
		t->export_dels++;
	return 0;
}

/* Add (@mac) or delete (NULL) neighbour @ip on the bridge, the tenant's SVI for zebra. */
static int evpn_neigh_req(struct vsw_evpn *e, struct evpn_tenant *t, uint32_t ip,
			  const uint8_t *mac)
{
	struct ndmsg ndm = { .ndm_family = AF_INET,
			     .ndm_ifindex = t->br_ifindex,
			     /*
			      * Permanent: the bridge has no address to probe from, and the
			      * kernel keeps such entries when the bridge loses its carrier.
			      */
			     .ndm_state = NUD_PERMANENT };
	struct nl_msg *m = nlmsg_alloc_simple(mac ? RTM_NEWNEIGH : RTM_DELNEIGH,
					      mac ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	int ret = -ENOMEM;

	if (m && nlmsg_append(m, &ndm, sizeof(ndm), NLMSG_ALIGNTO) == 0 &&
	    nla_put(m, NDA_DST, 4, &ip) == 0 && (!mac || nla_put(m, NDA_LLADDR, 6, mac) == 0) &&
	    nla_put_u8(m, NDA_PROTOCOL, EVPN_PROTO) == 0) {
		ret = nl_send_auto(e->q, m);
		ret = ret < 0 ? -NLE_FAILURE : nl_wait_for_ack(e->q);
	}
	nlmsg_free(m);
	if (ret < 0 && (mac || ret != -NLE_OBJ_NOTFOUND)) {
		t->errors++;
		LOG_RL(LOG_LVL_WARN, "evpn", "tenant %u: cannot %s neighbour %u.%u.%u.%u on %s: %s",
		       t->vni, mac ? "add" : "delete", ((uint8_t *)&ip)[0], ((uint8_t *)&ip)[1],
		       ((uint8_t *)&ip)[2], ((uint8_t *)&ip)[3], t->bridge,
		       ret == -ENOMEM ? strerror(ENOMEM) : nl_geterror(ret));
		return -EIO;
	}
	return 0;
}

/* PMDs saw these ARP senders: remember who claims which address. */
static void evpn_take_arps(struct vsw_evpn *e)
{
	struct evpn_neigh *n, *grown;
	struct evpn_tenant *t;
	struct evpn_arp a;

	while (rte_ring_sc_dequeue_elem(e->arps, &a, sizeof(a)) == 0) {
		t = NULL;
		for (unsigned int i = 0; i < e->n && !t; i++)
			if (e->t[i]->vni == a.vni)
				t = e->t[i];
		if (!t)
			continue;
		n = evpn_neigh_find(t, a.ip);
		if (n && memcmp(n->mac, a.mac, 6) == 0)
			continue;
		if (!n && t->n_neigh == t->cap_neigh) {
			if (t->cap_neigh >= EVPN_MAX_ENTRIES)
				continue;
			grown = realloc(t->neigh, (t->cap_neigh * 2 + 16) * sizeof(*grown));
			if (!grown)
				continue;
			t->neigh = grown;
			t->cap_neigh = t->cap_neigh * 2 + 16;
		}
		if (!n)
			n = &t->neigh[t->n_neigh++];
		n->ip = a.ip;
		memcpy(n->mac, a.mac, 6);
		n->exported = false; /* (re)written with its new MAC */
	}
}

static bool evpn_has(uint8_t (*set)[6], unsigned int n, const uint8_t mac[6]);

/* Export the addresses of local MACs; forget those whose MAC is no longer here. */
static void evpn_export_neigh(struct vsw_evpn *e, struct evpn_tenant *t)
{
	unsigned int i = 0;

	while (i < t->n_neigh) {
		struct evpn_neigh *n = &t->neigh[i];

		if (!evpn_has(t->local, t->n_local, n->mac)) {
			if (n->exported)
				evpn_neigh_req(e, t, n->ip, NULL);
			*n = t->neigh[--t->n_neigh];
			continue;
		}
		if (!n->exported && evpn_neigh_req(e, t, n->ip, n->mac) == 0)
			n->exported = true;
		i++;
	}
}

/* Take back every address this binding exported (its MACs go with the TAP). */
static void evpn_retract(struct vsw_evpn *e, struct evpn_tenant *t)
{
	for (unsigned int i = 0; t->ready && i < t->n_neigh; i++)
		if (t->neigh[i].exported)
			evpn_neigh_req(e, t, t->neigh[i].ip, NULL);
	t->n_neigh = 0;
}

static int evpn_mac_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 6);
}

/* Is @mac in @set, which is sorted (evpn_mac_cmp)? */
static bool evpn_has(uint8_t (*set)[6], unsigned int n, const uint8_t mac[6])
{
	return n && bsearch(mac, set, n, sizeof(*set), evpn_mac_cmp);
}

/* Make the bridge hold exactly the tenant's local MACs. */
static void evpn_export(struct vsw_evpn *e, struct evpn_tenant *t)
{
	unsigned int more = 0, kept = 0, k;
	int n = ovl_local_macs(e->sw, t->vni, e->scratch, EVPN_MAX_ENTRIES, &more);

	if (n < 0) {
		snprintf(t->state, sizeof(t->state), "the tenant is gone");
		n = 0; /* withdraw everything */
	}
	if (more)
		LOG_RL(LOG_LVL_WARN, "evpn", "tenant %u: %u local MACs over %u are not exported",
		       t->vni, more, EVPN_MAX_ENTRIES);
	/*
	 * Both sets sorted, so a tenant with many MACs costs n log n a pass, not
	 * n squared: the gone ones leave (t->local stays sorted as it shrinks),
	 * the new ones join, then t->local is sorted again.
	 */
	qsort(e->scratch, (size_t)n, sizeof(*e->scratch), evpn_mac_cmp);
	for (k = 0; k < t->n_local; k++) {
		if (evpn_has(e->scratch, (unsigned int)n, t->local[k]))
			memmove(t->local[kept++], t->local[k], 6);
		else
			evpn_fdb_req(e, t, t->local[k], false);
	}
	t->n_local = kept;
	for (k = 0; k < (unsigned int)n; k++)
		if (!evpn_has(t->local, kept, e->scratch[k]) &&
		    evpn_fdb_req(e, t, e->scratch[k], true) == 0)
			memcpy(t->local[t->n_local++], e->scratch[k], 6);
	qsort(t->local, t->n_local, sizeof(*t->local), evpn_mac_cmp);
	evpn_export_neigh(e, t);
}

/* ---- the thread ---- */

static uint64_t evpn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void evpn_pass(struct vsw_evpn *e, bool exports)
{
	mutex_lock(&e->lock);
	evpn_take_arps(e);
	evpn_resync(e);
	for (unsigned int i = 0; exports && i < e->n; i++)
		if (e->t[i]->ready)
			evpn_export(e, e->t[i]);
	mutex_unlock(&e->lock);
}

enum { EVPN_FD_STOP, EVPN_FD_KICK, EVPN_FD_NL, EVPN_NFDS };

static void *evpn_main(void *arg)
{
	struct vsw_evpn *e = arg;
	struct pollfd pfd[EVPN_NFDS] = {
		[EVPN_FD_STOP] = { .fd = e->stop_fd, .events = POLLIN },
		[EVPN_FD_KICK] = { .fd = e->kick_fd, .events = POLLIN },
		[EVPN_FD_NL] = { .fd = nl_socket_get_fd(e->ev), .events = POLLIN },
	};
	uint64_t next = 0, now;
	eventfd_t val;
	bool exports;

	pthread_setname_np(pthread_self(), "ferry-evpn");
	for (;;) {
		now = evpn_now_ms();
		exports = now >= next;
		if (pfd[EVPN_FD_KICK].revents && eventfd_read(e->kick_fd, &val) == 0) {
			/* Cleared before the pass: a MAC learned during it kicks again. */
			atomic_store_explicit(&e->sw->evpn_kicked, false, memory_order_relaxed);
			exports = true;
		}
		if (pfd[EVPN_FD_NL].revents) {
			mutex_lock(&e->lock);
			/* An error is a lost notification (ENOBUFS): dump again. */
			if (nl_recvmsgs_default(e->ev) < 0)
				for (unsigned int i = 0; i < e->n; i++)
					e->t[i]->dirty = true;
			mutex_unlock(&e->lock);
		}
		evpn_pass(e, exports);
		if (exports)
			next = now + EVPN_TICK_MS;
		now = evpn_now_ms();
		if (poll(pfd, EVPN_NFDS, next > now ? (int)(next - now) : 0) < 0 && errno != EINTR)
			break;
		if (pfd[EVPN_FD_STOP].revents)
			break;
	}
	return NULL;
}

static int evpn_nl_open(struct vsw_evpn *e)
{
	e->ev = nl_socket_alloc();
	e->q = nl_socket_alloc();
	if (!e->ev || !e->q)
		return -ENOMEM;
	nl_socket_disable_seq_check(e->ev);
	if (nl_connect(e->ev, NETLINK_ROUTE) < 0 || nl_connect(e->q, NETLINK_ROUTE) < 0)
		return -EIO;
	nl_socket_modify_cb(e->ev, NL_CB_VALID, NL_CB_CUSTOM, evpn_msg_cb, e);
	nl_socket_modify_cb(e->q, NL_CB_VALID, NL_CB_CUSTOM, evpn_msg_cb, e);
	/* Subscribed before any dump, so nothing falls between the two. */
	if (nl_socket_add_memberships(e->ev, RTNLGRP_NEIGH, RTNLGRP_LINK, 0) < 0 ||
	    nl_socket_set_nonblocking(e->ev) < 0)
		return -EIO;
	nl_socket_set_buffer_size(e->ev, EVPN_SOCK_BUF, 0);
	return 0;
}

static void evpn_tenant_free(struct evpn_tenant *t)
{
	if (!t)
		return;
	/* Closing the TAP deletes it and its FDB entries: zebra withdraws them. */
	if (t->tap_fd >= 0)
		close(t->tap_fd);
	free(t->remote);
	free(t->local);
	free(t->neigh);
	free(t);
}

static void evpn_free(struct vsw_evpn *e)
{
	for (unsigned int i = 0; i < e->n; i++)
		evpn_tenant_free(e->t[i]);
	if (e->ev)
		nl_socket_free(e->ev);
	if (e->q)
		nl_socket_free(e->q);
	if (e->stop_fd >= 0)
		close(e->stop_fd);
	if (e->kick_fd >= 0)
		close(e->kick_fd);
	free(e->scratch);
	rte_ring_free(e->arps);
	mutex_destroy(&e->lock);
	free(e);
}

static struct vsw_evpn *evpn_start(struct vsw *sw)
{
	struct vsw_evpn *e = calloc(1, sizeof(*e));
	char name[RTE_RING_NAMESIZE];
	int ret;

	if (!e)
		return NULL;
	e->sw = sw;
	mutex_init(&e->lock);
	e->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	e->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	e->scratch = calloc(EVPN_MAX_ENTRIES, sizeof(*e->scratch));
	snprintf(name, sizeof(name), "evpn-arp-%u", sw->instance);
	e->arps = rte_ring_create_elem(name, sizeof(struct evpn_arp), EVPN_ARP_RING, SOCKET_ID_ANY,
				       RING_F_SC_DEQ);
	ret = e->stop_fd < 0 || e->kick_fd < 0 || !e->scratch || !e->arps ? -ENOMEM :
									    evpn_nl_open(e);
	if (ret == 0)
		ret = -pthread_create(&e->thread, NULL, evpn_main, e);
	if (ret) {
		LOG_ERR("evpn", "cannot start the EVPN thread: %s", strerror(-ret));
		evpn_free(e);
		return NULL;
	}
	return e;
}

/* ---- control API ---- */

static struct vsw_evpn *evpn_of(struct vsw *sw, bool create)
{
	struct vsw_evpn *e;

	mutex_lock(&sw->ctl_lock);
	e = atomic_load_explicit(&sw->evpn, memory_order_relaxed);
	if (!e && create) {
		e = evpn_start(sw);
		/* Pairs with the acquire load in vsw_evpn_kick(). */
		atomic_store_explicit(&sw->evpn, e, memory_order_release);
	}
	mutex_unlock(&sw->ctl_lock);
	return e;
}

static int evpn_unbind(struct vsw_evpn *e, uint32_t vni)
{
	struct evpn_tenant *t = NULL;
	unsigned int i;

	mutex_lock(&e->lock);
	for (i = 0; i < e->n && !t; i++)
		if (e->t[i]->vni == vni)
			t = e->t[i];
	if (t) {
		e->t[i - 1] = e->t[--e->n];
		evpn_retract(e, t);
		while (t->n_remote)
			evpn_withdraw(e, t, t->remote[t->n_remote - 1].mac);
	}
	mutex_unlock(&e->lock);
	if (!t)
		return -ENOENT;
	ovl_tenant_evpn(e->sw, vni, false);
	LOG_INFO("evpn", "tenant %u: no longer bound to %s", vni, t->dev);
	evpn_tenant_free(t);
	return 0;
}

int vsw_tenant_evpn(struct vsw *sw, uint32_t vni, const char *dev)
{
	struct vsw_evpn *e = evpn_of(sw, dev != NULL);
	struct evpn_tenant *t;
	int ret;

	if (!dev)
		return e ? evpn_unbind(e, vni) : -ENOENT;
	if (!e)
		return -ENOMEM;
	if (!*dev || strlen(dev) >= IF_NAMESIZE)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (t)
		t->local = calloc(EVPN_MAX_ENTRIES, sizeof(*t->local));
	if (!t || !t->local) {
		evpn_tenant_free(t);
		return -ENOMEM;
	}
	t->vni = vni;
	t->tap_fd = -1;
	t->dirty = true;
	snprintf(t->dev, sizeof(t->dev), "%s", dev);
	snprintf(t->port, sizeof(t->port), "ferry%u", vni);
	snprintf(t->state, sizeof(t->state), "starting");
	ret = ovl_tenant_evpn(sw, vni, true);
	mutex_lock(&e->lock);
	for (unsigned int i = 0; ret == 0 && i < e->n; i++)
		if (e->t[i]->vni == vni)
			ret = -EEXIST;
	if (ret == 0)
		e->t[e->n++] = t;
	mutex_unlock(&e->lock);
	if (ret) {
		evpn_tenant_free(t);
		return ret;
	}
	LOG_INFO("evpn", "tenant %u: remote VTEPs and MACs from %s, local MACs exported on %s", vni,
		 dev, t->port);
	eventfd_write(e->kick_fd, 1);
	return 0;
}

bool vsw_arp_claim(const uint8_t *frame, uint32_t len, uint32_t *ip_be, uint8_t mac[6])
{
	/* Ethernet, then ARP: htype 1, ptype 0x0800, hlen 6, plen 4, op 1 or 2, sha, spa. */
	static const uint8_t arp_head[] = { 0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0 };
	const uint8_t *arp = frame + 14;
	uint32_t ip;

	if (len < 14 + 28 || memcmp(frame + 12, arp_head, sizeof(arp_head)) != 0 ||
	    (arp[7] != 1 && arp[7] != 2) || memcmp(arp + 8, frame + 6, 6) != 0)
		return false;
	memcpy(&ip, arp + 14, 4);
	if (ip == 0)
		return false;
	*ip_be = ip;
	memcpy(mac, arp + 8, 6);
	return true;
}

void vsw_evpn_saw_arp(struct vsw *sw, uint32_t vni, uint32_t ip_be, const uint8_t mac[6])
{
	/* Pairs with the release store in evpn_of(). */
	struct vsw_evpn *e = atomic_load_explicit(&sw->evpn, memory_order_acquire);
	struct evpn_arp a = { .vni = vni, .ip = ip_be };

	if (!e)
		return;
	memcpy(a.mac, mac, 6);
	if (rte_ring_mp_enqueue_elem(e->arps, &a, sizeof(a)) != 0) {
		atomic_fetch_add_explicit(&e->arps_dropped, 1, memory_order_relaxed);
		return;
	}
	vsw_evpn_kick(sw);
}

void vsw_evpn_kick(struct vsw *sw)
{
	/* Pairs with the release store in evpn_of(). */
	struct vsw_evpn *e = atomic_load_explicit(&sw->evpn, memory_order_acquire);

	/* One write until the thread has looked: a MAC flood costs one syscall, not one each. */
	if (e && !atomic_exchange_explicit(&sw->evpn_kicked, true, memory_order_relaxed))
		eventfd_write(e->kick_fd, 1);
}

unsigned int vsw_evpn_stats(struct vsw *sw, struct vsw_evpn_stats *out, unsigned int max)
{
	struct vsw_evpn *e = evpn_of(sw, false);
	unsigned int n = 0;

	if (!e)
		return 0;
	mutex_lock(&e->lock);
	for (unsigned int i = 0; i < e->n && n < max; i++) {
		const struct evpn_tenant *t = e->t[i];
		struct vsw_evpn_stats *s = &out[n++];

		memset(s, 0, sizeof(*s));
		s->vni = t->vni;
		memcpy(s->dev, t->dev, sizeof(s->dev));
		memcpy(s->bridge, t->bridge, sizeof(s->bridge));
		memcpy(s->port, t->port, sizeof(s->port));
		s->ready = t->ready;
		memcpy(s->state, t->state, sizeof(s->state));
		for (unsigned int k = 0; k < t->n_remote; k++)
			if (evpn_zero(t->remote[k].mac))
				s->vteps++;
			else
				s->macs++;
		s->exported = t->n_local;
		for (unsigned int k = 0; k < t->n_neigh; k++)
			s->ips += t->neigh[k].exported;
		s->arps_dropped = atomic_load_explicit(&e->arps_dropped, memory_order_relaxed);
		s->imported = t->imported;
		s->withdrawn = t->withdrawn;
		s->export_adds = t->export_adds;
		s->export_dels = t->export_dels;
		s->errors = t->errors;
		s->resyncs = t->resyncs;
	}
	mutex_unlock(&e->lock);
	return n;
}

void vsw_evpn_stop(struct vsw *sw)
{
	struct vsw_evpn *e;

	mutex_lock(&sw->ctl_lock);
	e = atomic_load_explicit(&sw->evpn, memory_order_relaxed);
	atomic_store_explicit(&sw->evpn, NULL, memory_order_release);
	mutex_unlock(&sw->ctl_lock);
	if (!e)
		return;
	vsw_datapath_sync(sw); /* no PMD is still kicking it */
	if (eventfd_write(e->stop_fd, 1) == 0)
		pthread_join(e->thread, NULL);
	for (unsigned int i = 0; i < e->n; i++)
		evpn_retract(e, e->t[i]);
	evpn_free(e);
}
