/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * runner.c - runs the VMs of one ferry invocation (see cli.h).
 *
 * SIGINT and SIGTERM are blocked in every thread and read from a signalfd in
 * the main loop, so a stop request is handled in one place, in order: every
 * VM is asked to stop, then joined, then destroyed.  Each VM's end is
 * reported on stderr in one line.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/log.h"

#define RUNNER_MAX_VMS 64
#define RUNNER_MAX_WATCHES 8
/* epoll tags: VM i is i; the signalfd and watched fds come after. */
#define TAG_SIGNAL RUNNER_MAX_VMS
#define TAG_WATCH (RUNNER_MAX_VMS + 1)

struct runner_watch {
	int fd; /* -1: slot free */
	void (*fn)(void *arg);
	void *arg;
};

struct runner {
	unsigned int nr_vms;
	struct vmm_vm *vms[RUNNER_MAX_VMS]; /* NULL: a free slot (runner_remove_vm) */
	bool started[RUNNER_MAX_VMS];
	bool ended[RUNNER_MAX_VMS];
	struct vmm_exit exits[RUNNER_MAX_VMS];
	int sig_fd; /* signalfd for SIGINT/SIGTERM */
	int ep_fd; /* epoll over sig_fd and every VM's done fd */
	sigset_t old_mask; /* restored on destroy */
	bool stop_requested; /* a signal arrived */
	struct runner_watch watches[RUNNER_MAX_WATCHES];
	void (*on_end)(void *arg, unsigned int i); /* a VM ended (runner_on_vm_end) */
	void *on_end_arg;
	/* Shutdowns waiting on the ACPI power button: when to stop VM i (0: none). */
	uint64_t deadline_ns[RUNNER_MAX_VMS];
	unsigned int deadline_ms[RUNNER_MAX_VMS]; /* the grace it was given, for the log */
	int timer_fd; /* one timerfd, armed for the earliest deadline (-1 until needed) */
};

struct runner *runner_create(void)
{
	struct runner *r = calloc(1, sizeof(*r));
	sigset_t set;

	if (!r)
		return NULL;
	for (unsigned int i = 0; i < RUNNER_MAX_WATCHES; i++)
		r->watches[i].fd = -1;
	r->timer_fd = -1;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	/* Block before any thread exists so every thread inherits the mask. */
	pthread_sigmask(SIG_BLOCK, &set, &r->old_mask);
	r->sig_fd = signalfd(-1, &set, SFD_CLOEXEC);
	r->ep_fd = epoll_create1(EPOLL_CLOEXEC);
	if (r->sig_fd < 0 || r->ep_fd < 0) {
		LOG_ERR("cli", "cannot set up signal handling: %s", strerror(errno));
		runner_destroy(r);
		return NULL;
	}
	return r;
}

int runner_add_vm(struct runner *r, const struct vmm_opts *opts, struct vmm_vm **out)
{
	struct vmm_vm *vm;
	int err = -EINVAL;

	unsigned int slot = 0;

	while (slot < r->nr_vms && r->vms[slot])
		slot++;
	if (slot == RUNNER_MAX_VMS) {
		LOG_ERR("cli", "at most %d VMs per ferry process", RUNNER_MAX_VMS);
		return -ENOSPC;
	}
	vm = vmm_vm_create(opts, &err);
	if (!vm)
		return err;
	r->vms[slot] = vm;
	r->started[slot] = r->ended[slot] = false;
	memset(&r->exits[slot], 0, sizeof(r->exits[slot]));
	if (slot == r->nr_vms)
		r->nr_vms++;
	if (out)
		*out = vm;
	return (int)slot;
}

static void runner_reap(struct runner *r, unsigned int i);

int runner_vm_slot(const struct runner *r, const struct vmm_vm *vm)
{
	for (unsigned int i = 0; i < r->nr_vms; i++)
		if (r->vms[i] == vm)
			return (int)i;
	return -ENOENT;
}

/* Watch its end and start it: the main loop reaps it when it ends. */
static int runner_start_slot(struct runner *r, unsigned int i)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };
	int ret;

	if (epoll_ctl(r->ep_fd, EPOLL_CTL_ADD, vmm_vm_done_fd(r->vms[i]), &ev) < 0)
		return -errno;
	ret = vmm_vm_start(r->vms[i]);
	if (ret) {
		epoll_ctl(r->ep_fd, EPOLL_CTL_DEL, vmm_vm_done_fd(r->vms[i]), NULL);
		return ret;
	}
	r->started[i] = true;
	return 0;
}

int runner_boot_vm(struct runner *r, struct vmm_vm *vm)
{
	int i = runner_vm_slot(r, vm);

	if (i < 0)
		return i;
	return r->started[i] ? -EALREADY : runner_start_slot(r, (unsigned int)i);
}

enum runner_vm_state runner_vm_state(const struct runner *r, const struct vmm_vm *vm)
{
	int i = runner_vm_slot(r, vm);

	if (i < 0)
		return RUNNER_VM_GONE;
	if (!r->started[i])
		return RUNNER_VM_CREATED;
	if (r->ended[i])
		return RUNNER_VM_ENDED;
	return vmm_vm_paused(vm) ? RUNNER_VM_PAUSED : RUNNER_VM_RUNNING;
}

int runner_stop_vm(struct runner *r, struct vmm_vm *vm)
{
	int i = runner_vm_slot(r, vm);

	if (i < 0)
		return i;
	if (!r->started[i] || r->ended[i])
		return -EALREADY;
	vmm_vm_stop(vm);
	runner_reap(r, (unsigned int)i); /* its threads leave at once: join them now */
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Arm the timer for the earliest pending deadline, or disarm it. */
static void runner_arm_deadlines(struct runner *r)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };
	uint64_t first = 0;

	for (unsigned int i = 0; i < r->nr_vms; i++)
		if (r->deadline_ns[i] && (!first || r->deadline_ns[i] < first))
			first = r->deadline_ns[i];
	if (first) {
		its.it_value.tv_sec = (time_t)(first / 1000000000ull);
		its.it_value.tv_nsec = (long)(first % 1000000000ull);
	}
	timerfd_settime(r->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* The timer fired: stop every VM whose grace ran out without a power-off. */
static void runner_deadlines_due(void *arg)
{
	struct runner *r = arg;
	uint64_t expirations, now = now_ns();

	if (read(r->timer_fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		LOG_WARN("cli", "shutdown timer: %s", strerror(errno));
	for (unsigned int i = 0; i < r->nr_vms; i++) {
		if (!r->deadline_ns[i] || r->deadline_ns[i] > now)
			continue;
		r->deadline_ns[i] = 0;
		if (!r->vms[i] || !r->started[i] || r->ended[i])
			continue;
		LOG_WARN("cli", "%s: no power-off %u ms after the ACPI power button: stopping it",
			 vmm_vm_name(r->vms[i]), r->deadline_ms[i]);
		runner_stop_vm(r, r->vms[i]);
	}
	runner_arm_deadlines(r);
}

int runner_shutdown_vm(struct runner *r, struct vmm_vm *vm, unsigned int grace_ms)
{
	int i = runner_vm_slot(r, vm), ret;

	if (i < 0)
		return i;
	if (!r->started[i] || r->ended[i])
		return -EALREADY;
	if (!grace_ms)
		return runner_stop_vm(r, vm);
	if (r->timer_fd < 0) {
		r->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (r->timer_fd < 0)
			return -errno;
		ret = runner_watch_fd(r, r->timer_fd, runner_deadlines_due, r);
		if (ret) {
			close(r->timer_fd);
			r->timer_fd = -1;
			return ret;
		}
	}
	/* A paused VM cannot answer its power button: let it run first. */
	if (vmm_vm_paused(vm))
		vmm_vm_resume(vm);
	vmm_vm_power_button(vm);
	/* A second request keeps the first deadline: pressing again does not buy time. */
	if (!r->deadline_ns[i]) {
		r->deadline_ns[i] = now_ns() + (uint64_t)grace_ms * 1000000ull;
		r->deadline_ms[i] = grace_ms;
		runner_arm_deadlines(r);
	}
	return 0;
}

int runner_remove_vm(struct runner *r, struct vmm_vm *vm)
{
	int i = runner_vm_slot(r, vm);

	if (i < 0)
		return i;
	if (r->started[i] && !r->ended[i])
		return -EBUSY;
	vmm_vm_destroy(vm);
	r->vms[i] = NULL;
	return 0;
}

const struct vmm_exit *runner_vm_exit(const struct runner *r, unsigned int i)
{
	return i < r->nr_vms && r->vms[i] ? &r->exits[i] : NULL;
}

static void runner_stop_all(struct runner *r)
{
	for (unsigned int i = 0; i < r->nr_vms; i++)
		if (r->vms[i] && r->started[i] && !r->ended[i])
			vmm_vm_stop(r->vms[i]);
}

int runner_watch_fd(struct runner *r, int fd, void (*fn)(void *arg), void *arg)
{
	struct epoll_event ev = { .events = EPOLLIN };

	for (unsigned int i = 0; i < RUNNER_MAX_WATCHES; i++) {
		if (r->watches[i].fd >= 0)
			continue;
		ev.data.u32 = TAG_WATCH + i;
		if (epoll_ctl(r->ep_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
			return -errno;
		r->watches[i] = (struct runner_watch){ fd, fn, arg };
		return 0;
	}
	return -ENOSPC;
}

void runner_unwatch_fd(struct runner *r, int fd)
{
	for (unsigned int i = 0; i < RUNNER_MAX_WATCHES; i++) {
		if (r->watches[i].fd != fd)
			continue;
		epoll_ctl(r->ep_fd, EPOLL_CTL_DEL, fd, NULL);
		r->watches[i].fd = -1;
	}
}

static int runner_watch(struct runner *r)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = TAG_SIGNAL };

	return epoll_ctl(r->ep_fd, EPOLL_CTL_ADD, r->sig_fd, &ev) < 0 ? -errno : 0;
}

static void runner_reap(struct runner *r, unsigned int i)
{
	struct vmm_exit *e = &r->exits[i];

	vmm_vm_wait(r->vms[i], e);
	r->ended[i] = true;
	r->deadline_ns[i] = 0; /* it ended by itself (or was stopped): nothing left to force */
	epoll_ctl(r->ep_fd, EPOLL_CTL_DEL, vmm_vm_done_fd(r->vms[i]), NULL);
	if (e->kind == VMM_EXIT_ERROR || e->kind == VMM_EXIT_TRIPLE_FAULT)
		LOG_ERR("cli", "%s: %s", vmm_vm_name(r->vms[i]), e->reason);
	else
		LOG_INFO("cli", "%s: %s", vmm_vm_name(r->vms[i]), e->reason);
	if (r->on_end)
		r->on_end(r->on_end_arg, i);
}

void runner_on_vm_end(struct runner *r, void (*fn)(void *arg, unsigned int i), void *arg)
{
	r->on_end = fn;
	r->on_end_arg = arg;
}

static unsigned int runner_live(const struct runner *r)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < r->nr_vms; i++)
		n += r->vms[i] && r->started[i] && !r->ended[i];
	return n;
}

static void runner_on_signal(struct runner *r)
{
	struct signalfd_siginfo si;

	if (read(r->sig_fd, &si, sizeof(si)) == sizeof(si))
		LOG_INFO("cli", "signal %u: stopping %u VM(s)", si.ssi_signo, runner_live(r));
	r->stop_requested = true;
	runner_stop_all(r);
}

static int runner_status(const struct runner *r)
{
	int status = 0;

	if (r->nr_vms == 1 && r->vms[0] && r->started[0])
		return vmm_exit_status(&r->exits[0]);
	for (unsigned int i = 0; i < r->nr_vms && !status; i++)
		if (r->vms[i] && r->started[i])
			status = vmm_exit_status(&r->exits[i]);
	return status;
}

static void runner_dispatch(struct runner *r, uint32_t tag)
{
	if (tag == TAG_SIGNAL)
		runner_on_signal(r);
	else if (tag >= TAG_WATCH && r->watches[tag - TAG_WATCH].fd >= 0)
		r->watches[tag - TAG_WATCH].fn(r->watches[tag - TAG_WATCH].arg);
	else if (tag < r->nr_vms && r->vms[tag] && !r->ended[tag])
		runner_reap(r, tag);
}

int runner_run(struct runner *r, bool daemon)
{
	struct epoll_event ev[8];
	int n, ret;

	ret = runner_watch(r);
	for (unsigned int i = 0; !ret && i < r->nr_vms; i++)
		ret = r->vms[i] ? runner_start_slot(r, i) : 0;
	if (ret) {
		runner_stop_all(r);
		daemon = false;
	}
	while (runner_live(r) || (daemon && !r->stop_requested)) {
		n = epoll_wait(r->ep_fd, ev, (int)ARRAY_SIZE(ev), -1);
		if (n < 0 && errno != EINTR) {
			runner_stop_all(r);
			daemon = false;
		}
		for (int k = 0; k < n; k++)
			runner_dispatch(r, ev[k].data.u32);
	}
	return ret ? CLI_EXIT_ERROR : runner_status(r);
}

void runner_destroy(struct runner *r)
{
	if (!r)
		return;
	for (unsigned int i = 0; i < r->nr_vms; i++)
		if (r->vms[i])
			vmm_vm_destroy(r->vms[i]);
	if (r->sig_fd >= 0)
		close(r->sig_fd);
	if (r->timer_fd >= 0)
		close(r->timer_fd);
	if (r->ep_fd >= 0)
		close(r->ep_fd);
	pthread_sigmask(SIG_SETMASK, &r->old_mask, NULL);
	free(r);
}
