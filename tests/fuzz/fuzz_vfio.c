/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_vfio.c - libFuzzer harness for the guest's view of a passed-through
 * function (vfio/fn.c), which parses what two untrusted parties give it: the
 * device (its config space: header, BARs, the capability list, the MSI-X
 * table and PBA location) and the guest (config writes, MSI-X table and PBA
 * accesses, anything in the trapped pages), on a real KVM VM.  The device is
 * a fake the input describes.
 *
 * Input: 256 bytes of the device's config space, 6 bytes of BAR sizes (low
 * 5 bits: log2 of the size, 0: none; bit 5: add half again, not a power of
 * two; bit 6: mappable), then records of 8 bytes as fuzz_pci's:
 *   kind (bit 0: BAR or config; bit 1: write; bits 2-4: BAR), width
 *   (1 << low 2 bits), offset (2 bytes), value (4)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vfio/fn.h"
#include "vmm/iotrap.h"
#include "vmm/pci.h"
#include "vmm/vmm.h"

#define SLOT 1
#define HEADER (PCI_CFG_SPACE_SIZE + 6)
#define MAX_BAR (1u << 20)

static struct vmm_vm *vm;
static uint8_t cfg[PCI_CFG_SPACE_SIZE];
static uint64_t bar_size[6];
static bool bar_mmap[6];
static uint8_t *bar_mem[6];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fk_cfg_rw(void *dev, uint32_t off, void *buf, uint32_t len, bool write)
{
	(void)dev;
	if (off > sizeof(cfg) || len > sizeof(cfg) - off)
		return -1;
	if (write)
		memcpy(cfg + off, buf, len);
	else
		memcpy(buf, cfg + off, len);
	return 0;
}

static int fk_bar_info(void *dev, unsigned int bar, struct vfio_bar_info *out)
{
	(void)dev;
	out->size = bar_size[bar];
	out->mmap = bar_mmap[bar];
	return 0;
}

static int fk_bar_rw(void *dev, unsigned int bar, uint64_t off, void *buf, uint32_t len, bool write)
{
	(void)dev;
	if (bar >= 6 || off > MAX_BAR || len > MAX_BAR - off)
		return -1;
	if (write)
		memcpy(bar_mem[bar] + off, buf, len);
	else
		memcpy(buf, bar_mem[bar] + off, len);
	return 0;
}

static void *fk_bar_mmap(void *dev, unsigned int bar, uint64_t size)
{
	(void)dev;
	return size <= MAX_BAR ? bar_mem[bar] : NULL;
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
	(void)dev;
	(void)fds;
	return n > VFIO_FN_MAX_VECTORS ? -1 : 0;
}

static int fk_reset(void *dev)
{
	(void)dev;
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

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct vmm_opts o = { .name = "fuzz",
			      .mem_size = 64ull << 20,
			      .vcpus = 1,
			      .kernel = getenv("FERRY_TEST_GUEST"),
			      .console_fd = -1,
			      .console_in_fd = -1 };

	(void)argc;
	(void)argv;
	if (!o.kernel)
		abort(); /* the harness needs FERRY_TEST_GUEST (a kernel for the VM) */
	vm = vmm_vm_create(&o, NULL);
	for (int i = 0; i < 6; i++) {
		bar_mem[i] = mmap(NULL, MAX_BAR, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (bar_mem[i] == MAP_FAILED)
			abort();
	}
	if (!vm)
		abort();
	return 0;
}

/* Where the guest's BAR @bar decodes now (0: not a memory BAR the bus placed). */
static uint64_t bar_addr(unsigned int bar)
{
	uint32_t lo = 0, hi = 0;

	pci_cfg_access(vmm_vm_pci(vm), SLOT, 0, PCI_BASE_ADDRESS_0 + 4 * bar, (uint8_t *)&lo, 4,
		       false);
	if (bar < 5 && (lo & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64)
		pci_cfg_access(vmm_vm_pci(vm), SLOT, 0, PCI_BASE_ADDRESS_0 + 4 * bar + 4,
			       (uint8_t *)&hi, 4, false);
	return lo & PCI_BASE_ADDRESS_SPACE_IO ? 0 : (lo & ~0xfull) | (uint64_t)hi << 32;
}

static void guest_accesses(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i + 8 <= size; i += 8) {
		bool bar = data[i] & 1, wr = data[i] & 2;
		unsigned int b = (data[i] >> 2) % 6;
		uint32_t len = 1u << (data[i + 1] & 3), off = data[i + 2] | data[i + 3] << 8;
		uint64_t at;
		uint8_t v[8] = { 0 };

		memcpy(v, data + i + 4, 4);
		memcpy(v + 4, data + i + 4, 4);
		at = bar ? bar_addr(b) : 0;
		if (at)
			iotrap_dispatch(vmm_vm_mmio(vm), at + off, v, len, wr);
		else if (!bar && len <= 4)
			pci_cfg_access(vmm_vm_pci(vm), SLOT, 0, off % PCI_CFG_SPACE_SIZE, v, len,
				       wr);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vfio_fn *fn = NULL;

	if (size < HEADER)
		return 0;
	memcpy(cfg, data, sizeof(cfg));
	for (int i = 0; i < 6; i++) {
		uint8_t s = data[PCI_CFG_SPACE_SIZE + i];
		uint64_t sz = (s & 0x1f) ? 1ull << ((s & 0x1f) % 21) : 0;

		bar_size[i] = (s & 0x20) ? sz + sz / 2 : sz;
		bar_mmap[i] = s & 0x40;
	}
	if (vfio_fn_create(vm, &fk_ops, NULL, "fuzz", &fn))
		return 0;
	guest_accesses(data + HEADER, size - HEADER);
	vfio_fn_destroy(fn);
	return 0;
}
