/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iotrap.h - the one dispatch layer for guest port I/O and MMIO exits.
 *
 * Each address space (PIO, MMIO) is an iotrap_bus: a sorted table of
 * non-overlapping ranges, each with a handler.  vCPU threads look ranges up
 * concurrently; a device may move its range (a PCI BAR reprogrammed by the
 * guest) while another vCPU is inside its handler, so entries are reference
 * counted and unregistration waits for them to drain (kvmtool's mmio.c idea).
 */
#ifndef FERRY_VMM_IOTRAP_H
#define FERRY_VMM_IOTRAP_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/lock.h"

/*
 * A trapped access: @off is relative to the registered base, @data holds
 * @len bytes (written by the guest, or to be filled for a read).
 */
typedef void (*iotrap_fn)(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write);

struct iotrap_entry;

struct iotrap_bus {
	const char *name; /* "pio" or "mmio", for messages */
	struct rwlock lock; /* guards v and n (readers: vCPU exits) */
	struct iotrap_entry **v GUARDED; /* sorted by base */
	size_t n GUARDED;
	size_t cap GUARDED;
};

int iotrap_bus_init(struct iotrap_bus *bus, const char *name);
void iotrap_bus_fini(struct iotrap_bus *bus);

/* Claim [addr, addr + len); -EINVAL on len 0 or wrap, -EEXIST on overlap. */
int iotrap_register(struct iotrap_bus *bus, uint64_t addr, uint64_t len, iotrap_fn fn,
		    void *opaque);
/*
 * Release the range starting at @addr; returns once no vCPU is inside its
 * handler, so the caller may free @opaque.  Must not be called from the
 * handler of the same range.  -ENOENT if nothing starts at @addr.
 */
int iotrap_unregister(struct iotrap_bus *bus, uint64_t addr);

/*
 * Route one access.  Returns false when no range covers all of
 * [addr, addr + len) (reads are then left for the caller to fill).
 */
bool iotrap_dispatch(struct iotrap_bus *bus, uint64_t addr, uint8_t *data, uint32_t len,
		     bool is_write);

#endif
