/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iotrap.c - PIO/MMIO range dispatch (see iotrap.h).
 *
 * A read-write lock protects the table; it is held only for the lookup, never
 * across a handler, so a handler may itself register or move ranges (a PCI
 * config write that relocates a BAR).  Lookups are a binary search: exits
 * cost microseconds on KVM, so the table needs no cleverer structure.
 */
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "vmm/iotrap.h"

struct iotrap_entry {
	uint64_t base; /* first address */
	uint64_t len; /* bytes, > 0, base + len does not wrap */
	iotrap_fn fn;
	void *opaque;
	atomic_uint users; /* vCPUs inside fn; the table itself holds one */
};

int iotrap_bus_init(struct iotrap_bus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
	rwlock_init(&bus->lock);
	return 0;
}

void iotrap_bus_fini(struct iotrap_bus *bus) NO_THREAD_SAFETY_ANALYSIS
{
	for (size_t i = 0; i < bus->n; i++)
		free(bus->v[i]);
	free(bus->v);
	bus->v = NULL;
	bus->n = bus->cap = 0;
	rwlock_destroy(&bus->lock);
}

/* Index of the first entry whose end is above @addr (or n). */
static size_t iotrap_search(const struct iotrap_bus *bus, uint64_t addr) NO_THREAD_SAFETY_ANALYSIS
{
	size_t lo = 0, hi = bus->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct iotrap_entry *e = bus->v[mid];

		if (e->base + e->len <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int iotrap_grow(struct iotrap_bus *bus) REQUIRES(bus->lock)
{
	size_t cap = bus->cap ? bus->cap * 2 : 16;
	struct iotrap_entry **v = realloc(bus->v, cap * sizeof(*v));

	if (!v)
		return -ENOMEM;
	bus->v = v;
	bus->cap = cap;
	return 0;
}

static int iotrap_insert(struct iotrap_bus *bus, struct iotrap_entry *e) REQUIRES(bus->lock)
{
	size_t i = iotrap_search(bus, e->base);
	int err;

	if (i < bus->n && bus->v[i]->base < e->base + e->len)
		return -EEXIST;
	if (bus->n == bus->cap) {
		err = iotrap_grow(bus);
		if (err)
			return err;
	}
	memmove(&bus->v[i + 1], &bus->v[i], (bus->n - i) * sizeof(bus->v[0]));
	bus->v[i] = e;
	bus->n++;
	return 0;
}

int iotrap_register(struct iotrap_bus *bus, uint64_t addr, uint64_t len, iotrap_fn fn, void *opaque)
{
	struct iotrap_entry *e;
	int err;

	if (!len || addr + len < addr || !fn)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	*e = (struct iotrap_entry){ .base = addr, .len = len, .fn = fn, .opaque = opaque };
	atomic_init(&e->users, 1);
	rwlock_wrlock(&bus->lock);
	err = iotrap_insert(bus, e);
	rwlock_unlock(&bus->lock);
	if (err) {
		if (err == -EEXIST)
			LOG_ERR("vmm", "%s range %#llx+%#llx overlaps an existing device",
				bus->name, (unsigned long long)addr, (unsigned long long)len);
		free(e);
	}
	return err;
}

static struct iotrap_entry *iotrap_remove(struct iotrap_bus *bus, uint64_t addr) REQUIRES(bus->lock)
{
	size_t i = iotrap_search(bus, addr);
	struct iotrap_entry *e;

	if (i >= bus->n || bus->v[i]->base != addr)
		return NULL;
	e = bus->v[i];
	memmove(&bus->v[i], &bus->v[i + 1], (bus->n - i - 1) * sizeof(bus->v[0]));
	bus->n--;
	return e;
}

int iotrap_unregister(struct iotrap_bus *bus, uint64_t addr)
{
	struct iotrap_entry *e;

	rwlock_wrlock(&bus->lock);
	e = iotrap_remove(bus, addr);
	rwlock_unlock(&bus->lock);
	if (!e)
		return -ENOENT;
	/* Drop the table's reference, then wait for vCPUs still in fn. */
	atomic_fetch_sub_explicit(&e->users, 1, memory_order_acq_rel);
	while (atomic_load_explicit(&e->users, memory_order_acquire))
		sched_yield();
	free(e);
	return 0;
}

static struct iotrap_entry *iotrap_get(struct iotrap_bus *bus, uint64_t addr, uint32_t len)
{
	struct iotrap_entry *e = NULL;
	size_t i;

	rwlock_rdlock(&bus->lock);
	i = iotrap_search(bus, addr);
	if (i < bus->n && bus->v[i]->base <= addr && len <= bus->v[i]->len &&
	    addr - bus->v[i]->base <= bus->v[i]->len - len) {
		e = bus->v[i];
		/* Pairs with the acquire load in iotrap_unregister(). */
		atomic_fetch_add_explicit(&e->users, 1, memory_order_relaxed);
	}
	rwlock_unlock(&bus->lock);
	return e;
}

bool iotrap_dispatch(struct iotrap_bus *bus, uint64_t addr, uint8_t *data, uint32_t len,
		     bool is_write)
{
	struct iotrap_entry *e;

	/* An access that wraps the address space matches nothing. */
	if (!len || addr + len < addr)
		return false;
	e = iotrap_get(bus, addr, len);
	if (!e)
		return false;
	e->fn(e->opaque, addr - e->base, data, len, is_write);
	atomic_fetch_sub_explicit(&e->users, 1, memory_order_release);
	return true;
}
