/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * uplink.bpf.c - the XDP program on a Ferry uplink.  UDP packets to one of
 * Ferry's tunnel ports (and, when configured, to one of its local tunnel
 * addresses) are Ferry's: they are filtered here, before they cost the
 * switch a cycle, and the rest go to the AF_XDP socket of their rx queue.
 * Everything else, ARP, the host's own traffic, VLAN-tagged frames and later
 * IP fragments, is XDP_PASS: the host keeps its network.  On the WireGuard
 * port only data messages are Ferry's PMDs'; handshakes pass to the kernel
 * socket of Ferry's tunnel thread.
 *
 * The filter (map "ucfg" says which parts are on, the loader changes the
 * maps at run time): the source must be in the VTEP allow-list (an LPM trie
 * of prefixes); a VXLAN packet's VNI must be one this host carries; and each
 * source address has a token bucket (an LRU map, so a flood of sources only
 * evicts the oldest).  Each drop is counted by reason in per-CPU counters.
 * The bucket's read-modify-write is not atomic across CPUs: two CPUs serving
 * one source at once may each spend a token the other also saw; a queue's
 * packets are handled on one CPU at a time, so this is rare and bounded.
 */
#include "ebpf/parse.h"
#include "ebpf/uplink.h"

#define NS_PER_TOKEN 1000000000ull
#define MAX_ELAPSED_NS 10000000000ull /* 10 s: keeps the refill in 64 bits */
#define VXLAN_HLEN 8

const volatile __u16 cfg_ports[UPLINK_MAX_PORTS] = {}; /* host order */
const volatile __u32 cfg_n_ports = 0;
const volatile __u16 cfg_vxlan_port = 0; /* which of them carries VXLAN (VNI check) */
const volatile __u16 cfg_wg_port = 0; /* which carries WireGuard; 0 = none */
const volatile struct uplink_addr cfg_addrs[UPLINK_MAX_ADDRS] = {};
const volatile __u32 cfg_n_addrs = 0;

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, UPLINK_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct uplink_cfg);
} ucfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, UPLINK_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct uplink_prefix);
	__type(value, __u8);
} vteps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, UPLINK_MAX_VNIS);
	__type(key, __u32);
	__type(value, __u8);
} vnis SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, UPLINK_MAX_SOURCES);
	__type(key, struct uplink_addr);
	__type(value, struct uplink_bucket);
} rl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, UPLINK_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline int count(__u32 what, int verdict)
{
	__u64 *c = bpf_map_lookup_elem(&stats, &what);

	if (c)
		*c += 1;
	return verdict;
}

static __always_inline int port_ok(__u16 port)
{
	for (__u32 i = 0; i < UPLINK_MAX_PORTS; i++)
		if (i < cfg_n_ports && cfg_ports[i] == port)
			return 1;
	return 0;
}

static __always_inline int addr_eq(__u32 i, const __u8 *a)
{
	__u8 diff = 0;

	/* BPF has no memcmp; unused bytes are zero on both sides. */
	for (__u32 k = 0; k < 16; k++)
		diff |= cfg_addrs[i].a[k] ^ a[k];
	return diff == 0;
}

static __always_inline int addr_ok(const struct pkt *p)
{
	if (cfg_n_addrs == 0)
		return 1;
	for (__u32 i = 0; i < UPLINK_MAX_ADDRS; i++)
		if (i < cfg_n_addrs && cfg_addrs[i].family == p->family && addr_eq(i, p->dst))
			return 1;
	return 0;
}

static __always_inline void src_key(const struct pkt *p, struct uplink_addr *k)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->family = p->family;
	__builtin_memcpy(k->a, p->src, 16);
}

static __always_inline int vtep_allowed(const struct pkt *p)
{
	struct uplink_prefix key = { .prefixlen = 32 + 128 };

	src_key(p, &key.addr);
	return bpf_map_lookup_elem(&vteps, &key) != NULL;
}

/* The VNI of a VXLAN packet, or -1 when its header is not all there. */
static __always_inline long vni_of(const struct pkt *p, void *end)
{
	__u8 *vx = (__u8 *)p->l4 + sizeof(struct udphdr);

	if ((void *)(vx + VXLAN_HLEN) > end)
		return -1;
	return (long)vx[4] << 16 | (long)vx[5] << 8 | vx[6];
}

static __always_inline int within_rate(const struct pkt *p, const struct uplink_cfg *c)
{
	struct uplink_bucket *b, fresh;
	struct uplink_addr k;
	__u64 now = bpf_ktime_get_ns(), max = (__u64)c->burst * NS_PER_TOKEN, elapsed, t;

	src_key(p, &k);
	b = bpf_map_lookup_elem(&rl, &k);
	if (!b) {
		/* A new source starts with a full bucket, less this packet. */
		fresh.tokens = max > NS_PER_TOKEN ? max - NS_PER_TOKEN : 0;
		fresh.last_ns = now;
		bpf_map_update_elem(&rl, &k, &fresh, BPF_ANY);
		return 1;
	}
	elapsed = now - b->last_ns;
	if (elapsed > MAX_ELAPSED_NS)
		elapsed = MAX_ELAPSED_NS;
	b->last_ns = now;
	t = b->tokens + elapsed * c->rate_pps;
	if (t > max)
		t = max;
	if (t < NS_PER_TOKEN) {
		b->tokens = t;
		return 0;
	}
	b->tokens = t - NS_PER_TOKEN;
	return 1;
}

/*
 * A WireGuard data message (type 4, reserved bytes zero) is Ferry's; the
 * handshake messages and cookie replies go to the kernel, where Ferry's
 * tunnel thread reads them from its socket.
 */
static __always_inline int wg_data(const struct pkt *p, void *end)
{
	__u8 *w = (__u8 *)p->l4 + sizeof(struct udphdr);

	if ((void *)(w + 4) > end)
		return 0;
	return w[0] == 4 && w[1] == 0 && w[2] == 0 && w[3] == 0;
}

/* A tunnel packet for us: XDP_DROP with its reason, or -1 to steer it. */
static __always_inline int filter(const struct pkt *p, void *end)
{
	__u32 zero = 0;
	struct uplink_cfg *c = bpf_map_lookup_elem(&ucfg, &zero);
	__u32 vni;
	long v;

	if (!c || !c->flags)
		return -1;
	/*
	 * WireGuard peers roam and are authenticated by their keys: the VTEP
	 * allow-list is not theirs.  The rate limit is.
	 */
	if (cfg_wg_port && p->dport == cfg_wg_port) {
		if ((c->flags & UPLINK_RATE_LIMIT) && !within_rate(p, c))
			return count(UPLINK_STAT_DROP_RATE, XDP_DROP);
		return -1;
	}
	if ((c->flags & UPLINK_ENFORCE_VTEPS) && !vtep_allowed(p))
		return count(UPLINK_STAT_DROP_VTEP, XDP_DROP);
	if ((c->flags & UPLINK_ENFORCE_VNIS) && p->dport == cfg_vxlan_port) {
		v = vni_of(p, end);
		vni = (__u32)v;
		if (v < 0 || !bpf_map_lookup_elem(&vnis, &vni))
			return count(UPLINK_STAT_DROP_VNI, XDP_DROP);
	}
	if ((c->flags & UPLINK_RATE_LIMIT) && !within_rate(p, c))
		return count(UPLINK_STAT_DROP_RATE, XDP_DROP);
	return -1;
}

SEC("xdp")
int ferry_uplink(struct xdp_md *ctx)
{
	void *end = (void *)(long)ctx->data_end;
	__u32 q = ctx->rx_queue_index;
	struct pkt p;
	int verdict;

	if (parse_pkt(ctx, &p) < 0 || p.vlans || p.proto != IPPROTO_UDP || !p.has_ports ||
	    !port_ok(p.dport) || !addr_ok(&p) ||
	    (cfg_wg_port && p.dport == cfg_wg_port && !wg_data(&p, end)))
		return count(UPLINK_STAT_PASSED, XDP_PASS);
	verdict = filter(&p, end);
	if (verdict >= 0)
		return verdict;
	if (!bpf_map_lookup_elem(&xsks, &q))
		return count(UPLINK_STAT_NO_SOCKET, XDP_PASS);
	return count(UPLINK_STAT_STEERED, bpf_redirect_map(&xsks, q, XDP_PASS));
}

char _license[] SEC("license") = "Dual BSD/GPL";
