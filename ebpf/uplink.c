/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * uplink.c - loader of the uplink XDP program (uplink.bpf.c, see ebpf.h).
 * Open, configure, load and attach are separate steps, each reporting its
 * own failure; whatever was attached is detached on the way out.
 *
 * Attachment goes through libxdp first: its dispatcher lets Ferry's program
 * share the interface with others (xdp-filter, a host firewall) in the order
 * of their priorities.  Where the dispatcher cannot load (no BTF, no
 * freplace, or libxdp's bpffs missing in this mount namespace) the program
 * is attached directly with libbpf, as the only program; the mode says
 * which (ebpf_uplink_via_libxdp).  Native mode is tried before generic.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>

#include "ebpf/ebpf.h"
#include "ebpf/uplink.h"
#include "uplink.skel.h" /* generated in the build directory */
#include "util/compiler.h"
#include "util/log.h"

struct ebpf_uplink {
	struct uplink_bpf *skel;
	struct xdp_program *prog; /* libxdp's handle; NULL when attached with plain libbpf */
	int ifindex;
	enum ebpf_xdp_mode mode; /* NATIVE or GENERIC once attached */
	bool dispatcher; /* libxdp's dispatcher holds it (others may share the interface) */
};

/*
 * libbpf and libxdp report to stderr by default; their lines go to Ferry's
 * log instead, as debug: what failed is reported by the caller, with the
 * step and errno, and their notes (a missing bpffs makes libxdp attach
 * without its dispatcher) are not errors of Ferry's.
 */
static int uplink_vlog(const char *who, const char *fmt, va_list ap) FERRY_PRINTF(2, 0);

static int uplink_vlog(const char *who, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	if (log_get_level() < LOG_LVL_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	if (n && line[n - 1] == '\n')
		line[n - 1] = '\0';
	LOG_DEBUG("ebpf", "%s: %s", who, line);
	return 0;
}

static int uplink_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
	FERRY_PRINTF(2, 0);

static int uplink_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return uplink_vlog("libbpf", fmt, ap);
}

static int uplink_libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
	FERRY_PRINTF(2, 0);

static int uplink_libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return uplink_vlog("libxdp", fmt, ap);
}

static void uplink_configure(struct uplink_bpf *skel, const struct ebpf_uplink_opts *o)
{
	unsigned int i;

	for (i = 0; i < o->n_ports && i < UPLINK_MAX_PORTS; i++)
		skel->rodata->cfg_ports[i] = htons(o->ports[i]);
	skel->rodata->cfg_n_ports = i;
	for (i = 0; i < o->n_addrs && i < UPLINK_MAX_ADDRS; i++) {
		skel->rodata->cfg_addrs[i].family = o->addrs[i].family;
		memcpy(skel->rodata->cfg_addrs[i].a, o->addrs[i].a, 16);
	}
	skel->rodata->cfg_n_addrs = i;
}

/* Through libxdp's dispatcher; 0 or -errno. */
static int uplink_attach_libxdp(struct ebpf_uplink *u, enum ebpf_xdp_mode mode)
{
	enum xdp_attach_mode m = mode == EBPF_XDP_NATIVE ? XDP_MODE_NATIVE : XDP_MODE_SKB;
	int err;

	u->prog = xdp_program__from_bpf_obj(u->skel->obj, "xdp");
	err = libxdp_get_error(u->prog);
	if (err) {
		u->prog = NULL;
		return err;
	}
	err = xdp_program__attach(u->prog, u->ifindex, m, 0);
	if (err) {
		xdp_program__close(u->prog);
		u->prog = NULL;
	}
	return err;
}

/* Directly, with libbpf: the program must be loaded and the only one. */
static int uplink_attach_libbpf(struct ebpf_uplink *u, enum ebpf_xdp_mode mode)
{
	uint32_t flags = XDP_FLAGS_UPDATE_IF_NOEXIST |
			 (mode == EBPF_XDP_NATIVE ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE);
	int fd = bpf_program__fd(u->skel->progs.ferry_uplink);

	if (fd < 0)
		return -EINVAL;
	return bpf_xdp_attach(u->ifindex, fd, flags, NULL);
}

static int uplink_attach_mode(struct ebpf_uplink *u, const struct ebpf_uplink_opts *o,
			      enum ebpf_xdp_mode mode)
{
	int err;

	/* libxdp loads the object itself; a second open is needed after it failed. */
	err = uplink_attach_libxdp(u, mode);
	if (err == 0)
		return 0;
	LOG_DEBUG("ebpf", "ifindex %d: libxdp attach (%s): %s", u->ifindex,
		  mode == EBPF_XDP_NATIVE ? "native" : "generic", strerror(-err));
	uplink_bpf__destroy(u->skel);
	u->skel = uplink_bpf__open();
	if (!u->skel)
		return -errno;
	uplink_configure(u->skel, o);
	err = uplink_bpf__load(u->skel);
	if (err)
		return err;
	return uplink_attach_libbpf(u, mode);
}

static bool uplink_has_dispatcher(const struct ebpf_uplink *u)
{
	struct xdp_multiprog *mp;
	bool legacy;

	if (!u->prog)
		return false;
	mp = xdp_multiprog__get_from_ifindex(u->ifindex);
	if (libxdp_get_error(mp))
		return false;
	legacy = xdp_multiprog__is_legacy(mp);
	xdp_multiprog__close(mp);
	return !legacy;
}

int ebpf_uplink_attach(const struct ebpf_uplink_opts *o, struct ebpf_uplink **out)
{
	enum ebpf_xdp_mode modes[2] = { EBPF_XDP_NATIVE, EBPF_XDP_GENERIC };
	unsigned int first = o->mode == EBPF_XDP_GENERIC, last = o->mode != EBPF_XDP_NATIVE;
	struct ebpf_uplink *u = calloc(1, sizeof(*u));
	int err = -EINVAL;

	if (!u)
		return -ENOMEM;
	libbpf_set_print(uplink_libbpf_print);
	libxdp_set_print(uplink_libxdp_print);
	u->ifindex = o->ifindex;
	u->skel = uplink_bpf__open();
	if (!u->skel) {
		err = -errno;
		LOG_ERR("ebpf", "cannot open the uplink program: %s", strerror(-err));
		goto err_free;
	}
	uplink_configure(u->skel, o);
	for (unsigned int i = first; i <= last; i++) {
		err = uplink_attach_mode(u, o, modes[i]);
		if (err == 0) {
			u->mode = modes[i];
			u->dispatcher = uplink_has_dispatcher(u);
			*out = u;
			return 0;
		}
		if (!u->skel)
			break;
	}
	LOG_ERR("ebpf", "cannot attach the uplink XDP program to ifindex %d: %s", o->ifindex,
		strerror(-err));
err_free:
	uplink_bpf__destroy(u->skel);
	free(u);
	return err;
}

int ebpf_uplink_set_socket(struct ebpf_uplink *u, uint32_t queue, int xsk_fd)
{
	int err;

	if (queue >= UPLINK_MAX_QUEUES)
		return -EINVAL;
	err = bpf_map__update_elem(u->skel->maps.xsks, &queue, sizeof(queue), &xsk_fd,
				   sizeof(xsk_fd), BPF_ANY);
	if (err)
		LOG_ERR("ebpf", "ifindex %d queue %u: cannot register the AF_XDP socket: %s",
			u->ifindex, queue, strerror(-err));
	return err;
}

const char *ebpf_uplink_mode(const struct ebpf_uplink *u)
{
	return u->mode == EBPF_XDP_NATIVE ? "native" : "generic";
}

bool ebpf_uplink_shared(const struct ebpf_uplink *u)
{
	return u->dispatcher;
}

void ebpf_uplink_stats(const struct ebpf_uplink *u, struct ebpf_uplink_stats *st)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t sum[UPLINK_STAT_MAX] = { 0 }, *vals;
	uint32_t k;
	int c;

	memset(st, 0, sizeof(*st));
	if (ncpu <= 0)
		return;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	for (k = 0; vals && k < UPLINK_STAT_MAX; k++) {
		if (bpf_map__lookup_elem(u->skel->maps.stats, &k, sizeof(k), vals,
					 (size_t)ncpu * sizeof(*vals), 0))
			continue;
		for (c = 0; c < ncpu; c++)
			sum[k] += vals[c];
	}
	free(vals);
	st->steered = sum[UPLINK_STAT_STEERED];
	st->passed = sum[UPLINK_STAT_PASSED];
	st->no_socket = sum[UPLINK_STAT_NO_SOCKET];
}

void ebpf_uplink_detach(struct ebpf_uplink *u)
{
	uint32_t flags;

	if (!u)
		return;
	if (u->prog) {
		xdp_program__detach(u->prog, u->ifindex,
				    u->mode == EBPF_XDP_NATIVE ? XDP_MODE_NATIVE : XDP_MODE_SKB, 0);
		xdp_program__close(u->prog);
	} else {
		flags = u->mode == EBPF_XDP_NATIVE ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
		bpf_xdp_detach(u->ifindex, flags, NULL);
	}
	uplink_bpf__destroy(u->skel);
	free(u);
}
