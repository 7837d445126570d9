/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * boot.S - the BSP's way in: the PVH ELF note, the 32-bit entry point, the
 * GDT and the static page tables.  It switches to long mode (boot.inc) and
 * calls cpu_boot_bsp() in cpu.c, which sets up the IDT and TSS and drops to
 * ring 3.  ap_trampoline.S reuses the GDT and page tables for the APs.
 *
 * PVH entry state (Xen's pvh.markdown, as Ferry and QEMU implement it): 32-bit
 * protected mode, paging off, flat 4 GiB segments with unspecified selectors,
 * %ebx = physical address of struct hvm_start_info (start_info.h).
 */
#include "boot.inc"
#include "start_info.h"

/*
 * XEN_ELFNOTE_PHYS32_ENTRY: where a PVH loader jumps.  The descriptor is a
 * .quad, as Linux writes it, because QEMU reads a full pointer from 64-bit
 * ELFs; the section is 4-byte aligned so the PT_NOTE segment is too and
 * loaders find the descriptor right after the 4-byte name.
 */
	.section .note.ferry, "a", @note
	.balign 4
	.long	2f - 1f			/* namesz */
	.long	4f - 3f			/* descsz */
	.long	XEN_ELFNOTE_PHYS32_ENTRY
1:	.asciz	"Xen"
2:	.balign 4
3:	.quad	pvh_entry
4:	.balign 4

	.section .text.boot, "ax"
	.code32
	.globl	pvh_entry
pvh_entry:
	cli
	cld
	mov	%ebx, %esi		/* start_info survives the switch in %esi */
	ENTER_LONG_MODE boot64

	.code64
boot64:
	/* Slot 0's ring-0 stack: see struct cpu_stacks in cpu.c. */
	mov	$(cpu_stacks + KSTACK_SIZE), %rsp
	xor	%ebp, %ebp
	mov	%esi, %edi		/* zero-extends the start_info address */
	call	cpu_boot_bsp
1:	cli
	hlt
	jmp	1b

/*
 * The GDT (selectors in guest.h).  Code/data descriptors are flat; the TSS
 * descriptors after them are written by cpu.c, one per CPU slot.
 */
	.section .data
	.balign 16
	.globl	gdt
gdt:
	.quad	0			/* null */
	.quad	0x00af9b000000ffff	/* 0x08 ring-0 code, 64-bit */
	.quad	0x00cf93000000ffff	/* 0x10 ring-0 data */
	.quad	0x00cf9b000000ffff	/* 0x18 ring-0 code, 32-bit */
	.quad	0x00cff3000000ffff	/* 0x20 ring-3 data */
	.quad	0x00affb000000ffff	/* 0x28 ring-3 code, 64-bit */
	.fill	2 * GUEST_MAX_CPUS, 8, 0	/* 0x30 TSS descriptors, 16 bytes each */
gdt_end:
	.if	gdt_end - gdt - GDT_SIZE
	.error	"GDT_SIZE in guest.h does not match the GDT"
	.endif

	/* lgdt reads 6 bytes in 32-bit mode and 10 in 64-bit mode: serve both. */
	.balign 8
	.globl	gdt_ptr
gdt_ptr:
	.word	GDT_SIZE - 1
	.quad	gdt

/*
 * Identity map of 0-4 GiB in 2 MiB pages, all user-accessible so ring 3 can
 * reach RAM, PCI BARs and the xAPIC page.  The top GiB (PCI holes, IOAPIC,
 * LAPIC) is uncached.  Built by the assembler: no ring-0 loop at boot.
 */
#define PTE_P 0x01
#define PTE_RW 0x02
#define PTE_US 0x04
#define PTE_PWT 0x08
#define PTE_PCD 0x10
#define PTE_PS 0x80
#define PTE_TABLE (PTE_P | PTE_RW | PTE_US)
#define PTE_RAM (PTE_P | PTE_RW | PTE_US | PTE_PS)
#define PTE_MMIO (PTE_RAM | PTE_PWT | PTE_PCD)

	.section .data.pagetables, "aw"
	.balign PAGE_SIZE
	.globl	pml4
pml4:
	.quad	pdpt + PTE_TABLE
	.fill	511, 8, 0
pdpt:
	.quad	pd + PTE_TABLE
	.quad	pd + PAGE_SIZE + PTE_TABLE
	.quad	pd + 2 * PAGE_SIZE + PTE_TABLE
	.quad	pd + 3 * PAGE_SIZE + PTE_TABLE
	.fill	508, 8, 0
pd:
	.set	pfn, 0
	.rept	3 * 512
	.quad	(pfn << 21) + PTE_RAM
	.set	pfn, pfn + 1
	.endr
	.rept	512
	.quad	(pfn << 21) + PTE_MMIO
	.set	pfn, pfn + 1
	.endr
