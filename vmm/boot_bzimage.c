/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * boot_bzimage.c - the Linux x86 boot protocol (Documentation/arch/x86/
 * boot.rst), 64-bit entry only: Ferry loads the protected-mode kernel at
 * 1 MiB, fills a zero page (struct boot_params) at LAYOUT_ZERO_PAGE and enters
 * at offset 0x200 of the kernel in long mode with %rsi pointing at it.
 *
 * The image is untrusted input: every header field is range-checked before it
 * sizes a copy or picks an address.  Field offsets are the protocol's own
 * (absolute offsets in the zero page, which mirrors the file's first page).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <asm/bootparam.h>

#include "util/compiler.h"
#include "vmm/boot.h"
#include "vmm/layout.h"

/*
 * Zero-page and setup-header offsets (boot.rst, "The real-mode kernel header")
 * from the UAPI's struct boot_params.  The image is read and the zero page
 * written byte by byte at these offsets: an untrusted buffer has no alignment.
 */
#define BP(field) offsetof(struct boot_params, field)
#define BP_SETUP_SECTS BP(hdr.setup_sects)
#define BP_VID_MODE BP(hdr.vid_mode)
#define BP_HDR_JUMP (BP(hdr.jump) + 1) /* the jump's displacement: header length - 2 */
#define BP_VERSION BP(hdr.version)
#define BP_TYPE_OF_LOADER BP(hdr.type_of_loader)
#define BP_LOADFLAGS BP(hdr.loadflags)
#define BP_RAMDISK_IMAGE BP(hdr.ramdisk_image)
#define BP_RAMDISK_SIZE BP(hdr.ramdisk_size)
#define BP_HEAP_END_PTR BP(hdr.heap_end_ptr)
#define BP_CMD_LINE_PTR BP(hdr.cmd_line_ptr)
#define BP_INITRD_ADDR_MAX BP(hdr.initrd_addr_max)
#define BP_XLOADFLAGS BP(hdr.xloadflags)
#define BP_CMDLINE_SIZE BP(hdr.cmdline_size)
#define BP_INIT_SIZE BP(hdr.init_size)
#define BP_EXT_RAMDISK_IMAGE BP(ext_ramdisk_image)
#define BP_EXT_RAMDISK_SIZE BP(ext_ramdisk_size)
#define BP_E820_ENTRIES BP(e820_entries)
#define BP_E820_TABLE BP(e820_table)
#define BP_E820_MAX E820_MAX_ENTRIES_ZEROPAGE
#define BP_SIZE sizeof(struct boot_params)
_Static_assert(BP_SETUP_SECTS == 0x1f1 && BP_INIT_SIZE == 0x260 && BP_E820_TABLE == 0x2d0 &&
		       BP_SIZE == 4096,
	       "struct boot_params is the protocol's zero page");

#define MIN_VERSION 0x020c /* 2.12: xloadflags tell whether a 64-bit entry exists */
#define ENTRY64_OFFSET 0x200

static uint16_t get16(const uint8_t *p, size_t off)
{
	return (uint16_t)(p[off] | p[off + 1] << 8);
}

static uint32_t get32(const uint8_t *p, size_t off)
{
	return (uint32_t)get16(p, off) | (uint32_t)get16(p, off + 2) << 16;
}

static void put16(uint8_t *p, size_t off, uint16_t v)
{
	p[off] = (uint8_t)v;
	p[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, size_t off, uint32_t v)
{
	put16(p, off, (uint16_t)v);
	put16(p, off + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, size_t off, uint64_t v)
{
	put32(p, off, (uint32_t)v);
	put32(p, off + 4, (uint32_t)(v >> 32));
}

int boot_bzimage_parse(const uint8_t *buf, size_t len, struct boot_image *img, char *err)
{
	size_t sects;

	if (len < BP_INIT_SIZE + 4)
		return boot_error(err, "truncated bzImage: %zu bytes, the setup header needs %zu",
				  len, BP_INIT_SIZE + 4);
	img->version = get16(buf, BP_VERSION);
	if (img->version < MIN_VERSION)
		return boot_error(err,
				  "bzImage boot protocol %u.%02u is too old (need 2.12 or newer)",
				  img->version >> 8, img->version & 0xff);
	if (!(buf[BP_LOADFLAGS] & LOADED_HIGH))
		return boot_error(err, "zImage kernels that load below 1 MiB are not supported");
	if (!(get16(buf, BP_XLOADFLAGS) & XLF_KERNEL_64))
		return boot_error(err, "bzImage has no 64-bit entry point (xloadflags %#x)",
				  get16(buf, BP_XLOADFLAGS));
	sects = buf[BP_SETUP_SECTS] ? buf[BP_SETUP_SECTS] : 4;
	img->setup_size = (sects + 1) * 512;
	if (img->setup_size + ENTRY64_OFFSET + 1 > len)
		return boot_error(err, "truncated bzImage: %zu bytes, but setup alone takes %zu",
				  len, img->setup_size);
	img->kind = BOOT_BZIMAGE;
	img->buf = buf;
	img->len = len;
	img->init_size = get32(buf, BP_INIT_SIZE);
	img->initrd_addr_max = get32(buf, BP_INITRD_ADDR_MAX);
	img->cmdline_size = get32(buf, BP_CMDLINE_SIZE);
	return 0;
}

static void bz_fill_e820(uint8_t *zp, const struct e820_map *map)
{
	unsigned int n = MIN(map->nr, (unsigned int)BP_E820_MAX);

	for (unsigned int i = 0; i < n; i++) {
		size_t off = BP_E820_TABLE + (size_t)i * sizeof(struct boot_e820_entry);

		put64(zp, off, map->e[i].addr);
		put64(zp, off + 8, map->e[i].size);
		put32(zp, off + 16, map->e[i].type);
	}
	zp[BP_E820_ENTRIES] = (uint8_t)n;
}

/* Build the zero page: the file's setup header plus what the loader fills. */
static void bz_fill_zero_page(uint8_t *zp, const struct boot_image *img)
{
	size_t hdr_end = 0x202 + img->buf[BP_HDR_JUMP];

	memset(zp, 0, BP_SIZE);
	hdr_end = MIN(hdr_end, MIN(img->setup_size, (size_t)BP_SIZE));
	memcpy(zp + BP_SETUP_SECTS, img->buf + BP_SETUP_SECTS, hdr_end - BP_SETUP_SECTS);
	put16(zp, BP_VID_MODE, 0xffff); /* "normal" text mode */
	zp[BP_TYPE_OF_LOADER] = 0xff; /* undefined loader id */
	zp[BP_LOADFLAGS] |= CAN_USE_HEAP;
	put16(zp, BP_HEAP_END_PTR, 0xfe00);
	put32(zp, BP_CMD_LINE_PTR, (uint32_t)LAYOUT_CMDLINE);
}

static int bz_load_cmdline(const struct boot_image *img, const struct vmm_mem *mem,
			   const char *cmdline, char *err)
{
	size_t n = cmdline ? strlen(cmdline) : 0;
	size_t max = MIN((size_t)img->cmdline_size, (size_t)LAYOUT_CMDLINE_MAX - 1);

	if (n > max)
		return boot_error(err, "command line is %zu bytes; this kernel accepts at most %zu",
				  n, max);
	if (vmm_mem_write(mem, LAYOUT_CMDLINE, cmdline ? cmdline : "", n + 1))
		return boot_error(err, "guest memory too small for the command line");
	return 0;
}

static int bz_load_initrd(uint8_t *zp, const struct boot_image *img, const struct vmm_mem *mem,
			  const struct boot_args *args, uint64_t kernel_end, char *err)
{
	uint64_t top = MIN(vmm_mem_low_top(mem), (uint64_t)img->initrd_addr_max + 1);
	uint64_t addr;

	if (!args->initrd)
		return 0;
	addr = boot_initrd_place(kernel_end, top, args->initrd_len);
	if (!addr)
		return boot_error(err,
				  "initrd of %zu bytes does not fit below %#llx beside the kernel",
				  args->initrd_len, (unsigned long long)top);
	if (vmm_mem_write(mem, addr, args->initrd, args->initrd_len))
		return -EFAULT;
	put32(zp, BP_RAMDISK_IMAGE, (uint32_t)addr);
	put32(zp, BP_RAMDISK_SIZE, (uint32_t)args->initrd_len);
	put32(zp, BP_EXT_RAMDISK_IMAGE, (uint32_t)(addr >> 32));
	put32(zp, BP_EXT_RAMDISK_SIZE, (uint32_t)((uint64_t)args->initrd_len >> 32));
	return 0;
}

int boot_bzimage_load(const struct boot_image *img, const struct vmm_mem *mem,
		      const struct boot_args *args, struct boot_entry *entry, char *err)
{
	size_t payload = img->len - img->setup_size;
	uint64_t need = MAX((uint64_t)payload, (uint64_t)img->init_size);
	uint64_t kernel_end = LAYOUT_HIGH_START + need;
	uint8_t *zp;
	int ret;

	if (kernel_end > vmm_mem_low_top(mem))
		return boot_error(err,
				  "kernel needs %llu MiB from 1 MiB up; the VM has only %llu MiB",
				  (unsigned long long)(need >> 20),
				  (unsigned long long)(vmm_mem_low_top(mem) >> 20));
	if (vmm_mem_write(mem, LAYOUT_HIGH_START, img->buf + img->setup_size, payload))
		return -EFAULT;
	zp = vmm_mem_ptr(mem, LAYOUT_ZERO_PAGE, BP_SIZE);
	if (!zp)
		return -EFAULT;
	bz_fill_zero_page(zp, img);
	bz_fill_e820(zp, args->e820);
	ret = bz_load_cmdline(img, mem, args->cmdline, err);
	if (!ret)
		ret = bz_load_initrd(zp, img, mem, args, ALIGN_UP(kernel_end, 4096ull), err);
	if (ret)
		return ret;
	*entry = (struct boot_entry){
		.mode = BOOT_CPU_LONG64,
		.rip = LAYOUT_HIGH_START + ENTRY64_OFFSET,
		.rsi = LAYOUT_ZERO_PAGE,
	};
	return 0;
}
