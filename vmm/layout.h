/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * layout.h - where Ferry puts things in a guest's low memory and physical
 * address space.  One table so that boot loaders, firmware tables and the
 * e820 map agree; nothing else may pick guest addresses on its own.
 */
#ifndef FERRY_VMM_LAYOUT_H
#define FERRY_VMM_LAYOUT_H

/* Low memory (below 1 MiB), used while booting. */
#define LAYOUT_BOOT_GDT 0x500ull /* GDT for the boot CPU's initial mode */
#define LAYOUT_BOOT_IDT 0x520ull /* an empty IDT */
#define LAYOUT_PVH_START_INFO 0x6000ull /* struct hvm_start_info */
#define LAYOUT_PVH_MODLIST 0x6100ull /* hvm_modlist_entry[] (the initrd) */
#define LAYOUT_PVH_MEMMAP 0x6200ull /* hvm_memmap_table_entry[] */
#define LAYOUT_PVH_MEMMAP_MAX 64
#define LAYOUT_ZERO_PAGE 0x7000ull /* Linux struct boot_params */
#define LAYOUT_PML4 0x9000ull /* boot page tables: PML4, PDPT, 4 PDs */
#define LAYOUT_PDPT 0xa000ull
#define LAYOUT_PD 0xb000ull /* ..0xefff: identity maps 0-4 GiB with 2 MiB pages */
#define LAYOUT_CMDLINE 0x20000ull /* kernel command line */
#define LAYOUT_CMDLINE_MAX 0x10000ull
#define LAYOUT_EBDA 0x9fc00ull /* start of the reserved area below 1 MiB */
#define LAYOUT_ACPI 0xe0000ull /* RSDP first (a guest scans 0xe0000-0xfffff), then tables */
#define LAYOUT_MPTABLE 0xf0000ull /* MP floating pointer + config table (BIOS area) */
#define LAYOUT_HIGH_START 0x100000ull /* where kernels load (1 MiB) */

/* Physical address space above RAM. */
#define LAYOUT_PCI_MMIO_START 0xc0000000ull /* 32-bit PCI BARs */
#define LAYOUT_PCI_MMIO_END 0xfec00000ull
#define LAYOUT_IOAPIC 0xfec00000ull
#define LAYOUT_LAPIC 0xfee00000ull
#define LAYOUT_TSS 0xfffbd000ull /* KVM_SET_TSS_ADDR: three pages */
#define LAYOUT_IDENTITY_MAP 0xfffbc000ull /* KVM_SET_IDENTITY_MAP_ADDR: one page */

#endif
