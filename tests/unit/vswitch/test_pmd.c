/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_pmd.c - the switch with real PMD threads: forwarding between dummy
 * ports, sleeping when idle and waking on an eventfd write (with the wake-up
 * latency the PMD measures), and control changes (port add/remove, rx queue
 * moves between PMDs) while traffic flows, with nothing lost on the ports
 * that stay.  Waits have generous deadlines only so that a broken switch
 * fails instead of hanging; nothing asserts on time.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#include <rte_mbuf.h>

#include "vswitch/port_dummy.h"
#include "vsw_test.h"

#define T1 100
#define T2 200
#define DEADLINE_MS 60000

static uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* Inject up to @n frames a->b into @port; returns how many went in. */
static unsigned int send_some(struct vsw_port *port, const uint8_t dst[6], const uint8_t src[6],
			      unsigned int n, uint32_t seq)
{
	struct rte_mbuf *pkts[32];
	unsigned int i, in;

	n = n > 32 ? 32 : n;
	for (i = 0; i < n; i++) {
		pkts[i] = vt_frame(dst, src, 64, seq + i);
		if (!pkts[i])
			break;
	}
	in = vsw_dummy_inject(port, 0, pkts, (uint16_t)i);
	if (in < i)
		rte_pktmbuf_free_bulk(&pkts[in], i - in);
	return in;
}

/* Wait for @port to have transmitted @want frames (collecting them). */
static unsigned int collect_until(struct vsw *sw, uint16_t port, unsigned int want)
{
	uint64_t deadline = vt_ms() + DEADLINE_MS;
	unsigned int got = 0;

	while (got < want && vt_ms() < deadline) {
		got += vt_drain(sw, port);
		if (got < want)
			usleep(100);
	}
	return got;
}

static struct vsw *pmd_switch(unsigned int pmds, unsigned int idle_us)
{
	struct vsw_opts o;
	struct vsw *sw;

	vt_opts(&o, pmds);
	o.idle_sleep_us = idle_us;
	o.mac_aging_s = 0;
	sw = vsw_create(&o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sw);
	CU_ASSERT_EQUAL_FATAL(vsw_tenant_add(sw, T1), 0);
	return sw;
}

/* b's station announces itself so that a->b is unicast from then on. */
static void learn(struct vsw *sw, uint16_t b, const uint8_t mb[6], unsigned int flooded_to,
		  const uint16_t *others)
{
	unsigned int i;

	CU_ASSERT_FATAL(vt_send(sw, b, bcast, mb));
	for (i = 0; i < flooded_to; i++)
		CU_ASSERT_EQUAL(collect_until(sw, others[i], 1), 1);
}

static void test_pmd_forward(void)
{
	struct vsw *sw = pmd_switch(1, 0);
	uint16_t a = vt_dummy(sw, "a", T1, 1024), b = vt_dummy(sw, "b", T1, 1024);
	const unsigned int n = 20000;
	unsigned int sent = 0, got = 0;
	struct vsw_pmd_stats ps;
	uint8_t ma[6], mb[6];
	uint64_t deadline;

	vt_mac(ma, 1);
	vt_mac(mb, 2);
	learn(sw, b, mb, 1, &a);
	deadline = vt_ms() + DEADLINE_MS;
	while ((sent < n || got < n) && vt_ms() < deadline) {
		/*
		 * At most half of b's ring in flight: a test thread descheduled for a
		 * while (ASan, a busy host) must not make the PMD drop at a full ring.
		 */
		if (sent < n && sent - got < 512)
			sent += send_some(vsw_port_lookup(sw, a), mb, ma, n - sent, sent);
		got += vt_drain(sw, b);
	}
	CU_ASSERT_EQUAL(got, n);
	CU_ASSERT_EQUAL(vt_drain(sw, a), 0);
	/* idle_sleep_us = 0: the PMD never sleeps, however long it idles. */
	usleep(20000);
	CU_ASSERT_EQUAL(vsw_pmd_stats(sw, 0, &ps), 0);
	CU_ASSERT_EQUAL(ps.sleeps, 0);
	CU_ASSERT_EQUAL(ps.rx_packets, n + 1);
	CU_ASSERT_EQUAL(ps.n_rxq, 2);
	vsw_destroy(sw);
}

static bool wait_asleep(struct vsw *sw, uint16_t port)
{
	uint64_t deadline = vt_ms() + DEADLINE_MS;
	struct vsw_port *p = vsw_port_lookup(sw, port);

	while (!vsw_dummy_notify_enabled(p, 0) && vt_ms() < deadline)
		usleep(50);
	return vsw_dummy_notify_enabled(p, 0);
}

static void test_pmd_sleep_wake(void)
{
	struct vsw *sw = pmd_switch(1, 200);
	uint16_t a = vt_dummy(sw, "a", T1, 1024), b = vt_dummy(sw, "b", T1, 1024);
	const unsigned int rounds = 50;
	struct vsw_port_stats st;
	struct vsw_pmd_stats ps;
	uint8_t ma[6], mb[6];
	unsigned int i, ok = 0;

	vt_mac(ma, 1);
	vt_mac(mb, 2);
	learn(sw, b, mb, 1, &a);
	for (i = 0; i < rounds; i++) {
		if (!wait_asleep(sw, a))
			break;
		/* The kick: the dummy writes the eventfd because notifications are on. */
		CU_ASSERT(vt_send(sw, a, mb, ma));
		ok += collect_until(sw, b, 1);
	}
	CU_ASSERT_EQUAL(ok, rounds);
	CU_ASSERT_EQUAL(vsw_pmd_stats(sw, 0, &ps), 0);
	CU_ASSERT(ps.sleeps >= rounds);
	CU_ASSERT(ps.wakeups_measured >= 1);
	CU_ASSERT(ps.wake_lat_min_ns <= ps.wake_lat_max_ns);
	CU_ASSERT_EQUAL(vsw_port_stats(sw, a, &st), 0);
	CU_ASSERT(st.drv.notifications >= rounds);
	printf("\n    wake-up latency over %lu wakes: min %lu ns, avg %lu ns, max %lu ns;"
	       " %lu sleeps\n",
	       (unsigned long)ps.wakeups_measured, (unsigned long)ps.wake_lat_min_ns,
	       (unsigned long)(ps.wakeups_measured ? ps.wake_lat_sum_ns / ps.wakeups_measured : 0),
	       (unsigned long)ps.wake_lat_max_ns, (unsigned long)ps.sleeps);
	vsw_destroy(sw);
}

struct traffic {
	struct vsw *sw;
	uint16_t a, b;
	uint8_t ma[6], mb[6];
	unsigned int n; /* frames to send a->b */
	_Atomic unsigned int sent, got;
	_Atomic bool stop;
};

static void *injector(void *arg)
{
	struct traffic *t = arg;
	struct vsw_port *a = vsw_port_lookup(t->sw, t->a);
	unsigned int sent = 0, in;

	while (sent < t->n && !atomic_load(&t->stop)) {
		in = send_some(a, t->mb, t->ma, t->n - sent, sent);
		sent += in;
		atomic_store(&t->sent, sent);
		if (in == 0)
			usleep(50); /* ring full: the PMD is behind or its queue is moving */
	}
	return NULL;
}

static void *collector(void *arg)
{
	struct traffic *t = arg;
	unsigned int got = 0, n;

	while (got < t->n && !atomic_load(&t->stop)) {
		n = vt_drain(t->sw, t->b);
		got += n;
		atomic_store(&t->got, got);
		if (n == 0)
			usleep(50);
	}
	return NULL;
}

/* One round of control churn beside the a->b traffic. */
static void churn(struct traffic *t, unsigned int i)
{
	uint16_t c = vt_dummy(t->sw, "c", T1, 256);
	uint16_t d = vt_dummy(t->sw, "d", T2, 256);
	uint16_t e = vt_dummy(t->sw, "e", T2, 256);
	uint8_t md[6];

	vt_mac(md, 4);
	/* Traffic on the ports being removed too. */
	CU_ASSERT(vt_send(t->sw, d, bcast, md));
	CU_ASSERT_EQUAL(vsw_port_set_rxq_pmd(t->sw, t->a, 0, i % vsw_pmd_count(t->sw)), 0);
	CU_ASSERT_EQUAL(vsw_port_remove(t->sw, e), 0);
	CU_ASSERT_EQUAL(vsw_port_remove(t->sw, d), 0);
	/* a->b is unicast: c, in the same tenant, never sees any of it. */
	CU_ASSERT_EQUAL(vt_drain(t->sw, c), 0);
	CU_ASSERT_EQUAL(vsw_port_remove(t->sw, c), 0);
}

static void remove_under_traffic(unsigned int pmds)
{
	struct traffic t = { .n = 100000 };
	struct vsw_port_stats sa, sb;
	pthread_t ti, tc;
	unsigned int i, rounds;

	t.sw = pmd_switch(pmds, 200);
	CU_ASSERT_EQUAL_FATAL(vsw_tenant_add(t.sw, T2), 0);
	t.a = vt_dummy(t.sw, "a", T1, 1024);
	/* Room for every frame: a slow collector must not turn into tx drops. */
	t.b = vt_dummy(t.sw, "b", T1, 131072);
	vt_mac(t.ma, 1);
	vt_mac(t.mb, 2);
	learn(t.sw, t.b, t.mb, 1, &t.a);
	CU_ASSERT_FATAL(pthread_create(&ti, NULL, injector, &t) == 0);
	CU_ASSERT_FATAL(pthread_create(&tc, NULL, collector, &t) == 0);
	for (rounds = 0; rounds < 40 && atomic_load(&t.got) < t.n; rounds++)
		churn(&t, rounds);
	for (i = 0; i < DEADLINE_MS / 10 && atomic_load(&t.got) < t.n; i++)
		usleep(10000);
	atomic_store(&t.stop, true);
	pthread_join(ti, NULL);
	pthread_join(tc, NULL);
	CU_ASSERT_EQUAL(atomic_load(&t.sent), t.n);
	CU_ASSERT_EQUAL(atomic_load(&t.got), t.n);
	CU_ASSERT_EQUAL(vsw_port_stats(t.sw, t.a, &sa), 0);
	CU_ASSERT_EQUAL(vsw_port_stats(t.sw, t.b, &sb), 0);
	CU_ASSERT_EQUAL(sa.rx_packets, t.n);
	CU_ASSERT_EQUAL(sb.tx_packets, t.n);
	CU_ASSERT_EQUAL(sb.drops[VSW_DROP_TX], 0);
	CU_ASSERT_EQUAL(vt_drain(t.sw, t.a), 0);
	printf("\n    %u PMD(s): %u frames a->b during %u control rounds, all delivered: %s\n",
	       pmds, t.n, rounds, atomic_load(&t.got) == t.n ? "yes" : "NO");
	vsw_destroy(t.sw);
}

static void test_remove_under_traffic_1pmd(void)
{
	remove_under_traffic(1);
}

static void test_remove_under_traffic_2pmd(void)
{
	remove_under_traffic(2);
}

CU_TestInfo vt_pmd_tests[] = {
	{ "PMD forwards dummy to dummy", test_pmd_forward },
	{ "PMD sleeps when idle, wakes on eventfd", test_pmd_sleep_wake },
	{ "port removal under traffic, 1 PMD", test_remove_under_traffic_1pmd },
	{ "port removal and rxq moves under traffic, 2 PMDs", test_remove_under_traffic_2pmd },
	CU_TEST_INFO_NULL,
};
