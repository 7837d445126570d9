/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fdb.h - one tenant's MAC table (forwarding database), internal to vswitch/.
 *
 * One table per tenant rather than one keyed by MAC+VNI: a port belongs to
 * one tenant, so a whole rx burst is looked up in one table with one bulk
 * call; a tenant's size limit, flush and removal touch only its own table;
 * and a MAC can never match across tenants by construction.
 *
 * Layout: an rte_hash (lock-free readers, RW_CONCURRENCY_LF) maps a MAC to a
 * key position; a parallel array indexed by that position holds the entry
 * (port, last-seen second) as atomics, so refreshing and MAC moves are plain
 * stores with no hash write.  Only a new MAC writes the hash.  Writers (PMDs
 * learning, the control thread aging or flushing) are serialised by wlock;
 * PMDs only ever *try* it and skip learning that frame when it is busy, so a
 * PMD never spins.  Removed key positions are freed only after an RCU grace
 * period (the caller's sync callback), so a PMD that looked a MAC up keeps a
 * valid entry until its next quiescent state.
 */
#ifndef FERRY_VSWITCH_FDB_H
#define FERRY_VSWITCH_FDB_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

struct vsw_fdb;

/* What one bulk learn did (added to the tenant's counters by the caller). */
struct vsw_fdb_learn {
	uint32_t learned; /* new MACs */
	uint32_t moved; /* MACs now on another port */
	uint32_t failed; /* table full or writer busy */
};

typedef void (*vsw_fdb_sync_fn)(void *arg);

/* @name must be unique in the process (an rte_hash name). NULL on error. */
struct vsw_fdb *vsw_fdb_create(const char *name, uint32_t size);
void vsw_fdb_destroy(struct vsw_fdb *fdb);

/* PMD side: learn the source MACs of @n frames (n <= VSW_BURST_MAX) received on @port. */
void vsw_fdb_learn_bulk(struct vsw_fdb *fdb, const struct rte_ether_addr **macs, unsigned int n,
			uint16_t port, uint32_t now_s, struct vsw_fdb_learn *res);
/* PMD side: the port of each MAC, VSW_PORT_NONE where unknown. */
void vsw_fdb_lookup_bulk(const struct vsw_fdb *fdb, const struct rte_ether_addr **macs,
			 unsigned int n, uint16_t *ports);

/* Control side: the port of one MAC or VSW_PORT_NONE. */
uint16_t vsw_fdb_get(const struct vsw_fdb *fdb, const struct rte_ether_addr *mac);
/* Control side: remove entries idle longer than @aging_s; returns the count. */
unsigned int vsw_fdb_age(struct vsw_fdb *fdb, uint32_t now_s, uint32_t aging_s,
			 vsw_fdb_sync_fn sync, void *arg);
/* Control side: remove every entry pointing at @port; returns the count. */
unsigned int vsw_fdb_flush_port(struct vsw_fdb *fdb, uint16_t port, vsw_fdb_sync_fn sync,
				void *arg);
uint32_t vsw_fdb_count(const struct vsw_fdb *fdb);
/*
 * Control side: put @mac on @port as a control plane's entry (EVPN): it does
 * not age; traffic from it on another port moves and unpins it.  0 or
 * -ENOSPC.
 */
int vsw_fdb_pin(struct vsw_fdb *fdb, const struct rte_ether_addr *mac, uint16_t port,
		uint32_t now_s);
/* Control side: remove @mac if it is still pinned to @port; returns the count (0 or 1). */
unsigned int vsw_fdb_unpin(struct vsw_fdb *fdb, const struct rte_ether_addr *mac, uint16_t port,
			   vsw_fdb_sync_fn sync, void *arg);

typedef void (*vsw_fdb_walk_fn)(const struct rte_ether_addr *mac, uint16_t port, uint32_t seen_s,
				bool pinned, void *arg);
/*
 * Control side: call @fn for every entry (port: a port id or VSW_FDB_VTEP |
 * VTEP), holding the writer lock, so PMDs learn nothing new meanwhile.
 */
void vsw_fdb_walk(struct vsw_fdb *fdb, vsw_fdb_walk_fn fn, void *arg);

#endif
