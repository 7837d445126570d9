/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vxlan.h - VXLAN (RFC 7348) on the wire: the outer headers Ferry writes
 * and the checks a received tunnel packet must pass before its inner frame
 * reaches a tenant.  Pure functions over byte buffers, with no switch
 * state, so the unit tests and the libFuzzer harness (tests/fuzz/fuzz_vxlan.c)
 * drive exactly the code the PMDs run (overlay.c).
 *
 * Security model: a received packet comes from anyone who can reach the
 * uplink.  vxlan_parse() reads nothing before checking that it is inside
 * @len, takes every length from the packet only after checking it against
 * @len, and accepts one layout only: Ethernet (no VLAN tag), IPv4 without
 * options or fragments (or IPv6 with UDP as the next header), UDP to our
 * address and port, an 8-byte VXLAN header with exactly the I flag, and an
 * inner Ethernet header.  Everything else has a reason, which the caller
 * counts.
 */
#ifndef FERRY_VSWITCH_VXLAN_H
#define FERRY_VSWITCH_VXLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "vswitch/vswitch.h"

#define VXLAN_PORT 4789 /* IANA-assigned UDP port (RFC 7348, section 5) */
#define VXLAN_HLEN 8
#define VXLAN_FLAG_I 0x08 /* the VNI is valid; every other flag bit is reserved */
#define VXLAN_ETH_HLEN 14
#define VXLAN_OVERHEAD_V4 (VXLAN_ETH_HLEN + 20 + 8 + VXLAN_HLEN) /* 50 */
#define VXLAN_OVERHEAD_V6 (VXLAN_ETH_HLEN + 40 + 8 + VXLAN_HLEN) /* 70 */
#define VXLAN_OVERHEAD_MAX VXLAN_OVERHEAD_V6
#define VXLAN_SPORT_MIN 49152 /* source ports come from the dynamic range (section 5) */

/* Why a received packet was not decapsulated. */
enum vxlan_verdict {
	VXLAN_OK,
	VXLAN_NOT_TUNNEL, /* not UDP to our VTEP address and port: the host's, not ours */
	VXLAN_TRUNCATED, /* a header runs past the end of the packet */
	VXLAN_BAD_IP, /* IP version, header or total length inconsistent */
	VXLAN_IP_OPTIONS, /* IPv4 options or IPv6 extension headers: VTEPs send neither */
	VXLAN_FRAGMENT, /* we send with DF and do not reassemble */
	VXLAN_BAD_IP_CSUM, /* IPv4 header checksum */
	VXLAN_BAD_UDP, /* UDP length inconsistent with the IP length */
	VXLAN_BAD_UDP_CSUM, /* a wrong UDP checksum, or none over IPv6 (RFC 6935) */
	VXLAN_BAD_FLAGS, /* I flag missing, or a reserved bit set (as Linux) */
	VXLAN_BAD_SRC, /* outer source multicast, broadcast, unspecified or our own */
	VXLAN_INNER_RUNT, /* no room for the inner Ethernet header */
	VXLAN_VERDICT_MAX
};

/* What a packet that passed says. */
struct vxlan_rx {
	struct vsw_addr src; /* the sending VTEP */
	uint16_t sport; /* its UDP source port, host order */
	uint32_t vni;
	uint32_t inner_off; /* the inner Ethernet frame (plain: the UDP payload) starts here ... */
	uint32_t inner_len; /* ... and is this long (link padding removed) */
};

/*
 * The local end: packets must be addressed to it.  @plain: any UDP payload
 * passes, with no VXLAN checks (WireGuard's port: the payload is sealed).
 */
struct vxlan_local {
	struct vsw_addr addr;
	uint16_t port; /* host order */
	bool plain;
};

/*
 * Classify @len bytes of a received frame (starting at its Ethernet header);
 * on VXLAN_OK fills @rx.  Checksums are verified here: the packet is in one
 * buffer.
 */
enum vxlan_verdict vxlan_parse(const uint8_t *pkt, uint32_t len, const struct vxlan_local *local,
			       struct vxlan_rx *rx);
/* "truncated", "fragment", ...: stable names for counters and logs. */
const char *vxlan_verdict_name(enum vxlan_verdict v);

/*
 * Outer headers for one remote VTEP, built once per next hop by the control
 * thread, copied and patched per packet by the PMD (vxlan_write()).  A
 * "plain" template stops after UDP, with a fixed source port: the outer
 * headers of WireGuard, whose payload is a sealed VXLAN packet
 * (udp_tmpl_write()).
 */
struct vxlan_tmpl {
	uint8_t hdr[VXLAN_OVERHEAD_MAX]; /* Ethernet, IP, UDP, VXLAN (not when plain) */
	uint8_t len; /* VXLAN_OVERHEAD_V4 or _V6, VXLAN_HLEN less when plain */
	uint8_t family; /* AF_INET or AF_INET6 */
	bool plain; /* no VXLAN header */
	bool udp_csum; /* fill the UDP checksum (always over IPv6) */
	uint32_t ip_sum; /* IPv4: one's-complement sum of the header with length 0 */
};

struct vxlan_tmpl_params {
	uint8_t dst_mac[6], src_mac[6]; /* next hop, uplink */
	struct vsw_addr src, dst; /* local and remote VTEP (same family) */
	uint16_t port; /* destination UDP port, host order */
	uint16_t sport; /* plain: the source port, host order */
	bool plain; /* UDP without a VXLAN header */
	uint8_t ttl;
	bool df; /* IPv4 don't-fragment */
	bool udp_csum; /* IPv4 only: IPv6 always has one */
};

/* 0, or -EINVAL when the addresses are not one family. */
int vxlan_tmpl_init(struct vxlan_tmpl *t, const struct vxlan_tmpl_params *p);

/*
 * Write @t's headers to @out (t->len bytes) for an inner frame of
 * @inner_len bytes on @vni from UDP port @sport.  The UDP checksum is left
 * zero; with t->udp_csum the caller completes it over the finished packet
 * (vxlan_udp_csum()) once the inner bytes are in place.
 */
void vxlan_write(const struct vxlan_tmpl *t, uint8_t *out, uint32_t vni, uint16_t sport,
		 uint32_t inner_len);

/* Write plain template @t's headers to @out for a UDP payload of @len bytes. */
void udp_tmpl_write(const struct vxlan_tmpl *t, uint8_t *out, uint32_t len);

/* Send what udp_tmpl_write() wrote to @port (host order) instead (before the checksum). */
void udp_tmpl_set_dport(const struct vxlan_tmpl *t, uint8_t *out, uint16_t port);

/*
 * Fill the UDP checksum of a packet vxlan_write() or udp_tmpl_write()
 * started: @pkt holds the outer headers, @payload_sum is the one's-complement
 * sum (rte_raw_cksum style, folded or not) of the bytes that follow them.
 */
void vxlan_udp_csum(const struct vxlan_tmpl *t, uint8_t *pkt, uint32_t payload_sum);

/*
 * The UDP source port for an inner frame: a hash of its Ethernet addresses
 * and, when present, its IP addresses, protocol and ports, mapped to the
 * dynamic range (RFC 7348, section 5), so one flow keeps one underlay path
 * under ECMP and different flows spread.
 */
uint16_t vxlan_src_port(const uint8_t *inner, uint32_t len);

#endif
