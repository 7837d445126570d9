/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * crypto.h - the primitives of WireGuard (whitepaper, section 5.4), each a
 * thin wrapper over OpenSSL 3: X25519, BLAKE2s (hash, keyed MAC, HMAC),
 * the HKDF-style KDF, ChaCha20-Poly1305 and XChaCha20-Poly1305.  Nothing
 * cryptographic is implemented here: HChaCha20, which OpenSSL does not
 * offer, is derived from OpenSSL's ChaCha20 keystream (see crypto.c).
 *
 * The rest of wireguard/ (noise.c, cookie.c, data.c) and nobody else calls
 * these; keys and messages never pass through a log.  Functions return 0 or
 * a negative errno: -EBADMSG for a tag that does not authenticate, -EINVAL
 * for a Diffie-Hellman result that is all zeros (a low-order point), -EIO
 * when OpenSSL fails for any other reason.
 */
#ifndef FERRY_WIREGUARD_CRYPTO_H
#define FERRY_WIREGUARD_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WG_KEY_LEN 32 /* Curve25519 keys, symmetric keys, hashes */
#define WG_HASH_LEN 32
#define WG_MAC_LEN 16 /* mac1, mac2, cookies */
#define WG_TAG_LEN 16 /* Poly1305 */
#define WG_XNONCE_LEN 24 /* XChaCha20-Poly1305 */
#define WG_KEY_B64_LEN 44 /* base64 of 32 bytes, as `wg genkey` prints it */

/* One piece of a message to hash or authenticate. */
struct wg_buf {
	const void *p;
	size_t len;
};

/* Fetch the algorithms from OpenSSL once; -ENOTSUP when one is missing. */
int wg_crypto_init(void);

int wg_random(void *buf, size_t len);
/* A new private key: random, clamped as Curve25519 wants (and `wg genkey` prints). */
int wg_genkey(uint8_t priv[WG_KEY_LEN]);
int wg_pubkey(uint8_t pub[WG_KEY_LEN], const uint8_t priv[WG_KEY_LEN]);
/* X25519(priv, pub); -EINVAL when the result is zero (pub of small order). */
int wg_dh(uint8_t out[WG_KEY_LEN], const uint8_t priv[WG_KEY_LEN], const uint8_t pub[WG_KEY_LEN]);

/* HASH: BLAKE2s-256 of the concatenation of @n pieces. */
int wg_hash(uint8_t out[WG_HASH_LEN], const struct wg_buf *parts, unsigned int n);
/* MAC: keyed BLAKE2s with a 16-byte output (@klen 1..32). */
int wg_mac(uint8_t out[WG_MAC_LEN], const uint8_t *key, size_t klen, const struct wg_buf *parts,
	   unsigned int n);
/* HMAC-BLAKE2s-256 (RFC 2104 over BLAKE2s). */
int wg_hmac(uint8_t out[WG_HASH_LEN], const uint8_t key[WG_HASH_LEN], const struct wg_buf *parts,
	    unsigned int n);
/*
 * KDF_n(@key, @in): up to three 32-byte outputs (@t2 and @t3 may be NULL),
 * as the whitepaper's KDF1, KDF2 and KDF3.
 */
int wg_kdf(const uint8_t key[WG_HASH_LEN], const void *in, size_t len, uint8_t *t1, uint8_t *t2,
	   uint8_t *t3);

/*
 * AEAD: ChaCha20-Poly1305 (RFC 8439) with the 96-bit nonce 32 zero bits
 * followed by @counter, little-endian.  seal writes @len + WG_TAG_LEN bytes;
 * open reads @len bytes (ciphertext and tag) and writes @len - WG_TAG_LEN.
 * @out may equal @in.
 */
int wg_aead_seal(uint8_t *out, const uint8_t *in, size_t len, uint64_t counter,
		 const uint8_t key[WG_KEY_LEN], const void *ad, size_t adlen);
int wg_aead_open(uint8_t *out, const uint8_t *in, size_t len, uint64_t counter,
		 const uint8_t key[WG_KEY_LEN], const void *ad, size_t adlen);
/* XAEAD: XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha), for cookie replies. */
int wg_xaead_seal(uint8_t *out, const uint8_t *in, size_t len, const uint8_t nonce[WG_XNONCE_LEN],
		  const uint8_t key[WG_KEY_LEN], const void *ad, size_t adlen);
int wg_xaead_open(uint8_t *out, const uint8_t *in, size_t len, const uint8_t nonce[WG_XNONCE_LEN],
		  const uint8_t key[WG_KEY_LEN], const void *ad, size_t adlen);
/* HChaCha20 (draft-irtf-cfrg-xchacha, section 2.2): a subkey from a key and 16 nonce bytes. */
int wg_hchacha20(uint8_t out[WG_KEY_LEN], const uint8_t key[WG_KEY_LEN], const uint8_t nonce[16]);

/*
 * A ChaCha20-Poly1305 context for one thread that seals or opens many
 * packets: the cipher is set up once, the key only when it changes, and a
 * packet costs a nonce and one pass (data.c, the PMDs).
 */
struct wg_aead;
struct wg_aead *wg_aead_new(void);
void wg_aead_free(struct wg_aead *a);
/* In place over @len bytes of @buf; the tag goes to @tag. */
int wg_aead_encrypt(struct wg_aead *a, const uint8_t key[WG_KEY_LEN], uint64_t counter,
		    uint8_t *buf, size_t len, uint8_t tag[WG_TAG_LEN]);
/* In place; -EBADMSG (and @buf garbage) when @tag does not authenticate. */
int wg_aead_decrypt(struct wg_aead *a, const uint8_t key[WG_KEY_LEN], uint64_t counter,
		    uint8_t *buf, size_t len, const uint8_t tag[WG_TAG_LEN]);

/* Keys in the text form of wireguard-tools: base64, 44 characters with one '='. */
void wg_key_to_base64(char out[WG_KEY_B64_LEN + 1], const uint8_t key[WG_KEY_LEN]);
/* -EINVAL unless @s is exactly such a text (surrounding whitespace allowed). */
int wg_key_from_base64(uint8_t key[WG_KEY_LEN], const char *s);

/* Erase a secret so the compiler cannot drop the stores. */
void wg_wipe(void *p, size_t len);
/* Compare in time independent of the contents. */
bool wg_equal(const void *a, const void *b, size_t len);

#endif
