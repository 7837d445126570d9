/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fn.c - the guest's view of a passed-through PCI function (fn.h).
 *
 * Config space: the guest reads a copy built once from the real function:
 * its identity, its BARs as the bus places them, and only the capabilities
 * cap_rules[] lets through, copied read-only, plus an emulated MSI-X
 * capability.  Guest writes reach the real function only through two doors:
 * the command register's decode and bus-master bits, and MSI-X enable, which
 * hands the vectors' eventfds to the device.  Everything else (BAR sizing,
 * interrupt line, the copied capabilities) stays in the copy.
 *
 * BARs: a memory BAR the kernel lets us map goes to KVM as memory slots, so
 * the guest's doorbell writes never exit; only the pages holding the MSI-X
 * table and PBA are trapped (a guest must not program the real table: its
 * messages would be the guest's, not the host's remapped ones).  The rest of
 * a trapped page is forwarded to the device access by access.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/compiler.h"
#include "util/lock.h"
#include "util/log.h"
#include "vfio/fn.h"
#include "vmm/iotrap.h"
#include "vmm/msix.h"
#include "vmm/pci.h"
#include "vmm/vmm.h"

#define FN_PAGE 4096ull
#define MSIX_CAP_LEN 12
/* A 256-byte config space holds at most 48 dword-aligned capabilities. */
#define MAX_CAPS 48
/* A BAR split around the table's and the PBA's pages. */
#define FN_MAX_SEGS 5
#define EXP_CAP_LEN 0x3c /* PCIe capability version 2, through Slot Status 2 */
#define CMD_PASSED (PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)

/*
 * Capabilities the guest sees, copied read-only: drivers read them (power
 * state, link and device capabilities), but a write could reset the function
 * (PCIe Initiate FLR) or power it down under the host.  MSI-X is emulated;
 * everything else (MSI, vendor-specific, ...) is hidden.
 */
static const struct cap_rule {
	uint8_t id;
	uint8_t len;
} cap_rules[] = {
	{ PCI_CAP_ID_PM, PCI_PM_SIZEOF },
	{ PCI_CAP_ID_EXP, EXP_CAP_LEN },
};

struct fn_seg {
	struct vfio_fn *fn;
	unsigned int bar;
	uint64_t lo, hi; /* BAR offsets */
	bool trapped; /* through fn_seg_io; else a KVM slot on the mapping */
	int slot; /* the KVM slot while mapped, -1 otherwise */
	bool registered; /* the trap is registered */
};

struct fn_bar {
	struct vfio_bar_info info;
	bool io;
	uint8_t *map; /* the whole BAR in this process, or NULL */
	unsigned int nsegs;
	struct fn_seg segs[FN_MAX_SEGS];
};

struct vfio_fn {
	struct pci_dev pci;
	struct vmm_vm *vm;
	const struct vfio_dev_ops *ops;
	void *dev;
	char name[48];
	struct mutex lock; /* the vectors and the real command register */
	struct msix msix;
	bool msix_on GUARDED; /* the device has the eventfds */
	uint8_t msix_cap; /* in the guest's config space */
	unsigned int nvec; /* vectors offered */
	unsigned int nvec_dev; /* table entries of the real function */
	unsigned int table_bar, pba_bar;
	uint64_t table_off, pba_off;
	struct fn_bar bars[VFIO_FN_NUM_BARS];
	bool registered;
};

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static bool within(uint64_t off, uint64_t len, uint64_t lo, uint64_t n)
{
	return off >= lo && len <= n && off - lo <= n - len;
}

static uint64_t table_len(const struct vfio_fn *fn)
{
	return (uint64_t)fn->nvec_dev * MSIX_ENTRY_SIZE;
}

static uint64_t pba_len(const struct vfio_fn *fn)
{
	return (fn->nvec_dev + 63u) / 64u * 8u;
}

/* ---- trapped BAR pages ---- */

static void fn_seg_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct fn_seg *seg = opaque;
	struct vfio_fn *fn = seg->fn;
	uint64_t boff = seg->lo + off;
	bool table = fn->nvec && seg->bar == fn->table_bar;
	bool pba = fn->nvec && seg->bar == fn->pba_bar;

	if (table && within(boff, len, fn->table_off, table_len(fn))) {
		mutex_lock(&fn->lock);
		msix_table_access(&fn->msix, boff - fn->table_off, data, len, is_write);
		mutex_unlock(&fn->lock);
		return;
	}
	if (pba && within(boff, len, fn->pba_off, pba_len(fn))) {
		if (!is_write) {
			mutex_lock(&fn->lock);
			msix_pba_read(&fn->msix, boff - fn->pba_off, data, len);
			mutex_unlock(&fn->lock);
		}
		return;
	}
	/* Half in the table or PBA: not a register anyone has; drop it. */
	if ((table && pci_overlaps(boff, len, fn->table_off, table_len(fn))) ||
	    (pba && pci_overlaps(boff, len, fn->pba_off, pba_len(fn))) ||
	    fn->ops->bar_rw(fn->dev, seg->bar, boff, data, len, is_write)) {
		if (!is_write)
			memset(data, 0xff, len);
		LOG_RL(LOG_LVL_WARN, "vfio", "%s: BAR%u %s of %u bytes at %#llx dropped", fn->name,
		       seg->bar, is_write ? "write" : "read", len, (unsigned long long)boff);
	}
}

/* Add [lo, hi) of @bar as one segment. */
static void fn_add_seg(struct fn_bar *b, unsigned int bar, uint64_t lo, uint64_t hi, bool trapped)
{
	if (lo >= hi || b->nsegs == FN_MAX_SEGS)
		return;
	b->segs[b->nsegs++] =
		(struct fn_seg){ .bar = bar, .lo = lo, .hi = hi, .trapped = trapped, .slot = -1 };
}

/*
 * Split a mapped BAR into direct and trapped segments: the pages of the MSI-X
 * table and PBA are trapped, the rest go straight to the device.
 */
static void fn_split_bar(struct vfio_fn *fn, unsigned int bar)
{
	struct fn_bar *b = &fn->bars[bar];
	uint64_t size = b->info.size, lo[2], hi[2], at = 0;
	unsigned int n = 0;

	if (!b->map) {
		fn_add_seg(b, bar, 0, size, true);
		return;
	}
	if (fn->nvec && bar == fn->table_bar) {
		lo[n] = fn->table_off & ~(FN_PAGE - 1);
		hi[n++] = ALIGN_UP(fn->table_off + table_len(fn), FN_PAGE);
	}
	if (fn->nvec && bar == fn->pba_bar) {
		lo[n] = fn->pba_off & ~(FN_PAGE - 1);
		hi[n++] = ALIGN_UP(fn->pba_off + pba_len(fn), FN_PAGE);
	}
	if (n == 2 && lo[1] < lo[0]) {
		uint64_t t = lo[0], u = hi[0];

		lo[0] = lo[1], hi[0] = hi[1], lo[1] = t, hi[1] = u;
	}
	if (n == 2 && lo[1] <= hi[0]) { /* one range of pages */
		hi[0] = hi[0] > hi[1] ? hi[0] : hi[1];
		n = 1;
	}
	for (unsigned int i = 0; i < n; i++) {
		fn_add_seg(b, bar, at, lo[i], false);
		fn_add_seg(b, bar, lo[i], hi[i] < size ? hi[i] : size, true);
		at = hi[i];
	}
	fn_add_seg(b, bar, at, size, false);
}

static void fn_bar_unmap(struct pci_dev *pci, unsigned int bar, uint64_t addr)
{
	struct vfio_fn *fn = container_of(pci, struct vfio_fn, pci);
	struct fn_bar *b = &fn->bars[bar];
	struct iotrap_bus *bus = b->io ? vmm_vm_pio(fn->vm) : vmm_vm_mmio(fn->vm);

	for (unsigned int i = 0; i < b->nsegs; i++) {
		struct fn_seg *s = &b->segs[i];

		if (s->registered)
			iotrap_unregister(bus, addr + s->lo);
		if (s->slot >= 0)
			vmm_vm_unmap_device(fn->vm, s->slot);
		s->registered = false;
		s->slot = -1;
	}
}

static void fn_sync_command(struct vfio_fn *fn) REQUIRES(fn->lock);

static int fn_bar_map(struct pci_dev *pci, unsigned int bar, uint64_t addr)
{
	struct vfio_fn *fn = container_of(pci, struct vfio_fn, pci);
	struct fn_bar *b = &fn->bars[bar];
	struct iotrap_bus *bus = b->io ? vmm_vm_pio(fn->vm) : vmm_vm_mmio(fn->vm);
	int ret = 0;

	/*
	 * The device decodes before the guest can reach its BAR: vfio-pci answers
	 * a fault on the mapping with SIGBUS while decode is off, which another
	 * vCPU would meet as a failed KVM_RUN.
	 */
	mutex_lock(&fn->lock);
	fn_sync_command(fn);
	mutex_unlock(&fn->lock);

	for (unsigned int i = 0; i < b->nsegs && !ret; i++) {
		struct fn_seg *s = &b->segs[i];

		if (s->trapped) {
			ret = iotrap_register(bus, addr + s->lo, s->hi - s->lo, fn_seg_io, s);
			s->registered = !ret;
			continue;
		}
		ret = vmm_vm_map_device(fn->vm, addr + s->lo, s->hi - s->lo, b->map + s->lo);
		s->slot = ret < 0 ? -1 : ret;
		ret = ret < 0 ? ret : 0;
	}
	if (ret)
		fn_bar_unmap(pci, bar, addr);
	return ret;
}

/* ---- config space writes that reach the device ---- */

/* The real command register follows the guest's decode and bus-master bits. */
static void fn_sync_command(struct vfio_fn *fn) REQUIRES(fn->lock)
{
	uint16_t want = get16(fn->pci.cfg + PCI_COMMAND) & CMD_PASSED, cur, next;

	if (fn->ops->cfg_rw(fn->dev, PCI_COMMAND, &cur, 2, false))
		return;
	/* INTx stays off: the guest is given no INTx line. */
	next = (uint16_t)((cur & ~CMD_PASSED) | want | PCI_COMMAND_INTX_DISABLE);
	if (next != cur && fn->ops->cfg_rw(fn->dev, PCI_COMMAND, &next, 2, true))
		LOG_RL(LOG_LVL_WARN, "vfio", "%s: cannot write the command register", fn->name);
}

static void fn_msix_control(struct vfio_fn *fn) REQUIRES(fn->lock)
{
	uint16_t ctrl = get16(fn->pci.cfg + fn->msix_cap + PCI_MSIX_FLAGS);
	bool enabled = ctrl & PCI_MSIX_FLAGS_ENABLE;
	int fds[VFIO_FN_MAX_VECTORS], ret;

	if (enabled && !fn->msix_on) {
		for (unsigned int i = 0; i < fn->nvec; i++)
			fds[i] = msix_vector_fd(&fn->msix, i);
		ret = fn->ops->set_msix(fn->dev, fds, fn->nvec);
		if (ret)
			LOG_RL(LOG_LVL_ERR, "vfio", "%s: cannot enable MSI-X on the device: %s",
			       fn->name, strerror(-ret));
		fn->msix_on = !ret;
	} else if (!enabled && fn->msix_on) {
		fn->ops->set_msix(fn->dev, NULL, 0);
		fn->msix_on = false;
		/* What the device raised before is void: no pending bit, no late interrupt. */
		for (unsigned int i = 0; i < fn->nvec; i++) {
			uint64_t drop;

			if (read(msix_vector_fd(&fn->msix, i), &drop, sizeof(drop)) < 0 &&
			    errno != EAGAIN)
				LOG_RL(LOG_LVL_WARN, "vfio", "%s: vector %u: %s", fn->name, i,
				       strerror(errno));
		}
	}
	msix_set_control(&fn->msix, enabled, ctrl & PCI_MSIX_FLAGS_MASKALL);
}

static void fn_cfg_written(struct pci_dev *pci, uint32_t off, uint32_t len)
{
	struct vfio_fn *fn = container_of(pci, struct vfio_fn, pci);

	mutex_lock(&fn->lock);
	if (pci_overlaps(off, len, PCI_COMMAND, 2))
		fn_sync_command(fn);
	if (fn->msix_cap && pci_overlaps(off, len, fn->msix_cap + PCI_MSIX_FLAGS, 2))
		fn_msix_control(fn);
	mutex_unlock(&fn->lock);
}

static const struct pci_dev_ops fn_pci_ops = {
	.bar_map = fn_bar_map,
	.bar_unmap = fn_bar_unmap,
	.cfg_written = fn_cfg_written,
};

/* ---- building the guest's view ---- */

static int fn_fail(const struct vfio_fn *fn, const char *why, unsigned long long v)
{
	LOG_ERR("vfio", "%s: cannot pass it through: %s (%#llx)", fn->name, why, v);
	return -EINVAL;
}

static int fn_probe_bars(struct vfio_fn *fn, const uint8_t *phys)
{
	for (unsigned int i = 0; i < VFIO_FN_NUM_BARS; i++) {
		struct fn_bar *b = &fn->bars[i];
		uint32_t reg = get32(phys + PCI_BASE_ADDRESS_0 + 4 * i), flags;
		bool mem64 = !(reg & PCI_BASE_ADDRESS_SPACE_IO) &&
			     (reg & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64;

		if (fn->ops->bar_info(fn->dev, i, &b->info) || !b->info.size)
			continue;
		b->io = reg & PCI_BASE_ADDRESS_SPACE_IO;
		/* 4- and 8-byte I/O BARs are legal but below what the bus places: hidden. */
		if (b->io && (b->info.size == 4 || b->info.size == 8)) {
			LOG_WARN("vfio", "%s: I/O BAR%u of %llu bytes not offered", fn->name, i,
				 (unsigned long long)b->info.size);
			b->info.size = 0;
			continue;
		}
		if (!IS_POW2(b->info.size) || b->info.size < 16 || (b->io && b->info.size > 256) ||
		    (mem64 && i + 1 == VFIO_FN_NUM_BARS))
			return fn_fail(fn, "a BAR the PCI rules do not allow", b->info.size);
		flags = b->io ? PCI_BASE_ADDRESS_SPACE_IO :
			mem64 ? PCI_BASE_ADDRESS_MEM_TYPE_64 :
				0;
		if (pci_dev_add_bar(&fn->pci, i, b->info.size, flags))
			return fn_fail(fn, "a BAR the bus cannot hold", i);
		i += mem64; /* its upper half is the next register */
	}
	return 0;
}

/* The real MSI-X capability at @p: check where its table and PBA lie. */
static int fn_probe_msix(struct vfio_fn *fn, const uint8_t *p)
{
	uint32_t t = get32(p + PCI_MSIX_TABLE), a = get32(p + PCI_MSIX_PBA);
	uint8_t cap[MSIX_CAP_LEN] = { PCI_CAP_ID_MSIX }, mask[MSIX_CAP_LEN] = { 0 };
	int off;

	if (fn->msix_cap)
		return fn_fail(fn, "two MSI-X capabilities", 0);
	fn->nvec_dev = (get16(p + PCI_MSIX_FLAGS) & PCI_MSIX_FLAGS_QSIZE) + 1u;
	fn->table_bar = t & PCI_MSIX_TABLE_BIR;
	fn->table_off = t & PCI_MSIX_TABLE_OFFSET;
	fn->pba_bar = a & PCI_MSIX_PBA_BIR;
	fn->pba_off = a & PCI_MSIX_PBA_OFFSET;
	if (fn->table_bar >= VFIO_FN_NUM_BARS || fn->bars[fn->table_bar].io ||
	    !within(fn->table_off, table_len(fn), 0, fn->bars[fn->table_bar].info.size))
		return fn_fail(fn, "its MSI-X table lies outside a memory BAR", t);
	if (fn->pba_bar >= VFIO_FN_NUM_BARS || fn->bars[fn->pba_bar].io ||
	    !within(fn->pba_off, pba_len(fn), 0, fn->bars[fn->pba_bar].info.size))
		return fn_fail(fn, "its MSI-X PBA lies outside a memory BAR", a);
	fn->nvec = fn->nvec_dev < VFIO_FN_MAX_VECTORS ? fn->nvec_dev : VFIO_FN_MAX_VECTORS;
	/* The guest finds table and PBA where they are; only the size may shrink. */
	cap[PCI_MSIX_FLAGS] = (uint8_t)(fn->nvec - 1);
	cap[PCI_MSIX_FLAGS + 1] = (uint8_t)((fn->nvec - 1) >> 8);
	memcpy(cap + PCI_MSIX_TABLE, &t, 4);
	memcpy(cap + PCI_MSIX_PBA, &a, 4);
	mask[PCI_MSIX_FLAGS + 1] = (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8;
	off = pci_dev_add_cap(&fn->pci, cap, mask, MSIX_CAP_LEN);
	if (off < 0)
		return fn_fail(fn, "no room for MSI-X in config space", 0);
	fn->msix_cap = (uint8_t)off;
	return 0;
}

static int fn_copy_cap(struct vfio_fn *fn, const uint8_t *phys, uint8_t at, uint32_t *copied)
{
	static const uint8_t ro[EXP_CAP_LEN];
	uint8_t cap[EXP_CAP_LEN] = { 0 };

	for (unsigned int r = 0; r < ARRAY_SIZE(cap_rules); r++) {
		unsigned int len = cap_rules[r].len;

		if (cap_rules[r].id != phys[at])
			continue;
		/* One of each: a device repeating a capability gets no more config space. */
		if (*copied & (1u << r))
			return 0;
		*copied |= 1u << r;
		/* A version 1 PCIe capability ends at the link registers. */
		if (phys[at] == PCI_CAP_ID_EXP && at + 2 < PCI_CFG_SPACE_SIZE &&
		    (phys[at + 2] & PCI_EXP_FLAGS_VERS) < 2)
			len = PCI_CAP_EXP_ENDPOINT_SIZEOF_V1;
		len = len < (unsigned int)(PCI_CFG_SPACE_SIZE - at) ?
			      len :
			      (unsigned int)(PCI_CFG_SPACE_SIZE - at);
		memcpy(cap, phys + at, len);
		return pci_dev_add_cap(&fn->pci, cap, ro, (uint8_t)len) < 0 ?
			       fn_fail(fn, "no room for capabilities in config space", at) :
			       0;
	}
	LOG_DEBUG("vfio", "%s: capability %#x at %#x hidden", fn->name, phys[at], at);
	return 0;
}

/* Walk the real capability list, which the device controls: no loops, no stray pointers. */
static int fn_probe_caps(struct vfio_fn *fn, const uint8_t *phys)
{
	uint8_t seen[PCI_CFG_SPACE_SIZE / 4] = { 0 }, at;
	uint32_t copied = 0;
	unsigned int n = 0;
	int ret = 0;

	if (!(get16(phys + PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	for (at = phys[PCI_CAPABILITY_LIST] & ~3u; at && !ret; at = phys[at + 1] & ~3u) {
		if (at < PCI_STD_HEADER_SIZEOF || seen[at / 4] || ++n > MAX_CAPS)
			return fn_fail(fn, "its capability list is broken at", at);
		seen[at / 4] = 1;
		if (phys[at] == PCI_CAP_ID_MSIX)
			ret = at + MSIX_CAP_LEN <= PCI_CFG_SPACE_SIZE ?
				      fn_probe_msix(fn, phys + at) :
				      fn_fail(fn, "its MSI-X capability overruns config space", at);
		else
			ret = fn_copy_cap(fn, phys, at, &copied);
	}
	return ret;
}

static int fn_build(struct vfio_fn *fn)
{
	uint8_t phys[PCI_CFG_SPACE_SIZE];
	int ret = fn->ops->cfg_rw(fn->dev, 0, phys, sizeof(phys), false);

	if (ret) {
		LOG_ERR("vfio", "%s: cannot read its config space: %s", fn->name, strerror(-ret));
		return ret;
	}
	if ((phys[PCI_HEADER_TYPE] & 0x7f) != PCI_HEADER_TYPE_NORMAL)
		return fn_fail(fn, "not an endpoint (header type)", phys[PCI_HEADER_TYPE]);
	pci_dev_init(&fn->pci, fn->name, get16(phys + PCI_VENDOR_ID), get16(phys + PCI_DEVICE_ID),
		     get32(phys + PCI_CLASS_REVISION) >> 8, get16(phys + PCI_SUBSYSTEM_VENDOR_ID),
		     get16(phys + PCI_SUBSYSTEM_ID));
	fn->pci.cfg[PCI_REVISION_ID] = phys[PCI_REVISION_ID];
	fn->pci.ops = &fn_pci_ops;
	ret = fn_probe_bars(fn, phys);
	if (!ret)
		ret = fn_probe_caps(fn, phys);
	if (!ret && !fn->nvec)
		ret = fn_fail(fn, "no MSI-X (INTx and MSI are not passed through)", 0);
	return ret;
}

static void fn_map_bars(struct vfio_fn *fn)
{
	for (unsigned int i = 0; i < VFIO_FN_NUM_BARS; i++) {
		struct fn_bar *b = &fn->bars[i];

		if (!b->info.size)
			continue;
		if (!b->io && b->info.mmap && b->info.size >= FN_PAGE)
			b->map = fn->ops->bar_mmap(fn->dev, i, b->info.size);
		fn_split_bar(fn, i);
		for (unsigned int s = 0; s < b->nsegs; s++)
			b->segs[s].fn = fn;
	}
}

static void fn_unmap_bars(struct vfio_fn *fn)
{
	for (unsigned int i = 0; i < VFIO_FN_NUM_BARS; i++)
		if (fn->bars[i].map)
			fn->ops->bar_munmap(fn->dev, i, fn->bars[i].map, fn->bars[i].info.size);
}

int vfio_fn_create(struct vmm_vm *vm, const struct vfio_dev_ops *ops, void *dev, const char *name,
		   struct vfio_fn **out)
{
	struct vfio_fn *fn = calloc(1, sizeof(*fn));
	int ret;

	if (!fn)
		return -ENOMEM;
	fn->vm = vm;
	fn->ops = ops;
	fn->dev = dev;
	snprintf(fn->name, sizeof(fn->name), "%s", name);
	mutex_init(&fn->lock);
	ret = ops->reset(dev);
	if (ret && ret != -ENOTTY)
		LOG_WARN("vfio", "%s: reset failed (%s); going on", fn->name, strerror(-ret));
	ret = fn_build(fn);
	if (ret)
		goto err_free;
	ret = msix_init(&fn->msix, vmm_vm_irq(vm), vmm_vm_fd(vm), fn->nvec);
	if (ret)
		goto err_free;
	fn_map_bars(fn);
	ret = pci_dev_register(vmm_vm_pci(vm), &fn->pci);
	if (ret)
		goto err_bars;
	fn->registered = true;
	mutex_lock(&fn->lock);
	fn_sync_command(fn); /* decode on, as the bus left it; no bus mastering yet */
	mutex_unlock(&fn->lock);
	*out = fn;
	return 0;
err_bars:
	fn_unmap_bars(fn);
	msix_fini(&fn->msix);
err_free:
	mutex_destroy(&fn->lock);
	free(fn);
	return ret;
}

void vfio_fn_destroy(struct vfio_fn *fn)
{
	uint16_t cmd = PCI_COMMAND_INTX_DISABLE;

	if (!fn)
		return;
	if (fn->registered)
		pci_dev_unregister(vmm_vm_pci(fn->vm), &fn->pci);
	/* No more DMA before guest RAM leaves the IOMMU, no more interrupts. */
	fn->ops->cfg_rw(fn->dev, PCI_COMMAND, &cmd, 2, true);
	mutex_lock(&fn->lock);
	if (fn->msix_on)
		fn->ops->set_msix(fn->dev, NULL, 0);
	fn->msix_on = false;
	mutex_unlock(&fn->lock);
	msix_fini(&fn->msix);
	fn_unmap_bars(fn);
	if (fn->ops->reset(fn->dev) == 0)
		LOG_INFO("vfio", "%s: reset on the way out", fn->name);
	mutex_destroy(&fn->lock);
	free(fn);
}

unsigned int vfio_fn_vectors(const struct vfio_fn *fn)
{
	return fn->nvec;
}

unsigned int vfio_fn_slot(const struct vfio_fn *fn)
{
	return fn->pci.slot;
}
