/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * evpn.h - BGP EVPN (RFC 7432, RFC 8365) for VXLAN tenants, through FRR.
 *
 * Ferry speaks no BGP.  FRR's zebra writes what EVPN announces into the
 * kernel's bridge/vxlan FDB and advertises what it finds there, so a tenant
 * bound to a kernel vxlan device (one per VNI, in a bridge, as zebra
 * expects) gets both directions from the kernel's tables:
 *
 * - import: the device's remote entries become the tenant's remote VTEPs
 *   (all-zero MAC: a flood target, EVPN type 3) and remote MACs (type 2),
 *   pinned in the tenant's MAC table until withdrawn; the tenant then learns
 *   no remote MAC from traffic.  One dump at start, notifications after.
 * - export: the tenant's MACs on local ports become static FDB entries of a
 *   TAP device Ferry creates in that bridge ("ferry<VNI>"), which zebra
 *   advertises as type-2 routes; the IPv4 addresses their guests claim in
 *   ARP become neighbour entries of the bridge (zebra's SVI for the VNI),
 *   which zebra advertises as MAC/IP type-2 routes.  The TAP lives as long as the binding, so
 *   when Ferry stops, the kernel drops the entries and zebra withdraws them.
 *
 * Netlink is spoken on a thread of its own; the switch's tables are changed
 * through overlay.h's control calls.
 */
#ifndef FERRY_VSWITCH_EVPN_H
#define FERRY_VSWITCH_EVPN_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "vswitch/vswitch.h"

/*
 * Bind VXLAN tenant @vni to kernel vxlan device @dev (the thread starts on
 * the first binding); @dev NULL unbinds (exported entries withdrawn,
 * imported ones removed).  0, -EEXIST (bound already), -ENOENT (no such
 * tenant), -EINVAL (not over VXLAN, or a bad name), -ENOMEM.  The device
 * may appear later: the binding waits for it.
 */
int vsw_tenant_evpn(struct vsw *sw, uint32_t vni, const char *dev);

struct vsw_evpn_stats {
	uint32_t vni;
	char dev[IF_NAMESIZE]; /* the kernel vxlan device */
	char bridge[IF_NAMESIZE]; /* its master, "" while it has none */
	char port[IF_NAMESIZE]; /* Ferry's TAP in that bridge */
	bool ready; /* device found, in a bridge, TAP enslaved */
	char state[96]; /* why not ready, or "ok" */
	unsigned int vteps, macs; /* imported now: flood VTEPs, remote MACs */
	unsigned int exported; /* local MACs in the bridge's FDB now */
	unsigned int ips; /* their IPv4 addresses (from ARP) in the bridge's neighbours now */
	uint64_t arps_dropped; /* ARP the thread had no room for (all tenants) */
	uint64_t imported, withdrawn; /* import events (VTEPs and MACs) */
	uint64_t export_adds, export_dels, errors; /* netlink requests; refused ones */
	uint64_t resyncs; /* full dumps (start, device changes, lost notifications) */
};

/* Up to @max bound tenants into @out; the count. */
unsigned int vsw_evpn_stats(struct vsw *sw, struct vsw_evpn_stats *out, unsigned int max);

/*
 * The IPv4 address (network order) and MAC that an ARP frame's sender
 * claims: true only for ARP over Ethernet and IPv4, a request or a reply,
 * whose sender hardware address is the frame's source, and not a probe
 * (sender 0.0.0.0).  @frame is a guest's: every byte is checked against
 * @len.
 */
bool vsw_arp_claim(const uint8_t *frame, uint32_t len, uint32_t *ip_be, uint8_t mac[6]);

/* Stop the thread and drop every binding (switch teardown). */
void vsw_evpn_stop(struct vsw *sw);

#endif
