/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * legacy.c - the legacy PC devices of legacy.h.
 *
 * The reset control register (0xcf9) belongs to the PCI host bridge (pci.c),
 * since it shares a dword with the config address port.
 *
 * i8042: only what reboot paths and Linux's probe need: status with no data,
 * the command byte, and command 0xfe (pulse the reset line).  The RTC reports
 * host UTC, in BCD or binary and 12/24-hour form as register B selects, and
 * never shows "update in progress", so a guest never waits on it.
 */
#include <string.h>
#include <time.h>

#include "util/log.h"
#include "vmm/iotrap.h"
#include "vmm/legacy.h"

#define I8042_DATA 0x60
#define I8042_CMD 0x64
#define I8042_CMD_READ_RAM0 0x20
#define I8042_CMD_WRITE_RAM0 0x60
#define I8042_CMD_RESET 0xfe
#define SYSCTL_PORT_A 0x92
#define POST_PORT 0x80
#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71

#define RTC_SEC 0x00
#define RTC_MIN 0x02
#define RTC_HOUR 0x04
#define RTC_WDAY 0x06
#define RTC_MDAY 0x07
#define RTC_MON 0x08
#define RTC_YEAR 0x09
#define RTC_REG_A 0x0a
#define RTC_REG_B 0x0b
#define RTC_REG_C 0x0c
#define RTC_REG_D 0x0d
#define RTC_CENTURY 0x32
#define RTC_B_24H 0x02
#define RTC_B_BINARY 0x04

static void i8042_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct legacy_devs *d = opaque;
	uint16_t port = (uint16_t)(I8042_DATA + off);
	bool reset = false;

	(void)len;
	if (port != I8042_DATA && port != I8042_CMD) {
		/* 0x61 (speaker) is KVM's; 0x62-0x63 are nothing. */
		if (!is_write)
			data[0] = 0xff;
		return;
	}
	mutex_lock(&d->lock);
	if (!is_write) {
		/* Status: nothing to read, input buffer empty; data: the command byte. */
		data[0] = port == I8042_CMD ? 0x00 : d->i8042_ram0;
	} else if (port == I8042_CMD) {
		d->i8042_cmd = data[0];
		reset = data[0] == I8042_CMD_RESET;
	} else if (d->i8042_cmd == I8042_CMD_WRITE_RAM0) {
		d->i8042_ram0 = data[0];
		d->i8042_cmd = 0;
	}
	mutex_unlock(&d->lock);
	if (reset)
		d->stop(d->opaque, LEGACY_STOP_RESET, 0);
}

static void sysctl_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct legacy_devs *d = opaque;

	(void)off;
	(void)len;
	if (!is_write) {
		data[0] = 0x02; /* A20 enabled, no reset pending */
		return;
	}
	if (data[0] & 0x01) /* fast reset */
		d->stop(d->opaque, LEGACY_STOP_RESET, 0);
}

static void debug_exit_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct legacy_devs *d = opaque;

	(void)off;
	(void)len;
	if (is_write)
		d->stop(d->opaque, LEGACY_STOP_DEBUG_EXIT, data[0]);
	else
		data[0] = 0xff;
}

static void post_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	/* Linux writes here as an I/O delay: accept and forget. */
	(void)opaque;
	(void)off;
	if (!is_write)
		memset(data, 0xff, len);
}

static uint8_t rtc_encode(const struct legacy_devs *d, unsigned int v) REQUIRES(d->lock)
{
	if (d->cmos[RTC_REG_B] & RTC_B_BINARY)
		return (uint8_t)v;
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static uint8_t rtc_hour(const struct legacy_devs *d, unsigned int h) REQUIRES(d->lock)
{
	unsigned int h12;

	if (d->cmos[RTC_REG_B] & RTC_B_24H)
		return rtc_encode(d, h);
	h12 = h % 12 ? h % 12 : 12;
	return (uint8_t)(rtc_encode(d, h12) | (h >= 12 ? 0x80 : 0));
}

static uint8_t cmos_read_locked(struct legacy_devs *d, uint8_t index) REQUIRES(d->lock)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	switch (index) {
	case RTC_SEC:
		return rtc_encode(d, (unsigned int)tm.tm_sec);
	case RTC_MIN:
		return rtc_encode(d, (unsigned int)tm.tm_min);
	case RTC_HOUR:
		return rtc_hour(d, (unsigned int)tm.tm_hour);
	case RTC_WDAY:
		return rtc_encode(d, (unsigned int)tm.tm_wday + 1);
	case RTC_MDAY:
		return rtc_encode(d, (unsigned int)tm.tm_mday);
	case RTC_MON:
		return rtc_encode(d, (unsigned int)tm.tm_mon + 1);
	case RTC_YEAR:
		return rtc_encode(d, (unsigned int)tm.tm_year % 100);
	case RTC_CENTURY:
		return rtc_encode(d, (unsigned int)(tm.tm_year + 1900) / 100);
	case RTC_REG_A:
		return d->cmos[RTC_REG_A] & 0x7f; /* never "update in progress" */
	case RTC_REG_C:
		return 0; /* no interrupt flags */
	case RTC_REG_D:
		return 0x80; /* battery good, RAM valid */
	default:
		return d->cmos[index & 0x7f];
	}
}

uint8_t legacy_cmos_read(struct legacy_devs *d, uint8_t index)
{
	uint8_t v;

	mutex_lock(&d->lock);
	v = cmos_read_locked(d, index & 0x7f);
	mutex_unlock(&d->lock);
	return v;
}

static void cmos_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct legacy_devs *d = opaque;

	(void)len;
	mutex_lock(&d->lock);
	if (off == 0) {
		if (is_write)
			d->cmos_index = data[0] & 0x7f; /* bit 7 masks NMI: ignored */
		else
			data[0] = 0xff;
	} else if (is_write) {
		if (d->cmos_index != RTC_REG_C && d->cmos_index != RTC_REG_D)
			d->cmos[d->cmos_index] = data[0];
	} else {
		data[0] = cmos_read_locked(d, d->cmos_index);
	}
	mutex_unlock(&d->lock);
}

struct legacy_port {
	uint16_t base;
	uint16_t len;
	iotrap_fn fn;
	bool debug_exit_only;
};

static const struct legacy_port legacy_ports[] = {
	{ I8042_DATA, I8042_CMD - I8042_DATA + 1, i8042_io, false },
	{ SYSCTL_PORT_A, 1, sysctl_io, false },
	{ POST_PORT, 1, post_io, false },
	{ CMOS_INDEX, 2, cmos_io, false },
	{ LEGACY_DEBUG_EXIT_PORT, 1, debug_exit_io, true },
};

int legacy_init(struct legacy_devs *d, struct iotrap_bus *pio, bool debug_exit, legacy_stop_fn stop,
		void *opaque) NO_THREAD_SAFETY_ANALYSIS
{
	unsigned int i;
	int ret = 0;

	memset(d, 0, sizeof(*d));
	mutex_init(&d->lock);
	d->stop = stop;
	d->opaque = opaque;
	d->i8042_ram0 = 0x01; /* keyboard interrupt enabled, as after POST */
	d->cmos[RTC_REG_A] = 0x26; /* 32.768 kHz base, 1024 Hz rate */
	d->cmos[RTC_REG_B] = RTC_B_24H;
	for (i = 0; i < ARRAY_SIZE(legacy_ports) && !ret; i++) {
		const struct legacy_port *p = &legacy_ports[i];

		if (p->debug_exit_only && !debug_exit)
			continue;
		ret = iotrap_register(pio, p->base, p->len, p->fn, d);
	}
	if (ret) {
		LOG_ERR("vmm", "cannot register legacy port %#x", legacy_ports[i - 1].base);
		legacy_fini(d, pio);
	}
	return ret;
}

void legacy_fini(struct legacy_devs *d, struct iotrap_bus *pio)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(legacy_ports); i++)
		iotrap_unregister(pio, legacy_ports[i].base);
	mutex_destroy(&d->lock);
}
