/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_wg.c - libFuzzer harness for WireGuard's receive side (wireguard/):
 * any bytes as one UDP payload, handled in the order vswitch/wg_hs.c and
 * wg_dp.c use: wg_msg_classify; mac1, and under load mac2 and a cookie
 * reply; the handshake as responder B or initiator A; the cookie reply; or
 * the data message and the replay window.  Each datagram is copied to a
 * buffer of exactly its length, so ASan sees any read past its end.
 *
 * Keys are fixed and OpenSSL's RNG is a constant stream (reset per input),
 * so every run makes the same ephemeral keys and the seeds (written by
 * FUZZ_WG_WRITE_SEEDS=DIR, see make_seeds.py) open in every run.
 * First byte < 0x80: the input is one datagram.  Else records (a LE16
 * length, a datagram) whose mac1 the harness writes, or which it seals
 * with their own counter and bytes if data: mutated bodies then reach the
 * Noise code and past the AEAD, and one input moves the replay window.
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* RAND_set_rand_method: a repeatable RAND_bytes */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "wireguard/cookie.h"
#include "wireguard/data.h"
#include "wireguard/msg.h"
#include "wireguard/noise.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW (1000 * 1000000000ull) /* one clock for all: cookie secrets never turn over */
#define IDX_A1 0x0a000001u /* A's first initiation: its keys are kp_a */
#define IDX_A2 0x0a000002u /* A's pending initiation, g.init */
#define IDX_B 0x0b000001u /* B's index in every response */
#define MAX_RECORDS 64 /* bounds the Diffie-Hellman work of one input */

/* All that receiving changes, copied from g.w0 for every input. */
struct world {
	struct wg_handshake hs_a; /* A's initiation IDX_A2, awaiting the response */
	struct wg_keypair kp_a, kp_b; /* each side's keys of the last handshake */
	struct wg_cookie_checker cc_a, cc_b; /* secrets drawn at start */
	uint8_t last_ts[WG_TAI64N_LEN]; /* the newest initiation B took from A */
	struct wg_msg_response resp; /* B's last response */
	struct wg_msg_cookie reply; /* the last cookie reply made */
	uint8_t cookie[WG_MAC_LEN]; /* and the cookie its receiver found in it */
};

static struct {
	struct wg_identity a, b;
	struct wg_peer_id a_peer, b_peer; /* B as A knows it; A as B knows it */
	struct wg_msg_initiation init; /* hs_a's: its mac1 opens cookie replies */
	struct wg_cookie_src src; /* where every datagram comes from */
	struct wg_aead *aead;
	struct world w0;
} g;
static struct world w;
static uint64_t rng_state;

static int rng_bytes(unsigned char *buf, int num)
{
	for (int i = 0; i < num; i++) {
		rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
		buf[i] = (unsigned char)(rng_state >> 56);
	}
	return 1;
}

static const RAND_METHOD rng_method = { .bytes = rng_bytes, .pseudorand = rng_bytes };

/* The keypair whose local index is @index, as wg_keys_for() finds it. */
static struct wg_keypair *keys_for(uint32_t index)
{
	if (index == w.kp_a.k.local_index)
		return &w.kp_a;
	return index == w.kp_b.k.local_index ? &w.kp_b : NULL;
}

/* Seal @len bytes at @msg + WG_DATA_HLEN as the other end of @kp would. */
static long seal_for(const struct wg_keypair *kp, uint8_t *msg, size_t len, uint64_t counter)
{
	struct wg_session_keys k = { .remote_index = kp->k.local_index };
	struct wg_keypair peer;

	memcpy(k.send, kp->k.recv, WG_KEY_LEN);
	wg_keypair_init(&peer, &k, NOW, NULL);
	return wg_data_seal(g.aead, &peer, counter, msg, len);
}

/* wg_dp.c: index, tag, then counter.  @sealed: our plaintext, which must come back. */
static void on_data(uint8_t *msg, size_t len, const uint8_t *sealed)
{
	struct wg_keypair *kp = keys_for(wg_get_le32(msg + 4));
	uint64_t counter;
	size_t plen;

	if (!kp || wg_data_open(g.aead, kp, msg, len, &plen, &counter) < 0) {
		if (sealed)
			abort();
		return;
	}
	if (plen != len - WG_DATA_MIN_LEN || (sealed && memcmp(msg + WG_DATA_HLEN, sealed, plen)))
		abort();
	wg_keypair_accept(kp, counter);
}

/* B, responder (5.4.2, 5.4.3), knows one peer, A; an initiation that finished is answered. */
static void on_initiation(const struct wg_msg_initiation *m)
{
	struct wg_handshake hs = { 0 };
	struct wg_session_keys k;
	struct wg_init_opened o;
	uint8_t ts[WG_TAI64N_LEN];

	if (wg_initiation_open(&g.b, m, &o) < 0 || memcmp(o.pub, g.b_peer.pub, WG_KEY_LEN) ||
	    wg_initiation_finish(&o, &g.b_peer, &hs, ts) < 0 ||
	    memcmp(ts, w.last_ts, sizeof(ts)) <= 0)
		return;
	memcpy(w.last_ts, ts, sizeof(ts));
	if (wg_response_create(&hs, &g.b_peer, IDX_B, &w.resp) < 0 ||
	    wg_macs_write((uint8_t *)&w.resp, sizeof(w.resp), g.a.mac1_key, NULL) < 0 ||
	    wg_handshake_derive(&hs, &k) < 0)
		abort();
	wg_keypair_init(&w.kp_b, &k, NOW, NULL);
}

/* A, initiator (5.4.3): a response to its pending initiation; a refused one changes nothing. */
static void on_response(const struct wg_msg_response *m)
{
	struct wg_handshake before = w.hs_a;
	struct wg_session_keys k;

	if (wg_get_le32(m->receiver) != w.hs_a.local_index || w.hs_a.state != WG_HS_INIT_SENT)
		return;
	if (wg_response_consume(&w.hs_a, &g.a, &g.a_peer, m) < 0) {
		if (memcmp(&before, &w.hs_a, sizeof(before)))
			abort();
		return;
	}
	if (wg_handshake_derive(&w.hs_a, &k) < 0)
		abort();
	wg_keypair_init(&w.kp_a, &k, NOW, NULL);
}

/* wg_hs.c: mac1; under load, a cookie reply that its sender must open; then as when not. */
static void on_handshake(const uint8_t *msg, size_t len, enum wg_msg_type type)
{
	bool to_b = type == WG_MSG_INITIATION;
	struct wg_cookie_checker *cc = to_b ? &w.cc_b : &w.cc_a;
	const struct wg_identity *me = to_b ? &g.b : &g.a;
	const uint8_t *mac1 = msg + len - 2 * WG_MAC_LEN;
	uint32_t sender = wg_get_le32(msg + 4);

	switch (wg_macs_check(cc, me->mac1_key, msg, len, &g.src, NOW, true)) {
	case WG_MAC_BAD:
		return;
	case WG_MAC_OK_NO_COOKIE:
		if (wg_cookie_reply_create(cc, me, msg, len, sender, &g.src, NOW, &w.reply) < 0 ||
		    wg_cookie_reply_open(to_b ? &g.a_peer : &g.b_peer, mac1, &w.reply, w.cookie))
			abort();
		break;
	case WG_MAC_OK_COOKIE:
		break;
	}
	if (to_b)
		on_initiation((const struct wg_msg_initiation *)msg);
	else
		on_response((const struct wg_msg_response *)msg);
}

static void receive(uint8_t *msg, size_t len, const uint8_t *sealed)
{
	enum wg_msg_verdict why;
	enum wg_msg_type type = wg_msg_classify(msg, len, &why);
	uint8_t cookie[WG_MAC_LEN];

	if ((type == WG_MSG_INVALID) != (why != WG_MSG_VALID))
		abort();
	if (type == WG_MSG_INITIATION || type == WG_MSG_RESPONSE)
		on_handshake(msg, len, type);
	else if (type == WG_MSG_DATA)
		on_data(msg, len, sealed);
	else if (type == WG_MSG_COOKIE && wg_get_le32(msg + 4) == w.hs_a.local_index)
		wg_cookie_reply_open(&g.a_peer, g.init.mac1, (const struct wg_msg_cookie *)msg,
				     cookie);
}

/* Receive a copy of @p, its authenticators first made right if @fix. */
static void receive_copy(const uint8_t *p, size_t len, bool fix)
{
	enum wg_msg_verdict why;
	enum wg_msg_type type = fix ? wg_msg_classify(p, len, &why) : WG_MSG_INVALID;
	size_t n = len, plen = 0;
	uint8_t *msg, *plain = NULL;
	struct wg_keypair *kp;

	if (type == WG_MSG_DATA) { /* its bytes between header and tag, padded, are the packet */
		plen = len - WG_DATA_MIN_LEN;
		n = WG_DATA_HLEN + (plen + WG_PAD - 1) / WG_PAD * WG_PAD + WG_TAG_LEN;
	}
	msg = calloc(1, n ? n : 1);
	if (!msg)
		return;
	memcpy(msg, p, len);
	if (type == WG_MSG_INITIATION || type == WG_MSG_RESPONSE) {
		wg_macs_write(msg, len, type == WG_MSG_INITIATION ? g.b.mac1_key : g.a.mac1_key,
			      NULL);
	} else if (type == WG_MSG_DATA) {
		kp = keys_for(wg_get_le32(p + 4));
		if (!kp) /* an unknown index becomes a known one */
			kp = p[4] & 1 ? &w.kp_b : &w.kp_a;
		plain = calloc(1, n);
		if (!plain || seal_for(kp, msg, plen, wg_get_le64(p + 8)) != (long)n)
			goto out;
		memcpy(plain, p + WG_DATA_HLEN, plen);
	}
	receive(msg, n, plain);
out:
	free(plain);
	free(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n, left = size - 1;

	rng_state = 0x5eed; /* the same keys and nonces for the same input */
	memcpy(&w, &g.w0, sizeof(w));
	if (!size || !(data[0] & 0x80)) {
		receive_copy(data, size, false);
		return 0;
	}
	for (int i = 0; i < MAX_RECORDS && left >= 2; i++) {
		n = (size_t)(data[size - left] | data[size - left + 1] << 8);
		n = n < left - 2 ? n : left - 2;
		receive_copy(data + size - left + 2, n, true);
		left -= 2 + n;
	}
	return 0;
}

/* FUZZ_WG_WRITE_SEEDS: B's answers to g.init, and data; make_seeds.py derives the rest. */
static int write_seeds(const char *dir)
{
	struct wg_msg_initiation mi = g.init;
	uint8_t d[64] = { 0 };
	const struct {
		const char *name;
		const void *p;
		size_t len;
	} seeds[] = { { "initiation", &g.init, sizeof(g.init) },
		      { "initiation-cookie", &mi, sizeof(mi) }, /* mac2: B's cookie for g.src */
		      { "response", &w.resp, sizeof(w.resp) },
		      { "cookie", &w.reply, sizeof(w.reply) },
		      { "data", d, sizeof(d) } };
	char path[4096];
	FILE *f;
	bool ok;

	memcpy(&w, &g.w0, sizeof(w));
	receive((uint8_t *)&mi, sizeof(mi), NULL);
	memcpy(d + WG_DATA_HLEN, "\x45\0\0\x14\0\0\x40\0\x40\x11\0\0\x0a\0\0\x02\x0a\0\0\x01", 20);
	if (wg_get_le32(w.resp.receiver) != IDX_A2 ||
	    wg_macs_write((uint8_t *)&mi, sizeof(mi), g.b.mac1_key, w.cookie) ||
	    seal_for(&g.w0.kp_a, d, 20, 0) != sizeof(d))
		return -EIO;
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, seeds[i].name);
		f = fopen(path, "wb");
		if (!f)
			return -errno;
		ok = fwrite(seeds[i].p, 1, seeds[i].len, f) == seeds[i].len;
		if (fclose(f) || !ok)
			return -EIO;
	}
	return 0;
}

/* A's first initiation goes through B's receive path and B's response through A's. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t pa[WG_KEY_LEN], pb[WG_KEY_LEN], ts[WG_TAI64N_LEN], ip[4] = { 192, 0, 2, 1 };
	const char *dir = getenv("FUZZ_WG_WRITE_SEEDS");
	struct wg_msg_initiation mi;

	(void)argc;
	(void)argv;
	rng_state = 1;
	for (int i = 0; i < WG_KEY_LEN; i++) {
		pa[i] = (uint8_t)(0xa0 + i);
		pb[i] = (uint8_t)(0xb0 + 3 * i);
	}
	g.aead = wg_aead_new();
	wg_cookie_src_init(&g.src, ip, sizeof(ip), 51820);
	wg_cookie_checker_init(&w.cc_a, 120 * 1000000000ull);
	wg_cookie_checker_init(&w.cc_b, 120 * 1000000000ull);
	wg_tai64n(ts, 1000, 0);
	if (!RAND_set_rand_method(&rng_method) || !g.aead || wg_identity_init(&g.a, pa) ||
	    wg_identity_init(&g.b, pb) || wg_peer_id_init(&g.a_peer, &g.a, g.b.pub, NULL) ||
	    wg_peer_id_init(&g.b_peer, &g.b, g.a.pub, NULL) ||
	    wg_initiation_create(&w.hs_a, &g.a, &g.a_peer, IDX_A1, ts, &mi) ||
	    wg_macs_write((uint8_t *)&mi, sizeof(mi), g.b.mac1_key, NULL))
		abort();
	receive((uint8_t *)&mi, sizeof(mi), NULL);
	receive((uint8_t *)&w.resp, sizeof(w.resp), NULL); /* the checkers drew their secrets */
	wg_tai64n(ts, 2000, 0);
	if (w.kp_a.k.local_index != IDX_A1 || w.kp_b.k.remote_index != IDX_A1 ||
	    wg_initiation_create(&w.hs_a, &g.a, &g.a_peer, IDX_A2, ts, &g.init) ||
	    wg_macs_write((uint8_t *)&g.init, sizeof(g.init), g.b.mac1_key, NULL))
		abort();
	memcpy(&g.w0, &w, sizeof(w));
	if (dir)
		exit(write_seeds(dir) ? 1 : 0);
	return 0;
}
