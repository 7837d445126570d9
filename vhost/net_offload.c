/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_offload.c - translation between the virtio-net header's checksum
 * fields (virtio 1.2, 5.1.6.2 and 5.1.6.4) and DPDK mbuf offload flags, for
 * net_dequeue.c (guest -> mbuf) and net_enqueue.c (mbuf -> guest).
 *
 * Security model: on transmit the header and the frame come from the guest
 * and are hostile; csum_start/csum_offset are range-checked against the
 * frame before anything is read or written through them, and headers are
 * parsed from private copies (rte_pktmbuf_read into locals).
 *
 * Mapping: a partial checksum the guest left for us (NEEDS_CSUM) becomes
 * RTE_MBUF_F_TX_*_CKSUM with l2/l3/l4 lengths when it sits exactly where a
 * plain IPv4/IPv6 TCP or UDP checksum sits; the checksum field then holds
 * the pseudo-header sum, which is both what Linux guests put there and
 * what DPDK ports expect with those flags.  Any other layout is completed
 * in software right away, like Linux's skb_checksum_help().
 *
 * TSO (virtio 1.2, 5.1.6.2.1): a GSO request is only taken on a plain
 * TCP/IPv4 or TCP/IPv6 layout with its checksum pending, a non-zero
 * gso_size, a hdr_len inside the frame and a bounded segment count; it
 * becomes RTE_MBUF_F_TX_TCP_SEG with tso_segsz.  Its checksum field is
 * rewritten to the pseudo-header sum over the frame's whole L4 length, the
 * value Linux keeps there, so a receiver and the switch's segmentation
 * (vswitch/gso.c) both know what they start from.
 */
#include <errno.h>

#include "vhost/net_priv.h"

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include <netinet/in.h>

/* Checksum field offsets inside the L4 header (virtio 1.2, 5.1.6.2). */
#define TCP_CSUM_OFF 16
#define UDP_CSUM_OFF 6

/* What the L2/L3 headers of a frame say about its checksum layout. */
struct l3_info {
	uint32_t l2_len; /* Ethernet (+ one VLAN tag) */
	uint32_t l3_len; /* IP header */
	uint8_t proto; /* L4 protocol */
	uint64_t ol_flags; /* RTE_MBUF_F_TX_IPV4 or _IPV6 */
};

static int parse_l2(const struct rte_mbuf *m, struct l3_info *li, uint16_t *type)
{
	struct rte_ether_hdr eh_buf;
	struct rte_vlan_hdr vh_buf;
	const struct rte_ether_hdr *eh;
	const struct rte_vlan_hdr *vh;

	eh = rte_pktmbuf_read(m, 0, sizeof(*eh), &eh_buf);
	if (!eh)
		return -EINVAL;
	li->l2_len = sizeof(*eh);
	*type = eh->ether_type;
	if (*type != rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN))
		return 0;
	vh = rte_pktmbuf_read(m, li->l2_len, sizeof(*vh), &vh_buf);
	if (!vh)
		return -EINVAL;
	li->l2_len += sizeof(*vh);
	*type = vh->eth_proto;
	return 0;
}

static int parse_l3(const struct rte_mbuf *m, struct l3_info *li)
{
	struct rte_ipv4_hdr ip4_buf;
	struct rte_ipv6_hdr ip6_buf;
	const struct rte_ipv4_hdr *ip4;
	const struct rte_ipv6_hdr *ip6;
	uint16_t type;

	if (parse_l2(m, li, &type))
		return -EINVAL;
	if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
		ip4 = rte_pktmbuf_read(m, li->l2_len, sizeof(*ip4), &ip4_buf);
		if (!ip4 || (ip4->version_ihl >> 4) != 4)
			return -EINVAL;
		/* A fragment's L4 header may be elsewhere: not a layout a port can offload. */
		if (ip4->fragment_offset &
		    rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG))
			return -EINVAL;
		li->l3_len = (ip4->version_ihl & 0xf) * 4u;
		li->proto = ip4->next_proto_id;
		li->ol_flags = RTE_MBUF_F_TX_IPV4;
		return li->l3_len >= sizeof(*ip4) ? 0 : -EINVAL;
	}
	if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6)) {
		ip6 = rte_pktmbuf_read(m, li->l2_len, sizeof(*ip6), &ip6_buf);
		if (!ip6)
			return -EINVAL;
		/* Extension headers are left to the software path. */
		li->l3_len = sizeof(*ip6);
		li->proto = ip6->proto;
		li->ol_flags = RTE_MBUF_F_TX_IPV6;
		return 0;
	}
	return -EINVAL;
}

/* Turn the guest's partial checksum into mbuf flags; -EINVAL when the layout is unusual. */
static int offload_map_l4(struct rte_mbuf *m, uint32_t start, uint32_t off)
{
	struct rte_tcp_hdr th_buf;
	const struct rte_tcp_hdr *th;
	struct l3_info li;
	uint32_t l4_len;
	uint64_t l4_flag;

	if (parse_l3(m, &li) || start != li.l2_len + li.l3_len)
		return -EINVAL;
	if (li.proto == IPPROTO_TCP && off == TCP_CSUM_OFF) {
		th = rte_pktmbuf_read(m, start, sizeof(*th), &th_buf);
		if (!th)
			return -EINVAL;
		l4_len = (th->data_off >> 4) * 4u;
		l4_flag = RTE_MBUF_F_TX_TCP_CKSUM;
		if (l4_len < sizeof(*th))
			return -EINVAL;
	} else if (li.proto == IPPROTO_UDP && off == UDP_CSUM_OFF) {
		l4_len = sizeof(struct rte_udp_hdr);
		l4_flag = RTE_MBUF_F_TX_UDP_CKSUM;
	} else {
		return -EINVAL;
	}
	if (start + l4_len > m->pkt_len)
		return -EINVAL;
	m->l2_len = li.l2_len;
	m->l3_len = li.l3_len;
	m->l4_len = l4_len;
	m->ol_flags |= li.ol_flags | l4_flag;
	return 0;
}

uint16_t vnet_csum_mbuf(const struct rte_mbuf *m, uint32_t start)
{
	uint16_t sum = 0;

	if (rte_raw_cksum_mbuf(m, start, m->pkt_len - start, &sum))
		return 0xffff;
	sum = (uint16_t)~sum;
	/* As skb_checksum_help(): a computed 0 goes out as 0xffff, which UDP needs and TCP accepts. */
	return sum ? sum : 0xffff;
}

/* Store @len bytes at offset @off of a (possibly segmented) mbuf; the range was checked. */
static void mbuf_write(struct rte_mbuf *m, uint32_t off, const void *src, uint32_t len)
{
	const uint8_t *p = src;
	struct rte_mbuf *seg;

	for (seg = m; seg && len > 0; seg = seg->next) {
		uint32_t n;

		if (off >= seg->data_len) {
			off -= seg->data_len;
			continue;
		}
		n = MIN(len, (uint32_t)seg->data_len - off);
		memcpy(rte_pktmbuf_mtod_offset(seg, uint8_t *, off), p, n);
		p += n;
		len -= n;
		off = 0;
	}
}

/* The pseudo-header sum (RFC 793, RFC 8200 8.1) of a TCP segment of @l4_len bytes. */
static int tcp_phdr_sum(const struct rte_mbuf *m, uint32_t l4_len, uint16_t *sum)
{
	struct {
		uint8_t addr[32];
		rte_be32_t len;
		rte_be32_t proto;
	} ph = { .len = rte_cpu_to_be_32(l4_len), .proto = rte_cpu_to_be_32(IPPROTO_TCP) };
	bool v4 = m->ol_flags & RTE_MBUF_F_TX_IPV4;
	uint32_t alen = v4 ? 8 : 32;
	/* Both address pairs end where the IP header's fixed part ends. */
	const void *a = rte_pktmbuf_read(m, m->l2_len + (v4 ? 12 : 8), alen, ph.addr);

	if (!a)
		return -EINVAL;
	if (a != ph.addr)
		memcpy(ph.addr, a, alen);
	if (v4) {
		/* RFC 793: 32 bits of addresses each, then zero, protocol and a 16-bit length. */
		if (l4_len > UINT16_MAX)
			return -EINVAL;
		memset(ph.addr + 8, 0, sizeof(ph.addr) - 8);
	}
	*sum = rte_raw_cksum(&ph, sizeof(ph));
	return 0;
}

unsigned int vnet_tso_kind(const struct rte_mbuf *m)
{
	if (!(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG))
		return 0;
	return (m->ol_flags & RTE_MBUF_F_TX_IPV6) ? VNET_TSO6 : VNET_TSO4;
}

/*
 * A GSO request (after offload_map_l4 mapped its checksum): 0 with the TSO
 * flags set, or -EINVAL for metadata that cannot be trusted.
 */
static int offload_gso(const struct virtio_net_hdr_v1 *h, struct rte_mbuf *m, unsigned int kind)
{
	uint32_t hdrs = (uint32_t)m->l2_len + m->l3_len + m->l4_len, payload;
	uint16_t sum;

	if ((m->ol_flags & RTE_MBUF_F_TX_L4_MASK) != RTE_MBUF_F_TX_TCP_CKSUM ||
	    !(m->ol_flags & (kind == VNET_TSO4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6)))
		return -EINVAL;
	if (h->gso_size == 0 || h->hdr_len > m->pkt_len || hdrs > m->pkt_len)
		return -EINVAL;
	payload = m->pkt_len - hdrs;
	/* One segment or none: a plain frame with its checksum pending. */
	if (payload <= h->gso_size)
		return 0;
	if ((payload + h->gso_size - 1u) / h->gso_size > VNET_GSO_MAX_SEGS)
		return -EINVAL;
	if (tcp_phdr_sum(m, m->pkt_len - m->l2_len - m->l3_len, &sum))
		return -EINVAL;
	mbuf_write(m, (uint32_t)m->l2_len + m->l3_len + TCP_CSUM_OFF, &sum, sizeof(sum));
	m->tso_segsz = h->gso_size;
	m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG;
	return 0;
}

/* The VNET_TSO4/6 a header's gso_type asks for; 0 for anything Ferry does not offer. */
static unsigned int gso_kind(uint8_t gso_type)
{
	if (gso_type == VIRTIO_NET_HDR_GSO_TCPV4)
		return VNET_TSO4;
	if (gso_type == VIRTIO_NET_HDR_GSO_TCPV6)
		return VNET_TSO6;
	return 0; /* UDP, UFO, USO and the ECN bit: never offered */
}

int vnet_offload_from_hdr(const struct virtio_net_hdr_v1 *h, struct rte_mbuf *m,
			  struct vnet_tx_offloads ok)
{
	uint32_t start = h->csum_start, off = h->csum_offset;
	unsigned int kind = 0;
	uint16_t sum;

	if (h->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		/* virtio 1.2, 5.1.6.2.1: a GSO frame has its checksum pending too. */
		kind = gso_kind(h->gso_type);
		if (!(kind & ok.tso) || !(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
			return -EINVAL;
	}
	/* virtio 1.2, 5.1.6.2.2: the device ignores flags it does not know (DATA_VALID here). */
	if (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return 0;
	if (!ok.csum || start + off + 2 > m->pkt_len)
		return -EINVAL;
	if (kind)
		return offload_map_l4(m, start, off) ? -EINVAL : offload_gso(h, m, kind);
	if (offload_map_l4(m, start, off) == 0)
		return 0;
	sum = vnet_csum_mbuf(m, start);
	mbuf_write(m, start + off, &sum, sizeof(sum));
	return 0;
}

void vnet_offload_to_hdr(const struct rte_mbuf *m, bool guest_csum, struct virtio_net_hdr_v1 *h,
			 struct vnet_csum_fixup *fix)
{
	uint64_t l4 = m->ol_flags & RTE_MBUF_F_TX_L4_MASK;
	uint32_t start = (uint32_t)m->l2_len + m->l3_len, off;
	unsigned int tso = vnet_tso_kind(m);

	fix->needed = false;
	if (tso) {
		/* net_enqueue.c took it only for a driver with GUEST_TSO4/6 and GUEST_CSUM. */
		h->gso_type = tso == VNET_TSO4 ? VIRTIO_NET_HDR_GSO_TCPV4 :
						 VIRTIO_NET_HDR_GSO_TCPV6;
		h->gso_size = m->tso_segsz;
		h->hdr_len = (uint16_t)(start + m->l4_len);
		h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h->csum_start = (uint16_t)start;
		h->csum_offset = TCP_CSUM_OFF;
		return;
	}
	if (l4 == RTE_MBUF_F_TX_TCP_CKSUM || l4 == RTE_MBUF_F_TX_UDP_CKSUM) {
		off = l4 == RTE_MBUF_F_TX_TCP_CKSUM ? TCP_CSUM_OFF : UDP_CSUM_OFF;
		if (start + off + 2 > m->pkt_len)
			return; /* inconsistent metadata: deliver the bytes as they are */
		if (guest_csum) {
			/* virtio 1.2, 5.1.6.4.1: the driver completes it. */
			h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
			h->csum_start = start;
			h->csum_offset = off;
		} else {
			fix->needed = true;
			fix->start = start;
			fix->offset = start + off;
		}
		return;
	}
	if (guest_csum &&
	    (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		h->flags = VIRTIO_NET_HDR_F_DATA_VALID;
}
