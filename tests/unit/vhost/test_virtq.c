/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_virtq.c - unit tests of the guest memory map (vhost/mem.c) and the
 * split-virtqueue engine (vhost/virtq.c), against the fake guest of
 * fake_guest.h: well-formed rings, notification suppression, and every
 * hostile ring shape we know of, each followed by a check that another
 * queue of the same guest still works.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "harness.h"
#include "fake_guest.h"
#include "vhost/mem.h"
#include "vhost/virtq.h"

#define QSIZE 8
#define CAP (1u << 20)
#define MAXSEG 16

static struct fg_mem g;
static struct fg_vq fv, fv2; /* driver side of the queue under test, and of a bystander */
static struct vq vq, vq2; /* device side */
static struct iovec iov[MAXSEG];

static void start_queue(struct fg_vq *f, struct vq *q, bool event_idx, bool indirect, uint32_t cap)
{
	struct virtio_queue_cfg cfg;

	CU_ASSERT_FATAL(fg_vq_init(f, &g, QSIZE) == 0);
	fg_vq_cfg(f, &cfg);
	memset(q, 0, sizeof(*q));
	CU_ASSERT_FATAL(vq_init(q, &(struct vq_params){ .cfg = &cfg,
							.mem = g.map,
							.event_idx = event_idx,
							.indirect = indirect,
							.max_chain_len = cap,
							.name = "test" }) == 0);
}

static void up(bool event_idx, bool indirect)
{
	CU_ASSERT_FATAL(fg_mem_init(&g) == 0);
	start_queue(&fv, &vq, event_idx, indirect, CAP);
	start_queue(&fv2, &vq2, false, true, CAP);
}

static void down(void)
{
	fg_vq_fini(&fv);
	fg_vq_fini(&fv2);
	fg_mem_fini(&g);
}

static int pop(struct vq *q, struct vq_chain *c)
{
	c->iov = iov;
	c->iov_cap = MAXSEG;
	return vq_pop_chain(q, c);
}

/* A full round trip on @q: pop, push, flush, and the driver sees the element. */
static void assert_queue_works(struct fg_vq *f, struct vq *q)
{
	struct fg_buf b[2] = { { fg_alloc(&g, 64, 8), 64, false },
			       { fg_alloc(&g, 64, 8), 64, true } };
	struct vq_chain c;
	uint32_t id, len;
	uint16_t head = fg_vq_add(f, b, 2);

	CU_ASSERT_EQUAL_FATAL(pop(q, &c), 0);
	CU_ASSERT_EQUAL(c.head, head);
	CU_ASSERT_EQUAL(c.out_len, 64);
	CU_ASSERT_EQUAL(c.in_len, 64);
	vq_push_used(q, c.head, 7);
	vq_flush_used(q);
	CU_ASSERT_TRUE(fg_vq_get_used(f, &id, &len));
	CU_ASSERT_EQUAL(id, head);
	CU_ASSERT_EQUAL(len, 7);
}

/* The queue under test must now be broken, for good, and the bystander unaffected. */
static void assert_broken(void)
{
	struct vq_chain c;

	CU_ASSERT_TRUE(vq_is_broken(&vq));
	CU_ASSERT_EQUAL(atomic_load(&vq.nr_broken), 1);
	CU_ASSERT_EQUAL(pop(&vq, &c), -EIO);
	CU_ASSERT_EQUAL(vq_avail_count(&vq), 0);
	CU_ASSERT_FALSE(vq_enable_notify(&vq));
	assert_queue_works(&fv2, &vq2);
	assert_queue_works(&fv2, &vq2);
}

/* --- memory map -------------------------------------------------------------------------- */

static void test_mem_lookup(void)
{
	uint64_t len = 0x100;
	uint8_t *p;

	up(false, false);
	p = vhost_mem_gpa_to_hva(g.map, 0x2000, &len);
	CU_ASSERT_PTR_NOT_NULL(p);
	CU_ASSERT_EQUAL(len, 0x100);
	/* The end of R0: only what is left of the region is contiguous. */
	len = 0x1000;
	p = vhost_mem_gpa_to_hva(g.map, FG_R1_GPA - 0x10, &len);
	CU_ASSERT_PTR_NOT_NULL(p);
	CU_ASSERT_EQUAL(len, 0x10);
	len = 0x1000;
	CU_ASSERT_PTR_NULL(vhost_mem_gpa_to_hva(g.map, FG_HOLE_GPA + 8, &len));
	CU_ASSERT_EQUAL(len, 0x1000); /* untouched on failure */
	len = UINT64_MAX;
	CU_ASSERT_PTR_NULL(vhost_mem_gpa_to_hva(g.map, UINT64_MAX, &len));
	len = UINT64_MAX;
	CU_ASSERT_PTR_NOT_NULL(vhost_mem_gpa_to_hva(g.map, FG_R2_GPA, &len));
	CU_ASSERT_EQUAL(len, FG_REGION_SIZE);
	down();
}

static void test_mem_add_errors(void)
{
	struct vhost_mem *m = vhost_mem_create(2);
	static uint8_t buf[4096];
	struct vhost_mem_region r = { .gpa = 0x1000, .size = 0x1000, .hva = buf, .fd = -1 };

	CU_ASSERT_PTR_NULL(vhost_mem_create(0));
	CU_ASSERT_PTR_NULL(vhost_mem_create(VHOST_MEM_MAX_REGIONS + 1));
	CU_ASSERT_EQUAL(vhost_mem_add_region(m, &r), 0);
	r.gpa = 0x1800; /* overlaps the first */
	CU_ASSERT_EQUAL(vhost_mem_add_region(m, &r), -EEXIST);
	r.gpa = 0x800;
	CU_ASSERT_EQUAL(vhost_mem_add_region(m, &r), -EEXIST);
	r.gpa = UINT64_MAX - 0x10; /* wraps */
	CU_ASSERT_EQUAL(vhost_mem_add_region(m, &r), -EINVAL);
	r.gpa = 0x8000;
	r.size = 0;
	CU_ASSERT_EQUAL(vhost_mem_add_region(m, &r), -EINVAL);
	r.size = 0x1000;
	r.uaddr = UINT64_MAX - 0x10;
	CU_ASSERT_EQUAL(vhost_mem_add_region(m, &r), -EINVAL);
	r.uaddr = 0;
	r.hva = NULL;
	CU_ASSERT_EQUAL(vhost_mem_add_region(m, &r), -EINVAL);
	r.hva = buf;
	CU_ASSERT_EQUAL(vhost_mem_add_region(m, &r), 0);
	r.gpa = 0x10000;
	CU_ASSERT_EQUAL(vhost_mem_add_region(m, &r), -ENOSPC);
	CU_ASSERT_EQUAL(vhost_mem_num_regions(m), 2);
	vhost_mem_destroy(m);
}

/* A region ending at the very top of the address space: nothing may wrap to 0. */
static void test_mem_top_of_space(void)
{
	struct vhost_mem *m = vhost_mem_create(2);
	static uint8_t top[4096], low[4096];
	struct vhost_mem_region r = { .gpa = UINT64_MAX - 0xfff, .size = 0x1000, .hva = top };
	struct iovec v[4];
	uint64_t len = 0x100;
	uint8_t *p;

	CU_ASSERT_EQUAL(vhost_mem_add_region(m, &r), 0);
	r = (struct vhost_mem_region){ .gpa = 0, .size = 0x1000, .uaddr = 0x1000, .hva = low };
	CU_ASSERT_EQUAL(vhost_mem_add_region(m, &r), 0);
	p = vhost_mem_gpa_to_hva(m, UINT64_MAX, &len);
	CU_ASSERT_PTR_EQUAL(p, top + 0xfff);
	CU_ASSERT_EQUAL(len, 1);
	CU_ASSERT_EQUAL(vhost_mem_map_iov(m, UINT64_MAX - 0xf, 0x20, v, 4), -EFAULT);
	CU_ASSERT_EQUAL(vhost_mem_read(m, UINT64_MAX - 0xf, top, 0x20), -EFAULT);
	CU_ASSERT_EQUAL(vhost_mem_map_iov(m, UINT64_MAX - 0xf, 0x10, v, 4), 1);
	vhost_mem_destroy(m);
}

static void test_mem_map_iov(void)
{
	struct iovec v[4];
	uint64_t len = 1;
	uint8_t *r0_end, *r1;

	up(false, false);
	r0_end = vhost_mem_gpa_to_hva(g.map, FG_R1_GPA - 0x10, &len);
	r1 = vhost_mem_gpa_to_hva(g.map, FG_R1_GPA, &len);
	CU_ASSERT_EQUAL(vhost_mem_map_iov(g.map, FG_R1_GPA - 0x10, 0x30, v, 4), 2);
	CU_ASSERT_PTR_EQUAL(v[0].iov_base, r0_end);
	CU_ASSERT_EQUAL(v[0].iov_len, 0x10);
	CU_ASSERT_PTR_EQUAL(v[1].iov_base, r1);
	CU_ASSERT_EQUAL(v[1].iov_len, 0x20);
	CU_ASSERT_NOT_EQUAL(r0_end + 0x10, r1); /* really two host ranges */
	CU_ASSERT_EQUAL(vhost_mem_map_iov(g.map, FG_R1_GPA - 0x10, 0x30, v, 1), -ENOBUFS);
	CU_ASSERT_EQUAL(vhost_mem_map_iov(g.map, FG_HOLE_GPA - 0x10, 0x30, v, 4), -EFAULT);
	CU_ASSERT_EQUAL(vhost_mem_map_iov(g.map, 0x5000, 0, v, 4), 0);
	down();
}

/* More regions than the linear scan handles: the binary search must find each, and no hole. */
static void test_mem_many_regions(void)
{
	struct vhost_mem *m = vhost_mem_create(16);
	static uint8_t buf[16][256];
	int order[10] = { 5, 2, 8, 0, 9, 1, 7, 3, 6, 4 };
	uint64_t len;
	int i;

	for (i = 0; i < 10; i++) {
		struct vhost_mem_region r = { .gpa = 0x10000ull * order[i],
					      .size = 256,
					      .uaddr = 0x7000000ull + 0x1000ull * order[i],
					      .hva = buf[order[i]] };

		CU_ASSERT_EQUAL(vhost_mem_add_region(m, &r), 0);
	}
	for (i = 0; i < 10; i++) {
		len = 1000;
		CU_ASSERT_PTR_EQUAL(vhost_mem_gpa_to_hva(m, 0x10000ull * i + 3, &len), &buf[i][3]);
		CU_ASSERT_EQUAL(len, 253);
		len = 1;
		CU_ASSERT_PTR_NULL(vhost_mem_gpa_to_hva(m, 0x10000ull * i + 256, &len));
		len = 1;
		CU_ASSERT_PTR_EQUAL(vhost_mem_uaddr_to_hva(m, 0x7000000ull + 0x1000ull * i + 9,
							   &len),
				    &buf[i][9]);
	}
	len = 1;
	CU_ASSERT_PTR_NULL(vhost_mem_uaddr_to_hva(m, 0x6ffffff, &len));
	for (i = 1; i < 10; i++)
		CU_ASSERT(vhost_mem_region(m, i)->gpa > vhost_mem_region(m, i - 1)->gpa);
	CU_ASSERT_PTR_NULL(vhost_mem_region(m, 10));
	vhost_mem_destroy(m);
}

/* --- well-formed rings --------------------------------------------------------------------- */

static void test_pop_push(void)
{
	struct fg_buf b[3] = { { 0x10000, 10, false },
			       { 0x10100, 100, false },
			       { 0x10200, 200, true } };
	struct vq_chain c;
	uint32_t id, len;
	uint16_t head;

	up(false, false);
	CU_ASSERT_EQUAL(pop(&vq, &c), -EAGAIN);
	head = fg_vq_add(&fv, b, 3);
	CU_ASSERT_EQUAL(vq_avail_count(&vq), 1);
	CU_ASSERT_EQUAL_FATAL(pop(&vq, &c), 0);
	CU_ASSERT_EQUAL(c.head, head);
	CU_ASSERT_EQUAL(c.n_out, 2);
	CU_ASSERT_EQUAL(c.n_in, 1);
	CU_ASSERT_EQUAL(c.out_len, 110);
	CU_ASSERT_EQUAL(c.in_len, 200);
	CU_ASSERT_PTR_EQUAL(c.iov[2].iov_base, fg_ptr(&g, 0x10200));
	CU_ASSERT_EQUAL(pop(&vq, &c), -EAGAIN);
	vq_push_used(&vq, head, 33);
	CU_ASSERT_FALSE(fg_vq_get_used(&fv, &id, &len)); /* not published before the flush */
	vq_flush_used(&vq);
	CU_ASSERT_TRUE(fg_vq_get_used(&fv, &id, &len));
	CU_ASSERT_EQUAL(id, head);
	CU_ASSERT_EQUAL(len, 33);
	CU_ASSERT_EQUAL(fg_vq_calls(&fv), 1);
	CU_ASSERT_EQUAL(vq_last_avail_idx(&vq), 1);
	down();
}

/* Several elements, one used->idx store, one interrupt. */
static void test_batched_used(void)
{
	struct fg_buf b = { 0x10000, 64, true };
	struct vq_chain c;
	int i;

	up(false, false);
	for (i = 0; i < 5; i++)
		fg_vq_add(&fv, &b, 1);
	for (i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL_FATAL(pop(&vq, &c), 0);
		vq_push_used(&vq, c.head, 1);
		CU_ASSERT_EQUAL(fv.used->idx, 0);
	}
	vq_flush_used(&vq);
	CU_ASSERT_EQUAL(fv.used->idx, 5);
	CU_ASSERT_EQUAL(fg_vq_calls(&fv), 1);
	vq_flush_used(&vq); /* nothing new: no second interrupt */
	CU_ASSERT_EQUAL(fg_vq_calls(&fv), 0);
	down();
}

static void test_span_regions(void)
{
	struct fg_buf b = { FG_R1_GPA - 100, 300, true };
	struct vq_chain c;

	up(false, false);
	fg_vq_add(&fv, &b, 1);
	CU_ASSERT_EQUAL_FATAL(pop(&vq, &c), 0);
	CU_ASSERT_EQUAL(c.n_in, 2);
	CU_ASSERT_EQUAL(c.in_len, 300);
	CU_ASSERT_EQUAL(c.iov[0].iov_len, 100);
	CU_ASSERT_EQUAL(c.iov[1].iov_len, 200);
	CU_ASSERT_PTR_EQUAL(c.iov[1].iov_base, fg_ptr(&g, FG_R1_GPA));
	down();
}

static void test_indirect(void)
{
	struct fg_buf b[3] = { { 0x10000, 12, false },
			       { 0x10100, 50, false },
			       { 0x10200, 1500, true } };
	struct vq_chain c;
	uint16_t head;

	up(false, true);
	head = fg_vq_chain_indirect(&fv, b, 3);
	fg_vq_publish(&fv, head);
	CU_ASSERT_EQUAL_FATAL(pop(&vq, &c), 0);
	CU_ASSERT_EQUAL(c.head, head);
	CU_ASSERT_EQUAL(c.n_out, 2);
	CU_ASSERT_EQUAL(c.n_in, 1);
	CU_ASSERT_EQUAL(c.out_len, 62);
	CU_ASSERT_EQUAL(c.in_len, 1500);
	CU_ASSERT_FALSE(vq_is_broken(&vq));
	down();
}

/* An indirect table straddling two regions is read entry by entry. */
static void test_indirect_split_table(void)
{
	uint64_t tgpa = FG_R1_GPA - 24; /* entry 0 in R0, entry 1 across the boundary */
	struct vring_desc t[2] = { { 0x10000, 40, VRING_DESC_F_NEXT, 1 },
				   { 0x10100, 60, VRING_DESC_F_WRITE, 0 } };
	uint64_t left = 24;
	struct vq_chain c;

	up(false, true);
	memcpy(fg_ptr(&g, tgpa), t, 24);
	left = 8;
	memcpy(fg_ptr(&g, FG_R1_GPA), (uint8_t *)t + 24, left);
	fv.desc[0] = (struct vring_desc){ tgpa, 32, VRING_DESC_F_INDIRECT, 0 };
	fg_vq_publish(&fv, 0);
	CU_ASSERT_EQUAL_FATAL(pop(&vq, &c), 0);
	CU_ASSERT_EQUAL(c.out_len, 40);
	CU_ASSERT_EQUAL(c.in_len, 60);
	down();
}

static void test_unpop(void)
{
	struct fg_buf b = { 0x10000, 64, true };
	struct vq_chain c;
	uint16_t h1, h2;
	uint32_t t1;

	up(false, false);
	h1 = fg_vq_add(&fv, &b, 1);
	h2 = fg_vq_add(&fv, &b, 1);
	CU_ASSERT_EQUAL(pop(&vq, &c), 0);
	t1 = c.head;
	CU_ASSERT_EQUAL(pop(&vq, &c), 0);
	CU_ASSERT_EQUAL(c.head, h2);
	vq_unpop(&vq, c.head);
	vq_unpop(&vq, t1);
	CU_ASSERT_EQUAL(pop(&vq, &c), 0);
	CU_ASSERT_EQUAL(c.head, h1);
	down();
}

/* Refusals that consume a chain but leave the queue serving. */
static void test_segment_cap(void)
{
	struct fg_buf b[5] = { { 0x10000, 8, false },
			       { 0x10100, 8, false },
			       { 0x10200, 8, false },
			       { 0x10300, 8, false },
			       { 0x10400, 8, false } };
	struct vq_chain c = { .iov = iov, .iov_cap = 4 };
	uint32_t id, len;
	uint16_t head;

	up(false, false);
	head = fg_vq_add(&fv, b, 5);
	CU_ASSERT_EQUAL(vq_pop_chain(&vq, &c), -ENOBUFS);
	CU_ASSERT_EQUAL(c.head, head);
	CU_ASSERT_FALSE(vq_is_broken(&vq));
	vq_push_used(&vq, c.head, 0);
	vq_flush_used(&vq);
	CU_ASSERT_TRUE(fg_vq_get_used(&fv, &id, &len));
	CU_ASSERT_EQUAL(id, head);
	CU_ASSERT_EQUAL(len, 0);
	assert_queue_works(&fv, &vq);
	down();
}

/* Above the queue's cap but all in guest memory: the frame is refused, the queue goes on. */
static void test_length_over_cap(void)
{
	struct fg_buf b[3] = { { 0x10000, 64, false },
			       { 0x20000, 0x40000, true },
			       { FG_R1_GPA, 0x1000, true } };
	struct vq_chain c;
	uint32_t id, len;

	CU_ASSERT_FATAL(fg_mem_init(&g) == 0);
	start_queue(&fv, &vq, false, false, 0x10000);
	start_queue(&fv2, &vq2, false, true, CAP);
	fg_vq_add(&fv, b, 3);
	CU_ASSERT_EQUAL(pop(&vq, &c), -EMSGSIZE);
	CU_ASSERT_FALSE(vq_is_broken(&vq));
	vq_push_used(&vq, c.head, 0);
	vq_flush_used(&vq);
	CU_ASSERT_TRUE(fg_vq_get_used(&fv, &id, &len));
	assert_queue_works(&fv, &vq);
	down();
}

/*
 * Under 4 GiB in total, above the cap, and not in guest memory: the drop
 * does not excuse the address (a real guest found this one).
 */
static void test_length_near_4g(void)
{
	struct fg_buf b[2] = { { 0x10000, 64, false }, { 0x10000, 0xffffff00u, true } };
	struct vq_chain c;

	up(false, false);
	fg_vq_add(&fv, b, 2);
	CU_ASSERT_EQUAL(pop(&vq, &c), -EIO);
	assert_broken();
	down();
}

/* A loop longer than the caller's iovecs: still a loop (a real guest found this one). */
static void test_loop_past_segment_cap(void)
{
	struct vq_chain c = { .iov = iov, .iov_cap = 4 };

	up(false, false);
	fv.desc[0] = (struct vring_desc){ 0x10000, 64, VRING_DESC_F_NEXT, 1 };
	fv.desc[1] = (struct vring_desc){ 0x10100, 64, VRING_DESC_F_NEXT, 0 };
	fg_vq_publish(&fv, 0);
	CU_ASSERT_EQUAL(vq_pop_chain(&vq, &c), -EIO);
	assert_broken();
	down();
}

/* Past the segment cap, a buffer outside guest memory still breaks the queue. */
static void test_hole_past_segment_cap(void)
{
	struct fg_buf b[5] = { { 0x10000, 8, false },
			       { 0x10100, 8, false },
			       { 0x10200, 8, false },
			       { 0x10300, 8, false },
			       { FG_HOLE_GPA, 8, false } };
	struct vq_chain c = { .iov = iov, .iov_cap = 4 };

	up(false, false);
	fg_vq_add(&fv, b, 5);
	CU_ASSERT_EQUAL(vq_pop_chain(&vq, &c), -EIO);
	assert_broken();
	down();
}

/* With a queue cap above 4 GiB-1 and a huge (reserved, never touched) region, the sum check bites. */
static void test_chain_over_4g(void)
{
	struct vhost_mem *big = vhost_mem_create(1);
	uint64_t span = 8ull << 30;
	void *res = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	struct vhost_mem_region r = { .gpa = 0, .size = span, .hva = res };
	struct fg_buf b[2] = { { 0x0, 3u << 30, true }, { 3ull << 30, 3u << 30, true } };
	struct virtio_queue_cfg cfg;
	struct vq q;
	struct vq_chain c;

	CU_ASSERT_FATAL(res != MAP_FAILED);
	CU_ASSERT_EQUAL_FATAL(vhost_mem_add_region(big, &r), 0);
	up(false, false);
	fg_vq_cfg(&fv, &cfg);
	CU_ASSERT_EQUAL_FATAL(vq_init(&q, &(struct vq_params){ .cfg = &cfg,
							       .mem = big,
							       .max_chain_len = UINT32_MAX,
							       .name = "big" }),
			      0);
	fg_vq_add(&fv, b, 2);
	CU_ASSERT_EQUAL(pop(&q, &c), -EIO);
	CU_ASSERT_TRUE(vq_is_broken(&q));
	assert_queue_works(&fv2, &vq2);
	down();
	vhost_mem_destroy(big);
	munmap(res, span);
}

/* Prefetch hints read a hostile ring but trust nothing: no fault, no state change. */
static void test_prefetch_hostile(void)
{
	up(false, false);
	for (uint16_t i = 0; i < QSIZE; i++) {
		fv.avail->ring[i] = 0xffff;
		fv.desc[i] = (struct vring_desc){ 0xfffffffffffff000ull, 0xffffffffu,
						  (uint16_t)(i & 1 ? VRING_DESC_F_INDIRECT : 0),
						  0xffff };
	}
	vq_prefetch_avail(&vq, QSIZE, false);
	vq_prefetch_avail(&vq, 0xffff, true);
	CU_ASSERT_FALSE(vq_is_broken(&vq));
	CU_ASSERT_EQUAL(vq.last_avail_idx, 0);
	CU_ASSERT_EQUAL(vq.used_idx, 0);
	memset(fv.desc, 0, QSIZE * sizeof(*fv.desc));
	assert_queue_works(&fv, &vq);
	down();
}

/* --- notifications -------------------------------------------------------------------------- */

static void push_one(void)
{
	struct fg_buf b = { 0x10000, 64, true };
	struct vq_chain c;

	fg_vq_add(&fv, &b, 1);
	CU_ASSERT_EQUAL_FATAL(pop(&vq, &c), 0);
	vq_push_used(&vq, c.head, 1);
	vq_flush_used(&vq);
}

static void test_event_idx_interrupts(void)
{
	uint16_t *used_event;
	int i;

	up(true, false);
	used_event = &fv.avail->ring[QSIZE];
	push_one(); /* the first decision always interrupts */
	CU_ASSERT_EQUAL(fg_vq_calls(&fv), 1);
	*used_event = 4; /* "interrupt me when entry 4 is used" */
	for (i = 1; i < 4; i++) {
		push_one(); /* used idx 2..4: entries 1..3 */
		CU_ASSERT_EQUAL(fg_vq_calls(&fv), 0);
	}
	push_one(); /* entry 4 */
	CU_ASSERT_EQUAL(fg_vq_calls(&fv), 1);
	push_one(); /* past the event: quiet until the driver moves it */
	CU_ASSERT_EQUAL(fg_vq_calls(&fv), 0);
	*used_event = 6;
	push_one();
	CU_ASSERT_EQUAL(fg_vq_calls(&fv), 1);
	CU_ASSERT_EQUAL(atomic_load(&vq.nr_calls), 3);
	down();
}

static void test_no_interrupt_flag(void)
{
	up(false, false);
	fv.avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	push_one();
	push_one();
	CU_ASSERT_EQUAL(fg_vq_calls(&fv), 0);
	fv.avail->flags = 0;
	push_one();
	CU_ASSERT_EQUAL(fg_vq_calls(&fv), 1);
	vq_set_call_fd(&vq, -1); /* poll-only driver */
	push_one();
	CU_ASSERT_EQUAL(fg_vq_calls(&fv), 0);
	down();
}

static void test_kick_suppression(void)
{
	struct fg_buf b = { 0x10000, 64, true };
	struct vq_chain c;
	uint16_t *avail_event;

	up(false, false);
	vq_disable_notify(&vq);
	CU_ASSERT_EQUAL(fv.used->flags, VRING_USED_F_NO_NOTIFY);
	CU_ASSERT_FALSE(vq_enable_notify(&vq));
	CU_ASSERT_EQUAL(fv.used->flags, 0);
	vq_disable_notify(&vq);
	fg_vq_add(&fv, &b, 1); /* slips in while kicks were off */
	CU_ASSERT_TRUE(vq_enable_notify(&vq));
	down();

	up(true, false);
	avail_event = (uint16_t *)&fv.used->ring[QSIZE];
	fg_vq_add(&fv, &b, 1);
	fg_vq_add(&fv, &b, 1);
	CU_ASSERT_EQUAL(pop(&vq, &c), 0);
	vq_disable_notify(&vq);
	CU_ASSERT_EQUAL(fv.used->flags, 0); /* EVENT_IDX: flags are not used */
	CU_ASSERT_TRUE(vq_enable_notify(&vq)); /* one chain still waiting */
	CU_ASSERT_EQUAL(*avail_event, 1);
	CU_ASSERT_EQUAL(pop(&vq, &c), 0);
	CU_ASSERT_FALSE(vq_enable_notify(&vq));
	CU_ASSERT_EQUAL(*avail_event, 2);
	/* The driver's side of the rule: adding entry 2 crosses avail_event 2. */
	CU_ASSERT_TRUE(vring_need_event(*avail_event, 3, 2));
	CU_ASSERT_FALSE(vring_need_event(*avail_event, 2, 1));
	down();
}

/* --- hostile rings ---------------------------------------------------------------------------- */

static void expect_broken_after(uint16_t head)
{
	struct vq_chain c;

	fg_vq_publish(&fv, head);
	CU_ASSERT_EQUAL(pop(&vq, &c), -EIO);
	assert_broken();
}

static void test_desc_loop(void)
{
	up(false, false);
	fv.desc[0] = (struct vring_desc){ 0x10000, 8, VRING_DESC_F_NEXT, 1 };
	fv.desc[1] = (struct vring_desc){ 0x10000, 8, VRING_DESC_F_NEXT, 0 };
	expect_broken_after(0);
	down();
}

static void test_next_out_of_range(void)
{
	up(false, false);
	fv.desc[0] = (struct vring_desc){ 0x10000, 8, VRING_DESC_F_NEXT, QSIZE };
	expect_broken_after(0);
	down();
}

static void test_head_out_of_range(void)
{
	up(false, false);
	expect_broken_after(QSIZE + 3);
	down();
}

static void test_addr_in_hole(void)
{
	up(false, false);
	fv.desc[0] = (struct vring_desc){ FG_HOLE_GPA + 0x100, 64, 0, 0 };
	expect_broken_after(0);
	down();
}

static void test_addr_runs_into_hole(void)
{
	up(false, false);
	fv.desc[0] = (struct vring_desc){ FG_HOLE_GPA - 16, 64, VRING_DESC_F_WRITE, 0 };
	expect_broken_after(0);
	down();
}

static void test_addr_wraps(void)
{
	up(false, false);
	fv.desc[0] = (struct vring_desc){ UINT64_MAX - 8, 64, 0, 0 };
	expect_broken_after(0);
	down();
}

static void test_readable_after_writable(void)
{
	struct fg_buf b[2] = { { 0x10000, 64, true }, { 0x10100, 64, false } };

	up(false, false);
	expect_broken_after(fg_vq_chain(&fv, b, 2));
	down();
}

static void test_indirect_nested(void)
{
	struct fg_buf b = { 0x10000, 64, false };
	uint16_t inner;
	struct vring_desc *t;
	uint64_t tgpa;

	up(false, true);
	inner = fg_vq_chain_indirect(&fv, &b, 1);
	/* An outer table whose only entry is itself an indirect descriptor. */
	tgpa = fg_alloc(&g, 16, 16);
	t = fg_ptr(&g, tgpa);
	t[0] = fv.desc[inner];
	fv.desc[5] = (struct vring_desc){ tgpa, 16, VRING_DESC_F_INDIRECT, 0 };
	expect_broken_after(5);
	down();
}

static void test_indirect_with_next(void)
{
	struct fg_buf b = { 0x10000, 64, false };
	uint16_t head;

	up(false, true);
	head = fg_vq_chain_indirect(&fv, &b, 1);
	fv.desc[head].flags |= VRING_DESC_F_NEXT;
	fv.desc[head].next = 6;
	fv.desc[6] = (struct vring_desc){ 0x10000, 8, 0, 0 };
	expect_broken_after(head);
	down();
}

static void test_indirect_not_negotiated(void)
{
	struct fg_buf b = { 0x10000, 64, false };

	up(false, false);
	expect_broken_after(fg_vq_chain_indirect(&fv, &b, 1));
	down();
}

static void test_indirect_bad_len(void)
{
	struct fg_buf b[2] = { { 0x10000, 64, false }, { 0x10000, 64, false } };
	uint16_t head;

	up(false, true);
	head = fg_vq_chain_indirect(&fv, b, 2);
	fv.desc[head].len = 24;
	expect_broken_after(head);
	down();
	up(false, true);
	head = fg_vq_chain_indirect(&fv, b, 2);
	fv.desc[head].len = 0;
	expect_broken_after(head);
	down();
}

static void test_indirect_loop(void)
{
	struct fg_buf b[2] = { { 0x10000, 64, false }, { 0x10000, 64, false } };
	struct vring_desc *t;
	uint16_t head;

	up(false, true);
	head = fg_vq_chain_indirect(&fv, b, 2);
	t = fg_ptr(&g, fv.desc[head].addr);
	t[1].flags |= VRING_DESC_F_NEXT;
	t[1].next = 0;
	expect_broken_after(head);
	down();
}

static void test_indirect_table_outside(void)
{
	up(false, true);
	fv.desc[0] = (struct vring_desc){ FG_HOLE_GPA, 32, VRING_DESC_F_INDIRECT, 0 };
	expect_broken_after(0);
	down();
}

static void test_avail_jump(void)
{
	struct vq_chain c;

	up(false, false);
	fv.avail->idx = QSIZE + 1;
	CU_ASSERT_EQUAL(vq_avail_count(&vq), 0);
	CU_ASSERT_EQUAL(pop(&vq, &c), -EIO);
	assert_broken();
	down();
}

static void test_restart_clears_broken(void)
{
	struct virtio_queue_cfg cfg;

	up(false, false);
	expect_broken_after(QSIZE);
	fg_vq_cfg(&fv, &cfg);
	cfg.last_avail_idx = fv.avail_idx;
	cfg.used_idx = fv.avail_idx;
	CU_ASSERT_EQUAL(vq_init(&vq, &(struct vq_params){ .cfg = &cfg,
							  .mem = g.map,
							  .max_chain_len = CAP,
							  .name = "again" }),
			0);
	CU_ASSERT_FALSE(vq_is_broken(&vq));
	fv.last_used = fv.avail_idx;
	assert_queue_works(&fv, &vq);
	down();
}

static void test_init_rejects(void)
{
	struct virtio_queue_cfg cfg;
	struct vq q;

	up(false, false);
	fg_vq_cfg(&fv, &cfg);
	cfg.size = 6;
	CU_ASSERT_EQUAL(vq_init(&q, &(struct vq_params){ .cfg = &cfg, .mem = g.map }), -EINVAL);
	fg_vq_cfg(&fv, &cfg);
	cfg.desc = (uint8_t *)cfg.desc + 8;
	CU_ASSERT_EQUAL(vq_init(&q, &(struct vq_params){ .cfg = &cfg, .mem = g.map }), -EINVAL);
	fg_vq_cfg(&fv, &cfg);
	cfg.used = NULL;
	CU_ASSERT_EQUAL(vq_init(&q, &(struct vq_params){ .cfg = &cfg, .mem = g.map }), -EINVAL);
	down();
}

static CU_TestInfo mem_tests[] = {
	{ "lookup", test_mem_lookup },
	{ "add errors", test_mem_add_errors },
	{ "top of address space", test_mem_top_of_space },
	{ "map iov across regions", test_mem_map_iov },
	{ "many regions", test_mem_many_regions },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo ring_tests[] = {
	{ "pop and push", test_pop_push },
	{ "batched used", test_batched_used },
	{ "buffer spanning regions", test_span_regions },
	{ "indirect", test_indirect },
	{ "indirect table split across regions", test_indirect_split_table },
	{ "unpop", test_unpop },
	{ "segment cap", test_segment_cap },
	{ "length over the cap", test_length_over_cap },
	{ "length near 4 GiB outside memory", test_length_near_4g },
	{ "loop past the segment cap", test_loop_past_segment_cap },
	{ "prefetch hints on a hostile ring", test_prefetch_hostile },
	{ "hole past the segment cap", test_hole_past_segment_cap },
	{ "chain over 4 GiB", test_chain_over_4g },
	{ "init rejects bad rings", test_init_rejects },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo notify_tests[] = {
	{ "event idx interrupts", test_event_idx_interrupts },
	{ "no-interrupt flag", test_no_interrupt_flag },
	{ "kick suppression", test_kick_suppression },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo hostile_tests[] = {
	{ "descriptor loop", test_desc_loop },
	{ "next out of range", test_next_out_of_range },
	{ "head out of range", test_head_out_of_range },
	{ "address in hole", test_addr_in_hole },
	{ "address runs into hole", test_addr_runs_into_hole },
	{ "address wraps", test_addr_wraps },
	{ "readable after writable", test_readable_after_writable },
	{ "indirect in indirect", test_indirect_nested },
	{ "indirect with next", test_indirect_with_next },
	{ "indirect not negotiated", test_indirect_not_negotiated },
	{ "indirect bad length", test_indirect_bad_len },
	{ "indirect loop", test_indirect_loop },
	{ "indirect table outside memory", test_indirect_table_outside },
	{ "avail index jump", test_avail_jump },
	{ "restart clears broken", test_restart_clears_broken },
	CU_TEST_INFO_NULL,
};

/* test_virtq_packed.c */
extern CU_TestInfo vq_packed_tests[];
extern CU_TestInfo vq_packed_hostile_tests[];

static CU_SuiteInfo suites[] = {
	{ "vhost_mem", NULL, NULL, NULL, NULL, mem_tests },
	{ "virtq", NULL, NULL, NULL, NULL, ring_tests },
	{ "virtq_notify", NULL, NULL, NULL, NULL, notify_tests },
	{ "virtq_hostile", NULL, NULL, NULL, NULL, hostile_tests },
	{ "virtq_packed", NULL, NULL, NULL, NULL, vq_packed_tests },
	{ "virtq_packed_hostile", NULL, NULL, NULL, NULL, vq_packed_hostile_tests },
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	return cunit_run(suites);
}
