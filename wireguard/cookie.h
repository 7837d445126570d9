/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cookie.h - mac1, mac2 and cookie replies (whitepaper, section 5.4.4 and
 * 5.4.7): WireGuard's answer to a flood of handshake messages.
 *
 * Every handshake message carries mac1, keyed by its receiver's public key,
 * so a host that does not know that key cannot make us spend a
 * Diffie-Hellman operation.  Under load, a responder also wants mac2, keyed
 * by a cookie only the sender's address can have received: a message
 * without a valid one gets a cookie reply (no Diffie-Hellman, and nothing
 * remembered) instead of an answer.  The cookie is a MAC of the sender's
 * address under a secret that changes every two minutes.
 */
#ifndef FERRY_WIREGUARD_COOKIE_H
#define FERRY_WIREGUARD_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wireguard/msg.h"
#include "wireguard/noise.h"

#define WG_COOKIE_SRC_MAX 18 /* an IPv6 address and a port */

/*
 * The sender's address as cookies bind it: the IP address bytes (4 or 16)
 * and the UDP port, big-endian.
 */
struct wg_cookie_src {
	uint8_t b[WG_COOKIE_SRC_MAX];
	uint8_t len;
};

/* The responder's side: the secret behind the cookies it hands out. */
struct wg_cookie_checker {
	uint8_t secret[WG_KEY_LEN];
	uint64_t secret_birth_ns; /* 0: none yet */
	uint64_t max_age_ns; /* COOKIE_SECRET_MAX_AGE (120 s) */
};

/* What a message's MACs say. */
enum wg_mac_verdict {
	WG_MAC_BAD, /* mac1 wrong: drop without a word */
	WG_MAC_OK_NO_COOKIE, /* mac1 right, mac2 absent or wrong */
	WG_MAC_OK_COOKIE, /* both right */
};

void wg_cookie_src_init(struct wg_cookie_src *s, const uint8_t *addr, size_t alen, uint16_t port);
void wg_cookie_checker_init(struct wg_cookie_checker *c, uint64_t max_age_ns);

/*
 * Write mac1 (keyed by @mac1_key, the receiver's) and mac2 (keyed by
 * @cookie, or zeros without one) into the last 32 bytes of the @len-byte
 * handshake message @msg.
 */
int wg_macs_write(uint8_t *msg, size_t len, const uint8_t mac1_key[WG_KEY_LEN],
		  const uint8_t *cookie);

/*
 * Check a handshake message sent to the identity whose mac1 key is
 * @mac1_key; mac2 only when @check_mac2 (we are under load).
 */
enum wg_mac_verdict wg_macs_check(struct wg_cookie_checker *c, const uint8_t mac1_key[WG_KEY_LEN],
				  const uint8_t *msg, size_t len, const struct wg_cookie_src *src,
				  uint64_t now_ns, bool check_mac2);

/*
 * A cookie reply to the handshake message @msg (@len bytes, its sender
 * index @receiver) from @src, sealed under @me's cookie key.
 */
int wg_cookie_reply_create(struct wg_cookie_checker *c, const struct wg_identity *me,
			   const uint8_t *msg, size_t len, uint32_t receiver,
			   const struct wg_cookie_src *src, uint64_t now_ns,
			   struct wg_msg_cookie *out);

/*
 * Open a cookie reply from @peer to our message whose mac1 was @sent_mac1;
 * -EBADMSG when it is not for that message or forged.
 */
int wg_cookie_reply_open(const struct wg_peer_id *peer, const uint8_t sent_mac1[WG_MAC_LEN],
			 const struct wg_msg_cookie *m, uint8_t cookie[WG_MAC_LEN]);

#endif
