/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_virtq_packed.c - the packed-virtqueue side of the engine
 * (vhost/virtq_packed.c) against the fake guest's packed driver: round
 * trips over many laps of a ring whose size is not a power of two, chains
 * given back, indirect tables, event suppression both ways, the resume
 * index with its wrap bit, and the hostile shapes (descriptors of the wrong
 * lap, ids out of range, chains longer than the ring, bad indirect tables,
 * buffers outside memory), each followed by a check that a bystander queue
 * of the same guest still works.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "fake_guest.h"
#include "vhost/virtq.h"

#define PSIZE 5 /* packed rings need no power of two */
#define CAP (1u << 20)
#define MAXSEG 16

static struct fg_mem g;
static struct fg_pvq pv, pv2; /* driver side of the queue under test, and of a bystander */
static struct vq q, q2;
static struct iovec iov[MAXSEG];

static void start(struct fg_pvq *f, struct vq *d, bool event_idx, bool indirect, uint32_t cap)
{
	struct virtio_queue_cfg cfg;

	CU_ASSERT_FATAL(fg_pvq_init(f, &g, PSIZE) == 0);
	fg_pvq_cfg(f, &cfg);
	memset(d, 0, sizeof(*d));
	CU_ASSERT_FATAL(vq_init(d, &(struct vq_params){ .cfg = &cfg,
							.mem = g.map,
							.event_idx = event_idx,
							.indirect = indirect,
							.max_chain_len = cap,
							.name = "packed" }) == 0);
}

static void up(bool event_idx, bool indirect, uint32_t cap)
{
	CU_ASSERT_FATAL(fg_mem_init(&g) == 0);
	start(&pv, &q, event_idx, indirect, cap);
	start(&pv2, &q2, false, true, CAP);
}

static void down(void)
{
	fg_pvq_fini(&pv);
	fg_pvq_fini(&pv2);
	fg_mem_fini(&g);
}

static int pop(struct vq *d, struct vq_chain *c)
{
	c->iov = iov;
	c->iov_cap = MAXSEG;
	return vq_pop_chain(d, c);
}

/* Interrupts since the last call (fg_vq_calls() reads the same kind of eventfd). */
static uint64_t calls(const struct fg_pvq *f)
{
	struct fg_vq e = { .call_fd = f->call_fd };

	return fg_vq_calls(&e);
}

/* One chain of a readable and a writable buffer through @d, seen used by the driver. */
static void assert_works(struct fg_pvq *f, struct vq *d)
{
	struct fg_buf b[2] = { { fg_alloc(&g, 64, 8), 64, false },
			       { fg_alloc(&g, 64, 8), 64, true } };
	uint16_t id = fg_pvq_add(f, b, 2);
	struct vq_chain c;
	uint32_t uid, len;

	vq_burst_begin(d);
	CU_ASSERT_EQUAL_FATAL(pop(d, &c), 0);
	CU_ASSERT_EQUAL(c.head & 0xffff, id);
	CU_ASSERT_EQUAL(c.head >> 16, 2);
	CU_ASSERT_EQUAL(c.out_len, 64);
	CU_ASSERT_EQUAL(c.in_len, 64);
	vq_push_used(d, c.head, 7);
	vq_flush_used(d);
	CU_ASSERT_TRUE_FATAL(fg_pvq_get_used(f, &uid, &len));
	CU_ASSERT_EQUAL(uid, id);
	CU_ASSERT_EQUAL(len, 7);
	CU_ASSERT_FALSE(vq_is_broken(d));
}

/* The queue under test is broken; the bystander carries on. */
static void assert_broken_alone(void)
{
	struct vq_chain c;

	CU_ASSERT_TRUE(vq_is_broken(&q));
	CU_ASSERT_EQUAL(pop(&q, &c), -EIO);
	assert_works(&pv2, &q2);
}

static void test_laps(void)
{
	uint16_t base;

	up(false, false, CAP);
	/* Chains of two in a ring of five: every lap ends mid-chain at a different slot. */
	for (int i = 0; i < 40; i++)
		assert_works(&pv, &q);
	CU_ASSERT_EQUAL(calls(&pv), 40); /* the driver's event structure says ENABLE */
	/* 80 descriptors in: 16 laps, so the wrap counter is back at 1 and the index at 0. */
	base = vq_last_avail_idx(&q);
	CU_ASSERT_EQUAL(base, 0x8000);
	assert_works(&pv, &q);
	CU_ASSERT_EQUAL(vq_last_avail_idx(&q), 2 | 0x8000);
	assert_works(&pv, &q);
	assert_works(&pv, &q);
	CU_ASSERT_EQUAL(vq_last_avail_idx(&q), 1); /* past the end: wrap counter 0 */
	down();
}

static void test_unpop_across_the_end(void)
{
	struct fg_buf b = { 0x10000, 64, true };
	struct vq_chain c;
	uint32_t t1, t2;
	uint16_t id1, id2;

	up(false, false, CAP);
	assert_works(&pv, &q);
	assert_works(&pv, &q); /* four slots used: the next chain wraps */
	id1 = fg_pvq_add(&pv, &b, 1);
	id2 = fg_pvq_add(&pv, (struct fg_buf[]){ b, b }, 2);
	vq_burst_begin(&q);
	CU_ASSERT_EQUAL_FATAL(pop(&q, &c), 0);
	t1 = c.head;
	CU_ASSERT_EQUAL_FATAL(pop(&q, &c), 0);
	t2 = c.head;
	CU_ASSERT_EQUAL(t2 & 0xffff, id2);
	vq_unpop(&q, t2);
	vq_unpop(&q, t1);
	CU_ASSERT_EQUAL(vq_last_avail_idx(&q), 4 | 0x8000);
	CU_ASSERT_EQUAL_FATAL(pop(&q, &c), 0);
	CU_ASSERT_EQUAL(c.head, t1);
	CU_ASSERT_EQUAL(id1, 4);
	CU_ASSERT_EQUAL_FATAL(pop(&q, &c), 0);
	CU_ASSERT_EQUAL(c.head, t2);
	CU_ASSERT_EQUAL(pop(&q, &c), -EAGAIN);
	down();
}

static void test_indirect(void)
{
	struct fg_buf b[3] = { { 0x10000, 10, false },
			       { 0x20000, 20, true },
			       { 0x30000, 30, true } };
	struct vq_chain c;
	uint32_t id, len;

	up(false, true, CAP);
	fg_pvq_add_indirect(&pv, b, 3);
	CU_ASSERT_EQUAL_FATAL(pop(&q, &c), 0);
	CU_ASSERT_EQUAL(c.n_out, 1);
	CU_ASSERT_EQUAL(c.n_in, 2);
	CU_ASSERT_EQUAL(c.out_len, 10);
	CU_ASSERT_EQUAL(c.in_len, 50);
	CU_ASSERT_EQUAL(c.head >> 16, 1); /* one ring slot */
	vq_push_used(&q, c.head, 50);
	vq_flush_used(&q);
	CU_ASSERT_TRUE(fg_pvq_get_used(&pv, &id, &len));
	CU_ASSERT_EQUAL(len, 50);
	assert_works(&pv, &q);
	down();
}

/* A chain over the device's byte cap is refused and consumed; the queue goes on. */
static void test_over_cap(void)
{
	struct fg_buf big[2] = { { 0x10000, 4096, true }, { 0x20000, 4096, true } };
	struct vq_chain c;
	uint32_t id, len;

	up(false, false, 6000);
	fg_pvq_add(&pv, big, 2);
	CU_ASSERT_EQUAL(pop(&q, &c), -EMSGSIZE);
	vq_push_used(&q, c.head, 0);
	vq_flush_used(&q);
	CU_ASSERT_TRUE(fg_pvq_get_used(&pv, &id, &len));
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_FALSE(vq_is_broken(&q));
	assert_works(&pv, &q);
	down();
}

static void test_interrupt_suppression(void)
{
	up(true, false, CAP);
	pv.driver->flags = VRING_PACKED_EVENT_FLAG_DISABLE;
	assert_works(&pv, &q);
	CU_ASSERT_EQUAL(calls(&pv), 0);
	pv.driver->flags = VRING_PACKED_EVENT_FLAG_ENABLE;
	assert_works(&pv, &q);
	CU_ASSERT_EQUAL(calls(&pv), 1);
	/*
	 * DESC: interrupt once the used entry at slot 1 of the next lap is
	 * written.  Used entries so far at slots 0 and 2; the next chains' go to
	 * 4 (then the lap ends), 1 and 3.
	 */
	pv.driver->off_wrap = 1; /* slot 1, wrap counter 0 */
	pv.driver->flags = VRING_PACKED_EVENT_FLAG_DESC;
	assert_works(&pv, &q); /* slot 4 of lap 1: not yet */
	CU_ASSERT_EQUAL(calls(&pv), 0);
	assert_works(&pv, &q); /* slot 1 of lap 0: due */
	CU_ASSERT_EQUAL(calls(&pv), 1);
	assert_works(&pv, &q); /* past it: not again */
	CU_ASSERT_EQUAL(calls(&pv), 0);
	/*
	 * Interrupts off for more than a lap, then an event just ahead: the
	 * decision point moved on with every flush meanwhile (as DPDK's does),
	 * and the event fires when its entry is written.
	 */
	pv.driver->flags = VRING_PACKED_EVENT_FLAG_DISABLE;
	for (int i = 0; i < 4; i++)
		assert_works(&pv, &q); /* used entries at 0, 2, 4, 1: next at 3, lap 0 */
	CU_ASSERT_EQUAL(calls(&pv), 0);
	pv.driver->off_wrap = 3; /* slot 3, wrap counter 0 */
	pv.driver->flags = VRING_PACKED_EVENT_FLAG_DESC;
	assert_works(&pv, &q);
	CU_ASSERT_EQUAL(calls(&pv), 1);
	down();
}

static void test_kick_suppression(void)
{
	struct fg_buf b = { 0x10000, 64, true };

	up(false, false, CAP);
	CU_ASSERT_EQUAL(pv.device->flags, VRING_PACKED_EVENT_FLAG_ENABLE);
	vq_disable_notify(&q);
	CU_ASSERT_EQUAL(pv.device->flags, VRING_PACKED_EVENT_FLAG_DISABLE);
	CU_ASSERT_FALSE(vq_enable_notify(&q));
	CU_ASSERT_EQUAL(pv.device->flags, VRING_PACKED_EVENT_FLAG_ENABLE);
	fg_pvq_add(&pv, &b, 1);
	CU_ASSERT_TRUE(vq_enable_notify(&q)); /* work slipped in: do not sleep */
	CU_ASSERT_EQUAL(vq_avail_count(&q), 1);
	down();
}

/* Resuming where GET_VRING_BASE left off, wrap bit included. */
static void test_resume(void)
{
	struct virtio_queue_cfg cfg;
	uint16_t base;

	up(false, false, CAP);
	for (int i = 0; i < 3; i++)
		assert_works(&pv, &q); /* six slots: lap 1, index 1 */
	base = vq_last_avail_idx(&q);
	CU_ASSERT_EQUAL(base, 1);
	fg_pvq_cfg(&pv, &cfg);
	cfg.last_avail_idx = cfg.used_idx = base;
	CU_ASSERT_EQUAL_FATAL(vq_init(&q, &(struct vq_params){ .cfg = &cfg,
							       .mem = g.map,
							       .max_chain_len = CAP,
							       .name = "resumed" }),
			      0);
	assert_works(&pv, &q);
	/* An index past the ring is refused. */
	cfg.last_avail_idx = PSIZE;
	CU_ASSERT_EQUAL(vq_init(&q2, &(struct vq_params){ .cfg = &cfg, .mem = g.map }), -EINVAL);
	down();
}

/* ---- hostile drivers ---- */

/* Descriptors of the wrong lap are not available: nothing is taken, nothing breaks. */
static void test_wrong_lap(void)
{
	struct vq_chain c;

	up(false, false, CAP);
	pv.desc[0] = (struct vring_packed_desc){ .addr = 0x10000, .len = 64 };
	/* Both bits set in lap 1 (wrap 1): a used entry, not an available one. */
	pv.desc[0].flags = 1u << VRING_PACKED_DESC_F_AVAIL | 1u << VRING_PACKED_DESC_F_USED;
	CU_ASSERT_EQUAL(pop(&q, &c), -EAGAIN);
	/* Lap 0's available pattern while the device is in lap 1. */
	pv.desc[0].flags = 1u << VRING_PACKED_DESC_F_USED;
	CU_ASSERT_EQUAL(pop(&q, &c), -EAGAIN);
	CU_ASSERT_EQUAL(vq_avail_count(&q), 0);
	CU_ASSERT_FALSE(vq_is_broken(&q));
	memset(&pv.desc[0], 0, sizeof(pv.desc[0]));
	assert_works(&pv, &q);
	down();
}

static void test_id_out_of_range(void)
{
	struct fg_buf b = { 0x10000, 64, true };
	struct vq_chain c;
	uint16_t id;

	up(false, false, CAP);
	id = fg_pvq_add(&pv, &b, 1);
	pv.desc[id].id = PSIZE;
	CU_ASSERT_EQUAL(pop(&q, &c), -EIO);
	assert_broken_alone();
	down();
}

/* Every slot says NEXT: the chain would go round the ring for ever. */
static void test_chain_longer_than_ring(void)
{
	struct vq_chain c;
	uint16_t flags;

	up(false, false, CAP);
	flags = fg_pvq_avail_flags(&pv) | VRING_DESC_F_NEXT;
	for (int i = 0; i < PSIZE; i++)
		pv.desc[i] =
			(struct vring_packed_desc){ .addr = 0x10000, .len = 8, .flags = flags };
	CU_ASSERT_EQUAL(pop(&q, &c), -EIO);
	assert_broken_alone();
	down();
}

/* An indirect descriptor pointing at @table of @n entries (or @len bytes) breaks the queue. */
static void assert_bad_indirect(bool negotiated, const struct vring_packed_desc *table,
				unsigned int n, uint32_t len, uint16_t extra_flags)
{
	struct vq_chain c;
	uint64_t tgpa;

	up(false, negotiated, CAP);
	tgpa = fg_alloc(&g, 16ull * (n ? n : 1), 16);
	memcpy(fg_ptr(&g, tgpa), table, 16ull * n);
	pv.desc[0] = (struct vring_packed_desc){ .addr = tgpa, .len = len, .id = 0 };
	__atomic_store_n(&pv.desc[0].flags,
			 (uint16_t)(fg_pvq_avail_flags(&pv) | VRING_DESC_F_INDIRECT | extra_flags),
			 __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL(pop(&q, &c), -EIO);
	assert_broken_alone();
	down();
}

static void test_bad_indirect(void)
{
	struct vring_packed_desc t[2] = {
		{ .addr = 0x10000, .len = 8 },
		{ .addr = 0x20000, .len = 16, .flags = VRING_DESC_F_INDIRECT }
	};
	struct vring_packed_desc ok = { .addr = 0x10000, .len = 8 };

	assert_bad_indirect(true, t, 2, 32, 0); /* nested */
	assert_bad_indirect(true, &ok, 1, 16, VRING_DESC_F_NEXT); /* with NEXT */
	assert_bad_indirect(true, &ok, 1, 12, 0); /* not a multiple of 16 bytes */
	assert_bad_indirect(false, &ok, 1, 16, 0); /* not negotiated */
	assert_bad_indirect(true, &ok, 1, 16 * (PSIZE + 1), 0); /* longer than the ring */
}

static void test_buffer_in_hole(void)
{
	struct fg_buf b = { FG_HOLE_GPA + 16, 64, true };
	struct vq_chain c;

	up(false, false, CAP);
	fg_pvq_add(&pv, &b, 1);
	CU_ASSERT_EQUAL(pop(&q, &c), -EIO);
	assert_broken_alone();
	down();
}

static void test_readable_after_writable(void)
{
	struct fg_buf b[2] = { { 0x10000, 64, true }, { 0x20000, 64, false } };
	struct vq_chain c;

	up(false, false, CAP);
	fg_pvq_add(&pv, b, 2);
	CU_ASSERT_EQUAL(pop(&q, &c), -EIO);
	assert_broken_alone();
	down();
}

CU_TestInfo vq_packed_tests[] = {
	{ "laps of a ring of 5", test_laps },
	{ "chains given back across the end", test_unpop_across_the_end },
	{ "indirect table", test_indirect },
	{ "chain over the byte cap", test_over_cap },
	{ "interrupt suppression", test_interrupt_suppression },
	{ "kick suppression", test_kick_suppression },
	{ "resume with the wrap bit", test_resume },
	CU_TEST_INFO_NULL,
};

CU_TestInfo vq_packed_hostile_tests[] = {
	{ "descriptors of the wrong lap", test_wrong_lap },
	{ "buffer id out of range", test_id_out_of_range },
	{ "chain longer than the ring", test_chain_longer_than_ring },
	{ "bad indirect tables", test_bad_indirect },
	{ "buffer in a hole", test_buffer_in_hole },
	{ "readable after writable", test_readable_after_writable },
	CU_TEST_INFO_NULL,
};
