/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * apic.h - the local APIC, as much as the guest needs: who am I, send
 * INIT/SIPI to wake an AP (smp.c), end an interrupt (cpu.c) and run a
 * one-shot timer (irq.c).  x2APIC (MSRs, through the wrmsr service of svc.h)
 * whenever CPUID offers it, which Ferry does and must: the xAPIC page at
 * 0xfee00000 faults under the build machine's nested KVM.  xAPIC MMIO is the
 * fallback for QEMU TCG, whose 7.2 APIC has no x2APIC mode.
 */
#ifndef FERRY_GUEST_APIC_H
#define FERRY_GUEST_APIC_H

#include "guest.h"

enum apic_mode {
	APIC_MODE_NONE, /* apic_init() not called or failed */
	APIC_MODE_X2APIC, /* MSR interface */
	APIC_MODE_XAPIC, /* MMIO page at the IA32_APIC_BASE address */
};

/* This CPU's APIC ID from CPUID (either ring; no APIC access needed). */
uint32_t apic_id_self(void);

/* Whether CPUID advertises x2APIC. */
bool apic_has_x2apic(void);

/*
 * Ring 3, once per CPU that sends IPIs: enables this CPU's APIC (x2APIC mode
 * if available) and software-enables it.  Returns 0 or -ENODEV.
 */
int apic_init(void);
enum apic_mode apic_get_mode(void);
const char *apic_mode_name(enum apic_mode m);

/* INIT (assert, then the level de-assert old APICs want) to @apic_id. */
int apic_send_init(uint32_t apic_id);
/* A startup IPI: the AP starts in real mode at @page << 12. */
int apic_send_sipi(uint32_t apic_id, uint8_t page);

/*
 * Ring 0 only (the interrupt path, cpu.c): signals end of interrupt, in the
 * mode apic_init() chose, or the one IA32_APIC_BASE shows if it never ran.
 */
void apic_eoi(void);

/*
 * The local APIC timer, one-shot, as a wake-up source for irq.c.  Its rate
 * is the hypervisor's APIC bus kHz (CPUID 0x40000010 EBX) when given, else
 * the 1 GHz KVM and QEMU use; it only bounds sleeps, the TSC tells time.
 * apic_timer_setup() programs divide-by-1 and @vector (-ENODEV before
 * apic_init()); apic_timer_start() (re)starts a count; _stop() masks it.
 */
uint64_t apic_timer_khz(void);
int apic_timer_setup(uint8_t vector);
void apic_timer_start(uint32_t count);
void apic_timer_stop(void);

#endif
