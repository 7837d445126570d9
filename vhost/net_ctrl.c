/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_ctrl.c - the virtio-net control queue (virtio 1.2, 5.1.6.5), queue
 * 2 * max_queue_pairs: receive modes (promiscuous, all-multicast), the MAC
 * table and address, the announce acknowledgement and the number of queue
 * pairs in use (VIRTIO_NET_F_MQ).
 *
 * Linux sends a command and spins until the device answers, so the queue
 * has a thread of its own (vq_worker.h) that sleeps on its kick eventfd and
 * answers at once, rather than waiting for a PMD that may be asleep.  vhost-user peers
 * (QEMU, virtio-user) answer their guests' control queues themselves and
 * never start this one.
 *
 * Commands are hostile input: the header and every argument are copied out
 * of guest memory before they are read, lengths are checked exactly, and
 * anything unknown or malformed gets VIRTIO_NET_ERR.  Only a chain with no
 * writable byte for the ack breaks the queue.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/log.h"
#include "vhost/iov.h"
#include "vhost/net_priv.h"

#define CTRL_IOV 8 /* header, up to two MAC tables, the ack */
#define CTRL_MAX_CMD 4096 /* bytes of arguments: a MAC table of ~680 entries */

/* The MAC table (5.1.6.5.2): two lists of u32 count + 6-byte entries; checked, not kept. */
static bool ctrl_mac_table_ok(const uint8_t *p, size_t len)
{
	size_t off = 0;

	for (int t = 0; t < 2; t++) {
		uint32_t n;

		if (len - off < 4)
			return false;
		memcpy(&n, p + off, 4);
		off += 4;
		if (n > (len - off) / 6)
			return false;
		off += (size_t)n * 6;
	}
	return off == len;
}

static uint8_t ctrl_command(void *arg_dev, uint8_t cls, uint8_t cmd, const uint8_t *arg, size_t len)
{
	struct vnet_dev *dev = arg_dev;
	uint16_t pairs;

	switch (cls << 8 | cmd) {
	case VIRTIO_NET_CTRL_RX << 8 | VIRTIO_NET_CTRL_RX_PROMISC:
	case VIRTIO_NET_CTRL_RX << 8 | VIRTIO_NET_CTRL_RX_ALLMULTI:
		if (len != 1 || !(dev->acked & VNET_BIT(VIRTIO_NET_F_CTRL_RX)))
			return VIRTIO_NET_ERR;
		/*
		 * Accepted, and nothing to change: a switch port gets its tenant's
		 * floods and its own unicast whatever mode the guest asks for.
		 */
		return VIRTIO_NET_OK;
	case VIRTIO_NET_CTRL_MAC << 8 | VIRTIO_NET_CTRL_MAC_TABLE_SET:
		return (dev->acked & VNET_BIT(VIRTIO_NET_F_CTRL_RX)) &&
				       ctrl_mac_table_ok(arg, len) ?
			       VIRTIO_NET_OK :
			       VIRTIO_NET_ERR;
	case VIRTIO_NET_CTRL_MAC << 8 | VIRTIO_NET_CTRL_MAC_ADDR_SET:
		if (len != 6 || !(dev->acked & VNET_BIT(VIRTIO_NET_F_CTRL_MAC_ADDR)) || arg[0] & 1)
			return VIRTIO_NET_ERR;
		memcpy(dev->mac, arg, 6);
		return VIRTIO_NET_OK;
	case VIRTIO_NET_CTRL_ANNOUNCE << 8 | VIRTIO_NET_CTRL_ANNOUNCE_ACK:
		if (len != 0)
			return VIRTIO_NET_ERR;
		atomic_fetch_and_explicit(&dev->link_status, (uint16_t)~VIRTIO_NET_S_ANNOUNCE,
					  memory_order_relaxed);
		return VIRTIO_NET_OK;
	case VIRTIO_NET_CTRL_MQ << 8 | VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET:
		if (len != 2 || !(dev->acked & VNET_BIT(VIRTIO_NET_F_MQ)))
			return VIRTIO_NET_ERR;
		memcpy(&pairs, arg, 2);
		if (pairs < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN || pairs > dev->nr_qp)
			return VIRTIO_NET_ERR;
		atomic_store_explicit(&dev->active_qp, pairs, memory_order_relaxed);
		LOG_INFO("vhost", "%s: the driver uses %u of %u queue pairs", dev->name, pairs,
			 dev->nr_qp);
		return VIRTIO_NET_OK;
	default:
		return VIRTIO_NET_ERR;
	}
}

void vnet_ctrl_answer(struct vq *vq, const struct vq_chain *c, vnet_ctrl_cmd_fn cmd, void *arg)
{
	uint8_t hdr[2], data[CTRL_MAX_CMD], ack = VIRTIO_NET_ERR;
	const struct iovec *last;
	struct iov_iter it;
	size_t len;

	if (!c->n_in || !c->in_len) {
		/* The queue's name says whose: "<device> ctrl". */
		vq_mark_broken(vq, "a control command with nowhere to put its ack");
		return;
	}
	iov_iter_init(&it, c->iov, c->n_out);
	len = c->out_len;
	if (len >= sizeof(hdr) && len - sizeof(hdr) <= sizeof(data)) {
		iov_iter_copy_from(&it, hdr, sizeof(hdr));
		iov_iter_copy_from(&it, data, len - sizeof(hdr));
		ack = cmd(arg, hdr[0], hdr[1], data, len - sizeof(hdr));
	}
	last = &c->iov[c->n_out + c->n_in - 1];
	((uint8_t *)last->iov_base)[last->iov_len - 1] = ack;
	vq_push_used(vq, c->head, 1);
}

static void ctrl_chain(void *arg_dev, const struct vq_chain *c)
{
	struct vnet_dev *dev = arg_dev;

	vnet_ctrl_answer(&dev->ctrl.vq, c, ctrl_command, dev);
}

static void ctrl_broken(void *arg)
{
	struct vnet_dev *dev = arg;

	if (dev->vdev.needs_reset)
		dev->vdev.needs_reset(&dev->vdev);
}

int vnet_ctrl_init(struct vnet_dev *dev, bool manual)
{
	return vq_worker_init(&dev->ctrl.w, &dev->ctrl.vq, ctrl_chain, dev, CTRL_IOV, manual);
}

int vnet_ctrl_start(struct vnet_dev *dev, const struct virtio_queue_cfg *cfg)
{
	struct vnet_ctrl *ctl = &dev->ctrl;
	char name[40];
	int ret;

	if (atomic_load(&ctl->w.running))
		return -EBUSY;
	snprintf(name, sizeof(name), "%s ctrl", dev->name);
	ret = vq_init(&ctl->vq,
		      &(struct vq_params){
			      .cfg = cfg,
			      .mem = dev->vdev.mem,
			      .event_idx = dev->acked & VNET_BIT(VIRTIO_RING_F_EVENT_IDX),
			      .indirect = dev->acked & VNET_BIT(VIRTIO_RING_F_INDIRECT_DESC),
			      .max_chain_len = 2 + CTRL_MAX_CMD + 1,
			      .name = name,
			      .on_broken = ctrl_broken,
			      .on_broken_arg = dev,
		      });
	return ret ? ret : vq_worker_start(&ctl->w);
}

int vnet_ctrl_poll(struct vnet_dev *dev)
{
	return vq_worker_poll(&dev->ctrl.w);
}

uint16_t vnet_ctrl_stop(struct vnet_dev *dev)
{
	vq_worker_stop(&dev->ctrl.w);
	return vq_last_avail_idx(&dev->ctrl.vq);
}
