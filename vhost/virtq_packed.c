/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtq_packed.c - packed virtqueues (virtio 1.2, section 2.8) for the
 * engine of vhost/virtq.h: one ring of descriptors the driver makes
 * available and the device marks used in place, two wrap counters instead
 * of indices, and event suppression structures instead of flags and event
 * indices.
 *
 * Security model: as the split walker's (virtq.c).  Each descriptor is
 * copied once and only the copy is used; the head's flags are loaded with
 * acquire before anything else of the chain is read (the driver writes them
 * last, virtio 1.2, 2.8.21); a chain longer than the ring, a buffer id the
 * ring cannot have handed out, indirect tables that are nested, combined
 * with NEXT, misaligned or longer than the ring break the queue; buffers and
 * byte and segment caps go through the same checks as split chains
 * (virtq_priv.h).  Nothing here indexes memory with a value the driver
 * wrote: positions come from our own counters, modulo the ring size.
 *
 * Used entries: the device writes a used descriptor (buffer id, length, both
 * flag bits equal to its wrap counter) at its used position and moves that
 * position on by the chain's descriptor count, which travels in the chain's
 * token (vq_chain.head), so chains may be returned in any order.  A burst's
 * entries get their flags as they are written, except the first, whose flags
 * vq_flush_used() stores last: a driver reads used entries strictly in ring
 * order, so it sees none of the burst until then, and never half of a frame
 * merged over several buffers (as DPDK's vhost writes the head's flags last).
 */
#include <errno.h>
#include <string.h>

#include "vhost/mem.h"
#include "vhost/virtio_dev.h"
#include "vhost/virtq.h"
#include "vhost/virtq_priv.h"

#define PK_AVAIL (1u << VRING_PACKED_DESC_F_AVAIL)
#define PK_USED (1u << VRING_PACKED_DESC_F_USED)
#define PK_WRAP (1u << VRING_PACKED_EVENT_F_WRAP_CTR)
/* Descriptors vq_packed_avail_count() looks at: a burst takes no more anyway. */
#define PK_SCAN_MAX 64

/* virtio 1.2, 2.8.1: available when AVAIL matches the wrap counter and USED does not. */
static bool pk_avail(uint16_t flags, bool wrap)
{
	return !!(flags & PK_AVAIL) == wrap && !!(flags & PK_USED) != wrap;
}

static uint16_t pk_head_flags(const struct vq *vq, uint16_t idx)
{
	/*
	 * Acquire: pairs with the driver's write barrier before it stores the
	 * head's flags (virtio_wmb() in Linux's virtqueue_add_packed), so the
	 * rest of the chain is visible to the loads that follow.
	 */
	return __atomic_load_n(&vq->pdesc[idx].flags, __ATOMIC_ACQUIRE);
}

int vq_packed_init(struct vq *vq, const struct virtio_queue_cfg *cfg)
{
	/* vq_init() checked that both positions lie in the ring. */
	uint16_t avail = cfg->last_avail_idx & (PK_WRAP - 1);
	uint16_t used = cfg->used_idx & (PK_WRAP - 1);

	vq->mask = 0;
	vq->last_avail_idx = avail;
	vq->avail_wrap = cfg->last_avail_idx & PK_WRAP;
	vq->used_idx = used;
	vq->used_wrap = cfg->used_idx & PK_WRAP;
	vq->pushed = 0;
	/* Start with kicks enabled, as the split ring does. */
	__atomic_store_n(&vq->device_event->flags, VRING_PACKED_EVENT_FLAG_ENABLE,
			 __ATOMIC_RELAXED);
	return 0;
}

uint16_t vq_packed_avail_count(struct vq *vq)
{
	uint16_t idx = vq->last_avail_idx, n = 0;
	bool wrap = vq->avail_wrap;

	/* Descriptors, not chains: an overestimate, which callers only use to size a burst. */
	while (n < PK_SCAN_MAX && n < vq->size && pk_avail(pk_head_flags(vq, idx), wrap)) {
		n++;
		vq_packed_advance(vq, &idx, &wrap, 1);
	}
	return n;
}

/* The indirect table @pd points at, every entry a buffer of the chain (virtio 1.2, 2.8.7). */
static int pk_walk_indirect(struct vq *vq, struct vq_chain *c, struct desc_walk *w,
			    const struct vring_packed_desc *pd)
{
	struct vring_desc d = { .addr = pd->addr, .len = pd->len, .flags = pd->flags };
	struct vring_packed_desc e;
	int ret = vq_walk_enter_indirect(vq, w, &d);

	for (uint32_t i = 0; !ret && i < w->max; i++) {
		vq->burst_descs++;
		if (vq_walk_read(vq, w, i, &e))
			return vq_mark_broken(vq, "indirect table unreadable");
		if (e.flags & VRING_DESC_F_INDIRECT)
			return vq_mark_broken(vq, "nested indirect descriptor");
		/* NEXT means nothing in a packed indirect table: the entries are the chain. */
		d = (struct vring_desc){ .addr = e.addr,
					 .len = e.len,
					 .flags = e.flags & VRING_DESC_F_WRITE };
		ret = vq_chain_add_desc(vq, c, w, &d);
	}
	return ret;
}

/*
 * Walk the chain from the ring position @*idx on, moving @*idx/@*wrap past
 * it; its buffer id (the last descriptor's, virtio 1.2, 2.8.6) and length go
 * to @id and @ndesc.  0, a drop (-EMSGSIZE/-ENOBUFS) or -EIO.
 */
static int pk_walk(struct vq *vq, struct vq_chain *c, uint16_t *idx, bool *wrap, uint16_t *id,
		   uint32_t *ndesc)
{
	struct desc_walk w = { 0 };
	struct vring_packed_desc pd;
	struct vring_desc d;
	int ret;

	for (*ndesc = 1;; (*ndesc)++) {
		/* virtio 1.2, 2.8.6: no chain is longer than the ring. */
		if (*ndesc > vq->size)
			return vq_mark_broken(vq, "chain longer than the ring (%u)", vq->size);
		vq->burst_descs++;
		memcpy(&pd, &vq->pdesc[*idx], sizeof(pd));
		/* No re-read of the driver's memory in place of the copy (a double fetch). */
		atomic_signal_fence(memory_order_seq_cst);
		*id = pd.id;
		vq_packed_advance(vq, idx, wrap, 1);
		if (pd.flags & VRING_DESC_F_INDIRECT) {
			ret = pk_walk_indirect(vq, c, &w, &pd);
			return ret ? ret : w.drop;
		}
		d = (struct vring_desc){ .addr = pd.addr,
					 .len = pd.len,
					 .flags = pd.flags & VRING_DESC_F_WRITE };
		ret = vq_chain_add_desc(vq, c, &w, &d);
		if (ret)
			return ret;
		if (!(pd.flags & VRING_DESC_F_NEXT))
			return w.drop;
	}
}

int vq_packed_pop(struct vq *vq, struct vq_chain *c)
{
	uint16_t idx = vq->last_avail_idx, id = 0;
	bool wrap = vq->avail_wrap;
	uint32_t ndesc = 0;
	int ret;

	if (vq_is_broken(vq))
		return -EIO;
	if (!pk_avail(pk_head_flags(vq, idx), wrap))
		return -EAGAIN;
	c->n_out = c->n_in = 0;
	c->out_len = c->in_len = 0;
	vq->burst_chains++;
	ret = pk_walk(vq, c, &idx, &wrap, &id, &ndesc);
	if (ret == -EIO)
		return ret;
	/* Ids index the driver's own state: one the ring could not have handed out is a bug. */
	if (id >= vq->size)
		return vq_mark_broken(vq, "buffer id %u out of range %u", id, vq->size);
	vq->last_avail_idx = idx;
	vq->avail_wrap = wrap;
	c->head = id | ndesc << 16;
	/* A chain the engine cannot take (too long, too many segments) is refused too. */
	if (ret)
		vq->burst_refused++;
	return ret;
}

void vq_packed_prefetch(const struct vq *vq, uint16_t n, bool write)
{
	uint16_t idx = vq->last_avail_idx;
	struct vring_packed_desc d;

	/* Hints only, like the split ring's: nothing read here is trusted or kept. */
	for (uint16_t i = 0; i < n && i < PK_SCAN_MAX; i++) {
		memcpy(&d, &vq->pdesc[idx], sizeof(d));
		vq_prefetch_buf(vq, d.addr, d.flags, write);
		idx = (uint16_t)(idx + 1 == vq->size ? 0 : idx + 1);
	}
}

void vq_packed_unpop(struct vq *vq, uint32_t head)
{
	uint32_t n = head >> 16;

	if (n == 0 || n > vq->size)
		return; /* not a token vq_packed_pop() gave out */
	if (vq->last_avail_idx >= n) {
		vq->last_avail_idx = (uint16_t)(vq->last_avail_idx - n);
		return;
	}
	vq->last_avail_idx = (uint16_t)(vq->last_avail_idx + vq->size - n);
	vq->avail_wrap = !vq->avail_wrap;
}

/* Does the driver want an interrupt for what was just pushed? (virtio 1.2, 2.8.10) */
static bool pk_need_interrupt(struct vq *vq)
{
	uint16_t old = vq->signalled_used, new = vq->used_idx, flags, off_wrap, off;
	bool valid = vq->signalled_used_valid;

	/*
	 * Full fence: the used flags we stored must be visible before we read
	 * the driver's suppression state; pairs with the full barrier in
	 * Linux's virtqueue_enable_cb_prepare_packed / virtqueue_poll_packed.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	/*
	 * The decision point moves on whatever the driver asks now, as DPDK's
	 * vhost_vring_call_packed does: an old one left behind while interrupts
	 * were disabled for more than a lap could fall inside a later batch and
	 * make the driver's event look passed, and the queue would stall.
	 */
	vq->signalled_used = new;
	vq->signalled_used_valid = true;
	flags = __atomic_load_n(&vq->driver_event->flags, __ATOMIC_RELAXED);
	if (flags == VRING_PACKED_EVENT_FLAG_DISABLE)
		return false;
	if (flags != VRING_PACKED_EVENT_FLAG_DESC || !vq->event_idx || !valid)
		return true;
	off_wrap = __atomic_load_n(&vq->driver_event->off_wrap, __ATOMIC_RELAXED);
	/* Unwrap both onto one line, as vring_need_event() needs. */
	if (new <= old)
		old = (uint16_t)(old - vq->size);
	off = off_wrap & (PK_WRAP - 1);
	if (!!(off_wrap & PK_WRAP) != vq->used_wrap)
		off = (uint16_t)(off - vq->size);
	return vring_need_event(off, new, old);
}

void vq_packed_flush(struct vq *vq)
{
	if (!vq->pushed)
		return;
	/* The burst's first used entry last: the driver sees the whole burst at once (virtq.h). */
	__atomic_store_n(&vq->pdesc[vq->first_used].flags, vq->first_used_flags, __ATOMIC_RELEASE);
	vq->pushed = 0;
	if (pk_need_interrupt(vq))
		vq_interrupt(vq);
}

void vq_packed_disable_notify(struct vq *vq)
{
	__atomic_store_n(&vq->device_event->flags, VRING_PACKED_EVENT_FLAG_DISABLE,
			 __ATOMIC_RELAXED);
}

bool vq_packed_enable_notify(struct vq *vq)
{
	/* Plain ENABLE even with EVENT_IDX: a PMD that sleeps wants the very next kick. */
	__atomic_store_n(&vq->device_event->flags, VRING_PACKED_EVENT_FLAG_ENABLE,
			 __ATOMIC_RELAXED);
	/* Full fence, as the split ring's: either we see the driver's chain or it sees our request. */
	atomic_thread_fence(memory_order_seq_cst);
	return pk_avail(pk_head_flags(vq, vq->last_avail_idx), vq->avail_wrap);
}
