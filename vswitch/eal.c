/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eal.c - brings the DPDK EAL up inside the ferry process (see eal.h).
 *
 * The argv is built here, never taken from the user, so the EAL always runs
 * the same way: --in-memory (--no-shconf without hugepages; either way no
 * files in /var/run, several ferry processes side by side), a per-instance
 * --file-prefix, --no-pci (ports are ours, not
 * DPDK PMDs), --no-telemetry (the control socket exports our counters) and
 * one lcore: the calling thread.  rte_eal_init() pins that thread to the
 * lcore's CPU; we restore its original mask because it is ferry's control
 * thread, not a data-plane thread.  PMD threads are plain pthreads that call
 * rte_thread_register() (pmd.c): that gives them an lcore id (per-lcore
 * mempool caches) while we keep control of their number, pinning and life
 * time, which EAL-launched lcores would fix at init.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "util/compiler.h"
#include "util/lock.h"
#include "util/log.h"
#include "vhost/memguard.h"
#include "vswitch/eal.h"

#define EAL_MAX_ARGS 24
#define EAL_ARG_LEN 64
#define HUGE_SYSFS "/sys/kernel/mm/hugepages"
/* Rough size of one pool element (data room + mbuf + mempool header). */
#define EAL_MBUF_FOOTPRINT (RTE_MBUF_DEFAULT_BUF_SIZE + 256u)
/* Rings, hash tables and RCU state on top of the pool. */
#define EAL_HEADROOM_MB 64u

/*
 * The process-wide EAL state: DPDK's EAL itself is a per-process singleton,
 * so wrapping it in a struct passed around would only pretend otherwise.
 */
static struct {
	struct mutex lock;
	unsigned int refs GUARDED; /* vsw_eal_init() calls not yet matched by fini */
	bool cleaned; /* the EAL was cleaned up: it cannot come back */
	bool huge; /* running on hugepages */
	unsigned int instance; /* the <n> of the file prefix */
	struct rte_mempool *pool;
	char argv_buf[EAL_MAX_ARGS][EAL_ARG_LEN]; /* getopt keeps pointers into argv */
	char *argv[EAL_MAX_ARGS + 1];
	int argc;
} eal = { .lock = MUTEX_INITIALIZER };

void vsw_eal_opts_init(struct vsw_eal_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->hugepages = VSW_HUGE_AUTO;
	opts->mbufs = 16383; /* 2^n - 1 is the mempool's optimum */
	opts->mbuf_cache = 256;
}

static unsigned int eal_mem_mb(const struct vsw_eal_opts *opts)
{
	unsigned long long bytes;

	if (opts->mem_mb)
		return opts->mem_mb;
	bytes = (unsigned long long)opts->mbufs * EAL_MBUF_FOOTPRINT;
	return (unsigned int)(bytes >> 20) + EAL_HEADROOM_MB;
}

/* Free hugepage memory in MB over all page sizes, from sysfs. */
static unsigned long long eal_free_huge_mb(void)
{
	static const unsigned int sizes_kb[] = { 2048, 1048576 };
	unsigned long long total = 0, pages;
	char path[128];
	unsigned int i;
	FILE *f;

	for (i = 0; i < ARRAY_SIZE(sizes_kb); i++) {
		snprintf(path, sizeof(path), HUGE_SYSFS "/hugepages-%ukB/free_hugepages",
			 sizes_kb[i]);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &pages) == 1)
			total += pages * sizes_kb[i] / 1024;
		fclose(f);
	}
	return total;
}

/* Decide the memory mode; -ENOMEM when hugepages are required but missing. */
static int eal_pick_huge(const struct vsw_eal_opts *opts, unsigned int mem_mb, bool *huge)
{
	unsigned long long free_mb;

	*huge = false;
	if (opts->hugepages == VSW_HUGE_OFF)
		return 0;
	free_mb = eal_free_huge_mb();
	if (free_mb >= mem_mb) {
		*huge = true;
		return 0;
	}
	if (opts->hugepages == VSW_HUGE_ON) {
		LOG_ERR("eal", "hugepages=on but only %llu MB of hugepages are free, %u MB needed",
			free_mb, mem_mb);
		return -ENOMEM;
	}
	LOG_INFO("eal", "%llu MB of hugepages free, %u MB needed: using anonymous memory", free_mb,
		 mem_mb);
	return 0;
}

/* Append one argument; the EAL's getopt keeps pointers into argv, so it is copied. */
static void eal_add_arg(const char *arg)
{
	char *buf = eal.argv_buf[eal.argc];

	snprintf(buf, EAL_ARG_LEN, "%s", arg);
	eal.argv[eal.argc++] = buf;
	eal.argv[eal.argc] = NULL;
}

/* The first CPU the calling thread may run on: the EAL main lcore. */
static int eal_first_cpu(const cpu_set_t *set)
{
	int cpu;

	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, set))
			return cpu;
	return 0;
}

static void eal_build_argv(const struct vsw_eal_opts *opts, const cpu_set_t *mask,
			   unsigned int mem_mb)
{
	char arg[EAL_ARG_LEN];

	eal.argc = 0;
	eal_add_arg("ferry");
	snprintf(arg, sizeof(arg), "-l%d", eal_first_cpu(mask));
	eal_add_arg(arg);
	/*
	 * DPDK 22.11 forces legacy memory with --no-huge and rejects
	 * --in-memory with it; --no-shconf gives the same "no files" result.
	 */
	eal_add_arg(eal.huge ? "--in-memory" : "--no-shconf");
	if (opts->n_pci == 0)
		eal_add_arg("--no-pci");
	for (unsigned int i = 0; i < opts->n_pci && i < VSW_EAL_MAX_PCI; i++) {
		snprintf(arg, sizeof(arg), "-a%s", opts->pci_allow[i]);
		eal_add_arg(arg);
	}
	eal_add_arg("--no-telemetry");
	snprintf(arg, sizeof(arg), "--file-prefix=ferry-%ld-%u", (long)getpid(), eal.instance);
	eal_add_arg(arg);
	snprintf(arg, sizeof(arg), "--log-level=%d",
		 opts->log_level ? opts->log_level : (int)RTE_LOG_WARNING);
	eal_add_arg(arg);
	if (!eal.huge) {
		eal_add_arg("--no-huge");
		snprintf(arg, sizeof(arg), "-m%u", mem_mb);
		eal_add_arg(arg);
	}
}

static int eal_create_pool(const struct vsw_eal_opts *opts)
{
	char name[RTE_MEMPOOL_NAMESIZE];

	snprintf(name, sizeof(name), "ferry-mbuf-%u", eal.instance);
	eal.pool = rte_pktmbuf_pool_create(name, opts->mbufs, opts->mbuf_cache, 0,
					   RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (!eal.pool) {
		LOG_ERR("eal", "cannot create a pool of %u mbufs (cache %u): %s", opts->mbufs,
			opts->mbuf_cache, rte_strerror(rte_errno));
		return -rte_errno ? -rte_errno : -ENOMEM;
	}
	return 0;
}

/*
 * rte_eal_cleanup() leaves the (empty) /var/run/dpdk/<prefix> directory of
 * our per-instance prefix behind; without this every run would add one.
 */
static void eal_cleanup(void)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	eal.cleaned = true;
	d = opendir(dir);
	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	rmdir(dir);
}

static int eal_bring_up(const struct vsw_eal_opts *opts)
{
	unsigned int mem_mb = eal_mem_mb(opts);
	cpu_set_t mask;
	int ret;

	ret = eal_pick_huge(opts, mem_mb, &eal.huge);
	if (ret)
		return ret;
	if (pthread_getaffinity_np(pthread_self(), sizeof(mask), &mask))
		CPU_ZERO(&mask);
	eal_build_argv(opts, &mask, mem_mb);
	if (rte_eal_init(eal.argc, eal.argv) < 0) {
		ret = rte_errno ? -rte_errno : -EINVAL;
		LOG_ERR("eal", "rte_eal_init (%s, %u MB) failed: %s",
			eal.huge ? "hugepages" : "no-huge", mem_mb, rte_strerror(-ret));
		return ret;
	}
	/* The creator is a control thread: give it back the CPUs it had. */
	if (CPU_COUNT(&mask))
		pthread_setaffinity_np(pthread_self(), sizeof(mask), &mask);
	/* Now, not earlier: the EAL swaps SIGBUS handlers while it maps hugepages. */
	ret = memguard_init();
	if (ret) {
		eal_cleanup();
		return ret;
	}
	ret = eal_create_pool(opts);
	if (ret) {
		eal_cleanup();
		return ret;
	}
	LOG_INFO("eal", "EAL up: %s, %u MB, %u mbufs", eal.huge ? "hugepages" : "no-huge", mem_mb,
		 opts->mbufs);
	return 0;
}

int vsw_eal_init(const struct vsw_eal_opts *opts)
{
	int ret = 0;

	mutex_lock(&eal.lock);
	if (eal.cleaned) {
		LOG_ERR("eal", "the EAL was cleaned up and cannot be initialised again");
		ret = -EALREADY;
	} else if (eal.refs == 0) {
		ret = eal_bring_up(opts);
	}
	if (ret == 0)
		eal.refs++;
	mutex_unlock(&eal.lock);
	return ret;
}

void vsw_eal_fini(void)
{
	mutex_lock(&eal.lock);
	if (eal.refs && --eal.refs == 0) {
		rte_mempool_free(eal.pool);
		eal.pool = NULL;
		eal_cleanup();
	}
	mutex_unlock(&eal.lock);
}

struct rte_mempool *vsw_eal_pool(void)
{
	return eal.pool;
}

bool vsw_eal_hugepages(void)
{
	return eal.huge;
}
