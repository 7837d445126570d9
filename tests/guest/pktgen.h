/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pktgen.h - mode=pktgen: a packet generator and a measuring receiver for
 * benchmarking Ferry's switch from inside its guests (README.md,
 * "mode=pktgen").  role=tx sends IPv4/UDP frames (pktgen_wire.h) at a rate
 * paced from the TSC over N flows; role=rx counts them, tracks each flow's
 * sequence numbers and measures one-way latency against the TSC both guests
 * share (pktgen_stats.h).  It runs on mode=net's driver and context
 * (net_priv.h), whose probe makes start order irrelevant.
 *
 * The keys and result keys are a contract with bench/ferry_bench.  main.c
 * hands every key of mode=pktgen it does not know to pktgen_parse_opt() and
 * runs pktgen_run().
 */
#ifndef FERRY_GUEST_PKTGEN_H
#define FERRY_GUEST_PKTGEN_H

#include "net.h"

enum pktgen_role {
	PKTGEN_ROLE_NONE, /* role= missing: a command-line error */
	PKTGEN_ROLE_TX,
	PKTGEN_ROLE_RX,
};

struct pktgen_opts {
	struct net_opts net; /* tag=, peer=, irq=: parsed by net_parse_opt(); role unused */
	enum pktgen_role role; /* role= */
	bool imix; /* size=imix: 7:4:1 of 64, 576 and 1500 bytes with FCS */
	uint64_t size; /* size=, with FCS (64-1518, default 64); frames are 4 bytes shorter */
	uint64_t rate; /* rate=: frames per second; 0 (the default): as fast as the ring takes */
	uint64_t duration_ms; /* duration_ms= (required): tx sends for this long; rx's limit */
	bool has_duration;
	uint64_t flows; /* flows=: UDP source ports to round-robin, default 1 */
	uint64_t burst; /* burst=: frames per paced burst and per publish, default 32 */
	uint64_t idle_ms; /* idle_ms=: rx ends this long after the last frame, default 500 */
};

void pktgen_opts_init(struct pktgen_opts *o);

/*
 * Applies one key=value of mode=pktgen.  Returns 0, -EINVAL for a bad value,
 * or -ENOENT when @key is not a pktgen option.
 */
int pktgen_parse_opt(struct pktgen_opts *o, const char *key, const char *val);

/*
 * Runs the role.  @timeout_ms bounds tx's probe of its peer.  Prints one
 * FERRY-RESULT line and returns an EXIT_* status: EXIT_USAGE for missing or
 * inconsistent options; EXIT_FAIL without a NIC, for a tx that sent
 * nothing, or for an rx that saw bad or foreign frames.
 */
int pktgen_run(const struct pktgen_opts *o, uint64_t timeout_ms);

#endif
