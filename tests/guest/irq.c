/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * irq.c - sleeping until an interrupt (see irq.h).  Ring 3.  The costly part
 * under the build machine's nested KVM is ring 0 (interpreted, about 240 ns
 * an instruction), so a wait is one service call, and the APIC timer is
 * re-armed (one more service call in x2APIC mode) only when it is needed.
 */
#include "apic.h"
#include "cpu.h"
#include "io.h"
#include "irq.h"
#include "lib.h"
#include "svc.h"
#include "tsc.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define PIC_ICW1_INIT_ICW4 0x11 /* edge, cascade, ICW4 follows */
#define PIC_ICW4_8086 0x01
#define TIMER_MAX_US 1000000 /* the longest sleep between deadline checks */

/* When the armed timer fires (TSC), and the timer count it was armed at. */
static uint64_t timer_expiry;
static uint64_t timer_armed_count = UINT64_MAX;

/*
 * Firmware (SeaBIOS) leaves the 8259s on vectors 8-15, the CPU's exception
 * vectors, with the PIT's line unmasked: remap them to IRQ_VEC_PIC and mask
 * every line, so nothing legacy fires once interrupts are enabled.
 */
static void pic_disable(void)
{
	outb(PIC1_CMD, PIC_ICW1_INIT_ICW4);
	outb(PIC2_CMD, PIC_ICW1_INIT_ICW4);
	outb(PIC1_DATA, IRQ_VEC_PIC); /* ICW2: vector base */
	outb(PIC2_DATA, IRQ_VEC_PIC + 8);
	outb(PIC1_DATA, 1 << 2); /* ICW3: the slave on line 2 */
	outb(PIC2_DATA, 2);
	outb(PIC1_DATA, PIC_ICW4_8086);
	outb(PIC2_DATA, PIC_ICW4_8086);
	outb(PIC1_DATA, 0xff); /* OCW1: mask all */
	outb(PIC2_DATA, 0xff);
}

int irq_init(void)
{
	int rc;

	pic_disable();
	if (apic_get_mode() == APIC_MODE_NONE) {
		rc = apic_init();
		if (rc)
			return rc;
	}
	timer_armed_count = UINT64_MAX;
	return apic_timer_setup(IRQ_VEC_TIMER);
}

void irq_fini(void)
{
	apic_timer_stop();
}

uint64_t irq_seen(void)
{
	return cpu_irq_total();
}

uint64_t irq_count(unsigned int vector)
{
	return cpu_irq_count(vector);
}

/* Makes sure a timer interrupt comes no later than min(@deadline, now + 1 s). */
static void irq_arm_timer(uint64_t deadline)
{
	uint64_t now = rdtsc(), fired = cpu_irq_count(IRQ_VEC_TIMER), us = 1, count;

	if (fired == timer_armed_count && (int64_t)(timer_expiry - deadline) <= 0)
		return; /* still pending, and soon enough */
	if ((int64_t)(deadline - now) > 0)
		us = MIN(MAX(tsc_ticks_to_us(deadline - now), 1), TIMER_MAX_US);
	count = MAX(us * apic_timer_khz() / 1000, 1);
	timer_expiry = tsc_deadline_us(us);
	if ((int64_t)(timer_expiry - deadline) > 0)
		timer_expiry = deadline; /* rounding: the sleep was cut to the deadline */
	timer_armed_count = fired;
	apic_timer_start((uint32_t)MIN(count, UINT32_MAX));
}

void irq_wait(uint64_t seen, uint64_t deadline)
{
	if (tsc_passed(deadline))
		return;
	irq_arm_timer(deadline);
	svc_wait_irq(seen);
}
