/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost_user_backend.c - Ferry as a vhost-user backend: the dispatcher of
 * the request table in vhost_user_proto.h and one handler per request
 * (QEMU docs/interop/vhost-user.rst, "Front-end message types").  The
 * socket and connection life cycle live in vhost_user_port.c; this file
 * turns requests into calls of the device's struct virtio_dev_ops, exactly
 * as vmm/virtio_pci.c does for an in-process guest.
 *
 * Security model: the peer (and the guest behind it) is hostile.  The
 * dispatcher checks the header, the request id, the payload size and the
 * number of fds against the table before any handler runs; handlers check
 * every index, size and address before changing state; every fd received is
 * kept by exactly one owner or closed; every mapping belongs to one struct
 * vhost_mem that is destroyed when replaced.  A ring is handed to the device
 * only when all of it lies in the peer's memory, with its full length.  Bad
 * requests are refused (and acknowledged as failed with REPLY_ACK); the
 * connection closes only when the byte stream can no longer be trusted or
 * the peer waits for a reply it cannot get.
 *
 * A ring runs (queue_start) once it has a size, addresses, memory, a kick
 * (SET_VRING_KICK, "no fd" meaning polling) and is enabled; it stops
 * (queue_stop) on GET_VRING_BASE, SET_VRING_ENABLE 0, or before any change
 * to what it was started with, and restarts after the change when it can.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "util/log.h"
#include "vhost/mem.h"
#include "vhost/vhost_user_priv.h"
#include "vhost/virtio_dev.h"
#include "vhost/virtq.h"

#define BIT(n) (1ull << (n))
/*
 * What we offer in GET_PROTOCOL_FEATURES.  GET_CONFIG is answered but
 * VHOST_USER_PROTOCOL_F_CONFIG is not offered: QEMU's virtio-net serves its
 * config space itself and warns about a backend offering it, and DPDK
 * 22.11's virtio-user never asks.  RARP: the peer's SEND_RARP after a
 * migration or a reconnect has the device announce the guest's MAC.
 */
#define VU_BACKEND_PROTO                                                        \
	(BIT(VHOST_USER_PROTOCOL_F_MQ) | BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK) | \
	 BIT(VHOST_USER_PROTOCOL_F_RARP))

/* A reply under construction. */
struct vu_reply {
	union vu_payload p;
	uint32_t size; /* payload bytes */
};

typedef int (*vu_handler_fn)(struct vu_backend *b, struct vu_rx *m, struct vu_reply *r);

/* One row of the request table. */
struct vu_req_info {
	const char *name;
	vu_handler_fn fn;
	enum vu_fd_rule fds;
	bool reply; /* has a reply of its own */
	uint32_t min_size, max_size; /* payload bytes accepted */
};

#define VU_PICK1(a, b) a
#define VU_PICK2(a, b) b
#define VU_SZ_MIN(...) VU_PICK1(__VA_ARGS__)
#define VU_SZ_MAX(...) VU_PICK2(__VA_ARGS__)

#define VU_DECLARE(num, name, fn, ...) \
	static int fn(struct vu_backend *b, struct vu_rx *m, struct vu_reply *r);
VU_REQUESTS(VU_DECLARE)
#undef VU_DECLARE

static const struct vu_req_info vu_reqs[VU_REQ_MAX] = {
#define VU_ROW(num, name, fn, fdr, rep, ...) \
	[num] = { #name, fn, fdr, rep, VU_SZ_MIN(__VA_ARGS__), VU_SZ_MAX(__VA_ARGS__) },
	VU_REQUESTS(VU_ROW)
#undef VU_ROW
};

/* The wire layout the spec fixes; a wrong one would corrupt every peer. */
_Static_assert(sizeof(struct vu_hdr) == 12, "vhost-user header is 12 bytes");
_Static_assert(sizeof(struct vu_vring_addr) == 40, "vring address is 40 bytes");
_Static_assert(sizeof(struct vu_mem_region) == 32, "memory region is 32 bytes");
_Static_assert(sizeof(struct vu_mem_table) == 8 + 32 * VU_MAX_REGIONS, "memory table layout");
_Static_assert(VU_MAX_REGIONS <= VU_MAX_FDS, "one fd per region must fit one message");

const char *vu_request_name(uint32_t req)
{
	return req < VU_REQ_MAX ? vu_reqs[req].name : NULL;
}

static bool has(uint64_t features, unsigned int bit)
{
	return features & BIT(bit);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ---- rings ---- */

static struct vu_ring *ring_at(struct vu_backend *b, uint64_t idx)
{
	return idx < b->nrings ? &b->rings[idx] : NULL;
}

/* Without PROTOCOL_FEATURES a ring is enabled from the start (spec, "Ring states"). */
static bool ring_enabled(const struct vu_backend *b, const struct vu_ring *r)
{
	return r->enabled || !has(b->features, VHOST_USER_F_PROTOCOL_FEATURES);
}

static bool ring_ready(const struct vu_backend *b, const struct vu_ring *r)
{
	return b->mem && r->num && r->addr_set && r->kicked && ring_enabled(b, r) && !r->running;
}

/* The host address of [uaddr, uaddr + len) if it all lies in one region. */
static void *uaddr_range(const struct vhost_mem *mem, uint64_t uaddr, uint64_t len)
{
	uint64_t got = len;
	void *p = vhost_mem_uaddr_to_hva(mem, uaddr, &got);

	return p && got >= len ? p : NULL;
}

/* Is the packed layout negotiated (VIRTIO_F_RING_PACKED)? */
static bool ring_packed(const struct vu_backend *b)
{
	return has(b->features, VIRTIO_F_RING_PACKED);
}

/* Translate a ring's three parts with their full lengths (virtio_dev.h). */
static int ring_translate(const struct vu_backend *b, uint32_t num, uint64_t desc, uint64_t avail,
			  uint64_t used, struct virtio_queue_cfg *cfg)
{
	struct virtio_ring_layout l = virtio_ring_layout((uint16_t)num, ring_packed(b));

	cfg->desc = uaddr_range(b->mem, desc, l.desc_len);
	cfg->avail = uaddr_range(b->mem, avail, l.driver_len);
	cfg->used = uaddr_range(b->mem, used, l.device_len);
	if (!cfg->desc || !cfg->avail || !cfg->used)
		return -EFAULT;
	/*
	 * virtio 1.2, 2.7 (table 2.2) and 2.8.10.  Checked here, before
	 * ring_resync() reads the used index (vq_init() checks again): found by
	 * fuzz_vhost_user, a misaligned used ring read as a misaligned uint16_t.
	 */
	if ((uintptr_t)cfg->desc % l.desc_align || (uintptr_t)cfg->avail % l.driver_align ||
	    (uintptr_t)cfg->used % l.device_align)
		return -EINVAL;
	return 0;
}

/*
 * Resume where the used ring says the device stopped.  Every chain we take is
 * returned before a ring stops, so for a frontend that knows where we stopped
 * the used index equals its SET_VRING_BASE.  One that does not (virtio-user
 * reconnecting to a new backend sends 0) gets the ring's own position, as
 * DPDK's vhost library does; the chains it had in flight are lost.
 */
static void ring_resync(struct vu_backend *b, uint16_t idx, struct virtio_queue_cfg *cfg)
{
	uint16_t used;

	/*
	 * A packed ring has no used index to read: the device resumes writing
	 * used entries where it takes the next chain, as DPDK's vhost does.
	 */
	if (cfg->packed) {
		cfg->used_idx = b->rings[idx].used_base_set ? b->rings[idx].used_base :
							      cfg->last_avail_idx;
		return;
	}
	used = __atomic_load_n(&((struct vring_used *)cfg->used)->idx, __ATOMIC_ACQUIRE);
	cfg->used_idx = used;
	if (used == cfg->last_avail_idx)
		return;
	LOG_RL(LOG_LVL_WARN, "vhost-user", "%s: ring %u: base %u but used index %u: resuming at %u",
	       b->name, idx, cfg->last_avail_idx, used, used);
	cfg->last_avail_idx = used;
}

static int ring_try_start(struct vu_backend *b, uint16_t idx)
{
	struct vu_ring *r = &b->rings[idx];
	struct virtio_queue_cfg cfg = {
		.size = (uint16_t)r->num,
		.packed = ring_packed(b),
		.last_avail_idx = r->base,
		.kick_fd = r->kick_fd,
		.call_fd = r->call_fd,
		.peer_fds = true,
	};
	int ret;

	if (!ring_ready(b, r))
		return 0;
	ret = ring_translate(b, r->num, r->desc, r->avail, r->used, &cfg);
	if (!ret) {
		ring_resync(b, idx, &cfg);
		ret = b->dev->ops->queue_start(b->dev, idx, &cfg);
	}
	if (ret) {
		LOG_RL(LOG_LVL_WARN, "vhost-user", "%s: ring %u cannot start: %s", b->name, idx,
		       strerror(-ret));
		return ret;
	}
	r->running = true;
	LOG_DEBUG("vhost-user", "%s: ring %u running (size %u, base %u)", b->name, idx, r->num,
		  r->base);
	return 0;
}

static void ring_stop(struct vu_backend *b, uint16_t idx)
{
	struct vu_ring *r = &b->rings[idx];

	if (!r->running)
		return;
	/* Returns once no PMD touches the ring (the switch's fence, vhost/net.h). */
	r->base = b->dev->ops->queue_stop(b->dev, idx);
	r->used_base_set = false; /* every chain taken was returned: used is where avail is */
	r->running = false;
}

static void rings_stop_all(struct vu_backend *b)
{
	for (uint16_t i = 0; i < b->nrings; i++)
		ring_stop(b, i);
}

static void rings_start_all(struct vu_backend *b)
{
	for (uint16_t i = 0; i < b->nrings; i++)
		ring_try_start(b, i);
}

static void ring_forget(struct vu_ring *r)
{
	close_fd(&r->kick_fd);
	close_fd(&r->call_fd);
	close_fd(&r->err_fd);
	memset(r, 0, sizeof(*r));
	r->kick_fd = r->call_fd = r->err_fd = -1;
}

unsigned int vu_backend_rings_running(const struct vu_backend *b)
{
	unsigned int n = 0;

	for (uint16_t i = 0; i < b->nrings; i++)
		n += b->rings[i].running;
	return n;
}

/* ---- life cycle ---- */

int vu_backend_init(struct vu_backend *b, struct virtio_dev *dev, const char *name)
{
	memset(b, 0, sizeof(*b));
	b->dev = dev;
	b->name = name;
	b->nrings = dev->ops->num_queues(dev);
	b->queue_pairs = b->nrings / 2;
	b->rings = calloc(b->nrings, sizeof(*b->rings));
	if (!b->rings)
		return -ENOMEM;
	for (uint16_t i = 0; i < b->nrings; i++)
		b->rings[i].kick_fd = b->rings[i].call_fd = b->rings[i].err_fd = -1;
	return 0;
}

void vu_backend_reset(struct vu_backend *b)
{
	rings_stop_all(b);
	for (uint16_t i = 0; i < b->nrings; i++)
		ring_forget(&b->rings[i]);
	b->dev->ops->reset(b->dev);
	b->dev->mem = NULL;
	vhost_mem_destroy(b->mem);
	b->mem = NULL;
	b->features = 0;
	b->proto = 0;
	b->owner = false;
}

void vu_backend_fini(struct vu_backend *b)
{
	if (!b->rings)
		return;
	vu_backend_reset(b);
	free(b->rings);
	b->rings = NULL;
}

/* ---- handlers: features and ownership ---- */

static uint64_t backend_features(struct vu_backend *b)
{
	return b->dev->ops->get_features(b->dev) | BIT(VHOST_USER_F_PROTOCOL_FEATURES);
}

static int reply_u64(struct vu_reply *r, uint64_t v)
{
	r->p.u64 = v;
	r->size = sizeof(uint64_t);
	return 0;
}

/* GET_FEATURES: the device's features plus PROTOCOL_FEATURES; never LOG_ALL. */
static int vu_h_get_features(struct vu_backend *b, struct vu_rx *m, struct vu_reply *r)
{
	(void)m;
	return reply_u64(r, backend_features(b));
}

/* SET_FEATURES: a subset of what we offered; running rings restart with it. */
static int vu_h_set_features(struct vu_backend *b, struct vu_rx *m, struct vu_reply *r)
{
	uint64_t f = m->p.u64;
	int ret;

	(void)r;
	if (f & ~backend_features(b))
		return -EINVAL;
	rings_stop_all(b);
	ret = b->dev->ops->set_features(b->dev, f & ~BIT(VHOST_USER_F_PROTOCOL_FEATURES));
	if (!ret)
		b->features = f;
	rings_start_all(b);
	return ret;
}

/* SET_OWNER: the session starts; nothing to claim in one process. */
static int vu_h_set_owner(struct vu_backend *b, struct vu_rx *m, struct vu_reply *r)
{
	(void)m;
	(void)r;
	b->owner = true;
	return 0;
}

/* RESET_OWNER (deprecated): back to a fresh session, the connection stays. */
static int vu_h_reset_owner(struct vu_backend *b, struct vu_rx *m, struct vu_reply *r)
{
	(void)m;
	(void)r;
	vu_backend_reset(b);
	return 0;
}

static int vu_h_get_proto(struct vu_backend *b, struct vu_rx *m, struct vu_reply *r)
{
	(void)b;
	(void)m;
	return reply_u64(r, VU_BACKEND_PROTO);
}

static int vu_h_set_proto(struct vu_backend *b, struct vu_rx *m, struct vu_reply *r)
{
	(void)r;
	if (m->p.u64 & ~VU_BACKEND_PROTO)
		return -EINVAL;
	b->proto = m->p.u64;
	return 0;
}

/* GET_QUEUE_NUM: for virtio-net the number of queue pairs, as QEMU and DPDK read it. */
static int vu_h_get_queue_num(struct vu_backend *b, struct vu_rx *m, struct vu_reply *r)
{
	(void)m;
	return reply_u64(r, b->queue_pairs);
}

/* SET_LOG_BASE / SET_LOG_FD: dirty logging is for live migration, which we do not offer. */
static int vu_h_refuse_log(struct vu_backend *b, struct vu_rx *m, struct vu_reply *r)
{
	(void)m;
	(void)r;
	LOG_RL(LOG_LVL_WARN, "vhost-user", "%s: dirty logging requested: not supported", b->name);
	return -ENOTSUP;
}

/*
 * SEND_RARP: the MAC in the payload's first 6 bytes (as QEMU sends it) is
 * announced by the device: a RARP from it enters the switch, so the switch
 * learns where the guest is now without waiting for it to speak.
 */
static int vu_h_send_rarp(struct vu_backend *b, struct vu_rx *m, struct vu_reply *r)
{
	uint8_t mac[6];

	(void)r;
	if (!b->dev->ops->announce)
		return -ENOTSUP;
	memcpy(mac, &m->p.u64, sizeof(mac));
	b->dev->ops->announce(b->dev, mac);
	return 0;
}

/* GET_CONFIG: the device config space (MAC, status, queue pairs). */
static int vu_h_get_config(struct vu_backend *b, struct vu_rx *m, struct vu_reply *r)
{
	const struct vu_config *c = &m->p.config;
	uint32_t have = b->dev->ops->config_size(b->dev);

	if (c->size > VU_MAX_CONFIG || c->offset > have || c->size > have - c->offset)
		return -EINVAL;
	memset(&r->p.config, 0, sizeof(r->p.config));
	r->p.config.offset = c->offset;
	r->p.config.size = c->size;
	b->dev->ops->config_read(b->dev, c->offset, r->p.config.region, c->size);
	r->size = VU_CONFIG_HDR + c->size;
	return 0;
}

/* ---- handlers: memory ---- */

static bool uaddr_overlaps(const struct vhost_mem *mem, uint64_t uaddr, uint64_t size)
{
	for (uint32_t i = 0; i < vhost_mem_num_regions(mem); i++) {
		const struct vhost_mem_region *o = vhost_mem_region(mem, i);

		if (uaddr - o->uaddr < o->size || o->uaddr - uaddr < size)
			return true;
	}
	return false;
}

/* The mapping granule of @st's file: its (huge) page size. */
static uint64_t map_granule(const struct stat *st)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t blk = (uint64_t)st->st_blksize;

	return IS_POW2(blk) && blk > page ? blk : page;
}

/*
 * Only memory that is really memory: a memfd or a file on tmpfs or
 * hugetlbfs.  Any other file system may make a PMD's page fault wait
 * forever (a FUSE file whose daemon never answers) or fail without SIGBUS,
 * and the PMD would stall with every tenant it serves.  QEMU, DPDK and
 * Ferry all share memfds or hugetlbfs files (docs/security.md).
 */
static int mem_fd_is_memory(int fd, const struct stat *st)
{
	struct statfs sfs;

	if (!S_ISREG(st->st_mode) || st->st_size < 0)
		return -EBADF;
	if (fstatfs(fd, &sfs))
		return -errno;
	if (sfs.f_type != TMPFS_MAGIC && sfs.f_type != HUGETLBFS_MAGIC) {
		LOG_RL(LOG_LVL_WARN, "vhost-user",
		       "a region's fd is on file system 0x%lx, not memfd, tmpfs or hugetlbfs: refused",
		       (unsigned long)sfs.f_type);
		return -EPERM;
	}
	return 0;
}

/* Check one region against its fd and add its mapping to @mem. */
static int mem_map_region(struct vhost_mem *mem, const struct vu_mem_region *reg, int fd)
{
	struct vhost_mem_region vr = { .gpa = reg->gpa, .size = reg->size, .uaddr = reg->uaddr };
	uint64_t gran, start, lead, fsize;
	struct stat st;
	void *p;
	int ret;

	if (fd < 0 || fstat(fd, &st))
		return -EBADF;
	ret = mem_fd_is_memory(fd, &st);
	if (ret)
		return ret;
	fsize = (uint64_t)st.st_size;
	if (reg->size == 0 || reg->mmap_offset > fsize || reg->size > fsize - reg->mmap_offset)
		return -EINVAL;
	if (uaddr_overlaps(mem, reg->uaddr, reg->size))
		return -EEXIST;
	gran = map_granule(&st);
	start = reg->mmap_offset & ~(gran - 1);
	lead = reg->mmap_offset - start;
	vr.mmap_size = ALIGN_UP(lead + reg->size, gran);
	p = mmap(NULL, vr.mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)start);
	if (p == MAP_FAILED)
		return -errno;
	vr.mmap_addr = p;
	vr.hva = (uint8_t *)p + lead;
	vr.fd = -1; /* the mapping outlives the fd, which the dispatcher closes */
	vr.fd_offset = reg->mmap_offset;
	ret = vhost_mem_add_region(mem, &vr);
	if (ret)
		munmap(p, vr.mmap_size);
	return ret;
}

/*
 * The peer shrank the file behind a region under a running ring (memguard
 * absorbed the SIGBUS): ask the transport to drop it, as for a broken ring.
 * Signal context: the port's needs_reset hook only stores and writes an
 * eventfd.
 */
static void mem_faulted(void *arg)
{
	struct vu_backend *b = arg;

	if (b->dev->needs_reset)
		b->dev->needs_reset(b->dev);
}

bool vu_backend_mem_faulted(const struct vu_backend *b)
{
	return b->mem && vhost_mem_faulted(b->mem);
}

static struct vhost_mem *mem_build(struct vu_backend *b, const struct vu_rx *m, int *err)
{
	const struct vu_mem_table *t = &m->p.mem;
	struct vhost_mem *mem = vhost_mem_create(t->nregions);

	*err = mem ? 0 : -ENOMEM;
	for (uint32_t i = 0; mem && i < t->nregions; i++) {
		*err = mem_map_region(mem, &t->regions[i], m->fds[i]);
		if (*err) {
			LOG_RL(LOG_LVL_WARN, "vhost-user",
			       "%s: memory region %u (gpa 0x%llx, %llu bytes): %s", b->name, i,
			       (unsigned long long)t->regions[i].gpa,
			       (unsigned long long)t->regions[i].size, strerror(-*err));
			vhost_mem_destroy(mem);
			return NULL;
		}
	}
	if (mem) {
		*err = vhost_mem_guard(mem, mem_faulted, b);
		if (*err) {
			vhost_mem_destroy(mem);
			return NULL;
		}
	}
	return mem;
}

/*
 * SET_MEM_TABLE: map every region from its fd into a fresh map, then swap it
 * in with the rings stopped (QEMU sends this on memory hotplug while rings
 * run) and restart them through the new map.
 */
static int vu_h_set_mem_table(struct vu_backend *b, struct vu_rx *m, struct vu_reply *r)
{
	const struct vu_mem_table *t = &m->p.mem;
	struct vhost_mem *mem;
	int ret;

	(void)r;
	if (t->nregions == 0 || t->nregions > VU_MAX_REGIONS ||
	    m->hdr.size < VU_MEM_TABLE_HDR + t->nregions * sizeof(t->regions[0]))
		return -EINVAL;
	mem = mem_build(b, m, &ret);
	if (!mem)
		return ret;
	rings_stop_all(b);
	vhost_mem_destroy(b->mem);
	b->mem = mem;
	b->dev->mem = mem;
	rings_start_all(b);
	return 0;
}

/* ---- handlers: rings ---- */

/* SET_VRING_NUM: a power of two the device can take (virtio 1.2, 2.7). */
static int vu_h_set_vring_num(struct vu_backend *b, struct vu_rx *m, struct vu_reply *r)
{
	const struct vu_vring_state *s = &m->p.state;
	struct vu_ring *ring = ring_at(b, s->index);

	(void)r;
	if (!ring || s->num > UINT16_MAX ||
	    !virtio_queue_size_ok((uint16_t)s->num, ring_packed(b)) ||
	    s->num > b->dev->ops->max_queue_size(b->dev, (uint16_t)s->index))
		return -EINVAL;
	ring_stop(b, (uint16_t)s->index);
	ring->num = s->num;
	return ring_try_start(b, (uint16_t)s->index);
}

/* SET_VRING_ADDR: frontend virtual addresses, checked now when the size and memory are known. */
static int vu_h_set_vring_addr(struct vu_backend *b, struct vu_rx *m, struct vu_reply *r)
{
	const struct vu_vring_addr *a = &m->p.addr;
	struct vu_ring *ring = ring_at(b, a->index);
	struct virtio_queue_cfg cfg;

	(void)r;
	if (!ring)
		return -EINVAL;
	if (b->mem && ring->num &&
	    ring_translate(b, ring->num, a->desc_uaddr, a->avail_uaddr, a->used_uaddr, &cfg))
		return -EFAULT;
	ring_stop(b, (uint16_t)a->index);
	ring->desc = a->desc_uaddr;
	ring->avail = a->avail_uaddr;
	ring->used = a->used_uaddr;
	ring->addr_set = true;
	return ring_try_start(b, (uint16_t)a->index);
}

/*
 * SET_VRING_BASE: the next avail index to take, 16 bits; a packed ring's
 * wrap counter in bit 15, and from QEMU the used position in the upper half
 * (DPDK's virtio-user leaves it 0: then used resumes where avail does).
 */
static int vu_h_set_vring_base(struct vu_backend *b, struct vu_rx *m, struct vu_reply *r)
{
	const struct vu_vring_state *s = &m->p.state;
	struct vu_ring *ring = ring_at(b, s->index);

	(void)r;
	if (!ring || (s->num > UINT16_MAX && !ring_packed(b)))
		return -EINVAL;
	ring_stop(b, (uint16_t)s->index);
	ring->base = (uint16_t)s->num;
	ring->used_base = (uint16_t)(s->num >> 16);
	ring->used_base_set = s->num > UINT16_MAX;
	return ring_try_start(b, (uint16_t)s->index);
}

/* GET_VRING_BASE: stop the ring, forget its fds and say where it stopped. */
static int vu_h_get_vring_base(struct vu_backend *b, struct vu_rx *m, struct vu_reply *r)
{
	uint32_t idx = m->p.state.index;
	struct vu_ring *ring = ring_at(b, idx);

	if (!ring)
		return -EINVAL;
	ring_stop(b, (uint16_t)idx);
	close_fd(&ring->kick_fd);
	close_fd(&ring->call_fd);
	close_fd(&ring->err_fd);
	ring->kicked = false; /* a new SET_VRING_KICK restarts it */
	r->p.state.index = idx;
	r->p.state.num = ring->base;
	/*
	 * A packed ring has no used index in memory to resume from: QEMU takes
	 * the used position from the upper half.  It equals the avail one, since
	 * every chain taken was returned before the ring stopped.
	 */
	if (ring_packed(b))
		r->p.state.num |= (uint32_t)ring->base << 16;
	r->size = sizeof(r->p.state);
	return 0;
}

/* The ring a KICK/CALL/ERR payload names, or NULL for a bad index or stray bits. */
static struct vu_ring *vring_file_ring(struct vu_backend *b, uint64_t v)
{
	if (v & ~(uint64_t)(VU_VRING_IDX_MASK | VU_VRING_NOFD))
		return NULL;
	return ring_at(b, v & VU_VRING_IDX_MASK);
}

/*
 * Kick and call fds must be eventfds, and non-blocking: PMD threads read and
 * write them, and the peer, which holds the other end, could otherwise park
 * a PMD for good (drain a kick between epoll and read, or fill a call
 * counter to the brim).  QEMU's and DPDK's eventfds are non-blocking already.
 */
static int vring_fd_check(int fd)
{
	char path[32], link[32];
	ssize_t n;
	int fl;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	if (strcmp(link, "anon_inode:[eventfd]"))
		return -EINVAL;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK))
		return -errno;
	return 0;
}

/* The fd of a KICK/CALL/ERR request (-1 with the "no fd" bit) in *fd; 0 or -errno. */
static int vring_file_fd(struct vu_rx *m, int *fd)
{
	int ret;

	*fd = -1;
	if (m->p.u64 & VU_VRING_NOFD)
		return 0;
	ret = vring_fd_check(m->fds[0]);
	if (!ret)
		*fd = vu_rx_take_fd(m, 0);
	return ret;
}

/*
 * The ring a SET_VRING_{KICK,CALL,ERR} names and the fd it carries (-1 with
 * the "no fd" bit); 0 or -errno.  Shared by the three handlers.
 */
static int vring_file_args(struct vu_backend *b, struct vu_rx *m, struct vu_ring **ring,
			   uint16_t *idx, int *fd)
{
	*ring = vring_file_ring(b, m->p.u64);
	*idx = (uint16_t)(m->p.u64 & VU_VRING_IDX_MASK);
	if (!*ring)
		return -EINVAL;
	return vring_file_fd(m, fd);
}

/* SET_VRING_KICK: the ring starts on its kick (spec, "Ring states"); no fd: we poll. */
static int vu_h_set_vring_kick(struct vu_backend *b, struct vu_rx *m, struct vu_reply *r)
{
	struct vu_ring *ring;
	uint16_t idx;
	int fd, ret;

	(void)r;
	ret = vring_file_args(b, m, &ring, &idx, &fd);
	if (ret)
		return ret;
	ring_stop(b, idx);
	close_fd(&ring->kick_fd);
	ring->kick_fd = fd;
	ring->kicked = true;
	return ring_try_start(b, idx);
}

/* SET_VRING_CALL: may replace the fd of a running ring (QEMU masks vectors this way). */
static int vu_h_set_vring_call(struct vu_backend *b, struct vu_rx *m, struct vu_reply *r)
{
	struct vu_ring *ring;
	uint16_t idx;
	int fd, ret;

	(void)r;
	ret = vring_file_args(b, m, &ring, &idx, &fd);
	if (ret)
		return ret;
	/* The device fences the datapath, so the old fd is unused once this returns. */
	if (ring->running)
		b->dev->ops->queue_set_call_fd(b->dev, idx, fd);
	close_fd(&ring->call_fd);
	ring->call_fd = fd;
	return 0;
}

/* SET_VRING_ERR: kept so the peer's fd lives as long as the ring; we report errors by logs. */
static int vu_h_set_vring_err(struct vu_backend *b, struct vu_rx *m, struct vu_reply *r)
{
	struct vu_ring *ring;
	uint16_t idx;
	int fd, ret;

	(void)r;
	ret = vring_file_args(b, m, &ring, &idx, &fd);
	if (ret)
		return ret;
	close_fd(&ring->err_fd);
	ring->err_fd = fd;
	return 0;
}

/* SET_VRING_ENABLE: 0 stops serving the ring (its state is kept), 1 lets it run. */
static int vu_h_set_vring_enable(struct vu_backend *b, struct vu_rx *m, struct vu_reply *r)
{
	const struct vu_vring_state *s = &m->p.state;
	struct vu_ring *ring = ring_at(b, s->index);

	(void)r;
	if (!ring || s->num > 1)
		return -EINVAL;
	ring->enabled = s->num;
	if (!s->num) {
		ring_stop(b, (uint16_t)s->index);
		return 0;
	}
	return ring_try_start(b, (uint16_t)s->index);
}

/* ---- the dispatcher ---- */

static const struct vu_req_info *req_info(uint32_t req)
{
	return req < VU_REQ_MAX && vu_reqs[req].fn ? &vu_reqs[req] : NULL;
}

static bool fds_ok(const struct vu_req_info *ri, const struct vu_rx *m)
{
	switch (ri->fds) {
	case VU_FD_NONE:
		return m->nfds == 0;
	case VU_FD_VRING:
		return m->nfds == ((m->p.u64 & VU_VRING_NOFD) ? 0u : 1u);
	case VU_FD_REGIONS:
		return m->nfds == m->p.mem.nregions;
	case VU_FD_ANY:
		return true;
	}
	return false;
}

/* Table checks, before any handler sees the message. */
static int dispatch_check(const struct vu_req_info *ri, const struct vu_rx *m)
{
	if (!ri)
		return -EOPNOTSUPP;
	if (m->hdr.size < ri->min_size || m->hdr.size > ri->max_size)
		return -EMSGSIZE;
	return fds_ok(ri, m) ? 0 : -EBADF;
}

/*
 * No wait: the one event thread serves every port, so a peer that does not
 * read its replies (its socket buffer full) must not hold it.  The reply
 * fails, and the peer is dropped for it.
 */
static int send_reply(int fd, uint32_t req, const struct vu_reply *r)
{
	struct vu_hdr h = { .request = req, .flags = VU_FLAG_VERSION | VU_FLAG_REPLY };

	h.size = r->size;
	return vu_send(fd, &h, &r->p, NULL, 0, 0);
}

/* A reply of the request's own, or an ack when REPLY_ACK asked for one. */
static int dispatch_answer(struct vu_backend *b, int fd, const struct vu_hdr *h,
			   const struct vu_req_info *ri, int ret, struct vu_reply *r)
{
	if (ri && ri->reply)
		return ret ? ret : send_reply(fd, h->request, r);
	if (!(h->flags & VU_FLAG_NEED_REPLY) || !has(b->proto, VHOST_USER_PROTOCOL_F_REPLY_ACK))
		return 0;
	reply_u64(r, ret ? (uint64_t)-ret : 0);
	return send_reply(fd, h->request, r);
}

int vu_backend_dispatch(struct vu_backend *b, int fd, struct vu_rx *m)
{
	const struct vu_req_info *ri = req_info(m->hdr.request);
	struct vu_hdr h = m->hdr;
	struct vu_reply r = { .size = 0 };
	int ret;

	if ((h.flags & VU_FLAG_VERSION_MASK) != VU_FLAG_VERSION || (h.flags & VU_FLAG_REPLY)) {
		LOG_RL(LOG_LVL_WARN, "vhost-user", "%s: bad header flags 0x%x", b->name, h.flags);
		vu_rx_done(m);
		return -EPROTO;
	}
	ret = dispatch_check(ri, m);
	if (!ret)
		ret = ri->fn(b, m, &r);
	vu_rx_done(m); /* closes every fd the handler did not keep */
	if (ret) {
		b->bad_requests++;
		LOG_RL(LOG_LVL_WARN, "vhost-user", "%s: request %u (%s, %u bytes) refused: %s",
		       b->name, h.request, ri ? ri->name : "unknown", h.size, strerror(-ret));
	} else {
		LOG_DEBUG("vhost-user", "%s: %s", b->name, ri->name);
	}
	return dispatch_answer(b, fd, &h, ri, ret, &r);
}
