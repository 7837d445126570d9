/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * legacy.h - the PC platform's odds and ends a guest expects to find: the
 * i8042 keyboard controller (whose reset line reboots the machine), the other
 * reset port 0x92, the POST port 0x80, the CMOS real-time clock, the ACPI
 * PM1a event and control registers whose SLP_EN ends the VM (acpi.h),
 * and Ferry's debug-exit port that lets a test guest end the VM with a status.
 *
 * These devices end the VM through one callback; they know nothing else of it.
 */
#ifndef FERRY_VMM_LEGACY_H
#define FERRY_VMM_LEGACY_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/lock.h"

#define LEGACY_DEBUG_EXIT_PORT 0x501

enum legacy_stop {
	LEGACY_STOP_RESET, /* the guest asked for a reset (i8042, 0x92) */
	LEGACY_STOP_DEBUG_EXIT, /* the guest wrote a status to the debug-exit port */
	LEGACY_STOP_POWEROFF, /* the guest entered ACPI S5 through PM1a_CNT */
};

typedef void (*legacy_stop_fn)(void *opaque, enum legacy_stop why, int status);
/* Set an ISA interrupt line's level (the SCI, IRQ 9, level-triggered). */
typedef void (*legacy_irq_fn)(void *opaque, unsigned int irq, int level);

struct legacy_devs {
	legacy_stop_fn stop;
	legacy_irq_fn irq; /* may be NULL: no SCI */
	void *opaque;
	bool sci GUARDED; /* the SCI line's level as last set */
	struct mutex lock;
	uint8_t i8042_cmd GUARDED; /* a command waiting for its data byte */
	uint8_t i8042_ram0 GUARDED; /* controller command byte (CTR) */
	uint8_t i8042_status GUARDED; /* status register (0x64 read) */
	uint8_t i8042_out GUARDED; /* output buffer (0x60 read) */
	uint16_t pm1_sts GUARDED, pm1_en GUARDED, pm1_cnt GUARDED; /* ACPI PM1a (acpi.h) */
	uint8_t cmos_index GUARDED; /* selected CMOS register */
	uint8_t cmos[128] GUARDED; /* CMOS RAM (time registers are computed) */
};

struct iotrap_bus;

/* Register the ports on @pio; @debug_exit enables port 0x501. */
int legacy_init(struct legacy_devs *d, struct iotrap_bus *pio, bool debug_exit, legacy_stop_fn stop,
		legacy_irq_fn irq, void *opaque);
/*
 * Press the ACPI power button: PWRBTN_STS, and the SCI if the guest enabled
 * the event.  An ACPI guest (Linux with acpid or logind) then powers off.
 */
void legacy_power_button(struct legacy_devs *d);
void legacy_fini(struct legacy_devs *d, struct iotrap_bus *pio);

/* Exposed for unit tests: the CMOS data register model. */
uint8_t legacy_cmos_read(struct legacy_devs *d, uint8_t index);

#endif
