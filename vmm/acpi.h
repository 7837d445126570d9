/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * acpi.h - the ACPI tables a Linux guest needs from the VMM, as Firecracker
 * and Cloud Hypervisor give them: RSDP, XSDT, MADT (every vCPU, the IOAPIC,
 * ISA overrides), FADT (a PM1a event and control block, so `poweroff`
 * reaches the VMM as SLP_TYP 5, and the 0xcf9 reset register) and a DSDT
 * with \_S5 and the PCI host bridge, whose _CRS windows let Linux enumerate
 * the bus through ACPI.  The MP table (mptable.h) stays for guests that
 * ignore ACPI.
 */
#ifndef FERRY_VMM_ACPI_H
#define FERRY_VMM_ACPI_H

#include <stddef.h>
#include <stdint.h>

#define ACPI_MAX_CPUS 254 /* xAPIC IDs; 255 is the broadcast ID */
#define ACPI_PM_BASE 0x600 /* PM1a_EVT_BLK (4 bytes), then PM1a_CNT_BLK (2 bytes) */
#define ACPI_PM1_EVT_LEN 4
#define ACPI_PM1_CNT_LEN 2
#define ACPI_SCI_IRQ 9
#define ACPI_S5_SLP_TYP 5 /* the \_S5 package's value, written back on power-off */
#define ACPI_PM1_PWRBTN 0x0100 /* PWRBTN_STS in PM1_STS, PWRBTN_EN in PM1_EN */
#define ACPI_PM1_CNT_SCI_EN 0x0001
#define ACPI_PM1_CNT_SLP_EN 0x2000
#define ACPI_PM1_CNT_SLP_TYP(v) (((v) >> 10) & 7)
#define ACPI_RESET_PORT 0xcf9
#define ACPI_RESET_VALUE 0x06 /* pci.c: bit 2 resets */

struct acpi_params {
	unsigned int nr_cpus; /* APIC IDs 0..nr_cpus-1 */
	uint8_t ioapic_id;
	uint32_t ioapic_addr, lapic_addr;
	uint32_t pci_mmio_start, pci_mmio_end; /* the 32-bit BAR window, end exclusive */
};

/*
 * Write the tables into @buf (guest address @gpa, @len bytes, below 1 MiB so
 * a guest's scan of 0xe0000-0xfffff finds the RSDP, which comes first).
 * Returns the bytes used, or -ENOSPC / -EINVAL.
 */
int acpi_build(uint8_t *buf, size_t len, uint64_t gpa, const struct acpi_params *p);

#endif
