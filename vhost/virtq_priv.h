/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtq_priv.h - what the split (virtq.c) and packed (virtq_packed.c) ring
 * walkers share: the per-chain walk state, the descriptor checks that do not
 * depend on the layout (buffers, indirect tables, byte and segment caps),
 * the work budget and the interrupt.  Not for use outside vhost/virtq*.c.
 */
#ifndef FERRY_VHOST_VIRTQ_PRIV_H
#define FERRY_VHOST_VIRTQ_PRIV_H

#include "vhost/virtq.h"

/* Where descriptors are read from while walking one chain. */
struct desc_walk {
	const uint8_t *table; /* host pointer to the table; NULL: read it through mem */
	uint64_t table_gpa; /* guest address of an indirect table split across regions */
	uint32_t max; /* entries in the table */
	uint32_t found; /* descriptors seen in this table (loop detection) */
	uint32_t descs; /* descriptors walked in the whole chain */
	bool in_indirect; /* walking an indirect table */
	bool writable_seen; /* a device-writable descriptor came before */
	uint64_t total; /* bytes the chain describes so far */
	int drop; /* -EMSGSIZE / -ENOBUFS once the frame cannot be taken: check only */
};

/* Copy the 16 bytes of entry @i of the walked table into @out; only the copy is used. */
int vq_walk_read(struct vq *vq, const struct desc_walk *w, uint32_t i, void *out);
/*
 * Switch the walk to the indirect table @d points at (virtio 1.2, 2.7.5.3
 * and 2.8.7): @d in the split layout, which a packed descriptor's address,
 * length and flags map onto unchanged.  0, or -EIO with the queue broken.
 */
int vq_walk_enter_indirect(struct vq *vq, struct desc_walk *w, const struct vring_desc *d);
/* Append the buffer of @d to the chain, or once the frame is dropped only check it. */
int vq_chain_add_desc(struct vq *vq, struct vq_chain *c, struct desc_walk *w,
		      const struct vring_desc *d);
/* Prefetch hint for the buffer a descriptor (@addr, @flags) names; indirect ones are skipped. */
void vq_prefetch_buf(const struct vq *vq, uint64_t addr, uint16_t flags, bool write);
/* Has the current burst spent its budget (VQ_BUDGET_*)? */
bool vq_budget_spent(const struct vq *vq);
/* Write the call eventfd. */
void vq_interrupt(struct vq *vq);

/* virtq_packed.c: the packed layout behind the public functions of virtq.h. */
int vq_packed_init(struct vq *vq, const struct virtio_queue_cfg *cfg);
uint16_t vq_packed_avail_count(struct vq *vq);
int vq_packed_pop(struct vq *vq, struct vq_chain *c);
void vq_packed_prefetch(const struct vq *vq, uint16_t n, bool write);
void vq_packed_unpop(struct vq *vq, uint32_t head);
void vq_packed_flush(struct vq *vq);
void vq_packed_disable_notify(struct vq *vq);
bool vq_packed_enable_notify(struct vq *vq);

#endif
