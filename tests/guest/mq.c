/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mq.c - mode=mq (mq.h): a two-pair virtio-net driver of its own, beside
 * vnet.c's single pair, so the other modes keep the driver they were
 * written against.  Queues 0-3 are receiveq1, transmitq1, receiveq2,
 * transmitq2; queue 4 is the control queue.  Everything polls.
 */
#include "frame.h"
#include "io.h"
#include "lib.h"
#include "mq.h"
#include "tsc.h"
#include "uart.h"
#include "virtq.h"
#include "vpci.h"

#define MQ_PAIRS 2
#define MQ_FLOWS 8
#define MQ_QSIZE 256
#define MQ_BUF 2048
#define MQ_HDR 12 /* struct virtio_net_hdr with VERSION_1 */
#define MQ_ETHERTYPE_IP 0x0800
#define MQ_HELLO_TYPE 0x88b6 /* the receiver's hello: teaches the switch its MAC */
#define MQ_FRAME_LEN (14 + 20 + 8 + 8) /* Ethernet, IPv4, UDP, flow and sequence */
#define MQ_BURST 16
#define MQ_PACE_US 500 /* between bursts: the receiver polls two rings in ring 3 */

#define F_MQ 22
#define F_CTRL_VQ 17
#define CTRL_MQ 4
#define CTRL_MQ_VQ_PAIRS_SET 0
#define CFG_MAX_PAIRS 8 /* config offset of max_virtqueue_pairs (after mac and status) */

static const char *const tag = "virtio-net mq";

struct mq_dev {
	struct vpci pci;
	struct virtq rx[MQ_PAIRS], tx[MQ_PAIRS], ctrl;
	uint8_t mac[6];
	uint8_t ack; /* what the device answered VQ_PAIRS_SET */
};

void mq_opts_init(struct mq_opts *o)
{
	*o = (struct mq_opts){ .role = NULL, .count = 100 };
}

int mq_parse_opt(struct mq_opts *o, const char *key, const char *val)
{
	if (!strcmp(key, "role")) {
		if (strcmp(val, "send") && strcmp(val, "recv"))
			return -EINVAL;
		o->role = !strcmp(val, "send") ? "send" : "recv";
		return 0;
	}
	if (!strcmp(key, "peer")) {
		o->has_peer = true;
		return frame_parse_mac(val, o->peer);
	}
	if (!strcmp(key, "count"))
		return parse_u64_range(val, 1, 100000, &o->count);
	return -ENOENT;
}

static int mq_queue(struct mq_dev *d, struct virtq *q, uint16_t qidx, bool rx)
{
	uint16_t max = vpci_queue_max(&d->pci, qidx);
	struct vpci_queue_cfg c;

	if (!max || virtq_init(q, qidx, (uint16_t)MIN(max, MQ_QSIZE), MQ_BUF, rx))
		return -ENOMEM;
	virtq_irq_suppress(q);
	c = (struct vpci_queue_cfg){ .size = q->size,
				     .desc = (uintptr_t)q->desc,
				     .avail = (uintptr_t)q->avail,
				     .used = (uintptr_t)q->used,
				     .vector = VIRTIO_MSI_NO_VECTOR };
	if (vpci_queue_setup(&d->pci, qidx, &c) || c.size != q->size)
		return -EIO;
	q->notify = c.notify; /* not written before DRIVER_OK (mq_open kicks after it) */
	return 0;
}

/* Negotiate VERSION_1 | MAC | MQ | CTRL_VQ (all required), then the five queues. */
static int mq_setup(struct mq_dev *d)
{
	uint64_t want = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_NET_F_MAC) |
			VIRTIO_BIT(F_MQ) | VIRTIO_BIT(F_CTRL_VQ);
	uint64_t offered;
	uint16_t pairs = 0;
	int rc = 0;

	if (vpci_open(&d->pci, VIRTIO_PCI_DEVICE_NET) || vpci_reset(&d->pci))
		return -ENODEV;
	vpci_add_status(&d->pci, VIRTIO_STATUS_ACKNOWLEDGE);
	vpci_add_status(&d->pci, VIRTIO_STATUS_DRIVER);
	offered = vpci_get_features(&d->pci);
	if ((offered & want) != want) {
		con_log("%s: the device lacks MQ or CTRL_VQ (features 0x%lx)\n", tag, offered);
		return -ENODEV;
	}
	vpci_set_features(&d->pci, want);
	vpci_add_status(&d->pci, VIRTIO_STATUS_FEATURES_OK);
	if (!(vpci_get_status(&d->pci) & VIRTIO_STATUS_FEATURES_OK))
		return -EIO;
	vpci_read_device_cfg(&d->pci, CFG_MAX_PAIRS, &pairs, 2);
	vpci_read_device_cfg(&d->pci, 0, d->mac, 6);
	if (pairs < MQ_PAIRS) {
		con_log("%s: the device has %u queue pairs, %u needed\n", tag, pairs, MQ_PAIRS);
		return -ENODEV;
	}
	for (uint16_t p = 0; p < MQ_PAIRS && !rc; p++) {
		rc = mq_queue(d, &d->rx[p], (uint16_t)(2 * p), true);
		if (!rc)
			rc = mq_queue(d, &d->tx[p], (uint16_t)(2 * p + 1), false);
	}
	/* The control queue sits after every pair the device has, not after the ones used. */
	return rc ? rc : mq_queue(d, &d->ctrl, (uint16_t)(2 * pairs), false);
}

/* VQ_PAIRS_SET: a two-descriptor chain, the command readable, the ack writable. */
static int mq_set_pairs(struct mq_dev *d, uint64_t deadline)
{
	struct virtq *q = &d->ctrl;
	uint8_t *cmd = virtq_buf(q, 0), *ack = virtq_buf(q, 1);
	uint16_t id, n = MQ_PAIRS;
	uint32_t len;

	cmd[0] = CTRL_MQ;
	cmd[1] = CTRL_MQ_VQ_PAIRS_SET;
	memcpy(cmd + 2, &n, 2);
	*ack = 0xee;
	q->desc[0].flags = VIRTQ_DESC_F_NEXT;
	q->desc[0].next = 1;
	q->desc[1].flags = VIRTQ_DESC_F_WRITE;
	q->desc[1].len = 1;
	virtq_post(q, 0, 4);
	virtq_publish(q);
	mmio_write16(q->notify, q->qidx); /* Linux kicks the control queue always */
	while (virtq_pop_used(q, &id, &len) != 1)
		if (tsc_passed(deadline))
			return -ETIMEDOUT;
	d->ack = *ack;
	return *ack == 0 ? 0 : -EIO;
}

static int mq_open(struct mq_dev *d, uint64_t deadline)
{
	int rc = mq_setup(d);
	uint16_t id;

	if (rc) {
		vpci_add_status(&d->pci, VIRTIO_STATUS_FAILED);
		return rc;
	}
	for (int p = 0; p < MQ_PAIRS; p++) {
		while (virtq_get_free(&d->rx[p], &id))
			virtq_post(&d->rx[p], id, MQ_BUF);
		for (uint16_t i = 0; i < d->tx[p].size; i++)
			memset(virtq_buf(&d->tx[p], i), 0, MQ_HDR);
	}
	vpci_add_status(&d->pci, VIRTIO_STATUS_DRIVER_OK);
	for (int p = 0; p < MQ_PAIRS; p++) {
		virtq_publish(&d->rx[p]);
		mmio_write16(d->rx[p].notify, d->rx[p].qidx);
	}
	return mq_set_pairs(d, deadline);
}

/* ---- frames: IPv4/UDP, flow f from port 1000 + f, payload flow and sequence ---- */

static void mq_frame(const struct mq_dev *d, const uint8_t *peer, uint8_t *f, uint32_t flow,
		     uint32_t seq)
{
	static const uint8_t ip[20] = { 0x45, 0, 0,  36, 0, 0, 0,  0, 64, 17,
					0,    0, 10, 0,	 0, 1, 10, 0, 0,  2 };

	memcpy(f, peer, 6);
	memcpy(f + 6, d->mac, 6);
	f[12] = MQ_ETHERTYPE_IP >> 8;
	f[13] = MQ_ETHERTYPE_IP & 0xff;
	memcpy(f + 14, ip, sizeof(ip));
	f[34] = (uint8_t)((1000 + flow) >> 8);
	f[35] = (uint8_t)(1000 + flow);
	f[36] = 2000 >> 8;
	f[37] = 2000 & 0xff;
	f[38] = 0;
	f[39] = 16; /* UDP length; checksum 0: none (IPv4) */
	f[40] = f[41] = 0;
	memcpy(f + 42, &flow, 4);
	memcpy(f + 46, &seq, 4);
}

static void mq_reclaim(struct virtq *q)
{
	uint16_t id;
	uint32_t len;

	while (virtq_pop_used(q, &id, &len) == 1)
		virtq_put_free(q, id);
}

/* Wait for the receiver's hello on either queue (it also teaches the switch our peer). */
static bool mq_wait_hello(struct mq_dev *d, uint64_t deadline)
{
	uint16_t id;
	uint32_t len;

	while (!tsc_passed(deadline)) {
		for (int p = 0; p < MQ_PAIRS; p++) {
			while (virtq_pop_used(&d->rx[p], &id, &len) == 1) {
				const uint8_t *b = virtq_buf(&d->rx[p], id) + MQ_HDR;
				bool hello = len >= MQ_HDR + 14 && b[12] == (MQ_HELLO_TYPE >> 8) &&
					     b[13] == (MQ_HELLO_TYPE & 0xff);

				virtq_post(&d->rx[p], id, MQ_BUF);
				virtq_publish(&d->rx[p]);
				if (hello)
					return true;
			}
		}
	}
	return false;
}

static int mq_send(struct mq_dev *d, const struct mq_opts *o, uint64_t deadline)
{
	uint64_t sent = 0, total = o->count * MQ_FLOWS, txq[MQ_PAIRS] = { 0 };
	uint16_t id;

	if (!mq_wait_hello(d, deadline)) {
		con_printf(RESULT_PREFIX "mode=mq role=send ack=%u error=no-hello\n", d->ack);
		return EXIT_FAIL;
	}
	while (sent < total && !tsc_passed(deadline)) {
		for (int b = 0; b < MQ_BURST && sent < total; b++, sent++) {
			uint32_t flow = (uint32_t)(sent % MQ_FLOWS),
				 seq = (uint32_t)(sent / MQ_FLOWS);
			struct virtq *q = &d->tx[flow % MQ_PAIRS];

			mq_reclaim(q);
			while (!virtq_get_free(q, &id))
				mq_reclaim(q);
			mq_frame(d, o->peer, virtq_buf(q, id) + MQ_HDR, flow, seq);
			virtq_post(q, id, MQ_HDR + MQ_FRAME_LEN);
			txq[flow % MQ_PAIRS]++;
		}
		for (int p = 0; p < MQ_PAIRS; p++)
			virtq_publish(&d->tx[p]);
		tsc_delay_us(MQ_PACE_US);
	}
	con_printf(RESULT_PREFIX "mode=mq role=send ack=%u pairs=%u sent=%lu txq0=%lu txq1=%lu\n",
		   d->ack, MQ_PAIRS, sent, txq[0], txq[1]);
	return sent == total ? EXIT_OK : EXIT_FAIL;
}

/* The receiver's counts. */
struct mq_rx {
	uint64_t got, q[MQ_PAIRS], out_of_order, foreign;
	uint32_t next[MQ_FLOWS];
};

static void mq_take(struct mq_rx *r, int p, const uint8_t *f, uint32_t len)
{
	uint32_t flow, seq;

	if (len < MQ_FRAME_LEN || f[12] != (MQ_ETHERTYPE_IP >> 8) || f[23] != 17) {
		r->foreign++;
		return;
	}
	memcpy(&flow, f + 42, 4);
	memcpy(&seq, f + 46, 4);
	if (flow >= MQ_FLOWS) {
		r->foreign++;
		return;
	}
	r->out_of_order += seq != r->next[flow];
	r->next[flow] = seq + 1;
	r->got++;
	r->q[p]++;
}

static int mq_recv(struct mq_dev *d, const struct mq_opts *o, uint64_t deadline)
{
	struct mq_rx r = { 0 };
	uint64_t total = o->count * MQ_FLOWS, hello_at = 0;
	uint8_t *h;
	uint16_t id;
	uint32_t len;

	while (r.got < total && !tsc_passed(deadline)) {
		/* Say hello (broadcast) every 100 ms until the first frame comes. */
		if (!r.got && (!hello_at || tsc_passed(hello_at))) {
			mq_reclaim(&d->tx[0]);
			if (virtq_get_free(&d->tx[0], &id)) {
				h = virtq_buf(&d->tx[0], id) + MQ_HDR;
				memset(h, 0xff, 6);
				memcpy(h + 6, d->mac, 6);
				h[12] = MQ_HELLO_TYPE >> 8;
				h[13] = MQ_HELLO_TYPE & 0xff;
				memset(h + 14, 0, 46);
				virtq_post(&d->tx[0], id, MQ_HDR + 60);
				virtq_publish(&d->tx[0]);
			}
			hello_at = tsc_deadline_us(100000);
		}
		for (int p = 0; p < MQ_PAIRS; p++) {
			while (virtq_pop_used(&d->rx[p], &id, &len) == 1) {
				if (len > MQ_HDR)
					mq_take(&r, p, virtq_buf(&d->rx[p], id) + MQ_HDR,
						len - MQ_HDR);
				virtq_post(&d->rx[p], id, MQ_BUF);
			}
			virtq_publish(&d->rx[p]);
		}
	}
	con_printf(RESULT_PREFIX "mode=mq role=recv ack=%u pairs=%u received=%lu rxq0=%lu rxq1=%lu "
				 "out_of_order=%lu foreign=%lu\n",
		   d->ack, MQ_PAIRS, r.got, r.q[0], r.q[1], r.out_of_order, r.foreign);
	return r.got == total && !r.out_of_order && r.q[0] && r.q[1] ? EXIT_OK : EXIT_FAIL;
}

int mq_run(const struct mq_opts *o, uint64_t timeout_ms)
{
	uint64_t deadline = tsc_deadline_us((timeout_ms ? timeout_ms : 30000) * 1000);
	struct mq_dev d = { 0 };
	int rc;

	if (!o->role || (!strcmp(o->role, "send") && !o->has_peer)) {
		con_log("mode=mq: role=send peer=MAC or role=recv\n");
		return EXIT_USAGE;
	}
	rc = mq_open(&d, deadline);
	if (rc) {
		con_printf(RESULT_PREFIX "mode=mq role=%s ack=%u error=%d\n", o->role, d.ack, rc);
		return EXIT_FAIL;
	}
	con_log("%s: 2 queue pairs in use (ack %u)\n", tag, d.ack);
	rc = !strcmp(o->role, "send") ? mq_send(&d, o, deadline) : mq_recv(&d, o, deadline);
	vpci_reset(&d.pci);
	return rc;
}
