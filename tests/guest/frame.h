/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * frame.h - the test frames the net modes exchange (README.md, "Frames"):
 * Ethernet with EtherType 0x88b5 (IEEE local experimental), then
 *
 *	"FRRY" | u8 kind | u8 tag_len | tag[tag_len] | be32 seq | be16 total_len | pattern
 *
 * where total_len is the whole frame's length (Ethernet header included, no
 * FCS) and the pattern fills the rest of the frame with 64-bit words derived
 * from (tag, seq), so every byte of every frame is checked.  A reply is the
 * request with the MACs swapped and the kind changed, so it verifies the same
 * way.  Pure computation: no device access.  net.c builds and checks frames
 * with it.
 */
#ifndef FERRY_GUEST_FRAME_H
#define FERRY_GUEST_FRAME_H

#include "guest.h"

#define FRAME_ETHERTYPE 0x88b5
#define FRAME_TAG_MAX 16
#define FRAME_MIN_SIZE 64 /* smallest size= (the header with a 16-byte tag needs 42) */
#define FRAME_MAX_SIZE 1514 /* largest size=: a 1500-byte payload */
#define ETH_ALEN 6

enum frame_kind {
	FRAME_REQUEST = 1, /* echo me (client -> server) */
	FRAME_REPLY = 2, /* the echo */
	FRAME_BCAST = 3, /* to ff:ff:ff:ff:ff:ff, counted by everyone with the tag */
	FRAME_PROBE = 4, /* are you there? (before traffic starts) */
	FRAME_PROBE_REPLY = 5, /* yes */
};

/* What check_frame() made of a frame. */
enum frame_verdict {
	FRAME_OK, /* ours: magic, tag, length and every pattern byte right */
	FRAME_FOREIGN, /* not ours: another EtherType, or another tag */
	FRAME_BAD, /* our EtherType but broken: magic, kind, length or pattern */
};

/* A tag (the tag= option) with the pattern seed derived from it. */
struct frame_tag {
	char name[FRAME_TAG_MAX + 1]; /* NUL-terminated */
	uint8_t len;
	uint64_t seed; /* a hash of the name */
};

/* The fields of a checked frame. */
struct frame_info {
	const uint8_t *dst, *src; /* MAC addresses in the frame */
	uint8_t kind; /* enum frame_kind */
	uint32_t seq;
};

/* Fills @t from @name (at most FRAME_TAG_MAX bytes); -EINVAL if longer. */
int frame_tag_init(struct frame_tag *t, const char *name);

/* Writes a whole @len-byte frame (FRAME_MIN_SIZE..FRAME_MAX_SIZE) at @f. */
void frame_build(uint8_t *f, uint32_t len, const uint8_t *dst, const uint8_t *src,
		 const struct frame_tag *t, enum frame_kind kind, uint32_t seq);

/* Checks the @len-byte frame at @f against tag @t; fills @fi when FRAME_OK. */
enum frame_verdict frame_check(const uint8_t *f, uint32_t len, const struct frame_tag *t,
			       struct frame_info *fi);

/* Turns the frame at @f into its answer: MACs swapped, kind set to @kind. */
void frame_turn(uint8_t *f, enum frame_kind kind);

/* 1 for ff:ff:ff:ff:ff:ff. */
bool frame_is_broadcast(const uint8_t *mac);

/*
 * 1 for a RARP (EtherType 0x8035): the announce a switch or VMM sends for a
 * guest after a reconnect or a migration (vhost-user SEND_RARP), which a
 * role counts apart instead of as foreign.
 */
static inline bool frame_is_rarp(const uint8_t *f, uint32_t len)
{
	return len >= 14 && f[12] == 0x80 && f[13] == 0x35;
}
bool frame_mac_equal(const uint8_t *a, const uint8_t *b);

/* Parses "aa:bb:cc:dd:ee:ff" (hex, either case); 0 or -EINVAL. */
int frame_parse_mac(const char *s, uint8_t *mac);

#endif
