/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gso.c - software offloads for outputs that lack them (forward.c, and the
 * overlay before it encapsulates): a pending L4 checksum is completed, and
 * a TSO frame (RTE_MBUF_F_TX_TCP_SEG, from a guest with HOST_TSO4/6) is cut
 * into TCP segments of tso_segsz payload bytes, as Linux's tcp_gso_segment()
 * does for a device without TSO.
 *
 * Why not DPDK's rte_gso: it leaves every checksum to the caller, does no
 * TCP over IPv6 in DPDK 22.11 (Debian 12's), and hands out two-segment
 * mbufs whose payload stays attached to the input; here each segment is a
 * private copy, so the input can be freed at once and an output port may
 * write into what it is given.
 *
 * The frames come from guests: the layout was checked when the frame was
 * taken (vhost/net_offload.c), but every length is checked again against
 * the mbuf before it is used, so a frame whose metadata does not fit is
 * dropped rather than read out of bounds.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "vswitch/private.h"

/* Checksum field offsets inside TCP and UDP headers. */
#define TCP_CSUM_OFF 16
#define UDP_CSUM_OFF 6
/* TCP flags a segment other than the last (FIN, PSH) or the first (CWR) must not carry. */
#define TCP_LAST_ONLY (RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG)
#define TCP_FIRST_ONLY RTE_TCP_CWR_FLAG

/* Store @len bytes at offset @off of an mbuf chain that holds them. */
static void gso_write(struct rte_mbuf *m, uint32_t off, const void *src, uint32_t len)
{
	const uint8_t *p = src;

	for (; m && len; m = m->next) {
		uint32_t n;

		if (off >= m->data_len) {
			off -= m->data_len;
			continue;
		}
		n = RTE_MIN(len, (uint32_t)m->data_len - off);
		memcpy(rte_pktmbuf_mtod_offset(m, uint8_t *, off), p, n);
		p += n;
		len -= n;
		off = 0;
	}
}

/*
 * Finish the L4 checksum whose field holds the pseudo-header sum: the sum
 * from the L4 header to the end, complemented (RFC 1071).
 */
static int gso_finish_l4(struct rte_mbuf *m, uint32_t start, uint32_t field, bool udp)
{
	uint16_t sum;

	if (field + 2 > m->pkt_len || rte_raw_cksum_mbuf(m, start, m->pkt_len - start, &sum))
		return -EINVAL;
	sum = (uint16_t)~sum;
	if (sum == 0 && udp)
		sum = 0xffff; /* RFC 768: zero means "no checksum" */
	gso_write(m, field, &sum, sizeof(sum));
	return 0;
}

int vsw_sw_csum(struct rte_mbuf **pm, struct rte_mempool *mp)
{
	struct rte_mbuf *m = *pm, *seg, *c;
	uint64_t l4 = m->ol_flags & RTE_MBUF_F_TX_L4_MASK;
	uint32_t start = (uint32_t)m->l2_len + m->l3_len;
	bool shared = false;

	if (l4 != RTE_MBUF_F_TX_TCP_CKSUM && l4 != RTE_MBUF_F_TX_UDP_CKSUM)
		return 0;
	/* Flooded frames are shared (forward.c): write into a copy of our own. */
	for (seg = m; seg; seg = seg->next)
		shared |= rte_mbuf_refcnt_read(seg) > 1 || !RTE_MBUF_DIRECT(seg);
	if (shared) {
		c = rte_pktmbuf_copy(m, mp, 0, UINT32_MAX);
		if (!c)
			return -ENOMEM;
		rte_pktmbuf_free(m);
		*pm = m = c;
	}
	m->ol_flags &= ~RTE_MBUF_F_TX_L4_MASK;
	return gso_finish_l4(m, start,
			     start + (l4 == RTE_MBUF_F_TX_TCP_CKSUM ? TCP_CSUM_OFF : UDP_CSUM_OFF),
			     l4 == RTE_MBUF_F_TX_UDP_CKSUM);
}

/* Append @len bytes of @src from offset @off to @seg, chaining mbufs from @mp as needed. */
static int gso_append(struct rte_mbuf *seg, const struct rte_mbuf *src, uint32_t off, uint32_t len,
		      struct rte_mempool *mp)
{
	struct rte_mbuf *cur = rte_pktmbuf_lastseg(seg), *n;
	const void *p;
	uint32_t chunk;
	uint8_t *dst;

	while (len) {
		if (rte_pktmbuf_tailroom(cur) == 0) {
			n = rte_pktmbuf_alloc(mp);
			if (!n || rte_pktmbuf_tailroom(n) == 0 || rte_pktmbuf_chain(seg, n)) {
				rte_pktmbuf_free(n);
				return -ENOMEM;
			}
			cur = n;
		}
		chunk = RTE_MIN(len, (uint32_t)rte_pktmbuf_tailroom(cur));
		dst = rte_pktmbuf_mtod_offset(cur, uint8_t *, cur->data_len);
		p = rte_pktmbuf_read(src, off, chunk, dst);
		if (!p)
			return -EINVAL;
		if (p != dst)
			memcpy(dst, p, chunk);
		cur->data_len = (uint16_t)(cur->data_len + chunk);
		seg->pkt_len += chunk;
		off += chunk;
		len -= chunk;
	}
	return 0;
}

/* What every segment shares: the input's headers and where their fields are. */
struct gso_frame {
	const struct rte_mbuf *m;
	uint8_t hdr[VSW_GSO_MAX_HDR]; /* Ethernet, IP and TCP headers of the input */
	uint32_t l2, l3, hlen; /* header lengths; hlen = all three */
	uint32_t payload, mss;
	bool v4;
	bool csum_pending; /* leave the TCP checksum to the output (TX_TCP_CKSUM) */
};

/*
 * The TCP pseudo-header sum (RFC 793, RFC 8200 8.1) for @l4len bytes after
 * the IP header at @ip.  Ours rather than rte_ipv6_phdr_cksum(), whose
 * shift of the next-header byte overflows an int from 128 up (UBSan, found
 * by fuzz_gso); the protocol is TCP whatever the header says.
 */
static uint16_t gso_phdr(const uint8_t *ip, bool v4, uint32_t l4len)
{
	struct {
		uint8_t addr[32];
		rte_be32_t len;
		rte_be32_t proto;
	} ph = { .len = rte_cpu_to_be_32(l4len), .proto = rte_cpu_to_be_32(IPPROTO_TCP) };

	/* IPv4's 12-byte layout sums the same as this one with its addresses zero-padded. */
	memset(ph.addr, 0, sizeof(ph.addr));
	memcpy(ph.addr, ip + (v4 ? 12 : 8), v4 ? 8 : 32);
	return rte_raw_cksum(&ph, sizeof(ph));
}

/* Patch the copied headers of segment @i carrying @plen payload bytes. */
static void gso_fix_headers(const struct gso_frame *f, uint8_t *h, uint32_t i, uint32_t plen)
{
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(h + f->l2 + f->l3);
	uint32_t l4len = f->hlen - f->l2 - f->l3 + plen;
	uint32_t nseg = (f->payload + f->mss - 1) / f->mss;

	if (f->v4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(h + f->l2);

		ip->total_length = rte_cpu_to_be_16((uint16_t)(f->l3 + l4len));
		/* Each segment its own IP ID, counting on from the first (Linux's default). */
		ip->packet_id = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(ip->packet_id) + i));
		ip->hdr_checksum = 0;
		/* Over the L3 length we were given, not the header's own IHL. */
		ip->hdr_checksum = (uint16_t)~rte_raw_cksum(ip, f->l3);
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(h + f->l2);

		ip6->payload_len = rte_cpu_to_be_16((uint16_t)l4len);
	}
	th->cksum = gso_phdr(h + f->l2, f->v4, l4len);
	th->sent_seq = rte_cpu_to_be_32(rte_be_to_cpu_32(th->sent_seq) + i * f->mss);
	if (i + 1 < nseg)
		th->tcp_flags &= (uint8_t)~TCP_LAST_ONLY;
	if (i > 0)
		th->tcp_flags &= (uint8_t)~TCP_FIRST_ONLY;
}

/* Build segment @i; NULL when out of mbufs. */
static struct rte_mbuf *gso_one(const struct gso_frame *f, uint32_t i, struct rte_mempool *mp)
{
	uint32_t plen = RTE_MIN(f->mss, f->payload - i * f->mss);
	struct rte_mbuf *s = rte_pktmbuf_alloc(mp);
	uint8_t *h = s ? (uint8_t *)rte_pktmbuf_append(s, (uint16_t)f->hlen) : NULL;

	if (!h)
		goto err;
	memcpy(h, f->hdr, f->hlen);
	gso_fix_headers(f, h, i, plen);
	if (gso_append(s, f->m, f->hlen + i * f->mss, plen, mp))
		goto err;
	s->l2_len = f->l2;
	s->l3_len = f->l3;
	s->l4_len = f->hlen - f->l2 - f->l3;
	s->ol_flags = f->v4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6;
	if (f->csum_pending)
		s->ol_flags |= RTE_MBUF_F_TX_TCP_CKSUM;
	else if (gso_finish_l4(s, f->l2 + f->l3, f->l2 + f->l3 + TCP_CSUM_OFF, false))
		goto err;
	return s;

err:
	rte_pktmbuf_free(s);
	return NULL;
}

int vsw_gso_segment(const struct rte_mbuf *m, struct rte_mempool *mp, bool csum_pending,
		    struct rte_mbuf **out, uint16_t cap)
{
	struct gso_frame f = { .m = m, .l2 = m->l2_len, .l3 = m->l3_len, .mss = m->tso_segsz };
	const void *p;
	uint32_t n, i;

	f.hlen = f.l2 + f.l3 + m->l4_len;
	f.v4 = !(m->ol_flags & RTE_MBUF_F_TX_IPV6);
	f.csum_pending = csum_pending;
	if (!(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG) || f.mss == 0 || f.hlen > sizeof(f.hdr) ||
	    f.hlen >= m->pkt_len || m->l4_len < sizeof(struct rte_tcp_hdr) ||
	    f.l3 < (f.v4 ? sizeof(struct rte_ipv4_hdr) : sizeof(struct rte_ipv6_hdr)))
		return -EINVAL;
	f.payload = m->pkt_len - f.hlen;
	n = (f.payload + f.mss - 1) / f.mss;
	if (n > cap)
		return -E2BIG;
	p = rte_pktmbuf_read(m, 0, f.hlen, f.hdr);
	if (!p)
		return -EINVAL;
	if (p != f.hdr)
		memcpy(f.hdr, p, f.hlen);
	for (i = 0; i < n; i++) {
		out[i] = gso_one(&f, i, mp);
		if (!out[i]) {
			rte_pktmbuf_free_bulk(out, i);
			return -ENOMEM;
		}
	}
	return (int)n;
}
