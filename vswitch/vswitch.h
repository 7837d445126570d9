/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vswitch.h - the public API of Ferry's poll-mode virtual switch.
 *
 * A switch owns PMD threads, tenants (bridge domains keyed by a 24-bit VNI,
 * each with its own MAC table) and ports (port.h: one ops table, kinds such
 * as "dummy" and "vnet").  Everything here is control plane: callers are the
 * ferry main thread, the control socket and tests; the functions may block
 * briefly (an RCU grace period) but never wait on a guest.  The data path is
 * entirely inside vswitch/ (pmd.c, forward.c) and is reached by nobody else.
 *
 * The DPDK EAL underneath is per process (eal.h); the first vsw_create() of a
 * process initialises it from the switch options when nobody did before.
 */
#ifndef FERRY_VSWITCH_VSWITCH_H
#define FERRY_VSWITCH_VSWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vswitch/eal.h"

#define VSW_MAX_PORTS 256 /* port ids are 0 .. VSW_MAX_PORTS - 1 */
#define VSW_MAX_TENANTS 64 /* bridge domains per switch */
#define VSW_MAX_PMDS 16 /* PMD threads per switch */
#define VSW_MAX_CAPTURES 16 /* packet captures at once (capture.h) */
#define VSW_BURST_MAX 64 /* largest rx burst (rte_hash bulk lookup limit) */
#define VSW_MAX_VNI 0xffffffu /* VNIs are 24 bits (RFC 7348) */
#define VSW_PORT_NONE 0xffffu /* "no port" in FDB lookups */
#define VSW_NAME_LEN 32 /* port names, including the NUL */
#define VSW_MAX_VTEPS 1024 /* remote VTEPs per switch, seeded and learned */
/* An FDB answer with this bit is remote: the MAC sits behind VTEP (answer & ~VSW_FDB_VTEP). */
#define VSW_FDB_VTEP 0x8000u
#define VSW_ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

/* Whether an FDB answer names a remote VTEP (not a port, not VSW_PORT_NONE). */
static inline bool vsw_fdb_is_vtep(uint16_t v)
{
	return v >= VSW_FDB_VTEP && v < VSW_FDB_VTEP + VSW_MAX_VTEPS;
}

/*
 * An underlay address: IPv4 (the first 4 bytes of @a) or IPv6, zero-padded
 * so that it can be compared with memcmp and used as a hash key.
 */
struct vsw_addr {
	uint8_t family; /* AF_INET or AF_INET6; 0 = none */
	uint8_t pad[3];
	uint8_t a[16];
};

struct vsw;
struct vsw_port;

struct vsw_opts {
	/* PMD threads; 0 = none: the caller drives forwarding with vsw_poll(). */
	unsigned int pmd_threads;
	int pmd_cpus[VSW_MAX_PMDS]; /* CPU of PMD i, -1 = inherit the creator's mask */
	unsigned int idle_sleep_us; /* idle time before a PMD sleeps; 0 = never sleep */
	unsigned int burst; /* rx burst size, 1 .. VSW_BURST_MAX */
	unsigned int mac_aging_s; /* FDB entry lifetime without traffic; 0 = never age */
	unsigned int fdb_size; /* MAC entries per tenant */
	struct vsw_eal_opts eal; /* used only if this switch initialises the EAL */
};

/* Why a frame was dropped; per port (ingress, except TX which is egress). */
enum vsw_drop_reason {
	VSW_DROP_RUNT, /* shorter than an Ethernet header */
	VSW_DROP_BAD_SRC, /* multicast or all-zero source MAC */
	VSW_DROP_HAIRPIN, /* destination learned on the ingress port */
	VSW_DROP_NO_DEST, /* flood with no other port in the tenant */
	VSW_DROP_TX, /* the egress port did not take the frame */
	VSW_DROP_OFFLOAD, /* no mbufs, or unusable metadata, to segment or checksum it for the port */
	VSW_DROP_MAX
};

/* Counters a port driver keeps itself (port.h, get_stats op). */
#define VSW_STATS_MAX_QUEUES 16

struct vsw_port_drv_stats {
	uint64_t rx_missed; /* frames the driver lost before the switch saw them */
	uint64_t tx_errors; /* frames the driver failed to deliver after accepting */
	uint64_t notifications; /* wake-ups the port sent to a sleeping PMD */
	/* Per queue, where the kind counts them (vnet: the device's queue pairs); else 0. */
	uint16_t n_queues;
	uint64_t q_rx[VSW_STATS_MAX_QUEUES]; /* frames received on queue q */
	uint64_t q_tx[VSW_STATS_MAX_QUEUES]; /* frames delivered on queue q */
};

struct vsw_port_stats {
	char name[VSW_NAME_LEN];
	const char *kind; /* static string of the port kind */
	uint32_t vni; /* tenant the port belongs to; 0 for an uplink */
	bool uplink; /* carries the overlay (overlay.h), belongs to no tenant */
	char info[96]; /* how the port runs, from its kind ("native XDP, copy mode"); may be "" */
	uint16_t n_rxq, n_txq;
	uint64_t rx_packets, rx_bytes; /* frames received from the port */
	uint64_t tx_packets, tx_bytes; /* frames the port accepted */
	/*
	 * Of those, the frames it delivered: tx_packets less drv.tx_errors.  A
	 * vnet port accepts every frame and drops the ones its guest has no
	 * buffer for itself, so only this counts what reached the guest.
	 */
	uint64_t tx_delivered;
	uint64_t drops[VSW_DROP_MAX];
	/*
	 * TCP segmentation offload: TSO frames received from the port (a guest's
	 * up-to-64 KiB segments), passed to it whole, and cut into MTU-sized
	 * segments by the switch because the port takes no TSO (gso.c).
	 */
	uint64_t gso_rx, gso_tx, gso_split;
	uint64_t csum_sw; /* frames whose pending L4 checksum the switch completed for the port */
	struct vsw_port_drv_stats drv;
};

struct vsw_tenant_stats {
	uint32_t vni;
	unsigned int n_ports;
	uint32_t fdb_entries; /* MACs currently learned */
	uint64_t rx_packets, rx_bytes; /* frames entering the tenant from any port */
	uint64_t unicast; /* frames forwarded to one learned port */
	uint64_t flooded; /* frames replicated to all other ports */
	uint64_t dropped; /* frames dropped on ingress (any reason) */
	uint64_t learned, moved, aged; /* FDB events */
	uint64_t learn_failed; /* table full or writer busy: not learned this time */
};

#define VSW_LAT_BUCKETS 16 /* wake latency histogram: bucket i counts < 2^i us */

struct vsw_pmd_stats {
	int cpu; /* pinned CPU or -1 */
	unsigned int n_rxq; /* queues this PMD polls */
	uint64_t iterations, busy_iterations;
	uint64_t rx_packets, tx_packets;
	uint64_t sleeps; /* times the PMD slept in epoll_wait */
	uint64_t sleep_aborts; /* went to sleep but found pending work when arming */
	uint64_t wakeups_measured; /* wakes whose latency was measured */
	uint64_t wake_lat_min_ns, wake_lat_max_ns, wake_lat_sum_ns;
	uint64_t wake_lat_hist[VSW_LAT_BUCKETS];
};

/* What vsw_port_add() needs; @args is the kind's own parameter struct. */
struct vsw_port_cfg {
	const char *name;
	const char *kind; /* "dummy" (port_dummy.h), "vnet" (port_vnet.h), "afxdp", "dpdk", "tap" */
	uint32_t vni; /* tenant; must exist (ignored for uplinks: afxdp, dpdk) */
	const void *args; /* struct vsw_dummy_args, struct vsw_vnet_args, ... */
};

/* An address prefix (addr's bits past @plen are zero). */
struct vsw_prefix {
	struct vsw_addr addr;
	uint8_t plen;
};

/* Text to address (either family): 0 or -EINVAL. */
int vsw_addr_parse(const char *s, struct vsw_addr *out);
/* The address as text in @buf (VSW_ADDR_STRLEN bytes), "-" for none; returns @buf. */
const char *vsw_addr_str(const struct vsw_addr *a, char *buf, size_t len);

/* Fill @opts with the defaults: 1 PMD, 200 us idle sleep, burst 32, 300 s aging. */
void vsw_opts_init(struct vsw_opts *opts);

/* Returns NULL (and logs what failed) on error. */
struct vsw *vsw_create(const struct vsw_opts *opts);
/* Stops the PMDs and removes every port and tenant. */
void vsw_destroy(struct vsw *sw);

int vsw_tenant_add(struct vsw *sw, uint32_t vni);
/* -EBUSY while the tenant still has ports. */
int vsw_tenant_remove(struct vsw *sw, uint32_t vni);

/* On success stores the new port's id in *id; -EEXIST if the name is taken. */
int vsw_port_add(struct vsw *sw, const struct vsw_port_cfg *cfg, uint16_t *id);
/* Returns once no PMD can touch the port any more; other ports keep forwarding. */
int vsw_port_remove(struct vsw *sw, uint16_t id);
/* The port's link went down: forget the MACs learned on it (0 or -ENOENT). */
int vsw_port_forget_macs(struct vsw *sw, uint16_t id);
/* The port object for kind-specific calls (e.g. vsw_dummy_inject); NULL if none. */
struct vsw_port *vsw_port_lookup(struct vsw *sw, uint16_t id);
/* The id of the port called @name, or -ENOENT.  Names are unique in a switch. */
int vsw_port_by_name(struct vsw *sw, const char *name);
/* Up to @max ids of existing ports, in id order; returns how many were stored. */
unsigned int vsw_port_ids(struct vsw *sw, uint16_t *ids, unsigned int max);
/* Up to @max VNIs of existing tenants; returns how many were stored. */
unsigned int vsw_tenant_vnis(struct vsw *sw, uint32_t *vnis, unsigned int max);
/* Move rx queue @q of a port to PMD @pmd (0 .. pmd count - 1). */
int vsw_port_set_rxq_pmd(struct vsw *sw, uint16_t id, uint16_t q, unsigned int pmd);
/* The PMD polling rx queue @q of port @id: its index, -EAGAIN while moving, -ENOENT. */
int vsw_port_rxq_pmd(struct vsw *sw, uint16_t id, uint16_t q);

int vsw_port_stats(struct vsw *sw, uint16_t id, struct vsw_port_stats *st);
int vsw_tenant_stats(struct vsw *sw, uint32_t vni, struct vsw_tenant_stats *st);
int vsw_pmd_stats(struct vsw *sw, unsigned int pmd, struct vsw_pmd_stats *st);
/* PMD contexts: pmd_threads, or 1 when the caller polls (pmd_threads == 0). */
unsigned int vsw_pmd_count(const struct vsw *sw);

/* Look a MAC up in a tenant's FDB: the port id, or -ENOENT. */
int vsw_mac_lookup(struct vsw *sw, uint32_t vni, const uint8_t mac[6]);
/* Run MAC aging now (the switch also does it from its housekeeping thread). */
unsigned int vsw_mac_age(struct vsw *sw);

/*
 * Manual mode (pmd_threads == 0): run one PMD iteration on the calling thread
 * and return the number of frames received.  -EINVAL when PMD threads run.
 */
int vsw_poll(struct vsw *sw);

/*
 * Wait until every PMD has finished what it was doing when this was called
 * (one RCU grace period).  @sw is a struct vsw *; the signature matches the
 * vhost device's datapath_sync callback.  Never call it from a PMD.
 */
void vsw_datapath_sync(void *sw);

#endif
