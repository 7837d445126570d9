/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pktgen_wire.c - building templates for and classifying mode=pktgen frames
 * (see pktgen_wire.h).  The receive check costs a few dozen instructions a
 * frame: the IPv4 checksum (ten 16-bit adds) and fixed-offset compares; the
 * padding is not read, so a 1514-byte frame costs what a 60-byte one does.
 */
#include "pktgen_wire.h"

#define IP_VER_IHL 0x45 /* version 4, 20-byte header: no options */
#define IP_FLAGS_DF 0x4000 /* don't fragment: the ID field is then free (RFC 6864) */
#define IP_TTL 64
#define IP_PROTO_UDP 17
#define IP_HDR_LEN 20
#define ETH_HDR_LEN 14

static const uint8_t pktgen_magic[4] = { 'F', 'R', 'P', 'G' };
static const uint8_t ip_src[4] = { 10, 0, 0, 1 };
static const uint8_t ip_dst[4] = { 10, 0, 0, 2 };

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)get_be16(p) << 16 | get_be16(p + 2);
}

uint16_t pktgen_tag_id(uint64_t tag_hash)
{
	return (uint16_t)(tag_hash ^ tag_hash >> 16 ^ tag_hash >> 32 ^ tag_hash >> 48);
}

uint16_t pktgen_ip_csum(const uint8_t *ip)
{
	uint32_t sum = 0;

	for (unsigned int i = 0; i < IP_HDR_LEN; i += 2)
		sum += get_be16(ip + i);
	sum = (sum & 0xffff) + (sum >> 16);
	sum += sum >> 16;
	return (uint16_t)~sum;
}

void pktgen_tmpl_init(struct pktgen_tmpl *t, const uint8_t *dst, const uint8_t *src, uint16_t tag,
		      uint32_t len)
{
	uint8_t *h = t->hdr, *ip = h + PKTGEN_OFF_IP;

	__builtin_memset(t, 0, sizeof(*t));
	t->len = len;
	__builtin_memcpy(h, dst, 6);
	__builtin_memcpy(h + 6, src, 6);
	pktgen_put_be16(h + PKTGEN_OFF_TYPE, PKTGEN_ETHERTYPE_IPV4);
	ip[0] = IP_VER_IHL;
	pktgen_put_be16(ip + 2, (uint16_t)(len - ETH_HDR_LEN));
	pktgen_put_be16(ip + 6, IP_FLAGS_DF);
	ip[8] = IP_TTL;
	ip[9] = IP_PROTO_UDP;
	__builtin_memcpy(ip + 12, ip_src, 4);
	__builtin_memcpy(ip + 16, ip_dst, 4);
	pktgen_put_be16(ip + 10, pktgen_ip_csum(ip));
	pktgen_put_be16(h + PKTGEN_OFF_SPORT, PKTGEN_SPORT_BASE);
	pktgen_put_be16(h + PKTGEN_OFF_SPORT + 2, PKTGEN_DPORT);
	pktgen_put_be16(h + PKTGEN_OFF_UDP_LEN, (uint16_t)(len - ETH_HDR_LEN - IP_HDR_LEN));
	/* UDP checksum 0: none (RFC 768); the receiver checks the IPv4 header instead. */
	__builtin_memcpy(h + PKTGEN_OFF_MAGIC, pktgen_magic, 4);
	pktgen_put_be16(h + PKTGEN_OFF_TAG, tag);
}

/* The header checks of a frame that carries pktgen's stamp; true if all hold. */
static bool pktgen_headers_ok(const uint8_t *f, uint32_t len, uint32_t flow)
{
	const uint8_t *ip = f + PKTGEN_OFF_IP;

	return ip[0] == IP_VER_IHL && get_be16(ip + 2) == len - ETH_HDR_LEN &&
	       (get_be16(ip + 6) & 0x3fff) == 0 && /* not a fragment */
	       !__builtin_memcmp(ip + 12, ip_src, 4) && !__builtin_memcmp(ip + 16, ip_dst, 4) &&
	       pktgen_ip_csum(ip) == 0 &&
	       get_be16(f + PKTGEN_OFF_UDP_LEN) == len - ETH_HDR_LEN - IP_HDR_LEN &&
	       flow < PKTGEN_MAX_FLOWS &&
	       get_be16(f + PKTGEN_OFF_SPORT) == PKTGEN_SPORT_BASE + flow;
}

enum pktgen_verdict pktgen_frame_parse(const uint8_t *f, uint32_t len, uint16_t tag,
				       struct pktgen_stamp *st)
{
	const uint8_t *ip = f + PKTGEN_OFF_IP;
	uint32_t flow;

	if (len < ETH_HDR_LEN || get_be16(f + PKTGEN_OFF_TYPE) != PKTGEN_ETHERTYPE_IPV4)
		return PKTGEN_NOT_IPV4;
	/* What makes an IPv4 frame pktgen's: UDP to port 9 with the magic. */
	if (len < PKTGEN_HDR_LEN || ip[9] != IP_PROTO_UDP ||
	    get_be16(f + PKTGEN_OFF_SPORT + 2) != PKTGEN_DPORT ||
	    __builtin_memcmp(f + PKTGEN_OFF_MAGIC, pktgen_magic, 4))
		return PKTGEN_FOREIGN;
	if (get_be16(f + PKTGEN_OFF_TAG) != tag)
		return PKTGEN_FOREIGN;
	flow = get_be16(f + PKTGEN_OFF_FLOW);
	if (len > PKTGEN_MAX_FRAME || !pktgen_headers_ok(f, len, flow))
		return PKTGEN_BAD;
	st->flow = flow;
	st->seq = get_be32(f + PKTGEN_OFF_SEQ);
	st->tsc = (uint64_t)get_be16(f + PKTGEN_OFF_TSC) << 32 | get_be32(f + PKTGEN_OFF_TSC + 2);
	return PKTGEN_OK;
}
