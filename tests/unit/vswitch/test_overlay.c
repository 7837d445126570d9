/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_overlay.c - the overlay inside a switch (manual mode, vsw_poll()):
 * crafted VXLAN packets go in through a "dummy_uplink" port, and each kind
 * of bad packet must be counted under its own reason and reach no tenant;
 * good ones reach exactly their tenant, teach it the sender's MACs, and (for
 * a tenant that learns) the sender itself.  The last test runs in a network
 * namespace of its own, with a veth interface, routes and neighbours the
 * underlay reads through netlink: encapsulation is checked byte for byte,
 * and a route change moves a VTEP to another next hop without a restart.
 *
 * Tenants: 100 (VXLAN, VTEP 10.0.0.2 seeded, no learning) with port a,
 * 200 (VXLAN, learning) with port d, 300 (not on the overlay) with port g.
 */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "vswitch/overlay.h"
#include "vswitch/port_dummy.h"
#include "vswitch/vxlan.h"
#include "vsw_test.h"

#define T1 100
#define T2 200
#define T3 300
#define INNER 60

struct ofx {
	struct vsw *sw;
	uint16_t up, a, d, g;
	uint8_t mac_a[6], mac_d[6], remote_mac[6], bcast[6];
};

static const uint8_t up_mac[6] = { 0x02, 0, 0, 0, 0, 0x11 };
static const uint8_t gw_mac[6] = { 0x02, 0, 0, 0, 0, 0x22 };

static uint16_t ot_port(struct ofx *f, const char *name, const char *kind, uint32_t vni,
			const uint8_t *mac, int ifindex)
{
	struct vsw_dummy_args a = {
		.n_rxq = 1, .n_txq = 1, .ring_size = 256, .ifindex = ifindex, .mtu = 1500
	};
	struct vsw_port_cfg pc = { .name = name, .kind = kind, .vni = vni, .args = &a };
	uint16_t id = VSW_PORT_NONE;

	if (mac) {
		a.has_mac = true;
		memcpy(a.mac, mac, 6);
	}
	CU_ASSERT_EQUAL_FATAL(vsw_port_add(f->sw, &pc, &id), 0);
	return id;
}

static void ot_up_aging(struct ofx *f, int uplink_ifindex, unsigned int vtep_aging_s)
{
	struct vsw_overlay_opts oo;
	struct vsw_addr r = vt_addr("10.0.0.2");
	struct vsw_opts o;

	memset(f, 0, sizeof(*f));
	vt_opts(&o, 0);
	f->sw = vsw_create(&o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->sw);
	vsw_overlay_opts_init(&oo);
	oo.local = vt_addr("10.0.0.1");
	oo.udp_csum = true;
	oo.vtep_aging_s = vtep_aging_s;
	CU_ASSERT_EQUAL_FATAL(vsw_overlay_enable(f->sw, &oo), 0);
	CU_ASSERT_EQUAL(vsw_overlay_enable(f->sw, &oo), -EALREADY);
	CU_ASSERT_EQUAL_FATAL(vsw_tenant_add(f->sw, T1), 0);
	CU_ASSERT_EQUAL_FATAL(vsw_tenant_add(f->sw, T2), 0);
	CU_ASSERT_EQUAL_FATAL(vsw_tenant_add(f->sw, T3), 0);
	CU_ASSERT_EQUAL(vsw_tenant_vtep_add(f->sw, T1, &r), -EINVAL); /* not on the overlay yet */
	CU_ASSERT_EQUAL_FATAL(vsw_tenant_vxlan(f->sw, T1, false), 0);
	CU_ASSERT_EQUAL_FATAL(vsw_tenant_vxlan(f->sw, T2, true), 0);
	CU_ASSERT_EQUAL_FATAL(vsw_tenant_vtep_add(f->sw, T1, &r), 0);
	vt_mac(f->mac_a, 0xa);
	vt_mac(f->mac_d, 0xd);
	vt_mac(f->remote_mac, 0x77);
	memset(f->bcast, 0xff, 6);
	f->up = ot_port(f, "up", "dummy_uplink", 0, up_mac, uplink_ifindex);
	f->a = ot_port(f, "a", "dummy", T1, f->mac_a, 0);
	f->d = ot_port(f, "d", "dummy", T2, f->mac_d, 0);
	f->g = ot_port(f, "g", "dummy", T3, NULL, 0);
}

static void ot_up(struct ofx *f, int uplink_ifindex)
{
	ot_up_aging(f, uplink_ifindex, 300);
}

static void ot_down(struct ofx *f)
{
	vsw_destroy(f->sw);
}

/* A packet from remote VTEP @src on @vni carrying an INNER-byte frame @isrc -> @idst. */
static struct rte_mbuf *ot_pkt(const char *src, uint32_t vni, const uint8_t *isrc,
			       const uint8_t *idst)
{
	struct vxlan_tmpl_params p = { .port = VXLAN_PORT, .ttl = 64, .df = true, .udp_csum = true };
	struct rte_mbuf *m = rte_pktmbuf_alloc(vsw_eal_pool());
	struct vxlan_tmpl t;
	uint8_t *buf, *in;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	memcpy(p.dst_mac, up_mac, 6);
	memcpy(p.src_mac, gw_mac, 6);
	p.src = vt_addr(src);
	p.dst = vt_addr("10.0.0.1");
	CU_ASSERT_EQUAL_FATAL(vxlan_tmpl_init(&t, &p), 0);
	buf = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(t.len + INNER));
	in = buf + t.len;
	memcpy(in, idst, 6);
	memcpy(in + 6, isrc, 6);
	for (int i = 12; i < INNER; i++)
		in[i] = (uint8_t)i;
	vxlan_write(&t, buf, vni, vxlan_src_port(in, INNER), INNER);
	vxlan_udp_csum(&t, buf, rte_raw_cksum(in, INNER));
	return m;
}

static uint64_t ot_drops(struct ofx *f, enum vsw_tun_drop why)
{
	struct vsw_overlay_stats st;

	CU_ASSERT_EQUAL(vsw_overlay_stats(f->sw, &st), 0);
	return st.drops[why];
}

static void ot_inject(struct ofx *f, struct rte_mbuf *m)
{
	CU_ASSERT_EQUAL(vsw_dummy_inject(vsw_port_lookup(f->sw, f->up), 0, &m, 1), 1);
	while (vsw_poll(f->sw) > 0)
		;
}

/* Frames each tenant port received since the last call (drained). */
static void ot_expect(struct ofx *f, unsigned int a, unsigned int d, unsigned int g)
{
	CU_ASSERT_EQUAL(vt_drain(f->sw, f->a), a);
	CU_ASSERT_EQUAL(vt_drain(f->sw, f->d), d);
	CU_ASSERT_EQUAL(vt_drain(f->sw, f->g), g);
}

static void test_decap_delivers(void)
{
	struct vsw_mac_entry e[8];
	struct vsw_overlay_stats st;
	struct rte_mbuf *m;
	struct ofx f;
	char buf[VSW_ADDR_STRLEN];
	int n, i, found = 0;

	ot_up(&f, 0);
	ot_inject(&f, ot_pkt("10.0.0.2", T1, f.remote_mac, f.bcast));
	CU_ASSERT_EQUAL(vsw_dummy_collect(vsw_port_lookup(f.sw, f.a), 0, &m, 1), 1);
	/* The inner frame, byte for byte, nothing of the outer headers. */
	CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(m), INNER);
	CU_ASSERT_EQUAL(memcmp(rte_pktmbuf_mtod_offset(m, uint8_t *, 6), f.remote_mac, 6), 0);
	CU_ASSERT_EQUAL(rte_pktmbuf_mtod_offset(m, uint8_t *, 20)[0], 20);
	rte_pktmbuf_free(m);
	ot_expect(&f, 0, 0, 0);
	CU_ASSERT_EQUAL(vsw_overlay_stats(f.sw, &st), 0);
	CU_ASSERT_EQUAL(st.decap_packets, 1);
	/* The sender's MAC is now behind VTEP 10.0.0.2 in tenant 100 only. */
	n = vsw_fdb_dump(f.sw, T1, e, 8);
	for (i = 0; i < n; i++)
		if (!memcmp(e[i].mac, f.remote_mac, 6) && e[i].remote &&
		    !strcmp(vsw_addr_str(&e[i].vtep, buf, sizeof(buf)), "10.0.0.2"))
			found++;
	CU_ASSERT_EQUAL(found, 1);
	CU_ASSERT_EQUAL(vsw_fdb_dump(f.sw, T2, e, 8), 0);
	ot_down(&f);
}

/* How one good packet is spoiled, and the reason it must be counted under. */
struct spoil {
	const char *what;
	/* Spoils @m in place, or frees it and returns another packet. */
	struct rte_mbuf *(*fn)(struct ofx *f, struct rte_mbuf *m);
	enum vsw_tun_drop why;
};

static uint8_t *pkt(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod(m, uint8_t *);
}

static void fix_ip(struct rte_mbuf *m)
{
	uint8_t *h = pkt(m) + 14;
	uint16_t c;

	h[10] = h[11] = 0;
	c = (uint16_t)~rte_raw_cksum(h, (uint32_t)(h[0] & 0xf) * 4);
	memcpy(h + 10, &c, 2);
}

static struct rte_mbuf *sp_truncate(struct ofx *f, struct rte_mbuf *m)
{
	(void)f;
	rte_pktmbuf_trim(m, INNER + 10);
	return m;
}

static struct rte_mbuf *sp_flags(struct ofx *f, struct rte_mbuf *m)
{
	(void)f;
	pkt(m)[VXLAN_OVERHEAD_V4 - 8] = 0x0c;
	return m;
}

static struct rte_mbuf *sp_fragment(struct ofx *f, struct rte_mbuf *m)
{
	(void)f;
	pkt(m)[14 + 6] = 0x20;
	fix_ip(m);
	return m;
}

static struct rte_mbuf *sp_options(struct ofx *f, struct rte_mbuf *m)
{
	uint8_t *p;

	(void)f;
	CU_ASSERT_PTR_NOT_NULL_FATAL(rte_pktmbuf_append(m, 4));
	p = pkt(m);
	memmove(p + 38, p + 34, rte_pktmbuf_pkt_len(m) - 38);
	memset(p + 34, 1, 4);
	p[14] = 0x46;
	p[17] = (uint8_t)(p[17] + 4);
	fix_ip(m);
	return m;
}

static struct rte_mbuf *sp_ip_csum(struct ofx *f, struct rte_mbuf *m)
{
	(void)f;
	pkt(m)[14 + 8] = 3;
	return m;
}

static struct rte_mbuf *sp_udp_csum(struct ofx *f, struct rte_mbuf *m)
{
	(void)f;
	pkt(m)[rte_pktmbuf_pkt_len(m) - 1] ^= 0x40;
	return m;
}

/* These send another packet instead: @m is freed. */
static struct rte_mbuf *sp_vni_unknown(struct ofx *f, struct rte_mbuf *m)
{
	rte_pktmbuf_free(m);
	return ot_pkt("10.0.0.2", 999, f->remote_mac, f->bcast);
}

static struct rte_mbuf *sp_vni_not_overlay(struct ofx *f, struct rte_mbuf *m)
{
	rte_pktmbuf_free(m);
	return ot_pkt("10.0.0.2", T3, f->remote_mac, f->bcast);
}

static struct rte_mbuf *sp_stranger(struct ofx *f, struct rte_mbuf *m)
{
	rte_pktmbuf_free(m);
	return ot_pkt("10.0.0.9", T1, f->remote_mac, f->bcast);
}

static struct rte_mbuf *sp_spoof_other(struct ofx *f, struct rte_mbuf *m)
{
	/* Tenant 200's NIC's MAC, arriving for tenant 100. */
	rte_pktmbuf_free(m);
	return ot_pkt("10.0.0.2", T1, f->mac_d, f->bcast);
}

static struct rte_mbuf *sp_spoof_own(struct ofx *f, struct rte_mbuf *m)
{
	rte_pktmbuf_free(m);
	return ot_pkt("10.0.0.2", T1, f->mac_a, f->bcast);
}

static void test_decap_refusals(void)
{
	static const struct spoil cases[] = {
		{ "truncated", sp_truncate, VSW_TUN_TRUNCATED },
		{ "bad flags", sp_flags, VSW_TUN_BAD_FLAGS },
		{ "fragment", sp_fragment, VSW_TUN_FRAGMENT },
		{ "IP options", sp_options, VSW_TUN_IP_OPTIONS },
		{ "IP checksum", sp_ip_csum, VSW_TUN_BAD_IP_CSUM },
		{ "UDP checksum", sp_udp_csum, VSW_TUN_BAD_UDP_CSUM },
		{ "unknown VNI", sp_vni_unknown, VSW_TUN_UNKNOWN_VNI },
		{ "VNI of a tenant not on the overlay", sp_vni_not_overlay, VSW_TUN_UNKNOWN_VNI },
		{ "unknown VTEP, tenant does not learn", sp_stranger, VSW_TUN_UNKNOWN_VTEP },
		{ "inner source: another tenant's NIC", sp_spoof_other, VSW_TUN_SPOOFED_SRC },
		{ "inner source: the tenant's own NIC", sp_spoof_own, VSW_TUN_SPOOFED_SRC },
	};
	struct rte_mbuf *m;
	struct ofx f;
	uint64_t before;

	ot_up(&f, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		m = cases[i].fn(&f, ot_pkt("10.0.0.2", T1, f.remote_mac, f.bcast));
		before = ot_drops(&f, cases[i].why);
		ot_inject(&f, m);
		if (ot_drops(&f, cases[i].why) != before + 1)
			fprintf(stderr, "case '%s': %s not counted\n", cases[i].what,
				vsw_tun_drop_name(cases[i].why));
		CU_ASSERT_EQUAL(ot_drops(&f, cases[i].why), before + 1);
		ot_expect(&f, 0, 0, 0);
	}
	/* A chained packet: headers are read from the first segment only. */
	m = ot_pkt("10.0.0.2", T1, f.remote_mac, f.bcast);
	struct rte_mbuf *tail = rte_pktmbuf_alloc(vsw_eal_pool());
	CU_ASSERT_PTR_NOT_NULL_FATAL(tail);
	rte_pktmbuf_append(tail, 4);
	CU_ASSERT_EQUAL(rte_pktmbuf_chain(m, tail), 0);
	before = ot_drops(&f, VSW_TUN_NONLINEAR);
	ot_inject(&f, m);
	CU_ASSERT_EQUAL(ot_drops(&f, VSW_TUN_NONLINEAR), before + 1);
	ot_expect(&f, 0, 0, 0);
	/* After all that, a good packet still goes through. */
	ot_inject(&f, ot_pkt("10.0.0.2", T1, f.remote_mac, f.bcast));
	ot_expect(&f, 1, 0, 0);
	ot_down(&f);
}

/* Wait until VTEP @addr is listed with @vni (learned); false after 3 s. */
static bool ot_wait_vtep(struct ofx *f, const char *addr, uint32_t vni)
{
	static struct vsw_vtep_stats vt[16];
	char buf[VSW_ADDR_STRLEN];
	uint64_t until = vt_ms() + 3000;
	unsigned int n;

	while (vt_ms() < until) {
		n = vsw_vteps(f->sw, vt, 16);
		for (unsigned int i = 0; i < n; i++)
			for (unsigned int k = 0; k < vt[i].n_vnis; k++)
				if (vt[i].vnis[k] == vni && vt[i].learned &&
				    !strcmp(vsw_addr_str(&vt[i].addr, buf, sizeof(buf)), addr))
					return true;
		usleep(10000);
	}
	return false;
}

static void test_learn_vtep(void)
{
	struct vsw_overlay_stats st;
	struct vsw_mac_entry e[8];
	struct ofx f;
	uint8_t other[6];
	int n;

	ot_up(&f, 0);
	/* A stranger on the learning tenant: delivered, then learned. */
	ot_inject(&f, ot_pkt("10.0.0.9", T2, f.remote_mac, f.bcast));
	ot_expect(&f, 0, 1, 0);
	CU_ASSERT_TRUE(ot_wait_vtep(&f, "10.0.0.9", T2));
	CU_ASSERT_EQUAL(vsw_overlay_stats(f.sw, &st), 0);
	CU_ASSERT_EQUAL(st.vteps_learned, 1);
	/* From now on its MACs are learned behind it. */
	vt_mac(other, 0x99);
	ot_inject(&f, ot_pkt("10.0.0.9", T2, other, f.bcast));
	ot_expect(&f, 0, 1, 0);
	n = vsw_fdb_dump(f.sw, T2, e, 8);
	CU_ASSERT_TRUE(n >= 1);
	for (int i = 0; i < n; i++)
		if (!memcmp(e[i].mac, other, 6))
			CU_ASSERT_TRUE(e[i].remote);
	/* The learned VTEP is in tenant 200's flood list, not in tenant 100's. */
	CU_ASSERT_FALSE(ot_wait_vtep(&f, "10.0.0.9", T1));
	ot_down(&f);
}

/* Whether @addr is in the VTEP table at all. */
static bool ot_has_vtep(struct ofx *f, const char *addr)
{
	static struct vsw_vtep_stats vt[16];
	char buf[VSW_ADDR_STRLEN];
	unsigned int n = vsw_vteps(f->sw, vt, 16);

	for (unsigned int i = 0; i < n; i++)
		if (!strcmp(vsw_addr_str(&vt[i].addr, buf, sizeof(buf)), addr))
			return true;
	return false;
}

static void test_vtep_aging(void)
{
	struct vsw_overlay_stats st;
	struct vsw_mac_entry e[8];
	uint64_t until;
	struct ofx f;

	ot_up_aging(&f, 0, 1);
	ot_inject(&f, ot_pkt("10.0.0.9", T2, f.remote_mac, f.bcast));
	ot_expect(&f, 0, 1, 0);
	CU_ASSERT_TRUE(ot_wait_vtep(&f, "10.0.0.9", T2));
	ot_inject(&f, ot_pkt("10.0.0.9", T2, f.remote_mac, f.bcast));
	ot_expect(&f, 0, 1, 0);
	CU_ASSERT_EQUAL(vsw_fdb_dump(f.sw, T2, e, 8), 1);
	/* Silent for a second: the learned VTEP goes, and the MACs behind it with it. */
	until = vt_ms() + 5000;
	while (ot_has_vtep(&f, "10.0.0.9") && vt_ms() < until)
		usleep(50000);
	CU_ASSERT_FALSE(ot_has_vtep(&f, "10.0.0.9"));
	CU_ASSERT_EQUAL(vsw_fdb_dump(f.sw, T2, e, 8), 0);
	CU_ASSERT_EQUAL(vsw_overlay_stats(f.sw, &st), 0);
	CU_ASSERT_EQUAL(st.vteps_aged, 1);
	/* A seeded VTEP never ages. */
	CU_ASSERT_TRUE(ot_has_vtep(&f, "10.0.0.2"));
	ot_down(&f);
}

static void test_encap_without_nexthop(void)
{
	struct vsw_overlay_stats st;
	struct ofx f;

	ot_up(&f, 0);
	/* Learn remote_mac behind 10.0.0.2, then send to it from port a. */
	ot_inject(&f, ot_pkt("10.0.0.2", T1, f.remote_mac, f.bcast));
	ot_expect(&f, 1, 0, 0);
	CU_ASSERT_TRUE(vt_send(f.sw, f.a, f.remote_mac, f.mac_a));
	while (vsw_poll(f.sw) > 0)
		;
	/* The uplink has ifindex 0: no route of this host can lead to it. */
	CU_ASSERT_EQUAL(vt_drain(f.sw, f.up), 0);
	CU_ASSERT_EQUAL(vsw_overlay_stats(f.sw, &st), 0);
	CU_ASSERT_EQUAL(st.drops[VSW_TUN_NO_NEXTHOP], 1);
	CU_ASSERT_EQUAL(st.encap_packets, 0);
	ot_down(&f);
}

/* ---- in a network namespace of our own ---- */

static int sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		fprintf(stderr, "'%s' failed (%d)\n", cmd, rc);
	return rc;
}

/*
 * This thread (and the threads it starts later: the overlay's) moves to a
 * new network namespace with an interface d0 = 10.0.0.1/24, static
 * neighbours 10.0.0.2 and 10.0.0.3, and a host route to 10.9.9.9 via
 * 10.0.0.3.  Returns d0's ifindex, or 0.
 */
static int ot_netns(void)
{
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "overlay netns test: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return 0;
	}
	/* A veth pair: the kernels here have no dummy driver; d1 answers nobody's ARP. */
	if (sh("ip link set lo up && ip link add d0 type veth peer name d1 && "
	       "ip addr add 10.0.0.1/24 dev d0 && ip link set d1 up && ip link set d0 up && "
	       "ip neigh add 10.0.0.2 lladdr 02:00:00:00:00:22 dev d0 nud permanent && "
	       "ip neigh add 10.0.0.3 lladdr 02:00:00:00:00:33 dev d0 nud permanent && "
	       "ip route add 10.9.9.9/32 via 10.0.0.3 dev d0"))
		return 0;
	return (int)if_nametoindex("d0");
}

/* VTEP @addr's row, waiting up to 3 s for it to reach @state with a via MAC ending @mac5. */
static bool ot_wait_state(struct ofx *f, const char *addr, enum vsw_nh_state state, int mac5)
{
	static struct vsw_vtep_stats vt[16];
	char buf[VSW_ADDR_STRLEN];
	uint64_t until = vt_ms() + 3000;
	unsigned int n;

	while (vt_ms() < until) {
		n = vsw_vteps(f->sw, vt, 16);
		for (unsigned int i = 0; i < n; i++)
			if (!strcmp(vsw_addr_str(&vt[i].addr, buf, sizeof(buf)), addr) &&
			    vt[i].state == state && (mac5 < 0 || vt[i].via_mac[5] == mac5))
				return true;
		usleep(10000);
	}
	fprintf(stderr, "VTEP %s never reached state %s\n", addr, vsw_nh_state_name(state));
	return false;
}

/* Send one frame from port a and take what the uplink sent: @n packets expected. */
static unsigned int ot_out(struct ofx *f, const uint8_t *dst, uint16_t len, struct rte_mbuf **out,
			   unsigned int max)
{
	struct rte_mbuf *m = vt_frame(dst, f->mac_a, len, 7);

	CU_ASSERT_EQUAL(vsw_dummy_inject(vsw_port_lookup(f->sw, f->a), 0, &m, 1), 1);
	while (vsw_poll(f->sw) > 0)
		;
	return vsw_dummy_collect(vsw_port_lookup(f->sw, f->up), 0, out, (uint16_t)max);
}

/* @m is a packet to VTEP 10.0.0.2 from 10.0.0.1 on VNI 100 carrying a 64-byte frame. */
static void ot_check_encap(struct ofx *f, struct rte_mbuf *m, uint8_t via5)
{
	struct vxlan_local remote = { .addr = vt_addr("10.0.0.2"), .port = VXLAN_PORT };
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	struct vsw_addr me = vt_addr("10.0.0.1");
	struct vxlan_rx rx;

	CU_ASSERT_EQUAL_FATAL(m->nb_segs, 1);
	CU_ASSERT_EQUAL(vxlan_parse(p, rte_pktmbuf_data_len(m), &remote, &rx), VXLAN_OK);
	CU_ASSERT_EQUAL(rx.vni, T1);
	CU_ASSERT_EQUAL(memcmp(&rx.src, &me, sizeof(me)), 0);
	CU_ASSERT_EQUAL(rx.inner_len, 64);
	CU_ASSERT_EQUAL(memcmp(p + rx.inner_off + 6, f->mac_a, 6), 0);
	CU_ASSERT_EQUAL(p[5], via5); /* the next hop's MAC */
	CU_ASSERT_EQUAL(memcmp(p + 6, up_mac, 6), 0);
	CU_ASSERT_EQUAL(p[14 + 6] & 0x40, 0x40); /* DF */
}

static void test_encap_in_netns(void)
{
	struct vsw_addr far = vt_addr("10.9.9.9"), onlink = vt_addr("10.0.0.5");
	struct vsw_overlay_stats st;
	struct rte_mbuf *out[8];
	int ifindex = ot_netns();
	struct ofx f;
	unsigned int n;

	if (!ifindex && geteuid() != 0) {
		printf("(skipped: needs root for a network namespace) ");
		return;
	}
	CU_ASSERT_TRUE_FATAL(ifindex > 0);
	ot_up(&f, ifindex);
	CU_ASSERT_EQUAL(vsw_overlay_refresh(f.sw), 0);
	CU_ASSERT_TRUE(ot_wait_state(&f, "10.0.0.2", VSW_NH_OK, 0x22));
	ot_inject(&f, ot_pkt("10.0.0.2", T1, f.remote_mac, f.bcast));
	ot_expect(&f, 1, 0, 0);
	/* Unicast to a remote MAC: one packet, right headers, the frame inside. */
	n = ot_out(&f, f.remote_mac, 64, out, 8);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	ot_check_encap(&f, out[0], 0x22);
	rte_pktmbuf_free_bulk(out, n);
	/* Broadcast: head-end replication to the tenant's one VTEP, nothing elsewhere. */
	n = ot_out(&f, f.bcast, 64, out, 8);
	CU_ASSERT_EQUAL(n, 1);
	rte_pktmbuf_free_bulk(out, n);
	ot_expect(&f, 0, 0, 0);
	/* MTU 1500: a 1464-byte frame fits in 1514 on the wire, a 1514-byte one does not. */
	n = ot_out(&f, f.remote_mac, 1464, out, 8);
	CU_ASSERT_EQUAL(n, 1);
	rte_pktmbuf_free_bulk(out, n);
	n = ot_out(&f, f.remote_mac, 1514, out, 8);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(vsw_overlay_stats(f.sw, &st), 0);
	CU_ASSERT_EQUAL(st.drops[VSW_TUN_TOO_BIG], 1);
	/* A VTEP behind a gateway, then the route moves: followed from notifications. */
	CU_ASSERT_EQUAL(vsw_tenant_vtep_add(f.sw, T1, &far), 0);
	CU_ASSERT_TRUE(ot_wait_state(&f, "10.9.9.9", VSW_NH_OK, 0x33));
	CU_ASSERT_EQUAL(sh("ip route replace 10.9.9.9/32 via 10.0.0.2 dev d0"), 0);
	CU_ASSERT_TRUE(ot_wait_state(&f, "10.9.9.9", VSW_NH_OK, 0x22));
	n = ot_out(&f, f.bcast, 64, out, 8);
	CU_ASSERT_EQUAL(n, 2);
	for (unsigned int i = 0; i < n; i++)
		CU_ASSERT_EQUAL(rte_pktmbuf_mtod(out[i], uint8_t *)[5], 0x22);
	rte_pktmbuf_free_bulk(out, n);
	/* On-link but unresolved (nobody behind d0 answers ARP). */
	CU_ASSERT_EQUAL(vsw_tenant_vtep_add(f.sw, T1, &onlink), 0);
	CU_ASSERT_TRUE(ot_wait_state(&f, "10.0.0.5", VSW_NH_NO_NEIGH, -1));
	/* The link goes down: its routes go, and so does every next hop. */
	CU_ASSERT_EQUAL(sh("ip link set d0 down"), 0);
	CU_ASSERT_TRUE(ot_wait_state(&f, "10.0.0.2", VSW_NH_NO_ROUTE, -1));
	n = ot_out(&f, f.bcast, 64, out, 8);
	CU_ASSERT_EQUAL(n, 0);
	ot_down(&f);
}

CU_TestInfo vt_overlay_tests[] = {
	{ "decapsulated frame reaches its tenant only", test_decap_delivers },
	{ "every bad packet counted under its reason", test_decap_refusals },
	{ "a learning tenant learns the VTEP, then its MACs", test_learn_vtep },
	{ "a learned VTEP ages out with its MACs, a seeded one stays", test_vtep_aging },
	{ "no next hop: counted and dropped", test_encap_without_nexthop },
	/* Last: it leaves this thread in its own network namespace. */
	{ "encapsulation, routes and neighbours from netlink (netns)", test_encap_in_netns },
	CU_TEST_INFO_NULL,
};
