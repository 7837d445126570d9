/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * overlay.h - the switch's VXLAN overlay (RFC 7348), public API.
 *
 * A switch has at most one local VTEP (an address of this host, the UDP
 * port it listens on).  A tenant joins the overlay with vsw_tenant_vxlan():
 * its VNI then travels between hosts, frames to MACs learned behind a remote
 * VTEP are encapsulated towards it, and broadcast, multicast and unknown
 * unicast go to every VTEP of the tenant by head-end replication.  Remote
 * VTEPs are seeded (vsw_tenant_vtep_add) or, where the tenant allows it,
 * learned from the packets that arrive, and then aged out when silent.
 *
 * Packets leave and arrive through uplink ports (port kinds "afxdp" and
 * "dpdk", see port_afxdp.h and port_dpdk.h), which belong to no tenant.
 * Which uplink, next hop and source a VTEP is reached by comes from the
 * kernel: its routing and neighbour tables, read through netlink (libnl) by
 * the overlay's own thread and followed as they change (underlay.c).  A
 * VTEP without a usable next hop is shown with the reason, and frames to it
 * are counted and dropped while the kernel resolves it.
 *
 * All functions are control plane, callable from any thread but a PMD.
 */
#ifndef FERRY_VSWITCH_OVERLAY_H
#define FERRY_VSWITCH_OVERLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "vswitch/vswitch.h"

struct vsw_overlay_opts {
	struct vsw_addr local; /* this host's VTEP address; must be assigned to an interface */
	uint16_t udp_port; /* destination UDP port, default 4789 */
	uint8_t ttl; /* outer TTL / hop limit, default 64 */
	bool df; /* IPv4: set don't-fragment (default true): oversized frames are dropped */
	bool udp_csum; /* IPv4: fill the outer UDP checksum (IPv6 always does), default false */
	unsigned int vtep_aging_s; /* learned VTEPs silent this long are removed; 0 = never */
};

/* Why a tunnel packet or an encapsulation was dropped. */
enum vsw_tun_drop {
	/* Receive: the packet (vxlan.h says what each means). */
	VSW_TUN_TRUNCATED,
	VSW_TUN_BAD_IP,
	VSW_TUN_IP_OPTIONS,
	VSW_TUN_FRAGMENT,
	VSW_TUN_BAD_IP_CSUM,
	VSW_TUN_BAD_UDP,
	VSW_TUN_BAD_UDP_CSUM,
	VSW_TUN_BAD_FLAGS,
	VSW_TUN_BAD_SRC,
	VSW_TUN_INNER_RUNT,
	VSW_TUN_NONLINEAR, /* headers not in the first segment */
	/* Receive: the packet was fine, its place is not. */
	VSW_TUN_NO_OVERLAY, /* no local VTEP configured */
	VSW_TUN_UNKNOWN_VNI, /* no tenant of this switch carries the VNI over VXLAN */
	VSW_TUN_UNKNOWN_VTEP, /* sender not a VTEP of the tenant, and the tenant does not learn */
	VSW_TUN_SPOOFED_SRC, /* inner source MAC belongs to a local NIC (of any tenant) */
	VSW_TUN_UNENCRYPTED, /* plain VXLAN for an encrypted tenant or VTEP (either way) */
	/* Receive: WireGuard data messages (wg.h). */
	VSW_TUN_WG_BAD_MSG, /* not a data message of WireGuard's format */
	VSW_TUN_WG_UNKNOWN_INDEX, /* for keys we do not have (any more) */
	VSW_TUN_WG_EXPIRED, /* under keys older than REJECT_AFTER_TIME */
	VSW_TUN_WG_BAD_AUTH, /* the tag does not authenticate: forged or corrupted */
	VSW_TUN_WG_REPLAY, /* a counter seen before, or too old for the window */
	VSW_TUN_WG_ALLOWED_IPS, /* the inner source is not the peer's to send from */
	VSW_TUN_WG_NOT_VXLAN, /* what it held is not VXLAN to our tunnel address */
	/* Transmit. */
	VSW_TUN_NO_NEXTHOP, /* the VTEP has no route, uplink or neighbour (yet) */
	VSW_TUN_TOO_BIG, /* frame + overhead over the uplink MTU (DF: never fragmented) */
	VSW_TUN_NO_MBUF, /* no buffer for the copy a shared frame needs */
	VSW_TUN_WG_NO_KEYS, /* no keys yet and the peer's queue for the handshake is full */
	VSW_TUN_DROP_MAX
};

/* State of a remote VTEP's next hop. */
enum vsw_nh_state {
	VSW_NH_PENDING, /* not looked up yet */
	VSW_NH_OK,
	VSW_NH_NO_ROUTE, /* the kernel has no route, or an unreachable one */
	VSW_NH_NO_UPLINK, /* the route leaves through an interface without a Ferry uplink */
	VSW_NH_NO_NEIGH, /* the next hop's MAC is not resolved (resolution triggered) */
	VSW_NH_LINK_DOWN, /* the egress interface is down */
	VSW_NH_NO_ENDPOINT, /* encrypted: its WireGuard peer has no endpoint yet */
	VSW_NH_STATE_MAX
};

struct vsw_vtep_stats {
	struct vsw_addr addr;
	bool learned; /* not seeded by configuration nor announced by EVPN */
	bool evpn; /* announced by an EVPN control plane (evpn.h) for some tenant */
	uint32_t idle_s; /* since its last packet (learned VTEPs age on this) */
	unsigned int n_vnis;
	uint32_t vnis[VSW_MAX_TENANTS]; /* tenants it floods for */
	enum vsw_nh_state state;
	char uplink[VSW_NAME_LEN]; /* egress uplink port, "" if none */
	struct vsw_addr via; /* next hop: a gateway or the VTEP itself */
	struct vsw_addr src; /* source address the route prefers (we send from the local VTEP) */
	uint8_t via_mac[6];
	uint32_t mtu; /* uplink MTU the route uses */
	bool encrypted; /* reached through the WireGuard tunnel */
	uint8_t wg_peer_key[32]; /* encrypted: the peer's public key */
	uint64_t rx_packets, rx_bytes; /* decapsulated from it */
	uint64_t tx_packets, tx_bytes; /* encapsulated to it */
	uint64_t tx_dropped; /* no next hop or too big */
};

struct vsw_overlay_stats {
	bool enabled;
	struct vsw_overlay_opts opts;
	unsigned int n_vteps, n_learned; /* VTEPs now, of which learned */
	uint64_t vteps_learned, vteps_aged; /* learning events */
	uint64_t decap_packets, decap_bytes; /* inner frames handed to tenants */
	uint64_t encap_packets, encap_bytes; /* outer packets handed to uplinks */
	uint64_t not_tunnel; /* uplink traffic that is the host's own (DPDK uplinks) */
	uint64_t learn_queue_full; /* learning requests the control thread had no room for */
	uint64_t drops[VSW_TUN_DROP_MAX];
};

/* One MAC of a tenant's table (vsw_fdb_dump). */
struct vsw_mac_entry {
	uint8_t mac[6];
	bool remote; /* behind a remote VTEP rather than a local port */
	char port[VSW_NAME_LEN]; /* local port name */
	struct vsw_addr vtep; /* remote VTEP */
	uint32_t idle_s; /* since the last frame from the MAC */
	bool evpn; /* put there by the EVPN control plane (does not age) */
};

/*
 * What AF_XDP uplinks drop in XDP, before the switch sees a packet: sources
 * that are not VTEPs of ours (the tenants' seeded VTEPs and @allow), VNIs no
 * tenant here carries, and sources over their rate.
 */
#define VSW_MAX_FILTER_PREFIXES 1000 /* besides the seeded VTEPs */

struct vsw_uplink_filter {
	bool enforce_vteps;
	const struct vsw_prefix *allow; /* besides the seeded VTEPs; copied */
	unsigned int n_allow;
	bool enforce_vnis;
	uint32_t rate_pps; /* per source address; 0 = no limit */
	uint32_t burst;
};

/* What one uplink's XDP program did (vsw_uplink_filter_stats). */
struct vsw_filter_stats {
	bool xdp; /* the uplink filters in XDP at all */
	uint64_t steered; /* tunnel packets handed to the switch */
	uint64_t passed; /* the host's own packets, left to the kernel */
	uint64_t drop_vtep, drop_vni, drop_rate; /* dropped, by reason */
};

void vsw_overlay_opts_init(struct vsw_overlay_opts *o);

/*
 * Give the switch its local VTEP and start the overlay thread (netlink).
 * Once per switch: -EALREADY after the first.  -EINVAL for a bad address.
 */
int vsw_overlay_enable(struct vsw *sw, const struct vsw_overlay_opts *o);

/*
 * Carry tenant @vni over VXLAN.  @learn: accept frames from VTEPs not seeded
 * for it, learning them (and their MACs); otherwise they are dropped as
 * VSW_TUN_UNKNOWN_VTEP.  -ENODEV without vsw_overlay_enable().
 */
int vsw_tenant_vxlan(struct vsw *sw, uint32_t vni, bool learn);

/* Seed (or remove) a remote VTEP of tenant @vni; the family must be the local VTEP's. */
int vsw_tenant_vtep_add(struct vsw *sw, uint32_t vni, const struct vsw_addr *remote);
int vsw_tenant_vtep_remove(struct vsw *sw, uint32_t vni, const struct vsw_addr *remote);
/*
 * The EVPN control plane (evpn.h) announces (@add) or withdraws @remote as a
 * VTEP of tenant @vni: a flood target until withdrawn, unless the
 * configuration names it too.  0 or -errno.
 */
int vsw_tenant_vtep_evpn(struct vsw *sw, uint32_t vni, const struct vsw_addr *remote, bool add);
/*
 * ... and @mac behind @remote, which must already be a VTEP of the tenant
 * (-ENOENT if not): the entry does not age; withdrawing removes it only if
 * it is still there.  0 or -errno.
 */
int vsw_tenant_mac_evpn(struct vsw *sw, uint32_t vni, const uint8_t mac[6],
			const struct vsw_addr *remote, bool add);

/* Up to @max VTEPs in table order; returns how many were stored. */
unsigned int vsw_vteps(struct vsw *sw, struct vsw_vtep_stats *out, unsigned int max);
int vsw_overlay_stats(struct vsw *sw, struct vsw_overlay_stats *st);

/* Up to @max MACs of tenant @vni, local and remote; returns how many, or -ENOENT. */
int vsw_fdb_dump(struct vsw *sw, uint32_t vni, struct vsw_mac_entry *out, unsigned int max);

/*
 * Re-read the underlay now (as if netlink had reported a change) and wait
 * until that pass has published its next hops; for tests and `ferryctl`.
 */
int vsw_overlay_refresh(struct vsw *sw);

/* Set the uplink filter (all uplinks, now and later); -ENODEV without an overlay. */
int vsw_uplink_filter_set(struct vsw *sw, const struct vsw_uplink_filter *f);
/* Port @id's filter counters; -ENOENT if no such port. */
int vsw_uplink_filter_stats(struct vsw *sw, uint16_t id, struct vsw_filter_stats *st);

/* Stable names: "truncated", "no_nexthop", ... and "ok", "no_route", ... */
const char *vsw_tun_drop_name(enum vsw_tun_drop d);
const char *vsw_nh_state_name(enum vsw_nh_state s);

#endif
