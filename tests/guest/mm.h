/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mm.h - physical memory for the guest: the PVH memory map, copied at boot,
 * and a bump allocator of pages over its RAM ranges below 4 GiB (all
 * identity-mapped, so an allocation's address is also its physical address,
 * ready for DMA).  Pages are never freed: every mode is a short-lived
 * program.  Ring 3.
 */
#ifndef FERRY_GUEST_MM_H
#define FERRY_GUEST_MM_H

#include "guest.h"
#include "start_info.h"

#define MM_MAX_RANGES 32
#define MM_LOW_LIMIT 0x100000ULL /* "low" memory: below 1 MiB, reachable by a SIPI */

/*
 * Copies the memory map out of @si and reserves what must not be handed out:
 * page 0, the image, start_info itself, the map and the command line.
 * Returns 0, or -ENOENT when @si has no memory map (version 0 or empty).
 */
int mm_init(const struct hvm_start_info *si);

/* Marks [base, base + size) as not allocatable (e.g. firmware tables). */
void mm_reserve(uint64_t base, uint64_t size);

/* Bytes of RAM in the map (all of it, also above 4 GiB) and entry count. */
uint64_t mm_ram_bytes(void);
unsigned int mm_nr_entries(void);

/* @n contiguous pages from RAM at or above 1 MiB, not zeroed; NULL if none. */
void *mm_alloc_pages(size_t n);

/* One page of RAM below 1 MiB (for the AP trampoline); NULL if none. */
void *mm_alloc_low_page(void);

#endif
