/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fdb.c - per-tenant MAC learning table (see fdb.h for the concurrency
 * design).  PMDs call the *_bulk functions once per rx burst; the control
 * thread (vswitch.c) ages and flushes.  Learned MACs come from frames a guest
 * or peer chose, so the table is bounded and a full table only stops
 * learning: frames to unknown MACs are then flooded, never lost.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash.h>

#include "util/compiler.h"
#include "util/lock.h"
#include "util/log.h"
#include "vswitch/fdb.h"
#include "vswitch/vswitch.h"

struct fdb_entry {
	_Atomic uint16_t port; /* VSW_PORT_NONE while the position is unused */
	_Atomic uint32_t seen; /* switch clock (seconds) of the last frame from the MAC */
	_Atomic bool pinned; /* put by a control plane (EVPN): never ages; a local move unpins */
};

struct vsw_fdb {
	struct rte_hash *h; /* MAC -> position in e[] */
	uint32_t size; /* positions: rte_hash hands out 0 .. size - 1 */
	struct spinlock wlock; /* serialises hash writers (rte_hash LF needs one writer) */
	struct fdb_entry *e; /* per position */
	/* Control-side scratch under wlock: positions removed, awaiting a grace period. */
	int32_t *victims;
};

/* Decides whether fdb_remove_if() removes an entry. */
typedef bool (*fdb_match_fn)(const struct fdb_entry *e, const void *ctx);

struct vsw_fdb *vsw_fdb_create(const char *name, uint32_t size)
{
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = size,
		.key_len = RTE_ETHER_ADDR_LEN,
		.socket_id = SOCKET_ID_ANY,
		/* Lock-free lookups; writers serialised by wlock (no per-lcore slot caches). */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	struct vsw_fdb *fdb;
	uint32_t i;

	fdb = calloc(1, sizeof(*fdb));
	if (!fdb)
		return NULL;
	fdb->size = size;
	spinlock_init(&fdb->wlock);
	fdb->e = calloc(size, sizeof(*fdb->e));
	fdb->victims = calloc(size, sizeof(*fdb->victims));
	if (!fdb->e || !fdb->victims)
		goto err_free;
	for (i = 0; i < size; i++) {
		atomic_init(&fdb->e[i].port, VSW_PORT_NONE);
		atomic_init(&fdb->e[i].seen, 0);
		atomic_init(&fdb->e[i].pinned, false);
	}
	fdb->h = rte_hash_create(&hp);
	if (!fdb->h) {
		LOG_ERR("fdb", "cannot create MAC table %s with %u entries", name, size);
		goto err_free;
	}
	return fdb;

err_free:
	free(fdb->victims);
	free(fdb->e);
	free(fdb);
	return NULL;
}

void vsw_fdb_destroy(struct vsw_fdb *fdb)
{
	if (!fdb)
		return;
	rte_hash_free(fdb->h);
	free(fdb->victims);
	free(fdb->e);
	free(fdb);
}

static struct fdb_entry *fdb_entry_at(const struct vsw_fdb *fdb, int32_t pos)
{
	/* rte_hash never returns a position >= size; stay safe if it ever did. */
	if (pos < 0 || (uint32_t)pos >= fdb->size)
		return NULL;
	return &fdb->e[pos];
}

/* A store per second at most, so PMDs sharing a MAC do not bounce its line. */
static void fdb_refresh(struct fdb_entry *e, uint32_t now_s)
{
	if (atomic_load_explicit(&e->seen, memory_order_relaxed) != now_s)
		atomic_store_explicit(&e->seen, now_s, memory_order_relaxed);
}

static void fdb_insert(struct vsw_fdb *fdb, const struct rte_ether_addr *mac, uint16_t port,
		       uint32_t now_s, struct vsw_fdb_learn *res)
{
	struct fdb_entry *e;
	uint16_t old;

	/* Never spin in a PMD: a busy writer means "learn from the next frame". */
	if (!spinlock_trylock(&fdb->wlock)) {
		res->failed++;
		return;
	}
	e = fdb_entry_at(fdb, rte_hash_add_key(fdb->h, mac));
	if (!e) {
		res->failed++;
		goto out_unlock;
	}
	atomic_store_explicit(&e->seen, now_s, memory_order_relaxed);
	atomic_store_explicit(&e->pinned, false, memory_order_relaxed);
	old = atomic_exchange_explicit(&e->port, port, memory_order_release);
	if (old == VSW_PORT_NONE)
		res->learned++;
	else if (old != port)
		res->moved++;
out_unlock:
	spinlock_unlock(&fdb->wlock);
}

void vsw_fdb_learn_bulk(struct vsw_fdb *fdb, const struct rte_ether_addr **macs, unsigned int n,
			uint16_t port, uint32_t now_s, struct vsw_fdb_learn *res)
{
	int32_t pos[VSW_BURST_MAX];
	struct fdb_entry *e;
	unsigned int i;
	uint16_t cur;

	rte_hash_lookup_bulk(fdb->h, (const void **)macs, n, pos);
	for (i = 0; i < n; i++) {
		e = fdb_entry_at(fdb, pos[i]);
		cur = e ? atomic_load_explicit(&e->port, memory_order_relaxed) : VSW_PORT_NONE;
		if (cur == VSW_PORT_NONE) {
			fdb_insert(fdb, macs[i], port, now_s, res);
			continue;
		}
		if (cur != port) {
			/* A MAC move: the station now sits behind another port, and ages here. */
			atomic_store_explicit(&e->pinned, false, memory_order_relaxed);
			atomic_store_explicit(&e->port, port, memory_order_relaxed);
			res->moved++;
		}
		fdb_refresh(e, now_s);
	}
}

void vsw_fdb_lookup_bulk(const struct vsw_fdb *fdb, const struct rte_ether_addr **macs,
			 unsigned int n, uint16_t *ports)
{
	int32_t pos[VSW_BURST_MAX];
	struct fdb_entry *e;
	unsigned int i;

	if (n == 0)
		return;
	rte_hash_lookup_bulk(fdb->h, (const void **)macs, n, pos);
	for (i = 0; i < n; i++) {
		e = fdb_entry_at(fdb, pos[i]);
		/* Pairs with the release exchange in fdb_insert(). */
		ports[i] = e ? atomic_load_explicit(&e->port, memory_order_acquire) : VSW_PORT_NONE;
	}
}

uint16_t vsw_fdb_get(const struct vsw_fdb *fdb, const struct rte_ether_addr *mac)
{
	const struct rte_ether_addr *one[1] = { mac };
	uint16_t port;

	vsw_fdb_lookup_bulk(fdb, one, 1, &port);
	return port;
}

/* Take one entry out of the hash; its position is freed after the grace period. */
static bool fdb_unlink(struct vsw_fdb *fdb, int32_t pos) REQUIRES(fdb->wlock)
{
	struct rte_ether_addr mac;
	void *key;

	if (rte_hash_get_key_with_position(fdb->h, pos, &key) < 0)
		return false;
	memcpy(&mac, key, sizeof(mac));
	if (rte_hash_del_key(fdb->h, &mac) < 0)
		return false;
	atomic_store_explicit(&fdb->e[pos].port, VSW_PORT_NONE, memory_order_relaxed);
	return true;
}

static unsigned int fdb_remove_if(struct vsw_fdb *fdb, fdb_match_fn match, const void *ctx,
				  vsw_fdb_sync_fn sync, void *arg)
{
	unsigned int n = 0, i;
	uint32_t pos;

	spinlock_lock(&fdb->wlock);
	for (pos = 0; pos < fdb->size; pos++) {
		if (atomic_load_explicit(&fdb->e[pos].port, memory_order_relaxed) == VSW_PORT_NONE)
			continue;
		if (match(&fdb->e[pos], ctx) && fdb_unlink(fdb, (int32_t)pos))
			fdb->victims[n++] = (int32_t)pos;
	}
	spinlock_unlock(&fdb->wlock);
	if (n == 0)
		return 0;
	/* A PMD may still hold a position it looked up before the delete. */
	sync(arg);
	spinlock_lock(&fdb->wlock);
	for (i = 0; i < n; i++)
		rte_hash_free_key_with_position(fdb->h, fdb->victims[i]);
	spinlock_unlock(&fdb->wlock);
	return n;
}

struct fdb_age_ctx {
	uint32_t now_s, aging_s;
};

static bool fdb_match_aged(const struct fdb_entry *e, const void *ctx)
{
	const struct fdb_age_ctx *a = ctx;
	uint32_t seen = atomic_load_explicit(&e->seen, memory_order_relaxed);

	if (atomic_load_explicit(&e->pinned, memory_order_relaxed))
		return false;
	/* Signed: a PMD may refresh the entry after @now_s was read. */
	return (int32_t)(a->now_s - seen) >= (int32_t)a->aging_s;
}

unsigned int vsw_fdb_age(struct vsw_fdb *fdb, uint32_t now_s, uint32_t aging_s,
			 vsw_fdb_sync_fn sync, void *arg)
{
	struct fdb_age_ctx ctx = { .now_s = now_s, .aging_s = aging_s };

	if (aging_s == 0)
		return 0;
	return fdb_remove_if(fdb, fdb_match_aged, &ctx, sync, arg);
}

static bool fdb_match_port(const struct fdb_entry *e, const void *ctx)
{
	return atomic_load_explicit(&e->port, memory_order_relaxed) == *(const uint16_t *)ctx;
}

unsigned int vsw_fdb_flush_port(struct vsw_fdb *fdb, uint16_t port, vsw_fdb_sync_fn sync, void *arg)
{
	return fdb_remove_if(fdb, fdb_match_port, &port, sync, arg);
}

int vsw_fdb_pin(struct vsw_fdb *fdb, const struct rte_ether_addr *mac, uint16_t port,
		uint32_t now_s)
{
	struct fdb_entry *e;
	int ret = 0;

	spinlock_lock(&fdb->wlock);
	e = fdb_entry_at(fdb, rte_hash_add_key(fdb->h, mac));
	if (!e) {
		ret = -ENOSPC;
		goto out_unlock;
	}
	atomic_store_explicit(&e->seen, now_s, memory_order_relaxed);
	atomic_store_explicit(&e->pinned, true, memory_order_relaxed);
	/* Pairs with the acquire load in vsw_fdb_lookup_bulk(). */
	atomic_store_explicit(&e->port, port, memory_order_release);
out_unlock:
	spinlock_unlock(&fdb->wlock);
	return ret;
}

struct fdb_pin_ctx {
	const struct rte_ether_addr *mac;
	struct vsw_fdb *fdb;
	uint16_t port;
};

static bool fdb_match_pin(const struct fdb_entry *e, const void *ctx)
{
	const struct fdb_pin_ctx *c = ctx;
	int32_t pos = (int32_t)(e - c->fdb->e);
	void *key;

	return atomic_load_explicit(&e->pinned, memory_order_relaxed) &&
	       atomic_load_explicit(&e->port, memory_order_relaxed) == c->port &&
	       rte_hash_get_key_with_position(c->fdb->h, pos, &key) == 0 &&
	       memcmp(key, c->mac, sizeof(*c->mac)) == 0;
}

unsigned int vsw_fdb_unpin(struct vsw_fdb *fdb, const struct rte_ether_addr *mac, uint16_t port,
			   vsw_fdb_sync_fn sync, void *arg)
{
	struct fdb_pin_ctx c = { .mac = mac, .fdb = fdb, .port = port };

	return fdb_remove_if(fdb, fdb_match_pin, &c, sync, arg);
}

uint32_t vsw_fdb_count(const struct vsw_fdb *fdb)
{
	int32_t n = rte_hash_count(fdb->h);

	return n > 0 ? (uint32_t)n : 0;
}

void vsw_fdb_walk(struct vsw_fdb *fdb, vsw_fdb_walk_fn fn, void *arg)
{
	struct rte_ether_addr mac;
	uint16_t port;
	uint32_t pos;
	void *key;

	spinlock_lock(&fdb->wlock);
	for (pos = 0; pos < fdb->size; pos++) {
		port = atomic_load_explicit(&fdb->e[pos].port, memory_order_relaxed);
		if (port == VSW_PORT_NONE ||
		    rte_hash_get_key_with_position(fdb->h, (int32_t)pos, &key) < 0)
			continue;
		memcpy(&mac, key, sizeof(mac));
		fn(&mac, port, atomic_load_explicit(&fdb->e[pos].seen, memory_order_relaxed),
		   atomic_load_explicit(&fdb->e[pos].pinned, memory_order_relaxed), arg);
	}
	spinlock_unlock(&fdb->wlock);
}
