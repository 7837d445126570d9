/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_wg.c - wireguard/: the primitives through Ferry's wrappers against
 * published known answers (X25519: RFC 7748; ChaCha20-Poly1305: RFC 8439;
 * BLAKE2s: RFC 7693; HChaCha20 and XChaCha20-Poly1305: the CFRG draft),
 * the replay window's edges, whole handshakes between two identities with
 * forged, replayed and truncated messages, cookies, data messages, the
 * timers on a made-up clock, and key files.
 *
 * Where no published vector exists (keyed BLAKE2s with a 16-byte output,
 * HMAC-BLAKE2s) the expected values were computed with Python's hashlib
 * and hmac, whose BLAKE2 is the reference implementation.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "wireguard/cookie.h"
#include "wireguard/data.h"
#include "wireguard/keyfile.h"
#include "wireguard/msg.h"
#include "wireguard/noise.h"
#include "wireguard/timers.h"

#define NS 1000000000ull

static size_t unhex(uint8_t *out, size_t max, const char *hex)
{
	size_t n = 0;
	unsigned int b;

	while (hex[0] && hex[1] && n < max && sscanf(hex, "%2x", &b) == 1) {
		out[n++] = (uint8_t)b;
		hex += 2;
	}
	return n;
}

static void check_hex(const uint8_t *got, const char *want)
{
	uint8_t w[512];
	size_t n = unhex(w, sizeof(w), want);

	CU_ASSERT_EQUAL(memcmp(got, w, n), 0);
}

/* ---- X25519, RFC 7748 ---- */

static void test_x25519_rfc7748(void)
{
	static const char *const v[][3] = {
		/* Section 5.2: scalar, u-coordinate, output. */
		{ "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
		  "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
		  "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552" },
		{ "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
		  "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
		  "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957" },
	};
	uint8_t k[32], u[32], out[32];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		unhex(k, 32, v[i][0]);
		unhex(u, 32, v[i][1]);
		CU_ASSERT_EQUAL(wg_dh(out, k, u), 0);
		check_hex(out, v[i][2]);
	}
}

static void test_x25519_dh_and_iterated(void)
{
	uint8_t a[32], b[32], pa[32], pb[32], sa[32], sb[32], k[32], u[32], t[32];
	int i;

	/* Section 6.1: Alice and Bob. */
	unhex(a, 32, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
	unhex(b, 32, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
	CU_ASSERT_EQUAL(wg_pubkey(pa, a), 0);
	CU_ASSERT_EQUAL(wg_pubkey(pb, b), 0);
	check_hex(pa, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	check_hex(pb, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
	CU_ASSERT_EQUAL(wg_dh(sa, a, pb), 0);
	CU_ASSERT_EQUAL(wg_dh(sb, b, pa), 0);
	check_hex(sa, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
	CU_ASSERT_EQUAL(memcmp(sa, sb, 32), 0);
	/* Section 5.2, iterated: k = u = 9; k, u = X25519(k, u), k. */
	memset(k, 0, 32);
	k[0] = 9;
	memcpy(u, k, 32);
	for (i = 1; i <= 1000; i++) {
		CU_ASSERT_FATAL(wg_dh(t, k, u) == 0);
		memcpy(u, k, 32);
		memcpy(k, t, 32);
		if (i == 1)
			check_hex(
				k,
				"422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
	}
	check_hex(k, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
}

static void test_x25519_small_order(void)
{
	uint8_t priv[32], zero[32] = { 0 }, one[32] = { 1 }, out[32];

	CU_ASSERT_EQUAL(wg_genkey(priv), 0);
	CU_ASSERT_EQUAL(priv[0] & 7, 0); /* clamped */
	CU_ASSERT_EQUAL(priv[31] & 0xc0, 0x40);
	/* The points of order 1 and 4 give an all-zero secret: refused. */
	CU_ASSERT_EQUAL(wg_dh(out, priv, zero), -EINVAL);
	CU_ASSERT_EQUAL(wg_dh(out, priv, one), -EINVAL);
}

/* ---- ChaCha20-Poly1305, RFC 8439 ---- */

/* Appendix A.5: its nonce 00000000 0102030405060708 is counter 0x0807060504030201. */
static const char A5_KEY[] = "1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0";
static const char A5_AAD[] = "f33388860000000000004e91";
static const char A5_TAG[] = "eead9d67890cbb22392336fea1851f38";
static const char A5_CT[] =
	"64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb24c6cfc18755d43eea09ee9"
	"4e382d26b0bdb7b73c321b0100d4f03b7f355894cf332f830e710b97ce98c8a84abd0b948114ad176e008d"
	"33bd60f982b1ff37c8559797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4b9"
	"166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523eaf4534d7f83fa1155b004771"
	"8cbc546a0d072b04b3564eea1b422273f548271a0bb2316053fa76991955ebd63159434ecebb4e466dae5a"
	"1073a6727627097a1049e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29a6ad"
	"5cb4022b02709b";
static const char A5_PT[] =
	"Internet-Drafts are draft documents valid for a maximum of six months and may be "
	"updated, replaced, or obsoleted by other documents at any time. It is inappropriate to "
	"use Internet-Drafts as reference material or to cite them other than as "
	"/\xe2\x80\x9cwork in progress./\xe2\x80\x9d";
#define A5_COUNTER 0x0807060504030201ull

static void test_chapoly_rfc8439(void)
{
	uint8_t key[32], aad[12], ct[300], out[300], back[300], tag[16];
	size_t len = strlen(A5_PT);

	unhex(key, 32, A5_KEY);
	unhex(aad, 12, A5_AAD);
	CU_ASSERT_EQUAL_FATAL(unhex(ct, sizeof(ct), A5_CT), len);
	unhex(ct + len, 16, A5_TAG);
	CU_ASSERT_EQUAL(wg_aead_seal(out, (const uint8_t *)A5_PT, len, A5_COUNTER, key, aad, 12),
			0);
	CU_ASSERT_EQUAL(memcmp(out, ct, len + 16), 0);
	CU_ASSERT_EQUAL(wg_aead_open(back, ct, len + 16, A5_COUNTER, key, aad, 12), 0);
	CU_ASSERT_EQUAL(memcmp(back, A5_PT, len), 0);
	/* A flipped bit anywhere, the wrong counter or the wrong AD: refused. */
	ct[7] ^= 1;
	CU_ASSERT_EQUAL(wg_aead_open(back, ct, len + 16, A5_COUNTER, key, aad, 12), -EBADMSG);
	ct[7] ^= 1;
	ct[len + 15] ^= 0x80;
	CU_ASSERT_EQUAL(wg_aead_open(back, ct, len + 16, A5_COUNTER, key, aad, 12), -EBADMSG);
	ct[len + 15] ^= 0x80;
	CU_ASSERT_EQUAL(wg_aead_open(back, ct, len + 16, A5_COUNTER + 1, key, aad, 12), -EBADMSG);
	CU_ASSERT_EQUAL(wg_aead_open(back, ct, len + 16, A5_COUNTER, key, aad, 11), -EBADMSG);
	CU_ASSERT_EQUAL(wg_aead_open(back, ct, 15, A5_COUNTER, key, aad, 12), -EINVAL);
	/* AAD aside, the data path's context gives the same bytes. */
	memcpy(out, A5_PT, len);
	{
		struct wg_aead *a = wg_aead_new();

		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_EQUAL(wg_aead_seal(ct, (const uint8_t *)A5_PT, len, 7, key, NULL, 0), 0);
		for (int round = 0; round < 3; round++) { /* the key is loaded once, then reused */
			memcpy(out, A5_PT, len);
			CU_ASSERT_EQUAL(wg_aead_encrypt(a, key, 7, out, len, tag), 0);
			CU_ASSERT_EQUAL(memcmp(out, ct, len), 0);
			CU_ASSERT_EQUAL(memcmp(tag, ct + len, 16), 0);
			CU_ASSERT_EQUAL(wg_aead_decrypt(a, key, 7, out, len, tag), 0);
			CU_ASSERT_EQUAL(memcmp(out, A5_PT, len), 0);
		}
		tag[0] ^= 1;
		CU_ASSERT_EQUAL(wg_aead_decrypt(a, key, 7, ct, len, tag), -EBADMSG);
		tag[0] ^= 1;
		key[0] ^= 1; /* another key: loaded, and it does not open the message */
		CU_ASSERT_EQUAL(wg_aead_decrypt(a, key, 7, ct, len, ct + len), -EBADMSG);
		wg_aead_free(a);
	}
}

/* ---- BLAKE2s, RFC 7693 ---- */

static void test_blake2s(void)
{
	struct wg_buf abc = { "abc", 3 }, parts[2] = { { "a", 1 }, { "bc", 2 } };
	uint8_t out[32], key[32], data[255];

	/* Appendix B. */
	CU_ASSERT_EQUAL(wg_hash(out, &abc, 1), 0);
	check_hex(out, "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
	CU_ASSERT_EQUAL(wg_hash(out, parts, 2), 0); /* pieces hash as their concatenation */
	check_hex(out, "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 255; i++)
		data[i] = (uint8_t)i;
	/* Keyed, 16-byte output: the length is a parameter, not a truncation. */
	CU_ASSERT_EQUAL(wg_mac(out, key, 32, &abc, 1), 0);
	check_hex(out, "61ba5f165c194692e09d12520cc4c74a");
	{
		struct wg_buf d = { data, 100 };

		CU_ASSERT_EQUAL(wg_mac(out, key, 16, &d, 1), 0);
		check_hex(out, "56301549e674c3b72a0e1dafb7a2c620");
	}
	CU_ASSERT_EQUAL(wg_mac(out, key, 33, &abc, 1), -EINVAL);
	CU_ASSERT_EQUAL(wg_hmac(out, key, &abc, 1), 0);
	check_hex(out, "82623be5bc0a391b24dce53e67d028eff92d586de0485ac37822e597d049c74f");
}

static void test_kdf(void)
{
	uint8_t key[32] = { 0 }, t1[32], t2[32], t3[32], a[32], b[32];
	struct wg_buf in = { "x", 1 }, p[2];
	uint8_t prk[32], one = 1, two = 2;

	/* KDF3 by hand from HMAC: tau0 = HMAC(key, in), tau1 = HMAC(tau0, 1), tau2 = HMAC(tau0, tau1 || 2). */
	CU_ASSERT_EQUAL(wg_kdf(key, "x", 1, t1, t2, t3), 0);
	CU_ASSERT_EQUAL(wg_hmac(prk, key, &in, 1), 0);
	p[0] = (struct wg_buf){ &one, 1 };
	CU_ASSERT_EQUAL(wg_hmac(a, prk, p, 1), 0);
	CU_ASSERT_EQUAL(memcmp(a, t1, 32), 0);
	p[0] = (struct wg_buf){ a, 32 };
	p[1] = (struct wg_buf){ &two, 1 };
	CU_ASSERT_EQUAL(wg_hmac(b, prk, p, 2), 0);
	CU_ASSERT_EQUAL(memcmp(b, t2, 32), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(t2, t3, 32), 0);
	/* KDF1 and KDF2 are prefixes of KDF3; the key may be an output too (ck := KDF(ck, ..)). */
	CU_ASSERT_EQUAL(wg_kdf(key, "x", 1, a, NULL, NULL), 0);
	CU_ASSERT_EQUAL(memcmp(a, t1, 32), 0);
	CU_ASSERT_EQUAL(wg_kdf(key, "x", 1, key, b, NULL), 0);
	CU_ASSERT_EQUAL(memcmp(key, t1, 32), 0);
	CU_ASSERT_EQUAL(memcmp(b, t2, 32), 0);
}

/* ---- HChaCha20 and XChaCha20-Poly1305, draft-irtf-cfrg-xchacha-03 ---- */

static void test_xchacha(void)
{
	static const char pt[] = "Ladies and Gentlemen of the class of '99: If I could offer you "
				 "only one tip for the future, sunscreen would be it.";
	uint8_t key[32], nonce[24], aad[12], out[200], back[200];
	size_t len = strlen(pt);
	int i;

	/* Section 2.2.1. */
	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	unhex(nonce, 16, "000000090000004a0000000031415927");
	CU_ASSERT_EQUAL(wg_hchacha20(out, key, nonce), 0);
	check_hex(out, "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc");
	/* Appendix A.3.1. */
	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)(0x80 + i);
	for (i = 0; i < 24; i++)
		nonce[i] = (uint8_t)(0x40 + i);
	unhex(aad, 12, "50515253c0c1c2c3c4c5c6c7");
	CU_ASSERT_EQUAL(wg_xaead_seal(out, (const uint8_t *)pt, len, nonce, key, aad, 12), 0);
	check_hex(out, "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
		       "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
		       "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
		       "21f9664c97637da9768812f615c68b13b52e");
	check_hex(out + len, "c0875924c1c7987947deafd8780acf49");
	CU_ASSERT_EQUAL(wg_xaead_open(back, out, len + 16, nonce, key, aad, 12), 0);
	CU_ASSERT_EQUAL(memcmp(back, pt, len), 0);
	nonce[23] ^= 1;
	CU_ASSERT_EQUAL(wg_xaead_open(back, out, len + 16, nonce, key, aad, 12), -EBADMSG);
}

static void test_key_text(void)
{
	uint8_t k[32], back[32];
	char s[WG_KEY_B64_LEN + 1], bad[64];

	/* RFC 7748 6.1's Alice, as `echo <key> | wg pubkey` reads it. */
	unhex(k, 32, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
	wg_key_to_base64(s, k);
	CU_ASSERT_STRING_EQUAL(s, "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=");
	CU_ASSERT_EQUAL(
		wg_key_from_base64(back, "  dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=\n"), 0);
	CU_ASSERT_EQUAL(memcmp(back, k, 32), 0);
	CU_ASSERT_EQUAL(wg_key_from_base64(back, "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo"),
			-EINVAL);
	CU_ASSERT_EQUAL(wg_key_from_base64(back, "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LC=="),
			-EINVAL);
	CU_ASSERT_EQUAL(wg_key_from_base64(back, "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCp="),
			-EINVAL);
	CU_ASSERT_EQUAL(wg_key_from_base64(back, "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25L*o="),
			-EINVAL);
	snprintf(bad, sizeof(bad), "%s x", s);
	CU_ASSERT_EQUAL(wg_key_from_base64(back, bad), -EINVAL);
	CU_ASSERT_EQUAL(wg_key_from_base64(back, ""), -EINVAL);
}

/* ---- the replay window ---- */

static void test_replay_window(void)
{
	struct wg_replay r;
	uint64_t i;

	wg_replay_init(&r);
	CU_ASSERT_TRUE(wg_replay_check(&r, 0));
	CU_ASSERT_FALSE(wg_replay_check(&r, 0));
	CU_ASSERT_TRUE(wg_replay_check(&r, 1));
	CU_ASSERT_TRUE(wg_replay_check(&r, 3));
	CU_ASSERT_TRUE(wg_replay_check(&r, 2)); /* late, inside the window */
	CU_ASSERT_FALSE(wg_replay_check(&r, 2));
	CU_ASSERT_FALSE(wg_replay_check(&r, 3));
	/* Far ahead, then everything at least WG_REPLAY_WINDOW back is still taken once. */
	CU_ASSERT_TRUE(wg_replay_check(&r, 10000));
	CU_ASSERT_TRUE(wg_replay_check(&r, 10000 - WG_REPLAY_WINDOW));
	CU_ASSERT_FALSE(wg_replay_check(&r, 10000 - WG_REPLAY_WINDOW));
	CU_ASSERT_FALSE(wg_replay_check(&r, 10000 - WG_REPLAY_WINDOW - 1)); /* too old */
	CU_ASSERT_FALSE(wg_replay_check(&r, 3));
	/* The floor: a reordering of 2048 is absorbed, each counter once. */
	wg_replay_init(&r);
	for (i = 2048; i < 4096; i++)
		CU_ASSERT_TRUE(wg_replay_check(&r, i));
	for (i = 0; i < 2048; i++)
		CU_ASSERT_TRUE(wg_replay_check(&r, i));
	for (i = 0; i < 4096; i++)
		CU_ASSERT_FALSE(wg_replay_check(&r, i));
	/* A jump of more than the whole bitmap forgets every old bit, and the old slots are fresh. */
	CU_ASSERT_TRUE(wg_replay_check(&r, 4095 + 3 * WG_REPLAY_BITS));
	CU_ASSERT_TRUE(wg_replay_check(&r, 4095 + 3 * WG_REPLAY_BITS - 1));
	/* The end of counters (whitepaper 6.1). */
	wg_replay_init(&r);
	CU_ASSERT_TRUE(wg_replay_check(&r, WG_REJECT_AFTER_MESSAGES - 1));
	CU_ASSERT_FALSE(wg_replay_check(&r, WG_REJECT_AFTER_MESSAGES));
	CU_ASSERT_FALSE(wg_replay_check(&r, UINT64_MAX));
	CU_ASSERT_TRUE(wg_replay_check(&r, WG_REJECT_AFTER_MESSAGES - 2));
}

/* ---- handshakes ---- */

struct side {
	struct wg_identity id;
	struct wg_peer_id peer; /* the other side */
	struct wg_handshake hs;
	struct wg_cookie_checker cc;
};

static void sides(struct side *a, struct side *b, const uint8_t *psk_a, const uint8_t *psk_b)
{
	uint8_t ka[32], kb[32];

	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	CU_ASSERT_FATAL(wg_genkey(ka) == 0 && wg_genkey(kb) == 0);
	CU_ASSERT_FATAL(wg_identity_init(&a->id, ka) == 0 && wg_identity_init(&b->id, kb) == 0);
	CU_ASSERT_FATAL(wg_peer_id_init(&a->peer, &a->id, b->id.pub, psk_a) == 0);
	CU_ASSERT_FATAL(wg_peer_id_init(&b->peer, &b->id, a->id.pub, psk_b) == 0);
	wg_cookie_checker_init(&a->cc, 120 * NS);
	wg_cookie_checker_init(&b->cc, 120 * NS);
}

/* A sends an initiation to B with timestamp second @sec. */
static void initiate(struct side *a, struct side *b, uint64_t sec, struct wg_msg_initiation *m)
{
	uint8_t ts[12];

	wg_tai64n(ts, sec, 0);
	CU_ASSERT_EQUAL(wg_initiation_create(&a->hs, &a->id, &a->peer, 0x1111, ts, m), 0);
	CU_ASSERT_EQUAL(wg_macs_write((uint8_t *)m, sizeof(*m), a->peer.mac1_key, NULL), 0);
	CU_ASSERT_EQUAL(a->hs.state, WG_HS_INIT_SENT);
	(void)b;
}

/* B consumes @m; returns the wg_initiation_* result. */
static int consume_init(struct side *b, const struct wg_msg_initiation *m, uint8_t ts[12])
{
	struct wg_init_opened o;
	int ret = wg_initiation_open(&b->id, m, &o);

	if (ret)
		return ret;
	CU_ASSERT_EQUAL(memcmp(o.pub, b->peer.pub, 32), 0);
	return wg_initiation_finish(&o, &b->peer, &b->hs, ts);
}

static void handshake(struct side *a, struct side *b, struct wg_session_keys *ka,
		      struct wg_session_keys *kb)
{
	struct wg_msg_initiation mi;
	struct wg_msg_response mr;
	uint8_t ts[12], want[12];

	initiate(a, b, 1000, &mi);
	CU_ASSERT_EQUAL(consume_init(b, &mi, ts), 0);
	wg_tai64n(want, 1000, 0);
	CU_ASSERT_EQUAL(memcmp(ts, want, 12), 0);
	CU_ASSERT_EQUAL(wg_response_create(&b->hs, &b->peer, 0x2222, &mr), 0);
	CU_ASSERT_EQUAL(wg_macs_write((uint8_t *)&mr, sizeof(mr), b->peer.mac1_key, NULL), 0);
	CU_ASSERT_EQUAL(wg_response_consume(&a->hs, &a->id, &a->peer, &mr), 0);
	CU_ASSERT_EQUAL(wg_handshake_derive(&a->hs, ka), 0);
	CU_ASSERT_EQUAL(wg_handshake_derive(&b->hs, kb), 0);
}

static void test_handshake_and_data(void)
{
	struct side a, b;
	struct wg_session_keys ka, kb;
	struct wg_keypair pa, pb;
	struct wg_aead *ca = wg_aead_new(), *cb = wg_aead_new();
	uint8_t msg[256], psk[32];
	size_t plen;
	uint64_t ctr;
	long n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ca);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cb);
	CU_ASSERT_EQUAL(wg_random(psk, 32), 0);
	sides(&a, &b, psk, psk);
	handshake(&a, &b, &ka, &kb);
	CU_ASSERT_TRUE(ka.initiator);
	CU_ASSERT_FALSE(kb.initiator);
	CU_ASSERT_EQUAL(memcmp(ka.send, kb.recv, 32), 0);
	CU_ASSERT_EQUAL(memcmp(ka.recv, kb.send, 32), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(ka.send, ka.recv, 32), 0);
	CU_ASSERT_EQUAL(ka.remote_index, 0x2222);
	CU_ASSERT_EQUAL(kb.remote_index, 0x1111);
	CU_ASSERT_EQUAL(a.hs.state, WG_HS_NONE); /* derived: the state is wiped */
	wg_keypair_init(&pa, &ka, 1, NULL);
	wg_keypair_init(&pb, &kb, 1, NULL);
	/* 5 bytes become 16 + 16 + 16: header, padded packet, tag. */
	memcpy(msg + WG_DATA_HLEN, "hello", 5);
	n = wg_data_seal(ca, &pa, 0, msg, 5);
	CU_ASSERT_EQUAL(n, 48);
	CU_ASSERT_EQUAL(5 + WG_DATA_OVERHEAD(5), 48);
	CU_ASSERT_EQUAL(wg_get_le32(msg + 4), 0x2222); /* B's index */
	CU_ASSERT_EQUAL(wg_data_open(cb, &pb, msg, (size_t)n, &plen, &ctr), 0);
	CU_ASSERT_EQUAL(plen, 16);
	CU_ASSERT_EQUAL(ctr, 0);
	CU_ASSERT_EQUAL(memcmp(msg + WG_DATA_HLEN, "hello\0\0\0\0\0\0\0\0\0\0\0", 16), 0);
	CU_ASSERT_TRUE(wg_keypair_accept(&pb, ctr));
	CU_ASSERT_FALSE(wg_keypair_accept(&pb, ctr)); /* replayed */
	/* A keepalive: no packet at all. */
	n = wg_data_seal(cb, &pb, 0, msg, 0);
	CU_ASSERT_EQUAL(n, WG_DATA_MIN_LEN);
	CU_ASSERT_EQUAL(wg_data_open(ca, &pa, msg, (size_t)n, &plen, &ctr), 0);
	CU_ASSERT_EQUAL(plen, 0);
	/*
	 * Forged: a flipped bit, another counter, the wrong direction's key.
	 * Opening works in place, so a refused message is garbage afterwards
	 * (the data path drops it) and each attempt starts from a fresh seal.
	 */
	for (int how = 0; how < 4; how++) {
		memcpy(msg + WG_DATA_HLEN, "hello", 5);
		n = wg_data_seal(ca, &pa, 1, msg, 5);
		msg[20] ^= how == 0 ? 4 : 0;
		msg[8] ^= how == 1 ? 1 : 0;
		CU_ASSERT_EQUAL(wg_data_open(how == 2 ? ca : cb, how == 2 ? &pa : &pb, msg,
					     how == 3 ? 31 : (size_t)n, &plen, &ctr),
				how == 3 ? -EINVAL : -EBADMSG);
	}
	memcpy(msg + WG_DATA_HLEN, "hello", 5);
	n = wg_data_seal(ca, &pa, 1, msg, 5);
	CU_ASSERT_EQUAL(wg_data_open(cb, &pb, msg, (size_t)n, &plen, &ctr), 0);
	CU_ASSERT_EQUAL(ctr, 1);
	wg_aead_free(ca);
	wg_aead_free(cb);
}

static void test_handshake_forged(void)
{
	struct side a, b, c;
	struct wg_msg_initiation mi;
	struct wg_msg_response mr;
	struct wg_handshake saved;
	struct wg_init_opened o;
	uint8_t ts[12], psk1[32] = { 1 }, psk2[32] = { 2 };

	sides(&a, &b, NULL, NULL);
	/* Every byte of the initiation before the MACs is authenticated by something. */
	initiate(&a, &b, 5, &mi);
	for (size_t off = 8; off < offsetof(struct wg_msg_initiation, mac1); off += 7) {
		((uint8_t *)&mi)[off] ^= 0x20;
		CU_ASSERT_NOT_EQUAL(consume_init(&b, &mi, ts), 0);
		CU_ASSERT_EQUAL(b.hs.state, WG_HS_NONE);
		((uint8_t *)&mi)[off] ^= 0x20;
	}
	/* mac1: wrong when the message changed, or keyed for somebody else. */
	CU_ASSERT_EQUAL(wg_macs_check(&b.cc, b.id.mac1_key, (uint8_t *)&mi, sizeof(mi), NULL, 1,
				      false),
			WG_MAC_OK_NO_COOKIE);
	mi.sender[0] ^= 1;
	CU_ASSERT_EQUAL(wg_macs_check(&b.cc, b.id.mac1_key, (uint8_t *)&mi, sizeof(mi), NULL, 1,
				      false),
			WG_MAC_BAD);
	mi.sender[0] ^= 1;
	CU_ASSERT_EQUAL(wg_macs_check(&b.cc, a.id.mac1_key, (uint8_t *)&mi, sizeof(mi), NULL, 1,
				      false),
			WG_MAC_BAD);
	/* A third party cannot open an initiation made for B. */
	sides(&c, &a, NULL, NULL);
	CU_ASSERT_EQUAL(wg_initiation_open(&c.id, &mi, &o), -EBADMSG);
	/* A response for another handshake, or forged, leaves A's state as it was. */
	sides(&a, &b, NULL, NULL);
	initiate(&a, &b, 6, &mi);
	CU_ASSERT_EQUAL(consume_init(&b, &mi, ts), 0);
	CU_ASSERT_EQUAL(wg_response_create(&b.hs, &b.peer, 0x2222, &mr), 0);
	saved = a.hs;
	mr.receiver[0] ^= 1;
	CU_ASSERT_EQUAL(wg_response_consume(&a.hs, &a.id, &a.peer, &mr), -EINVAL);
	mr.receiver[0] ^= 1;
	mr.enc_empty[3] ^= 1;
	CU_ASSERT_EQUAL(wg_response_consume(&a.hs, &a.id, &a.peer, &mr), -EBADMSG);
	CU_ASSERT_EQUAL(memcmp(&saved, &a.hs, sizeof(saved)), 0);
	mr.enc_empty[3] ^= 1;
	CU_ASSERT_EQUAL(wg_response_consume(&a.hs, &a.id, &a.peer, &mr), 0);
	/* Preshared keys that differ: the response does not authenticate. */
	sides(&a, &b, psk1, psk2);
	initiate(&a, &b, 7, &mi);
	CU_ASSERT_EQUAL(consume_init(&b, &mi, ts), 0);
	CU_ASSERT_EQUAL(wg_response_create(&b.hs, &b.peer, 0x2222, &mr), 0);
	CU_ASSERT_EQUAL(wg_response_consume(&a.hs, &a.id, &a.peer, &mr), -EBADMSG);
	/* A response without an initiation, a derive without a handshake: refused. */
	wg_handshake_clear(&a.hs);
	CU_ASSERT_EQUAL(wg_response_create(&a.hs, &a.peer, 1, &mr), -EINVAL);
	{
		struct wg_session_keys k;

		CU_ASSERT_EQUAL(wg_handshake_derive(&a.hs, &k), -EINVAL);
	}
}

static void test_cookies(void)
{
	struct side a, b;
	struct wg_msg_initiation mi;
	struct wg_msg_cookie mc;
	struct wg_cookie_src src, other;
	uint8_t cookie[16], mac1[16], ip[4] = { 192, 0, 2, 1 };

	sides(&a, &b, NULL, NULL);
	wg_cookie_src_init(&src, ip, 4, 51820);
	wg_cookie_src_init(&other, ip, 4, 51821);
	initiate(&a, &b, 9, &mi);
	/* Under load, no mac2 yet: B answers with a cookie reply and nothing else. */
	CU_ASSERT_EQUAL(wg_macs_check(&b.cc, b.id.mac1_key, (uint8_t *)&mi, sizeof(mi), &src,
				      10 * NS, true),
			WG_MAC_OK_NO_COOKIE);
	CU_ASSERT_EQUAL(wg_cookie_reply_create(&b.cc, &b.id, (uint8_t *)&mi, sizeof(mi), 0x1111,
					       &src, 10 * NS, &mc),
			0);
	CU_ASSERT_EQUAL(wg_msg_classify((uint8_t *)&mc, sizeof(mc), &(enum wg_msg_verdict){ 0 }),
			WG_MSG_COOKIE);
	/* A opens it with the mac1 it sent; any other mac1 does not. */
	memcpy(mac1, mi.mac1, 16);
	CU_ASSERT_EQUAL(wg_cookie_reply_open(&a.peer, mac1, &mc, cookie), 0);
	mac1[0] ^= 1;
	CU_ASSERT_EQUAL(wg_cookie_reply_open(&a.peer, mac1, &mc, cookie + 0), -EBADMSG);
	/* With the cookie as mac2 the initiation passes, from that address and port only. */
	CU_ASSERT_EQUAL(wg_macs_write((uint8_t *)&mi, sizeof(mi), a.peer.mac1_key, cookie), 0);
	CU_ASSERT_EQUAL(wg_cookie_reply_open(&a.peer, mi.mac1, &mc, cookie), 0);
	CU_ASSERT_EQUAL(wg_macs_write((uint8_t *)&mi, sizeof(mi), a.peer.mac1_key, cookie), 0);
	CU_ASSERT_EQUAL(wg_macs_check(&b.cc, b.id.mac1_key, (uint8_t *)&mi, sizeof(mi), &src,
				      11 * NS, true),
			WG_MAC_OK_COOKIE);
	CU_ASSERT_EQUAL(wg_macs_check(&b.cc, b.id.mac1_key, (uint8_t *)&mi, sizeof(mi), &other,
				      11 * NS, true),
			WG_MAC_OK_NO_COOKIE);
	/* The secret turns over after its maximum age: old cookies stop working. */
	CU_ASSERT_EQUAL(wg_macs_check(&b.cc, b.id.mac1_key, (uint8_t *)&mi, sizeof(mi), &src,
				      131 * NS, true),
			WG_MAC_OK_NO_COOKIE);
}

static void test_classify(void)
{
	uint8_t b[200] = { 0 };
	enum wg_msg_verdict why;

	b[0] = 1;
	CU_ASSERT_EQUAL(wg_msg_classify(b, 148, &why), WG_MSG_INITIATION);
	CU_ASSERT_EQUAL(wg_msg_classify(b, 147, &why), WG_MSG_INVALID);
	CU_ASSERT_EQUAL(why, WG_MSG_BAD_LEN);
	CU_ASSERT_EQUAL(wg_msg_classify(b, 149, &why), WG_MSG_INVALID);
	b[0] = 2;
	CU_ASSERT_EQUAL(wg_msg_classify(b, 92, &why), WG_MSG_RESPONSE);
	b[0] = 3;
	CU_ASSERT_EQUAL(wg_msg_classify(b, 64, &why), WG_MSG_COOKIE);
	CU_ASSERT_EQUAL(wg_msg_classify(b, 63, &why), WG_MSG_INVALID);
	b[0] = 4;
	CU_ASSERT_EQUAL(wg_msg_classify(b, 32, &why), WG_MSG_DATA);
	CU_ASSERT_EQUAL(wg_msg_classify(b, 199, &why), WG_MSG_DATA);
	CU_ASSERT_EQUAL(wg_msg_classify(b, 31, &why), WG_MSG_INVALID);
	CU_ASSERT_EQUAL(why, WG_MSG_BAD_LEN);
	b[2] = 1; /* a reserved byte */
	CU_ASSERT_EQUAL(wg_msg_classify(b, 32, &why), WG_MSG_INVALID);
	CU_ASSERT_EQUAL(why, WG_MSG_BAD_TYPE);
	b[2] = 0;
	b[0] = 5;
	CU_ASSERT_EQUAL(wg_msg_classify(b, 32, &why), WG_MSG_INVALID);
	CU_ASSERT_EQUAL(why, WG_MSG_BAD_TYPE);
	CU_ASSERT_EQUAL(wg_msg_classify(b, 3, &why), WG_MSG_INVALID);
	CU_ASSERT_EQUAL(why, WG_MSG_SHORT);
	CU_ASSERT_STRING_EQUAL(wg_msg_verdict_name(WG_MSG_BAD_LEN), "bad_length");
}

/* ---- timers ---- */

static void test_timers(void)
{
	struct wg_times c;
	struct wg_timers t;
	struct wg_timer_inputs in = { .have_keys = true };
	uint64_t now = 1000 * NS;
	unsigned int act, i;

	wg_times_init(&c, 1, 0);
	CU_ASSERT_EQUAL(c.rekey_after_time, 120 * NS);
	CU_ASSERT_EQUAL(c.rekey_after_messages, WG_REKEY_AFTER_MESSAGES);
	wg_timers_init(&t, 0);
	/* Data in, nothing out: a keepalive after KEEPALIVE_TIMEOUT, not before. */
	in.data_rx = in.auth_rx = now;
	CU_ASSERT_EQUAL(wg_timers_tick(&t, &c, &in, now), 0);
	CU_ASSERT_EQUAL(wg_timers_tick(&t, &c, &in, now + 9 * NS), 0);
	CU_ASSERT_EQUAL(wg_timers_tick(&t, &c, &in, now + 10 * NS), WG_TIMER_KEEPALIVE);
	in.any_tx = now + 10 * NS;
	CU_ASSERT_EQUAL(wg_timers_tick(&t, &c, &in, now + 11 * NS), 0);
	/* An answer in time cancels it. */
	in.data_rx = in.auth_rx = now + 12 * NS;
	CU_ASSERT_EQUAL(wg_timers_tick(&t, &c, &in, now + 12 * NS), 0);
	in.any_tx = now + 13 * NS;
	CU_ASSERT_EQUAL(wg_timers_tick(&t, &c, &in, now + 30 * NS), 0);
	/* Data out, nothing back for KEEPALIVE + REKEY_TIMEOUT: a new handshake. */
	in.data_tx = in.any_tx = now + 40 * NS;
	CU_ASSERT_EQUAL(wg_timers_tick(&t, &c, &in, now + 40 * NS), 0);
	CU_ASSERT_EQUAL(wg_timers_tick(&t, &c, &in, now + 54 * NS), 0);
	CU_ASSERT_EQUAL(wg_timers_tick(&t, &c, &in, now + 55 * NS), WG_TIMER_INITIATE);
	wg_timers_initiation_sent(&t, &c, now + 55 * NS, false, 0);
	/* ... retried every REKEY_TIMEOUT, REKEY_ATTEMPT_TIME / REKEY_TIMEOUT times, then given up. */
	in.initiating = true;
	now += 55 * NS;
	for (i = 0; i < 18; i++) {
		CU_ASSERT_EQUAL(wg_timers_tick(&t, &c, &in, now + 4 * NS), 0);
		now += 5 * NS;
		act = wg_timers_tick(&t, &c, &in, now);
		CU_ASSERT_EQUAL(act, WG_TIMER_INITIATE | WG_TIMER_RETRY);
		wg_timers_initiation_sent(&t, &c, now, true, 0);
	}
	CU_ASSERT_EQUAL(wg_timers_tick(&t, &c, &in, now + 5 * NS), WG_TIMER_GIVE_UP);
	in.initiating = false;
	/* Initiations the data path asks for go out at most once per REKEY_TIMEOUT. */
	now += 6 * NS;
	in.want_handshake = true;
	CU_ASSERT_EQUAL(wg_timers_tick(&t, &c, &in, now) & WG_TIMER_INITIATE, WG_TIMER_INITIATE);
	wg_timers_initiation_sent(&t, &c, now, false, 0);
	CU_ASSERT_EQUAL(wg_timers_tick(&t, &c, &in, now + NS) & WG_TIMER_INITIATE, 0);
	in.want_handshake = false;
	/* A completed handshake stops retries; 3 x REJECT_AFTER_TIME later the keys go. */
	wg_timers_session(&t, now + NS);
	in.initiating = false;
	in.data_rx = in.data_tx = in.any_tx = in.auth_rx = now + NS;
	CU_ASSERT_EQUAL(wg_timers_tick(&t, &c, &in, now + 539 * NS), 0);
	CU_ASSERT_EQUAL(wg_timers_tick(&t, &c, &in, now + 541 * NS), WG_TIMER_ZERO_KEYS);
	CU_ASSERT_EQUAL(wg_timers_tick(&t, &c, &in, now + 542 * NS), 0);
	/* Persistent keepalive: every interval of silence; without keys, an initiation. */
	wg_timers_init(&t, 25);
	memset(&in, 0, sizeof(in));
	in.have_keys = true;
	in.any_tx = in.auth_rx = now;
	CU_ASSERT_EQUAL(wg_timers_tick(&t, &c, &in, now + 24 * NS), 0);
	CU_ASSERT_EQUAL(wg_timers_tick(&t, &c, &in, now + 25 * NS), WG_TIMER_KEEPALIVE);
	in.have_keys = false;
	CU_ASSERT_EQUAL(wg_timers_tick(&t, &c, &in, now + 25 * NS), WG_TIMER_INITIATE);
	/* Scaled for tests: the same rules, shorter. */
	wg_times_init(&c, 0.05, 1000);
	CU_ASSERT_EQUAL(c.rekey_after_time, 6 * NS);
	CU_ASSERT_EQUAL(c.rekey_timeout, NS / 4);
	CU_ASSERT_EQUAL(c.rekey_after_messages, 1000);
}

/* ---- key files ---- */

static void test_keyfile(void)
{
	char path[] = "/tmp/ferry-wgkey-XXXXXX", err[256];
	uint8_t k[32], back[32];
	char text[WG_KEY_B64_LEN + 2];
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(wg_genkey(k), 0);
	wg_key_to_base64(text, k);
	strcat(text, "\n");
	CU_ASSERT_EQUAL(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	CU_ASSERT_EQUAL(chmod(path, 0600), 0);
	CU_ASSERT_EQUAL(wg_keyfile_read(path, back, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(memcmp(k, back, 32), 0);
	CU_ASSERT_EQUAL(chmod(path, 0640), 0); /* group-readable: allowed */
	CU_ASSERT_EQUAL(wg_keyfile_read(path, back, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(chmod(path, 0644), 0);
	CU_ASSERT_EQUAL(wg_keyfile_read(path, back, err, sizeof(err)), -EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "accessible by every user (mode 0644)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
	CU_ASSERT_EQUAL(chmod(path, 0660), 0);
	CU_ASSERT_EQUAL(wg_keyfile_read(path, back, err, sizeof(err)), -EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "writable by its group"));
	CU_ASSERT_EQUAL(chmod(path, 0600), 0);
	fd = open(path, O_WRONLY | O_TRUNC);
	CU_ASSERT_EQUAL(write(fd, "not a key\n", 10), 10);
	close(fd);
	CU_ASSERT_EQUAL(wg_keyfile_read(path, back, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a key"));
	unlink(path);
	CU_ASSERT_EQUAL(wg_keyfile_read(path, back, err, sizeof(err)), -ENOENT);
	CU_ASSERT_EQUAL(wg_keyfile_read("/tmp", back, err, sizeof(err)), -EINVAL);
}

static CU_TestInfo kat_tests[] = {
	{ "X25519 (RFC 7748 5.2)", test_x25519_rfc7748 },
	{ "X25519 Diffie-Hellman and 1000 iterations (RFC 7748)", test_x25519_dh_and_iterated },
	{ "X25519 small-order points refused", test_x25519_small_order },
	{ "ChaCha20-Poly1305 (RFC 8439 A.5), one-shot and batched", test_chapoly_rfc8439 },
	{ "BLAKE2s (RFC 7693), keyed MAC, HMAC", test_blake2s },
	{ "KDF from HMAC", test_kdf },
	{ "HChaCha20, XChaCha20-Poly1305 (CFRG draft)", test_xchacha },
	{ "keys as wireguard-tools writes them", test_key_text },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo proto_tests[] = {
	{ "replay window and counter limits", test_replay_window },
	{ "handshake, transport keys, data messages", test_handshake_and_data },
	{ "forged and misdirected handshake messages", test_handshake_forged },
	{ "mac1, mac2 and cookie replies", test_cookies },
	{ "message classification", test_classify },
	{ "timers", test_timers },
	{ "key files", test_keyfile },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	CU_SuiteInfo suites[] = {
		{ "wireguard known answers", NULL, NULL, NULL, NULL, kat_tests },
		{ "wireguard protocol", NULL, NULL, NULL, NULL, proto_tests },
		CU_SUITE_INFO_NULL,
	};

	return cunit_run(suites);
}
