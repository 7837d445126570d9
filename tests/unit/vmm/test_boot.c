/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_boot.c - unit tests for vmm/'s boot path: guest memory bounds, the
 * e820 map, bzImage and ELF/PVH parsing and loading (well-formed, truncated,
 * malformed and random images), the MP table and CPUID topology.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "test_vmm.h"
#include "vmm/boot.h"
#include "vmm/cpuid.h"
#include "vmm/e820.h"
#include "vmm/layout.h"
#include "vmm/mem.h"
#include "vmm/mptable.h"

#define MiB (1ull << 20)

static struct vmm_mem mem64;

static int boot_suite_init(void)
{
	return vmm_mem_init(&mem64, 64 * MiB, false);
}

static int boot_suite_fini(void)
{
	vmm_mem_fini(&mem64);
	return 0;
}

static void test_mem_bounds(void)
{
	CU_ASSERT_PTR_NOT_NULL(vmm_mem_ptr(&mem64, 0, 64 * MiB));
	CU_ASSERT_PTR_NOT_NULL(vmm_mem_ptr(&mem64, 64 * MiB - 1, 1));
	CU_ASSERT_PTR_NULL(vmm_mem_ptr(&mem64, 64 * MiB - 1, 2));
	CU_ASSERT_PTR_NULL(vmm_mem_ptr(&mem64, 64 * MiB, 1));
	CU_ASSERT_PTR_NULL(vmm_mem_ptr(&mem64, UINT64_MAX, 2));
	CU_ASSERT_PTR_NULL(vmm_mem_ptr(&mem64, 4096, UINT64_MAX));
	CU_ASSERT_EQUAL(vmm_mem_write(&mem64, 64 * MiB - 2, "abc", 3), -EFAULT);
	CU_ASSERT_EQUAL(vmm_mem_init(&(struct vmm_mem){ 0 }, MiB, false), -EINVAL);
}

/* The RAM fd goes to vhost-user backends: none of them may resize it. */
static void test_mem_sealed(void)
{
	int seals = fcntl(mem64.fd, F_GET_SEALS);

	CU_ASSERT(seals >= 0 && (seals & F_SEAL_SHRINK) && (seals & F_SEAL_GROW) &&
		  (seals & F_SEAL_SEAL));
	CU_ASSERT(ftruncate(mem64.fd, 4096) < 0 && errno == EPERM);
	CU_ASSERT(ftruncate(mem64.fd, 128 * MiB) < 0 && errno == EPERM);
}

static void test_mem_high(void)
{
	struct vmm_mem m;
	struct e820_map map;

	/* 3.5 GiB: 3 GiB below the hole, 512 MiB above 4 GiB (NORESERVE: cheap). */
	CU_ASSERT_EQUAL_FATAL(vmm_mem_init(&m, 3584 * MiB, false), 0);
	CU_ASSERT_EQUAL(m.nslots, 2);
	CU_ASSERT_EQUAL(m.slots[1].gpa, VMM_HIGH_MEM_START);
	CU_ASSERT_EQUAL(m.slots[1].size, 512 * MiB);
	CU_ASSERT_PTR_NULL(vmm_mem_ptr(&m, VMM_PCI_HOLE_START, 1));
	CU_ASSERT_PTR_NOT_NULL(vmm_mem_ptr(&m, VMM_HIGH_MEM_START + 512 * MiB - 8, 8));
	CU_ASSERT_EQUAL(e820_build(&map, &m), 0);
	CU_ASSERT_EQUAL(map.nr, 4);
	CU_ASSERT_EQUAL(map.e[3].addr, VMM_HIGH_MEM_START);
	vmm_mem_fini(&m);
}

static void test_e820_low(void)
{
	struct e820_map map;

	CU_ASSERT_EQUAL_FATAL(e820_build(&map, &mem64), 0);
	CU_ASSERT_EQUAL(map.nr, 3);
	CU_ASSERT_EQUAL(map.e[0].type, E820_RAM);
	CU_ASSERT_EQUAL(map.e[0].size, LAYOUT_EBDA);
	CU_ASSERT_EQUAL(map.e[1].type, E820_RESERVED);
	CU_ASSERT_EQUAL(map.e[2].addr, LAYOUT_HIGH_START);
	CU_ASSERT_EQUAL(map.e[2].addr + map.e[2].size, 64 * MiB);
}

/* A minimal but well-formed bzImage: one setup sector plus @payload bytes. */
static uint8_t *make_bzimage(size_t payload, size_t *len)
{
	size_t setup = 2 * 512;
	uint8_t *b = calloc(1, setup + payload);

	b[0x1f1] = 1; /* setup_sects */
	b[0x1fe] = 0x55;
	b[0x1ff] = 0xaa;
	b[0x201] = 0x66; /* jump: header runs to 0x268 */
	memcpy(b + 0x202, "HdrS", 4);
	b[0x206] = 0x0f; /* version 2.15 */
	b[0x207] = 0x02;
	b[0x211] = 0x01; /* LOADED_HIGH */
	b[0x22c] = 0xff; /* initrd_addr_max 0x7fffffff */
	b[0x22d] = 0xff;
	b[0x22e] = 0xff;
	b[0x22f] = 0x7f;
	b[0x236] = 0x01; /* XLF_KERNEL_64 */
	b[0x238] = 0xff; /* cmdline_size 2047 */
	b[0x239] = 0x07;
	b[0x262] = 0x40; /* init_size 4 MiB */
	for (size_t i = 0; i < payload; i++)
		b[setup + i] = (uint8_t)i;
	*len = setup + payload;
	return b;
}

static void test_bzimage_load(void)
{
	size_t len;
	uint8_t *b = make_bzimage(8192, &len);
	uint8_t initrd[5000];
	struct boot_image img;
	struct boot_entry entry;
	struct e820_map map;
	struct boot_args args = { .cmdline = "console=ttyS0",
				  .initrd = initrd,
				  .initrd_len = sizeof(initrd),
				  .e820 = &map };
	char err[BOOT_ERR_LEN];
	const uint8_t *zp;
	uint32_t v;

	memset(initrd, 0xab, sizeof(initrd));
	e820_build(&map, &mem64);
	CU_ASSERT_EQUAL_FATAL(boot_image_parse(b, len, &img, err), 0);
	CU_ASSERT_EQUAL(img.kind, BOOT_BZIMAGE);
	CU_ASSERT_EQUAL(img.setup_size, 1024);
	CU_ASSERT_EQUAL_FATAL(boot_image_load(&img, &mem64, &args, &entry, err), 0);
	CU_ASSERT_EQUAL(entry.mode, BOOT_CPU_LONG64);
	CU_ASSERT_EQUAL(entry.rip, LAYOUT_HIGH_START + 0x200);
	CU_ASSERT_EQUAL(entry.rsi, LAYOUT_ZERO_PAGE);
	zp = vmm_mem_ptr(&mem64, LAYOUT_ZERO_PAGE, 4096);
	CU_ASSERT_EQUAL(zp[0x210], 0xff); /* type_of_loader */
	CU_ASSERT(zp[0x211] & 0x80); /* CAN_USE_HEAP */
	memcpy(&v, zp + 0x228, 4);
	CU_ASSERT_EQUAL(v, LAYOUT_CMDLINE);
	CU_ASSERT_STRING_EQUAL((const char *)vmm_mem_ptr(&mem64, LAYOUT_CMDLINE, 14),
			       "console=ttyS0");
	CU_ASSERT_EQUAL(zp[0x1e8], 3); /* e820 entries */
	CU_ASSERT_EQUAL(memcmp(vmm_mem_ptr(&mem64, LAYOUT_HIGH_START, 8192), b + 1024, 8192), 0);
	memcpy(&v, zp + 0x218, 4); /* ramdisk_image: page-aligned, at the top of RAM */
	CU_ASSERT_EQUAL(v & 0xfff, 0);
	CU_ASSERT(v + sizeof(initrd) <= 64 * MiB && v >= 64 * MiB - 8192);
	CU_ASSERT_EQUAL(*(uint8_t *)vmm_mem_ptr(&mem64, v, 1), 0xab);
	free(b);
}

static void test_bzimage_errors(void)
{
	size_t len;
	uint8_t *b = make_bzimage(4096, &len);
	struct boot_image img;
	struct boot_entry entry;
	struct e820_map map;
	char longline[4096];
	struct boot_args args = { .cmdline = longline, .e820 = &map };
	char err[BOOT_ERR_LEN];

	e820_build(&map, &mem64);
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	CU_ASSERT_EQUAL(boot_image_parse(b, len, &img, err), 0);
	CU_ASSERT_EQUAL(boot_image_load(&img, &mem64, &args, &entry, err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "command line"));
	/* Truncations: inside the header, and setup sectors past the end. */
	CU_ASSERT_EQUAL(boot_image_parse(b, 0x250, &img, err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "truncated"));
	b[0x1f1] = 60;
	CU_ASSERT_EQUAL(boot_image_parse(b, len, &img, err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "truncated"));
	b[0x1f1] = 1;
	b[0x206] = 0x0b; /* 2.11: too old */
	CU_ASSERT_EQUAL(boot_image_parse(b, len, &img, err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "too old"));
	b[0x206] = 0x0f;
	b[0x236] = 0; /* no 64-bit entry */
	CU_ASSERT_EQUAL(boot_image_parse(b, len, &img, err), -EINVAL);
	b[0x236] = 1;
	b[0x262] = 0x00; /* init_size 1 GiB: larger than the VM */
	b[0x263] = 0x40;
	CU_ASSERT_EQUAL(boot_image_parse(b, len, &img, err), 0);
	args.cmdline = "";
	CU_ASSERT_EQUAL(boot_image_load(&img, &mem64, &args, &entry, err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "MiB"));
	free(b);
}

/* An ELF64 executable: one PT_LOAD at @paddr and a PT_NOTE with the PVH entry. */
static uint8_t *make_elf(uint64_t paddr, size_t *len)
{
	size_t off_ph = sizeof(Elf64_Ehdr), off_note = off_ph + 2 * sizeof(Elf64_Phdr);
	size_t off_load = 512, code = 256;
	uint8_t *b = calloc(1, off_load + code);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
	Elf64_Phdr *ph = (Elf64_Phdr *)(b + off_ph);
	Elf64_Nhdr *nh = (Elf64_Nhdr *)(b + off_note);
	uint32_t entry = (uint32_t)paddr + 16;

	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_phoff = off_ph;
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 2;
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD,
			      .p_offset = off_load,
			      .p_paddr = paddr,
			      .p_filesz = code,
			      .p_memsz = code + 4096 };
	ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = off_note, .p_filesz = 20 };
	*nh = (Elf64_Nhdr){ .n_namesz = 4, .n_descsz = 4, .n_type = 18 };
	memcpy(b + off_note + sizeof(*nh), "Xen", 4);
	memcpy(b + off_note + sizeof(*nh) + 4, &entry, 4);
	memset(b + off_load, 0x90, code);
	*len = off_load + code;
	return b;
}

static void test_elf_load(void)
{
	size_t len;
	uint8_t *b = make_elf(0x200000, &len);
	struct boot_image img;
	struct boot_entry entry;
	struct e820_map map;
	struct boot_args args = { .cmdline = "mode=hello", .e820 = &map };
	char err[BOOT_ERR_LEN];
	const uint32_t *si;

	e820_build(&map, &mem64);
	memset(vmm_mem_ptr(&mem64, 0x200000 + 256, 4096), 0xee, 4096);
	CU_ASSERT_EQUAL_FATAL(boot_image_parse(b, len, &img, err), 0);
	CU_ASSERT_EQUAL(img.kind, BOOT_PVH);
	CU_ASSERT_EQUAL(img.pvh_entry, 0x200010);
	CU_ASSERT_EQUAL_FATAL(boot_image_load(&img, &mem64, &args, &entry, err), 0);
	CU_ASSERT_EQUAL(entry.mode, BOOT_CPU_PROT32);
	CU_ASSERT_EQUAL(entry.rip, 0x200010);
	CU_ASSERT_EQUAL(entry.rbx, LAYOUT_PVH_START_INFO);
	si = vmm_mem_ptr(&mem64, LAYOUT_PVH_START_INFO, 56);
	CU_ASSERT_EQUAL(si[0], 0x336ec578); /* magic */
	CU_ASSERT_EQUAL(si[1], 1); /* version */
	CU_ASSERT_EQUAL(si[12], 3); /* memmap_entries */
	CU_ASSERT_EQUAL(*(uint8_t *)vmm_mem_ptr(&mem64, 0x200000 + 300, 1), 0); /* bss zeroed */
	CU_ASSERT_EQUAL(*(uint8_t *)vmm_mem_ptr(&mem64, 0x200000, 1), 0x90);
	free(b);
}

static void test_elf_errors(void)
{
	size_t len;
	uint8_t *b = make_elf(0x200000, &len);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
	Elf64_Phdr *ph = (Elf64_Phdr *)(b + sizeof(*eh));
	struct boot_image img;
	struct boot_entry entry;
	struct e820_map map;
	struct boot_args args = { .e820 = &map };
	char err[BOOT_ERR_LEN];

	e820_build(&map, &mem64);
	CU_ASSERT_EQUAL(boot_image_parse(b, 40, &img, err), -EINVAL); /* header cut */
	CU_ASSERT_EQUAL(boot_image_parse(b, 100, &img, err), -EINVAL); /* phdrs cut */
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "truncated"));
	CU_ASSERT_EQUAL(boot_image_parse(b, len - 1, &img, err), -EINVAL); /* segment cut */
	ph[0].p_memsz = 1; /* smaller in memory than in the file */
	CU_ASSERT_EQUAL(boot_image_parse(b, len, &img, err), -EINVAL);
	ph[0].p_memsz = 4096;
	ph[0].p_paddr = 0x1000; /* would overwrite Ferry's boot data */
	CU_ASSERT_EQUAL_FATAL(boot_image_parse(b, len, &img, err), 0);
	CU_ASSERT_EQUAL(boot_image_load(&img, &mem64, &args, &entry, err), -EINVAL);
	ph[0].p_paddr = 63 * MiB; /* runs off the end of RAM */
	CU_ASSERT_EQUAL_FATAL(boot_image_parse(b, len, &img, err), 0);
	ph[0].p_memsz = 2 * MiB;
	CU_ASSERT_EQUAL_FATAL(boot_image_parse(b, len, &img, err), 0);
	CU_ASSERT_EQUAL(boot_image_load(&img, &mem64, &args, &entry, err), -EINVAL);
	ph[1].p_type = PT_NULL; /* no PVH note */
	CU_ASSERT_EQUAL(boot_image_parse(b, len, &img, err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "PVH"));
	ph[1].p_type = PT_NOTE;
	ph[1].p_filesz = 0xffffffffffff; /* note runs past the file: ignored, so no entry */
	CU_ASSERT_EQUAL(boot_image_parse(b, len, &img, err), -EINVAL);
	eh->e_ident[EI_CLASS] = ELFCLASS32;
	CU_ASSERT_EQUAL(boot_image_parse(b, len, &img, err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "64-bit"));
	free(b);
}

static void test_garbage(void)
{
	uint8_t buf[8192] = { 0 };
	struct boot_image img;
	char err[BOOT_ERR_LEN];
	unsigned int seed = 12345;

	CU_ASSERT_EQUAL(boot_image_parse(buf, 0, &img, err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "empty"));
	for (int round = 0; round < 2000; round++) {
		size_t len = (size_t)rand_r(&seed) % sizeof(buf);

		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rand_r(&seed);
		/* Half the rounds look like ELF or bzImage so the deep checks run. */
		if (round % 4 == 1 && len > 4)
			memcpy(buf,
			       "\x7f"
			       "ELF\x02\x01",
			       len > 6 ? 6 : 4);
		if (round % 4 == 2 && len > 0x206) {
			memcpy(buf + 0x202, "HdrS", 4);
			buf[0x1fe] = 0x55;
			buf[0x1ff] = 0xaa;
		}
		if (boot_image_parse(buf, len, &img, err) == 0)
			continue; /* a lucky valid image: still must not crash */
		CU_ASSERT(strlen(err) > 0);
	}
}

static void test_mptable(void)
{
	uint8_t buf[4096];
	struct mptable_params p = { .nr_cpus = 4, .cpu_signature = 0x806ec, .pci_irq_slots = 0x6 };
	uint8_t sum = 0;
	uint16_t len, count;
	int n;

	n = mptable_build(buf, sizeof(buf), LAYOUT_MPTABLE, &p);
	CU_ASSERT_FATAL(n > 16 + 44);
	CU_ASSERT_EQUAL(memcmp(buf, "_MP_", 4), 0);
	for (int i = 0; i < 16; i++)
		sum = (uint8_t)(sum + buf[i]);
	CU_ASSERT_EQUAL(sum, 0);
	CU_ASSERT_EQUAL(memcmp(buf + 16, "PCMP", 4), 0);
	memcpy(&len, buf + 16 + 4, 2);
	memcpy(&count, buf + 16 + 34, 2);
	CU_ASSERT_EQUAL(len + 16, n);
	sum = 0;
	for (int i = 0; i < len; i++)
		sum = (uint8_t)(sum + buf[16 + i]);
	CU_ASSERT_EQUAL(sum, 0);
	/* 4 CPUs, 2 buses, 1 IOAPIC, 15 ISA IRQs, 2 PCI slots, 2 local. */
	CU_ASSERT_EQUAL(count, 4 + 2 + 1 + 15 + 2 + 2);
	CU_ASSERT_EQUAL(buf[16 + 44], 0); /* first entry: processor */
	CU_ASSERT_EQUAL(buf[16 + 44 + 3], 3); /* enabled + boot processor */
	CU_ASSERT_EQUAL(buf[16 + 44 + 20 + 3], 1); /* the next CPU is an AP */
	CU_ASSERT_EQUAL(mptable_build(buf, 40, LAYOUT_MPTABLE, &p), -ENOSPC);
	p.nr_cpus = 0;
	CU_ASSERT_EQUAL(mptable_build(buf, sizeof(buf), LAYOUT_MPTABLE, &p), -EINVAL);
}

static void test_cpuid(void)
{
	struct cpuid_table *t = calloc(1, sizeof(*t));
	struct kvm_cpuid_entry2 *e;

	t->nent = 4;
	t->e[0] = (struct kvm_cpuid_entry2){ .function = 1, .ebx = 0x00010800, .edx = 0 };
	t->e[1] = (struct kvm_cpuid_entry2){ .function = 0xb,
					     .index = 0,
					     .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX };
	t->e[2] = (struct kvm_cpuid_entry2){ .function = 0xb,
					     .index = 1,
					     .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX };
	t->e[3] = (struct kvm_cpuid_entry2){ .function = 0x40000000, .eax = 0x40000001 };
	cpuid_fixup(t, 2, 4, 2400000);
	e = cpuid_find(t, 1, 0);
	CU_ASSERT_EQUAL(e->ebx >> 24, 2);
	CU_ASSERT_EQUAL((e->ebx >> 16) & 0xff, 4);
	CU_ASSERT(e->ecx & (1u << 31));
	CU_ASSERT(e->edx & (1u << 28));
	e = cpuid_find(t, 0xb, 1);
	CU_ASSERT_EQUAL(e->eax, 2); /* 4 cores need 2 bits */
	CU_ASSERT_EQUAL(e->ebx, 4);
	CU_ASSERT_EQUAL(e->edx, 2);
	e = cpuid_find(t, 0x40000000, 0);
	CU_ASSERT_EQUAL(e->eax, 0x40000010);
	e = cpuid_find(t, 0x40000010, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(e->eax, 2400000);
	free(t);
}

static CU_TestInfo boot_tests[] = {
	{ "guest memory bounds", test_mem_bounds },
	{ "memory above the PCI hole", test_mem_high },
	{ "guest RAM is sealed against resizing", test_mem_sealed },
	{ "e820 below 4 GiB", test_e820_low },
	{ "bzImage load", test_bzimage_load },
	{ "bzImage errors", test_bzimage_errors },
	{ "ELF PVH load", test_elf_load },
	{ "ELF errors", test_elf_errors },
	{ "garbage images", test_garbage },
	{ "MP table", test_mptable },
	{ "CPUID topology", test_cpuid },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo vmm_boot_suite = {
	"vmm boot", boot_suite_init, boot_suite_fini, NULL, NULL, boot_tests
};
