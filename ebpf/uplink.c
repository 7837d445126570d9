/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * uplink.c - loader of the uplink XDP program (uplink.bpf.c, see ebpf.h):
 * open, configure (its read-only data: tunnel ports and addresses), load and
 * attach (attach.c: libxdp first, then libbpf; native, then generic), each
 * step reporting its own failure; whatever was attached is detached on the
 * way out.  The filter's maps (allow-lists, rate) change at run time.
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

#include "ebpf/attach.h"
#include "ebpf/ebpf.h"
#include "ebpf/uplink.h"
#include "uplink.skel.h" /* generated in the build directory */
#include "util/compiler.h"
#include "util/log.h"

struct ebpf_uplink {
	struct uplink_bpf *skel;
	struct ebpf_att att;
	struct ebpf_uplink_opts opts; /* for reopening */
};

static void uplink_configure(struct uplink_bpf *skel, const struct ebpf_uplink_opts *o)
{
	unsigned int i;

	for (i = 0; i < o->n_ports && i < UPLINK_MAX_PORTS; i++)
		skel->rodata->cfg_ports[i] = o->ports[i];
	skel->rodata->cfg_n_ports = i;
	skel->rodata->cfg_vxlan_port = o->vxlan_port;
	skel->rodata->cfg_wg_port = o->wg_port;
	for (i = 0; i < o->n_addrs && i < UPLINK_MAX_ADDRS; i++) {
		skel->rodata->cfg_addrs[i].family = o->addrs[i].family;
		memcpy(skel->rodata->cfg_addrs[i].a, o->addrs[i].a, 16);
	}
	skel->rodata->cfg_n_addrs = i;
}

static struct bpf_object *uplink_reopen(void *arg)
{
	struct ebpf_uplink *u = arg;

	uplink_bpf__destroy(u->skel);
	u->skel = uplink_bpf__open();
	if (!u->skel)
		return NULL;
	uplink_configure(u->skel, &u->opts);
	return u->skel->obj;
}

int ebpf_uplink_attach(const struct ebpf_uplink_opts *o, struct ebpf_uplink **out)
{
	struct ebpf_uplink *u = calloc(1, sizeof(*u));
	struct bpf_object *obj;
	int err;

	if (!u)
		return -ENOMEM;
	ebpf_quiet_libs();
	u->opts = *o;
	obj = uplink_reopen(u);
	if (!obj) {
		err = -errno;
		LOG_ERR("ebpf", "cannot open the uplink program: %s", strerror(-err));
		goto err_free;
	}
	err = ebpf_att_attach(&u->att, &obj, "ferry_uplink", o->ifindex, o->mode, true,
			      uplink_reopen, u);
	if (err)
		goto err_free;
	*out = u;
	return 0;

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
			u->att.ifindex, queue, strerror(-err));
	return err;
}

int ebpf_uplink_prog_fd(const struct ebpf_uplink *u)
{
	return bpf_program__fd(u->skel->progs.ferry_uplink);
}

const char *ebpf_uplink_mode(const struct ebpf_uplink *u)
{
	return ebpf_att_mode(&u->att);
}

bool ebpf_uplink_shared(const struct ebpf_uplink *u)
{
	return u->att.dispatcher;
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
	st->drop_vtep = sum[UPLINK_STAT_DROP_VTEP];
	st->drop_vni = sum[UPLINK_STAT_DROP_VNI];
	st->drop_rate = sum[UPLINK_STAT_DROP_RATE];
}

int ebpf_uplink_set_filter(struct ebpf_uplink *u, const struct ebpf_uplink_filter *f)
{
	struct uplink_cfg c = { .rate_pps = f->rate_pps, .burst = f->burst ? f->burst : 1 };
	uint32_t zero = 0;

	c.flags = (f->enforce_vteps ? UPLINK_ENFORCE_VTEPS : 0) |
		  (f->enforce_vnis ? UPLINK_ENFORCE_VNIS : 0) |
		  (f->rate_pps ? UPLINK_RATE_LIMIT : 0);
	return bpf_map__update_elem(u->skel->maps.ucfg, &zero, sizeof(zero), &c, sizeof(c),
				    BPF_ANY);
}

static void uplink_prefix_key(const struct ebpf_prefix *p, struct uplink_prefix *k)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = 32 + p->plen;
	k->addr.family = p->family;
	memcpy(k->addr.a, p->a, 16);
}

static bool uplink_has_prefix(const struct ebpf_prefix *set, unsigned int n,
			      const struct uplink_prefix *k)
{
	struct uplink_prefix w;

	for (unsigned int i = 0; i < n; i++) {
		uplink_prefix_key(&set[i], &w);
		if (!memcmp(&w, k, sizeof(w)))
			return true;
	}
	return false;
}

static bool uplink_has_vni(const uint32_t *set, unsigned int n, uint32_t vni)
{
	for (unsigned int i = 0; i < n; i++)
		if (set[i] == vni)
			return true;
	return false;
}

/*
 * The allow-lists become exactly @prefixes and @vnis: what is new is added
 * first and what went is deleted after, so no allowed packet is dropped
 * while the lists change.
 */
int ebpf_uplink_sync_allow(struct ebpf_uplink *u, const struct ebpf_prefix *prefixes,
			   unsigned int n_prefixes, const uint32_t *vnis, unsigned int n_vnis)
{
	struct uplink_prefix k, next;
	uint32_t vk, vnext;
	uint8_t one = 1;
	int err = 0, fd;
	bool first;

	for (unsigned int i = 0; i < n_prefixes && !err; i++) {
		uplink_prefix_key(&prefixes[i], &k);
		err = bpf_map__update_elem(u->skel->maps.vteps, &k, sizeof(k), &one, 1, BPF_ANY);
	}
	for (unsigned int i = 0; i < n_vnis && !err; i++)
		err = bpf_map__update_elem(u->skel->maps.vnis, &vnis[i], 4, &one, 1, BPF_ANY);
	if (err)
		return err;
	/* Deleting while walking: restart from the top after each delete. */
	fd = bpf_map__fd(u->skel->maps.vteps);
	for (first = true; bpf_map_get_next_key(fd, first ? NULL : &k, &next) == 0;) {
		first = false;
		k = next;
		if (!uplink_has_prefix(prefixes, n_prefixes, &k)) {
			bpf_map_delete_elem(fd, &k);
			first = true;
		}
	}
	fd = bpf_map__fd(u->skel->maps.vnis);
	for (first = true; bpf_map_get_next_key(fd, first ? NULL : &vk, &vnext) == 0;) {
		first = false;
		vk = vnext;
		if (!uplink_has_vni(vnis, n_vnis, vk)) {
			bpf_map_delete_elem(fd, &vk);
			first = true;
		}
	}
	return 0;
}

void ebpf_uplink_detach(struct ebpf_uplink *u)
{
	if (!u)
		return;
	ebpf_att_detach(&u->att);
	uplink_bpf__destroy(u->skel);
	free(u);
}
