/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * acl.bpf.c - an XDP access list for any host interface (a tap, a veth, a
 * NIC): 5-tuple rules with address prefixes and port ranges, tried in order,
 * the first allow or drop deciding; count rules count and go on.  Counters
 * are per CPU: per rule (packets, bytes) and per outcome.  Frames that are
 * not IP, or whose headers are cut short, are passed and counted: the ACL
 * filters IP; the kernel judges the rest.
 *
 * The rules are read through bpf_loop(), so the verifier checks one rule's
 * match once rather than once per slot; the live table is chosen by the
 * control word (acl.h), which the loader flips after writing the other one.
 */
#include "ebpf/acl.h"
#include "ebpf/parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * ACL_MAX_RULES);
	__type(key, __u32);
	__type(value, struct acl_rule);
} rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct acl_ctl);
} ctl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ACL_MAX_RULES);
	__type(key, __u32);
	__type(value, struct acl_hits);
} hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ACL_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* What one bpf_loop() pass over the rules works on. */
struct scan {
	const struct pkt *p;
	__u32 set, n;
	int verdict; /* -1 until a rule decides */
};

static __always_inline int count(__u32 what, int verdict)
{
	__u64 *c = bpf_map_lookup_elem(&stats, &what);

	if (c)
		*c += 1;
	return verdict;
}

static __always_inline int prefix_match(const __u8 *want, const __u8 *addr, __u32 plen)
{
	__u32 a, b, m;

	for (__u32 w = 0; w < 4; w++) {
		__builtin_memcpy(&a, addr + 4 * w, 4);
		__builtin_memcpy(&b, want + 4 * w, 4);
		if (plen >= 32 * (w + 1))
			m = ~0u;
		else if (plen <= 32 * w)
			m = 0;
		else
			m = bpf_htonl(~0u << (32 - (plen - 32 * w)));
		if ((a ^ b) & m)
			return 0;
	}
	return 1;
}

static __always_inline int range_match(__u16 lo, __u16 hi, __u8 has_ports, __u16 port)
{
	if (lo == 0 && hi == 0xffff)
		return 1;
	return has_ports && port >= lo && port <= hi;
}

static __always_inline int rule_match(const struct acl_rule *r, const struct pkt *p)
{
	if (r->family && r->family != p->family)
		return 0;
	if (r->proto && r->proto != p->proto)
		return 0;
	if (!range_match(r->sport_lo, r->sport_hi, p->has_ports, p->sport) ||
	    !range_match(r->dport_lo, r->dport_hi, p->has_ports, p->dport))
		return 0;
	return prefix_match(r->src, p->src, r->src_plen) &&
	       prefix_match(r->dst, p->dst, r->dst_plen);
}

static long scan_one(__u32 i, void *arg)
{
	struct scan *s = arg;
	__u32 key = s->set * ACL_MAX_RULES + i, slot;
	struct acl_rule *r;
	struct acl_hits *h;

	if (i >= s->n)
		return 1;
	r = bpf_map_lookup_elem(&rules, &key);
	if (!r)
		return 1;
	if (!rule_match(r, s->p))
		return 0;
	slot = r->id;
	h = bpf_map_lookup_elem(&hits, &slot);
	if (h) {
		h->packets++;
		h->bytes += s->p->len;
	}
	if (r->action == ACL_COUNT)
		return 0;
	s->verdict = r->action == ACL_DROP ? XDP_DROP : XDP_PASS;
	return 1;
}

SEC("xdp")
int ferry_acl(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct acl_ctl *c = bpf_map_lookup_elem(&ctl, &zero);
	struct scan s = { .verdict = -1 };
	struct pkt p;

	if (!c || parse_pkt(ctx, &p) < 0)
		return count(ACL_STAT_NOT_IP, XDP_PASS);
	s.p = &p;
	s.set = c->set & 1;
	s.n = c->n < ACL_MAX_RULES ? c->n : ACL_MAX_RULES;
	bpf_loop(ACL_MAX_RULES, scan_one, &s, 0);
	if (s.verdict < 0) {
		count(ACL_STAT_DEFAULT, 0);
		s.verdict = c->default_action == ACL_DROP ? XDP_DROP : XDP_PASS;
	}
	return count(s.verdict == XDP_DROP ? ACL_STAT_DROPPED : ACL_STAT_PASSED, s.verdict);
}

char _license[] SEC("license") = "Dual BSD/GPL";
