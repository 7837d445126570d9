/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msg.h - WireGuard's four messages on the wire (whitepaper, section 5.4),
 * and the first check every received datagram passes.
 *
 * The structs are byte arrays only: they have no padding, need no
 * alignment (a packet buffer has none to offer) and are read and written
 * with the little-endian helpers below.  wg_msg_classify() is the parser of
 * untrusted input the libFuzzer harness drives (tests/fuzz/fuzz_wg.c): it
 * reads nothing beyond @len and accepts only the exact lengths of the
 * handshake messages, a data message of at least a header and a tag, and a
 * type word whose three reserved bytes are zero (as Linux and wireguard-go).
 */
#ifndef FERRY_WIREGUARD_MSG_H
#define FERRY_WIREGUARD_MSG_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "wireguard/crypto.h"

enum wg_msg_type {
	WG_MSG_INVALID = 0,
	WG_MSG_INITIATION = 1,
	WG_MSG_RESPONSE = 2,
	WG_MSG_COOKIE = 3,
	WG_MSG_DATA = 4,
};

/* Why wg_msg_classify() refused a datagram. */
enum wg_msg_verdict {
	WG_MSG_VALID,
	WG_MSG_SHORT, /* not even a type word */
	WG_MSG_BAD_TYPE, /* unknown type, or reserved bytes set */
	WG_MSG_BAD_LEN, /* not the length its type has */
	WG_MSG_VERDICT_MAX
};

#define WG_TAI64N_LEN 12

struct wg_msg_initiation {
	uint8_t type[4];
	uint8_t sender[4];
	uint8_t ephemeral[WG_KEY_LEN];
	uint8_t enc_static[WG_KEY_LEN + WG_TAG_LEN];
	uint8_t enc_timestamp[WG_TAI64N_LEN + WG_TAG_LEN];
	uint8_t mac1[WG_MAC_LEN];
	uint8_t mac2[WG_MAC_LEN];
};

struct wg_msg_response {
	uint8_t type[4];
	uint8_t sender[4];
	uint8_t receiver[4];
	uint8_t ephemeral[WG_KEY_LEN];
	uint8_t enc_empty[WG_TAG_LEN];
	uint8_t mac1[WG_MAC_LEN];
	uint8_t mac2[WG_MAC_LEN];
};

struct wg_msg_cookie {
	uint8_t type[4];
	uint8_t receiver[4];
	uint8_t nonce[WG_XNONCE_LEN];
	uint8_t enc_cookie[WG_MAC_LEN + WG_TAG_LEN];
};

/* A data message: this header, then the encrypted packet and its tag. */
struct wg_msg_data {
	uint8_t type[4];
	uint8_t receiver[4];
	uint8_t counter[8];
};

#define WG_INITIATION_LEN 148
#define WG_RESPONSE_LEN 92
#define WG_COOKIE_MSG_LEN 64
#define WG_DATA_HLEN 16
#define WG_DATA_MIN_LEN (WG_DATA_HLEN + WG_TAG_LEN) /* a keepalive */
#define WG_PAD 16 /* plaintext is padded to a multiple of this (5.4.6) */
/* Bytes a data message adds to a packet of @len bytes. */
#define WG_DATA_OVERHEAD(len) \
	(WG_DATA_HLEN + (((len) + WG_PAD - 1) / WG_PAD * WG_PAD - (len)) + WG_TAG_LEN)

static_assert(sizeof(struct wg_msg_initiation) == WG_INITIATION_LEN, "initiation layout");
static_assert(sizeof(struct wg_msg_response) == WG_RESPONSE_LEN, "response layout");
static_assert(sizeof(struct wg_msg_cookie) == WG_COOKIE_MSG_LEN, "cookie reply layout");
static_assert(sizeof(struct wg_msg_data) == WG_DATA_HLEN, "data header layout");

static inline uint32_t wg_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t wg_get_le64(const uint8_t *p)
{
	return (uint64_t)wg_get_le32(p) | (uint64_t)wg_get_le32(p + 4) << 32;
}

static inline void wg_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void wg_put_le64(uint8_t *p, uint64_t v)
{
	wg_put_le32(p, (uint32_t)v);
	wg_put_le32(p + 4, (uint32_t)(v >> 32));
}

/* The type of @len bytes at @p, or WG_MSG_INVALID with *why set. */
enum wg_msg_type wg_msg_classify(const uint8_t *p, size_t len, enum wg_msg_verdict *why);
const char *wg_msg_verdict_name(enum wg_msg_verdict v);

#endif
