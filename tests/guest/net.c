/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net.c - mode=net (see net.h): its options, the receive loop every role
 * shares (net_priv.h), and the server and sink roles.  net_client.c and
 * net_blast.c hold the other roles.  Everything runs in ring 3; with
 * irq=msix the receive loop sleeps in ring 0 between frames (irq.h).
 *
 * Counting rules, the same in every role: a frame with another EtherType or
 * another tag is foreign; one of ours that fails frame_check() (magic, kind,
 * length, any pattern byte), or a used buffer the device got wrong, is bad.
 * Unicast frames of ours addressed to another MAC (flooded by a switch that
 * has not learnt the destination yet) are counted as flooded, not served.
 */
#include "irq.h"
#include "lib.h"
#include "net_priv.h"
#include "tsc.h"
#include "uart.h"

#define NET_DEFAULT_TAG "ferry"
#define NET_DEFAULT_SIZE 64
#define NET_DEFAULT_WINDOW 32
#define NET_MAX_WINDOW 512
#define NET_DEFAULT_LINGER_MS 300
#define NET_DEFAULT_ATTACK_MS 3000
#define NET_PROBE_INTERVAL_US 5000 /* probes until the peer answers */
#define NET_U32_MAX 0xffffffffULL /* sequence numbers are 32-bit */

static const char *const role_names[] = {
	[NET_ROLE_NONE] = "none", [NET_ROLE_SERVER] = "server", [NET_ROLE_CLIENT] = "client",
	[NET_ROLE_SINK] = "sink", [NET_ROLE_SEND] = "send",	[NET_ROLE_RECV] = "recv",
};

/* ---- options ---- */

void net_opts_init(struct net_opts *o)
{
	*o = (struct net_opts){ .size = NET_DEFAULT_SIZE,
				.window = NET_DEFAULT_WINDOW,
				.linger_ms = NET_DEFAULT_LINGER_MS,
				.attack_ms = NET_DEFAULT_ATTACK_MS };
	frame_tag_init(&o->tag, NET_DEFAULT_TAG);
}

static int opt_role(struct net_opts *o, const char *val)
{
	int i = parse_name(val, role_names, NET_ROLE_SERVER, ARRAY_SIZE(role_names));

	if (i < 0)
		return i;
	o->role = (enum net_role)i;
	return 0;
}

static int opt_number(struct net_opts *o, const char *key, const char *val)
{
	if (!strcmp(key, "count")) {
		o->has_count = true;
		return parse_u64_range(val, 0, NET_U32_MAX, &o->count);
	}
	if (!strcmp(key, "size"))
		return parse_u64_range(val, FRAME_MIN_SIZE, FRAME_MAX_SIZE, &o->size);
	if (!strcmp(key, "window"))
		return parse_u64_range(val, 1, NET_MAX_WINDOW, &o->window);
	if (!strcmp(key, "bcast"))
		return parse_u64_range(val, 0, NET_U32_MAX, &o->bcast);
	if (!strcmp(key, "linger_ms"))
		return parse_u64_range(val, 0, 3600000, &o->linger_ms);
	if (!strcmp(key, "rate"))
		return parse_u64_range(val, 0, NET_U32_MAX, &o->rate);
	if (!strcmp(key, "attack_ms"))
		return parse_u64_range(val, 1, 3600000, &o->attack_ms);
	return -ENOENT;
}

int net_parse_opt(struct net_opts *o, const char *key, const char *val)
{
	if (!strcmp(key, "role"))
		return opt_role(o, val);
	if (!strcmp(key, "tag"))
		return frame_tag_init(&o->tag, val);
	if (!strcmp(key, "peer")) {
		o->has_peer = true;
		return frame_parse_mac(val, o->peer);
	}
	if (!strcmp(key, "attack"))
		return net_parse_attack(o, val);
	if (!strcmp(key, "irq")) {
		o->irq = !strcmp(val, "msix");
		return o->irq || !strcmp(val, "poll") ? 0 : -EINVAL;
	}
	return opt_number(o, key, val);
}

/* Options that are fine one by one but not together; NULL if all is well. */
static const char *net_opts_problem(const struct net_opts *o)
{
	if (o->role == NET_ROLE_NONE)
		return "mode=net needs role=server|client|sink|send|recv";
	if ((o->role == NET_ROLE_CLIENT || o->role == NET_ROLE_SEND) && !o->has_peer)
		return "role=client and role=send need peer=MAC";
	if ((o->role == NET_ROLE_CLIENT || o->role == NET_ROLE_SEND) && !o->has_count)
		return "role=client and role=send need count=N";
	if (o->has_peer && (frame_is_broadcast(o->peer) || (o->peer[0] & 1)))
		return "peer= must be a unicast MAC";
	return NULL;
}

/* ---- shared helpers (net_priv.h) ---- */

uint64_t net_elapsed_us(uint64_t start_tsc)
{
	return tsc_ticks_to_us(rdtsc() - start_tsc);
}

void net_fmt_mac(char *buf, const uint8_t *m)
{
	snprintf(buf, NET_MAC_STR, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
		 m[5]);
}

bool net_for_me(const struct net_ctx *c, const struct frame_info *fi)
{
	return frame_mac_equal(fi->dst, c->nic.mac);
}

uint8_t *net_tx_get(struct net_ctx *c, uint16_t *id)
{
	uint8_t *b = vnet_tx_get(&c->nic, id);
	uint64_t until;

	if (b)
		return b;
	until = tsc_deadline_us(NET_TX_WAIT_US);
	if ((int64_t)(until - c->deadline) > 0)
		until = c->deadline;
	while (!(b = vnet_tx_get(&c->nic, id))) {
		/* Everything may be queued but unpublished: let the device see it. */
		vnet_tx_flush(&c->nic);
		if (tsc_passed(until))
			return NULL;
	}
	return b;
}

void net_tx_drain(struct net_ctx *c, uint64_t deadline)
{
	vnet_tx_flush(&c->nic);
	for (;;) {
		vnet_tx_reclaim(&c->nic);
		if (!vnet_tx_inflight(&c->nic) || tsc_passed(deadline))
			return;
	}
}

bool net_answer(struct net_ctx *c, const struct vnet_frame *f, enum frame_kind kind)
{
	uint16_t id;
	uint8_t *b = net_tx_get(c, &id);

	if (!b) {
		c->tx_stalls++;
		return false;
	}
	memcpy(b, f->data, f->len);
	frame_turn(b, kind);
	vnet_tx_put(&c->nic, id, f->len);
	return true;
}

bool net_probe_frame(struct net_ctx *c, const struct vnet_frame *f, const struct frame_info *fi)
{
	if (fi->kind == FRAME_PROBE && c->answers_probes &&
	    (net_for_me(c, fi) || frame_is_broadcast(fi->dst))) {
		if (net_answer(c, f, FRAME_PROBE_REPLY))
			c->probes++;
		return true;
	}
	if (fi->kind == FRAME_PROBE_REPLY && c->o->has_peer && net_for_me(c, fi) &&
	    frame_mac_equal(fi->src, c->o->peer)) {
		c->peer_seen = true;
		c->probes++;
		return true;
	}
	return false;
}

unsigned int net_poll(struct net_ctx *c, net_frame_fn fn)
{
	struct vnet_frame f[NET_BURST];
	unsigned int n = vnet_rx_burst(&c->nic, f, NET_BURST);
	struct frame_info fi;

	if (n)
		c->now = rdtsc(); /* one timestamp per burst keeps rdtsc off the per-frame path */
	for (unsigned int i = 0; i < n; i++) {
		if (frame_is_rarp(f[i].data, f[i].len)) {
			c->rarp++;
			continue;
		}
		switch (frame_check(f[i].data, f[i].len, &c->o->tag, &fi)) {
		case FRAME_FOREIGN:
			c->foreign++;
			break;
		case FRAME_BAD:
			c->bad++;
			break;
		case FRAME_OK:
			if (!net_probe_frame(c, &f[i], &fi))
				fn(c, &f[i], &fi);
			break;
		}
	}
	if (n)
		vnet_rx_release(&c->nic, f, n);
	vnet_tx_flush(&c->nic);
	return n;
}

unsigned int net_poll_wait(struct net_ctx *c, net_frame_fn fn, uint64_t deadline)
{
	unsigned int n = net_poll(c, fn);

	if (n || !c->nic.irq)
		return n;
	vnet_rx_wait(&c->nic, deadline);
	return net_poll(c, fn);
}

int net_probe_peer(struct net_ctx *c, net_frame_fn fn)
{
	uint64_t end = tsc_deadline_us(c->timeout_us), next = rdtsc();
	uint32_t seq = 0;
	uint16_t id;
	uint8_t *b;

	while (!c->peer_seen) {
		if (tsc_passed(end))
			return -ETIMEDOUT;
		if (tsc_passed(next)) {
			vnet_tx_reclaim(&c->nic);
			b = vnet_tx_get(&c->nic, &id); /* a full ring skips one probe */
			if (b) {
				frame_build(b, FRAME_MIN_SIZE, c->o->peer, c->nic.mac, &c->o->tag,
					    FRAME_PROBE, seq++);
				vnet_tx_put(&c->nic, id, FRAME_MIN_SIZE);
				vnet_tx_flush(&c->nic);
			}
			next = tsc_deadline_us(NET_PROBE_INTERVAL_US);
		}
		net_poll_wait(c, fn, (int64_t)(next - end) < 0 ? next : end);
	}
	return 0;
}

void net_result_head(const struct net_ctx *c, char *buf, size_t len)
{
	char mac[NET_MAC_STR];

	net_fmt_mac(mac, c->nic.mac);
	snprintf(buf, len, "mode=net role=%s tag=%s mac=%s", role_names[c->o->role], c->o->tag.name,
		 mac);
}

size_t net_result_tail(const struct net_ctx *c, char *buf, size_t len)
{
	int n = snprintf(buf, len,
			 " irqs=%lu probes=%lu flooded=%lu tx_stalls=%lu dev_errors=%lu "
			 "rx_kicks=%lu tx_kicks=%lu event_idx=%d",
			 irq_count(IRQ_VEC_NET), c->probes, c->flooded, c->tx_stalls,
			 vnet_errors(&c->nic), c->nic.rx.kicks, c->nic.tx.kicks,
			 c->nic.rx.event_idx ? 1 : 0);

	return n < 0 ? 0 : MIN((size_t)n, len);
}

/* ---- server ---- */

static void server_frame(struct net_ctx *c, const struct vnet_frame *f, const struct frame_info *fi)
{
	if (fi->kind == FRAME_BCAST && frame_is_broadcast(fi->dst)) {
		c->bcast_rx++;
	} else if (fi->kind == FRAME_REQUEST || fi->kind == FRAME_BCAST) {
		if (!net_for_me(c, fi))
			c->flooded++;
		else if (fi->kind == FRAME_REQUEST && net_answer(c, f, FRAME_REPLY))
			c->received++; /* echoed */
	}
	/* Replies and probe replies are not for a server: ignored. */
}

static int net_role_server(struct net_ctx *c)
{
	const struct net_opts *o = c->o;
	bool goal = o->has_count || o->bcast, reached = false;
	uint64_t start = rdtsc(), goal_us = 0;
	char head[160], tail[256];

	c->answers_probes = true;
	while (!tsc_passed(c->deadline)) {
		net_poll_wait(c, server_frame, c->deadline);
		if (!reached && goal && c->received >= o->count && c->bcast_rx >= o->bcast) {
			reached = true;
			goal_us = net_elapsed_us(start);
			c->deadline = tsc_deadline_us(o->linger_ms * 1000);
		}
	}
	net_tx_drain(c, tsc_deadline_us(100000));
	net_result_head(c, head, sizeof(head));
	net_result_tail(c, tail, sizeof(tail));
	con_printf(RESULT_PREFIX "%s echoed=%lu bcast_rx=%lu foreign=%lu bad=%lu ms=%lu%s\n", head,
		   c->received, c->bcast_rx, c->foreign, c->bad,
		   (reached ? goal_us : net_elapsed_us(start)) / 1000, tail);
	return c->received >= o->count && c->bcast_rx >= o->bcast && !c->foreign && !c->bad ?
		       EXIT_OK :
		       EXIT_FAIL;
}

/* ---- sink ---- */

static void sink_frame(struct net_ctx *c, const struct vnet_frame *f, const struct frame_info *fi)
{
	(void)f;
	c->received++;
	if (fi->kind == FRAME_BCAST && frame_is_broadcast(fi->dst))
		c->bcast_rx++;
	else if (!net_for_me(c, fi) && !frame_is_broadcast(fi->dst))
		c->flooded++;
}

static int net_role_sink(struct net_ctx *c)
{
	char head[160], tail[256];

	while (!tsc_passed(c->deadline))
		net_poll_wait(c, sink_frame, c->deadline);
	net_result_head(c, head, sizeof(head));
	net_result_tail(c, tail, sizeof(tail));
	con_printf(RESULT_PREFIX "%s received=%lu bcast_rx=%lu foreign=%lu bad=%lu%s\n", head,
		   c->received, c->bcast_rx, c->foreign, c->bad, tail);
	return !c->foreign && !c->bad ? EXIT_OK : EXIT_FAIL;
}

/* ---- the mode ---- */

static int net_open(struct net_ctx *c)
{
	char mac[NET_MAC_STR];
	int rc;

	if (c->o->irq) {
		rc = irq_init();
		if (rc) {
			con_log("net: irq=msix needs a local APIC (%d)\n", rc);
			return rc;
		}
	}
	rc = vnet_open(&c->nic, c->o->irq ? IRQ_VEC_NET : 0);
	if (rc)
		return rc;
	net_fmt_mac(mac, c->nic.mac);
	con_log("net: virtio-net %02x:%02x.%x mac %s features 0x%lx queues %u/%u %s\n",
		c->nic.pci.pci.bus, c->nic.pci.pci.dev, c->nic.pci.pci.fn, mac, c->nic.features,
		c->nic.rx.size, c->nic.tx.size, c->o->irq ? "msix" : "polling");
	return 0;
}

static int net_dispatch(struct net_ctx *c)
{
	switch (c->o->role) {
	case NET_ROLE_SERVER:
		return net_role_server(c);
	case NET_ROLE_CLIENT:
		return net_role_client(c);
	case NET_ROLE_SINK:
		return net_role_sink(c);
	case NET_ROLE_SEND:
		return net_role_send(c);
	case NET_ROLE_RECV:
		return net_role_recv(c);
	default:
		return EXIT_USAGE;
	}
}

int net_ctx_open(struct net_ctx *c, const struct net_opts *o, uint64_t timeout_ms)
{
	*c = (struct net_ctx){ .o = o, .timeout_us = timeout_ms * 1000 };
	if (net_open(c))
		return -ENODEV;
	c->deadline = tsc_deadline_us(c->timeout_us);
	return 0;
}

void net_ctx_close(struct net_ctx *c)
{
	if (c->o->irq)
		irq_fini();
	vnet_close(&c->nic);
}

int net_run(const struct net_opts *o, uint64_t timeout_ms)
{
	static struct net_ctx ctx; /* large (the NIC state): not on the 16 KiB ring-3 stack */
	const char *problem = net_opts_problem(o);
	int rc;

	if (problem) {
		con_log("error: %s\n", problem);
		con_printf(RESULT_PREFIX "error=cmdline\n");
		return EXIT_USAGE;
	}
	if ((o->attacks || o->rxloop) && net_attacks(o, timeout_ms))
		return EXIT_FAIL;
	if (net_ctx_open(&ctx, o, timeout_ms)) {
		con_printf(RESULT_PREFIX "mode=net role=%s error=nic\n", role_names[o->role]);
		return EXIT_FAIL;
	}
	rc = net_dispatch(&ctx);
	net_ctx_close(&ctx);
	return rc;
}
