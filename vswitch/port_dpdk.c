/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port_dpdk.c - the "dpdk" uplink kind (port_dpdk.h): a DPDK ethdev probed
 * at run time from devargs, one rx/tx queue pair per queue, buffers from the
 * switch's mempool, so frames move without a copy in either direction.
 *
 * The ethdev has no wake-up fd for idle sleep (most PMDs, af_packet among
 * them, have no rx interrupts), so a PMD polling one sleeps with pmd.c's
 * short timeout.  Where the kernel sees the uplink's traffic too (an
 * af_packet socket is a tap), sockets bound to the tunnel ports stop it
 * from answering Ferry's tunnel packets with ICMP port unreachable.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "util/compiler.h"
#include "util/log.h"
#include "vswitch/port.h"
#include "vswitch/port_dpdk.h"

#define DPDK_RING_DEFAULT 1024

struct port_dpdk {
	struct vsw_port up;
	uint16_t pid; /* ethdev port id */
	bool probed, started;
	char devname[RTE_ETH_NAME_MAX_LEN];
	char driver[32];
	char ifname[IF_NAMESIZE];
	int sink_fd[VSW_DPDK_MAX_PORTS]; /* UDP sockets on the tunnel ports, or -1 */
};

static struct port_dpdk *dpdk_cast(const struct vsw_port *port)
{
	return container_of(port, struct port_dpdk, up);
}

static struct vsw_port *dpdk_alloc(void)
{
	struct port_dpdk *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	for (unsigned int i = 0; i < VSW_DPDK_MAX_PORTS; i++)
		d->sink_fd[i] = -1;
	return &d->up;
}

/* A socket on tunnel port @port so the kernel does not refuse what it sees of it. */
static int dpdk_sink(const struct vsw_addr *a, uint16_t port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	int fam = a->family ? a->family : AF_INET, fd, one = 1;

	fd = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fam == AF_INET) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		if (a->family)
			memcpy(&s4->sin_addr, a->a, 4);
	} else {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a->a, 16);
	}
	if (bind(fd, (struct sockaddr *)&ss, fam == AF_INET ? sizeof(*s4) : sizeof(*s6)) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

static int dpdk_check_args(const struct vsw_dpdk_args *a)
{
	if (!a || !a->devargs || !a->devargs[0] || !a->ifname || !a->ifname[0] ||
	    strlen(a->ifname) >= IF_NAMESIZE) {
		LOG_ERR("dpdk",
			"a DPDK uplink needs devargs and the kernel interface it stands for");
		return -EINVAL;
	}
	if (a->queues > VSW_PORT_MAX_QUEUES || a->n_ports > VSW_DPDK_MAX_PORTS) {
		LOG_ERR("dpdk", "%s: %d queues and %d tunnel ports at most", a->devargs,
			VSW_PORT_MAX_QUEUES, VSW_DPDK_MAX_PORTS);
		return -EINVAL;
	}
	return 0;
}

/* rte_dev_probe() the devargs and find the ethdev it made. */
static int dpdk_probe(struct port_dpdk *d, const char *devargs)
{
	struct rte_eth_dev_info info;
	size_t n = strcspn(devargs, ",");
	int ret;

	snprintf(d->devname, sizeof(d->devname), "%.*s", (int)n, devargs);
	ret = rte_dev_probe(devargs);
	if (ret < 0) {
		LOG_ERR("dpdk", "cannot probe '%s': %s", devargs, rte_strerror(-ret));
		return ret;
	}
	d->probed = true;
	ret = rte_eth_dev_get_port_by_name(d->devname, &d->pid);
	if (ret < 0) {
		LOG_ERR("dpdk", "'%s' probed but made no ethdev called %s", devargs, d->devname);
		return ret;
	}
	if (rte_eth_dev_info_get(d->pid, &info) == 0)
		snprintf(d->driver, sizeof(d->driver), "%s", info.driver_name);
	return 0;
}

/* The kernel interface's MTU; 0 or -errno. */
static int dpdk_if_mtu(const char *ifname, uint16_t *mtu)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0)
		ret = -errno;
	else
		*mtu = (uint16_t)ifr.ifr_mtu;
	close(fd);
	return ret;
}

static unsigned int dpdk_max_frame(uint16_t pid)
{
	struct rte_eth_dev_info info;

	return rte_eth_dev_info_get(pid, &info) == 0 ? info.max_rx_pktlen : 0;
}

static int dpdk_setup(struct port_dpdk *d, uint16_t nq, uint16_t ring)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_ether_addr mac;
	int sock = rte_eth_dev_socket_id(d->pid), ret;
	uint16_t q, mtu = 0;

	ret = rte_eth_dev_configure(d->pid, nq, nq, &conf);
	for (q = 0; ret == 0 && q < nq; q++) {
		ret = rte_eth_rx_queue_setup(d->pid, q, ring, (unsigned int)sock, NULL, d->up.pool);
		if (ret == 0)
			ret = rte_eth_tx_queue_setup(d->pid, q, ring, (unsigned int)sock, NULL);
	}
	if (ret == 0)
		ret = rte_eth_dev_start(d->pid);
	if (ret < 0) {
		LOG_ERR("dpdk", "%s: cannot configure %u queue(s) of %u: %s", d->devname, nq, ring,
			rte_strerror(-ret));
		return ret;
	}
	d->started = true;
	if (rte_eth_macaddr_get(d->pid, &mac) == 0) {
		memcpy(d->up.mac, mac.addr_bytes, 6);
		d->up.has_mac = true;
	}
	/*
	 * The ethdev starts at its own default MTU (1500), whatever the interface
	 * has: give it the interface's, so the underlay's MTU is the one that counts.
	 */
	if (dpdk_if_mtu(d->ifname, &mtu) == 0 && rte_eth_dev_set_mtu(d->pid, mtu) != 0)
		LOG_WARN("dpdk",
			 "%s: cannot take %s's MTU %u (the driver's largest frame is %u bytes): "
			 "larger tunnel packets are dropped as too_big",
			 d->devname, d->ifname, mtu, dpdk_max_frame(d->pid));
	if (rte_eth_dev_get_mtu(d->pid, &mtu) == 0)
		d->up.mtu = mtu;
	return 0;
}

static void dpdk_destruct(struct vsw_port *port)
{
	struct port_dpdk *d = dpdk_cast(port);
	struct rte_eth_dev_info info;

	for (unsigned int i = 0; i < VSW_DPDK_MAX_PORTS; i++)
		if (d->sink_fd[i] >= 0)
			close(d->sink_fd[i]);
	if (d->started)
		rte_eth_dev_stop(d->pid);
	if (d->probed && rte_eth_dev_info_get(d->pid, &info) == 0) {
		rte_eth_dev_close(d->pid);
		if (info.device)
			rte_dev_remove(info.device);
	}
	d->started = d->probed = false;
}

static int dpdk_construct(struct vsw_port *port, const void *args_)
{
	const struct vsw_dpdk_args *a = args_;
	struct port_dpdk *d = dpdk_cast(port);
	uint16_t nq;
	int ret;

	ret = dpdk_check_args(a);
	if (ret)
		return ret;
	snprintf(d->ifname, sizeof(d->ifname), "%s", a->ifname);
	port->ifindex = (int)if_nametoindex(a->ifname);
	if (port->ifindex <= 0) {
		LOG_ERR("dpdk", "uplink %s: no interface %s here", port->name, a->ifname);
		return -ENODEV;
	}
	nq = a->queues ? a->queues : 1;
	ret = dpdk_probe(d, a->devargs);
	if (ret == 0)
		ret = dpdk_setup(d, nq, a->ring_size ? a->ring_size : DPDK_RING_DEFAULT);
	for (unsigned int i = 0; ret == 0 && i < a->n_ports; i++) {
		d->sink_fd[i] = dpdk_sink(&a->addr, a->udp_ports[i]);
		if (d->sink_fd[i] < 0)
			LOG_WARN("dpdk",
				 "%s: cannot bind UDP port %u (%s): the kernel may answer "
				 "tunnel packets with ICMP errors",
				 d->ifname, a->udp_ports[i], strerror(-d->sink_fd[i]));
	}
	if (ret) {
		dpdk_destruct(port);
		return ret;
	}
	port->n_rxq = port->n_txq = nq;
	LOG_INFO("dpdk", "uplink %s: %s (%s) for %s, %u queue(s)", port->name, d->devname,
		 d->driver, d->ifname, nq);
	return 0;
}

static void dpdk_dealloc(struct vsw_port *port)
{
	free(dpdk_cast(port));
}

static uint16_t dpdk_rx_burst(struct vsw_port *port, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_rx_burst(dpdk_cast(port)->pid, q, pkts, n);
}

static uint16_t dpdk_tx_burst(struct vsw_port *port, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_tx_burst(dpdk_cast(port)->pid, q, pkts, n);
}

static void dpdk_get_stats(const struct vsw_port *port, struct vsw_port_drv_stats *st)
{
	struct rte_eth_stats es;

	memset(st, 0, sizeof(*st));
	if (rte_eth_stats_get(dpdk_cast(port)->pid, &es) == 0) {
		st->rx_missed = es.imissed + es.ierrors + es.rx_nombuf;
		st->tx_errors = es.oerrors;
	}
}

static int dpdk_wait_fd(struct vsw_port *port, uint16_t q)
{
	(void)port;
	(void)q;
	return -1;
}

static bool dpdk_enable_notify(struct vsw_port *port, uint16_t q)
{
	(void)port;
	(void)q;
	return false;
}

static void dpdk_disable_notify(struct vsw_port *port, uint16_t q)
{
	(void)port;
	(void)q;
}

static void dpdk_describe(const struct vsw_port *port, char *buf, size_t len)
{
	const struct port_dpdk *d = dpdk_cast(port);

	snprintf(buf, len, "%s: %s (%s), %u queue%s", d->ifname, d->devname, d->driver, port->n_rxq,
		 port->n_rxq > 1 ? "s" : "");
}

const struct vsw_port_ops vsw_port_dpdk_ops = {
	.kind = "dpdk",
	.uplink = true,
	.alloc = dpdk_alloc,
	.construct = dpdk_construct,
	.destruct = dpdk_destruct,
	.dealloc = dpdk_dealloc,
	.rx_burst = dpdk_rx_burst,
	.tx_burst = dpdk_tx_burst,
	.get_stats = dpdk_get_stats,
	.wait_fd = dpdk_wait_fd,
	.enable_notify = dpdk_enable_notify,
	.disable_notify = dpdk_disable_notify,
	.describe = dpdk_describe,
};
