/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ap_trampoline.S - how an AP gets from its startup IPI to cpu_boot_ap().
 *
 * smp.c copies [ap_trampoline_start, ap_trampoline_end) to a page below
 * 1 MiB and sends SIPIs whose vector is that page number, so each AP starts
 * here in real mode with %cs = page << 8 and %ip = 0.  The code is position
 * independent within its page (it addresses its data through %ds = %cs) and
 * leaves it at once: one far jump into the image at ap_entry32, where the
 * BSP's long-mode switch (boot.inc) takes over.
 *
 * APs start in parallel and none needs a stack until long mode, where each
 * takes a CPU slot (and the stacks that come with it) by an atomic increment
 * of cpu_next_slot (cpu.c).
 */
#include "boot.inc"

	.section .text.ap, "ax"
	.code16
	.globl	ap_trampoline_start, ap_trampoline_end
ap_trampoline_start:
	cli
	cld
	mov	%cs, %ax
	mov	%ax, %ds
	lgdtl	(tramp_gdtr - ap_trampoline_start)
	mov	%cr0, %eax
	or	$CR0_PE, %eax
	mov	%eax, %cr0
	ljmpl	$SEL_KCODE32, $ap_entry32

	.balign 8
tramp_gdtr:
	.word	GDT_SIZE - 1
	.long	gdt
ap_trampoline_end:

	.code32
ap_entry32:
	ENTER_LONG_MODE ap_entry64

	.code64
ap_entry64:
	mov	$1, %eax
	lock xaddl %eax, cpu_next_slot(%rip)
	cmp	$GUEST_MAX_CPUS, %eax
	jae	ap_park
	mov	%eax, %edi		/* cpu_boot_ap(slot) */
	imul	$CPU_STACK_AREA, %rax, %rax
	lea	cpu_stacks + KSTACK_SIZE(%rax), %rsp
	xor	%ebp, %ebp
	call	cpu_boot_ap
	/* More APs than slots: park this one for good, interrupts off. */
ap_park:
	cli
	hlt
	jmp	ap_park
