/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * smp.c - AP bring-up (see smp.h).
 *
 * The sequence is the MP spec's (appendix B.4): INIT to every AP, 10 ms,
 * a startup IPI, 200 us, a second one (ignored by an AP already running).
 * APs start in parallel; they need no per-AP setup from the BSP because each
 * takes a CPU slot with its stacks on arrival (ap_trampoline.S).  Under the
 * build machine's nested KVM an AP's ring-0 start is interpreted: it takes
 * milliseconds, hence the generous default timeout.
 */
#include <stdatomic.h>

#include "apic.h"
#include "cpu.h"
#include "fw.h"
#include "lib.h"
#include "mm.h"
#include "smp.h"
#include "svc.h"
#include "tsc.h"
#include "uart.h"

#define INIT_DELAY_US 10000
#define SIPI_DELAY_US 200

extern const char ap_trampoline_start[], ap_trampoline_end[];

/*
 * APs that reported.  An AP increments it (release) only after its console
 * line is out, and the BSP reads it with acquire (smp_wait()), so the BSP's
 * summary line always follows every AP's line.
 */
static atomic_uint smp_online;
/* Per fw_cpus index: reported already (an AP started twice reports once). */
static atomic_bool smp_seen[GUEST_MAX_CPUS];
/* What APs run after reporting; set before the first INIT. */
static _Atomic(smp_work_fn) smp_work;

void smp_ap_main(uint64_t slot)
{
	uint32_t apic = apic_id_self();
	int cpu = fw_cpu_index(apic);
	smp_work_fn work;

	if (cpu < 0) {
		con_log("apic %u (slot %lu) is not in the firmware table: parked\n", apic, slot);
		svc_halt();
	}
	if (atomic_exchange(&smp_seen[cpu], true))
		svc_halt();
	con_log("cpu %d apic %u online\n", cpu, apic);
	atomic_fetch_add_explicit(&smp_online, 1, memory_order_release);
	work = atomic_load(&smp_work);
	if (work)
		work((unsigned int)cpu);
	svc_halt();
}

/* Copies the trampoline to a page below 1 MiB; returns its page number. */
static int smp_place_trampoline(uint8_t *page_nr)
{
	size_t len = (size_t)(ap_trampoline_end - ap_trampoline_start);
	void *page = mm_alloc_low_page();

	if (!page || len > PAGE_SIZE)
		return -ENOMEM;
	memcpy(page, ap_trampoline_start, len);
	*page_nr = (uint8_t)((uintptr_t)page >> 12);
	return 0;
}

/* Sends one kind of IPI to every AP; returns the first error, if any. */
static int smp_send_all(uint32_t bsp, int (*send)(uint32_t id, uint8_t page), uint8_t page)
{
	int rc = 0;

	for (unsigned int i = 0; i < fw_cpus.count; i++) {
		if (fw_cpus.apic_ids[i] == bsp)
			continue;
		int err = send(fw_cpus.apic_ids[i], page);

		if (err && !rc) {
			con_log("IPI to apic %u failed: %d\n", fw_cpus.apic_ids[i], err);
			rc = err;
		}
	}
	return rc;
}

static int smp_send_init(uint32_t id, uint8_t page)
{
	(void)page;
	return apic_send_init(id);
}

/* Waits for @want reports or the deadline; returns the count reached. */
static unsigned int smp_wait(unsigned int want, uint64_t deadline)
{
	unsigned int n;

	while ((n = atomic_load_explicit(&smp_online, memory_order_acquire)) < want &&
	       !tsc_passed(deadline))
		cpu_relax();
	return n;
}

/* The MP spec's INIT, 10 ms, SIPI, 200 us, SIPI, to every AP at once. */
static int smp_wake(uint32_t bsp, uint8_t page)
{
	int rc = smp_send_all(bsp, smp_send_init, 0);

	tsc_delay_us(INIT_DELAY_US);
	rc = rc ? rc : smp_send_all(bsp, apic_send_sipi, page);
	tsc_delay_us(SIPI_DELAY_US);
	return rc ? rc : smp_send_all(bsp, apic_send_sipi, page);
}

/* The BSP counts as online; it is in the table unless the VMM erred. */
static void smp_count_bsp(uint32_t bsp)
{
	int cpu = fw_cpu_index(bsp);

	atomic_store(&smp_online, cpu >= 0 ? 1 : 0);
	if (cpu >= 0)
		atomic_store(&smp_seen[cpu], true);
}

int smp_boot_aps(uint64_t timeout_ms, smp_work_fn work, struct smp_result *res)
{
	uint32_t bsp = apic_id_self();
	uint64_t start, deadline;
	uint8_t page = 0;
	int rc;

	*res = (struct smp_result){ .cpus = fw_cpus.count, .online = 1 };
	if (fw_cpus.count <= 1)
		return 0;
	rc = apic_init();
	if (!rc)
		rc = smp_place_trampoline(&page);
	if (rc)
		return rc;
	atomic_store(&smp_work, work);
	smp_count_bsp(bsp);
	start = rdtsc();
	deadline = tsc_deadline_us(timeout_ms * 1000);
	rc = smp_wake(bsp, page);
	res->online = smp_wait(fw_cpus.count, deadline);
	res->elapsed_us = tsc_ticks_to_us(rdtsc() - start);
	if (rc)
		return rc;
	return res->online == fw_cpus.count ? 0 : -ETIMEDOUT;
}
