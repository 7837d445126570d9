/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * uplink.h - what the uplink XDP program (uplink.bpf.c) and its loader
 * (uplink.c) share: limits, the address layout of its configuration and the
 * counter slots.  Kernel UAPI types only, so both sides compile it.
 */
#ifndef FERRY_EBPF_UPLINK_H
#define FERRY_EBPF_UPLINK_H

#include <linux/types.h>

#define UPLINK_MAX_PORTS 4 /* tunnel UDP ports steered (VXLAN, later WireGuard) */
#define UPLINK_MAX_ADDRS 4 /* local tunnel addresses; none configured = any */
#define UPLINK_MAX_QUEUES 64 /* XSKMAP entries: one per rx queue */

/* One local address: family 2 (IPv4, first 4 bytes) or 10 (IPv6). */
struct uplink_addr {
	__u8 family;
	__u8 pad[3];
	__u8 a[16];
};

/* Per-CPU packet counters of the program. */
enum uplink_stat {
	UPLINK_STAT_STEERED, /* tunnel packets redirected to Ferry's socket */
	UPLINK_STAT_PASSED, /* everything else, left to the kernel */
	UPLINK_STAT_NO_SOCKET, /* tunnel packets on a queue without a socket (passed) */
	UPLINK_STAT_MAX
};

#endif
