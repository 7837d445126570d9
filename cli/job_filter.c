/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * job_filter.c - the host-side XDP filtering of one `ferry run`: the access
 * lists of "xdp_acls" (ebpf/acl.c), one per interface, whose rules the
 * control socket changes at run time without a reload, and the uplinks'
 * filter of "uplink_filter" (vswitch/overlay.h).  Also what `ferryctl
 * filter` shows and changes.
 *
 * Each rule has a counter slot of its own for its life: adding or deleting
 * another rule moves it in the list but keeps its counts.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cli/job.h"
#include "ebpf/acl.h"
#include "ebpf/ebpf.h"
#include "util/log.h"
#include "vswitch/overlay.h"

struct job_acl {
	struct ebpf_acl *acl;
	uint16_t slot[ACL_MAX_RULES]; /* counter slot of the config's rule i */
};

static const uint8_t proto_num[] = {
	[CONFIG_PROTO_ANY] = 0,	 [CONFIG_PROTO_TCP] = 6,     [CONFIG_PROTO_UDP] = 17,
	[CONFIG_PROTO_ICMP] = 1, [CONFIG_PROTO_ICMPV6] = 58,
};

static void job_acl_rule(const struct config_acl_rule *c, uint16_t slot, struct acl_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->id = slot;
	r->action = c->action == CONFIG_ACL_DROP  ? ACL_DROP :
		    c->action == CONFIG_ACL_COUNT ? ACL_COUNT :
						    ACL_ALLOW;
	r->proto = proto_num[c->proto];
	r->family = c->src.family ? c->src.family : c->dst.family;
	if (c->proto == CONFIG_PROTO_ICMP)
		r->family = AF_INET;
	if (c->proto == CONFIG_PROTO_ICMPV6)
		r->family = AF_INET6;
	r->src_plen = c->src.family ? c->src.plen : 0;
	r->dst_plen = c->dst.family ? c->dst.plen : 0;
	memcpy(r->src, c->src.a, 16);
	memcpy(r->dst, c->dst.a, 16);
	r->sport_lo = (uint16_t)c->sport.lo;
	r->sport_hi = (uint16_t)c->sport.hi;
	r->dport_lo = (uint16_t)c->dport.lo;
	r->dport_hi = (uint16_t)c->dport.hi;
}

/* Push config entry @i's rules, whole, to its program. */
static int job_acl_push(struct job *j, unsigned int i)
{
	const struct config_xdp_acl *c = &j->cfg->xdp_acls[i];
	struct acl_rule r[ACL_MAX_RULES];

	for (unsigned int k = 0; k < c->n_rules; k++)
		job_acl_rule(&c->rules[k], j->acls[i].slot[k], &r[k]);
	return ebpf_acl_set_rules(j->acls[i].acl, r, c->n_rules,
				  c->default_action == CONFIG_ACL_DEFAULT_DROP);
}

static int job_acl_start(struct job *j, unsigned int i)
{
	const struct config_xdp_acl *c = &j->cfg->xdp_acls[i];
	struct ebpf_acl_opts o = {
		.ifname = c->interface,
		.ifindex = (int)if_nametoindex(c->interface),
		.mode = c->mode == CONFIG_XDP_NATIVE  ? EBPF_XDP_NATIVE :
			c->mode == CONFIG_XDP_GENERIC ? EBPF_XDP_GENERIC :
							EBPF_XDP_AUTO,
		.persist = c->persist,
		.pin_dir = j->cfg->ebpf.pin_dir,
		.default_drop = c->default_action == CONFIG_ACL_DEFAULT_DROP,
	};
	struct job_acl *a = &j->acls[i];
	int ret;

	if (o.ifindex <= 0) {
		LOG_ERR("cli", "xdp_acls[%u].interface: no interface '%s' here", i, c->interface);
		return -ENODEV;
	}
	ret = ebpf_acl_attach(&o, &a->acl);
	if (ret) {
		LOG_ERR("cli", "xdp_acls[%u]: cannot filter %s: %s", i, c->interface,
			strerror(-ret));
		return ret;
	}
	for (unsigned int k = 0; k < ACL_MAX_RULES; k++)
		a->slot[k] = (uint16_t)k;
	ret = job_acl_push(j, i);
	if (ret) {
		LOG_ERR("cli", "xdp_acls[%u]: cannot load the rules: %s", i, strerror(-ret));
		return ret;
	}
	LOG_INFO("cli", "xdp_acls[%u]: %u rule%s on %s (%s XDP, %s)%s", i, c->n_rules,
		 c->n_rules == 1 ? "" : "s", c->interface, ebpf_acl_mode(a->acl),
		 ebpf_acl_shared(a->acl) ? "libxdp dispatcher" : "sole program",
		 ebpf_acl_replaced(a->acl) ? ", in place of the last run's (no gap)" : "");
	return 0;
}

static int job_uplink_filter(struct job *j)
{
	const struct config_uplink_filter *c = &j->cfg->uplink_filter;
	struct vsw_prefix allow[VSW_MAX_FILTER_PREFIXES];
	struct vsw_uplink_filter f = { .enforce_vteps = c->enforce_vteps,
				       .enforce_vnis = c->enforce_vnis,
				       .rate_pps = c->rate_limit_pps,
				       .burst = c->rate_limit_burst,
				       .allow = allow,
				       .n_allow = c->n_vtep_allow };
	int ret;

	if (!j->sw || !j->cfg->vtep.local.family)
		return 0;
	for (unsigned int i = 0; i < c->n_vtep_allow && i < VSW_MAX_FILTER_PREFIXES; i++) {
		memset(&allow[i], 0, sizeof(allow[i]));
		allow[i].addr.family = c->vtep_allow[i].family;
		memcpy(allow[i].addr.a, c->vtep_allow[i].a, 16);
		allow[i].plen = c->vtep_allow[i].plen;
	}
	ret = vsw_uplink_filter_set(j->sw, &f);
	if (ret)
		LOG_ERR("cli", "uplink_filter: cannot set: %s", strerror(-ret));
	return ret;
}

int job_filters_start(struct job *j)
{
	int ret = job_uplink_filter(j);

	if (ret || !j->cfg->n_xdp_acls)
		return ret;
	j->acls = calloc(j->cfg->n_xdp_acls, sizeof(*j->acls));
	if (!j->acls)
		return -ENOMEM;
	for (unsigned int i = 0; !ret && i < j->cfg->n_xdp_acls; i++)
		ret = job_acl_start(j, i);
	return ret;
}

void job_filters_stop(struct job *j)
{
	for (unsigned int i = 0; j->acls && i < j->cfg->n_xdp_acls; i++)
		ebpf_acl_close(j->acls[i].acl);
	free(j->acls);
	j->acls = NULL;
}

/* ---- the control socket ---- */

static int job_acl_find(struct job *j, const char *ifname)
{
	for (unsigned int i = 0; ifname && j->acls && i < j->cfg->n_xdp_acls; i++)
		if (!strcmp(j->cfg->xdp_acls[i].interface, ifname))
			return (int)i;
	return -1;
}

/* A counter slot no rule of entry @i holds; its counts start from zero. */
static uint16_t job_acl_free_slot(const struct job_acl *a, unsigned int n_rules)
{
	bool used[ACL_MAX_RULES] = { false };
	uint16_t s;

	for (unsigned int k = 0; k < n_rules; k++)
		used[a->slot[k]] = true;
	for (s = 0; s < ACL_MAX_RULES && used[s]; s++)
		;
	return s;
}

int job_filter_add(struct job *j, const char *ifname, json_t *rule, int index,
		   struct config_error *err)
{
	int i = job_acl_find(j, ifname);
	struct config_xdp_acl *c;
	struct config_acl_rule r, *arr;
	struct job_acl *a;
	unsigned int at;
	uint16_t slot;

	if (i < 0) {
		snprintf(err->msg, sizeof(err->msg), "interface: no access list on '%.32s'",
			 ifname ? ifname : "");
		return -ENOENT;
	}
	c = &j->cfg->xdp_acls[i];
	a = &j->acls[i];
	if (config_parse_acl_rule(rule, "rule", &r, err))
		return -EINVAL;
	if (c->n_rules >= ACL_MAX_RULES) {
		snprintf(err->msg, sizeof(err->msg), "rule: '%s' has %d rules, the most allowed",
			 c->interface, ACL_MAX_RULES);
		return -ENOSPC;
	}
	at = index < 0 || (unsigned int)index > c->n_rules ? c->n_rules : (unsigned int)index;
	arr = realloc(c->rules, (c->n_rules + 1) * sizeof(*arr));
	if (!arr) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -ENOMEM;
	}
	c->rules = arr;
	slot = job_acl_free_slot(a, c->n_rules);
	ebpf_acl_reset_hits(a->acl, slot);
	memmove(&arr[at + 1], &arr[at], (c->n_rules - at) * sizeof(*arr));
	memmove(&a->slot[at + 1], &a->slot[at], (c->n_rules - at) * sizeof(a->slot[0]));
	arr[at] = r;
	a->slot[at] = slot;
	c->n_rules++;
	return job_acl_push(j, (unsigned int)i);
}

int job_filter_del(struct job *j, const char *ifname, int index, struct config_error *err)
{
	int i = job_acl_find(j, ifname);
	struct config_xdp_acl *c;
	struct job_acl *a;

	if (i < 0) {
		snprintf(err->msg, sizeof(err->msg), "interface: no access list on '%.32s'",
			 ifname ? ifname : "");
		return -ENOENT;
	}
	c = &j->cfg->xdp_acls[i];
	a = &j->acls[i];
	if (index < 0 || (unsigned int)index >= c->n_rules) {
		snprintf(err->msg, sizeof(err->msg), "index: '%s' has no rule %d (it has %u)",
			 c->interface, index, c->n_rules);
		return -ENOENT;
	}
	memmove(&c->rules[index], &c->rules[index + 1],
		(c->n_rules - (unsigned int)index - 1) * sizeof(c->rules[0]));
	memmove(&a->slot[index], &a->slot[index + 1],
		(c->n_rules - (unsigned int)index - 1) * sizeof(a->slot[0]));
	c->n_rules--;
	return job_acl_push(j, (unsigned int)i);
}

static json_t *job_acl_json(struct job *j, unsigned int i)
{
	const struct config_xdp_acl *c = &j->cfg->xdp_acls[i];
	struct ebpf_acl *acl = j->acls[i].acl;
	json_t *rules = json_array(), *r;
	struct ebpf_acl_stats st;
	uint64_t pk, by;

	for (unsigned int k = 0; k < c->n_rules; k++) {
		ebpf_acl_hits(acl, j->acls[i].slot[k], &pk, &by);
		r = config_acl_rule_json(&c->rules[k]);
		json_object_set_new(r, "index", json_integer(k));
		json_object_set_new(r, "packets", json_integer((json_int_t)pk));
		json_object_set_new(r, "bytes", json_integer((json_int_t)by));
		json_array_append_new(rules, r);
	}
	ebpf_acl_stats(acl, &st);
	return json_pack("{s:s, s:s, s:b, s:b, s:s, s:o, s:{s:I, s:I, s:I, s:I}}", "interface",
			 c->interface, "mode", ebpf_acl_mode(acl), "persist", c->persist, "shared",
			 ebpf_acl_shared(acl), "default",
			 c->default_action == CONFIG_ACL_DEFAULT_DROP ? "drop" : "allow", "rules",
			 rules, "stats", "passed", (json_int_t)st.passed, "dropped",
			 (json_int_t)st.dropped, "not_ip", (json_int_t)st.not_ip, "by_default",
			 (json_int_t)st.by_default);
}

static json_t *job_uplinks_json(struct job *j)
{
	uint16_t ids[VSW_MAX_PORTS];
	unsigned int n = j->sw ? vsw_port_ids(j->sw, ids, VSW_MAX_PORTS) : 0;
	struct vsw_filter_stats fs;
	struct vsw_port_stats ps;
	json_t *a = json_array();

	for (unsigned int i = 0; i < n; i++) {
		if (vsw_port_stats(j->sw, ids[i], &ps) || !ps.uplink ||
		    vsw_uplink_filter_stats(j->sw, ids[i], &fs) || !fs.xdp)
			continue;
		json_array_append_new(a, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "name",
						   ps.name, "steered", (json_int_t)fs.steered,
						   "passed", (json_int_t)fs.passed, "drop_vtep",
						   (json_int_t)fs.drop_vtep, "drop_vni",
						   (json_int_t)fs.drop_vni, "drop_rate",
						   (json_int_t)fs.drop_rate));
	}
	return a;
}

json_t *job_filters_json(struct job *j)
{
	json_t *acls = json_array();

	for (unsigned int i = 0; j->acls && i < j->cfg->n_xdp_acls; i++)
		json_array_append_new(acls, job_acl_json(j, i));
	return json_pack("{s:o, s:o}", "acls", acls, "uplinks", job_uplinks_json(j));
}
