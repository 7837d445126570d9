/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * irq.h - interrupts for ring-3 programs that would rather sleep than poll:
 * irq_init() turns the local APIC on (apic.h), moves the legacy PIC off the
 * exception vectors and masks it, and sets up the APIC timer as a wake-up
 * source; irq_wait() then sleeps in ring 0 (svc.h's SVC_WAIT_IRQ) until any
 * interrupt or a deadline.  The vectors are counted by cpu.c.  The net mode
 * with irq=msix uses it for the receive queue's MSI-X vector (vnet.h).
 *
 * The pattern that cannot lose a wake-up:
 *	seen = irq_seen();
 *	arm the source (e.g. virtq_irq_arm()); if work is already there, go do it;
 *	irq_wait(seen, deadline);
 */
#ifndef FERRY_GUEST_IRQ_H
#define FERRY_GUEST_IRQ_H

#include "guest.h"

#define IRQ_VEC_PIC 0x20 /* the 8259s' 16 lines, masked: 0x20-0x2f */
#define IRQ_VEC_TIMER 0x30 /* the APIC timer that bounds every sleep */
#define IRQ_VEC_NET 0x40 /* the receive queue's MSI-X message (vnet.c) */
#define IRQ_VEC_NVME 0x41 /* the NVMe function's MSI-X vector 0 (nvme.c) */

/* Returns 0, or -ENODEV when there is no local APIC. */
int irq_init(void);
/* Stops the timer; the vectors stay counted. */
void irq_fini(void);

/* The interrupt count to hand to irq_wait(); read it before arming a source. */
uint64_t irq_seen(void);

/*
 * Sleeps until an interrupt arrives after @seen was read, or until the TSC
 * passes @deadline.  The APIC timer ends the sleep; it is armed for the
 * time left but at most 1 s (in case the APIC rate is not the one assumed:
 * the TSC decides), and re-armed only when it fired or the deadline moved
 * closer.
 */
void irq_wait(uint64_t seen, uint64_t deadline);

/* Interrupts taken on @vector since boot. */
uint64_t irq_count(unsigned int vector);

#endif
