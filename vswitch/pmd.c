/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pmd.c - poll-mode driver threads: each polls its (port, rx queue) list,
 * hands bursts to forward.c, flushes tx buffers at the end of the iteration
 * and reports an RCU quiescent state.  After idle_sleep_us without a frame
 * it enables notifications on its queues and sleeps in epoll_wait() on their
 * wait fds plus its control eventfd (the OVS pmd-maxsleep / Linux vhost
 * enable-notify-then-recheck pattern), then disables notifications and polls
 * again.  Syscalls happen only on that sleep path and when the poll list
 * changes, never in a busy iteration.
 *
 * PMDs are plain pthreads registered with rte_thread_register() (eal.c says
 * why), pinned to their CPU when one is configured.  The control thread
 * (vswitch.c) publishes poll lists with vsw_pmd_publish(); a PMD is offline
 * for RCU while it sleeps, so a sleeping PMD never delays a grace period.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "util/fdguard.h"
#include "util/log.h"
#include "vswitch/port.h"
#include "vswitch/private.h"
#include "vswitch/wg_priv.h"

#define PMD_EP_EVENTS 32
#define PMD_EP_CTL UINT32_MAX /* event index of the control eventfd */
#define PMD_TIMEOUT_MS 1 /* sleep bound when a queue has no wait fd */

static struct vsw_poll_list *pmd_list_empty(void)
{
	return calloc(1, sizeof(struct vsw_poll_list));
}

struct vsw_pmd *vsw_pmd_create(struct vsw *sw, unsigned int idx, int cpu)
{
	struct vsw_pmd *pmd;

	pmd = aligned_alloc(RTE_CACHE_LINE_SIZE, ALIGN_UP(sizeof(*pmd), RTE_CACHE_LINE_SIZE));
	if (!pmd)
		return NULL;
	memset(pmd, 0, sizeof(*pmd));
	pmd->sw = sw;
	pmd->idx = idx;
	pmd->cpu = cpu;
	pmd->txq = (uint16_t)idx;
	pmd->epfd = -1;
	atomic_init(&pmd->stop, false);
	atomic_init(&pmd->poll, pmd_list_empty());
	atomic_init(&pmd->ctr.lat_min_ns, UINT64_MAX);
	pmd->ctl_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (pmd->ctl_fd < 0 || !atomic_load(&pmd->poll))
		goto err_free;
	/* Registered but offline until the thread (or vsw_poll) goes online. */
	if (rte_rcu_qsbr_thread_register(sw->qs, idx))
		goto err_free;
	return pmd;

err_free:
	LOG_ERR("pmd", "cannot set PMD %u up: %s", idx, strerror(errno));
	if (pmd->ctl_fd >= 0)
		close(pmd->ctl_fd);
	free(atomic_load(&pmd->poll));
	free(pmd);
	return NULL;
}

void vsw_pmd_kick(struct vsw_pmd *pmd)
{
	atomic_store_explicit(&pmd->ctl_tsc, rte_rdtsc(), memory_order_relaxed);
	if (eventfd_write(pmd->ctl_fd, 1) < 0)
		LOG_ERR("pmd", "cannot wake PMD %u: %s", pmd->idx, strerror(errno));
}

struct vsw_poll_list *vsw_pmd_publish(struct vsw_pmd *pmd, struct vsw_poll_list *pl)
{
	struct vsw_poll_list *old;

	/* Pairs with the acquire load in pmd_iterate(). */
	old = atomic_exchange_explicit(&pmd->poll, pl, memory_order_acq_rel);
	/* A sleeping PMD must rebuild its epoll set to hear the new queues. */
	vsw_pmd_kick(pmd);
	return old;
}

static void pmd_record_latency(struct vsw_pmd *pmd, uint64_t tsc)
{
	struct vsw_pmd_ctr *c = &pmd->ctr;
	uint64_t ns = tsc * 1000000000ull / pmd->sw->tsc_hz;
	uint64_t us = ns / 1000;
	unsigned int b = 0;

	while (us && b < VSW_LAT_BUCKETS - 1) {
		us >>= 1;
		b++;
	}
	vsw_ctr_add(&c->lat_hist[b], 1);
	vsw_ctr_add(&c->wakeups_measured, 1);
	vsw_ctr_add(&c->lat_sum_ns, ns);
	if (ns < vsw_ctr_read(&c->lat_min_ns))
		atomic_store_explicit(&c->lat_min_ns, ns, memory_order_relaxed);
	if (ns > vsw_ctr_read(&c->lat_max_ns))
		atomic_store_explicit(&c->lat_max_ns, ns, memory_order_relaxed);
}

/* One pass over the poll list; returns the frames received. */
/*
 * The switch clock in seconds for MAC learning and aging.  A 64-bit division
 * per iteration showed in the profile; recompute only when a second has passed.
 */
static uint32_t pmd_clock_s(struct vsw_pmd *pmd, uint64_t now)
{
	const struct vsw *sw = pmd->sw;

	if (now >= pmd->next_s_tsc) {
		pmd->now_s = vsw_clock_s(sw, now);
		pmd->next_s_tsc = sw->tsc0 + ((uint64_t)pmd->now_s + 1) * sw->tsc_hz;
	}
	return pmd->now_s;
}

static unsigned int pmd_iterate(struct vsw_pmd *pmd)
{
	const struct vsw_poll_list *pl = atomic_load_explicit(&pmd->poll, memory_order_acquire);
	struct vsw_wg *wg = wg_of(pmd->sw);
	struct rte_mbuf *pkts[VSW_BURST_MAX];
	uint16_t burst = (uint16_t)pmd->sw->opts.burst, n;
	uint64_t now = rte_rdtsc();
	uint32_t now_s = pmd_clock_s(pmd, now);
	unsigned int i, total = 0;
	struct vsw_ingress in;
	struct vsw_port *port;

	for (i = 0; i < pl->n; i++) {
		port = pl->rxq[i].port;
		n = port->ops->rx_burst(port, pl->rxq[i].q, pkts, burst);
		if (n == 0)
			continue;
		vsw_capture_hook(pmd->sw, port, pkts, n, false);
		if (port->ops->uplink) {
			vsw_ovl_rx(pmd, port, pkts, n, now_s);
		} else {
			in = (struct vsw_ingress){ .t = port->tenant,
						   .port = port,
						   .src = port->id };
			vsw_fwd_burst(pmd, &in, pkts, n, now_s);
		}
		total += n;
	}
	/* Packets a WireGuard peer held until its handshake completed (wg_dp.c). */
	if (wg && atomic_load_explicit(&wg->flush_pending, memory_order_relaxed))
		vsw_wg_flush(pmd, wg);
	vsw_fwd_flush(pmd);
	vsw_ctr_add(&pmd->ctr.iterations, 1);
	if (total) {
		vsw_ctr_add(&pmd->ctr.busy_iterations, 1);
		vsw_ctr_add(&pmd->ctr.rx_packets, total);
		pmd->last_busy = now;
		/* The first iteration after a wake-up forwarded the frame that woke us. */
		if (pmd->lat_start)
			pmd_record_latency(pmd, rte_rdtsc() - pmd->lat_start);
	}
	pmd->lat_start = 0;
	return total;
}

static void pmd_epoll_add(struct vsw_pmd *pmd, int fd, uint32_t idx)
{
	struct epoll_event ev = { .events = EPOLLIN };

	/* The low half names the fd to drain, the high half the poll-list slot. */
	ev.data.u64 = (uint64_t)idx << 32 | (uint32_t)fd;
	if (epoll_ctl(pmd->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 && errno != EEXIST) {
		LOG_RL(LOG_LVL_WARN, "pmd", "PMD %u: cannot watch fd %d: %s", pmd->idx, fd,
		       strerror(errno));
		pmd->ep_timeout = true;
	}
}

/* A fresh epoll set for @pl: fd numbers of removed ports may have been reused. */
static int pmd_epoll_build(struct vsw_pmd *pmd, const struct vsw_poll_list *pl)
{
	struct vsw_port *port;
	unsigned int i;
	int fd;

	if (pmd->epfd >= 0)
		close(pmd->epfd);
	pmd->ep_fd_gen = atomic_load_explicit(&pmd->sw->fd_gen, memory_order_acquire);
	pmd->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (pmd->epfd < 0)
		return -errno;
	pmd->ep_timeout = false;
	pmd_epoll_add(pmd, pmd->ctl_fd, PMD_EP_CTL);
	for (i = 0; i < pl->n; i++) {
		port = pl->rxq[i].port;
		fd = port->ops->wait_fd(port, pl->rxq[i].q);
		if (fd < 0)
			pmd->ep_timeout = true;
		else
			pmd_epoll_add(pmd, fd, i);
	}
	pmd->ep_gen = pl->gen;
	return 0;
}

/* Rebuild when the queues or their fds changed, or some queue had no fd (it may have one now). */
static bool pmd_epoll_stale(const struct vsw_pmd *pmd, const struct vsw_poll_list *pl)
{
	return pmd->epfd < 0 || pmd->ep_timeout || pl->gen != pmd->ep_gen ||
	       atomic_load_explicit(&pmd->sw->fd_gen, memory_order_acquire) != pmd->ep_fd_gen;
}

/* Enable notifications everywhere; true if some queue already has work. */
static bool pmd_arm(const struct vsw_poll_list *pl)
{
	unsigned int i;

	for (i = 0; i < pl->n; i++)
		if (pl->rxq[i].port->ops->enable_notify(pl->rxq[i].port, pl->rxq[i].q))
			return true;
	return false;
}

static void pmd_disarm(const struct vsw_poll_list *pl)
{
	unsigned int i;

	for (i = 0; i < pl->n; i++)
		pl->rxq[i].port->ops->disable_notify(pl->rxq[i].port, pl->rxq[i].q);
}

/* TSC of the notification behind event @ev, 0 if unknown. */
static uint64_t pmd_event_tsc(const struct vsw_poll_list *pl, const struct epoll_event *ev)
{
	uint32_t idx = (uint32_t)(ev->data.u64 >> 32);
	struct vsw_port *port;

	if (idx == PMD_EP_CTL)
		return 0; /* control wake-ups carry no frame to time */
	if (idx >= pl->n)
		return 0;
	port = pl->rxq[idx].port;
	return port->ops->notify_tsc ? port->ops->notify_tsc(port, pl->rxq[idx].q) : 0;
}

/* Whether event @ev is a level-triggered socket the PMD must not read. */
static bool pmd_event_level(const struct vsw_poll_list *pl, const struct epoll_event *ev)
{
	uint32_t idx = (uint32_t)(ev->data.u64 >> 32);

	return idx != PMD_EP_CTL && idx < pl->n && pl->rxq[idx].port->ops->wait_fd_level;
}

/*
 * A port's kick fd is a peer's too (vhost-user): it shares the open file
 * description, so it can clear O_NONBLOCK and drain the counter between our
 * epoll_wait and our read, which would then block.  The read is guarded
 * (util/fdguard.h); a read the peer blocked stops this PMD from waiting on
 * that fd (it is still polled while the PMD is awake).
 */
static bool pmd_drain_one(struct vsw_pmd *pmd, int fd)
{
	eventfd_t val;
	ssize_t n = fdguard_read(fd, &val, sizeof(val));

	if (n != -ETIMEDOUT)
		return n == sizeof(val); /* else someone else reset it: nothing to time */
	LOG_RL(LOG_LVL_ERR, "pmd",
	       "PMD %u: a peer made kick fd %d blocking and empty: not waiting "
	       "on it any more",
	       pmd->idx, fd);
	epoll_ctl(pmd->epfd, EPOLL_CTL_DEL, fd, NULL);
	return false;
}

/*
 * Reset the eventfds that fired and return the earliest notification TSC.
 * Port fds are read only if the poll list and the ports' fds are still the
 * ones epoll was built for: otherwise the fd number may belong to something
 * else by now (a port's peer reconnected and the number was reused).
 */
static uint64_t pmd_drain(struct vsw_pmd *pmd, const struct vsw_poll_list *pl,
			  const struct epoll_event *ev, int nev)
{
	bool same = pl->gen == pmd->ep_gen &&
		    atomic_load_explicit(&pmd->sw->fd_gen, memory_order_acquire) == pmd->ep_fd_gen;
	uint64_t first = 0, t;
	eventfd_t val;
	int i, fd;

	for (i = 0; i < nev; i++) {
		fd = (int)(uint32_t)ev[i].data.u64;
		if (same && pmd_event_level(pl, &ev[i]))
			continue; /* a socket the port drains itself (port.h, wait_fd_level) */
		if (fd == pmd->ctl_fd ? eventfd_read(fd, &val) < 0 :
					!same || !pmd_drain_one(pmd, fd))
			continue; /* not ours to read now, or already reset: nothing to time */
		t = same ? pmd_event_tsc(pl, &ev[i]) : 0;
		if (t && (!first || t < first))
			first = t;
	}
	return first;
}

static void pmd_sleep(struct vsw_pmd *pmd)
{
	struct epoll_event ev[PMD_EP_EVENTS];
	const struct vsw_poll_list *pl = atomic_load_explicit(&pmd->poll, memory_order_acquire);
	struct rte_rcu_qsbr *qs = pmd->sw->qs;
	int nev;

	if (pmd_epoll_stale(pmd, pl) && pmd_epoll_build(pmd, pl) < 0) {
		LOG_RL(LOG_LVL_ERR, "pmd", "PMD %u: no epoll set, polling on", pmd->idx);
		pmd->last_busy = rte_rdtsc();
		return;
	}
	if (pmd_arm(pl)) {
		/* Work slipped in while arming: keep polling (vhost_enable_notify). */
		pmd_disarm(pl);
		vsw_ctr_add(&pmd->ctr.sleep_aborts, 1);
		pmd->last_busy = rte_rdtsc();
		return;
	}
	vsw_ctr_add(&pmd->ctr.sleeps, 1);
	rte_rcu_qsbr_thread_offline(qs, pmd->idx);
	nev = epoll_wait(pmd->epfd, ev, PMD_EP_EVENTS, pmd->ep_timeout ? PMD_TIMEOUT_MS : -1);
	rte_rcu_qsbr_thread_online(qs, pmd->idx);
	/* @pl may be gone while we were offline: look again. */
	pl = atomic_load_explicit(&pmd->poll, memory_order_acquire);
	pmd->lat_start = nev > 0 ? pmd_drain(pmd, pl, ev, nev) : 0;
	pmd_disarm(pl);
	pmd->last_busy = rte_rdtsc();
}

static void pmd_setup_thread(struct vsw_pmd *pmd)
{
	char name[16];
	cpu_set_t set;

	snprintf(name, sizeof(name), "ferry-pmd%u", pmd->idx);
	pthread_setname_np(pthread_self(), name);
	if (pmd->cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(pmd->cpu, &set);
		if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
			LOG_WARN("pmd", "PMD %u: cannot pin to CPU %d", pmd->idx, pmd->cpu);
	}
	/* An lcore id gives this thread its own mempool cache (eal.c). */
	if (rte_thread_register() < 0)
		LOG_WARN("pmd", "PMD %u: no lcore id, mbuf allocations bypass the cache", pmd->idx);
}

static void *pmd_main(void *arg)
{
	struct vsw_pmd *pmd = arg;
	struct vsw *sw = pmd->sw;

	pmd_setup_thread(pmd);
	rte_rcu_qsbr_thread_online(sw->qs, pmd->idx);
	pmd->last_busy = rte_rdtsc();
	/* Pairs with the release store in vsw_pmd_destroy(). */
	while (!atomic_load_explicit(&pmd->stop, memory_order_acquire)) {
		if (pmd_iterate(pmd)) {
			rte_rcu_qsbr_quiescent(sw->qs, pmd->idx);
			continue;
		}
		rte_rcu_qsbr_quiescent(sw->qs, pmd->idx);
		if (sw->idle_tsc && rte_rdtsc() - pmd->last_busy >= sw->idle_tsc)
			pmd_sleep(pmd);
	}
	rte_rcu_qsbr_thread_offline(sw->qs, pmd->idx);
	rte_thread_unregister();
	return NULL;
}

int vsw_pmd_start(struct vsw_pmd *pmd)
{
	int ret = pthread_create(&pmd->thread, NULL, pmd_main, pmd);

	if (ret) {
		LOG_ERR("pmd", "cannot start PMD %u: %s", pmd->idx, strerror(ret));
		return -ret;
	}
	pmd->thread_started = true;
	return 0;
}

unsigned int vsw_pmd_poll_once(struct vsw_pmd *pmd)
{
	unsigned int n;

	rte_rcu_qsbr_thread_online(pmd->sw->qs, pmd->idx);
	n = pmd_iterate(pmd);
	rte_rcu_qsbr_quiescent(pmd->sw->qs, pmd->idx);
	rte_rcu_qsbr_thread_offline(pmd->sw->qs, pmd->idx);
	return n;
}

void vsw_pmd_stop(struct vsw_pmd *pmd)
{
	if (!pmd->thread_started)
		return;
	atomic_store_explicit(&pmd->stop, true, memory_order_release);
	vsw_pmd_kick(pmd);
	pthread_join(pmd->thread, NULL);
	pmd->thread_started = false;
}

void vsw_pmd_destroy(struct vsw_pmd *pmd)
{
	vsw_pmd_stop(pmd);
	rte_rcu_qsbr_thread_unregister(pmd->sw->qs, pmd->idx);
	if (pmd->epfd >= 0)
		close(pmd->epfd);
	close(pmd->ctl_fd);
	free(atomic_load(&pmd->poll));
	free(pmd);
}

void vsw_pmd_fill_stats(const struct vsw_pmd *pmd, struct vsw_pmd_stats *st)
{
	const struct vsw_pmd_ctr *c = &pmd->ctr;
	unsigned int i;

	st->cpu = pmd->cpu;
	st->n_rxq = atomic_load_explicit(&pmd->poll, memory_order_acquire)->n;
	st->iterations = vsw_ctr_read(&c->iterations);
	st->busy_iterations = vsw_ctr_read(&c->busy_iterations);
	st->rx_packets = vsw_ctr_read(&c->rx_packets);
	st->tx_packets = vsw_ctr_read(&c->tx_packets);
	st->sleeps = vsw_ctr_read(&c->sleeps);
	st->sleep_aborts = vsw_ctr_read(&c->sleep_aborts);
	st->wakeups_measured = vsw_ctr_read(&c->wakeups_measured);
	st->wake_lat_min_ns = st->wakeups_measured ? vsw_ctr_read(&c->lat_min_ns) : 0;
	st->wake_lat_max_ns = vsw_ctr_read(&c->lat_max_ns);
	st->wake_lat_sum_ns = vsw_ctr_read(&c->lat_sum_ns);
	for (i = 0; i < VSW_LAT_BUCKETS; i++)
		st->wake_lat_hist[i] = vsw_ctr_read(&c->lat_hist[i]);
}
