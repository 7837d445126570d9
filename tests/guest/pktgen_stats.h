/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pktgen_stats.h - what the receiving side of mode=pktgen counts: per-flow
 * sequence tracking (lost, reordered, duplicated) and a log-scale histogram
 * of one-way latencies with its percentiles, formatted for the result line.
 * pktgen.c feeds it one frame at a time (pktgen_wire.h parses the frames).
 *
 * Per-frame cost is what matters (the receiver keeps up with Ferry's switch
 * at Mpps rates), so the per-frame functions are inline and divide nothing:
 * TSC ticks become nanoseconds through a multiplier fixed at init, and the
 * histogram bucket comes from a count of leading zeros and a shift.
 *
 * Histogram: bucket 0 holds latencies under 256 ns; then 8 buckets per power
 * of two from 2^8 ns up to 2^30 ns (about 1.07 s); the last bucket holds
 * anything slower.  Percentiles report a bucket's upper bound (at most the
 * maximum seen), so they are within 12.5% and never optimistic.
 *
 * Sequence numbers: each flow keeps the highest number seen and a 64-bit
 * window of the numbers just below it (as IPsec's anti-replay window does).
 * A number above the highest opens a gap (counted lost); one below it is
 * reordered, and fills its gap, unless the window shows it was already seen
 * (dup).  Below the window, reordered and dup cannot be told apart: such a
 * frame counts as reordered.  Frames carry the low 32 bits of the number,
 * extended here against the flow's highest.
 *
 * Pure computation; built for the guest and for the host unit test.
 */
#ifndef FERRY_GUEST_PKTGEN_STATS_H
#define FERRY_GUEST_PKTGEN_STATS_H

#include "guest.h"
#include "pktgen_wire.h"

#define LAT_MIN_BITS 8 /* bucket 0: under 2^8 ns */
#define LAT_MAX_BITS 30 /* the last bucket: 2^30 ns and more */
#define LAT_SUB_BITS 3 /* 8 buckets per power of two */
#define LAT_SUB (1u << LAT_SUB_BITS)
#define LAT_REGULAR ((LAT_MAX_BITS - LAT_MIN_BITS) * LAT_SUB)
#define LAT_BUCKETS (LAT_REGULAR + 2)
#define LAT_OVER (LAT_BUCKETS - 1)

struct lat_hist {
	uint64_t count[LAT_BUCKETS];
	uint64_t samples;
	uint64_t max_ticks; /* the largest latency, in TSC ticks (converted once, at the end) */
	uint64_t ns_mult; /* ns = ticks * ns_mult >> 32 */
	uint64_t mult_limit; /* ticks above this would overflow the product: the last bucket */
	uint64_t tsc_khz;
};

struct seq_flow {
	uint64_t next; /* the highest number seen + 1; 0 before the first frame */
	uint64_t window; /* bit k: number next - 1 - k was seen */
};

struct seq_track {
	uint64_t lost; /* gaps not (yet) filled by late frames */
	uint64_t reordered; /* frames older than their flow's highest */
	uint64_t dup; /* frames seen before (within the window) */
	uint32_t flows_seen; /* flows that sent at least one frame */
	struct seq_flow flow[PKTGEN_MAX_FLOWS];
};

/* Sets up @h for a TSC of @tsc_khz kHz (not 0). */
void lat_hist_init(struct lat_hist *h, uint64_t tsc_khz);

/* The bucket of a latency of @ns nanoseconds. */
static inline unsigned int lat_bucket(uint64_t ns)
{
	unsigned int e;

	if (ns < (1ULL << LAT_MIN_BITS))
		return 0;
	e = 63u - (unsigned int)__builtin_clzll(ns);
	if (e >= LAT_MAX_BITS)
		return LAT_OVER;
	return 1 + (e - LAT_MIN_BITS) * LAT_SUB +
	       (unsigned int)((ns >> (e - LAT_SUB_BITS)) & (LAT_SUB - 1));
}

/* The smallest latency, in ns, that falls above bucket @i (its exclusive upper bound). */
uint64_t lat_bucket_upper(unsigned int i);

/* Adds a latency of @ticks TSC ticks. */
static inline void lat_hist_add(struct lat_hist *h, uint64_t ticks)
{
	unsigned int b = ticks > h->mult_limit ? LAT_OVER : lat_bucket(ticks * h->ns_mult >> 32);

	h->count[b]++;
	h->samples++;
	if (ticks > h->max_ticks)
		h->max_ticks = ticks;
}

/* TSC ticks in ns, exactly (one division: for results, not per frame). */
uint64_t lat_ticks_to_ns(const struct lat_hist *h, uint64_t ticks);

/* The @permille-th percentile in ns (0 without samples). */
uint64_t lat_hist_percentile(const struct lat_hist *h, unsigned int permille);

/*
 * Writes the non-empty buckets as "UPPER_NS:COUNT,..." (NUL-terminated) in
 * at most @room bytes, NUL included, merging neighbouring buckets (2, 4, ...
 * at a time) until the list fits.  Returns the length written.
 */
size_t lat_hist_format(const struct lat_hist *h, char *buf, size_t room);

/* The flow's 64-bit number for the low 32 bits @seq32: the nearest to its highest. */
static inline uint64_t seq_extend(const struct seq_flow *f, uint32_t seq32)
{
	uint64_t c = (f->next & ~0xffffffffULL) | seq32;

	if (c > f->next + 0x80000000ULL && c >= (1ULL << 32))
		c -= 1ULL << 32;
	else if (c + 0x80000000ULL < f->next)
		c += 1ULL << 32;
	return c;
}

/* A number below the flow's highest: a late frame or a duplicate. */
void seq_track_old(struct seq_track *t, struct seq_flow *f, uint64_t seq);

/* Accounts frame @seq32 of flow @flow (< PKTGEN_MAX_FLOWS). */
static inline void seq_track_add(struct seq_track *t, uint32_t flow, uint32_t seq32)
{
	struct seq_flow *f = &t->flow[flow];
	uint64_t seq = seq_extend(f, seq32), skip;

	if (seq < f->next) {
		seq_track_old(t, f, seq);
		return;
	}
	if (!f->next && !f->window)
		t->flows_seen++;
	skip = seq - f->next; /* numbers jumped over: lost unless they come late */
	t->lost += skip;
	f->window = skip >= 63 ? 0 : f->window << (skip + 1);
	f->window |= 1;
	f->next = seq + 1;
}

#endif
