/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eal.h - the DPDK EAL inside the ferry process.
 *
 * DPDK's EAL is per process and cannot be initialised twice, so this is the
 * one piece of process-wide state in vswitch/: a reference-counted wrapper
 * that builds the EAL argv itself (memory mode, per-instance file prefix, no
 * PCI, no telemetry), creates the packet-buffer pool and hands both to the
 * switch (vswitch.c).  Only the calling thread becomes the EAL main lcore;
 * PMD threads register themselves later (pmd.c), vCPU and control threads
 * stay non-EAL threads.
 */
#ifndef FERRY_VSWITCH_EAL_H
#define FERRY_VSWITCH_EAL_H

#include <stdbool.h>

struct rte_mempool;

#define VSW_EAL_MAX_PCI 8

enum vsw_hugepages {
	VSW_HUGE_AUTO, /* hugepages if enough are reserved and free, else anonymous memory */
	VSW_HUGE_ON, /* hugepages or fail */
	VSW_HUGE_OFF, /* --no-huge */
};

struct vsw_eal_opts {
	enum vsw_hugepages hugepages;
	unsigned int mem_mb; /* memory to reserve; 0 = sized from the mbuf count */
	unsigned int mbufs; /* packet buffers in the pool */
	unsigned int mbuf_cache; /* per-lcore cache of the pool */
	int log_level; /* DPDK log level (RTE_LOG_*), 0 = warnings and worse */
	/*
	 * PCI devices DPDK may drive (DPDK uplinks on real NICs), by address
	 * ("0000:03:00.1").  None: the EAL runs --no-pci and never touches the
	 * host's PCI devices; otherwise only these are allowed.
	 */
	const char *pci_allow[VSW_EAL_MAX_PCI];
	unsigned int n_pci;
};

void vsw_eal_opts_init(struct vsw_eal_opts *opts);

/*
 * Take a reference on the EAL, initialising it on the first call.  Later
 * calls ignore @opts.  -EALREADY after the last vsw_eal_fini(): DPDK cannot
 * bring the EAL up twice in one process.
 */
int vsw_eal_init(const struct vsw_eal_opts *opts);
/* Drop a reference; the last one frees the pool and cleans the EAL up. */
void vsw_eal_fini(void);
/* The packet-buffer pool; NULL unless initialised. */
struct rte_mempool *vsw_eal_pool(void);
/* Whether the EAL runs on hugepages. */
bool vsw_eal_hugepages(void);

#endif
