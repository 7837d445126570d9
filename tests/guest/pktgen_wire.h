/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pktgen_wire.h - the frames of mode=pktgen (README.md, "mode=pktgen"): real
 * Ethernet/IPv4/UDP frames, 10.0.0.1:1024+flow -> 10.0.0.2:9, whose UDP
 * payload starts with an 18-byte stamp:
 *
 *	"FRPG" | be16 tag id | be16 flow | be32 seq | be48 tsc
 *
 * 18 bytes is all a 60-byte frame (64 with FCS) leaves after the 42 bytes of
 * headers, so the stamp carries the low bits of the 64-bit values: the
 * receiver extends the sequence number against the highest it has seen for
 * the flow (pktgen_stats.h) and the TSC against its own clock (exact for
 * latencies under 2^47 ticks); the tag travels as a 16-bit hash.
 *
 * pktgen.c writes a per-size template once and patches each frame
 * (pktgen_frame_put, then pktgen_frame_stamp just before publishing);
 * pktgen_frame_parse() classifies received frames.  Pure computation on
 * bytes: it builds for the guest and for the host unit test (test_pktgen.c),
 * so it includes nothing but guest.h.
 */
#ifndef FERRY_GUEST_PKTGEN_WIRE_H
#define FERRY_GUEST_PKTGEN_WIRE_H

#include "guest.h"

#define PKTGEN_ETHERTYPE_IPV4 0x0800
#define PKTGEN_MIN_FRAME 60 /* bytes without FCS: 64 on the wire */
#define PKTGEN_MAX_FRAME 1514
#define PKTGEN_MAX_FLOWS 4096 /* UDP source ports 1024..5119 */
#define PKTGEN_SPORT_BASE 1024
#define PKTGEN_DPORT 9 /* discard */

/* Byte offsets in a frame. */
#define PKTGEN_OFF_TYPE 12
#define PKTGEN_OFF_IP 14
#define PKTGEN_OFF_IP_LEN 16
#define PKTGEN_OFF_IP_CSUM 24
#define PKTGEN_OFF_UDP 34
#define PKTGEN_OFF_SPORT 34
#define PKTGEN_OFF_UDP_LEN 38
#define PKTGEN_OFF_MAGIC 42
#define PKTGEN_OFF_TAG 46
#define PKTGEN_OFF_FLOW 48
#define PKTGEN_OFF_SEQ 50
#define PKTGEN_OFF_TSC 54
#define PKTGEN_HDR_LEN 60 /* headers and stamp: the template */

#define PKTGEN_TSC_BITS 48
#define PKTGEN_TSC_MASK ((1ULL << PKTGEN_TSC_BITS) - 1)

/* A frame of one size, ready to copy: only flow, seq and TSC change per frame. */
struct pktgen_tmpl {
	uint8_t hdr[PKTGEN_HDR_LEN]; /* Ethernet, IPv4 (checksum done), UDP, magic and tag */
	uint32_t len; /* the whole frame, PKTGEN_MIN_FRAME..PKTGEN_MAX_FRAME */
};

/* What pktgen_frame_parse() made of a frame. */
enum pktgen_verdict {
	PKTGEN_OK, /* ours: the tag matches and every header field is right */
	PKTGEN_FOREIGN, /* a pktgen frame with another tag, or IPv4 that is not pktgen's */
	PKTGEN_BAD, /* a pktgen frame of our tag with a broken header */
	PKTGEN_NOT_IPV4, /* another EtherType: the caller decides (mode=net probes) */
};

/* The stamp of a frame pktgen_frame_parse() accepted. */
struct pktgen_stamp {
	uint32_t flow; /* < PKTGEN_MAX_FLOWS */
	uint32_t seq; /* low 32 bits of the flow's sequence number */
	uint64_t tsc; /* low PKTGEN_TSC_BITS bits of the sender's TSC */
};

/* The 16-bit tag id carried in frames: a fold of the tag's 64-bit hash. */
uint16_t pktgen_tag_id(uint64_t tag_hash);

/*
 * Fills @t for @len-byte frames (PKTGEN_MIN_FRAME..PKTGEN_MAX_FRAME) from
 * @src to @dst with tag id @tag: every header field but the flow's port,
 * and the IPv4 header checksum (which covers none of the per-frame fields).
 */
void pktgen_tmpl_init(struct pktgen_tmpl *t, const uint8_t *dst, const uint8_t *src, uint16_t tag,
		      uint32_t len);

/* The IPv4 header checksum of the 20 bytes at @ip (its checksum field included). */
uint16_t pktgen_ip_csum(const uint8_t *ip);

/* Classifies the @len-byte frame at @f for tag id @tag; fills @st when PKTGEN_OK. */
enum pktgen_verdict pktgen_frame_parse(const uint8_t *f, uint32_t len, uint16_t tag,
				       struct pktgen_stamp *st);

static inline void pktgen_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void pktgen_put_be32(uint8_t *p, uint32_t v)
{
	/* One store of the byte-swapped value, not four byte stores. */
	v = __builtin_bswap32(v);
	__builtin_memcpy(p, &v, 4);
}

/*
 * Writes frame @seq of @flow from template @t at @f (the padding after the
 * template is whatever the buffer holds: pktgen.c zeroes buffers once).
 * The TSC is left for pktgen_frame_stamp().
 */
static inline void pktgen_frame_put(uint8_t *f, const struct pktgen_tmpl *t, uint16_t flow,
				    uint64_t seq)
{
	__builtin_memcpy(f, t->hdr, PKTGEN_OFF_FLOW);
	pktgen_put_be16(f + PKTGEN_OFF_SPORT, (uint16_t)(PKTGEN_SPORT_BASE + flow));
	pktgen_put_be16(f + PKTGEN_OFF_FLOW, flow);
	pktgen_put_be32(f + PKTGEN_OFF_SEQ, (uint32_t)seq);
}

/* Writes the low 48 bits of @tsc into the frame at @f (big-endian). */
static inline void pktgen_frame_stamp(uint8_t *f, uint64_t tsc)
{
	pktgen_put_be16(f + PKTGEN_OFF_TSC, (uint16_t)(tsc >> 32));
	pktgen_put_be32(f + PKTGEN_OFF_TSC + 2, (uint32_t)tsc);
}

#endif
