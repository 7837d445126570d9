/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net.h - mode=net: traffic between test guests over virtio-net (vnet.h),
 * with frames every byte of which is verified (frame.h).  The roles and
 * their keys are a contract with Ferry's end-to-end tests and benchmarks
 * (README.md, "mode=net"):
 *
 *	server  answer probes, echo requests, count broadcasts
 *	client  probe the peer, send requests (windowed), check replies and RTTs,
 *		then send broadcasts
 *	sink    count only
 *	send    probe the peer, then send frames as fast as possible
 *	recv    answer probes, count and check frames, measure the rate
 *
 * main.c owns the command line: it hands every key it does not know to
 * net_parse_opt() and runs net_run() for mode=net.
 */
#ifndef FERRY_GUEST_NET_H
#define FERRY_GUEST_NET_H

#include "frame.h"

enum net_role {
	NET_ROLE_NONE, /* role= missing: a command-line error for mode=net */
	NET_ROLE_SERVER,
	NET_ROLE_CLIENT,
	NET_ROLE_SINK,
	NET_ROLE_SEND,
	NET_ROLE_RECV,
};

/* The options of mode=net; net_opts_init() sets the defaults. */
struct net_opts {
	enum net_role role; /* role= */
	struct frame_tag tag; /* tag=, default "ferry" */
	uint8_t peer[ETH_ALEN]; /* peer=, for client and send */
	bool has_peer;
	uint64_t count; /* count=: requests, frames to send or to receive */
	bool has_count;
	uint64_t size; /* size=: frame bytes, 64-1514, default 64 */
	uint64_t window; /* window=: client requests in flight, default 32 */
	uint64_t bcast; /* bcast=: broadcasts to send (client) or to see (server) */
	uint64_t linger_ms; /* linger_ms=: server time after its goal, default 300 */
	uint64_t rate; /* rate=: client requests a second at most, 0: as fast as the window allows */
	bool irq; /* irq=msix rather than irq=poll (the default) */
	unsigned int attacks; /* attack=: bit i for net_attack.c's attack i, run before the role */
	bool rxloop; /* attack=rxloop: refused receive chains, kept coming (net_attack.c) */
	uint64_t attack_ms; /* attack_ms=: how long attack=rxloop lasts, default 3000 */
};

void net_opts_init(struct net_opts *o);

/*
 * Applies one key=value of mode=net.  Returns 0, -EINVAL for a bad value, or
 * -ENOENT when @key is not a net option.
 */
int net_parse_opt(struct net_opts *o, const char *key, const char *val);

/*
 * Runs the role.  @timeout_ms is the timeout_ms= option (main.c's default
 * when not given).  Prints one FERRY-RESULT line and returns an EXIT_*
 * status: EXIT_USAGE for inconsistent options, EXIT_FAIL when there is no
 * usable NIC or the role's check failed.
 */
int net_run(const struct net_opts *o, uint64_t timeout_ms);

#endif
