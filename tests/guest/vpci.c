/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vpci.c - virtio-pci modern transport, driver side (see vpci.h).
 *
 * Every register access is an MMIO exit (11-16 us under the build machine's
 * nested KVM), so set-up reads each field once and the data path never
 * touches the common configuration: it sees only the rings and the notify
 * address of each queue.
 */
#include "lib.h"
#include "uart.h"
#include "virtio.h"
#include "vpci.h"

#define VPCI_RESET_POLLS 100000 /* status reads before a reset counts as stuck */

/* ---- locating the structures ---- */

/*
 * The address of [@off, @off + @len) inside memory BAR @bar, or 0 if the
 * BAR is not a memory BAR, the range does not fit it, or it lies beyond the
 * identity map.  Sizing the BAR costs a few config accesses, once per cap.
 */
/* Records the vendor capability at config offset @cap if it is the first of its type. */
static void vpci_take_cap(struct vpci *v, uint8_t cap, bool *bad)
{
	uint8_t type = pci_read8(&v->pci, cap + VPCI_CAP_CFG_TYPE);
	uint8_t bar = pci_read8(&v->pci, cap + VPCI_CAP_BAR);
	uint32_t off = pci_read32(&v->pci, cap + VPCI_CAP_OFFSET);
	uint32_t len = pci_read32(&v->pci, cap + VPCI_CAP_LENGTH);
	struct vpci_region *r = type == VPCI_CAP_COMMON ? &v->common :
				type == VPCI_CAP_NOTIFY ? &v->notify :
				type == VPCI_CAP_ISR	? &v->isr :
				type == VPCI_CAP_DEVICE ? &v->device :
							  NULL;

	/* Other types (PCI_CFG, shared memory, vendor) are not used; later duplicates neither. */
	if (!r || r->addr)
		return;
	if (pci_read8(&v->pci, cap + 2) < VPCI_CAP_MIN_LEN) {
		*bad = true;
		return;
	}
	r->addr = pci_bar_range(&v->pci, bar, off, len);
	r->len = len;
	if (!r->addr) {
		con_log("virtio: cap type %u: bar %u offset 0x%x length 0x%x is outside the BAR\n",
			type, bar, off, len);
		*bad = true;
	}
	if (type == VPCI_CAP_NOTIFY)
		v->notify_mult = pci_read32(&v->pci, cap + VPCI_CAP_NOTIFY_MULT);
}

static int vpci_map_caps(struct vpci *v)
{
	bool bad = false;

	for (uint8_t cap = pci_find_cap(&v->pci, PCI_CAP_ID_VNDR, 0); cap && !bad;
	     cap = pci_find_cap(&v->pci, PCI_CAP_ID_VNDR, cap))
		vpci_take_cap(v, cap, &bad);
	if (bad)
		return -EINVAL;
	/* The ISR is not used (we poll or use MSI-X); the other three are required. */
	if (!v->common.addr || v->common.len < VPCI_COMMON_LEN || !v->notify.addr ||
	    !v->device.addr) {
		con_log("virtio: missing common, notify or device configuration capability\n");
		return -EINVAL;
	}
	return 0;
}

/* A device without MSI-X (or with a broken table) just has none. */
static void vpci_map_msix(struct vpci *v)
{
	if (pci_msix_find(&v->pci, &v->msix) == -EINVAL)
		con_log("virtio: MSI-X table outside its BAR: MSI-X not usable\n");
}

int vpci_open(struct vpci *v, uint16_t device_id)
{
	struct pci_dev devs[PCI_MAX_DEVS];
	unsigned int n = pci_enumerate(0, devs, PCI_MAX_DEVS), i;

	*v = (struct vpci){ 0 };
	for (i = 0; i < n; i++)
		if (devs[i].vendor == VIRTIO_PCI_VENDOR && devs[i].device == device_id)
			break;
	if (i == n)
		return -ENODEV;
	v->pci = devs[i];
	pci_write16(&v->pci, PCI_COMMAND,
		    pci_read16(&v->pci, PCI_COMMAND) | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	vpci_map_msix(v);
	return vpci_map_caps(v);
}

/* ---- status and features (3.1.1) ---- */

uint8_t vpci_get_status(const struct vpci *v)
{
	return mmio_read8(v->common.addr + VPCI_STATUS);
}

void vpci_add_status(struct vpci *v, uint8_t bits)
{
	mmio_write8(v->common.addr + VPCI_STATUS, (uint8_t)(vpci_get_status(v) | bits));
}

int vpci_reset(struct vpci *v)
{
	mmio_write8(v->common.addr + VPCI_STATUS, 0);
	for (unsigned int i = 0; i < VPCI_RESET_POLLS; i++) {
		if (!vpci_get_status(v))
			return 0;
		cpu_relax();
	}
	return -ETIMEDOUT;
}

uint64_t vpci_get_features(const struct vpci *v)
{
	uint64_t f;

	mmio_write32(v->common.addr + VPCI_DFSELECT, 0);
	f = mmio_read32(v->common.addr + VPCI_DF);
	mmio_write32(v->common.addr + VPCI_DFSELECT, 1);
	return f | (uint64_t)mmio_read32(v->common.addr + VPCI_DF) << 32;
}

void vpci_set_features(struct vpci *v, uint64_t f)
{
	mmio_write32(v->common.addr + VPCI_GFSELECT, 0);
	mmio_write32(v->common.addr + VPCI_GF, (uint32_t)f);
	mmio_write32(v->common.addr + VPCI_GFSELECT, 1);
	mmio_write32(v->common.addr + VPCI_GF, (uint32_t)(f >> 32));
}

/* ---- queues (4.1.5.1.3) ---- */

uint16_t vpci_queue_max(struct vpci *v, uint16_t q)
{
	if (q >= mmio_read16(v->common.addr + VPCI_NUM_QUEUES))
		return 0;
	mmio_write16(v->common.addr + VPCI_Q_SELECT, q);
	return mmio_read16(v->common.addr + VPCI_Q_SIZE);
}

/* 64-bit fields as two 32-bit writes, low half first (4.1.3.1 allows it). */
static void vpci_write64(uintptr_t addr, uint64_t val)
{
	mmio_write32(addr, (uint32_t)val);
	mmio_write32(addr + 4, (uint32_t)(val >> 32));
}

static uint16_t pow2_floor(uint16_t n)
{
	uint16_t p = 1;

	while (p <= n / 2)
		p = (uint16_t)(p * 2);
	return p;
}

int vpci_queue_setup(struct vpci *v, uint16_t q, struct vpci_queue_cfg *c)
{
	uintptr_t cc = v->common.addr;
	uint16_t max = vpci_queue_max(v, q), off; /* also selects @q */
	uint64_t noff;

	if (!max || !c->size)
		return -ENOENT;
	c->size = pow2_floor(MIN(max, c->size));
	mmio_write16(cc + VPCI_Q_SIZE, c->size);
	vpci_write64(cc + VPCI_Q_DESC, c->desc);
	vpci_write64(cc + VPCI_Q_DRIVER, c->avail);
	vpci_write64(cc + VPCI_Q_DEVICE, c->used);
	mmio_write16(cc + VPCI_Q_MSIX, c->vector);
	/* A device that cannot map the vector reads back NO_VECTOR (4.1.4.3.1). */
	if (mmio_read16(cc + VPCI_Q_MSIX) != c->vector)
		return -EIO;
	off = mmio_read16(cc + VPCI_Q_NOTIFY_OFF);
	noff = (uint64_t)off * v->notify_mult;
	/* The 2-byte queue index must land inside the notify area (4.1.4.4). */
	if (noff + 2 > v->notify.len)
		return -EINVAL;
	c->notify = v->notify.addr + (uintptr_t)noff;
	mmio_write16(cc + VPCI_Q_ENABLE, 1);
	return 0;
}

int vpci_read_device_cfg(struct vpci *v, uint32_t off, void *buf, uint32_t len)
{
	uint8_t *out = buf, gen;

	if ((uint64_t)off + len > v->device.len)
		return -EINVAL;
	/* Re-read while the generation moves, so a multi-byte field is consistent. */
	do {
		gen = mmio_read8(v->common.addr + VPCI_CFG_GEN);
		for (uint32_t i = 0; i < len; i++)
			out[i] = mmio_read8(v->device.addr + off + i);
	} while (gen != mmio_read8(v->common.addr + VPCI_CFG_GEN));
	return 0;
}

/* ---- MSI-X ---- */

int vpci_msix_enable(struct vpci *v, uint16_t entry, uint32_t apic_id, uint8_t vector)
{
	return pci_msix_enable(&v->pci, &v->msix, entry, apic_id, vector);
}

void vpci_msix_disable(struct vpci *v)
{
	pci_msix_disable(&v->pci, &v->msix);
}
