/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtq.c - one split virtqueue, driver side (see virtq.h).
 *
 * Ordering (x86, so only the compiler and store->load need care): entries
 * and descriptor lengths are written before avail->idx (release store, pairs
 * with the device's acquire read of avail->idx); avail->idx is written
 * before the device's kick request is read (full fence, pairs with the
 * device's fence between writing avail_event/flags and re-reading
 * avail->idx); used->idx is read before the entries it covers (acquire, pairs
 * with the device's release store of used->idx).
 */
#include "lib.h"
#include "mm.h"
#include "virtq.h"

/* Far enough ahead of the used index that the device never reaches it (2.7.10). */
#define USED_EVENT_NEVER 0x8000

static void *virtq_alloc_zeroed(size_t bytes)
{
	size_t pages = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
	void *p = mm_alloc_pages(pages);

	if (p)
		memset(p, 0, pages * PAGE_SIZE);
	return p;
}

static uint16_t *virtq_used_event(struct virtq *q)
{
	return &q->avail->ring[q->size];
}

static uint16_t *virtq_avail_event(struct virtq *q)
{
	return (uint16_t *)&q->used->ring[q->size];
}

int virtq_init(struct virtq *q, uint16_t qidx, uint16_t size, uint32_t buf_len, bool device_writes)
{
	uint8_t *book;

	*q = (struct virtq){ .size = size, .mask = (uint16_t)(size - 1), .qidx = qidx };
	q->buf_len = buf_len;
	q->desc = virtq_alloc_zeroed(sizeof(struct virtq_desc) * size);
	q->avail = virtq_alloc_zeroed(sizeof(struct virtq_avail) + 2u * size + 2);
	q->used = virtq_alloc_zeroed(sizeof(struct virtq_used) +
				     sizeof(struct virtq_used_elem) * size + 2);
	book = virtq_alloc_zeroed(3u * size);
	q->bufs = mm_alloc_pages(((size_t)size * buf_len + PAGE_SIZE - 1) / PAGE_SIZE);
	if (!q->desc || !q->avail || !q->used || !book || !q->bufs)
		return -ENOMEM;
	q->free_ids = (uint16_t *)book;
	q->held = book + 2u * size;
	for (uint16_t i = 0; i < size; i++) {
		q->desc[i].addr =
			(uintptr_t)virtq_buf(q, i); /* identity-mapped: virtual = physical */
		q->desc[i].flags = device_writes ? VIRTQ_DESC_F_WRITE : 0;
		/* Pushed in reverse, so buffers are taken in address order. */
		q->free_ids[i] = (uint16_t)(size - 1 - i);
	}
	q->nfree = size;
	return 0;
}

/* Whether the device asked to be kicked for entries published from @old to @new. */
static bool virtq_kick_wanted(struct virtq *q, uint16_t old, uint16_t new_idx)
{
	if (q->event_idx)
		return vring_need_event(__atomic_load_n(virtq_avail_event(q), __ATOMIC_RELAXED),
					new_idx, old);
	return !(__atomic_load_n(&q->used->flags, __ATOMIC_RELAXED) & VIRTQ_USED_F_NO_NOTIFY);
}

bool virtq_publish(struct virtq *q)
{
	uint16_t old = q->published_idx;

	if (!q->irq_on) /* keep the "never" point ahead of the device (polling) */
		__atomic_store_n(virtq_used_event(q), (uint16_t)(q->last_used + USED_EVENT_NEVER),
				 __ATOMIC_RELAXED);
	if (old == q->avail_idx)
		return false;
	__atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
	q->published_idx = q->avail_idx;
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* avail->idx before avail_event/flags */
	if (!q->notify || !virtq_kick_wanted(q, old, q->avail_idx))
		return false;
	mmio_write16(q->notify, q->qidx); /* 4.1.5.2: the queue index, 16 bits */
	q->kicks++;
	return true;
}

bool virtq_has_used(const struct virtq *q)
{
	return __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) != q->last_used;
}

int virtq_pop_used(struct virtq *q, uint16_t *id, uint32_t *len)
{
	uint16_t used_idx = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
	struct virtq_used_elem e;

	if (used_idx == q->last_used || q->broken)
		return 0;
	if ((uint16_t)(used_idx - q->last_used) > q->size) {
		/* More entries than buffers: the device lost track. */
		q->broken = true;
		q->bad++;
		return -EIO;
	}
	e = q->used->ring[q->last_used & q->mask];
	q->last_used++;
	if (e.id >= q->size || !q->held[e.id]) {
		q->bad++;
		return -EIO;
	}
	q->held[e.id] = 0;
	*id = (uint16_t)e.id;
	*len = e.len;
	return 1;
}

void virtq_irq_suppress(struct virtq *q)
{
	q->irq_on = false;
	q->avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	__atomic_store_n(virtq_used_event(q), (uint16_t)(q->last_used + USED_EVENT_NEVER),
			 __ATOMIC_RELAXED);
}

bool virtq_irq_arm(struct virtq *q)
{
	q->irq_on = true;
	q->avail->flags = 0;
	__atomic_store_n(virtq_used_event(q), q->last_used, __ATOMIC_RELAXED);
	/* The request before the re-check of used->idx: pairs with the device's fence. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return virtq_has_used(q);
}
