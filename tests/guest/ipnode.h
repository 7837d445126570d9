/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipnode.h - mode=ip: the guest as a small IPv4 host on its virtio-net NIC,
 * so that real peers (a Linux host behind a vxlan device, another guest
 * across hosts) can talk to it with their own tools: it answers ARP for its
 * address, ICMP echo requests and UDP to the echo port (RFC 862), and can
 * ping a peer itself, resolving it by ARP first.  Keys (README.md):
 *
 *	ip=A.B.C.D        its address (required)
 *	ping=A.B.C.D      ping this peer: count= requests, interval_ms= apart
 *	min_replies=N     fail unless this many replies came (default: count)
 *	serve_ms=N        keep answering this long (default: until the pings are done)
 *	irq=msix          sleep between frames instead of polling
 */
#ifndef FERRY_GUEST_IPNODE_H
#define FERRY_GUEST_IPNODE_H

#include "guest.h"

struct ipnode_opts {
	uint8_t ip[4];
	bool has_ip;
	uint8_t ping[4];
	bool has_ping;
	uint64_t count; /* echo requests to send */
	uint64_t interval_ms;
	uint64_t min_replies;
	bool has_min;
	uint64_t serve_ms; /* 0: stop when the pings are done */
	bool irq;
};

void ipnode_opts_init(struct ipnode_opts *o);
/* One key=value of mode=ip: 0, -EINVAL, or -ENOENT when @key is not one of ours. */
int ipnode_parse_opt(struct ipnode_opts *o, const char *key, const char *val);
/* Runs the mode; prints one FERRY-RESULT line; returns an EXIT_* status. */
int ipnode_run(const struct ipnode_opts *o, uint64_t timeout_ms);

#endif
