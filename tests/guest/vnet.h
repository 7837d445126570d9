/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vnet.h - the guest's virtio-net driver (virtio 1.2, 5.1) on the modern PCI
 * transport (vpci.h) with one receive and one transmit split queue
 * (virtq.h).  It negotiates VERSION_1 | MAC | EVENT_IDX (and runs without
 * EVENT_IDX), keeps the receive queue full of 2 KiB buffers, and hands
 * frames to its caller without the 12-byte virtio-net header.  net.c's
 * traffic modes are its only user.
 *
 * Receive: vnet_rx_burst() returns up to @max frames still in their buffers;
 * vnet_rx_release() gives them back to the device (published at once).
 * Transmit: vnet_tx_get() a buffer, write the frame, vnet_tx_put() it, and
 * vnet_tx_flush() the batch; used transmit buffers are reclaimed on the way.
 * Everything runs in ring 3 and polls, unless vnet_open() was given an
 * interrupt vector, in which case vnet_rx_wait() sleeps on it (irq.h).
 */
#ifndef FERRY_GUEST_VNET_H
#define FERRY_GUEST_VNET_H

#include "virtq.h"
#include "vpci.h"

#define VNET_BUF_SIZE 2048 /* header + the largest frame (1514), rounded up */
#define VNET_MAX_QUEUE 256 /* entries per queue, at most (or what the device offers) */
#define VNET_FRAME_MIN 14 /* an Ethernet header */
#define VNET_FRAME_MAX (VNET_BUF_SIZE - 12)

struct vnet {
	struct vpci pci; /* the transport */
	struct virtq rx; /* receiveq1 */
	struct virtq tx; /* transmitq1 */
	uint8_t mac[6]; /* from the device configuration */
	uint64_t features; /* negotiated */
	bool irq; /* receive used-buffer interrupts on MSI-X */
	uint64_t rx_errors; /* used receive buffers with impossible lengths */
	uint64_t tx_waits; /* times the transmit ring was full and had to be polled */
};

/* One received frame, still in its buffer until vnet_rx_release(). */
struct vnet_frame {
	uint8_t *data; /* the Ethernet frame (after the virtio-net header) */
	uint32_t len; /* its bytes */
	uint16_t id; /* the buffer */
};

/*
 * Finds, initialises and starts the first virtio-net function on bus 0
 * (3.1.1), with the rings' interrupts suppressed.  With @irq_vector != 0,
 * receive-queue interrupts go to that vector through MSI-X table entry 0 on
 * this CPU (call irq_init() first).  Returns 0 or -errno, having printed why.
 */
int vnet_open(struct vnet *n, uint8_t irq_vector);

/* Resets the device (stops DMA into guest memory) and turns MSI-X off. */
void vnet_close(struct vnet *n);

/* Up to @max received frames; bad used entries are counted and skipped. */
unsigned int vnet_rx_burst(struct vnet *n, struct vnet_frame *f, unsigned int max);
/* Reposts the buffers of @f[0..@cnt) and publishes them. */
void vnet_rx_release(struct vnet *n, const struct vnet_frame *f, unsigned int cnt);

/*
 * With interrupts: sleeps until the receive queue has used buffers or the
 * TSC passes @deadline.  Without: returns at once.
 */
void vnet_rx_wait(struct vnet *n, uint64_t deadline);

/*
 * A free transmit buffer for a frame of up to VNET_FRAME_MAX bytes (its
 * header is already zero), reclaiming used ones if needed; NULL if the
 * device holds them all.
 */
uint8_t *vnet_tx_get(struct vnet *n, uint16_t *id);
/* Queues buffer @id with a @len-byte frame; the device sees it at vnet_tx_flush(). */
void vnet_tx_put(struct vnet *n, uint16_t id, uint32_t len);
/* Publishes queued frames (kicking only if the device asked to be told). */
void vnet_tx_flush(struct vnet *n);
/* Takes back transmit buffers the device has used; returns how many. */
unsigned int vnet_tx_reclaim(struct vnet *n);
/* Frames the device still holds. */
unsigned int vnet_tx_inflight(const struct vnet *n);

/* Used entries the device got wrong, on both queues (length, index, ring). */
uint64_t vnet_errors(const struct vnet *n);

#endif
