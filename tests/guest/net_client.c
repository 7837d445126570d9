/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_client.c - role=client of mode=net (net.h): probe the peer, send
 * count= requests with at most window= in flight, check every reply byte
 * for byte and time it, then send bcast= broadcasts.  A reply that is not
 * back within timeout_ms is lost: nothing is retransmitted, so a test sees
 * every loss.  Shares the receive loop of net.c (net_priv.h).
 *
 * Requests are tracked in a ring of slots indexed by sequence number; since
 * sequence numbers are sent in order, the oldest outstanding one is always
 * the next to time out, so expiry looks at one slot, not at all of them.
 */
#include "lib.h"
#include "net_priv.h"
#include "tsc.h"
#include "uart.h"

#define CLIENT_SLOTS 1024 /* > NET_MAX_WINDOW: requests tracked at once */
#define BCAST_BURST 16 /* broadcasts sent back to back, then a pause */
#define BCAST_GAP_US 1000 /* lets slow receivers (QEMU TCG) drain their rings */
#define NEVER (1ULL << 62) /* a deadline that does not pass */

/* RTT histogram: exact microseconds below 1024, then 32 steps per power of two. */
#define HIST_EXACT 1024
#define HIST_EXACT_BITS 10
#define HIST_SUB_BITS 5
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_BUCKETS (HIST_EXACT + (32 - HIST_EXACT_BITS) * HIST_SUB)

struct client_slot {
	uint64_t sent; /* TSC when the request was queued */
	uint32_t seq;
	bool busy; /* waiting for its reply */
};

struct client_state {
	struct client_slot slot[CLIENT_SLOTS];
	uint64_t next; /* next sequence number to send */
	uint64_t oldest; /* lowest sequence number not yet answered or expired */
	uint64_t outstanding; /* busy slots */
	uint64_t lost; /* expired */
	uint64_t late; /* replies for a request that had expired or was already answered */
	uint64_t timeout_ticks; /* timeout_ms in TSC ticks */
	uint64_t count; /* count= */
	uint64_t start; /* TSC when the first request was due */
	uint64_t gap_ticks; /* rate=: ticks between requests, 0 when unpaced */
	uint64_t last_progress; /* TSC of the last request sent or reply received */
	uint32_t hist[HIST_BUCKETS]; /* RTTs */
	uint64_t rtt_max_us;
};

static struct client_state cs; /* 40 KiB: not on the ring-3 stack */

static unsigned int hist_index(uint64_t us)
{
	unsigned int e;

	if (us < HIST_EXACT)
		return (unsigned int)us;
	us = MIN(us, 0xffffffffULL);
	e = 63u - (unsigned int)__builtin_clzll(us);
	return HIST_EXACT + (e - HIST_EXACT_BITS) * HIST_SUB +
	       (unsigned int)((us >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1));
}

/* The smallest value bucket @i holds. */
static uint64_t hist_value(unsigned int i)
{
	unsigned int e, sub;

	if (i < HIST_EXACT)
		return i;
	e = (i - HIST_EXACT) / HIST_SUB + HIST_EXACT_BITS;
	sub = (i - HIST_EXACT) % HIST_SUB;
	return (1ULL << e) + ((uint64_t)sub << (e - HIST_SUB_BITS));
}

/* The @pct-th percentile of @n samples: the first bucket reaching ceil(n * pct / 100). */
static uint64_t hist_percentile(uint64_t n, unsigned int pct)
{
	uint64_t want = (n * pct + 99) / 100, seen = 0;

	if (!n)
		return 0;
	for (unsigned int i = 0; i < HIST_BUCKETS; i++) {
		seen += cs.hist[i];
		if (seen >= want)
			return hist_value(i);
	}
	return cs.rtt_max_us;
}

static void client_reply(struct net_ctx *c, const struct vnet_frame *f, const struct frame_info *fi)
{
	struct client_slot *s = &cs.slot[fi->seq % CLIENT_SLOTS];
	uint64_t us;

	if (fi->seq >= cs.next || f->len != c->o->size || !frame_mac_equal(fi->src, c->o->peer)) {
		c->bad++; /* never sent, resized, or echoed by someone else */
		return;
	}
	if (!s->busy || s->seq != fi->seq) {
		cs.late++;
		return;
	}
	s->busy = false;
	cs.outstanding--;
	c->received++;
	cs.last_progress = c->now;
	us = tsc_ticks_to_us(c->now - s->sent);
	cs.hist[hist_index(us)]++;
	cs.rtt_max_us = MAX(cs.rtt_max_us, us);
}

static void client_frame(struct net_ctx *c, const struct vnet_frame *f, const struct frame_info *fi)
{
	if (frame_is_broadcast(fi->dst)) {
		if (fi->kind == FRAME_BCAST)
			c->bcast_rx++;
	} else if (!net_for_me(c, fi)) {
		c->flooded++;
	} else if (fi->kind == FRAME_REPLY) {
		client_reply(c, f, fi);
	}
	/* Requests and stray probe replies to a client are ignored. */
}

/*
 * rate=: request n is due gap_ticks * n after the start, so the average rate
 * is exact and a client that fell behind catches up (within its window).
 */
static uint64_t client_next_due(void)
{
	return cs.gap_ticks ? cs.start + cs.next * cs.gap_ticks : 0;
}

static bool client_due(void)
{
	return !cs.gap_ticks || tsc_passed(client_next_due());
}

/* Fills the window with up to one batch of requests; returns how many went out. */
static unsigned int client_send(struct net_ctx *c)
{
	const struct net_opts *o = c->o;
	unsigned int sent = 0;
	uint16_t id;
	uint8_t *b;

	while (cs.next < o->count && cs.outstanding < o->window &&
	       cs.next - cs.oldest < CLIENT_SLOTS && sent < NET_BURST && client_due()) {
		b = vnet_tx_get(&c->nic, &id);
		if (!b)
			break;
		frame_build(b, (uint32_t)o->size, o->peer, c->nic.mac, &o->tag, FRAME_REQUEST,
			    (uint32_t)cs.next);
		vnet_tx_put(&c->nic, id, (uint32_t)o->size);
		cs.slot[cs.next % CLIENT_SLOTS] = (struct client_slot){ .sent = rdtsc(),
									.seq = (uint32_t)cs.next,
									.busy = true };
		cs.next++;
		cs.outstanding++;
		sent++;
	}
	if (sent) {
		vnet_tx_flush(&c->nic);
		cs.last_progress = rdtsc();
	}
	return sent;
}

/* Retires answered slots and expires the oldest outstanding ones. */
static void client_expire(void)
{
	uint64_t now = rdtsc();

	while (cs.oldest < cs.next) {
		struct client_slot *s = &cs.slot[cs.oldest % CLIENT_SLOTS];

		if (s->busy) {
			if (now - s->sent < cs.timeout_ticks)
				return;
			s->busy = false;
			cs.outstanding--;
			cs.lost++;
		}
		cs.oldest++;
	}
}

/* When a waiting client must look again: the oldest request expires, or the next is due. */
static uint64_t client_wake(void)
{
	uint64_t expiry = cs.slot[cs.oldest % CLIENT_SLOTS].sent + cs.timeout_ticks;
	uint64_t due = client_next_due();

	return cs.gap_ticks && cs.next < cs.count && due < expiry ? due : expiry;
}

/* Since when the client has waited to send: its last progress, or when the next request fell due. */
static uint64_t client_stall_base(void)
{
	uint64_t due = client_next_due();

	return due > cs.last_progress ? due : cs.last_progress;
}

/* The request phase; returns false if the device stopped taking frames. */
static bool client_requests(struct net_ctx *c)
{
	while (cs.oldest < c->o->count) {
		unsigned int sent = client_send(c), got = net_poll(c, client_frame);

		client_expire();
		if (sent || got)
			continue;
		if (cs.next < c->o->count && client_due() &&
		    tsc_passed(client_stall_base() + cs.timeout_ticks))
			return false; /* a request is due, and the device has not taken one */
		if (c->nic.irq && cs.outstanding)
			net_poll_wait(c, client_frame, client_wake());
	}
	return true;
}

/* Polls (answers, counts) for @us microseconds. */
static void client_pause(struct net_ctx *c, uint64_t us)
{
	uint64_t until = tsc_deadline_us(us);

	while (!tsc_passed(until))
		net_poll(c, client_frame);
}

static uint64_t client_broadcasts(struct net_ctx *c)
{
	static const uint8_t all[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint64_t i;
	uint16_t id;
	uint8_t *b;

	for (i = 0; i < c->o->bcast; i++) {
		b = net_tx_get(c, &id);
		if (!b)
			break;
		frame_build(b, (uint32_t)c->o->size, all, c->nic.mac, &c->o->tag, FRAME_BCAST,
			    (uint32_t)i);
		vnet_tx_put(&c->nic, id, (uint32_t)c->o->size);
		if ((i + 1) % BCAST_BURST == 0) {
			vnet_tx_flush(&c->nic);
			client_pause(c, BCAST_GAP_US);
		}
	}
	vnet_tx_flush(&c->nic);
	return i;
}

static void client_report(struct net_ctx *c, uint64_t us, uint64_t bcast_sent)
{
	char head[160], tail[256], peer[NET_MAC_STR];

	net_result_head(c, head, sizeof(head));
	net_result_tail(c, tail, sizeof(tail));
	net_fmt_mac(peer, c->o->peer);
	con_printf(RESULT_PREFIX "%s peer=%s sent=%lu received=%lu bad=%lu lost=%lu foreign=%lu "
				 "rtt_p50_us=%lu rtt_p99_us=%lu rtt_max_us=%lu ms=%lu pps=%lu "
				 "late=%lu bcast_sent=%lu bcast_rx=%lu%s\n",
		   head, peer, cs.next, c->received, c->bad, cs.lost, c->foreign,
		   hist_percentile(c->received, 50), hist_percentile(c->received, 99),
		   cs.rtt_max_us, us / 1000, us ? c->received * 1000000 / us : 0, cs.late,
		   bcast_sent, c->bcast_rx, tail);
}

int net_role_client(struct net_ctx *c)
{
	uint64_t start, us = 0, bcast_sent = 0;
	bool ok;

	memset(&cs, 0, sizeof(cs));
	cs.timeout_ticks = c->timeout_us * tsc_khz() / 1000;
	c->deadline = rdtsc() + NEVER;
	ok = !net_probe_peer(c, client_frame);
	if (!ok)
		con_log("net: no probe reply from the peer within timeout_ms\n");
	start = rdtsc();
	cs.last_progress = start;
	cs.start = start;
	cs.gap_ticks = c->o->rate ? tsc_khz() * 1000 / c->o->rate : 0;
	cs.count = c->o->count;
	if (ok && !client_requests(c)) {
		con_log("net: the device stopped taking frames after %lu requests\n", cs.next);
		ok = false;
	}
	us = net_elapsed_us(start);
	if (ok)
		bcast_sent = client_broadcasts(c);
	/* The frames must leave before the guest stops the VM. */
	net_tx_drain(c, tsc_deadline_us(NET_TX_WAIT_US));
	client_report(c, us, bcast_sent);
	return ok && c->received == c->o->count && !c->bad && !c->foreign &&
			       bcast_sent == c->o->bcast ?
		       EXIT_OK :
		       EXIT_FAIL;
}
