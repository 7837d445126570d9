/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * e820.h - the guest's physical memory map as Linux's e820 table and PVH's
 * memmap describe it, built once from struct vmm_mem and layout.h.
 */
#ifndef FERRY_VMM_E820_H
#define FERRY_VMM_E820_H

#include <stdint.h>

#include "vmm/mem.h"

#define E820_RAM 1
#define E820_RESERVED 2

#define E820_MAX_ENTRIES 8

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

struct e820_map {
	unsigned int nr;
	struct e820_entry e[E820_MAX_ENTRIES];
};

/* Fill @map for @mem; returns 0 or -EINVAL if @mem cannot hold the layout. */
int e820_build(struct e820_map *map, const struct vmm_mem *mem);

#endif
