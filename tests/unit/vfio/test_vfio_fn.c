/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_vfio_fn.c - the guest's view of a passed-through function (vfio/fn.c)
 * over a fake device, on a real KVM VM whose vCPUs never run: the test plays
 * the guest through pci_cfg_access() and the MMIO dispatch layer, and the
 * fake plays the kernel's VFIO device (config space, BARs, MSI-X, reset).
 *
 * Hostile values from both sides: a guest writing read-only fields, the
 * copied PCIe capability (Initiate FLR), MSI-X entries out of range, odd
 * sizes, accesses straddling the table, a BAR moved onto RAM; a device with a
 * looping capability list, stray pointers, an MSI-X table or PBA outside its
 * BAR, a BAR that is not a power of two, a bridge header, no MSI-X.  Each bad
 * device must be refused, and nothing may crash.
 *
 * Needs /dev/kvm and the test guest (as the VM's kernel); exits 77 with the
 * reason only when /dev/kvm is absent.
 */
#include <errno.h>
#include <linux/pci_regs.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"
#include "vfio/fn.h"
#include "vmm/iotrap.h"
#include "vmm/pci.h"
#include "vmm/vmm.h"

#define SLOT 1
#define BAR_SIZE 0x4000
#define TABLE_OFF 0x2000
#define PBA_OFF 0x3000
#define NVEC 4

struct fake_dev {
	uint8_t cfg[PCI_CFG_SPACE_SIZE];
	uint64_t bar_size[6];
	bool bar_mmap[6];
	uint8_t *bar_mem[6]; /* page-aligned backing: bar_rw and bar_mmap */
	int msix_n; /* vectors the fake was last given (0: off) */
	int msix_fds[VFIO_FN_MAX_VECTORS];
	int set_msix_calls;
	int resets;
	int cfg_writes_outside_command; /* must stay 0 */
};

static const char *guest_path;
static struct vmm_vm *vm;
static struct fake_dev fake;

/* ---- the fake device ---- */

static int fk_cfg_rw(void *dev, uint32_t off, void *buf, uint32_t len, bool write)
{
	struct fake_dev *d = dev;

	if (off + len > sizeof(d->cfg))
		return -EINVAL;
	if (write) {
		if (off != PCI_COMMAND)
			d->cfg_writes_outside_command++;
		memcpy(d->cfg + off, buf, len);
	} else {
		memcpy(buf, d->cfg + off, len);
	}
	return 0;
}

static int fk_bar_info(void *dev, unsigned int bar, struct vfio_bar_info *out)
{
	struct fake_dev *d = dev;

	out->size = d->bar_size[bar];
	out->mmap = d->bar_mmap[bar];
	return 0;
}

static int fk_bar_rw(void *dev, unsigned int bar, uint64_t off, void *buf, uint32_t len, bool write)
{
	struct fake_dev *d = dev;

	if (!d->bar_mem[bar] || off + len > d->bar_size[bar])
		return -EINVAL;
	if (write)
		memcpy(d->bar_mem[bar] + off, buf, len);
	else
		memcpy(buf, d->bar_mem[bar] + off, len);
	return 0;
}

static void *fk_bar_mmap(void *dev, unsigned int bar, uint64_t size)
{
	struct fake_dev *d = dev;

	return size == d->bar_size[bar] ? d->bar_mem[bar] : NULL;
}

static void fk_bar_munmap(void *dev, unsigned int bar, void *map, uint64_t size)
{
	(void)dev;
	(void)bar;
	(void)map;
	(void)size;
}

static int fk_set_msix(void *dev, const int *fds, unsigned int n)
{
	struct fake_dev *d = dev;

	d->set_msix_calls++;
	d->msix_n = (int)n;
	if (n)
		memcpy(d->msix_fds, fds, n * sizeof(int));
	return 0;
}

static int fk_reset(void *dev)
{
	((struct fake_dev *)dev)->resets++;
	return 0;
}

static const struct vfio_dev_ops fk_ops = {
	.cfg_rw = fk_cfg_rw,
	.bar_info = fk_bar_info,
	.bar_rw = fk_bar_rw,
	.bar_mmap = fk_bar_mmap,
	.bar_munmap = fk_bar_munmap,
	.set_msix = fk_set_msix,
	.reset = fk_reset,
};

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/*
 * A QEMU-NVMe-like VF: BAR0 16 KiB 64-bit, table at 0x2000 and PBA at 0x3000,
 * capabilities PM (0x40), MSI (0x50, hidden), MSI-X (0x60), PCIe (0x70),
 * vendor-specific (0xb0, hidden).
 */
static void fake_good(void)
{
	uint8_t *c = fake.cfg;

	for (int i = 0; i < 6; i++)
		if (fake.bar_mem[i])
			munmap(fake.bar_mem[i], BAR_SIZE);
	memset(&fake, 0, sizeof(fake));
	put16(c + PCI_VENDOR_ID, 0x1b36);
	put16(c + PCI_DEVICE_ID, 0x0010);
	put32(c + PCI_CLASS_REVISION, 0x01080202);
	put16(c + PCI_SUBSYSTEM_VENDOR_ID, 0x1af4);
	put16(c + PCI_SUBSYSTEM_ID, 0x1100);
	put16(c + PCI_STATUS, PCI_STATUS_CAP_LIST);
	put32(c + PCI_BASE_ADDRESS_0, PCI_BASE_ADDRESS_MEM_TYPE_64);
	c[PCI_CAPABILITY_LIST] = 0x40;
	c[0x40] = PCI_CAP_ID_PM, c[0x41] = 0x50, c[0x42] = 0x03;
	c[0x50] = PCI_CAP_ID_MSI, c[0x51] = 0x60;
	c[0x60] = PCI_CAP_ID_MSIX, c[0x61] = 0x70;
	put16(c + 0x62, NVEC - 1);
	put32(c + 0x64, TABLE_OFF | 0);
	put32(c + 0x68, PBA_OFF | 0);
	c[0x70] = PCI_CAP_ID_EXP, c[0x71] = 0xb0, c[0x72] = 0x02;
	c[0xb0] = PCI_CAP_ID_VNDR, c[0xb1] = 0;
	fake.bar_size[0] = BAR_SIZE;
	fake.bar_mmap[0] = true;
	fake.bar_mem[0] =
		mmap(NULL, BAR_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/* ---- the guest's side ---- */

static uint32_t cfg_rd(uint32_t off, uint32_t len)
{
	uint32_t v = 0;

	pci_cfg_access(vmm_vm_pci(vm), SLOT, 0, off, (uint8_t *)&v, len, false);
	return v;
}

static void cfg_wr(uint32_t off, uint32_t v, uint32_t len)
{
	pci_cfg_access(vmm_vm_pci(vm), SLOT, 0, off, (uint8_t *)&v, len, true);
}

static uint64_t bar0(void)
{
	return (cfg_rd(PCI_BASE_ADDRESS_0, 4) & ~0xfull) | (uint64_t)cfg_rd(0x14, 4) << 32;
}

static bool mmio(uint64_t off, uint64_t *v, uint32_t len, bool write)
{
	return iotrap_dispatch(vmm_vm_mmio(vm), bar0() + off, (uint8_t *)v, len, write);
}

static uint8_t find_cap(uint8_t id)
{
	for (uint8_t at = (uint8_t)cfg_rd(PCI_CAPABILITY_LIST, 1), n = 0; at && n < 48;
	     at = (uint8_t)cfg_rd(at + 1u, 1), n++)
		if (cfg_rd(at, 1) == id)
			return at;
	return 0;
}

static struct vfio_fn *create(int *ret)
{
	struct vfio_fn *fn = NULL;

	*ret = vfio_fn_create(vm, &fk_ops, &fake, "fake", &fn);
	return *ret ? NULL : fn;
}

/* ---- tests ---- */

static void test_identity_and_caps(void)
{
	struct vfio_fn *fn;
	int ret;

	fake_good();
	fn = create(&ret);
	CU_ASSERT_EQUAL_FATAL(ret, 0);
	CU_ASSERT_EQUAL(vfio_fn_slot(fn), SLOT);
	CU_ASSERT_EQUAL(cfg_rd(PCI_VENDOR_ID, 4), 0x00101b36);
	CU_ASSERT_EQUAL(cfg_rd(PCI_CLASS_REVISION, 4), 0x01080202);
	CU_ASSERT_EQUAL(cfg_rd(PCI_SUBSYSTEM_VENDOR_ID, 4), 0x11001af4);
	CU_ASSERT_EQUAL(cfg_rd(PCI_INTERRUPT_PIN, 1), 0); /* no INTx */
	CU_ASSERT_EQUAL(fake.resets, 1);
	/* PM, MSI-X and PCIe are seen; MSI and the vendor capability are not. */
	CU_ASSERT(find_cap(PCI_CAP_ID_PM) && find_cap(PCI_CAP_ID_MSIX) && find_cap(PCI_CAP_ID_EXP));
	CU_ASSERT_EQUAL(find_cap(PCI_CAP_ID_MSI), 0);
	CU_ASSERT_EQUAL(find_cap(PCI_CAP_ID_VNDR), 0);
	CU_ASSERT_EQUAL(cfg_rd(find_cap(PCI_CAP_ID_MSIX) + 4u, 4), TABLE_OFF);
	CU_ASSERT_EQUAL(vfio_fn_vectors(fn), NVEC);
	/* Decode on as the bus assigned it, bus mastering off, INTx disabled: on the device. */
	CU_ASSERT_EQUAL(fake.cfg[PCI_COMMAND] & 7, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	CU_ASSERT(fake.cfg[PCI_COMMAND + 1] & (PCI_COMMAND_INTX_DISABLE >> 8));
	vfio_fn_destroy(fn);
	CU_ASSERT_EQUAL(fake.resets, 2);
	CU_ASSERT_EQUAL(fake.cfg[PCI_COMMAND] & PCI_COMMAND_MASTER, 0);
}

static void test_hostile_config_writes(void)
{
	uint8_t msix, exp, before[PCI_CFG_SPACE_SIZE];
	struct vfio_fn *fn;
	int ret;

	fake_good();
	fn = create(&ret);
	CU_ASSERT_EQUAL_FATAL(ret, 0);
	msix = find_cap(PCI_CAP_ID_MSIX);
	exp = find_cap(PCI_CAP_ID_EXP);
	memcpy(before, fake.cfg, sizeof(before));
	/* Table size and table/PBA location are read-only. */
	cfg_wr(msix + 2u, 0x3fff, 2);
	CU_ASSERT_EQUAL(cfg_rd(msix + 2u, 2), NVEC - 1);
	cfg_wr(msix + 4u, 0xdeadbeef, 4);
	CU_ASSERT_EQUAL(cfg_rd(msix + 4u, 4), TABLE_OFF);
	/* Initiate FLR in the copied PCIe capability goes nowhere. */
	cfg_wr(exp + PCI_EXP_DEVCTL, PCI_EXP_DEVCTL_BCR_FLR, 2);
	CU_ASSERT_EQUAL(cfg_rd(exp + PCI_EXP_DEVCTL, 2), 0);
	/* IDs, class and the capability pointer stay; no write reaches the device but one. */
	cfg_wr(PCI_VENDOR_ID, 0, 4);
	cfg_wr(PCI_CLASS_REVISION, 0, 4);
	cfg_wr(PCI_CAPABILITY_LIST, 0xfc, 1);
	CU_ASSERT_EQUAL(cfg_rd(PCI_VENDOR_ID, 4), 0x00101b36);
	CU_ASSERT_EQUAL(cfg_rd(PCI_CAPABILITY_LIST, 1), 0x40);
	cfg_wr(PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_SERR, 2);
	CU_ASSERT_EQUAL(fake.cfg[PCI_COMMAND] & 7, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	CU_ASSERT_EQUAL(fake.cfg[PCI_COMMAND + 1] & (PCI_COMMAND_SERR >> 8), 0);
	CU_ASSERT_EQUAL(fake.cfg_writes_outside_command, 0);
	CU_ASSERT_EQUAL(memcmp(fake.cfg + 0x40, before + 0x40, 0xc0), 0);
	/* BAR sizing: the size of the real BAR, the 64-bit type kept. */
	cfg_wr(PCI_BASE_ADDRESS_0, 0xffffffff, 4);
	CU_ASSERT_EQUAL(cfg_rd(PCI_BASE_ADDRESS_0, 4), (uint32_t) ~(BAR_SIZE - 1) | 4u);
	vfio_fn_destroy(fn);
}

static void test_msix_table(void)
{
	uint8_t msix;
	uint64_t v, one = 1;
	struct vfio_fn *fn;
	int ret;

	fake_good();
	fn = create(&ret);
	CU_ASSERT_EQUAL_FATAL(ret, 0);
	msix = find_cap(PCI_CAP_ID_MSIX);
	/* The page of registers is mapped straight (no trap), the table's page is trapped. */
	CU_ASSERT_FALSE(mmio(0x0, &v, 4, false));
	v = 0;
	CU_ASSERT(mmio(TABLE_OFF + 12, &v, 4, false));
	CU_ASSERT_EQUAL(v, 1); /* entries start masked */
	v = 0xfee00000;
	CU_ASSERT(mmio(TABLE_OFF, &v, 4, true));
	v = 0x41;
	CU_ASSERT(mmio(TABLE_OFF + 8, &v, 4, true));
	v = 0;
	CU_ASSERT(mmio(TABLE_OFF, &v, 8, false));
	CU_ASSERT_EQUAL(v, 0xfee00000);
	/* Odd sizes and a straddle read as ones and change nothing. */
	v = 0;
	CU_ASSERT(mmio(TABLE_OFF + 1, &v, 2, false));
	CU_ASSERT_EQUAL(v, 0xffff);
	v = ~0ull;
	CU_ASSERT(mmio(TABLE_OFF + NVEC * 16 - 4, &v, 8, true));
	v = 0;
	CU_ASSERT(mmio(TABLE_OFF + NVEC * 16 - 4, &v, 4, false));
	CU_ASSERT_EQUAL(v, 1); /* the last entry's control: still just masked */
	/* The rest of the table's page goes to the device, as it would on hardware. */
	v = 0x1234;
	CU_ASSERT(mmio(TABLE_OFF + 0x800, &v, 4, true));
	CU_ASSERT_EQUAL(fake.bar_mem[0][TABLE_OFF + 0x800], 0x34);
	/* Enable: the device gets one eventfd per vector; disable takes them back. */
	cfg_wr(msix + 2u, PCI_MSIX_FLAGS_ENABLE, 2);
	CU_ASSERT_EQUAL(fake.msix_n, NVEC);
	/* Vector 1 masked and signalled: pending in the PBA; PBA writes are ignored. */
	CU_ASSERT_EQUAL(write(fake.msix_fds[1], &one, sizeof(one)), (ssize_t)sizeof(one));
	v = 0;
	CU_ASSERT(mmio(PBA_OFF, &v, 8, false));
	CU_ASSERT_EQUAL(v, 2);
	v = 0;
	CU_ASSERT(mmio(PBA_OFF, &v, 8, true));
	CU_ASSERT(mmio(PBA_OFF, &v, 8, false));
	CU_ASSERT_EQUAL(v, 2);
	cfg_wr(msix + 2u, 0, 2);
	CU_ASSERT_EQUAL(fake.msix_n, 0);
	CU_ASSERT_EQUAL(fake.set_msix_calls, 2);
	/* What was pending when MSI-X went off is gone when it comes back. */
	cfg_wr(msix + 2u, PCI_MSIX_FLAGS_ENABLE, 2);
	v = 0;
	CU_ASSERT(mmio(PBA_OFF, &v, 8, false));
	CU_ASSERT_EQUAL(v, 0);
	vfio_fn_destroy(fn);
}

static void test_bar_moved_onto_ram(void)
{
	uint64_t v = 0, was;
	struct vfio_fn *fn;
	int ret;

	fake_good();
	fn = create(&ret);
	CU_ASSERT_EQUAL_FATAL(ret, 0);
	was = bar0();
	/* Onto guest RAM at 1 MiB: KVM refuses the overlapping slot; nothing breaks. */
	cfg_wr(PCI_BASE_ADDRESS_0, 0x100000 | 4, 4);
	cfg_wr(0x14, 0, 4);
	CU_ASSERT_EQUAL(bar0(), 0x100000);
	cfg_wr(PCI_BASE_ADDRESS_0, (uint32_t)was | 4, 4);
	cfg_wr(0x14, (uint32_t)(was >> 32), 4);
	CU_ASSERT(mmio(TABLE_OFF + 12, &v, 4, false));
	CU_ASSERT_EQUAL(v, 1);
	vfio_fn_destroy(fn);
}

static void expect_refused(const char *what)
{
	struct vfio_fn *fn;
	int ret;

	fn = create(&ret);
	if (ret != -EINVAL)
		fprintf(stderr, "not refused: %s (%d)\n", what, ret);
	CU_ASSERT_EQUAL(ret, -EINVAL);
	if (fn)
		vfio_fn_destroy(fn);
}

static void test_hostile_devices(void)
{
	struct vfio_fn *fn;
	uint64_t v;
	int ret;

	fake_good();
	fake.cfg[0x71] = 0x40; /* PCIe -> PM: a loop */
	expect_refused("a looping capability list");
	fake_good();
	fake.cfg[0x41] = 0x10; /* into the header */
	expect_refused("a capability pointer into the header");
	fake_good();
	put32(fake.cfg + 0x64, 0x3ff8);
	expect_refused("an MSI-X table past its BAR");
	fake_good();
	put32(fake.cfg + 0x64, TABLE_OFF | 7);
	expect_refused("an MSI-X table in BAR 7");
	fake_good();
	put32(fake.cfg + 0x68, PBA_OFF | 2);
	expect_refused("a PBA in an unimplemented BAR");
	fake_good();
	put32(fake.cfg + 0x68, 0xfffffff8);
	expect_refused("a PBA past its BAR");
	fake_good();
	fake.bar_size[0] = 0x3000;
	expect_refused("a BAR of 12 KiB");
	fake_good();
	fake.cfg[0x51] = 0x70; /* MSI -> PCIe: no MSI-X */
	expect_refused("no MSI-X");
	fake_good();
	fake.cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_BRIDGE;
	expect_refused("a bridge");
	fake_good();
	fake.cfg[0xb1] = 0xf8;
	fake.cfg[0xf8] = PCI_CAP_ID_MSIX;
	expect_refused("a second MSI-X capability, overrunning config space");
	fake_good();
	fake.cfg[0xb0] = PCI_CAP_ID_MSIX;
	fake.cfg[0xb1] = 0;
	put16(fake.cfg + 0xb2, 0);
	put32(fake.cfg + 0xb4, TABLE_OFF);
	put32(fake.cfg + 0xb8, PBA_OFF);
	expect_refused("two MSI-X capabilities");
	/* A huge table is accepted, but only VFIO_FN_MAX_VECTORS are offered. */
	fake_good();
	put16(fake.cfg + 0x62, 511);
	put32(fake.cfg + 0x64, 0);
	put32(fake.cfg + 0x68, 0x3f00);
	fn = create(&ret);
	CU_ASSERT_EQUAL_FATAL(ret, 0);
	CU_ASSERT_EQUAL(vfio_fn_vectors(fn), VFIO_FN_MAX_VECTORS);
	CU_ASSERT_EQUAL(cfg_rd(find_cap(PCI_CAP_ID_MSIX) + 2u, 2), VFIO_FN_MAX_VECTORS - 1);
	/* Entries past those offered: in the device's table, but ones to the guest. */
	v = 0;
	CU_ASSERT(mmio(200 * 16, &v, 4, false));
	CU_ASSERT_EQUAL(v, 0xffffffff);
	v = 0x12345678;
	CU_ASSERT(mmio(200 * 16, &v, 4, true));
	CU_ASSERT_EQUAL(fake.bar_mem[0][200 * 16], 0);
	vfio_fn_destroy(fn);
}

/* A device repeating capabilities, a version 1 PCIe capability, an 8-byte I/O BAR. */
static void test_odd_devices(void)
{
	uint8_t *c = fake.cfg, exp;
	struct vfio_fn *fn;
	unsigned int n = 0;
	int ret;

	fake_good();
	memset(c + 0x40, 0, 0xc0);
	for (uint8_t at = 0x40; at < 0xa0; at += 4) /* 24 PM capabilities */
		c[at] = PCI_CAP_ID_PM, c[at + 1] = (uint8_t)(at + 4);
	c[0xa0] = PCI_CAP_ID_MSIX, c[0xa1] = 0xb0;
	put16(c + 0xa2, NVEC - 1);
	put32(c + 0xa4, TABLE_OFF);
	put32(c + 0xa8, PBA_OFF);
	c[0xb0] = PCI_CAP_ID_EXP, c[0xb1] = 0, c[0xb2] = 0x01; /* version 1 */
	memset(c + 0xb0 + PCI_CAP_EXP_ENDPOINT_SIZEOF_V1, 0xab, 0x20);
	put32(c + PCI_BASE_ADDRESS_2, PCI_BASE_ADDRESS_SPACE_IO);
	fake.bar_size[2] = 8;
	fn = create(&ret);
	CU_ASSERT_EQUAL_FATAL(ret, 0);
	CU_ASSERT_EQUAL(cfg_rd(PCI_VENDOR_ID, 4), 0x00101b36); /* the header is intact */
	for (uint8_t at = (uint8_t)cfg_rd(PCI_CAPABILITY_LIST, 1); at && n < 48;
	     at = (uint8_t)cfg_rd(at + 1u, 1))
		n++;
	CU_ASSERT_EQUAL(n, 3); /* one PM, MSI-X, PCIe */
	exp = find_cap(PCI_CAP_ID_EXP);
	CU_ASSERT_EQUAL(cfg_rd(exp + PCI_CAP_EXP_ENDPOINT_SIZEOF_V1, 4), 0);
	CU_ASSERT_EQUAL(cfg_rd(PCI_BASE_ADDRESS_2, 4), 0); /* the small I/O BAR is not offered */
	vfio_fn_destroy(fn);
	/* A BAR the 32-bit window cannot hold is refused, not wrapped over RAM. */
	fake_good();
	fake.bar_size[0] = 1ull << 62;
	fn = create(&ret);
	CU_ASSERT_EQUAL(ret, -ENOSPC);
	if (fn)
		vfio_fn_destroy(fn);
}

static CU_TestInfo tests[] = {
	{ "identity and filtered capabilities", test_identity_and_caps },
	{ "hostile config writes", test_hostile_config_writes },
	{ "MSI-X table, PBA and enable", test_msix_table },
	{ "BAR moved onto RAM", test_bar_moved_onto_ram },
	{ "hostile devices refused", test_hostile_devices },
	{ "odd devices", test_odd_devices },
	CU_TEST_INFO_NULL,
};

static int suite_init(void)
{
	struct vmm_opts o = { .name = "t",
			      .mem_size = 64ull << 20,
			      .vcpus = 1,
			      .kernel = guest_path,
			      .console_fd = -1,
			      .console_in_fd = -1 };

	vm = vmm_vm_create(&o, NULL);
	return vm ? 0 : 1;
}

static int suite_fini(void)
{
	vmm_vm_destroy(vm);
	return 0;
}

int main(int argc, char **argv)
{
	CU_SuiteInfo suites[] = { { "vfio-fn", suite_init, suite_fini, NULL, NULL, tests },
				  CU_SUITE_INFO_NULL };

	if (access("/dev/kvm", F_OK) != 0) {
		printf("SKIP: /dev/kvm is absent on this host\n");
		return 77;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: %s TEST-GUEST\n", argv[0]);
		return 1;
	}
	guest_path = argv[1];
	return cunit_run(suites);
}
