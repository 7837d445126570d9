/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * boot.c - format detection and the pieces both boot protocols share (see
 * boot.h).  The format-specific halves live in boot_bzimage.c and boot_elf.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vmm/boot.h"

#define BZ_MAGIC_OFF 0x202
#define BZ_BOOTFLAG_OFF 0x1fe

int boot_error(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, BOOT_ERR_LEN, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int boot_image_parse(const uint8_t *buf, size_t len, struct boot_image *img, char *err)
{
	memset(img, 0, sizeof(*img));
	if (len == 0)
		return boot_error(err, "file is empty");
	if (len >= 4 && memcmp(buf,
			       "\x7f"
			       "ELF",
			       4) == 0)
		return boot_elf_parse(buf, len, img, err);
	if (len >= BZ_MAGIC_OFF + 4 && memcmp(buf + BZ_MAGIC_OFF, "HdrS", 4) == 0 &&
	    buf[BZ_BOOTFLAG_OFF] == 0x55 && buf[BZ_BOOTFLAG_OFF + 1] == 0xaa)
		return boot_bzimage_parse(buf, len, img, err);
	if (len < BZ_MAGIC_OFF + 4)
		return boot_error(err, "too short to be a kernel (neither ELF nor bzImage)");
	return boot_error(err, "not a kernel: no ELF magic and no bzImage 'HdrS' header");
}

int boot_image_load(const struct boot_image *img, const struct vmm_mem *mem,
		    const struct boot_args *args, struct boot_entry *entry, char *err)
{
	if (img->kind == BOOT_BZIMAGE)
		return boot_bzimage_load(img, mem, args, entry, err);
	return boot_elf_load(img, mem, args, entry, err);
}

uint64_t boot_initrd_place(uint64_t floor, uint64_t top, uint64_t len)
{
	uint64_t addr;

	if (len > top || top - len < floor)
		return 0;
	addr = (top - len) & ~0xfffull;
	return addr >= floor ? addr : 0;
}
