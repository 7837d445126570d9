/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * svc.h - the services ring 3 asks of ring 0, and the ring-3 wrappers that
 * ask.  The gate is int3 (entry.S explains why): %rax holds the service
 * number, %rdi and %rsi the arguments, and the result comes back in %rax.
 * cpu.c serves them.  Ring-0 code is interpreted on the build machine (about
 * 200 ns an instruction), so the list stays short and each service is a
 * couple of instructions; anything a ring-3 program can do itself (port I/O,
 * MMIO, rdtsc) it does itself.  cpuid is not among those: see cpuid.h.
 *
 * Never call these from ring 0: int3 there is an emulation failure.
 */
#ifndef FERRY_GUEST_SVC_H
#define FERRY_GUEST_SVC_H

#include <stdint.h>

#include "guest.h"
#include "io.h"

enum svc_nr {
	SVC_RDMSR = 1, /* rdi = MSR; returns its value */
	SVC_WRMSR = 2, /* rdi = MSR, rsi = value; returns 0 */
	SVC_HALT = 3, /* parks the CPU (cli; hlt) for good */
	SVC_FAULT = 4, /* raises #UD in ring 0: tests the ring-0 fault report */
	SVC_WAIT_IRQ = 5, /* rdi = cpu_irq_total() seen; sti; hlt unless it moved since */
	SVC_CPUID = 6, /* rdi = leaf, rsi = subleaf; returns eax, and ebx/ecx/edx in theirs */
	SVC_TRIPLE = 7, /* empties the IDT and raises #UD: the CPU shuts down (triple fault) */
};

#define SVC_ENOSYS ((uint64_t)-38) /* unknown service number */

static inline uint64_t svc_call(uint64_t nr, uint64_t a0, uint64_t a1)
{
	uint64_t ret;

	__asm__ volatile("int3" : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1) : "memory");
	return ret;
}

/* SVC_CPUID: the only service with four results, so its own gate wrapper. */
static inline struct cpuid_regs svc_cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;

	__asm__ volatile("int3"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"((uint64_t)SVC_CPUID), "D"((uint64_t)leaf), "S"((uint64_t)subleaf)
			 : "memory");
	return r;
}

static inline uint64_t svc_rdmsr(uint32_t msr)
{
	return svc_call(SVC_RDMSR, msr, 0);
}

static inline void svc_wrmsr(uint32_t msr, uint64_t v)
{
	svc_call(SVC_WRMSR, msr, v);
}

/*
 * Sleeps in ring 0 until the next interrupt, unless one arrived after ring 3
 * read @seen (cpu_irq_total()); arm a wake-up source first (irq.c).
 */
static inline void svc_wait_irq(uint64_t seen)
{
	svc_call(SVC_WAIT_IRQ, seen, 0);
}

static inline NORETURN void svc_halt(void)
{
	svc_call(SVC_HALT, 0, 0);
	__builtin_unreachable();
}

#endif
