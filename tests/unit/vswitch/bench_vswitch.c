/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_vswitch.c - dummy -> dummy forwarding micro-benchmark (not a test).
 * One PMD forwards a -> b at 64 B; the main thread closes the loop by moving
 * what b transmitted back into a's rx ring, so the same mbufs circulate and
 * the number reported is the switch's, not an allocator's.  Usage:
 *   bench_vswitch [seconds] [pmd-cpu] [hugepages: auto|on|off]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "vswitch/port_dummy.h"
#include "vsw_test.h"

#define INFLIGHT 1024

static uint64_t bench_rx(struct vsw *sw)
{
	struct vsw_pmd_stats ps;

	vsw_pmd_stats(sw, 0, &ps);
	return ps.rx_packets;
}

static void bench_prime(struct vsw_port *a, const uint8_t mb[6], const uint8_t ma[6])
{
	struct rte_mbuf *m;
	unsigned int i;

	for (i = 0; i < INFLIGHT; i++) {
		m = vt_frame(mb, ma, 64, i);
		if (!m || vsw_dummy_inject(a, 0, &m, 1) != 1)
			rte_pktmbuf_free(m);
	}
}

static void bench_loop(struct vsw *sw, struct vsw_port *a, struct vsw_port *b, uint64_t ms)
{
	uint64_t end = vt_ms() + ms;
	struct rte_mbuf *pkts[64];
	unsigned int n, in;

	while (vt_ms() < end) {
		n = vsw_dummy_collect(b, 0, pkts, 64);
		in = vsw_dummy_inject(a, 0, pkts, (uint16_t)n);
		if (in < n)
			rte_pktmbuf_free_bulk(&pkts[in], n - in);
	}
	(void)sw;
}

int main(int argc, char **argv)
{
	unsigned int secs = argc > 1 ? (unsigned int)atoi(argv[1]) : 5;
	struct vsw_port *a, *b;
	uint64_t t0, t1, r0, r1;
	uint8_t ma[6], mb[6];
	struct vsw_opts o;
	struct vsw *sw;
	uint16_t pa, pb;

	vt_opts(&o, 1);
	o.idle_sleep_us = 0;
	o.mac_aging_s = 0;
	if (argc > 2)
		o.pmd_cpus[0] = atoi(argv[2]);
	if (argc > 3)
		o.eal.hugepages = !strcmp(argv[3], "on")   ? VSW_HUGE_ON :
				  !strcmp(argv[3], "auto") ? VSW_HUGE_AUTO :
							     VSW_HUGE_OFF;
	sw = vsw_create(&o);
	if (!sw || vsw_tenant_add(sw, 1))
		return 1;
	if (vt_dummy_add(sw, "a", 1, 4096, &pa) || vt_dummy_add(sw, "b", 1, 4096, &pb))
		return 1;
	a = vsw_port_lookup(sw, pa);
	b = vsw_port_lookup(sw, pb);
	vt_mac(ma, 1);
	vt_mac(mb, 2);
	/* b announces itself so a -> b is a learned unicast. */
	vt_send(sw, pb, (const uint8_t[6]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, mb);
	bench_prime(a, mb, ma);
	bench_loop(sw, a, b, 500); /* warm up */
	t0 = vt_ms();
	r0 = bench_rx(sw);
	bench_loop(sw, a, b, (uint64_t)secs * 1000);
	t1 = vt_ms();
	r1 = bench_rx(sw);
	printf("dummy->dummy 64B, 1 PMD, %s: %.2f Mpps (%lu frames in %lu ms)\n",
	       vsw_eal_hugepages() ? "hugepages" : "no-huge",
	       (double)(r1 - r0) / (double)(t1 - t0) / 1000.0, (unsigned long)(r1 - r0),
	       (unsigned long)(t1 - t0));
	vsw_destroy(sw);
	return 0;
}
