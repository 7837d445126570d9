/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vq_worker.h - a queue served by a thread of its own that sleeps on the
 * queue's kick eventfd: for devices whose requests are few and must be
 * answered at once, not by a PMD that may be asleep (virtio-blk, the
 * virtio-net control queue).  The worker drains the ring in budgeted bursts
 * with notifications off, publishing completions once per burst, and leaves
 * when told or when the ring breaks (the device's on_broken callback has
 * told the transport by then).
 *
 * In manual mode there is no thread: vq_worker_poll() drains on the
 * caller's, so tests and fuzzers play every input the same way.
 */
#ifndef FERRY_VHOST_VQ_WORKER_H
#define FERRY_VHOST_VQ_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vhost/virtq.h"

/* Serve one chain the ring gave: push its used element (the worker flushes). */
typedef void (*vq_worker_fn)(void *arg, const struct vq_chain *c);

struct vq_worker {
	struct vq *vq; /* initialised by the device before each start */
	vq_worker_fn serve;
	void *arg;
	uint16_t iov_cap; /* segments a chain may have (<= VQ_WORKER_MAX_IOV) */
	bool manual; /* no thread: vq_worker_poll() */
	_Atomic bool running; /* started and not stopped (others may read it) */
	int stop_fd; /* eventfd: the thread leaves */
	pthread_t thread;
	uint64_t refused; /* chains too long or too big: answered with 0 bytes */
};

#define VQ_WORKER_MAX_IOV 130

/* Set up (not started); -errno if the stop eventfd cannot be made. */
int vq_worker_init(struct vq_worker *w, struct vq *vq, vq_worker_fn serve, void *arg,
		   uint16_t iov_cap, bool manual);
void vq_worker_fini(struct vq_worker *w);
/* Start serving (vq_init() done); -EBUSY if running. */
int vq_worker_start(struct vq_worker *w);
/* Stop: when it returns no thread touches the ring; idempotent. */
void vq_worker_stop(struct vq_worker *w);
/* Manual mode: serve what the ring holds now; 0, -EIO once broken, -EINVAL if not started. */
int vq_worker_poll(struct vq_worker *w);

#endif
