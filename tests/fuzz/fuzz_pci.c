/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_pci.c - libFuzzer harness for what a guest driver writes to a PCI
 * device: the config space (header, capabilities, the MSI-X capability and
 * the virtio PCI_CFG window, through the host bridge's mechanism #1 handler)
 * and the virtio-pci BAR (common configuration, ISR, device configuration,
 * notify addresses, MSI-X table and PBA) of a virtio-net device on a real KVM
 * VM (vmm/pci.c, vmm/virtio_pci.c, vmm/msix.c).  The guest owns all of these
 * registers and may write anything in any order, at any width.
 *
 * Input: records of 8 bytes:
 *   kind (bit 0: config space or BAR; bit 1: write), width (1, 2, 4 or 8
 *   for the BAR; 1, 2 or 4 for config space), offset (2 bytes), value (4)
 * A run starts with a device reset and BAR 0 back where the test put it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_pci.h>
#include <rte_mbuf.h>

#include "fake_guest.h"
#include "vhost/net.h"
#include "vmm/iotrap.h"
#include "vmm/pci.h"
#include "vmm/virtio_pci.h"
#include "vmm/vmm.h"

#define SLOT 1 /* the first device's slot (slot 0: the host bridge) */
#define BAR_ADDR 0xc0000000ull
#define BAR_SPAN 0x8000u /* the virtio-pci layout's extent in BAR 0 */

static struct vmm_vm *vm;
static struct vnet_dev *dev;
static struct virtio_pci *vp;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void cfg_access(uint32_t off, uint8_t *v, uint32_t len, bool wr)
{
	pci_cfg_access(vmm_vm_pci(vm), SLOT, 0, off, v, len, wr);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct vnet_params p = { .name = "fuzz", .mac = { 0x52, 0x54, 0, 0, 0, 0x42 } };
	struct vmm_opts o = { .name = "fuzz",
			      .mem_size = 64ull << 20,
			      .vcpus = 1,
			      .kernel = getenv("FERRY_TEST_GUEST"),
			      .console_fd = -1,
			      .console_in_fd = -1 };

	(void)argc;
	(void)argv;
	if (!o.kernel || !fg_dpdk_init("fuzz_pci", 1024, 0))
		abort(); /* the harness needs FERRY_TEST_GUEST (a kernel for the VM) and DPDK */
	vm = vmm_vm_create(&o, NULL);
	dev = vnet_create(&p);
	vp = vm && dev ? virtio_pci_create(vm, vnet_virtio_dev(dev), "fuzz") : NULL;
	if (!vp)
		abort();
	return 0;
}

/* BAR 0 at BAR_ADDR with memory decoding on, then a device reset (status 0). */
static void start_over(void)
{
	uint32_t lo = (uint32_t)BAR_ADDR, hi = 0, zero = 0;
	uint16_t cmd = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;

	cfg_access(PCI_BASE_ADDRESS_0, (uint8_t *)&lo, 4, true);
	cfg_access(PCI_BASE_ADDRESS_0 + 4, (uint8_t *)&hi, 4, true);
	cfg_access(PCI_COMMAND, (uint8_t *)&cmd, 2, true);
	iotrap_dispatch(vmm_vm_mmio(vm), BAR_ADDR + VIRTIO_PCI_COMMON_STATUS, (uint8_t *)&zero, 1,
			true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	start_over();
	for (size_t i = 0; i + 8 <= size; i += 8) {
		bool bar = data[i] & 1, wr = data[i] & 2;
		uint32_t len = 1u << (data[i + 1] & 3), off = data[i + 2] | data[i + 3] << 8;
		uint8_t v[8] = { 0 };

		memcpy(v, data + i + 4, 4);
		memcpy(v + 4, data + i + 4, 4);
		if (bar)
			iotrap_dispatch(vmm_vm_mmio(vm), BAR_ADDR + off % BAR_SPAN, v, len, wr);
		else if (len <= 4)
			cfg_access(off % PCI_CFG_SPACE_SIZE, v, len, wr);
	}
	return 0;
}
