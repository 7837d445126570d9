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
 * Only queue pair 0 is offered: multiqueue needs a control queue, which a
 * frontend must emulate itself.  Feature bits pass through only when they
 * concern the guest and the backend alone (offloads, ring layout);
 * transport features this frontend does not forward (packed rings, IOMMU,
 * dirty logging) are never offered.
 *
 * Threads: ops run on a vCPU thread under the transport's device lock and
 * wait for the backend's replies, at most timeout_ms each.  A backend that
 * fails or goes away is dropped: the transport is told the device needs a
 * reset and every later op fails cleanly.  There is no reconnect.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/log.h"
#include "vhost/mem.h"
#include "vhost/net_priv.h"
#include "vhost/vhost_user_priv.h"
#include "vhost/virtio_dev.h"

#define FE_NQUEUES 2
#define FE_DEFAULT_TIMEOUT_MS 5000
#define FE_DEFAULT_QUEUE_SIZE 256

/* Features a guest and a backend negotiate between themselves (virtio 1.2, 5.1.3, 6). */
#define FE_PASS_FEATURES                                                    \
	(VNET_BIT(VIRTIO_F_VERSION_1) | VNET_BIT(VIRTIO_NET_F_CSUM) |       \
	 VNET_BIT(VIRTIO_NET_F_GUEST_CSUM) | VNET_BIT(7) /* GUEST_TSO4 */ | \
	 VNET_BIT(8) /* GUEST_TSO6 */ | VNET_BIT(9) /* GUEST_ECN */ |       \
	 VNET_BIT(10) /* GUEST_UFO */ | VNET_BIT(11) /* HOST_TSO4 */ |      \
	 VNET_BIT(12) /* HOST_TSO6 */ | VNET_BIT(13) /* HOST_ECN */ |       \
	 VNET_BIT(14) /* HOST_UFO */ | VNET_BIT(VIRTIO_NET_F_MRG_RXBUF) |   \
	 VNET_BIT(VIRTIO_F_EVENT_IDX) | VNET_BIT(VIRTIO_F_INDIRECT_DESC))
/* Served here, whatever the backend says. */
#define FE_LOCAL_FEATURES (VNET_BIT(VIRTIO_NET_F_MAC) | VNET_BIT(VIRTIO_NET_F_STATUS))

struct fe_queue {
	bool running; /* the backend serves it */
	uint16_t base; /* where it started, returned if GET_VRING_BASE fails */
};

struct vu_frontend {
	struct virtio_dev vdev; /* what the transport drives; first for container_of */
	char name[32]; /* for logs */
	char path[VU_PATH_MAX + 1]; /* the backend's socket */
	int fd; /* connection to the backend; -1 once it failed */
	unsigned int timeout_ms; /* per reply */
	uint16_t queue_size; /* largest ring offered to the driver */
	uint8_t mac[6]; /* config space */
	uint64_t be_features; /* GET_FEATURES */
	uint64_t be_proto; /* protocol features negotiated */
	uint64_t offered; /* to the driver */
	bool mem_sent; /* SET_MEM_TABLE done since the last reset */
	struct fe_queue q[FE_NQUEUES];
};

static struct vu_frontend *to_fe(struct virtio_dev *vdev)
{
	return container_of(vdev, struct vu_frontend, vdev);
}

/* ---- talking to the backend ---- */

/* The backend broke the session: drop it and ask the driver for a reset. */
static int fe_fail(struct vu_frontend *fe, const char *what, int err)
{
	if (fe->fd < 0)
		return -EIO;
	LOG_ERR("vhost-user", "%s: backend at %s failed on %s: %s; the NIC is down", fe->name,
		fe->path, what, strerror(-err));
	close(fe->fd);
	fe->fd = -1;
	for (unsigned int i = 0; i < FE_NQUEUES; i++)
		fe->q[i].running = false;
	if (fe->vdev.needs_reset)
		fe->vdev.needs_reset(&fe->vdev);
	return -EIO;
}

/* Wait for the reply to @req; 0 or -errno (fds in a reply are closed and refused). */
static int fe_reply(struct vu_frontend *fe, uint32_t req, struct vu_rx *rx)
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
		   const int *fds, unsigned int nfds)
{
	struct vu_hdr h = { .request = req, .flags = VU_FLAG_VERSION, .size = size };
	bool ack = fe->be_proto & VNET_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK);
	struct vu_rx rx;
	int ret;

	if (fe->fd < 0)
		return -EIO;
	if (ack)
		h.flags |= VU_FLAG_NEED_REPLY;
	ret = vu_send(fe->fd, &h, payload, fds, nfds);
	if (!ret && ack) {
		vu_rx_init(&rx);
		ret = fe_reply(fe, req, &rx);
		if (!ret && (rx.hdr.size != sizeof(uint64_t) || rx.p.u64 != 0))
			ret = rx.hdr.size == sizeof(uint64_t) ? -EREMOTEIO : -EPROTO;
	}
	return ret ? fe_fail(fe, vu_request_name(req), ret) : 0;
}

static int fe_get_u64(struct vu_frontend *fe, uint32_t req, uint64_t *v)
{
	struct vu_hdr h = { .request = req, .flags = VU_FLAG_VERSION };
	struct vu_rx rx;
	int ret;

	if (fe->fd < 0)
		return -EIO;
	vu_rx_init(&rx);
	ret = vu_send(fe->fd, &h, NULL, NULL, 0);
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
{
	struct vu_vring_state s = { .index = index, .num = num };

	return fe_send(fe, req, &s, sizeof(s), NULL, 0);
}

/* SET_VRING_KICK/CALL: the fd, or the "no fd" bit when the transport has none. */
static int fe_send_vring_fd(struct vu_frontend *fe, uint32_t req, uint16_t idx, int fd)
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

static int fe_send_mem(struct vu_frontend *fe)
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
	return FE_NQUEUES;
}

static uint16_t fe_max_queue_size(struct virtio_dev *vdev, uint16_t qidx)
{
	return qidx < FE_NQUEUES ? to_fe(vdev)->queue_size : 0;
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

	if (features & ~fe->offered)
		return -EINVAL;
	be = features & fe->be_features & FE_PASS_FEATURES;
	if (fe->be_features & VNET_BIT(VHOST_USER_F_PROTOCOL_FEATURES))
		be |= VNET_BIT(VHOST_USER_F_PROTOCOL_FEATURES);
	return fe_send(fe, VU_REQ_SET_FEATURES, &be, sizeof(be), NULL, 0);
}

static uint32_t fe_config_size(struct virtio_dev *vdev)
{
	(void)vdev;
	return sizeof(struct virtio_net_config);
}

/* virtio 1.2, 5.1.4: the link is up while the backend is there. */
static void fe_config_read(struct virtio_dev *vdev, uint32_t off, void *buf, uint32_t len)
{
	struct vu_frontend *fe = to_fe(vdev);
	struct virtio_net_config cfg = { .max_virtqueue_pairs = 1 };

	memcpy(cfg.mac, fe->mac, sizeof(cfg.mac));
	cfg.status = fe->fd >= 0 ? VIRTIO_NET_S_LINK_UP : 0;
	virtio_config_read_struct(&cfg, sizeof(cfg), off, buf, len);
}

static void fe_config_write(struct virtio_dev *vdev, uint32_t off, const void *buf, uint32_t len)
{
	(void)buf;
	LOG_RL(LOG_LVL_WARN, "vhost-user", "%s: ignoring config write of %u bytes at %u",
	       to_fe(vdev)->name, len, off);
}

/* Hand one ring to the backend, in QEMU's order (vhost_virtqueue_start). */
static int fe_queue_start(struct virtio_dev *vdev, uint16_t qidx,
			  const struct virtio_queue_cfg *cfg)
{
	struct vu_frontend *fe = to_fe(vdev);
	/* Ring addresses are our virtual addresses, the uaddr space of the memory table. */
	struct vu_vring_addr a = {
		.index = qidx,
		.desc_uaddr = (uintptr_t)cfg->desc,
		.used_uaddr = (uintptr_t)cfg->used,
		.avail_uaddr = (uintptr_t)cfg->avail,
	};
	int ret = 0;

	if (qidx >= FE_NQUEUES || fe->q[qidx].running)
		return -EINVAL;
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

/* GET_VRING_BASE stops the ring in the backend and says where to resume. */
static uint16_t fe_queue_stop(struct virtio_dev *vdev, uint16_t qidx)
{
	struct vu_frontend *fe = to_fe(vdev);
	struct vu_vring_state s = { .index = qidx };
	struct vu_hdr h = { .request = VU_REQ_GET_VRING_BASE, .flags = VU_FLAG_VERSION };
	struct vu_rx rx;
	int ret;

	if (qidx >= FE_NQUEUES || !fe->q[qidx].running || fe->fd < 0)
		return qidx < FE_NQUEUES ? fe->q[qidx].base : 0;
	fe->q[qidx].running = false;
	h.size = sizeof(s);
	vu_rx_init(&rx);
	ret = vu_send(fe->fd, &h, &s, NULL, 0);
	if (!ret)
		ret = fe_reply(fe, h.request, &rx);
	if (!ret && (rx.hdr.size != sizeof(s) || rx.p.state.index != qidx))
		ret = -EPROTO;
	if (ret) {
		fe_fail(fe, "GET_VRING_BASE", ret);
		return fe->q[qidx].base;
	}
	fe->q[qidx].base = (uint16_t)rx.p.state.num;
	return fe->q[qidx].base;
}

static void fe_queue_set_call_fd(struct virtio_dev *vdev, uint16_t qidx, int call_fd)
{
	struct vu_frontend *fe = to_fe(vdev);

	if (qidx < FE_NQUEUES && fe->q[qidx].running)
		fe_send_vring_fd(fe, VU_REQ_SET_VRING_CALL, qidx, call_fd);
}

/* virtio 1.2, 2.4: rings stopped; memory and features are sent again after the reset. */
static void fe_reset(struct virtio_dev *vdev)
{
	struct vu_frontend *fe = to_fe(vdev);

	for (uint16_t i = 0; i < FE_NQUEUES; i++) {
		fe_queue_stop(vdev, i);
		fe->q[i].base = 0;
	}
	fe->mem_sent = false;
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

/* ---- life cycle ---- */

static int fe_connect(struct vu_frontend *fe)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	memcpy(sa.sun_path, fe->path, strlen(fe->path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	fe->fd = fd;
	return 0;
}

/* SET_OWNER, then features and protocol features (spec, "Starting the session"). */
static int fe_negotiate(struct vu_frontend *fe)
{
	uint64_t proto = 0, want;
	int ret;

	ret = fe_send(fe, VU_REQ_SET_OWNER, NULL, 0, NULL, 0);
	if (!ret)
		ret = fe_get_u64(fe, VU_REQ_GET_FEATURES, &fe->be_features);
	if (ret || !(fe->be_features & VNET_BIT(VHOST_USER_F_PROTOCOL_FEATURES)))
		return ret;
	ret = fe_get_u64(fe, VU_REQ_GET_PROTOCOL_FEATURES, &proto);
	want = proto & VNET_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK);
	if (!ret)
		ret = fe_send(fe, VU_REQ_SET_PROTOCOL_FEATURES, &want, sizeof(want), NULL, 0);
	/* Acks are asked for only from here on: the request above had none. */
	fe->be_proto = want;
	return ret;
}

struct vu_frontend *vu_frontend_create(const struct vu_frontend_opts *o)
{
	struct vu_frontend *fe;
	int ret;

	if (!o->path || !o->path[0] || strlen(o->path) > VU_PATH_MAX)
		return NULL;
	fe = calloc(1, sizeof(*fe));
	if (!fe)
		return NULL;
	fe->vdev.ops = &fe_ops;
	fe->fd = -1;
	snprintf(fe->name, sizeof(fe->name), "%s", o->name ? o->name : "vhost-user-net");
	snprintf(fe->path, sizeof(fe->path), "%s", o->path);
	memcpy(fe->mac, o->mac, sizeof(fe->mac));
	fe->queue_size = o->queue_size ? o->queue_size : FE_DEFAULT_QUEUE_SIZE;
	fe->timeout_ms = o->timeout_ms ? o->timeout_ms : FE_DEFAULT_TIMEOUT_MS;
	ret = !IS_POW2(fe->queue_size) ? -EINVAL : fe_connect(fe);
	if (!ret)
		ret = fe_negotiate(fe);
	if (!ret && !(fe->be_features & VNET_BIT(VIRTIO_F_VERSION_1)))
		ret = -EPROTONOSUPPORT; /* virtio-pci modern drivers need VERSION_1 */
	if (ret)
		goto err_free;
	fe->offered = (fe->be_features & FE_PASS_FEATURES) | FE_LOCAL_FEATURES;
	LOG_INFO("vhost-user", "%s: connected to backend %s (features 0x%llx)", fe->name, fe->path,
		 (unsigned long long)fe->be_features);
	return fe;

err_free:
	LOG_ERR("vhost-user", "%s: cannot use the vhost-user backend at %s: %s", fe->name, fe->path,
		strerror(-ret));
	if (fe->fd >= 0)
		close(fe->fd);
	free(fe);
	return NULL;
}

struct virtio_dev *vu_frontend_virtio_dev(struct vu_frontend *fe)
{
	return &fe->vdev;
}

void vu_frontend_destroy(struct vu_frontend *fe)
{
	if (!fe)
		return;
	if (fe->fd >= 0)
		close(fe->fd);
	free(fe);
}
