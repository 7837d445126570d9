/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * crypto.c - WireGuard's primitives over OpenSSL 3 (crypto.h).
 *
 * Algorithms are fetched once (wg_crypto_init): OpenSSL 3 looks a name up
 * in its provider store under a lock on every implicit fetch, which a PMD
 * sealing a packet must not pay.  Contexts are per call on the control
 * thread (handshakes are rare) and per thread on the data path (struct
 * wg_aead).
 *
 * HChaCha20 is ChaCha20's block function without the final feed-forward
 * addition, keeping words 0-3 and 12-15 (draft-irtf-cfrg-xchacha, 2.2).
 * OpenSSL's ChaCha20 keystream is that block with the input added, and
 * OpenSSL's 16-byte IV is exactly words 12-15 (counter, then nonce), so the
 * subkey is the keystream minus the known input words.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "wireguard/crypto.h"

static struct {
	int ret;
	EVP_MD *blake2s;
	EVP_MAC *blake2s_mac, *hmac;
	EVP_CIPHER *chapoly, *chacha;
} g;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void crypto_fetch(void)
{
	g.blake2s = EVP_MD_fetch(NULL, "BLAKE2S-256", NULL);
	g.blake2s_mac = EVP_MAC_fetch(NULL, "BLAKE2SMAC", NULL);
	g.hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	g.chapoly = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
	g.chacha = EVP_CIPHER_fetch(NULL, "ChaCha20", NULL);
	g.ret = g.blake2s && g.blake2s_mac && g.hmac && g.chapoly && g.chacha ? 0 : -ENOTSUP;
}

int wg_crypto_init(void)
{
	pthread_once(&g_once, crypto_fetch);
	return g.ret;
}

int wg_random(void *buf, size_t len)
{
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -EIO;
}

void wg_wipe(void *p, size_t len)
{
	OPENSSL_cleanse(p, len);
}

bool wg_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

/* ---- X25519 ---- */

int wg_genkey(uint8_t priv[WG_KEY_LEN])
{
	if (wg_random(priv, WG_KEY_LEN) < 0)
		return -EIO;
	/* RFC 7748 section 5's clamping, which wg genkey applies to what it prints. */
	priv[0] &= 248;
	priv[31] = (uint8_t)((priv[31] & 127) | 64);
	return 0;
}

int wg_pubkey(uint8_t pub[WG_KEY_LEN], const uint8_t priv[WG_KEY_LEN])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, WG_KEY_LEN);
	size_t len = WG_KEY_LEN;
	int ret = -EIO;

	if (k && EVP_PKEY_get_raw_public_key(k, pub, &len) == 1 && len == WG_KEY_LEN)
		ret = 0;
	EVP_PKEY_free(k);
	return ret;
}

int wg_dh(uint8_t out[WG_KEY_LEN], const uint8_t priv[WG_KEY_LEN], const uint8_t pub[WG_KEY_LEN])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, WG_KEY_LEN);
	EVP_PKEY *peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub, WG_KEY_LEN);
	EVP_PKEY_CTX *ctx = k ? EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL) : NULL;
	static const uint8_t zero[WG_KEY_LEN];
	size_t len = WG_KEY_LEN;
	int ret = -EIO;

	if (!ctx || !peer || EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer(ctx, peer) != 1)
		goto out;
	/* OpenSSL refuses an all-zero shared secret (a small-order point): so do we. */
	if (EVP_PKEY_derive(ctx, out, &len) != 1 || len != WG_KEY_LEN) {
		ret = -EINVAL;
		goto out;
	}
	ret = wg_equal(out, zero, WG_KEY_LEN) ? -EINVAL : 0;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	EVP_PKEY_free(k);
	return ret;
}

/* ---- BLAKE2s: HASH, MAC, HMAC, KDF ---- */

int wg_hash(uint8_t out[WG_HASH_LEN], const struct wg_buf *parts, unsigned int n)
{
	EVP_MD_CTX *ctx;
	unsigned int i, len = 0;
	int ret = -EIO;

	if (wg_crypto_init() < 0)
		return -ENOTSUP;
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, g.blake2s, NULL) != 1)
		goto out;
	for (i = 0; i < n; i++)
		if (EVP_DigestUpdate(ctx, parts[i].p, parts[i].len) != 1)
			goto out;
	if (EVP_DigestFinal_ex(ctx, out, &len) == 1 && len == WG_HASH_LEN)
		ret = 0;
out:
	EVP_MD_CTX_free(ctx);
	return ret;
}

/* One EVP_MAC computation of @n parts into @out (@outlen bytes exactly). */
static int mac_run(EVP_MAC *alg, const OSSL_PARAM *params, const uint8_t *key, size_t klen,
		   const struct wg_buf *parts, unsigned int n, uint8_t *out, size_t outlen)
{
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(alg);
	size_t len = 0;
	unsigned int i;
	int ret = -EIO;

	if (!ctx || EVP_MAC_init(ctx, key, klen, params) != 1)
		goto out;
	for (i = 0; i < n; i++)
		if (EVP_MAC_update(ctx, parts[i].p, parts[i].len) != 1)
			goto out;
	if (EVP_MAC_final(ctx, out, &len, outlen) == 1 && len == outlen)
		ret = 0;
out:
	EVP_MAC_CTX_free(ctx);
	return ret;
}

int wg_mac(uint8_t out[WG_MAC_LEN], const uint8_t *key, size_t klen, const struct wg_buf *parts,
	   unsigned int n)
{
	size_t size = WG_MAC_LEN;
	/* The output length is a BLAKE2s parameter, not a truncation: it changes every byte. */
	OSSL_PARAM params[] = { OSSL_PARAM_size_t(OSSL_MAC_PARAM_SIZE, &size), OSSL_PARAM_END };

	if (wg_crypto_init() < 0)
		return -ENOTSUP;
	if (klen < 1 || klen > WG_KEY_LEN)
		return -EINVAL;
	return mac_run(g.blake2s_mac, params, key, klen, parts, n, out, WG_MAC_LEN);
}

int wg_hmac(uint8_t out[WG_HASH_LEN], const uint8_t key[WG_HASH_LEN], const struct wg_buf *parts,
	    unsigned int n)
{
	char digest[] = "BLAKE2S-256";
	OSSL_PARAM params[] = { OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
				OSSL_PARAM_END };

	if (wg_crypto_init() < 0)
		return -ENOTSUP;
	return mac_run(g.hmac, params, key, WG_HASH_LEN, parts, n, out, WG_HASH_LEN);
}

int wg_kdf(const uint8_t key[WG_HASH_LEN], const void *in, size_t len, uint8_t *t1, uint8_t *t2,
	   uint8_t *t3)
{
	uint8_t prk[WG_HASH_LEN], t[WG_HASH_LEN], ctr;
	uint8_t *outs[3] = { t1, t2, t3 };
	struct wg_buf b[2];
	int ret, i;

	/* tau0 = HMAC(key, in); tau_i = HMAC(tau0, tau_(i-1) || i) (whitepaper 5.4). */
	b[0] = (struct wg_buf){ in, len };
	ret = wg_hmac(prk, key, b, 1);
	for (i = 0; ret == 0 && i < 3 && outs[i]; i++) {
		ctr = (uint8_t)(i + 1);
		b[0] = (struct wg_buf){ t, i ? WG_HASH_LEN : 0 };
		b[1] = (struct wg_buf){ &ctr, 1 };
		ret = wg_hmac(t, prk, b, 2);
		if (ret == 0)
			memcpy(outs[i], t, WG_HASH_LEN);
	}
	wg_wipe(prk, sizeof(prk));
	wg_wipe(t, sizeof(t));
	return ret;
}

/* ---- ChaCha20-Poly1305 ---- */

/* One AEAD operation on a fresh context; @enc selects seal or open. */
static int aead_once(uint8_t *out, const uint8_t *in, size_t len, const uint8_t nonce[12],
		     const uint8_t key[WG_KEY_LEN], const void *ad, size_t adlen, bool enc)
{
	EVP_CIPHER_CTX *ctx;
	size_t clen = enc ? len : len - WG_TAG_LEN;
	uint8_t tag[WG_TAG_LEN];
	int n = 0, ret = -EIO;

	if (wg_crypto_init() < 0)
		return -ENOTSUP;
	if ((!enc && len < WG_TAG_LEN) || clen > (size_t)INT32_MAX || adlen > (size_t)INT32_MAX)
		return -EINVAL;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx || EVP_CipherInit_ex(ctx, g.chapoly, NULL, key, nonce, enc) != 1)
		goto out;
	if (!enc) {
		memcpy(tag, in + clen, WG_TAG_LEN);
		if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, WG_TAG_LEN, tag) != 1)
			goto out;
	}
	if ((adlen && EVP_CipherUpdate(ctx, NULL, &n, ad, (int)adlen) != 1) ||
	    (clen && EVP_CipherUpdate(ctx, out, &n, in, (int)clen) != 1))
		goto out;
	if (EVP_CipherFinal_ex(ctx, out + clen, &n) != 1) {
		ret = enc ? -EIO : -EBADMSG;
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, WG_TAG_LEN, out + clen) != 1)
		goto out;
	ret = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}

static void nonce_from_counter(uint8_t nonce[12], uint64_t counter)
{
	int i;

	memset(nonce, 0, 4);
	for (i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(counter >> (8 * i));
}

int wg_aead_seal(uint8_t *out, const uint8_t *in, size_t len, uint64_t counter,
		 const uint8_t key[WG_KEY_LEN], const void *ad, size_t adlen)
{
	uint8_t nonce[12];

	nonce_from_counter(nonce, counter);
	return aead_once(out, in, len, nonce, key, ad, adlen, true);
}

int wg_aead_open(uint8_t *out, const uint8_t *in, size_t len, uint64_t counter,
		 const uint8_t key[WG_KEY_LEN], const void *ad, size_t adlen)
{
	uint8_t nonce[12];

	nonce_from_counter(nonce, counter);
	return aead_once(out, in, len, nonce, key, ad, adlen, false);
}

int wg_hchacha20(uint8_t out[WG_KEY_LEN], const uint8_t key[WG_KEY_LEN], const uint8_t nonce[16])
{
	static const uint8_t zero[64];
	static const uint32_t sigma[4] = { 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574 };
	EVP_CIPHER_CTX *ctx;
	uint8_t ks[64];
	uint32_t w, in;
	int n = 0, i, j, ret = -EIO;

	if (wg_crypto_init() < 0)
		return -ENOTSUP;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx || EVP_EncryptInit_ex(ctx, g.chacha, NULL, key, nonce) != 1 ||
	    EVP_EncryptUpdate(ctx, ks, &n, zero, sizeof(zero)) != 1 || n != 64)
		goto out;
	/* Output words 0-3 come from the constants, 4-7 from words 12-15 (the IV). */
	for (i = 0; i < 8; i++) {
		j = i < 4 ? i : i + 8;
		w = (uint32_t)ks[4 * j] | (uint32_t)ks[4 * j + 1] << 8 |
		    (uint32_t)ks[4 * j + 2] << 16 | (uint32_t)ks[4 * j + 3] << 24;
		in = i < 4 ? sigma[i] :
			     (uint32_t)nonce[4 * (i - 4)] | (uint32_t)nonce[4 * (i - 4) + 1] << 8 |
				     (uint32_t)nonce[4 * (i - 4) + 2] << 16 |
				     (uint32_t)nonce[4 * (i - 4) + 3] << 24;
		w -= in;
		out[4 * i] = (uint8_t)w;
		out[4 * i + 1] = (uint8_t)(w >> 8);
		out[4 * i + 2] = (uint8_t)(w >> 16);
		out[4 * i + 3] = (uint8_t)(w >> 24);
	}
	ret = 0;
out:
	wg_wipe(ks, sizeof(ks));
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}

/* XChaCha20-Poly1305: HChaCha20 subkey from nonce[0..15], then the IETF AEAD with 0^4||nonce[16..23]. */
static int xaead(uint8_t *out, const uint8_t *in, size_t len, const uint8_t nonce[WG_XNONCE_LEN],
		 const uint8_t key[WG_KEY_LEN], const void *ad, size_t adlen, bool enc)
{
	uint8_t sub[WG_KEY_LEN], n12[12] = { 0 };
	int ret;

	ret = wg_hchacha20(sub, key, nonce);
	memcpy(n12 + 4, nonce + 16, 8);
	if (ret == 0)
		ret = aead_once(out, in, len, n12, sub, ad, adlen, enc);
	wg_wipe(sub, sizeof(sub));
	return ret;
}

int wg_xaead_seal(uint8_t *out, const uint8_t *in, size_t len, const uint8_t nonce[WG_XNONCE_LEN],
		  const uint8_t key[WG_KEY_LEN], const void *ad, size_t adlen)
{
	return xaead(out, in, len, nonce, key, ad, adlen, true);
}

int wg_xaead_open(uint8_t *out, const uint8_t *in, size_t len, const uint8_t nonce[WG_XNONCE_LEN],
		  const uint8_t key[WG_KEY_LEN], const void *ad, size_t adlen)
{
	return xaead(out, in, len, nonce, key, ad, adlen, false);
}

/* ---- the data path's context ---- */

struct wg_aead {
	EVP_CIPHER_CTX *ctx[2]; /* [0] opens, [1] seals */
	uint8_t key[2][WG_KEY_LEN]; /* the key each holds now */
	bool keyed[2];
};

struct wg_aead *wg_aead_new(void)
{
	struct wg_aead *a;
	int i;

	if (wg_crypto_init() < 0)
		return NULL;
	a = OPENSSL_zalloc(sizeof(*a));
	if (!a)
		return NULL;
	for (i = 0; i < 2; i++) {
		a->ctx[i] = EVP_CIPHER_CTX_new();
		if (!a->ctx[i] ||
		    EVP_CipherInit_ex(a->ctx[i], g.chapoly, NULL, NULL, NULL, i) != 1) {
			wg_aead_free(a);
			return NULL;
		}
	}
	return a;
}

void wg_aead_free(struct wg_aead *a)
{
	if (!a)
		return;
	EVP_CIPHER_CTX_free(a->ctx[0]);
	EVP_CIPHER_CTX_free(a->ctx[1]);
	OPENSSL_clear_free(a, sizeof(*a));
}

/* Give context @enc the key (only when it changed) and a new nonce. */
static int aead_rekey(struct wg_aead *a, int enc, const uint8_t key[WG_KEY_LEN], uint64_t counter)
{
	uint8_t nonce[12];
	bool same = a->keyed[enc] && memcmp(a->key[enc], key, WG_KEY_LEN) == 0;

	nonce_from_counter(nonce, counter);
	if (EVP_CipherInit_ex(a->ctx[enc], NULL, NULL, same ? NULL : key, nonce, enc) != 1) {
		a->keyed[enc] = false;
		return -EIO;
	}
	if (!same) {
		memcpy(a->key[enc], key, WG_KEY_LEN);
		a->keyed[enc] = true;
	}
	return 0;
}

int wg_aead_encrypt(struct wg_aead *a, const uint8_t key[WG_KEY_LEN], uint64_t counter,
		    uint8_t *buf, size_t len, uint8_t tag[WG_TAG_LEN])
{
	int n = 0;

	if (len > (size_t)INT32_MAX)
		return -EINVAL;
	if (aead_rekey(a, 1, key, counter) < 0 ||
	    (len && EVP_EncryptUpdate(a->ctx[1], buf, &n, buf, (int)len) != 1) ||
	    EVP_EncryptFinal_ex(a->ctx[1], buf + len, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(a->ctx[1], EVP_CTRL_AEAD_GET_TAG, WG_TAG_LEN, tag) != 1)
		return -EIO;
	return 0;
}

int wg_aead_decrypt(struct wg_aead *a, const uint8_t key[WG_KEY_LEN], uint64_t counter,
		    uint8_t *buf, size_t len, const uint8_t tag[WG_TAG_LEN])
{
	uint8_t t[WG_TAG_LEN];
	int n = 0;

	if (len > (size_t)INT32_MAX)
		return -EINVAL;
	memcpy(t, tag, WG_TAG_LEN);
	if (aead_rekey(a, 0, key, counter) < 0 ||
	    EVP_CIPHER_CTX_ctrl(a->ctx[0], EVP_CTRL_AEAD_SET_TAG, WG_TAG_LEN, t) != 1 ||
	    (len && EVP_DecryptUpdate(a->ctx[0], buf, &n, buf, (int)len) != 1))
		return -EIO;
	return EVP_DecryptFinal_ex(a->ctx[0], buf + len, &n) == 1 ? 0 : -EBADMSG;
}

/* ---- key text ---- */

void wg_key_to_base64(char out[WG_KEY_B64_LEN + 1], const uint8_t key[WG_KEY_LEN])
{
	EVP_EncodeBlock((unsigned char *)out, key, WG_KEY_LEN);
	out[WG_KEY_B64_LEN] = '\0';
}

int wg_key_from_base64(uint8_t key[WG_KEY_LEN], const char *s)
{
	unsigned char buf[WG_KEY_B64_LEN + 1], dec[36];
	size_t len;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	len = strcspn(s, " \t\r\n");
	if (len != WG_KEY_B64_LEN || s[WG_KEY_B64_LEN - 1] != '=' || s[WG_KEY_B64_LEN - 2] == '=' ||
	    s[len + strspn(s + len, " \t\r\n")] != '\0')
		return -EINVAL;
	memcpy(buf, s, WG_KEY_B64_LEN);
	/*
	 * 44 characters decode to 33 bytes, the last from the bits before and
	 * under the '=': non-zero there is a non-canonical text, which
	 * wireguard-tools refuses too.
	 */
	if (EVP_DecodeBlock(dec, buf, WG_KEY_B64_LEN) != 33 || dec[32] != 0) {
		wg_wipe(dec, sizeof(dec));
		return -EINVAL;
	}
	memcpy(key, dec, WG_KEY_LEN);
	wg_wipe(dec, sizeof(dec));
	wg_wipe(buf, sizeof(buf));
	return 0;
}
