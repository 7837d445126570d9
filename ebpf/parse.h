/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * parse.h - the one packet parser of Ferry's XDP programs (BPF side only):
 * Ethernet with up to two VLAN tags, IPv4 (any header length) or IPv6
 * (no extension headers walked), TCP or UDP ports.  Every read is checked
 * against data_end first: the verifier insists, and the packet is the
 * network's.  A non-first IPv4 fragment has no ports (has_ports = 0).
 */
#ifndef FERRY_EBPF_PARSE_H
#define FERRY_EBPF_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define PARSE_IP_OFFMASK 0x1fff
#define PARSE_MAX_VLANS 2

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

/* What the programs decide on. */
struct pkt {
	__u8 family; /* 2 (IPv4) or 10 (IPv6) */
	__u8 proto; /* L4 protocol */
	__u8 vlans; /* VLAN tags before the IP header */
	__u8 has_ports; /* TCP/UDP header present (not a later fragment) */
	__u8 src[16], dst[16]; /* IPv4 in the first 4 bytes, the rest zero */
	__u16 sport, dport; /* host order */
	void *l4; /* the L4 header, inside the packet when has_ports */
	__u32 len; /* frame length */
};

static __always_inline int parse_ports(struct pkt *p, void *l4, void *end)
{
	struct udphdr *u = l4; /* TCP's ports sit where UDP's do */

	if (p->proto != IPPROTO_UDP && p->proto != IPPROTO_TCP)
		return 0;
	if ((void *)(u + 1) > end)
		return -1;
	p->sport = bpf_ntohs(u->source);
	p->dport = bpf_ntohs(u->dest);
	p->l4 = l4;
	p->has_ports = 1;
	return 0;
}

static __always_inline int parse_ipv4(struct pkt *p, void *l3, void *end)
{
	struct iphdr *ip = l3;
	__u32 ihl;

	if ((void *)(ip + 1) > end || ip->version != 4)
		return -1;
	ihl = ip->ihl * 4;
	if (ihl < sizeof(*ip) || l3 + ihl > end)
		return -1;
	p->family = 2;
	p->proto = ip->protocol;
	__builtin_memcpy(p->src, &ip->saddr, 4);
	__builtin_memcpy(p->dst, &ip->daddr, 4);
	if (ip->frag_off & bpf_htons(PARSE_IP_OFFMASK))
		return 0; /* a later fragment: no L4 header here */
	return parse_ports(p, l3 + ihl, end);
}

static __always_inline int parse_ipv6(struct pkt *p, void *l3, void *end)
{
	struct ipv6hdr *ip = l3;

	if ((void *)(ip + 1) > end || ip->version != 6)
		return -1;
	p->family = 10;
	p->proto = ip->nexthdr;
	__builtin_memcpy(p->src, &ip->saddr, 16);
	__builtin_memcpy(p->dst, &ip->daddr, 16);
	return parse_ports(p, ip + 1, end);
}

/* 0 with @p filled for an IP packet; -1 for anything else or a truncated header. */
static __always_inline int parse_pkt(struct xdp_md *ctx, struct pkt *p)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	void *l3 = eth + 1;
	__u16 proto;

	__builtin_memset(p, 0, sizeof(*p));
	p->len = (__u32)(end - data);
	if (l3 > end)
		return -1;
	proto = eth->h_proto;
	for (int i = 0; i < PARSE_MAX_VLANS; i++) {
		struct vlan_hdr *v = l3;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(v + 1) > end)
			return -1;
		proto = v->proto;
		l3 = v + 1;
		p->vlans++;
	}
	if (proto == bpf_htons(ETH_P_IP))
		return parse_ipv4(p, l3, end);
	if (proto == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(p, l3, end);
	return -1;
}

#endif
