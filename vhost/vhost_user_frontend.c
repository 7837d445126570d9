/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost_user_frontend.c - Ferry as the frontend of an external vhost-user
 * backend (vhost_user.h): a struct virtio_dev whose ops a transport
 * (vmm/virtio_pci.c) calls as for any device, forwarded as vhost-user
 * requests (QEMU docs/interop/vhost-user.rst).  The backend maps the VM's
 * memory from the fds of the transport's struct vhost_mem, reads the
 * transport's ioeventfd kick fds and writes its irqfd call fds, so packets
 * never pass through Ferry.  The config space (MAC, link status) is served
 * here, as QEMU does for its vhost-user NICs.
 *
 * Only queue pair 0 is offered.  A control queue is offered and served here
 * (net_announce.c), for one command: the driver's ANNOUNCE_ACK after this
 * frontend asked it to announce itself (VIRTIO_NET_F_GUEST_ANNOUNCE) because
 * a new backend took over; backends such as OVS serve no control queue, so
 * it is never forwarded.  Feature bits pass through only when they
 * concern the guest and the backend alone (offloads, ring layout);
 * transport features this frontend does not forward (packed rings, IOMMU,
 * dirty logging) are never offered.
 *
 * A backend that fails or goes away is dropped and reconnected, as QEMU does
 * with a reconnecting chardev: the link goes down (a config interrupt), a
 * thread retries the socket with back-off, replays the session (owner,
 * the features the driver acked, memory, every ring the driver had
 * running, resumed at the index the old backend last marked used) and sets
 * the link up again.  The driver never has to reset; frames in flight when
 * the backend died are lost or sent again, as on a real link flap.
 *
 * Threads: ops run on a vCPU thread under the transport's device lock and
 * wait for the backend's replies, at most timeout_ms each; the reconnect
 * thread watches the connection for hang-ups and replays sessions.  Both
 * take fe->lock, so the session state has one writer at a time.  Only the
 * reconnect thread closes the socket (an op that fails shuts it down), so
 * the fd it polls is never reused under it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/lock.h"
#include "util/log.h"
#include "vhost/mem.h"
#include "vhost/net_priv.h"
#include "vhost/vhost_user_priv.h"
#include "vhost/virtio_dev.h"

#define FE_NQUEUES 2
#define FE_DEFAULT_TIMEOUT_MS 5000
#define FE_DEFAULT_QUEUE_SIZE 256
#define FE_DEFAULT_WAIT_MS 30000 /* server mode: for the backend's first connection */
#define FE_BACKOFF_MIN_MS 100 /* first reconnect attempt after a loss */
#define FE_BACKOFF_MAX_MS 2000 /* retries settle at this interval */

/* Features a guest and a backend negotiate between themselves (virtio 1.2, 5.1.3, 6). */
#define FE_PASS_FEATURES                                                    \
	(VNET_BIT(VIRTIO_F_VERSION_1) | VNET_BIT(VIRTIO_NET_F_CSUM) |       \
	 VNET_BIT(VIRTIO_NET_F_GUEST_CSUM) | VNET_BIT(7) /* GUEST_TSO4 */ | \
	 VNET_BIT(8) /* GUEST_TSO6 */ | VNET_BIT(9) /* GUEST_ECN */ |       \
	 VNET_BIT(10) /* GUEST_UFO */ | VNET_BIT(11) /* HOST_TSO4 */ |      \
	 VNET_BIT(12) /* HOST_TSO6 */ | VNET_BIT(13) /* HOST_ECN */ |       \
	 VNET_BIT(14) /* HOST_UFO */ | VNET_BIT(VIRTIO_NET_F_MRG_RXBUF) |   \
	 VNET_BIT(VIRTIO_RING_F_EVENT_IDX) | VNET_BIT(VIRTIO_RING_F_INDIRECT_DESC))
/* Served here, whatever the backend says. */
#define FE_LOCAL_FEATURES                                             \
	(VNET_BIT(VIRTIO_NET_F_MAC) | VNET_BIT(VIRTIO_NET_F_STATUS) | \
	 VNET_BIT(VIRTIO_NET_F_CTRL_VQ) | VNET_BIT(VIRTIO_NET_F_GUEST_ANNOUNCE))
/* The control queue's index (virtio 1.2, 5.1.2: after the one pair). */
#define FE_CTRL_Q FE_NQUEUES

struct fe_queue {
	bool started; /* the transport started it and has not stopped it */
	bool running; /* the backend serves it */
	uint16_t base; /* where it started, returned if GET_VRING_BASE fails */
	struct virtio_queue_cfg cfg; /* as started (call_fd kept current): replayed on reconnect */
};

struct vu_frontend {
	struct virtio_dev vdev; /* what the transport drives; first for container_of */
	char name[32]; /* for logs */
	char path[VU_PATH_MAX + 1]; /* the backend's socket */
	unsigned int timeout_ms; /* per reply */
	uint16_t queue_size; /* largest ring offered to the driver */
	uint8_t mac[6]; /* config space */
	uint64_t offered; /* to the driver; fixed at create */
	int listen_fd; /* server mode: our listening socket at path; -1 in client mode */
	pthread_t thread; /* the reconnect thread */
	bool thread_started;
	int stopfd; /* eventfd: tells the reconnect thread to leave */
	/* The session: ops and the reconnect thread, one at a time. */
	struct mutex lock;
	int fd GUARDED; /* connection to the backend; -1 when none (closed by the thread only) */
	bool up GUARDED; /* the session works; false once it failed, until a reconnect */
	/*
	 * The link status the driver reads: a copy of @up, so a vCPU reading the
	 * config space never waits for the lock while the reconnect thread
	 * replays a session against a slow backend.
	 */
	atomic_bool link_up;
	uint64_t be_features GUARDED; /* GET_FEATURES */
	uint64_t be_proto GUARDED; /* protocol features negotiated */
	uint64_t acked GUARDED; /* what SET_FEATURES sent, valid when features_set */
	bool features_set GUARDED; /* since the last reset */
	bool mem_sent GUARDED; /* SET_MEM_TABLE done since the last reset or reconnect */
	struct fe_queue q[FE_NQUEUES] GUARDED;
	uint64_t reconnects GUARDED; /* sessions replayed */
	uint64_t driver_features GUARDED; /* all the driver accepted, local bits included */
	struct vnet_announce_ctl ctl; /* queue FE_CTRL_Q; ctl.pending: S_ANNOUNCE shown */
};

static struct vu_frontend *to_fe(struct virtio_dev *vdev)
{
	return container_of(vdev, struct vu_frontend, vdev);
}

/* ---- talking to the backend ---- */

/* The config interrupt tells the driver the link status changed; lock-free in the transport. */
static void fe_link_changed(struct vu_frontend *fe)
{
	if (fe->vdev.config_changed)
		fe->vdev.config_changed(&fe->vdev);
}

/*
 * The backend broke the session: the link goes down and the reconnect
 * thread, woken by the shutdown, closes the socket and tries again.
 */
static int fe_fail(struct vu_frontend *fe, const char *what, int err) REQUIRES(fe->lock)
{
	if (!fe->up)
		return -EIO;
	LOG_ERR("vhost-user", "%s: backend at %s failed on %s: %s%s", fe->name, fe->path, what,
		strerror(-err), fe->thread_started ? "; link down, reconnecting" : "");
	fe->up = false;
	atomic_store_explicit(&fe->link_up, false, memory_order_relaxed);
	shutdown(fe->fd, SHUT_RDWR);
	for (unsigned int i = 0; i < FE_NQUEUES; i++)
		fe->q[i].running = false;
	fe_link_changed(fe);
	return -EIO;
}

/* Wait for the reply to @req; 0 or -errno (fds in a reply are closed and refused). */
static int fe_reply(struct vu_frontend *fe, uint32_t req, struct vu_rx *rx) REQUIRES(fe->lock)
{
	int ret = vu_rx_wait(fe->fd, rx, fe->timeout_ms);

	if (!ret && (rx->hdr.request != req || !(rx->hdr.flags & VU_FLAG_REPLY) || rx->nfds))
		ret = -EPROTO;
	vu_rx_close_fds(rx);
	return ret;
}

/*
 * Send one request; with REPLY_ACK negotiated, wait for its ack so a refusal
 * is seen here and not as a silent stall later.
 */
static int fe_send(struct vu_frontend *fe, uint32_t req, const void *payload, uint32_t size,
		   const int *fds, unsigned int nfds) REQUIRES(fe->lock)
{
	struct vu_hdr h = { .request = req, .flags = VU_FLAG_VERSION, .size = size };
	bool ack = fe->be_proto & VNET_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK);
	struct vu_rx rx;
	int ret;

	if (!fe->up)
		return -EIO;
	if (ack)
		h.flags |= VU_FLAG_NEED_REPLY;
	ret = vu_send(fe->fd, &h, payload, fds, nfds, fe->timeout_ms);
	if (!ret && ack) {
		vu_rx_init(&rx);
		ret = fe_reply(fe, req, &rx);
		if (!ret && (rx.hdr.size != sizeof(uint64_t) || rx.p.u64 != 0))
			ret = rx.hdr.size == sizeof(uint64_t) ? -EREMOTEIO : -EPROTO;
	}
	return ret ? fe_fail(fe, vu_request_name(req), ret) : 0;
}

static int fe_get_u64(struct vu_frontend *fe, uint32_t req, uint64_t *v) REQUIRES(fe->lock)
{
	struct vu_hdr h = { .request = req, .flags = VU_FLAG_VERSION };
	struct vu_rx rx;
	int ret;

	if (!fe->up)
		return -EIO;
	vu_rx_init(&rx);
	ret = vu_send(fe->fd, &h, NULL, NULL, 0, fe->timeout_ms);
	if (!ret)
		ret = fe_reply(fe, req, &rx);
	if (!ret && rx.hdr.size != sizeof(uint64_t))
		ret = -EPROTO;
	if (ret)
		return fe_fail(fe, vu_request_name(req), ret);
	*v = rx.p.u64;
	return 0;
}

static int fe_send_state(struct vu_frontend *fe, uint32_t req, uint32_t index, uint32_t num)
	REQUIRES(fe->lock)
{
	struct vu_vring_state s = { .index = index, .num = num };

	return fe_send(fe, req, &s, sizeof(s), NULL, 0);
}

/* SET_VRING_KICK/CALL: the fd, or the "no fd" bit when the transport has none. */
static int fe_send_vring_fd(struct vu_frontend *fe, uint32_t req, uint16_t idx, int fd)
	REQUIRES(fe->lock)
{
	uint64_t v = idx | (fd < 0 ? VU_VRING_NOFD : 0);

	return fe_send(fe, req, &v, sizeof(v), &fd, fd < 0 ? 0 : 1);
}

/* ---- memory ---- */

/* The VM's memory as the backend must map it: every region needs its fd and offset. */
static int fe_mem_table(struct vu_frontend *fe, struct vu_mem_table *t, int *fds)
{
	const struct vhost_mem *mem = fe->vdev.mem;
	uint32_t n = mem ? vhost_mem_num_regions(mem) : 0;

	if (n == 0 || n > VU_MAX_REGIONS)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->nregions = n;
	for (uint32_t i = 0; i < n; i++) {
		const struct vhost_mem_region *r = vhost_mem_region(mem, i);

		if (r->fd < 0) {
			LOG_ERR("vhost-user",
				"%s: guest memory region %u has no fd: a vhost-user backend "
				"needs shared (memfd) guest RAM",
				fe->name, i);
			return -ENOTSUP;
		}
		t->regions[i] = (struct vu_mem_region){
			.gpa = r->gpa,
			.size = r->size,
			.uaddr = r->uaddr,
			.mmap_offset = r->fd_offset,
		};
		fds[i] = r->fd;
	}
	return 0;
}

static int fe_send_mem(struct vu_frontend *fe) REQUIRES(fe->lock)
{
	struct vu_mem_table t;
	int fds[VU_MAX_REGIONS];
	int ret = fe_mem_table(fe, &t, fds);

	if (ret)
		return ret;
	ret = fe_send(fe, VU_REQ_SET_MEM_TABLE, &t,
		      VU_MEM_TABLE_HDR + t.nregions * (uint32_t)sizeof(t.regions[0]), fds,
		      t.nregions);
	if (!ret)
		fe->mem_sent = true;
	return ret;
}

/* ---- struct virtio_dev_ops ---- */

static uint16_t fe_num_queues(struct virtio_dev *vdev)
{
	(void)vdev;
	return FE_CTRL_Q + 1;
}

static uint16_t fe_max_queue_size(struct virtio_dev *vdev, uint16_t qidx)
{
	return qidx <= FE_CTRL_Q ? to_fe(vdev)->queue_size : 0;
}

static uint64_t fe_get_features(struct virtio_dev *vdev)
{
	return to_fe(vdev)->offered;
}

/* FEATURES_OK: the backend gets the bits it offered; MAC and STATUS stay here. */
static int fe_set_features(struct virtio_dev *vdev, uint64_t features)
{
	struct vu_frontend *fe = to_fe(vdev);
	uint64_t be;
	int ret;

	if (features & ~fe->offered)
		return -EINVAL;
	/* virtio 1.2, 5.1.3.1: GUEST_ANNOUNCE needs the control queue to be acked on. */
	if ((features & VNET_BIT(VIRTIO_NET_F_GUEST_ANNOUNCE)) &&
	    !(features & VNET_BIT(VIRTIO_NET_F_CTRL_VQ)))
		return -EINVAL;
	mutex_lock(&fe->lock);
	be = features & fe->be_features & FE_PASS_FEATURES;
	if (fe->be_features & VNET_BIT(VHOST_USER_F_PROTOCOL_FEATURES))
		be |= VNET_BIT(VHOST_USER_F_PROTOCOL_FEATURES);
	fe->acked = be;
	fe->driver_features = features;
	fe->features_set = true;
	/* While the backend is away the features wait for the reconnect, as rings do. */
	ret = fe->up ? fe_send(fe, VU_REQ_SET_FEATURES, &be, sizeof(be), NULL, 0) : 0;
	mutex_unlock(&fe->lock);
	return ret;
}

static uint32_t fe_config_size(struct virtio_dev *vdev)
{
	(void)vdev;
	return VNET_CONFIG_LEN;
}

/* virtio 1.2, 5.1.4: the link is up while the backend is there. */
static void fe_config_read(struct virtio_dev *vdev, uint32_t off, void *buf, uint32_t len)
{
	struct vu_frontend *fe = to_fe(vdev);
	struct virtio_net_config cfg = { .max_virtqueue_pairs = 1 };

	memcpy(cfg.mac, fe->mac, sizeof(cfg.mac));
	cfg.status =
		atomic_load_explicit(&fe->link_up, memory_order_relaxed) ? VIRTIO_NET_S_LINK_UP : 0;
	if (atomic_load_explicit(&fe->ctl.pending, memory_order_relaxed))
		cfg.status |= VIRTIO_NET_S_ANNOUNCE;
	virtio_config_read_struct(&cfg, VNET_CONFIG_LEN, off, buf, len);
}

static void fe_config_write(struct virtio_dev *vdev, uint32_t off, const void *buf, uint32_t len)
{
	(void)buf;
	LOG_RL(LOG_LVL_WARN, "vhost-user", "%s: ignoring config write of %u bytes at %u",
	       to_fe(vdev)->name, len, off);
}

/* Hand one ring to the backend, in QEMU's order (vhost_virtqueue_start). */
static int fe_ring_start(struct vu_frontend *fe, uint16_t qidx, const struct virtio_queue_cfg *cfg)
	REQUIRES(fe->lock)
{
	/* Ring addresses are our virtual addresses, the uaddr space of the memory table. */
	struct vu_vring_addr a = {
		.index = qidx,
		.desc_uaddr = (uintptr_t)cfg->desc,
		.used_uaddr = (uintptr_t)cfg->used,
		.avail_uaddr = (uintptr_t)cfg->avail,
	};
	int ret = 0;

	if (!fe->mem_sent)
		ret = fe_send_mem(fe);
	if (!ret)
		ret = fe_send_state(fe, VU_REQ_SET_VRING_NUM, qidx, cfg->size);
	if (!ret)
		ret = fe_send_state(fe, VU_REQ_SET_VRING_BASE, qidx, cfg->last_avail_idx);
	if (!ret)
		ret = fe_send(fe, VU_REQ_SET_VRING_ADDR, &a, sizeof(a), NULL, 0);
	if (!ret)
		ret = fe_send_vring_fd(fe, VU_REQ_SET_VRING_CALL, qidx, cfg->call_fd);
	if (!ret)
		ret = fe_send_vring_fd(fe, VU_REQ_SET_VRING_KICK, qidx, cfg->kick_fd);
	if (!ret && (fe->be_features & VNET_BIT(VHOST_USER_F_PROTOCOL_FEATURES)))
		ret = fe_send_state(fe, VU_REQ_SET_VRING_ENABLE, qidx, 1);
	if (ret)
		return ret;
	fe->q[qidx].running = true;
	fe->q[qidx].base = cfg->last_avail_idx;
	return 0;
}

static int fe_queue_start(struct virtio_dev *vdev, uint16_t qidx,
			  const struct virtio_queue_cfg *cfg)
{
	struct vu_frontend *fe = to_fe(vdev);
	int ret;

	if (qidx == FE_CTRL_Q) {
		mutex_lock(&fe->lock);
		ret = fe->driver_features & VNET_BIT(VIRTIO_NET_F_CTRL_VQ) ?
			      vnet_announce_ctl_start(&fe->ctl, cfg, fe->vdev.mem,
						      fe->driver_features) :
			      -EINVAL;
		mutex_unlock(&fe->lock);
		return ret;
	}
	if (qidx >= FE_NQUEUES)
		return -EINVAL;
	mutex_lock(&fe->lock);
	if (fe->q[qidx].started) {
		ret = -EINVAL;
	} else {
		/* While the backend is away the ring waits for the reconnect. */
		fe->q[qidx].started = true;
		fe->q[qidx].cfg = *cfg;
		fe->q[qidx].base = cfg->last_avail_idx;
		ret = fe->up ? fe_ring_start(fe, qidx, cfg) : 0;
	}
	mutex_unlock(&fe->lock);
	return ret;
}

/*
 * Where a ring resumes when its backend is gone: the index the backend last
 * marked used (what it took but never used is offered again, as QEMU does).
 * The used ring is the driver's memory, read once, little-endian.
 */
static uint16_t fe_used_idx(const struct fe_queue *q)
{
	const volatile uint8_t *idx = (const volatile uint8_t *)q->cfg.used + 2;

	return (uint16_t)(idx[0] | idx[1] << 8);
}

/* GET_VRING_BASE stops the ring in the backend and says where to resume. */
static uint16_t fe_ring_stop(struct vu_frontend *fe, uint16_t qidx) REQUIRES(fe->lock)
{
	struct vu_vring_state s = { .index = qidx };
	struct vu_hdr h = { .request = VU_REQ_GET_VRING_BASE, .flags = VU_FLAG_VERSION };
	struct fe_queue *q = &fe->q[qidx];
	struct vu_rx rx;
	int ret;

	if (!q->started)
		return q->base;
	q->started = false;
	if (!q->running || !fe->up)
		return q->base = fe_used_idx(q);
	q->running = false;
	h.size = sizeof(s);
	vu_rx_init(&rx);
	ret = vu_send(fe->fd, &h, &s, NULL, 0, fe->timeout_ms);
	if (!ret)
		ret = fe_reply(fe, h.request, &rx);
	if (!ret && (rx.hdr.size != sizeof(s) || rx.p.state.index != qidx))
		ret = -EPROTO;
	if (ret) {
		fe_fail(fe, "GET_VRING_BASE", ret);
		return q->base = fe_used_idx(q);
	}
	q->base = (uint16_t)rx.p.state.num;
	return q->base;
}

static uint16_t fe_queue_stop(struct virtio_dev *vdev, uint16_t qidx)
{
	struct vu_frontend *fe = to_fe(vdev);
	uint16_t base;

	if (qidx == FE_CTRL_Q)
		return vnet_announce_ctl_stop(&fe->ctl);
	if (qidx >= FE_NQUEUES)
		return 0;
	mutex_lock(&fe->lock);
	base = fe_ring_stop(fe, qidx);
	mutex_unlock(&fe->lock);
	return base;
}

static void fe_queue_set_call_fd(struct virtio_dev *vdev, uint16_t qidx, int call_fd)
{
	struct vu_frontend *fe = to_fe(vdev);

	if (qidx == FE_CTRL_Q)
		vq_set_call_fd(&fe->ctl.vq, call_fd);
	if (qidx >= FE_NQUEUES)
		return;
	mutex_lock(&fe->lock);
	fe->q[qidx].cfg.call_fd = call_fd;
	if (fe->q[qidx].running)
		fe_send_vring_fd(fe, VU_REQ_SET_VRING_CALL, qidx, call_fd);
	mutex_unlock(&fe->lock);
}

/* virtio 1.2, 2.4: rings stopped; memory and features are sent again after the reset. */
static void fe_reset(struct virtio_dev *vdev)
{
	struct vu_frontend *fe = to_fe(vdev);

	vnet_announce_ctl_stop(&fe->ctl);
	mutex_lock(&fe->lock);
	for (uint16_t i = 0; i < FE_NQUEUES; i++) {
		fe_ring_stop(fe, i);
		fe->q[i].base = 0;
	}
	fe->mem_sent = false;
	fe->features_set = false;
	fe->driver_features = 0;
	/* Under the lock: a reconnect thread sets it only while the features allow it. */
	atomic_store_explicit(&fe->ctl.pending, false, memory_order_relaxed);
	mutex_unlock(&fe->lock);
}

static const struct virtio_dev_ops fe_ops = {
	.name = "vhost-user-net",
	.device_id = VIRTIO_ID_NET,
	.num_queues = fe_num_queues,
	.max_queue_size = fe_max_queue_size,
	.get_features = fe_get_features,
	.set_features = fe_set_features,
	.config_size = fe_config_size,
	.config_read = fe_config_read,
	.config_write = fe_config_write,
	.queue_start = fe_queue_start,
	.queue_stop = fe_queue_stop,
	.queue_set_call_fd = fe_queue_set_call_fd,
	.reset = fe_reset,
};

/* ---- the session ---- */

/*
 * Client: connect to the backend's socket.  Server: take a backend that
 * connected.  The connected fd or -errno.  Without the lock, and never
 * blocking: a backend that stops accepting fills its listen backlog, and a
 * blocking connect() would then wait for good, holding up whoever waits for
 * the lock (the VM's vCPUs starting or stopping queues).  It gets -EAGAIN and
 * the reconnect thread tries again after its back-off.
 */
static int fe_dial(struct vu_frontend *fe)
{
	struct sockaddr_un sa;
	int fd, ret;

	if (fe->listen_fd >= 0) {
		fd = accept4(fe->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return -errno;
	} else {
		ret = vu_sockaddr(fe->path, &sa);
		if (ret)
			return ret;
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			ret = -errno;
			close(fd);
			return ret;
		}
	}
	/* Blocking from here: replies are awaited with poll and a timeout, sends never block. */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

/* A session starts on @fd, connected by fe_dial(). */
static void fe_attach(struct vu_frontend *fe, int fd) REQUIRES(fe->lock)
{
	fe->fd = fd;
	fe->up = true;
	atomic_store_explicit(&fe->link_up, true, memory_order_relaxed);
}

/* SET_OWNER, then features and protocol features (spec, "Starting the session"). */
static int fe_negotiate(struct vu_frontend *fe) REQUIRES(fe->lock)
{
	uint64_t proto = 0, want;
	int ret;

	fe->be_proto = 0;
	ret = fe_send(fe, VU_REQ_SET_OWNER, NULL, 0, NULL, 0);
	if (!ret)
		ret = fe_get_u64(fe, VU_REQ_GET_FEATURES, &fe->be_features);
	if (ret || !(fe->be_features & VNET_BIT(VHOST_USER_F_PROTOCOL_FEATURES)))
		return ret;
	ret = fe_get_u64(fe, VU_REQ_GET_PROTOCOL_FEATURES, &proto);
	want = proto &
	       (VNET_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK) | VNET_BIT(VHOST_USER_PROTOCOL_F_RARP));
	if (!ret)
		ret = fe_send(fe, VU_REQ_SET_PROTOCOL_FEATURES, &want, sizeof(want), NULL, 0);
	/* Acks are asked for only from here on: the request above had none. */
	fe->be_proto = want;
	return ret;
}

/*
 * A new backend on the socket: the session the driver set up, replayed.  It
 * must offer every feature the driver acked, or the driver's rings would be
 * served under other rules than it negotiated.
 */
static int fe_replay(struct vu_frontend *fe) REQUIRES(fe->lock)
{
	uint64_t missing;
	int ret = fe_negotiate(fe);

	if (ret)
		return ret;
	missing = fe->features_set ? fe->acked & ~fe->be_features : 0;
	if (missing) {
		LOG_ERR("vhost-user", "%s: the backend at %s no longer offers features 0x%llx",
			fe->name, fe->path, (unsigned long long)missing);
		return fe_fail(fe, "GET_FEATURES", -EPROTO);
	}
	if (fe->features_set)
		ret = fe_send(fe, VU_REQ_SET_FEATURES, &fe->acked, sizeof(fe->acked), NULL, 0);
	fe->mem_sent = false;
	for (uint16_t i = 0; !ret && i < FE_NQUEUES; i++) {
		struct fe_queue *q = &fe->q[i];

		if (!q->started)
			continue;
		q->cfg.last_avail_idx = fe_used_idx(q);
		ret = fe_ring_start(fe, i, &q->cfg);
	}
	return ret;
}

/*
 * The new backend knows nothing of where the guest is: ask it to announce
 * the guest's MAC (SEND_RARP), as QEMU does after a migration, so its switch
 * learns the port before the guest speaks.  Best effort: a backend without
 * VHOST_USER_PROTOCOL_F_RARP learns from the guest's next frame instead.
 */
static void fe_announce(struct vu_frontend *fe) REQUIRES(fe->lock)
{
	/* No NEED_REPLY: a backend that refuses must not cost the session it just got. */
	struct vu_hdr h = { .request = VU_REQ_SEND_RARP, .flags = VU_FLAG_VERSION, .size = 8 };
	uint64_t mac = 0;
	int ret;

	if (!(fe->be_proto & VNET_BIT(VHOST_USER_PROTOCOL_F_RARP)))
		return;
	memcpy(&mac, fe->mac, sizeof(fe->mac));
	ret = vu_send(fe->fd, &h, &mac, NULL, 0, fe->timeout_ms);
	if (ret)
		LOG_RL(LOG_LVL_WARN, "vhost-user", "%s: SEND_RARP to %s failed: %s", fe->name,
		       fe->path, strerror(-ret));
	else
		LOG_INFO("vhost-user",
			 "%s: asked backend %s to announce the guest's MAC (SEND_RARP)", fe->name,
			 fe->path);
}

/* Replay the session on @fd (from fe_dial()); 0 when it is up again. */
static int fe_try_reconnect(struct vu_frontend *fe, int fd) REQUIRES(fe->lock)
{
	int ret;

	fe_attach(fe, fd);
	ret = fe_replay(fe);
	if (ret) {
		fe_fail(fe, "the reconnect", ret);
		close(fe->fd);
		fe->fd = -1;
		return ret;
	}
	fe->reconnects++;
	LOG_INFO("vhost-user", "%s: reconnected to backend %s; link up", fe->name, fe->path);
	fe_announce(fe);
	return 0;
}

/* The driver accepted what a guest announce needs (virtio 1.2, 5.1.3.1: both bits). */
#define FE_ANNOUNCE_FEATURES \
	(VNET_BIT(VIRTIO_NET_F_CTRL_VQ) | VNET_BIT(VIRTIO_NET_F_GUEST_ANNOUNCE))
/* Waits before each round of a guest announce after a reconnect, as QEMU spaces its rounds. */
static const int fe_announce_ms[] = { 100, 400, 1000 };

static bool fe_wait(struct vu_frontend *fe, int fd, short events, int ms);

/*
 * After a reconnect the guest announces itself (gratuitous ARP and
 * unsolicited neighbour advertisements, with its addresses) a few times:
 * each round sets VIRTIO_NET_S_ANNOUNCE and raises a config interrupt; the
 * driver clears it with ANNOUNCE_ACK.  Not in the link-up interrupt itself:
 * Linux handles ANNOUNCE before it turns the carrier on, while its noop
 * qdisc still drops what it sends.  True when the thread is told to stop.
 */
static bool fe_guest_announce(struct vu_frontend *fe)
{
	bool want;

	for (size_t i = 0; i < ARRAY_SIZE(fe_announce_ms); i++) {
		if (fe_wait(fe, -1, 0, fe_announce_ms[i]))
			return true;
		mutex_lock(&fe->lock);
		want = fe->up &&
		       (fe->driver_features & FE_ANNOUNCE_FEATURES) == FE_ANNOUNCE_FEATURES;
		if (want)
			atomic_store_explicit(&fe->ctl.pending, true, memory_order_relaxed);
		mutex_unlock(&fe->lock);
		if (!want)
			return false;
		fe_link_changed(fe);
	}
	return false;
}

/* Wait for @events on @fd (or, with fd -1, for @ms); true when told to stop. */
static bool fe_wait(struct vu_frontend *fe, int fd, short events, int ms)
{
	struct pollfd p[2] = { { .fd = fe->stopfd, .events = POLLIN },
			       { .fd = fd, .events = events } };

	while (poll(p, fd >= 0 ? 2 : 1, ms) < 0)
		if (errno != EINTR)
			return true;
	return p[0].revents != 0;
}

/*
 * The reconnect thread: while connected, wait for the backend to hang up
 * (or an op to shut the socket down); then close it and retry with
 * back-off (client) or wait for the backend to connect again (server)
 * until a session is replayed or the frontend is destroyed.
 */
static void *fe_thread(void *arg)
{
	struct vu_frontend *fe = arg;
	unsigned int backoff = FE_BACKOFF_MIN_MS;
	bool up;
	int fd;

	for (;;) {
		mutex_lock(&fe->lock);
		fd = fe->fd;
		mutex_unlock(&fe->lock);
		if (fd >= 0) {
			if (fe_wait(fe, fd, POLLRDHUP, -1))
				break;
			mutex_lock(&fe->lock);
			fe_fail(fe, "the connection", -ECONNRESET);
			close(fe->fd);
			fe->fd = -1;
			mutex_unlock(&fe->lock);
			backoff = FE_BACKOFF_MIN_MS;
			continue;
		}
		/* A server waits for the backend to come back; a client retries with back-off. */
		if (fe->listen_fd >= 0 ? fe_wait(fe, fe->listen_fd, POLLIN, -1) :
					 fe_wait(fe, -1, 0, (int)backoff))
			break;
		fd = fe_dial(fe);
		up = false;
		if (fd >= 0) {
			mutex_lock(&fe->lock);
			up = fe_try_reconnect(fe, fd) == 0;
			mutex_unlock(&fe->lock);
		}
		if (up)
			fe_link_changed(fe);
		if (up && fe_guest_announce(fe))
			break;
		backoff = up ? FE_BACKOFF_MIN_MS :
			       MIN(2 * backoff, (unsigned int)FE_BACKOFF_MAX_MS);
	}
	return NULL;
}

/* ---- life cycle ---- */

/* The control queue broke (any thread): the transport asks the driver for a reset. */
static void fe_ctl_broken(void *arg)
{
	struct vu_frontend *fe = arg;

	if (fe->vdev.needs_reset)
		fe->vdev.needs_reset(&fe->vdev);
}

static int fe_start_thread(struct vu_frontend *fe)
{
	int ret;

	fe->stopfd = eventfd(0, EFD_CLOEXEC);
	if (fe->stopfd < 0)
		return -errno;
	ret = -pthread_create(&fe->thread, NULL, fe_thread, fe);
	if (!ret)
		fe->thread_started = true;
	return ret;
}

/* Stop the reconnect thread (if it runs): no config interrupt is raised after this. */
static void fe_stop_thread(struct vu_frontend *fe)
{
	uint64_t one = 1;

	if (!fe->thread_started)
		return;
	if (write(fe->stopfd, &one, sizeof(one)) < 0) {
		LOG_ERR("vhost-user", "%s: cannot stop the reconnect thread: %s", fe->name,
			strerror(errno));
		return;
	}
	pthread_join(fe->thread, NULL);
	fe->thread_started = false;
}

void vu_frontend_stop(struct vu_frontend *fe)
{
	if (fe)
		fe_stop_thread(fe);
}

static void fe_free(struct vu_frontend *fe)
{
	vnet_announce_ctl_fini(&fe->ctl);
	fe_stop_thread(fe);
	if (fe->stopfd >= 0)
		close(fe->stopfd);
	if (fe->listen_fd >= 0) {
		close(fe->listen_fd);
		unlink(fe->path);
	}
	mutex_lock(&fe->lock); /* no other thread is left; this keeps the analysis exact */
	if (fe->fd >= 0)
		close(fe->fd);
	mutex_unlock(&fe->lock);
	mutex_destroy(&fe->lock);
	free(fe);
}

/* Server mode: listen at the path and wait for the backend's first connection. */
static int fe_await_backend(struct vu_frontend *fe, const struct vu_frontend_opts *o)
{
	unsigned int ms = o->wait_ms ? o->wait_ms : FE_DEFAULT_WAIT_MS;
	struct pollfd p;
	int n;

	fe->listen_fd = vu_listen_socket(fe->path);
	if (fe->listen_fd < 0)
		return fe->listen_fd;
	LOG_INFO("vhost-user", "%s: waiting up to %u s for the backend to connect on %s", fe->name,
		 ms / 1000, fe->path);
	p = (struct pollfd){ .fd = fe->listen_fd, .events = POLLIN };
	while ((n = poll(&p, 1, (int)ms)) < 0 && errno == EINTR)
		;
	return n > 0 ? 0 : n == 0 ? -ETIMEDOUT : -errno;
}

struct vu_frontend *vu_frontend_create(const struct vu_frontend_opts *o)
{
	struct vu_frontend *fe;
	uint64_t be_features;
	int ret, fd;

	if (!o->path || !o->path[0] || strlen(o->path) > VU_PATH_MAX)
		return NULL;
	fe = calloc(1, sizeof(*fe));
	if (!fe)
		return NULL;
	fe->vdev.ops = &fe_ops;
	fe->stopfd = -1;
	fe->listen_fd = -1;
	mutex_init(&fe->lock);
	snprintf(fe->name, sizeof(fe->name), "%s", o->name ? o->name : "vhost-user-net");
	if (vnet_announce_ctl_init(&fe->ctl, fe->name, fe_ctl_broken, fe)) {
		free(fe);
		return NULL;
	}
	snprintf(fe->path, sizeof(fe->path), "%s", o->path);
	memcpy(fe->mac, o->mac, sizeof(fe->mac));
	fe->queue_size = o->queue_size ? o->queue_size : FE_DEFAULT_QUEUE_SIZE;
	fe->timeout_ms = o->timeout_ms ? o->timeout_ms : FE_DEFAULT_TIMEOUT_MS;
	ret = !IS_POW2(fe->queue_size) ? -EINVAL : o->server ? fe_await_backend(fe, o) : 0;
	fd = ret ? ret : fe_dial(fe);
	mutex_lock(&fe->lock);
	fe->fd = -1;
	ret = fd < 0 ? fd : 0;
	if (!ret) {
		fe_attach(fe, fd);
		ret = fe_negotiate(fe);
	}
	if (!ret && !(fe->be_features & VNET_BIT(VIRTIO_F_VERSION_1)))
		ret = -EPROTONOSUPPORT; /* virtio-pci modern drivers need VERSION_1 */
	be_features = fe->be_features;
	mutex_unlock(&fe->lock);
	if (!ret)
		ret = fe_start_thread(fe);
	if (ret)
		goto err_free;
	fe->offered = (be_features & FE_PASS_FEATURES) | FE_LOCAL_FEATURES;
	LOG_INFO("vhost-user", "%s: connected to backend %s (features 0x%llx)", fe->name, fe->path,
		 (unsigned long long)be_features);
	return fe;

err_free:
	LOG_ERR("vhost-user", "%s: cannot use the vhost-user backend at %s: %s", fe->name, fe->path,
		strerror(-ret));
	fe_free(fe);
	return NULL;
}

struct virtio_dev *vu_frontend_virtio_dev(struct vu_frontend *fe)
{
	return &fe->vdev;
}

uint64_t vu_frontend_reconnects(struct vu_frontend *fe)
{
	uint64_t n;

	mutex_lock(&fe->lock);
	n = fe->reconnects;
	mutex_unlock(&fe->lock);
	return n;
}

void vu_frontend_destroy(struct vu_frontend *fe)
{
	if (fe)
		fe_free(fe);
}
