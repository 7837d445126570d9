/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * legacy.c - the legacy PC devices of legacy.h.
 *
 * The reset control register (0xcf9) belongs to the PCI host bridge (pci.c),
 * since it shares a dword with the config address port.
 *
 * i8042: the controller without devices behind it, answering what Linux's
 * probe sends (i8042_controller_check/init, the AUX checks): the command
 * byte (CTR) read and written through the output buffer, self-test 0x55,
 * the interface tests, port enable/disable, and 0xfe (pulse the reset line),
 * which reboot paths use.  No keyboard or mouse answers: a networking VM has
 * neither, and Linux's atkbd gives up after its timeout.  The RTC reports
 * host UTC, in BCD or binary and 12/24-hour form as register B selects, and
 * never shows "update in progress", so a guest never waits on it.
 */
#include <string.h>
#include <time.h>

#include "util/log.h"
#include "vmm/acpi.h"
#include "vmm/iotrap.h"
#include "vmm/legacy.h"

#define I8042_DATA 0x60
#define I8042_CMD 0x64
#define I8042_CMD_READ_RAM0 0x20 /* read the command byte (CTR) */
#define I8042_CMD_WRITE_RAM0 0x60
#define I8042_CMD_AUX_DISABLE 0xa7
#define I8042_CMD_AUX_ENABLE 0xa8
#define I8042_CMD_AUX_TEST 0xa9
#define I8042_CMD_SELF_TEST 0xaa
#define I8042_CMD_KBD_TEST 0xab
#define I8042_CMD_KBD_DISABLE 0xad
#define I8042_CMD_KBD_ENABLE 0xae
#define I8042_CMD_WRITE_OUTPORT 0xd1
#define I8042_CMD_KBD_LOOP 0xd2
#define I8042_CMD_AUX_LOOP 0xd3
#define I8042_CMD_AUX_SEND 0xd4
#define I8042_STR_OBF 0x01 /* status: a byte waits in the output buffer */
#define I8042_STR_SYS 0x04 /* system flag: self-test passed */
#define I8042_STR_CMDDAT 0x08 /* last write was a command */
#define I8042_STR_KEYLOCK 0x10 /* set: the keyboard is not inhibited */
#define I8042_STR_AUXDATA 0x20 /* the byte is the mouse's */
#define I8042_CTR_SYS 0x04
#define I8042_CTR_KBDDIS 0x10
#define I8042_CTR_AUXDIS 0x20
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

/* The controller answers a command with one byte: put it in the output buffer. */
static void i8042_reply(struct legacy_devs *d, uint8_t v) REQUIRES(d->lock)
{
	d->i8042_out = v;
	d->i8042_status = (uint8_t)((d->i8042_status | I8042_STR_OBF) & ~I8042_STR_AUXDATA);
}

/* A command written to 0x64: reply at once, or wait for its data byte. */
static bool i8042_command(struct legacy_devs *d, uint8_t cmd) REQUIRES(d->lock)
{
	d->i8042_cmd = 0;
	d->i8042_status |= I8042_STR_CMDDAT;
	switch (cmd) {
	case I8042_CMD_READ_RAM0:
		i8042_reply(d, d->i8042_ram0);
		break;
	case I8042_CMD_WRITE_RAM0:
	case I8042_CMD_WRITE_OUTPORT:
	case I8042_CMD_KBD_LOOP:
	case I8042_CMD_AUX_LOOP:
	case I8042_CMD_AUX_SEND:
		d->i8042_cmd = cmd; /* the next byte on 0x60 is this command's */
		break;
	case I8042_CMD_SELF_TEST:
		d->i8042_status |= I8042_STR_SYS;
		i8042_reply(d, 0x55);
		break;
	case I8042_CMD_KBD_TEST:
		i8042_reply(d, 0x00);
		break;
	case I8042_CMD_AUX_TEST:
		i8042_reply(d, 0x01); /* clock line stuck low: there is no mouse */
		break;
	case I8042_CMD_KBD_DISABLE:
		d->i8042_ram0 |= I8042_CTR_KBDDIS;
		break;
	case I8042_CMD_KBD_ENABLE:
		d->i8042_ram0 &= (uint8_t)~I8042_CTR_KBDDIS;
		break;
	case I8042_CMD_AUX_DISABLE:
		d->i8042_ram0 |= I8042_CTR_AUXDIS;
		break;
	case I8042_CMD_AUX_ENABLE:
		d->i8042_ram0 &= (uint8_t)~I8042_CTR_AUXDIS;
		break;
	default:
		/* 0xf0-0xff pulse output lines; bit 0 low pulses the reset line. */
		return cmd >= 0xf0 && !(cmd & 1);
	}
	return false;
}

/* A byte written to 0x60: the pending command's data, or one for the keyboard. */
static void i8042_data(struct legacy_devs *d, uint8_t v) REQUIRES(d->lock)
{
	d->i8042_status &= (uint8_t)~I8042_STR_CMDDAT;
	switch (d->i8042_cmd) {
	case I8042_CMD_WRITE_RAM0:
		d->i8042_ram0 = v;
		d->i8042_status = (uint8_t)((d->i8042_status & ~I8042_STR_SYS) |
					    (v & I8042_CTR_SYS ? I8042_STR_SYS : 0));
		break;
	case I8042_CMD_KBD_LOOP:
		i8042_reply(d, v); /* as if the keyboard had sent it */
		break;
	default:
		/*
		 * No keyboard and no mouse are attached: bytes for them, and the
		 * output port, go nowhere, and their drivers time out.  A loop
		 * through the mouse port gets nothing back either.
		 */
		break;
	}
	d->i8042_cmd = 0;
}

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
	if (!is_write && port == I8042_CMD) {
		data[0] = d->i8042_status;
	} else if (!is_write) {
		/* Reading the buffer empties it; an empty one reads its last byte. */
		data[0] = d->i8042_out;
		d->i8042_status &= (uint8_t) ~(I8042_STR_OBF | I8042_STR_AUXDATA);
	} else if (port == I8042_CMD) {
		reset = i8042_command(d, data[0]);
	} else {
		i8042_data(d, data[0]);
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

/*
 * ACPI PM1a (acpi.h): status at +0 (write 1 to clear), enable at +2, control
 * at +4.  SCI_EN always reads 1: the guest is in ACPI mode from the start.
 * Writing SLP_EN with the \_S5 sleep type powers the machine off; other
 * sleep states are not offered, so they do nothing.  The one event is the
 * power button: the SCI (level-triggered) is high while its status and
 * enable bits are both set.
 */
static uint16_t *pm_reg(struct legacy_devs *d, unsigned int off) REQUIRES(d->lock)
{
	return off < 2 ? &d->pm1_sts : off < 4 ? &d->pm1_en : &d->pm1_cnt;
}

static void pm_update_sci(struct legacy_devs *d) REQUIRES(d->lock)
{
	bool level = d->pm1_sts & d->pm1_en & ACPI_PM1_PWRBTN;

	if (level != d->sci && d->irq) {
		d->sci = level;
		d->irq(d->opaque, ACPI_SCI_IRQ, level);
	}
}

void legacy_power_button(struct legacy_devs *d)
{
	mutex_lock(&d->lock);
	d->pm1_sts |= ACPI_PM1_PWRBTN;
	pm_update_sci(d);
	mutex_unlock(&d->lock);
}

static void pm_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct legacy_devs *d = opaque;
	bool poweroff = false;

	mutex_lock(&d->lock);
	for (uint32_t i = 0; i < len; i++) {
		unsigned int at = (unsigned int)off + i, shift = (at & 1) * 8;
		uint16_t *r;

		if (at >= ACPI_PM1_EVT_LEN + ACPI_PM1_CNT_LEN) {
			if (!is_write)
				data[i] = 0xff;
			continue;
		}
		r = pm_reg(d, at);
		if (!is_write)
			data[i] = (uint8_t)(*r >> shift);
		else if (r == &d->pm1_sts)
			*r &= (uint16_t) ~((uint16_t)data[i] << shift);
		else
			*r = (uint16_t)((*r & ~(0xff << shift)) | (data[i] << shift));
	}
	d->pm1_cnt |= ACPI_PM1_CNT_SCI_EN;
	if (d->pm1_cnt & ACPI_PM1_CNT_SLP_EN) {
		poweroff = ACPI_PM1_CNT_SLP_TYP(d->pm1_cnt) == ACPI_S5_SLP_TYP;
		d->pm1_cnt &= (uint16_t)~ACPI_PM1_CNT_SLP_EN; /* self-clearing */
	}
	pm_update_sci(d);
	mutex_unlock(&d->lock);
	if (poweroff)
		d->stop(d->opaque, LEGACY_STOP_POWEROFF, 0);
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
	{ ACPI_PM_BASE, ACPI_PM1_EVT_LEN + ACPI_PM1_CNT_LEN, pm_io, false },
	{ LEGACY_DEBUG_EXIT_PORT, 1, debug_exit_io, true },
};

int legacy_init(struct legacy_devs *d, struct iotrap_bus *pio, bool debug_exit, legacy_stop_fn stop,
		legacy_irq_fn irq, void *opaque) NO_THREAD_SAFETY_ANALYSIS
{
	unsigned int i;
	int ret = 0;

	memset(d, 0, sizeof(*d));
	mutex_init(&d->lock);
	d->stop = stop;
	d->irq = irq;
	d->opaque = opaque;
	d->i8042_ram0 = 0x01 | I8042_CTR_SYS; /* keyboard interrupt on, POST passed */
	d->i8042_status = I8042_STR_SYS | I8042_STR_KEYLOCK;
	d->pm1_cnt = ACPI_PM1_CNT_SCI_EN;
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
