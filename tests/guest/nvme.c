/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nvme.c - mode=nvme (see nvme.h).  Queues and buffers are single pages from
 * mm.c, identity-mapped, so a pointer is also the DMA address the controller
 * is given (one PRP entry per command, never crossing a page).  Every wait is
 * bounded by the mode's timeout.
 */
#include "apic.h"
#include "irq.h"
#include "lib.h"
#include "mm.h"
#include "nvme.h"
#include "pci.h"
#include "tsc.h"
#include "uart.h"

#define NVME_CLASS 0x010802 /* mass storage, NVM, NVM Express */

/* Controller registers (NVMe 1.4, 3.1). */
#define REG_CAP 0x00
#define REG_VS 0x08
#define REG_CC 0x14
#define REG_CSTS 0x1c
#define REG_AQA 0x24
#define REG_ASQ 0x28
#define REG_ACQ 0x30
#define REG_DOORBELLS 0x1000
#define CC_EN 0x1
#define CC_IOSQES (6u << 16) /* 64-byte submission entries */
#define CC_IOCQES (4u << 20) /* 16-byte completion entries */
#define CSTS_RDY 0x1
#define CSTS_CFS 0x2
#define CC_SHN_NORMAL (1u << 14)
#define CSTS_SHST_MASK (3u << 2)
#define CSTS_SHST_DONE (2u << 2)
#define CAP_CSS_NVM (1ull << 37)

/* Commands (5.x and 6.x) and the fields used. */
#define ADM_CREATE_SQ 0x01
#define ADM_CREATE_CQ 0x05
#define ADM_IDENTIFY 0x06
#define ADM_SET_FEATURES 0x09
#define IO_WRITE 0x01
#define IO_READ 0x02
#define FEAT_NUM_QUEUES 0x07
#define CNS_NS 0
#define CNS_CTRL 1

#define QSIZE 16
#define SQE_SIZE 64
#define CQE_SIZE 16
#define IO_QID 1
#define PAGE 4096
#define BAD_DMA_ADDR 0xb0000000ull /* below the PCI hole, above any RAM this mode runs with */

struct nvme_q {
	uint8_t *sq;
	volatile uint32_t *cq; /* 4 dwords per entry */
	uint16_t id, sq_tail, cq_head;
	uint32_t phase; /* the phase tag a new entry carries */
};

struct nvme {
	struct pci_dev pci;
	uintptr_t bar;
	uint64_t bar_size;
	struct pci_msix msix;
	uint32_t stride; /* doorbell stride, bytes */
	uint64_t deadline;
	struct nvme_q admin, io;
	uint16_t cid;
	uint64_t irqs; /* completions that came with an interrupt */
	uint32_t dw0; /* the last completion's command-specific dword */
	uint32_t block_sum; /* FNV-1a of the block read back */
};

struct nvme_cmd {
	uint8_t opcode;
	uint32_t nsid;
	uint64_t prp1;
	uint32_t cdw10, cdw11, cdw12;
};

void nvme_opts_init(struct nvme_opts *o)
{
	*o = (struct nvme_opts){ .lba = 0 };
}

int nvme_parse_opt(struct nvme_opts *o, const char *key, const char *val)
{
	uint64_t v;
	int rc;

	if (!strcmp(key, "lba"))
		return parse_u64_range(val, 0, 1u << 20, &o->lba);
	if (!strcmp(key, "hold_ms"))
		return parse_u64_range(val, 0, 600000, &o->hold_ms);
	if (!strcmp(key, "bench_ms"))
		return parse_u64_range(val, 0, 600000, &o->bench_ms);
	if (strcmp(key, "bad_dma"))
		return -ENOENT;
	rc = parse_u64_range(val, 0, 1, &v);
	o->bad_dma = v;
	return rc;
}

static uint64_t reg_read64(const struct nvme *n, uint32_t off)
{
	return mmio_read32(n->bar + off) | (uint64_t)mmio_read32(n->bar + off + 4) << 32;
}

static void reg_write64(const struct nvme *n, uint32_t off, uint64_t v)
{
	mmio_write32(n->bar + off, (uint32_t)v);
	mmio_write32(n->bar + off + 4, (uint32_t)(v >> 32));
}

static int nvme_wait_ready(const struct nvme *n, bool ready)
{
	while ((mmio_read32(n->bar + REG_CSTS) & CSTS_RDY) != (uint32_t)ready) {
		if (mmio_read32(n->bar + REG_CSTS) & CSTS_CFS) {
			con_log("nvme: controller fatal status\n");
			return -EIO;
		}
		if (tsc_passed(n->deadline))
			return -ETIMEDOUT;
		tsc_delay_us(100);
	}
	return 0;
}

static int nvme_find(struct nvme *n)
{
	struct pci_dev devs[PCI_MAX_DEVS];
	unsigned int count = pci_enumerate(0, devs, PCI_MAX_DEVS);
	struct pci_bar b;

	for (unsigned int i = 0; i < count; i++) {
		if (devs[i].class_rev >> 8 != NVME_CLASS)
			continue;
		n->pci = devs[i];
		if (pci_read_bar(&n->pci, 0, true, &b) || b.io || b.size < 2 * PAGE)
			return -ENODEV;
		n->bar = pci_bar_range(&n->pci, 0, 0, (uint32_t)b.size);
		n->bar_size = b.size;
		pci_write16(&n->pci, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
		return n->bar ? 0 : -ENODEV;
	}
	con_log("nvme: no NVMe function on bus 0\n");
	return -ENODEV;
}

static void nvme_q_init(struct nvme *n, struct nvme_q *q, uint16_t id)
{
	q->sq = mm_alloc_pages(1);
	q->cq = mm_alloc_pages(1);
	memset(q->sq, 0, PAGE);
	memset((void *)q->cq, 0, PAGE);
	q->id = id;
	q->sq_tail = q->cq_head = 0;
	q->phase = 1;
	(void)n;
}

static uintptr_t sq_doorbell(const struct nvme *n, const struct nvme_q *q)
{
	return n->bar + REG_DOORBELLS + (2u * q->id) * n->stride;
}

static uintptr_t cq_doorbell(const struct nvme *n, const struct nvme_q *q)
{
	return n->bar + REG_DOORBELLS + (2u * q->id + 1) * n->stride;
}

/* Bring the controller up with the admin queue pair and MSI-X vector 0. */
static int nvme_enable(struct nvme *n)
{
	uint64_t cap = reg_read64(n, REG_CAP);
	int rc;

	n->stride = 4u << ((cap >> 32) & 0xf);
	/* Queues of QSIZE, the NVM command set, 4 KiB pages, both queues' doorbells in the BAR. */
	if ((cap & 0xffff) + 1 < QSIZE || !(cap & CAP_CSS_NVM) || ((cap >> 48) & 0xf) ||
	    REG_DOORBELLS + (2u * IO_QID + 2) * n->stride > n->bar_size) {
		con_log("nvme: CAP 0x%lx does not fit this driver\n", cap);
		return -ENODEV;
	}
	if (mmio_read32(n->bar + REG_CC) & CC_EN)
		mmio_write32(n->bar + REG_CC, 0);
	rc = nvme_wait_ready(n, false); /* RDY may lag EN either way */
	if (rc)
		return rc;
	nvme_q_init(n, &n->admin, 0);
	mmio_write32(n->bar + REG_AQA, (QSIZE - 1) | (QSIZE - 1) << 16);
	reg_write64(n, REG_ASQ, (uintptr_t)n->admin.sq);
	reg_write64(n, REG_ACQ, (uintptr_t)n->admin.cq);
	rc = pci_msix_find(&n->pci, &n->msix);
	if (!rc)
		rc = pci_msix_enable(&n->pci, &n->msix, 0, apic_id_self(), IRQ_VEC_NVME);
	if (rc) {
		con_log("nvme: no usable MSI-X (%d)\n", rc);
		return rc;
	}
	mmio_write32(n->bar + REG_CC, CC_EN | CC_IOSQES | CC_IOCQES);
	return nvme_wait_ready(n, true);
}

/* The completion of the command with @cid on @q, taken once its interrupt came. */
static int nvme_complete(struct nvme *n, struct nvme_q *q, uint16_t cid, uint64_t irqs_before,
			 uint16_t *status)
{
	volatile uint32_t *e = q->cq + q->cq_head * (CQE_SIZE / 4);

	for (;;) {
		uint64_t seen = irq_seen();
		bool posted = ((e[3] >> 16) & 1) == q->phase;
		bool irq = irq_count(IRQ_VEC_NVME) > irqs_before;

		if (posted && irq)
			break;
		if (tsc_passed(n->deadline))
			return posted ? -EIO : -ETIMEDOUT; /* -EIO: no interrupt came */
		irq_wait(seen, n->deadline);
	}
	n->irqs++;
	n->dw0 = e[0];
	*status = (uint16_t)(e[3] >> 17);
	if ((uint16_t)e[3] != cid)
		return -EIO;
	if (++q->cq_head == QSIZE) {
		q->cq_head = 0;
		q->phase ^= 1;
	}
	mmio_write32(cq_doorbell(n, q), q->cq_head);
	return 0;
}

/* Submit one command and wait for its completion: 0, -EIO (status in *@status) or -errno. */
static int nvme_exec(struct nvme *n, struct nvme_q *q, const struct nvme_cmd *c, uint16_t *status)
{
	uint32_t *s = (uint32_t *)(q->sq + q->sq_tail * SQE_SIZE);
	uint64_t before = irq_count(IRQ_VEC_NVME);
	uint16_t cid = ++n->cid;
	int rc;

	memset(s, 0, SQE_SIZE);
	s[0] = c->opcode | (uint32_t)cid << 16;
	s[1] = c->nsid;
	s[6] = (uint32_t)c->prp1;
	s[7] = (uint32_t)(c->prp1 >> 32);
	s[10] = c->cdw10;
	s[11] = c->cdw11;
	s[12] = c->cdw12;
	q->sq_tail = (uint16_t)((q->sq_tail + 1) % QSIZE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the entry before the doorbell */
	mmio_write32(sq_doorbell(n, q), q->sq_tail);
	*status = 0;
	rc = nvme_complete(n, q, cid, before, status);
	return rc ? rc : *status ? -EIO : 0;
}

static int nvme_admin(struct nvme *n, const struct nvme_cmd *c, const char *what)
{
	uint16_t status;
	int rc = nvme_exec(n, &n->admin, c, &status);

	if (rc)
		con_log("nvme: %s failed: %d status 0x%x\n", what, rc, status);
	return rc;
}

/* Copy an Identify string field, spaces to '_' and trailing ones cut, for the result line. */
static void id_string(char *out, const uint8_t *in, unsigned int len)
{
	unsigned int end = len;

	while (end && (in[end - 1] == ' ' || !in[end - 1]))
		end--;
	for (unsigned int i = 0; i < end; i++)
		out[i] = in[i] > ' ' && in[i] < 127 ? (char)in[i] : '_';
	out[end] = '\0';
}

struct nvme_info {
	char model[41];
	uint32_t nn; /* namespaces */
	uint64_t blocks;
	uint32_t lba_size;
};

static int nvme_identify(struct nvme *n, struct nvme_info *info)
{
	uint8_t *page = mm_alloc_pages(1);
	uint8_t lbads;
	int rc;

	rc = nvme_admin(n, &(struct nvme_cmd){ ADM_IDENTIFY, 0, (uintptr_t)page, CNS_CTRL },
			"identify controller");
	if (rc)
		return rc;
	id_string(info->model, page + 24, 40);
	memcpy(&info->nn, page + 516, 4);
	if (!info->nn)
		return -ENODEV;
	rc = nvme_admin(n, &(struct nvme_cmd){ ADM_IDENTIFY, 1, (uintptr_t)page, CNS_NS },
			"identify namespace 1");
	if (rc)
		return rc;
	memcpy(&info->blocks, page, 8);
	lbads = page[128 + 4 * (page[26] & 0xf) + 2];
	info->lba_size = lbads >= 9 && lbads <= 12 ? 1u << lbads : 0;
	return info->blocks && info->lba_size ? 0 : -ENODEV;
}

static int nvme_io_queues(struct nvme *n)
{
	int rc = nvme_admin(n, &(struct nvme_cmd){ ADM_SET_FEATURES, 0, 0, FEAT_NUM_QUEUES, 0 },
			    "set number of queues");

	if (rc)
		return rc;
	nvme_q_init(n, &n->io, IO_QID);
	/* The CQ on vector 0 with interrupts on, then its SQ; both physically contiguous. */
	rc = nvme_admin(n,
			&(struct nvme_cmd){ ADM_CREATE_CQ, 0, (uintptr_t)n->io.cq,
					    (QSIZE - 1) << 16 | IO_QID, 0x3 },
			"create I/O completion queue");
	if (!rc)
		rc = nvme_admin(n,
				&(struct nvme_cmd){ ADM_CREATE_SQ, 0, (uintptr_t)n->io.sq,
						    (QSIZE - 1) << 16 | IO_QID,
						    IO_QID << 16 | 0x1 },
				"create I/O submission queue");
	return rc;
}

static int nvme_rw(struct nvme *n, uint8_t op, uint64_t lba, uint64_t addr, uint16_t *status)
{
	struct nvme_cmd c = { op, 1, addr, (uint32_t)lba, (uint32_t)(lba >> 32), 0 };

	return nvme_exec(n, &n->io, &c, status);
}

/* Write a pattern to @lba, read it back into another page and compare. */
static int nvme_block(struct nvme *n, const struct nvme_info *info, uint64_t lba)
{
	uint8_t *out = mm_alloc_pages(1), *in = mm_alloc_pages(1);
	uint64_t seed = rdtsc();
	uint16_t status;
	int rc;

	if (info->lba_size > PAGE || lba >= info->blocks)
		return -EINVAL;
	for (uint32_t i = 0; i < info->lba_size; i++)
		out[i] = (uint8_t)((seed >> (i % 8)) + i * 7);
	memset(in, 0, PAGE);
	rc = nvme_rw(n, IO_WRITE, lba, (uintptr_t)out, &status);
	if (!rc)
		rc = nvme_rw(n, IO_READ, lba, (uintptr_t)in, &status);
	if (rc) {
		con_log("nvme: block %lu: %d status 0x%x\n", lba, rc, status);
		return rc;
	}
	if (memcmp(in, out, info->lba_size))
		return -EIO;
	/* FNV-1a of the block: the host finds the same in the backing image. */
	n->block_sum = 2166136261u;
	for (uint32_t i = 0; i < info->lba_size; i++)
		n->block_sum = (n->block_sum ^ in[i]) * 16777619u;
	return 0;
}

/* A read into memory the VM does not have: the IOMMU must refuse the device's write. */
static const char *nvme_bad_dma(struct nvme *n, char *buf)
{
	uint16_t status;
	int rc;

	if (mm_ram_bytes() > BAD_DMA_ADDR)
		return "too-much-ram";
	rc = nvme_rw(n, IO_READ, 0, BAD_DMA_ADDR, &status);
	if (rc && rc != -EIO)
		return "timeout";
	/*
	 * What the device reports varies (QEMU's NVMe completes it as if the write
	 * landed); the proof is the host's IOMMU fault log, which the test reads.
	 */
	snprintf(buf, 24, "status-0x%x", status);
	return buf;
}

/* Queue-depth-1 reads for @ms: what one I/O costs through the VMM's doorbell and interrupt path. */
static int nvme_bench(struct nvme *n, const struct nvme_info *info, uint64_t ms, uint64_t *reads,
		      uint64_t *us)
{
	uint8_t *buf = mm_alloc_pages(1);
	uint64_t start = rdtsc(), until = tsc_deadline_us(ms * 1000);
	uint16_t status;
	int rc = 0;

	*reads = 0;
	while (!rc && !tsc_passed(until)) {
		rc = nvme_rw(n, IO_READ, *reads % info->blocks, (uintptr_t)buf, &status);
		*reads += !rc;
	}
	*us = tsc_ticks_to_us(rdtsc() - start);
	return rc;
}

/* A normal shutdown (the controller flushes what it caches), then disable. */
static void nvme_stop(struct nvme *n)
{
	uint32_t cc = mmio_read32(n->bar + REG_CC);

	mmio_write32(n->bar + REG_CC, cc | CC_SHN_NORMAL);
	while ((mmio_read32(n->bar + REG_CSTS) & CSTS_SHST_MASK) != CSTS_SHST_DONE &&
	       !tsc_passed(n->deadline))
		tsc_delay_us(100);
	pci_msix_disable(&n->pci, &n->msix);
	mmio_write32(n->bar + REG_CC, 0);
	nvme_wait_ready(n, false);
}

int nvme_run(const struct nvme_opts *o, uint64_t timeout_ms)
{
	struct nvme n = { 0 };
	struct nvme_info info = { 0 };
	char bad_buf[24];
	const char *bad = "off", *block;
	uint64_t reads = 0, bench_us = 0;
	int rc;

	n.deadline = tsc_deadline_us(timeout_ms * 1000);
	rc = irq_init();
	if (!rc)
		rc = nvme_find(&n);
	if (!rc)
		rc = nvme_enable(&n);
	if (!rc)
		rc = nvme_identify(&n, &info);
	if (!rc)
		rc = nvme_io_queues(&n);
	if (rc) {
		con_printf(RESULT_PREFIX "mode=nvme error=%d model=%s\n", rc,
			   info.model[0] ? info.model : "?");
		return EXIT_FAIL;
	}
	rc = nvme_block(&n, &info, o->lba);
	block = rc ? "mismatch" : "ok";
	if (o->bad_dma)
		bad = nvme_bad_dma(&n, bad_buf);
	if (!rc && o->bench_ms) {
		n.deadline = tsc_deadline_us((o->bench_ms + timeout_ms) * 1000);
		if (nvme_bench(&n, &info, o->bench_ms, &reads, &bench_us))
			rc = -EIO; /* the exit says so; reads= counts those done */
	}
	if (o->hold_ms) {
		uint64_t until = tsc_deadline_us(o->hold_ms * 1000);

		con_log("nvme: holding for %lu ms\n", o->hold_ms);
		while (!tsc_passed(until))
			irq_wait(irq_seen(), until);
	}
	nvme_stop(&n);
	con_printf(RESULT_PREFIX
		   "mode=nvme id=%04x:%04x model=%s vs=0x%x namespaces=%u "
		   "blocks=%lu lba_size=%u lba=%lu block=%s sum=0x%08x irq_completions=%lu "
		   "bad_dma=%s reads=%lu read_us=%lu\n",
		   n.pci.vendor, n.pci.device, info.model, mmio_read32(n.bar + REG_VS), info.nn,
		   info.blocks, info.lba_size, o->lba, block, n.block_sum, n.irqs, bad, reads,
		   bench_us);
	return !rc && (!o->bad_dma || !strncmp(bad, "status-", 7)) ? EXIT_OK : EXIT_FAIL;
}
