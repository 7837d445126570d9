/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_vxlan.c - the VXLAN wire code (vswitch/vxlan.c) on its own: packets
 * Ferry writes parse back; every malformed variant of a good packet is
 * refused with its own reason; no prefix of a packet reads past its end
 * (ASan in the sanitizer build); the source port hash stays in the dynamic
 * range and follows the inner flow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_ip.h>

#include "vswitch/vxlan.h"
#include "vsw_test.h"

#define INNER 64
#define VNI 0x123456

static const uint8_t remote_mac[6] = { 0x02, 0, 0, 0, 0, 0x22 };
static const uint8_t local_mac[6] = { 0x02, 0, 0, 0, 0, 0x11 };

/* The local end of every test: 10.0.0.1 (or 2001:db8::1), port 4789. */
static struct vxlan_local local(int family)
{
	struct vxlan_local l = { .port = VXLAN_PORT };

	l.addr = vt_addr(family == AF_INET ? "10.0.0.1" : "2001:db8::1");
	return l;
}

/* An inner frame: broadcast ARP-like bytes, deterministic. */
static void inner_frame(uint8_t *p, uint32_t len, uint8_t seed)
{
	memset(p, 0xff, 6);
	memcpy(p + 6, "\x02\x00\x00\x00\x00\x99", 6);
	p[12] = 0x08;
	p[13] = 0x06;
	for (uint32_t i = 14; i < len; i++)
		p[i] = (uint8_t)(i * 7 + seed);
}

/* A packet as the remote VTEP sends it to us: returns its length. */
static uint32_t make_pkt(uint8_t *buf, int family, bool udp_csum, uint32_t vni)
{
	struct vxlan_tmpl_params p = {
		.port = VXLAN_PORT, .ttl = 64, .df = true, .udp_csum = udp_csum
	};
	struct vxlan_tmpl t;
	uint8_t *inner;

	memcpy(p.dst_mac, local_mac, 6);
	memcpy(p.src_mac, remote_mac, 6);
	p.src = vt_addr(family == AF_INET ? "10.0.0.2" : "2001:db8::2");
	p.dst = local(family).addr;
	CU_ASSERT_EQUAL_FATAL(vxlan_tmpl_init(&t, &p), 0);
	inner = buf + t.len;
	inner_frame(inner, INNER, 1);
	vxlan_write(&t, buf, vni, vxlan_src_port(inner, INNER), INNER);
	if (t.udp_csum)
		vxlan_udp_csum(&t, buf, rte_raw_cksum(inner, INNER));
	return t.len + INNER;
}

static enum vxlan_verdict parse(const uint8_t *buf, uint32_t len, int family)
{
	struct vxlan_local l = local(family);
	struct vxlan_rx rx;

	return vxlan_parse(buf, len, &l, &rx);
}

/* Recompute the IPv4 header checksum after a test changed the header. */
static void fix_ip_csum(uint8_t *pkt)
{
	uint8_t *ip = pkt + VXLAN_ETH_HLEN;
	uint32_t ihl = (uint32_t)(ip[0] & 0xf) * 4;
	uint16_t c;

	ip[10] = ip[11] = 0;
	c = (uint16_t)~rte_raw_cksum(ip, ihl);
	memcpy(ip + 10, &c, 2);
}

static void test_roundtrip(void)
{
	static const int fams[2] = { AF_INET, AF_INET6 };
	struct vxlan_rx rx;
	uint8_t buf[256];

	for (int f = 0; f < 2; f++) {
		for (int csum = 0; csum < 2; csum++) {
			struct vxlan_local l = local(fams[f]);
			uint32_t len = make_pkt(buf, fams[f], csum, VNI);
			uint8_t want[INNER];

			CU_ASSERT_EQUAL(vxlan_parse(buf, len, &l, &rx), VXLAN_OK);
			CU_ASSERT_EQUAL(rx.vni, VNI);
			CU_ASSERT_EQUAL(rx.inner_len, INNER);
			CU_ASSERT_EQUAL(rx.inner_off,
					fams[f] == AF_INET ? VXLAN_OVERHEAD_V4 : VXLAN_OVERHEAD_V6);
			CU_ASSERT_TRUE(memcmp(&rx.src, &(struct vsw_addr){ 0 }, sizeof(rx.src)));
			inner_frame(want, INNER, 1);
			CU_ASSERT_EQUAL(memcmp(buf + rx.inner_off, want, INNER), 0);
			/* The outer header: our MACs, DF, TTL, I flag, dynamic source port. */
			CU_ASSERT_EQUAL(memcmp(buf, local_mac, 6), 0);
			if (fams[f] == AF_INET) {
				CU_ASSERT_EQUAL(buf[14 + 6] & 0x40, 0x40);
				CU_ASSERT_EQUAL(buf[14 + 8], 64);
			}
			CU_ASSERT_EQUAL(buf[rx.inner_off - 8], VXLAN_FLAG_I);
			CU_ASSERT_TRUE((buf[rx.inner_off - 16] << 8 | buf[rx.inner_off - 15]) >=
				       VXLAN_SPORT_MIN);
		}
	}
}

/* Every prefix of a good packet is refused, never read past (ASan watches). */
static void test_truncated(void)
{
	static const int fams[2] = { AF_INET, AF_INET6 };
	uint8_t buf[256], *copy;
	enum vxlan_verdict v;

	for (int f = 0; f < 2; f++) {
		uint32_t len = make_pkt(buf, fams[f], true, VNI);

		for (uint32_t n = 0; n < len; n++) {
			/* An exact-size heap copy, so one byte too far is an ASan error. */
			copy = malloc(n ? n : 1);
			memcpy(copy, buf, n);
			v = parse(copy, n, fams[f]);
			if (v == VXLAN_OK)
				fprintf(stderr, "prefix %u of %u accepted\n", n, len);
			CU_ASSERT_NOT_EQUAL(v, VXLAN_OK);
			free(copy);
		}
	}
}

static void test_padding(void)
{
	uint8_t buf[256];
	uint32_t len = make_pkt(buf, AF_INET, false, VNI);
	struct vxlan_local l = local(AF_INET);
	struct vxlan_rx rx;

	/* Link-layer padding after the IP packet is not part of the inner frame. */
	memset(buf + len, 0, 20);
	CU_ASSERT_EQUAL(vxlan_parse(buf, len + 20, &l, &rx), VXLAN_OK);
	CU_ASSERT_EQUAL(rx.inner_len, INNER);
}

static void test_flags(void)
{
	uint8_t buf[256];
	uint32_t len, vx = VXLAN_OVERHEAD_V4 - VXLAN_HLEN;

	len = make_pkt(buf, AF_INET, false, VNI);
	buf[vx] = 0; /* no I flag */
	CU_ASSERT_EQUAL(parse(buf, len, AF_INET), VXLAN_BAD_FLAGS);
	len = make_pkt(buf, AF_INET, false, VNI);
	buf[vx] |= 0x80; /* a reserved flag (GBP's G bit, not ours) */
	CU_ASSERT_EQUAL(parse(buf, len, AF_INET), VXLAN_BAD_FLAGS);
	len = make_pkt(buf, AF_INET, false, VNI);
	buf[vx + 7] = 1; /* the reserved byte after the VNI */
	CU_ASSERT_EQUAL(parse(buf, len, AF_INET), VXLAN_BAD_FLAGS);
}

static void test_ip_shapes(void)
{
	uint8_t buf[256], *ip = buf + VXLAN_ETH_HLEN;
	uint32_t len;

	len = make_pkt(buf, AF_INET, false, VNI);
	ip[6] |= 0x20; /* more fragments */
	fix_ip_csum(buf);
	CU_ASSERT_EQUAL(parse(buf, len, AF_INET), VXLAN_FRAGMENT);
	len = make_pkt(buf, AF_INET, false, VNI);
	ip[6] = 0;
	ip[7] = 8; /* a non-first fragment */
	fix_ip_csum(buf);
	CU_ASSERT_EQUAL(parse(buf, len, AF_INET), VXLAN_FRAGMENT);

	/* Four bytes of options (a NOP run) moved in before UDP. */
	len = make_pkt(buf, AF_INET, false, VNI);
	memmove(ip + 24, ip + 20, len - VXLAN_ETH_HLEN - 20);
	memset(ip + 20, 1, 4);
	ip[0] = 0x46;
	ip[3] = (uint8_t)(ip[3] + 4);
	fix_ip_csum(buf);
	CU_ASSERT_EQUAL(parse(buf, len + 4, AF_INET), VXLAN_IP_OPTIONS);

	len = make_pkt(buf, AF_INET, false, VNI);
	ip[8]--; /* TTL changed without the checksum */
	CU_ASSERT_EQUAL(parse(buf, len, AF_INET), VXLAN_BAD_IP_CSUM);
	len = make_pkt(buf, AF_INET, false, VNI);
	ip[0] = 0x44; /* header shorter than 20 bytes */
	CU_ASSERT_EQUAL(parse(buf, len, AF_INET), VXLAN_BAD_IP);
	len = make_pkt(buf, AF_INET, false, VNI);
	ip[2] = 0x10; /* total length past the frame */
	fix_ip_csum(buf);
	CU_ASSERT_EQUAL(parse(buf, len, AF_INET), VXLAN_TRUNCATED);

	/* IPv6 extension headers and fragments. */
	len = make_pkt(buf, AF_INET6, false, VNI);
	ip[6] = 0; /* hop-by-hop */
	CU_ASSERT_EQUAL(parse(buf, len, AF_INET6), VXLAN_IP_OPTIONS);
	ip[6] = 44;
	CU_ASSERT_EQUAL(parse(buf, len, AF_INET6), VXLAN_FRAGMENT);
}

static void test_checksums(void)
{
	uint8_t buf[256];
	uint32_t len, ucsum = VXLAN_OVERHEAD_V4 - VXLAN_HLEN - 2;

	len = make_pkt(buf, AF_INET, true, VNI);
	buf[len - 1] ^= 1; /* a payload bit flipped */
	CU_ASSERT_EQUAL(parse(buf, len, AF_INET), VXLAN_BAD_UDP_CSUM);
	len = make_pkt(buf, AF_INET, true, VNI);
	buf[ucsum] = buf[ucsum + 1] = 0; /* none: allowed over IPv4 */
	CU_ASSERT_EQUAL(parse(buf, len, AF_INET), VXLAN_OK);
	len = make_pkt(buf, AF_INET6, true, VNI);
	buf[VXLAN_OVERHEAD_V6 - VXLAN_HLEN - 2] = buf[VXLAN_OVERHEAD_V6 - VXLAN_HLEN - 1] = 0;
	CU_ASSERT_EQUAL(parse(buf, len, AF_INET6), VXLAN_BAD_UDP_CSUM);
	len = make_pkt(buf, AF_INET6, true, VNI);
	buf[len - 3] ^= 0x10;
	CU_ASSERT_EQUAL(parse(buf, len, AF_INET6), VXLAN_BAD_UDP_CSUM);
}

static void test_not_ours(void)
{
	uint8_t buf[256], *ip = buf + VXLAN_ETH_HLEN;
	uint32_t len, udp = VXLAN_ETH_HLEN + 20;

	len = make_pkt(buf, AF_INET, false, VNI);
	buf[12] = 0x08;
	buf[13] = 0x06; /* ARP */
	CU_ASSERT_EQUAL(parse(buf, len, AF_INET), VXLAN_NOT_TUNNEL);
	len = make_pkt(buf, AF_INET, false, VNI);
	ip[19] = 9; /* to 10.0.0.9 */
	fix_ip_csum(buf);
	CU_ASSERT_EQUAL(parse(buf, len, AF_INET), VXLAN_NOT_TUNNEL);
	len = make_pkt(buf, AF_INET, false, VNI);
	buf[udp + 3] = 53; /* another UDP port */
	CU_ASSERT_EQUAL(parse(buf, len, AF_INET), VXLAN_NOT_TUNNEL);
	len = make_pkt(buf, AF_INET, false, VNI);
	ip[9] = 6; /* TCP */
	fix_ip_csum(buf);
	CU_ASSERT_EQUAL(parse(buf, len, AF_INET), VXLAN_NOT_TUNNEL);
	/* Sent from our own address, or from a broadcast or multicast one. */
	len = make_pkt(buf, AF_INET, false, VNI);
	ip[15] = 1;
	fix_ip_csum(buf);
	CU_ASSERT_EQUAL(parse(buf, len, AF_INET), VXLAN_BAD_SRC);
	len = make_pkt(buf, AF_INET, false, VNI);
	ip[12] = 239;
	fix_ip_csum(buf);
	CU_ASSERT_EQUAL(parse(buf, len, AF_INET), VXLAN_BAD_SRC);
	/* UDP length that disagrees with the IP length. */
	len = make_pkt(buf, AF_INET, false, VNI);
	buf[udp + 5]++;
	CU_ASSERT_EQUAL(parse(buf, len, AF_INET), VXLAN_BAD_UDP);
}

static void test_inner_runt(void)
{
	uint8_t buf[256], *ip = buf + VXLAN_ETH_HLEN;
	uint32_t len = make_pkt(buf, AF_INET, false, VNI), udp = VXLAN_ETH_HLEN + 20;

	/* IP and UDP lengths that leave 4 bytes of inner frame (the rest is padding). */
	ip[2] = 0;
	ip[3] = 20 + 8 + 8 + 4;
	buf[udp + 4] = 0;
	buf[udp + 5] = 8 + 8 + 4;
	fix_ip_csum(buf);
	CU_ASSERT_EQUAL(parse(buf, len, AF_INET), VXLAN_INNER_RUNT);
}

static void test_src_port(void)
{
	uint8_t a[INNER], b[INNER];
	unsigned int same = 0;

	inner_frame(a, INNER, 1);
	for (int i = 0; i < 256; i++) {
		uint16_t p;

		inner_frame(b, INNER, 1);
		b[6 + 5] = (uint8_t)i; /* another source MAC: another flow */
		p = vxlan_src_port(b, INNER);
		CU_ASSERT_TRUE(p >= VXLAN_SPORT_MIN);
		same += p == vxlan_src_port(a, INNER);
	}
	/* One flow, one port; different flows spread (a few collisions may happen). */
	CU_ASSERT_EQUAL(vxlan_src_port(a, INNER), vxlan_src_port(a, INNER));
	CU_ASSERT_TRUE(same < 8);
	CU_ASSERT_TRUE(vxlan_src_port(a, 3) >= VXLAN_SPORT_MIN);
}

CU_TestInfo vt_vxlan_tests[] = {
	{ "encap parses back (IPv4, IPv6, with and without UDP checksum)", test_roundtrip },
	{ "every prefix refused, none read past", test_truncated },
	{ "link padding trimmed", test_padding },
	{ "bad flags", test_flags },
	{ "fragments, options, IP checksum, lengths", test_ip_shapes },
	{ "UDP checksums", test_checksums },
	{ "not tunnel traffic, bad sources, UDP length", test_not_ours },
	{ "inner frame too short", test_inner_runt },
	{ "source port from the inner flow", test_src_port },
	CU_TEST_INFO_NULL,
};
