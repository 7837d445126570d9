/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * start_info.h - the PVH boot ABI as the guest sees it: the structure a PVH
 * loader (Ferry, QEMU, Xen) passes in %ebx at the 32-bit entry point, and its
 * memory map.  Layout from Xen's public header hvm/start_info.h (version 1);
 * boot.S hands the pointer to cpu.c, which hands it to main.c in ring 3.
 */
#ifndef FERRY_GUEST_START_INFO_H
#define FERRY_GUEST_START_INFO_H

#define HVM_START_MAGIC 0x336ec578 /* "xEn3" with the top bit of the 'x' set */

/* ELF note type of the 32-bit physical entry point (Xen elfnote.h). */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

/* Memory map entry types, as in the E820 map. */
#define HVM_MEMMAP_TYPE_RAM 1
#define HVM_MEMMAP_TYPE_RESERVED 2
#define HVM_MEMMAP_TYPE_ACPI 3
#define HVM_MEMMAP_TYPE_NVS 4

#ifndef __ASSEMBLER__
#include <stdint.h>

struct hvm_start_info {
	uint32_t magic; /* HVM_START_MAGIC */
	uint32_t version; /* 0: up to rsdp_paddr; 1: adds the memory map */
	uint32_t flags; /* SIF_* (unused by this guest) */
	uint32_t nr_modules; /* modules at modlist_paddr (unused) */
	uint64_t modlist_paddr; /* physical address of the module list */
	uint64_t cmdline_paddr; /* physical address of the NUL-terminated command line, or 0 */
	uint64_t rsdp_paddr; /* physical address of the ACPI RSDP, or 0 */
	uint64_t memmap_paddr; /* version >= 1: physical address of the memory map */
	uint32_t memmap_entries; /* version >= 1: number of entries there */
	uint32_t reserved; /* must be zero */
};

struct hvm_memmap_table_entry {
	uint64_t addr; /* base physical address */
	uint64_t size; /* length in bytes */
	uint32_t type; /* HVM_MEMMAP_TYPE_* */
	uint32_t reserved; /* must be zero */
};
#endif

#endif
