/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * frame.c - building and checking test frames (see frame.h).
 *
 * The pattern is word k = seed(tag, seq) + k * PATTERN_STEP, stored
 * unaligned from the end of the header: one add and one 8-byte store (or
 * load and xor) per 8 bytes, so filling and checking a 1514-byte frame costs
 * about 190 simple instructions in ring 3.  Every word differs from its
 * neighbours and from the same word of any other (tag, seq), so a dropped,
 * duplicated, shifted or stale byte is caught.
 */
#include "frame.h"
#include "lib.h"

#define OFF_TYPE 12
#define OFF_MAGIC 14
#define OFF_KIND 18
#define OFF_TAG_LEN 19
#define OFF_TAG 20
#define HDR_FIXED 26 /* OFF_TAG + seq (4) + total_len (2), without the tag bytes */
#define PATTERN_STEP 0x9e3779b97f4a7c15ULL /* odd: consecutive words never repeat */
#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static const uint8_t frame_magic[4] = { 'F', 'R', 'R', 'Y' };

/* An 8-byte word at any address (the pattern starts at 26 + tag length). */
typedef uint64_t __attribute__((aligned(1), may_alias)) unaligned_u64;

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, (uint16_t)(v >> 16));
	put_be16(p + 2, (uint16_t)v);
}

int frame_tag_init(struct frame_tag *t, const char *name)
{
	size_t len = strnlen(name, FRAME_TAG_MAX + 1);
	uint64_t h = FNV_OFFSET;

	if (len > FRAME_TAG_MAX)
		return -EINVAL;
	memcpy(t->name, name, len);
	t->name[len] = '\0';
	t->len = (uint8_t)len;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)name[i]) * FNV_PRIME;
	t->seed = h;
	return 0;
}

/* The first pattern word of frame @seq: a splitmix64 finalizer, so close seqs differ widely. */
static uint64_t pattern_seed(const struct frame_tag *t, uint32_t seq)
{
	uint64_t z = t->seed + (seq + 1ULL) * PATTERN_STEP;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void pattern_fill(uint8_t *p, uint32_t n, uint64_t w)
{
	for (; n >= 8; n -= 8, p += 8, w += PATTERN_STEP)
		*(unaligned_u64 *)p = w;
	for (uint32_t i = 0; i < n; i++)
		p[i] = (uint8_t)(w >> (8 * i));
}

static bool pattern_ok(const uint8_t *p, uint32_t n, uint64_t w)
{
	uint64_t diff = 0;

	for (; n >= 8; n -= 8, p += 8, w += PATTERN_STEP)
		diff |= *(const unaligned_u64 *)p ^ w;
	for (uint32_t i = 0; i < n; i++)
		diff |= (uint8_t)(p[i] ^ (uint8_t)(w >> (8 * i)));
	return !diff;
}

void frame_build(uint8_t *f, uint32_t len, const uint8_t *dst, const uint8_t *src,
		 const struct frame_tag *t, enum frame_kind kind, uint32_t seq)
{
	uint32_t hdr = HDR_FIXED + t->len;

	memcpy(f, dst, ETH_ALEN);
	memcpy(f + ETH_ALEN, src, ETH_ALEN);
	put_be16(f + OFF_TYPE, FRAME_ETHERTYPE);
	memcpy(f + OFF_MAGIC, frame_magic, sizeof(frame_magic));
	f[OFF_KIND] = (uint8_t)kind;
	f[OFF_TAG_LEN] = t->len;
	memcpy(f + OFF_TAG, t->name, t->len);
	put_be32(f + OFF_TAG + t->len, seq);
	put_be16(f + OFF_TAG + t->len + 4, (uint16_t)len);
	pattern_fill(f + hdr, len - hdr, pattern_seed(t, seq));
}

enum frame_verdict frame_check(const uint8_t *f, uint32_t len, const struct frame_tag *t,
			       struct frame_info *fi)
{
	uint32_t tag_len, hdr;

	if (len < OFF_MAGIC)
		return FRAME_BAD;
	if (get_be16(f + OFF_TYPE) != FRAME_ETHERTYPE)
		return FRAME_FOREIGN;
	if (len < HDR_FIXED || memcmp(f + OFF_MAGIC, frame_magic, sizeof(frame_magic)))
		return FRAME_BAD;
	tag_len = f[OFF_TAG_LEN];
	hdr = HDR_FIXED + tag_len;
	if (tag_len > FRAME_TAG_MAX || len < hdr)
		return FRAME_BAD;
	if (tag_len != t->len || memcmp(f + OFF_TAG, t->name, tag_len))
		return FRAME_FOREIGN;
	if (f[OFF_KIND] < FRAME_REQUEST || f[OFF_KIND] > FRAME_PROBE_REPLY ||
	    get_be16(f + OFF_TAG + tag_len + 4) != len)
		return FRAME_BAD;
	fi->seq = get_be32(f + OFF_TAG + tag_len);
	if (!pattern_ok(f + hdr, len - hdr, pattern_seed(t, fi->seq)))
		return FRAME_BAD;
	fi->dst = f;
	fi->src = f + ETH_ALEN;
	fi->kind = f[OFF_KIND];
	return FRAME_OK;
}

void frame_turn(uint8_t *f, enum frame_kind kind)
{
	uint8_t mac[ETH_ALEN];

	memcpy(mac, f, ETH_ALEN);
	memcpy(f, f + ETH_ALEN, ETH_ALEN);
	memcpy(f + ETH_ALEN, mac, ETH_ALEN);
	f[OFF_KIND] = (uint8_t)kind;
}

bool frame_is_broadcast(const uint8_t *mac)
{
	return (mac[0] & mac[1] & mac[2] & mac[3] & mac[4] & mac[5]) == 0xff;
}

bool frame_mac_equal(const uint8_t *a, const uint8_t *b)
{
	return !memcmp(a, b, ETH_ALEN);
}

int frame_parse_mac(const char *s, uint8_t *mac)
{
	for (int i = 0; i < ETH_ALEN; i++, s += 3) {
		int hi = hex_digit(s[0]), lo = hi < 0 ? -1 : hex_digit(s[1]);

		if (lo < 0 || s[2] != (i == ETH_ALEN - 1 ? '\0' : ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
