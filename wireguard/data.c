/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * data.c - keypairs, data messages and the replay window (data.h).
 */
#include <errno.h>
#include <string.h>

#include "wireguard/data.h"

#define WORDS (WG_REPLAY_BITS / 64)

void wg_replay_init(struct wg_replay *r)
{
	memset(r, 0, sizeof(*r));
}

bool wg_replay_check(struct wg_replay *r, uint64_t counter)
{
	uint64_t n, word, top, i, cur;

	if (counter >= WG_REJECT_AFTER_MESSAGES)
		return false;
	n = counter + 1; /* so that 0 means "nothing seen" */
	if (n + WG_REPLAY_WINDOW < r->next)
		return false; /* too far behind */
	word = n / 64;
	if (n > r->next) {
		/* Slide: clear the words between the old greatest and the new one. */
		cur = r->next / 64;
		top = word - cur < WORDS ? word - cur : WORDS;
		for (i = 1; i <= top; i++)
			r->bits[(cur + i) % WORDS] = 0;
		r->next = n;
	}
	i = word % WORDS;
	if (r->bits[i] & (1ull << (n % 64)))
		return false;
	r->bits[i] |= 1ull << (n % 64);
	return true;
}

void wg_keypair_init(struct wg_keypair *kp, const struct wg_session_keys *k, uint64_t birth_ns,
		     void *owner)
{
	memset(kp, 0, sizeof(*kp));
	kp->k = *k;
	kp->birth_ns = birth_ns;
	atomic_init(&kp->send_counter, 0);
	atomic_flag_clear(&kp->lock);
	wg_replay_init(&kp->replay);
	kp->owner = owner;
}

void wg_keypair_clear(struct wg_keypair *kp)
{
	wg_wipe(&kp->k, sizeof(kp->k));
}

bool wg_keypair_accept(struct wg_keypair *kp, uint64_t counter)
{
	bool ok;

	/* Pairs with the release below: one receiver at a time moves the window. */
	while (atomic_flag_test_and_set_explicit(&kp->lock, memory_order_acquire))
		;
	ok = wg_replay_check(&kp->replay, counter);
	atomic_flag_clear_explicit(&kp->lock, memory_order_release);
	return ok;
}

long wg_data_seal(struct wg_aead *a, const struct wg_keypair *kp, uint64_t counter, uint8_t *msg,
		  size_t len)
{
	size_t padded = (len + WG_PAD - 1) / WG_PAD * WG_PAD;
	uint8_t *p = msg + WG_DATA_HLEN;

	memset(p + len, 0, padded - len);
	wg_put_le32(msg, WG_MSG_DATA);
	wg_put_le32(msg + 4, kp->k.remote_index);
	wg_put_le64(msg + 8, counter);
	if (wg_aead_encrypt(a, kp->k.send, counter, p, padded, p + padded) < 0)
		return -EIO;
	return (long)(WG_DATA_HLEN + padded + WG_TAG_LEN);
}

int wg_data_open(struct wg_aead *a, const struct wg_keypair *kp, uint8_t *msg, size_t len,
		 size_t *plen, uint64_t *counter)
{
	size_t clen;

	if (len < WG_DATA_MIN_LEN)
		return -EINVAL;
	clen = len - WG_DATA_MIN_LEN;
	*counter = wg_get_le64(msg + 8);
	if (wg_aead_decrypt(a, kp->k.recv, *counter, msg + WG_DATA_HLEN, clen,
			    msg + WG_DATA_HLEN + clen) < 0)
		return -EBADMSG;
	*plen = clen;
	return 0;
}
