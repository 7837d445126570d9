/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl.c - the control socket of a running ferry (architecture.md: everything a
 * config file can say can also be done at run time, with the same schema).
 *
 * Protocol: a client sends one JSON object per line, {"cmd": NAME, ...}, and
 * gets one JSON object per line back: {"ok": true, ...} or {"ok": false,
 * "error": "where: why"}.  Commands come from one table.  Items are
 * validated by config/ against the running config exactly as in a file, so
 * errors read the same ("port.tenant: unknown tenant 'x'").
 *
 * Everything runs on the main thread from the runner's event loop.  Clients
 * are untrusted: each has a bounded, non-blocking input buffer; a client that
 * sends an over-long line or garbage gets an error or is dropped, and can
 * never stall the loop or another client.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/job.h"
#include "util/log.h"
#include "util/usock.h"
#include "cli/job_api.h"
#include "vswitch/capture.h"
#include "vswitch/evpn.h"
#include "vswitch/overlay.h"

#define CTL_MAX_CLIENTS 4
#define CTL_LINE_MAX 65536

struct ctl_client {
	int fd; /* -1: slot free */
	bool sniffed; /* its first bytes said: line protocol, not HTTP */
	size_t len; /* bytes buffered */
	char buf[CTL_LINE_MAX];
	struct ctl_server *srv;
};

struct ctl_server {
	struct job *job;
	int listen_fd;
	char path[108];
	struct ctl_client clients[CTL_MAX_CLIENTS];
	struct http_server *http; /* REST on the same socket (http.c) */
};

typedef json_t *(*ctl_cmd_fn)(struct job *j, json_t *req, struct config_error *err);

static json_t *ctl_ok(void)
{
	return json_pack("{s:b}", "ok", 1);
}

static json_t *cmd_status(struct job *j, json_t *req, struct config_error *err)
{
	json_t *r = ctl_ok(), *vms = json_array(), *ports = json_array();
	uint16_t ids[VSW_MAX_PORTS];
	unsigned int n;

	(void)req;
	(void)err;
	for (unsigned int i = 0; i < j->cfg->n_vms; i++)
		json_array_append_new(vms, json_string(j->cfg->vms[i].name));
	n = j->sw ? vsw_port_ids(j->sw, ids, VSW_MAX_PORTS) : 0;
	for (unsigned int i = 0; i < n; i++) {
		struct vsw_port_stats st;

		if (vsw_port_stats(j->sw, ids[i], &st) == 0)
			json_array_append_new(ports,
					      json_pack("{s:s, s:s, s:i}", "name", st.name, "kind",
							st.kind, "vni", (int)st.vni));
	}
	json_object_set_new(r, "vms", vms);
	json_object_set_new(r, "ports", ports);
	json_object_set_new(r, "config", config_to_json(j->cfg));
	return r;
}

/* Per-queue counters of a multiqueue port: [{"queue", "rx_packets", "tx_packets"}]. */
static void port_queues_json(json_t *o, const struct vsw_port_stats *st)
{
	json_t *a;

	if (st->drv.n_queues < 2)
		return;
	a = json_array();
	for (uint16_t q = 0; q < st->drv.n_queues; q++)
		json_array_append_new(a, json_pack("{s:i, s:I, s:I}", "queue", (int)q, "rx_packets",
						   (json_int_t)st->drv.q_rx[q], "tx_packets",
						   (json_int_t)st->drv.q_tx[q]));
	json_object_set_new(o, "queues", a);
}

static json_t *port_stats_json_base(const struct vsw_port_stats *st)
{
	return json_pack("{s:s, s:s, s:s, s:b, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
			 "s:I}",
			 "name", st->name, "kind", st->kind, "info", st->info, "uplink", st->uplink,
			 "vni", (int)st->vni, "rx_packets", (json_int_t)st->rx_packets, "rx_bytes",
			 (json_int_t)st->rx_bytes, "tx_packets", (json_int_t)st->tx_packets,
			 "tx_delivered", (json_int_t)st->tx_delivered, "tx_bytes",
			 (json_int_t)st->tx_bytes, "drops_tx", (json_int_t)st->drops[VSW_DROP_TX],
			 "drops_hairpin", (json_int_t)st->drops[VSW_DROP_HAIRPIN], "drops_runt",
			 (json_int_t)st->drops[VSW_DROP_RUNT], "tx_undelivered",
			 (json_int_t)st->drv.tx_errors, "rx_missed", (json_int_t)st->drv.rx_missed);
}

/* TCP segmentation and checksums: what passed whole and what the switch did for the port. */
static void port_offload_json(json_t *o, const struct vsw_port_stats *st)
{
	json_object_set_new(o, "gso_rx", json_integer((json_int_t)st->gso_rx));
	json_object_set_new(o, "gso_tx", json_integer((json_int_t)st->gso_tx));
	json_object_set_new(o, "gso_split", json_integer((json_int_t)st->gso_split));
	json_object_set_new(o, "csum_sw", json_integer((json_int_t)st->csum_sw));
	json_object_set_new(o, "drops_offload",
			    json_integer((json_int_t)st->drops[VSW_DROP_OFFLOAD]));
}

static json_t *port_stats_json(const struct vsw_port_stats *st)
{
	json_t *o = port_stats_json_base(st);

	port_offload_json(o, st);
	port_queues_json(o, st);
	return o;
}

static json_t *ctl_addr_json(const struct vsw_addr *a)
{
	char buf[VSW_ADDR_STRLEN];

	return json_string(vsw_addr_str(a, buf, sizeof(buf)));
}

static json_t *ctl_mac_json(const uint8_t mac[6])
{
	char buf[18];

	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
	return json_string(buf);
}

/* Overlay counters: encapsulation, decapsulation and every drop reason by name. */
static json_t *ctl_overlay_json(struct vsw *sw)
{
	struct vsw_overlay_stats os;
	json_t *o, *drops;

	if (vsw_overlay_stats(sw, &os) || !os.enabled)
		return json_pack("{s:b}", "enabled", 0);
	drops = json_object();
	for (unsigned int i = 0; i < VSW_TUN_DROP_MAX; i++)
		json_object_set_new(drops, vsw_tun_drop_name((enum vsw_tun_drop)i),
				    json_integer((json_int_t)os.drops[i]));
	o = json_pack("{s:b, s:o, s:i, s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		      "enabled", 1, "local", ctl_addr_json(&os.opts.local), "udp_port",
		      os.opts.udp_port, "vteps", os.n_vteps, "vteps_learned_now", os.n_learned,
		      "vteps_learned", (json_int_t)os.vteps_learned, "vteps_aged",
		      (json_int_t)os.vteps_aged, "encap_packets", (json_int_t)os.encap_packets,
		      "encap_bytes", (json_int_t)os.encap_bytes, "decap_packets",
		      (json_int_t)os.decap_packets, "decap_bytes", (json_int_t)os.decap_bytes,
		      "not_tunnel", (json_int_t)os.not_tunnel, "learn_queue_full",
		      (json_int_t)os.learn_queue_full);
	json_object_set_new(o, "drops", drops);
	return o;
}

static json_t *ctl_vtep_json(const struct vsw_vtep_stats *v)
{
	json_t *vnis = json_array();

	for (unsigned int i = 0; i < v->n_vnis; i++)
		json_array_append_new(vnis, json_integer(v->vnis[i]));
	return json_pack("{s:o, s:s, s:o, s:i, s:s, s:s, s:o, s:o, s:o, s:i, s:I, s:I, s:I, s:I, "
			 "s:I, s:b}",
			 "address", ctl_addr_json(&v->addr), "origin",
			 v->learned ? "learned" :
			 v->evpn    ? "evpn" :
				      "config",
			 "vnis", vnis, "idle_s", (int)v->idle_s, "state",
			 vsw_nh_state_name(v->state), "uplink", v->uplink, "via",
			 ctl_addr_json(&v->via), "via_mac", ctl_mac_json(v->via_mac), "route_src",
			 ctl_addr_json(&v->src), "mtu", (int)v->mtu, "tx_packets",
			 (json_int_t)v->tx_packets, "tx_bytes", (json_int_t)v->tx_bytes,
			 "rx_packets", (json_int_t)v->rx_packets, "rx_bytes",
			 (json_int_t)v->rx_bytes, "tx_dropped", (json_int_t)v->tx_dropped,
			 "encrypted", v->encrypted);
}

/* The VTEP table (like `bridge fdb show dev vxlan0` for the remote side). */
static json_t *cmd_vteps(struct job *j, json_t *req, struct config_error *err)
{
	static struct vsw_vtep_stats vt[VSW_MAX_VTEPS];
	json_t *r = ctl_ok(), *a = json_array();
	unsigned int n;

	(void)err;
	/* "refresh": re-read the underlay first, so a route change shows at once. */
	if (j->sw && json_is_true(json_object_get(req, "refresh")))
		vsw_overlay_refresh(j->sw);
	n = j->sw ? vsw_vteps(j->sw, vt, VSW_MAX_VTEPS) : 0;
	for (unsigned int i = 0; i < n; i++)
		json_array_append_new(a, ctl_vtep_json(&vt[i]));
	json_object_set_new(r, "vteps", a);
	if (j->sw)
		json_object_set_new(r, "overlay", ctl_overlay_json(j->sw));
	return r;
}

/* One tenant's MAC table, local and remote entries (like `ovs-appctl fdb/show`). */
static json_t *cmd_fdb(struct job *j, json_t *req, struct config_error *err)
{
	static struct vsw_mac_entry e[4096];
	const char *name = json_string_value(json_object_get(req, "name"));
	const struct config_tenant *t = name ? config_find_tenant(j->cfg, name) : NULL;
	json_t *r, *a;
	int n;

	if (!t) {
		snprintf(err->msg, sizeof(err->msg), "name: %s",
			 name ? "unknown tenant" : "a tenant name is required");
		return NULL;
	}
	n = j->sw ? vsw_fdb_dump(j->sw, t->vni, e, ARRAY_SIZE(e)) : -ENOENT;
	if (n < 0) {
		snprintf(err->msg, sizeof(err->msg), "name: tenant '%s' has no switch table", name);
		return NULL;
	}
	r = ctl_ok();
	a = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:o, s:s, s:o, s:i, s:s}", "mac",
						   ctl_mac_json(e[i].mac), "kind",
						   e[i].remote ? "remote" : "local", "where",
						   e[i].remote ? ctl_addr_json(&e[i].vtep) :
								 json_string(e[i].port),
						   "idle_s", (int)e[i].idle_s, "origin",
						   e[i].evpn ? "evpn" : "learned"));
	json_object_set_new(r, "tenant", json_string(t->name));
	json_object_set_new(r, "vni", json_integer(t->vni));
	json_object_set_new(r, "macs", a);
	return r;
}

/* EVPN bindings: devices, what came from zebra, what went to it. */
static json_t *cmd_evpn(struct job *j, json_t *req, struct config_error *err)
{
	static struct vsw_evpn_stats st[VSW_MAX_TENANTS];
	json_t *r = ctl_ok(), *a = json_array();
	unsigned int n = j->sw ? vsw_evpn_stats(j->sw, st, VSW_MAX_TENANTS) : 0;

	(void)req;
	(void)err;
	for (unsigned int i = 0; i < n; i++)
		json_array_append_new(
			a,
			json_pack("{s:i, s:s, s:s, s:s, s:b, s:s, s:i, s:i, s:i, s:i, s:I, s:I, "
				  "s:I, s:I, s:I, s:I, s:I}",
				  "vni", (int)st[i].vni, "device", st[i].dev, "bridge",
				  st[i].bridge, "port", st[i].port, "ready", st[i].ready, "state",
				  st[i].state, "vteps", (int)st[i].vteps, "macs", (int)st[i].macs,
				  "exported", (int)st[i].exported, "ips", (int)st[i].ips,
				  "arps_dropped", (json_int_t)st[i].arps_dropped, "imported",
				  (json_int_t)st[i].imported, "withdrawn",
				  (json_int_t)st[i].withdrawn, "export_adds",
				  (json_int_t)st[i].export_adds, "export_dels",
				  (json_int_t)st[i].export_dels, "errors", (json_int_t)st[i].errors,
				  "resyncs", (json_int_t)st[i].resyncs));
	json_object_set_new(r, "evpn", a);
	return r;
}

/*
 * The rx queues PMD @pmd polls, with what each received, like
 * `ovs-appctl dpif-netdev/pmd-rxq-show` (per-queue counts where the port
 * kind keeps them, else the port's).
 */
static json_t *pmd_rxqs_json(struct vsw *sw, unsigned int pmd)
{
	uint16_t ids[VSW_MAX_PORTS];
	unsigned int n = vsw_port_ids(sw, ids, VSW_MAX_PORTS);
	json_t *a = json_array();
	struct vsw_port_stats st;

	for (unsigned int i = 0; i < n; i++) {
		if (vsw_port_stats(sw, ids[i], &st))
			continue;
		for (uint16_t q = 0; q < st.n_rxq; q++) {
			if (vsw_port_rxq_pmd(sw, ids[i], q) != (int)pmd)
				continue;
			json_array_append_new(a, json_pack("{s:s, s:i, s:I}", "port", st.name,
							   "queue", (int)q, "rx_packets",
							   (json_int_t)(q < st.drv.n_queues ?
										st.drv.q_rx[q] :
										st.rx_packets)));
		}
	}
	return a;
}

/* Per-PMD counters and queues, like `ovs-appctl dpif-netdev/pmd-stats-show`. */
static json_t *cmd_pmds(struct job *j, json_t *req, struct config_error *err)
{
	json_t *r = ctl_ok(), *a = json_array(), *o;
	unsigned int n = j->sw ? vsw_pmd_count(j->sw) : 0;
	struct vsw_pmd_stats st;

	(void)req;
	(void)err;
	for (unsigned int i = 0; i < n; i++) {
		if (vsw_pmd_stats(j->sw, i, &st))
			continue;
		o = json_pack("{s:i, s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:I}", "pmd", (int)i, "cpu",
			      st.cpu, "rx_queues", (int)st.n_rxq, "iterations",
			      (json_int_t)st.iterations, "busy_iterations",
			      (json_int_t)st.busy_iterations, "rx_packets",
			      (json_int_t)st.rx_packets, "tx_packets", (json_int_t)st.tx_packets,
			      "sleeps", (json_int_t)st.sleeps, "wakeups_measured",
			      (json_int_t)st.wakeups_measured);
		json_object_set_new(o, "rxqs", pmd_rxqs_json(j->sw, i));
		json_array_append_new(a, o);
	}
	json_object_set_new(r, "pmds", a);
	return r;
}

static json_t *cmd_stats(struct job *j, json_t *req, struct config_error *err)
{
	json_t *r = ctl_ok(), *ports = json_array(), *tenants = json_array();
	uint16_t ids[VSW_MAX_PORTS];
	unsigned int n;

	(void)req;
	(void)err;
	n = j->sw ? vsw_port_ids(j->sw, ids, VSW_MAX_PORTS) : 0;
	for (unsigned int i = 0; i < n; i++) {
		struct vsw_port_stats st;

		if (vsw_port_stats(j->sw, ids[i], &st) == 0)
			json_array_append_new(ports, port_stats_json(&st));
	}
	for (unsigned int i = 0; j->sw && i < j->cfg->n_tenants; i++) {
		struct vsw_tenant_stats ts;

		if (vsw_tenant_stats(j->sw, j->cfg->tenants[i].vni, &ts) == 0)
			json_array_append_new(
				tenants,
				json_pack("{s:s, s:i, s:I, s:I, s:I, s:I, s:i}", "name",
					  j->cfg->tenants[i].name, "vni", (int)ts.vni, "rx_packets",
					  (json_int_t)ts.rx_packets, "unicast",
					  (json_int_t)ts.unicast, "flooded", (json_int_t)ts.flooded,
					  "dropped", (json_int_t)ts.dropped, "macs",
					  (int)ts.fdb_entries));
	}
	json_object_set_new(r, "ports", ports);
	json_object_set_new(r, "tenants", tenants);
	if (j->sw)
		json_object_set_new(r, "overlay", ctl_overlay_json(j->sw));
	return r;
}

static json_t *cmd_tenant_add(struct job *j, json_t *req, struct config_error *err)
{
	struct config_tenant *t;
	int ret;

	if (config_parse_tenant(j->cfg, json_object_get(req, "tenant"), "tenant", &t, err))
		return NULL;
	ret = j->sw ? vsw_tenant_add(j->sw, t->vni) : -ENOTSUP;
	if (!ret && job_tenant_overlay(j, t)) {
		vsw_tenant_evpn(j->sw, t->vni, NULL);
		vsw_tenant_remove(j->sw, t->vni);
		ret = -EIO;
	}
	if (!ret)
		ret = config_add_tenant(j->cfg, t);
	if (ret) {
		snprintf(err->msg, sizeof(err->msg), "tenant: cannot add: %s",
			 ret == -ENOTSUP ? "this ferry runs no switch" : strerror(-ret));
		config_tenant_free(t);
		return NULL;
	}
	return ctl_ok();
}

static const char *req_name(json_t *req, struct config_error *err)
{
	const char *name = json_string_value(json_object_get(req, "name"));

	if (!name)
		snprintf(err->msg, sizeof(err->msg), "name: a string is required");
	return name;
}

static json_t *cmd_tenant_remove(struct job *j, json_t *req, struct config_error *err)
{
	const char *name = req_name(req, err);
	const struct config_tenant *t = name ? config_find_tenant(j->cfg, name) : NULL;
	uint32_t vni;
	int ret;

	if (!name)
		return NULL;
	if (!t) {
		snprintf(err->msg, sizeof(err->msg), "name: unknown tenant '%s'", name);
		return NULL;
	}
	/* Now: removal moves the array, and @t would then be the next tenant. */
	vni = t->vni;
	ret = config_remove_tenant(j->cfg, name); /* -EBUSY while ports use it */
	if (!ret && j->sw) {
		vsw_tenant_evpn(j->sw, vni, NULL); /* withdraws what it exported; -ENOENT if none */
		ret = vsw_tenant_remove(j->sw, vni);
	}
	if (ret) {
		snprintf(err->msg, sizeof(err->msg), "name: cannot remove tenant '%s': %s", name,
			 ret == -EBUSY ? "ports still use it" : strerror(-ret));
		return NULL;
	}
	return ctl_ok();
}

static json_t *cmd_port_add(struct job *j, json_t *req, struct config_error *err)
{
	struct config_vhost_port *p;
	int ret;

	if (config_parse_vhost_port(j->cfg, json_object_get(req, "port"), "port", &p, err))
		return NULL;
	ret = job_vhost_port_add(j, p);
	if (!ret)
		ret = config_add_vhost_port(j->cfg, p);
	if (ret) {
		snprintf(err->msg, sizeof(err->msg), "port: cannot add '%s': %s", p->name,
			 strerror(-ret));
		config_vhost_port_free(p);
		return NULL;
	}
	return ctl_ok();
}

static json_t *cmd_port_remove(struct job *j, json_t *req, struct config_error *err)
{
	const char *name = req_name(req, err);
	int ret;

	if (!name)
		return NULL;
	ret = job_vhost_port_remove(j, name);
	if (!ret)
		ret = config_remove_vhost_port(j->cfg, name);
	if (ret) {
		snprintf(err->msg, sizeof(err->msg), "name: cannot remove port '%s': %s", name,
			 ret == -ENOENT ? "no such vhost-user port" : strerror(-ret));
		return NULL;
	}
	return ctl_ok();
}

static void ctl_to_addr(const struct config_addr *c, struct vsw_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = c->family;
	memcpy(a->a, c->a, sizeof(a->a));
}

/* {"cmd": "vtep-add", "tenant": NAME, "address": IP}: seed a remote VTEP at run time. */
static json_t *cmd_vtep_add(struct job *j, json_t *req, struct config_error *err)
{
	const char *tenant = json_string_value(json_object_get(req, "tenant"));
	const char *addr = json_string_value(json_object_get(req, "address"));
	struct config_addr ca;
	struct vsw_addr a;
	uint32_t vni;
	int ret;

	if (config_tenant_vtep_add(j->cfg, tenant, addr, &ca, err))
		return NULL;
	vni = config_find_tenant(j->cfg, tenant)->vni;
	ctl_to_addr(&ca, &a);
	ret = j->sw ? vsw_tenant_vtep_add(j->sw, vni, &a) : -ENOTSUP;
	if (ret) {
		config_tenant_vtep_remove(j->cfg, tenant, addr, &ca, err);
		snprintf(err->msg, sizeof(err->msg), "address: cannot add VTEP %s: %s", addr,
			 strerror(-ret));
		return NULL;
	}
	return ctl_ok();
}

static json_t *cmd_vtep_remove(struct job *j, json_t *req, struct config_error *err)
{
	const char *tenant = json_string_value(json_object_get(req, "tenant"));
	const char *addr = json_string_value(json_object_get(req, "address"));
	struct config_addr ca;
	struct vsw_addr a;
	uint32_t vni;
	int ret;

	if (config_tenant_vtep_remove(j->cfg, tenant, addr, &ca, err))
		return NULL;
	vni = config_find_tenant(j->cfg, tenant)->vni;
	ctl_to_addr(&ca, &a);
	ret = j->sw ? vsw_tenant_vtep_remove(j->sw, vni, &a) : -ENOTSUP;
	if (ret) {
		snprintf(err->msg, sizeof(err->msg), "address: cannot remove VTEP %s: %s", addr,
			 strerror(-ret));
		return NULL;
	}
	return ctl_ok();
}

/* {"cmd": "filter-list"}: the access lists with their rules and counters, the uplinks' filters. */
static json_t *cmd_filter_list(struct job *j, json_t *req, struct config_error *err)
{
	json_t *r = ctl_ok();

	(void)req;
	(void)err;
	json_object_update_new(r, job_filters_json(j));
	return r;
}

/* {"cmd": "filter-add", "interface": IF, "rule": {...}, "index": N (optional)} */
static json_t *cmd_filter_add(struct job *j, json_t *req, struct config_error *err)
{
	json_t *idx = json_object_get(req, "index");

	if (idx && !json_is_integer(idx)) {
		snprintf(err->msg, sizeof(err->msg), "index: must be an integer");
		return NULL;
	}
	if (job_filter_add(j, json_string_value(json_object_get(req, "interface")),
			   json_object_get(req, "rule"), idx ? (int)json_integer_value(idx) : -1,
			   err))
		return NULL;
	return ctl_ok();
}

/* {"cmd": "filter-del", "interface": IF, "index": N} */
static json_t *cmd_filter_del(struct job *j, json_t *req, struct config_error *err)
{
	json_t *idx = json_object_get(req, "index");

	if (!json_is_integer(idx)) {
		snprintf(err->msg, sizeof(err->msg), "index: an integer is required");
		return NULL;
	}
	if (job_filter_del(j, json_string_value(json_object_get(req, "interface")),
			   (int)json_integer_value(idx), err))
		return NULL;
	return ctl_ok();
}

/* The tunnel, as `wg show` tells it: {"cmd": "wg"}. */
static json_t *cmd_wg_show(struct job *j, json_t *req, struct config_error *err)
{
	json_t *r = ctl_ok();

	(void)req;
	(void)err;
	json_object_set_new(r, "wireguard", job_wg_json(j));
	return r;
}

/* {"cmd": "wg-peer-add", "peer": {"public_key": ..., "endpoint": ..., ...}} */
static json_t *cmd_wg_peer_add(struct job *j, json_t *req, struct config_error *err)
{
	return job_wg_peer_add(j, json_object_get(req, "peer"), err) ? NULL : ctl_ok();
}

/* {"cmd": "wg-peer-remove", "public_key": KEY} */
static json_t *cmd_wg_peer_remove(struct job *j, json_t *req, struct config_error *err)
{
	return job_wg_peer_remove(j, json_string_value(json_object_get(req, "public_key")), err) ?
		       NULL :
		       ctl_ok();
}

static const struct {
	const char *name;
	ctl_cmd_fn fn;
} ctl_cmds[] = {
	{ "status", cmd_status },
	{ "stats", cmd_stats },
	{ "pmds", cmd_pmds },
	{ "tenant-add", cmd_tenant_add },
	{ "tenant-remove", cmd_tenant_remove },
	{ "port-add", cmd_port_add },
	{ "port-remove", cmd_port_remove },
	{ "vteps", cmd_vteps },
	{ "fdb", cmd_fdb },
	{ "evpn", cmd_evpn },
	{ "vm-list", api_vm_list },
	{ "vm-info", api_vm_info },
	{ "vm-create", api_vm_create },
	{ "vm-action", api_vm_action },
	{ "vm-delete", api_vm_delete },
	{ "vtep-add", cmd_vtep_add },
	{ "vtep-remove", cmd_vtep_remove },
	{ "filter-list", cmd_filter_list },
	{ "filter-add", cmd_filter_add },
	{ "filter-del", cmd_filter_del },
	{ "wg", cmd_wg_show },
	{ "wg-peer-add", cmd_wg_peer_add },
	{ "wg-peer-remove", cmd_wg_peer_remove },
};

json_t *ctl_run(struct job *j, json_t *req)
{
	struct config_error err = { { 0 } };
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	json_t *resp = NULL;

	if (!cmd)
		snprintf(err.msg, sizeof(err.msg), "cmd: a string is required");
	for (size_t i = 0; cmd && i < ARRAY_SIZE(ctl_cmds) && !resp && !err.msg[0]; i++)
		if (strcmp(cmd, ctl_cmds[i].name) == 0)
			resp = ctl_cmds[i].fn(j, req, &err);
	if (!resp && !err.msg[0])
		snprintf(err.msg, sizeof(err.msg), "cmd: unknown command '%.64s'", cmd);
	return resp ? resp : json_pack("{s:b, s:s}", "ok", 0, "error", err.msg);
}

static json_t *ctl_handle(struct job *j, const char *line)
{
	json_error_t jerr;
	json_t *req = json_loads(line, JSON_REJECT_DUPLICATES, &jerr), *resp;
	char msg[256];

	if (!req) {
		snprintf(msg, sizeof(msg), "request: invalid JSON at column %d: %s", jerr.column,
			 jerr.text);
		return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
	}
	resp = ctl_run(j, req);
	json_decref(req);
	return resp;
}

static void ctl_client_close(struct ctl_client *c)
{
	runner_unwatch_fd(c->srv->job->r, c->fd);
	close(c->fd);
	c->fd = -1;
	c->len = 0;
}

static void ctl_reply(struct ctl_client *c, json_t *resp)
{
	char *text = json_dumps(resp, JSON_COMPACT);
	size_t n = text ? strlen(text) : 0, off = 0;
	ssize_t w;

	json_decref(resp);
	if (!text)
		return;
	text[n] = '\n'; /* replaces the NUL: the line is sent with its newline */
	while (off < n + 1 && (w = send(c->fd, text + off, n + 1 - off, MSG_NOSIGNAL)) > 0)
		off += (size_t)w;
	free(text);
	if (off < n + 1)
		ctl_client_close(c); /* a client that does not read its replies is dropped */
}

/* Handle every complete line in the buffer. */
/*
 * {"cmd": "capture", "port": NAME, "direction": "rx"|"tx"|"both", "filter":
 * EXPR, "count": N, "snaplen": N}: true if @line was one (and is answered).
 * Once it runs, the
 * reply line and then the pcap stream go down this connection until the
 * client hangs up (vswitch/capture.h); a refusal is an ordinary reply.
 */
static bool ctl_capture(struct ctl_client *c, const char *line)
{
	json_t *req = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	const char *port = json_string_value(json_object_get(req, "port"));
	const char *dir = json_string_value(json_object_get(req, "direction"));
	struct job *j = c->srv->job;
	struct vsw_capture_opts o = { .filter = json_string_value(json_object_get(req, "filter")),
				      .preamble = "{\"ok\": true}\n" };
	char err[256];
	int id, fd;

	if (!cmd || strcmp(cmd, "capture") != 0) {
		json_decref(req);
		return false;
	}
	dir = dir ? dir : "both";
	o.rx = !strcmp(dir, "rx") || !strcmp(dir, "both");
	o.tx = !strcmp(dir, "tx") || !strcmp(dir, "both");
	o.max_packets = (uint64_t)json_integer_value(json_object_get(req, "count"));
	o.snaplen = (uint32_t)json_integer_value(json_object_get(req, "snaplen"));
	id = !port ? -EINVAL : j->sw ? vsw_port_by_name(j->sw, port) : -ENOTSUP;
	if (id < 0 || (!o.rx && !o.tx)) {
		snprintf(err, sizeof(err), "%s",
			 !port		? "port: a port name is required" :
			 id == -ENOTSUP ? "port: this ferry runs no switch" :
			 id < 0		? "port: no such port" :
					  "direction: rx, tx or both");
		ctl_reply(c, json_pack("{s:b, s:s}", "ok", 0, "error", err));
		json_decref(req);
		return true;
	}
	o.port = (uint16_t)id;
	/* The capture writes with blocking writes; the descriptor is its own from here. */
	fd = dup(c->fd);
	if (fd >= 0)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	o.fd = fd;
	id = fd < 0 ? -errno : vsw_capture_start(j->sw, &o, err, sizeof(err));
	json_decref(req);
	if (id < 0)
		ctl_reply(c, json_pack("{s:b, s:s}", "ok", 0, "error", err));
	else
		ctl_client_close(c); /* the connection carries the capture now */
	return true;
}

static void ctl_client_lines(struct ctl_client *c)
{
	char *nl;

	while (c->fd >= 0 && (nl = memchr(c->buf, '\n', c->len))) {
		size_t used = (size_t)(nl - c->buf) + 1;

		*nl = '\0';
		if (nl > c->buf && !ctl_capture(c, c->buf))
			ctl_reply(c, ctl_handle(c->srv->job, c->buf));
		if (c->fd < 0)
			return; /* the reply could not be delivered: client dropped */
		memmove(c->buf, c->buf + used, c->len - used);
		c->len -= used;
	}
}

/*
 * A client's first bytes choose its protocol: an HTTP method is REST
 * (http.c takes the connection over, unread), anything else one JSON
 * request per line.
 */
static bool ctl_sniff_http(struct ctl_client *c)
{
	static const char *const methods[] = { "GET ",	 "POST ", "PUT ",    "DELETE ",
					       "PATCH ", "HEAD ", "OPTIONS " };
	char head[8];
	ssize_t n = recv(c->fd, head, sizeof(head), MSG_PEEK | MSG_DONTWAIT);

	if (n <= 0)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(methods); i++) {
		size_t len = strlen(methods[i]);

		/* A prefix of a method may still be one: wait for more bytes. */
		if (memcmp(head, methods[i], MIN((size_t)n, len)) == 0 && (size_t)n < len)
			return true;
		if ((size_t)n >= len && memcmp(head, methods[i], len) == 0) {
			runner_unwatch_fd(c->srv->job->r, c->fd);
			if (http_adopt(c->srv->http, c->fd) < 0)
				close(c->fd);
			c->fd = -1;
			c->len = 0;
			return true;
		}
	}
	c->sniffed = true;
	return false;
}

static void ctl_client_readable(void *arg)
{
	struct ctl_client *c = arg;
	ssize_t n;

	if (!c->sniffed && c->srv->http && ctl_sniff_http(c))
		return;
	n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, MSG_DONTWAIT);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		ctl_client_close(c);
		return;
	}
	if (n < 0)
		return;
	c->len += (size_t)n;
	ctl_client_lines(c);
	if (c->fd >= 0 && c->len == sizeof(c->buf) - 1) {
		ctl_reply(c, json_pack("{s:b, s:s}", "ok", 0, "error",
				       "request: longer than 64 KiB; closing"));
		if (c->fd >= 0)
			ctl_client_close(c);
	}
}

static void ctl_accept(void *arg)
{
	struct ctl_server *s = arg;
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	for (unsigned int i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = &s->clients[i];

		if (c->fd >= 0)
			continue;
		*c = (struct ctl_client){ .fd = fd, .srv = s };
		if (runner_watch_fd(s->job->r, fd, ctl_client_readable, c) == 0)
			return;
		c->fd = -1;
		break;
	}
	LOG_RL(LOG_LVL_WARN, "ctl", "control socket: too many clients, refusing one");
	close(fd);
}

/* Mode 0600 from the start (util/usock.h): a client can reconfigure the daemon. */
static int ctl_listen(struct ctl_server *s, const char *path)
{
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->listen_fd = usock_listen(path, 0600, 8, SOCK_NONBLOCK);
	return s->listen_fd < 0 ? s->listen_fd : 0;
}

int ctl_start(struct job *j, const char *path)
{
	struct ctl_server *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	s->job = j;
	s->listen_fd = -1;
	for (unsigned int i = 0; i < CTL_MAX_CLIENTS; i++)
		s->clients[i].fd = -1;
	ret = ctl_listen(s, path);
	if (!ret)
		ret = runner_watch_fd(j->r, s->listen_fd, ctl_accept, s);
	if (!ret)
		ret = http_start(j, &s->http);
	if (ret) {
		LOG_ERR("ctl", "control socket '%s': %s", path, strerror(-ret));
		if (s->listen_fd >= 0) {
			runner_unwatch_fd(j->r, s->listen_fd);
			close(s->listen_fd);
		}
		free(s);
		return ret;
	}
	j->ctl = s;
	LOG_INFO("ctl", "control socket at %s", path);
	return 0;
}

void ctl_stop(struct job *j)
{
	struct ctl_server *s = j->ctl;

	if (!s)
		return;
	for (unsigned int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (s->clients[i].fd >= 0)
			ctl_client_close(&s->clients[i]);
	http_stop(j, s->http);
	runner_unwatch_fd(j->r, s->listen_fd);
	close(s->listen_fd);
	unlink(s->path);
	free(s);
	j->ctl = NULL;
}
