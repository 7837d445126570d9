/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lock.h - pthread locks wrapped in types clang's thread-safety analysis
 * understands (OVS's ovs_mutex idea), so -Wthread-safety can check that
 * GUARDED fields are touched only under a lock and that REQUIRES(x->lock)
 * functions are called with it held.  Under gcc they are plain pthreads.
 *
 * struct spinlock is for the data path (a PMD must never sleep on a lock):
 * a test-and-test-and-set flag, inline, as DPDK's rte_spinlock is, but typed
 * for the analysis.
 */
#ifndef FERRY_UTIL_LOCK_H
#define FERRY_UTIL_LOCK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "util/compiler.h"

struct CAPABILITY("mutex") mutex {
	pthread_mutex_t m;
};

/* For file-scope locks: struct mutex m = MUTEX_INITIALIZER; */
#define MUTEX_INITIALIZER                      \
	{                                      \
		.m = PTHREAD_MUTEX_INITIALIZER \
	}

/* A condition variable waited on under a struct mutex. */
struct cond {
	pthread_cond_t c;
};

#define COND_INITIALIZER                      \
	{                                     \
		.c = PTHREAD_COND_INITIALIZER \
	}

struct CAPABILITY("spinlock") spinlock {
	atomic_bool held;
};

struct CAPABILITY("rwlock") rwlock {
	pthread_rwlock_t l;
};

static inline void mutex_init(struct mutex *m)
{
	pthread_mutex_init(&m->m, NULL);
}

static inline void mutex_destroy(struct mutex *m)
{
	pthread_mutex_destroy(&m->m);
}

static inline void mutex_lock(struct mutex *m) ACQUIRE(m) NO_THREAD_SAFETY_ANALYSIS
{
	pthread_mutex_lock(&m->m);
}

static inline void mutex_unlock(struct mutex *m) RELEASE(m) NO_THREAD_SAFETY_ANALYSIS
{
	pthread_mutex_unlock(&m->m);
}

static inline void cond_wait(struct cond *c, struct mutex *m) REQUIRES(m)
{
	pthread_cond_wait(&c->c, &m->m);
}

/* Until signalled or CLOCK_REALTIME passes @abs: 0 or ETIMEDOUT (positive, as pthreads). */
static inline int cond_timedwait(struct cond *c, struct mutex *m, const struct timespec *abs)
	REQUIRES(m)
{
	return pthread_cond_timedwait(&c->c, &m->m, abs);
}

static inline void cond_broadcast(struct cond *c)
{
	pthread_cond_broadcast(&c->c);
}

static inline void spinlock_init(struct spinlock *l)
{
	atomic_init(&l->held, false);
}

static inline bool spinlock_trylock(struct spinlock *l)
	TRY_ACQUIRE(true, l) NO_THREAD_SAFETY_ANALYSIS
{
	/* Acquire: pairs with the release store in spinlock_unlock(). */
	return !atomic_load_explicit(&l->held, memory_order_relaxed) &&
	       !atomic_exchange_explicit(&l->held, true, memory_order_acquire);
}

static inline void spinlock_lock(struct spinlock *l) ACQUIRE(l) NO_THREAD_SAFETY_ANALYSIS
{
	while (!spinlock_trylock(l))
		__builtin_ia32_pause(); /* let the sibling hyperthread run while we wait */
}

static inline void spinlock_unlock(struct spinlock *l) RELEASE(l) NO_THREAD_SAFETY_ANALYSIS
{
	atomic_store_explicit(&l->held, false, memory_order_release);
}

static inline void rwlock_init(struct rwlock *l)
{
	pthread_rwlock_init(&l->l, NULL);
}

static inline void rwlock_destroy(struct rwlock *l)
{
	pthread_rwlock_destroy(&l->l);
}

static inline void rwlock_rdlock(struct rwlock *l) ACQUIRE_SHARED(l) NO_THREAD_SAFETY_ANALYSIS
{
	pthread_rwlock_rdlock(&l->l);
}

static inline void rwlock_wrlock(struct rwlock *l) ACQUIRE(l) NO_THREAD_SAFETY_ANALYSIS
{
	pthread_rwlock_wrlock(&l->l);
}

static inline void rwlock_unlock(struct rwlock *l) RELEASE_GENERIC(l) NO_THREAD_SAFETY_ANALYSIS
{
	pthread_rwlock_unlock(&l->l);
}

#endif
