/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tsc.c - TSC frequency and delays (see tsc.h).
 *
 * PIT calibration uses channel 2 in mode 0 (interrupt on terminal count),
 * whose output is readable in bit 5 of port 0x61, the classic PC way that
 * needs no interrupts.  Each port read is a VM exit (11-16 us here), so a
 * 10 ms window is known to about 0.5%; preemption is outvoted by taking
 * the median of several windows.
 */
#include "cpuid.h"
#include "io.h"
#include "lib.h"
#include "tsc.h"

#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_HV_BASE 0x40000000
#define CPUID_HV_TIMING 0x40000010 /* EAX: TSC kHz, EBX: APIC bus kHz */

#define PIT_HZ 1193182ULL
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PIT_CMD_CH2_MODE0 0xb0 /* channel 2, lobyte/hibyte, mode 0, binary */
#define PORT_B 0x61 /* NMI status and control: PIT gate 2 and out 2 */
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2 0x20
#define PIT_COUNT 11932 /* ~10 ms */
#define PIT_MAX_POLLS 1000000 /* far beyond 10 ms even at 1 ns per poll */
#define PIT_SAMPLES 5
#define GUESS_KHZ 1000000
/*
 * A PIT-derived rate outside this is no measurement: a machine without the
 * port-B gate (QEMU's microvm) reads OUT2 high at once and "measures" about
 * 10 MHz, which made every delay 260 times too short.
 */
#define PIT_KHZ_MIN 200000 /* 200 MHz */
#define PIT_KHZ_MAX 10000000 /* 10 GHz */

static uint64_t khz;
static enum tsc_source source;

static uint64_t tsc_khz_from_cpuid(void)
{
	if (!(cpuid(1, 0).ecx & CPUID_1_ECX_HYPERVISOR))
		return 0;
	if (cpuid(CPUID_HV_BASE, 0).eax < CPUID_HV_TIMING)
		return 0;
	return cpuid(CPUID_HV_TIMING, 0).eax;
}

/*
 * Times one PIT_COUNT window in TSC ticks, 0 if the PIT never fired.  Its
 * start lies between the TSC reads around the write that starts the count,
 * its end between the read before the last port read that saw OUT2 low and
 * the read after the one that saw it high: the midpoints are used.
 */
static uint64_t tsc_pit_sample(void)
{
	uint64_t start_lo, start_hi, low_seen, before;

	outb(PORT_B, (inb(PORT_B) & ~PORT_B_SPEAKER) | PORT_B_GATE2);
	outb(PIT_CMD, PIT_CMD_CH2_MODE0);
	outb(PIT_CH2, PIT_COUNT & 0xff);
	start_lo = rdtsc();
	outb(PIT_CH2, PIT_COUNT >> 8); /* counting starts here */
	start_hi = rdtsc();
	low_seen = start_lo;
	for (unsigned int i = 0; i < PIT_MAX_POLLS; i++) {
		before = rdtsc();
		if (inb(PORT_B) & PORT_B_OUT2)
			return (low_seen + rdtsc()) / 2 - (start_lo + start_hi) / 2;
		low_seen = before;
	}
	return 0;
}

/*
 * The median of PIT_SAMPLES windows: on 2 busy host cores a vCPU preempted
 * at the wrong moment skews one window by milliseconds (seen: -21% and
 * +28%), and the median ignores up to two such.
 */
static uint64_t tsc_ticks_per_pit_window(void)
{
	uint64_t v[PIT_SAMPLES], t;
	unsigned int i, j;

	for (i = 0; i < PIT_SAMPLES; i++) {
		t = tsc_pit_sample();
		if (!t)
			return 0;
		/* Insertion sort: there are five values. */
		for (j = i; j > 0 && v[j - 1] > t; j--)
			v[j] = v[j - 1];
		v[j] = t;
	}
	return v[PIT_SAMPLES / 2];
}

int tsc_init(void)
{
	uint64_t ticks;

	khz = tsc_khz_from_cpuid();
	if (khz) {
		source = TSC_SRC_CPUID;
		return 0;
	}
	ticks = tsc_ticks_per_pit_window();
	khz = ticks * PIT_HZ / (PIT_COUNT * 1000ULL);
	if (khz >= PIT_KHZ_MIN && khz <= PIT_KHZ_MAX) {
		source = TSC_SRC_PIT;
		return 0;
	}
	khz = GUESS_KHZ;
	source = TSC_SRC_GUESS;
	return -ETIMEDOUT;
}

uint64_t tsc_khz(void)
{
	return khz;
}

enum tsc_source tsc_get_source(void)
{
	return source;
}

const char *tsc_source_name(enum tsc_source s)
{
	static const char *const names[] = {
		[TSC_SRC_NONE] = "none",
		[TSC_SRC_CPUID] = "cpuid",
		[TSC_SRC_PIT] = "pit",
		[TSC_SRC_GUESS] = "guess",
	};

	return s < ARRAY_SIZE(names) ? names[s] : "?";
}

uint64_t tsc_deadline_us(uint64_t us)
{
	return rdtsc() + us * (khz ? khz : GUESS_KHZ) / 1000;
}

bool tsc_passed(uint64_t deadline)
{
	return (int64_t)(rdtsc() - deadline) >= 0;
}

void tsc_delay_us(uint64_t us)
{
	uint64_t deadline = tsc_deadline_us(us);

	while (!tsc_passed(deadline))
		cpu_relax();
}

uint64_t tsc_ticks_to_us(uint64_t ticks)
{
	return ticks * 1000 / (khz ? khz : GUESS_KHZ);
}
