/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * wg.h - the switch's WireGuard tunnel between VTEPs, public API.
 *
 * With WireGuard enabled, the switch is one WireGuard interface: a private
 * key, a UDP port on the local VTEP address, an address of its own inside
 * the tunnel (the VTEP address the far side's VXLAN talks to), and peers,
 * each with a public key, an optional endpoint and preshared key, allowed
 * IPs and a persistent keepalive, as wireguard-tools configures them.  A
 * remote VTEP whose address falls in a peer's allowed IPs is encrypted: its
 * VXLAN packets are sealed into WireGuard data messages to that peer, and
 * only VXLAN that arrives sealed by that peer is taken from it.  A tenant
 * marked encrypted refuses VXLAN that did not come through the tunnel.
 *
 * Data messages are sealed and opened on the PMDs (wg_dp.c), in bursts,
 * with no system call per packet; handshakes, cookies, keepalives and
 * timers run on the tunnel's own thread (wg.c, wg_hs.c), which talks through
 * a kernel UDP socket: a flood of initiations costs that thread, never a
 * PMD.  Keys, handshakes and timers follow the whitepaper (wireguard/).
 *
 * All functions are control plane, callable from any thread but a PMD.
 */
#ifndef FERRY_VSWITCH_WG_H
#define FERRY_VSWITCH_WG_H

#include <stdbool.h>
#include <stdint.h>

#include "vswitch/vswitch.h"

#define VSW_WG_MAX_PEERS 64
#define VSW_WG_MAX_ALLOWED 64 /* allowed-IP prefixes per peer */
#define VSW_WG_PORT 51820

struct vsw_wg_opts {
	uint8_t private_key[32];
	uint16_t listen_port; /* on the local VTEP address; default VSW_WG_PORT */
	struct vsw_addr address; /* our VTEP address inside the tunnel */
	double time_scale; /* the whitepaper's timers times this; tests only, 0 = 1 */
	uint64_t rekey_after_messages; /* tests only: 0 = 2^60 */
};

struct vsw_wg_peer_opts {
	uint8_t public_key[32];
	bool has_psk;
	uint8_t psk[32];
	struct vsw_addr endpoint; /* family 0: none until the peer reaches us */
	uint16_t endpoint_port;
	const struct vsw_prefix *allowed; /* copied */
	unsigned int n_allowed;
	uint16_t persistent_keepalive_s; /* 0 = off */
};

struct vsw_wg_peer_stats {
	uint8_t public_key[32];
	struct vsw_addr endpoint; /* family 0: none */
	uint16_t endpoint_port;
	unsigned int n_allowed;
	struct vsw_prefix allowed[VSW_WG_MAX_ALLOWED];
	uint16_t persistent_keepalive_s;
	uint64_t last_handshake_s; /* wall clock (seconds since 1970) of the last one; 0 = never */
	uint64_t handshakes; /* completed */
	bool session; /* a keypair to send with */
	uint64_t rx_bytes, tx_bytes; /* data messages, as `wg show` counts them */
	uint64_t rx_packets, tx_packets;
	uint64_t staged; /* packets waiting for a handshake now */
};

/* Handshake-side counters (the tunnel's thread). */
enum vsw_wg_ctr {
	VSW_WG_INIT_RX, /* initiations processed */
	VSW_WG_INIT_TX,
	VSW_WG_RESP_RX,
	VSW_WG_RESP_TX,
	VSW_WG_COOKIE_RX,
	VSW_WG_COOKIE_TX, /* cookie replies sent (under load) */
	VSW_WG_KEEPALIVE_TX,
	VSW_WG_KEEPALIVE_RX,
	VSW_WG_BAD_MSG, /* wrong length or type */
	VSW_WG_BAD_MAC1, /* not for our key, or altered */
	VSW_WG_BAD_HANDSHAKE, /* failed to authenticate */
	VSW_WG_UNKNOWN_PEER, /* a valid initiation from a key we do not know */
	VSW_WG_REPLAYED, /* an initiation not newer than the last from its peer */
	VSW_WG_FLOOD, /* initiations from one peer more often than 50 a second */
	VSW_WG_RATE_LIMITED, /* under load, over the per-address handshake rate */
	VSW_WG_UNKNOWN_INDEX, /* a response or cookie for no handshake of ours */
	VSW_WG_ROAMED, /* endpoint updates from authenticated packets */
	VSW_WG_LOAD_EPISODES, /* times the thread went under load */
	VSW_WG_CTR_MAX
};

struct vsw_wg_stats {
	bool enabled;
	uint8_t public_key[32];
	uint16_t listen_port;
	struct vsw_addr address;
	unsigned int n_peers;
	bool under_load; /* now */
	uint64_t ctr[VSW_WG_CTR_MAX];
};

/*
 * Bring the tunnel up: -ENODEV without an overlay (it listens on the local
 * VTEP address), -EALREADY the second time, -EINVAL for an address of
 * another family than the remote VTEPs can have, -EADDRINUSE when the port
 * is taken.
 */
int vsw_wg_enable(struct vsw *sw, const struct vsw_wg_opts *o);

/* -EEXIST for a known key, -ENOSPC when full, -EINVAL for bad options. */
int vsw_wg_peer_add(struct vsw *sw, const struct vsw_wg_peer_opts *p);
int vsw_wg_peer_remove(struct vsw *sw, const uint8_t public_key[32]);

/*
 * Carry tenant @vni only through the tunnel: VXLAN for it that did not come
 * through WireGuard is dropped ("unencrypted"), and its VTEPs must be in
 * some peer's allowed IPs.
 */
int vsw_tenant_encrypted(struct vsw *sw, uint32_t vni, bool encrypted);

int vsw_wg_stats(struct vsw *sw, struct vsw_wg_stats *st);
/* Up to @max peers; returns how many were stored. */
unsigned int vsw_wg_peers(struct vsw *sw, struct vsw_wg_peer_stats *out, unsigned int max);
/* Stable names of enum vsw_wg_ctr: "initiations_rx", ... */
const char *vsw_wg_ctr_name(enum vsw_wg_ctr c);

#endif
