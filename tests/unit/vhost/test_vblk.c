/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_vblk.c - the virtio-blk device (vhost/blk.c) driven through its ops
 * table by the fake guest's split ring, on an image file with a known
 * pattern: reads, writes, flush, get-id, discard and write-zeroes land where
 * they should; hostile requests (ranges past the end or overflowing, odd
 * lengths, short headers, unknown types, too many ranges, writes to a
 * read-only disk, no status byte, random headers) get an error status or
 * break the queue, and never touch bytes outside the disk or the buffers.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_guest.h"
#include "harness.h"
#include "vhost/blk.h"

#define QSIZE 64
#define SECTORS 2048 /* a 1 MiB image */
#define FEATURES                                                                \
	((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_BLK_F_FLUSH) |          \
	 (1ull << VIRTIO_BLK_F_DISCARD) | (1ull << VIRTIO_BLK_F_WRITE_ZEROES) | \
	 (1ull << VIRTIO_BLK_F_SEG_MAX))

static struct fg_mem g;
static struct fg_vq q;
static struct vblk *blk;
static struct virtio_dev *vdev;
static char image[64];
static int img_fd;
static int resets;

static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off * 7 + (off >> 9));
}

static void on_needs_reset(struct virtio_dev *d)
{
	(void)d;
	resets++;
}

static void dev_up(bool readonly)
{
	static uint8_t buf[SECTORS * 512];
	struct virtio_queue_cfg cfg;

	for (uint64_t i = 0; i < sizeof(buf); i++)
		buf[i] = pattern(i);
	snprintf(image, sizeof(image), "/tmp/ferry-vblk-XXXXXX");
	img_fd = mkstemp(image);
	CU_ASSERT_FATAL(img_fd >= 0);
	CU_ASSERT_FATAL(pwrite(img_fd, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf));
	CU_ASSERT_FATAL(fg_mem_init(&g) == 0);
	blk = vblk_create(
		&(struct vblk_params){ .name = "t-disk", .path = image, .readonly = readonly });
	CU_ASSERT_PTR_NOT_NULL_FATAL(blk);
	CU_ASSERT_EQUAL(vblk_capacity(blk), SECTORS);
	vdev = vblk_virtio_dev(blk);
	vdev->mem = g.map;
	vdev->needs_reset = on_needs_reset;
	resets = 0;
	CU_ASSERT_EQUAL_FATAL(vdev->ops->set_features(vdev, FEATURES), 0);
	CU_ASSERT_EQUAL_FATAL(fg_vq_init(&q, &g, QSIZE), 0);
	fg_vq_cfg(&q, &cfg);
	CU_ASSERT_EQUAL_FATAL(vdev->ops->queue_start(vdev, 0, &cfg), 0);
}

static void dev_down(void)
{
	vdev->ops->reset(vdev);
	vblk_destroy(blk);
	fg_vq_fini(&q);
	fg_mem_fini(&g);
	close(img_fd);
	unlink(image);
}

/* Kick the device and wait (at most 5 s) for the next used element. */
static bool wait_used(uint32_t *len)
{
	uint64_t one = 1;
	uint32_t id;

	CU_ASSERT(write(q.kick_fd, &one, sizeof(one)) == sizeof(one));
	for (int i = 0; i < 5000; i++) {
		if (fg_vq_get_used(&q, &id, len))
			return true;
		poll(NULL, 0, 1);
	}
	return false;
}

struct req {
	uint32_t type;
	uint64_t sector;
	uint32_t data_len; /* bytes in the data buffer (0: none) */
	bool data_write; /* the device writes the data buffer (a read) */
	uint32_t hdr_len; /* 16 normally */
	bool no_status;
};

/*
 * Submit @r: its data buffer's address in *@data; the status, -1 when it
 * never completed, -2 when it completed without a status descriptor.
 */
static int submit(const struct req *r, uint64_t *data, uint32_t *used_len)
{
	uint64_t hdr = fg_alloc(&g, 16, 16), st = fg_alloc(&g, 1, 1);
	struct fg_buf b[3];
	unsigned int n = 0;
	uint8_t *h = fg_ptr(&g, hdr);
	uint32_t len;

	memcpy(h, &r->type, 4);
	memset(h + 4, 0, 4);
	memcpy(h + 8, &r->sector, 8);
	b[n++] = (struct fg_buf){ hdr, r->hdr_len ? r->hdr_len : 16, false };
	*data = r->data_len ? fg_alloc(&g, r->data_len, 16) : 0;
	if (r->data_len)
		b[n++] = (struct fg_buf){ *data, r->data_len, r->data_write };
	*(uint8_t *)fg_ptr(&g, st) = 0xee;
	if (!r->no_status)
		b[n++] = (struct fg_buf){ st, 1, true };
	fg_vq_add(&q, b, n);
	if (!wait_used(&len))
		return -1;
	if (used_len)
		*used_len = len;
	return r->no_status ? -2 : *(uint8_t *)fg_ptr(&g, st);
}

static void reset_alloc(void)
{
	g.next_gpa = 0x40000; /* past the rings */
}

static void test_vblk_io(void)
{
	uint64_t data;
	uint32_t len;
	uint8_t *p, file[1024];
	bool same = true;

	dev_up(false);
	reset_alloc();
	/* Read 2 sectors at sector 3: the pattern, and 1024 + status bytes written. */
	CU_ASSERT_EQUAL(submit(&(struct req){ VIRTIO_BLK_T_IN, 3, 1024, true, 0, false }, &data,
			       &len),
			VIRTIO_BLK_S_OK);
	CU_ASSERT_EQUAL(len, 1025);
	p = fg_ptr(&g, data);
	for (unsigned int i = 0; i < 1024; i++)
		same &= p[i] == pattern(3 * 512 + i);
	CU_ASSERT(same);
	/* Write sector 10 from a buffer of 0x5a, then the file holds it. */
	reset_alloc();
	data = 0;
	{
		uint64_t hdr = fg_alloc(&g, 16, 16), buf = fg_alloc(&g, 512, 16),
			 st = fg_alloc(&g, 1, 1);
		uint32_t type = VIRTIO_BLK_T_OUT;
		uint64_t sector = 10;

		memcpy(fg_ptr(&g, hdr), &type, 4);
		memcpy((uint8_t *)fg_ptr(&g, hdr) + 8, &sector, 8);
		memset(fg_ptr(&g, buf), 0x5a, 512);
		fg_vq_add(&q,
			  (struct fg_buf[]){
				  { hdr, 16, false }, { buf, 512, false }, { st, 1, true } },
			  3);
		CU_ASSERT(wait_used(&len));
		CU_ASSERT_EQUAL(*(uint8_t *)fg_ptr(&g, st), VIRTIO_BLK_S_OK);
		CU_ASSERT_EQUAL(len, 1);
	}
	CU_ASSERT_EQUAL(pread(img_fd, file, 512, 10 * 512), 512);
	CU_ASSERT(file[0] == 0x5a && file[511] == 0x5a);
	CU_ASSERT_EQUAL(pread(img_fd, file, 1, 11 * 512), 1);
	CU_ASSERT_EQUAL(file[0], pattern(11 * 512)); /* the next sector untouched */
	/* Flush, and the serial. */
	reset_alloc();
	CU_ASSERT_EQUAL(submit(&(struct req){ VIRTIO_BLK_T_FLUSH, 0, 0, false, 0, false }, &data,
			       NULL),
			VIRTIO_BLK_S_OK);
	CU_ASSERT_EQUAL(submit(&(struct req){ VIRTIO_BLK_T_GET_ID, 0, 20, true, 0, false }, &data,
			       &len),
			VIRTIO_BLK_S_OK);
	CU_ASSERT(memcmp(fg_ptr(&g, data), "t-disk\0", 7) == 0);
	dev_down();
}

static void test_vblk_discard_zeroes(void)
{
	struct virtio_blk_discard_write_zeroes seg = { .sector = 100, .num_sectors = 8 };
	uint64_t hdr, buf, st;
	uint32_t type, len;
	uint8_t file[4096];
	bool zero = true;

	dev_up(false);
	for (int round = 0; round < 4; round++) {
		reset_alloc();
		hdr = fg_alloc(&g, 16, 16);
		buf = fg_alloc(&g, 32, 16);
		st = fg_alloc(&g, 1, 1);
		type = round % 2 ? VIRTIO_BLK_T_DISCARD : VIRTIO_BLK_T_WRITE_ZEROES;
		memset(fg_ptr(&g, hdr), 0, 16);
		memcpy(fg_ptr(&g, hdr), &type, 4);
		seg.sector = round < 2 ? 100 : SECTORS - 4; /* rounds 2, 3: past the end */
		memcpy(fg_ptr(&g, buf), &seg, sizeof(seg));
		memcpy((uint8_t *)fg_ptr(&g, buf) + 16, &seg, sizeof(seg));
		fg_vq_add(&q,
			  (struct fg_buf[]){ { hdr, 16, false },
					     { buf, (uint32_t)sizeof(seg), false },
					     { st, 1, true } },
			  3);
		CU_ASSERT(wait_used(&len));
		CU_ASSERT_EQUAL(*(uint8_t *)fg_ptr(&g, st),
				round < 2 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR);
	}
	CU_ASSERT_EQUAL(pread(img_fd, file, sizeof(file), 100 * 512), (ssize_t)sizeof(file));
	for (unsigned int i = 0; i < sizeof(file); i++)
		zero &= file[i] == 0;
	CU_ASSERT(zero);
	/* Two ranges where one is offered: unsupported. */
	reset_alloc();
	hdr = fg_alloc(&g, 16, 16);
	buf = fg_alloc(&g, 32, 16);
	st = fg_alloc(&g, 1, 1);
	type = VIRTIO_BLK_T_DISCARD;
	memset(fg_ptr(&g, hdr), 0, 16);
	memcpy(fg_ptr(&g, hdr), &type, 4);
	fg_vq_add(&q, (struct fg_buf[]){ { hdr, 16, false }, { buf, 32, false }, { st, 1, true } },
		  3);
	CU_ASSERT(wait_used(&len));
	CU_ASSERT_EQUAL(*(uint8_t *)fg_ptr(&g, st), VIRTIO_BLK_S_UNSUPP);
	dev_down();
}

static void test_vblk_hostile(void)
{
	static const struct {
		struct req r;
		int want;
	} cases[] = {
		{ { VIRTIO_BLK_T_IN, SECTORS - 1, 1024, true, 0, false }, VIRTIO_BLK_S_IOERR },
		{ { VIRTIO_BLK_T_IN, SECTORS, 512, true, 0, false }, VIRTIO_BLK_S_IOERR },
		{ { VIRTIO_BLK_T_IN, UINT64_MAX, 512, true, 0, false }, VIRTIO_BLK_S_IOERR },
		{ { VIRTIO_BLK_T_IN, 1ull << 55, 512, true, 0, false }, VIRTIO_BLK_S_IOERR },
		{ { VIRTIO_BLK_T_OUT, UINT64_MAX - 1, 1024, false, 0, false }, VIRTIO_BLK_S_IOERR },
		{ { VIRTIO_BLK_T_IN, 0, 100, true, 0, false }, VIRTIO_BLK_S_IOERR },
		{ { VIRTIO_BLK_T_IN, 0, 512, true, 8, false }, VIRTIO_BLK_S_IOERR },
		{ { 77, 0, 512, true, 0, false }, VIRTIO_BLK_S_UNSUPP },
		{ { VIRTIO_BLK_T_IN, SECTORS - 1, 512, true, 0, false }, VIRTIO_BLK_S_OK },
	};
	uint64_t data;
	uint8_t last[512];

	dev_up(false);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		reset_alloc();
		CU_ASSERT_EQUAL(submit(&cases[i].r, &data, NULL), cases[i].want);
	}
	/* Nothing past the image was written by the OUT at UINT64_MAX - 1. */
	CU_ASSERT_EQUAL(lseek(img_fd, 0, SEEK_END), SECTORS * 512);
	CU_ASSERT_EQUAL(pread(img_fd, last, 512, (SECTORS - 1) * 512), 512);
	CU_ASSERT_EQUAL(last[0], pattern((SECTORS - 1) * 512));
	/*
	 * The status is the last writable byte, wherever it is: a read whose
	 * status descriptor is missing ends its data one byte short (an error).
	 * With no writable byte at all the queue breaks and the transport is told.
	 */
	reset_alloc();
	CU_ASSERT_EQUAL(
		submit(&(struct req){ VIRTIO_BLK_T_IN, 0, 512, true, 0, true }, &data, NULL), -2);
	CU_ASSERT_EQUAL(((uint8_t *)fg_ptr(&g, data))[511], VIRTIO_BLK_S_IOERR);
	CU_ASSERT_EQUAL(resets, 0);
	reset_alloc();
	CU_ASSERT_EQUAL(
		submit(&(struct req){ VIRTIO_BLK_T_OUT, 0, 512, false, 0, true }, &data, NULL), -1);
	CU_ASSERT_EQUAL(resets, 1);
	dev_down();
}

static void test_vblk_readonly(void)
{
	uint64_t data;

	dev_up(true);
	CU_ASSERT(vdev->ops->get_features(vdev) & (1ull << VIRTIO_BLK_F_RO));
	reset_alloc();
	CU_ASSERT_EQUAL(submit(&(struct req){ VIRTIO_BLK_T_OUT, 0, 512, false, 0, false }, &data,
			       NULL),
			VIRTIO_BLK_S_IOERR);
	CU_ASSERT_EQUAL(submit(&(struct req){ VIRTIO_BLK_T_IN, 0, 512, true, 0, false }, &data,
			       NULL),
			VIRTIO_BLK_S_OK);
	dev_down();
}

/* Random headers and lengths: every request completes with some status, the image keeps its size. */
static void test_vblk_random(void)
{
	unsigned int seed = 99;
	uint64_t data;
	int done = 0;

	dev_up(false);
	for (int i = 0; i < 2000; i++) {
		struct req r = {
			.type = (uint32_t)(rand_r(&seed) % 16),
			.sector = (uint64_t)rand_r(&seed) % 4 == 0 ?
					  (uint64_t)rand_r(&seed) << 33 :
					  (uint64_t)rand_r(&seed) % (SECTORS + 8),
			.data_len =
				(uint32_t)(rand_r(&seed) % 3) * 512 + (uint32_t)(rand_r(&seed) % 2),
			.data_write = rand_r(&seed) & 1,
			.hdr_len = rand_r(&seed) % 8 == 0 ? 12 : 16,
		};

		if (r.type == VIRTIO_BLK_T_DISCARD || r.type == VIRTIO_BLK_T_WRITE_ZEROES)
			r.data_len = 16; /* a range of whatever the buffer held */
		reset_alloc();
		done += submit(&r, &data, NULL) >= 0;
	}
	CU_ASSERT_EQUAL(done, 2000);
	CU_ASSERT_EQUAL(resets, 0);
	CU_ASSERT_EQUAL(lseek(img_fd, 0, SEEK_END), SECTORS * 512);
	dev_down();
}

static void test_vblk_open_errors(void)
{
	CU_ASSERT_PTR_NULL(
		vblk_create(&(struct vblk_params){ .name = "x", .path = "/nonexistent" }));
	CU_ASSERT_PTR_NULL(vblk_create(&(struct vblk_params){ .name = "x", .path = "/tmp" }));
	/* A second writer of the same image is refused (the first holds its lock). */
	dev_up(false);
	CU_ASSERT_PTR_NULL(vblk_create(&(struct vblk_params){ .name = "y", .path = image }));
	dev_down();
}

static CU_TestInfo vblk_tests[] = {
	{ "read, write, flush, get-id", test_vblk_io },
	{ "discard and write-zeroes", test_vblk_discard_zeroes },
	{ "hostile requests", test_vblk_hostile },
	{ "read-only disk", test_vblk_readonly },
	{ "random headers", test_vblk_random },
	{ "bad images", test_vblk_open_errors },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "virtio-blk", NULL, NULL, NULL, NULL, vblk_tests },
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	return cunit_run(suites);
}
