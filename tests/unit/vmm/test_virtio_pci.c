/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_virtio_pci.c - the virtio-pci transport against a driver played by
 * this test, on a real KVM VM whose vCPUs never run: config space through
 * pci_cfg_access(), the BAR through the MMIO dispatch layer, rings written
 * straight into guest RAM.  It covers discovery, feature negotiation (and
 * refusal), queue setup, data through the real virtio-net device, MSI-X
 * masking with the pending bit, hostile ring addresses (DEVICE_NEEDS_RESET),
 * BAR relocation and the PCI_CFG access window.
 *
 * Needs /dev/kvm and the test guest (as the VM's kernel); exits 77 with the
 * reason only when /dev/kvm is absent.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <rte_mbuf.h>

#include "fake_guest.h"
#include "harness.h"
#include "vhost/net.h"
#include "vmm/iotrap.h"
#include "vmm/mem.h"
#include "vmm/msix.h"
#include "vmm/pci.h"
#include "vmm/virtio_pci.h"
#include "vmm/vmm.h"

#define SLOT 1
#define QSIZE 64
#define RING_GPA 0x200000ull /* rings of queue q at RING_GPA + q * 0x10000 */
#define BUF_GPA 0x400000ull
#define ST_ACK 1
#define ST_DRIVER 2
#define ST_DRIVER_OK 4
#define ST_FEATURES_OK 8
#define ST_NEEDS_RESET 64

static const char *guest_path;
static struct rte_mempool *pool;
static struct vmm_vm *vm;
static struct vnet_dev *dev;
static struct virtio_pci *vp;
static uint64_t bar; /* BAR 0 as the test last programmed it */
static uint8_t cap_common, cap_device, cap_notify, cap_cfg, cap_msix;

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

static uint64_t mmio_rd(uint64_t off, uint32_t len)
{
	uint64_t v = 0;

	CU_ASSERT(iotrap_dispatch(vmm_vm_mmio(vm), bar + off, (uint8_t *)&v, len, false));
	return v;
}

static void mmio_wr(uint64_t off, uint64_t v, uint32_t len)
{
	CU_ASSERT(iotrap_dispatch(vmm_vm_mmio(vm), bar + off, (uint8_t *)&v, len, true));
}

/* Offset in BAR 0 of the virtio structure a capability points at. */
static uint64_t cap_off(uint8_t cap)
{
	return cfg_rd(cap + 8, 4);
}

#define COMMON(field) (cap_off(cap_common) + (field))

static void find_caps(void)
{
	for (uint8_t c = (uint8_t)cfg_rd(PCI_CAPABILITY_LIST, 1); c;
	     c = (uint8_t)cfg_rd(c + 1, 1)) {
		if (cfg_rd(c, 1) == 0x11) {
			cap_msix = c;
			continue;
		}
		switch (cfg_rd(c + 3, 1)) {
		case 1:
			cap_common = c;
			break;
		case 2:
			cap_notify = c;
			break;
		case 4:
			cap_device = c;
			break;
		case 5:
			cap_cfg = c;
			break;
		}
	}
}

static int suite_init(void)
{
	struct vnet_params p = { .name = "t0", .mac = { 0x52, 0x54, 0, 0, 0, 0x42 } };
	struct vmm_opts o = { .name = "t",
			      .mem_size = 64ull << 20,
			      .vcpus = 1,
			      .kernel = guest_path,
			      .console_fd = -1,
			      .console_in_fd = -1 };

	pool = fg_dpdk_init("test_virtio_pci", 1024, 0);
	vm = vmm_vm_create(&o, NULL);
	dev = vnet_create(&p);
	if (!pool || !vm || !dev)
		return 1;
	vp = virtio_pci_create(vm, vnet_virtio_dev(dev), "t0");
	if (!vp)
		return 1;
	bar = cfg_rd(PCI_BASE_ADDRESS_0, 4) & ~0xfull;
	find_caps();
	return 0;
}

static int suite_fini(void)
{
	virtio_pci_destroy(vp);
	vnet_destroy(dev);
	vmm_vm_destroy(vm);
	fg_dpdk_fini(pool);
	return 0;
}

static void test_discovery(void)
{
	CU_ASSERT_EQUAL(cfg_rd(PCI_VENDOR_ID, 4), 0x10411af4);
	CU_ASSERT_EQUAL(cfg_rd(PCI_REVISION_ID, 1), 1);
	CU_ASSERT_EQUAL(cfg_rd(PCI_REVISION_ID, 4) >> 8, 0x020000); /* network controller */
	CU_ASSERT_EQUAL(cfg_rd(PCI_REVISION_ID + 1, 4), 0xffffffff); /* unaligned: refused */
	CU_ASSERT_EQUAL(cfg_rd(PCI_BASE_ADDRESS_0, 4) & 0xf, PCI_BASE_ADDRESS_MEM_TYPE_64);
	CU_ASSERT(bar >= 0xc0000000ull);
	CU_ASSERT(cap_common && cap_notify && cap_device && cap_cfg && cap_msix);
	CU_ASSERT_EQUAL(cfg_rd(cap_notify + 16, 4), 4); /* notify_off_multiplier */
	CU_ASSERT_EQUAL((cfg_rd(cap_msix + 2, 2) & 0x7ff) + 1, 3); /* 2 queues + config */
	CU_ASSERT_EQUAL(mmio_rd(COMMON(0x12), 2), 2); /* num_queues */
	CU_ASSERT_EQUAL(mmio_rd(cap_off(cap_device) + 5, 1), 0x42); /* MAC, last byte */
}

static uint64_t device_features(void)
{
	mmio_wr(COMMON(0x00), 0, 4);
	uint64_t lo = mmio_rd(COMMON(0x04), 4);
	mmio_wr(COMMON(0x00), 1, 4);
	return lo | mmio_rd(COMMON(0x04), 4) << 32;
}

static uint8_t negotiate(uint64_t features)
{
	mmio_wr(COMMON(0x14), 0, 1); /* reset */
	mmio_wr(COMMON(0x14), ST_ACK | ST_DRIVER, 1);
	mmio_wr(COMMON(0x08), 0, 4);
	mmio_wr(COMMON(0x0c), (uint32_t)features, 4);
	mmio_wr(COMMON(0x08), 1, 4);
	mmio_wr(COMMON(0x0c), (uint32_t)(features >> 32), 4);
	mmio_wr(COMMON(0x14), ST_ACK | ST_DRIVER | ST_FEATURES_OK, 1);
	return (uint8_t)mmio_rd(COMMON(0x14), 1);
}

static void test_features(void)
{
	uint64_t f = device_features();
	uint64_t want = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_NET_F_MAC);

	/* CU_ASSERT takes an int: compare 64-bit masks explicitly. */
	CU_ASSERT((f & (1ull << VIRTIO_F_VERSION_1)) != 0);
	CU_ASSERT((f & (1ull << VIRTIO_NET_F_MAC)) != 0);
	CU_ASSERT((f & (1ull << 38)) == 0); /* NOTIFICATION_DATA: not implemented */
	CU_ASSERT_FALSE(negotiate(want | (1ull << 38)) & ST_FEATURES_OK); /* not offered */
	CU_ASSERT_FALSE(negotiate(1ull << VIRTIO_NET_F_MAC) & ST_FEATURES_OK); /* no VERSION_1 */
	CU_ASSERT(negotiate(want) & ST_FEATURES_OK);
}

static void setup_queue(uint16_t q, uint16_t size, uint64_t desc, uint16_t vector)
{
	mmio_wr(COMMON(0x16), q, 2);
	CU_ASSERT_EQUAL(mmio_rd(COMMON(0x18), 2), VNET_DEFAULT_QUEUE_SIZE);
	mmio_wr(COMMON(0x18), size, 2);
	mmio_wr(COMMON(0x1a), vector, 2);
	mmio_wr(COMMON(0x20), desc, 8);
	mmio_wr(COMMON(0x28), desc + 16ull * size, 8);
	mmio_wr(COMMON(0x30), desc + 0x8000, 8);
	mmio_wr(COMMON(0x1c), 1, 2);
}

/* Reset, negotiate and start both queues with the given descriptor table of queue 1. */
static uint8_t bring_up(uint64_t tx_desc, uint16_t tx_size)
{
	CU_ASSERT(negotiate((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_NET_F_MAC)) &
		  ST_FEATURES_OK);
	memset(vmm_mem_ptr(vmm_vm_mem(vm), RING_GPA, 0x20000), 0, 0x20000);
	setup_queue(0, QSIZE, RING_GPA, 0);
	setup_queue(1, tx_size, tx_desc, 1);
	mmio_wr(COMMON(0x14), ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK, 1);
	return (uint8_t)mmio_rd(COMMON(0x14), 1);
}

static void *gpa(uint64_t a)
{
	return vmm_mem_ptr(vmm_vm_mem(vm), a, 1);
}

static void test_vector_validation(void)
{
	negotiate((1ull << VIRTIO_F_VERSION_1));
	mmio_wr(COMMON(0x16), 0, 2);
	mmio_wr(COMMON(0x1a), 99, 2);
	CU_ASSERT_EQUAL(mmio_rd(COMMON(0x1a), 2), MSIX_NO_VECTOR);
	mmio_wr(COMMON(0x1a), 2, 2);
	CU_ASSERT_EQUAL(mmio_rd(COMMON(0x1a), 2), 2);
	mmio_wr(COMMON(0x16), 7, 2); /* no such queue: size reads 0 */
	CU_ASSERT_EQUAL(mmio_rd(COMMON(0x18), 2), 0);
}

/* One 64-byte frame from the guest, one back to it, through the real device. */
static void test_datapath(void)
{
	struct vring_desc *td = gpa(RING_GPA + 0x10000), *rd = gpa(RING_GPA);
	struct vring_avail *ta = gpa(RING_GPA + 0x10000 + 16 * QSIZE),
			   *ra = gpa(RING_GPA + 16 * QSIZE);
	struct vring_used *ru = gpa(RING_GPA + 0x8000);
	uint8_t *frame = gpa(BUF_GPA);
	struct rte_mbuf *m[4];
	uint16_t n;

	CU_ASSERT_EQUAL(bring_up(RING_GPA + 0x10000, QSIZE) & (ST_DRIVER_OK | ST_NEEDS_RESET),
			ST_DRIVER_OK);
	memset(frame, 0, 12); /* virtio_net_hdr */
	for (int i = 12; i < 12 + 64; i++)
		frame[i] = (uint8_t)i;
	td[0] = (struct vring_desc){ BUF_GPA, 12 + 64, 0, 0 };
	ta->ring[0] = 0;
	__atomic_store_n(&ta->idx, 1, __ATOMIC_RELEASE);
	n = vnet_dequeue_burst(dev, 0, pool, m, 4);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(m[0]), 64);
	CU_ASSERT_EQUAL(memcmp(rte_pktmbuf_mtod(m[0], uint8_t *), frame + 12, 64), 0);
	/* Back to the guest's receive queue. */
	rd[0] = (struct vring_desc){ BUF_GPA + 0x1000, 2048, 2 /* WRITE */, 0 };
	ra->ring[0] = 0;
	__atomic_store_n(&ra->idx, 1, __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL(vnet_enqueue_burst(dev, 0, m, 1), 1);
	rte_pktmbuf_free(m[0]);
	CU_ASSERT_EQUAL(__atomic_load_n(&ru->idx, __ATOMIC_ACQUIRE), 1);
	CU_ASSERT_EQUAL(ru->ring[0].len, 12 + 64);
	CU_ASSERT_EQUAL(memcmp((uint8_t *)gpa(BUF_GPA + 0x1000) + 12, frame + 12, 64), 0);
}

static bool pba_pending(unsigned int vec)
{
	return (mmio_rd(cfg_rd(cap_msix + 8, 4) + vec / 8, 1) >> (vec % 8)) & 1;
}

static bool fd_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

/* Post receive buffer @i and deliver one frame into it (queue 0 signals vector 0). */
static void guest_rx_one(uint16_t i)
{
	struct vring_desc *rd = gpa(RING_GPA);
	struct vring_avail *ra = gpa(RING_GPA + 16 * QSIZE);
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	memset(rte_pktmbuf_append(m, 60), 0xab, 60);
	rd[i] = (struct vring_desc){ BUF_GPA + 0x1000 + 0x800ull * i, 2048, 2 /* WRITE */, 0 };
	ra->ring[i % QSIZE] = i;
	__atomic_store_n(&ra->idx, (uint16_t)(i + 1), __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL(vnet_enqueue_burst(dev, 0, &m, 1), 1);
	rte_pktmbuf_free(m);
}

static bool wait_not_pending(unsigned int vec)
{
	/* KVM drains an attached irqfd asynchronously (a workqueue): allow it time. */
	for (int i = 0; i < 1000 && pba_pending(vec); i++)
		usleep(1000);
	return !pba_pending(vec);
}

/* MSI-X: masked vectors keep interrupts pending; unmasking hands them to KVM. */
static void test_msix_masking(void)
{
	uint64_t table = cfg_rd(cap_msix + 4, 4);

	/* After the datapath test, queue 0's interrupt was signalled with MSI-X off. */
	CU_ASSERT(pba_pending(0));
	cfg_wr(cap_msix + 2, 0x8000, 2); /* enable MSI-X; entries start masked */
	CU_ASSERT(pba_pending(0));
	mmio_wr(table + 0, 0xfee00000, 4);
	mmio_wr(table + 4, 0, 4);
	mmio_wr(table + 8, 0x41, 4);
	CU_ASSERT_EQUAL(mmio_rd(table + 8, 4), 0x41);
	mmio_wr(table + 12, 0, 4); /* unmask: the irqfd goes live and KVM takes it */
	CU_ASSERT(wait_not_pending(0));
	/* Masked again: a new interrupt stays pending in the eventfd... */
	mmio_wr(table + 12, 1, 4);
	guest_rx_one(1);
	CU_ASSERT(pba_pending(0));
	/* ...and reaches KVM once unmasked. */
	mmio_wr(table + 12, 0, 4);
	CU_ASSERT(wait_not_pending(0));
	/* The function mask masks every vector, whatever its entry says. */
	cfg_wr(cap_msix + 2, 0xc000, 2);
	CU_ASSERT_EQUAL(cfg_rd(cap_msix + 2, 2) & 0xc000, 0xc000);
	guest_rx_one(2);
	CU_ASSERT(pba_pending(0));
	cfg_wr(cap_msix + 2, 0x8000, 2);
	CU_ASSERT(wait_not_pending(0));
	/* Vector control keeps only its mask bit; misaligned accesses are ignored. */
	mmio_wr(table + 12, 0xfffffffe, 4);
	CU_ASSERT_EQUAL(mmio_rd(table + 12, 4), 0);
	CU_ASSERT_EQUAL(mmio_rd(table + 2, 4), 0xffffffff);
}

static void test_hostile_rings(void)
{
	/* Descriptor table outside guest RAM. */
	CU_ASSERT(bring_up(0xf0000000ull, QSIZE) & ST_NEEDS_RESET);
	/* Misaligned descriptor table. */
	CU_ASSERT(bring_up(RING_GPA + 0x10008, QSIZE) & ST_NEEDS_RESET);
	/* Not a power of two. */
	CU_ASSERT(bring_up(RING_GPA + 0x10000, 48) & ST_NEEDS_RESET);
	/* Larger than the device offers. */
	CU_ASSERT(bring_up(RING_GPA + 0x10000, 1024) & ST_NEEDS_RESET);
	/* Ring ending past the last byte of RAM. */
	CU_ASSERT(bring_up((64ull << 20) - 16, QSIZE) & ST_NEEDS_RESET);
	/* And a good one still works after all that. */
	CU_ASSERT_EQUAL(bring_up(RING_GPA + 0x10000, QSIZE) & ST_NEEDS_RESET, 0);
	/* A ring the driver breaks while running: the device asks for a reset. */
	{
		struct vring_desc *td = gpa(RING_GPA + 0x10000);
		struct vring_avail *ta = gpa(RING_GPA + 0x10000 + 16 * QSIZE);
		struct rte_mbuf *m[4];

		td[0] = (struct vring_desc){ BUF_GPA, 76, 1 /* NEXT */, 0 }; /* a loop */
		ta->ring[0] = 0;
		__atomic_store_n(&ta->idx, 1, __ATOMIC_RELEASE);
		CU_ASSERT_EQUAL(vnet_dequeue_burst(dev, 0, pool, m, 4), 0);
		CU_ASSERT(mmio_rd(COMMON(0x14), 1) & ST_NEEDS_RESET);
	}
	/* Reset clears it all. */
	mmio_wr(COMMON(0x14), 0, 1);
	CU_ASSERT_EQUAL(mmio_rd(COMMON(0x14), 1), 0);
}

static void test_notify_fallback(void)
{
	int kick;

	CU_ASSERT_EQUAL(bring_up(RING_GPA + 0x10000, QSIZE) & ST_NEEDS_RESET, 0);
	kick = vnet_queue_kick_fd(dev, 1);
	CU_ASSERT_FATAL(kick >= 0);
	while (fd_readable(kick)) {
		uint64_t v;

		if (read(kick, &v, sizeof(v)) < 0)
			break;
	}
	/* A 4-byte write misses the 2-byte ioeventfd and comes to userspace. */
	mmio_wr(cap_off(cap_notify) + 4 * 1, 1, 4);
	CU_ASSERT(fd_readable(kick));
}

static void test_bar_move_and_cfg_window(void)
{
	uint64_t old = bar, probe = 0;

	cfg_wr(PCI_COMMAND, 0, 2);
	CU_ASSERT_FALSE(iotrap_dispatch(vmm_vm_mmio(vm), old, (uint8_t *)&probe, 4, false));
	cfg_wr(PCI_BASE_ADDRESS_0, 0xd0000000, 4);
	cfg_wr(PCI_BASE_ADDRESS_0 + 4, 0, 4);
	cfg_wr(PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	bar = 0xd0000000;
	CU_ASSERT_EQUAL(mmio_rd(COMMON(0x12), 2), 2);
	/* PCI_CFG window: read num_queues through config space. */
	cfg_wr(cap_cfg + 4, 0, 1); /* BAR 0 */
	cfg_wr(cap_cfg + 8, (uint32_t)COMMON(0x12), 4);
	cfg_wr(cap_cfg + 12, 2, 4);
	CU_ASSERT_EQUAL(cfg_rd(cap_cfg + 16, 2), 2);
	/* And write queue_select through it. */
	cfg_wr(cap_cfg + 8, (uint32_t)COMMON(0x16), 4);
	cfg_wr(cap_cfg + 16, 1, 2);
	CU_ASSERT_EQUAL(mmio_rd(COMMON(0x16), 2), 1);
}

/* Open descriptors of this process. */
static int open_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 4096; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

/*
 * Creation that fails part-way (here: out of descriptors before the last
 * queue's eventfd) unwinds what it made and nothing else: the queues it did
 * not reach have no fd, not fd 0, which the unwinding would close.
 */
static void test_create_fails_cleanly(void)
{
	struct vnet_params p = { .name = "t1", .mac = { 0x52, 0x54, 0, 0, 0, 0x43 } };
	struct vnet_dev *d2 = vnet_create(&p);
	struct virtio_pci *vp2 = NULL;
	struct rlimit old, lim;
	int failed = 0, base = open_fds();

	CU_ASSERT_FATAL(d2 != NULL && getrlimit(RLIMIT_NOFILE, &old) == 0);
	CU_ASSERT_FATAL(fcntl(0, F_GETFD) >= 0); /* stdin is open: its loss would show */
	for (rlim_t extra = 0; !vp2 && extra < 64; extra++) {
		lim = (struct rlimit){ .rlim_cur = (rlim_t)base + extra, .rlim_max = old.rlim_max };
		CU_ASSERT_FATAL(setrlimit(RLIMIT_NOFILE, &lim) == 0);
		vp2 = virtio_pci_create(vm, vnet_virtio_dev(d2), "t1");
		CU_ASSERT_FATAL(setrlimit(RLIMIT_NOFILE, &old) == 0);
		failed += !vp2;
		CU_ASSERT(fcntl(0, F_GETFD) >= 0);
		CU_ASSERT(vp2 || open_fds() == base);
	}
	CU_ASSERT(failed > 0 && vp2 != NULL); /* it failed at least once, then worked */
	virtio_pci_destroy(vp2);
	vnet_destroy(d2);
}

static CU_TestInfo tests[] = {
	{ "discovery and capabilities", test_discovery },
	{ "feature negotiation", test_features },
	{ "MSI-X vector validation", test_vector_validation },
	{ "frames through the device", test_datapath },
	{ "MSI-X masking and PBA", test_msix_masking },
	{ "hostile ring setup", test_hostile_rings },
	{ "notify without ioeventfd", test_notify_fallback },
	{ "BAR move and PCI_CFG window", test_bar_move_and_cfg_window },
	{ "creation failing part-way closes only its own fds", test_create_fails_cleanly },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	CU_SuiteInfo suites[] = { { "virtio-pci", suite_init, suite_fini, NULL, NULL, tests },
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
