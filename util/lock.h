/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lock.h - pthread locks wrapped in types clang's thread-safety analysis
 * understands (OVS's ovs_mutex idea), so -Wthread-safety can check that
 * GUARDED fields are touched only under a lock and that REQUIRES(x->lock)
 * functions are called with it held.  Under gcc they are plain pthreads.
 */
#ifndef FERRY_UTIL_LOCK_H
#define FERRY_UTIL_LOCK_H

#include <pthread.h>

#include "util/compiler.h"

struct CAPABILITY("mutex") mutex {
	pthread_mutex_t m;
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
