/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port_vnet.c - the "vnet" port kind: adapts a vhost/ virtio-net device
 * (vhost/net.h) to the switch's port ops (port.h).  Port queue q is the
 * device's queue pair q: rx_burst drains transmitq 2q+1 (frames the guest
 * sent), tx_burst fills receiveq 2q (frames to the guest), and the PMD sleeps
 * on transmitq's kick eventfd.  With several pairs the switch picks the tx
 * queue by flow (port.h), folded onto the pairs the guest uses.
 *
 * vnet_enqueue_burst() copies and leaves every mbuf to the caller, and may
 * skip a frame in the middle (too big for the guest's buffers); so tx_burst
 * frees all of them, reports all as taken and counts the undelivered ones as
 * driver tx errors (vnet_get_stats has the reasons).
 *
 * The device's datapath fence is the switch's RCU grace period; it also tells
 * the PMDs to re-read the kick fds, since a stopped queue may restart with a
 * new one (vhost-user reconnect).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "vhost/net.h"
#include "vswitch/port.h"
#include "vswitch/port_vnet.h"

#include <rte_mbuf.h>

struct port_vnet {
	struct vsw_port up;
	struct vnet_dev *dev;
	_Atomic uint64_t tx_undelivered; /* frames vnet_enqueue_burst did not deliver */
};

static struct port_vnet *vnet_port(struct vsw_port *port)
{
	return container_of(port, struct port_vnet, up);
}

static struct vsw_port *pvnet_alloc(void)
{
	struct port_vnet *v = calloc(1, sizeof(*v));

	return v ? &v->up : NULL;
}

/* The device's datapath fence (see the file comment). */
static void pvnet_sync(void *arg)
{
	struct vsw_port *port = arg;

	vsw_datapath_sync(port->sw);
	vsw_port_fds_changed(port);
}

static int pvnet_construct(struct vsw_port *port, const void *args)
{
	const struct vsw_vnet_args *a = args;
	struct port_vnet *v = vnet_port(port);
	uint16_t qps;

	if (!a || !a->dev)
		return -EINVAL;
	qps = vnet_queue_pairs(a->dev);
	if (qps < 1 || qps > VSW_PORT_MAX_QUEUES)
		return -EINVAL;
	v->dev = a->dev;
	port->n_rxq = qps;
	port->n_txq = qps;
	port->txq_by_flow = qps > 1;
	port->has_mac = a->has_mac;
	memcpy(port->mac, a->mac, sizeof(port->mac));
	vnet_set_datapath_sync(v->dev, pvnet_sync, port);
	return 0;
}

static void pvnet_destruct(struct vsw_port *port)
{
	/* No PMD polls the port any more (port.h): the fence is not needed. */
	vnet_set_datapath_sync(vnet_port(port)->dev, NULL, NULL);
}

static void pvnet_dealloc(struct vsw_port *port)
{
	free(vnet_port(port));
}

static uint16_t pvnet_rx_burst(struct vsw_port *port, uint16_t q, struct rte_mbuf **pkts,
			       uint16_t n)
{
	return vnet_dequeue_burst(vnet_port(port)->dev, q, port->pool, pkts, n);
}

static uint16_t pvnet_tx_burst(struct vsw_port *port, uint16_t q, struct rte_mbuf **pkts,
			       uint16_t n)
{
	struct port_vnet *v = vnet_port(port);
	/* Only the pairs the guest uses now take frames (it may use fewer than it has). */
	uint16_t done =
		vnet_enqueue_burst(v->dev, (uint16_t)(q % vnet_tx_queue_pairs(v->dev)), pkts, n);

	rte_pktmbuf_free_bulk(pkts, n);
	if (done < n)
		atomic_fetch_add_explicit(&v->tx_undelivered, (uint64_t)(n - done),
					  memory_order_relaxed);
	return n;
}

static void pvnet_get_stats(const struct vsw_port *port, struct vsw_port_drv_stats *st)
{
	const struct port_vnet *v = container_of(port, const struct port_vnet, up);

	struct vnet_queue_stats qs;

	st->rx_missed = 0;
	st->notifications = 0;
	st->tx_errors = atomic_load_explicit(&v->tx_undelivered, memory_order_relaxed);
	/* Pair q: transmitq 2q+1 is what the port receives, receiveq 2q what it delivers. */
	st->n_queues = (uint16_t)MIN(port->n_rxq, VSW_STATS_MAX_QUEUES);
	for (uint16_t q = 0; q < st->n_queues; q++) {
		st->q_rx[q] = vnet_get_stats(v->dev, (uint16_t)(2 * q + 1), &qs) ? 0 : qs.packets;
		st->q_tx[q] = vnet_get_stats(v->dev, (uint16_t)(2 * q), &qs) ? 0 : qs.packets;
	}
}

/*
 * Checksums always: the device completes them itself for a driver without
 * GUEST_CSUM.  Whole TSO frames only where the driver negotiated them.
 */
static unsigned int pvnet_tx_offloads(const struct vsw_port *port)
{
	const struct port_vnet *v = container_of(port, const struct port_vnet, up);
	unsigned int tso = vnet_guest_tso(v->dev);

	return VSW_TXO_CSUM | ((tso & VNET_TSO4) ? VSW_TXO_TSO4 : 0) |
	       ((tso & VNET_TSO6) ? VSW_TXO_TSO6 : 0);
}

static void pvnet_describe(const struct vsw_port *port, char *buf, size_t len)
{
	vnet_describe(container_of(port, const struct port_vnet, up)->dev, buf, len);
}

static int pvnet_wait_fd(struct vsw_port *port, uint16_t q)
{
	return vnet_queue_kick_fd(vnet_port(port)->dev, (uint16_t)(2 * q + 1));
}

static bool pvnet_enable_notify(struct vsw_port *port, uint16_t q)
{
	return vnet_queue_enable_notify(vnet_port(port)->dev, (uint16_t)(2 * q + 1));
}

static void pvnet_disable_notify(struct vsw_port *port, uint16_t q)
{
	vnet_queue_disable_notify(vnet_port(port)->dev, (uint16_t)(2 * q + 1));
}

const struct vsw_port_ops vsw_port_vnet_ops = {
	.kind = "vnet",
	.alloc = pvnet_alloc,
	.construct = pvnet_construct,
	.destruct = pvnet_destruct,
	.dealloc = pvnet_dealloc,
	.rx_burst = pvnet_rx_burst,
	.tx_burst = pvnet_tx_burst,
	.get_stats = pvnet_get_stats,
	.tx_offloads = pvnet_tx_offloads,
	.describe = pvnet_describe,
	.wait_fd = pvnet_wait_fd,
	.enable_notify = pvnet_enable_notify,
	.disable_notify = pvnet_disable_notify,
};
