/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * entry.S - the ring 0/ring 3 boundary: exception entry stubs, the common
 * trap path into cpu_handle_trap() (cpu.c), interrupt stubs into
 * cpu_handle_irq(), and the iretq that drops a CPU into ring 3.  Ring 3
 * comes back only through exceptions, interrupts and int3, which is the
 * service gate (svc.h): on the build machine's nested KVM `syscall` and
 * `int $n` from ring 3 do not work, but int3 does.
 */
#include "guest.h"

/*
 * One stub per exception vector 0-31, 16 bytes apart so cpu.c can find stub
 * n at trap_stubs + 16 * n.  Vectors without a CPU-pushed error code push a
 * zero so every frame has the same layout (struct trap_frame).
 */
	.text
	.balign 16
	.globl	trap_stubs
trap_stubs:
	.set	vec, 0
	.rept	32
	.balign 16
	.set	has_err, (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	.if	has_err == 0
	pushq	$0
	.endif
	pushq	$vec
	jmp	trap_common
	.set	vec, vec + 1
	.endr

/*
 * Saves every general register (the service gate returns its result in the
 * saved %rax), calls cpu_handle_trap(frame) and returns to the interrupted
 * code.  The CPU aligned %rsp to 16 before pushing its 5-word frame; with the
 * 2 words from the stub and 15 registers the call below is aligned too.
 */
trap_common:
	push	%rax
	push	%rbx
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%rbp
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, %rdi
	cld
	call	cpu_handle_trap
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rbp
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rbx
	pop	%rax
	add	$16, %rsp		/* vector and error code */
	iretq

/*
 * One stub per interrupt vector 32-255, 16 bytes apart (irq_stubs + 16 *
 * (n - 32)).  Every vector has a gate, so an interrupt nobody asked for (a
 * stray MSI, the PIC, the APIC's spurious vector) is counted and
 * acknowledged instead of faulting: under the build machine's nested KVM
 * ring 3 takes interrupts even with IF=0 (README.md, "Interrupts").
 */
	.balign 16
	.globl	irq_stubs
irq_stubs:
	.set	vec, 32
	.rept	224
	.balign 16
	pushq	$vec
	jmp	irq_common
	.set	vec, vec + 1
	.endr

/*
 * Saves the caller-saved registers (cpu_handle_irq is a C function, so it
 * preserves the others), passes the vector and returns to the interrupted
 * code.  Ring 0 is interpreted here, so this path is as short as it can be.
 * The CPU's 5 words, the vector and 9 registers make 15 words: one more
 * keeps the call 16-byte aligned.
 */
irq_common:
	push	%rax
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	mov	72(%rsp), %rdi		/* the vector the stub pushed */
	sub	$8, %rsp
	cld
	call	cpu_handle_irq
	add	$8, %rsp
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rax
	add	$8, %rsp		/* the vector */
	iretq

/*
 * void cpu_enter_user(entry, arg, stack_top): never returns.  Builds an
 * interrupt frame for ring 3 (IOPL=3, IF=0) and irets into entry(arg) with
 * %rsp = stack_top - 8, the alignment a called function expects.  A ring-3
 * entry that returns pops the zero below and faults at rip 0: reported.
 */
	.globl	cpu_enter_user
cpu_enter_user:
	sub	$8, %rdx
	movq	$0, (%rdx)
	pushq	$SEL_UDATA
	pushq	%rdx
	pushq	$USER_RFLAGS
	pushq	$SEL_UCODE64
	pushq	%rdi
	mov	%rsi, %rdi
	xor	%eax, %eax
	xor	%ebx, %ebx
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%ebp, %ebp
	iretq
