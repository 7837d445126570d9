/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_wg_tunnel.c - two switches in one process joined by the WireGuard
 * tunnel (wg.h), each in a network namespace of its own with one end of a
 * veth pair: their handshakes travel through the kernel sockets over the
 * veth, as they would between hosts, while the test carries the data
 * messages from one switch's dummy uplink to the other's, so it can also
 * replay, forge, truncate and misdirect them.
 *
 * A is 10.0.0.1 (tunnel address 10.99.0.1), B is 10.0.0.2 (10.99.0.2);
 * tenant 100 is carried encrypted on both, with port a on A and b on B.
 */
#include <errno.h>
#include <fcntl.h>
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
#include "vswitch/wg.h"
#include "vsw_test.h"
#include "wireguard/crypto.h"
#include "wireguard/msg.h"

#define TEN 100
#define NS_A "ferry-ut-wga"
#define NS_B "ferry-ut-wgb"

struct side {
	struct vsw *sw;
	uint16_t up, port;
	uint8_t mac[6];
	uint8_t priv[32], pub[32];
};

struct pair {
	struct side a, b;
};

static int sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		fprintf(stderr, "'%s' failed (%d)\n", cmd, rc);
	return rc;
}

/* Move this thread (and the threads it starts from now on) into namespace @name. */
static bool enter(const char *name)
{
	char path[64];
	int fd, rc;

	snprintf(path, sizeof(path), "/var/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	rc = setns(fd, CLONE_NEWNET);
	close(fd);
	return rc == 0;
}

static bool wt_netns(void)
{
	sh("ip netns del " NS_A " 2>/dev/null; ip netns del " NS_B " 2>/dev/null; true");
	return sh("ip netns add " NS_A " && ip netns add " NS_B " && "
		  "ip link add a0 netns " NS_A " type veth peer name b0 netns " NS_B " && "
		  "ip -n " NS_A " addr add 10.0.0.1/24 dev a0 && ip -n " NS_A " link set a0 up && "
		  "ip -n " NS_B " addr add 10.0.0.2/24 dev b0 && ip -n " NS_B " link set b0 up && "
		  "ip -n " NS_A " link set lo up && ip -n " NS_B " link set lo up") == 0;
}

static uint16_t wt_port(struct side *s, const char *name, const char *kind, uint32_t vni,
			int ifindex)
{
	struct vsw_dummy_args a = {
		.n_rxq = 1, .n_txq = 1, .ring_size = 512, .ifindex = ifindex, .mtu = 1500
	};
	struct vsw_port_cfg pc = { .name = name, .kind = kind, .vni = vni, .args = &a };
	uint16_t id = VSW_PORT_NONE;

	a.has_mac = true;
	memcpy(a.mac, s->mac, 6);
	CU_ASSERT_EQUAL_FATAL(vsw_port_add(s->sw, &pc, &id), 0);
	return id;
}

/*
 * One side, in namespace @ns: overlay on @local, tunnel address @tun, the
 * other side as peer (@peer_pub at @peer_ep, allowing @allowed), tenant 100
 * encrypted (or learning and open, @encrypted false) with VTEP @vtep.
 */
static void wt_side(struct side *s, const char *ns, const char *ifname, const char *local,
		    const char *tun, const uint8_t *peer_pub, const char *peer_ep,
		    const char *allowed, const char *vtep, bool encrypted, double scale)
{
	struct vsw_prefix pre = { .addr = vt_addr(allowed), .plen = 32 };
	struct vsw_wg_peer_opts po = { .endpoint = vt_addr(peer_ep),
				       .endpoint_port = VSW_WG_PORT,
				       .allowed = &pre,
				       .n_allowed = 1 };
	struct vsw_wg_opts wo = { .listen_port = VSW_WG_PORT,
				  .address = vt_addr(tun),
				  .time_scale = scale };
	struct vsw_overlay_opts oo;
	struct vsw_addr r = vt_addr(vtep);
	struct vsw_opts o;

	CU_ASSERT_TRUE_FATAL(enter(ns));
	vt_opts(&o, 0);
	s->sw = vsw_create(&o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s->sw);
	vsw_overlay_opts_init(&oo);
	oo.local = vt_addr(local);
	CU_ASSERT_EQUAL_FATAL(vsw_overlay_enable(s->sw, &oo), 0);
	memcpy(wo.private_key, s->priv, 32);
	CU_ASSERT_EQUAL(vsw_wg_peer_add(s->sw, &po), -ENODEV); /* no tunnel yet */
	CU_ASSERT_EQUAL_FATAL(vsw_wg_enable(s->sw, &wo), 0);
	CU_ASSERT_EQUAL(vsw_wg_enable(s->sw, &wo), -EALREADY);
	memcpy(po.public_key, peer_pub, 32);
	CU_ASSERT_EQUAL_FATAL(vsw_wg_peer_add(s->sw, &po), 0);
	CU_ASSERT_EQUAL(vsw_wg_peer_add(s->sw, &po), -EEXIST);
	CU_ASSERT_EQUAL_FATAL(vsw_tenant_add(s->sw, TEN), 0);
	CU_ASSERT_EQUAL_FATAL(vsw_tenant_vxlan(s->sw, TEN, !encrypted), 0);
	CU_ASSERT_EQUAL_FATAL(vsw_tenant_encrypted(s->sw, TEN, encrypted), 0);
	if (encrypted) {
		struct vsw_addr outside = vt_addr("10.0.0.9");

		/* An encrypted tenant takes only VTEPs the tunnel reaches. */
		CU_ASSERT_EQUAL(vsw_tenant_vtep_add(s->sw, TEN, &outside), -EPERM);
		CU_ASSERT_EQUAL_FATAL(vsw_tenant_vtep_add(s->sw, TEN, &r), 0);
	}
	s->up = wt_port(s, "up", "dummy_uplink", 0, (int)if_nametoindex(ifname));
	s->port = wt_port(s, "p", "dummy", TEN, 0);
}

static void wt_up(struct pair *p, bool b_encrypted, const char *b_allows, double scale)
{
	memset(p, 0, sizeof(*p));
	CU_ASSERT_FATAL(wg_genkey(p->a.priv) == 0 && wg_pubkey(p->a.pub, p->a.priv) == 0);
	CU_ASSERT_FATAL(wg_genkey(p->b.priv) == 0 && wg_pubkey(p->b.pub, p->b.priv) == 0);
	vt_mac(p->a.mac, 0xa);
	vt_mac(p->b.mac, 0xb);
	CU_ASSERT_TRUE_FATAL(wt_netns());
	wt_side(&p->a, NS_A, "a0", "10.0.0.1", "10.99.0.1", p->b.pub, "10.0.0.2", "10.99.0.2",
		"10.99.0.2", true, scale);
	wt_side(&p->b, NS_B, "b0", "10.0.0.2", "10.99.0.2", p->a.pub, "10.0.0.1", b_allows,
		"10.99.0.1", b_encrypted, scale);
}

static void wt_down(struct pair *p)
{
	vsw_destroy(p->a.sw);
	vsw_destroy(p->b.sw);
	sh("ip netns del " NS_A "; ip netns del " NS_B);
}

/* Carry what each uplink sent to the other, and poll both; returns packets carried. */
static unsigned int wt_wire(struct pair *p)
{
	struct side *from[2] = { &p->a, &p->b }, *to[2] = { &p->b, &p->a };
	struct rte_mbuf *m[64];
	unsigned int total = 0, n, k;

	for (int i = 0; i < 2; i++) {
		while (vsw_poll(from[i]->sw) > 0)
			;
		n = vsw_dummy_collect(vsw_port_lookup(from[i]->sw, from[i]->up), 0, m, 64);
		k = vsw_dummy_inject(vsw_port_lookup(to[i]->sw, to[i]->up), 0, m, (uint16_t)n);
		rte_pktmbuf_free_bulk(m + k, n - k);
		total += n;
	}
	while (vsw_poll(p->a.sw) > 0 || vsw_poll(p->b.sw) > 0)
		;
	return total;
}

/* One frame from @s's port towards @dst (MAC). */
static void wt_send(struct side *s, const uint8_t *dst, uint16_t len, uint32_t seq)
{
	struct rte_mbuf *m = vt_frame(dst, s->mac, len, seq);

	CU_ASSERT_EQUAL(vsw_dummy_inject(vsw_port_lookup(s->sw, s->port), 0, &m, 1), 1);
}

/* What a side's tunnel and overlay counted, for a failure's story. */
static void wt_report(const char *name, struct side *s)
{
	struct vsw_overlay_stats os;
	struct vsw_wg_peer_stats ps;
	struct vsw_wg_stats ws;

	vsw_wg_stats(s->sw, &ws);
	vsw_overlay_stats(s->sw, &os);
	fprintf(stderr, "\n%s:", name);
	for (unsigned int i = 0; i < VSW_WG_CTR_MAX; i++)
		if (ws.ctr[i])
			fprintf(stderr, " %s=%llu", vsw_wg_ctr_name((enum vsw_wg_ctr)i),
				(unsigned long long)ws.ctr[i]);
	for (unsigned int i = 0; i < VSW_TUN_DROP_MAX; i++)
		if (os.drops[i])
			fprintf(stderr, " %s=%llu", vsw_tun_drop_name((enum vsw_tun_drop)i),
				(unsigned long long)os.drops[i]);
	fprintf(stderr, " encap=%llu decap=%llu", (unsigned long long)os.encap_packets,
		(unsigned long long)os.decap_packets);
	if (vsw_wg_peers(s->sw, &ps, 1) == 1)
		fprintf(stderr, " peer: session=%d staged=%llu tx=%llu rx=%llu handshakes=%llu",
			ps.session, (unsigned long long)ps.staged,
			(unsigned long long)ps.tx_packets, (unsigned long long)ps.rx_packets,
			(unsigned long long)ps.handshakes);
	fprintf(stderr, "\n");
}

/* Move packets for up to @ms until @s's port has received @want frames; how many it got. */
static unsigned int wt_deliver(struct pair *p, struct side *s, unsigned int want, unsigned int ms)
{
	uint64_t until = vt_ms() + ms;
	unsigned int got = 0;

	while (got < want && vt_ms() < until) {
		wt_wire(p);
		got += vt_drain(s->sw, s->port);
		usleep(1000);
	}
	if (got < want) {
		wt_report("A", &p->a);
		wt_report("B", &p->b);
	}
	return got;
}

static uint64_t wt_drops(struct side *s, enum vsw_tun_drop why)
{
	struct vsw_overlay_stats st;

	CU_ASSERT_EQUAL(vsw_overlay_stats(s->sw, &st), 0);
	return st.drops[why];
}

/* Wait until @s's VTEP is reachable through the tunnel. */
static bool wt_ready(struct side *s)
{
	struct vsw_vtep_stats vt[4];
	uint64_t until = vt_ms() + 5000;

	while (vt_ms() < until) {
		if (vsw_vteps(s->sw, vt, 4) == 1 && vt[0].state == VSW_NH_OK && vt[0].encrypted)
			return true;
		usleep(10000);
	}
	fprintf(stderr, "the encrypted VTEP never came up: state %s\n",
		vsw_vteps(s->sw, vt, 4) ? vsw_nh_state_name(vt[0].state) : "none");
	return false;
}

/* A sealed data message from A to B, taken off A's uplink (its headers are IPv4, no options). */
static struct rte_mbuf *wt_sealed(struct pair *p)
{
	struct rte_mbuf *m = NULL;
	uint64_t until = vt_ms() + 2000;

	wt_send(&p->a, p->b.mac, 100, 42);
	while (!m && vt_ms() < until) {
		while (vsw_poll(p->a.sw) > 0)
			;
		if (vsw_dummy_collect(vsw_port_lookup(p->a.sw, p->a.up), 0, &m, 1) != 1)
			m = NULL;
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	return m;
}

static struct rte_mbuf *wt_copy(struct rte_mbuf *m)
{
	struct rte_mbuf *c = rte_pktmbuf_copy(m, vsw_eal_pool(), 0, UINT32_MAX);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	return c;
}

/* Cut the UDP payload of IPv4 packet @m to @len bytes, lengths and checksum made right. */
static void wt_truncate(struct rte_mbuf *m, uint16_t len)
{
	uint8_t *ip = rte_pktmbuf_mtod(m, uint8_t *) + 14;
	uint16_t tot = (uint16_t)(20 + 8 + len), c;

	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - 14 - tot));
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[10] = ip[11] = 0;
	c = (uint16_t)~rte_raw_cksum(ip, 20);
	memcpy(ip + 10, &c, 2);
	ip[24] = (uint8_t)((8 + len) >> 8);
	ip[25] = (uint8_t)(8 + len);
	ip[26] = ip[27] = 0; /* no UDP checksum */
}

static void wt_inject_b(struct pair *p, struct rte_mbuf *m)
{
	CU_ASSERT_EQUAL(vsw_dummy_inject(vsw_port_lookup(p->b.sw, p->b.up), 0, &m, 1), 1);
	while (vsw_poll(p->b.sw) > 0)
		;
}

static void test_handshake_and_traffic(void)
{
	struct vsw_wg_peer_stats ps;
	struct vsw_wg_stats ws;
	struct pair p;

	if (geteuid() != 0) {
		printf("(skipped: needs root for network namespaces) ");
		return;
	}
	wt_up(&p, true, "10.99.0.1", 1);
	CU_ASSERT_TRUE_FATAL(wt_ready(&p.a));
	CU_ASSERT_TRUE_FATAL(wt_ready(&p.b));
	/* No keys yet: the frame waits for the handshake, then arrives. */
	wt_send(&p.a, p.b.mac, 80, 1);
	CU_ASSERT_EQUAL(wt_deliver(&p, &p.b, 1, 5000), 1);
	/* B's keys are confirmed by that data: the answer goes straight back. */
	wt_send(&p.b, p.a.mac, 1000, 2);
	CU_ASSERT_EQUAL(wt_deliver(&p, &p.a, 1, 2000), 1);
	for (uint32_t i = 0; i < 50; i++) {
		wt_send(&p.a, p.b.mac, (uint16_t)(60 + i * 20), i);
		wt_send(&p.b, p.a.mac, 64, i);
	}
	CU_ASSERT_EQUAL(wt_deliver(&p, &p.b, 50, 2000), 50);
	CU_ASSERT_EQUAL(wt_deliver(&p, &p.a, 50, 2000), 50);
	/* What `wg show` would say on A. */
	CU_ASSERT_EQUAL_FATAL(vsw_wg_peers(p.a.sw, &ps, 1), 1);
	CU_ASSERT_EQUAL(memcmp(ps.public_key, p.b.pub, 32), 0);
	CU_ASSERT_EQUAL(ps.handshakes, 1);
	CU_ASSERT_TRUE(ps.session);
	CU_ASSERT_TRUE(ps.last_handshake_s > 0);
	CU_ASSERT_EQUAL(ps.tx_packets, 51);
	CU_ASSERT_EQUAL(ps.rx_packets, 51);
	CU_ASSERT_TRUE(ps.rx_bytes > 51 * 64 && ps.tx_bytes > ps.rx_bytes);
	CU_ASSERT_EQUAL(vsw_wg_stats(p.a.sw, &ws), 0);
	CU_ASSERT_EQUAL(ws.ctr[VSW_WG_INIT_TX], 1);
	CU_ASSERT_EQUAL(ws.ctr[VSW_WG_RESP_RX], 1);
	CU_ASSERT_EQUAL(memcmp(ws.public_key, p.a.pub, 32), 0);
	CU_ASSERT_EQUAL(vsw_wg_stats(p.b.sw, &ws), 0);
	CU_ASSERT_EQUAL(ws.ctr[VSW_WG_INIT_RX], 1);
	CU_ASSERT_EQUAL(ws.ctr[VSW_WG_RESP_TX], 1);
	CU_ASSERT_EQUAL(wt_drops(&p.b, VSW_TUN_WG_BAD_AUTH), 0);
	wt_down(&p);
}

/* A plain VXLAN packet to B from A's tunnel address, as an attacker would send it. */
static struct rte_mbuf *wt_plain(struct pair *p, const char *src, const char *dst)
{
	struct vxlan_tmpl_params tp = { .port = VXLAN_PORT, .ttl = 64 };
	struct rte_mbuf *m = rte_pktmbuf_alloc(vsw_eal_pool());
	struct vxlan_tmpl t;
	uint8_t *buf;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	tp.src = vt_addr(src);
	tp.dst = vt_addr(dst);
	CU_ASSERT_EQUAL_FATAL(vxlan_tmpl_init(&t, &tp), 0);
	buf = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(t.len + 64));
	memcpy(buf + t.len, p->b.mac, 6);
	memcpy(buf + t.len + 6, p->a.mac, 6);
	memset(buf + t.len + 12, 0x33, 52);
	vxlan_write(&t, buf, TEN, 50000, 64);
	return m;
}

static void test_refusals(void)
{
	struct rte_mbuf *m, *c;
	uint8_t *pay;
	struct pair p;

	if (geteuid() != 0) {
		printf("(skipped: needs root for network namespaces) ");
		return;
	}
	wt_up(&p, true, "10.99.0.1", 1);
	CU_ASSERT_TRUE_FATAL(wt_ready(&p.a) && wt_ready(&p.b));
	wt_send(&p.a, p.b.mac, 80, 1);
	CU_ASSERT_EQUAL_FATAL(wt_deliver(&p, &p.b, 1, 5000), 1);
	m = wt_sealed(&p);
	pay = rte_pktmbuf_mtod(m, uint8_t *) + 14 + 20 + 8;
	CU_ASSERT_EQUAL(wg_get_le32(pay), WG_MSG_DATA);
	/* The real one, then the same again: a replay. */
	wt_inject_b(&p, wt_copy(m));
	CU_ASSERT_EQUAL(vt_drain(p.b.sw, p.b.port), 1);
	wt_inject_b(&p, wt_copy(m));
	CU_ASSERT_EQUAL(wt_drops(&p.b, VSW_TUN_WG_REPLAY), 1);
	/* A flipped bit of ciphertext: forged. */
	c = wt_copy(m);
	rte_pktmbuf_mtod(c, uint8_t *)[14 + 20 + 8 + 16 + 5] ^= 0x10;
	wt_inject_b(&p, c);
	CU_ASSERT_EQUAL(wt_drops(&p.b, VSW_TUN_WG_BAD_AUTH), 1);
	/* Keys nobody holds. */
	c = wt_copy(m);
	rte_pktmbuf_mtod(c, uint8_t *)[14 + 20 + 8 + 4] ^= 0xff;
	wt_inject_b(&p, c);
	CU_ASSERT_EQUAL(wt_drops(&p.b, VSW_TUN_WG_UNKNOWN_INDEX), 1);
	/* Truncated below a header and a tag, and a type word with a reserved bit. */
	c = wt_copy(m);
	wt_truncate(c, 20);
	wt_inject_b(&p, c);
	CU_ASSERT_EQUAL(wt_drops(&p.b, VSW_TUN_WG_BAD_MSG), 1);
	c = wt_copy(m);
	rte_pktmbuf_mtod(c, uint8_t *)[14 + 20 + 8 + 1] = 1;
	wt_inject_b(&p, c);
	CU_ASSERT_EQUAL(wt_drops(&p.b, VSW_TUN_WG_BAD_MSG), 2);
	/* Plain VXLAN claiming to be A: the tenant is carried sealed only. */
	wt_inject_b(&p, wt_plain(&p, "10.0.0.1", "10.0.0.2"));
	CU_ASSERT_EQUAL(wt_drops(&p.b, VSW_TUN_UNENCRYPTED), 1);
	CU_ASSERT_EQUAL(vt_drain(p.b.sw, p.b.port), 0);
	rte_pktmbuf_free(m);
	wt_down(&p);
}

static void test_allowed_ips(void)
{
	struct pair p;

	if (geteuid() != 0) {
		printf("(skipped: needs root for network namespaces) ");
		return;
	}
	/* B lets A send only from 10.99.0.9, and learns VTEPs: A's 10.99.0.1 is refused. */
	wt_up(&p, false, "10.99.0.9", 1);
	CU_ASSERT_TRUE_FATAL(wt_ready(&p.a));
	wt_send(&p.a, p.b.mac, 80, 1);
	CU_ASSERT_EQUAL(wt_deliver(&p, &p.b, 1, 3000), 0);
	CU_ASSERT_EQUAL(wt_drops(&p.b, VSW_TUN_WG_ALLOWED_IPS), 1);
	wt_down(&p);
}

static void test_rekey_under_traffic(void)
{
	struct vsw_wg_peer_stats pa, pb;
	unsigned int sent = 0, got_a = 0, got_b = 0;
	uint64_t until;
	struct pair p;

	if (geteuid() != 0) {
		printf("(skipped: needs root for network namespaces) ");
		return;
	}
	/* Timers at 1/40: REKEY_AFTER_TIME 3 s, REJECT_AFTER_TIME 4.5 s. */
	wt_up(&p, true, "10.99.0.1", 1.0 / 40);
	CU_ASSERT_TRUE_FATAL(wt_ready(&p.a) && wt_ready(&p.b));
	until = vt_ms() + 8000;
	while (vt_ms() < until) {
		wt_send(&p.a, p.b.mac, 200, sent);
		wt_send(&p.b, p.a.mac, 200, sent);
		sent++;
		for (int i = 0; i < 5; i++) {
			wt_wire(&p);
			usleep(1000);
		}
		got_a += vt_drain(p.a.sw, p.a.port);
		got_b += vt_drain(p.b.sw, p.b.port);
	}
	got_a += wt_deliver(&p, &p.a, sent - got_a, 2000);
	got_b += wt_deliver(&p, &p.b, sent - got_b, 2000);
	CU_ASSERT_EQUAL_FATAL(vsw_wg_peers(p.a.sw, &pa, 1), 1);
	CU_ASSERT_EQUAL_FATAL(vsw_wg_peers(p.b.sw, &pb, 1), 1);
	printf("(%u each way, %llu handshakes, %u and %u delivered) ", sent,
	       (unsigned long long)pa.handshakes, got_a, got_b);
	/* Keys renewed at least twice, and nothing lost across the changes. */
	CU_ASSERT_TRUE(pa.handshakes + pb.handshakes >= 3);
	CU_ASSERT_EQUAL(got_a, sent);
	CU_ASSERT_EQUAL(got_b, sent);
	CU_ASSERT_EQUAL(wt_drops(&p.a, VSW_TUN_WG_EXPIRED) + wt_drops(&p.b, VSW_TUN_WG_EXPIRED), 0);
	CU_ASSERT_EQUAL(wt_drops(&p.a, VSW_TUN_WG_NO_KEYS) + wt_drops(&p.b, VSW_TUN_WG_NO_KEYS), 0);
	wt_down(&p);
}

CU_TestInfo vt_wg_tests[] = {
	{ "handshake through the kernel, traffic both ways, counters", test_handshake_and_traffic },
	{ "replayed, forged, truncated, misdirected and plain packets", test_refusals },
	{ "a peer sending from outside its allowed IPs", test_allowed_ips },
	{ "rekeying under traffic loses nothing", test_rekey_under_traffic },
	CU_TEST_INFO_NULL,
};
