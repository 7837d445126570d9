/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pci.c - the PCI host bridge and config space of pci.h.
 *
 * Every guest config access lands here from the 0xcfc data port with the
 * bus lock held; the lock also serialises BAR moves, so a device's bar_map
 * and bar_unmap never race.  Those callbacks may register MMIO/PIO traps but
 * must not come back into the PCI bus.
 */
#include <errno.h>
#include <string.h>

#include "util/log.h"
#include "vmm/iotrap.h"
#include "vmm/layout.h"
#include "vmm/pci.h"

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_CFG_ENABLE 0x80000000u
#define PCI_IO_START 0xc000
#define PCI_IO_END 0x10000

/* The host bridge identifies as Red Hat's generic PCIe host (no quirks). */
#define HOST_VENDOR 0x1b36
#define HOST_DEVICE 0x0008
#define CLASS_HOST_BRIDGE 0x060000

static uint32_t cfg_get32(const struct pci_dev *d, uint32_t off)
{
	uint32_t v;

	memcpy(&v, d->cfg + off, 4);
	return v;
}

static void cfg_put32(struct pci_dev *d, uint32_t off, uint32_t v)
{
	memcpy(d->cfg + off, &v, 4);
}

static void cfg_put16(struct pci_dev *d, uint32_t off, uint16_t v)
{
	memcpy(d->cfg + off, &v, 2);
}

void pci_dev_init(struct pci_dev *dev, const char *name, uint16_t vendor, uint16_t device,
		  uint32_t class_code, uint16_t subsys_vendor, uint16_t subsys_id)
{
	memset(dev->cfg, 0, sizeof(dev->cfg));
	memset(dev->wmask, 0, sizeof(dev->wmask));
	memset(dev->bars, 0, sizeof(dev->bars));
	dev->name = name;
	cfg_put16(dev, PCI_VENDOR_ID, vendor);
	cfg_put16(dev, PCI_DEVICE_ID, device);
	cfg_put32(dev, PCI_REVISION_ID, class_code << 8);
	cfg_put16(dev, PCI_SUBSYSTEM_VENDOR_ID, subsys_vendor);
	cfg_put16(dev, PCI_SUBSYSTEM_ID, subsys_id);
	/* What a guest may change in the standard header. */
	dev->wmask[PCI_COMMAND] = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	dev->wmask[PCI_COMMAND + 1] = PCI_COMMAND_INTX_DISABLE >> 8;
	dev->wmask[0x0c] = 0xff; /* cache line size */
	dev->wmask[0x0d] = 0xff; /* latency timer */
	dev->wmask[PCI_INTERRUPT_LINE] = 0xff;
	dev->cap_end = PCI_CAP_START;
	dev->cap_prev_next = &dev->cfg[PCI_CAPABILITY_LIST];
}

int pci_dev_add_bar(struct pci_dev *dev, unsigned int bar, uint64_t size, uint32_t flags)
{
	bool mem64 = flags & PCI_BASE_ADDRESS_MEM_TYPE_64;

	if (bar >= PCI_STD_NUM_BARS || (mem64 && bar + 1 >= PCI_STD_NUM_BARS) || size < 16 ||
	    !IS_POW2(size) || ((flags & PCI_BASE_ADDRESS_SPACE_IO) && (mem64 || size > 256)))
		return -EINVAL;
	dev->bars[bar] = (struct pci_bar){ .size = size,
					   .io = flags & PCI_BASE_ADDRESS_SPACE_IO,
					   .mem64 = mem64 };
	cfg_put32(dev, PCI_BASE_ADDRESS_0 + 4 * bar,
		  flags & (PCI_BASE_ADDRESS_SPACE_IO | PCI_BASE_ADDRESS_MEM_TYPE_64));
	return 0;
}

int pci_dev_add_cap(struct pci_dev *dev, const void *cap, const void *wmask, uint8_t len)
{
	unsigned int off = dev->cap_end;

	if (len < 2 || off + len > PCI_CFG_SPACE_SIZE)
		return -ENOSPC;
	memcpy(dev->cfg + off, cap, len);
	memcpy(dev->wmask + off, wmask, len);
	dev->cfg[off + 1] = 0; /* end of list until another is appended */
	dev->wmask[off + 1] = 0;
	*dev->cap_prev_next = (uint8_t)off;
	dev->cap_prev_next = &dev->cfg[off + 1];
	dev->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	dev->cap_end = ALIGN_UP(off + len, 4u);
	return off;
}

static bool bar_decodes(const struct pci_dev *d, unsigned int bar)
{
	uint16_t cmd = (uint16_t)(d->cfg[PCI_COMMAND] | d->cfg[PCI_COMMAND + 1] << 8);

	return d->bars[bar].io ? (cmd & PCI_COMMAND_IO) : (cmd & PCI_COMMAND_MEMORY);
}

/* The read-only type bits of a BAR register, from its declaration. */
static uint32_t bar_flags(const struct pci_bar *b)
{
	return b->io ? PCI_BASE_ADDRESS_SPACE_IO : b->mem64 ? PCI_BASE_ADDRESS_MEM_TYPE_64 : 0;
}

/* Read the BAR's address back from config space, masked to its size. */
static uint64_t bar_cfg_addr(const struct pci_dev *d, unsigned int bar)
{
	uint64_t addr = cfg_get32(d, PCI_BASE_ADDRESS_0 + 4 * bar);

	if (d->bars[bar].mem64)
		addr |= (uint64_t)cfg_get32(d, PCI_BASE_ADDRESS_0 + 4 * (bar + 1)) << 32;
	return addr & ~(d->bars[bar].size - 1);
}

/* Bring BAR @bar's mapping in line with its address and decode bits. */
static void bar_sync(struct pci_dev *d, unsigned int bar)
{
	struct pci_bar *b = &d->bars[bar];
	uint64_t addr = bar_cfg_addr(d, bar);
	bool want = bar_decodes(d, bar) && addr != 0;

	if (b->mapped && (!want || addr != b->addr)) {
		d->ops->bar_unmap(d, bar, b->addr);
		b->mapped = false;
	}
	b->addr = addr;
	if (want && !b->mapped) {
		if (d->ops->bar_map(d, bar, addr) == 0)
			b->mapped = true;
		else
			LOG_RL(LOG_LVL_WARN, "pci", "%s: BAR%u at %#llx not mapped (overlap?)",
			       d->name, bar, (unsigned long long)addr);
	}
}

/* Write the address back as the BAR reads: size-masked, type bits kept. */
static void bar_write_back(struct pci_dev *d, unsigned int bar)
{
	uint64_t addr = bar_cfg_addr(d, bar);

	cfg_put32(d, PCI_BASE_ADDRESS_0 + 4 * bar, (uint32_t)addr | bar_flags(&d->bars[bar]));
	if (d->bars[bar].mem64)
		cfg_put32(d, PCI_BASE_ADDRESS_0 + 4 * (bar + 1), (uint32_t)(addr >> 32));
}

static void pci_write_bars(struct pci_dev *d, uint32_t off, const uint8_t *data, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++) {
		uint32_t o = off + i;
		unsigned int bar = (o - PCI_BASE_ADDRESS_0) / 4;

		if (o < PCI_BASE_ADDRESS_0 || bar >= PCI_STD_NUM_BARS)
			continue;
		/* The upper half of a 64-bit BAR belongs to the BAR below it. */
		if (!d->bars[bar].size && bar > 0 && d->bars[bar - 1].mem64)
			bar--;
		if (!d->bars[bar].size)
			continue;
		d->cfg[o] = data[i];
	}
	for (unsigned int bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		if (!d->bars[bar].size)
			continue;
		bar_write_back(d, bar);
		bar_sync(d, bar);
	}
}

static void pci_cfg_write(struct pci_dev *d, uint32_t off, const uint8_t *data, uint32_t len)
{
	if (off < PCI_BASE_ADDRESS_0 + 4 * PCI_STD_NUM_BARS && off + len > PCI_BASE_ADDRESS_0) {
		pci_write_bars(d, off, data, len);
		return;
	}
	for (uint32_t i = 0; i < len; i++)
		d->cfg[off + i] = (uint8_t)((d->cfg[off + i] & ~d->wmask[off + i]) |
					    (data[i] & d->wmask[off + i]));
	bool cmd = off <= PCI_COMMAND + 1 && off + len > PCI_COMMAND;

	if (cmd)
		for (unsigned int bar = 0; bar < PCI_STD_NUM_BARS; bar++)
			if (d->bars[bar].size)
				bar_sync(d, bar);
	/* Passed-through devices follow the command register (bus mastering). */
	if ((cmd || off + len > PCI_CAP_START) && d->ops && d->ops->cfg_written)
		d->ops->cfg_written(d, off, len);
}

void pci_cfg_access(struct pci_bus *bus, uint8_t slot, uint8_t fn, uint32_t off, uint8_t *data,
		    uint32_t len, bool is_write) NO_THREAD_SAFETY_ANALYSIS
{
	struct pci_dev *d = slot < PCI_MAX_SLOTS && fn == 0 ? bus->slots[slot] : NULL;

	/* Naturally aligned 1, 2 or 4 byte accesses inside the 256-byte space. */
	if (!d || off >= PCI_CFG_SPACE_SIZE || len > PCI_CFG_SPACE_SIZE - off ||
	    (off & (len - 1))) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (is_write) {
		pci_cfg_write(d, off, data, len);
		return;
	}
	if (off + len > PCI_CAP_START && d->ops && d->ops->cfg_read)
		d->ops->cfg_read(d, off, len);
	memcpy(data, d->cfg + off, len);
}

static void pci_config_address_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
				  bool is_write)
{
	struct pci_bus *bus = opaque;

	/* 0xcf9 alone is the reset control register; bit 2 resets the CPU. */
	if (off == 1 && len == 1) {
		if (!is_write)
			data[0] = 0;
		else if (data[0] & 0x04)
			bus->reset(bus->reset_opaque);
		return;
	}
	/* Otherwise only whole-dword accesses select a register (mechanism #1). */
	if (off != 0 || len != 4) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	mutex_lock(&bus->lock);
	if (is_write)
		memcpy(&bus->cfg_addr, data, 4);
	else
		memcpy(data, &bus->cfg_addr, 4);
	mutex_unlock(&bus->lock);
}

static void pci_config_data_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
			       bool is_write)
{
	struct pci_bus *bus = opaque;
	uint32_t a;

	mutex_lock(&bus->lock);
	a = bus->cfg_addr;
	if (!(a & PCI_CFG_ENABLE) || ((a >> 16) & 0xff) != 0) {
		if (!is_write)
			memset(data, 0xff, len);
	} else {
		pci_cfg_access(bus, (uint8_t)((a >> 11) & 0x1f), (uint8_t)((a >> 8) & 0x7),
			       (a & 0xfc) + (uint32_t)off, data, len, is_write);
	}
	mutex_unlock(&bus->lock);
}

static int host_bar_map(struct pci_dev *dev, unsigned int bar, uint64_t addr)
{
	(void)dev;
	(void)bar;
	(void)addr;
	return -EINVAL; /* the host bridge has no BARs */
}

static void host_bar_unmap(struct pci_dev *dev, unsigned int bar, uint64_t addr)
{
	(void)dev;
	(void)bar;
	(void)addr;
}

static const struct pci_dev_ops host_bridge_ops = {
	.bar_map = host_bar_map,
	.bar_unmap = host_bar_unmap,
};

int pci_bus_init(struct pci_bus *bus, struct iotrap_bus *pio, pci_reset_fn reset,
		 void *opaque) NO_THREAD_SAFETY_ANALYSIS
{
	int ret;

	memset(bus, 0, sizeof(*bus));
	bus->reset = reset;
	bus->reset_opaque = opaque;
	mutex_init(&bus->lock);
	bus->pio = pio;
	bus->mmio_next = LAYOUT_PCI_MMIO_START;
	bus->mmio_end = LAYOUT_PCI_MMIO_END;
	bus->io_next = PCI_IO_START;
	pci_dev_init(&bus->host_bridge, "host-bridge", HOST_VENDOR, HOST_DEVICE, CLASS_HOST_BRIDGE,
		     HOST_VENDOR, 0x1100);
	bus->host_bridge.ops = &host_bridge_ops;
	bus->slots[0] = &bus->host_bridge;
	ret = iotrap_register(pio, PCI_CONFIG_ADDRESS, 4, pci_config_address_io, bus);
	if (ret)
		goto err_lock;
	ret = iotrap_register(pio, PCI_CONFIG_DATA, 4, pci_config_data_io, bus);
	if (ret)
		goto err_address;
	return 0;
err_address:
	iotrap_unregister(pio, PCI_CONFIG_ADDRESS);
err_lock:
	mutex_destroy(&bus->lock);
	return ret;
}

void pci_bus_fini(struct pci_bus *bus)
{
	iotrap_unregister(bus->pio, PCI_CONFIG_DATA);
	iotrap_unregister(bus->pio, PCI_CONFIG_ADDRESS);
	mutex_destroy(&bus->lock);
}

/* Firmware's job: give each BAR a naturally aligned address. */
static int pci_assign_bars(struct pci_bus *bus, struct pci_dev *dev) REQUIRES(bus->lock)
{
	for (unsigned int i = 0; i < PCI_STD_NUM_BARS; i++) {
		struct pci_bar *b = &dev->bars[i];
		uint64_t addr;

		if (!b->size)
			continue;
		if (b->io) {
			addr = ALIGN_UP((uint64_t)bus->io_next, b->size);
			if (addr + b->size > PCI_IO_END)
				return -ENOSPC;
			bus->io_next = (uint32_t)(addr + b->size);
		} else {
			addr = ALIGN_UP(bus->mmio_next, b->size);
			/* Overflow-safe: a passed-through BAR may be as large as 2^63. */
			if (addr < bus->mmio_next || addr > bus->mmio_end ||
			    b->size > bus->mmio_end - addr)
				return -ENOSPC;
			bus->mmio_next = addr + b->size;
		}
		cfg_put32(dev, PCI_BASE_ADDRESS_0 + 4 * i, (uint32_t)addr | bar_flags(b));
		if (b->mem64)
			cfg_put32(dev, PCI_BASE_ADDRESS_0 + 4 * (i + 1), (uint32_t)(addr >> 32));
	}
	return 0;
}

static int pci_free_slot(struct pci_bus *bus) REQUIRES(bus->lock)
{
	for (int s = 1; s < PCI_MAX_SLOTS; s++)
		if (!bus->slots[s])
			return s;
	return -ENOSPC;
}

int pci_dev_register(struct pci_bus *bus, struct pci_dev *dev)
{
	int slot, ret;

	mutex_lock(&bus->lock);
	slot = pci_free_slot(bus);
	ret = slot < 0 ? slot : pci_assign_bars(bus, dev);
	if (ret)
		goto out;
	dev->slot = (uint8_t)slot;
	if (dev->cfg[PCI_INTERRUPT_PIN])
		dev->cfg[PCI_INTERRUPT_LINE] = (uint8_t)(16 + slot % 8);
	bus->slots[slot] = dev;
	/* Decode on, as firmware leaves devices it has assigned. */
	dev->cfg[PCI_COMMAND] |= PCI_COMMAND_MEMORY | PCI_COMMAND_IO;
	for (unsigned int i = 0; i < PCI_STD_NUM_BARS; i++)
		if (dev->bars[i].size)
			bar_sync(dev, i);
out:
	mutex_unlock(&bus->lock);
	if (ret)
		LOG_ERR("pci", "cannot place %s on bus 0: %s", dev->name,
			ret == -ENOSPC ? "no free slot or BAR space" : "invalid BAR");
	return ret;
}

void pci_dev_unregister(struct pci_bus *bus, struct pci_dev *dev)
{
	mutex_lock(&bus->lock);
	for (unsigned int i = 0; i < PCI_STD_NUM_BARS; i++) {
		if (dev->bars[i].mapped)
			dev->ops->bar_unmap(dev, i, dev->bars[i].addr);
		dev->bars[i].mapped = false;
	}
	if (dev->slot < PCI_MAX_SLOTS && bus->slots[dev->slot] == dev)
		bus->slots[dev->slot] = NULL;
	mutex_unlock(&bus->lock);
}

uint32_t pci_bus_intx_slots(struct pci_bus *bus)
{
	uint32_t slots = 0;

	mutex_lock(&bus->lock);
	for (unsigned int s = 1; s < PCI_MAX_SLOTS; s++)
		if (bus->slots[s] && bus->slots[s]->cfg[PCI_INTERRUPT_PIN])
			slots |= 1u << s;
	mutex_unlock(&bus->lock);
	return slots;
}
