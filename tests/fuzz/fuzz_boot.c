/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_boot.c - libFuzzer harness for the kernel image loaders (vmm/boot*.c):
 * any bytes as a kernel file, through boot_image_parse() and, when that
 * accepts them, boot_image_load() into 64 MiB of guest memory with a command
 * line and an initrd, as `ferry boot` does.  The image is untrusted input: a
 * crash, an out-of-bounds access (ASan) or undefined behaviour (UBSan) here
 * is a bug in the loaders.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "vmm/boot.h"
#include "vmm/e820.h"
#include "vmm/mem.h"

#define GUEST_MEM (64ull << 20)

static struct vmm_mem mem;
static struct e820_map map;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (vmm_mem_init(&mem, GUEST_MEM, false) || e820_build(&map, &mem))
		abort(); /* the harness itself cannot run */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t initrd[4096];
	struct boot_args args = { .cmdline = "console=ttyS0",
				  .initrd = initrd,
				  .initrd_len = sizeof(initrd),
				  .e820 = &map };
	struct boot_image img;
	struct boot_entry entry;
	char err[BOOT_ERR_LEN];

	if (boot_image_parse(data, size, &img, err) == 0)
		boot_image_load(&img, &mem, &args, &entry, err);
	return 0;
}
