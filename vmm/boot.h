/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * boot.h - kernel images and how the boot CPU enters them.
 *
 * Two formats: a Linux bzImage (x86 boot protocol 2.12+, entered at its
 * 64-bit entry point with boot_params in %rsi) and an ELF64 kernel with a PVH
 * entry note (entered in 32-bit protected mode with hvm_start_info in %ebx),
 * as Firecracker and Cloud Hypervisor boot vmlinux.  Parsing works on a byte
 * buffer and never trusts it; loading writes only through vmm_mem_ptr().
 * Every failure fills a one-line reason for the user.
 */
#ifndef FERRY_VMM_BOOT_H
#define FERRY_VMM_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "util/compiler.h"
#include "vmm/e820.h"
#include "vmm/mem.h"

#define BOOT_ERR_LEN 256
#define BOOT_MAX_SEGMENTS 16

enum boot_kind {
	BOOT_BZIMAGE,
	BOOT_PVH,
};

/* One ELF PT_LOAD segment, already checked against the file size. */
struct boot_segment {
	uint64_t paddr; /* guest-physical destination */
	uint64_t offset; /* file offset */
	uint64_t filesz; /* bytes copied from the file */
	uint64_t memsz; /* bytes occupied (the rest is zeroed) */
};

struct boot_image {
	enum boot_kind kind;
	const uint8_t *buf; /* the whole file (not owned) */
	size_t len;
	/* bzImage */
	uint16_t version; /* boot protocol version, e.g. 0x020f */
	size_t setup_size; /* bytes of real-mode setup before the payload */
	uint32_t init_size; /* memory the kernel needs from its load address */
	uint32_t initrd_addr_max; /* highest address the initrd may end at */
	uint32_t cmdline_size; /* longest command line, without the NUL */
	/* PVH */
	uint32_t pvh_entry; /* 32-bit physical entry point */
	unsigned int nsegs;
	struct boot_segment segs[BOOT_MAX_SEGMENTS];
};

/* How the boot CPU starts: the mode, entry point and argument register. */
enum boot_cpu_mode {
	BOOT_CPU_LONG64, /* long mode, paging with the boot identity map */
	BOOT_CPU_PROT32, /* 32-bit protected mode, paging off */
};

struct boot_entry {
	enum boot_cpu_mode mode;
	uint64_t rip;
	uint64_t rsi; /* bzImage: boot_params */
	uint64_t rbx; /* PVH: hvm_start_info */
};

/* What the loader places beside the kernel. */
struct boot_args {
	const char *cmdline; /* may be NULL */
	const uint8_t *initrd; /* may be NULL */
	size_t initrd_len;
	const struct e820_map *e820;
};

/* Recognise and check @buf; fills @img or returns -EINVAL with @err set. */
int boot_image_parse(const uint8_t *buf, size_t len, struct boot_image *img, char *err);

/* Place @img and @args in guest memory; fills @entry. */
int boot_image_load(const struct boot_image *img, const struct vmm_mem *mem,
		    const struct boot_args *args, struct boot_entry *entry, char *err);

/* Write a one-line reason into @err (BOOT_ERR_LEN bytes); returns -EINVAL. */
int boot_error(char *err, const char *fmt, ...) FERRY_PRINTF(2, 3);

/* Format-specific halves, exposed for unit tests. */
int boot_bzimage_parse(const uint8_t *buf, size_t len, struct boot_image *img, char *err);
int boot_bzimage_load(const struct boot_image *img, const struct vmm_mem *mem,
		      const struct boot_args *args, struct boot_entry *entry, char *err);
int boot_elf_parse(const uint8_t *buf, size_t len, struct boot_image *img, char *err);
int boot_elf_load(const struct boot_image *img, const struct vmm_mem *mem,
		  const struct boot_args *args, struct boot_entry *entry, char *err);

/*
 * Highest page-aligned place for an initrd of @len bytes that ends at or
 * below @top and starts at or above @floor; 0 if it does not fit.
 */
uint64_t boot_initrd_place(uint64_t floor, uint64_t top, uint64_t len);

#endif
