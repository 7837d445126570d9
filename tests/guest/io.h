/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * io.h - one-instruction wrappers around x86 instructions the guest needs.
 * Everything above the "ring 0 only" line works in ring 3 too (port I/O
 * because ring 3 runs with IOPL=3); the rest faults there and is used only by
 * cpu.c, which offers it to ring 3 as services (svc.h).
 */
#ifndef FERRY_GUEST_IO_H
#define FERRY_GUEST_IO_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/*
 * A pointer to physical address @pa (identity-mapped below 4 GiB).  The empty
 * asm hides the constant from the compiler, which otherwise warns about
 * dereferencing addresses in the first page (BIOS data area, ...).
 */
static inline void *phys_ptr(uint64_t pa)
{
	uintptr_t p = (uintptr_t)pa;

	__asm__("" : "+r"(p));
	return (void *)p;
}

/*
 * MMIO accessors: volatile so the compiler neither merges, splits nor drops
 * them (a virtio register must be accessed with its own width, 4.1.3.1).
 */
static inline uint8_t mmio_read8(uintptr_t addr)
{
	return *(volatile uint8_t *)addr;
}

static inline uint16_t mmio_read16(uintptr_t addr)
{
	return *(volatile uint16_t *)addr;
}

static inline uint32_t mmio_read32(uintptr_t addr)
{
	return *(volatile uint32_t *)addr;
}

static inline void mmio_write8(uintptr_t addr, uint8_t v)
{
	*(volatile uint8_t *)addr = v;
}

static inline void mmio_write16(uintptr_t addr, uint16_t v)
{
	*(volatile uint16_t *)addr = v;
}

static inline void mmio_write32(uintptr_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

/*
 * The raw instruction.  Only ring 0 and cpuid.c's probe may use it: in ring 3
 * it is not always the hypervisor's answer (cpuid.h says why); everything
 * else calls cpuid() from cpuid.h.
 */
static inline struct cpuid_regs cpuid_insn(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;

	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

/* The privilege level the CPU runs at: the low bits of %cs. */
static inline unsigned int cpu_ring(void)
{
	uint16_t cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs & 3;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* A spin-wait hint: lets a hypervisor with pause-loop exiting run others. */
static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

/* ---- ring 0 only ---- */

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr"
			 :
			 : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			 : "memory");
}

static inline uint64_t read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

#endif
