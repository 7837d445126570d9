/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fdguard.c - timed reads and writes on peer-shared descriptors (fdguard.h).
 *
 * Each thread that makes a guarded call owns a slot.  On entry it stores
 * the time in the slot's "since", on exit it swaps 0 back in.  The watchdog
 * scans the slots every FDGUARD_TIMEOUT_MS / 2: a call older than the
 * timeout has its "since" swapped for FIRED (compare-and-swap, so a call
 * that just ended and a new one that just began are never confused) and
 * its thread gets SIGUSR2.  While a slot reads FIRED the watchdog signals
 * again at every scan, since a signal that lands just before the blocking
 * call begins is used up without interrupting it.  A call that completes
 * although it was fired succeeds as usual; the signal then interrupts some
 * later call of that thread with EINTR, which every caller of a blocking
 * call must handle anyway.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/fdguard.h"
#include "util/lock.h"
#include "util/log.h"

#define FDGUARD_MAX_THREADS 256
#define FDGUARD_SIGNAL SIGUSR2
#define FIRED UINT64_MAX /* "since" of a call the watchdog interrupted */

struct fdg_slot {
	_Atomic uint64_t since; /* 0: not in a call; FIRED; else entry time (ns) */
	pthread_t tid; /* owner (under fdg_lock) */
	bool used GUARDED; /* under fdg_lock */
};

static struct fdg_slot slots[FDGUARD_MAX_THREADS];
static struct mutex fdg_lock = MUTEX_INITIALIZER;
static pthread_once_t fdg_once = PTHREAD_ONCE_INIT;
static pthread_key_t fdg_key;
static bool fdg_ready; /* set once by fdg_setup() */
static _Thread_local struct fdg_slot *fdg_self;
static _Atomic unsigned long fdg_timeouts; /* calls that returned -ETIMEDOUT */

static uint64_t fdg_now_ns(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC is read from the vDSO: no system call on the data path. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec + 1;
}

/* Only there to make the blocked call return EINTR. */
static void fdg_on_signal(int sig)
{
	(void)sig;
}

static void fdg_scan(void)
{
	uint64_t now = fdg_now_ns(), limit = FDGUARD_TIMEOUT_MS * 1000000ull, v;

	mutex_lock(&fdg_lock);
	for (unsigned int i = 0; i < FDGUARD_MAX_THREADS; i++) {
		struct fdg_slot *s = &slots[i];

		if (!s->used)
			continue;
		v = atomic_load_explicit(&s->since, memory_order_relaxed);
		if (v == 0 || (v != FIRED && now - v < limit))
			continue;
		/* Under fdg_lock: the thread cannot exit and free its slot meanwhile. */
		if (v == FIRED || atomic_compare_exchange_strong(&s->since, &v, FIRED))
			pthread_kill(s->tid, FDGUARD_SIGNAL);
	}
	mutex_unlock(&fdg_lock);
}

static void *fdg_watchdog(void *arg)
{
	struct timespec period = { 0, FDGUARD_TIMEOUT_MS * 1000000l / 2 };
	sigset_t all;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_setname_np(pthread_self(), "ferry-fdguard");
	for (;;) {
		nanosleep(&period, NULL);
		fdg_scan();
	}
	return NULL;
}

/* A thread that made guarded calls is gone: free its slot. */
static void fdg_release(void *p)
{
	struct fdg_slot *s = p;

	mutex_lock(&fdg_lock);
	s->used = false;
	atomic_store_explicit(&s->since, 0, memory_order_relaxed);
	mutex_unlock(&fdg_lock);
}

static void fdg_setup(void)
{
	struct sigaction sa = { .sa_handler = fdg_on_signal };
	pthread_t t;

	/* No SA_RESTART: the interrupted read or write must return EINTR. */
	sigemptyset(&sa.sa_mask);
	if (sigaction(FDGUARD_SIGNAL, &sa, NULL) || pthread_key_create(&fdg_key, fdg_release)) {
		LOG_ERR("fdguard", "cannot set up: %s", strerror(errno));
		return;
	}
	if (pthread_create(&t, NULL, fdg_watchdog, NULL)) {
		LOG_ERR("fdguard", "cannot start the watchdog thread");
		return;
	}
	pthread_detach(t);
	fdg_ready = true;
}

int fdguard_init(void)
{
	pthread_once(&fdg_once, fdg_setup);
	return fdg_ready ? 0 : -EAGAIN;
}

static struct fdg_slot *fdg_register(void)
{
	if (fdguard_init())
		return NULL;
	mutex_lock(&fdg_lock);
	for (unsigned int i = 0; i < FDGUARD_MAX_THREADS; i++) {
		if (slots[i].used)
			continue;
		slots[i].used = true;
		slots[i].tid = pthread_self();
		atomic_store_explicit(&slots[i].since, 0, memory_order_relaxed);
		fdg_self = &slots[i];
		break;
	}
	mutex_unlock(&fdg_lock);
	if (fdg_self)
		pthread_setspecific(fdg_key, fdg_self);
	else
		LOG_RL(LOG_LVL_ERR, "fdguard", "more than %d threads: calls go unguarded",
		       FDGUARD_MAX_THREADS);
	return fdg_self;
}

static ssize_t fdg_call(bool wr, int fd, void *buf, size_t len)
{
	struct fdg_slot *s = fdg_self ? fdg_self : fdg_register();
	uint64_t prev = 0;
	ssize_t n;
	int err;

	if (s)
		atomic_store_explicit(&s->since, fdg_now_ns(), memory_order_relaxed);
	n = wr ? write(fd, buf, len) : read(fd, buf, len);
	err = errno;
	if (s)
		prev = atomic_exchange_explicit(&s->since, 0, memory_order_relaxed);
	if (n >= 0)
		return n;
	if (err != EINTR || prev != FIRED)
		return -err;
	atomic_fetch_add_explicit(&fdg_timeouts, 1, memory_order_relaxed);
	return -ETIMEDOUT;
}

ssize_t fdguard_write(int fd, const void *buf, size_t len)
{
	return fdg_call(true, fd, (void *)buf, len);
}

ssize_t fdguard_read(int fd, void *buf, size_t len)
{
	return fdg_call(false, fd, buf, len);
}

unsigned long fdguard_timeouts(void)
{
	return atomic_load_explicit(&fdg_timeouts, memory_order_relaxed);
}
