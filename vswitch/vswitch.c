/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vswitch.c - the switch's control plane: creation and teardown, tenants,
 * ports, rx queue assignment, statistics and MAC aging (vswitch.h).
 *
 * Every change follows the publication rule of private.h: build the new
 * immutable objects first (so an allocation failure changes nothing), publish
 * them, wait one grace period with vsw_datapath_sync(), then free what was
 * replaced.  PMDs keep forwarding on every other port meanwhile; nothing here
 * ever stops a PMD, except vsw_destroy().  All entry points take ctl_lock.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "util/log.h"
#include "vswitch/capture.h"
#include "vswitch/evpn.h"
#include "vswitch/fdb.h"
#include "vswitch/port.h"
#include "vswitch/private.h"
#include "vswitch/wg_priv.h"

#define VSW_HK_MIN_MS 100 /* housekeeping period bounds */
#define VSW_HK_MAX_MS 1000

static _Atomic unsigned int vsw_instances;

void vsw_opts_init(struct vsw_opts *opts)
{
	unsigned int i;

	memset(opts, 0, sizeof(*opts));
	opts->pmd_threads = 1;
	for (i = 0; i < VSW_MAX_PMDS; i++)
		opts->pmd_cpus[i] = -1;
	opts->idle_sleep_us = 200;
	opts->burst = 32;
	opts->mac_aging_s = 300;
	opts->fdb_size = 4096;
	vsw_eal_opts_init(&opts->eal);
}

static int vsw_check_opts(const struct vsw_opts *o)
{
	unsigned int i;

	if (o->pmd_threads > VSW_MAX_PMDS) {
		LOG_ERR("vswitch", "pmd_threads %u > %u", o->pmd_threads, VSW_MAX_PMDS);
		return -EINVAL;
	}
	for (i = 0; i < o->pmd_threads; i++) {
		if (o->pmd_cpus[i] >= CPU_SETSIZE) {
			LOG_ERR("vswitch", "pmd_cpus[%u] = %d is not a CPU", i, o->pmd_cpus[i]);
			return -EINVAL;
		}
	}
	if (o->burst < 1 || o->burst > VSW_BURST_MAX) {
		LOG_ERR("vswitch", "burst %u not in 1..%u", o->burst, VSW_BURST_MAX);
		return -EINVAL;
	}
	if (o->fdb_size < 16 || o->fdb_size > (1u << 24)) {
		LOG_ERR("vswitch", "fdb_size %u not in 16..%u", o->fdb_size, 1u << 24);
		return -EINVAL;
	}
	return 0;
}

void vsw_datapath_sync(void *arg)
{
	struct vsw *sw = arg;

	rte_rcu_qsbr_synchronize(sw->qs, RTE_QSBR_THRID_INVALID);
}

void vsw_port_fds_changed(struct vsw_port *port)
{
	struct vsw *sw = port->sw;
	unsigned int i;

	/* Pairs with the acquire load in pmd.c's pmd_epoll_stale(). */
	atomic_fetch_add_explicit(&sw->fd_gen, 1, memory_order_release);
	for (i = 0; i < sw->n_pmds; i++)
		vsw_pmd_kick(sw->pmds[i]);
}

static struct vsw_tenant *vsw_tenant_find(struct vsw *sw, uint32_t vni) REQUIRES(sw->ctl_lock)
{
	unsigned int i;

	for (i = 0; i < VSW_MAX_TENANTS; i++)
		if (sw->tenants[i] && sw->tenants[i]->vni == vni)
			return sw->tenants[i];
	return NULL;
}

unsigned int vsw_mac_age(struct vsw *sw)
{
	uint32_t now_s = vsw_clock_s(sw, rte_rdtsc());
	struct vsw_tenant *t;
	unsigned int i, n, total = 0;

	mutex_lock(&sw->ctl_lock);
	for (i = 0; i < VSW_MAX_TENANTS; i++) {
		t = sw->tenants[i];
		if (!t)
			continue;
		n = vsw_fdb_age(t->fdb, now_s, sw->opts.mac_aging_s, vsw_datapath_sync, sw);
		vsw_ctr_add(&t->aged, n);
		total += n;
	}
	mutex_unlock(&sw->ctl_lock);
	return total;
}

/* Ages MACs a few times per lifetime, outside the per-packet path. */
static void *vsw_hk_main(void *arg)
{
	struct vsw *sw = arg;
	unsigned int ms = sw->opts.mac_aging_s * 1000 / 4;
	struct pollfd p = { .fd = sw->hk_fd, .events = POLLIN };
	int r;

	ms = MAX((unsigned int)VSW_HK_MIN_MS, MIN(ms, (unsigned int)VSW_HK_MAX_MS));
	for (;;) {
		r = poll(&p, 1, (int)ms);
		if (r > 0 || (r < 0 && errno != EINTR))
			break;
		vsw_mac_age(sw);
	}
	return NULL;
}

static int vsw_hk_start(struct vsw *sw)
{
	int ret;

	if (sw->opts.mac_aging_s == 0)
		return 0;
	sw->hk_fd = eventfd(0, EFD_CLOEXEC);
	if (sw->hk_fd < 0)
		return -errno;
	ret = pthread_create(&sw->hk_thread, NULL, vsw_hk_main, sw);
	if (ret) {
		close(sw->hk_fd);
		sw->hk_fd = -1;
		return -ret;
	}
	sw->hk_started = true;
	return 0;
}

static void vsw_hk_stop(struct vsw *sw)
{
	if (!sw->hk_started)
		return;
	if (eventfd_write(sw->hk_fd, 1) == 0)
		pthread_join(sw->hk_thread, NULL);
	close(sw->hk_fd);
	sw->hk_started = false;
}

static int vsw_setup_pmds(struct vsw *sw)
{
	unsigned int i;
	int ret;

	sw->n_pmds = sw->opts.pmd_threads ? sw->opts.pmd_threads : 1;
	sw->manual = sw->opts.pmd_threads == 0;
	sw->qs = rte_zmalloc("vsw-qsbr", rte_rcu_qsbr_get_memsize(sw->n_pmds), RTE_CACHE_LINE_SIZE);
	if (!sw->qs || rte_rcu_qsbr_init(sw->qs, sw->n_pmds))
		return -ENOMEM;
	for (i = 0; i < sw->n_pmds; i++) {
		sw->pmds[i] = vsw_pmd_create(sw, i, sw->manual ? -1 : sw->opts.pmd_cpus[i]);
		if (!sw->pmds[i])
			return -ENOMEM;
	}
	for (i = 0; i < sw->n_pmds && !sw->manual; i++) {
		ret = vsw_pmd_start(sw->pmds[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/* The local-MAC table of private.h, sized for every port having a MAC. */
static int vsw_owned_macs_create(struct vsw *sw)
{
	char name[32];
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = VSW_MAX_PORTS * 2,
		.key_len = 6,
		.socket_id = SOCKET_ID_ANY,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};

	snprintf(name, sizeof(name), "owned-%u", sw->instance);
	sw->owned_macs = rte_hash_create(&hp);
	return sw->owned_macs ? 0 : -ENOMEM;
}

struct vsw *vsw_create(const struct vsw_opts *opts)
{
	struct vsw *sw;
	int ret;

	if (vsw_check_opts(opts))
		return NULL;
	sw = calloc(1, sizeof(*sw));
	if (!sw)
		return NULL;
	sw->opts = *opts;
	sw->hk_fd = -1;
	mutex_init(&sw->ctl_lock);
	ret = vsw_eal_init(&opts->eal);
	if (ret) {
		free(sw);
		return NULL;
	}
	sw->pool = vsw_eal_pool();
	sw->instance = atomic_fetch_add(&vsw_instances, 1);
	sw->tsc_hz = rte_get_tsc_hz();
	sw->tsc0 = rte_rdtsc();
	sw->idle_tsc = (uint64_t)opts->idle_sleep_us * sw->tsc_hz / 1000000;
	ret = vsw_owned_macs_create(sw);
	if (ret == 0)
		ret = vsw_setup_pmds(sw);
	if (ret == 0)
		ret = vsw_hk_start(sw);
	if (ret) {
		LOG_ERR("vswitch", "cannot start the switch: %s", strerror(-ret));
		vsw_destroy(sw);
		return NULL;
	}
	LOG_INFO("vswitch", "switch %u up: %u PMD%s%s", sw->instance, sw->n_pmds,
		 sw->n_pmds > 1 ? "s" : "", sw->manual ? " (manual polling)" : "");
	return sw;
}

/* Build every PMD's poll list from the ports' rxq_pmd, skipping port @skip. */
static int vsw_build_polls(struct vsw *sw, uint16_t skip, struct vsw_poll_list **lists)
	REQUIRES(sw->ctl_lock)
{
	unsigned int i, cap = 0;
	struct vsw_port *p;
	uint16_t id, q;

	for (id = 0; id < VSW_MAX_PORTS; id++) {
		p = atomic_load_explicit(&sw->ports[id], memory_order_relaxed);
		cap += p ? p->n_rxq : 0;
	}
	for (i = 0; i < sw->n_pmds; i++) {
		lists[i] = malloc(sizeof(*lists[i]) + cap * sizeof(lists[i]->rxq[0]));
		if (!lists[i])
			goto err_free;
		lists[i]->n = 0;
		lists[i]->gen = ++sw->poll_gen;
	}
	for (id = 0; id < VSW_MAX_PORTS; id++) {
		p = atomic_load_explicit(&sw->ports[id], memory_order_relaxed);
		for (q = 0; p && id != skip && q < p->n_rxq; q++) {
			if (p->rxq_pmd[q] >= sw->n_pmds)
				continue;
			i = p->rxq_pmd[q];
			lists[i]->rxq[lists[i]->n++] = (struct vsw_rxq_ref){ .port = p, .q = q };
		}
	}
	return 0;

err_free:
	while (i--)
		free(lists[i]);
	return -ENOMEM;
}

static void vsw_free_polls(struct vsw *sw, struct vsw_poll_list **lists)
{
	unsigned int i;

	for (i = 0; i < sw->n_pmds; i++)
		free(lists[i]);
}

/* Publish @lists to the PMDs and free what they replace after a grace period. */
static void vsw_publish_polls(struct vsw *sw, struct vsw_poll_list **lists)
{
	struct vsw_poll_list *old[VSW_MAX_PMDS];
	unsigned int i;

	for (i = 0; i < sw->n_pmds; i++)
		old[i] = vsw_pmd_publish(sw->pmds[i], lists[i]);
	vsw_datapath_sync(sw);
	for (i = 0; i < sw->n_pmds; i++)
		free(old[i]);
}

static int vsw_repoll(struct vsw *sw, uint16_t skip) REQUIRES(sw->ctl_lock)
{
	struct vsw_poll_list *lists[VSW_MAX_PMDS];
	int ret = vsw_build_polls(sw, skip, lists);

	if (ret == 0)
		vsw_publish_polls(sw, lists);
	return ret;
}

/* The PMD with the fewest rx queues. */
static uint16_t vsw_least_loaded_pmd(struct vsw *sw)
{
	unsigned int load[VSW_MAX_PMDS] = { 0 }, i, best = 0;
	struct vsw_port *p;
	uint16_t id, q;

	for (id = 0; id < VSW_MAX_PORTS; id++) {
		p = atomic_load_explicit(&sw->ports[id], memory_order_relaxed);
		for (q = 0; p && q < p->n_rxq; q++)
			if (p->rxq_pmd[q] < sw->n_pmds)
				load[p->rxq_pmd[q]]++;
	}
	for (i = 1; i < sw->n_pmds; i++)
		if (load[i] < load[best])
			best = i;
	return (uint16_t)best;
}

static void vsw_zero_port_ctr(struct vsw *sw, uint16_t id)
{
	unsigned int i;

	for (i = 0; i < sw->n_pmds; i++)
		memset(&sw->pmds[i]->port_ctr[id], 0, sizeof(sw->pmds[i]->port_ctr[id]));
}

static struct vsw_port *vsw_port_get(struct vsw *sw, uint16_t id);
static int vsw_port_find_name(struct vsw *sw, const char *name);

static int vsw_port_check_cfg(const struct vsw_port_cfg *cfg, const struct vsw_port_ops **ops)
{
	if (!cfg->name || !cfg->name[0] || strlen(cfg->name) >= VSW_NAME_LEN) {
		LOG_ERR("vswitch", "port name missing or longer than %d", VSW_NAME_LEN - 1);
		return -EINVAL;
	}
	*ops = cfg->kind ? vsw_port_kind_find(cfg->kind) : NULL;
	if (!*ops) {
		LOG_ERR("vswitch", "port %s: unknown kind '%s'", cfg->name,
			cfg->kind ? cfg->kind : "(none)");
		return -ENOENT;
	}
	return 0;
}

static uint16_t vsw_free_port_id(struct vsw *sw)
{
	uint16_t id;

	for (id = 0; id < VSW_MAX_PORTS; id++)
		if (!atomic_load_explicit(&sw->ports[id], memory_order_relaxed))
			return id;
	return VSW_PORT_NONE;
}

/* alloc + construct + checks; the port is not visible to PMDs yet. */
static int vsw_port_make(struct vsw *sw, const struct vsw_port_cfg *cfg,
			 const struct vsw_port_ops *ops, struct vsw_tenant *t, uint16_t id,
			 struct vsw_port **out)
{
	struct vsw_port *p = ops->alloc();
	unsigned int q;
	int ret;

	if (!p)
		return -ENOMEM;
	p->ops = ops;
	p->sw = sw;
	p->tenant = t;
	p->pool = sw->pool;
	p->id = id;
	snprintf(p->name, sizeof(p->name), "%s", cfg->name);
	for (q = 0; q < VSW_PORT_MAX_QUEUES; q++) {
		spinlock_init(&p->txq_lock[q]);
		p->rxq_pmd[q] = VSW_PMD_NONE;
	}
	ret = ops->construct(p, cfg->args);
	if (ret) {
		LOG_ERR("vswitch", "port %s (%s): construct failed: %s", cfg->name, ops->kind,
			strerror(-ret));
		ops->dealloc(p);
		return ret;
	}
	if (p->n_rxq < 1 || p->n_rxq > VSW_PORT_MAX_QUEUES || p->n_txq < 1 ||
	    p->n_txq > VSW_PORT_MAX_QUEUES) {
		LOG_ERR("vswitch", "port %s: bad queue counts %u/%u", cfg->name, p->n_rxq,
			p->n_txq);
		ops->destruct(p);
		ops->dealloc(p);
		return -EINVAL;
	}
	p->shared_txq = p->n_txq < sw->n_pmds || (p->txq_by_flow && sw->n_pmds > 1);
	*out = p;
	return 0;
}

static void vsw_port_free(struct vsw_port *p)
{
	const struct vsw_port_ops *ops = p->ops;

	ops->destruct(p);
	ops->dealloc(p);
}

static int vsw_port_attach(struct vsw *sw, struct vsw_port *p) REQUIRES(sw->ctl_lock)
{
	struct vsw_port_set *old_set = NULL;
	uint16_t q;
	int ret;

	vsw_zero_port_ctr(sw, p->id);
	/* Pairs with the acquire load in forward.c's fwd_port(). */
	atomic_store_explicit(&sw->ports[p->id], p, memory_order_release);
	for (q = 0; q < p->n_rxq; q++)
		p->rxq_pmd[q] = vsw_least_loaded_pmd(sw);
	if (p->tenant) {
		old_set = vsw_tenant_publish_ports(p->tenant, p->id, VSW_PORT_NONE);
		ret = old_set ? vsw_repoll(sw, VSW_PORT_NONE) : -ENOMEM;
	} else {
		ret = vsw_repoll(sw, VSW_PORT_NONE);
	}
	if (ret == 0) {
		free(old_set);
		vsw_ovl_port_changed(sw, p, true);
		return 0;
	}
	/* Undo: nobody polls the port yet, but a flood may have seen it. */
	if (old_set)
		free(vsw_tenant_publish_ports(p->tenant, VSW_PORT_NONE, p->id));
	atomic_store_explicit(&sw->ports[p->id], NULL, memory_order_release);
	vsw_datapath_sync(sw);
	free(old_set);
	return ret;
}

int vsw_port_add(struct vsw *sw, const struct vsw_port_cfg *cfg, uint16_t *id)
{
	const struct vsw_port_ops *ops;
	struct vsw_tenant *t;
	struct vsw_port *p;
	uint16_t pid;
	int ret;

	ret = vsw_port_check_cfg(cfg, &ops);
	if (ret)
		return ret;
	mutex_lock(&sw->ctl_lock);
	if (vsw_port_find_name(sw, cfg->name) >= 0) {
		LOG_ERR("vswitch", "port %s already exists", cfg->name);
		ret = -EEXIST;
		goto out_unlock;
	}
	/* Uplinks belong to no tenant (port.h). */
	t = ops->uplink ? NULL : vsw_tenant_find(sw, cfg->vni);
	pid = vsw_free_port_id(sw);
	if ((!t && !ops->uplink) || pid == VSW_PORT_NONE) {
		LOG_ERR("vswitch", "port %s: %s", cfg->name,
			!t ? "no such tenant" : "port table full");
		ret = !t ? -ENOENT : -ENOSPC;
		goto out_unlock;
	}
	ret = vsw_port_make(sw, cfg, ops, t, pid, &p);
	if (ret)
		goto out_unlock;
	ret = vsw_port_attach(sw, p);
	if (ret) {
		vsw_port_free(p);
		goto out_unlock;
	}
	*id = pid;
	if (t)
		LOG_INFO("vswitch", "port %s (%s) id %u in tenant %u", p->name, ops->kind, pid,
			 t->vni);
	else
		LOG_INFO("vswitch", "uplink %s (%s) id %u", p->name, ops->kind, pid);
out_unlock:
	mutex_unlock(&sw->ctl_lock);
	return ret;
}

static struct vsw_port *vsw_port_get(struct vsw *sw, uint16_t id)
{
	if (id >= VSW_MAX_PORTS)
		return NULL;
	return atomic_load_explicit(&sw->ports[id], memory_order_relaxed);
}

struct vsw_port *vsw_port_lookup(struct vsw *sw, uint16_t id)
{
	struct vsw_port *p;

	mutex_lock(&sw->ctl_lock);
	p = vsw_port_get(sw, id);
	mutex_unlock(&sw->ctl_lock);
	return p;
}

/* Control side, under ctl_lock. */
static int vsw_port_find_name(struct vsw *sw, const char *name)
{
	struct vsw_port *p;
	uint16_t id;

	for (id = 0; id < VSW_MAX_PORTS; id++) {
		p = vsw_port_get(sw, id);
		if (p && strcmp(p->name, name) == 0)
			return id;
	}
	return -ENOENT;
}

int vsw_port_by_name(struct vsw *sw, const char *name)
{
	int ret;

	mutex_lock(&sw->ctl_lock);
	ret = vsw_port_find_name(sw, name);
	mutex_unlock(&sw->ctl_lock);
	return ret;
}

unsigned int vsw_port_ids(struct vsw *sw, uint16_t *ids, unsigned int max)
{
	unsigned int n = 0;
	uint16_t id;

	mutex_lock(&sw->ctl_lock);
	for (id = 0; id < VSW_MAX_PORTS && n < max; id++)
		if (vsw_port_get(sw, id))
			ids[n++] = id;
	mutex_unlock(&sw->ctl_lock);
	return n;
}

unsigned int vsw_tenant_vnis(struct vsw *sw, uint32_t *vnis, unsigned int max)
{
	unsigned int i, n = 0;

	mutex_lock(&sw->ctl_lock);
	for (i = 0; i < VSW_MAX_TENANTS && n < max; i++)
		if (sw->tenants[i])
			vnis[n++] = sw->tenants[i]->vni;
	mutex_unlock(&sw->ctl_lock);
	return n;
}

static int vsw_port_detach(struct vsw *sw, struct vsw_port *p) REQUIRES(sw->ctl_lock)
{
	struct vsw_poll_list *lists[VSW_MAX_PMDS];
	struct vsw_port_set *old_set = NULL;
	int ret;

	/* Allocate everything first so that a failure leaves the port running. */
	ret = vsw_build_polls(sw, p->id, lists);
	if (ret)
		return ret;
	if (p->tenant) {
		old_set = vsw_tenant_publish_ports(p->tenant, VSW_PORT_NONE, p->id);
		if (!old_set) {
			vsw_free_polls(sw, lists);
			return -ENOMEM;
		}
	}
	vsw_capture_port_gone(sw, p);
	atomic_store_explicit(&sw->ports[p->id], NULL, memory_order_release);
	/* One grace period covers the port table, the tenant set, the poll lists, captures. */
	vsw_publish_polls(sw, lists);
	free(old_set);
	if (p->tenant)
		vsw_fdb_flush_port(p->tenant->fdb, p->id, vsw_datapath_sync, sw);
	vsw_ovl_port_changed(sw, p, false);
	return 0;
}

int vsw_port_forget_macs(struct vsw *sw, uint16_t id)
{
	struct vsw_port *p;
	unsigned int n = 0;

	mutex_lock(&sw->ctl_lock);
	p = vsw_port_get(sw, id);
	if (p && p->tenant)
		n = vsw_fdb_flush_port(p->tenant->fdb, p->id, vsw_datapath_sync, sw);
	if (n && atomic_load_explicit(&p->tenant->evpn, memory_order_relaxed))
		vsw_evpn_kick(sw); /* withdraw them now, not at the next tick */
	mutex_unlock(&sw->ctl_lock);
	if (p && n)
		LOG_INFO("vswitch", "port %s: %u MACs forgotten", p->name, n);
	return p ? 0 : -ENOENT;
}

int vsw_port_remove(struct vsw *sw, uint16_t id)
{
	struct vsw_port *p;
	int ret = -ENOENT;

	mutex_lock(&sw->ctl_lock);
	p = vsw_port_get(sw, id);
	if (p)
		ret = vsw_port_detach(sw, p);
	if (p && ret == 0) {
		LOG_INFO("vswitch", "port %s id %u removed", p->name, id);
		vsw_port_free(p);
	}
	mutex_unlock(&sw->ctl_lock);
	return ret;
}

int vsw_port_rxq_pmd(struct vsw *sw, uint16_t id, uint16_t q)
{
	struct vsw_port *p;
	int ret = -ENOENT;

	mutex_lock(&sw->ctl_lock);
	p = vsw_port_get(sw, id);
	if (p && q < p->n_rxq)
		ret = p->rxq_pmd[q] == VSW_PMD_NONE ? -EAGAIN : p->rxq_pmd[q];
	mutex_unlock(&sw->ctl_lock);
	return ret;
}

int vsw_port_set_rxq_pmd(struct vsw *sw, uint16_t id, uint16_t q, unsigned int pmd)
{
	struct vsw_port *p;
	int ret = -EINVAL;

	mutex_lock(&sw->ctl_lock);
	p = vsw_port_get(sw, id);
	if (!p || q >= p->n_rxq || pmd >= sw->n_pmds)
		goto out_unlock;
	ret = 0;
	if (p->rxq_pmd[q] == pmd)
		goto out_unlock;
	/*
	 * Two steps, so two PMDs never poll the queue at once: take it from its
	 * PMD and wait out a grace period, then give it to the new one.
	 */
	p->rxq_pmd[q] = VSW_PMD_NONE;
	ret = vsw_repoll(sw, VSW_PORT_NONE);
	p->rxq_pmd[q] = (uint16_t)pmd;
	if (ret == 0)
		ret = vsw_repoll(sw, VSW_PORT_NONE);
out_unlock:
	mutex_unlock(&sw->ctl_lock);
	return ret;
}

int vsw_tenant_add(struct vsw *sw, uint32_t vni)
{
	unsigned int i, slot = VSW_MAX_TENANTS;
	int ret = 0;

	if (vni > VSW_MAX_VNI)
		return -EINVAL;
	mutex_lock(&sw->ctl_lock);
	for (i = 0; i < VSW_MAX_TENANTS && slot == VSW_MAX_TENANTS; i++)
		if (!sw->tenants[i])
			slot = i;
	if (vsw_tenant_find(sw, vni))
		ret = -EEXIST;
	else if (slot == VSW_MAX_TENANTS)
		ret = -ENOSPC;
	if (ret)
		goto out_unlock;
	/* No PMD counts for this slot: its last tenant had no ports left. */
	for (i = 0; i < sw->n_pmds; i++)
		memset(&sw->pmds[i]->tenant_ctr[slot], 0, sizeof(sw->pmds[i]->tenant_ctr[slot]));
	sw->tenants[slot] = vsw_tenant_create(sw, vni, slot);
	if (!sw->tenants[slot])
		ret = -ENOMEM;
out_unlock:
	mutex_unlock(&sw->ctl_lock);
	return ret;
}

int vsw_tenant_remove(struct vsw *sw, uint32_t vni)
{
	struct vsw_tenant *t;
	int ret = 0;

	mutex_lock(&sw->ctl_lock);
	t = vsw_tenant_find(sw, vni);
	if (!t)
		ret = -ENOENT;
	else if (atomic_load_explicit(&t->ports, memory_order_relaxed)->n)
		ret = -EBUSY;
	if (ret == 0) {
		vsw_ovl_tenant_removed(sw, t);
		sw->tenants[t->idx] = NULL;
		vsw_tenant_destroy(t);
	}
	mutex_unlock(&sw->ctl_lock);
	return ret;
}

void vsw_destroy(struct vsw *sw)
{
	unsigned int i;
	uint16_t id;

	if (!sw)
		return;
	vsw_hk_stop(sw);
	/* The tunnel and overlay threads take locks and wait for grace periods: stop them first. */
	vsw_capture_stop_all(sw);
	vsw_evpn_stop(sw);
	vsw_wg_stop(sw);
	vsw_ovl_stop(sw);
	for (i = 0; i < sw->n_pmds; i++)
		if (sw->pmds[i])
			vsw_pmd_stop(sw->pmds[i]);
	for (id = 0; sw->qs && id < VSW_MAX_PORTS; id++)
		if (vsw_port_get(sw, id) && vsw_port_remove(sw, id))
			LOG_ERR("vswitch", "cannot remove port %u", id);
	/* No other thread is left; the lock only keeps the analysis whole. */
	mutex_lock(&sw->ctl_lock);
	for (i = 0; i < VSW_MAX_TENANTS; i++)
		if (sw->tenants[i])
			vsw_tenant_destroy(sw->tenants[i]);
	mutex_unlock(&sw->ctl_lock);
	vsw_wg_destroy(sw);
	vsw_ovl_destroy(sw);
	for (i = 0; i < sw->n_pmds; i++)
		if (sw->pmds[i])
			vsw_pmd_destroy(sw->pmds[i]);
	rte_hash_free(sw->owned_macs);
	rte_free(sw->qs);
	mutex_destroy(&sw->ctl_lock);
	free(sw);
	vsw_eal_fini();
}

int vsw_poll(struct vsw *sw)
{
	if (!sw->manual)
		return -EINVAL;
	return (int)vsw_pmd_poll_once(sw->pmds[0]);
}

unsigned int vsw_pmd_count(const struct vsw *sw)
{
	return sw->n_pmds;
}

int vsw_mac_lookup(struct vsw *sw, uint32_t vni, const uint8_t mac[6])
{
	struct rte_ether_addr ea;
	struct vsw_tenant *t;
	int ret = -ENOENT;
	uint16_t port;

	memcpy(ea.addr_bytes, mac, sizeof(ea.addr_bytes));
	mutex_lock(&sw->ctl_lock);
	t = vsw_tenant_find(sw, vni);
	port = t ? vsw_fdb_get(t->fdb, &ea) : VSW_PORT_NONE;
	if (port != VSW_PORT_NONE)
		ret = port;
	mutex_unlock(&sw->ctl_lock);
	return ret;
}

static void vsw_sum_port_ctr(struct vsw *sw, uint16_t id, struct vsw_port_stats *st)
{
	const struct vsw_port_ctr *c;
	unsigned int i, r;

	for (i = 0; i < sw->n_pmds; i++) {
		c = &sw->pmds[i]->port_ctr[id];
		st->rx_packets += vsw_ctr_read(&c->rx_packets);
		st->rx_bytes += vsw_ctr_read(&c->rx_bytes);
		st->tx_packets += vsw_ctr_read(&c->tx_packets);
		st->tx_bytes += vsw_ctr_read(&c->tx_bytes);
		st->gso_rx += vsw_ctr_read(&c->gso_rx);
		st->gso_tx += vsw_ctr_read(&c->gso_tx);
		st->gso_split += vsw_ctr_read(&c->gso_split);
		st->csum_sw += vsw_ctr_read(&c->csum_sw);
		for (r = 0; r < VSW_DROP_MAX; r++)
			st->drops[r] += vsw_ctr_read(&c->drops[r]);
	}
}

int vsw_port_stats(struct vsw *sw, uint16_t id, struct vsw_port_stats *st)
{
	struct vsw_port *p;

	memset(st, 0, sizeof(*st));
	mutex_lock(&sw->ctl_lock);
	p = vsw_port_get(sw, id);
	if (p) {
		memcpy(st->name, p->name, sizeof(st->name));
		st->kind = p->ops->kind;
		st->vni = p->tenant ? p->tenant->vni : 0;
		st->uplink = p->ops->uplink;
		if (p->ops->describe)
			p->ops->describe(p, st->info, sizeof(st->info));
		st->n_rxq = p->n_rxq;
		st->n_txq = p->n_txq;
		vsw_sum_port_ctr(sw, id, st);
		if (p->ops->get_stats)
			p->ops->get_stats(p, &st->drv);
		/* Read apart, the two may cross: never report more errors than frames. */
		st->tx_delivered = st->tx_packets - RTE_MIN(st->drv.tx_errors, st->tx_packets);
	}
	mutex_unlock(&sw->ctl_lock);
	return p ? 0 : -ENOENT;
}

int vsw_tenant_stats(struct vsw *sw, uint32_t vni, struct vsw_tenant_stats *st)
{
	struct vsw_tenant *t;

	memset(st, 0, sizeof(*st));
	mutex_lock(&sw->ctl_lock);
	t = vsw_tenant_find(sw, vni);
	if (t)
		vsw_tenant_fill_stats(sw, t, st);
	mutex_unlock(&sw->ctl_lock);
	return t ? 0 : -ENOENT;
}

int vsw_pmd_stats(struct vsw *sw, unsigned int pmd, struct vsw_pmd_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (pmd >= sw->n_pmds)
		return -ENOENT;
	mutex_lock(&sw->ctl_lock);
	vsw_pmd_fill_stats(sw->pmds[pmd], st);
	mutex_unlock(&sw->ctl_lock);
	return 0;
}
