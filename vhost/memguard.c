/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memguard.c - the SIGBUS guard of memguard.h.
 *
 * The slot table is read by the signal handler, so it is a fixed array of
 * atomics under a sequence count per slot: adding and removing (under a
 * mutex, between themselves) make the count odd while they change a slot,
 * and the handler reads start and length only between two equal even
 * counts, so it never pairs one range's start with another's length.  The
 * handler takes no lock, saves errno, and calls nothing that is not
 * async-signal-safe (mmap and sigaction are plain system calls).
 *
 * The handler is installed once, by memguard_init(), after DPDK's EAL is up:
 * the EAL installs a SIGBUS handler of its own while it maps hugepages and
 * restores the previous one after, so one installed during that window
 * would be dropped.
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
	_Atomic uint32_t seq; /* odd while the slot changes */
	_Atomic uintptr_t start;
	_Atomic size_t len; /* 0: free */
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

/* Retries before a slot that keeps changing is passed over (a writer holds it). */
#define SLOT_READ_TRIES 1000

/* A consistent (start, len) of slot @s: false if it is free or would not settle. */
static bool slot_read(struct guard_slot *s, uintptr_t *start, size_t *len)
{
	uint32_t a, b;

	for (unsigned int t = 0; t < SLOT_READ_TRIES; t++) {
		/* Acquire: pairs with the release increments in slot_begin()/slot_end(). */
		a = atomic_load_explicit(&s->seq, memory_order_acquire);
		*start = atomic_load_explicit(&s->start, memory_order_relaxed);
		*len = atomic_load_explicit(&s->len, memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		b = atomic_load_explicit(&s->seq, memory_order_relaxed);
		if (a == b && !(a & 1))
			return *len != 0;
	}
	return false;
}

static void guard_sigbus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t addr = (uintptr_t)si->si_addr, start;
	int saved = errno;
	size_t len;

	for (unsigned int i = 0; si->si_code > 0 && i < MEMGUARD_MAX; i++) {
		struct guard_slot *s = &slots[i];
		void (*fn)(void *);

		if (!slot_read(s, &start, &len) || addr - start >= len)
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
		errno = saved;
		return;
	}
	guard_pass_on(sig, si, uc);
	errno = saved;
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

int memguard_init(void)
{
	int ret;

	mutex_lock(&guard_lock);
	ret = guard_install();
	mutex_unlock(&guard_lock);
	if (ret)
		LOG_ERR("vhost", "cannot install the SIGBUS guard: %s", strerror(-ret));
	return ret;
}

/* The slot is changing: odd count.  Release: orders the count before the new fields. */
static void slot_begin(struct guard_slot *s)
{
	atomic_fetch_add_explicit(&s->seq, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
}

/* Release: the new fields before the even count that says they are whole. */
static void slot_end(struct guard_slot *s)
{
	atomic_fetch_add_explicit(&s->seq, 1, memory_order_release);
}

int memguard_add(void *addr, size_t len, void (*on_fault)(void *arg), void *arg)
{
	int ret = -ENOSPC;

	if (!addr || !len)
		return -EINVAL;
	mutex_lock(&guard_lock);
	if (!installed) {
		ret = -ENODEV; /* memguard_init() first: unguarded memory is no option */
		goto out;
	}
	for (unsigned int i = 0; i < MEMGUARD_MAX; i++) {
		struct guard_slot *s = &slots[i];

		if (s->used)
			continue;
		s->used = true;
		slot_begin(s);
		atomic_store_explicit(&s->start, (uintptr_t)addr, memory_order_relaxed);
		atomic_store_explicit(&s->on_fault, on_fault, memory_order_relaxed);
		atomic_store_explicit(&s->arg, arg, memory_order_relaxed);
		atomic_store_explicit(&s->len, len, memory_order_relaxed);
		slot_end(s);
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
	slot_begin(&slots[id]);
	atomic_store_explicit(&slots[id].len, 0, memory_order_relaxed);
	slot_end(&slots[id]);
	slots[id].used = false;
	mutex_unlock(&guard_lock);
}

uint64_t memguard_faults(void)
{
	return atomic_load_explicit(&faults, memory_order_relaxed);
}
