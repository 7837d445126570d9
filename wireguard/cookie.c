/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cookie.c - mac1, mac2 and cookie replies (cookie.h), and the first check
 * of every datagram (msg.h).
 */
#include <errno.h>
#include <string.h>

#include "wireguard/cookie.h"

/* ---- msg.h ---- */

static const char *const verdict_names[WG_MSG_VERDICT_MAX] = {
	[WG_MSG_VALID] = "valid",
	[WG_MSG_SHORT] = "short",
	[WG_MSG_BAD_TYPE] = "bad_type",
	[WG_MSG_BAD_LEN] = "bad_length",
};

const char *wg_msg_verdict_name(enum wg_msg_verdict v)
{
	return (unsigned int)v < WG_MSG_VERDICT_MAX ? verdict_names[v] : "?";
}

enum wg_msg_type wg_msg_classify(const uint8_t *p, size_t len, enum wg_msg_verdict *why)
{
	uint32_t type;
	size_t want;

	*why = WG_MSG_SHORT;
	if (len < 4)
		return WG_MSG_INVALID;
	/* A little-endian word whose top three bytes are reserved zeros (5.4.2). */
	type = wg_get_le32(p);
	switch (type) {
	case WG_MSG_INITIATION:
		want = WG_INITIATION_LEN;
		break;
	case WG_MSG_RESPONSE:
		want = WG_RESPONSE_LEN;
		break;
	case WG_MSG_COOKIE:
		want = WG_COOKIE_MSG_LEN;
		break;
	case WG_MSG_DATA:
		*why = len >= WG_DATA_MIN_LEN ? WG_MSG_VALID : WG_MSG_BAD_LEN;
		return len >= WG_DATA_MIN_LEN ? WG_MSG_DATA : WG_MSG_INVALID;
	default:
		*why = WG_MSG_BAD_TYPE;
		return WG_MSG_INVALID;
	}
	*why = len == want ? WG_MSG_VALID : WG_MSG_BAD_LEN;
	return len == want ? (enum wg_msg_type)type : WG_MSG_INVALID;
}

/* ---- MACs ---- */

void wg_cookie_src_init(struct wg_cookie_src *s, const uint8_t *addr, size_t alen, uint16_t port)
{
	if (alen > WG_COOKIE_SRC_MAX - 2)
		alen = WG_COOKIE_SRC_MAX - 2;
	memcpy(s->b, addr, alen);
	s->b[alen] = (uint8_t)(port >> 8);
	s->b[alen + 1] = (uint8_t)port;
	s->len = (uint8_t)(alen + 2);
}

void wg_cookie_checker_init(struct wg_cookie_checker *c, uint64_t max_age_ns)
{
	memset(c, 0, sizeof(*c));
	c->max_age_ns = max_age_ns;
}

int wg_macs_write(uint8_t *msg, size_t len, const uint8_t mac1_key[WG_KEY_LEN],
		  const uint8_t *cookie)
{
	struct wg_buf b = { msg, len - 2 * WG_MAC_LEN };
	int ret;

	if (len < 2 * WG_MAC_LEN)
		return -EINVAL;
	/* mac1 covers the message up to itself; mac2 the message up to mac2. */
	ret = wg_mac(msg + len - 2 * WG_MAC_LEN, mac1_key, WG_KEY_LEN, &b, 1);
	b.len = len - WG_MAC_LEN;
	if (ret == 0 && cookie)
		return wg_mac(msg + len - WG_MAC_LEN, cookie, WG_MAC_LEN, &b, 1);
	if (ret == 0)
		memset(msg + len - WG_MAC_LEN, 0, WG_MAC_LEN);
	return ret;
}

/* τ := MAC(Rm, Am), with Rm renewed once it is older than its maximum age. */
static int cookie_make(struct wg_cookie_checker *c, const struct wg_cookie_src *src,
		       uint64_t now_ns, uint8_t out[WG_MAC_LEN])
{
	struct wg_buf b = { src->b, src->len };

	if (!c->secret_birth_ns || now_ns - c->secret_birth_ns >= c->max_age_ns) {
		if (wg_random(c->secret, sizeof(c->secret)) < 0)
			return -EIO;
		c->secret_birth_ns = now_ns ? now_ns : 1;
	}
	return wg_mac(out, c->secret, sizeof(c->secret), &b, 1);
}

enum wg_mac_verdict wg_macs_check(struct wg_cookie_checker *c, const uint8_t mac1_key[WG_KEY_LEN],
				  const uint8_t *msg, size_t len, const struct wg_cookie_src *src,
				  uint64_t now_ns, bool check_mac2)
{
	uint8_t mac[WG_MAC_LEN], cookie[WG_MAC_LEN];
	struct wg_buf b = { msg, len - 2 * WG_MAC_LEN };

	if (len < 2 * WG_MAC_LEN || wg_mac(mac, mac1_key, WG_KEY_LEN, &b, 1) < 0 ||
	    !wg_equal(mac, msg + len - 2 * WG_MAC_LEN, WG_MAC_LEN))
		return WG_MAC_BAD;
	if (!check_mac2)
		return WG_MAC_OK_NO_COOKIE;
	b.len = len - WG_MAC_LEN;
	if (cookie_make(c, src, now_ns, cookie) < 0 || wg_mac(mac, cookie, WG_MAC_LEN, &b, 1) < 0 ||
	    !wg_equal(mac, msg + len - WG_MAC_LEN, WG_MAC_LEN))
		return WG_MAC_OK_NO_COOKIE;
	return WG_MAC_OK_COOKIE;
}

/* ---- cookie replies ---- */

int wg_cookie_reply_create(struct wg_cookie_checker *c, const struct wg_identity *me,
			   const uint8_t *msg, size_t len, uint32_t receiver,
			   const struct wg_cookie_src *src, uint64_t now_ns,
			   struct wg_msg_cookie *out)
{
	uint8_t cookie[WG_MAC_LEN];
	int ret;

	if (len < 2 * WG_MAC_LEN)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	wg_put_le32(out->type, WG_MSG_COOKIE);
	wg_put_le32(out->receiver, receiver);
	ret = wg_random(out->nonce, sizeof(out->nonce));
	if (ret == 0)
		ret = cookie_make(c, src, now_ns, cookie);
	/* msg.cookie := XAEAD(HASH(LABEL_COOKIE || Spub_m), nonce, τ, mac1 of the message) */
	if (ret == 0)
		ret = wg_xaead_seal(out->enc_cookie, cookie, WG_MAC_LEN, out->nonce, me->cookie_key,
				    msg + len - 2 * WG_MAC_LEN, WG_MAC_LEN);
	wg_wipe(cookie, sizeof(cookie));
	return ret;
}

int wg_cookie_reply_open(const struct wg_peer_id *peer, const uint8_t sent_mac1[WG_MAC_LEN],
			 const struct wg_msg_cookie *m, uint8_t cookie[WG_MAC_LEN])
{
	return wg_xaead_open(cookie, m->enc_cookie, sizeof(m->enc_cookie), m->nonce,
			     peer->cookie_key, sent_mac1, WG_MAC_LEN);
}
