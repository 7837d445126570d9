/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * noise.c - the handshake of noise.h, step by step as the whitepaper's
 * section 5.4 writes it; each function names the subsection it follows.
 * Every intermediate secret lives on the stack or in a state that
 * wg_handshake_clear() wipes.
 */
#include <errno.h>
#include <string.h>

#include "wireguard/noise.h"

static const char CONSTRUCTION[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
static const char IDENTIFIER[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";
static const char LABEL_MAC1[] = "mac1----";
static const char LABEL_COOKIE[] = "cookie--";

/* HASH(a || b) */
static int hash2(uint8_t out[WG_HASH_LEN], const void *a, size_t alen, const void *b, size_t blen)
{
	struct wg_buf parts[2] = { { a, alen }, { b, blen } };

	return wg_hash(out, parts, 2);
}

/* h := HASH(h || data) */
static int mix_hash(uint8_t h[WG_HASH_LEN], const void *data, size_t len)
{
	return hash2(h, h, WG_HASH_LEN, data, len);
}

/* Ci := HASH(CONSTRUCTION); Hi := HASH(HASH(Ci || IDENTIFIER) || Spub_r) (5.4.2). */
static int noise_start(uint8_t ck[WG_HASH_LEN], uint8_t h[WG_HASH_LEN],
		       const uint8_t responder_pub[WG_KEY_LEN])
{
	struct wg_buf c = { CONSTRUCTION, sizeof(CONSTRUCTION) - 1 };

	if (wg_hash(ck, &c, 1) < 0 || hash2(h, ck, WG_HASH_LEN, IDENTIFIER, sizeof(IDENTIFIER) - 1))
		return -EIO;
	return mix_hash(h, responder_pub, WG_KEY_LEN);
}

/* (ck, k) := KDF2(ck, DH(priv, pub)); a small-order @pub fails with -EINVAL. */
static int mix_dh(uint8_t ck[WG_HASH_LEN], uint8_t *k, const uint8_t priv[WG_KEY_LEN],
		  const uint8_t pub[WG_KEY_LEN])
{
	uint8_t dh[WG_KEY_LEN];
	int ret = wg_dh(dh, priv, pub);

	if (ret == 0)
		ret = wg_kdf(ck, dh, sizeof(dh), ck, k, NULL);
	wg_wipe(dh, sizeof(dh));
	return ret;
}

/* (ck, k) := KDF2(ck, ss) with a precomputed static-static secret. */
static int mix_ss(uint8_t ck[WG_HASH_LEN], uint8_t k[WG_KEY_LEN], const struct wg_peer_id *peer)
{
	return peer->ss_ok ? wg_kdf(ck, peer->ss, WG_KEY_LEN, ck, k, NULL) : -EINVAL;
}

int wg_identity_init(struct wg_identity *id, const uint8_t priv[WG_KEY_LEN])
{
	memcpy(id->priv, priv, WG_KEY_LEN);
	if (wg_pubkey(id->pub, priv) < 0 ||
	    hash2(id->mac1_key, LABEL_MAC1, 8, id->pub, WG_KEY_LEN) < 0 ||
	    hash2(id->cookie_key, LABEL_COOKIE, 8, id->pub, WG_KEY_LEN) < 0) {
		wg_wipe(id, sizeof(*id));
		return -EIO;
	}
	return 0;
}

int wg_peer_id_init(struct wg_peer_id *p, const struct wg_identity *me,
		    const uint8_t pub[WG_KEY_LEN], const uint8_t *psk)
{
	int ret;

	memset(p, 0, sizeof(*p));
	memcpy(p->pub, pub, WG_KEY_LEN);
	if (psk)
		memcpy(p->psk, psk, WG_KEY_LEN);
	ret = wg_dh(p->ss, me->priv, pub);
	if (ret == -EIO)
		return ret;
	p->ss_ok = ret == 0;
	if (hash2(p->mac1_key, LABEL_MAC1, 8, pub, WG_KEY_LEN) < 0 ||
	    hash2(p->cookie_key, LABEL_COOKIE, 8, pub, WG_KEY_LEN) < 0)
		return -EIO;
	return 0;
}

void wg_handshake_clear(struct wg_handshake *hs)
{
	wg_wipe(hs, sizeof(*hs));
	hs->state = WG_HS_NONE;
}

void wg_tai64n(uint8_t out[WG_TAI64N_LEN], uint64_t sec, uint32_t nsec)
{
	/* TAI64 labels count from 2^62; 10 s is TAI's offset from UTC at 1970. */
	uint64_t label = 0x400000000000000aull + sec;
	int i;

	nsec &= ~((1u << 24) - 1);
	for (i = 0; i < 8; i++)
		out[i] = (uint8_t)(label >> (56 - 8 * i));
	for (i = 0; i < 4; i++)
		out[8 + i] = (uint8_t)(nsec >> (24 - 8 * i));
}

/* ---- initiation (5.4.2) ---- */

int wg_initiation_create(struct wg_handshake *hs, const struct wg_identity *me,
			 const struct wg_peer_id *peer, uint32_t local_index,
			 const uint8_t tai64n[WG_TAI64N_LEN], struct wg_msg_initiation *m)
{
	struct wg_handshake n = { .local_index = local_index };
	uint8_t k[WG_KEY_LEN];
	int ret = -EIO;

	memset(m, 0, sizeof(*m));
	wg_put_le32(m->type, WG_MSG_INITIATION);
	wg_put_le32(m->sender, local_index);
	if (noise_start(n.ck, n.hash, peer->pub) < 0 || wg_genkey(n.e_priv) < 0 ||
	    wg_pubkey(m->ephemeral, n.e_priv) < 0 ||
	    wg_kdf(n.ck, m->ephemeral, WG_KEY_LEN, n.ck, NULL, NULL) < 0 ||
	    mix_hash(n.hash, m->ephemeral, WG_KEY_LEN) < 0)
		goto out;
	ret = mix_dh(n.ck, k, n.e_priv, peer->pub);
	if (ret < 0)
		goto out;
	ret = -EIO;
	if (wg_aead_seal(m->enc_static, me->pub, WG_KEY_LEN, 0, k, n.hash, WG_HASH_LEN) < 0 ||
	    mix_hash(n.hash, m->enc_static, sizeof(m->enc_static)) < 0)
		goto out;
	ret = mix_ss(n.ck, k, peer);
	if (ret < 0)
		goto out;
	ret = -EIO;
	if (wg_aead_seal(m->enc_timestamp, tai64n, WG_TAI64N_LEN, 0, k, n.hash, WG_HASH_LEN) < 0 ||
	    mix_hash(n.hash, m->enc_timestamp, sizeof(m->enc_timestamp)) < 0)
		goto out;
	n.state = WG_HS_INIT_SENT;
	wg_handshake_clear(hs);
	*hs = n;
	ret = 0;
out:
	wg_wipe(&n, sizeof(n));
	wg_wipe(k, sizeof(k));
	return ret;
}

int wg_initiation_open(const struct wg_identity *me, const struct wg_msg_initiation *m,
		       struct wg_init_opened *o)
{
	uint8_t k[WG_KEY_LEN];
	int ret = -EIO;

	memset(o, 0, sizeof(*o));
	if (noise_start(o->ck, o->hash, me->pub) < 0)
		goto out;
	memcpy(o->remote_e, m->ephemeral, WG_KEY_LEN);
	if (wg_kdf(o->ck, o->remote_e, WG_KEY_LEN, o->ck, NULL, NULL) < 0 ||
	    mix_hash(o->hash, o->remote_e, WG_KEY_LEN) < 0)
		goto out;
	ret = mix_dh(o->ck, k, me->priv, o->remote_e);
	if (ret < 0)
		goto out;
	ret = wg_aead_open(o->pub, m->enc_static, sizeof(m->enc_static), 0, k, o->hash,
			   WG_HASH_LEN);
	if (ret < 0)
		goto out;
	ret = mix_hash(o->hash, m->enc_static, sizeof(m->enc_static));
	o->remote_index = wg_get_le32(m->sender);
	memcpy(o->enc_timestamp, m->enc_timestamp, sizeof(o->enc_timestamp));
out:
	wg_wipe(k, sizeof(k));
	if (ret < 0)
		wg_wipe(o, sizeof(*o));
	return ret;
}

int wg_initiation_finish(const struct wg_init_opened *o, const struct wg_peer_id *peer,
			 struct wg_handshake *hs, uint8_t tai64n[WG_TAI64N_LEN])
{
	struct wg_handshake n = { .remote_index = o->remote_index };
	uint8_t k[WG_KEY_LEN];
	int ret;

	memcpy(n.ck, o->ck, WG_HASH_LEN);
	memcpy(n.hash, o->hash, WG_HASH_LEN);
	memcpy(n.remote_e, o->remote_e, WG_KEY_LEN);
	ret = mix_ss(n.ck, k, peer);
	if (ret == 0)
		ret = wg_aead_open(tai64n, o->enc_timestamp, sizeof(o->enc_timestamp), 0, k, n.hash,
				   WG_HASH_LEN);
	if (ret == 0)
		ret = mix_hash(n.hash, o->enc_timestamp, sizeof(o->enc_timestamp));
	if (ret == 0) {
		n.state = WG_HS_INIT_CONSUMED;
		wg_handshake_clear(hs);
		*hs = n;
	}
	wg_wipe(&n, sizeof(n));
	wg_wipe(k, sizeof(k));
	return ret;
}

/* ---- response (5.4.3) ---- */

/*
 * The steps both ends share after the ephemeral keys: ck mixes the two
 * ephemeral-to-static results @dh1, @dh2 and the preshared key, and the
 * empty payload is sealed into @seal_tag (the responder) or @open_tag is
 * opened (the initiator) under the last key.
 */
static int response_tail(struct wg_handshake *n, const struct wg_peer_id *peer,
			 const uint8_t dh1[WG_KEY_LEN], const uint8_t dh2[WG_KEY_LEN],
			 const uint8_t *open_tag, uint8_t *seal_tag)
{
	uint8_t tau[WG_KEY_LEN], k[WG_KEY_LEN], none[1];
	int ret = -EIO;

	if (wg_kdf(n->ck, dh1, WG_KEY_LEN, n->ck, NULL, NULL) < 0 ||
	    wg_kdf(n->ck, dh2, WG_KEY_LEN, n->ck, NULL, NULL) < 0 ||
	    wg_kdf(n->ck, peer->psk, WG_KEY_LEN, n->ck, tau, k) < 0 ||
	    mix_hash(n->hash, tau, WG_KEY_LEN) < 0)
		goto out;
	ret = seal_tag ? wg_aead_seal(seal_tag, none, 0, 0, k, n->hash, WG_HASH_LEN) :
			 wg_aead_open(none, open_tag, WG_TAG_LEN, 0, k, n->hash, WG_HASH_LEN);
	if (ret == 0)
		ret = mix_hash(n->hash, seal_tag ? seal_tag : open_tag, WG_TAG_LEN);
out:
	wg_wipe(tau, sizeof(tau));
	wg_wipe(k, sizeof(k));
	return ret;
}

int wg_response_create(struct wg_handshake *hs, const struct wg_peer_id *peer, uint32_t local_index,
		       struct wg_msg_response *m)
{
	struct wg_handshake n;
	uint8_t dh1[WG_KEY_LEN], dh2[WG_KEY_LEN];
	int ret = -EINVAL;

	if (hs->state != WG_HS_INIT_CONSUMED)
		return -EINVAL;
	n = *hs;
	n.local_index = local_index;
	memset(m, 0, sizeof(*m));
	wg_put_le32(m->type, WG_MSG_RESPONSE);
	wg_put_le32(m->sender, local_index);
	wg_put_le32(m->receiver, n.remote_index);
	if (wg_genkey(n.e_priv) < 0 || wg_pubkey(m->ephemeral, n.e_priv) < 0 ||
	    wg_kdf(n.ck, m->ephemeral, WG_KEY_LEN, n.ck, NULL, NULL) < 0 ||
	    mix_hash(n.hash, m->ephemeral, WG_KEY_LEN) < 0)
		goto out;
	/* DH(Epriv_r, Epub_i), then DH(Epriv_r, Spub_i). */
	if (wg_dh(dh1, n.e_priv, n.remote_e) < 0 || wg_dh(dh2, n.e_priv, peer->pub) < 0)
		goto out;
	ret = response_tail(&n, peer, dh1, dh2, NULL, m->enc_empty);
	if (ret == 0) {
		n.state = WG_HS_RESP_SENT;
		*hs = n;
	}
out:
	wg_wipe(&n, sizeof(n));
	wg_wipe(dh1, sizeof(dh1));
	wg_wipe(dh2, sizeof(dh2));
	return ret;
}

int wg_response_consume(struct wg_handshake *hs, const struct wg_identity *me,
			const struct wg_peer_id *peer, const struct wg_msg_response *m)
{
	struct wg_handshake n;
	uint8_t dh1[WG_KEY_LEN], dh2[WG_KEY_LEN];
	int ret = -EINVAL;

	if (hs->state != WG_HS_INIT_SENT || wg_get_le32(m->receiver) != hs->local_index)
		return -EINVAL;
	n = *hs;
	memcpy(n.remote_e, m->ephemeral, WG_KEY_LEN);
	n.remote_index = wg_get_le32(m->sender);
	if (wg_kdf(n.ck, n.remote_e, WG_KEY_LEN, n.ck, NULL, NULL) < 0 ||
	    mix_hash(n.hash, n.remote_e, WG_KEY_LEN) < 0)
		goto out;
	/* DH(Epriv_i, Epub_r), then DH(Spriv_i, Epub_r): the responder's two, mirrored. */
	if (wg_dh(dh1, n.e_priv, n.remote_e) < 0 || wg_dh(dh2, me->priv, n.remote_e) < 0)
		goto out;
	ret = response_tail(&n, peer, dh1, dh2, m->enc_empty, NULL);
	if (ret == 0) {
		n.state = WG_HS_RESP_CONSUMED;
		*hs = n;
	}
out:
	wg_wipe(&n, sizeof(n));
	wg_wipe(dh1, sizeof(dh1));
	wg_wipe(dh2, sizeof(dh2));
	return ret;
}

/* ---- transport keys (5.4.5) ---- */

int wg_handshake_derive(struct wg_handshake *hs, struct wg_session_keys *keys)
{
	uint8_t t1[WG_KEY_LEN], t2[WG_KEY_LEN];
	bool initiator = hs->state == WG_HS_RESP_CONSUMED;
	int ret;

	if (hs->state != WG_HS_RESP_CONSUMED && hs->state != WG_HS_RESP_SENT)
		return -EINVAL;
	/* (Tsend_i = Trecv_r, Trecv_i = Tsend_r) := KDF2(C, empty) */
	ret = wg_kdf(hs->ck, NULL, 0, t1, t2, NULL);
	if (ret == 0) {
		memcpy(keys->send, initiator ? t1 : t2, WG_KEY_LEN);
		memcpy(keys->recv, initiator ? t2 : t1, WG_KEY_LEN);
		keys->local_index = hs->local_index;
		keys->remote_index = hs->remote_index;
		keys->initiator = initiator;
	}
	wg_wipe(t1, sizeof(t1));
	wg_wipe(t2, sizeof(t2));
	wg_handshake_clear(hs);
	return ret;
}
