/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * uplink.bpf.c - the XDP program on a Ferry uplink: UDP packets to one of
 * Ferry's tunnel ports (and, when configured, to one of its local tunnel
 * addresses) go to the AF_XDP socket of their rx queue; everything else,
 * ARP, the host's own traffic, non-first IP fragments, is XDP_PASS, so the
 * host keeps its network while Ferry owns its tunnels.
 *
 * Every header access is checked against data_end before it happens (the
 * verifier insists, and the packet is the network's).  The configuration
 * is read-only data the loader sets before loading (uplink.c); it needs no
 * kernel type information, so plain UAPI headers do instead of vmlinux.h.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "ebpf/uplink.h"

#define IP_OFFMASK 0x1fff

const volatile __u16 cfg_ports[UPLINK_MAX_PORTS] = {}; /* network order */
const volatile __u32 cfg_n_ports = 0;
const volatile struct uplink_addr cfg_addrs[UPLINK_MAX_ADDRS] = {};
const volatile __u32 cfg_n_addrs = 0;

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, UPLINK_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, UPLINK_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline int count(__u32 what, int verdict)
{
	__u64 *c = bpf_map_lookup_elem(&stats, &what);

	if (c)
		*c += 1;
	return verdict;
}

static __always_inline int port_ok(__u16 port)
{
	for (__u32 i = 0; i < UPLINK_MAX_PORTS; i++)
		if (i < cfg_n_ports && cfg_ports[i] == port)
			return 1;
	return 0;
}

static __always_inline int addr_eq(__u32 i, const __u8 *a, __u32 len)
{
	__u8 diff = 0;

	/* BPF has no memcmp: compare every byte, the bound is a constant. */
	for (__u32 k = 0; k < 16; k++)
		if (k < len)
			diff |= cfg_addrs[i].a[k] ^ a[k];
	return diff == 0;
}

static __always_inline int addr_ok(__u8 family, const __u8 *a, __u32 len)
{
	if (cfg_n_addrs == 0)
		return 1;
	for (__u32 i = 0; i < UPLINK_MAX_ADDRS; i++)
		if (i < cfg_n_addrs && cfg_addrs[i].family == family && addr_eq(i, a, len))
			return 1;
	return 0;
}

/* The UDP header of an IPv4 tunnel packet for us, or NULL. */
static __always_inline struct udphdr *udp4(void *l3, void *end)
{
	struct iphdr *ip = l3;
	struct udphdr *udp;
	__u32 ihl;
	__u8 dst[4];

	if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_UDP ||
	    (ip->frag_off & bpf_htons(IP_OFFMASK)))
		return NULL;
	ihl = ip->ihl * 4;
	if (ihl < sizeof(*ip))
		return NULL;
	udp = l3 + ihl;
	if ((void *)(udp + 1) > end)
		return NULL;
	__builtin_memcpy(dst, &ip->daddr, 4);
	return addr_ok(2, dst, 4) ? udp : NULL;
}

static __always_inline struct udphdr *udp6(void *l3, void *end)
{
	struct ipv6hdr *ip = l3;
	struct udphdr *udp = (void *)(ip + 1);
	__u8 dst[16];

	if ((void *)(udp + 1) > end || ip->nexthdr != IPPROTO_UDP)
		return NULL;
	__builtin_memcpy(dst, &ip->daddr, 16);
	return addr_ok(10, dst, 16) ? udp : NULL;
}

SEC("xdp")
int ferry_uplink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct udphdr *udp = NULL;
	__u32 q = ctx->rx_queue_index;

	if ((void *)(eth + 1) > end)
		return count(UPLINK_STAT_PASSED, XDP_PASS);
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		udp = udp4(eth + 1, end);
	else if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		udp = udp6(eth + 1, end);
	if (!udp || !port_ok(udp->dest))
		return count(UPLINK_STAT_PASSED, XDP_PASS);
	if (!bpf_map_lookup_elem(&xsks, &q))
		return count(UPLINK_STAT_NO_SOCKET, XDP_PASS);
	return count(UPLINK_STAT_STEERED, bpf_redirect_map(&xsks, q, XDP_PASS));
}

char _license[] SEC("license") = "Dual BSD/GPL";
