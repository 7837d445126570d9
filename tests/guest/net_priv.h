/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_priv.h - what the files of mode=net share: the run context, the
 * receive loop that checks every frame, answering, and result-line helpers.
 * net.c holds these plus the server and sink roles; net_client.c the
 * client; net_blast.c send and recv.  pktgen.c (mode=pktgen) borrows the
 * context, the probe and the transmit helpers.  Other users take net.h.
 */
#ifndef FERRY_GUEST_NET_PRIV_H
#define FERRY_GUEST_NET_PRIV_H

#include "net.h"
#include "vnet.h"

#define NET_BURST 32 /* frames per receive burst and per transmit batch */
#define NET_TX_WAIT_US 1000000 /* a transmit ring full for this long: the device is stuck */
#define NET_MAC_STR 18 /* "aa:bb:cc:dd:ee:ff" and a NUL */

/* One run of one role. */
struct net_ctx {
	const struct net_opts *o;
	struct vnet nic;
	uint64_t timeout_us; /* timeout_ms= in microseconds */
	uint64_t deadline; /* TSC: when the role gives up (or stops lingering) */
	uint64_t now; /* TSC when the current receive burst was taken */
	bool answers_probes; /* server and recv: reply to probes for us */
	bool peer_seen; /* a probe reply came from o->peer */
	uint64_t received; /* our frames the role counted (its own meaning) */
	uint64_t bcast_rx; /* our broadcasts */
	uint64_t foreign; /* another EtherType or another tag */
	uint64_t rarp; /* announces (frame_is_rarp), not foreign */
	uint64_t bad; /* ours but broken (frame_check), or a device error */
	uint64_t probes; /* probes answered, or probe replies seen */
	uint64_t flooded; /* our unicast frames addressed to someone else */
	uint64_t tx_stalls; /* answers dropped because the transmit ring stayed full */
};

/* Called for every frame of ours that net_poll() does not consume itself. */
typedef void (*net_frame_fn)(struct net_ctx *c, const struct vnet_frame *f,
			     const struct frame_info *fi);

/*
 * Receives one burst, checks every frame, counts foreign and bad ones,
 * answers probes (if c->answers_probes), notes probe replies from the peer,
 * hands the rest to @fn, gives the buffers back and flushes any answers.
 * Returns the frames received.
 */
unsigned int net_poll(struct net_ctx *c, net_frame_fn fn);

/*
 * Receives until a frame arrives or @deadline passes: polls once, then
 * sleeps on the receive interrupt with irq=msix.  Returns frames received.
 */
unsigned int net_poll_wait(struct net_ctx *c, net_frame_fn fn, uint64_t deadline);

/* Sends @f back to its sender as @kind (queued; net_poll() flushes). */
bool net_answer(struct net_ctx *c, const struct vnet_frame *f, enum frame_kind kind);

/*
 * A transmit buffer, waiting (flushing, reclaiming) until one is free, for
 * at most NET_TX_WAIT_US and never past c->deadline; NULL then.
 */
uint8_t *net_tx_get(struct net_ctx *c, uint16_t *id);

/* Waits until the device has taken every queued frame (or @deadline). */
void net_tx_drain(struct net_ctx *c, uint64_t deadline);

/*
 * Sends a probe to o->peer every few ms until its reply arrives (so guests
 * may start in any order); -ETIMEDOUT after timeout_ms.
 */
int net_probe_peer(struct net_ctx *c, net_frame_fn fn);

/*
 * Handles a probe or probe reply that frame_check() accepted: answers a
 * probe for us (if c->answers_probes), notes a reply from o->peer.  Returns
 * true if @fi was one of those (consumed), false for any other kind.
 */
bool net_probe_frame(struct net_ctx *c, const struct vnet_frame *f, const struct frame_info *fi);

/*
 * Sets up @c for options @o (tag, peer, irq are what the driver side uses)
 * and opens the NIC; c->deadline is then @timeout_ms away.  Returns 0, or
 * -ENODEV having printed why.  mode=pktgen (pktgen.c) runs on this too.
 */
int net_ctx_open(struct net_ctx *c, const struct net_opts *o, uint64_t timeout_ms);
/* Stops the NIC (and the interrupt timer) of @c. */
void net_ctx_close(struct net_ctx *c);

bool net_for_me(const struct net_ctx *c, const struct frame_info *fi);
void net_fmt_mac(char *buf, const uint8_t *mac);

/*
 * Formats the start of the result line: "mode=net role=R tag=T mac=M" into
 * @buf (at least 128 bytes).
 */
void net_result_head(const struct net_ctx *c, char *buf, size_t len);

/* foreign= bad= and the driver counters every role reports, appended to @buf. */
size_t net_result_tail(const struct net_ctx *c, char *buf, size_t len);

uint64_t net_elapsed_us(uint64_t start_tsc);

/* attack= (net_attack.c): parse one name, "all" or "rxloop" into @o. */
int net_parse_attack(struct net_opts *o, const char *val);
/*
 * Runs every attack in o->attacks on a fresh NIC each and prints one result
 * line, then attack=rxloop and its line; 0 when the device asked for a reset
 * after every ring attack and refused the rxloop's chains without one.
 */
int net_attacks(const struct net_opts *o, uint64_t timeout_ms);

/* The roles in net_client.c and net_blast.c. */
int net_role_client(struct net_ctx *c);
int net_role_send(struct net_ctx *c);
int net_role_recv(struct net_ctx *c);

#endif
