/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port_dummy.c - the "dummy" port kind (port_dummy.h) behind the ops table of
 * port.h.  rx queues are multi-producer rings (tests inject from any thread)
 * drained by the one PMD owning the queue; tx queues are single-producer
 * rings (the switch serialises shared tx queues) drained by tests.
 *
 * Notification protocol, the same as a virtio driver and device use: the
 * injector enqueues, then (full fence) reads the notify flag and kicks the
 * eventfd if set; the PMD sets the flag, then (full fence) re-checks the
 * ring.  Whichever runs second sees the other's write, so a frame can never
 * sit in the ring while the PMD sleeps.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "util/compiler.h"
#include "util/log.h"
#include "vswitch/port.h"
#include "vswitch/port_dummy.h"

#define DUMMY_RING_DEFAULT 1024

struct dummy_rxq {
	struct rte_ring *ring;
	int efd; /* kicked on inject while notify is set */
	_Atomic bool notify; /* the PMD asked for a kick */
	_Atomic uint64_t notify_tsc; /* TSC of the last kick */
	_Atomic uint64_t kicks; /* kicks sent */
	_Atomic uint64_t missed; /* frames that did not fit */
};

struct port_dummy {
	struct vsw_port up;
	struct dummy_rxq rxq[VSW_PORT_MAX_QUEUES];
	struct rte_ring *txq[VSW_PORT_MAX_QUEUES];
};

static _Atomic unsigned int dummy_rings; /* rte_ring names are process-wide */

static struct port_dummy *dummy_cast(struct vsw_port *port)
{
	return container_of(port, struct port_dummy, up);
}

static struct vsw_port *dummy_alloc(void)
{
	struct port_dummy *d = calloc(1, sizeof(*d));
	unsigned int q;

	if (!d)
		return NULL;
	for (q = 0; q < VSW_PORT_MAX_QUEUES; q++)
		d->rxq[q].efd = -1;
	return &d->up;
}

static struct rte_ring *dummy_ring(unsigned int size, unsigned int flags)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "dummy-%u", atomic_fetch_add(&dummy_rings, 1));
	return rte_ring_create(name, size, SOCKET_ID_ANY, flags);
}

static int dummy_check_args(const struct vsw_dummy_args *a, struct vsw_dummy_args *out)
{
	*out = a ? *a : (struct vsw_dummy_args){ 0 };
	out->n_rxq = out->n_rxq ? out->n_rxq : 1;
	out->n_txq = out->n_txq ? out->n_txq : 1;
	out->ring_size = out->ring_size ? out->ring_size : DUMMY_RING_DEFAULT;
	if (out->n_rxq > VSW_PORT_MAX_QUEUES || out->n_txq > VSW_PORT_MAX_QUEUES ||
	    !IS_POW2(out->ring_size))
		return -EINVAL;
	return 0;
}

static void dummy_destruct(struct vsw_port *port);

static int dummy_construct(struct vsw_port *port, const void *args)
{
	struct port_dummy *d = dummy_cast(port);
	struct vsw_dummy_args a;
	unsigned int q;

	if (dummy_check_args(args, &a))
		return -EINVAL;
	port->n_rxq = a.n_rxq;
	port->n_txq = a.n_txq;
	port->has_mac = a.has_mac;
	memcpy(port->mac, a.mac, sizeof(port->mac));
	port->ifindex = a.ifindex;
	port->mtu = a.mtu;
	for (q = 0; q < a.n_rxq; q++) {
		d->rxq[q].ring = dummy_ring(a.ring_size, RING_F_SC_DEQ);
		d->rxq[q].efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (!d->rxq[q].ring || d->rxq[q].efd < 0)
			goto err_destruct;
	}
	for (q = 0; q < a.n_txq; q++) {
		d->txq[q] = dummy_ring(a.ring_size, RING_F_SP_ENQ);
		if (!d->txq[q])
			goto err_destruct;
	}
	return 0;

err_destruct:
	dummy_destruct(port);
	return -ENOMEM;
}

static void dummy_ring_free(struct rte_ring *r)
{
	struct rte_mbuf *m;

	if (!r)
		return;
	while (rte_ring_dequeue(r, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(r);
}

static void dummy_destruct(struct vsw_port *port)
{
	struct port_dummy *d = dummy_cast(port);
	unsigned int q;

	for (q = 0; q < VSW_PORT_MAX_QUEUES; q++) {
		dummy_ring_free(d->rxq[q].ring);
		d->rxq[q].ring = NULL;
		if (d->rxq[q].efd >= 0)
			close(d->rxq[q].efd);
		d->rxq[q].efd = -1;
		dummy_ring_free(d->txq[q]);
		d->txq[q] = NULL;
	}
}

static void dummy_dealloc(struct vsw_port *port)
{
	free(dummy_cast(port));
}

static uint16_t dummy_rx_burst(struct vsw_port *port, uint16_t q, struct rte_mbuf **pkts,
			       uint16_t n)
{
	return (uint16_t)rte_ring_sc_dequeue_burst(dummy_cast(port)->rxq[q].ring, (void **)pkts, n,
						   NULL);
}

static uint16_t dummy_tx_burst(struct vsw_port *port, uint16_t q, struct rte_mbuf **pkts,
			       uint16_t n)
{
	return (uint16_t)rte_ring_sp_enqueue_burst(dummy_cast(port)->txq[q], (void **)pkts, n,
						   NULL);
}

static void dummy_get_stats(const struct vsw_port *port, struct vsw_port_drv_stats *st)
{
	const struct port_dummy *d = container_of(port, const struct port_dummy, up);
	unsigned int q;

	memset(st, 0, sizeof(*st));
	for (q = 0; q < port->n_rxq; q++) {
		st->rx_missed += atomic_load_explicit(&d->rxq[q].missed, memory_order_relaxed);
		st->notifications += atomic_load_explicit(&d->rxq[q].kicks, memory_order_relaxed);
	}
}

static int dummy_wait_fd(struct vsw_port *port, uint16_t q)
{
	return dummy_cast(port)->rxq[q].efd;
}

static bool dummy_enable_notify(struct vsw_port *port, uint16_t q)
{
	struct dummy_rxq *rq = &dummy_cast(port)->rxq[q];

	atomic_store(&rq->notify, true);
	/* Pairs with the fence in vsw_dummy_inject(): see the file comment. */
	atomic_thread_fence(memory_order_seq_cst);
	return !rte_ring_empty(rq->ring);
}

static void dummy_disable_notify(struct vsw_port *port, uint16_t q)
{
	atomic_store_explicit(&dummy_cast(port)->rxq[q].notify, false, memory_order_relaxed);
}

static uint64_t dummy_notify_tsc(struct vsw_port *port, uint16_t q)
{
	return atomic_load_explicit(&dummy_cast(port)->rxq[q].notify_tsc, memory_order_relaxed);
}

static bool dummy_is(const struct vsw_port *port)
{
	return port->ops == &vsw_port_dummy_ops || port->ops == &vsw_port_dummy_uplink_ops;
}

uint16_t vsw_dummy_inject(struct vsw_port *port, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	struct dummy_rxq *rq;
	uint16_t in;

	if (!dummy_is(port) || q >= port->n_rxq)
		return 0;
	rq = &dummy_cast(port)->rxq[q];
	in = (uint16_t)rte_ring_mp_enqueue_burst(rq->ring, (void **)pkts, n, NULL);
	atomic_fetch_add_explicit(&rq->missed, (uint64_t)(n - in), memory_order_relaxed);
	/* Pairs with the fence in dummy_enable_notify(). */
	atomic_thread_fence(memory_order_seq_cst);
	if (in && atomic_load_explicit(&rq->notify, memory_order_relaxed)) {
		atomic_store_explicit(&rq->notify_tsc, rte_rdtsc(), memory_order_relaxed);
		atomic_fetch_add_explicit(&rq->kicks, 1, memory_order_relaxed);
		if (eventfd_write(rq->efd, 1) < 0)
			LOG_RL(LOG_LVL_WARN, "dummy", "%s: kick failed", port->name);
	}
	return in;
}

uint16_t vsw_dummy_collect(struct vsw_port *port, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	if (!dummy_is(port) || q >= port->n_txq)
		return 0;
	return (uint16_t)rte_ring_mc_dequeue_burst(dummy_cast(port)->txq[q], (void **)pkts, n,
						   NULL);
}

bool vsw_dummy_notify_enabled(struct vsw_port *port, uint16_t q)
{
	if (!dummy_is(port) || q >= port->n_rxq)
		return false;
	return atomic_load(&dummy_cast(port)->rxq[q].notify);
}

unsigned int vsw_dummy_rx_pending(struct vsw_port *port, uint16_t q)
{
	if (!dummy_is(port) || q >= port->n_rxq)
		return 0;
	return rte_ring_count(dummy_cast(port)->rxq[q].ring);
}

/* The two kinds differ only in their name and in being an uplink. */
#define DUMMY_OPS(name, is_uplink)                                                                \
	{                                                                                         \
		.kind = name, .uplink = is_uplink, .alloc = dummy_alloc,                          \
		.construct = dummy_construct, .destruct = dummy_destruct,                         \
		.dealloc = dummy_dealloc, .rx_burst = dummy_rx_burst, .tx_burst = dummy_tx_burst, \
		.get_stats = dummy_get_stats, .wait_fd = dummy_wait_fd,                           \
		.enable_notify = dummy_enable_notify, .disable_notify = dummy_disable_notify,     \
		.notify_tsc = dummy_notify_tsc,                                                   \
	}

const struct vsw_port_ops vsw_port_dummy_ops = DUMMY_OPS("dummy", false);
const struct vsw_port_ops vsw_port_dummy_uplink_ops = DUMMY_OPS("dummy_uplink", true);
