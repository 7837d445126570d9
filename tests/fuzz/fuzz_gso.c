/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_gso.c - libFuzzer harness for the switch's software offloads
 * (vswitch/gso.c): TCP segmentation of a TSO frame and checksum completion,
 * with whatever frame bytes and offload metadata the input says.  The
 * vhost device only lets sound metadata through (net_offload.c), but gso.c
 * checks every length again itself, and this holds it to that: no input may
 * read or write outside the mbufs, and the segments must carry exactly the
 * frame's payload, each within the MSS.
 *
 * Input: byte 0 flags (bit 0 IPv6, 1 checksums left pending, 2 UDP for the
 * checksum pass, 3 the frame chained in 64-byte pieces); bytes 1-2 the MSS
 * (little-endian); bytes 3-5 the L2, L3 and L4 header lengths; the rest is
 * the frame.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "fake_guest.h"
#include "vswitch/private.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct rte_mempool *pool;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	pool = fg_dpdk_init("fuzz_gso", 4096, 0);
	if (!pool)
		abort(); /* the harness itself cannot run */
	return 0;
}

/* The frame in mbufs of @piece bytes each; NULL when the pool is dry (not the code's fault). */
static struct rte_mbuf *mk_frame(const uint8_t *p, uint32_t len, uint32_t piece)
{
	struct rte_mbuf *m = NULL, *seg;
	uint32_t off = 0, n;

	do {
		n = len - off < piece ? len - off : piece;
		seg = rte_pktmbuf_alloc(pool);
		if (!seg || !rte_pktmbuf_append(seg, (uint16_t)n)) {
			rte_pktmbuf_free(seg);
			rte_pktmbuf_free(m);
			return NULL;
		}
		memcpy(rte_pktmbuf_mtod(seg, void *), p + off, n);
		if (!m)
			m = seg;
		else if (rte_pktmbuf_chain(m, seg)) {
			rte_pktmbuf_free(seg);
			rte_pktmbuf_free(m);
			return NULL;
		}
		off += n;
	} while (off < len);
	return m;
}

static void fuzz_segment(struct rte_mbuf *m, bool csum_pending)
{
	struct rte_mbuf *out[VSW_GSO_MAX_SEGS];
	uint32_t hlen = (uint32_t)m->l2_len + m->l3_len + m->l4_len, carried = 0;
	int n = vsw_gso_segment(m, pool, csum_pending, out, VSW_GSO_MAX_SEGS);

	for (int i = 0; i < n; i++) {
		uint32_t len = rte_pktmbuf_pkt_len(out[i]);

		if (len <= hlen || len - hlen > m->tso_segsz)
			abort();
		carried += len - hlen;
	}
	if (n > 0 && carried != rte_pktmbuf_pkt_len(m) - hlen)
		abort();
	if (n > 0)
		rte_pktmbuf_free_bulk(out, (unsigned int)n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rte_mbuf *m;
	uint8_t flags;

	if (size < 7 || size > 6 + 65535)
		return 0;
	flags = data[0];
	m = mk_frame(data + 6, (uint32_t)(size - 6), (flags & 8) ? 64 : 2048);
	if (!m)
		return 0;
	m->tso_segsz = (uint16_t)(data[1] | data[2] << 8);
	m->l2_len = data[3];
	m->l3_len = data[4];
	m->l4_len = data[5];
	m->ol_flags = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM |
		      ((flags & 1) ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4);
	fuzz_segment(m, flags & 2);
	/* The same bytes as a frame with only its checksum pending. */
	m->ol_flags = (flags & 4) ? RTE_MBUF_F_TX_UDP_CKSUM : RTE_MBUF_F_TX_TCP_CKSUM;
	if (vsw_sw_csum(&m, pool) == 0 && (m->ol_flags & RTE_MBUF_F_TX_L4_MASK))
		abort();
	rte_pktmbuf_free(m);
	return 0;
}
