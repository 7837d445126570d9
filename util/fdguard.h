/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fdguard.h - reads and writes on file descriptors a peer shares, which the
 * peer cannot turn into a block.
 *
 * A vhost-user peer hands Ferry eventfds (a ring's kick and call) and keeps
 * its own descriptor of the same open file description.  O_NONBLOCK, set by
 * Ferry, lives in that shared description, so the peer can clear it, then
 * fill a call counter to the brim (the next write blocks) or drain a kick
 * between epoll and read (the read blocks).  No flag survives that, and the
 * kernel has no per-call non-blocking write for an eventfd (pwritev2 with
 * RWF_NOWAIT gives EOPNOTSUPP; reopening /proc/self/fd/N gives ENXIO).
 *
 * So each such call is timed.  The calling thread announces when it enters
 * and leaves it (two relaxed stores, no system call); a watchdog thread
 * interrupts any thread still inside after FDGUARD_TIMEOUT_MS with SIGUSR2,
 * whose handler does nothing, so the call returns EINTR and the caller gets
 * -ETIMEDOUT: it must then stop using that descriptor.  A benign peer never
 * costs anything; a hostile one costs its PMD at most a few milliseconds,
 * once per descriptor.
 *
 * fdguard_init() starts the watchdog; call it from the control plane before
 * any thread makes a guarded call (a PMD must not be the one to create a
 * thread).  A thread's first guarded call takes a slot, under a lock, once.
 */
#ifndef FERRY_UTIL_FDGUARD_H
#define FERRY_UTIL_FDGUARD_H

#include <stddef.h>
#include <sys/types.h>

/* Install the SIGUSR2 handler and start the watchdog, once; 0 or -errno. */
int fdguard_init(void);

/* How long a guarded call may block before it is interrupted. */
#define FDGUARD_TIMEOUT_MS 10

/*
 * write(2) / read(2) on @fd: the bytes moved, or -errno; -ETIMEDOUT when the
 * call blocked and was interrupted (the peer made @fd blocking and full or
 * empty).  EAGAIN is -EAGAIN, as from a non-blocking descriptor.
 */
ssize_t fdguard_write(int fd, const void *buf, size_t len);
ssize_t fdguard_read(int fd, void *buf, size_t len);

/* Calls that returned -ETIMEDOUT so far, process-wide (for tests and logs). */
unsigned long fdguard_timeouts(void);

#endif
