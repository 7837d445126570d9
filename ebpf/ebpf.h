/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ebpf.h - XDP programs on the uplink and their loaders.  For now: what the
 * host's kernel offers (XDP program type, bpffs), reported by `ferry info`.
 */
#ifndef FERRY_EBPF_EBPF_H
#define FERRY_EBPF_EBPF_H

#include <stdio.h>

/* Describe eBPF/XDP support on @f; returns 0 if XDP programs can be loaded. */
int ebpf_print_host_info(FILE *f);

#endif
