/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtq.h - the driver side of one split virtqueue (virtio 1.2, 2.7) with a
 * fixed buffer per descriptor: descriptor i always points at buffer i, so a
 * frame is one descriptor, and "posting" a buffer is writing its length and
 * its index into the available ring.  vnet.c runs the receive queue (device
 * writes, buffers reposted as soon as they are read) and the transmit queue
 * (driver writes, buffers reclaimed from the used ring) on it.
 *
 * Costs: everything here is plain memory in ring 3 except the kick, an MMIO
 * write that exits to the VMM (11-16 us on the build machine).  So entries
 * are published once per batch and a kick is sent only when the device asked
 * for one (VIRTQ_USED_F_NO_NOTIFY, or avail_event with EVENT_IDX, 2.7.10).
 *
 * The device is not trusted: used entries with an index out of range, for a
 * buffer it does not hold, or a used index that jumps by more than the ring
 * size are counted in @bad and skipped; after a jump the queue is @broken
 * and yields nothing more.
 */
#ifndef FERRY_GUEST_VIRTQ_H
#define FERRY_GUEST_VIRTQ_H

#include "guest.h"
#include "virtio.h"

struct virtq {
	uint16_t size; /* entries, a power of two */
	uint16_t mask; /* size - 1 */
	struct virtq_desc *desc; /* descriptor table (one page or more) */
	struct virtq_avail *avail; /* driver area */
	struct virtq_used *used; /* device area */
	uintptr_t notify; /* where the queue index is written to kick, 0 before vnet sets it */
	uint16_t qidx; /* the queue's number, the value a kick writes */
	bool event_idx; /* VIRTIO_F_EVENT_IDX was negotiated */
	bool irq_on; /* the driver asked for used-buffer interrupts (virtq_irq_arm) */
	bool broken; /* the device moved the used index impossibly: stop */
	uint16_t avail_idx; /* next available-ring slot (free-running) */
	uint16_t published_idx; /* avail->idx as last published */
	uint16_t last_used; /* next used entry to read (free-running) */
	uint16_t nfree; /* buffers the driver holds: entries of free_ids[] */
	uint16_t *free_ids; /* stack of buffer indices the driver holds */
	uint8_t *held; /* per buffer: 1 while the device holds it */
	uint8_t *bufs; /* buffer i at bufs + i * buf_len */
	uint32_t buf_len; /* bytes per buffer */
	uint64_t kicks; /* notifications sent */
	uint64_t bad; /* used entries rejected */
};

/*
 * Allocates and zeroes the rings for @size entries (a power of two), the
 * buffers (@buf_len each) and the bookkeeping, and points descriptor i at
 * buffer i, device-writable when @device_writes.  Every buffer starts with
 * the driver.  Returns 0 or -ENOMEM.
 */
int virtq_init(struct virtq *q, uint16_t qidx, uint16_t size, uint32_t buf_len, bool device_writes);

static inline uint8_t *virtq_buf(const struct virtq *q, uint16_t id)
{
	return q->bufs + (size_t)id * q->buf_len;
}

/* Takes a buffer the driver holds; false if the device holds all of them. */
static inline bool virtq_get_free(struct virtq *q, uint16_t *id)
{
	if (!q->nfree)
		return false;
	*id = q->free_ids[--q->nfree];
	return true;
}

/*
 * Hands buffer @id (taken with virtq_get_free() or virtq_pop_used()) to the
 * device with @len bytes, in the available ring; the device sees it after
 * virtq_publish().
 */
static inline void virtq_post(struct virtq *q, uint16_t id, uint32_t len)
{
	q->desc[id].len = len;
	q->avail->ring[q->avail_idx & q->mask] = id;
	q->avail_idx++;
	q->held[id] = 1;
}

/*
 * Publishes every posted entry and kicks the device if it asked to be told.
 * Returns true if it kicked.
 */
bool virtq_publish(struct virtq *q);

/*
 * The next used buffer: 1 and its index and length, 0 if none, -EIO for a
 * rejected entry (counted in @bad; call again for the next one).
 */
int virtq_pop_used(struct virtq *q, uint16_t *id, uint32_t *len);

/* Returns buffer @id to the driver's free stack (after virtq_pop_used()). */
static inline void virtq_put_free(struct virtq *q, uint16_t id)
{
	q->free_ids[q->nfree++] = id;
}

/* Whether used entries are waiting (cheap: one load). */
bool virtq_has_used(const struct virtq *q);

/*
 * Interrupt control for the used ring (2.7.7, 2.7.10): virtq_irq_suppress()
 * asks for none; virtq_irq_arm() asks for one at the next used entry and
 * returns true if entries arrived already (then the caller must not sleep).
 */
void virtq_irq_suppress(struct virtq *q);
bool virtq_irq_arm(struct virtq *q);

#endif
