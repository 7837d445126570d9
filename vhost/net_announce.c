/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_announce.c - the smallest virtio-net control queue: one that answers
 * VIRTIO_NET_CTRL_ANNOUNCE_ACK (virtio 1.2, 5.1.6.5.4) and refuses every
 * other command, for a device that offers CTRL_VQ only to have its driver
 * announce itself (VIRTIO_NET_F_GUEST_ANNOUNCE): Ferry's vhost-user frontend
 * after a new backend took over (vhost_user_frontend.c).  Served by a
 * vq_worker thread, as net_ctrl.c's full control queue is.
 *
 * Commands are hostile input: net_ctrl.c's vnet_ctrl_answer() copies them
 * out and writes the ack, as for the full control queue.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/log.h"
#include "vhost/net_priv.h"

#define ANNOUNCE_IOV 4 /* header, ack, and room for a driver that splits them */

static uint8_t announce_command(void *arg, uint8_t cls, uint8_t cmd, const uint8_t *data,
				size_t len)
{
	struct vnet_announce_ctl *a = arg;

	(void)data;
	/* ANNOUNCE_ACK has no argument (5.1.6.5.4); anything else is not served here. */
	if (cls != VIRTIO_NET_CTRL_ANNOUNCE || cmd != VIRTIO_NET_CTRL_ANNOUNCE_ACK || len != 0)
		return VIRTIO_NET_ERR;
	atomic_store_explicit(&a->pending, false, memory_order_relaxed);
	LOG_INFO("vhost", "%s: the driver announced itself", a->name);
	return VIRTIO_NET_OK;
}

static void announce_chain(void *arg, const struct vq_chain *c)
{
	struct vnet_announce_ctl *a = arg;

	vnet_ctrl_answer(&a->vq, c, announce_command, a);
}

int vnet_announce_ctl_init(struct vnet_announce_ctl *a, const char *name,
			   void (*on_broken)(void *arg), void *arg)
{
	snprintf(a->name, sizeof(a->name), "%s ctrl", name);
	a->on_broken = on_broken;
	a->on_broken_arg = arg;
	atomic_init(&a->pending, false);
	return vq_worker_init(&a->w, &a->vq, announce_chain, a, ANNOUNCE_IOV, false);
}

void vnet_announce_ctl_fini(struct vnet_announce_ctl *a)
{
	vq_worker_stop(&a->w);
	vq_worker_fini(&a->w);
}

int vnet_announce_ctl_start(struct vnet_announce_ctl *a, const struct virtio_queue_cfg *cfg,
			    const struct vhost_mem *mem, uint64_t features)
{
	int ret;

	if (atomic_load(&a->w.running))
		return -EBUSY;
	ret = vq_init(&a->vq, &(struct vq_params){
				      .cfg = cfg,
				      .mem = mem,
				      .event_idx = features & VNET_BIT(VIRTIO_RING_F_EVENT_IDX),
				      .indirect = features & VNET_BIT(VIRTIO_RING_F_INDIRECT_DESC),
				      .max_chain_len = 64,
				      .name = a->name,
				      .on_broken = a->on_broken,
				      .on_broken_arg = a->on_broken_arg,
			      });
	return ret ? ret : vq_worker_start(&a->w);
}

uint16_t vnet_announce_ctl_stop(struct vnet_announce_ctl *a)
{
	if (!atomic_load(&a->w.running))
		return 0;
	vq_worker_stop(&a->w);
	return vq_last_avail_idx(&a->vq);
}
