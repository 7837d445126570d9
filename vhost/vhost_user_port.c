/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost_user_port.c - vhost-user ports (vhost_user.h): a virtio-net device
 * (vhost/net.h) plus the socket its peer drives it through.  This file owns
 * the sockets and the connection life cycle; vhost_user_backend.c handles
 * the requests; vhost_user_loop.c runs the thread both execute on.
 *
 * Server ports listen and serve one peer at a time: a second peer is
 * refused while the first is attached, and the next one is accepted once it
 * leaves.  Client ports connect, and after a failure or a disconnect try
 * again with a doubling back-off (VU_BACKOFF_MIN_MS to VU_BACKOFF_MAX_MS).
 *
 * A disconnect stops every ring through the device ops (so the switch
 * quiesces the port's queues first), unmaps the peer's memory and closes
 * every fd it sent; the port and its switch port stay, ready for the next
 * peer.  A ring the peer's driver breaks (found by a PMD) also ends the
 * connection: a reconnecting peer sets everything up afresh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/fdguard.h"
#include "util/log.h"
#include "vhost/net.h"
#include "vhost/vhost_user_priv.h"
#include "vhost/virtq.h"

#define VU_BACKOFF_MIN_MS 50
#define VU_BACKOFF_MAX_MS 1000
/* Requests handled per wake-up before other ports get their turn. */
#define VU_MSGS_PER_EVENT 64

struct vu_port {
	char name[32]; /* for logs */
	char path[VU_PATH_MAX + 1]; /* the socket */
	bool client; /* connect instead of listening */
	struct vnet_dev *dev; /* what the switch sees */
	struct vu_backend be; /* protocol state of the current peer */
	struct vu_client lc; /* reconnect timer and broken-ring hook */
	struct vu_watch listen_w; /* server: the listening socket; fd -1 otherwise */
	struct vu_watch conn_w; /* the peer's connection; fd -1 when none */
	struct vu_rx rx; /* the request being received */
	unsigned int backoff_ms; /* client: delay before the next attempt */
	bool waiting_logged; /* client: "waiting for the peer" said once per outage */
	bool started; /* between vu_port_start and vu_port_stop (caller's thread) */
	atomic_bool ring_broken; /* set by any thread when a ring broke */
	/* For vu_port_get_info(), written by the loop thread. */
	atomic_bool connected;
	_Atomic uint64_t connects, disconnects, rings_running;
};

/* ---- the connection ---- */

static void conn_close(struct vu_port *p, const char *why)
{
	vu_loop_unwatch(&p->conn_w);
	vu_rx_done(&p->rx);
	vu_backend_reset(&p->be);
	atomic_store(&p->connected, false);
	atomic_store(&p->rings_running, 0);
	atomic_fetch_add(&p->disconnects, 1);
	/* Rate-limited, as the connect message: a peer may come and go in a loop. */
	LOG_RL(LOG_LVL_INFO, "vhost-user", "%s: peer disconnected (%s)", p->name, why);
	/* Last, so a peer that sees the socket close finds the port reset. */
	close(p->conn_w.fd);
	p->conn_w.fd = -1;
	if (p->client)
		vu_loop_arm(&p->lc, p->backoff_ms);
}

/* Serve up to VU_MSGS_PER_EVENT requests; false when the connection closed. */
static bool conn_serve(struct vu_port *p)
{
	for (int i = 0; i < VU_MSGS_PER_EVENT; i++) {
		int ret = vu_rx_step(p->conn_w.fd, &p->rx);

		if (ret == 0)
			return true;
		if (ret > 0)
			ret = vu_backend_dispatch(&p->be, p->conn_w.fd, &p->rx);
		atomic_store(&p->rings_running, vu_backend_rings_running(&p->be));
		if (ret < 0) {
			conn_close(p, ret == -ECONNRESET ? "socket closed" : strerror(-ret));
			return false;
		}
	}
	return true;
}

static void conn_on_event(struct vu_watch *w, uint32_t events)
{
	struct vu_port *p = container_of(w, struct vu_port, conn_w);

	(void)events; /* a hang-up shows as end of file once the data is read */
	conn_serve(p);
}

static int conn_attach(struct vu_port *p, int fd)
{
	int ret;

	p->conn_w.fd = fd;
	vu_rx_init(&p->rx);
	ret = vu_loop_watch(&p->conn_w, EPOLLIN | EPOLLRDHUP);
	if (ret) {
		LOG_ERR("vhost-user", "%s: cannot watch the connection: %s", p->name,
			strerror(-ret));
		close(fd);
		p->conn_w.fd = -1;
		return ret;
	}
	p->backoff_ms = VU_BACKOFF_MIN_MS;
	p->waiting_logged = false;
	atomic_store(&p->connected, true);
	atomic_fetch_add(&p->connects, 1);
	LOG_RL(LOG_LVL_INFO, "vhost-user", "%s: peer connected on %s", p->name, p->path);
	return 0;
}

/* ---- server side ---- */

static void listen_on_event(struct vu_watch *w, uint32_t events)
{
	struct vu_port *p = container_of(w, struct vu_port, listen_w);
	int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	(void)events;
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			LOG_RL(LOG_LVL_WARN, "vhost-user", "%s: accept: %s", p->name,
			       strerror(errno));
		return;
	}
	if (p->conn_w.fd >= 0) {
		LOG_RL(LOG_LVL_WARN, "vhost-user", "%s: refusing a second peer on %s", p->name,
		       p->path);
		close(fd);
		return;
	}
	conn_attach(p, fd);
}

static int listen_open(struct vu_port *p)
{
	int fd = vu_listen_socket(p->path), ret;

	if (fd < 0)
		return fd;
	p->listen_w.fd = fd;
	ret = vu_loop_watch(&p->listen_w, EPOLLIN);
	if (ret) {
		unlink(p->path);
		close(fd);
		p->listen_w.fd = -1;
	}
	return ret;
}

static void listen_close(struct vu_port *p)
{
	if (p->listen_w.fd < 0)
		return;
	vu_loop_unwatch(&p->listen_w);
	close(p->listen_w.fd);
	p->listen_w.fd = -1;
	unlink(p->path);
}

/* ---- client side ---- */

static void client_try_connect(struct vu_port *p)
{
	struct sockaddr_un sa;
	int fd;

	if (vu_sockaddr(p->path, &sa))
		return;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		conn_attach(p, fd);
		return;
	}
	if (!p->waiting_logged)
		LOG_INFO("vhost-user", "%s: waiting for the peer at %s (%s)", p->name, p->path,
			 strerror(errno));
	p->waiting_logged = true;
	if (fd >= 0)
		close(fd);
	vu_loop_arm(&p->lc, p->backoff_ms);
	p->backoff_ms = MIN(2 * p->backoff_ms, (unsigned int)VU_BACKOFF_MAX_MS);
}

static void port_on_timer(struct vu_client *c)
{
	struct vu_port *p = container_of(c, struct vu_port, lc);

	if (p->client && p->conn_w.fd < 0)
		client_try_connect(p);
}

static void port_on_wake(struct vu_client *c)
{
	struct vu_port *p = container_of(c, struct vu_port, lc);

	if (atomic_exchange(&p->ring_broken, false) && p->conn_w.fd >= 0)
		conn_close(p, vu_backend_mem_faulted(&p->be) ?
				      "the peer shrank its shared memory under a running ring" :
				      "a ring broke");
}

/* The device's needs_reset hook: any thread, a PMD included, so no blocking. */
static void port_needs_reset(struct virtio_dev *vdev)
{
	struct vu_port *p = vdev->transport;

	atomic_store(&p->ring_broken, true);
	vu_loop_wake();
}

/* ---- start and stop, run on the loop thread ---- */

struct port_call {
	struct vu_port *p;
	int ret;
};

static void port_start_on_loop(void *arg)
{
	struct port_call *c = arg;
	struct vu_port *p = c->p;

	vu_loop_add_client(&p->lc);
	p->backoff_ms = VU_BACKOFF_MIN_MS;
	if (p->client) {
		LOG_INFO("vhost-user", "%s: connecting to %s", p->name, p->path);
		client_try_connect(p);
		c->ret = 0;
		return;
	}
	c->ret = listen_open(p);
	if (c->ret)
		vu_loop_del_client(&p->lc);
	else
		LOG_INFO("vhost-user", "%s: listening on %s", p->name, p->path);
}

static void port_stop_on_loop(void *arg)
{
	struct port_call *c = arg;
	struct vu_port *p = c->p;

	if (p->conn_w.fd >= 0)
		conn_close(p, "port stopped");
	listen_close(p);
	p->lc.deadline_ns = 0;
	vu_loop_del_client(&p->lc);
}

int vu_port_start(struct vu_port *p)
{
	struct port_call c = { .p = p };

	if (p->started)
		return -EALREADY;
	c.ret = vu_loop_get();
	if (c.ret)
		return c.ret;
	vu_loop_call(port_start_on_loop, &c);
	if (c.ret) {
		LOG_ERR("vhost-user", "%s: cannot listen on %s: %s", p->name, p->path,
			strerror(-c.ret));
		vu_loop_put();
		return c.ret;
	}
	p->started = true;
	return 0;
}

void vu_port_stop(struct vu_port *p)
{
	struct port_call c = { .p = p };

	if (!p->started)
		return;
	vu_loop_call(port_stop_on_loop, &c);
	p->started = false;
	vu_loop_put();
}

/* ---- life cycle ---- */

static struct vnet_dev *port_make_dev(struct vu_port *p, const struct vu_port_opts *o)
{
	struct vnet_params vp = {
		.name = p->name,
		.queue_pairs = o->queue_pairs ? o->queue_pairs : 1,
		/* Rings live in the peer's memory: allow any size a driver may pick. */
		.max_queue_size = VIRTQ_MAX_SIZE,
		.features = vnet_features(!o->no_tso, o->packed),
	};

	memcpy(vp.mac, o->mac, sizeof(vp.mac));
	return vnet_create(&vp);
}

struct vu_port *vu_port_create(const struct vu_port_opts *o)
{
	struct vu_port *p;
	struct virtio_dev *vdev;

	if (!o->path || !o->path[0] || strlen(o->path) > VU_PATH_MAX)
		return NULL;
	/* The PMDs write this port's call fds through it (vq_interrupt). */
	if (fdguard_init())
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	snprintf(p->name, sizeof(p->name), "%s", o->name ? o->name : "vhost-user");
	snprintf(p->path, sizeof(p->path), "%s", o->path);
	p->client = o->client;
	p->listen_w = (struct vu_watch){ .fd = -1, .on_event = listen_on_event };
	p->conn_w = (struct vu_watch){ .fd = -1, .on_event = conn_on_event };
	p->lc = (struct vu_client){ .on_timer = port_on_timer, .on_wake = port_on_wake };
	vu_rx_init(&p->rx);
	p->dev = port_make_dev(p, o);
	if (!p->dev)
		goto err_free;
	vdev = vnet_virtio_dev(p->dev);
	if (vu_backend_init(&p->be, vdev, p->name))
		goto err_destroy_dev;
	vdev->transport = p;
	vdev->needs_reset = port_needs_reset;
	vdev->config_changed = NULL; /* no backend-to-frontend channel is negotiated */
	return p;

err_destroy_dev:
	vnet_destroy(p->dev);
err_free:
	free(p);
	return NULL;
}

struct vnet_dev *vu_port_dev(struct vu_port *p)
{
	return p->dev;
}

void vu_port_destroy(struct vu_port *p)
{
	if (!p)
		return;
	vu_port_stop(p);
	vu_backend_fini(&p->be);
	vnet_virtio_dev(p->dev)->needs_reset = NULL;
	vnet_destroy(p->dev);
	free(p);
}

void vu_port_get_info(struct vu_port *p, struct vu_port_info *info)
{
	info->connected = atomic_load(&p->connected);
	info->connects = atomic_load(&p->connects);
	info->disconnects = atomic_load(&p->disconnects);
	info->rings_running = atomic_load(&p->rings_running);
	info->bad_requests = atomic_load(&p->be.bad_requests);
}
