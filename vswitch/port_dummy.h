/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port_dummy.h - the "dummy" port kind: rte_ring queues that tests (and the
 * micro-benchmark) fill and drain directly, like OVS's netdev-dummy.  Each rx
 * queue has an eventfd that behaves like a virtio driver's kick: written on
 * inject only while the PMD has notifications enabled, so PMD sleep and
 * wake-up can be tested without a guest.  Kind "dummy_uplink" is the same
 * as an uplink (port.h): its frames go to and come from the overlay, so
 * VXLAN can be tested with crafted packets.
 */
#ifndef FERRY_VSWITCH_PORT_DUMMY_H
#define FERRY_VSWITCH_PORT_DUMMY_H

#include <stdbool.h>
#include <stdint.h>

struct rte_mbuf;
struct vsw_port;

struct vsw_dummy_args {
	uint16_t n_rxq, n_txq; /* 0 = 1 */
	unsigned int ring_size; /* power of two; 0 = 1024 */
	/* Optional identity (port.h): a NIC's MAC, or an uplink's MAC, ifindex and MTU. */
	bool has_mac;
	uint8_t mac[6];
	int ifindex;
	uint32_t mtu;
};

/* Frames into rx queue @q (towards the switch); returns how many fit, the caller frees the rest. */
uint16_t vsw_dummy_inject(struct vsw_port *port, uint16_t q, struct rte_mbuf **pkts, uint16_t n);
/* Frames the switch sent on tx queue @q; the caller owns and frees them. */
uint16_t vsw_dummy_collect(struct vsw_port *port, uint16_t q, struct rte_mbuf **pkts, uint16_t n);
/* Whether the PMD polling rx queue @q has asked to be notified (it is asleep or going to sleep). */
bool vsw_dummy_notify_enabled(struct vsw_port *port, uint16_t q);
/* Frames waiting in rx queue @q. */
unsigned int vsw_dummy_rx_pending(struct vsw_port *port, uint16_t q);

#endif
