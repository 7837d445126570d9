/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost_user_loop.c - the vhost-user event thread (vhost_user_priv.h).
 *
 * One thread per process serves every vhost-user port: listening sockets,
 * connections and reconnect timers, through one epoll set.  Ports are owned
 * by this thread while started, so their state needs no lock; other threads
 * reach it through vu_loop_call(), which queues a function, wakes the loop
 * through an eventfd and waits until the loop has run it.  PMD threads only
 * ever write that eventfd (vu_loop_wake, when a ring breaks).
 *
 * Within one epoll batch the fd callbacks run first and queued calls last:
 * a call may stop and free a port (its caller frees it as soon as the call
 * returns), so nothing from the batch may be touched after the calls ran.
 * A callback may unwatch its own watch, never another one.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "util/lock.h"
#include "util/log.h"
#include "vhost/vhost_user_priv.h"

#define LOOP_MAX_EVENTS 16

/* A function queued by vu_loop_call(), on the caller's stack until done. */
struct vu_call {
	void (*fn)(void *arg);
	void *arg;
	bool done GUARDED; /* set by the loop under call_lock */
	struct vu_call *next;
};

struct vu_loop {
	/* Held across start and stop so a get cannot race a put's join. */
	struct mutex life_lock;
	unsigned int refs GUARDED; /* under life_lock */
	pthread_t thread;
	int epfd, wakefd;
	atomic_bool stop; /* tells the thread to leave */
	struct mutex call_lock; /* guards calls and every call's done flag */
	struct cond call_done;
	struct vu_call *calls GUARDED; /* pending, newest first (call_lock) */
	struct vu_client *clients; /* loop thread only */
};

static struct vu_loop loop = {
	.life_lock = MUTEX_INITIALIZER,
	.call_lock = MUTEX_INITIALIZER,
	.call_done = COND_INITIALIZER,
	.epfd = -1,
	.wakefd = -1,
};

uint64_t vu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int vu_loop_watch(struct vu_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(loop.epfd, EPOLL_CTL_ADD, w->fd, &ev) ? -errno : 0;
}

void vu_loop_unwatch(struct vu_watch *w)
{
	epoll_ctl(loop.epfd, EPOLL_CTL_DEL, w->fd, NULL);
}

void vu_loop_add_client(struct vu_client *c)
{
	c->next = loop.clients;
	loop.clients = c;
}

void vu_loop_del_client(struct vu_client *c)
{
	struct vu_client **pp;

	for (pp = &loop.clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			return;
		}
	}
}

void vu_loop_arm(struct vu_client *c, unsigned int delay_ms)
{
	c->deadline_ns = vu_now_ns() + (uint64_t)delay_ms * 1000000ull;
}

/*
 * Async-signal-safe: memguard's SIGBUS hook reaches here (through a port's
 * needs_reset), so it does one write() and nothing else, not even a log.  The
 * eventfd is ours alone and non-blocking; a full counter already wakes.
 */
void vu_loop_wake(void)
{
	uint64_t one = 1;
	int saved = errno;

	if (write(loop.wakefd, &one, sizeof(one)) < 0)
		errno = saved;
	errno = saved;
}

void vu_loop_call(void (*fn)(void *arg), void *arg)
{
	struct vu_call call = { .fn = fn, .arg = arg };

	if (pthread_equal(pthread_self(), loop.thread)) {
		fn(arg);
		return;
	}
	mutex_lock(&loop.call_lock);
	call.next = loop.calls;
	loop.calls = &call;
	vu_loop_wake();
	while (!call.done)
		cond_wait(&loop.call_done, &loop.call_lock);
	mutex_unlock(&loop.call_lock);
}

/* Run the queued calls in the order they were made. */
static void loop_run_calls(void)
{
	struct vu_call *list, *rev = NULL, *c;

	mutex_lock(&loop.call_lock);
	list = loop.calls;
	loop.calls = NULL;
	mutex_unlock(&loop.call_lock);
	while (list) {
		c = list;
		list = c->next;
		c->next = rev;
		rev = c;
	}
	while (rev) {
		c = rev;
		rev = c->next;
		c->fn(c->arg);
		mutex_lock(&loop.call_lock);
		c->done = true; /* the caller may free c as soon as it sees this */
		cond_broadcast(&loop.call_done);
		mutex_unlock(&loop.call_lock);
	}
}

static void loop_on_wake(void)
{
	uint64_t n;
	struct vu_client *c, *next;

	if (read(loop.wakefd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		LOG_RL(LOG_LVL_WARN, "vhost-user", "wake eventfd: %s", strerror(errno));
	for (c = loop.clients; c; c = next) {
		next = c->next;
		if (c->on_wake)
			c->on_wake(c);
	}
	loop_run_calls();
}

static void loop_run_timers(void)
{
	uint64_t now = vu_now_ns();
	struct vu_client *c, *next;

	for (c = loop.clients; c; c = next) {
		next = c->next;
		if (c->deadline_ns && c->deadline_ns <= now) {
			c->deadline_ns = 0;
			c->on_timer(c);
		}
	}
}

/* Milliseconds until the nearest timer, -1 when none is armed. */
static int loop_timeout_ms(void)
{
	uint64_t now = vu_now_ns(), next = UINT64_MAX;
	struct vu_client *c;

	for (c = loop.clients; c; c = c->next)
		if (c->deadline_ns && c->deadline_ns < next)
			next = c->deadline_ns;
	if (next == UINT64_MAX)
		return -1;
	if (next <= now)
		return 0;
	return (int)MIN((next - now + 999999) / 1000000, (uint64_t)60000);
}

static void *loop_main(void *arg)
{
	struct epoll_event ev[LOOP_MAX_EVENTS];
	bool woken;
	int n, i;

	(void)arg;
	while (!atomic_load(&loop.stop)) {
		n = epoll_wait(loop.epfd, ev, LOOP_MAX_EVENTS, loop_timeout_ms());
		if (n < 0 && errno != EINTR) {
			LOG_ERR("vhost-user", "epoll_wait: %s", strerror(errno));
			break;
		}
		woken = false;
		for (i = 0; i < n; i++) {
			struct vu_watch *w = ev[i].data.ptr;

			if (!w)
				woken = true;
			else
				w->on_event(w, ev[i].events);
		}
		loop_run_timers();
		if (woken)
			loop_on_wake(); /* last: calls may free what the batch points to */
	}
	return NULL;
}

static void loop_close_fds(void)
{
	if (loop.epfd >= 0)
		close(loop.epfd);
	if (loop.wakefd >= 0)
		close(loop.wakefd);
	loop.epfd = loop.wakefd = -1;
}

static int loop_start(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	int ret;

	loop.epfd = epoll_create1(EPOLL_CLOEXEC);
	loop.wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (loop.epfd < 0 || loop.wakefd < 0 ||
	    epoll_ctl(loop.epfd, EPOLL_CTL_ADD, loop.wakefd, &ev)) {
		ret = -errno;
		goto err_close;
	}
	atomic_store(&loop.stop, false);
	ret = -pthread_create(&loop.thread, NULL, loop_main, NULL);
	if (ret)
		goto err_close;
	pthread_setname_np(loop.thread, "ferry-vhostuser");
	return 0;

err_close:
	LOG_ERR("vhost-user", "cannot start the event thread: %s", strerror(-ret));
	loop_close_fds();
	return ret;
}

int vu_loop_get(void)
{
	int ret = 0;

	mutex_lock(&loop.life_lock);
	if (loop.refs == 0)
		ret = loop_start();
	if (!ret)
		loop.refs++;
	mutex_unlock(&loop.life_lock);
	return ret;
}

void vu_loop_put(void)
{
	mutex_lock(&loop.life_lock);
	if (loop.refs > 0 && --loop.refs == 0) {
		atomic_store(&loop.stop, true);
		vu_loop_wake();
		pthread_join(loop.thread, NULL);
		loop.thread = (pthread_t)0;
		loop.clients = NULL;
		loop_close_fds();
	}
	mutex_unlock(&loop.life_lock);
}
