/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_xdp.c - Ferry's XDP programs run by the kernel on crafted packets
 * (BPF_PROG_TEST_RUN), loaded through their real loaders but attached
 * nowhere: every verdict and counter of the uplink filter (VTEP allow-list,
 * VNI allow-list, rate limit, what is not ours) and of the ACL (prefixes,
 * port ranges, protocols, count rules, the default, an atomic rule swap), on
 * truncated, VLAN-tagged, IPv4-with-options, fragmented and IPv6 packets.
 * Needs CAP_BPF (root): CI is root; elsewhere it says so and fails.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "ebpf/acl.h"
#include "ebpf/ebpf.h"
#include "harness.h"

/* ---- packets ---- */

struct pk {
	uint8_t b[256];
	uint32_t len;
};

static uint16_t ck(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/*
 * Ethernet (with @vlans tags), IPv4 from @src to @dst with @opt bytes of
 * options, then an L4 header of @proto with ports, then a VXLAN header with
 * @vni when @dport is 4789.  @frag: the fragment field.
 */
static void pk4(struct pk *k, int vlans, const char *src, const char *dst, uint8_t proto,
		uint16_t sport, uint16_t dport, uint32_t vni, unsigned int opt, uint16_t frag)
{
	uint8_t *p = k->b, *ip, *l4;
	uint32_t ihl = 20 + opt, l4len = 8 + 8 + 14;

	memset(k, 0, sizeof(*k));
	memset(p, 0x02, 12);
	p += 12;
	for (int i = 0; i < vlans; i++, p += 4) {
		put16(p, 0x8100);
		put16(p + 2, 100);
	}
	put16(p, 0x0800);
	ip = p + 2;
	ip[0] = (uint8_t)(0x40 | ihl / 4);
	put16(ip + 2, (uint16_t)(ihl + l4len));
	put16(ip + 6, frag);
	ip[8] = 64;
	ip[9] = proto;
	inet_pton(AF_INET, src, ip + 12);
	inet_pton(AF_INET, dst, ip + 16);
	memset(ip + 20, 1, opt); /* NOPs */
	put16(ip + 10, ck(ip, ihl));
	l4 = ip + ihl;
	put16(l4, sport);
	put16(l4 + 2, dport);
	put16(l4 + 4, (uint16_t)l4len);
	l4[8] = 0x08;
	l4[12] = (uint8_t)(vni >> 16);
	l4[13] = (uint8_t)(vni >> 8);
	l4[14] = (uint8_t)vni;
	k->len = (uint32_t)(l4 + l4len - k->b);
}

static void pk6(struct pk *k, const char *src, const char *dst, uint8_t proto, uint16_t sport,
		uint16_t dport, uint32_t vni)
{
	uint8_t *ip = k->b + 14, *l4 = ip + 40;

	memset(k, 0, sizeof(*k));
	memset(k->b, 0x02, 12);
	put16(k->b + 12, 0x86dd);
	ip[0] = 0x60;
	put16(ip + 4, 30);
	ip[6] = proto;
	ip[7] = 64;
	inet_pton(AF_INET6, src, ip + 8);
	inet_pton(AF_INET6, dst, ip + 24);
	put16(l4, sport);
	put16(l4 + 2, dport);
	put16(l4 + 4, 30);
	l4[8] = 0x08;
	l4[14] = (uint8_t)vni;
	k->len = 14 + 40 + 30;
}

static uint32_t run(int fd, const struct pk *k)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = k->b, .data_size_in = k->len, .repeat = 1);

	CU_ASSERT_EQUAL_FATAL(bpf_prog_test_run_opts(fd, &o), 0);
	return o.retval;
}

/* ---- the uplink filter ---- */

static struct ebpf_uplink *up_load(void)
{
	struct ebpf_uplink_opts o = {
		.ports = { 4789 }, .n_ports = 1, .vxlan_port = 4789, .n_addrs = 2
	};
	struct ebpf_uplink *u = NULL;

	o.addrs[0].family = AF_INET;
	inet_pton(AF_INET, "10.0.0.1", o.addrs[0].a);
	o.addrs[1].family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1", o.addrs[1].a);
	if (ebpf_uplink_attach(&o, &u))
		fprintf(stderr, "cannot load the uplink program: run as root (CAP_BPF)\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	return u;
}

static struct ebpf_prefix pfx(const char *s, uint8_t plen)
{
	struct ebpf_prefix p = { .plen = plen };

	p.family = strchr(s, ':') ? AF_INET6 : AF_INET;
	inet_pton(p.family, s, p.a);
	return p;
}

static void test_uplink_steering(void)
{
	struct ebpf_uplink *u = up_load();
	struct ebpf_uplink_stats st;
	int fd = ebpf_uplink_prog_fd(u);
	struct pk k;

	/* No socket on the queue in a test run: "would steer" shows as no_socket, passed. */
	pk4(&k, 0, "10.0.0.2", "10.0.0.1", 17, 50000, 4789, 100, 0, 0);
	CU_ASSERT_EQUAL(run(fd, &k), XDP_PASS);
	pk6(&k, "2001:db8::2", "2001:db8::1", 17, 50000, 4789, 100);
	CU_ASSERT_EQUAL(run(fd, &k), XDP_PASS);
	pk4(&k, 0, "10.0.0.2", "10.0.0.1", 17, 50000, 4789, 100, 8, 0); /* options */
	CU_ASSERT_EQUAL(run(fd, &k), XDP_PASS);
	ebpf_uplink_stats(u, &st);
	CU_ASSERT_EQUAL(st.no_socket, 3);
	/* Not ours: other port, other address, TCP, VLAN tag, later fragment, cut short. */
	pk4(&k, 0, "10.0.0.2", "10.0.0.1", 17, 50000, 53, 0, 0, 0);
	run(fd, &k);
	pk4(&k, 0, "10.0.0.2", "10.0.0.9", 17, 50000, 4789, 100, 0, 0);
	run(fd, &k);
	pk4(&k, 0, "10.0.0.2", "10.0.0.1", 6, 50000, 4789, 100, 0, 0);
	run(fd, &k);
	pk4(&k, 1, "10.0.0.2", "10.0.0.1", 17, 50000, 4789, 100, 0, 0);
	run(fd, &k);
	pk4(&k, 0, "10.0.0.2", "10.0.0.1", 17, 50000, 4789, 100, 0, 8);
	run(fd, &k);
	pk4(&k, 0, "10.0.0.2", "10.0.0.1", 17, 50000, 4789, 100, 0, 0);
	k.len = 14 + 10;
	CU_ASSERT_EQUAL(run(fd, &k), XDP_PASS);
	ebpf_uplink_stats(u, &st);
	CU_ASSERT_EQUAL(st.passed, 6);
	CU_ASSERT_EQUAL(st.no_socket, 3);
	ebpf_uplink_detach(u);
}

/* UDP to the WireGuard port 51820 whose payload starts with the type word @w0 @w1. */
static void pkwg(struct pk *k, const char *src, uint8_t w0, uint8_t w1)
{
	pk4(k, 0, src, "10.0.0.1", 17, 51820, 51820, 0, 0, 0);
	k->b[14 + 20 + 8] = w0;
	k->b[14 + 20 + 9] = w1;
	k->b[14 + 20 + 12] = 0;
}

static void test_uplink_wireguard(void)
{
	struct ebpf_uplink_opts o = { .ports = { 4789, 51820 },
				      .n_ports = 2,
				      .vxlan_port = 4789,
				      .wg_port = 51820,
				      .n_addrs = 1 };
	struct ebpf_uplink_filter f = { .enforce_vteps = true, .enforce_vnis = true };
	struct ebpf_prefix allow[1] = { pfx("10.0.0.0", 24) };
	uint32_t vni = 100;
	struct ebpf_uplink *u = NULL;
	struct ebpf_uplink_stats st;
	struct pk k;
	int fd;

	o.addrs[0].family = AF_INET;
	inet_pton(AF_INET, "10.0.0.1", o.addrs[0].a);
	CU_ASSERT_EQUAL_FATAL(ebpf_uplink_attach(&o, &u), 0);
	fd = ebpf_uplink_prog_fd(u);
	CU_ASSERT_EQUAL(ebpf_uplink_set_filter(u, &f), 0);
	CU_ASSERT_EQUAL(ebpf_uplink_sync_allow(u, allow, 1, &vni, 1), 0);
	/* Data messages are the switch's, from anywhere (peers roam): would steer. */
	pkwg(&k, "192.0.2.7", 4, 0);
	CU_ASSERT_EQUAL(run(fd, &k), XDP_PASS);
	ebpf_uplink_stats(u, &st);
	CU_ASSERT_EQUAL(st.no_socket, 1);
	CU_ASSERT_EQUAL(st.drop_vtep, 0);
	/* Initiations, responses, cookie replies and anything else go to the kernel socket. */
	for (uint8_t t = 1; t <= 3; t++) {
		pkwg(&k, "192.0.2.7", t, 0);
		CU_ASSERT_EQUAL(run(fd, &k), XDP_PASS);
	}
	pkwg(&k, "192.0.2.7", 4, 1); /* reserved bits: not a data message */
	CU_ASSERT_EQUAL(run(fd, &k), XDP_PASS);
	ebpf_uplink_stats(u, &st);
	CU_ASSERT_EQUAL(st.passed, 4);
	CU_ASSERT_EQUAL(st.no_socket, 1);
	/* VXLAN on the same uplink still obeys the allow-list. */
	pk4(&k, 0, "192.0.2.7", "10.0.0.1", 17, 50000, 4789, 100, 0, 0);
	CU_ASSERT_EQUAL(run(fd, &k), XDP_DROP);
	/* The rate limit applies to data messages too. */
	f.rate_pps = 1;
	f.burst = 2;
	CU_ASSERT_EQUAL(ebpf_uplink_set_filter(u, &f), 0);
	pkwg(&k, "192.0.2.8", 4, 0);
	CU_ASSERT_EQUAL(run(fd, &k), XDP_PASS);
	CU_ASSERT_EQUAL(run(fd, &k), XDP_PASS);
	CU_ASSERT_EQUAL(run(fd, &k), XDP_DROP);
	ebpf_uplink_stats(u, &st);
	CU_ASSERT_EQUAL(st.drop_rate, 1);
	ebpf_uplink_detach(u);
}

static void test_uplink_allow_lists(void)
{
	struct ebpf_uplink_filter f = { .enforce_vteps = true, .enforce_vnis = true };
	struct ebpf_prefix allow[2] = { pfx("10.0.0.0", 24), pfx("2001:db8::", 64) };
	uint32_t vnis[2] = { 100, 200 };
	struct ebpf_uplink *u = up_load();
	struct ebpf_uplink_stats st;
	int fd = ebpf_uplink_prog_fd(u);
	struct pk k;

	CU_ASSERT_EQUAL(ebpf_uplink_set_filter(u, &f), 0);
	CU_ASSERT_EQUAL(ebpf_uplink_sync_allow(u, allow, 2, vnis, 2), 0);
	pk4(&k, 0, "10.0.0.2", "10.0.0.1", 17, 50000, 4789, 200, 0, 0);
	CU_ASSERT_EQUAL(run(fd, &k), XDP_PASS); /* allowed: would steer */
	pk4(&k, 0, "10.0.1.2", "10.0.0.1", 17, 50000, 4789, 200, 0, 0);
	CU_ASSERT_EQUAL(run(fd, &k), XDP_DROP); /* outside 10.0.0.0/24 */
	pk4(&k, 0, "10.0.0.2", "10.0.0.1", 17, 50000, 4789, 300, 0, 0);
	CU_ASSERT_EQUAL(run(fd, &k), XDP_DROP); /* VNI 300 not hosted */
	pk6(&k, "2001:db8::2", "2001:db8::1", 17, 50000, 4789, 100);
	CU_ASSERT_EQUAL(run(fd, &k), XDP_PASS);
	pk6(&k, "2001:db9::2", "2001:db8::1", 17, 50000, 4789, 100);
	CU_ASSERT_EQUAL(run(fd, &k), XDP_DROP);
	/* A VXLAN header cut short cannot show an allowed VNI. */
	pk4(&k, 0, "10.0.0.2", "10.0.0.1", 17, 50000, 4789, 200, 0, 0);
	k.len = 14 + 20 + 8 + 4;
	CU_ASSERT_EQUAL(run(fd, &k), XDP_DROP);
	ebpf_uplink_stats(u, &st);
	CU_ASSERT_EQUAL(st.drop_vtep, 2);
	CU_ASSERT_EQUAL(st.drop_vni, 2);
	CU_ASSERT_EQUAL(st.no_socket, 2);
	/* The lists change in place: 10.0.1.0/24 allowed, 10.0.0.0/24 no more. */
	allow[0] = pfx("10.0.1.0", 24);
	CU_ASSERT_EQUAL(ebpf_uplink_sync_allow(u, allow, 1, vnis, 2), 0);
	pk4(&k, 0, "10.0.1.2", "10.0.0.1", 17, 50000, 4789, 100, 0, 0);
	CU_ASSERT_EQUAL(run(fd, &k), XDP_PASS);
	pk4(&k, 0, "10.0.0.2", "10.0.0.1", 17, 50000, 4789, 100, 0, 0);
	CU_ASSERT_EQUAL(run(fd, &k), XDP_DROP);
	ebpf_uplink_detach(u);
}

static void test_uplink_rate(void)
{
	struct ebpf_uplink_filter f = { .rate_pps = 1, .burst = 5 };
	struct ebpf_uplink *u = up_load();
	struct ebpf_uplink_stats st;
	int fd = ebpf_uplink_prog_fd(u), pass = 0;
	struct pk k;

	CU_ASSERT_EQUAL(ebpf_uplink_set_filter(u, &f), 0);
	pk4(&k, 0, "10.0.0.2", "10.0.0.1", 17, 50000, 4789, 100, 0, 0);
	for (int i = 0; i < 20; i++)
		pass += run(fd, &k) == XDP_PASS;
	/* A full bucket of 5, then 1 a second: these 20 took well under a second. */
	CU_ASSERT(pass == 5 || pass == 6);
	pk4(&k, 0, "10.0.0.3", "10.0.0.1", 17, 50000, 4789, 100, 0, 0);
	CU_ASSERT_EQUAL(run(fd, &k), XDP_PASS); /* another source has its own bucket */
	ebpf_uplink_stats(u, &st);
	CU_ASSERT_EQUAL(st.drop_rate, (uint64_t)(20 - pass));
	ebpf_uplink_detach(u);
}

/* ---- the ACL ---- */

static struct ebpf_acl *acl_load(void)
{
	struct ebpf_acl_opts o = { .ifname = "test" };
	struct ebpf_acl *a = NULL;

	if (ebpf_acl_attach(&o, &a))
		fprintf(stderr, "cannot load the ACL program: run as root (CAP_BPF)\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	return a;
}

static struct acl_rule rule(uint16_t id, uint8_t action, uint8_t proto, const char *src,
			    uint8_t src_plen, uint16_t dlo, uint16_t dhi)
{
	struct acl_rule r = { .id = id,
			      .action = action,
			      .proto = proto,
			      .src_plen = src_plen,
			      .sport_hi = 0xffff,
			      .dport_lo = dlo,
			      .dport_hi = dhi };

	if (src) {
		r.family = strchr(src, ':') ? AF_INET6 : AF_INET;
		inet_pton(r.family, src, r.src);
	}
	return r;
}

static void test_acl_rules(void)
{
	struct acl_rule rs[4] = {
		rule(0, ACL_COUNT, 6, NULL, 0, 0, 0xffff), /* count TCP, go on */
		rule(1, ACL_DROP, 17, "10.1.0.0", 24, 5000, 5010),
		rule(2, ACL_DROP, 17, "2001:db8::", 32, 0, 0xffff),
		rule(3, ACL_ALLOW, 0, "10.1.0.7", 32, 0, 0xffff),
	};
	struct ebpf_acl *a = acl_load();
	struct ebpf_acl_stats st;
	int fd = ebpf_acl_prog_fd(a);
	uint64_t pk, by;
	struct pk k;

	CU_ASSERT_EQUAL(ebpf_acl_set_rules(a, rs, 4, false), 0);
	pk4(&k, 0, "10.1.0.5", "10.9.0.1", 17, 1234, 5005, 0, 0, 0);
	CU_ASSERT_EQUAL(run(fd, &k), XDP_DROP);
	pk4(&k, 0, "10.1.0.5", "10.9.0.1", 17, 1234, 5011, 0, 0, 0);
	CU_ASSERT_EQUAL(run(fd, &k), XDP_PASS); /* outside the port range */
	pk4(&k, 0, "10.1.1.5", "10.9.0.1", 17, 1234, 5005, 0, 0, 0);
	CU_ASSERT_EQUAL(run(fd, &k), XDP_PASS); /* outside the prefix */
	pk4(&k, 2, "10.1.0.5", "10.9.0.1", 17, 1234, 5005, 0, 0, 0);
	CU_ASSERT_EQUAL(run(fd, &k), XDP_DROP); /* behind two VLAN tags */
	pk4(&k, 0, "10.1.0.5", "10.9.0.1", 17, 1234, 5005, 0, 12, 0);
	CU_ASSERT_EQUAL(run(fd, &k), XDP_DROP); /* IPv4 options before the ports */
	pk4(&k, 0, "10.1.0.5", "10.9.0.1", 17, 1234, 5005, 0, 0, 8);
	CU_ASSERT_EQUAL(run(fd, &k), XDP_PASS); /* a later fragment has no ports */
	pk6(&k, "2001:db8::5", "2001:db9::1", 17, 1234, 80, 0);
	CU_ASSERT_EQUAL(run(fd, &k), XDP_DROP);
	pk4(&k, 0, "10.1.0.5", "10.9.0.1", 6, 1234, 5005, 0, 0, 0);
	CU_ASSERT_EQUAL(run(fd, &k), XDP_PASS); /* TCP: counted, then the default */
	pk4(&k, 0, "10.1.0.5", "10.9.0.1", 17, 1234, 5005, 0, 0, 0);
	k.len = 14 + 12;
	CU_ASSERT_EQUAL(run(fd, &k), XDP_PASS); /* cut short: not IP to the ACL */
	ebpf_acl_hits(a, 0, &pk, &by);
	CU_ASSERT_EQUAL(pk, 1);
	CU_ASSERT_EQUAL(by, 14 + 20 + 30);
	ebpf_acl_hits(a, 1, &pk, &by);
	CU_ASSERT_EQUAL(pk, 3);
	ebpf_acl_stats(a, &st);
	CU_ASSERT_EQUAL(st.dropped, 4);
	CU_ASSERT_EQUAL(st.passed, 4);
	CU_ASSERT_EQUAL(st.not_ip, 1);
	CU_ASSERT_EQUAL(st.by_default, 4);
	ebpf_acl_close(a);
}

static void test_acl_swap_and_default(void)
{
	struct acl_rule rs[2] = { rule(5, ACL_ALLOW, 17, "10.1.0.0", 16, 53, 53),
				  rule(6, ACL_DROP, 17, "10.1.0.0", 24, 0, 0xffff) };
	struct acl_rule back[ACL_MAX_RULES];
	struct ebpf_acl *a = acl_load();
	int fd = ebpf_acl_prog_fd(a);
	unsigned int n;
	bool drop;
	struct pk k;

	pk4(&k, 0, "10.1.0.5", "10.9.0.1", 17, 1234, 9999, 0, 0, 0);
	CU_ASSERT_EQUAL(run(fd, &k), XDP_PASS); /* no rules: the default, allow */
	CU_ASSERT_EQUAL(ebpf_acl_set_rules(a, rs, 2, true), 0);
	CU_ASSERT_EQUAL(run(fd, &k), XDP_DROP);
	pk4(&k, 0, "10.1.0.5", "10.9.0.1", 17, 1234, 53, 0, 0, 0);
	CU_ASSERT_EQUAL(run(fd, &k), XDP_PASS); /* first match wins */
	pk4(&k, 0, "10.2.0.5", "10.9.0.1", 17, 1234, 9999, 0, 0, 0);
	CU_ASSERT_EQUAL(run(fd, &k), XDP_DROP); /* default drop */
	CU_ASSERT_EQUAL(ebpf_acl_get_rules(a, back, &n, &drop), 0);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_TRUE(drop);
	CU_ASSERT_EQUAL(memcmp(back, rs, sizeof(rs)), 0);
	/* One rule set replaces the other whole. */
	CU_ASSERT_EQUAL(ebpf_acl_set_rules(a, rs + 1, 1, false), 0);
	pk4(&k, 0, "10.1.0.5", "10.9.0.1", 17, 1234, 53, 0, 0, 0);
	CU_ASSERT_EQUAL(run(fd, &k), XDP_DROP);
	pk4(&k, 0, "10.2.0.5", "10.9.0.1", 17, 1234, 53, 0, 0, 0);
	CU_ASSERT_EQUAL(run(fd, &k), XDP_PASS);
	CU_ASSERT_EQUAL(ebpf_acl_set_rules(a, rs, ACL_MAX_RULES + 1, false), -ENOSPC);
	ebpf_acl_close(a);
}

static void test_acl_bad_interface(void)
{
	struct ebpf_acl_opts o = { .ifname = "gone", .ifindex = 999999 };
	struct ebpf_acl *a = NULL;

	/* Not a crash, not a half-attached program: an error, and nothing to free. */
	CU_ASSERT(ebpf_acl_attach(&o, &a) < 0);
	CU_ASSERT_PTR_NULL(a);
	o.persist = true;
	o.pin_dir = "/proc/ferry-not-bpffs";
	CU_ASSERT(ebpf_acl_attach(&o, &a) < 0);
	CU_ASSERT_PTR_NULL(a);
}

static CU_TestInfo uplink_tests[] = {
	{ "WireGuard: data steered, handshakes passed, no VTEP allow-list", test_uplink_wireguard },
	{ "uplink: what is ours, what is the host's", test_uplink_steering },
	{ "uplink: VTEP and VNI allow-lists, changed in place", test_uplink_allow_lists },
	{ "uplink: a token bucket per source", test_uplink_rate },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo acl_tests[] = {
	{ "acl: prefixes, ports, protocols, VLANs, options, fragments, IPv6", test_acl_rules },
	{ "acl: first match, the default, an atomic swap", test_acl_swap_and_default },
	{ "acl: a missing interface, a pin directory off bpffs", test_acl_bad_interface },
	CU_TEST_INFO_NULL,
};

static int nothing(void)
{
	return 0;
}

int main(void)
{
	CU_SuiteInfo suites[] = {
		{ "xdp_uplink", nothing, nothing, NULL, NULL, uplink_tests },
		{ "xdp_acl", nothing, nothing, NULL, NULL, acl_tests },
		CU_SUITE_INFO_NULL,
	};

	return cunit_run(suites);
}
