/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * acpi.c - builds the ACPI tables of acpi.h (ACPI 6.5 numbering), in this
 * order in one buffer: RSDP, FACS, XSDT, FADT, MADT, DSDT.  Tables are written
 * with explicit little-endian stores at the offsets the specification gives,
 * not through packed structs, so the layout is visible here line by line.
 *
 * The DSDT's AML is assembled by a few emitters (the grammar of ACPI 6.5
 * chapter 20): names, integers, packages, buffers, scopes and devices, each
 * length-prefixed by a PkgLength computed from the finished contents.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "util/compiler.h"
#include "vmm/acpi.h"

#define HDR_LEN 36
#define RSDP_LEN 36
#define FADT_LEN 276 /* FADT 6.x, with the hypervisor vendor identity */
#define FACS_LEN 64
#define AML_MAX 1024

#define GAS_SYSTEM_IO 1
#define GAS_ACCESS_BYTE 1
#define GAS_ACCESS_WORD 2
#define GAS_ACCESS_DWORD 3

/* FADT flags (5.2.9, table 5.10). */
#define FADT_WBINVD (1u << 0)
#define FADT_SLP_BUTTON (1u << 5)
#define FADT_FIX_RTC (1u << 6)
#define FADT_RESET_REG_SUP (1u << 10)
/* IA-PC boot architecture flags (table 5.11). */
#define BOOT_LEGACY_DEVICES (1u << 0) /* ISA devices: COM1, the RTC */
#define BOOT_8042 (1u << 1)
#define BOOT_VGA_NOT_PRESENT (1u << 2)

#define MADT_LAPIC 0
#define MADT_IOAPIC 1
#define MADT_ISO 2
#define MADT_LAPIC_NMI 4
#define MADT_PCAT_COMPAT 1 /* 8259 PICs present (KVM's) */
#define MADT_ISO_LEVEL_HIGH 0x000d /* active high, level triggered */

/* AML opcodes (20.3). */
#define AML_ZERO 0x00
#define AML_NAME 0x08
#define AML_BYTE 0x0a
#define AML_WORD 0x0b
#define AML_DWORD 0x0c
#define AML_SCOPE 0x10
#define AML_BUFFER 0x11
#define AML_PACKAGE 0x12
#define AML_EXT 0x5b
#define AML_DEVICE 0x82 /* after AML_EXT */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint8_t checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)-sum;
}

/* The common header (5.2.6); the checksum is set by table_done(). */
static void table_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, "FERRY ", 6);
	memcpy(t + 16, "FERRYVM ", 8);
	put32(t + 24, 1);
	memcpy(t + 28, "FRRY", 4);
	put32(t + 32, 1);
}

static void table_done(uint8_t *t, uint32_t len)
{
	t[9] = 0;
	t[9] = checksum(t, len);
}

/* A Generic Address Structure (5.2.3.2) in system I/O space. */
static void put_gas_io(uint8_t *p, uint8_t bits, uint8_t access, uint16_t port)
{
	p[0] = GAS_SYSTEM_IO;
	p[1] = bits;
	p[2] = 0;
	p[3] = access;
	put64(p + 4, port);
}

/* ---- AML ---- */

struct aml {
	uint8_t b[AML_MAX];
	size_t len;
	bool overflow;
};

static void aml_put(struct aml *a, const void *p, size_t n)
{
	if (a->overflow || n > sizeof(a->b) - a->len) {
		a->overflow = true;
		return;
	}
	memcpy(a->b + a->len, p, n);
	a->len += n;
}

static void aml_byte(struct aml *a, uint8_t v)
{
	aml_put(a, &v, 1);
}

/* A 4-character NameSeg, optionally rooted (\). */
static void aml_nameseg(struct aml *a, const char *seg, bool root)
{
	if (root)
		aml_byte(a, '\\');
	aml_put(a, seg, 4);
}

/* An integer in the shortest encoding (20.2.3). */
static void aml_int(struct aml *a, uint32_t v)
{
	uint8_t p[4];

	if (v == 0) {
		aml_byte(a, AML_ZERO);
	} else if (v <= 0xff) {
		aml_byte(a, AML_BYTE);
		aml_byte(a, (uint8_t)v);
	} else if (v <= 0xffff) {
		aml_byte(a, AML_WORD);
		put16(p, (uint16_t)v);
		aml_put(a, p, 2);
	} else {
		aml_byte(a, AML_DWORD);
		put32(p, v);
		aml_put(a, p, 4);
	}
}

/* PkgLength (20.2.4) for @n bytes of contents: it counts its own bytes too. */
static void aml_pkglen(struct aml *a, size_t n)
{
	size_t total;

	if (n + 1 < 0x40) {
		aml_byte(a, (uint8_t)(n + 1));
		return;
	}
	total = n + 2;
	if (total < 0x1000) {
		aml_byte(a, (uint8_t)(0x40 | (total & 0xf)));
		aml_byte(a, (uint8_t)(total >> 4));
		return;
	}
	total = n + 3;
	aml_byte(a, (uint8_t)(0x80 | (total & 0xf)));
	aml_byte(a, (uint8_t)(total >> 4));
	aml_byte(a, (uint8_t)(total >> 12));
}

/* @op (one or two bytes), PkgLength, then @inner: Scope, Device, Package, Buffer. */
static void aml_wrap(struct aml *a, const uint8_t *op, size_t oplen, const struct aml *inner)
{
	if (inner->overflow) {
		a->overflow = true;
		return;
	}
	aml_put(a, op, oplen);
	aml_pkglen(a, inner->len);
	aml_put(a, inner->b, inner->len);
}

/* Name(@seg, @v) with an integer value. */
static void aml_name_int(struct aml *a, const char *seg, uint32_t v)
{
	aml_byte(a, AML_NAME);
	aml_nameseg(a, seg, false);
	aml_int(a, v);
}

/* EISA ID "PNP0A03" compressed (compressed vendor letters, then 4 hex digits, big-endian). */
static uint32_t eisa_id(const char *id)
{
	uint32_t v = ((uint32_t)(id[0] & 0x1f) << 10) | ((uint32_t)(id[1] & 0x1f) << 5) |
		     (uint32_t)(id[2] & 0x1f);
	uint32_t hex = 0;

	for (int i = 3; i < 7; i++)
		hex = (hex << 4) |
		      (uint32_t)(id[i] <= '9' ? id[i] - '0' : (id[i] | 0x20) - 'a' + 10);
	v = (v << 16) | hex;
	return __builtin_bswap32(v);
}

/* Name(_S5, Package() { 5, 0, 0, 0 }): what Linux writes to PM1a_CNT for S5. */
static void aml_s5(struct aml *a)
{
	static const uint8_t op = AML_PACKAGE;
	struct aml pkg = { .len = 0 };

	aml_byte(&pkg, 4); /* NumElements */
	aml_int(&pkg, ACPI_S5_SLP_TYP);
	aml_int(&pkg, 0);
	aml_int(&pkg, 0);
	aml_int(&pkg, 0);
	aml_byte(a, AML_NAME);
	aml_nameseg(a, "_S5_", true);
	aml_wrap(a, &op, 1, &pkg);
}

/* Word or DWord address space descriptor (6.4.3.5): a window the bridge decodes. */
static void res_addr(struct aml *a, uint8_t type, uint8_t tflags, uint32_t min, uint32_t max,
		     bool dword)
{
	uint8_t d[26] = { 0 };
	size_t sz = dword ? 4 : 2, n = 6 + 5 * sz;

	d[0] = dword ? 0x87 : 0x88;
	put16(d + 1, (uint16_t)(n - 3));
	d[3] = type; /* 0 memory, 1 I/O, 2 bus number */
	d[4] = 0x0c; /* producer, positive decode, min and max fixed */
	d[5] = tflags;
	for (size_t i = 0; i < 5; i++) {
		uint32_t v = i == 1 ? min : i == 2 ? max : i == 4 ? max - min + 1 : 0;

		if (dword)
			put32(d + 6 + i * 4, v);
		else
			put16(d + 6 + i * 2, (uint16_t)v);
	}
	aml_put(a, d, n);
}

/* The PCI host bridge's _CRS: bus 0, config ports, all other I/O, the BAR window. */
static void aml_pci_crs(struct aml *a, const struct acpi_params *p)
{
	static const uint8_t cfg_io[] = { 0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08 };
	static const uint8_t end_tag[] = { 0x79, 0x00 };
	static const uint8_t op = AML_BUFFER;
	struct aml res = { .len = 0 }, buf = { .len = 0 };

	res_addr(&res, 2, 0, 0, 0, false);
	aml_put(&res, cfg_io, sizeof(cfg_io));
	res_addr(&res, 1, 3, 0x0000, 0x0cf7, false); /* 3: ISA and non-ISA ranges */
	res_addr(&res, 1, 3, 0x0d00, 0xffff, false);
	res_addr(&res, 0, 1, p->pci_mmio_start, p->pci_mmio_end - 1, true); /* read/write */
	aml_put(&res, end_tag, sizeof(end_tag));
	aml_int(&buf, (uint32_t)res.len);
	aml_put(&buf, res.b, res.len);
	buf.overflow |= res.overflow;
	aml_byte(a, AML_NAME);
	aml_nameseg(a, "_CRS", false);
	aml_wrap(a, &op, 1, &buf);
}

/* Scope(\_SB) { Device(PCI0) { _HID PNP0A03, _UID 0, _BBN 0, _CRS } } */
static void aml_sb(struct aml *a, const struct acpi_params *p)
{
	static const uint8_t scope_op = AML_SCOPE, dev_op[] = { AML_EXT, AML_DEVICE };
	struct aml dev = { .len = 0 }, scope = { .len = 0 };
	uint8_t id[4];

	put32(id, eisa_id("PNP0A03"));
	aml_nameseg(&dev, "PCI0", false);
	aml_byte(&dev, AML_NAME);
	aml_nameseg(&dev, "_HID", false);
	aml_byte(&dev, AML_DWORD); /* an EISA ID is a DWord, never shortened */
	aml_put(&dev, id, 4);
	aml_name_int(&dev, "_UID", 0);
	aml_name_int(&dev, "_BBN", 0);
	aml_pci_crs(&dev, p);
	aml_nameseg(&scope, "_SB_", true);
	aml_wrap(&scope, dev_op, 2, &dev);
	aml_wrap(a, &scope_op, 1, &scope);
}

/* ---- tables ---- */

static size_t build_dsdt(uint8_t *t, size_t room, const struct acpi_params *p)
{
	struct aml a = { .len = 0 };

	aml_s5(&a);
	aml_sb(&a, p);
	if (a.overflow || HDR_LEN + a.len > room)
		return 0;
	/* Revision 2: integers are 64 bits. */
	table_header(t, "DSDT", (uint32_t)(HDR_LEN + a.len), 2);
	memcpy(t + HDR_LEN, a.b, a.len);
	table_done(t, (uint32_t)(HDR_LEN + a.len));
	return HDR_LEN + a.len;
}

static size_t build_madt(uint8_t *t, size_t room, const struct acpi_params *p)
{
	size_t len = HDR_LEN + 8 + (size_t)p->nr_cpus * 8 + 12 + 10 + 6;
	uint8_t *e;

	if (len > room)
		return 0;
	table_header(t, "APIC", (uint32_t)len, 5);
	put32(t + 36, p->lapic_addr);
	put32(t + 40, MADT_PCAT_COMPAT);
	e = t + 44;
	for (unsigned int i = 0; i < p->nr_cpus; i++, e += 8) {
		e[0] = MADT_LAPIC;
		e[1] = 8;
		e[2] = (uint8_t)i; /* ACPI processor UID */
		e[3] = (uint8_t)i; /* APIC ID: KVM gives vCPU i APIC ID i */
		put32(e + 4, 1); /* enabled */
	}
	e[0] = MADT_IOAPIC;
	e[1] = 12;
	e[2] = p->ioapic_id;
	e[3] = 0;
	put32(e + 4, p->ioapic_addr);
	put32(e + 8, 0); /* GSI base */
	e += 12;
	/*
	 * ISA IRQs reach IOAPIC pins of the same number (KVM's default routing,
	 * as in the MP table), so only the SCI needs saying: level, active high.
	 */
	e[0] = MADT_ISO;
	e[1] = 10;
	e[2] = 0; /* ISA */
	e[3] = ACPI_SCI_IRQ;
	put32(e + 4, ACPI_SCI_IRQ);
	put16(e + 8, MADT_ISO_LEVEL_HIGH);
	e += 10;
	e[0] = MADT_LAPIC_NMI;
	e[1] = 6;
	e[2] = 0xff; /* every processor */
	put16(e + 3, 0);
	e[5] = 1; /* LINT1 */
	table_done(t, (uint32_t)len);
	return len;
}

/* FACS (5.2.10): no waking vector (no S3), a global lock nobody contends. */
static void build_facs(uint8_t *f)
{
	memcpy(f, "FACS", 4);
	put32(f + 4, FACS_LEN);
	f[32] = 2; /* version */
}

static void build_fadt(uint8_t *t, uint64_t dsdt, uint64_t facs)
{
	const uint16_t evt = ACPI_PM_BASE, cnt = ACPI_PM_BASE + ACPI_PM1_EVT_LEN;

	memset(t, 0, FADT_LEN);
	table_header(t, "FACP", FADT_LEN, 6);
	put32(t + 36, (uint32_t)facs);
	put32(t + 40, (uint32_t)dsdt);
	put16(t + 46, ACPI_SCI_IRQ);
	/* SMI_CMD 0: always in ACPI mode, nothing to switch. */
	put32(t + 56, evt);
	put32(t + 64, cnt);
	t[88] = ACPI_PM1_EVT_LEN;
	t[89] = ACPI_PM1_CNT_LEN;
	put16(t + 96, 101); /* C2 latency > 100: no C2 */
	put16(t + 98, 1001); /* C3 latency > 1000: no C3 */
	t[108] = 0x32; /* CMOS century register */
	put16(t + 109, BOOT_LEGACY_DEVICES | BOOT_8042 | BOOT_VGA_NOT_PRESENT);
	/* PWR_BUTTON clear: the power button is the fixed feature in PM1 (legacy.c). */
	put32(t + 112, FADT_WBINVD | FADT_SLP_BUTTON | FADT_FIX_RTC | FADT_RESET_REG_SUP);
	put_gas_io(t + 116, 8, GAS_ACCESS_BYTE, ACPI_RESET_PORT);
	t[128] = ACPI_RESET_VALUE;
	t[131] = 5; /* FADT minor version: ACPI 6.5 */
	put64(t + 132, facs);
	put64(t + 140, dsdt);
	put_gas_io(t + 148, 32, GAS_ACCESS_DWORD, evt);
	put_gas_io(t + 172, 16, GAS_ACCESS_WORD, cnt);
	memcpy(t + 268, "FERRYVMM", 8);
	table_done(t, FADT_LEN);
}

static void build_rsdp(uint8_t *r, uint64_t xsdt)
{
	memset(r, 0, RSDP_LEN);
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, "FERRY ", 6);
	r[15] = 2; /* ACPI 2.0+: the XSDT */
	put32(r + 20, RSDP_LEN);
	put64(r + 24, xsdt);
	r[8] = checksum(r, 20);
	r[32] = checksum(r, RSDP_LEN);
}

int acpi_build(uint8_t *buf, size_t len, uint64_t gpa, const struct acpi_params *p)
{
	size_t facs = 64, xsdt = facs + FACS_LEN, fadt = xsdt + HDR_LEN + 16;
	size_t madt = ALIGN_UP(fadt + FADT_LEN, 16), dsdt, madt_len, dsdt_len;

	/* @gpa must keep the FACS 64-byte aligned, as 5.2.10 requires. */
	if (!p->nr_cpus || p->nr_cpus > ACPI_MAX_CPUS || p->pci_mmio_end <= p->pci_mmio_start ||
	    gpa % 64)
		return -EINVAL;
	if (madt > len)
		return -ENOSPC;
	memset(buf, 0, len);
	madt_len = build_madt(buf + madt, len - madt, p);
	dsdt = ALIGN_UP(madt + madt_len, 16);
	if (!madt_len || dsdt > len)
		return -ENOSPC;
	dsdt_len = build_dsdt(buf + dsdt, len - dsdt, p);
	if (!dsdt_len)
		return -ENOSPC;
	build_facs(buf + facs);
	build_fadt(buf + fadt, gpa + dsdt, gpa + facs);
	table_header(buf + xsdt, "XSDT", HDR_LEN + 16, 1);
	put64(buf + xsdt + HDR_LEN, gpa + fadt);
	put64(buf + xsdt + HDR_LEN + 8, gpa + madt);
	table_done(buf + xsdt, HDR_LEN + 16);
	build_rsdp(buf, gpa + xsdt);
	return (int)(dsdt + dsdt_len);
}
