/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * data.h - WireGuard's transport: keypairs, data messages (whitepaper,
 * section 5.4.6) and the replay window, for the threads that move packets.
 *
 * A keypair is what a handshake leaves (noise.h's wg_session_keys) plus
 * the state the data path changes: the send counter, taken with one atomic
 * add so that any number of threads can send with it, and the replay
 * window, behind a spinlock (two threads may receive for one keypair).
 * Nothing here allocates, sleeps or makes a system call.
 *
 * Security model: a received data message is checked in this order: the
 * tag (wg_data_open), only then the counter (wg_replay_check), so a forged
 * message can neither move the window nor use up a counter.
 */
#ifndef FERRY_WIREGUARD_DATA_H
#define FERRY_WIREGUARD_DATA_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wireguard/crypto.h"
#include "wireguard/msg.h"
#include "wireguard/noise.h"

/* Message limits (whitepaper, section 6.1). */
#define WG_REKEY_AFTER_MESSAGES (1ull << 60)
#define WG_REJECT_AFTER_MESSAGES (UINT64_MAX - (1ull << 13)) /* 2^64 - 2^13 - 1 */

/*
 * The replay window (RFC 6479's bitmap, as Linux keeps it): 8192 bits, of
 * which the newest word may be partly ahead, so counters up to 8128 behind
 * the greatest one seen are still accepted once each.
 */
#define WG_REPLAY_BITS 8192
#define WG_REPLAY_WINDOW (WG_REPLAY_BITS - 64)

struct wg_replay {
	uint64_t next; /* greatest counter accepted + 1; 0 = none yet */
	uint64_t bits[WG_REPLAY_BITS / 64];
};

struct wg_keypair {
	struct wg_session_keys k;
	uint64_t birth_ns; /* when the handshake completed, on the caller's clock */
	_Atomic uint64_t send_counter; /* next counter to send */
	atomic_flag lock; /* guards replay */
	struct wg_replay replay;
	void *owner; /* the caller's peer */
};

void wg_replay_init(struct wg_replay *r);
/*
 * Accept @counter once: false if it was seen, is too far behind, or is at
 * or past REJECT_AFTER_MESSAGES.  The caller serialises calls (wg_keypair_accept).
 */
bool wg_replay_check(struct wg_replay *r, uint64_t counter);

/* A keypair from the keys of a finished handshake (which it copies). */
void wg_keypair_init(struct wg_keypair *kp, const struct wg_session_keys *k, uint64_t birth_ns,
		     void *owner);
/* Wipe the keys. */
void wg_keypair_clear(struct wg_keypair *kp);
/* wg_replay_check() under the keypair's lock. */
bool wg_keypair_accept(struct wg_keypair *kp, uint64_t counter);

/*
 * Seal the @len-byte packet at @msg + WG_DATA_HLEN into a data message in
 * place: zero padding to WG_PAD, the tag after it, the header in front.
 * @msg must have room for WG_DATA_HLEN + @len + WG_DATA_OVERHEAD(@len) -
 * WG_DATA_HLEN bytes.  Returns the message's length, or a negative errno.
 */
long wg_data_seal(struct wg_aead *a, const struct wg_keypair *kp, uint64_t counter, uint8_t *msg,
		  size_t len);

/*
 * Open the @len-byte data message @msg in place (its header was checked by
 * wg_msg_classify() and its receiver index matched to @kp): on success the
 * padded packet is at @msg + WG_DATA_HLEN, *plen bytes long, and *counter
 * is the message's counter, for wg_keypair_accept().  -EBADMSG when forged.
 */
int wg_data_open(struct wg_aead *a, const struct wg_keypair *kp, uint8_t *msg, size_t len,
		 size_t *plen, uint64_t *counter);

#endif
