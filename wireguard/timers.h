/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * timers.h - when a WireGuard peer sends a handshake or a keepalive, gives
 * up, or forgets its keys (whitepaper, section 6), as decisions over
 * timestamps so that tests can run them on a made-up clock.
 *
 * The data path does not run timers: it stamps when it last sent and
 * received (struct wg_timer_inputs) and raises want_handshake when a
 * keypair grows old.  The control thread calls wg_timers_tick() every few
 * milliseconds with those stamps and carries out what it returns.
 *
 * Differences from a literal timer wheel: a timer armed "on data received"
 * is armed when a tick first sees the data, so it may fire one tick late.
 */
#ifndef FERRY_WIREGUARD_TIMERS_H
#define FERRY_WIREGUARD_TIMERS_H

#include <stdbool.h>
#include <stdint.h>

/* The whitepaper's constants (section 6.1), in nanoseconds. */
struct wg_times {
	uint64_t rekey_after_time; /* 120 s: the initiator's keys are renewed */
	uint64_t reject_after_time; /* 180 s: keys are no longer used at all */
	uint64_t rekey_attempt_time; /* 90 s: initiations are retried this long */
	uint64_t rekey_timeout; /* 5 s: between initiations */
	uint64_t keepalive_timeout; /* 10 s: passive keepalive */
	uint64_t cookie_max_age; /* 120 s: a cookie secret's and a cookie's life */
	uint64_t cookie_latency; /* 5 s: a received cookie is used this much less long */
	uint64_t rekey_after_messages; /* REKEY_AFTER_MESSAGES */
	uint64_t jitter; /* 333 ms: at most this much is added to a retry */
};

/*
 * The constants times @scale (1 = the whitepaper's; tests shrink them so a
 * rekey happens within seconds).  @rekey_after_messages 0 keeps 2^60.
 */
void wg_times_init(struct wg_times *t, double scale, uint64_t rekey_after_messages);

/* What the data path and the control thread last did, on one clock; 0 = never. */
struct wg_timer_inputs {
	uint64_t data_tx; /* a data message with a packet was sent */
	uint64_t data_rx; /* ... received */
	uint64_t any_tx; /* any message was sent (keepalives and handshakes too) */
	uint64_t auth_rx; /* any authenticated message was received */
	bool want_handshake; /* the data path found its keypair old, or had none */
	bool have_keys; /* a keypair is there to send with */
	bool initiating; /* an initiation is out, its response not in */
};

struct wg_timers {
	uint16_t persistent_keepalive_s; /* 0 = off; on: a keepalive at once, then every interval */
	uint64_t hs_last_sent; /* the last initiation */
	uint64_t hs_retry_at; /* resend then if no response came; 0 = none out */
	unsigned int hs_attempts; /* retries of the current initiation */
	uint64_t keepalive_at; /* passive keepalive due; 0 = none */
	uint64_t new_hs_at; /* data sent and nothing heard: new handshake due; 0 = none */
	uint64_t new_hs_armed; /* when new_hs_at was armed */
	uint64_t session_at; /* last handshake completed (keys derived); 0 = never */
	bool keys_zeroed; /* the zero-keys deadline was acted on */
};

enum wg_timer_action {
	WG_TIMER_INITIATE = 1, /* send an initiation ... */
	WG_TIMER_RETRY = 2, /* ... which is a retry of the one out */
	WG_TIMER_KEEPALIVE = 4, /* send a keepalive (an initiation when no keys) */
	WG_TIMER_GIVE_UP = 8, /* stop retrying: drop what waits for keys */
	WG_TIMER_ZERO_KEYS = 16, /* 3 x REJECT_AFTER_TIME without a handshake: forget keys */
};

void wg_timers_init(struct wg_timers *t, uint16_t persistent_keepalive_s);

/* What is due at @now; WG_TIMER_* bits. */
unsigned int wg_timers_tick(struct wg_timers *t, const struct wg_times *c,
			    const struct wg_timer_inputs *in, uint64_t now);

/* An initiation went out; @rnd picks the retry jitter. */
void wg_timers_initiation_sent(struct wg_timers *t, const struct wg_times *c, uint64_t now,
			       bool retry, uint32_t rnd);
/* A handshake completed and keys were derived (either role). */
void wg_timers_session(struct wg_timers *t, uint64_t now);

#endif
