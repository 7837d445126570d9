/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memguard.c - the SIGBUS guard of memguard.h.
 *
 * The slot table is read by the signal handler, so it is a fixed array of
 * atomics: a slot is published by storing its length last (release) and
 * retired by clearing the length first.  Adding and removing take a mutex
 * between themselves only; the handler takes no lock and calls nothing that
 * is not async-signal-safe (mmap and sigaction are plain system calls).
 *
 * Retiring a slot does not wait for a handler that may be running on it:
 * the owner only unmaps a range after its datapath is quiesced, and only the
 * datapath touches guarded memory, so no fault on a range can be in flight
 * when it is retired.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>

#include "util/lock.h"
#include "util/log.h"
#include "vhost/memguard.h"

struct guard_slot {
	_Atomic uintptr_t start;
	_Atomic size_t len; /* 0: free; stored last when a slot is published */
	_Atomic(void (*)(void *)) on_fault;
	_Atomic(void *) arg;
	bool used GUARDED; /* under guard_lock: taken, even while len is being set */
};

static struct guard_slot slots[MEMGUARD_MAX];
static struct mutex guard_lock = MUTEX_INITIALIZER;
static bool installed GUARDED; /* under guard_lock */
static struct sigaction prev_action; /* SIGBUS's handler before ours */
static _Atomic uint64_t faults;

/* A fault that is not ours: hand it to whoever had SIGBUS before us. */
static void guard_pass_on(int sig, siginfo_t *si, void *uc)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	if (prev_action.sa_flags & SA_SIGINFO) {
		prev_action.sa_sigaction(sig, si, uc);
		return;
	}
	if (prev_action.sa_handler != SIG_DFL && prev_action.sa_handler != SIG_IGN) {
		prev_action.sa_handler(sig);
		return;
	}
	/*
	 * Default action: restore it and let the fault repeat when we return, so
	 * the process dies at the faulting instruction with a useful core.  A
	 * SIGBUS sent by kill() does not repeat, so send it again.
	 */
	sigaction(SIGBUS, &dfl, NULL);
	if (si->si_code <= 0)
		raise(SIGBUS);
}

static void guard_sigbus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t addr = (uintptr_t)si->si_addr;

	for (unsigned int i = 0; si->si_code > 0 && i < MEMGUARD_MAX; i++) {
		struct guard_slot *s = &slots[i];
		size_t len = atomic_load_explicit(&s->len, memory_order_acquire);
		uintptr_t start = atomic_load_explicit(&s->start, memory_order_relaxed);
		void (*fn)(void *);

		if (!len || addr - start >= len)
			continue;
		/* Zero pages over the whole range: the file is gone, its bytes with it. */
		if (mmap((void *)start, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1,
			 0) == MAP_FAILED)
			break;
		atomic_fetch_add_explicit(&faults, 1, memory_order_relaxed);
		fn = atomic_load_explicit(&s->on_fault, memory_order_relaxed);
		if (fn)
			fn(atomic_load_explicit(&s->arg, memory_order_relaxed));
		return;
	}
	guard_pass_on(sig, si, uc);
}

static int guard_install(void) REQUIRES(guard_lock)
{
	struct sigaction sa;

	if (installed)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = guard_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &prev_action))
		return -errno;
	installed = true;
	return 0;
}

int memguard_add(void *addr, size_t len, void (*on_fault)(void *arg), void *arg)
{
	int ret;

	if (!addr || !len)
		return -EINVAL;
	mutex_lock(&guard_lock);
	ret = guard_install();
	if (ret) {
		LOG_ERR("vhost", "cannot install the SIGBUS guard: %s", strerror(-ret));
		goto out;
	}
	ret = -ENOSPC;
	for (unsigned int i = 0; i < MEMGUARD_MAX; i++) {
		struct guard_slot *s = &slots[i];

		if (s->used)
			continue;
		s->used = true;
		atomic_store_explicit(&s->start, (uintptr_t)addr, memory_order_relaxed);
		atomic_store_explicit(&s->on_fault, on_fault, memory_order_relaxed);
		atomic_store_explicit(&s->arg, arg, memory_order_relaxed);
		atomic_store_explicit(&s->len, len, memory_order_release);
		ret = (int)i;
		break;
	}
out:
	mutex_unlock(&guard_lock);
	return ret;
}

void memguard_del(int id)
{
	if (id < 0 || id >= MEMGUARD_MAX)
		return;
	mutex_lock(&guard_lock);
	atomic_store_explicit(&slots[id].len, 0, memory_order_release);
	slots[id].used = false;
	mutex_unlock(&guard_lock);
}

uint64_t memguard_faults(void)
{
	return atomic_load_explicit(&faults, memory_order_relaxed);
}
