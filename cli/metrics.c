/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * metrics.c - GET /metrics: the Prometheus text format (version 0.0.4, which
 * OpenMetrics parsers also read).  Port, tenant and overlay figures are
 * taken from the very document `ferryctl stats --json` prints (ctl.c's
 * "stats"), so the two never disagree on a name or a value; PMD and VM
 * figures come from the switch and the VMs.  Counters end in _total, the
 * rest are gauges; labels name the port, tenant, PMD or VM.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/job.h"
#include "util/compiler.h"
#include "vmm/vmm.h"

/* A growing text buffer; on allocation failure it stops growing and says so at the end. */
struct mbuf {
	char *s;
	size_t len, cap;
	bool failed;
};

static void mb_printf(struct mbuf *b, const char *fmt, ...) FERRY_PRINTF(2, 3);

static void mb_printf(struct mbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (int tries = 0; tries < 2 && !b->failed; tries++) {
		va_start(ap, fmt);
		n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		char *grown = n < 0 ? NULL : realloc(b->s, b->cap * 2 + (size_t)n + 1);

		if (!grown) {
			b->failed = true;
			return;
		}
		b->s = grown;
		b->cap = b->cap * 2 + (size_t)n + 1;
	}
}

/* A label value as the text format wants it: backslash, quote and newline escaped. */
static void mb_label(struct mbuf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			mb_printf(b, "\\%c", *v);
		else if (*v == '\n')
			mb_printf(b, "\\n");
		else
			mb_printf(b, "%c", *v);
	}
}

static void mb_head(struct mbuf *b, const char *name, const char *type, const char *help)
{
	mb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * One family per integer key of the objects in @arr, over all of them:
 * ferry_<what>_<key>_total{<label>="<object's label key>"} value.
 */
static void mb_family_of(struct mbuf *b, json_t *arr, const char *what, const char *label,
			 const char *label_key, const char *const *gauges)
{
	const char *key;
	json_t *first = json_array_get(arr, 0), *o, *v;
	size_t i;

	json_object_foreach(first, key, v)
	{
		bool gauge = false;
		char name[128];

		if (!json_is_integer(v) || strcmp(key, "vni") == 0)
			continue;
		for (const char *const *g = gauges; g && *g; g++)
			gauge |= strcmp(*g, key) == 0;
		snprintf(name, sizeof(name), "ferry_%s_%s%s", what, key, gauge ? "" : "_total");
		mb_head(b, name, gauge ? "gauge" : "counter", "ferryctl stats: the same figure");
		json_array_foreach(arr, i, o)
		{
			mb_printf(b, "%s{%s=\"", name, label);
			mb_label(b, json_string_value(json_object_get(o, label_key)) ?: "");
			mb_printf(b, "\"} %lld\n",
				  (long long)json_integer_value(json_object_get(o, key)));
		}
	}
}

/* Multiqueue ports: ferry_port_queue_{rx,tx}_packets_total{port=...,queue="q"}. */
static void mb_port_queues(struct mbuf *b, json_t *ports)
{
	static const char *const keys[] = { "rx_packets", "tx_packets" };
	json_t *p, *q;
	size_t i, k;

	for (unsigned int f = 0; f < 2; f++) {
		bool head = false;

		json_array_foreach(ports, i, p)
		{
			json_array_foreach(json_object_get(p, "queues"), k, q)
			{
				if (!head)
					mb_printf(
						b,
						"# HELP ferry_port_queue_%s_total per queue pair\n"
						"# TYPE ferry_port_queue_%s_total counter\n",
						keys[f], keys[f]);
				head = true;
				mb_printf(b, "ferry_port_queue_%s_total{port=\"", keys[f]);
				mb_label(b, json_string_value(json_object_get(p, "name")) ?: "");
				mb_printf(
					b, "\",queue=\"%lld\"} %lld\n",
					(long long)json_integer_value(json_object_get(q, "queue")),
					(long long)json_integer_value(json_object_get(q, keys[f])));
			}
		}
	}
}

static void mb_overlay(struct mbuf *b, json_t *ov)
{
	const char *key;
	json_t *v;

	if (!json_is_true(json_object_get(ov, "enabled")))
		return;
	json_object_foreach(ov, key, v)
	{
		char name[128];

		if (!json_is_integer(v) || !strcmp(key, "udp_port") || !strcmp(key, "vteps"))
			continue;
		snprintf(name, sizeof(name), "ferry_overlay_%s_total", key);
		mb_head(b, name, "counter", "ferryctl stats: the same figure");
		mb_printf(b, "%s %lld\n", name, (long long)json_integer_value(v));
	}
	mb_head(b, "ferry_overlay_drops_total", "counter", "tunnel packets dropped, by reason");
	json_object_foreach(json_object_get(ov, "drops"), key, v)
		mb_printf(b, "ferry_overlay_drops_total{reason=\"%s\"} %lld\n", key,
			  (long long)json_integer_value(v));
}

static void mb_pmds(struct mbuf *b, struct job *j)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} f[] = {
		{ "iterations", "poll loops", offsetof(struct vsw_pmd_stats, iterations) },
		{ "busy_iterations", "poll loops that moved frames",
		  offsetof(struct vsw_pmd_stats, busy_iterations) },
		{ "rx_packets", "frames received", offsetof(struct vsw_pmd_stats, rx_packets) },
		{ "tx_packets", "frames sent", offsetof(struct vsw_pmd_stats, tx_packets) },
		{ "sleeps", "times it slept for lack of work",
		  offsetof(struct vsw_pmd_stats, sleeps) },
	};
	unsigned int n = j->sw ? vsw_pmd_count(j->sw) : 0;
	struct vsw_pmd_stats st;
	char name[96];

	for (size_t k = 0; n && k < ARRAY_SIZE(f); k++) {
		snprintf(name, sizeof(name), "ferry_pmd_%s_total", f[k].name);
		mb_head(b, name, "counter", f[k].help);
		for (unsigned int i = 0; i < n; i++)
			if (vsw_pmd_stats(j->sw, i, &st) == 0)
				mb_printf(b, "%s{pmd=\"%u\"} %llu\n", name, i,
					  (unsigned long long)*(
						  const uint64_t *)((const char *)&st + f[k].off));
	}
}

static void mb_vms(struct mbuf *b, struct job *j)
{
	uint64_t pio, mmio;
	bool head = false;

	for (unsigned int i = 0; i < JOB_MAX_VMS; i++) {
		if (!j->vms[i].used || !j->vms[i].vm)
			continue;
		if (!head)
			mb_head(b, "ferry_vm_exits_total", "counter", "VM exits to ferry, by kind");
		head = true;
		vmm_vm_exit_counts(j->vms[i].vm, &pio, &mmio);
		mb_printf(b, "ferry_vm_exits_total{vm=\"");
		mb_label(b, j->vms[i].name);
		mb_printf(b, "\",kind=\"pio\"} %llu\nferry_vm_exits_total{vm=\"",
			  (unsigned long long)pio);
		mb_label(b, j->vms[i].name);
		mb_printf(b, "\",kind=\"mmio\"} %llu\n", (unsigned long long)mmio);
	}
}

char *metrics_text(struct job *j)
{
	static const char *const tenant_gauges[] = { "macs", NULL };
	json_t *req = json_pack("{s:s}", "cmd", "stats"), *st = ctl_run(j, req);
	struct mbuf b = { .s = malloc(4096), .cap = 4096 };

	json_decref(req);
	if (!b.s) {
		json_decref(st);
		return NULL;
	}
	b.s[0] = '\0';
	mb_family_of(&b, json_object_get(st, "ports"), "port", "port", "name", NULL);
	mb_port_queues(&b, json_object_get(st, "ports"));
	mb_family_of(&b, json_object_get(st, "tenants"), "tenant", "tenant", "name", tenant_gauges);
	mb_overlay(&b, json_object_get(st, "overlay"));
	mb_pmds(&b, j);
	mb_vms(&b, j);
	json_decref(st);
	if (b.failed) {
		free(b.s);
		return NULL;
	}
	return b.s;
}
