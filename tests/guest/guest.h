/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * guest.h - constants shared by the test guest's assembly (boot.S,
 * ap_trampoline.S, entry.S) and its C files: segment selectors, stack sizes,
 * the CPU limit and the exit codes every mode reports through the debug port.
 * It holds no code, so both sides can include it (README.md, "Layout").
 */
#ifndef FERRY_GUEST_GUEST_H
#define FERRY_GUEST_GUEST_H

/* GDT layout (boot.S builds it; cpu.c fills the per-CPU TSS descriptors). */
#define SEL_KCODE64 0x08 /* ring-0 64-bit code */
#define SEL_KDATA 0x10 /* ring-0 data, also valid in 32-bit protected mode */
#define SEL_KCODE32 0x18 /* ring-0 32-bit code: the AP trampoline's way to long mode */
#define SEL_UDATA 0x23 /* ring-3 data (descriptor 0x20, RPL 3) */
#define SEL_UCODE64 0x2b /* ring-3 64-bit code (descriptor 0x28, RPL 3) */
#define SEL_TSS0 0x30 /* first TSS; CPU slot n uses SEL_TSS0 + 16 * n */

/*
 * CPU slots: slot 0 is the BSP, APs take 1, 2, ... in the order they reach
 * long mode.  64 is far above what tests boot and keeps the stacks (.bss)
 * under 2 MiB.
 */
#define GUEST_MAX_CPUS 64
/* Bytes of GDT: the fixed descriptors, then one 16-byte TSS descriptor per slot. */
#define GDT_SIZE (SEL_TSS0 + 16 * GUEST_MAX_CPUS)

#define KSTACK_SIZE 8192 /* ring 0: exceptions and services */
#define ISTACK_SIZE 4096 /* ring 0: #DF and NMI, so a broken stack still reports */
#define USTACK_SIZE 16384 /* ring 3: where the programs run */
/* cpu.c's struct cpu_stacks: kstack, then istack, then ustack, per slot. */
#define CPU_STACK_AREA (KSTACK_SIZE + ISTACK_SIZE + USTACK_SIZE)

/* RFLAGS for ring 3: IOPL=3 (port I/O allowed), IF=0 (everything polls). */
#define USER_RFLAGS 0x3002

/* Exit statuses written to the debug port 0x501 (README.md, "Exit codes"). */
#define EXIT_OK 0 /* the mode passed */
#define EXIT_FAIL 1 /* the mode ran and its check failed */
#define EXIT_USAGE 2 /* bad command line */
#define EXIT_ABI 3 /* the VMM broke the boot ABI (start_info) */
#define EXIT_FAULT 120 /* an unexpected exception */

#define DEBUG_EXIT_PORT 0x501

#define PAGE_SIZE 4096

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + (a)-1) & ~((__typeof__(x))(a)-1))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define NORETURN __attribute__((noreturn))
#define PACKED __attribute__((packed))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

/* Symbols from guest.ld: the loaded image, so mm.c never hands it out. */
extern char _image_start[], _image_end[];

/*
 * Ring 3 only (main.c): writes @code to the debug port, which stops the VM;
 * if the VMM has no such port, says so and parks this CPU.  Never returns.
 */
NORETURN void guest_exit(int code);
#endif

#endif
