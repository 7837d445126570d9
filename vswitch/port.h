/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port.h - the one ops table every switch port implements.
 *
 * The switch (vswitch.c, pmd.c, forward.c) sees ports only through struct
 * vsw_port_ops; a kind lives in one file (port_dummy.c, port_vnet.c; later
 * tap, AF_XDP uplink, VXLAN) and finds its private state with container_of().
 * Life cycle, as OVS's netdev: alloc -> construct -> [datapath] -> destruct ->
 * dealloc; alloc and construct may fail, destruct and dealloc may not.
 *
 * Threads: alloc/construct/destruct/dealloc/get_stats run on the control
 * thread.  rx_burst, tx_burst and the notify ops run on the PMD that owns the
 * queue; destruct runs only after an RCU grace period, when no PMD can call
 * into the port any more.  Each rx queue has exactly one PMD.  A tx queue is
 * used by one PMD unless the port has fewer tx queues than the switch has
 * PMDs; then the switch serialises it with the queue's spinlock (as OVS does
 * for "concurrent txq"), so drivers never lock.
 */
#ifndef FERRY_VSWITCH_PORT_H
#define FERRY_VSWITCH_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>

#include "util/lock.h"
#include "vswitch/capture.h"
#include "vswitch/vswitch.h"

struct rte_mbuf;
struct rte_mempool;
struct vsw_tenant;
struct vsw_filter_stats;

/* What an uplink with an XDP program drops before the switch (overlay.h). */
struct vsw_port_filter {
	bool enforce_vteps; /* sources must be in @prefixes */
	bool enforce_vnis; /* VXLAN VNIs must be in @vnis */
	uint32_t rate_pps, burst; /* per source; rate 0 = no limit */
	const struct vsw_prefix *prefixes;
	unsigned int n_prefixes;
	const uint32_t *vnis;
	unsigned int n_vnis;
};

#define VSW_PORT_MAX_QUEUES 16 /* rx and tx queues per port */

/*
 * Transmit offloads a port takes (tx_offloads op): a pending TCP/UDP
 * checksum (RTE_MBUF_F_TX_{TCP,UDP}_CKSUM, pseudo-header sum in the field),
 * and whole TSO frames (RTE_MBUF_F_TX_TCP_SEG) over IPv4 and IPv6.
 */
#define VSW_TXO_CSUM 1u
#define VSW_TXO_TSO4 2u
#define VSW_TXO_TSO6 4u
#define VSW_PMD_NONE 0xffffu /* rx queue assigned to no PMD */

struct vsw_port_ops {
	const char *kind; /* "dummy", "vnet", ... as in struct vsw_port_cfg */
	/*
	 * An uplink (AF_XDP, DPDK PMD) belongs to no tenant: what it receives
	 * goes to the overlay (overlay_dp.c), and the overlay sends through it.
	 */
	bool uplink;
	/*
	 * wait_fd is a socket that stays readable while the queue has work
	 * (AF_XDP), not an eventfd: the PMD only waits on it, never reads it.
	 */
	bool wait_fd_level;
	struct vsw_port *(*alloc)(void);
	/*
	 * Validate @args (the kind's own struct) and set up the port; must set
	 * n_rxq and n_txq (1 .. VSW_PORT_MAX_QUEUES).  0 or -errno.
	 */
	int (*construct)(struct vsw_port *port, const void *args);
	void (*destruct)(struct vsw_port *port);
	void (*dealloc)(struct vsw_port *port);
	/* Frames from the port, allocated from port->pool; returns the count. */
	uint16_t (*rx_burst)(struct vsw_port *port, uint16_t q, struct rte_mbuf **pkts, uint16_t n);
	/*
	 * Send frames; returns how many were taken, in order from pkts[0].  The
	 * port owns (and eventually frees) what it took; the switch frees the
	 * rest and counts them as drops.  A frame may be shared with other ports
	 * (refcnt > 1 when flooding): a port must not write into it.
	 */
	uint16_t (*tx_burst)(struct vsw_port *port, uint16_t q, struct rte_mbuf **pkts, uint16_t n);
	void (*get_stats)(const struct vsw_port *port, struct vsw_port_drv_stats *st);
	/*
	 * Idle sleep: an eventfd that becomes readable when rx queue @q has work
	 * while notifications are enabled, or -1 if the queue cannot notify (the
	 * PMD then sleeps with a short timeout).  The owning PMD reads the
	 * eventfd to reset it; nobody else may read it while the queue polls.
	 */
	int (*wait_fd)(struct vsw_port *port, uint16_t q);
	/* Ask for notifications; true if work is already pending (do not sleep). */
	bool (*enable_notify)(struct vsw_port *port, uint16_t q);
	void (*disable_notify)(struct vsw_port *port, uint16_t q);
	/*
	 * Optional: TSC of the last notification sent for @q (0 = unknown), so
	 * the PMD can measure its wake-up latency.
	 */
	uint64_t (*notify_tsc)(struct vsw_port *port, uint16_t q);
	/*
	 * Optional: the offloads (VSW_TXO_*) frames given to tx_burst may ask of
	 * the port now; the switch does the rest itself (gso.c).  NULL: none.
	 */
	unsigned int (*tx_offloads)(const struct vsw_port *port);
	/* Optional: one line on how the port runs ("afxdp on veth0: native XDP, copy mode"). */
	void (*describe)(const struct vsw_port *port, char *buf, size_t len);
	/*
	 * Optional, uplinks that filter in XDP: make the filter exactly @f
	 * (control thread), and read its counters.
	 */
	int (*set_filter)(struct vsw_port *port, const struct vsw_port_filter *f);
	void (*filter_stats)(const struct vsw_port *port, struct vsw_filter_stats *st);
};

/* The part of every port the switch owns; kinds embed it. */
struct vsw_port {
	const struct vsw_port_ops *ops;
	struct vsw *sw; /* the switch this port is attached to */
	struct vsw_tenant *tenant; /* fixed for the port's life; NULL for an uplink */
	struct rte_mempool *pool; /* rx buffers come from here */
	char name[VSW_NAME_LEN];
	uint16_t id; /* index in the switch's port table */
	uint16_t n_rxq, n_txq; /* set by construct */
	bool shared_txq; /* fewer tx queues than PMDs: txq_lock serialises them */
	/*
	 * Set by construct: frames go to tx queue (flow hash % n_txq) rather than
	 * the PMD's own, so a guest's receive queues share the flows and each
	 * flow keeps its order (then txq_lock is taken whenever PMDs > 1).
	 */
	bool txq_by_flow;
	struct spinlock txq_lock[VSW_PORT_MAX_QUEUES];
	/* PMD polling each rx queue, VSW_PMD_NONE while moving (control side only). */
	uint16_t rxq_pmd[VSW_PORT_MAX_QUEUES];
	/*
	 * Set by construct where the kind knows them.  A tenant port's MAC is its
	 * NIC's (tunnel frames may not claim it); an uplink's is its source MAC,
	 * and ifindex/mtu are how the underlay finds it and sizes packets.
	 */
	bool has_mac;
	uint8_t mac[6];
	int ifindex; /* uplinks: the kernel interface routes name; 0 = none */
	uint32_t mtu; /* uplinks: largest L3 packet the port can send; 0 = unknown */
	/* Packet captures on the port (capture.c); n_cap lets PMDs skip them in one load. */
	struct vsw_capture *_Atomic cap[VSW_CAPTURES_PER_PORT];
	_Atomic unsigned int n_cap;
};

/* capture.c: copy a burst a port received (@tx false) or is given to its captures. */
void vsw_capture_burst(struct vsw *sw, struct vsw_port *port, struct rte_mbuf **pkts, uint16_t n,
		       bool tx);
static inline void vsw_capture_hook(struct vsw *sw, struct vsw_port *port, struct rte_mbuf **pkts,
				    uint16_t n, bool tx)
{
	/* Zero cost without a capture: one relaxed load per burst. */
	if (__builtin_expect(atomic_load_explicit(&port->n_cap, memory_order_relaxed) != 0, 0))
		vsw_capture_burst(sw, port, pkts, n, tx);
}

/* The kinds (port.c lists them). */
extern const struct vsw_port_ops vsw_port_dummy_ops;
extern const struct vsw_port_ops vsw_port_dummy_uplink_ops;
extern const struct vsw_port_ops vsw_port_vnet_ops;
extern const struct vsw_port_ops vsw_port_afxdp_ops;
extern const struct vsw_port_ops vsw_port_dpdk_ops;
extern const struct vsw_port_ops vsw_port_tap_ops;

/* Kind lookup by name; NULL if unknown. */
const struct vsw_port_ops *vsw_port_kind_find(const char *kind);

/*
 * For drivers: the port's wait fds may have changed (a queue stopped and may
 * restart with another eventfd); PMDs re-read them before their next sleep.
 * Callable from any thread except a PMD.
 */
void vsw_port_fds_changed(struct vsw_port *port);

#endif
