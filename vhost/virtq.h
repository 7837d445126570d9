/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtq.h - the virtqueue engine: split rings (virtio 1.2, section 2.7,
 * virtq.c) and packed rings (section 2.8, virtq_packed.c) as seen from the
 * device side, behind one interface: a device pops chains, pushes them back
 * with the token vq_pop_chain() gave it, and never looks at the layout.
 *
 * Devices (vhost/net*.c) pop descriptor chains as iovec arrays, return them
 * through a shadow used index that is published once per burst, and ask the
 * engine whether to interrupt the driver.  Guest-physical buffer addresses
 * are translated through vhost/mem.h; ring addresses arrive already
 * translated (vhost/virtio_dev.h).  The same engine serves Ferry's own guests
 * (virtio-pci in vmm/) and vhost-user peers: a queue is fully described by its
 * three ring pointers, its memory map and the two indices a vhost-user
 * GET_VRING_BASE / SET_VRING_BASE pair carries.
 *
 * Threads: one thread at a time serves a queue (the switch assigns queues to
 * PMD threads); only vq_set_call_fd() and the broken flag may be touched from
 * elsewhere, and both are atomics.  Rings are accessed with GCC/clang
 * __atomic builtins, the C11 memory model applied to plain guest memory.
 */
#ifndef FERRY_VHOST_VIRTQ_H
#define FERRY_VHOST_VIRTQ_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <linux/virtio_ring.h>

#include "util/compiler.h"

struct vhost_mem;
struct virtio_queue_cfg;

/* The rings are little-endian (virtio 1.x); Ferry runs on little-endian hosts only. */
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "vhost/virtq: big-endian hosts need byte swapping on every ring access"
#endif

/*
 * Split virtqueue layout, virtio 1.2 section 2.7: struct vring_desc,
 * vring_avail, vring_used(_elem), the VRING_*_F_* flags and
 * vring_need_event() (2.7.7.2) come from the kernel's UAPI header.
 */
#define VIRTQ_MAX_SIZE 32768

/*
 * Per-burst work budget, after Linux vhost's weights (vhost_exceeds_weight(),
 * the fix for CVE-2019-3900): everything a driver makes the device do is
 * charged to the burst, and a burst that has spent its budget ends, so one
 * queue cannot keep its PMD thread from the others.  Bytes are charged for
 * frames moved; chains and descriptors for every chain popped, taken or
 * refused, and every descriptor walked, including those of a dropped chain;
 * a few refused chains end a burst by themselves, since a driver that keeps
 * posting unusable buffers deserves no more of the thread's time.  Budgets
 * start again with each burst (vq_burst_begin()), so a well-behaved queue
 * never notices them: a full burst of 64 frames of 9 KiB in 1.5 KiB buffers
 * spends 384 chains.
 */
#define VQ_WEIGHT_BYTES (512u * 1024u)
#define VQ_BUDGET_CHAINS 1024u
#define VQ_BUDGET_DESCS 16384u
#define VQ_BUDGET_REFUSED 16u

/* Everything vq_init() needs; the queue copies what it keeps. */
struct vq_params {
	const struct virtio_queue_cfg *cfg; /* ring pointers, size, indices, fds */
	const struct vhost_mem *mem; /* buffer address translation */
	bool event_idx; /* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool indirect; /* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	uint32_t max_chain_len; /* bytes one chain may describe (device's cap) */
	const char *name; /* for logs, e.g. "vnet0 q1" */
	/* Called once, on the thread that finds the ring broken (any thread). Optional. */
	void (*on_broken)(void *arg);
	void *on_broken_arg;
};

/* A popped descriptor chain, as iovecs into guest memory. */
struct vq_chain {
	struct iovec *iov; /* caller's storage: readable segments, then writable ones */
	uint16_t iov_cap; /* entries iov can hold */
	/*
	 * Token to hand back to vq_push_used() / vq_unpop(): the head index of a
	 * split chain; a packed chain's buffer id with its descriptor count
	 * above bit 16, which is how far its used entry moves the ring on.
	 */
	uint32_t head;
	uint16_t n_out; /* device-readable segments: iov[0, n_out) */
	uint16_t n_in; /* device-writable segments: iov[n_out, n_out + n_in) */
	uint32_t out_len; /* bytes in the readable segments */
	uint32_t in_len; /* bytes in the writable segments */
};

struct vq {
	/* Hot state, owned by the one thread serving the queue. */
	union {
		struct vring_desc *desc; /* split: descriptor table (host virtual) */
		struct vring_packed_desc *pdesc; /* packed: the descriptor ring */
	};
	union {
		struct vring_avail *avail; /* split: driver ring */
		struct vring_packed_desc_event *driver_event; /* packed: when to interrupt */
	};
	union {
		struct vring_used *used; /* split: device ring */
		struct vring_packed_desc_event *device_event; /* packed: when to kick us */
	};
	bool packed; /* VIRTIO_F_RING_PACKED: the pdesc/driver_event/device_event side */
	/* Packed: the wrap counters going with last_avail_idx and used_idx (virtio 1.2, 2.8.1). */
	bool avail_wrap, used_wrap;
	uint16_t pushed; /* packed: used entries written since the last vq_flush_used() */
	uint16_t first_used; /* packed: the slot of the first of them, its flags not yet stored */
	uint16_t first_used_flags; /* packed: the flags vq_flush_used() stores there */
	const struct vhost_mem *mem; /* translates descriptor addresses */
	uint16_t size; /* entries: a power of two for a split ring, any for a packed one */
	uint16_t mask; /* split: size - 1 */
	uint16_t last_avail_idx; /* next avail entry to take */
	uint16_t avail_idx; /* avail->idx when last read */
	uint16_t used_idx; /* shadow: next used entry to fill */
	uint16_t published_used; /* used->idx as last stored */
	uint16_t signalled_used; /* used index at the last interrupt decision */
	bool signalled_used_valid; /* false until the first decision: always interrupt then */
	bool event_idx; /* VIRTIO_RING_F_EVENT_IDX */
	bool indirect; /* VIRTIO_RING_F_INDIRECT_DESC */
	uint32_t max_chain_len; /* per-chain byte cap */
	bool peer_fds; /* call_fd is a peer's: write it through fdguard */
	/* Work charged to the current burst (VQ_BUDGET_*), reset by vq_burst_begin(). */
	uint32_t burst_chains, burst_descs, burst_refused;
	int kick_fd; /* eventfd the driver kicks, -1 if none (owned by the transport) */
	/* Shared with the control plane. */
	_Atomic int call_fd; /* eventfd to interrupt the driver, -1: none (transport's) */
	_Atomic bool broken; /* set once the driver broke the ring protocol */
	_Atomic uint64_t nr_broken; /* times this queue was marked broken */
	void (*on_broken)(void *arg); /* tell the device (and its transport) */
	void *on_broken_arg;
	_Atomic uint64_t nr_calls; /* interrupts sent */
	char name[32]; /* for logs */
};

/*
 * Take over a queue's rings.  -EINVAL when the configuration is unusable (size
 * not a power of two, a NULL or misaligned ring); the queue is then untouched.
 */
int vq_init(struct vq *vq, const struct vq_params *p);
void vq_set_call_fd(struct vq *vq, int call_fd);

/* Chains the driver has made available and the device has not taken (0 when broken). */
uint16_t vq_avail_count(struct vq *vq);

/* A new burst: the work budget (VQ_BUDGET_*) starts again. */
static inline void vq_burst_begin(struct vq *vq)
{
	vq->burst_chains = vq->burst_descs = vq->burst_refused = 0;
}

/* The device refused the chain it just popped (for a reason of its own): charge it. */
static inline void vq_chain_refused(struct vq *vq)
{
	vq->burst_refused++;
}

/*
 * Take the next chain.  Returns 0; -EAGAIN if none is available or the
 * burst has spent its budget (the caller ends the burst either way); -EIO if
 * the queue is (now) broken.  Two errors consume a chain the device cannot use
 * though the driver broke no rule: -ENOBUFS (more segments than c->iov_cap)
 * and -EMSGSIZE (more bytes than the queue's cap); the caller must return
 * c->head with vq_push_used(vq, c->head, 0) and count an error.
 */
int vq_pop_chain(struct vq *vq, struct vq_chain *c);
/*
 * Prefetch the first buffer of each of the next @n available chains (at most
 * what vq_avail_count() returned), @write when the device will write them.
 * Hints only: nothing read here is trusted or used again, so a hostile
 * driver gains nothing.  It pays because each chain's first touch is a
 * cache miss on a line the driver's CPU just wrote: issued together, the
 * misses overlap instead of stalling one copy after another.
 */
void vq_prefetch_avail(const struct vq *vq, uint16_t n, bool write);
/*
 * Give back the chain of token @head, the last one taken and not pushed: it
 * will be popped again.  Chains go back in the reverse order of their pops.
 */
void vq_unpop(struct vq *vq, uint32_t head);

/* Move a packed ring position on by @n (1 .. size), flipping its wrap counter past the end. */
static inline void vq_packed_advance(const struct vq *vq, uint16_t *idx, bool *wrap, uint32_t n)
{
	uint32_t next = (uint32_t)*idx + n;

	if (next >= vq->size) {
		next -= vq->size;
		*wrap = !*wrap;
	}
	*idx = (uint16_t)next;
}

/*
 * A packed ring's used entry (virtio 1.2, 2.8.9): buffer id and length at
 * the used position, then both flag bits equal to the used wrap counter,
 * stored with release so the id, the length and every byte written into the
 * buffers are visible first (pairs with the driver's virtio_rmb() in Linux's
 * virtqueue_get_buf_ctx_packed).  The first entry since the last flush keeps
 * its old flags until vq_flush_used() (virtq_packed.c).  The position then
 * moves on by the chain's descriptor count, from its token (vq_chain.head).
 * Inline for the reason vq_push_used() is.
 */
static inline void vq_packed_push_used(struct vq *vq, uint32_t head, uint32_t len)
{
	struct vring_packed_desc *d = &vq->pdesc[vq->used_idx];
	uint16_t flags = vq->used_wrap ? (1u << VRING_PACKED_DESC_F_AVAIL) |
						 (1u << VRING_PACKED_DESC_F_USED) :
					 0;
	uint32_t n = head >> 16;

	d->id = (uint16_t)head;
	d->len = len;
	if (len)
		flags |= VRING_DESC_F_WRITE;
	if (vq->pushed == 0) {
		vq->first_used = vq->used_idx;
		vq->first_used_flags = flags;
	} else {
		__atomic_store_n(&d->flags, flags, __ATOMIC_RELEASE);
	}
	/* A token vq_pop_chain() gave out has 1 .. size descriptors; anything else moves by one. */
	vq_packed_advance(vq, &vq->used_idx, &vq->used_wrap, n && n <= vq->size ? n : 1);
	vq->pushed++;
}

/*
 * Queue a used element; the driver sees it at the next vq_flush_used().
 * Inline: a call here made the compiler spill the caller's running length
 * and reload it wider than it was stored, a store-forwarding stall that
 * waited for every queued store into guest memory (a third of the PMD's
 * time in the 64 B loop benchmark).
 */
static inline void vq_push_used(struct vq *vq, uint32_t head, uint32_t len)
{
	struct vring_used_elem *e;

	if (vq->packed) {
		vq_packed_push_used(vq, head, len);
		return;
	}
	e = &vq->used->ring[vq->used_idx & vq->mask];

	/* Plain stores: the driver reads an element only once used->idx covers it. */
	e->id = head;
	e->len = len;
	vq->used_idx++;
}
/* Publish queued used elements with one index store and interrupt the driver if it asked. */
void vq_flush_used(struct vq *vq);

/* Stop kicks while draining (virtio 1.2, 2.7.10); a hint to the driver. */
void vq_disable_notify(struct vq *vq);
/* Ask for kicks again; true when work slipped in meanwhile (then do not sleep). */
bool vq_enable_notify(struct vq *vq);

/* Mark the queue broken and log @fmt once (rate-limited). Always returns -EIO. */
int vq_mark_broken(struct vq *vq, const char *fmt, ...) FERRY_PRINTF(2, 3);

static inline bool vq_is_broken(const struct vq *vq)
{
	return atomic_load_explicit(&vq->broken, memory_order_relaxed);
}

/*
 * Where to resume: the GET_VRING_BASE value of a stopped queue, a packed
 * one's avail wrap counter in bit 15 (virtio_dev.h).
 */
static inline uint16_t vq_last_avail_idx(const struct vq *vq)
{
	if (vq->packed)
		return (uint16_t)(vq->last_avail_idx |
				  (vq->avail_wrap ? 1u << VRING_PACKED_EVENT_F_WRAP_CTR : 0));
	return vq->last_avail_idx;
}

#endif
