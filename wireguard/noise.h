/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * noise.h - WireGuard's handshake, Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s
 * (whitepaper, section 5.4.2 to 5.4.5), and the keys it ends with.
 *
 * Pure message processing: no clock but the timestamp the caller passes, no
 * peer table (the caller looks peers up between the two halves of opening
 * an initiation), no threads.  The switch's WireGuard thread
 * (vswitch/wg_ctl.c) owns the peers, their handshake states and the policy
 * around them (replayed timestamps, initiation floods, cookies, timers).
 *
 * Security model: every message comes from the network.  Consuming one
 * works on a copy of the state and commits only when every AEAD and
 * Diffie-Hellman step succeeded, so a forged message changes nothing.
 * Secrets are wiped when a state is reset.
 */
#ifndef FERRY_WIREGUARD_NOISE_H
#define FERRY_WIREGUARD_NOISE_H

#include <stdbool.h>
#include <stdint.h>

#include "wireguard/crypto.h"
#include "wireguard/msg.h"

/* This host's static identity, with what its messages are checked against. */
struct wg_identity {
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	uint8_t mac1_key[WG_KEY_LEN]; /* HASH(LABEL_MAC1 || pub): mac1 of messages to us */
	uint8_t cookie_key[WG_KEY_LEN]; /* HASH(LABEL_COOKIE || pub): seals our cookie replies */
};

/* A peer's static identity, with what our side precomputes for it. */
struct wg_peer_id {
	uint8_t pub[WG_KEY_LEN];
	uint8_t psk[WG_KEY_LEN]; /* zeros when there is none (as the protocol says) */
	uint8_t ss[WG_KEY_LEN]; /* DH(our private key, pub) */
	bool ss_ok; /* false: pub is a small-order point, handshakes with it fail */
	uint8_t mac1_key[WG_KEY_LEN]; /* HASH(LABEL_MAC1 || pub): mac1 of messages to it */
	uint8_t cookie_key[WG_KEY_LEN]; /* HASH(LABEL_COOKIE || pub): opens its cookie replies */
};

enum wg_hs_state {
	WG_HS_NONE,
	WG_HS_INIT_SENT, /* initiator: waiting for the response */
	WG_HS_INIT_CONSUMED, /* responder: an initiation is in, the response not yet made */
	WG_HS_RESP_SENT, /* responder: keys may be derived */
	WG_HS_RESP_CONSUMED, /* initiator: keys may be derived */
};

struct wg_handshake {
	enum wg_hs_state state;
	uint8_t hash[WG_HASH_LEN], ck[WG_HASH_LEN]; /* Noise's h and ck */
	uint8_t e_priv[WG_KEY_LEN]; /* our ephemeral key */
	uint8_t remote_e[WG_KEY_LEN]; /* the peer's ephemeral public key */
	uint32_t local_index, remote_index; /* sender indices: ours, theirs */
};

/* What opening an initiation learnt before the peer is known. */
struct wg_init_opened {
	uint8_t pub[WG_KEY_LEN]; /* the initiator's static key: find the peer by it */
	uint8_t hash[WG_HASH_LEN], ck[WG_HASH_LEN];
	uint8_t remote_e[WG_KEY_LEN];
	uint32_t remote_index;
	uint8_t enc_timestamp[WG_TAI64N_LEN + WG_TAG_LEN];
};

/* Transport keys of one completed handshake. */
struct wg_session_keys {
	uint8_t send[WG_KEY_LEN], recv[WG_KEY_LEN];
	uint32_t local_index, remote_index;
	bool initiator;
};

int wg_identity_init(struct wg_identity *id, const uint8_t priv[WG_KEY_LEN]);
/* @psk may be NULL.  Fails only when OpenSSL does; a small-order key gives ss_ok = false. */
int wg_peer_id_init(struct wg_peer_id *p, const struct wg_identity *me,
		    const uint8_t pub[WG_KEY_LEN], const uint8_t *psk);

/* Wipe @hs back to WG_HS_NONE. */
void wg_handshake_clear(struct wg_handshake *hs);

/*
 * Start a handshake as initiator (5.4.2): fills @m but its MACs (cookie.h's
 * wg_macs_write()), leaves @hs in WG_HS_INIT_SENT.  @tai64n: wg_tai64n().
 */
int wg_initiation_create(struct wg_handshake *hs, const struct wg_identity *me,
			 const struct wg_peer_id *peer, uint32_t local_index,
			 const uint8_t tai64n[WG_TAI64N_LEN], struct wg_msg_initiation *m);

/* Responder, first half: decrypt the initiator's static key.  -EBADMSG when forged. */
int wg_initiation_open(const struct wg_identity *me, const struct wg_msg_initiation *m,
		       struct wg_init_opened *o);
/*
 * Second half, with the peer found by o->pub: decrypt the timestamp into
 * @tai64n (the caller refuses one not newer than the last) and, on success,
 * fill @hs (WG_HS_INIT_CONSUMED).  @hs is untouched on failure.
 */
int wg_initiation_finish(const struct wg_init_opened *o, const struct wg_peer_id *peer,
			 struct wg_handshake *hs, uint8_t tai64n[WG_TAI64N_LEN]);

/* Answer the initiation @hs consumed (5.4.3); MACs are the caller's.  Leaves WG_HS_RESP_SENT. */
int wg_response_create(struct wg_handshake *hs, const struct wg_peer_id *peer, uint32_t local_index,
		       struct wg_msg_response *m);
/*
 * Initiator: consume a response to the initiation @hs sent (the caller
 * matched m->receiver to hs->local_index).  On success WG_HS_RESP_CONSUMED;
 * on failure (-EBADMSG, -EINVAL) @hs is untouched.
 */
int wg_response_consume(struct wg_handshake *hs, const struct wg_identity *me,
			const struct wg_peer_id *peer, const struct wg_msg_response *m);

/* The transport keys (5.4.5) of a finished handshake; @hs is wiped.  -EINVAL in a wrong state. */
int wg_handshake_derive(struct wg_handshake *hs, struct wg_session_keys *keys);

/*
 * TAI64N of the real-time clock @sec, @nsec, with the nanoseconds rounded
 * down to 2^24 (as Linux does): fine enough for 50 initiations a second,
 * too coarse to read the host's clock through.
 */
void wg_tai64n(uint8_t out[WG_TAI64N_LEN], uint64_t sec, uint32_t nsec);

#endif
