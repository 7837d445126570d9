/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cpu.c - everything the guest does in ring 0 after boot.S: the per-CPU TSS,
 * the IDT, the service gate, the interrupt counter and the fault report
 * (see cpu.h).
 *
 * Ring 0 is interpreted on the build machine (docs/hosts.md), so this file does
 * the least it can: one TSS and one IDT load per CPU, 32 gates filled once,
 * then an iretq into ring 3 (entry.S), where everything else runs natively.
 * It must not use int3, xsave/xrstor/xsetbv, clac, fwait or ldmxcsr: those
 * stop the VM with an emulation failure there (the build flags forbid FPU
 * and SSE code, which keeps the compiler from emitting the last three).
 */
#include "apic.h"
#include "cpu.h"
#include "fw.h"
#include "io.h"
#include "lib.h"
#include "svc.h"
#include "uart.h"

/* 64-bit TSS (Intel SDM vol. 3, 8.7): only the stack pointers matter here. */
struct tss64 {
	uint32_t reserved0;
	uint64_t rsp0; /* ring-0 stack on entry from ring 3 */
	uint64_t rsp1, rsp2; /* unused rings */
	uint64_t reserved1;
	uint64_t ist[7]; /* ist[0] = IST1: the stack for #DF, NMI and #MC */
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base; /* offset of iomap[] below */
} PACKED;

/*
 * A TSS with an I/O permission bitmap that allows every port.  IOPL=3 is
 * enough on hardware and under QEMU, but the build machine's nested KVM
 * (PVM) drops IOPL from ring 3's RFLAGS and instead emulates ring-3 port I/O
 * only when this bitmap allows it.  Zero bits allow; the byte after the
 * bitmap must be 0xff (SDM vol. 1, 19.5.2).
 */
struct cpu_tss {
	struct tss64 tss;
	uint8_t iomap[65536 / 8]; /* all zero (.bss): every port allowed */
	uint8_t iomap_end; /* 0xff */
} PACKED;

/* 64-bit interrupt gate (SDM vol. 3, 6.14.1). */
struct idt_gate {
	uint16_t off_lo; /* handler bits 0-15 */
	uint16_t sel; /* code segment: SEL_KCODE64 */
	uint8_t ist; /* IST index, 0 = the TSS's rsp0 or current stack */
	uint8_t type_attr; /* present, DPL, type 0xe (interrupts stay off) */
	uint16_t off_mid; /* handler bits 16-31 */
	uint32_t off_hi; /* handler bits 32-63 */
	uint32_t reserved;
} PACKED;

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} PACKED;

/* One slot's stacks; boot.S and ap_trampoline.S rely on this layout (guest.h). */
struct cpu_stacks {
	uint8_t kstack[KSTACK_SIZE]; /* ring 0 */
	uint8_t istack[ISTACK_SIZE]; /* ring 0, IST1 */
	uint8_t ustack[USTACK_SIZE]; /* ring 3 */
} __attribute__((aligned(16)));
_Static_assert(sizeof(struct cpu_stacks) == CPU_STACK_AREA, "guest.h stack layout");

#define GATE_INTERRUPT 0x8e /* present, DPL 0, 64-bit interrupt gate */
#define GATE_DPL(n) ((n) << 5)
#define NR_EXCEPTIONS 32
#define NR_VECTORS 256
#define TRAP_STUB_SIZE 16 /* entry.S aligns each stub to 16 bytes */
#define VEC_SPURIOUS 0xff /* apic.c's spurious vector: never acknowledged (SDM 10.9) */
#define VEC_NMI 2
#define VEC_BP 3 /* int3: the service gate */
#define VEC_DF 8
#define VEC_MC 18

/* Not static: boot.S and ap_trampoline.S take their stacks from here. */
struct cpu_stacks cpu_stacks[GUEST_MAX_CPUS];
static struct cpu_tss cpu_tss[GUEST_MAX_CPUS];
static struct idt_gate idt[256];

atomic_uint cpu_next_slot = 1;
const char *cpu_fault_mode = "boot";

/* APIC ID + 1 of the CPU reporting a fault, 0 while none is. */
static atomic_uint fault_owner;

/* Interrupts taken per vector, and in all; ring 3 reads them (cpu_irq_count). */
static atomic_ulong irq_counts[NR_VECTORS];
static atomic_ulong irq_total;

extern uint64_t gdt[]; /* boot.S */
extern char trap_stubs[], irq_stubs[]; /* entry.S */
NORETURN void cpu_enter_user(NORETURN void (*entry)(uint64_t), uint64_t arg, uintptr_t stack_top);

static const char *const exception_names[NR_EXCEPTIONS] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS",
	"#NP", "#SS", "#GP", "#PF", "RSV", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

static NORETURN void cpu_park(void)
{
	for (;;)
		__asm__ volatile("cli\n\thlt");
}

/* Writes this slot's TSS descriptor into the shared GDT and loads it. */
static void cpu_load_tss(uint32_t slot)
{
	struct cpu_tss *t = &cpu_tss[slot];
	uint64_t base = (uintptr_t)t, limit = sizeof(*t) - 1;
	uint16_t sel = (uint16_t)(SEL_TSS0 + 16 * slot);

	t->tss.rsp0 = (uintptr_t)cpu_stacks[slot].kstack + KSTACK_SIZE;
	t->tss.ist[0] = (uintptr_t)cpu_stacks[slot].istack + ISTACK_SIZE;
	t->tss.iomap_base = offsetof(struct cpu_tss, iomap);
	t->iomap_end = 0xff;
	/* SDM vol. 3, 8.2.3: an available 64-bit TSS is type 9, present. */
	gdt[sel / 8] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ULL << 40 |
		       ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
	gdt[sel / 8 + 1] = base >> 32;
	__asm__ volatile("ltr %0" : : "r"(sel) : "memory");
}

static void idt_set_gate(unsigned int vec, uintptr_t handler, unsigned int dpl, unsigned int ist)
{
	struct idt_gate *g = &idt[vec];

	g->off_lo = (uint16_t)handler;
	g->sel = SEL_KCODE64;
	g->ist = (uint8_t)ist;
	g->type_attr = (uint8_t)(GATE_INTERRUPT | GATE_DPL(dpl));
	g->off_mid = (uint16_t)(handler >> 16);
	g->off_hi = (uint32_t)(handler >> 32);
}

/*
 * Exceptions go to the fault report; every other vector to the interrupt
 * counter, from boot on: the nested KVM delivers interrupts to ring 3 even
 * with IF=0, so an early or stray one must find a gate, not raise #NP.
 */
static void idt_init(void)
{
	for (unsigned int v = 0; v < NR_EXCEPTIONS; v++) {
		unsigned int ist = (v == VEC_NMI || v == VEC_DF || v == VEC_MC) ? 1 : 0;

		idt_set_gate(v, (uintptr_t)trap_stubs + TRAP_STUB_SIZE * v, v == VEC_BP ? 3 : 0,
			     ist);
	}
	for (unsigned int v = NR_EXCEPTIONS; v < NR_VECTORS; v++)
		idt_set_gate(v, (uintptr_t)irq_stubs + TRAP_STUB_SIZE * (v - NR_EXCEPTIONS), 0, 0);
}

static void idt_load(void)
{
	struct desc_ptr p = { .limit = sizeof(idt) - 1, .base = (uintptr_t)idt };

	__asm__ volatile("lidt %0" : : "m"(p));
}

static uintptr_t cpu_user_stack(uint32_t slot)
{
	return (uintptr_t)cpu_stacks[slot].ustack + USTACK_SIZE;
}

void cpu_boot_bsp(uint32_t start_info_pa)
{
	cpu_load_tss(0);
	idt_init();
	idt_load();
	cpu_enter_user(guest_main, start_info_pa, cpu_user_stack(0));
}

void cpu_boot_ap(uint32_t slot)
{
	cpu_load_tss(slot);
	idt_load();
	cpu_enter_user(smp_ap_main, slot, cpu_user_stack(slot));
}

/*
 * Reports an unexpected exception and stops the VM with EXIT_FAULT.  Only the
 * first CPU to fault reports; a fault while reporting (same CPU) exits at
 * once, and other CPUs park so the report is not cut short.
 */
static NORETURN void cpu_report_fault(const struct trap_frame *f)
{
	uint32_t apic = apic_id_self(), expected = 0;
	const char *name = f->vector < NR_EXCEPTIONS && exception_names[f->vector] ?
				   exception_names[f->vector] :
				   "?";

	if (!atomic_compare_exchange_strong(&fault_owner, &expected, apic + 1)) {
		if (expected == apic + 1)
			outb(DEBUG_EXIT_PORT, EXIT_FAULT);
		cpu_park();
	}
	con_printf_panic(CON_PREFIX "FAULT %s vector %lu error 0x%lx rip 0x%lx cr2 0x%lx rsp 0x%lx "
				    "rflags 0x%lx ring %lu cpu %d apic %u\n",
			 name, f->vector, f->error, f->rip, read_cr2(), f->rsp, f->rflags,
			 f->cs & 3, fw_cpu_index(apic), apic);
	con_printf_panic(RESULT_PREFIX "fault=%lu name=%s error=0x%lx rip=0x%lx cr2=0x%lx "
				       "ring=%lu cpu=%d apic=%u mode=%s\n",
			 f->vector, name, f->error, f->rip, read_cr2(), f->cs & 3,
			 fw_cpu_index(apic), apic, cpu_fault_mode);
	outb(DEBUG_EXIT_PORT, EXIT_FAULT);
	cpu_park();
}

/*
 * SVC_WAIT_IRQ: sleeps until an interrupt arrives, unless one already did
 * since ring 3 read @seen from cpu_irq_total().  IF is 0 here (interrupt
 * gate), so the check and the sleep cannot miss one: sti holds interrupts
 * off for one more instruction, and a pending one then ends the hlt.
 */
static void cpu_wait_irq(uint64_t seen)
{
	if (atomic_load_explicit(&irq_total, memory_order_relaxed) != seen)
		return;
	__asm__ volatile("sti\n\thlt\n\tcli" ::: "memory");
}

/* SVC_CPUID: the instruction, here in ring 0 where the hypervisor answers it. */
static uint64_t cpu_serve_cpuid(struct trap_frame *f)
{
	struct cpuid_regs r = cpuid_insn((uint32_t)f->rdi, (uint32_t)f->rsi);

	f->rbx = r.ebx;
	f->rcx = r.ecx;
	f->rdx = r.edx;
	return r.eax;
}

/* The services of svc.h; each is a few instructions (ring 0 is slow here). */
static uint64_t cpu_serve(struct trap_frame *f)
{
	switch (f->rax) {
	case SVC_RDMSR:
		return rdmsr((uint32_t)f->rdi);
	case SVC_WRMSR:
		wrmsr((uint32_t)f->rdi, f->rsi);
		return 0;
	case SVC_HALT:
		cpu_park();
	case SVC_FAULT:
		__builtin_trap(); /* ud2 */
	case SVC_TRIPLE: {
		/* No gate for #UD, none for #DF: the third fault shuts the CPU down. */
		struct desc_ptr none = { .limit = 0, .base = 0 };

		__asm__ volatile("lidt %0" : : "m"(none));
		__builtin_trap();
	}
	case SVC_WAIT_IRQ:
		cpu_wait_irq(f->rdi);
		return 0;
	case SVC_CPUID:
		return cpu_serve_cpuid(f);
	default:
		return SVC_ENOSYS;
	}
}

void cpu_handle_trap(struct trap_frame *f)
{
	/* int3 is the service gate only from ring 3 (svc.h); anything else is a fault. */
	if (f->vector == VEC_BP && (f->cs & 3) == 3) {
		f->rax = cpu_serve(f);
		return;
	}
	cpu_report_fault(f);
}

void cpu_handle_irq(uint64_t vector)
{
	atomic_fetch_add_explicit(&irq_counts[vector & (NR_VECTORS - 1)], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&irq_total, 1, memory_order_relaxed);
	if (vector != VEC_SPURIOUS)
		apic_eoi();
}

uint64_t cpu_irq_count(unsigned int vector)
{
	return vector < NR_VECTORS ?
		       atomic_load_explicit(&irq_counts[vector], memory_order_relaxed) :
		       0;
}

uint64_t cpu_irq_total(void)
{
	return atomic_load_explicit(&irq_total, memory_order_relaxed);
}
