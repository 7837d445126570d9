/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipnode.c - mode=ip (ipnode.h): ARP (RFC 826), ICMP echo (RFC 792) and UDP
 * echo (RFC 862) over the virtio-net driver (vnet.h), in ring 3.
 *
 * Frames come from the network and are checked before anything is read
 * from them: lengths, the IPv4 version and header length, the header and
 * ICMP/UDP checksums.  What is not for this host's MAC and address is only
 * counted.  Answers go back to the frame's source MAC, so the host needs
 * no ARP cache except for the one peer it pings.
 */
#include "ipnode.h"
#include "irq.h"
#include "lib.h"
#include "tsc.h"
#include "uart.h"
#include "vnet.h"

#define ETH_HLEN 14
#define ETH_ARP 0x0806
#define ETH_IP 0x0800
#define ARP_LEN 28
#define IP_HLEN 20
#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO 8
#define UDP_ECHO_PORT 7
#define PING_ID 0xfe77
#define PING_PAYLOAD 56
#define ARP_RETRY_US 200000
#define LINGER_US 1000000 /* after the last request, wait this long for replies */
#define BURST 32

struct ipnode {
	const struct ipnode_opts *o;
	struct vnet nic;
	uint8_t peer_mac[6];
	bool peer_known;
	uint64_t next_arp, next_ping, last_ping_tsc, end;
	uint64_t sent_tsc[64]; /* by sequence number modulo 64: RTTs */
	/* Counters in the result line. */
	uint64_t rx, not_mine, other, bad, arp_answered, icmp_answered, udp_answered;
	uint64_t ping_sent, ping_recv, rtt_min_us, rtt_max_us, rtt_sum_us;
};

void ipnode_opts_init(struct ipnode_opts *o)
{
	*o = (struct ipnode_opts){ .count = 10, .interval_ms = 100 };
}

static int parse_ip(const char *s, uint8_t ip[4])
{
	uint64_t v;
	char part[4];
	size_t n;

	for (int i = 0; i < 4; i++) {
		for (n = 0; s[n] && s[n] != '.' && n < 3; n++)
			part[n] = s[n];
		part[n] = '\0';
		if (n == 0 || parse_u64_range(part, 0, 255, &v))
			return -EINVAL;
		ip[i] = (uint8_t)v;
		s += n;
		if (i < 3 && *s++ != '.')
			return -EINVAL;
	}
	return *s ? -EINVAL : 0;
}

int ipnode_parse_opt(struct ipnode_opts *o, const char *key, const char *val)
{
	if (!strcmp(key, "ip")) {
		o->has_ip = true;
		return parse_ip(val, o->ip);
	}
	if (!strcmp(key, "ping")) {
		o->has_ping = true;
		return parse_ip(val, o->ping);
	}
	if (!strcmp(key, "count"))
		return parse_u64_range(val, 1, 1000000, &o->count);
	if (!strcmp(key, "interval_ms"))
		return parse_u64_range(val, 1, 60000, &o->interval_ms);
	if (!strcmp(key, "min_replies")) {
		o->has_min = true;
		return parse_u64_range(val, 0, 1000000, &o->min_replies);
	}
	if (!strcmp(key, "serve_ms"))
		return parse_u64_range(val, 1, 3600000, &o->serve_ms);
	if (!strcmp(key, "irq")) {
		o->irq = !strcmp(val, "msix");
		return o->irq || !strcmp(val, "poll") ? 0 : -EINVAL;
	}
	return -ENOENT;
}

/* ---- wire helpers ---- */

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* RFC 1071: the one's-complement sum of @len bytes, plus @sum, not folded. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += be16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The UDP pseudo-header (RFC 768) of an IPv4 header @ip, for @len UDP bytes. */
static uint32_t pseudo(const uint8_t *ip, uint16_t len)
{
	return sum16(ip + 12, 8, 17u + len);
}

static bool is_me(const struct ipnode *n, const uint8_t *dst)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	return !memcmp(dst, n->nic.mac, 6) || !memcmp(dst, bcast, 6);
}

/* A transmit buffer with the Ethernet header filled; NULL when the ring is full. */
static uint8_t *tx_frame(struct ipnode *n, const uint8_t *dst, uint16_t type, uint16_t *id)
{
	uint8_t *b = vnet_tx_get(&n->nic, id);

	if (!b)
		return NULL;
	memcpy(b, dst, 6);
	memcpy(b + 6, n->nic.mac, 6);
	put16(b + 12, type);
	return b;
}

static void ip_header(uint8_t *ip, const uint8_t *src, const uint8_t *dst, uint8_t proto,
		      uint16_t len)
{
	memset(ip, 0, IP_HLEN);
	ip[0] = 0x45;
	put16(ip + 2, len);
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	put16(ip + 10, (uint16_t)~fold(sum16(ip, IP_HLEN, 0)));
}

/* ---- receiving ---- */

static void arp_send(struct ipnode *n, uint16_t op, const uint8_t *tha, const uint8_t *tpa)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint16_t id;
	uint8_t *b = tx_frame(n, op == 1 ? bcast : tha, ETH_ARP, &id), *a;

	if (!b)
		return;
	a = b + ETH_HLEN;
	put16(a, 1);
	put16(a + 2, ETH_IP);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, n->nic.mac, 6);
	memcpy(a + 14, n->o->ip, 4);
	memcpy(a + 18, op == 1 ? (const uint8_t[6]){ 0 } : tha, 6);
	memcpy(a + 24, tpa, 4);
	/* Padded to the 60-byte Ethernet minimum. */
	memset(a + ARP_LEN, 0, 60 - ETH_HLEN - ARP_LEN);
	vnet_tx_put(&n->nic, id, 60);
}

static void on_arp(struct ipnode *n, const uint8_t *a, uint32_t len)
{
	if (len < ARP_LEN || be16(a) != 1 || be16(a + 2) != ETH_IP || a[4] != 6 || a[5] != 4) {
		n->bad++;
		return;
	}
	if (n->o->has_ping && !memcmp(a + 14, n->o->ping, 4) && !(a[8] & 1)) {
		memcpy(n->peer_mac, a + 8, 6);
		n->peer_known = true;
	}
	if (be16(a + 6) == 1 && !memcmp(a + 24, n->o->ip, 4)) {
		arp_send(n, 2, a + 8, a + 14);
		n->arp_answered++;
	}
}

/*
 * Answer the ICMP echo request or UDP echo datagram @ip (checked by on_ip):
 * the same payload back to its sender, addresses and ports swapped.
 */
static void reply_ip(struct ipnode *n, const uint8_t *src_mac, const uint8_t *ip, uint16_t tot)
{
	uint16_t id;
	uint8_t *b = tx_frame(n, src_mac, ETH_IP, &id);

	if (!b)
		return;
	memcpy(b + ETH_HLEN, ip, tot);
	if (tot < 46)
		memset(b + ETH_HLEN + tot, 0, 46u - tot);
	ip_header(b + ETH_HLEN, n->o->ip, ip + 12, ip[9], tot);
	if (ip[9] == 1) {
		uint8_t *icmp = b + ETH_HLEN + IP_HLEN;

		icmp[0] = ICMP_ECHO_REPLY;
		put16(icmp + 2, 0);
		put16(icmp + 2, (uint16_t)~fold(sum16(icmp, tot - IP_HLEN, 0)));
	} else {
		uint8_t *u = b + ETH_HLEN + IP_HLEN, *ipo = b + ETH_HLEN;
		uint16_t sp = be16(u), ulen = be16(u + 4), c;

		put16(u, be16(u + 2));
		put16(u + 2, sp);
		put16(u + 6, 0);
		c = (uint16_t)~fold(sum16(u, ulen, pseudo(ipo, ulen)));
		put16(u + 6, c ? c : 0xffff);
	}
	vnet_tx_put(&n->nic, id, ETH_HLEN + (uint32_t)(tot < 46 ? 46 : tot));
}

static void on_echo_reply(struct ipnode *n, const uint8_t *icmp, const uint8_t *ip)
{
	uint16_t seq = be16(icmp + 6);
	uint64_t us;

	if (be16(icmp + 4) != PING_ID || !n->o->has_ping || memcmp(ip + 12, n->o->ping, 4))
		return;
	us = tsc_ticks_to_us(rdtsc() - n->sent_tsc[seq % 64]);
	n->ping_recv++;
	n->rtt_sum_us += us;
	n->rtt_min_us = n->ping_recv == 1 || us < n->rtt_min_us ? us : n->rtt_min_us;
	n->rtt_max_us = us > n->rtt_max_us ? us : n->rtt_max_us;
}

static void on_ip(struct ipnode *n, const uint8_t *src_mac, const uint8_t *ip, uint32_t len)
{
	uint16_t tot = len >= IP_HLEN ? be16(ip + 2) : 0;
	const uint8_t *l4 = ip + IP_HLEN;

	if (len < IP_HLEN || ip[0] != 0x45 || tot < IP_HLEN + 8 || tot > len ||
	    fold(sum16(ip, IP_HLEN, 0)) != 0xffff || (be16(ip + 6) & 0x3fff)) {
		n->bad++;
		return;
	}
	if (memcmp(ip + 16, n->o->ip, 4)) {
		n->not_mine++;
		return;
	}
	if (ip[9] == 1) {
		if (fold(sum16(l4, tot - IP_HLEN, 0)) != 0xffff) {
			n->bad++;
		} else if (l4[0] == ICMP_ECHO) {
			reply_ip(n, src_mac, ip, tot);
			n->icmp_answered++;
		} else if (l4[0] == ICMP_ECHO_REPLY) {
			on_echo_reply(n, l4, ip);
		}
		return;
	}
	if (ip[9] == 17 && be16(l4 + 4) == tot - IP_HLEN) {
		/* A zero UDP checksum means none (RFC 768). */
		if (be16(l4 + 6) &&
		    fold(sum16(l4, tot - IP_HLEN, pseudo(ip, tot - IP_HLEN))) != 0xffff) {
			n->bad++;
		} else if (be16(l4 + 2) == UDP_ECHO_PORT) {
			reply_ip(n, src_mac, ip, tot);
			n->udp_answered++;
		}
		return;
	}
	n->other++;
}

static unsigned int poll_rx(struct ipnode *n)
{
	struct vnet_frame f[BURST];
	unsigned int got = vnet_rx_burst(&n->nic, f, BURST);

	for (unsigned int i = 0; i < got; i++) {
		const uint8_t *d = f[i].data;

		n->rx++;
		if (f[i].len < ETH_HLEN || !is_me(n, d)) {
			n->not_mine++;
			continue;
		}
		if (be16(d + 12) == ETH_ARP)
			on_arp(n, d + ETH_HLEN, f[i].len - ETH_HLEN);
		else if (be16(d + 12) == ETH_IP)
			on_ip(n, d + 6, d + ETH_HLEN, f[i].len - ETH_HLEN);
		else
			n->other++;
	}
	if (got)
		vnet_rx_release(&n->nic, f, got);
	vnet_tx_flush(&n->nic);
	return got;
}

/* ---- pinging ---- */

static void send_ping(struct ipnode *n)
{
	uint16_t id, seq = (uint16_t)n->ping_sent, tot = IP_HLEN + 8 + PING_PAYLOAD;
	uint8_t *b = tx_frame(n, n->peer_mac, ETH_IP, &id), *icmp;

	if (!b)
		return;
	ip_header(b + ETH_HLEN, n->o->ip, n->o->ping, 1, tot);
	icmp = b + ETH_HLEN + IP_HLEN;
	memset(icmp, 0, 8 + PING_PAYLOAD);
	icmp[0] = ICMP_ECHO;
	put16(icmp + 4, PING_ID);
	put16(icmp + 6, seq);
	for (unsigned int i = 0; i < PING_PAYLOAD; i++)
		icmp[8 + i] = (uint8_t)i;
	put16(icmp + 2, (uint16_t)~fold(sum16(icmp, 8 + PING_PAYLOAD, 0)));
	vnet_tx_put(&n->nic, id, ETH_HLEN + tot);
	n->sent_tsc[seq % 64] = rdtsc();
	n->last_ping_tsc = rdtsc();
	n->ping_sent++;
}

/* Whatever is due: an ARP request for the peer, or its next echo request. */
static void pinger(struct ipnode *n)
{
	if (!n->o->has_ping || n->ping_sent >= n->o->count)
		return;
	if (!n->peer_known) {
		if (tsc_passed(n->next_arp)) {
			arp_send(n, 1, NULL, n->o->ping);
			n->next_arp = tsc_deadline_us(ARP_RETRY_US);
		}
		return;
	}
	if (tsc_passed(n->next_ping)) {
		send_ping(n);
		n->next_ping = tsc_deadline_us(n->o->interval_ms * 1000);
	}
	vnet_tx_flush(&n->nic);
}

static bool done(const struct ipnode *n)
{
	if (tsc_passed(n->end))
		return true;
	if (n->o->serve_ms || !n->o->has_ping || n->ping_sent < n->o->count)
		return false;
	return n->ping_recv >= n->ping_sent ||
	       tsc_ticks_to_us(rdtsc() - n->last_ping_tsc) >= LINGER_US;
}

static void fmt_ip(char *buf, const uint8_t *ip)
{
	snprintf(buf, 16, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
}

int ipnode_run(const struct ipnode_opts *o, uint64_t timeout_ms)
{
	static struct ipnode node; /* the NIC state is large: not on the ring-3 stack */
	struct ipnode *n = &node;
	uint64_t min = o->has_min ? o->min_replies : o->count;
	char ip[16];
	bool ok;

	if (!o->has_ip) {
		con_log("error: mode=ip needs ip=A.B.C.D\n");
		con_printf(RESULT_PREFIX "error=cmdline\n");
		return EXIT_USAGE;
	}
	*n = (struct ipnode){ .o = o };
	if ((o->irq && irq_init()) || vnet_open(&n->nic, o->irq ? IRQ_VEC_NET : 0)) {
		con_printf(RESULT_PREFIX "mode=ip error=nic\n");
		return EXIT_FAIL;
	}
	n->end = tsc_deadline_us((o->serve_ms ? o->serve_ms : timeout_ms) * 1000);
	n->next_arp = n->next_ping = rdtsc();
	while (!done(n)) {
		pinger(n);
		if (!poll_rx(n) && o->irq)
			vnet_rx_wait(&n->nic, tsc_deadline_us(o->has_ping ? 1000 : 100000));
	}
	fmt_ip(ip, o->ip);
	con_printf(RESULT_PREFIX
		   "mode=ip ip=%s rx=%lu not_mine=%lu other=%lu bad=%lu "
		   "arp_answered=%lu icmp_answered=%lu udp_answered=%lu ping_sent=%lu "
		   "ping_recv=%lu rtt_min_us=%lu rtt_avg_us=%lu rtt_max_us=%lu\n",
		   ip, n->rx, n->not_mine, n->other, n->bad, n->arp_answered, n->icmp_answered,
		   n->udp_answered, n->ping_sent, n->ping_recv, n->rtt_min_us,
		   n->ping_recv ? n->rtt_sum_us / n->ping_recv : 0, n->rtt_max_us);
	ok = !o->has_ping || n->ping_recv >= min;
	vnet_close(&n->nic);
	if (o->irq)
		irq_fini();
	return ok ? EXIT_OK : EXIT_FAIL;
}
