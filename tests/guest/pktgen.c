/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pktgen.c - mode=pktgen (see pktgen.h): options, role=tx and role=rx.
 * Frames are pktgen_wire.h's, counting is pktgen_stats.h's, and the NIC,
 * the probe and the transmit helpers are mode=net's (net_priv.h).
 *
 * tx: probe the peer exactly as mode=net does, then send for duration_ms.
 * Bursts of burst= frames go out when the burst's first frame is due; due
 * times advance by a fixed-point ticks-per-frame step, so the average rate
 * is exact, and a sender that fell behind (ring full) catches up in bursts
 * of at most burst= frames.  Per frame: take a buffer, copy a 48-byte
 * template, patch port, flow and sequence number; per burst: one rdtsc
 * stamped into every frame just before the one publish (kick only when the
 * device asks).  Buffers are zeroed once, so padding is never written again.
 *
 * rx: answer probes, and per burst take one rdtsc as the receive time of
 * every frame in it; per frame parse, track the flow's sequence and add the
 * latency to the histogram (no division anywhere per frame).
 */
#include "irq.h"
#include "lib.h"
#include "net_priv.h"
#include "pktgen.h"
#include "pktgen_stats.h"
#include "pktgen_wire.h"
#include "tsc.h"
#include "uart.h"

#define PKTGEN_DEFAULT_SIZE 64
#define PKTGEN_DEFAULT_BURST 32
#define PKTGEN_MAX_BURST 256 /* the transmit ring, at most */
#define PKTGEN_DEFAULT_IDLE_MS 500
#define PKTGEN_MAX_RATE 100000000ULL /* 100 Mpps: far above what a guest sends */
#define PKTGEN_MAX_MS 3600000ULL
#define PKTGEN_FCS 4 /* size= counts it (RFC 2544 sizes); the frames handed to virtio do not */
#define PKTGEN_RESULT_MAX 479 /* bytes of a result line with its newline; the host keeps 512 */
#define RATE_FRAC_BITS 16 /* due times in ticks << RATE_FRAC_BITS */
#define NEVER (1ULL << 62) /* a deadline that does not pass */
#define TX_SLEEP_MIN_US 60 /* a gap this long before the next burst is slept through */
#define TX_WAKE_EARLY_US 30 /* wake-up latency allowance: the rest of a gap is spun */

/* size=imix: 7:4:1 of these sizes (with FCS), interleaved as evenly as 12 slots allow. */
static const uint32_t imix_sizes[] = { 64, 576, 1500 };
static const uint8_t imix_order[] = { 0, 1, 0, 0, 1, 0, 2, 0, 1, 0, 0, 1 };

static const char *const pktgen_role_names[] = {
	[PKTGEN_ROLE_NONE] = "none",
	[PKTGEN_ROLE_TX] = "tx",
	[PKTGEN_ROLE_RX] = "rx",
};

/* ---- options ---- */

void pktgen_opts_init(struct pktgen_opts *o)
{
	*o = (struct pktgen_opts){ .size = PKTGEN_DEFAULT_SIZE,
				   .flows = 1,
				   .burst = PKTGEN_DEFAULT_BURST,
				   .idle_ms = PKTGEN_DEFAULT_IDLE_MS };
	net_opts_init(&o->net);
}

static int pktgen_opt_size(struct pktgen_opts *o, const char *val)
{
	o->imix = !strcmp(val, "imix");
	if (o->imix)
		return 0;
	return parse_u64_range(val, PKTGEN_MIN_FRAME + PKTGEN_FCS, PKTGEN_MAX_FRAME + PKTGEN_FCS,
			       &o->size);
}

static int pktgen_opt_role(struct pktgen_opts *o, const char *val)
{
	int i = parse_name(val, pktgen_role_names, PKTGEN_ROLE_TX, ARRAY_SIZE(pktgen_role_names));

	if (i < 0)
		return i;
	o->role = (enum pktgen_role)i;
	return 0;
}

int pktgen_parse_opt(struct pktgen_opts *o, const char *key, const char *val)
{
	if (!strcmp(key, "role"))
		return pktgen_opt_role(o, val);
	if (!strcmp(key, "size"))
		return pktgen_opt_size(o, val);
	if (!strcmp(key, "rate"))
		return parse_u64_range(val, 0, PKTGEN_MAX_RATE, &o->rate);
	if (!strcmp(key, "duration_ms")) {
		o->has_duration = true;
		return parse_u64_range(val, 1, PKTGEN_MAX_MS, &o->duration_ms);
	}
	if (!strcmp(key, "flows"))
		return parse_u64_range(val, 1, PKTGEN_MAX_FLOWS, &o->flows);
	if (!strcmp(key, "burst"))
		return parse_u64_range(val, 1, PKTGEN_MAX_BURST, &o->burst);
	if (!strcmp(key, "idle_ms"))
		return parse_u64_range(val, 1, PKTGEN_MAX_MS, &o->idle_ms);
	/* The driver-side keys are mode=net's; its other keys mean nothing here. */
	if (!strcmp(key, "tag") || !strcmp(key, "peer") || !strcmp(key, "irq"))
		return net_parse_opt(&o->net, key, val);
	return -ENOENT;
}

/* Options that are fine one by one but not together; NULL if all is well. */
static const char *pktgen_opts_problem(const struct pktgen_opts *o)
{
	if (o->role == PKTGEN_ROLE_NONE)
		return "mode=pktgen needs role=tx|rx";
	if (!o->has_duration)
		return "mode=pktgen needs duration_ms=D";
	if (o->role == PKTGEN_ROLE_TX && !o->net.has_peer)
		return "role=tx needs peer=MAC";
	if (o->net.has_peer && (o->net.peer[0] & 1))
		return "peer= must be a unicast MAC";
	return NULL;
}

/*
 * The options of the run: net_ctx knows the embedded mode=net options, the
 * first member of struct pktgen_opts, so a pointer to them is one to the whole.
 */
_Static_assert(offsetof(struct pktgen_opts, net) == 0, "net must come first");

static const struct pktgen_opts *pktgen_opts_of(const struct net_ctx *c)
{
	return (const struct pktgen_opts *)(const void *)c->o;
}

/* ---- tx ---- */

struct tx_state {
	struct pktgen_tmpl tmpl[ARRAY_SIZE(imix_sizes)]; /* one per size in use */
	const uint8_t *order; /* template index per frame, cycling */
	unsigned int order_len, order_pos;
	uint16_t flows, flow; /* flows= and the next flow */
	bool stalled; /* the ring was full at the last attempt (counts stalls once each) */
	bool can_sleep; /* the APIC timer works: long gaps are slept through */
	uint64_t sleep_min, wake_early; /* TX_SLEEP_MIN_US and TX_WAKE_EARLY_US in ticks */
	uint64_t sent;
	uint64_t stalls; /* times the ring was full */
	uint64_t seq[PKTGEN_MAX_FLOWS]; /* next sequence number per flow */
};

static struct tx_state txs; /* 33 KiB: not on the 16 KiB ring-3 stack */

static void tx_ignore(struct net_ctx *c, const struct vnet_frame *f, const struct frame_info *fi)
{
	(void)c;
	(void)f;
	(void)fi;
}

/* Templates for the sizes in use, and every transmit buffer zeroed (padding). */
static void tx_prepare(struct net_ctx *c, struct tx_state *t)
{
	static const uint8_t one[] = { 0 };
	const struct pktgen_opts *o = pktgen_opts_of(c);
	uint16_t tag = pktgen_tag_id(o->net.tag.seed);

	memset(t, 0, sizeof(*t));
	t->flows = (uint16_t)o->flows;
	if (o->imix) {
		for (size_t i = 0; i < ARRAY_SIZE(imix_sizes); i++)
			pktgen_tmpl_init(&t->tmpl[i], o->net.peer, c->nic.mac, tag,
					 imix_sizes[i] - PKTGEN_FCS);
		t->order = imix_order;
		t->order_len = ARRAY_SIZE(imix_order);
	} else {
		pktgen_tmpl_init(&t->tmpl[0], o->net.peer, c->nic.mac, tag,
				 (uint32_t)o->size - PKTGEN_FCS);
		t->order = one;
		t->order_len = 1;
	}
	t->sleep_min = TX_SLEEP_MIN_US * tsc_khz() / 1000;
	t->wake_early = TX_WAKE_EARLY_US * tsc_khz() / 1000;
	t->can_sleep = o->rate && !irq_init();
	/* After the probe's drain the driver holds every buffer. */
	for (uint16_t i = 0; i < c->nic.tx.size; i++)
		memset(virtq_buf(&c->nic.tx, i), 0, VNET_BUF_SIZE);
}

/* Queues up to @max frames, stamps them with one TSC and publishes them; returns how many. */
static unsigned int tx_burst(struct net_ctx *c, struct tx_state *t, unsigned int max)
{
	uint8_t *frames[PKTGEN_MAX_BURST];
	unsigned int n;
	uint64_t tsc;
	uint16_t id;

	for (n = 0; n < max; n++) {
		const struct pktgen_tmpl *tm = &t->tmpl[t->order[t->order_pos]];
		uint8_t *b = vnet_tx_get(&c->nic, &id);

		if (!b) {
			t->stalls += !t->stalled;
			t->stalled = true;
			break;
		}
		t->stalled = false;
		if (++t->order_pos == t->order_len)
			t->order_pos = 0;
		pktgen_frame_put(b, tm, t->flow, t->seq[t->flow]++);
		if (++t->flow == t->flows)
			t->flow = 0;
		vnet_tx_put(&c->nic, id, tm->len); /* the device sees it only at the flush */
		frames[n] = b;
	}
	if (!n)
		return 0;
	tsc = rdtsc();
	for (unsigned int i = 0; i < n; i++)
		pktgen_frame_stamp(frames[i], tsc);
	vnet_tx_flush(&c->nic);
	t->sent += n;
	return n;
}

/*
 * Waits a little for @due (TSC): sleeps through long gaps, so that a paced
 * sender leaves the core to the receiver and the switch (two cores, three
 * busy threads otherwise), and spins through short ones and the last bit.
 */
static void tx_wait(const struct tx_state *t, uint64_t now, uint64_t due)
{
	if (t->can_sleep && due - now > t->sleep_min)
		irq_wait(irq_seen(), due - t->wake_early);
	else
		cpu_relax();
}

/*
 * Sends for duration_ms from now: rate= frames a second in bursts (paced),
 * or as fast as the ring takes them with rate=0.  Returns the TSC ticks the
 * sending took: to the last publish, or when paced to when the next frame
 * would have been due (so that a run on time reports exactly rate=).
 */
static uint64_t tx_send(struct net_ctx *c, struct tx_state *t)
{
	const struct pktgen_opts *o = pktgen_opts_of(c);
	uint64_t start = rdtsc(), last = start, now, due = 0, step = 0;
	uint64_t end = start + o->duration_ms * tsc_khz(), target = NEVER;

	if (o->rate) {
		/* Frames in the run, and TSC ticks per frame in fixed point: two divisions, once. */
		target = o->rate * o->duration_ms / 1000;
		step = (tsc_khz() * 1000 << RATE_FRAC_BITS) / o->rate;
	}
	while (t->sent < target) {
		unsigned int n;

		now = rdtsc();
		if ((int64_t)(now - end) >= 0)
			break;
		if (now - start < due >> RATE_FRAC_BITS) {
			tx_wait(t, now, start + (due >> RATE_FRAC_BITS));
			continue;
		}
		n = tx_burst(c, t, (unsigned int)MIN(o->burst, target - t->sent));
		if (n)
			last = rdtsc();
		due += n * step;
	}
	return MAX(last - start, due >> RATE_FRAC_BITS);
}

static int pktgen_tx(struct net_ctx *c)
{
	const struct pktgen_opts *o = pktgen_opts_of(c);
	uint64_t ticks = 0, us;
	char size[24];

	memset(&txs, 0, sizeof(txs));
	c->deadline = rdtsc() + NEVER;
	if (net_probe_peer(c, tx_ignore)) {
		con_log("pktgen: no probe reply from the peer within timeout_ms\n");
	} else {
		net_tx_drain(c, tsc_deadline_us(NET_TX_WAIT_US));
		tx_prepare(c, &txs);
		ticks = tx_send(c, &txs);
	}
	/* The frames must leave before the guest stops the VM. */
	net_tx_drain(c, tsc_deadline_us(NET_TX_WAIT_US));
	if (txs.can_sleep)
		irq_fini();
	us = tsc_ticks_to_us(ticks);
	if (o->imix)
		snprintf(size, sizeof(size), "imix");
	else
		snprintf(size, sizeof(size), "%lu", o->size);
	con_printf(RESULT_PREFIX "mode=pktgen role=tx tag=%s sent=%lu pps=%lu ms=%lu size=%s "
				 "flows=%lu stalls=%lu rate=%lu burst=%lu tx_kicks=%lu\n",
		   o->net.tag.name, txs.sent, us ? txs.sent * 1000000 / us : 0, us / 1000, size,
		   o->flows, txs.stalls, o->rate, o->burst, c->nic.tx.kicks);
	return txs.sent ? EXIT_OK : EXIT_FAIL;
}

/* ---- rx ---- */

struct rx_state {
	uint16_t tag; /* the tag id frames of ours carry */
	uint64_t received, bad, foreign;
	uint64_t rarp; /* announces: a switch told about a (re)connected NIC */
	uint64_t first, last; /* TSC of the bursts holding the first and the last frame */
	uint64_t behind; /* frames stamped after they arrived (the clocks disagree) */
	struct lat_hist lat;
	struct seq_track seq;
};

static struct rx_state rxs; /* 66 KiB: not on the ring-3 stack */

/* A mode=net frame (probes from the sender): anything but a probe is foreign or bad here. */
static void rx_net_frame(struct net_ctx *c, struct rx_state *r, const struct vnet_frame *f)
{
	struct frame_info fi;

	if (frame_is_rarp(f->data, f->len)) {
		r->rarp++;
		return;
	}
	switch (frame_check(f->data, f->len, &c->o->tag, &fi)) {
	case FRAME_OK:
		if (!net_probe_frame(c, f, &fi))
			r->foreign++;
		break;
	case FRAME_BAD:
		r->bad++;
		break;
	case FRAME_FOREIGN:
		r->foreign++;
		break;
	}
}

static void rx_frame(struct net_ctx *c, struct rx_state *r, const struct vnet_frame *f,
		     uint64_t now)
{
	struct pktgen_stamp st;
	uint64_t ticks;

	switch (pktgen_frame_parse(f->data, f->len, r->tag, &st)) {
	case PKTGEN_OK:
		r->received++;
		seq_track_add(&r->seq, st.flow, st.seq);
		ticks = (now - st.tsc) & PKTGEN_TSC_MASK;
		if (ticks >> (PKTGEN_TSC_BITS - 1)) {
			r->behind++; /* negative: the sender's TSC is ahead of ours */
			ticks = 0;
		}
		lat_hist_add(&r->lat, ticks);
		break;
	case PKTGEN_BAD:
		r->bad++;
		break;
	case PKTGEN_FOREIGN:
		r->foreign++;
		break;
	case PKTGEN_NOT_IPV4:
		rx_net_frame(c, r, f);
		break;
	}
}

/* One receive burst; returns the frames taken. */
static unsigned int rx_burst(struct net_ctx *c, struct rx_state *r)
{
	struct vnet_frame f[NET_BURST];
	unsigned int n = vnet_rx_burst(&c->nic, f, NET_BURST);
	uint64_t now, before = r->received;

	if (!n)
		return 0;
	now = rdtsc(); /* the receive time of every frame in the burst */
	for (unsigned int i = 0; i < n; i++)
		rx_frame(c, r, &f[i], now);
	vnet_rx_release(&c->nic, f, n);
	vnet_tx_flush(&c->nic); /* probe replies */
	if (r->received != before) {
		if (!before)
			r->first = now;
		r->last = now;
	}
	return n;
}

/* Receives until duration_ms passes, or idle_ms after the last frame of ours. */
static void rx_loop(struct net_ctx *c, struct rx_state *r)
{
	const struct pktgen_opts *o = pktgen_opts_of(c);
	uint64_t end = tsc_deadline_us(o->duration_ms * 1000), idle = o->idle_ms * tsc_khz();
	uint64_t until;

	while (!tsc_passed(end)) {
		until = end;
		if (r->received) {
			until = r->last + idle;
			if (tsc_passed(until))
				break;
			if ((int64_t)(until - end) > 0)
				until = end;
		}
		if (!rx_burst(c, r))
			vnet_rx_wait(&c->nic, until); /* returns at once when polling */
	}
}

static void rx_report(struct net_ctx *c, const struct rx_state *r)
{
	const struct pktgen_opts *o = pktgen_opts_of(c);
	uint64_t us = r->received > 1 ? tsc_ticks_to_us(r->last - r->first) : 0;
	char line[PKTGEN_RESULT_MAX + 1];
	size_t len, room;
	int n;

	n = snprintf(line, sizeof(line),
		     "mode=pktgen role=rx tag=%s received=%lu lost=%lu reordered=%lu dup=%lu "
		     "bad=%lu foreign=%lu rarp=%lu pps=%lu ms=%lu flows=%u behind=%lu irqs=%lu "
		     "lat_p50_ns=%lu lat_p99_ns=%lu lat_p999_ns=%lu lat_max_ns=%lu lat_hist=",
		     o->net.tag.name, r->received, r->seq.lost, r->seq.reordered, r->seq.dup,
		     r->bad, r->foreign, r->rarp, us ? (r->received - 1) * 1000000 / us : 0,
		     us / 1000, r->seq.flows_seen, r->behind, irq_count(IRQ_VEC_NET),
		     lat_hist_percentile(&r->lat, 500), lat_hist_percentile(&r->lat, 990),
		     lat_hist_percentile(&r->lat, 999), lat_ticks_to_ns(&r->lat, r->lat.max_ticks));
	len = MIN((size_t)(n < 0 ? 0 : n), sizeof(line) - 1);
	/* Room for the histogram: the line, prefix and newline included, stays within the limit. */
	room = PKTGEN_RESULT_MAX - (sizeof(RESULT_PREFIX) - 1) - 1;
	room = room > len ? room - len + 1 : 1;
	lat_hist_format(&r->lat, line + len, MIN(room, sizeof(line) - len));
	con_printf(RESULT_PREFIX "%s\n", line);
}

static int pktgen_rx(struct net_ctx *c)
{
	memset(&rxs, 0, sizeof(rxs));
	rxs.tag = pktgen_tag_id(c->o->tag.seed);
	lat_hist_init(&rxs.lat, tsc_khz());
	c->answers_probes = true;
	rx_loop(c, &rxs);
	net_tx_drain(c, tsc_deadline_us(NET_TX_WAIT_US));
	rx_report(c, &rxs);
	return rxs.bad || rxs.foreign ? EXIT_FAIL : EXIT_OK;
}

/* ---- the mode ---- */

int pktgen_run(const struct pktgen_opts *o, uint64_t timeout_ms)
{
	static struct net_ctx ctx; /* large (the NIC state): not on the ring-3 stack */
	const char *problem = pktgen_opts_problem(o);
	int rc;

	if (problem) {
		con_log("error: %s\n", problem);
		con_printf(RESULT_PREFIX "error=cmdline\n");
		return EXIT_USAGE;
	}
	/* net_ctx's options are the embedded mode=net ones: tag, peer and irq. */
	if (net_ctx_open(&ctx, &o->net, timeout_ms)) {
		con_printf(RESULT_PREFIX "mode=pktgen role=%s error=nic\n",
			   pktgen_role_names[o->role]);
		return EXIT_FAIL;
	}
	rc = o->role == PKTGEN_ROLE_TX ? pktgen_tx(&ctx) : pktgen_rx(&ctx);
	net_ctx_close(&ctx);
	return rc;
}
