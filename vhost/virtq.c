/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtq.c - split-virtqueue engine of vhost/virtq.h (virtio 1.2, section 2.7),
 * the checks both layouts share (virtq_priv.h), and the entry points that
 * hand a packed queue to virtq_packed.c.
 *
 * Security model: the driver side of every ring (descriptor table, avail
 * ring, indirect tables, the buffers themselves) lives in memory a guest or
 * a vhost-user frontend controls and may rewrite at any moment, from another
 * CPU, while we read it.  Nothing read from there is trusted: each
 * descriptor is copied once into private memory and only the copy is
 * validated and used; every index is bounds-checked before it is used; every
 * buffer is translated with its length through vhost/mem.h.  A driver that
 * breaks the protocol gets its queue marked broken; the process, the device's
 * other queues and other guests carry on.
 *
 * The checks follow Linux's vhost_get_vq_desc(): head and next indices below
 * the ring (or indirect table) size; more descriptors than that size means a
 * loop; indirect tables only when negotiated, a multiple of 16 bytes, never
 * nested and never with NEXT; no device-readable descriptor after a
 * device-writable one; the avail index never ahead by more than the ring
 * size.  A broken queue stops being served and the device's on_broken hook
 * lets the transport raise DEVICE_NEEDS_RESET (virtio 1.2, 2.1.2).
 *
 * A chain the device cannot take whole (more bytes than max_chain_len, more
 * segments than the caller's iovecs) is legal: its frame is dropped and the
 * queue goes on.  But the rest of such a chain is still walked and checked,
 * so a loop or a buffer outside guest memory cannot hide behind the drop.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/fdguard.h"
#include "util/log.h"
#include "vhost/mem.h"
#include "vhost/virtio_dev.h"
#include "vhost/virtq.h"
#include "vhost/virtq_priv.h"

static uint16_t *vq_used_event(struct vq *vq)
{
	return &vq->avail->ring[vq->size];
}

static uint16_t *vq_avail_event(struct vq *vq)
{
	return (uint16_t *)&vq->used->ring[vq->size];
}

/* The split layout's part of vq_init(). */
static int vq_split_init(struct vq *vq, const struct virtio_queue_cfg *cfg)
{
	vq->mask = cfg->size - 1;
	vq->last_avail_idx = cfg->last_avail_idx;
	vq->avail_idx = cfg->last_avail_idx;
	vq->used_idx = cfg->used_idx;
	vq->published_used = cfg->used_idx;
	/* Start with kicks enabled: a stale NO_NOTIFY from an earlier owner would stall the driver. */
	__atomic_store_n(&vq->used->flags, 0, __ATOMIC_RELAXED);
	if (vq->event_idx)
		__atomic_store_n(vq_avail_event(vq), vq->last_avail_idx, __ATOMIC_RELAXED);
	return 0;
}

int vq_init(struct vq *vq, const struct vq_params *p)
{
	const struct virtio_queue_cfg *cfg = p->cfg;
	struct virtio_ring_layout l = virtio_ring_layout(cfg->size, cfg->packed);

	if (!virtio_queue_size_ok(cfg->size, cfg->packed) || !cfg->desc || !cfg->avail ||
	    !cfg->used)
		return -EINVAL;
	if ((uintptr_t)cfg->desc % l.desc_align || (uintptr_t)cfg->avail % l.driver_align ||
	    (uintptr_t)cfg->used % l.device_align)
		return -EINVAL;
	/* A packed ring's positions (below its wrap bit) must lie in the ring. */
	if (cfg->packed && ((cfg->last_avail_idx & 0x7fffu) >= cfg->size ||
			    (cfg->used_idx & 0x7fffu) >= cfg->size))
		return -EINVAL;
	vq->desc = cfg->desc;
	vq->avail = cfg->avail;
	vq->used = cfg->used;
	vq->packed = cfg->packed;
	vq->mem = p->mem;
	vq->size = cfg->size;
	vq->signalled_used_valid = false;
	vq->event_idx = p->event_idx;
	vq->indirect = p->indirect;
	vq->max_chain_len = p->max_chain_len;
	vq->peer_fds = cfg->peer_fds;
	vq_burst_begin(vq);
	vq->kick_fd = cfg->kick_fd;
	vq->on_broken = p->on_broken;
	vq->on_broken_arg = p->on_broken_arg;
	atomic_store_explicit(&vq->call_fd, cfg->call_fd, memory_order_relaxed);
	atomic_store_explicit(&vq->broken, false, memory_order_relaxed);
	snprintf(vq->name, sizeof(vq->name), "%s", p->name ? p->name : "vq");
	return vq->packed ? vq_packed_init(vq, cfg) : vq_split_init(vq, cfg);
}

void vq_set_call_fd(struct vq *vq, int call_fd)
{
	atomic_store_explicit(&vq->call_fd, call_fd, memory_order_relaxed);
}

int vq_mark_broken(struct vq *vq, const char *fmt, ...)
{
	char why[160];
	va_list ap;

	if (atomic_exchange_explicit(&vq->broken, true, memory_order_relaxed))
		return -EIO;
	atomic_fetch_add_explicit(&vq->nr_broken, 1, memory_order_relaxed);
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	LOG_RL(LOG_LVL_ERR, "vhost", "%s: queue broken, no longer served: %s", vq->name, why);
	if (vq->on_broken)
		vq->on_broken(vq->on_broken_arg);
	return -EIO;
}

uint16_t vq_avail_count(struct vq *vq)
{
	uint16_t idx, n;

	if (vq_is_broken(vq))
		return 0;
	if (vq->packed)
		return vq_packed_avail_count(vq);
	/*
	 * Acquire: pairs with the driver's write barrier between filling the
	 * ring entries / descriptors and storing avail->idx (virtio 1.2, 2.7.13:
	 * virtio_wmb() in Linux's virtqueue_add_split), so everything below the
	 * index we read is visible to the loads that follow.
	 */
	idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
	n = (uint16_t)(idx - vq->last_avail_idx);
	if (unlikely(n > vq->size)) {
		vq_mark_broken(vq, "guest moved avail index from %u to %u", vq->last_avail_idx,
			       idx);
		return 0;
	}
	vq->avail_idx = idx;
	return n;
}

int vq_walk_read(struct vq *vq, const struct desc_walk *w, uint32_t i, void *out)
{
	/* Both layouts' descriptors are 16 bytes (virtio 1.2, 2.7.5 and 2.8.13). */
	const size_t dsz = sizeof(struct vring_desc);

	if (!w->table)
		return vhost_mem_read(vq->mem, w->table_gpa + (uint64_t)i * dsz, out, dsz);
	memcpy(out, w->table + (size_t)i * dsz, dsz);
	/*
	 * Compiler barrier: forbids re-reading guest memory in place of the
	 * private copy, so the guest cannot change a field between our check
	 * and our use of it (a double fetch).
	 */
	atomic_signal_fence(memory_order_seq_cst);
	return 0;
}

int vq_walk_enter_indirect(struct vq *vq, struct desc_walk *w, const struct vring_desc *d)
{
	uint64_t len = d->len;

	if (!vq->indirect)
		return vq_mark_broken(vq, "indirect descriptor without VIRTIO_F_INDIRECT_DESC");
	if (w->in_indirect)
		return vq_mark_broken(vq, "nested indirect descriptor");
	if (d->flags & VRING_DESC_F_NEXT)
		return vq_mark_broken(vq, "indirect descriptor with NEXT");
	if (d->len == 0 || d->len % sizeof(struct vring_desc))
		return vq_mark_broken(vq, "indirect table length %u", d->len);
	/* virtio 1.2, 2.7.5.3.1: no chain longer than the queue size, indirect or not. */
	if (d->len / sizeof(struct vring_desc) > vq->size)
		return vq_mark_broken(vq, "indirect table of %zu descriptors, queue size %u",
				      d->len / sizeof(struct vring_desc), vq->size);
	w->table = vhost_mem_gpa_to_hva(vq->mem, d->addr, &len);
	if (!w->table)
		return vq_mark_broken(vq, "indirect table at 0x%llx not in guest memory",
				      (unsigned long long)d->addr);
	if (len < d->len)
		w->table = NULL; /* spans regions: read entry by entry */
	w->table_gpa = d->addr;
	w->max = d->len / sizeof(struct vring_desc);
	w->found = 0;
	w->in_indirect = true;
	return 0;
}

int vq_chain_add_desc(struct vq *vq, struct vq_chain *c, struct desc_walk *w,
		      const struct vring_desc *d)
{
	bool writable = d->flags & VRING_DESC_F_WRITE;
	uint16_t used = c->n_out + c->n_in;
	int n = 0;

	if (!writable && w->writable_seen)
		return vq_mark_broken(vq, "readable descriptor after a writable one");
	w->writable_seen |= writable;
	w->total += d->len;
	/* virtio 1.2, 2.7.5.2: a chain may not describe more than 2^32 bytes. */
	if (w->total > UINT32_MAX)
		return vq_mark_broken(vq, "chain longer than 4 GiB");
	if (!w->drop && w->total > vq->max_chain_len)
		w->drop = -EMSGSIZE;
	if (!w->drop) {
		n = vhost_mem_map_iov(vq->mem, d->addr, d->len, &c->iov[used], c->iov_cap - used);
		if (n == -ENOBUFS)
			w->drop = -ENOBUFS;
	}
	if (w->drop)
		n = vhost_mem_range_mapped(vq->mem, d->addr, d->len) ? 0 : -EFAULT;
	if (n < 0)
		return vq_mark_broken(vq, "buffer 0x%llx+%u not in guest memory",
				      (unsigned long long)d->addr, d->len);
	if (w->drop)
		return 0;
	if (writable) {
		c->n_in += n;
		c->in_len += d->len;
	} else {
		c->n_out += n;
		c->out_len += d->len;
	}
	return 0;
}

/* Walk the chain starting at descriptor @head into @c. */
static int chain_walk(struct vq *vq, struct vq_chain *c, uint16_t head)
{
	struct desc_walk w = { .table = (const uint8_t *)vq->desc, .max = vq->size };
	struct vring_desc d;
	uint32_t i = head;
	int ret;

	for (;;) {
		if (i >= w.max)
			return vq_mark_broken(vq, "descriptor index %u out of range %u", i, w.max);
		if (++w.found > w.max)
			return vq_mark_broken(vq, "descriptor loop from head %u", head);
		/* Charged as walked: a chain that breaks the queue has still cost this much. */
		vq->burst_descs++;
		/* virtio 1.2, 2.7.5.2: the queue size is the longest a chain can be. */
		if (++w.descs > vq->size)
			return vq_mark_broken(vq, "chain from head %u longer than the queue (%u)",
					      head, vq->size);
		if (vq_walk_read(vq, &w, i, &d))
			return vq_mark_broken(vq, "indirect table unreadable");
		if (d.flags & VRING_DESC_F_INDIRECT) {
			ret = vq_walk_enter_indirect(vq, &w, &d);
			if (ret)
				return ret;
			i = 0;
			continue;
		}
		ret = vq_chain_add_desc(vq, c, &w, &d);
		if (ret)
			return ret;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return w.drop;
		i = d.next;
	}
}

/* Chains vq_prefetch_avail() looks ahead at; a burst is at most this long anyway. */
#define VQ_PREFETCH_MAX 64

/*
 * Two passes, because each level's address comes from the one before:
 * the heads (one or two lines of the avail ring) give descriptors, whose
 * lines are fetched together; then the descriptors give the buffers.
 */
void vq_prefetch_avail(const struct vq *vq, uint16_t n, bool write)
{
	uint16_t heads[VQ_PREFETCH_MAX];
	struct vring_desc d;

	if (vq->packed) {
		vq_packed_prefetch(vq, n, write);
		return;
	}
	n = n < VQ_PREFETCH_MAX ? n : VQ_PREFETCH_MAX;
	for (uint16_t i = 0; i < n; i++) {
		heads[i] = __atomic_load_n(&vq->avail->ring[(vq->last_avail_idx + i) & vq->mask],
					   __ATOMIC_RELAXED) &
			   vq->mask;
		__builtin_prefetch(&vq->desc[heads[i]], 0);
	}
	for (uint16_t i = 0; i < n; i++) {
		memcpy(&d, &vq->desc[heads[i]], sizeof(d));
		vq_prefetch_buf(vq, d.addr, d.flags, write);
	}
}

void vq_prefetch_buf(const struct vq *vq, uint64_t addr, uint16_t flags, bool write)
{
	uint64_t len = 1;
	void *p = flags & VRING_DESC_F_INDIRECT ? NULL : vhost_mem_gpa_to_hva(vq->mem, addr, &len);

	if (p && write)
		__builtin_prefetch(p, 1);
	else if (p)
		__builtin_prefetch(p, 0);
}

bool vq_budget_spent(const struct vq *vq)
{
	return vq->burst_chains >= VQ_BUDGET_CHAINS || vq->burst_descs >= VQ_BUDGET_DESCS ||
	       vq->burst_refused >= VQ_BUDGET_REFUSED;
}

int vq_pop_chain(struct vq *vq, struct vq_chain *c)
{
	uint16_t head;
	int ret;

	if (vq_budget_spent(vq))
		return -EAGAIN;
	if (vq->packed)
		return vq_packed_pop(vq, c);
	if (vq->last_avail_idx == vq->avail_idx && vq_avail_count(vq) == 0)
		return vq_is_broken(vq) ? -EIO : -EAGAIN;
	if (vq_is_broken(vq))
		return -EIO;
	/* Ordered after the acquire load of avail->idx in vq_avail_count(). */
	head = __atomic_load_n(&vq->avail->ring[vq->last_avail_idx & vq->mask], __ATOMIC_RELAXED);
	vq->last_avail_idx++;
	c->head = head;
	c->n_out = c->n_in = 0;
	c->out_len = c->in_len = 0;
	vq->burst_chains++;
	if (head >= vq->size)
		return vq_mark_broken(vq, "head index %u out of range %u", head, vq->size);
	ret = chain_walk(vq, c, head);
	/* A chain the engine cannot take (too long, too many segments) is refused too. */
	if (ret == -EMSGSIZE || ret == -ENOBUFS)
		vq->burst_refused++;
	return ret;
}

void vq_unpop(struct vq *vq, uint32_t head)
{
	if (vq->packed)
		vq_packed_unpop(vq, head);
	else
		vq->last_avail_idx--;
}

/* Does the driver want an interrupt for the elements just published? (virtio 1.2, 2.7.7.2) */
static bool vq_need_interrupt(struct vq *vq)
{
	uint16_t old = vq->signalled_used, new = vq->used_idx;
	bool valid = vq->signalled_used_valid;

	/*
	 * Full fence: our used->idx store must be visible before we read the
	 * driver's suppression state.  Pairs with the driver's full barrier
	 * between writing used_event (or clearing NO_INTERRUPT) and re-reading
	 * used->idx (virtio_mb() in Linux's virtqueue_enable_cb_delayed /
	 * virtqueue_poll): either it sees our entries or we see its request.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	if (!vq->event_idx)
		return !(__atomic_load_n(&vq->avail->flags, __ATOMIC_RELAXED) &
			 VRING_AVAIL_F_NO_INTERRUPT);
	vq->signalled_used = new;
	vq->signalled_used_valid = true;
	if (!valid)
		return true;
	return vring_need_event(__atomic_load_n(vq_used_event(vq), __ATOMIC_RELAXED), new, old);
}

void vq_interrupt(struct vq *vq)
{
	int fd = atomic_load_explicit(&vq->call_fd, memory_order_relaxed);
	uint64_t one = 1;

	if (fd < 0)
		return;
	atomic_fetch_add_explicit(&vq->nr_calls, 1, memory_order_relaxed);
	if (!vq->peer_fds) {
		/* Ferry's own non-blocking irqfd: a full counter means the driver is already due. */
		if (write(fd, &one, sizeof(one)) < 0)
			return;
		return;
	}
	if (fdguard_write(fd, &one, sizeof(one)) == -ETIMEDOUT) {
		/* The peer made its call fd blocking and full: never write it again. */
		atomic_store_explicit(&vq->call_fd, -1, memory_order_relaxed);
		vq_mark_broken(vq,
			       "call eventfd blocked for %d ms (the peer cleared O_NONBLOCK "
			       "and filled its counter)",
			       FDGUARD_TIMEOUT_MS);
	}
}

void vq_flush_used(struct vq *vq)
{
	if (vq->packed) {
		vq_packed_flush(vq);
		return;
	}
	if (vq->used_idx == vq->published_used)
		return;
	/*
	 * Release: the used elements and every byte we wrote into the buffers
	 * become visible before the index that hands them over.  Pairs with the
	 * driver's read barrier after loading used->idx (virtio_rmb() in
	 * Linux's virtqueue_get_buf_ctx_split).
	 */
	__atomic_store_n(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
	vq->published_used = vq->used_idx;
	if (vq_need_interrupt(vq))
		vq_interrupt(vq);
}

void vq_disable_notify(struct vq *vq)
{
	if (vq->packed) {
		vq_packed_disable_notify(vq);
		return;
	}
	/* With EVENT_IDX a stale avail_event already stops kicks after one. */
	if (!vq->event_idx)
		__atomic_store_n(&vq->used->flags, VRING_USED_F_NO_NOTIFY, __ATOMIC_RELAXED);
}

bool vq_enable_notify(struct vq *vq)
{
	if (vq_is_broken(vq))
		return false;
	if (vq->packed)
		return vq_packed_enable_notify(vq);
	if (vq->event_idx)
		__atomic_store_n(vq_avail_event(vq), vq->last_avail_idx, __ATOMIC_RELAXED);
	else
		__atomic_store_n(&vq->used->flags, 0, __ATOMIC_RELAXED);
	/*
	 * Full fence: the re-enabled notification must be visible before we
	 * re-read avail->idx.  Pairs with the driver's full barrier between
	 * storing avail->idx and reading used->flags / avail_event (virtio_mb()
	 * in Linux's virtqueue_kick_prepare_split): either we see its new entry
	 * here, or it sees our request and kicks.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	return vq_avail_count(vq) > 0;
}
