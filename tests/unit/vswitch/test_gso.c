/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_gso.c - the switch's software offloads (vswitch/gso.c through
 * forward.c): a TSO frame for a port without TSO (a dummy port takes no
 * offloads) leaves as TCP segments that a receiver would accept byte for
 * byte, IPv4 and IPv6, flooded (shared) or not; a pending checksum is
 * completed; metadata that does not fit the frame is dropped and counted.
 */
#include <netinet/in.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "vswitch/port_dummy.h"
#include "vsw_test.h"

#define T1 100
#define MSS 1448
#define PAYLOAD 4000 /* three segments: 1448, 1448, 1104 */
#define TCP_SEQ 1000u
#define IP_ID 77

struct gfx {
	struct vsw *sw;
	uint16_t a, b, c;
	uint8_t mac[3][6];
};

static void gfx_up(struct gfx *f)
{
	struct vsw_opts o;

	vt_opts(&o, 0);
	f->sw = vsw_create(&o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->sw);
	CU_ASSERT_EQUAL_FATAL(vsw_tenant_add(f->sw, T1), 0);
	f->a = vt_dummy(f->sw, "a", T1, 1024);
	f->b = vt_dummy(f->sw, "b", T1, 1024);
	f->c = vt_dummy(f->sw, "c", T1, 1024);
	for (int i = 0; i < 3; i++)
		vt_mac(f->mac[i], (uint16_t)(i + 1));
	/* b's station speaks first, so frames for it are unicast to b only. */
	CU_ASSERT_TRUE(vt_send(f->sw, f->b, f->mac[0], f->mac[1]));
	while (vsw_poll(f->sw) > 0)
		;
	vt_drain(f->sw, f->a);
	vt_drain(f->sw, f->c);
}

static void gfx_down(struct gfx *f)
{
	vsw_destroy(f->sw);
}

/* Byte @i of the payload: distinct enough that a misplaced chunk shows. */
static uint8_t pay(uint32_t i)
{
	return (uint8_t)(i * 13 + (i >> 8));
}

/* A TSO frame as vhost/net_offload.c leaves it: pseudo-header sum over the whole L4 length. */
static struct rte_mbuf *mk_tso(const struct gfx *f, const uint8_t *dst, bool v6, uint32_t payload)
{
	uint32_t l3 = v6 ? 40 : 20, hlen = 14 + l3 + 20, len = hlen + payload;
	struct rte_mbuf *m = rte_pktmbuf_alloc(vsw_eal_pool()), *seg;
	uint8_t frame[14 + 40 + 20 + PAYLOAD];
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(frame + 14 + l3);
	uint32_t off = 0, n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_FATAL(len <= sizeof(frame));
	memset(frame, 0, hlen);
	memcpy(frame, dst, 6);
	memcpy(frame + 6, f->mac[0], 6);
	for (uint32_t i = 0; i < payload; i++)
		frame[hlen + i] = pay(i);
	if (v6) {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(frame + 14);

		frame[12] = 0x86;
		frame[13] = 0xdd;
		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)(20 + payload));
		ip->proto = IPPROTO_TCP;
		ip->hop_limits = 64;
		ip->src_addr[15] = 1;
		ip->dst_addr[15] = 2;
		th->cksum = rte_ipv6_phdr_cksum(ip, 0);
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(frame + 14);

		frame[12] = 0x08;
		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(len - 14));
		ip->packet_id = rte_cpu_to_be_16(IP_ID);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_TCP;
		ip->src_addr = rte_cpu_to_be_32(0x0a000001);
		ip->dst_addr = rte_cpu_to_be_32(0x0a000002);
		th->cksum = rte_ipv4_phdr_cksum(ip, 0);
	}
	th->sent_seq = rte_cpu_to_be_32(TCP_SEQ);
	th->data_off = 0x50;
	th->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG | RTE_TCP_FIN_FLAG | RTE_TCP_CWR_FLAG;
	/* Chained in 1000-byte pieces, as a guest's frame copied into 2 KiB mbufs may be. */
	for (seg = m; off < len; off += n) {
		n = RTE_MIN(len - off, 1000u);
		if (off)
			seg = rte_pktmbuf_alloc(vsw_eal_pool());
		CU_ASSERT_PTR_NOT_NULL_FATAL(seg);
		memcpy(rte_pktmbuf_append(seg, (uint16_t)n), frame + off, n);
		/* Chained once filled: chaining adds the tail's length to the head's. */
		if (off)
			CU_ASSERT_EQUAL_FATAL(rte_pktmbuf_chain(m, seg), 0);
	}
	m->ol_flags = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM |
		      (v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4);
	m->l2_len = 14;
	m->l3_len = l3;
	m->l4_len = 20;
	m->tso_segsz = MSS;
	return m;
}

/* Does the L4 checksum of a segment with @l4len bytes at @l4 hold, given its pseudo-header sum? */
static bool l4_csum_ok(uint16_t phdr, const void *l4, uint32_t l4len)
{
	uint32_t sum = (uint32_t)phdr + rte_raw_cksum(l4, l4len);

	sum = (sum & 0xffff) + (sum >> 16);
	return ((sum & 0xffff) + (sum >> 16)) == 0xffff;
}

/* Check segment @i of a frame cut from mk_tso(); its payload goes to @out. */
static void check_segment(struct rte_mbuf *s, uint32_t i, bool v6, uint8_t *out)
{
	uint32_t l3 = v6 ? 40 : 20, hlen = 14 + l3 + 20, plen = i < 2 ? MSS : PAYLOAD - 2 * MSS;
	uint8_t buf[14 + 40 + 20 + MSS];
	const uint8_t *p = rte_pktmbuf_read(s, 0, rte_pktmbuf_pkt_len(s), buf);
	const struct rte_tcp_hdr *th = (const struct rte_tcp_hdr *)(p + 14 + l3);
	uint8_t want_flags = RTE_TCP_ACK_FLAG;

	CU_ASSERT_EQUAL_FATAL(rte_pktmbuf_pkt_len(s), hlen + plen);
	CU_ASSERT_EQUAL(s->ol_flags & (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_L4_MASK), 0);
	if (v6) {
		const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)(p + 14);

		CU_ASSERT_EQUAL(rte_be_to_cpu_16(ip->payload_len), 20 + plen);
		CU_ASSERT_TRUE(l4_csum_ok(rte_ipv6_phdr_cksum(ip, 0), th, 20 + plen));
	} else {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(p + 14);

		CU_ASSERT_EQUAL(rte_be_to_cpu_16(ip->total_length), 40 + plen);
		CU_ASSERT_EQUAL(rte_be_to_cpu_16(ip->packet_id), IP_ID + i);
		CU_ASSERT_EQUAL(rte_ipv4_cksum(ip), 0); /* a valid header sums to 0xffff */
		CU_ASSERT_TRUE(l4_csum_ok(rte_ipv4_phdr_cksum(ip, 0), th, 20 + plen));
	}
	CU_ASSERT_EQUAL(rte_be_to_cpu_32(th->sent_seq), TCP_SEQ + i * MSS);
	if (i == 0)
		want_flags |= RTE_TCP_CWR_FLAG;
	if (i == 2)
		want_flags |= RTE_TCP_PSH_FLAG | RTE_TCP_FIN_FLAG;
	CU_ASSERT_EQUAL(th->tcp_flags, want_flags);
	memcpy(out + i * MSS, p + hlen, plen);
}

/* Forward one TSO frame to @dst and check what port @port got. */
static void run_tso(struct gfx *f, bool v6, const uint8_t *dst, uint16_t port)
{
	struct rte_mbuf *m = mk_tso(f, dst, v6, PAYLOAD), *got[8];
	static uint8_t joined[PAYLOAD];
	struct vsw_port *p = vsw_port_lookup(f->sw, port);
	uint16_t n;

	CU_ASSERT_EQUAL_FATAL(vsw_dummy_inject(vsw_port_lookup(f->sw, f->a), 0, &m, 1), 1);
	while (vsw_poll(f->sw) > 0)
		;
	n = vsw_dummy_collect(p, 0, got, 8);
	if (n != 3) {
		struct vsw_port_stats st;

		vsw_port_stats(f->sw, port, &st);
		fprintf(stderr, "got %u frames; drops offload %llu tx %llu gso_split %llu\n", n,
			(unsigned long long)st.drops[VSW_DROP_OFFLOAD],
			(unsigned long long)st.drops[VSW_DROP_TX],
			(unsigned long long)st.gso_split);
	}
	CU_ASSERT_EQUAL_FATAL(n, 3);
	memset(joined, 0, sizeof(joined));
	for (uint16_t i = 0; i < n; i++)
		check_segment(got[i], i, v6, joined);
	for (uint32_t i = 0; i < PAYLOAD; i++)
		if (joined[i] != pay(i)) {
			CU_FAIL("payload differs after segmentation");
			break;
		}
	rte_pktmbuf_free_bulk(got, n);
}

static void test_tso_segmented(void)
{
	struct vsw_port_stats st;
	struct gfx f;

	gfx_up(&f);
	run_tso(&f, false, f.mac[1], f.b);
	run_tso(&f, true, f.mac[1], f.b);
	CU_ASSERT_EQUAL(vsw_port_stats(f.sw, f.a, &st), 0);
	CU_ASSERT_EQUAL(st.gso_rx, 2);
	CU_ASSERT_EQUAL(vsw_port_stats(f.sw, f.b, &st), 0);
	CU_ASSERT_EQUAL(st.gso_split, 2);
	CU_ASSERT_EQUAL(st.tx_packets, 6); /* segments; b's station said hello, it got none */
	gfx_down(&f);
}

/* Flooded, the frame is shared by b and c: each gets segments of its own. */
static void test_tso_flooded(void)
{
	uint8_t unknown[6];
	struct gfx f;

	gfx_up(&f);
	vt_mac(unknown, 99);
	run_tso(&f, false, unknown, f.b);
	CU_ASSERT_EQUAL(vt_drain(f.sw, f.c), 3);
	gfx_down(&f);
}

/* A pending checksum is completed for a port without the offload; bad metadata is dropped. */
static void test_csum_and_bad_metadata(void)
{
	struct rte_mbuf *m[3], *got[4];
	struct vsw_port_stats st;
	struct gfx f;
	uint8_t buf[200];
	const uint8_t *p;

	gfx_up(&f);
	m[0] = mk_tso(&f, f.mac[1], false, 100); /* one segment's worth: just a checksum */
	m[0]->ol_flags &= ~RTE_MBUF_F_TX_TCP_SEG;
	m[1] = mk_tso(&f, f.mac[1], false, PAYLOAD);
	m[1]->tso_segsz = 0;
	m[2] = mk_tso(&f, f.mac[1], false, PAYLOAD);
	m[2]->l4_len = 15; /* shorter than a TCP header */
	CU_ASSERT_EQUAL_FATAL(vsw_dummy_inject(vsw_port_lookup(f.sw, f.a), 0, m, 3), 3);
	while (vsw_poll(f.sw) > 0)
		;
	CU_ASSERT_EQUAL_FATAL(vsw_dummy_collect(vsw_port_lookup(f.sw, f.b), 0, got, 4), 1);
	CU_ASSERT_EQUAL(got[0]->ol_flags & RTE_MBUF_F_TX_L4_MASK, 0);
	p = rte_pktmbuf_read(got[0], 0, 154, buf);
	CU_ASSERT_TRUE(l4_csum_ok(rte_ipv4_phdr_cksum((const struct rte_ipv4_hdr *)(p + 14), 0),
				  p + 34, 120));
	rte_pktmbuf_free(got[0]);
	CU_ASSERT_EQUAL(vsw_port_stats(f.sw, f.b, &st), 0);
	CU_ASSERT_EQUAL(st.csum_sw, 1);
	CU_ASSERT_EQUAL(st.drops[VSW_DROP_OFFLOAD], 2);
	gfx_down(&f);
}

CU_TestInfo vt_gso_tests[] = {
	{ "TSO frame segmented for a port without TSO", test_tso_segmented },
	{ "flooded TSO frame segmented per port", test_tso_flooded },
	{ "checksum completed, bad metadata dropped", test_csum_and_bad_metadata },
	CU_TEST_INFO_NULL,
};
