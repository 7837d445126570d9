/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * probe.c - read-only probes of the kernel's eBPF support through libbpf
 * (see ebpf.h): whether XDP programs load here and whether bpffs is mounted
 * for pinning maps.
 */
#include <bpf/libbpf.h>
#include <string.h>
#include <sys/statfs.h>

#include "ebpf/ebpf.h"

#define BPF_FS_MAGIC 0xcafe4a11

int ebpf_print_host_info(FILE *f)
{
	struct statfs sfs;
	int xdp = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_XDP, NULL);
	int bpffs = statfs("/sys/fs/bpf", &sfs) == 0 && sfs.f_type == BPF_FS_MAGIC;

	fprintf(f, "xdp: %s\n",
		xdp > 0	 ? "programs load" :
		xdp == 0 ? "not supported" :
			   strerror(-xdp));
	fprintf(f, "bpffs: %s\n",
		bpffs ? "mounted at /sys/fs/bpf" : "not mounted (mount -t bpf bpf /sys/fs/bpf)");
	return xdp > 0 ? 0 : -1;
}
