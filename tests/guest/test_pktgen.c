/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_pktgen.c - host-side CUnit tests for the pure parts of the guest's
 * mode=pktgen: the frame template and classifier (pktgen_wire.c), sequence
 * tracking and the latency histogram (pktgen_stats.c).  They are plain C on
 * bytes, so they build for the host too; the guest's own boot tests
 * (smoke.sh) then cover the rest through real virtio-net under QEMU and Ferry.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pktgen_stats.h"
#include "pktgen_wire.h"

static const uint8_t mac_rx[6] = { 0x52, 0x54, 0, 0, 0x0c, 2 };
static const uint8_t mac_tx[6] = { 0x52, 0x54, 0, 0, 0x0c, 1 };

/* A frame of @len bytes (zero padding), built the way role=tx builds one. */
static void build(uint8_t *f, uint32_t len, uint16_t tag, uint16_t flow, uint64_t seq, uint64_t tsc)
{
	struct pktgen_tmpl t;

	memset(f, 0, PKTGEN_MAX_FRAME);
	pktgen_tmpl_init(&t, mac_rx, mac_tx, tag, len);
	pktgen_frame_put(f, &t, flow, seq);
	pktgen_frame_stamp(f, tsc);
}

/* ---- wire ---- */

static void test_layout(void)
{
	/* Header by header, as the wire carries them (the IPv4 checksum zeroed: see below). */
	static const uint8_t eth[] = { 0x52, 0x54, 0, 0, 0x0c, 2, 0x52, 0x54, 0, 0, 0x0c, 1, 8, 0 };
	static const uint8_t ip[] = { 0x45, 0, 0,  46, 0, 0, 0x40, 0, 64, 17,
				      0,    0, 10, 0,  0, 1, 10,   0, 0,  2 };
	static const uint8_t udp[] = { 4, 3, 0, 9, 0, 26, 0, 0 }; /* 1027 -> 9, 26 bytes, no csum */
	/* After "FRPG": tag id, flow, seq (low 32 bits), TSC (low 48 bits). */
	static const uint8_t stamp[] = { 0xbe, 0xef, 0,	   3, 0x12, 0x34, 0x56,
					 0x78, 0xaa, 0xbb, 1, 2,    3,	  4 };
	uint8_t f[PKTGEN_MAX_FRAME];

	build(f, 60, 0xbeef, 3, 0x9912345678ULL, 0xffffaabb01020304ULL);
	/* The checksum is checked below; compare everything else byte for byte. */
	CU_ASSERT_EQUAL(pktgen_ip_csum(f + PKTGEN_OFF_IP), 0);
	f[PKTGEN_OFF_IP_CSUM] = f[PKTGEN_OFF_IP_CSUM + 1] = 0;
	CU_ASSERT_EQUAL(memcmp(f, eth, sizeof(eth)), 0);
	CU_ASSERT_EQUAL(memcmp(f + PKTGEN_OFF_IP, ip, sizeof(ip)), 0);
	CU_ASSERT_EQUAL(memcmp(f + PKTGEN_OFF_UDP, udp, sizeof(udp)), 0);
	CU_ASSERT_EQUAL(memcmp(f + PKTGEN_OFF_MAGIC, "FRPG", 4), 0);
	CU_ASSERT_EQUAL(memcmp(f + PKTGEN_OFF_TAG, stamp, sizeof(stamp)), 0);
	CU_ASSERT_EQUAL(sizeof(eth) + sizeof(ip) + sizeof(udp) + 4 + sizeof(stamp), PKTGEN_HDR_LEN);
}

static void test_ip_csum_known(void)
{
	/* The classic worked example (RFC 1071 style): checksum 0xb861. */
	static const uint8_t ip[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
					0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };

	CU_ASSERT_EQUAL(pktgen_ip_csum(ip), 0xb861);
}

static void test_parse_roundtrip(void)
{
	static const uint32_t sizes[] = { 60, 61, 572, 1496, 1514 };
	uint8_t f[PKTGEN_MAX_FRAME];
	struct pktgen_stamp st;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		build(f, sizes[i], 0x1234, PKTGEN_MAX_FLOWS - 1, 77, 0x123456789abcULL);
		memset(&st, 0, sizeof(st));
		CU_ASSERT_EQUAL(pktgen_frame_parse(f, sizes[i], 0x1234, &st), PKTGEN_OK);
		CU_ASSERT_EQUAL(st.flow, PKTGEN_MAX_FLOWS - 1);
		CU_ASSERT_EQUAL(st.seq, 77);
		CU_ASSERT_EQUAL(st.tsc, 0x123456789abcULL);
	}
}

static void test_parse_verdicts(void)
{
	uint8_t f[PKTGEN_MAX_FRAME];
	struct pktgen_stamp st;

	build(f, 100, 7, 1, 1, 1);
	CU_ASSERT_EQUAL(pktgen_frame_parse(f, 100, 8, &st), PKTGEN_FOREIGN); /* another tag */
	CU_ASSERT_EQUAL(pktgen_frame_parse(f, 99, 7, &st), PKTGEN_BAD); /* length mismatch */
	f[PKTGEN_OFF_IP + 8]--; /* TTL: the header checksum no longer holds */
	CU_ASSERT_EQUAL(pktgen_frame_parse(f, 100, 7, &st), PKTGEN_BAD);
	build(f, 100, 7, 1, 1, 1);
	f[PKTGEN_OFF_SPORT + 1]++; /* port and flow disagree */
	CU_ASSERT_EQUAL(pktgen_frame_parse(f, 100, 7, &st), PKTGEN_BAD);
	build(f, 100, 7, 1, 1, 1);
	f[PKTGEN_OFF_MAGIC] = 'X'; /* other UDP traffic to port 9 */
	CU_ASSERT_EQUAL(pktgen_frame_parse(f, 100, 7, &st), PKTGEN_FOREIGN);
	build(f, 100, 7, 1, 1, 1);
	f[PKTGEN_OFF_TYPE] = 0x88; /* a mode=net frame: the caller's business */
	f[PKTGEN_OFF_TYPE + 1] = 0xb5;
	CU_ASSERT_EQUAL(pktgen_frame_parse(f, 100, 7, &st), PKTGEN_NOT_IPV4);
	CU_ASSERT_EQUAL(pktgen_frame_parse(f, 10, 7, &st), PKTGEN_NOT_IPV4);
	build(f, 60, 7, 1, 1, 1);
	CU_ASSERT_EQUAL(pktgen_frame_parse(f, 59, 7, &st), PKTGEN_FOREIGN); /* too short */
}

static void test_tag_id(void)
{
	CU_ASSERT_NOT_EQUAL(pktgen_tag_id(0x1111222233334444ULL),
			    pktgen_tag_id(0x1111222233334445ULL));
	CU_ASSERT_EQUAL(pktgen_tag_id(0x0001000000000000ULL), 1);
}

/* ---- sequence tracking ---- */

static struct seq_track *track_new(void)
{
	struct seq_track *t = calloc(1, sizeof(*t));

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	return t;
}

static void test_seq_in_order(void)
{
	struct seq_track *t = track_new();

	for (uint32_t i = 0; i < 1000; i++)
		seq_track_add(t, i % 4, i / 4);
	CU_ASSERT_EQUAL(t->lost, 0);
	CU_ASSERT_EQUAL(t->reordered, 0);
	CU_ASSERT_EQUAL(t->dup, 0);
	CU_ASSERT_EQUAL(t->flows_seen, 4);
	free(t);
}

static void test_seq_gaps_and_late(void)
{
	struct seq_track *t = track_new();

	seq_track_add(t, 0, 0);
	seq_track_add(t, 0, 3); /* 1, 2 missing */
	CU_ASSERT_EQUAL(t->lost, 2);
	seq_track_add(t, 0, 2); /* late: fills one */
	CU_ASSERT_EQUAL(t->lost, 1);
	CU_ASSERT_EQUAL(t->reordered, 1);
	seq_track_add(t, 0, 2); /* again: a duplicate */
	seq_track_add(t, 0, 3);
	CU_ASSERT_EQUAL(t->dup, 2);
	CU_ASSERT_EQUAL(t->lost, 1);
	seq_track_add(t, 0, 200); /* a jump past the window */
	CU_ASSERT_EQUAL(t->lost, 197);
	seq_track_add(t, 0, 100); /* below the window: reordered, fills its gap */
	CU_ASSERT_EQUAL(t->reordered, 2);
	CU_ASSERT_EQUAL(t->lost, 196);
	seq_track_add(t, 1, 5); /* a flow's first frame: 0-4 lost */
	CU_ASSERT_EQUAL(t->lost, 201);
	CU_ASSERT_EQUAL(t->flows_seen, 2);
	free(t);
}

static void test_seq_wrap(void)
{
	struct seq_track *t = track_new();
	uint64_t s = 0xfffffff0ULL;

	/* A flow whose numbers cross 2^32: the 32-bit stamp must extend across. */
	t->flow[0].next = s;
	t->flow[0].window = 1;
	for (; s < 0x100000010ULL; s++)
		seq_track_add(t, 0, (uint32_t)s);
	CU_ASSERT_EQUAL(t->lost, 0);
	CU_ASSERT_EQUAL(t->reordered, 0);
	CU_ASSERT_EQUAL(t->flow[0].next, 0x100000010ULL);
	seq_track_add(t, 0, 0xfffffffe); /* late, from before the wrap */
	CU_ASSERT_EQUAL(t->dup, 1);
	free(t);
}

/* ---- latency histogram ---- */

static void test_buckets(void)
{
	CU_ASSERT_EQUAL(lat_bucket(0), 0);
	CU_ASSERT_EQUAL(lat_bucket(255), 0);
	CU_ASSERT_EQUAL(lat_bucket(256), 1);
	CU_ASSERT_EQUAL(lat_bucket(287), 1);
	CU_ASSERT_EQUAL(lat_bucket(288), 2);
	CU_ASSERT_EQUAL(lat_bucket((1ULL << 30) - 1), LAT_OVER - 1);
	CU_ASSERT_EQUAL(lat_bucket(1ULL << 30), LAT_OVER);
	CU_ASSERT_EQUAL(lat_bucket(UINT64_MAX), LAT_OVER);
	/* Every value lies below its bucket's upper bound and at or above the previous one's. */
	for (uint64_t ns = 1; ns < (1ULL << 31); ns = ns * 9 / 8 + 1) {
		unsigned int b = lat_bucket(ns);

		CU_ASSERT(ns < lat_bucket_upper(b));
		if (b)
			CU_ASSERT(ns >= lat_bucket_upper(b - 1));
	}
}

static void test_ticks_to_ns(void)
{
	struct lat_hist h;

	lat_hist_init(&h, 2000000); /* 2 GHz: 0.5 ns per tick */
	lat_hist_add(&h, 2000); /* 1000 ns */
	CU_ASSERT_EQUAL(h.count[lat_bucket(1000)], 1);
	CU_ASSERT_EQUAL(lat_ticks_to_ns(&h, 2000), 1000);
	CU_ASSERT_EQUAL(lat_ticks_to_ns(&h, (1ULL << 47)), (1ULL << 46));
	lat_hist_add(&h, UINT64_MAX / 2); /* far beyond the product's range */
	CU_ASSERT_EQUAL(h.count[LAT_OVER], 1);
	lat_hist_init(&h, 3000000);
	lat_hist_add(&h, 3000000); /* 1 ms */
	CU_ASSERT_EQUAL(h.count[lat_bucket(1000000)], 1);
}

static void test_percentiles(void)
{
	struct lat_hist h;

	lat_hist_init(&h, 1000000); /* 1 GHz: ticks are ns */
	CU_ASSERT_EQUAL(lat_hist_percentile(&h, 500), 0);
	for (int i = 0; i < 990; i++)
		lat_hist_add(&h, 1000);
	for (int i = 0; i < 9; i++)
		lat_hist_add(&h, 100000);
	lat_hist_add(&h, 5000000);
	/* 1000 ns lies in [960, 1024): the upper bound is reported. */
	CU_ASSERT_EQUAL(lat_hist_percentile(&h, 500), 1024);
	CU_ASSERT_EQUAL(lat_hist_percentile(&h, 990), 1024);
	CU_ASSERT_EQUAL(lat_hist_percentile(&h, 999), lat_bucket_upper(lat_bucket(100000)));
	CU_ASSERT_EQUAL(lat_hist_percentile(&h, 1000), 5000000); /* capped by the maximum */
}

/* Sums the counts of a formatted histogram and checks its bounds ascend. */
static uint64_t hist_total(const char *s)
{
	uint64_t total = 0, prev = 0;
	char *end;

	while (*s) {
		uint64_t up = strtoull(s, &end, 10), n;

		CU_ASSERT_EQUAL(*end, ':');
		n = strtoull(end + 1, &end, 10);
		CU_ASSERT(up > prev);
		prev = up;
		total += n;
		s = *end == ',' ? end + 1 : end;
	}
	return total;
}

static void test_format(void)
{
	struct lat_hist h;
	char buf[512];
	size_t len;

	lat_hist_init(&h, 1000000);
	lat_hist_format(&h, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "");
	lat_hist_add(&h, 100);
	lat_hist_add(&h, 1000);
	lat_hist_add(&h, 1000);
	lat_hist_add(&h, 2000000000);
	lat_hist_format(&h, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "256:1,1024:2,2000000000:1");
	/* A sample in every bucket: too long for 120 bytes, so buckets merge until it fits. */
	for (unsigned int i = 0; i < LAT_BUCKETS - 1; i++)
		lat_hist_add(&h, i ? lat_bucket_upper(i - 1) : 0);
	len = lat_hist_format(&h, buf, 120);
	CU_ASSERT(len > 0 && len < 120);
	CU_ASSERT_EQUAL(strlen(buf), len);
	CU_ASSERT_EQUAL(hist_total(buf), h.samples);
	len = lat_hist_format(&h, buf, 8); /* nothing fits */
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_STRING_EQUAL(buf, "");
}

static CU_TestInfo wire_tests[] = {
	{ "frame layout", test_layout },
	{ "ip checksum", test_ip_csum_known },
	{ "parse round trip", test_parse_roundtrip },
	{ "verdicts", test_parse_verdicts },
	{ "tag id", test_tag_id },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo seq_tests[] = {
	{ "in order", test_seq_in_order },
	{ "gaps, late frames, duplicates", test_seq_gaps_and_late },
	{ "32-bit wrap", test_seq_wrap },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo lat_tests[] = {
	{ "buckets", test_buckets },
	{ "ticks to ns", test_ticks_to_ns },
	{ "percentiles", test_percentiles },
	{ "format and coarsen", test_format },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "pktgen_wire", NULL, NULL, NULL, NULL, wire_tests },
	{ "pktgen_seq", NULL, NULL, NULL, NULL, seq_tests },
	{ "pktgen_latency", NULL, NULL, NULL, NULL, lat_tests },
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	return cunit_run(suites);
}
