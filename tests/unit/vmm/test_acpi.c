/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_acpi.c - the ACPI tables (vmm/acpi.c) read back the way a guest reads
 * them (RSDP, XSDT, checksums, MADT entries, FADT blocks, the DSDT's AML),
 * and the devices behind them (vmm/legacy.c): the PM1a registers whose S5
 * write powers off, and the i8042's answers to Linux's probe, also under a
 * stream of random commands.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "test_vmm.h"
#include "vmm/acpi.h"
#include "vmm/iotrap.h"
#include "vmm/layout.h"
#include "vmm/legacy.h"

#define GPA LAYOUT_ACPI

static uint8_t tables[65536];

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* The table at guest address @gpa, checked like a guest would: inside, summing to 0. */
static const uint8_t *table_at(uint64_t gpa, int used, const char *sig)
{
	const uint8_t *t;

	if (gpa < GPA || gpa + 36 > GPA + (uint64_t)used)
		return NULL;
	t = tables + (gpa - GPA);
	if (memcmp(t, sig, 4) || gpa + get32(t + 4) > GPA + (uint64_t)used || sum(t, get32(t + 4)))
		return NULL;
	return t;
}

static const struct acpi_params params4 = {
	.nr_cpus = 4,
	.ioapic_id = 4,
	.ioapic_addr = 0xfec00000,
	.lapic_addr = 0xfee00000,
	.pci_mmio_start = 0xc0000000,
	.pci_mmio_end = 0xfec00000,
};

static void test_acpi_tables(void)
{
	int used = acpi_build(tables, sizeof(tables), GPA, &params4);
	const uint8_t *xsdt, *fadt, *madt, *dsdt, *e;
	static const uint8_t s5[] = { '_', 'S', '5', '_', 0x12, 0x07, 0x04, 0x0a, 0x05 };
	static const uint8_t pnp0a03[] = { 0x0c, 0x41, 0xd0, 0x0a, 0x03 };
	unsigned int lapics = 0, ioapics = 0;

	CU_ASSERT_FATAL(used > 0 && used < 4096);
	/* RSDP at the start: both checksums, revision 2, the XSDT. */
	CU_ASSERT(!memcmp(tables, "RSD PTR ", 8));
	CU_ASSERT_EQUAL(sum(tables, 20), 0);
	CU_ASSERT_EQUAL(sum(tables, 36), 0);
	CU_ASSERT_EQUAL(tables[15], 2);
	xsdt = table_at(get64(tables + 24), used, "XSDT");
	CU_ASSERT_FATAL(xsdt != NULL);
	CU_ASSERT_EQUAL_FATAL(get32(xsdt + 4), 36 + 16);
	fadt = table_at(get64(xsdt + 36), used, "FACP");
	madt = table_at(get64(xsdt + 44), used, "APIC");
	CU_ASSERT_FATAL(fadt && madt);
	/* FADT: the DSDT both ways, the PM1a blocks, SCI 9, the reset register. */
	dsdt = table_at(get64(fadt + 140), used, "DSDT");
	CU_ASSERT_FATAL(dsdt != NULL);
	CU_ASSERT_EQUAL(get32(fadt + 40), get64(fadt + 140));
	CU_ASSERT_EQUAL(get32(fadt + 56), ACPI_PM_BASE);
	CU_ASSERT_EQUAL(get32(fadt + 64), ACPI_PM_BASE + ACPI_PM1_EVT_LEN);
	CU_ASSERT_EQUAL(get32(fadt + 112) & (1u << 4), 0); /* a fixed power button */
	CU_ASSERT_EQUAL(fadt[88], ACPI_PM1_EVT_LEN);
	CU_ASSERT_EQUAL(fadt[89], ACPI_PM1_CNT_LEN);
	CU_ASSERT_EQUAL(fadt[46], ACPI_SCI_IRQ);
	CU_ASSERT_EQUAL(get64(fadt + 120), ACPI_RESET_PORT);
	CU_ASSERT_EQUAL(fadt[128], ACPI_RESET_VALUE);
	CU_ASSERT(get64(fadt + 132) % 64 == 0 &&
		  !memcmp(tables + (get64(fadt + 132) - GPA), "FACS", 4));
	/* MADT: one enabled local APIC per vCPU, IDs 0..3, and the IOAPIC. */
	CU_ASSERT_EQUAL(get32(madt + 36), params4.lapic_addr);
	for (e = madt + 44; e < madt + get32(madt + 4); e += e[1]) {
		CU_ASSERT_FATAL(e[1] >= 2);
		if (e[0] == 0) {
			CU_ASSERT_EQUAL(e[3], lapics);
			CU_ASSERT_EQUAL(get32(e + 4) & 1, 1);
			lapics++;
		} else if (e[0] == 1) {
			CU_ASSERT_EQUAL(e[2], params4.ioapic_id);
			CU_ASSERT_EQUAL(get32(e + 4), params4.ioapic_addr);
			ioapics++;
		}
	}
	CU_ASSERT_EQUAL(e, madt + get32(madt + 4));
	CU_ASSERT_EQUAL(lapics, 4);
	CU_ASSERT_EQUAL(ioapics, 1);
	/* DSDT: \_S5 = Package(4) { 5, ... } and the PCI host bridge. */
	CU_ASSERT(memmem(dsdt + 36, get32(dsdt + 4) - 36, s5, sizeof(s5)) != NULL);
	CU_ASSERT(memmem(dsdt + 36, get32(dsdt + 4) - 36, pnp0a03, sizeof(pnp0a03)) != NULL);
	CU_ASSERT(memmem(dsdt + 36, get32(dsdt + 4) - 36, "PCI0", 4) != NULL);
}

static void test_acpi_limits(void)
{
	struct acpi_params p = params4;

	p.nr_cpus = ACPI_MAX_CPUS;
	CU_ASSERT(acpi_build(tables, sizeof(tables), GPA, &p) > 0);
	p.nr_cpus = ACPI_MAX_CPUS + 1;
	CU_ASSERT_EQUAL(acpi_build(tables, sizeof(tables), GPA, &p), -EINVAL);
	p.nr_cpus = 0;
	CU_ASSERT_EQUAL(acpi_build(tables, sizeof(tables), GPA, &p), -EINVAL);
	p = params4;
	p.pci_mmio_end = p.pci_mmio_start;
	CU_ASSERT_EQUAL(acpi_build(tables, sizeof(tables), GPA, &p), -EINVAL);
	CU_ASSERT_EQUAL(acpi_build(tables, sizeof(tables), GPA + 16, &params4), -EINVAL);
	CU_ASSERT_EQUAL(acpi_build(tables, 200, GPA, &params4), -ENOSPC);
	CU_ASSERT_EQUAL(acpi_build(tables, 600, GPA, &params4), -ENOSPC);
}

struct stops {
	int reset, poweroff;
	int sci, sci_changes; /* the SCI line's level, and how often it moved */
};

static void on_stop(void *opaque, enum legacy_stop why, int status)
{
	struct stops *s = opaque;

	(void)status;
	s->reset += why == LEGACY_STOP_RESET;
	s->poweroff += why == LEGACY_STOP_POWEROFF;
}

static void on_irq(void *opaque, unsigned int irq, int level)
{
	struct stops *s = opaque;

	CU_ASSERT_EQUAL(irq, ACPI_SCI_IRQ);
	s->sci = level;
	s->sci_changes++;
}

static uint16_t pm_rd16(struct iotrap_bus *pio, uint16_t port)
{
	uint8_t b[2] = { 0 };

	iotrap_dispatch(pio, port, b, 2, false);
	return (uint16_t)(b[0] | b[1] << 8);
}

static void pm_wr16(struct iotrap_bus *pio, uint16_t port, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	iotrap_dispatch(pio, port, b, 2, true);
}

static void test_acpi_pm(void)
{
	const uint16_t cnt = ACPI_PM_BASE + ACPI_PM1_EVT_LEN;
	struct iotrap_bus pio;
	struct legacy_devs d;
	struct stops st = { 0 };
	uint8_t b4[4];

	iotrap_bus_init(&pio, "pio");
	CU_ASSERT_EQUAL_FATAL(legacy_init(&d, &pio, false, on_stop, on_irq, &st), 0);
	CU_ASSERT_EQUAL(pm_rd16(&pio, cnt) & ACPI_PM1_CNT_SCI_EN, ACPI_PM1_CNT_SCI_EN);
	/* Enable is read/write; status clears only the bits written as 1. */
	pm_wr16(&pio, ACPI_PM_BASE + 2, 0x0121);
	CU_ASSERT_EQUAL(pm_rd16(&pio, ACPI_PM_BASE + 2), 0x0121);
	pm_wr16(&pio, ACPI_PM_BASE, 0xffff);
	CU_ASSERT_EQUAL(pm_rd16(&pio, ACPI_PM_BASE), 0);
	/* One dword access covers status and enable together. */
	CU_ASSERT(iotrap_dispatch(&pio, ACPI_PM_BASE, b4, 4, false));
	CU_ASSERT_EQUAL(b4[2] | b4[3] << 8, 0x0121);
	/* S3 is not offered: SLP_EN with type 3 does nothing, and SLP_EN self-clears. */
	pm_wr16(&pio, cnt, (uint16_t)(3 << 10 | ACPI_PM1_CNT_SLP_EN));
	CU_ASSERT_EQUAL(st.poweroff, 0);
	CU_ASSERT_EQUAL(pm_rd16(&pio, cnt) & ACPI_PM1_CNT_SLP_EN, 0);
	/*
	 * The power button: its status bit is set at once, the SCI rises only
	 * while the guest enabled the event, and falls when it clears the status.
	 */
	pm_wr16(&pio, ACPI_PM_BASE + 2, 0);
	legacy_power_button(&d);
	CU_ASSERT_EQUAL(pm_rd16(&pio, ACPI_PM_BASE) & ACPI_PM1_PWRBTN, ACPI_PM1_PWRBTN);
	CU_ASSERT_EQUAL(st.sci_changes, 0);
	pm_wr16(&pio, ACPI_PM_BASE + 2, ACPI_PM1_PWRBTN);
	CU_ASSERT(st.sci == 1 && st.sci_changes == 1);
	pm_wr16(&pio, ACPI_PM_BASE, ACPI_PM1_PWRBTN); /* write 1 to clear */
	CU_ASSERT(st.sci == 0 && st.sci_changes == 2);
	legacy_power_button(&d);
	CU_ASSERT(st.sci == 1 && st.sci_changes == 3);
	pm_wr16(&pio, ACPI_PM_BASE, ACPI_PM1_PWRBTN);
	CU_ASSERT_EQUAL(st.sci, 0);
	/* Linux writes the type first, then the type with SLP_EN: S5 powers off. */
	pm_wr16(&pio, cnt, (uint16_t)(ACPI_S5_SLP_TYP << 10));
	CU_ASSERT_EQUAL(st.poweroff, 0);
	pm_wr16(&pio, cnt, (uint16_t)(ACPI_S5_SLP_TYP << 10 | ACPI_PM1_CNT_SLP_EN));
	CU_ASSERT_EQUAL(st.poweroff, 1);
	CU_ASSERT_EQUAL(st.reset, 0);
	legacy_fini(&d, &pio);
	iotrap_bus_fini(&pio);
}

static uint8_t kbc_status(struct iotrap_bus *pio)
{
	uint8_t v = 0;

	iotrap_dispatch(pio, 0x64, &v, 1, false);
	return v;
}

static void kbc_cmd(struct iotrap_bus *pio, uint8_t c)
{
	iotrap_dispatch(pio, 0x64, &c, 1, true);
}

/* Like Linux's i8042_command: the reply byte, or -1 when none comes (OBF never set). */
static int kbc_reply(struct iotrap_bus *pio)
{
	uint8_t v = 0;

	if (!(kbc_status(pio) & 0x01))
		return -1;
	iotrap_dispatch(pio, 0x60, &v, 1, false);
	return v;
}

static void test_i8042(void)
{
	struct iotrap_bus pio;
	struct legacy_devs d;
	struct stops st = { 0 };
	uint8_t v;

	iotrap_bus_init(&pio, "pio");
	CU_ASSERT_EQUAL_FATAL(legacy_init(&d, &pio, false, on_stop, on_irq, &st), 0);
	CU_ASSERT_EQUAL(kbc_reply(&pio), -1); /* nothing waiting: i8042_flush ends at once */
	CU_ASSERT(kbc_status(&pio) & 0x10); /* not keylocked */
	kbc_cmd(&pio, 0x20); /* read CTR */
	CU_ASSERT_EQUAL(kbc_reply(&pio), 0x05);
	CU_ASSERT_EQUAL(kbc_reply(&pio), -1); /* read once, gone */
	kbc_cmd(&pio, 0x60); /* write CTR */
	v = 0x47;
	iotrap_dispatch(&pio, 0x60, &v, 1, true);
	kbc_cmd(&pio, 0x20);
	CU_ASSERT_EQUAL(kbc_reply(&pio), 0x47);
	kbc_cmd(&pio, 0xaa);
	CU_ASSERT_EQUAL(kbc_reply(&pio), 0x55);
	CU_ASSERT(kbc_status(&pio) & 0x04);
	kbc_cmd(&pio, 0xab);
	CU_ASSERT_EQUAL(kbc_reply(&pio), 0x00);
	/* No mouse: the loop returns nothing, the AUX test says the clock is stuck. */
	kbc_cmd(&pio, 0xd3);
	v = 0x5a;
	iotrap_dispatch(&pio, 0x60, &v, 1, true);
	CU_ASSERT_EQUAL(kbc_reply(&pio), -1);
	kbc_cmd(&pio, 0xa9);
	CU_ASSERT_EQUAL(kbc_reply(&pio), 0x01);
	kbc_cmd(&pio, 0xad);
	kbc_cmd(&pio, 0x20);
	CU_ASSERT_EQUAL(kbc_reply(&pio) & 0x10, 0x10);
	CU_ASSERT_EQUAL(st.reset, 0);
	/* Pulsing output lines with bit 0 set leaves the reset line alone; 0xfe resets. */
	kbc_cmd(&pio, 0xff);
	CU_ASSERT_EQUAL(st.reset, 0);
	kbc_cmd(&pio, 0xfe);
	CU_ASSERT_EQUAL(st.reset, 1);
	legacy_fini(&d, &pio);
	iotrap_bus_fini(&pio);
}

/* A hostile guest's random bytes on both ports: no crash, resets only from 0xf0-0xfe even. */
static void test_i8042_random(void)
{
	struct iotrap_bus pio;
	struct legacy_devs d;
	struct stops st = { 0 };
	unsigned int seed = 12345;
	int want_resets = 0;

	iotrap_bus_init(&pio, "pio");
	CU_ASSERT_EQUAL_FATAL(legacy_init(&d, &pio, false, on_stop, on_irq, &st), 0);
	for (int i = 0; i < 100000; i++) {
		uint8_t v = (uint8_t)rand_r(&seed);
		uint16_t port = rand_r(&seed) & 1 ? 0x64 : 0x60;
		bool wr = rand_r(&seed) & 1;

		if (wr && port == 0x64 && v >= 0xf0 && !(v & 1))
			want_resets++;
		iotrap_dispatch(&pio, port, &v, 1, wr);
	}
	CU_ASSERT_EQUAL(st.reset, want_resets);
	CU_ASSERT_EQUAL(st.poweroff, 0);
	legacy_fini(&d, &pio);
	iotrap_bus_fini(&pio);
}

static CU_TestInfo acpi_tests[] = {
	{ "ACPI tables read back", test_acpi_tables },
	{ "ACPI limits", test_acpi_limits },
	{ "ACPI PM1a power-off", test_acpi_pm },
	{ "i8042 answers Linux's probe", test_i8042 },
	{ "i8042 under random bytes", test_i8042_random },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo vmm_acpi_suite = { "vmm acpi", NULL, NULL, NULL, NULL, acpi_tests };
