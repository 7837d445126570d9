/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cpu.h - ring 0: per-CPU GDT/TSS/IDT set-up, exception reporting and the
 * service gate (svc.h).  boot.S and ap_trampoline.S call the two boot
 * functions with a ring-0 stack; each ends by dropping the CPU into ring 3 at
 * the entry point the rest of the guest provides (declared below).
 */
#ifndef FERRY_GUEST_CPU_H
#define FERRY_GUEST_CPU_H

#include <stdatomic.h>

#include "guest.h"

/* The register frame entry.S builds for every exception and service call. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8; /* saved by trap_common */
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax; /* rax: service number / result */
	uint64_t vector; /* pushed by the stub */
	uint64_t error; /* pushed by the CPU, or 0 by the stub */
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/*
 * Next free CPU slot for an arriving AP (slot 0 is the BSP); ap_trampoline.S
 * increments it, smp.c reads it to know how many APs reached long mode.
 */
extern atomic_uint cpu_next_slot;

/* Called from boot.S / ap_trampoline.S in ring 0; never return. */
NORETURN void cpu_boot_bsp(uint32_t start_info_pa);
NORETURN void cpu_boot_ap(uint32_t slot);

/* From entry.S, for trap_common. */
void cpu_handle_trap(struct trap_frame *f);
/* From entry.S, for irq_common: counts vector @vector and acknowledges it. */
void cpu_handle_irq(uint64_t vector);

/*
 * Interrupts taken so far on vector @vector (0 for exceptions), and on all
 * vectors; either ring.  irq.c's wait loop is built on cpu_irq_total().
 */
uint64_t cpu_irq_count(unsigned int vector);
uint64_t cpu_irq_total(void);

/* The ring-3 entry points cpu.c jumps to (main.c and smp.c). */
NORETURN void guest_main(uint64_t start_info_pa);
NORETURN void smp_ap_main(uint64_t slot);

/*
 * The name of the mode running, for fault reports; main.c sets it once the
 * command line is parsed ("boot" until then).
 */
extern const char *cpu_fault_mode;

#endif
