/* SPDX-License-Identifier: BSD-3-Clause */
/* vq_worker.c - the kick-driven queue thread of vq_worker.h. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/log.h"
#include "vhost/vq_worker.h"

int vq_worker_init(struct vq_worker *w, struct vq *vq, vq_worker_fn serve, void *arg,
		   uint16_t iov_cap, bool manual)
{
	memset(w, 0, sizeof(*w));
	w->vq = vq;
	w->serve = serve;
	w->arg = arg;
	w->iov_cap = iov_cap < VQ_WORKER_MAX_IOV ? iov_cap : VQ_WORKER_MAX_IOV;
	w->manual = manual;
	atomic_init(&w->running, false);
	w->stop_fd = eventfd(0, EFD_CLOEXEC);
	return w->stop_fd < 0 ? -errno : 0;
}

void vq_worker_fini(struct vq_worker *w)
{
	vq_worker_stop(w);
	if (w->stop_fd >= 0)
		close(w->stop_fd);
	w->stop_fd = -1;
}

/* Serve what the ring holds, one budgeted burst at a time; false once broken. */
static bool worker_drain(struct vq_worker *w)
{
	struct iovec iov[VQ_WORKER_MAX_IOV];
	struct vq_chain c = { .iov = iov, .iov_cap = w->iov_cap };
	struct vq *vq = w->vq;
	int ret;

	do {
		vq_disable_notify(vq);
		vq_burst_begin(vq);
		while ((ret = vq_pop_chain(vq, &c)) == 0 || ret == -ENOBUFS || ret == -EMSGSIZE) {
			if (ret) {
				/* Too many segments or bytes: answered, never served. */
				vq_push_used(vq, c.head, 0);
				w->refused++;
				continue;
			}
			w->serve(w->arg, &c);
			if (vq_is_broken(vq))
				return false;
		}
		vq_flush_used(vq);
		if (ret == -EIO)
			return false;
		/* -EAGAIN: empty, or the burst spent its budget and more is waiting. */
	} while (vq_avail_count(vq) || vq_enable_notify(vq));
	return true;
}

static void *worker_thread(void *arg)
{
	struct vq_worker *w = arg;
	int kick = w->vq->kick_fd;
	struct pollfd p[2] = { { .fd = w->stop_fd, .events = POLLIN },
			       { .fd = kick, .events = POLLIN } };
	uint64_t v;

	/* Requests may be waiting from before a reconnect or a restart. */
	worker_drain(w);
	for (;;) {
		/* Without a kick fd (a peer that polls) look every millisecond. */
		if (poll(p, kick >= 0 ? 2 : 1, kick >= 0 ? -1 : 1) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			break;
		if (p[1].revents && read(kick, &v, sizeof(v)) < 0 && errno != EAGAIN)
			break;
		if (!worker_drain(w))
			break; /* broken: the transport was told; wait to be stopped */
	}
	return NULL;
}

int vq_worker_start(struct vq_worker *w)
{
	int ret;

	if (atomic_load(&w->running))
		return -EBUSY;
	if (!w->manual) {
		ret = pthread_create(&w->thread, NULL, worker_thread, w);
		if (ret)
			return -ret;
	}
	atomic_store(&w->running, true);
	return 0;
}

void vq_worker_stop(struct vq_worker *w)
{
	uint64_t one = 1;

	if (!atomic_load(&w->running))
		return;
	atomic_store(&w->running, false);
	if (w->manual)
		return;
	if (write(w->stop_fd, &one, sizeof(one)) != sizeof(one))
		LOG_WARN("vhost", "%s: cannot wake the queue's thread", w->vq->name);
	pthread_join(w->thread, NULL);
	/* Drain the stop event, so the next start does not leave at once. */
	if (read(w->stop_fd, &one, sizeof(one)) < 0)
		LOG_WARN("vhost", "%s: stop eventfd: %s", w->vq->name, strerror(errno));
}

int vq_worker_poll(struct vq_worker *w)
{
	if (!w->manual || !atomic_load(&w->running))
		return -EINVAL;
	return worker_drain(w) ? 0 : -EIO;
}
