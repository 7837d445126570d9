/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vxlan.c - VXLAN headers: the receive checks, the outer-header template
 * and the source-port hash (vxlan.h says what each accepts and why).  Fields
 * are read and written by offset, a byte at a time (rd16/wr16), since a
 * packet's headers need not be aligned in its buffer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/if_ether.h>

#include <rte_hash_crc.h>
#include <rte_ip.h>

#include "vswitch/vxlan.h"

#define IP4_MF 0x2000
#define IP4_OFFMASK 0x1fff
#define IP4_DF 0x4000
#define IPV6_HLEN 40
#define UDP_HLEN 8

static const char *const verdict_names[VXLAN_VERDICT_MAX] = {
	[VXLAN_OK] = "ok",
	[VXLAN_NOT_TUNNEL] = "not_tunnel",
	[VXLAN_TRUNCATED] = "truncated",
	[VXLAN_BAD_IP] = "bad_ip",
	[VXLAN_IP_OPTIONS] = "ip_options",
	[VXLAN_FRAGMENT] = "fragment",
	[VXLAN_BAD_IP_CSUM] = "bad_ip_csum",
	[VXLAN_BAD_UDP] = "bad_udp",
	[VXLAN_BAD_UDP_CSUM] = "bad_udp_csum",
	[VXLAN_BAD_FLAGS] = "bad_flags",
	[VXLAN_BAD_SRC] = "bad_src",
	[VXLAN_INNER_RUNT] = "inner_runt",
};

const char *vxlan_verdict_name(enum vxlan_verdict v)
{
	return (unsigned int)v < VXLAN_VERDICT_MAX ? verdict_names[v] : "?";
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Fold a 32-bit one's-complement sum to 16 bits. */
static uint16_t csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* A remote VTEP must be one unicast host, and not us. */
static bool src_ok(const struct vsw_addr *src, const struct vsw_addr *local)
{
	static const uint8_t zero[16];
	const uint8_t *a = src->a;

	if (memcmp(src, local, sizeof(*src)) == 0)
		return false;
	if (src->family == AF_INET)
		return a[0] != 0 && a[0] < 224 && memcmp(a, "\xff\xff\xff\xff", 4) != 0;
	return a[0] != 0xff && memcmp(a, zero, 16) != 0;
}

/* The UDP and VXLAN headers at @off; @udp_len is what the IP header left for UDP. */
static enum vxlan_verdict parse_udp(const uint8_t *pkt, uint32_t off, uint32_t udp_len,
				    const struct vxlan_local *local, struct vxlan_rx *rx)
{
	const uint8_t *u = pkt + off, *vx = u + UDP_HLEN;
	uint32_t ulen;

	if (udp_len < UDP_HLEN)
		return VXLAN_BAD_UDP;
	if (rd16(u + 2) != local->port)
		return VXLAN_NOT_TUNNEL;
	ulen = rd16(u + 4);
	if (ulen != udp_len)
		return VXLAN_BAD_UDP;
	rx->sport = rd16(u);
	if (local->plain) {
		rx->vni = 0;
		rx->inner_off = off + UDP_HLEN;
		rx->inner_len = ulen - UDP_HLEN;
		return VXLAN_OK;
	}
	if (ulen < UDP_HLEN + VXLAN_HLEN)
		return VXLAN_TRUNCATED;
	/* RFC 7348 5: I must be set; Linux drops reserved bits it does not know, so do we. */
	if (vx[0] != VXLAN_FLAG_I || vx[1] || vx[2] || vx[3] || vx[7])
		return VXLAN_BAD_FLAGS;
	if (ulen < UDP_HLEN + VXLAN_HLEN + VXLAN_ETH_HLEN)
		return VXLAN_INNER_RUNT;
	rx->vni = rd32(vx + 4) >> 8;
	rx->inner_off = off + UDP_HLEN + VXLAN_HLEN;
	rx->inner_len = ulen - UDP_HLEN - VXLAN_HLEN;
	return VXLAN_OK;
}

/* One's-complement sum of the pseudo-header (RFC 768, RFC 8200 8.1) and the UDP bytes. */
static bool udp_sum_ok(const uint8_t *pkt, uint32_t off, uint32_t ulen, const struct vsw_addr *src,
		       const struct vsw_addr *dst)
{
	uint32_t alen = src->family == AF_INET ? 4 : 16, sum;

	sum = rte_raw_cksum(src->a, alen) + rte_raw_cksum(dst->a, alen);
	sum += rte_cpu_to_be_16(IPPROTO_UDP) + rte_cpu_to_be_16((uint16_t)ulen);
	if (src->family == AF_INET6)
		sum += rte_cpu_to_be_16((uint16_t)(ulen >> 16));
	sum += rte_raw_cksum(pkt + off, ulen);
	return csum_fold(sum) == 0xffff;
}

static enum vxlan_verdict parse_ipv4(const uint8_t *pkt, uint32_t len,
				     const struct vxlan_local *local, struct vxlan_rx *rx)
{
	const uint8_t *ip = pkt + VXLAN_ETH_HLEN;
	uint32_t ihl, tot, frag;
	enum vxlan_verdict v;

	if (len < VXLAN_ETH_HLEN + 20)
		return VXLAN_TRUNCATED;
	if (ip[0] >> 4 != 4)
		return VXLAN_BAD_IP;
	if (local->addr.family != AF_INET || memcmp(ip + 16, local->addr.a, 4) != 0 ||
	    ip[9] != IPPROTO_UDP)
		return VXLAN_NOT_TUNNEL;
	ihl = (uint32_t)(ip[0] & 0xf) * 4;
	tot = rd16(ip + 2);
	if (ihl < 20 || tot < ihl || tot > len - VXLAN_ETH_HLEN)
		return ihl < 20 || tot < ihl ? VXLAN_BAD_IP : VXLAN_TRUNCATED;
	frag = rd16(ip + 6);
	/* The host's own UDP (a DPDK uplink sees it all) is not ours to count. */
	if (!(frag & IP4_OFFMASK) && tot - ihl >= UDP_HLEN && rd16(ip + ihl + 2) != local->port)
		return VXLAN_NOT_TUNNEL;
	if (frag & (IP4_MF | IP4_OFFMASK))
		return VXLAN_FRAGMENT;
	if (ihl != 20)
		return VXLAN_IP_OPTIONS;
	if (csum_fold(rte_raw_cksum(ip, 20)) != 0xffff)
		return VXLAN_BAD_IP_CSUM;
	memset(&rx->src, 0, sizeof(rx->src));
	rx->src.family = AF_INET;
	memcpy(rx->src.a, ip + 12, 4);
	if (!src_ok(&rx->src, &local->addr))
		return VXLAN_BAD_SRC;
	v = parse_udp(pkt, VXLAN_ETH_HLEN + 20, tot - 20, local, rx);
	if (v != VXLAN_OK)
		return v;
	/* A zero UDP checksum over IPv4 means "none" (RFC 768); else it must be right. */
	if (rd16(ip + 20 + 6) != 0 &&
	    !udp_sum_ok(pkt, VXLAN_ETH_HLEN + 20, tot - 20, &rx->src, &local->addr))
		return VXLAN_BAD_UDP_CSUM;
	return VXLAN_OK;
}

static enum vxlan_verdict parse_ipv6(const uint8_t *pkt, uint32_t len,
				     const struct vxlan_local *local, struct vxlan_rx *rx)
{
	const uint8_t *ip = pkt + VXLAN_ETH_HLEN;
	uint32_t plen;
	enum vxlan_verdict v;

	if (len < VXLAN_ETH_HLEN + IPV6_HLEN)
		return VXLAN_TRUNCATED;
	if (ip[0] >> 4 != 6)
		return VXLAN_BAD_IP;
	if (local->addr.family != AF_INET6 || memcmp(ip + 24, local->addr.a, 16) != 0)
		return VXLAN_NOT_TUNNEL;
	if (ip[6] == 44 /* fragment header */)
		return VXLAN_FRAGMENT;
	if (ip[6] == 0 || ip[6] == 43 || ip[6] == 60)
		return VXLAN_IP_OPTIONS; /* hop-by-hop, routing, destination options */
	if (ip[6] != IPPROTO_UDP)
		return VXLAN_NOT_TUNNEL;
	plen = rd16(ip + 4);
	if (plen > len - VXLAN_ETH_HLEN - IPV6_HLEN)
		return VXLAN_TRUNCATED;
	memset(&rx->src, 0, sizeof(rx->src));
	rx->src.family = AF_INET6;
	memcpy(rx->src.a, ip + 8, 16);
	if (plen >= UDP_HLEN && rd16(ip + IPV6_HLEN + 2) != local->port)
		return VXLAN_NOT_TUNNEL;
	if (!src_ok(&rx->src, &local->addr))
		return VXLAN_BAD_SRC;
	v = parse_udp(pkt, VXLAN_ETH_HLEN + IPV6_HLEN, plen, local, rx);
	if (v != VXLAN_OK)
		return v;
	if (rd16(ip + IPV6_HLEN + 6) == 0 ||
	    !udp_sum_ok(pkt, VXLAN_ETH_HLEN + IPV6_HLEN, plen, &rx->src, &local->addr))
		return VXLAN_BAD_UDP_CSUM;
	return VXLAN_OK;
}

enum vxlan_verdict vxlan_parse(const uint8_t *pkt, uint32_t len, const struct vxlan_local *local,
			       struct vxlan_rx *rx)
{
	uint16_t type;

	if (len < VXLAN_ETH_HLEN)
		return VXLAN_TRUNCATED;
	type = rd16(pkt + 12);
	if (type == ETH_P_IP)
		return parse_ipv4(pkt, len, local, rx);
	if (type == ETH_P_IPV6)
		return parse_ipv6(pkt, len, local, rx);
	return VXLAN_NOT_TUNNEL;
}

static void tmpl_ipv4(struct vxlan_tmpl *t, const struct vxlan_tmpl_params *p)
{
	uint8_t *ip = t->hdr + VXLAN_ETH_HLEN;

	ip[0] = 0x45;
	wr16(ip + 6, p->df ? IP4_DF : 0);
	ip[8] = p->ttl;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, p->src.a, 4);
	memcpy(ip + 16, p->dst.a, 4);
	/* Length and checksum are zero here: the PMD adds the length to this sum. */
	t->ip_sum = rte_raw_cksum(ip, 20);
	t->len = VXLAN_OVERHEAD_V4;
	t->udp_csum = p->udp_csum;
}

static void tmpl_ipv6(struct vxlan_tmpl *t, const struct vxlan_tmpl_params *p)
{
	uint8_t *ip = t->hdr + VXLAN_ETH_HLEN;

	ip[0] = 0x60;
	ip[6] = IPPROTO_UDP;
	ip[7] = p->ttl;
	memcpy(ip + 8, p->src.a, 16);
	memcpy(ip + 24, p->dst.a, 16);
	t->len = VXLAN_OVERHEAD_V6;
	t->udp_csum = true; /* RFC 8200 8.1: zero is not allowed for UDP over IPv6 */
}

int vxlan_tmpl_init(struct vxlan_tmpl *t, const struct vxlan_tmpl_params *p)
{
	uint8_t *vx;

	if (p->src.family != p->dst.family ||
	    (p->src.family != AF_INET && p->src.family != AF_INET6))
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->family = p->src.family;
	memcpy(t->hdr, p->dst_mac, 6);
	memcpy(t->hdr + 6, p->src_mac, 6);
	wr16(t->hdr + 12, t->family == AF_INET ? ETH_P_IP : ETH_P_IPV6);
	if (t->family == AF_INET)
		tmpl_ipv4(t, p);
	else
		tmpl_ipv6(t, p);
	wr16(t->hdr + t->len - VXLAN_HLEN - UDP_HLEN + 2, p->port);
	vx = t->hdr + t->len - VXLAN_HLEN;
	if (p->plain) {
		/* Just as long as far as UDP: what would have been VXLAN is not copied. */
		t->plain = true;
		t->len -= VXLAN_HLEN;
		wr16(vx - UDP_HLEN, p->sport);
		return 0;
	}
	vx[0] = VXLAN_FLAG_I;
	return 0;
}

/* Copy @t and fill the IP lengths (and IPv4 checksum) for @ulen bytes of UDP. */
static void tmpl_write_ip(const struct vxlan_tmpl *t, uint8_t *out, uint32_t ulen)
{
	uint8_t *ip = out + VXLAN_ETH_HLEN;
	uint32_t tot;
	uint16_t c;

	memcpy(out, t->hdr, t->len);
	if (t->family == AF_INET) {
		tot = 20 + ulen;
		wr16(ip + 2, (uint16_t)tot);
		/*
		 * The template's sum plus the length field, complemented (RFC 1071).
		 * Sums are of words read in host order, so the result is stored so too.
		 */
		c = (uint16_t)~csum_fold(t->ip_sum + rte_cpu_to_be_16((uint16_t)tot));
		memcpy(ip + 10, &c, sizeof(c));
	} else {
		wr16(ip + 4, (uint16_t)ulen);
	}
}

void vxlan_write(const struct vxlan_tmpl *t, uint8_t *out, uint32_t vni, uint16_t sport,
		 uint32_t inner_len)
{
	uint32_t ulen = UDP_HLEN + VXLAN_HLEN + inner_len;
	uint8_t *u = out + t->len - VXLAN_HLEN - UDP_HLEN;

	tmpl_write_ip(t, out, ulen);
	wr16(u, sport);
	wr16(u + 4, (uint16_t)ulen);
	u[8 + 4] = (uint8_t)(vni >> 16);
	u[8 + 5] = (uint8_t)(vni >> 8);
	u[8 + 6] = (uint8_t)vni;
}

void udp_tmpl_write(const struct vxlan_tmpl *t, uint8_t *out, uint32_t len)
{
	tmpl_write_ip(t, out, UDP_HLEN + len);
	wr16(out + t->len - UDP_HLEN + 4, (uint16_t)(UDP_HLEN + len));
}

void udp_tmpl_set_dport(const struct vxlan_tmpl *t, uint8_t *out, uint16_t port)
{
	wr16(out + t->len - UDP_HLEN + 2, port);
}

void vxlan_udp_csum(const struct vxlan_tmpl *t, uint8_t *pkt, uint32_t payload_sum)
{
	uint32_t after = t->plain ? 0 : VXLAN_HLEN; /* header bytes after UDP's */
	uint8_t *ip = pkt + VXLAN_ETH_HLEN, *u = pkt + t->len - after - UDP_HLEN;
	uint32_t alen = t->family == AF_INET ? 4 : 16;
	uint8_t *src = t->family == AF_INET ? ip + 12 : ip + 8;
	uint16_t ulen = rd16(u + 4), c;
	uint32_t sum;

	u[6] = u[7] = 0;
	sum = rte_raw_cksum(src, 2 * alen); /* source and destination are adjacent */
	sum += rte_cpu_to_be_16(IPPROTO_UDP) + rte_cpu_to_be_16(ulen);
	/* UDP (and VXLAN) headers are 8 (16) bytes: the payload sum joins at an even offset. */
	sum += rte_raw_cksum(u, UDP_HLEN + after) + csum_fold(payload_sum);
	c = (uint16_t)~csum_fold(sum);
	/* RFC 768: a computed zero is sent as all ones. */
	c = c ? c : 0xffff;
	memcpy(u + 6, &c, sizeof(c));
}

/*
 * CRC32-C of @len bytes at any alignment: rte_hash_crc() loads 8 bytes at a
 * time through a uint64_t pointer, which a frame's headers need not honour.
 */
static uint32_t crc_bytes(const uint8_t *p, uint32_t len, uint32_t h)
{
	uint32_t w;

	for (; len >= 4; p += 4, len -= 4) {
		memcpy(&w, p, sizeof(w));
		h = rte_hash_crc_4byte(w, h);
	}
	for (; len; p++, len--)
		h = rte_hash_crc_1byte(*p, h);
	return h;
}

/* Inner IPv4/IPv6 addresses, protocol and ports into the hash, where present. */
static uint32_t hash_l3(const uint8_t *inner, uint32_t len, uint32_t h)
{
	const uint8_t *ip = inner + VXLAN_ETH_HLEN;
	uint16_t type = rd16(inner + 12);
	uint32_t ihl;

	if (type == ETH_P_IP && len >= VXLAN_ETH_HLEN + 20) {
		h = crc_bytes(ip + 12, 8, h);
		h = rte_hash_crc_1byte(ip[9], h);
		ihl = (uint32_t)(ip[0] & 0xf) * 4;
		if ((ip[9] == IPPROTO_TCP || ip[9] == IPPROTO_UDP) && ihl >= 20 &&
		    !(rd16(ip + 6) & (IP4_MF | IP4_OFFMASK)) && len >= VXLAN_ETH_HLEN + ihl + 4)
			h = rte_hash_crc_4byte(rd32(ip + ihl), h);
	} else if (type == ETH_P_IPV6 && len >= VXLAN_ETH_HLEN + IPV6_HLEN) {
		h = crc_bytes(ip + 8, 32, h);
		h = rte_hash_crc_1byte(ip[6], h);
		if ((ip[6] == IPPROTO_TCP || ip[6] == IPPROTO_UDP) &&
		    len >= VXLAN_ETH_HLEN + IPV6_HLEN + 4)
			h = rte_hash_crc_4byte(rd32(ip + IPV6_HLEN), h);
	}
	return h;
}

uint16_t vxlan_src_port(const uint8_t *inner, uint32_t len)
{
	uint32_t h = 0;

	if (len >= VXLAN_ETH_HLEN) {
		h = crc_bytes(inner, 14, h);
		h = hash_l3(inner, len, h);
	}
	h ^= h >> 16;
	return (uint16_t)(VXLAN_SPORT_MIN + h % (65536 - VXLAN_SPORT_MIN));
}

int vsw_addr_parse(const char *s, struct vsw_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->a) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->a) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

const char *vsw_addr_str(const struct vsw_addr *a, char *buf, size_t len)
{
	if ((a->family != AF_INET && a->family != AF_INET6) ||
	    !inet_ntop(a->family, a->a, buf, (socklen_t)len))
		snprintf(buf, len, "-");
	return buf;
}
