/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iov.h - a cursor over the iovec array of a popped chain (vhost/virtq.h), for
 * the devices' copy loops (vhost/net_*.c).  Copies move bytes only: whatever
 * they read from guest memory is data, never trusted structure, and they
 * never go past the segments the chain walker translated and length-checked.
 *
 * Static inline because they sit in every packet's copy loop.
 */
#ifndef FERRY_VHOST_IOV_H
#define FERRY_VHOST_IOV_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

struct iov_iter {
	const struct iovec *iov; /* segments */
	uint32_t n; /* number of segments */
	uint32_t idx; /* current segment */
	size_t off; /* offset into the current segment */
};

static inline void iov_iter_init(struct iov_iter *it, const struct iovec *iov, uint32_t n)
{
	it->iov = iov;
	it->n = n;
	it->idx = 0;
	it->off = 0;
}

/* Bytes the cursor may touch in the current segment (0 at the end), moving past empty ones. */
static inline size_t iov_iter_seg(struct iov_iter *it)
{
	while (it->idx < it->n && it->off == it->iov[it->idx].iov_len) {
		it->idx++;
		it->off = 0;
	}
	return it->idx < it->n ? it->iov[it->idx].iov_len - it->off : 0;
}

static inline void *iov_iter_ptr(const struct iov_iter *it)
{
	return (uint8_t *)it->iov[it->idx].iov_base + it->off;
}

/* Copy up to @len bytes out of the segments into @dst; returns the bytes copied. */
static inline size_t iov_iter_copy_from(struct iov_iter *it, void *dst, size_t len)
{
	size_t done = 0, seg;

	while (done < len && (seg = iov_iter_seg(it)) > 0) {
		if (seg > len - done)
			seg = len - done;
		memcpy((uint8_t *)dst + done, iov_iter_ptr(it), seg);
		it->off += seg;
		done += seg;
	}
	return done;
}

/* Copy up to @len bytes of @src into the segments; returns the bytes copied. */
static inline size_t iov_iter_copy_to(struct iov_iter *it, const void *src, size_t len)
{
	size_t done = 0, seg;

	while (done < len && (seg = iov_iter_seg(it)) > 0) {
		if (seg > len - done)
			seg = len - done;
		memcpy(iov_iter_ptr(it), (const uint8_t *)src + done, seg);
		it->off += seg;
		done += seg;
	}
	return done;
}

/* Move forward up to @len bytes; returns the bytes skipped. */
static inline size_t iov_iter_skip(struct iov_iter *it, size_t len)
{
	size_t done = 0, seg;

	while (done < len && (seg = iov_iter_seg(it)) > 0) {
		if (seg > len - done)
			seg = len - done;
		it->off += seg;
		done += seg;
	}
	return done;
}

#endif
