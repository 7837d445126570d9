/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fake_guest.c - the fake guest memory and split-ring driver of
 * fake_guest.h.  Test code: it aborts on set-up failures instead of
 * unwinding, which is fine only because it runs in test programs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fake_guest.h"
#include "vhost/memguard.h"

#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#define FG_GUARD 0x10000ull

/* Host offsets of the three regions inside the reservation: R1 before R0 on purpose. */
static const struct {
	uint64_t gpa;
	uint64_t hoff;
} fg_layout[] = {
	{ FG_R0_GPA, 2 * FG_GUARD + FG_REGION_SIZE },
	{ FG_R1_GPA, FG_GUARD },
	{ FG_R2_GPA, 3 * FG_GUARD + 2 * FG_REGION_SIZE },
};

int fg_mem_init(struct fg_mem *g)
{
	unsigned int i;

	memset(g, 0, sizeof(*g));
	g->span = 4 * FG_GUARD + 3 * FG_REGION_SIZE;
	g->base = mmap(NULL, g->span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->base == MAP_FAILED)
		return -errno;
	g->map = vhost_mem_create(4);
	if (!g->map)
		return -ENOMEM;
	for (i = 0; i < 3; i++) {
		struct vhost_mem_region r = {
			.gpa = fg_layout[i].gpa,
			.size = FG_REGION_SIZE,
			.hva = g->base + fg_layout[i].hoff,
			.fd = -1,
		};

		r.uaddr = (uintptr_t)r.hva;
		if (mprotect(r.hva, FG_REGION_SIZE, PROT_READ | PROT_WRITE))
			return -errno;
		if (vhost_mem_add_region(g->map, &r))
			return -EINVAL;
	}
	g->next_gpa = 0x1000; /* keep gpa 0 unused so a zeroed descriptor is visibly wrong */
	return 0;
}

void fg_mem_fini(struct fg_mem *g)
{
	vhost_mem_destroy(g->map);
	munmap(g->base, g->span);
}

uint64_t fg_alloc(struct fg_mem *g, uint64_t len, uint64_t align)
{
	uint64_t gpa = (g->next_gpa + align - 1) & ~(align - 1);

	if (gpa + len > FG_HOLE_GPA) {
		fprintf(stderr, "fake guest: out of memory\n");
		abort();
	}
	g->next_gpa = gpa + len;
	return gpa;
}

void fg_fuzz_write(struct fg_mem *g, const uint8_t *a, size_t len)
{
	uint64_t gpa, end;
	void *p;

	if (len < 3)
		return;
	gpa = ((uint64_t)a[0] | (uint64_t)a[1] << 8 | (uint64_t)a[2] << 16) % (2 * FG_REGION_SIZE);
	len -= 3;
	end = (gpa / FG_REGION_SIZE + 1) * FG_REGION_SIZE;
	if (gpa + len > end)
		len = end - gpa;
	p = fg_ptr(g, gpa);
	if (p && len)
		memcpy(p, a + 3, len);
}

void fg_fuzz_records(const uint8_t *data, size_t size, fg_record_fn fn, void *ctx)
{
	for (size_t i = 0; i + 2 <= size;) {
		uint8_t len = data[i + 1];

		if (i + 2 + len > size)
			len = (uint8_t)(size - i - 2);
		fn(ctx, data[i], data + i + 2, len);
		i += 2 + (size_t)len;
	}
}

void *fg_ptr(struct fg_mem *g, uint64_t gpa)
{
	uint64_t len = 1;

	return vhost_mem_gpa_to_hva(g->map, gpa, &len);
}

int fg_vq_init(struct fg_vq *v, struct fg_mem *g, uint16_t size)
{
	memset(v, 0, sizeof(*v));
	v->g = g;
	v->size = size;
	v->desc = fg_ptr(g, fg_alloc(g, 16ull * size, 16));
	v->avail = fg_ptr(g, fg_alloc(g, 6 + 2ull * size, 2));
	v->used = fg_ptr(g, fg_alloc(g, 6 + 8ull * size, 4));
	memset(v->desc, 0, 16ull * size);
	memset(v->avail, 0, 6 + 2ull * size);
	memset(v->used, 0, 6 + 8ull * size);
	v->call_fd = eventfd(0, EFD_NONBLOCK);
	v->kick_fd = eventfd(0, EFD_NONBLOCK);
	return v->call_fd >= 0 && v->kick_fd >= 0 ? 0 : -errno;
}

void fg_vq_fini(struct fg_vq *v)
{
	close(v->call_fd);
	close(v->kick_fd);
}

void fg_vq_cfg(const struct fg_vq *v, struct virtio_queue_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->size = v->size;
	cfg->desc = v->desc;
	cfg->avail = v->avail;
	cfg->used = v->used;
	cfg->kick_fd = v->kick_fd;
	cfg->call_fd = v->call_fd;
}

static void fg_fill_desc(struct vring_desc *d, const struct fg_buf *b, bool more, uint16_t next)
{
	d->addr = b->gpa;
	d->len = b->len;
	d->flags = (b->write ? VRING_DESC_F_WRITE : 0) | (more ? VRING_DESC_F_NEXT : 0);
	d->next = more ? next : 0;
}

uint16_t fg_vq_chain(struct fg_vq *v, const struct fg_buf *b, unsigned int n)
{
	uint16_t head = v->next_desc, idx = head;
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint16_t next = (idx + 1) & (v->size - 1);

		fg_fill_desc(&v->desc[idx], &b[i], i + 1 < n, next);
		idx = next;
	}
	v->next_desc = idx;
	return head;
}

uint16_t fg_vq_chain_indirect(struct fg_vq *v, const struct fg_buf *b, unsigned int n)
{
	uint64_t tgpa = fg_alloc(v->g, 16ull * n, 16);
	struct vring_desc *t = fg_ptr(v->g, tgpa);
	uint16_t head = v->next_desc;
	unsigned int i;

	for (i = 0; i < n; i++)
		fg_fill_desc(&t[i], &b[i], i + 1 < n, (uint16_t)(i + 1));
	v->desc[head] =
		(struct vring_desc){ .addr = tgpa, .len = 16 * n, .flags = VRING_DESC_F_INDIRECT };
	v->next_desc = (head + 1) & (v->size - 1);
	return head;
}

void fg_vq_publish(struct fg_vq *v, uint16_t head)
{
	v->avail->ring[v->avail_idx & (v->size - 1)] = head;
	v->avail_idx++;
	/* Release: the ring entry and descriptors before the index, as virtio_wmb() does. */
	__atomic_store_n(&v->avail->idx, v->avail_idx, __ATOMIC_RELEASE);
}

uint16_t fg_vq_add(struct fg_vq *v, const struct fg_buf *b, unsigned int n)
{
	uint16_t head = fg_vq_chain(v, b, n);

	fg_vq_publish(v, head);
	return head;
}

bool fg_vq_get_used(struct fg_vq *v, uint32_t *id, uint32_t *len)
{
	/* Acquire: pairs with the device's release store of used->idx. */
	if (__atomic_load_n(&v->used->idx, __ATOMIC_ACQUIRE) == v->last_used)
		return false;
	*id = v->used->ring[v->last_used & (v->size - 1)].id;
	*len = v->used->ring[v->last_used & (v->size - 1)].len;
	v->last_used++;
	return true;
}

uint64_t fg_vq_calls(struct fg_vq *v)
{
	uint64_t n = 0;

	if (read(v->call_fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

struct rte_mempool *fg_dpdk_init(const char *prog, unsigned int nb_mbufs, unsigned int cache)
{
	char name[32], prefix[64];
	char *argv[] = {
		name, "--no-huge", "--no-shconf", "--no-pci",	   "--no-telemetry", "-l",  "0",
		"-m", "128",	   "--log-level", "lib.eal:error", "--file-prefix",  prefix
	};
	struct rte_mempool *mp;

	/*
	 * DPDK 22.11 refuses --in-memory together with --no-huge ("--legacy-mem
	 * is not compatible with --in-memory"); --no-shconf keeps the run free of
	 * shared files just the same.
	 */
	snprintf(name, sizeof(name), "%s", prog);
	snprintf(prefix, sizeof(prefix), "ferry_%s_%d", prog, (int)getpid());
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])), argv) < 0) {
		fprintf(stderr, "%s: rte_eal_init failed\n", prog);
		return NULL;
	}
	if (memguard_init()) {
		fprintf(stderr, "%s: cannot install the SIGBUS guard\n", prog);
		rte_eal_cleanup();
		return NULL;
	}
	mp = rte_pktmbuf_pool_create(prog, nb_mbufs, cache, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     SOCKET_ID_ANY);
	if (!mp) {
		fprintf(stderr, "%s: cannot create the mbuf pool\n", prog);
		rte_eal_cleanup();
	}
	return mp;
}

void fg_dpdk_fini(struct rte_mempool *mp)
{
	rte_mempool_free(mp);
	rte_eal_cleanup();
}

/* ---- packed rings ---- */

int fg_pvq_init(struct fg_pvq *v, struct fg_mem *g, uint16_t size)
{
	if (size == 0 || size > FG_PVQ_MAX)
		return -EINVAL;
	memset(v, 0, sizeof(*v));
	v->g = g;
	v->size = size;
	v->desc = fg_ptr(g, fg_alloc(g, 16ull * size, 16));
	v->driver = fg_ptr(g, fg_alloc(g, 4, 4));
	v->device = fg_ptr(g, fg_alloc(g, 4, 4));
	memset(v->desc, 0, 16ull * size);
	memset(v->driver, 0, 4);
	memset(v->device, 0, 4);
	v->wrap = v->used_wrap = true;
	v->call_fd = eventfd(0, EFD_NONBLOCK);
	v->kick_fd = eventfd(0, EFD_NONBLOCK);
	return v->call_fd >= 0 && v->kick_fd >= 0 ? 0 : -errno;
}

void fg_pvq_fini(struct fg_pvq *v)
{
	close(v->call_fd);
	close(v->kick_fd);
}

void fg_pvq_cfg(const struct fg_pvq *v, struct virtio_queue_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->size = v->size;
	cfg->packed = true;
	cfg->desc = v->desc;
	cfg->avail = v->driver;
	cfg->used = v->device;
	cfg->last_avail_idx = cfg->used_idx = virtio_ring_start(true);
	cfg->kick_fd = v->kick_fd;
	cfg->call_fd = v->call_fd;
}

uint16_t fg_pvq_avail_flags(const struct fg_pvq *v)
{
	return v->wrap ? 1u << VRING_PACKED_DESC_F_AVAIL : 1u << VRING_PACKED_DESC_F_USED;
}

/* Take the next slot; its flags are the caller's to write. */
static struct vring_packed_desc *fg_pvq_slot(struct fg_pvq *v, uint16_t *flags)
{
	struct vring_packed_desc *d = &v->desc[v->next];

	*flags = fg_pvq_avail_flags(v);
	if (++v->next == v->size) {
		v->next = 0;
		v->wrap = !v->wrap;
	}
	return d;
}

uint16_t fg_pvq_add(struct fg_pvq *v, const struct fg_buf *b, unsigned int n)
{
	uint16_t id = v->next, flags, head_flags = 0;
	struct vring_packed_desc *head = NULL, *d;

	for (unsigned int i = 0; i < n; i++) {
		d = fg_pvq_slot(v, &flags);
		flags |= (b[i].write ? VRING_DESC_F_WRITE : 0) |
			 (i + 1 < n ? VRING_DESC_F_NEXT : 0);
		d->addr = b[i].gpa;
		d->len = b[i].len;
		d->id = id;
		if (i == 0) {
			head = d;
			head_flags = flags;
		} else {
			d->flags = flags;
		}
	}
	v->chain_len[id] = (uint16_t)n;
	/* Release: the chain before the head's flags, as virtio_wmb() in Linux's driver. */
	if (head)
		__atomic_store_n(&head->flags, head_flags, __ATOMIC_RELEASE);
	return id;
}

uint16_t fg_pvq_add_indirect(struct fg_pvq *v, const struct fg_buf *b, unsigned int n)
{
	uint64_t tgpa = fg_alloc(v->g, 16ull * n, 16);
	struct vring_packed_desc *t = fg_ptr(v->g, tgpa), *d;
	uint16_t id = v->next, flags;

	for (unsigned int i = 0; i < n; i++)
		t[i] = (struct vring_packed_desc){ .addr = b[i].gpa,
						   .len = b[i].len,
						   .flags = b[i].write ? VRING_DESC_F_WRITE : 0 };
	d = fg_pvq_slot(v, &flags);
	d->addr = tgpa;
	d->len = 16 * n;
	d->id = id;
	v->chain_len[id] = 1;
	__atomic_store_n(&d->flags, (uint16_t)(flags | VRING_DESC_F_INDIRECT), __ATOMIC_RELEASE);
	return id;
}

bool fg_pvq_get_used(struct fg_pvq *v, uint32_t *id, uint32_t *len)
{
	struct vring_packed_desc *d = &v->desc[v->last_used];
	/* Acquire: pairs with the device's release store of the flags. */
	uint16_t flags = __atomic_load_n(&d->flags, __ATOMIC_ACQUIRE);
	bool avail = flags & (1u << VRING_PACKED_DESC_F_AVAIL);
	bool used = flags & (1u << VRING_PACKED_DESC_F_USED);
	uint16_t n;

	if (avail != v->used_wrap || used != v->used_wrap)
		return false;
	*id = d->id;
	*len = d->len;
	n = d->id < FG_PVQ_MAX && v->chain_len[d->id] ? v->chain_len[d->id] : 1;
	v->last_used = (uint16_t)(v->last_used + n);
	if (v->last_used >= v->size) {
		v->last_used = (uint16_t)(v->last_used - v->size);
		v->used_wrap = !v->used_wrap;
	}
	return true;
}
