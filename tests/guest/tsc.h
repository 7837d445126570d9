/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tsc.h - time for the guest: the TSC frequency (from the hypervisor's CPUID
 * leaf 0x40000010 when offered, else measured against PIT channel 2), busy
 * delays and deadlines.  Ring 3; every timeout in the guest goes through here.
 */
#ifndef FERRY_GUEST_TSC_H
#define FERRY_GUEST_TSC_H

#include "guest.h"

enum tsc_source {
	TSC_SRC_NONE, /* tsc_init() not called */
	TSC_SRC_CPUID, /* hypervisor leaf 0x40000010 (Ferry, VMware-style) */
	TSC_SRC_PIT, /* measured against PIT channel 2 */
	TSC_SRC_GUESS, /* the PIT did not tick: 1 GHz assumed, timeouts approximate */
};

/* Finds the TSC frequency; returns 0, or -ETIMEDOUT when it had to guess. */
int tsc_init(void);
uint64_t tsc_khz(void);
enum tsc_source tsc_get_source(void);
const char *tsc_source_name(enum tsc_source s);

/* A TSC value @us microseconds from now. */
uint64_t tsc_deadline_us(uint64_t us);
bool tsc_passed(uint64_t deadline);
void tsc_delay_us(uint64_t us);
/* Converts a TSC interval to microseconds. */
uint64_t tsc_ticks_to_us(uint64_t ticks);

#endif
