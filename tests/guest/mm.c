/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mm.c - the memory map and page allocator (see mm.h).
 *
 * Free memory is the RAM entries of the map, clipped to the identity-mapped
 * 4 GiB; each keeps a bump pointer.  Instead of cutting ranges around
 * reservations, an allocation that would overlap one skips past it.  The map
 * comes from the VMM and is checked: entries are bounded in number and
 * wrap-around sizes are clipped.
 */
#include "lib.h"
#include "mm.h"

#define MM_MAX_RESERVED 16
#define MM_ADDR_LIMIT 0x100000000ULL /* the identity map ends at 4 GiB (boot.S) */

/* One RAM range and the next address it will hand out. */
struct mm_range {
	uint64_t base; /* page-aligned start */
	uint64_t end; /* page-aligned end (exclusive) */
	uint64_t next; /* bump pointer, base <= next <= end */
};

/* An interval that allocations skip. */
struct mm_hole {
	uint64_t base;
	uint64_t end; /* exclusive */
};

static struct mm_range ranges[MM_MAX_RANGES];
static unsigned int nr_ranges;
static struct mm_hole holes[MM_MAX_RESERVED];
static unsigned int nr_holes;
static uint64_t ram_bytes;
static unsigned int nr_entries;

void mm_reserve(uint64_t base, uint64_t size)
{
	if (nr_holes == MM_MAX_RESERVED || !size)
		return;
	holes[nr_holes].base = base & ~(uint64_t)(PAGE_SIZE - 1);
	holes[nr_holes].end = base + size < base ? UINT64_MAX : base + size;
	nr_holes++;
}

static void mm_add_ram(uint64_t addr, uint64_t size)
{
	uint64_t end = addr + size < addr ? UINT64_MAX : addr + size;
	struct mm_range *r;

	ram_bytes += end - addr;
	addr = ALIGN_UP(addr, PAGE_SIZE);
	end = MIN(end, MM_ADDR_LIMIT) & ~(uint64_t)(PAGE_SIZE - 1);
	if (addr >= end || nr_ranges == MM_MAX_RANGES)
		return;
	r = &ranges[nr_ranges++];
	r->base = addr;
	r->end = end;
	r->next = addr;
}

int mm_init(const struct hvm_start_info *si)
{
	const struct hvm_memmap_table_entry *e;

	mm_reserve(0, PAGE_SIZE);
	mm_reserve((uintptr_t)_image_start, (uintptr_t)(_image_end - _image_start));
	mm_reserve((uintptr_t)si, sizeof(*si));
	if (si->cmdline_paddr)
		mm_reserve(si->cmdline_paddr, PAGE_SIZE);
	if (si->version < 1 || !si->memmap_paddr || !si->memmap_entries)
		return -ENOENT;
	nr_entries = si->memmap_entries;
	mm_reserve(si->memmap_paddr, (uint64_t)nr_entries * sizeof(*e));
	e = (const struct hvm_memmap_table_entry *)(uintptr_t)si->memmap_paddr;
	for (unsigned int i = 0; i < nr_entries && i < 4 * MM_MAX_RANGES; i++) {
		if (e[i].type == HVM_MEMMAP_TYPE_RAM)
			mm_add_ram(e[i].addr, e[i].size);
	}
	return 0;
}

uint64_t mm_ram_bytes(void)
{
	return ram_bytes;
}

unsigned int mm_nr_entries(void)
{
	return nr_entries;
}

/* The end of a hole overlapping [addr, addr + len), or 0 if none does. */
static uint64_t mm_hole_end(uint64_t addr, uint64_t len)
{
	for (unsigned int i = 0; i < nr_holes; i++) {
		if (addr < holes[i].end && holes[i].base < addr + len)
			return ALIGN_UP(holes[i].end, PAGE_SIZE);
	}
	return 0;
}

/* First fit of @len bytes inside [lo, hi) across all ranges. */
static void *mm_alloc_in(uint64_t len, uint64_t lo, uint64_t hi)
{
	for (unsigned int i = 0; i < nr_ranges; i++) {
		struct mm_range *r = &ranges[i];
		uint64_t addr = MAX(r->next, lo), end = MIN(r->end, hi), skip;

		while (addr < end && len <= end - addr) {
			skip = mm_hole_end(addr, len);
			if (!skip) {
				r->next = addr + len;
				return (void *)(uintptr_t)addr;
			}
			addr = skip;
		}
	}
	return NULL;
}

void *mm_alloc_pages(size_t n)
{
	if (!n || n > MM_ADDR_LIMIT / PAGE_SIZE)
		return NULL;
	return mm_alloc_in((uint64_t)n * PAGE_SIZE, MM_LOW_LIMIT, MM_ADDR_LIMIT);
}

void *mm_alloc_low_page(void)
{
	return mm_alloc_in(PAGE_SIZE, 0, MM_LOW_LIMIT);
}
