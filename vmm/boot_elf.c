/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * boot_elf.c - ELF64 kernels entered through PVH (Xen's "HVM direct boot"
 * ABI, as used by Firecracker, Cloud Hypervisor and QEMU for vmlinux): the
 * kernel names a 32-bit entry point in an XEN_ELFNOTE_PHYS32_ENTRY note; the
 * boot CPU starts there in flat 32-bit protected mode with paging off and
 * %ebx holding the physical address of struct hvm_start_info.
 *
 * The image is untrusted: program headers, notes and segments are checked
 * against the file size and guest RAM before anything is copied.
 */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "util/compiler.h"
#include "vmm/boot.h"
#include "vmm/layout.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC 0x336ec578u

/* xen/include/public/arch-x86/hvm/start_info.h, version 1. */
struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

/* True if [off, off + len) lies inside a file of @size bytes. */
static bool elf_in_file(uint64_t off, uint64_t len, size_t size)
{
	return off <= size && len <= size - off;
}

static int elf_check_ehdr(const Elf64_Ehdr *eh, size_t len, char *err)
{
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return boot_error(err, "ELF kernel is not 64-bit (class %u)",
				  eh->e_ident[EI_CLASS]);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return boot_error(err, "ELF kernel is not little-endian");
	if (eh->e_machine != EM_X86_64)
		return boot_error(err, "ELF kernel is for machine %u, not x86-64", eh->e_machine);
	if (eh->e_type != ET_EXEC)
		return boot_error(err, "ELF kernel is not an executable (e_type %u)", eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0)
		return boot_error(err, "ELF kernel has no usable program headers");
	if (!elf_in_file(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), len))
		return boot_error(
			err, "truncated ELF: program headers at %llu need %zu bytes, file has %zu",
			(unsigned long long)eh->e_phoff, (size_t)eh->e_phnum * sizeof(Elf64_Phdr),
			len);
	return 0;
}

/* Search one PT_NOTE segment for the PVH entry; 1 if found. */
static int elf_scan_notes(const uint8_t *p, uint64_t len, uint32_t *entry)
{
	uint64_t off = 0;

	while (len - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		uint64_t name_off, desc_off, next;

		memcpy(&nh, p + off, sizeof(nh));
		name_off = off + sizeof(nh);
		desc_off = name_off + ALIGN_UP((uint64_t)nh.n_namesz, 4ull);
		next = desc_off + ALIGN_UP((uint64_t)nh.n_descsz, 4ull);
		if (next > len)
			return 0;
		if (nh.n_type == XEN_ELFNOTE_PHYS32_ENTRY && nh.n_namesz == 4 &&
		    memcmp(p + name_off, "Xen", 4) == 0 && nh.n_descsz >= 4) {
			memcpy(entry, p + desc_off, 4);
			return 1;
		}
		off = next;
	}
	return 0;
}

static int elf_add_segment(struct boot_image *img, const Elf64_Phdr *ph, size_t len, char *err)
{
	if (!elf_in_file(ph->p_offset, ph->p_filesz, len))
		return boot_error(
			err, "truncated ELF: segment at offset %llu needs %llu bytes, file has %zu",
			(unsigned long long)ph->p_offset, (unsigned long long)ph->p_filesz, len);
	if (ph->p_memsz < ph->p_filesz)
		return boot_error(err, "ELF segment at %#llx is smaller in memory than in the file",
				  (unsigned long long)ph->p_paddr);
	if (img->nsegs == BOOT_MAX_SEGMENTS)
		return boot_error(err, "ELF kernel has more than %d loadable segments",
				  BOOT_MAX_SEGMENTS);
	img->segs[img->nsegs++] = (struct boot_segment){
		.paddr = ph->p_paddr,
		.offset = ph->p_offset,
		.filesz = ph->p_filesz,
		.memsz = ph->p_memsz,
	};
	return 0;
}

int boot_elf_parse(const uint8_t *buf, size_t len, struct boot_image *img, char *err)
{
	Elf64_Ehdr eh;
	bool have_entry = false;
	int ret;

	if (len < sizeof(eh))
		return boot_error(err, "truncated ELF: %zu bytes, the ELF header needs %zu", len,
				  sizeof(eh));
	memcpy(&eh, buf, sizeof(eh));
	ret = elf_check_ehdr(&eh, len, err);
	if (ret)
		return ret;
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, buf + eh.e_phoff + (size_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_LOAD && ph.p_memsz) {
			ret = elf_add_segment(img, &ph, len, err);
			if (ret)
				return ret;
		} else if (ph.p_type == PT_NOTE && !have_entry &&
			   elf_in_file(ph.p_offset, ph.p_filesz, len)) {
			have_entry =
				elf_scan_notes(buf + ph.p_offset, ph.p_filesz, &img->pvh_entry);
		}
	}
	if (!have_entry)
		return boot_error(err,
				  "ELF kernel has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY); "
				  "use a kernel built with CONFIG_PVH or its bzImage");
	if (!img->nsegs)
		return boot_error(err, "ELF kernel has no loadable segments");
	img->kind = BOOT_PVH;
	img->buf = buf;
	img->len = len;
	return 0;
}

/* Copy the segments in; returns the end of the highest one or 0 on error. */
static uint64_t elf_load_segments(const struct boot_image *img, const struct vmm_mem *mem,
				  char *err)
{
	uint64_t end = 0;

	for (unsigned int i = 0; i < img->nsegs; i++) {
		const struct boot_segment *s = &img->segs[i];
		uint8_t *dst = vmm_mem_ptr(mem, s->paddr, s->memsz);

		if (s->paddr < LAYOUT_HIGH_START || !dst) {
			boot_error(err, "ELF segment %#llx+%#llx is outside guest RAM above 1 MiB",
				   (unsigned long long)s->paddr, (unsigned long long)s->memsz);
			return 0;
		}
		memcpy(dst, img->buf + s->offset, s->filesz);
		memset(dst + s->filesz, 0, s->memsz - s->filesz);
		end = MAX(end, s->paddr + s->memsz);
	}
	return end;
}

static int pvh_write_memmap(const struct vmm_mem *mem, const struct e820_map *map)
{
	struct hvm_memmap_table_entry e[LAYOUT_PVH_MEMMAP_MAX] = { 0 };
	unsigned int n = MIN(map->nr, (unsigned int)LAYOUT_PVH_MEMMAP_MAX);

	for (unsigned int i = 0; i < n; i++)
		e[i] = (struct hvm_memmap_table_entry){ map->e[i].addr, map->e[i].size,
							map->e[i].type, 0 };
	return vmm_mem_write(mem, LAYOUT_PVH_MEMMAP, e, n * sizeof(e[0]));
}

static int pvh_write_start_info(const struct vmm_mem *mem, const struct boot_args *args,
				uint64_t kernel_end, char *err)
{
	struct hvm_start_info si = {
		.magic = HVM_START_MAGIC,
		.version = 1,
		.cmdline_paddr = LAYOUT_CMDLINE,
		.memmap_paddr = LAYOUT_PVH_MEMMAP,
		.memmap_entries = MIN(args->e820->nr, (unsigned int)LAYOUT_PVH_MEMMAP_MAX),
	};
	struct hvm_modlist_entry mod = { 0 };

	if (args->initrd) {
		mod.paddr = boot_initrd_place(kernel_end, vmm_mem_low_top(mem), args->initrd_len);
		mod.size = args->initrd_len;
		if (!mod.paddr)
			return boot_error(
				err,
				"initrd of %zu bytes does not fit in guest RAM above the kernel",
				args->initrd_len);
		if (vmm_mem_write(mem, mod.paddr, args->initrd, args->initrd_len) ||
		    vmm_mem_write(mem, LAYOUT_PVH_MODLIST, &mod, sizeof(mod)))
			return -EFAULT;
		si.nr_modules = 1;
		si.modlist_paddr = LAYOUT_PVH_MODLIST;
	}
	if (pvh_write_memmap(mem, args->e820) ||
	    vmm_mem_write(mem, LAYOUT_PVH_START_INFO, &si, sizeof(si)))
		return -EFAULT;
	return 0;
}

int boot_elf_load(const struct boot_image *img, const struct vmm_mem *mem,
		  const struct boot_args *args, struct boot_entry *entry, char *err)
{
	size_t n = args->cmdline ? strlen(args->cmdline) : 0;
	uint64_t end;
	int ret;

	if (n >= LAYOUT_CMDLINE_MAX)
		return boot_error(err, "command line is %zu bytes; at most %llu are supported", n,
				  LAYOUT_CMDLINE_MAX - 1);
	end = elf_load_segments(img, mem, err);
	if (!end)
		return -EINVAL;
	if (vmm_mem_write(mem, LAYOUT_CMDLINE, args->cmdline ? args->cmdline : "", n + 1))
		return -EFAULT;
	ret = pvh_write_start_info(mem, args, ALIGN_UP(end, 4096ull), err);
	if (ret)
		return ret;
	*entry = (struct boot_entry){
		.mode = BOOT_CPU_PROT32,
		.rip = img->pvh_entry,
		.rbx = LAYOUT_PVH_START_INFO,
	};
	return 0;
}
