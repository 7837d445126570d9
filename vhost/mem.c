/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mem.c - the guest memory map of vhost/mem.h.
 *
 * Regions are kept sorted by guest-physical address.  The common cases (one
 * or two regions: RAM below and above the PCI hole) are served by a linear
 * scan of one or two compares, larger maps by binary search; no cache is
 * kept, so lookups never write shared memory and PMD threads do not bounce
 * a cache line between them.  Translations of frontend virtual addresses
 * (uaddr) are a control-path operation (ring setup) and scan linearly.
 *
 * Every range check is written as "offset < size" on unsigned differences,
 * never as "start + len <= end", so no addition can wrap.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/compiler.h"
#include "vhost/mem.h"
#include "vhost/memguard.h"

/* At or below this many regions a linear scan beats a binary search. */
#define MEM_LINEAR_MAX 4

struct vhost_mem {
	uint32_t nregions; /* regions in use, sorted by gpa */
	uint32_t max_regions; /* capacity of regions[] */
	/* vhost_mem_guard(): the memguard slots of the owned regions (nguards of them), the hook. */
	int guard[VHOST_MEM_MAX_REGIONS];
	unsigned int nguards;
	void (*on_fault)(void *arg);
	void *fault_arg;
	atomic_bool faulted; /* set in signal context when a guarded region lost its file */
	struct vhost_mem_region regions[]; /* sorted by gpa, non-overlapping */
};

struct vhost_mem *vhost_mem_create(uint32_t max_regions)
{
	struct vhost_mem *m;

	if (max_regions == 0 || max_regions > VHOST_MEM_MAX_REGIONS)
		return NULL;
	m = calloc(1, sizeof(*m) + max_regions * sizeof(m->regions[0]));
	if (!m)
		return NULL;
	m->max_regions = max_regions;
	return m;
}

void vhost_mem_destroy(struct vhost_mem *m)
{
	uint32_t i;

	if (!m)
		return;
	for (i = 0; i < m->nguards; i++)
		memguard_del(m->guard[i]);
	for (i = 0; i < m->nregions; i++) {
		struct vhost_mem_region *r = &m->regions[i];

		if (!r->mmap_addr)
			continue; /* mapped by someone else (vmm/): not ours to undo */
		munmap(r->mmap_addr, r->mmap_size);
		if (r->fd >= 0)
			close(r->fd);
	}
	free(m);
}

/* memguard's hook, in signal context: atomics and the owner's own safe hook only. */
static void mem_on_fault(void *arg)
{
	struct vhost_mem *m = arg;

	atomic_store(&m->faulted, true);
	if (m->on_fault)
		m->on_fault(m->fault_arg);
}

int vhost_mem_guard(struct vhost_mem *m, void (*on_fault)(void *arg), void *arg)
{
	uint32_t i;
	int id;

	if (m->nguards)
		return -EBUSY;
	m->on_fault = on_fault;
	m->fault_arg = arg;
	for (i = 0; i < m->nregions; i++) {
		const struct vhost_mem_region *r = &m->regions[i];

		if (!r->mmap_addr)
			continue;
		id = memguard_add(r->mmap_addr, r->mmap_size, mem_on_fault, m);
		if (id < 0)
			return id; /* the slots taken so far go with the map */
		m->guard[m->nguards++] = id;
	}
	return 0;
}

bool vhost_mem_faulted(const struct vhost_mem *m)
{
	return atomic_load(&m->faulted);
}

static bool region_wraps(const struct vhost_mem_region *r)
{
	uint64_t last = r->size - 1;

	return r->gpa > UINT64_MAX - last || r->uaddr > UINT64_MAX - last ||
	       (uintptr_t)r->hva > UINTPTR_MAX - last;
}

/* True when [a, a + asz) and [b, b + bsz) share a byte; sizes are non-zero and ranges do not wrap. */
static bool ranges_overlap(uint64_t a, uint64_t asz, uint64_t b, uint64_t bsz)
{
	return a - b < bsz || b - a < asz;
}

int vhost_mem_add_region(struct vhost_mem *m, const struct vhost_mem_region *r)
{
	uint32_t i, pos;

	if (r->size == 0 || !r->hva || region_wraps(r))
		return -EINVAL;
	if (m->nregions == m->max_regions)
		return -ENOSPC;
	for (i = 0; i < m->nregions; i++)
		if (ranges_overlap(r->gpa, r->size, m->regions[i].gpa, m->regions[i].size))
			return -EEXIST;
	for (pos = 0; pos < m->nregions && m->regions[pos].gpa < r->gpa; pos++)
		;
	memmove(&m->regions[pos + 1], &m->regions[pos],
		(m->nregions - pos) * sizeof(m->regions[0]));
	m->regions[pos] = *r;
	m->nregions++;
	return 0;
}

uint32_t vhost_mem_num_regions(const struct vhost_mem *m)
{
	return m->nregions;
}

const struct vhost_mem_region *vhost_mem_region(const struct vhost_mem *m, uint32_t i)
{
	return i < m->nregions ? &m->regions[i] : NULL;
}

/* The region holding @gpa, or NULL. */
static const struct vhost_mem_region *mem_find_gpa(const struct vhost_mem *m, uint64_t gpa)
{
	uint32_t lo = 0, hi = m->nregions;

	if (m->nregions <= MEM_LINEAR_MAX) {
		for (lo = 0; lo < m->nregions; lo++)
			if (gpa - m->regions[lo].gpa < m->regions[lo].size)
				return &m->regions[lo];
		return NULL;
	}
	/* Find the last region starting at or below gpa. */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (m->regions[mid].gpa <= gpa)
			lo = mid;
		else
			hi = mid;
	}
	if (gpa - m->regions[lo].gpa < m->regions[lo].size)
		return &m->regions[lo];
	return NULL;
}

/* Host pointer for @off bytes into @r, shrinking *len to what is left of the region. */
static void *region_ptr(const struct vhost_mem_region *r, uint64_t off, uint64_t *len)
{
	if (*len > r->size - off)
		*len = r->size - off;
	return (uint8_t *)r->hva + off;
}

void *vhost_mem_gpa_to_hva(const struct vhost_mem *m, uint64_t gpa, uint64_t *len)
{
	const struct vhost_mem_region *r = mem_find_gpa(m, gpa);

	if (!r)
		return NULL;
	return region_ptr(r, gpa - r->gpa, len);
}

void *vhost_mem_uaddr_to_hva(const struct vhost_mem *m, uint64_t uaddr, uint64_t *len)
{
	uint32_t i;

	for (i = 0; i < m->nregions; i++) {
		const struct vhost_mem_region *r = &m->regions[i];

		if (uaddr - r->uaddr < r->size)
			return region_ptr(r, uaddr - r->uaddr, len);
	}
	return NULL;
}

/* A range running past the top of the address space would continue at address 0. */
static bool range_wraps(uint64_t addr, uint64_t len)
{
	return len > 0 && addr > UINT64_MAX - (len - 1);
}

int vhost_mem_map_iov(const struct vhost_mem *m, uint64_t gpa, uint64_t len, struct iovec *iov,
		      int max)
{
	int n = 0;

	if (range_wraps(gpa, len))
		return -EFAULT;
	while (len > 0) {
		uint64_t seg = len;
		void *p = vhost_mem_gpa_to_hva(m, gpa, &seg);

		if (!p)
			return -EFAULT;
		if (n == max)
			return -ENOBUFS;
		iov[n].iov_base = p;
		iov[n].iov_len = seg;
		n++;
		gpa += seg;
		len -= seg;
	}
	return n;
}

bool vhost_mem_range_mapped(const struct vhost_mem *m, uint64_t gpa, uint64_t len)
{
	if (range_wraps(gpa, len))
		return false;
	while (len > 0) {
		uint64_t seg = len;

		if (!vhost_mem_gpa_to_hva(m, gpa, &seg))
			return false;
		gpa += seg;
		len -= seg;
	}
	return true;
}

int vhost_mem_read(const struct vhost_mem *m, uint64_t gpa, void *dst, uint64_t len)
{
	uint8_t *out = dst;

	if (range_wraps(gpa, len))
		return -EFAULT;
	while (len > 0) {
		uint64_t seg = len;
		const void *p = vhost_mem_gpa_to_hva(m, gpa, &seg);

		if (!p)
			return -EFAULT;
		memcpy(out, p, seg);
		out += seg;
		gpa += seg;
		len -= seg;
	}
	return 0;
}
