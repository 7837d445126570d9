/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_blast.c - the throughput roles of mode=net (net.h): role=send probes
 * its peer and then sends count= frames as fast as the transmit ring takes
 * them, with no window; role=recv answers probes and counts and checks
 * frames until it has count= of them or timeout_ms passes.  Both report
 * frames per second.  Shares the receive loop of net.c (net_priv.h).
 *
 * The send loop is the per-frame cost of the guest side: take a buffer,
 * write the frame (header and pattern, word at a time), post it; one
 * publish per NET_BURST frames, and a kick only when the device asks.
 */
#include "lib.h"
#include "net_priv.h"
#include "tsc.h"
#include "uart.h"

#define NEVER (1ULL << 62) /* a deadline that does not pass */

/* What recv tracks beyond the shared counters. */
struct recv_state {
	uint64_t first, last; /* TSC of the bursts holding the first and last frame */
	uint32_t last_seq;
	uint64_t reordered; /* frames whose sequence number was not above the previous one */
};

static struct recv_state rs;

static void send_ignore(struct net_ctx *c, const struct vnet_frame *f, const struct frame_info *fi)
{
	(void)c;
	(void)f;
	(void)fi;
}

/* Sends frames until count= are out; returns how many. */
static uint64_t send_frames(struct net_ctx *c)
{
	const struct net_opts *o = c->o;
	uint64_t seq = 0, progress = rdtsc(), stall = c->timeout_us * tsc_khz() / 1000;
	uint16_t id;
	uint8_t *b;

	while (seq < o->count) {
		unsigned int batch = 0;

		while (seq < o->count && batch < NET_BURST && (b = vnet_tx_get(&c->nic, &id))) {
			frame_build(b, (uint32_t)o->size, o->peer, c->nic.mac, &o->tag,
				    FRAME_REQUEST, (uint32_t)seq);
			vnet_tx_put(&c->nic, id, (uint32_t)o->size);
			seq++;
			batch++;
		}
		vnet_tx_flush(&c->nic);
		if (batch)
			progress = rdtsc();
		else if (rdtsc() - progress > stall)
			break; /* the device stopped taking frames */
	}
	return seq;
}

int net_role_send(struct net_ctx *c)
{
	char head[160], tail[256], peer[NET_MAC_STR];
	uint64_t start, us, sent = 0;
	int rc;

	c->deadline = rdtsc() + NEVER;
	rc = net_probe_peer(c, send_ignore);
	if (rc)
		con_log("net: no probe reply from the peer within timeout_ms\n");
	start = rdtsc();
	if (!rc)
		sent = send_frames(c);
	net_tx_drain(c, tsc_deadline_us(c->timeout_us));
	us = net_elapsed_us(start);
	net_result_head(c, head, sizeof(head));
	net_result_tail(c, tail, sizeof(tail));
	net_fmt_mac(peer, c->o->peer);
	con_printf(RESULT_PREFIX "%s peer=%s sent=%lu size=%lu pps=%lu ms=%lu%s\n", head, peer,
		   sent, c->o->size, us ? sent * 1000000 / us : 0, us / 1000, tail);
	return !rc && sent == c->o->count ? EXIT_OK : EXIT_FAIL;
}

static void recv_frame(struct net_ctx *c, const struct vnet_frame *f, const struct frame_info *fi)
{
	(void)f;
	if (frame_is_broadcast(fi->dst)) {
		if (fi->kind == FRAME_BCAST)
			c->bcast_rx++;
		return;
	}
	if (!net_for_me(c, fi)) {
		c->flooded++;
		return;
	}
	if (fi->kind != FRAME_REQUEST)
		return;
	if (!c->received)
		rs.first = c->now;
	else if (fi->seq <= rs.last_seq)
		rs.reordered++;
	rs.last = c->now;
	rs.last_seq = fi->seq;
	c->received++;
}

int net_role_recv(struct net_ctx *c)
{
	const struct net_opts *o = c->o;
	char head[160], tail[256];
	uint64_t us;

	memset(&rs, 0, sizeof(rs));
	c->answers_probes = true;
	while (!tsc_passed(c->deadline) && !(o->has_count && c->received >= o->count))
		net_poll_wait(c, recv_frame, c->deadline);
	/* Rate over the intervals between the first and the last frame's bursts. */
	us = c->received > 1 ? tsc_ticks_to_us(rs.last - rs.first) : 0;
	net_result_head(c, head, sizeof(head));
	net_result_tail(c, tail, sizeof(tail));
	con_printf(RESULT_PREFIX "%s received=%lu bad=%lu foreign=%lu pps=%lu ms=%lu "
				 "reordered=%lu bcast_rx=%lu%s\n",
		   head, c->received, c->bad, c->foreign, us ? (c->received - 1) * 1000000 / us : 0,
		   us / 1000, rs.reordered, c->bcast_rx, tail);
	return (!o->has_count || c->received >= o->count) && !c->bad && !c->foreign ? EXIT_OK :
										      EXIT_FAIL;
}
