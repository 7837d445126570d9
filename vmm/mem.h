/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mem.h - guest RAM: allocation (memfd, optionally hugetlb), the guest
 * physical layout around the PCI hole, and length-checked translation from
 * guest-physical to host addresses.
 *
 * The layout is fixed for every VM: RAM from 0 up to the PCI hole at 3 GiB,
 * and any remainder above 4 GiB.  Boot loaders (boot_*.c), firmware tables
 * (mptable.c) and devices reach guest memory only through vmm_mem_ptr(), which
 * refuses any range that is not entirely RAM.
 */
#ifndef FERRY_VMM_MEM_H
#define FERRY_VMM_MEM_H

#include <stdbool.h>
#include <stdint.h>

#define VMM_MEM_MAX_SLOTS 2
#define VMM_MEM_MIN_SIZE (16ull << 20)
/* Start of the 32-bit PCI MMIO hole; RAM resumes at 4 GiB. */
#define VMM_PCI_HOLE_START 0xc0000000ull
#define VMM_HIGH_MEM_START 0x100000000ull

/* One contiguous range of guest RAM backed by one host mapping. */
struct vmm_mem_slot {
	uint64_t gpa; /* guest-physical start */
	uint64_t size; /* bytes */
	uint8_t *hva; /* host address of gpa */
	uint64_t fd_offset; /* offset of this slot in the memfd */
};

struct vmm_mem {
	uint64_t size; /* total RAM bytes */
	int fd; /* memfd backing all slots, -1 for anonymous test memory */
	bool hugetlb; /* backed by 2 MiB hugetlb pages */
	uint8_t *base; /* one host mapping of the whole memfd */
	unsigned int nslots;
	struct vmm_mem_slot slots[VMM_MEM_MAX_SLOTS];
};

/* Allocate @size bytes of guest RAM; @hugetlb asks for 2 MiB pages. */
int vmm_mem_init(struct vmm_mem *mem, uint64_t size, bool hugetlb);
void vmm_mem_fini(struct vmm_mem *mem);

/*
 * Host pointer to guest range [gpa, gpa + len), or NULL unless the whole
 * range lies inside one RAM slot (overflow-safe).
 */
void *vmm_mem_ptr(const struct vmm_mem *mem, uint64_t gpa, uint64_t len);

/* Highest RAM address below 4 GiB plus one (the top of the low slot). */
uint64_t vmm_mem_low_top(const struct vmm_mem *mem);

/* Copy into / out of guest memory; -EFAULT unless the range is RAM. */
int vmm_mem_write(const struct vmm_mem *mem, uint64_t gpa, const void *src, uint64_t len);
int vmm_mem_read(const struct vmm_mem *mem, uint64_t gpa, void *dst, uint64_t len);

#endif
