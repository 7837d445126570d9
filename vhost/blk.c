/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * blk.c - the virtio-blk device of blk.h.
 *
 * One request queue, served by an I/O thread that exists while the queue
 * runs (vq_worker.h): it sleeps on the kick eventfd, drains the ring with
 * notifications off, and publishes completions once per burst.  Requests
 * complete in order on that thread, with blocking preadv/pwritev/fdatasync/
 * fallocate on the image: simple, and a slow disk stalls only its own VM's
 * queue.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/compiler.h"
#include "util/log.h"
#include "vhost/blk.h"
#include "vhost/iov.h"
#include "vhost/virtq.h"
#include "vhost/vq_worker.h"

#define BIT(b) (1ull << (b))
#define VBLK_FEATURES                                                                       \
	(BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_RING_F_EVENT_IDX) |                           \
	 BIT(VIRTIO_RING_F_INDIRECT_DESC) | BIT(VIRTIO_BLK_F_SEG_MAX) |                     \
	 BIT(VIRTIO_BLK_F_BLK_SIZE) | BIT(VIRTIO_BLK_F_FLUSH) | BIT(VIRTIO_BLK_F_DISCARD) | \
	 BIT(VIRTIO_BLK_F_WRITE_ZEROES))
#define HDR_LEN 16 /* struct virtio_blk_outhdr */
#define IOV_CAP (VBLK_SEG_MAX + 2) /* data segments, the header and the status byte */
#define DWZ_MAX_SEG 1 /* discard / write-zeroes ranges per request */
#define DWZ_MAX_SECTORS (1u << 22) /* 2 GiB a range */

struct vblk {
	struct virtio_dev vdev;
	char name[32];
	char serial[VIRTIO_BLK_ID_BYTES];
	int fd;
	bool readonly;
	uint64_t capacity; /* sectors */
	uint64_t acked;
	struct vq vq;
	struct vq_worker w; /* the I/O thread */
};

static struct vblk *to_blk(struct virtio_dev *vdev)
{
	return container_of(vdev, struct vblk, vdev);
}

/* ---- one request ---- */

/* All of @len bytes at @off, looping over short transfers; 0 or -errno. */
static int blk_rw(struct vblk *b, struct iovec *iov, int n, uint64_t off, size_t len, bool wr)
{
	while (len > 0) {
		ssize_t r = wr ? pwritev(b->fd, iov, n, (off_t)off) :
				 preadv(b->fd, iov, n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO; /* 0: the image shrank under us */
		len -= (size_t)r;
		off += (uint64_t)r;
		/* Skip what was moved; the iovecs are our copies, not the guest's. */
		while (n > 0 && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return 0;
}

/* Is [sector, sector + bytes/512) inside the disk, bytes a whole number of sectors? */
static bool blk_range_ok(const struct vblk *b, uint64_t sector, uint64_t bytes)
{
	uint64_t n = bytes / VBLK_SECTOR;

	return bytes % VBLK_SECTOR == 0 && sector <= b->capacity && n <= b->capacity - sector;
}

/* The data segments of @c: @skip bytes in (the header), @trim off the end (status). */
static int blk_data_iov(const struct vq_chain *c, uint16_t first, uint16_t count, size_t skip,
			size_t trim, struct iovec *out, size_t *len)
{
	int n = 0;

	*len = 0;
	for (uint16_t i = first; i < first + count; i++) {
		struct iovec v = c->iov[i];

		if (skip) {
			size_t s = MIN(skip, v.iov_len);

			v.iov_base = (uint8_t *)v.iov_base + s;
			v.iov_len -= s;
			skip -= s;
		}
		if (i == first + count - 1)
			v.iov_len -= MIN(trim, v.iov_len);
		if (v.iov_len) {
			out[n++] = v;
			*len += v.iov_len;
		}
	}
	return n;
}

static uint8_t blk_read_write(struct vblk *b, const struct vq_chain *c, uint64_t sector, bool wr,
			      uint32_t *written)
{
	struct iovec data[IOV_CAP];
	size_t len;
	int n, ret;

	if (wr && b->readonly)
		return VIRTIO_BLK_S_IOERR;
	n = wr ? blk_data_iov(c, 0, c->n_out, HDR_LEN, 0, data, &len) :
		 blk_data_iov(c, c->n_out, c->n_in, 0, 1, data, &len);
	if (!blk_range_ok(b, sector, len) || len > VBLK_MAX_REQ)
		return VIRTIO_BLK_S_IOERR;
	ret = len ? blk_rw(b, data, n, sector * VBLK_SECTOR, len, wr) : 0;
	if (ret) {
		LOG_RL(LOG_LVL_WARN, "vblk", "%s: %s of %zu bytes at sector %llu: %s", b->name,
		       wr ? "write" : "read", len, (unsigned long long)sector, strerror(-ret));
		return VIRTIO_BLK_S_IOERR;
	}
	if (!wr)
		*written += (uint32_t)len;
	return VIRTIO_BLK_S_OK;
}

/* Discard (a hint: the range may read back as anything) or write zeroes. */
static uint8_t blk_dwz(struct vblk *b, const struct vq_chain *c, bool zeroes)
{
	struct virtio_blk_discard_write_zeroes seg;
	struct iov_iter it;
	off_t off, len;
	int ret;

	if (b->readonly)
		return VIRTIO_BLK_S_IOERR;
	if (c->out_len != HDR_LEN + DWZ_MAX_SEG * sizeof(seg))
		return VIRTIO_BLK_S_UNSUPP; /* more ranges than max_*_seg offered, or none */
	iov_iter_init(&it, c->iov, c->n_out);
	iov_iter_skip(&it, HDR_LEN);
	iov_iter_copy_from(&it, &seg, sizeof(seg));
	if (seg.num_sectors > DWZ_MAX_SECTORS || seg.flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP ||
	    (!zeroes && seg.flags) ||
	    !blk_range_ok(b, seg.sector, (uint64_t)seg.num_sectors * VBLK_SECTOR))
		return VIRTIO_BLK_S_IOERR;
	off = (off_t)(seg.sector * VBLK_SECTOR);
	len = (off_t)seg.num_sectors * VBLK_SECTOR;
	if (!zeroes) {
		/* A hint: a file system that cannot punch holes still did a valid discard. */
		fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len);
		return VIRTIO_BLK_S_OK;
	}
	ret = -1;
	if (!(seg.flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP))
		ret = fallocate(b->fd, FALLOC_FL_ZERO_RANGE, off, len);
	/* Unmap allowed, or no ZERO_RANGE here: a hole reads back as zeroes too. */
	if (ret < 0)
		ret = fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len);
	if (ret < 0)
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}

/* Serve one chain; the status byte goes last, into the final writable byte. */
static void blk_request(void *arg, const struct vq_chain *c)
{
	struct vblk *b = arg;
	struct virtio_blk_outhdr hdr;
	struct iov_iter it;
	uint32_t written = 1; /* the status byte */
	uint8_t status = VIRTIO_BLK_S_IOERR, *sp;
	const struct iovec *last;

	if (!c->n_in || !c->in_len) {
		/* Nowhere to put a status: the driver broke the protocol. */
		vq_mark_broken(&b->vq, "%s: a request without a status byte", b->name);
		return;
	}
	last = &c->iov[c->n_out + c->n_in - 1];
	sp = (uint8_t *)last->iov_base + last->iov_len - 1;
	iov_iter_init(&it, c->iov, c->n_out);
	if (iov_iter_copy_from(&it, &hdr, HDR_LEN) == HDR_LEN) {
		switch (hdr.type) {
		case VIRTIO_BLK_T_IN:
		case VIRTIO_BLK_T_OUT:
			status = blk_read_write(b, c, hdr.sector, hdr.type == VIRTIO_BLK_T_OUT,
						&written);
			break;
		case VIRTIO_BLK_T_FLUSH:
			status = fdatasync(b->fd) ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
			break;
		case VIRTIO_BLK_T_GET_ID: {
			struct iovec data[IOV_CAP];
			size_t len;
			int n = blk_data_iov(c, c->n_out, c->n_in, 0, 1, data, &len);
			struct iov_iter out;

			iov_iter_init(&out, data, (uint32_t)n);
			written += (uint32_t)iov_iter_copy_to(&out, b->serial, sizeof(b->serial));
			status = VIRTIO_BLK_S_OK;
			break;
		}
		case VIRTIO_BLK_T_DISCARD:
		case VIRTIO_BLK_T_WRITE_ZEROES:
			status = blk_dwz(b, c, hdr.type == VIRTIO_BLK_T_WRITE_ZEROES);
			break;
		default:
			status = VIRTIO_BLK_S_UNSUPP;
		}
	}
	*sp = status;
	vq_push_used(&b->vq, c->head, written);
}

/* ---- control ops ---- */

static uint16_t blk_num_queues(struct virtio_dev *vdev)
{
	(void)vdev;
	return 1;
}

static uint16_t blk_max_queue_size(struct virtio_dev *vdev, uint16_t qidx)
{
	(void)vdev;
	return qidx == 0 ? VBLK_QUEUE_SIZE : 0;
}

static uint64_t blk_get_features(struct virtio_dev *vdev)
{
	struct vblk *b = to_blk(vdev);

	return VBLK_FEATURES | (b->readonly ? BIT(VIRTIO_BLK_F_RO) : 0);
}

static int blk_set_features(struct virtio_dev *vdev, uint64_t features)
{
	struct vblk *b = to_blk(vdev);

	if (features & ~blk_get_features(vdev) || !(features & BIT(VIRTIO_F_VERSION_1)))
		return -EINVAL;
	b->acked = features;
	return 0;
}

static uint32_t blk_config_size(struct virtio_dev *vdev)
{
	(void)vdev;
	return sizeof(struct virtio_blk_config);
}

static void blk_config_read(struct virtio_dev *vdev, uint32_t off, void *buf, uint32_t len)
{
	struct vblk *b = to_blk(vdev);
	struct virtio_blk_config cfg = {
		.capacity = b->capacity,
		.seg_max = VBLK_SEG_MAX,
		.blk_size = VBLK_SECTOR,
		.max_discard_sectors = DWZ_MAX_SECTORS,
		.max_discard_seg = DWZ_MAX_SEG,
		.discard_sector_alignment = 4096 / VBLK_SECTOR,
		.max_write_zeroes_sectors = DWZ_MAX_SECTORS,
		.max_write_zeroes_seg = DWZ_MAX_SEG,
		.write_zeroes_may_unmap = 1,
	};

	virtio_config_read_struct(&cfg, sizeof(cfg), off, buf, len);
}

static void blk_config_write(struct virtio_dev *vdev, uint32_t off, const void *buf, uint32_t len)
{
	/* Nothing is writable without CONFIG_WCE, which is not offered. */
	(void)vdev;
	(void)off;
	(void)buf;
	(void)len;
}

static void blk_queue_broken(void *arg)
{
	struct vblk *b = arg;

	if (b->vdev.needs_reset)
		b->vdev.needs_reset(&b->vdev);
}

static int blk_queue_start(struct virtio_dev *vdev, uint16_t qidx,
			   const struct virtio_queue_cfg *cfg)
{
	struct vblk *b = to_blk(vdev);
	char name[40];
	int ret;

	if (qidx != 0 || cfg->size > VBLK_QUEUE_SIZE || !vdev->mem)
		return -EINVAL;
	if (atomic_load(&b->w.running))
		return -EBUSY;
	snprintf(name, sizeof(name), "%s q0", b->name);
	ret = vq_init(&b->vq, &(struct vq_params){
				      .cfg = cfg,
				      .mem = vdev->mem,
				      .event_idx = b->acked & BIT(VIRTIO_RING_F_EVENT_IDX),
				      .indirect = b->acked & BIT(VIRTIO_RING_F_INDIRECT_DESC),
				      .max_chain_len = HDR_LEN + VBLK_MAX_REQ + 1,
				      .name = name,
				      .on_broken = blk_queue_broken,
				      .on_broken_arg = b,
			      });
	return ret ? ret : vq_worker_start(&b->w);
}

int vblk_poll(struct vblk *b)
{
	return vq_worker_poll(&b->w);
}

static uint16_t blk_queue_stop(struct virtio_dev *vdev, uint16_t qidx)
{
	struct vblk *b = to_blk(vdev);

	if (qidx != 0)
		return 0;
	vq_worker_stop(&b->w);
	/* Every request taken was completed and flushed: resume here. */
	return vq_last_avail_idx(&b->vq);
}

static void blk_queue_set_call_fd(struct virtio_dev *vdev, uint16_t qidx, int call_fd)
{
	if (qidx == 0)
		vq_set_call_fd(&to_blk(vdev)->vq, call_fd);
}

static void blk_reset(struct virtio_dev *vdev)
{
	struct vblk *b = to_blk(vdev);

	blk_queue_stop(vdev, 0);
	b->vq.last_avail_idx = 0;
	b->acked = 0;
}

static const struct virtio_dev_ops vblk_ops = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.num_queues = blk_num_queues,
	.max_queue_size = blk_max_queue_size,
	.get_features = blk_get_features,
	.set_features = blk_set_features,
	.config_size = blk_config_size,
	.config_read = blk_config_read,
	.config_write = blk_config_write,
	.queue_start = blk_queue_start,
	.queue_stop = blk_queue_stop,
	.queue_set_call_fd = blk_queue_set_call_fd,
	.reset = blk_reset,
};

/* ---- life cycle ---- */

static int blk_open(struct vblk *b, const struct vblk_params *p)
{
	uint64_t size = 0;
	struct stat st;

	b->fd = open(p->path, (p->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0) {
		LOG_ERR("vblk", "%s: cannot open image '%s': %s", b->name, p->path,
			strerror(errno));
		return -errno;
	}
	/* A shared lock for readers, an exclusive one for a writer, as QEMU locks images. */
	if (flock(b->fd, (p->readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		LOG_ERR("vblk", "%s: image '%s' is in use by another writer (%s)", b->name, p->path,
			strerror(errno));
		return -EBUSY;
	}
	/* A regular file, or a block device (a partition, an LVM volume). */
	if (fstat(b->fd, &st) < 0)
		size = 0;
	else if (S_ISREG(st.st_mode))
		size = (uint64_t)st.st_size;
	else if (!S_ISBLK(st.st_mode) || ioctl(b->fd, BLKGETSIZE64, &size))
		size = 0;
	if (size < VBLK_SECTOR) {
		LOG_ERR("vblk",
			"%s: '%s' is not a regular file or block device of at least 512 bytes",
			b->name, p->path);
		return -EINVAL;
	}
	b->capacity = size / VBLK_SECTOR;
	return 0;
}

struct vblk *vblk_create(const struct vblk_params *p)
{
	struct vblk *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->vdev.ops = &vblk_ops;
	b->fd = -1;
	b->readonly = p->readonly;
	snprintf(b->name, sizeof(b->name), "%s", p->name ? p->name : "vblk");
	/* The serial is not a C string: exactly 20 bytes, NUL-padded if shorter. */
	memcpy(b->serial, p->serial ? p->serial : b->name,
	       MIN(sizeof(b->serial), strlen(p->serial ? p->serial : b->name)));
	if (vq_worker_init(&b->w, &b->vq, blk_request, b, IOV_CAP, p->manual) || blk_open(b, p)) {
		vblk_destroy(b);
		return NULL;
	}
	return b;
}

void vblk_destroy(struct vblk *b)
{
	if (!b)
		return;
	vq_worker_fini(&b->w);
	if (b->fd >= 0)
		close(b->fd);
	free(b);
}

struct virtio_dev *vblk_virtio_dev(struct vblk *b)
{
	return &b->vdev;
}

uint64_t vblk_capacity(const struct vblk *b)
{
	return b->capacity;
}
