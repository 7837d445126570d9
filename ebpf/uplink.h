/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * uplink.h - what the uplink XDP program (uplink.bpf.c) and its loader
 * (uplink.c) share: limits, the layout of its maps' keys and values, and the
 * counter slots.  Kernel UAPI types only, so both sides compile it.
 */
#ifndef FERRY_EBPF_UPLINK_H
#define FERRY_EBPF_UPLINK_H

#include <linux/types.h>

#define UPLINK_MAX_PORTS 4 /* tunnel UDP ports steered (VXLAN, later WireGuard) */
#define UPLINK_MAX_ADDRS 4 /* local tunnel addresses; none configured = any */
#define UPLINK_MAX_QUEUES 64 /* XSKMAP entries: one per rx queue */
#define UPLINK_MAX_PREFIXES 2048 /* VTEP allow-list entries: configured and seeded */
#define UPLINK_MAX_VNIS 4096 /* VNI allow-list entries */
#define UPLINK_MAX_SOURCES 65536 /* sources tracked by the rate limiter (LRU) */

/* One local address: family 2 (IPv4, first 4 bytes) or 10 (IPv6). */
struct uplink_addr {
	__u8 family;
	__u8 pad[3];
	__u8 a[16];
};

/*
 * Key of the VTEP allow-list (an LPM trie): prefixlen counts the bits of
 * everything after it, family and padding included, so an entry for
 * 10.0.0.0/8 has prefixlen 32 + 8 and a lookup uses 32 + 128.
 */
struct uplink_prefix {
	__u32 prefixlen;
	struct uplink_addr addr;
};

/* The filter's settings, changed at run time (map "ucfg", one entry). */
#define UPLINK_ENFORCE_VTEPS 1u /* drop tunnel packets from sources not in the allow-list */
#define UPLINK_ENFORCE_VNIS 2u /* drop VXLAN packets whose VNI is not in the allow-list */
#define UPLINK_RATE_LIMIT 4u /* token bucket per source address */
struct uplink_cfg {
	__u32 flags;
	__u32 rate_pps; /* tokens per second per source */
	__u32 burst; /* bucket size, packets */
	__u32 pad;
};

/* A source's token bucket (map "rl"): tokens in units of 10^-9 packet. */
struct uplink_bucket {
	__u64 tokens;
	__u64 last_ns;
};

/* Per-CPU packet counters of the program. */
enum uplink_stat {
	UPLINK_STAT_STEERED, /* tunnel packets redirected to Ferry's socket */
	UPLINK_STAT_PASSED, /* everything else, left to the kernel */
	UPLINK_STAT_NO_SOCKET, /* tunnel packets on a queue without a socket (passed) */
	UPLINK_STAT_DROP_VTEP, /* from a source not in the VTEP allow-list */
	UPLINK_STAT_DROP_VNI, /* VXLAN with a VNI not hosted here */
	UPLINK_STAT_DROP_RATE, /* over its source's rate */
	UPLINK_STAT_MAX
};

#endif
