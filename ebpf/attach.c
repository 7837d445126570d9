/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * attach.c - XDP attachment shared by ebpf/'s loaders (attach.h says how),
 * and the routing of libbpf's and libxdp's messages into Ferry's log.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>

#include "ebpf/attach.h"
#include "util/compiler.h"
#include "util/log.h"

/*
 * libbpf and libxdp report to stderr by default; their lines go to Ferry's
 * log instead, as debug: what failed is reported by the caller, with the
 * step and errno, and their notes (a missing bpffs makes libxdp attach
 * without its dispatcher) are not errors of Ferry's.
 */
static int att_vlog(const char *who, const char *fmt, va_list ap) FERRY_PRINTF(2, 0);

static int att_vlog(const char *who, const char *fmt, va_list ap)
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

/*
 * libbpf's warnings of the current attach (the verifier's log among them),
 * kept so a failure can show them: on success they are noise.  Loaders run
 * on the control thread only.
 */
#define ATT_KEEP 48
static char att_kept[ATT_KEEP][160];
static unsigned int att_n_kept;

static int att_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
	FERRY_PRINTF(2, 0);

static int att_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	va_list copy;
	char *line;
	size_t n;

	if (level == LIBBPF_WARN) {
		line = att_kept[att_n_kept++ % ATT_KEEP];
		va_copy(copy, ap);
		vsnprintf(line, sizeof(att_kept[0]), fmt, copy);
		va_end(copy);
		n = strlen(line);
		if (n && line[n - 1] == '\n')
			line[n - 1] = '\0';
	}
	return att_vlog("libbpf", fmt, ap);
}

/* After a failed attach: what libbpf warned about (the verifier's reasons). */
static void att_replay(void)
{
	unsigned int first = att_n_kept > ATT_KEEP ? att_n_kept - ATT_KEEP : 0;

	for (unsigned int i = first; i < att_n_kept; i++)
		LOG_ERR("ebpf", "libbpf: %s", att_kept[i % ATT_KEEP]);
}

static int att_libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
	FERRY_PRINTF(2, 0);

static int att_libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return att_vlog("libxdp", fmt, ap);
}

void ebpf_quiet_libs(void)
{
	libbpf_set_print(att_libbpf_print);
	libxdp_set_print(att_libxdp_print);
}

static bool att_has_dispatcher(const struct ebpf_att *a)
{
	struct xdp_multiprog *mp;
	bool legacy;

	if (!a->prog)
		return false;
	mp = xdp_multiprog__get_from_ifindex(a->ifindex);
	if (libxdp_get_error(mp))
		return false;
	legacy = xdp_multiprog__is_legacy(mp);
	xdp_multiprog__close(mp);
	return !legacy;
}

static int att_libxdp(struct ebpf_att *a, struct bpf_object *obj, enum ebpf_xdp_mode mode)
{
	enum xdp_attach_mode m = mode == EBPF_XDP_NATIVE ? XDP_MODE_NATIVE : XDP_MODE_SKB;
	int err;

	a->prog = xdp_program__from_bpf_obj(obj, "xdp");
	err = libxdp_get_error(a->prog);
	if (err) {
		a->prog = NULL;
		return err;
	}
	err = xdp_program__attach(a->prog, a->ifindex, m, 0);
	if (err) {
		xdp_program__close(a->prog);
		a->prog = NULL;
	}
	return err;
}

/* The id of the XDP program on the interface in @mode's slot, if it is called @name. */
static int att_same_prog(int ifindex, enum ebpf_xdp_mode mode, const char *name)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof(info), id;
	int fd;

	if (bpf_xdp_query(ifindex, 0, &q) < 0)
		return -1;
	id = mode == EBPF_XDP_NATIVE ? q.drv_prog_id : q.skb_prog_id;
	fd = id ? bpf_prog_get_fd_by_id(id) : -1;
	if (fd < 0)
		return -1;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0 || strncmp(info.name, name, 15) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Another program already holds the interface: name it, and say why the two
 * cannot share it (libxdp's dispatcher would let them, where it loads).
 */
static void att_explain_busy(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof(info), id;
	int fd;

	if (bpf_xdp_query(ifindex, 0, &q) < 0)
		return;
	id = q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id;
	fd = id ? bpf_prog_get_fd_by_id(id) : -1;
	if (fd < 0)
		return;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
		LOG_ERR("ebpf",
			"ifindex %d already runs XDP program '%s' (id %u) as its only program; "
			"two can share an interface only through libxdp's dispatcher, which "
			"cannot load on this kernel (freplace refused) or was not used by the "
			"other program's loader: detach it first",
			ifindex, info.name, id);
	close(fd);
}

static int att_libbpf(struct ebpf_att *a, struct bpf_object *obj, const char *prog_name,
		      enum ebpf_xdp_mode mode)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, prog_name);
	uint32_t mflag = mode == EBPF_XDP_NATIVE ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	int fd = p ? bpf_program__fd(p) : -1, old, err;

	if (fd < 0)
		return -EINVAL;
	old = att_same_prog(a->ifindex, mode, prog_name);
	if (old < 0)
		return bpf_xdp_attach(a->ifindex, fd, XDP_FLAGS_UPDATE_IF_NOEXIST | mflag, NULL);
	/* Our own program from an earlier run: swap it in place, no gap. */
	opts.old_prog_fd = old;
	err = bpf_xdp_attach(a->ifindex, fd, XDP_FLAGS_REPLACE | mflag, &opts);
	close(old);
	a->replaced = err == 0;
	return err;
}

static int att_mode(struct ebpf_att *a, struct bpf_object **obj, const char *prog_name,
		    enum ebpf_xdp_mode mode, bool libxdp, ebpf_reopen_fn reopen, void *arg)
{
	int err;

	if (libxdp) {
		err = att_libxdp(a, *obj, mode);
		if (err == 0)
			return 0;
		LOG_DEBUG("ebpf", "ifindex %d: libxdp attach (%s): %s", a->ifindex,
			  mode == EBPF_XDP_NATIVE ? "native" : "generic", strerror(-err));
		/* libxdp may have loaded the object: start again from a fresh one. */
		*obj = reopen(arg);
		if (!*obj)
			return -errno;
	}
	err = bpf_object__load(*obj);
	if (err)
		return err;
	return att_libbpf(a, *obj, prog_name, mode);
}

int ebpf_att_attach(struct ebpf_att *a, struct bpf_object **obj, const char *prog_name, int ifindex,
		    enum ebpf_xdp_mode mode, bool libxdp, ebpf_reopen_fn reopen, void *arg)
{
	enum ebpf_xdp_mode modes[2] = { EBPF_XDP_NATIVE, EBPF_XDP_GENERIC };
	unsigned int first = mode == EBPF_XDP_GENERIC, last = mode != EBPF_XDP_NATIVE;
	int err = -EINVAL;

	memset(a, 0, sizeof(*a));
	a->ifindex = ifindex;
	att_n_kept = 0;
	if (ifindex == 0) {
		/* Loaded only, for BPF_PROG_TEST_RUN: no interface is touched. */
		err = bpf_object__load(*obj);
		if (err) {
			LOG_ERR("ebpf", "cannot load %s: %s", prog_name, strerror(-err));
			att_replay();
		}
		return err;
	}
	for (unsigned int i = first; i <= last; i++) {
		if (i > first) {
			/* A failed load leaves the object unusable: the next mode starts afresh. */
			*obj = reopen(arg);
			if (!*obj)
				return -errno;
		}
		err = att_mode(a, obj, prog_name, modes[i], libxdp, reopen, arg);
		if (err == 0) {
			a->mode = modes[i];
			a->dispatcher = att_has_dispatcher(a);
			return 0;
		}
	}
	LOG_ERR("ebpf", "cannot attach %s to ifindex %d (%s): %s", prog_name, ifindex,
		mode == EBPF_XDP_AUTO	? "native or generic" :
		mode == EBPF_XDP_NATIVE ? "native" :
					  "generic",
		strerror(-err));
	/* A load the verifier refused says why in libbpf's warnings. */
	if (err != -EBUSY && err != -EEXIST && err != -EOPNOTSUPP)
		att_replay();
	att_explain_busy(ifindex);
	return err;
}

void ebpf_att_detach(struct ebpf_att *a)
{
	uint32_t flags = a->mode == EBPF_XDP_NATIVE ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;

	if (a->prog) {
		xdp_program__detach(a->prog, a->ifindex,
				    a->mode == EBPF_XDP_NATIVE ? XDP_MODE_NATIVE : XDP_MODE_SKB, 0);
		xdp_program__close(a->prog);
		a->prog = NULL;
	} else if (a->ifindex) {
		bpf_xdp_detach(a->ifindex, flags, NULL);
	}
	a->ifindex = 0;
}

const char *ebpf_att_mode(const struct ebpf_att *a)
{
	return a->mode == EBPF_XDP_NATIVE ? "native" : "generic";
}
