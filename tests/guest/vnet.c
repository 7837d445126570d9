/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vnet.c - the guest's virtio-net driver (see vnet.h): device initialisation
 * in the order of virtio 1.2, 3.1.1, then the receive and transmit paths on
 * virtq.c.  Set-up talks to the device through MMIO (one exit per access);
 * the data path touches only the rings and, when the device asks for it,
 * the notify address.
 */
#include "apic.h"
#include "irq.h"
#include "lib.h"
#include "uart.h"
#include "vnet.h"

#define VNET_HDR_LEN ((uint32_t)sizeof(struct virtio_net_hdr))
#define VNET_WANTED                                                      \
	(VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_NET_F_MAC) | \
	 VIRTIO_BIT(VIRTIO_F_EVENT_IDX))

static const char *const vnet_tag = "virtio-net";

static uint16_t vnet_queue_size(uint16_t offered)
{
	uint16_t p = 1;

	while (p * 2 <= MIN(offered, VNET_MAX_QUEUE))
		p = (uint16_t)(p * 2);
	return p;
}

/* Steps 4-6 of 3.1.1: negotiate, then check FEATURES_OK stuck. */
static int vnet_negotiate(struct vnet *n)
{
	uint64_t offered = vpci_get_features(&n->pci);

	if (!(offered & VIRTIO_BIT(VIRTIO_F_VERSION_1))) {
		con_log("%s: the device offers no VERSION_1 (features 0x%lx)\n", vnet_tag, offered);
		return -ENODEV;
	}
	n->features = offered & VNET_WANTED;
	vpci_set_features(&n->pci, n->features);
	vpci_add_status(&n->pci, VIRTIO_STATUS_FEATURES_OK);
	if (!(vpci_get_status(&n->pci) & VIRTIO_STATUS_FEATURES_OK)) {
		con_log("%s: the device refused features 0x%lx\n", vnet_tag, n->features);
		return -EIO;
	}
	return 0;
}

/*
 * Allocates queue @qidx's rings and buffers and programs them (4.1.5.1.3).
 * Its notify address goes to @notify, not to the queue: the driver must not
 * kick before DRIVER_OK (3.1.1), so vnet_open() hands it over then.
 */
static int vnet_setup_queue(struct vnet *n, struct virtq *q, uint16_t qidx, uint16_t vector,
			    uintptr_t *notify)
{
	uint16_t max = vpci_queue_max(&n->pci, qidx);
	struct vpci_queue_cfg c;
	int rc;

	if (!max) {
		con_log("%s: queue %u does not exist\n", vnet_tag, qidx);
		return -ENOENT;
	}
	if (virtq_init(q, qidx, vnet_queue_size(max), VNET_BUF_SIZE, qidx == VNET_RX_QUEUE)) {
		con_log("%s: no memory for queue %u\n", vnet_tag, qidx);
		return -ENOMEM;
	}
	q->event_idx = n->features & VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
	virtq_irq_suppress(q);
	c = (struct vpci_queue_cfg){ .size = q->size,
				     .desc = (uintptr_t)q->desc,
				     .avail = (uintptr_t)q->avail,
				     .used = (uintptr_t)q->used,
				     .vector = vector };
	rc = vpci_queue_setup(&n->pci, qidx, &c);
	if (!rc && c.size != q->size)
		rc = -EIO;
	if (rc) {
		con_log("%s: queue %u set-up failed (%d)\n", vnet_tag, qidx, rc);
		return rc;
	}
	*notify = c.notify;
	return 0;
}

/* The MAC from the device configuration, or a local one if it offers none. */
static void vnet_read_mac(struct vnet *n)
{
	if ((n->features & VIRTIO_BIT(VIRTIO_NET_F_MAC)) &&
	    !vpci_read_device_cfg(&n->pci, VNET_CFG_MAC, n->mac, sizeof(n->mac)))
		return;
	/* Locally administered, unicast, unique per PCI slot on this bus. */
	n->mac[0] = 0x02;
	n->mac[1] = n->mac[2] = n->mac[3] = n->mac[4] = 0;
	n->mac[5] = (uint8_t)(n->pci.pci.dev << 3 | n->pci.pci.fn);
	con_log("%s: no MAC from the device: using a local one\n", vnet_tag);
}

/* Fills the receive ring and zeroes the transmit headers (before DRIVER_OK). */
static void vnet_fill(struct vnet *n)
{
	uint16_t id;

	while (virtq_get_free(&n->rx, &id))
		virtq_post(&n->rx, id, VNET_BUF_SIZE);
	virtq_publish(&n->rx); /* no notify address yet: publishes without a kick */
	for (uint16_t i = 0; i < n->tx.size; i++)
		memset(virtq_buf(&n->tx, i), 0, VNET_HDR_LEN);
}

/* 3.1.1 steps 7-8: queues, then DRIVER_OK, then the first kick. */
static int vnet_start(struct vnet *n, uint8_t irq_vector)
{
	uint16_t rx_vec = irq_vector ? 0 : VIRTIO_MSI_NO_VECTOR;
	uintptr_t rx_notify, tx_notify;
	int rc;

	if (irq_vector) {
		rc = vpci_msix_enable(&n->pci, 0, apic_id_self(), irq_vector);
		if (rc) {
			con_log("%s: cannot use MSI-X (%d)\n", vnet_tag, rc);
			return rc;
		}
		mmio_write16(n->pci.common.addr + VPCI_MSIX_CONFIG, VIRTIO_MSI_NO_VECTOR);
		n->irq = true;
	}
	rc = vnet_setup_queue(n, &n->rx, VNET_RX_QUEUE, rx_vec, &rx_notify);
	if (!rc)
		rc = vnet_setup_queue(n, &n->tx, VNET_TX_QUEUE, VIRTIO_MSI_NO_VECTOR, &tx_notify);
	if (rc)
		return rc;
	vnet_fill(n);
	vpci_add_status(&n->pci, VIRTIO_STATUS_DRIVER_OK);
	if (vpci_get_status(&n->pci) & VIRTIO_STATUS_NEEDS_RESET) {
		con_log("%s: the device needs a reset right after DRIVER_OK\n", vnet_tag);
		return -EIO;
	}
	n->rx.notify = rx_notify;
	n->tx.notify = tx_notify;
	/* The device may have looked at the empty ring before DRIVER_OK: tell it. */
	mmio_write16(rx_notify, VNET_RX_QUEUE);
	n->rx.kicks++;
	return 0;
}

int vnet_open(struct vnet *n, uint8_t irq_vector)
{
	int rc;

	*n = (struct vnet){ 0 };
	rc = vpci_open(&n->pci, VIRTIO_PCI_DEVICE_NET);
	if (rc) {
		con_log("%s: %s\n", vnet_tag,
			rc == -ENODEV ? "no device 1af4:1041 on bus 0" : "bad capabilities");
		return rc;
	}
	rc = vpci_reset(&n->pci);
	if (rc) {
		con_log("%s: the device does not reset\n", vnet_tag);
		return rc;
	}
	vpci_add_status(&n->pci, VIRTIO_STATUS_ACKNOWLEDGE);
	vpci_add_status(&n->pci, VIRTIO_STATUS_DRIVER);
	rc = vnet_negotiate(n);
	if (!rc)
		rc = vnet_start(n, irq_vector);
	if (rc) {
		vpci_add_status(&n->pci, VIRTIO_STATUS_FAILED);
		if (n->irq)
			vpci_msix_disable(&n->pci);
		return rc;
	}
	vnet_read_mac(n);
	return 0;
}

void vnet_close(struct vnet *n)
{
	vpci_reset(&n->pci);
	if (n->irq)
		vpci_msix_disable(&n->pci);
}

/* ---- receive ---- */

unsigned int vnet_rx_burst(struct vnet *n, struct vnet_frame *f, unsigned int max)
{
	unsigned int got = 0, reposted = 0;
	uint32_t len;
	uint16_t id;
	int rc;

	while (got < max && (rc = virtq_pop_used(&n->rx, &id, &len)) != 0) {
		if (rc < 0)
			continue; /* counted in rx.bad */
		if (len < VNET_HDR_LEN + VNET_FRAME_MIN || len > VNET_BUF_SIZE) {
			n->rx_errors++;
			virtq_post(&n->rx, id, VNET_BUF_SIZE);
			reposted++;
			continue;
		}
		f[got].data = virtq_buf(&n->rx, id) + VNET_HDR_LEN;
		f[got].len = len - VNET_HDR_LEN;
		f[got].id = id;
		got++;
	}
	if (reposted)
		virtq_publish(&n->rx);
	return got;
}

void vnet_rx_release(struct vnet *n, const struct vnet_frame *f, unsigned int cnt)
{
	for (unsigned int i = 0; i < cnt; i++)
		virtq_post(&n->rx, f[i].id, VNET_BUF_SIZE);
	virtq_publish(&n->rx);
}

void vnet_rx_wait(struct vnet *n, uint64_t deadline)
{
	uint64_t seen;

	if (!n->irq)
		return;
	seen = irq_seen();
	if (!virtq_irq_arm(&n->rx))
		irq_wait(seen, deadline);
	virtq_irq_suppress(&n->rx);
}

/* ---- transmit ---- */

unsigned int vnet_tx_reclaim(struct vnet *n)
{
	unsigned int n_done = 0;
	uint32_t len;
	uint16_t id;
	int rc;

	while ((rc = virtq_pop_used(&n->tx, &id, &len)) != 0) {
		if (rc < 0)
			continue; /* counted in tx.bad */
		virtq_put_free(&n->tx, id);
		n_done++;
	}
	return n_done;
}

uint8_t *vnet_tx_get(struct vnet *n, uint16_t *id)
{
	if (!virtq_get_free(&n->tx, id)) {
		n->tx_waits++;
		if (!vnet_tx_reclaim(n) || !virtq_get_free(&n->tx, id))
			return NULL;
	}
	return virtq_buf(&n->tx, *id) + VNET_HDR_LEN;
}

void vnet_tx_put(struct vnet *n, uint16_t id, uint32_t len)
{
	virtq_post(&n->tx, id, VNET_HDR_LEN + len);
}

void vnet_tx_flush(struct vnet *n)
{
	virtq_publish(&n->tx);
}

unsigned int vnet_tx_inflight(const struct vnet *n)
{
	return (unsigned int)(n->tx.size - n->tx.nfree);
}

uint64_t vnet_errors(const struct vnet *n)
{
	return n->rx.bad + n->tx.bad + n->rx_errors;
}
