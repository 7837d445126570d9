/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * apic.c - local APIC access for the guest (see apic.h).  Runs in ring 3,
 * except apic_eoi(), which the interrupt path calls in ring 0: x2APIC
 * registers are MSRs, reached through the wrmsr/rdmsr services (one int3
 * round trip each), while the xAPIC page is user-mapped and written
 * directly.  Register layouts: Intel SDM vol. 3, chapter 10 (11 in newer
 * editions), "Advanced Programmable Interrupt Controller".
 */
#include "apic.h"
#include "cpuid.h"
#include "io.h"
#include "lib.h"
#include "svc.h"

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_EXTD (1ULL << 10) /* x2APIC mode */
#define APIC_BASE_EN (1ULL << 11) /* APIC globally enabled */
#define APIC_BASE_ADDR_MASK 0xfffff000ULL

#define X2APIC_MSR(reg) (0x800 + ((reg) >> 4)) /* MMIO offset -> MSR (SDM 10.12.1.2) */
#define APIC_REG_EOI 0xb0
#define APIC_REG_SVR 0xf0 /* spurious interrupt vector */
#define APIC_REG_LVT_TIMER 0x320
#define APIC_REG_TIMER_INIT 0x380 /* initial count: writing it starts the count */
#define APIC_REG_TIMER_DIV 0x3e0
#define APIC_REG_ICR_LO 0x300
#define APIC_REG_ICR_HI 0x310

#define APIC_SVR_ENABLE 0x100
#define APIC_SPURIOUS_VECTOR 0xff
#define ICR_DM_INIT (5 << 8)
#define ICR_DM_STARTUP (6 << 8)
#define ICR_LEVEL_ASSERT (1 << 14)
#define ICR_TRIGGER_LEVEL (1 << 15)
#define ICR_BUSY (1 << 12) /* xAPIC only: delivery still pending */
#define ICR_MAX_POLLS 100000

#define CPUID_1_ECX_X2APIC (1u << 21)
#define LVT_MASKED (1u << 16)
#define TIMER_DIV_1 0xb /* divide configuration 1011b: divide by 1 (SDM 10.5.4) */
#define CPUID_HV_BASE 0x40000000
#define CPUID_HV_TIMING 0x40000010 /* EBX: APIC bus kHz, when the hypervisor says */
#define APIC_BUS_KHZ_DEFAULT 1000000 /* KVM's and QEMU's APIC timers tick at 1 GHz */

static enum apic_mode apic_mode;
static uintptr_t xapic_base;

uint32_t apic_id_self(void)
{
	/* Leaf 0xb gives the full 32-bit x2APIC ID when present (SDM, CPUID). */
	if (cpuid(0, 0).eax >= 0xb) {
		struct cpuid_regs r = cpuid(0xb, 0);

		if (r.ebx != 0)
			return r.edx;
	}
	return cpuid(1, 0).ebx >> 24;
}

bool apic_has_x2apic(void)
{
	return cpuid(1, 0).ecx & CPUID_1_ECX_X2APIC;
}

int apic_init(void)
{
	uint64_t base = svc_rdmsr(MSR_APIC_BASE);

	if (apic_has_x2apic()) {
		/* Enable, then (in the same write, as allowed from xAPIC) switch to x2APIC. */
		if ((base & (APIC_BASE_EN | APIC_BASE_EXTD)) != (APIC_BASE_EN | APIC_BASE_EXTD))
			svc_wrmsr(MSR_APIC_BASE, base | APIC_BASE_EN | APIC_BASE_EXTD);
		svc_wrmsr(X2APIC_MSR(APIC_REG_SVR), APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR);
		apic_mode = APIC_MODE_X2APIC;
		return 0;
	}
	if (!(cpuid(1, 0).edx & (1u << 9))) /* CPUID.1:EDX.APIC */
		return -ENODEV;
	if (!(base & APIC_BASE_EN))
		svc_wrmsr(MSR_APIC_BASE, base | APIC_BASE_EN);
	xapic_base = (uintptr_t)(base & APIC_BASE_ADDR_MASK);
	mmio_write32(xapic_base + APIC_REG_SVR, APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR);
	apic_mode = APIC_MODE_XAPIC;
	return 0;
}

enum apic_mode apic_get_mode(void)
{
	return apic_mode;
}

const char *apic_mode_name(enum apic_mode m)
{
	switch (m) {
	case APIC_MODE_X2APIC:
		return "x2apic";
	case APIC_MODE_XAPIC:
		return "xapic";
	default:
		return "none";
	}
}

static int xapic_send_ipi(uint32_t dest, uint32_t icr_lo)
{
	if (dest > 0xff)
		return -EINVAL;
	mmio_write32(xapic_base + APIC_REG_ICR_HI, dest << 24);
	mmio_write32(xapic_base + APIC_REG_ICR_LO, icr_lo); /* this write sends */
	for (unsigned int i = 0; i < ICR_MAX_POLLS; i++) {
		if (!(mmio_read32(xapic_base + APIC_REG_ICR_LO) & ICR_BUSY))
			return 0;
		cpu_relax();
	}
	return -ETIMEDOUT;
}

static int apic_send_ipi(uint32_t dest, uint32_t icr_lo)
{
	switch (apic_mode) {
	case APIC_MODE_X2APIC:
		/* One 64-bit write: destination in bits 63:32, sent at once (SDM 10.12.9). */
		svc_wrmsr(X2APIC_MSR(APIC_REG_ICR_LO), (uint64_t)dest << 32 | icr_lo);
		return 0;
	case APIC_MODE_XAPIC:
		return xapic_send_ipi(dest, icr_lo);
	default:
		return -ENODEV;
	}
}

int apic_send_init(uint32_t apic_id)
{
	int rc = apic_send_ipi(apic_id, ICR_DM_INIT | ICR_LEVEL_ASSERT | ICR_TRIGGER_LEVEL);

	if (rc)
		return rc;
	/* KVM and QEMU ignore the de-assert; the MP spec's sequence includes it. */
	return apic_send_ipi(apic_id, ICR_DM_INIT | ICR_TRIGGER_LEVEL);
}

int apic_send_sipi(uint32_t apic_id, uint8_t page)
{
	return apic_send_ipi(apic_id, ICR_DM_STARTUP | page);
}

/* Writes APIC register @reg in whichever mode apic_init() chose (ring 3). */
static void apic_write(uint32_t reg, uint32_t v)
{
	if (apic_mode == APIC_MODE_X2APIC)
		svc_wrmsr(X2APIC_MSR(reg), v);
	else if (apic_mode == APIC_MODE_XAPIC)
		mmio_write32(xapic_base + reg, v);
}

void apic_eoi(void)
{
	/* Without apic_init() (an interrupt nobody enabled), ask the APIC which mode it is in. */
	enum apic_mode m = apic_mode;

	if (m == APIC_MODE_NONE)
		m = (rdmsr(MSR_APIC_BASE) & APIC_BASE_EXTD) ? APIC_MODE_X2APIC : APIC_MODE_XAPIC;
	if (m == APIC_MODE_X2APIC)
		wrmsr(X2APIC_MSR(APIC_REG_EOI), 0);
	else if (xapic_base)
		mmio_write32(xapic_base + APIC_REG_EOI, 0);
	else
		mmio_write32((uintptr_t)(rdmsr(MSR_APIC_BASE) & APIC_BASE_ADDR_MASK) + APIC_REG_EOI,
			     0);
}

uint64_t apic_timer_khz(void)
{
	uint32_t khz = 0;

	if (cpuid(CPUID_HV_BASE, 0).eax >= CPUID_HV_TIMING)
		khz = cpuid(CPUID_HV_TIMING, 0).ebx;
	return khz ? khz : APIC_BUS_KHZ_DEFAULT;
}

int apic_timer_setup(uint8_t vector)
{
	if (apic_mode == APIC_MODE_NONE)
		return -ENODEV;
	apic_write(APIC_REG_TIMER_DIV, TIMER_DIV_1);
	apic_write(APIC_REG_LVT_TIMER, vector); /* one-shot, unmasked, count still 0 */
	return 0;
}

void apic_timer_start(uint32_t count)
{
	apic_write(APIC_REG_TIMER_INIT, count);
}

void apic_timer_stop(void)
{
	apic_write(APIC_REG_TIMER_INIT, 0);
	apic_write(APIC_REG_LVT_TIMER, LVT_MASKED);
}
