/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * acl.c - loader of the ACL XDP program (acl.bpf.c, see ebpf.h): open, pin
 * the maps where asked, load, attach, then rules in and counters out.
 *
 * Pinned maps (<pin_dir>/<ifname>/{rules,ctl,hits,stats}) are found again by
 * the next start, and a program of ours still on the interface is replaced
 * in place (XDP_FLAGS_REPLACE): with `persist`, the rules keep filtering
 * while Ferry is stopped or restarting, and the restart has no gap.  Such an
 * ACL is attached with plain libbpf (libxdp cannot hand its programs from
 * one process to the next); one that does not persist goes through libxdp
 * first and is detached when Ferry closes it.
 *
 * Rule changes write the idle one of the two tables and then flip the
 * control word: a packet always sees one whole rule set.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ebpf/acl.h"
#include "acl.skel.h" /* generated in the build directory */
#include "ebpf/attach.h"
#include "ebpf/ebpf.h"
#include "util/log.h"

#define BPF_FS_MAGIC 0xcafe4a11

struct ebpf_acl {
	struct acl_bpf *skel;
	struct ebpf_att att;
	struct ebpf_acl_opts opts;
	char ifname[32];
	char pin_dir[256]; /* "" when not pinned */
	bool carried_over; /* the pinned maps existed: the last run's rules filtered meanwhile */
};

static const char *const acl_maps[] = { "rules", "ctl", "hits", "stats" };

static int acl_pin_paths(struct ebpf_acl *a)
{
	char path[320];
	struct bpf_map *m;
	int ret;

	for (size_t i = 0; i < sizeof(acl_maps) / sizeof(acl_maps[0]); i++) {
		m = bpf_object__find_map_by_name(a->skel->obj, acl_maps[i]);
		snprintf(path, sizeof(path), "%s/%s", a->pin_dir, acl_maps[i]);
		if (!m)
			return -ENOENT;
		if (access(path, F_OK) == 0)
			a->carried_over = true;
		ret = bpf_map__set_pin_path(m, path);
		if (ret)
			return ret;
	}
	return 0;
}

static struct bpf_object *acl_reopen(void *arg)
{
	struct ebpf_acl *a = arg;

	acl_bpf__destroy(a->skel);
	a->skel = acl_bpf__open();
	if (!a->skel)
		return NULL;
	a->carried_over = false;
	if (a->pin_dir[0] && acl_pin_paths(a)) {
		errno = EINVAL;
		return NULL;
	}
	return a->skel->obj;
}

/* <pin_dir>/<ifname>, on a bpf filesystem; 0 or -errno, having said what is wrong. */
static int acl_pin_dir(struct ebpf_acl *a)
{
	struct statfs sfs;

	snprintf(a->pin_dir, sizeof(a->pin_dir), "%s/%s", a->opts.pin_dir, a->ifname);
	if (mkdir(a->opts.pin_dir, 0700) < 0 && errno != EEXIST)
		goto err;
	if (mkdir(a->pin_dir, 0700) < 0 && errno != EEXIST)
		goto err;
	if (statfs(a->pin_dir, &sfs) < 0)
		goto err;
	if (sfs.f_type != BPF_FS_MAGIC) {
		LOG_ERR("ebpf",
			"%s: pin directory %s is not on a bpf filesystem "
			"(mount -t bpf bpf DIR)",
			a->ifname, a->opts.pin_dir);
		return -EINVAL;
	}
	return 0;

err:
	LOG_ERR("ebpf", "%s: pin directory %s: %s", a->ifname, a->pin_dir, strerror(errno));
	return -errno;
}

int ebpf_acl_attach(const struct ebpf_acl_opts *o, struct ebpf_acl **out)
{
	struct ebpf_acl *a = calloc(1, sizeof(*a));
	struct bpf_object *obj;
	uint32_t zero = 0;
	struct acl_ctl c;
	int err;

	if (!a)
		return -ENOMEM;
	ebpf_quiet_libs();
	a->opts = *o;
	snprintf(a->ifname, sizeof(a->ifname), "%s", o->ifname);
	err = o->persist ? acl_pin_dir(a) : 0;
	obj = err ? NULL : acl_reopen(a);
	if (!obj) {
		err = err ? err : -errno;
		LOG_ERR("ebpf", "%s: cannot open the ACL program: %s", a->ifname, strerror(-err));
		goto err_free;
	}
	err = ebpf_att_attach(&a->att, &obj, "ferry_acl", o->ifindex, o->mode, !o->persist,
			      acl_reopen, a);
	if (err) {
		if (a->pin_dir[0])
			LOG_ERR("ebpf",
				"%s: (if the maps pinned in %s are from another "
				"version, remove them)",
				a->ifname, a->pin_dir);
		goto err_free;
	}
	/* A fresh control word only where no earlier run left one. */
	if (!a->carried_over) {
		c = (struct acl_ctl){ .default_action = o->default_drop ? ACL_DROP : ACL_ALLOW };
		bpf_map__update_elem(a->skel->maps.ctl, &zero, sizeof(zero), &c, sizeof(c),
				     BPF_ANY);
	}
	*out = a;
	return 0;

err_free:
	acl_bpf__destroy(a->skel);
	free(a);
	return err;
}

int ebpf_acl_set_rules(struct ebpf_acl *a, const struct acl_rule *rules, unsigned int n,
		       bool default_drop)
{
	struct acl_ctl c;
	uint32_t zero = 0, key, set;
	int err;

	if (n > ACL_MAX_RULES)
		return -ENOSPC;
	err = bpf_map__lookup_elem(a->skel->maps.ctl, &zero, sizeof(zero), &c, sizeof(c), 0);
	if (err)
		return err;
	set = (c.set & 1) ^ 1;
	for (unsigned int i = 0; i < n; i++) {
		key = set * ACL_MAX_RULES + i;
		err = bpf_map__update_elem(a->skel->maps.rules, &key, sizeof(key), &rules[i],
					   sizeof(rules[i]), BPF_ANY);
		if (err)
			return err;
	}
	/* The flip: one 16-byte write the program reads as a whole per packet. */
	c.set = set;
	c.n = n;
	c.default_action = default_drop ? ACL_DROP : ACL_ALLOW;
	return bpf_map__update_elem(a->skel->maps.ctl, &zero, sizeof(zero), &c, sizeof(c), BPF_ANY);
}

int ebpf_acl_get_rules(const struct ebpf_acl *a, struct acl_rule *rules, unsigned int *n,
		       bool *default_drop)
{
	struct acl_ctl c;
	uint32_t zero = 0, key;
	int err;

	err = bpf_map__lookup_elem(a->skel->maps.ctl, &zero, sizeof(zero), &c, sizeof(c), 0);
	if (err)
		return err;
	*n = c.n < ACL_MAX_RULES ? c.n : ACL_MAX_RULES;
	*default_drop = c.default_action == ACL_DROP;
	for (unsigned int i = 0; i < *n; i++) {
		key = (c.set & 1) * ACL_MAX_RULES + i;
		err = bpf_map__lookup_elem(a->skel->maps.rules, &key, sizeof(key), &rules[i],
					   sizeof(rules[i]), 0);
		if (err)
			return err;
	}
	return 0;
}

/* A per-CPU map's entry @key summed over CPUs, as @n 64-bit counters. */
static void acl_sum(const struct bpf_map *m, uint32_t key, uint64_t *out, unsigned int n)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v;

	memset(out, 0, n * sizeof(*out));
	if (ncpu <= 0)
		return;
	v = calloc((size_t)ncpu * n, sizeof(*v));
	if (v &&
	    bpf_map__lookup_elem(m, &key, sizeof(key), v, (size_t)ncpu * n * sizeof(*v), 0) == 0)
		for (int c = 0; c < ncpu; c++)
			for (unsigned int k = 0; k < n; k++)
				out[k] += v[(size_t)c * n + k];
	free(v);
}

void ebpf_acl_hits(const struct ebpf_acl *a, unsigned int id, uint64_t *packets, uint64_t *bytes)
{
	uint64_t h[2];

	acl_sum(a->skel->maps.hits, id, h, 2);
	*packets = h[0];
	*bytes = h[1];
}

void ebpf_acl_reset_hits(struct ebpf_acl *a, unsigned int id)
{
	int ncpu = libbpf_num_possible_cpus();
	struct acl_hits *zero;
	uint32_t key = id;

	if (ncpu <= 0 || !(zero = calloc((size_t)ncpu, sizeof(*zero))))
		return;
	bpf_map__update_elem(a->skel->maps.hits, &key, sizeof(key), zero,
			     (size_t)ncpu * sizeof(*zero), BPF_ANY);
	free(zero);
}

void ebpf_acl_stats(const struct ebpf_acl *a, struct ebpf_acl_stats *st)
{
	uint64_t v;

	acl_sum(a->skel->maps.stats, ACL_STAT_PASSED, &v, 1);
	st->passed = v;
	acl_sum(a->skel->maps.stats, ACL_STAT_DROPPED, &v, 1);
	st->dropped = v;
	acl_sum(a->skel->maps.stats, ACL_STAT_NOT_IP, &v, 1);
	st->not_ip = v;
	acl_sum(a->skel->maps.stats, ACL_STAT_DEFAULT, &v, 1);
	st->by_default = v;
}

const char *ebpf_acl_mode(const struct ebpf_acl *a)
{
	return ebpf_att_mode(&a->att);
}

bool ebpf_acl_shared(const struct ebpf_acl *a)
{
	return a->att.dispatcher;
}

bool ebpf_acl_carried_over(const struct ebpf_acl *a)
{
	return a->carried_over;
}

bool ebpf_acl_replaced(const struct ebpf_acl *a)
{
	return a->att.replaced;
}

int ebpf_acl_prog_fd(const struct ebpf_acl *a)
{
	return bpf_program__fd(a->skel->progs.ferry_acl);
}

void ebpf_acl_close(struct ebpf_acl *a)
{
	if (!a)
		return;
	/* A persistent ACL stays on the interface, its maps pinned, for the next run. */
	if (!a->opts.persist)
		ebpf_att_detach(&a->att);
	else
		LOG_INFO("ebpf", "%s: ACL left attached (persist), maps pinned in %s", a->ifname,
			 a->pin_dir);
	acl_bpf__destroy(a->skel);
	free(a);
}
