/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_fwd.c - forwarding semantics with the switch in manual mode (no PMD
 * thread: the test calls vsw_poll()), so every step is deterministic: MAC
 * learning, unicast, flooding within a tenant only, hairpin drop, MAC moves,
 * aging, garbage frames, a full FDB and counters that add up.
 *
 * Topology of every test: tenant 100 with ports a, b, c and tenant 200 with
 * ports d, e, f; both tenants use the same MAC plan, so any leak across
 * tenants shows up as a frame on the wrong port.
 */
#include <errno.h>
#include <unistd.h>

#include <rte_mbuf.h>

#include "vswitch/fdb.h"
#include "vswitch/port_dummy.h"
#include "vsw_test.h"

#define T1 100
#define T2 200
#define NPORTS 6

struct fx {
	struct vsw *sw;
	uint16_t p[NPORTS]; /* a b c (T1), d e f (T2) */
	uint8_t mac[NPORTS][6]; /* the station behind each port, same plan in both tenants */
	uint8_t bcast[6];
};

static void fx_up(struct fx *f, unsigned int aging_s, unsigned int fdb_size)
{
	static const char *const names[NPORTS] = { "a", "b", "c", "d", "e", "f" };
	struct vsw_opts o;
	unsigned int i;

	vt_opts(&o, 0);
	o.mac_aging_s = aging_s;
	if (fdb_size)
		o.fdb_size = fdb_size;
	f->sw = vsw_create(&o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->sw);
	CU_ASSERT_EQUAL_FATAL(vsw_tenant_add(f->sw, T1), 0);
	CU_ASSERT_EQUAL_FATAL(vsw_tenant_add(f->sw, T2), 0);
	for (i = 0; i < NPORTS; i++) {
		f->p[i] = vt_dummy(f->sw, names[i], i < 3 ? T1 : T2, 1024);
		vt_mac(f->mac[i], (uint16_t)(i % 3 + 1));
	}
	memset(f->bcast, 0xff, sizeof(f->bcast));
}

static void fx_down(struct fx *f)
{
	vsw_destroy(f->sw);
}

/* Forward until every rx queue is empty. */
static void fx_run(struct fx *f)
{
	while (vsw_poll(f->sw) > 0)
		;
}

/* Drain all ports and compare with what each should have received. */
static void fx_expect(struct fx *f, const unsigned int want[NPORTS])
{
	unsigned int i, got;

	for (i = 0; i < NPORTS; i++) {
		got = vt_drain(f->sw, f->p[i]);
		if (got != want[i])
			fprintf(stderr, "port %u: got %u frames, want %u\n", i, got, want[i]);
		CU_ASSERT_EQUAL(got, want[i]);
	}
}

static void test_learn_then_unicast(void)
{
	struct fx f;

	fx_up(&f, 0, 0);
	/* a's station says hello: unknown destination, flooded to b and c only. */
	CU_ASSERT(vt_send(f.sw, f.p[0], f.bcast, f.mac[0]));
	fx_run(&f);
	fx_expect(&f, (unsigned int[NPORTS]){ 0, 1, 1, 0, 0, 0 });
	CU_ASSERT_EQUAL(vsw_mac_lookup(f.sw, T1, f.mac[0]), f.p[0]);
	/* b answers a: learned, so unicast to a only. */
	CU_ASSERT(vt_send(f.sw, f.p[1], f.mac[0], f.mac[1]));
	fx_run(&f);
	fx_expect(&f, (unsigned int[NPORTS]){ 1, 0, 0, 0, 0, 0 });
	CU_ASSERT_EQUAL(vsw_mac_lookup(f.sw, T1, f.mac[1]), f.p[1]);
	/* And back: b is learned too. */
	CU_ASSERT(vt_send(f.sw, f.p[0], f.mac[1], f.mac[0]));
	fx_run(&f);
	fx_expect(&f, (unsigned int[NPORTS]){ 0, 1, 0, 0, 0, 0 });
	fx_down(&f);
}

static void test_flood_stays_in_tenant(void)
{
	uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	struct fx f;

	fx_up(&f, 0, 0);
	/* Broadcast, multicast and unknown unicast in T1: never seen in T2. */
	CU_ASSERT(vt_send(f.sw, f.p[0], f.bcast, f.mac[0]));
	CU_ASSERT(vt_send(f.sw, f.p[0], mcast, f.mac[0]));
	CU_ASSERT(vt_send(f.sw, f.p[0], f.mac[2], f.mac[0]));
	fx_run(&f);
	fx_expect(&f, (unsigned int[NPORTS]){ 0, 3, 3, 0, 0, 0 });
	/* The same MAC in T2 lives behind d, not a: tables are separate. */
	CU_ASSERT_EQUAL(vsw_mac_lookup(f.sw, T2, f.mac[0]), -ENOENT);
	CU_ASSERT(vt_send(f.sw, f.p[3], f.bcast, f.mac[0]));
	fx_run(&f);
	fx_expect(&f, (unsigned int[NPORTS]){ 0, 0, 0, 0, 1, 1 });
	CU_ASSERT_EQUAL(vsw_mac_lookup(f.sw, T2, f.mac[0]), f.p[3]);
	CU_ASSERT_EQUAL(vsw_mac_lookup(f.sw, T1, f.mac[0]), f.p[0]);
	/* e's frame to mac[0] goes to d (T2's station), never to a. */
	CU_ASSERT(vt_send(f.sw, f.p[4], f.mac[0], f.mac[1]));
	fx_run(&f);
	fx_expect(&f, (unsigned int[NPORTS]){ 0, 0, 0, 1, 0, 0 });
	fx_down(&f);
}

static void test_hairpin_drop(void)
{
	struct vsw_port_stats st;
	uint8_t other[6];
	struct fx f;

	fx_up(&f, 0, 0);
	vt_mac(other, 99);
	CU_ASSERT(vt_send(f.sw, f.p[0], f.bcast, f.mac[0]));
	fx_run(&f);
	fx_expect(&f, (unsigned int[NPORTS]){ 0, 1, 1, 0, 0, 0 });
	/* Another station on a sends to mac[0], which sits behind a itself. */
	CU_ASSERT(vt_send(f.sw, f.p[0], f.mac[0], other));
	fx_run(&f);
	fx_expect(&f, (unsigned int[NPORTS]){ 0, 0, 0, 0, 0, 0 });
	CU_ASSERT_EQUAL(vsw_port_stats(f.sw, f.p[0], &st), 0);
	CU_ASSERT_EQUAL(st.drops[VSW_DROP_HAIRPIN], 1);
	CU_ASSERT_EQUAL(st.rx_packets, 2);
	fx_down(&f);
}

static void test_mac_move(void)
{
	struct vsw_tenant_stats ts;
	struct fx f;

	fx_up(&f, 0, 0);
	CU_ASSERT(vt_send(f.sw, f.p[0], f.bcast, f.mac[0]));
	fx_run(&f);
	CU_ASSERT_EQUAL(vsw_mac_lookup(f.sw, T1, f.mac[0]), f.p[0]);
	/* The station migrates behind c. */
	CU_ASSERT(vt_send(f.sw, f.p[2], f.bcast, f.mac[0]));
	fx_run(&f);
	CU_ASSERT_EQUAL(vsw_mac_lookup(f.sw, T1, f.mac[0]), f.p[2]);
	fx_expect(&f, (unsigned int[NPORTS]){ 1, 2, 1, 0, 0, 0 });
	/* Traffic to it now goes to c only. */
	CU_ASSERT(vt_send(f.sw, f.p[1], f.mac[0], f.mac[1]));
	fx_run(&f);
	fx_expect(&f, (unsigned int[NPORTS]){ 0, 0, 1, 0, 0, 0 });
	CU_ASSERT_EQUAL(vsw_tenant_stats(f.sw, T1, &ts), 0);
	CU_ASSERT_EQUAL(ts.moved, 1);
	CU_ASSERT_EQUAL(ts.learned, 2);
	CU_ASSERT_EQUAL(ts.fdb_entries, 2);
	fx_down(&f);
}

static void sync_nop(void *arg)
{
	(void)arg;
}

/* The FDB's aging rule with an explicit clock: deterministic. */
static void test_fdb_age_clock(void)
{
	struct vsw_fdb *fdb = vsw_fdb_create("test-age", 64);
	struct rte_ether_addr m1, m2;
	const struct rte_ether_addr *macs[2] = { &m1, &m2 };
	struct vsw_fdb_learn res = { 0 };

	CU_ASSERT_PTR_NOT_NULL_FATAL(fdb);
	vt_mac(m1.addr_bytes, 1);
	vt_mac(m2.addr_bytes, 2);
	vsw_fdb_learn_bulk(fdb, macs, 2, 7, 10, &res);
	CU_ASSERT_EQUAL(res.learned, 2);
	/* m2 is seen again at 14. */
	vsw_fdb_learn_bulk(fdb, &macs[1], 1, 7, 14, &res);
	CU_ASSERT_EQUAL(vsw_fdb_age(fdb, 14, 5, sync_nop, NULL), 0);
	CU_ASSERT_EQUAL(vsw_fdb_age(fdb, 15, 5, sync_nop, NULL), 1);
	CU_ASSERT_EQUAL(vsw_fdb_get(fdb, &m1), VSW_PORT_NONE);
	CU_ASSERT_EQUAL(vsw_fdb_get(fdb, &m2), 7);
	CU_ASSERT_EQUAL(vsw_fdb_age(fdb, 15, 0, sync_nop, NULL), 0); /* 0 = aging off */
	CU_ASSERT_EQUAL(vsw_fdb_age(fdb, 19, 5, sync_nop, NULL), 1);
	CU_ASSERT_EQUAL(vsw_fdb_count(fdb), 0);
	vsw_fdb_destroy(fdb);
}

/* The switch ages by itself (housekeeping thread) with a short timeout. */
/* EVPN's entries: pinned ones never age, move and unpin on local traffic, leave only pinned. */
static void test_fdb_pin(void)
{
	struct vsw_fdb *fdb = vsw_fdb_create("test-pin", 64);
	struct rte_ether_addr m1 = { { 2, 0, 0, 0, 0, 1 } }, m2 = { { 2, 0, 0, 0, 0, 2 } };
	const struct rte_ether_addr *one[1] = { &m1 };
	struct vsw_fdb_learn res = { 0 };
	const uint16_t vtep = (uint16_t)(VSW_FDB_VTEP | 3);

	CU_ASSERT_FATAL(fdb != NULL);
	CU_ASSERT_EQUAL(vsw_fdb_pin(fdb, &m1, vtep, 10), 0);
	CU_ASSERT_EQUAL(vsw_fdb_pin(fdb, &m2, vtep, 10), 0);
	CU_ASSERT_EQUAL(vsw_fdb_get(fdb, &m1), vtep);
	CU_ASSERT_EQUAL(vsw_fdb_age(fdb, 1000, 5, sync_nop, NULL), 0); /* pinned: never aged */
	/* Withdrawn from another VTEP than it sits behind: nothing happens. */
	CU_ASSERT_EQUAL(vsw_fdb_unpin(fdb, &m2, (uint16_t)(VSW_FDB_VTEP | 4), sync_nop, NULL), 0);
	CU_ASSERT_EQUAL(vsw_fdb_unpin(fdb, &m2, vtep, sync_nop, NULL), 1);
	CU_ASSERT_EQUAL(vsw_fdb_get(fdb, &m2), VSW_PORT_NONE);
	/* The station shows up on local port 7: it moves, unpins and ages from now on. */
	vsw_fdb_learn_bulk(fdb, one, 1, 7, 1000, &res);
	CU_ASSERT_EQUAL(res.moved, 1);
	CU_ASSERT_EQUAL(vsw_fdb_get(fdb, &m1), 7);
	CU_ASSERT_EQUAL(vsw_fdb_unpin(fdb, &m1, vtep, sync_nop, NULL), 0); /* a late withdrawal */
	CU_ASSERT_EQUAL(vsw_fdb_get(fdb, &m1), 7);
	CU_ASSERT_EQUAL(vsw_fdb_age(fdb, 1010, 5, sync_nop, NULL), 1);
	CU_ASSERT_EQUAL(vsw_fdb_count(fdb), 0);
	vsw_fdb_destroy(fdb);
}

static void test_aging_switch(void)
{
	struct vsw_tenant_stats ts;
	uint64_t deadline;
	struct fx f;

	fx_up(&f, 2, 0);
	CU_ASSERT(vt_send(f.sw, f.p[0], f.bcast, f.mac[0]));
	fx_run(&f);
	fx_expect(&f, (unsigned int[NPORTS]){ 0, 1, 1, 0, 0, 0 });
	CU_ASSERT_EQUAL(vsw_mac_lookup(f.sw, T1, f.mac[0]), f.p[0]);
	/* Not a timing assertion: only a bound so a broken ager fails instead of hanging. */
	deadline = vt_ms() + 20000;
	while (vsw_mac_lookup(f.sw, T1, f.mac[0]) >= 0 && vt_ms() < deadline)
		usleep(100000);
	CU_ASSERT_EQUAL(vsw_mac_lookup(f.sw, T1, f.mac[0]), -ENOENT);
	CU_ASSERT_EQUAL(vsw_tenant_stats(f.sw, T1, &ts), 0);
	CU_ASSERT_EQUAL(ts.aged, 1);
	CU_ASSERT_EQUAL(ts.fdb_entries, 0);
	/* Forgotten: a frame to it is flooded again. */
	CU_ASSERT(vt_send(f.sw, f.p[1], f.mac[0], f.mac[1]));
	fx_run(&f);
	fx_expect(&f, (unsigned int[NPORTS]){ 1, 0, 1, 0, 0, 0 });
	fx_down(&f);
}

static bool inject_raw(struct fx *f, unsigned int port, struct rte_mbuf *m)
{
	if (!m)
		return false;
	if (vsw_dummy_inject(vsw_port_lookup(f->sw, f->p[port]), 0, &m, 1) == 1)
		return true;
	rte_pktmbuf_free(m);
	return false;
}

static void test_garbage(void)
{
	uint8_t zero[6] = { 0 }, mcast_src[6] = { 0x01, 0, 0, 0, 0, 1 };
	struct vsw_port_stats st;
	struct rte_mbuf *seg;
	struct fx f;

	fx_up(&f, 0, 0);
	CU_ASSERT(inject_raw(&f, 0, vt_frame(f.bcast, f.mac[0], 0, 0)));
	CU_ASSERT(inject_raw(&f, 0, vt_frame(f.bcast, f.mac[0], 5, 0)));
	CU_ASSERT(inject_raw(&f, 0, vt_frame(f.bcast, f.mac[0], 13, 0)));
	/* Header split over two segments: not readable in place, so a runt. */
	seg = vt_frame(f.bcast, f.mac[0], 10, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(seg);
	CU_ASSERT_EQUAL(rte_pktmbuf_chain(seg, vt_frame(f.bcast, f.mac[0], 60, 0)), 0);
	CU_ASSERT(inject_raw(&f, 0, seg));
	CU_ASSERT(inject_raw(&f, 0, vt_frame(f.bcast, zero, 64, 0)));
	CU_ASSERT(inject_raw(&f, 0, vt_frame(f.bcast, mcast_src, 64, 0)));
	/* The shortest valid frame passes. */
	CU_ASSERT(inject_raw(&f, 0, vt_frame(f.bcast, f.mac[0], 14, 0)));
	fx_run(&f);
	fx_expect(&f, (unsigned int[NPORTS]){ 0, 1, 1, 0, 0, 0 });
	CU_ASSERT_EQUAL(vsw_port_stats(f.sw, f.p[0], &st), 0);
	CU_ASSERT_EQUAL(st.rx_packets, 7);
	CU_ASSERT_EQUAL(st.drops[VSW_DROP_RUNT], 4);
	CU_ASSERT_EQUAL(st.drops[VSW_DROP_BAD_SRC], 2);
	CU_ASSERT_EQUAL(vsw_mac_lookup(f.sw, T1, mcast_src), -ENOENT);
	fx_down(&f);
}

static void test_counters_add_up(void)
{
	struct vsw_port_stats ps[NPORTS];
	struct vsw_tenant_stats ts;
	uint8_t other[6];
	uint64_t rx = 0, tx = 0, drops = 0, txb = 0;
	unsigned int i, r;
	struct fx f;

	fx_up(&f, 0, 0);
	vt_mac(other, 50);
	CU_ASSERT(vt_send(f.sw, f.p[0], f.bcast, f.mac[0])); /* flood: 2 copies */
	CU_ASSERT(vt_send(f.sw, f.p[1], f.mac[0], f.mac[1])); /* unicast */
	CU_ASSERT(vt_send(f.sw, f.p[2], f.mac[1], f.mac[2])); /* unicast */
	CU_ASSERT(vt_send(f.sw, f.p[0], f.mac[0], other)); /* hairpin */
	CU_ASSERT(inject_raw(&f, 2, vt_frame(f.bcast, f.mac[2], 3, 0))); /* runt */
	fx_run(&f);
	fx_expect(&f, (unsigned int[NPORTS]){ 1, 2, 1, 0, 0, 0 });
	CU_ASSERT_EQUAL(vsw_tenant_stats(f.sw, T1, &ts), 0);
	for (i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(vsw_port_stats(f.sw, f.p[i], &ps[i]), 0);
		rx += ps[i].rx_packets;
		tx += ps[i].tx_packets;
		txb += ps[i].tx_bytes;
		for (r = 0; r < VSW_DROP_MAX; r++)
			drops += ps[i].drops[r];
	}
	CU_ASSERT_EQUAL(rx, 5);
	CU_ASSERT_EQUAL(ts.rx_packets, rx);
	CU_ASSERT_EQUAL(ts.rx_bytes, 4 * 64 + 3);
	CU_ASSERT_EQUAL(ts.unicast, 2);
	CU_ASSERT_EQUAL(ts.flooded, 1);
	CU_ASSERT_EQUAL(ts.dropped, 2);
	CU_ASSERT_EQUAL(drops, ts.dropped);
	CU_ASSERT_EQUAL(ts.rx_packets, ts.unicast + ts.flooded + ts.dropped);
	CU_ASSERT_EQUAL(tx, ts.unicast + 2 * ts.flooded);
	CU_ASSERT_EQUAL(txb, tx * 64);
	CU_ASSERT_EQUAL(ts.learned, 4);
	CU_ASSERT_EQUAL(ts.fdb_entries, 4);
	CU_ASSERT_EQUAL(ts.n_ports, 3);
	CU_ASSERT_EQUAL(vsw_tenant_stats(f.sw, T2, &ts), 0);
	CU_ASSERT_EQUAL(ts.rx_packets, 0);
	fx_down(&f);
}

/* A hostile guest sprays source MACs: the table fills, nothing is lost. */
static void test_fdb_full(void)
{
	struct vsw_tenant_stats ts;
	unsigned int i, sent = 0;
	uint8_t src[6];
	struct fx f;

	fx_up(&f, 0, 16);
	for (i = 0; i < 200; i++) {
		vt_mac(src, (uint16_t)(1000 + i));
		sent += vt_send(f.sw, f.p[0], f.bcast, src);
	}
	CU_ASSERT_EQUAL(sent, 200);
	fx_run(&f);
	fx_expect(&f, (unsigned int[NPORTS]){ 0, 200, 200, 0, 0, 0 });
	CU_ASSERT_EQUAL(vsw_tenant_stats(f.sw, T1, &ts), 0);
	CU_ASSERT(ts.fdb_entries <= 16);
	CU_ASSERT(ts.learn_failed > 0);
	CU_ASSERT_EQUAL(ts.learned + ts.learn_failed, 200);
	fx_down(&f);
}

static void test_tenant_rules(void)
{
	struct vsw_port_cfg cfg = { .name = "a", .kind = "dummy", .vni = T1 };
	uint16_t id, ids[8];
	uint32_t vnis[8];
	struct fx f;

	fx_up(&f, 0, 0);
	CU_ASSERT_EQUAL(vsw_port_add(f.sw, &cfg, &id), -EEXIST); /* names are unique */
	CU_ASSERT_EQUAL(vsw_port_by_name(f.sw, "e"), f.p[4]);
	CU_ASSERT_EQUAL(vsw_port_by_name(f.sw, "zz"), -ENOENT);
	CU_ASSERT_EQUAL(vsw_port_ids(f.sw, ids, 8), NPORTS);
	CU_ASSERT_EQUAL(vsw_port_ids(f.sw, ids, 2), 2);
	CU_ASSERT_EQUAL(vsw_tenant_vnis(f.sw, vnis, 8), 2);
	cfg.name = "x";
	cfg.vni = 300;
	CU_ASSERT_EQUAL(vsw_tenant_add(f.sw, T1), -EEXIST);
	CU_ASSERT_EQUAL(vsw_tenant_add(f.sw, VSW_MAX_VNI + 1), -EINVAL);
	CU_ASSERT_EQUAL(vsw_port_add(f.sw, &cfg, &id), -ENOENT); /* no tenant 300 */
	cfg.vni = T1;
	cfg.kind = "nosuch";
	CU_ASSERT_EQUAL(vsw_port_add(f.sw, &cfg, &id), -ENOENT);
	CU_ASSERT_EQUAL(vsw_tenant_remove(f.sw, T2), -EBUSY);
	CU_ASSERT_EQUAL(vsw_port_remove(f.sw, f.p[3]), 0);
	CU_ASSERT_EQUAL(vsw_port_remove(f.sw, f.p[4]), 0);
	CU_ASSERT_EQUAL(vsw_port_remove(f.sw, f.p[5]), 0);
	CU_ASSERT_EQUAL(vsw_port_remove(f.sw, f.p[5]), -ENOENT);
	CU_ASSERT_EQUAL(vsw_tenant_remove(f.sw, T2), 0);
	CU_ASSERT_EQUAL(vsw_tenant_vnis(f.sw, vnis, 8), 1);
	CU_ASSERT_EQUAL(vnis[0], T1);
	CU_ASSERT_EQUAL(vsw_poll(f.sw) >= 0, 1);
	fx_down(&f);
}

CU_TestInfo vt_fwd_tests[] = {
	{ "learn then unicast", test_learn_then_unicast },
	{ "flooding stays in the tenant", test_flood_stays_in_tenant },
	{ "hairpin drop", test_hairpin_drop },
	{ "MAC move", test_mac_move },
	{ "FDB aging rule", test_fdb_age_clock },
	{ "FDB entries pinned by EVPN", test_fdb_pin },
	{ "aging in the switch", test_aging_switch },
	{ "garbage frames", test_garbage },
	{ "counters add up", test_counters_add_up },
	{ "FDB full", test_fdb_full },
	{ "tenant and port rules", test_tenant_rules },
	CU_TEST_INFO_NULL,
};
