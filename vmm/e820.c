/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * e820.c - builds the memory map (see e820.h).  Below 1 MiB, the top of
 * conventional memory (EBDA) to 1 MiB is reserved: that is where the MP table
 * lives and where legacy software expects ROM.  The PCI hole is left out of
 * the map entirely, which is how guests learn it is free for MMIO.
 */
#include <errno.h>

#include "vmm/e820.h"
#include "vmm/layout.h"

static void e820_add(struct e820_map *map, uint64_t addr, uint64_t size, uint32_t type)
{
	if (size && map->nr < E820_MAX_ENTRIES)
		map->e[map->nr++] = (struct e820_entry){ addr, size, type };
}

int e820_build(struct e820_map *map, const struct vmm_mem *mem)
{
	uint64_t low_top = vmm_mem_low_top(mem);

	map->nr = 0;
	if (low_top < LAYOUT_HIGH_START)
		return -EINVAL;
	e820_add(map, 0, LAYOUT_EBDA, E820_RAM);
	e820_add(map, LAYOUT_EBDA, LAYOUT_HIGH_START - LAYOUT_EBDA, E820_RESERVED);
	e820_add(map, LAYOUT_HIGH_START, low_top - LAYOUT_HIGH_START, E820_RAM);
	for (unsigned int i = 1; i < mem->nslots; i++)
		e820_add(map, mem->slots[i].gpa, mem->slots[i].size, E820_RAM);
	return 0;
}
