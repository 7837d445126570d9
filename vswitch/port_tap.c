/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port_tap.c - the "tap" port kind (port_tap.h): one TAP queue, non-blocking,
 * one read() or write() per frame (the kernel's tun interface has no batch
 * call), brought up on creation.  The fd stays readable while frames wait,
 * so an idle PMD sleeps on it directly (wait_fd_level).
 *
 * Frames from the kernel are the host's, trusted as much as the host is, but
 * still only what read() returned is used: a frame longer than an mbuf is
 * cut by the kernel (read() returns the buffer size) and counted as missed.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_mbuf.h>

#include "util/compiler.h"
#include "util/log.h"
#include "vswitch/port.h"
#include "vswitch/port_tap.h"

struct port_tap {
	struct vsw_port up;
	int fd;
	char ifname[IF_NAMESIZE];
	struct rte_mbuf *spare; /* the rx queue's PMD only */
	_Atomic uint64_t rx_missed, tx_errors;
};

static struct port_tap *tap_cast(const struct vsw_port *port)
{
	return container_of(port, struct port_tap, up);
}

static struct vsw_port *tap_alloc(void)
{
	struct port_tap *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->fd = -1;
	return &t->up;
}

/* The interface up, so the kernel passes frames (ip link set IFNAME up). */
static int tap_set_up(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (s < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		ret = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (ret == 0 && ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		ret = -errno;
	close(s);
	return ret;
}

static int tap_construct(struct vsw_port *port, const void *args_)
{
	const struct vsw_tap_args *a = args_;
	struct port_tap *t = tap_cast(port);
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int ret;

	if (!a || !a->ifname || !a->ifname[0] || strlen(a->ifname) >= IF_NAMESIZE) {
		LOG_ERR("tap", "port %s: a tap port needs an interface name of 1..%d bytes",
			port->name, IF_NAMESIZE - 1);
		return -EINVAL;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", a->ifname);
	t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0 || ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
		ret = -errno;
		LOG_ERR("tap", "port %s: cannot open tap %s: %s", port->name, a->ifname,
			strerror(-ret));
		return ret;
	}
	snprintf(t->ifname, sizeof(t->ifname), "%s", ifr.ifr_name);
	ret = tap_set_up(t->ifname);
	if (ret) {
		LOG_ERR("tap", "port %s: cannot bring %s up: %s", port->name, t->ifname,
			strerror(-ret));
		return ret;
	}
	port->n_rxq = port->n_txq = 1;
	port->ifindex = (int)if_nametoindex(t->ifname);
	return 0;
}

static void tap_destruct(struct vsw_port *port)
{
	struct port_tap *t = tap_cast(port);

	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	rte_pktmbuf_free(t->spare);
	t->spare = NULL;
}

static void tap_dealloc(struct vsw_port *port)
{
	free(tap_cast(port));
}

static uint16_t tap_rx_burst(struct vsw_port *port, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	struct port_tap *t = tap_cast(port);
	struct rte_mbuf *m;
	uint16_t k = 0, room;
	ssize_t got;

	(void)q;
	while (k < n) {
		/* A buffer kept from the last empty read: no allocation per idle poll. */
		m = t->spare ? t->spare : rte_pktmbuf_alloc(port->pool);
		t->spare = NULL;
		if (!m) {
			atomic_fetch_add_explicit(&t->rx_missed, 1, memory_order_relaxed);
			break;
		}
		room = rte_pktmbuf_tailroom(m);
		got = read(t->fd, rte_pktmbuf_mtod(m, void *), room);
		if (got <= 0) {
			t->spare = m; /* EAGAIN: nothing more now */
			break;
		}
		if (got >= room) {
			/* Cut to our buffer: not a frame we could forward whole. */
			atomic_fetch_add_explicit(&t->rx_missed, 1, memory_order_relaxed);
			t->spare = m;
			continue;
		}
		rte_pktmbuf_append(m, (uint16_t)got);
		pkts[k++] = m;
	}
	return k;
}

static uint16_t tap_tx_burst(struct vsw_port *port, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	struct port_tap *t = tap_cast(port);
	uint8_t buf[RTE_MBUF_DEFAULT_DATAROOM];
	const void *p;
	uint32_t len;
	uint16_t i;

	(void)q;
	for (i = 0; i < n; i++) {
		len = rte_pktmbuf_pkt_len(pkts[i]);
		p = len <= sizeof(buf) ? rte_pktmbuf_read(pkts[i], 0, len, buf) : NULL;
		if (!p || write(t->fd, p, len) != (ssize_t)len) {
			if (p && errno == EAGAIN)
				break; /* the kernel's queue is full: the switch counts the rest */
			atomic_fetch_add_explicit(&t->tx_errors, 1, memory_order_relaxed);
		}
		rte_pktmbuf_free(pkts[i]);
	}
	return i;
}

static void tap_get_stats(const struct vsw_port *port, struct vsw_port_drv_stats *st)
{
	const struct port_tap *t = tap_cast(port);

	memset(st, 0, sizeof(*st));
	st->rx_missed = atomic_load_explicit(&t->rx_missed, memory_order_relaxed);
	st->tx_errors = atomic_load_explicit(&t->tx_errors, memory_order_relaxed);
}

static int tap_wait_fd(struct vsw_port *port, uint16_t q)
{
	(void)q;
	return tap_cast(port)->fd;
}

static bool tap_enable_notify(struct vsw_port *port, uint16_t q)
{
	struct pollfd p = { .fd = tap_cast(port)->fd, .events = POLLIN };

	(void)q;
	return poll(&p, 1, 0) > 0;
}

static void tap_disable_notify(struct vsw_port *port, uint16_t q)
{
	(void)port;
	(void)q;
}

static void tap_describe(const struct vsw_port *port, char *buf, size_t len)
{
	snprintf(buf, len, "tap %s", tap_cast(port)->ifname);
}

const struct vsw_port_ops vsw_port_tap_ops = {
	.kind = "tap",
	.wait_fd_level = true,
	.alloc = tap_alloc,
	.construct = tap_construct,
	.destruct = tap_destruct,
	.dealloc = tap_dealloc,
	.rx_burst = tap_rx_burst,
	.tx_burst = tap_tx_burst,
	.get_stats = tap_get_stats,
	.wait_fd = tap_wait_fd,
	.enable_notify = tap_enable_notify,
	.disable_notify = tap_disable_notify,
	.describe = tap_describe,
};
