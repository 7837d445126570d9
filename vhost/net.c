/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net.c - the control side of the virtio-net device (vhost/net.h): creation,
 * feature negotiation, config space and queue life cycle, i.e. the struct
 * virtio_dev_ops a transport drives.  The datapath lives in net_dequeue.c
 * and net_enqueue.c and sees a queue only while its state is RUNNING.
 *
 * Stopping a queue is a two-step handshake with the PMD threads: store
 * STOPPED, then call the switch's sync callback, which returns once every
 * burst that could have seen RUNNING has left.  Only then are the rings
 * (and the index we hand back, the GET_VRING_BASE value) stable.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fdguard.h"
#include "util/log.h"
#include "vhost/net_priv.h"

static struct vnet_dev *vdev_to_net(struct virtio_dev *vdev)
{
	return container_of(vdev, struct vnet_dev, vdev);
}

struct vnet_dev *vnet_from_virtio_dev(struct virtio_dev *vdev)
{
	return vdev_to_net(vdev);
}

struct virtio_dev *vnet_virtio_dev(struct vnet_dev *dev)
{
	return &dev->vdev;
}

uint16_t vnet_queue_pairs(const struct vnet_dev *dev)
{
	return dev->nr_qp;
}

static void vnet_sync(struct vnet_dev *dev)
{
	if (dev->sync)
		dev->sync(dev->sync_arg);
}

void vnet_set_datapath_sync(struct vnet_dev *dev, void (*sync)(void *arg), void *arg)
{
	dev->sync = sync;
	dev->sync_arg = arg;
}

void vnet_set_link(struct vnet_dev *dev, bool up)
{
	uint16_t st = up ? VIRTIO_NET_S_LINK_UP : 0;

	if (atomic_exchange_explicit(&dev->link_status, st, memory_order_relaxed) == st)
		return;
	/* virtio 1.2, 4.1.4.5: a config change raises the configuration interrupt. */
	if ((dev->acked & VNET_BIT(VIRTIO_NET_F_STATUS)) && dev->vdev.config_changed)
		dev->vdev.config_changed(&dev->vdev);
}

int vnet_get_stats(const struct vnet_dev *dev, uint16_t qidx, struct vnet_queue_stats *st)
{
	const struct vnet_queue *q;

	if (qidx >= 2u * dev->nr_qp)
		return -EINVAL;
	q = &dev->queues[qidx];
	st->packets = atomic_load_explicit(&q->cnt.packets, memory_order_relaxed);
	st->bytes = atomic_load_explicit(&q->cnt.bytes, memory_order_relaxed);
	st->errors = atomic_load_explicit(&q->cnt.errors, memory_order_relaxed);
	st->drops = atomic_load_explicit(&q->cnt.drops, memory_order_relaxed);
	st->broken = atomic_load_explicit(&q->vq.nr_broken, memory_order_relaxed);
	st->interrupts = atomic_load_explicit(&q->vq.nr_calls, memory_order_relaxed);
	return 0;
}

/* --- struct virtio_dev_ops ------------------------------------------------------------- */

#define VNET_CTRL_QUEUE_SIZE 64

static bool net_has_ctrl(const struct vnet_dev *dev)
{
	return dev->offered & VNET_BIT(VIRTIO_NET_F_CTRL_VQ);
}

static uint16_t net_num_queues(struct virtio_dev *vdev)
{
	struct vnet_dev *dev = vdev_to_net(vdev);

	return (uint16_t)(2 * dev->nr_qp + net_has_ctrl(dev));
}

static uint16_t net_max_queue_size(struct virtio_dev *vdev, uint16_t qidx)
{
	struct vnet_dev *dev = vdev_to_net(vdev);

	if (qidx == 2u * dev->nr_qp && net_has_ctrl(dev))
		return VNET_CTRL_QUEUE_SIZE;
	return qidx < 2u * dev->nr_qp ? dev->max_queue_size : 0;
}

uint16_t vnet_tx_queue_pairs(const struct vnet_dev *dev)
{
	uint16_t n = 0;

	/* A driver without MQ uses the first pair only (virtio 1.2, 5.1.5). */
	if (!atomic_load_explicit(&dev->mq, memory_order_relaxed))
		return 1;
	/* The control queue runs only where Ferry answers it: then the driver's count rules. */
	if (atomic_load_explicit(&dev->ctrl.w.running, memory_order_relaxed))
		return atomic_load_explicit(&dev->active_qp, memory_order_relaxed);
	/* A vhost-user peer enables the rings it uses, from the first on. */
	while (n < dev->nr_qp && atomic_load_explicit(&dev->queues[2 * n].state,
						      memory_order_relaxed) == VNET_Q_RUNNING)
		n++;
	return n ? n : 1;
}

static bool net_has(uint64_t features, unsigned int bit)
{
	return features & VNET_BIT(bit);
}

/*
 * The TSO directions @features allow, to the guest (@guest) or from it;
 * each needs the matching checksum offload (virtio 1.2, 5.1.3.1).
 */
static uint8_t net_tso_bits(uint64_t features, bool guest)
{
	unsigned int csum = guest ? VIRTIO_NET_F_GUEST_CSUM : VIRTIO_NET_F_CSUM;
	unsigned int tso4 = guest ? VIRTIO_NET_F_GUEST_TSO4 : VIRTIO_NET_F_HOST_TSO4;
	unsigned int tso6 = guest ? VIRTIO_NET_F_GUEST_TSO6 : VIRTIO_NET_F_HOST_TSO6;

	if (!net_has(features, csum))
		return 0;
	return (uint8_t)((net_has(features, tso4) ? VNET_TSO4 : 0) |
			 (net_has(features, tso6) ? VNET_TSO6 : 0));
}

static uint64_t net_get_features(struct virtio_dev *vdev)
{
	return vdev_to_net(vdev)->offered;
}

/* virtio 1.2, 3.1.1: the driver may accept only a subset of what we offered. */
static int net_set_features(struct virtio_dev *vdev, uint64_t features)
{
	struct vnet_dev *dev = vdev_to_net(vdev);

	if (features & ~dev->offered) {
		LOG_RL(LOG_LVL_WARN, "vhost", "%s: driver accepted unoffered features 0x%llx",
		       dev->name, (unsigned long long)(features & ~dev->offered));
		return -EINVAL;
	}
	/* Running queues keep the snapshot they started with (vhost-user may re-send features). */
	dev->acked = features;
	/* virtio 1.2, 5.1.6.5.5: one pair until the driver sets more. */
	atomic_store_explicit(&dev->active_qp, 1, memory_order_relaxed);
	atomic_store_explicit(&dev->mq, features & VNET_BIT(VIRTIO_NET_F_MQ), memory_order_relaxed);
	atomic_store_explicit(&dev->guest_tso, net_tso_bits(features, true), memory_order_relaxed);
	return 0;
}

void vnet_describe(const struct vnet_dev *dev, char *buf, size_t len)
{
	/* Written by the transport's thread: a display may see the old set or the new one. */
	uint64_t f = __atomic_load_n(&dev->acked, __ATOMIC_RELAXED);

	if (!f) {
		snprintf(buf, len, "virtio-net: not negotiated");
		return;
	}
	snprintf(buf, len, "virtio-net: %u/%u queue pairs, %s rings%s%s%s%s%s",
		 vnet_tx_queue_pairs(dev), dev->nr_qp,
		 net_has(f, VIRTIO_F_RING_PACKED) ? "packed" : "split",
		 net_has(f, VIRTIO_NET_F_MRG_RXBUF) ? ", mrg_rxbuf" : "",
		 net_has(f, VIRTIO_RING_F_EVENT_IDX) ? ", event_idx" : "",
		 net_has(f, VIRTIO_NET_F_CSUM) ? ", csum" : "",
		 net_tso_bits(f, false) ? ", host_tso" : "",
		 net_tso_bits(f, true) ? ", guest_tso" : "");
}

unsigned int vnet_guest_tso(const struct vnet_dev *dev)
{
	return atomic_load_explicit(&dev->guest_tso, memory_order_relaxed);
}

/*
 * SEND_RARP (the transport's thread): the frame goes out with transmitq 0's
 * next burst, and a kick wakes its PMD, which may sleep while the guest is
 * quiet, as it often is right after a migration.
 */
static void net_announce(struct virtio_dev *vdev, const uint8_t mac[6])
{
	struct vnet_dev *dev = vdev_to_net(vdev);
	struct vnet_queue *tx0 = &dev->queues[1];
	uint64_t v = VNET_ANNOUNCE_PENDING, one = 1;

	memcpy(&v, mac, 6); /* little-endian: the low 48 bits */
	atomic_store_explicit(&dev->announce, v, memory_order_relaxed);
	/* The kick fd is set and cleared on this thread (queue start/stop). */
	if (atomic_load_explicit(&tx0->state, memory_order_relaxed) == VNET_Q_RUNNING &&
	    tx0->vq.kick_fd >= 0)
		fdguard_write(tx0->vq.kick_fd, &one, sizeof(one));
}

static void net_fill_config(struct vnet_dev *dev, struct virtio_net_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	memcpy(cfg->mac, dev->mac, sizeof(cfg->mac));
	cfg->status = atomic_load_explicit(&dev->link_status, memory_order_relaxed);
	cfg->max_virtqueue_pairs = dev->nr_qp;
	cfg->mtu = dev->mtu;
}

static uint32_t net_config_size(struct virtio_dev *vdev)
{
	(void)vdev;
	return VNET_CONFIG_LEN;
}

/* virtio 1.2, 4.1.4.6: reads past the structure return zeroes. */
static void net_config_read(struct virtio_dev *vdev, uint32_t off, void *buf, uint32_t len)
{
	struct virtio_net_config cfg;

	net_fill_config(vdev_to_net(vdev), &cfg);
	virtio_config_read_struct(&cfg, VNET_CONFIG_LEN, off, buf, len);
}

/* virtio 1.2, 5.1.4: every field is read-only for a modern driver. */
static void net_config_write(struct virtio_dev *vdev, uint32_t off, const void *buf, uint32_t len)
{
	(void)buf;
	LOG_RL(LOG_LVL_WARN, "vhost", "%s: ignoring config write of %u bytes at %u",
	       vdev_to_net(vdev)->name, len, off);
}

/* Copy the negotiated features the datapath needs into the queue. */
static void net_snapshot_features(struct vnet_dev *dev, struct vnet_queue *q)
{
	bool v1 = net_has(dev->acked, VIRTIO_F_VERSION_1);

	q->mrg_rxbuf = net_has(dev->acked, VIRTIO_NET_F_MRG_RXBUF);
	/* virtio 1.2, 5.1.6: num_buffers is there with VERSION_1 or MRG_RXBUF. */
	q->hdr_len = (v1 || q->mrg_rxbuf) ? VNET_HDR_LEN : VNET_HDR_LEN_LEGACY;
	q->csum = net_has(dev->acked, VIRTIO_NET_F_CSUM);
	q->guest_csum = net_has(dev->acked, VIRTIO_NET_F_GUEST_CSUM);
	q->host_tso = net_tso_bits(dev->acked, false);
	q->guest_tso = net_tso_bits(dev->acked, true);
}

/* A ring broke (any thread): the transport asks the driver for a reset. */
static void net_queue_broken(void *arg)
{
	struct vnet_dev *dev = arg;

	if (dev->vdev.needs_reset)
		dev->vdev.needs_reset(&dev->vdev);
}

static int net_queue_start(struct virtio_dev *vdev, uint16_t qidx,
			   const struct virtio_queue_cfg *cfg)
{
	struct vnet_dev *dev = vdev_to_net(vdev);
	struct vnet_queue *q;
	char name[32];
	int ret;

	if (qidx == 2u * dev->nr_qp && net_has_ctrl(dev) && vdev->mem &&
	    cfg->size <= VNET_CTRL_QUEUE_SIZE)
		return vnet_ctrl_start(dev, cfg);
	if (qidx >= 2u * dev->nr_qp || cfg->size > dev->max_queue_size || !vdev->mem)
		return -EINVAL;
	q = &dev->queues[qidx];
	if (atomic_load_explicit(&q->state, memory_order_relaxed) != VNET_Q_STOPPED)
		return -EBUSY;
	snprintf(name, sizeof(name), "%s q%u", dev->name, qidx);
	ret = vq_init(&q->vq, &(struct vq_params){
				      .cfg = cfg,
				      .mem = vdev->mem,
				      .event_idx = net_has(dev->acked, VIRTIO_RING_F_EVENT_IDX),
				      .indirect = net_has(dev->acked, VIRTIO_RING_F_INDIRECT_DESC),
				      .max_chain_len = (qidx & 1) ? VNET_HDR_LEN + VNET_MAX_FRAME :
								    VNET_MAX_RX_CHAIN,
				      .name = name,
				      .on_broken = net_queue_broken,
				      .on_broken_arg = dev,
			      });
	if (ret)
		return ret;
	net_snapshot_features(dev, q);
	/* Release: publishes the ring set-up above to the PMDs' acquire load (vnet_running_queue). */
	atomic_store_explicit(&q->state, VNET_Q_RUNNING, memory_order_release);
	return 0;
}

/* Mark a queue stopped; true if it was running (then the caller must sync). */
static bool net_mark_stopped(struct vnet_queue *q)
{
	return atomic_exchange_explicit(&q->state, VNET_Q_STOPPED, memory_order_seq_cst) ==
	       VNET_Q_RUNNING;
}

static uint16_t net_queue_stop(struct virtio_dev *vdev, uint16_t qidx)
{
	struct vnet_dev *dev = vdev_to_net(vdev);
	struct vnet_queue *q;

	if (qidx == 2u * dev->nr_qp && net_has_ctrl(dev))
		return vnet_ctrl_stop(dev);
	if (qidx >= 2u * dev->nr_qp)
		return 0;
	q = &dev->queues[qidx];
	if (net_mark_stopped(q))
		vnet_sync(dev);
	/* Every burst flushed what it took, so nothing is in flight: resume here. */
	return vq_last_avail_idx(&q->vq);
}

static void net_queue_set_call_fd(struct virtio_dev *vdev, uint16_t qidx, int call_fd)
{
	struct vnet_dev *dev = vdev_to_net(vdev);

	if (qidx == 2u * dev->nr_qp && net_has_ctrl(dev)) {
		vq_set_call_fd(&dev->ctrl.vq, call_fd);
		return;
	}
	if (qidx >= 2u * dev->nr_qp)
		return;
	vq_set_call_fd(&dev->queues[qidx].vq, call_fd);
	/* After the fence no PMD still holds the old fd, so the transport may close it. */
	if (atomic_load_explicit(&dev->queues[qidx].state, memory_order_relaxed) == VNET_Q_RUNNING)
		vnet_sync(dev);
}

/* virtio 1.2, 2.4: back to the state after creation, statistics kept. */
static void net_reset(struct virtio_dev *vdev)
{
	struct vnet_dev *dev = vdev_to_net(vdev);
	bool was_running = false;
	uint32_t i;

	for (i = 0; i < 2u * dev->nr_qp; i++)
		was_running |= net_mark_stopped(&dev->queues[i]);
	if (was_running)
		vnet_sync(dev);
	for (i = 0; i < 2u * dev->nr_qp; i++)
		dev->queues[i].vq.last_avail_idx = 0;
	vnet_ctrl_stop(dev);
	dev->ctrl.vq.last_avail_idx = 0;
	atomic_store_explicit(&dev->active_qp, 1, memory_order_relaxed);
	atomic_store_explicit(&dev->mq, false, memory_order_relaxed);
	dev->acked = 0;
}

static const struct virtio_dev_ops vnet_ops = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.num_queues = net_num_queues,
	.max_queue_size = net_max_queue_size,
	.get_features = net_get_features,
	.set_features = net_set_features,
	.announce = net_announce,
	.config_size = net_config_size,
	.config_read = net_config_read,
	.config_write = net_config_write,
	.queue_start = net_queue_start,
	.queue_stop = net_queue_stop,
	.queue_set_call_fd = net_queue_set_call_fd,
	.reset = net_reset,
};

/* --- life cycle ------------------------------------------------------------------------ */

static bool vnet_params_ok(const struct vnet_params *p)
{
	if (p->max_queue_size &&
	    (!IS_POW2(p->max_queue_size) || p->max_queue_size > VIRTQ_MAX_SIZE))
		return false;
	/* Queue indices are 16-bit and one is kept for the future control queue. */
	return p->queue_pairs <= 0x7fff;
}

struct vnet_dev *vnet_create(const struct vnet_params *p)
{
	struct vnet_dev *dev;
	uint32_t nq, i;
	size_t qbytes;

	if (!vnet_params_ok(p))
		return NULL;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return NULL;
	dev->nr_qp = p->queue_pairs ? p->queue_pairs : 1;
	nq = 2u * dev->nr_qp;
	qbytes = ALIGN_UP(nq * sizeof(struct vnet_queue), 64);
	dev->queues = aligned_alloc(64, qbytes);
	if (!dev->queues)
		goto err_free_dev;
	memset(dev->queues, 0, qbytes);
	for (i = 0; i < nq; i++) {
		dev->queues[i].vq.kick_fd = -1;
		atomic_init(&dev->queues[i].vq.call_fd, -1);
	}
	dev->ctrl.vq.kick_fd = -1;
	atomic_init(&dev->ctrl.vq.call_fd, -1);
	atomic_init(&dev->active_qp, 1);
	if (vnet_ctrl_init(dev, p->manual_ctrl))
		goto err_free_queues;
	dev->vdev.ops = &vnet_ops;
	snprintf(dev->name, sizeof(dev->name), "%s", p->name ? p->name : "vnet");
	memcpy(dev->mac, p->mac, sizeof(dev->mac));
	dev->max_queue_size = p->max_queue_size ? p->max_queue_size : VNET_DEFAULT_QUEUE_SIZE;
	dev->mtu = p->mtu;
	dev->offered = (p->features ? p->features : VNET_FEATURES_DEFAULT) &
		       VNET_FEATURES_SUPPORTED;
	if (!p->mtu)
		dev->offered &= ~VNET_BIT(VIRTIO_NET_F_MTU);
	if (dev->nr_qp < 2)
		dev->offered &= ~VNET_FEATURES_CTRL;
	atomic_init(&dev->link_status, VIRTIO_NET_S_LINK_UP);
	return dev;

err_free_queues:
	free(dev->queues);
err_free_dev:
	free(dev);
	return NULL;
}

void vnet_destroy(struct vnet_dev *dev)
{
	if (!dev)
		return;
	vq_worker_fini(&dev->ctrl.w);
	free(dev->queues);
	free(dev);
}

/* --- notification API for PMD threads ------------------------------------------------- */

int vnet_queue_kick_fd(struct vnet_dev *dev, uint16_t qidx)
{
	struct vnet_queue *q = vnet_running_queue(dev, qidx);

	return q ? q->vq.kick_fd : -1;
}

bool vnet_queue_enable_notify(struct vnet_dev *dev, uint16_t qidx)
{
	struct vnet_queue *q = vnet_running_queue(dev, qidx);

	return q ? vq_enable_notify(&q->vq) : false;
}

void vnet_queue_disable_notify(struct vnet_dev *dev, uint16_t qidx)
{
	struct vnet_queue *q = vnet_running_queue(dev, qidx);

	if (q)
		vq_disable_notify(&q->vq);
}
