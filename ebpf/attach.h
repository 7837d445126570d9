/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * attach.h - how ebpf/'s loaders put an XDP program on an interface, and
 * their shared logging of libbpf and libxdp (internal to ebpf/).
 *
 * libxdp first, so the program can share the interface with others through
 * its dispatcher; where the dispatcher cannot load (no bpffs, no freplace:
 * this kernel says EPERM) libxdp attaches it alone.  Where libxdp fails
 * outright, plain libbpf attaches it as the interface's only program.
 * libxdp loads the object itself, so after it failed the object is opened
 * again (the caller's @reopen) before libbpf loads it.  Native mode is tried
 * before generic unless a mode is forced.
 */
#ifndef FERRY_EBPF_ATTACH_H
#define FERRY_EBPF_ATTACH_H

#include <stdbool.h>

#include "ebpf/ebpf.h"

struct bpf_object;
struct xdp_program;

struct ebpf_att {
	int ifindex;
	enum ebpf_xdp_mode mode; /* NATIVE or GENERIC once attached */
	struct xdp_program *prog; /* libxdp's handle; NULL when attached with plain libbpf */
	bool dispatcher; /* libxdp's dispatcher holds the program */
	bool replaced; /* it replaced an earlier copy of itself (libbpf, XDP_FLAGS_REPLACE) */
};

/* Open the object again, configured as before; NULL (errno set) on failure. */
typedef struct bpf_object *(*ebpf_reopen_fn)(void *arg);

/*
 * Attach program @prog_name of *@obj (opened, not loaded) to @ifindex; with
 * @ifindex 0 only load it (tests run it with BPF_PROG_TEST_RUN).
 * @libxdp: try libxdp first; false goes straight to libbpf, which then
 * replaces a program of the same name already on the interface atomically
 * (a restart without a gap).  *@obj may be replaced by @reopen.  0 or -errno,
 * having logged the failure.
 */
int ebpf_att_attach(struct ebpf_att *a, struct bpf_object **obj, const char *prog_name, int ifindex,
		    enum ebpf_xdp_mode mode, bool libxdp, ebpf_reopen_fn reopen, void *arg);
void ebpf_att_detach(struct ebpf_att *a);
const char *ebpf_att_mode(const struct ebpf_att *a);

/* Route libbpf's and libxdp's messages to Ferry's log (debug). */
void ebpf_quiet_libs(void);

#endif
