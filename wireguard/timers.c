/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * timers.c - WireGuard's timers as decisions over timestamps (timers.h),
 * following the whitepaper's section 6 and the behaviour Linux and
 * wireguard-go agree on where the paper is loose (how often initiations may
 * go out, when retries stop).
 */
#include <string.h>

#include "wireguard/data.h"
#include "wireguard/timers.h"

#define NS 1000000000ull

void wg_times_init(struct wg_times *t, double scale, uint64_t rekey_after_messages)
{
	if (!(scale > 0))
		scale = 1;
	t->rekey_after_time = (uint64_t)(120 * NS * scale);
	t->reject_after_time = (uint64_t)(180 * NS * scale);
	t->rekey_attempt_time = (uint64_t)(90 * NS * scale);
	t->rekey_timeout = (uint64_t)(5 * NS * scale);
	t->keepalive_timeout = (uint64_t)(10 * NS * scale);
	t->cookie_max_age = (uint64_t)(120 * NS * scale);
	t->cookie_latency = (uint64_t)(5 * NS * scale);
	t->jitter = (uint64_t)(NS / 3 * scale);
	t->rekey_after_messages = rekey_after_messages ? rekey_after_messages :
							 WG_REKEY_AFTER_MESSAGES;
}

void wg_timers_init(struct wg_timers *t, uint16_t persistent_keepalive_s)
{
	memset(t, 0, sizeof(*t));
	t->persistent_keepalive_s = persistent_keepalive_s;
}

static uint64_t max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Passive keepalive: data came in and nothing went out for KEEPALIVE_TIMEOUT. */
static unsigned int tick_keepalive(struct wg_timers *t, const struct wg_times *c,
				   const struct wg_timer_inputs *in, uint64_t now)
{
	uint64_t last;

	if (in->any_tx >= in->data_rx) {
		t->keepalive_at = 0; /* answered, or nothing to answer */
	} else if (!t->keepalive_at) {
		t->keepalive_at = in->data_rx + c->keepalive_timeout;
	} else if (now >= t->keepalive_at) {
		t->keepalive_at = 0;
		return WG_TIMER_KEEPALIVE;
	}
	/* Persistent keepalive: every interval after the last message either way. */
	last = max64(in->any_tx, in->auth_rx);
	if (t->persistent_keepalive_s &&
	    (!last || now >= last + (uint64_t)t->persistent_keepalive_s * NS))
		return WG_TIMER_KEEPALIVE;
	return 0;
}

/* Data went out and nothing authenticated came back for KEEPALIVE + REKEY_TIMEOUT. */
static unsigned int tick_unanswered(struct wg_timers *t, const struct wg_times *c,
				    const struct wg_timer_inputs *in, uint64_t now)
{
	if (t->new_hs_at && in->auth_rx > t->new_hs_armed) {
		t->new_hs_at = 0; /* something came back */
		return 0;
	}
	if (!t->new_hs_at && in->data_tx > in->auth_rx && in->data_tx > t->new_hs_armed) {
		t->new_hs_armed = in->data_tx;
		t->new_hs_at = in->data_tx + c->keepalive_timeout + c->rekey_timeout;
		return 0;
	}
	if (t->new_hs_at && now >= t->new_hs_at) {
		t->new_hs_at = 0;
		return WG_TIMER_INITIATE;
	}
	return 0;
}

/* An initiation out and unanswered: retry after REKEY_TIMEOUT, for REKEY_ATTEMPT_TIME. */
static unsigned int tick_retry(struct wg_timers *t, const struct wg_times *c,
			       const struct wg_timer_inputs *in, uint64_t now)
{
	unsigned int max = (unsigned int)(c->rekey_attempt_time / c->rekey_timeout);

	if (!in->initiating || !t->hs_retry_at || now < t->hs_retry_at)
		return 0;
	if (t->hs_attempts >= max) {
		t->hs_retry_at = 0;
		t->hs_attempts = 0;
		return WG_TIMER_GIVE_UP;
	}
	return WG_TIMER_INITIATE | WG_TIMER_RETRY;
}

unsigned int wg_timers_tick(struct wg_timers *t, const struct wg_times *c,
			    const struct wg_timer_inputs *in, uint64_t now)
{
	unsigned int act;

	if (t->session_at && !t->keys_zeroed && now >= t->session_at + 3 * c->reject_after_time) {
		t->keys_zeroed = true;
		return WG_TIMER_ZERO_KEYS;
	}
	act = tick_retry(t, c, in, now);
	if (act)
		return act;
	act = tick_keepalive(t, c, in, now) | tick_unanswered(t, c, in, now);
	if (in->want_handshake)
		act |= WG_TIMER_INITIATE;
	/* No keys to send a keepalive with: the keepalive becomes an initiation. */
	if ((act & WG_TIMER_KEEPALIVE) && !in->have_keys)
		act = (act & ~(unsigned int)WG_TIMER_KEEPALIVE) | WG_TIMER_INITIATE;
	/* At most one initiation per REKEY_TIMEOUT, retries aside. */
	if ((act & WG_TIMER_INITIATE) && t->hs_last_sent &&
	    now < t->hs_last_sent + c->rekey_timeout)
		act &= ~(unsigned int)WG_TIMER_INITIATE;
	return act;
}

void wg_timers_initiation_sent(struct wg_timers *t, const struct wg_times *c, uint64_t now,
			       bool retry, uint32_t rnd)
{
	t->hs_attempts = retry ? t->hs_attempts + 1 : 0;
	t->hs_last_sent = now;
	t->hs_retry_at = now + c->rekey_timeout + (c->jitter ? rnd % c->jitter : 0);
}

void wg_timers_session(struct wg_timers *t, uint64_t now)
{
	t->hs_retry_at = 0;
	t->hs_attempts = 0;
	t->session_at = now;
	t->keys_zeroed = false;
}
