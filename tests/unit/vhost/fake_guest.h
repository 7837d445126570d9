/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fake_guest.h - a fake guest for the vhost/ unit tests and the copy-through
 * benchmark: guest memory made of three regions (two adjacent in guest
 * physical space but not in host space, then a hole, then a third), each
 * fenced by PROT_NONE guard pages so a stray device access faults, plus a
 * tiny split-ring driver that builds rings the way a virtio driver would,
 * or any hostile way a test wants.
 */
#ifndef FERRY_TESTS_VHOST_FAKE_GUEST_H
#define FERRY_TESTS_VHOST_FAKE_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vhost/mem.h"
#include "vhost/virtio_dev.h"
#include "vhost/virtq.h"

struct rte_mempool;

#define FG_REGION_SIZE 0x100000ull
#define FG_R0_GPA 0x000000ull /* rings and most buffers */
#define FG_R1_GPA 0x100000ull /* adjacent in gpa, elsewhere in host memory */
#define FG_HOLE_GPA 0x200000ull /* nothing mapped here */
#define FG_R2_GPA 0x300000ull

struct fg_mem {
	uint8_t *base; /* the whole reservation, guards included */
	uint64_t span; /* its size */
	struct vhost_mem *map; /* the device's view */
	uint64_t next_gpa; /* bump allocator over [0, 2 MiB) */
};

int fg_mem_init(struct fg_mem *g);
void fg_mem_fini(struct fg_mem *g);
/* Allocate guest memory; aborts the test program when exhausted (test code only). */
uint64_t fg_alloc(struct fg_mem *g, uint64_t len, uint64_t align);
void *fg_ptr(struct fg_mem *g, uint64_t gpa);
/*
 * A fuzzer's guest write: @len - 3 bytes of @a at the guest address in its
 * first 3 bytes (taken modulo the first two regions), clipped to that
 * region: the two are adjacent in guest memory but not in ours.
 */
void fg_fuzz_write(struct fg_mem *g, const uint8_t *a, size_t len);
/*
 * A fuzzer's guest script: records of op (1 byte), len (1 byte) and len
 * bytes of argument (the last clipped to what is left), each handed to @fn.
 */
typedef void (*fg_record_fn)(void *ctx, uint8_t op, const uint8_t *arg, uint8_t len);
void fg_fuzz_records(const uint8_t *data, size_t size, fg_record_fn fn, void *ctx);

struct fg_buf {
	uint64_t gpa; /* buffer address */
	uint32_t len; /* its length */
	bool write; /* device-writable */
};

struct fg_vq {
	struct fg_mem *g; /* memory the rings live in */
	uint16_t size; /* ring size */
	struct vring_desc *desc; /* rings, host view */
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t avail_idx; /* driver's next avail slot */
	uint16_t last_used; /* driver's next used slot to read */
	uint16_t next_desc; /* next descriptor handed out (round robin) */
	int call_fd; /* eventfd the device interrupts us on */
	int kick_fd; /* eventfd we would kick */
};

int fg_vq_init(struct fg_vq *v, struct fg_mem *g, uint16_t size);
void fg_vq_fini(struct fg_vq *v);
void fg_vq_cfg(const struct fg_vq *v, struct virtio_queue_cfg *cfg);
/* Write a chain of @n descriptors (not yet made available); returns its head. */
uint16_t fg_vq_chain(struct fg_vq *v, const struct fg_buf *b, unsigned int n);
/* Write an indirect table in guest memory and one descriptor pointing at it; returns the head. */
uint16_t fg_vq_chain_indirect(struct fg_vq *v, const struct fg_buf *b, unsigned int n);
/* Make @head available (avail ring entry, then a release store of avail->idx). */
void fg_vq_publish(struct fg_vq *v, uint16_t head);
/* Both at once: a chain made available. */
uint16_t fg_vq_add(struct fg_vq *v, const struct fg_buf *b, unsigned int n);
/* Read the next used element; false when there is none. */
bool fg_vq_get_used(struct fg_vq *v, uint32_t *id, uint32_t *len);
/* Interrupts received since the last call (drains the call eventfd). */
uint64_t fg_vq_calls(struct fg_vq *v);

/* A packed-ring driver (virtio 1.2, 2.8), for rings of at most FG_PVQ_MAX entries. */
#define FG_PVQ_MAX 256

struct fg_pvq {
	struct fg_mem *g;
	uint16_t size;
	struct vring_packed_desc *desc; /* the ring, host view */
	struct vring_packed_desc_event *driver; /* ours: when the device should interrupt */
	struct vring_packed_desc_event *device; /* the device's: when we should kick */
	uint16_t next; /* next slot to make available */
	bool wrap; /* its wrap counter */
	uint16_t last_used; /* next slot to read a used entry from */
	bool used_wrap;
	uint16_t chain_len[FG_PVQ_MAX]; /* descriptors of the chain with buffer id i */
	int call_fd, kick_fd;
};

int fg_pvq_init(struct fg_pvq *v, struct fg_mem *g, uint16_t size);
void fg_pvq_fini(struct fg_pvq *v);
void fg_pvq_cfg(const struct fg_pvq *v, struct virtio_queue_cfg *cfg);
/* The flags that make a descriptor available in the current lap (AVAIL = wrap, USED = !wrap). */
uint16_t fg_pvq_avail_flags(const struct fg_pvq *v);
/*
 * Make a chain of @n buffers available, buffer id = its first slot: the
 * other descriptors first, the head's flags last with release.  Returns the id.
 */
uint16_t fg_pvq_add(struct fg_pvq *v, const struct fg_buf *b, unsigned int n);
/* The same through an indirect table: one ring slot. */
uint16_t fg_pvq_add_indirect(struct fg_pvq *v, const struct fg_buf *b, unsigned int n);
/* Read the next used entry; false when there is none. */
bool fg_pvq_get_used(struct fg_pvq *v, uint32_t *id, uint32_t *len);

/*
 * Start DPDK's EAL for a test program (no hugepages, no PCI, one lcore, a
 * per-process file prefix) and create a pool of @nb_mbufs 2 KiB mbufs with a
 * per-lcore cache of @cache.  NULL on failure, with a message on stderr.
 */
struct rte_mempool *fg_dpdk_init(const char *prog, unsigned int nb_mbufs, unsigned int cache);
void fg_dpdk_fini(struct rte_mempool *mp);

#endif
