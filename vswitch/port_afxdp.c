/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port_afxdp.c - the "afxdp" uplink kind (port_afxdp.h): one AF_XDP socket
 * per queue, bound zero-copy where the driver allows and in copy mode
 * otherwise (what was bound is reported by describe and the log), fed by
 * the uplink XDP program of ebpf/, which passes everything that is not
 * Ferry's tunnel traffic on to the kernel.
 *
 * Each queue has its own UMEM: the first half of its frames belongs to the
 * fill/rx rings, the second half to tx, whose free frames are a stack
 * refilled from the completion ring.  Frames are copied between UMEM and
 * mbufs (the switch's mempool is not UMEM), one copy each way; the receive
 * side returns a frame to the fill ring as soon as it is copied.
 *
 * Security model: the kernel fills rx descriptors; their address and length
 * are still checked against the UMEM and the frame size before a byte is
 * copied, so a descriptor that is wrong costs a frame, not memory safety.
 */
#include <errno.h>
#include <net/if.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_xdp.h>
#include <xdp/xsk.h>

#include <rte_mbuf.h>

#include "ebpf/ebpf.h"
#include "util/compiler.h"
#include "util/log.h"
#include "vswitch/port.h"
#include "vswitch/overlay.h"
#include "vswitch/port_afxdp.h"

#define XQ_FRAME 2048u /* UMEM frame: one Ethernet frame of up to 2048 bytes */
#define XQ_RING_DEFAULT 2048u
#define XQ_RING_MAX 16384u

struct xq {
	struct xsk_socket *xsk;
	struct xsk_umem *umem;
	uint8_t *area; /* 2 * ring frames */
	size_t area_len;
	struct xsk_ring_prod fill, tx;
	struct xsk_ring_cons comp, rx;
	uint64_t *free_tx; /* stack of free tx frame addresses */
	uint32_t n_free;
	int fd;
	bool zerocopy;
	_Atomic uint64_t rx_nombuf, rx_bad, tx_too_big; /* this queue's own losses */
};

struct port_afxdp {
	struct vsw_port up;
	struct ebpf_uplink *prog;
	char ifname[IF_NAMESIZE];
	uint32_t ring;
	struct xq q[VSW_PORT_MAX_QUEUES];
};

static struct port_afxdp *afxdp_cast(const struct vsw_port *port)
{
	return container_of(port, struct port_afxdp, up);
}

static struct vsw_port *afxdp_alloc(void)
{
	struct port_afxdp *a = calloc(1, sizeof(*a));
	unsigned int i;

	if (!a)
		return NULL;
	for (i = 0; i < VSW_PORT_MAX_QUEUES; i++)
		a->q[i].fd = -1;
	return &a->up;
}

static void xq_close(struct xq *q)
{
	if (q->xsk)
		xsk_socket__delete(q->xsk);
	if (q->umem)
		xsk_umem__delete(q->umem);
	if (q->area)
		munmap(q->area, q->area_len);
	free(q->free_tx);
	q->xsk = NULL;
	q->umem = NULL;
	q->area = NULL;
	q->free_tx = NULL;
	q->fd = -1;
}

/* UMEM and socket for queue @qid in one copy mode; 0 or -errno (nothing left open). */
static int xq_open_mode(struct port_afxdp *a, unsigned int qid, bool zc)
{
	struct xq *q = &a->q[qid];
	struct xsk_umem_config uc = { .fill_size = a->ring,
				      .comp_size = a->ring,
				      .frame_size = XQ_FRAME,
				      .frame_headroom = 0 };
	struct xsk_socket_config sc = { .rx_size = a->ring,
					.tx_size = a->ring,
					.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
					.bind_flags = XDP_USE_NEED_WAKEUP |
						      (zc ? XDP_ZEROCOPY : XDP_COPY) };
	int err;

	q->area_len = (size_t)2 * a->ring * XQ_FRAME;
	q->area =
		mmap(NULL, q->area_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q->area == MAP_FAILED) {
		q->area = NULL;
		return -errno;
	}
	err = xsk_umem__create(&q->umem, q->area, q->area_len, &q->fill, &q->comp, &uc);
	if (!err)
		err = xsk_socket__create(&q->xsk, a->ifname, qid, q->umem, &q->rx, &q->tx, &sc);
	if (err) {
		xq_close(q);
		return err;
	}
	q->fd = xsk_socket__fd(q->xsk);
	q->zerocopy = zc;
	return 0;
}

/* Give the fill ring its frames and tx its free stack. */
static int xq_prime(struct port_afxdp *a, struct xq *q)
{
	uint32_t i, idx = 0;

	q->free_tx = calloc(a->ring, sizeof(*q->free_tx));
	if (!q->free_tx)
		return -ENOMEM;
	for (i = 0; i < a->ring; i++)
		q->free_tx[i] = (uint64_t)(a->ring + i) * XQ_FRAME;
	q->n_free = a->ring;
	if (xsk_ring_prod__reserve(&q->fill, a->ring, &idx) != a->ring)
		return -ENOSPC;
	for (i = 0; i < a->ring; i++)
		*xsk_ring_prod__fill_addr(&q->fill, idx + i) = (uint64_t)i * XQ_FRAME;
	xsk_ring_prod__submit(&q->fill, a->ring);
	return 0;
}

static int xq_open(struct port_afxdp *a, unsigned int qid, enum vsw_xsk_copy copy)
{
	int err = -EINVAL;

	if (copy != VSW_XSK_COPY) {
		err = xq_open_mode(a, qid, true);
		if (err && copy == VSW_XSK_ZEROCOPY) {
			LOG_ERR("afxdp", "%s queue %u: no zero-copy AF_XDP here: %s", a->ifname,
				qid, strerror(-err));
			return err;
		}
	}
	if (copy == VSW_XSK_COPY || err)
		err = xq_open_mode(a, qid, false);
	if (err) {
		LOG_ERR("afxdp", "%s queue %u: cannot bind an AF_XDP socket: %s", a->ifname, qid,
			strerror(-err));
		return err;
	}
	err = xq_prime(a, &a->q[qid]);
	if (!err)
		err = ebpf_uplink_set_socket(a->prog, qid, a->q[qid].fd);
	return err;
}

/* The interface's MAC and MTU, through the classic ioctls. */
static int afxdp_link_info(struct port_afxdp *a)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", a->ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		ret = -errno;
	else
		memcpy(a->up.mac, ifr.ifr_hwaddr.sa_data, 6);
	if (ret == 0 && ioctl(fd, SIOCGIFMTU, &ifr) < 0)
		ret = -errno;
	/* A UMEM frame holds the whole Ethernet frame. */
	if (ret == 0)
		a->up.mtu = (uint32_t)ifr.ifr_mtu < XQ_FRAME - 14 ? (uint32_t)ifr.ifr_mtu :
								    XQ_FRAME - 14;
	close(fd);
	a->up.has_mac = ret == 0;
	return ret;
}

static int afxdp_check_args(const struct vsw_afxdp_args *args)
{
	if (!args || !args->ifname || !args->ifname[0] || strlen(args->ifname) >= IF_NAMESIZE) {
		LOG_ERR("afxdp", "an AF_XDP uplink needs an interface name");
		return -EINVAL;
	}
	if (args->n_ports == 0 || args->n_ports > VSW_AFXDP_MAX_PORTS ||
	    args->n_addrs > VSW_AFXDP_MAX_ADDRS || args->queues > VSW_PORT_MAX_QUEUES) {
		LOG_ERR("afxdp", "%s: 1..%d tunnel ports, %d addresses, %d queues at most",
			args->ifname, VSW_AFXDP_MAX_PORTS, VSW_AFXDP_MAX_ADDRS,
			VSW_PORT_MAX_QUEUES);
		return -EINVAL;
	}
	if (args->ring_size && (args->ring_size & (args->ring_size - 1) || args->ring_size < 64 ||
				args->ring_size > XQ_RING_MAX)) {
		LOG_ERR("afxdp", "%s: ring size %u is not a power of two in 64..%u", args->ifname,
			args->ring_size, XQ_RING_MAX);
		return -EINVAL;
	}
	return 0;
}

static int afxdp_attach_prog(struct port_afxdp *a, const struct vsw_afxdp_args *args)
{
	struct ebpf_uplink_opts o = { .ifindex = a->up.ifindex,
				      .mode = args->attach == VSW_XDP_NATIVE  ? EBPF_XDP_NATIVE :
					      args->attach == VSW_XDP_GENERIC ? EBPF_XDP_GENERIC :
										EBPF_XDP_AUTO,
				      .n_ports = args->n_ports,
				      .vxlan_port = args->udp_ports[0],
				      .wg_port = args->wg_port,
				      .n_addrs = args->n_addrs };
	unsigned int i;

	for (i = 0; i < args->n_ports; i++)
		o.ports[i] = args->udp_ports[i];
	for (i = 0; i < args->n_addrs; i++) {
		o.addrs[i].family = args->addrs[i].family;
		memcpy(o.addrs[i].a, args->addrs[i].a, 16);
	}
	return ebpf_uplink_attach(&o, &a->prog);
}

static void afxdp_destruct(struct vsw_port *port)
{
	struct port_afxdp *a = afxdp_cast(port);
	unsigned int i;

	for (i = 0; i < VSW_PORT_MAX_QUEUES; i++)
		xq_close(&a->q[i]);
	ebpf_uplink_detach(a->prog);
	a->prog = NULL;
}

static int afxdp_construct(struct vsw_port *port, const void *args_)
{
	const struct vsw_afxdp_args *args = args_;
	struct port_afxdp *a = afxdp_cast(port);
	unsigned int i, nq;
	char info[96];
	int err;

	err = afxdp_check_args(args);
	if (err)
		return err;
	snprintf(a->ifname, sizeof(a->ifname), "%s", args->ifname);
	port->ifindex = (int)if_nametoindex(a->ifname);
	if (port->ifindex <= 0) {
		LOG_ERR("afxdp", "uplink %s: no interface %s here", port->name, a->ifname);
		return -ENODEV;
	}
	err = afxdp_link_info(a);
	if (err) {
		LOG_ERR("afxdp", "%s: cannot read MAC and MTU: %s", a->ifname, strerror(-err));
		return err;
	}
	a->ring = args->ring_size ? args->ring_size : XQ_RING_DEFAULT;
	nq = args->queues ? args->queues : 1;
	err = afxdp_attach_prog(a, args);
	for (i = 0; err == 0 && i < nq; i++)
		err = xq_open(a, i, args->copy);
	if (err) {
		afxdp_destruct(port);
		return err;
	}
	port->n_rxq = port->n_txq = (uint16_t)nq;
	port->ops->describe(port, info, sizeof(info));
	LOG_INFO("afxdp", "uplink %s: %s", port->name, info);
	return 0;
}

static void afxdp_dealloc(struct vsw_port *port)
{
	free(afxdp_cast(port));
}

/* Copy one received descriptor into an mbuf; false if the descriptor is impossible. */
static bool xq_copy_in(struct xq *q, const struct xdp_desc *d, struct rte_mbuf *m)
{
	uint64_t addr = xsk_umem__add_offset_to_addr(d->addr);
	char *dst;

	if (addr >= q->area_len || d->len > XQ_FRAME || addr + d->len > q->area_len ||
	    d->len > rte_pktmbuf_tailroom(m))
		return false;
	dst = rte_pktmbuf_append(m, (uint16_t)d->len);
	memcpy(dst, xsk_umem__get_data(q->area, addr), d->len);
	return true;
}

/* Hand @n rx descriptors starting at @idx back: their frames go to the fill ring. */
static void xq_recycle(struct xq *q, uint32_t idx, uint32_t n)
{
	uint32_t fidx = 0, i;
	uint64_t addr;

	/* The fill ring has room: it lacks exactly the frames the rx ring holds. */
	if (xsk_ring_prod__reserve(&q->fill, n, &fidx) != n) {
		xsk_ring_cons__release(&q->rx, n);
		return;
	}
	for (i = 0; i < n; i++) {
		addr = xsk_umem__extract_addr(xsk_ring_cons__rx_desc(&q->rx, idx + i)->addr);
		*xsk_ring_prod__fill_addr(&q->fill, fidx + i) = addr - addr % XQ_FRAME;
	}
	xsk_ring_prod__submit(&q->fill, n);
	xsk_ring_cons__release(&q->rx, n);
}

static uint16_t afxdp_rx_burst(struct vsw_port *port, uint16_t qid, struct rte_mbuf **pkts,
			       uint16_t n)
{
	struct port_afxdp *a = afxdp_cast(port);
	struct rte_mbuf *ms[VSW_BURST_MAX];
	struct xq *q = &a->q[qid];
	uint32_t idx = 0, got, i, k = 0;

	got = xsk_ring_cons__peek(&q->rx, RTE_MIN(n, (uint16_t)VSW_BURST_MAX), &idx);
	if (got == 0) {
		/* Zero-copy drivers may wait to be told that the fill ring has frames. */
		if (xsk_ring_prod__needs_wakeup(&q->fill))
			recvfrom(q->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
		return 0;
	}
	if (rte_pktmbuf_alloc_bulk(port->pool, ms, got) != 0) {
		atomic_fetch_add_explicit(&q->rx_nombuf, got, memory_order_relaxed);
		xq_recycle(q, idx, got);
		return 0;
	}
	for (i = 0; i < got; i++) {
		if (xq_copy_in(q, xsk_ring_cons__rx_desc(&q->rx, idx + i), ms[i])) {
			pkts[k++] = ms[i];
		} else {
			atomic_fetch_add_explicit(&q->rx_bad, 1, memory_order_relaxed);
			rte_pktmbuf_free(ms[i]);
		}
	}
	xq_recycle(q, idx, got);
	return (uint16_t)k;
}

static void xq_reclaim(struct xq *q)
{
	uint32_t idx = 0, n, i;

	n = xsk_ring_cons__peek(&q->comp, q->tx.size, &idx);
	for (i = 0; i < n; i++)
		q->free_tx[q->n_free++] = *xsk_ring_cons__comp_addr(&q->comp, idx + i);
	xsk_ring_cons__release(&q->comp, n);
}

static uint16_t afxdp_tx_burst(struct vsw_port *port, uint16_t qid, struct rte_mbuf **pkts,
			       uint16_t n)
{
	struct xq *q = &afxdp_cast(port)->q[qid];
	uint32_t idx = 0, k, i, len;
	struct xdp_desc *d;
	const void *src;
	uint8_t *dst;

	xq_reclaim(q);
	k = RTE_MIN((uint32_t)n, q->n_free);
	k = xsk_prod_nb_free(&q->tx, k) < k ? xsk_prod_nb_free(&q->tx, k) : k;
	if (k == 0 || xsk_ring_prod__reserve(&q->tx, k, &idx) != k)
		return 0;
	for (i = 0; i < k; i++) {
		len = rte_pktmbuf_pkt_len(pkts[i]);
		d = xsk_ring_prod__tx_desc(&q->tx, idx + i);
		d->addr = q->free_tx[--q->n_free];
		dst = xsk_umem__get_data(q->area, d->addr);
		/* Too big for a frame: sent as an empty descriptor, counted. */
		d->len = len <= XQ_FRAME ? len : 0;
		if (d->len == 0)
			atomic_fetch_add_explicit(&q->tx_too_big, 1, memory_order_relaxed);
		src = d->len ? rte_pktmbuf_read(pkts[i], 0, len, dst) : NULL;
		if (src && src != dst)
			memcpy(dst, src, len);
		rte_pktmbuf_free(pkts[i]);
	}
	xsk_ring_prod__submit(&q->tx, k);
	/* Copy mode always needs the syscall; zero-copy only when the driver sleeps. */
	if (xsk_ring_prod__needs_wakeup(&q->tx))
		sendto(q->fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
	return (uint16_t)k;
}

static void afxdp_get_stats(const struct vsw_port *port, struct vsw_port_drv_stats *st)
{
	const struct port_afxdp *a = afxdp_cast(port);
	struct xdp_statistics xs;
	socklen_t len;
	unsigned int i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < port->n_rxq; i++) {
		const struct xq *q = &a->q[i];

		st->rx_missed += atomic_load_explicit(&q->rx_nombuf, memory_order_relaxed) +
				 atomic_load_explicit(&q->rx_bad, memory_order_relaxed);
		st->tx_errors += atomic_load_explicit(&q->tx_too_big, memory_order_relaxed);
		len = sizeof(xs);
		if (q->fd >= 0 && getsockopt(q->fd, SOL_XDP, XDP_STATISTICS, &xs, &len) == 0) {
			st->rx_missed += xs.rx_dropped + xs.rx_ring_full;
			st->tx_errors += xs.tx_invalid_descs;
		}
	}
}

static int afxdp_wait_fd(struct vsw_port *port, uint16_t q)
{
	return afxdp_cast(port)->q[q].fd;
}

static bool afxdp_enable_notify(struct vsw_port *port, uint16_t q)
{
	return xsk_cons_nb_avail(&afxdp_cast(port)->q[q].rx, 1) > 0;
}

static void afxdp_disable_notify(struct vsw_port *port, uint16_t q)
{
	(void)port;
	(void)q;
}

static int afxdp_set_filter(struct vsw_port *port, const struct vsw_port_filter *f)
{
	struct port_afxdp *a = afxdp_cast(port);
	struct ebpf_uplink_filter ef = { .enforce_vteps = f->enforce_vteps,
					 .enforce_vnis = f->enforce_vnis,
					 .rate_pps = f->rate_pps,
					 .burst = f->burst };
	struct ebpf_prefix *pre = calloc(f->n_prefixes ? f->n_prefixes : 1, sizeof(*pre));
	int err;

	if (!pre)
		return -ENOMEM;
	for (unsigned int i = 0; i < f->n_prefixes; i++) {
		pre[i].family = f->prefixes[i].addr.family;
		pre[i].plen = f->prefixes[i].plen;
		memcpy(pre[i].a, f->prefixes[i].addr.a, 16);
	}
	/* The lists first, then the switch that enforces them: nothing allowed drops. */
	err = ebpf_uplink_sync_allow(a->prog, pre, f->n_prefixes, f->vnis, f->n_vnis);
	if (!err)
		err = ebpf_uplink_set_filter(a->prog, &ef);
	free(pre);
	return err;
}

static void afxdp_filter_stats(const struct vsw_port *port, struct vsw_filter_stats *st)
{
	struct ebpf_uplink_stats es;

	ebpf_uplink_stats(afxdp_cast(port)->prog, &es);
	*st = (struct vsw_filter_stats){ .xdp = true,
					 .steered = es.steered,
					 .passed = es.passed,
					 .drop_vtep = es.drop_vtep,
					 .drop_vni = es.drop_vni,
					 .drop_rate = es.drop_rate };
}

static void afxdp_describe(const struct vsw_port *port, char *buf, size_t len)
{
	const struct port_afxdp *a = afxdp_cast(port);

	snprintf(buf, len, "%s: %s XDP (%s), %s mode, %u queue%s", a->ifname,
		 a->prog ? ebpf_uplink_mode(a->prog) : "no",
		 a->prog && ebpf_uplink_shared(a->prog) ? "libxdp dispatcher" : "sole program",
		 a->q[0].zerocopy ? "zero-copy" : "copy", port->n_rxq ? port->n_rxq : 1,
		 port->n_rxq > 1 ? "s" : "");
}

const struct vsw_port_ops vsw_port_afxdp_ops = {
	.kind = "afxdp",
	.uplink = true,
	.wait_fd_level = true,
	.alloc = afxdp_alloc,
	.construct = afxdp_construct,
	.destruct = afxdp_destruct,
	.dealloc = afxdp_dealloc,
	.rx_burst = afxdp_rx_burst,
	.tx_burst = afxdp_tx_burst,
	.get_stats = afxdp_get_stats,
	.wait_fd = afxdp_wait_fd,
	.enable_notify = afxdp_enable_notify,
	.disable_notify = afxdp_disable_notify,
	.describe = afxdp_describe,
	.set_filter = afxdp_set_filter,
	.filter_stats = afxdp_filter_stats,
};
