/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mem.c - guest RAM allocation and translation (see mem.h).
 *
 * RAM is a single memfd mapped MAP_SHARED once: later, a vhost-user frontend
 * hands the same fd to an external backend, and the memory slots registered
 * with KVM (vm.c) are windows into that one mapping.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/log.h"
#include "vmm/mem.h"

#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif
#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB (21U << 26)
#endif

#define HUGE_2M (2ull << 20)

static void mem_layout(struct vmm_mem *mem)
{
	uint64_t low = MIN(mem->size, VMM_PCI_HOLE_START);

	mem->slots[0] =
		(struct vmm_mem_slot){ .gpa = 0, .size = low, .hva = mem->base, .fd_offset = 0 };
	mem->nslots = 1;
	if (mem->size > low) {
		mem->slots[1] = (struct vmm_mem_slot){
			.gpa = VMM_HIGH_MEM_START,
			.size = mem->size - low,
			.hva = mem->base + low,
			.fd_offset = low,
		};
		mem->nslots = 2;
	}
}

static int mem_create_fd(uint64_t size, bool hugetlb)
{
	unsigned int flags = MFD_CLOEXEC | MFD_ALLOW_SEALING |
			     (hugetlb ? MFD_HUGETLB | MFD_HUGE_2MB : 0);
	int fd, err;

	fd = memfd_create("ferry-guest-ram", flags);
	if (fd < 0) {
		err = -errno;
		LOG_ERR("vmm", "memfd_create(%s): %s", hugetlb ? "hugetlb" : "normal",
			strerror(errno));
		return err;
	}
	if (ftruncate(fd, (off_t)size) < 0) {
		err = -errno;
		LOG_ERR("vmm", "cannot size guest RAM to %llu bytes: %s", (unsigned long long)size,
			strerror(errno));
		close(fd);
		return err;
	}
	/*
	 * The fd goes to vhost-user backends (vmm_mem_fd): sealed, none of them
	 * can shrink it under the vCPUs and our devices, which would SIGBUS us.
	 */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		LOG_INFO("vmm", "guest RAM not sealed against resizing: %s", strerror(errno));
	return fd;
}

int vmm_mem_init(struct vmm_mem *mem, uint64_t size, bool hugetlb)
{
	void *p;
	int err;

	memset(mem, 0, sizeof(*mem));
	mem->fd = -1;
	if (size < VMM_MEM_MIN_SIZE) {
		LOG_ERR("vmm", "guest memory %llu bytes is below the minimum of 16 MiB",
			(unsigned long long)size);
		return -EINVAL;
	}
	if (hugetlb && size % HUGE_2M) {
		LOG_ERR("vmm", "hugetlb guest memory must be a multiple of 2 MiB");
		return -EINVAL;
	}
	mem->fd = mem_create_fd(size, hugetlb);
	if (mem->fd < 0)
		return mem->fd;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, mem->fd, 0);
	if (p == MAP_FAILED) {
		err = -errno;
		LOG_ERR("vmm", "cannot map %llu bytes of guest RAM%s: %s", (unsigned long long)size,
			hugetlb ? " (are hugepages reserved?)" : "", strerror(errno));
		close(mem->fd);
		mem->fd = -1;
		return err;
	}
	/* Guest RAM is never worth a core dump and may be huge. */
	madvise(p, size, MADV_DONTDUMP);
	mem->base = p;
	mem->size = size;
	mem->hugetlb = hugetlb;
	mem_layout(mem);
	return 0;
}

void vmm_mem_fini(struct vmm_mem *mem)
{
	if (mem->base)
		munmap(mem->base, mem->size);
	if (mem->fd >= 0)
		close(mem->fd);
	mem->base = NULL;
	mem->fd = -1;
	mem->nslots = 0;
}

void *vmm_mem_ptr(const struct vmm_mem *mem, uint64_t gpa, uint64_t len)
{
	for (unsigned int i = 0; i < mem->nslots; i++) {
		const struct vmm_mem_slot *s = &mem->slots[i];

		/* Written so that no sum can wrap: offset and len both <= size. */
		if (gpa < s->gpa || gpa - s->gpa > s->size)
			continue;
		if (len > s->size - (gpa - s->gpa))
			return NULL;
		return s->hva + (gpa - s->gpa);
	}
	return NULL;
}

uint64_t vmm_mem_low_top(const struct vmm_mem *mem)
{
	return mem->nslots ? mem->slots[0].size : 0;
}

int vmm_mem_write(const struct vmm_mem *mem, uint64_t gpa, const void *src, uint64_t len)
{
	void *dst = vmm_mem_ptr(mem, gpa, len);

	if (!dst)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

int vmm_mem_read(const struct vmm_mem *mem, uint64_t gpa, void *dst, uint64_t len)
{
	const void *src = vmm_mem_ptr(mem, gpa, len);

	if (!src)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}
