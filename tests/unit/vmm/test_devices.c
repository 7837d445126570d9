/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_devices.c - unit tests for vmm/'s dispatch layer and devices: iotrap
 * ranges (overlap, overflow, concurrent moves), the 16550A, the PCI host
 * bridge (config mechanism #1, BAR sizing and moves, write masks,
 * capabilities, the 0xcf9 reset) and the legacy ports.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "test_vmm.h"
#include "vmm/iotrap.h"
#include "vmm/legacy.h"
#include "vmm/pci.h"
#include "vmm/serial.h"

struct hits {
	int n;
	uint64_t off;
	uint32_t len;
	bool write;
};

static void count_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct hits *h = opaque;

	h->n++;
	h->off = off;
	h->len = len;
	h->write = is_write;
	if (!is_write)
		memset(data, 0x5a, len);
}

static void test_iotrap_ranges(void)
{
	struct iotrap_bus bus;
	struct hits a = { 0 }, b = { 0 };
	uint8_t d[8];

	CU_ASSERT_EQUAL_FATAL(iotrap_bus_init(&bus, "test"), 0);
	CU_ASSERT_EQUAL(iotrap_register(&bus, 0x1000, 0x100, count_io, &a), 0);
	CU_ASSERT_EQUAL(iotrap_register(&bus, 0x2000, 0x10, count_io, &b), 0);
	CU_ASSERT_EQUAL(iotrap_register(&bus, 0x10ff, 2, count_io, &b), -EEXIST);
	CU_ASSERT_EQUAL(iotrap_register(&bus, 0xff0, 0x11, count_io, &b), -EEXIST);
	CU_ASSERT_EQUAL(iotrap_register(&bus, 0x5000, 0, count_io, &b), -EINVAL);
	CU_ASSERT_EQUAL(iotrap_register(&bus, UINT64_MAX - 4, 16, count_io, &b), -EINVAL);
	CU_ASSERT(iotrap_dispatch(&bus, 0x1010, d, 4, false));
	CU_ASSERT_EQUAL(a.n, 1);
	CU_ASSERT_EQUAL(a.off, 0x10);
	CU_ASSERT_EQUAL(d[0], 0x5a);
	CU_ASSERT(iotrap_dispatch(&bus, 0x200c, d, 4, true));
	CU_ASSERT_EQUAL(b.off, 0xc);
	CU_ASSERT(b.write);
	/* Straddling the end of a range, falling in a gap, wrapping: no handler. */
	CU_ASSERT_FALSE(iotrap_dispatch(&bus, 0x10fe, d, 4, false));
	CU_ASSERT_FALSE(iotrap_dispatch(&bus, 0x1800, d, 1, false));
	CU_ASSERT_FALSE(iotrap_dispatch(&bus, UINT64_MAX - 1, d, 4, false));
	CU_ASSERT_EQUAL(a.n, 1);
	CU_ASSERT_EQUAL(iotrap_unregister(&bus, 0x1000), 0);
	CU_ASSERT_EQUAL(iotrap_unregister(&bus, 0x1000), -ENOENT);
	CU_ASSERT_FALSE(iotrap_dispatch(&bus, 0x1010, d, 4, false));
	iotrap_bus_fini(&bus);
}

static void test_iotrap_many(void)
{
	static struct hits h[200];
	struct iotrap_bus bus;
	uint8_t d[2];

	iotrap_bus_init(&bus, "test");
	/* Registered out of order; lookups must still find each one. */
	for (int i = 0; i < 200; i++) {
		int k = (i * 37) % 200;

		CU_ASSERT_EQUAL(iotrap_register(&bus, 0x10000 + (uint64_t)k * 0x100, 0x80, count_io,
						&h[k]),
				0);
	}
	for (int k = 0; k < 200; k++) {
		CU_ASSERT(iotrap_dispatch(&bus, 0x10000 + (uint64_t)k * 0x100 + 0x7e, d, 2, true));
		CU_ASSERT_FALSE(
			iotrap_dispatch(&bus, 0x10000 + (uint64_t)k * 0x100 + 0x80, d, 1, true));
		CU_ASSERT_EQUAL(h[k].n, 1);
	}
	iotrap_bus_fini(&bus);
}

struct mover {
	struct iotrap_bus *bus;
	atomic_bool stop;
	atomic_long dispatched;
};

static void slow_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	(void)opaque;
	(void)off;
	(void)is_write;
	memset(data, 1, len);
	usleep(10); /* widen the window in which a move races the handler */
}

static void *dispatch_loop(void *arg)
{
	struct mover *m = arg;
	uint8_t d[4];

	while (!atomic_load(&m->stop))
		if (iotrap_dispatch(m->bus, 0x3000, d, 4, false))
			atomic_fetch_add(&m->dispatched, 1);
	return NULL;
}

/* A BAR moving while a vCPU is in its handler: no crash, no use-after-free. */
static void test_iotrap_concurrent_move(void)
{
	struct iotrap_bus bus;
	struct mover m = { .bus = &bus };
	pthread_t t;
	long failures = 0, moves = 0, seen;
	time_t end = time(NULL) + 120;

	iotrap_bus_init(&bus, "test");
	iotrap_register(&bus, 0x3000, 0x10, slow_io, NULL);
	pthread_create(&t, NULL, dispatch_loop, &m);
	/*
	 * 500 moves, each after the other thread has been through the handler
	 * again, so the two interleave however loaded the machine is (a loop
	 * that only moved could starve the dispatcher under ASan beside the
	 * suite).  The time bound only keeps a broken build from hanging.
	 */
	for (; moves < 500 && time(NULL) < end; moves++) {
		seen = atomic_load(&m.dispatched);
		failures += iotrap_unregister(&bus, 0x3000) != 0;
		failures += iotrap_register(&bus, 0x3000, 0x10, slow_io, NULL) != 0;
		while (atomic_load(&m.dispatched) == seen && time(NULL) < end)
			sched_yield();
	}
	atomic_store(&m.stop, true);
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(failures, 0);
	CU_ASSERT_EQUAL(moves, 500);
	CU_ASSERT(atomic_load(&m.dispatched) >= 500);
	iotrap_bus_fini(&bus);
}

static int irq_level = -1;

static void record_irq(void *opaque, int level)
{
	(void)opaque;
	irq_level = level;
}

static uint8_t uart_rd(struct serial *s, unsigned int reg)
{
	uint8_t v = 0;

	serial_io(s, reg, &v, 1, false);
	return v;
}

static void uart_wr(struct serial *s, unsigned int reg, uint8_t v)
{
	serial_io(s, reg, &v, 1, true);
}

static void test_serial(void)
{
	struct serial s;
	int p[2];
	char out[8] = { 0 };

	CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
	serial_init(&s, p[1], -1, record_irq, NULL);
	uart_wr(&s, 0, 'h');
	uart_wr(&s, 0, 'i');
	CU_ASSERT_EQUAL(read(p[0], out, sizeof(out)), 2);
	CU_ASSERT_STRING_EQUAL(out, "hi");
	CU_ASSERT(uart_rd(&s, 5) & 0x60); /* THRE | TEMT */
	/* Linux's autoconfig: loopback with RTS|OUT2 reads back CTS|DCD. */
	uart_wr(&s, 4, 0x1a);
	CU_ASSERT_EQUAL(uart_rd(&s, 6) & 0xf0, 0x90);
	uart_wr(&s, 4, 0x08); /* OUT2: the interrupt gate */
	/* Scratch and divisor latch. */
	uart_wr(&s, 7, 0xa5);
	CU_ASSERT_EQUAL(uart_rd(&s, 7), 0xa5);
	uart_wr(&s, 3, 0x80);
	uart_wr(&s, 0, 0x01);
	CU_ASSERT_EQUAL(uart_rd(&s, 0), 0x01);
	uart_wr(&s, 3, 0x03);
	/* THR-empty interrupt: raised on enable, acknowledged by reading IIR. */
	uart_wr(&s, 1, 0x02);
	CU_ASSERT_EQUAL(irq_level, 1);
	CU_ASSERT_EQUAL(uart_rd(&s, 2) & 0x0f, 0x02);
	CU_ASSERT_EQUAL(uart_rd(&s, 2) & 0x0f, 0x01);
	CU_ASSERT_EQUAL(irq_level, 0);
	/* Received data: DR, RDI interrupt, FIFO order, overrun beyond the FIFO. */
	uart_wr(&s, 1, 0x01);
	CU_ASSERT_EQUAL(serial_input(&s, (const uint8_t *)"ok", 2), 2);
	CU_ASSERT_EQUAL(irq_level, 1);
	CU_ASSERT_EQUAL(uart_rd(&s, 2) & 0x0f, 0x04);
	CU_ASSERT_EQUAL(uart_rd(&s, 0), 'o');
	CU_ASSERT_EQUAL(uart_rd(&s, 0), 'k');
	CU_ASSERT_EQUAL(uart_rd(&s, 5) & 0x01, 0);
	CU_ASSERT_EQUAL(irq_level, 0);
	CU_ASSERT_EQUAL(serial_rx_room(&s), SERIAL_FIFO_LEN);
	serial_fini(&s);
	close(p[0]);
	close(p[1]);
}

/* ---- PCI ---- */

struct fake_dev {
	struct pci_dev pci;
	int maps, unmaps;
	uint64_t mapped_at;
	uint32_t cap_writes;
};

static int fake_bar_map(struct pci_dev *dev, unsigned int bar, uint64_t addr)
{
	struct fake_dev *f = container_of(dev, struct fake_dev, pci);

	(void)bar;
	f->maps++;
	f->mapped_at = addr;
	return 0;
}

static void fake_bar_unmap(struct pci_dev *dev, unsigned int bar, uint64_t addr)
{
	struct fake_dev *f = container_of(dev, struct fake_dev, pci);

	(void)bar;
	(void)addr;
	f->unmaps++;
}

static void fake_cfg_written(struct pci_dev *dev, uint32_t off, uint32_t len)
{
	(void)off;
	(void)len;
	container_of(dev, struct fake_dev, pci)->cap_writes++;
}

static const struct pci_dev_ops fake_ops = { fake_bar_map, fake_bar_unmap, fake_cfg_written };

static uint32_t cfg_rd(struct pci_bus *bus, uint8_t slot, uint32_t off, uint32_t len)
{
	uint32_t v = 0;

	pci_cfg_access(bus, slot, 0, off, (uint8_t *)&v, len, false);
	return v;
}

static void cfg_wr(struct pci_bus *bus, uint8_t slot, uint32_t off, uint32_t v, uint32_t len)
{
	pci_cfg_access(bus, slot, 0, off, (uint8_t *)&v, len, true);
}

static int resets;

static void count_reset(void *opaque)
{
	(void)opaque;
	resets++;
}

static void test_pci(void)
{
	struct iotrap_bus pio;
	struct pci_bus bus;
	struct fake_dev f = { 0 };
	uint8_t cap[4] = { 0x09, 0, 0x11, 0x22 }, mask[4] = { 0, 0, 0xff, 0 };
	uint32_t v;
	uint8_t b = 0x06;
	int off;

	iotrap_bus_init(&pio, "pio");
	CU_ASSERT_EQUAL_FATAL(pci_bus_init(&bus, &pio, count_reset, NULL), 0);
	pci_dev_init(&f.pci, "fake", 0x1af4, 0x1041, 0x020000, 0x1af4, 1);
	f.pci.ops = &fake_ops;
	CU_ASSERT_EQUAL(pci_dev_add_bar(&f.pci, 0, 4096, PCI_BASE_ADDRESS_MEM_TYPE_64), 0);
	CU_ASSERT_EQUAL(pci_dev_add_bar(&f.pci, 2, 100, 0), -EINVAL); /* not a power of 2 */
	off = pci_dev_add_cap(&f.pci, cap, mask, sizeof(cap));
	CU_ASSERT_EQUAL(off, PCI_CAP_START);
	CU_ASSERT_EQUAL_FATAL(pci_dev_register(&bus, &f.pci), 0);
	CU_ASSERT_EQUAL(f.pci.slot, 1);
	CU_ASSERT_EQUAL(f.maps, 1);
	CU_ASSERT_EQUAL(f.mapped_at, 0xc0000000);
	/* Host bridge in slot 0; empty slots and other functions read all-ones. */
	CU_ASSERT_EQUAL(cfg_rd(&bus, 0, 0x08, 4) >> 8, 0x060000);
	CU_ASSERT_EQUAL(cfg_rd(&bus, 5, 0, 4), 0xffffffff);
	CU_ASSERT_EQUAL(cfg_rd(&bus, 1, 0, 4), 0x10411af4);
	CU_ASSERT_EQUAL(cfg_rd(&bus, 1, PCI_CAPABILITY_LIST, 1), PCI_CAP_START);
	CU_ASSERT(cfg_rd(&bus, 1, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	/* Read-only identity; masked capability bytes. */
	cfg_wr(&bus, 1, 0, 0xdeadbeef, 4);
	CU_ASSERT_EQUAL(cfg_rd(&bus, 1, 0, 4), 0x10411af4);
	cfg_wr(&bus, 1, PCI_CAP_START, 0xffffffff, 4);
	CU_ASSERT_EQUAL(cfg_rd(&bus, 1, PCI_CAP_START, 4), 0x22ff0009);
	CU_ASSERT_EQUAL(f.cap_writes, 1);
	/* Unaligned config access is refused. */
	CU_ASSERT_EQUAL(cfg_rd(&bus, 1, 1, 2), 0xffff);
	/* Sizing with decode off, as Linux does, then a move. */
	cfg_wr(&bus, 1, PCI_COMMAND, 0, 2);
	CU_ASSERT_EQUAL(f.unmaps, 1);
	cfg_wr(&bus, 1, PCI_BASE_ADDRESS_0, 0xffffffff, 4);
	cfg_wr(&bus, 1, PCI_BASE_ADDRESS_0 + 4, 0xffffffff, 4);
	v = cfg_rd(&bus, 1, PCI_BASE_ADDRESS_0, 4);
	CU_ASSERT_EQUAL(v, 0xfffff004);
	CU_ASSERT_EQUAL(cfg_rd(&bus, 1, PCI_BASE_ADDRESS_0 + 4, 4), 0xffffffff);
	cfg_wr(&bus, 1, PCI_BASE_ADDRESS_0, 0xd0000000, 4);
	cfg_wr(&bus, 1, PCI_BASE_ADDRESS_0 + 4, 0, 4);
	CU_ASSERT_EQUAL(f.maps, 1);
	cfg_wr(&bus, 1, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	CU_ASSERT_EQUAL(f.maps, 2);
	CU_ASSERT_EQUAL(f.mapped_at, 0xd0000000);
	/* The reset control register shares the config-address dword. */
	CU_ASSERT(iotrap_dispatch(&pio, 0xcf9, &b, 1, true));
	CU_ASSERT_EQUAL(resets, 1);
	v = 0x80000800; /* bus 0, slot 1, register 0 through the ports */
	CU_ASSERT(iotrap_dispatch(&pio, 0xcf8, (uint8_t *)&v, 4, true));
	CU_ASSERT(iotrap_dispatch(&pio, 0xcfc, (uint8_t *)&v, 4, false));
	CU_ASSERT_EQUAL(v, 0x10411af4);
	pci_dev_unregister(&bus, &f.pci);
	CU_ASSERT_EQUAL(f.unmaps, 2);
	pci_bus_fini(&bus);
	iotrap_bus_fini(&pio);
}

struct stop_record {
	int calls;
	enum legacy_stop why;
	int status;
};

static void record_stop(void *opaque, enum legacy_stop why, int status)
{
	struct stop_record *r = opaque;

	r->calls++;
	r->why = why;
	r->status = status;
}

static void test_legacy(void)
{
	struct iotrap_bus pio;
	struct legacy_devs d;
	struct stop_record rec = { 0 };
	uint8_t v = 42, sec;

	iotrap_bus_init(&pio, "pio");
	CU_ASSERT_EQUAL_FATAL(legacy_init(&d, &pio, true, record_stop, NULL, &rec), 0);
	CU_ASSERT(iotrap_dispatch(&pio, LEGACY_DEBUG_EXIT_PORT, &v, 1, true));
	CU_ASSERT_EQUAL(rec.why, LEGACY_STOP_DEBUG_EXIT);
	CU_ASSERT_EQUAL(rec.status, 42);
	v = 0xfe;
	CU_ASSERT(iotrap_dispatch(&pio, 0x64, &v, 1, true));
	CU_ASSERT_EQUAL(rec.why, LEGACY_STOP_RESET);
	CU_ASSERT_EQUAL(rec.calls, 2);
	/* RTC: BCD seconds, never "update in progress", battery good. */
	sec = legacy_cmos_read(&d, 0x00);
	CU_ASSERT((sec & 0x0f) <= 9 && (sec >> 4) <= 5);
	CU_ASSERT_EQUAL(legacy_cmos_read(&d, 0x0a) & 0x80, 0);
	CU_ASSERT_EQUAL(legacy_cmos_read(&d, 0x0d), 0x80);
	legacy_fini(&d, &pio);
	/* Without debug_exit the port is not claimed. */
	CU_ASSERT_EQUAL_FATAL(legacy_init(&d, &pio, false, record_stop, NULL, &rec), 0);
	CU_ASSERT_FALSE(iotrap_dispatch(&pio, LEGACY_DEBUG_EXIT_PORT, &v, 1, true));
	legacy_fini(&d, &pio);
	iotrap_bus_fini(&pio);
}

/* util/compiler.h: MIN/MAX read each argument once (a guest-written index must be). */
static void test_minmax_once(void)
{
	unsigned int reads = 0, v = 7;

	CU_ASSERT_EQUAL(MIN((reads++, v), 9u), 7u);
	CU_ASSERT_EQUAL(reads, 1);
	CU_ASSERT_EQUAL(MAX(3u, MIN((reads++, v), 5u)), 5u);
	CU_ASSERT_EQUAL(reads, 2);
}

static CU_TestInfo device_tests[] = {
	{ "MIN/MAX evaluate once", test_minmax_once },
	{ "iotrap ranges", test_iotrap_ranges },
	{ "iotrap many ranges", test_iotrap_many },
	{ "iotrap move during dispatch", test_iotrap_concurrent_move },
	{ "16550A UART", test_serial },
	{ "PCI host bridge", test_pci },
	{ "legacy ports", test_legacy },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo vmm_devices_suite = { "vmm devices", NULL, NULL, NULL, NULL, device_tests };
