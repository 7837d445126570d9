/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pktgen_stats.c - the slow half of pktgen_stats.h: set-up, late frames,
 * percentiles and the histogram's text.  The per-frame half is inline in
 * the header.  No snprintf: numbers are formatted here, so that the file
 * builds unchanged for the guest and for the host unit test.
 */
#include "pktgen_stats.h"

void lat_hist_init(struct lat_hist *h, uint64_t tsc_khz)
{
	__builtin_memset(h, 0, sizeof(*h));
	h->tsc_khz = tsc_khz ? tsc_khz : 1;
	/* ns per tick in 32.32 fixed point: 10^6 / kHz. */
	h->ns_mult = (1000000ULL << 32) / h->tsc_khz;
	h->mult_limit = h->ns_mult ? UINT64_MAX / h->ns_mult : UINT64_MAX;
}

uint64_t lat_bucket_upper(unsigned int i)
{
	unsigned int e, sub;

	if (i == 0)
		return 1ULL << LAT_MIN_BITS;
	if (i >= LAT_OVER)
		return UINT64_MAX;
	e = (i - 1) / LAT_SUB + LAT_MIN_BITS;
	sub = (i - 1) % LAT_SUB + 1;
	return (1ULL << e) + ((uint64_t)sub << (e - LAT_SUB_BITS));
}

uint64_t lat_ticks_to_ns(const struct lat_hist *h, uint64_t ticks)
{
	/* Split so that ticks * 10^6 cannot overflow for any 48-bit interval. */
	return ticks / h->tsc_khz * 1000000 + ticks % h->tsc_khz * 1000000 / h->tsc_khz;
}

uint64_t lat_hist_percentile(const struct lat_hist *h, unsigned int permille)
{
	uint64_t want = (h->samples * permille + 999) / 1000, seen = 0;
	uint64_t max_ns = lat_ticks_to_ns(h, h->max_ticks);

	if (!h->samples)
		return 0;
	want = want ? want : 1;
	for (unsigned int i = 0; i < LAT_BUCKETS; i++) {
		seen += h->count[i];
		if (seen >= want)
			return MIN(lat_bucket_upper(i), max_ns);
	}
	return max_ns;
}

void seq_track_old(struct seq_track *t, struct seq_flow *f, uint64_t seq)
{
	uint64_t back = f->next - 1 - seq, bit;

	if (back < 64) {
		bit = 1ULL << back;
		if (f->window & bit) {
			t->dup++;
			return;
		}
		f->window |= bit;
	}
	t->reordered++;
	if (t->lost)
		t->lost--; /* it filled a gap counted when the flow jumped over it */
}

/* Appends decimal @v at @p if it fits before @end; returns the new end or NULL. */
static char *put_u64(char *p, const char *end, uint64_t v)
{
	char tmp[20];
	unsigned int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (end - p < (ptrdiff_t)n)
		return NULL;
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* Appends ",UPPER:COUNT" (no comma first) if it fits; NULL if not. */
static char *put_bucket(char *p, const char *start, const char *end, uint64_t upper, uint64_t count)
{
	if (p != start) {
		if (p >= end)
			return NULL;
		*p++ = ',';
	}
	p = put_u64(p, end, upper);
	if (!p || p >= end)
		return NULL;
	*p++ = ':';
	return put_u64(p, end, count);
}

/*
 * The histogram with regular buckets merged 2^@shift at a time; NULL if it
 * does not fit in [buf, end).
 */
static char *format_merged(const struct lat_hist *h, char *buf, const char *end, unsigned int shift)
{
	unsigned int group = 1u << shift;
	char *p = buf;

	if (h->count[0])
		p = put_bucket(p, buf, end, lat_bucket_upper(0), h->count[0]);
	for (unsigned int g = 0; p && g < LAT_REGULAR; g += group) {
		unsigned int last = MIN(g + group, LAT_REGULAR); /* regular buckets g..last-1 */
		uint64_t n = 0;

		for (unsigned int i = g; i < last; i++)
			n += h->count[1 + i];
		if (n)
			p = put_bucket(p, buf, end, lat_bucket_upper(last), n);
	}
	/* The open-ended last bucket: its bound is the largest latency seen. */
	if (p && h->count[LAT_OVER])
		p = put_bucket(p, buf, end, lat_ticks_to_ns(h, h->max_ticks), h->count[LAT_OVER]);
	return p;
}

size_t lat_hist_format(const struct lat_hist *h, char *buf, size_t room)
{
	char *end;

	if (!room)
		return 0;
	end = buf + room - 1; /* the NUL */
	for (unsigned int shift = 0; (1u << shift) < 2 * LAT_REGULAR; shift++) {
		char *p = format_merged(h, buf, end, shift);

		if (p) {
			*p = '\0';
			return (size_t)(p - buf);
		}
	}
	*buf = '\0'; /* not even three buckets fit */
	return 0;
}
