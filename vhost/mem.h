/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mem.h - the guest memory map a virtio device reads its buffers through.
 *
 * A struct vhost_mem is a small table of regions, each giving one range of
 * guest-physical addresses, the frontend's virtual address for the same bytes
 * ("uaddr": the address a vhost-user frontend names rings by; for Ferry's own
 * guests it equals the host address) and where the bytes are mapped in this
 * process.  vhost/virtq.c translates every descriptor through it; vmm/ builds
 * one for an in-process guest, and the vhost-user code will build one from the
 * fds of SET_MEM_TABLE (hence the mmap bookkeeping).
 *
 * Lifetime and threads: a map is built by the control plane, then published
 * to queues (virtio_dev.mem) and never changed while a queue uses it; to
 * replace it, stop the queues (which quiesces the datapath), swap, restart.
 * Lookups are therefore lock-free reads of immutable data, safe from any
 * number of PMD threads.
 *
 * Every lookup takes (address, length) and returns how many bytes are really
 * mapped contiguously from that address: callers never touch a byte they did
 * not ask about (the lesson of CVE-2018-1059).
 */
#ifndef FERRY_VHOST_MEM_H
#define FERRY_VHOST_MEM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

/* The vhost-user baseline (VHOST_MEMORY_BASELINE_NREGIONS) is 8; leave room for hotplug. */
#define VHOST_MEM_MAX_REGIONS 64

struct vhost_mem_region {
	uint64_t gpa; /* first guest-physical address */
	uint64_t size; /* bytes; gpa + size, uaddr + size and hva + size never wrap */
	uint64_t uaddr; /* the frontend's virtual address of gpa (== hva in-process) */
	void *hva; /* where gpa is mapped in this process */
	/*
	 * mmap bookkeeping for maps that own their mappings (vhost-user).  When
	 * mmap_addr is NULL (in-process guests: vmm/ owns the memory) destroy
	 * touches neither the mapping nor fd.
	 */
	void *mmap_addr; /* start of our mmap(), NULL when the map does not own it */
	uint64_t mmap_size; /* length passed to munmap() */
	int fd; /* the region's fd; with mmap_addr set, closed on destroy when >= 0 */
	/*
	 * Where gpa starts inside fd (vhost-user's mmap_offset).  A vhost-user
	 * frontend passes fd and fd_offset on to its backend, so an in-process
	 * guest's map sets them too (fd stays the VM's: mmap_addr is NULL).
	 */
	uint64_t fd_offset;
};

struct vhost_mem;

/* Allocate an empty map for up to @max_regions (<= VHOST_MEM_MAX_REGIONS); NULL on failure. */
struct vhost_mem *vhost_mem_create(uint32_t max_regions);
/* Free the map, unmapping and closing what the regions own. NULL is fine. */
void vhost_mem_destroy(struct vhost_mem *m);

/*
 * Add one region (copied).  Fails with -EINVAL for an empty, wrapping or
 * NULL region, -EEXIST when its guest-physical range overlaps another one,
 * -ENOSPC when the map is full.  On failure the map is unchanged and the
 * caller still owns r->mmap_addr / r->fd.
 */
int vhost_mem_add_region(struct vhost_mem *m, const struct vhost_mem_region *r);
uint32_t vhost_mem_num_regions(const struct vhost_mem *m);

/*
 * Guard the regions the map owns (mmap_addr set) against SIGBUS
 * (memguard.h): should the file behind one shrink, its bytes read as zeros
 * from then on, the map is marked faulted and @on_fault(@arg), if not NULL,
 * runs in signal context (async-signal-safe work only).  Call once, after
 * the last region is added and before a queue uses the map; -EBUSY when
 * called twice, -ENOSPC when the process ran out of guard slots.
 */
int vhost_mem_guard(struct vhost_mem *m, void (*on_fault)(void *arg), void *arg);
/* True once a guarded region of @m lost its file. */
bool vhost_mem_faulted(const struct vhost_mem *m);
const struct vhost_mem_region *vhost_mem_region(const struct vhost_mem *m, uint32_t i);

/*
 * Host pointer for guest-physical @gpa, or NULL if no region holds it.  On
 * success *len is shrunk to the bytes mapped contiguously from gpa (it never
 * grows); on failure *len is left alone.  Overflow-safe for any gpa and len.
 */
void *vhost_mem_gpa_to_hva(const struct vhost_mem *m, uint64_t gpa, uint64_t *len);
/* The same for an address in the frontend's virtual address space. */
void *vhost_mem_uaddr_to_hva(const struct vhost_mem *m, uint64_t uaddr, uint64_t *len);

/*
 * Translate [gpa, gpa + len) into at most @max iovecs (a range crossing a
 * region boundary becomes several).  Returns the number of iovecs used,
 * -EFAULT if any byte is unmapped, -ENOBUFS if @max is too small.
 */
int vhost_mem_map_iov(const struct vhost_mem *m, uint64_t gpa, uint64_t len, struct iovec *iov,
		      int max);
/* True when every byte of [gpa, gpa + len) is mapped (an empty range is). */
bool vhost_mem_range_mapped(const struct vhost_mem *m, uint64_t gpa, uint64_t len);
/* Copy @len bytes of guest memory at @gpa into @dst; 0 or -EFAULT. */
int vhost_mem_read(const struct vhost_mem *m, uint64_t gpa, void *dst, uint64_t len);

#endif
