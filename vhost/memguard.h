/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memguard.h - survive a peer that shrinks the file behind a shared mapping.
 *
 * A vhost-user frontend hands us fds of its memory and we map them.  Should
 * it truncate one later (a hostile or broken peer, or one that exits and
 * lets its memfd be resized), the next access by a PMD raises SIGBUS, which
 * would kill the whole switch and every other tenant with it.  A guarded
 * range instead gets zero-filled private pages mapped over it by a SIGBUS
 * handler, the faulting access completes harmlessly, and a hook runs so the
 * owner can drop the peer.  Faults outside every guarded range are passed on
 * to whatever handled SIGBUS before (by default: the process dies with a
 * core, as it should for our own bugs).
 *
 * The hook runs in signal context on the faulting thread: it may only do
 * async-signal-safe things (atomic stores, write() to an eventfd).
 */
#ifndef FERRY_VHOST_MEMGUARD_H
#define FERRY_VHOST_MEMGUARD_H

#include <stddef.h>
#include <stdint.h>

#define MEMGUARD_MAX 256 /* guarded ranges in the process */

/*
 * Install the SIGBUS handler, once per process and after DPDK's EAL is up
 * (the EAL swaps SIGBUS handlers while it maps hugepages); later calls do
 * nothing.  0 or -errno from sigaction().
 */
int memguard_init(void);
/*
 * Guard [addr, addr + len), a MAP_SHARED file mapping.  Returns a slot id
 * >= 0, -ENOSPC when every slot is taken, -ENODEV before memguard_init().
 */
int memguard_add(void *addr, size_t len, void (*on_fault)(void *arg), void *arg);
/* Stop guarding slot @id (a negative id is ignored); call before munmap(). */
void memguard_del(int id);
/* SIGBUS faults absorbed since the process started. */
uint64_t memguard_faults(void);

#endif
