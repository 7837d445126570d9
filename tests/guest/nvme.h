/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nvme.h - mode=nvme: a minimal NVMe driver (NVM Express 1.4 base
 * specification), enough to prove that a passed-through function's DMA and
 * MSI-X work: the admin queue pair, Identify (controller and namespace 1),
 * one I/O queue pair, a block written and read back, every completion taken
 * after its MSI-X interrupt.  Keys (README.md):
 *
 *	lba=N        the block written and read back (default 0)
 *	bad_dma=1    then a read into an address outside guest RAM, which the
 *	             host's IOMMU must stop (its fault log shows it); the
 *	             command only has to complete
 *	hold_ms=N    keep the controller and MSI-X on this long at the end, so
 *	             the host can look at its interrupt table
 *	bench_ms=N   then read one block after another for N ms (queue depth 1,
 *	             each completion after its interrupt): reads and the time
 *	             they took, for comparing VMMs on the same device
 *
 * The result line gives the controller's identity, what the block did, the
 * interrupts taken and how the bad read ended.
 */
#ifndef FERRY_GUEST_NVME_H
#define FERRY_GUEST_NVME_H

#include "guest.h"

struct nvme_opts {
	uint64_t lba;
	bool bad_dma;
	uint64_t hold_ms;
	uint64_t bench_ms;
};

void nvme_opts_init(struct nvme_opts *o);
/* One key=value of mode=nvme: 0, -EINVAL, or -ENOENT when @key is not one of ours. */
int nvme_parse_opt(struct nvme_opts *o, const char *key, const char *val);
/* Runs the mode; prints one FERRY-RESULT line; returns an EXIT_* status. */
int nvme_run(const struct nvme_opts *o, uint64_t timeout_ms);

#endif
