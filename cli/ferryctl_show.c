/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ferryctl_show.c - ferryctl's human output: the daemon's JSON replies as
 * aligned tables, the way `ovs-appctl`, `bridge fdb` and `wg show` print
 * theirs.  Scripts use `ferryctl --json`, which prints the reply as is; so
 * nothing here has to stay stable, only readable.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/ferryctl.h"
#include "util/compiler.h"

#define COL_MAX 16
#define CELL_MAX 160

struct col {
	const char *head;
	const char *key; /* "a.b" reaches into a nested object */
	bool right; /* numbers are right-aligned */
	bool mib; /* a byte count shown in MiB */
};

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

/* The value at @key ("a.b": one level down) of @row. */
static json_t *cell_value(json_t *row, const char *key)
{
	const char *dot = strchr(key, '.');
	char first[64];

	if (!dot)
		return json_object_get(row, key);
	snprintf(first, sizeof(first), "%.*s", (int)(dot - key), key);
	return json_object_get(json_object_get(row, first), dot + 1);
}

/* One cell as text: strings as they are, arrays joined by ',', absent as '-'. */
static void cell_text(json_t *v, char *buf, size_t len)
{
	size_t i, off = 0;
	json_t *e;

	if (json_is_string(v) && !json_string_length(v)) {
		snprintf(buf, len, "-");
	} else if (json_is_string(v)) {
		snprintf(buf, len, "%s", json_string_value(v));
	} else if (json_is_integer(v)) {
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	} else if (json_is_boolean(v)) {
		snprintf(buf, len, "%s", json_is_true(v) ? "yes" : "no");
	} else if (json_is_array(v)) {
		buf[0] = '\0';
		json_array_foreach(v, i, e)
		{
			char one[CELL_MAX];

			cell_text(e, one, sizeof(one));
			off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s",
						i ? "," : "", one);
		}
		if (!json_array_size(v))
			snprintf(buf, len, "-");
	} else {
		snprintf(buf, len, "-");
	}
}

static void col_text(json_t *row, const struct col *c, char *buf, size_t len)
{
	json_t *v = cell_value(row, c->key);

	if (c->mib && json_is_integer(v))
		snprintf(buf, len, "%lldM", (long long)(json_integer_value(v) >> 20));
	else
		cell_text(v, buf, len);
}

/* @rows (an array of objects) as a table with a header line; "(none)" if empty. */
static void show_table(json_t *rows, const struct col *cols, size_t ncols)
{
	size_t w[COL_MAX] = { 0 }, i;
	char cell[CELL_MAX];
	json_t *row;

	if (!json_array_size(rows)) {
		printf("  (none)\n");
		return;
	}
	ncols = ncols < COL_MAX ? ncols : COL_MAX;
	for (size_t c = 0; c < ncols; c++)
		w[c] = strlen(cols[c].head);
	json_array_foreach(rows, i, row)
	{
		for (size_t c = 0; c < ncols; c++) {
			col_text(row, &cols[c], cell, sizeof(cell));
			w[c] = strlen(cell) > w[c] ? strlen(cell) : w[c];
		}
	}
	for (size_t c = 0; c < ncols; c++)
		printf("%s%-*s", c ? "  " : "", c + 1 < ncols || cols[c].right ? (int)w[c] : 0,
		       cols[c].head);
	putchar('\n');
	json_array_foreach(rows, i, row)
	{
		for (size_t c = 0; c < ncols; c++) {
			int width = c + 1 < ncols || cols[c].right ? (int)w[c] : 0;

			col_text(row, &cols[c], cell, sizeof(cell));
			printf(cols[c].right ? "%s%*s" : "%s%-*s", c ? "  " : "", width, cell);
		}
		putchar('\n');
	}
}

static void show_status(json_t *r)
{
	static const struct col cols[] = { { "PORT", "name", false },
					   { "KIND", "kind", false },
					   { "VNI", "vni", true } };
	json_t *vms = json_object_get(r, "vms"), *v;
	size_t i;

	printf("VMs in the config: ");
	json_array_foreach(vms, i, v) printf("%s%s", i ? ", " : "", json_string_value(v));
	printf("%s\n\nswitch ports:\n", json_array_size(vms) ? "" : "(none)");
	show_table(json_object_get(r, "ports"), cols, ARRAY_SIZE(cols));
}

static void show_overlay(json_t *ov)
{
	json_t *v;
	const char *k;

	if (!json_is_true(json_object_get(ov, "enabled")))
		return;
	printf("\noverlay: local %s, UDP %lld, %lld VTEPs\n", jstr(ov, "local"),
	       (long long)json_integer_value(json_object_get(ov, "udp_port")),
	       (long long)json_integer_value(json_object_get(ov, "vteps")));
	printf("  encap: %lld packets, %lld bytes; decap: %lld packets, %lld bytes\n",
	       (long long)json_integer_value(json_object_get(ov, "encap_packets")),
	       (long long)json_integer_value(json_object_get(ov, "encap_bytes")),
	       (long long)json_integer_value(json_object_get(ov, "decap_packets")),
	       (long long)json_integer_value(json_object_get(ov, "decap_bytes")));
	json_object_foreach(json_object_get(ov, "drops"), k, v) if (json_integer_value(v))
		printf("  dropped (%s): %lld\n", k, (long long)json_integer_value(v));
}

/* TCP segmentation and checksums, for the ports where the switch saw any. */
static void show_offloads(json_t *ports)
{
	static const struct col cols[] = {
		{ "PORT", "name", false },	{ "GSO_RX", "gso_rx", true },
		{ "GSO_TX", "gso_tx", true },	{ "GSO_SPLIT", "gso_split", true },
		{ "CSUM_SW", "csum_sw", true }, { "DROP_OFFLOAD", "drops_offload", true },
	};
	static const char *const keys[] = { "gso_rx", "gso_tx", "gso_split", "csum_sw",
					    "drops_offload" };
	json_t *some = json_array(), *p;
	size_t i, k;

	json_array_foreach(ports, i, p)
	{
		for (k = 0; k < ARRAY_SIZE(keys); k++)
			if (json_integer_value(json_object_get(p, keys[k]))) {
				json_array_append(some, p);
				break;
			}
	}
	if (json_array_size(some)) {
		printf("\noffloads:\n");
		show_table(some, cols, ARRAY_SIZE(cols));
	}
	json_decref(some);
}

static void show_stats(json_t *r)
{
	static const struct col ports[] = {
		{ "PORT", "name", false },
		{ "KIND", "kind", false },
		{ "VNI", "vni", true },
		{ "RX_PKTS", "rx_packets", true },
		{ "RX_BYTES", "rx_bytes", true },
		{ "TX_PKTS", "tx_packets", true },
		{ "TX_BYTES", "tx_bytes", true },
		{ "DELIVERED", "tx_delivered", true },
		{ "UNDELIVERED", "tx_undelivered", true },
		{ "DROP_TX", "drops_tx", true },
		{ "RX_MISSED", "rx_missed", true },
	};
	static const struct col tenants[] = {
		{ "TENANT", "name", false },	   { "VNI", "vni", true },
		{ "RX_PKTS", "rx_packets", true }, { "UNICAST", "unicast", true },
		{ "FLOODED", "flooded", true },	   { "DROPPED", "dropped", true },
		{ "MACS", "macs", true },
	};

	static const struct col queues[] = {
		{ "QUEUE", "queue", true },
		{ "RX_PKTS", "rx_packets", true },
		{ "TX_PKTS", "tx_packets", true },
	};
	json_t *p;
	size_t i;

	show_table(json_object_get(r, "ports"), ports, ARRAY_SIZE(ports));
	/* Multiqueue ports: how their queue pairs share the traffic. */
	json_array_foreach(json_object_get(r, "ports"), i, p)
	{
		if (!json_array_size(json_object_get(p, "queues")))
			continue;
		printf("\n%s queues:\n", jstr(p, "name"));
		show_table(json_object_get(p, "queues"), queues, ARRAY_SIZE(queues));
	}
	show_offloads(json_object_get(r, "ports"));
	printf("\n");
	show_table(json_object_get(r, "tenants"), tenants, ARRAY_SIZE(tenants));
	show_overlay(json_object_get(r, "overlay"));
}

/* The queues a PMD polls and each one's share of its packets (pmd-rxq-show). */
static void show_pmd_rxqs(json_t *rxqs, long long total)
{
	json_t *q;
	size_t i;

	json_array_foreach(rxqs, i, q)
	{
		long long n = json_integer_value(json_object_get(q, "rx_packets"));

		printf("  port: %-16s queue-id: %2lld  pmd usage: %3.0f %%\n", jstr(q, "port"),
		       (long long)json_integer_value(json_object_get(q, "queue")),
		       total > 0 ? 100.0 * (double)n / (double)total : 0.0);
	}
}

/* Per PMD: how much of its loop found work, and frames per busy loop. */
static void show_pmds(json_t *r)
{
	json_t *p;
	size_t i;

	json_array_foreach(json_object_get(r, "pmds"), i, p)
	{
		double it = (double)json_integer_value(json_object_get(p, "iterations"));
		double busy = (double)json_integer_value(json_object_get(p, "busy_iterations"));
		long long rx = json_integer_value(json_object_get(p, "rx_packets"));
		int cpu = (int)json_integer_value(json_object_get(p, "cpu"));

		if (cpu < 0)
			printf("pmd thread %lld (not pinned):\n",
			       (long long)json_integer_value(json_object_get(p, "pmd")));
		else
			printf("pmd thread %lld (core %d):\n",
			       (long long)json_integer_value(json_object_get(p, "pmd")), cpu);
		printf("  rx queues: %lld\n  packets received: %lld\n  packets sent: %lld\n",
		       (long long)json_integer_value(json_object_get(p, "rx_queues")), rx,
		       (long long)json_integer_value(json_object_get(p, "tx_packets")));
		printf("  poll loops: %.0f (%.1f%% busy, %.1f%% idle)\n", it,
		       it > 0 ? 100.0 * busy / it : 0.0, it > 0 ? 100.0 * (it - busy) / it : 0.0);
		printf("  avg packets per busy loop: %.2f\n  sleeps: %lld\n",
		       busy > 0 ? (double)rx / busy : 0.0,
		       (long long)json_integer_value(json_object_get(p, "sleeps")));
		show_pmd_rxqs(json_object_get(p, "rxqs"), rx);
	}
	if (!json_array_size(json_object_get(r, "pmds")))
		printf("this ferry runs no switch\n");
}

/* The guest's result line last: it is the long one. */
static const struct col vm_cols[] = {
	{ "VM", "name", false },
	{ "STATE", "state", false },
	{ "VCPUS", "vcpus", true },
	{ "MEMORY", "memory", true, true },
	{ "PIO_EXITS", "exits.pio", true },
	{ "MMIO_EXITS", "exits.mmio", true },
	{ "ENDED", "ended", false },
	{ "RESULT", "result", false },
};

static void show_vms(json_t *r)
{
	show_table(json_object_get(r, "vms"), vm_cols, ARRAY_SIZE(vm_cols));
}

static void show_vm(json_t *r)
{
	static const struct col nics[] = {
		{ "PORT", "port", false },
		{ "RX_PKTS", "rx_packets", true },
		{ "TX_PKTS", "tx_packets", true },
		{ "DELIVERED", "tx_delivered", true },
	};
	json_t *vm = json_object_get(r, "vm"), *one = json_array();

	json_array_append(one, vm);
	show_table(one, vm_cols, ARRAY_SIZE(vm_cols));
	json_decref(one);
	printf("\n");
	show_table(json_object_get(vm, "nics"), nics, ARRAY_SIZE(nics));
}

static void show_vteps(json_t *r)
{
	static const struct col cols[] = {
		{ "VTEP", "address", false },
		{ "ORIGIN", "origin", false },
		{ "VNIS", "vnis", false },
		{ "STATE", "state", false },
		{ "UPLINK", "uplink", false },
		{ "VIA", "via", false },
		{ "MTU", "mtu", true },
		{ "TX_PKTS", "tx_packets", true },
		{ "RX_PKTS", "rx_packets", true },
		{ "TX_DROPPED", "tx_dropped", true },
		{ "ENCRYPTED", "encrypted", false },
	};

	show_table(json_object_get(r, "vteps"), cols, ARRAY_SIZE(cols));
	show_overlay(json_object_get(r, "overlay"));
}

static void show_fdb(json_t *r)
{
	static const struct col cols[] = {
		{ "MAC", "mac", false },	 { "KIND", "kind", false },
		{ "PORT/VTEP", "where", false }, { "AGE", "idle_s", true },
		{ "ORIGIN", "origin", false },
	};

	printf("tenant %s (VNI %lld)\n", jstr(r, "tenant"),
	       (long long)json_integer_value(json_object_get(r, "vni")));
	show_table(json_object_get(r, "macs"), cols, ARRAY_SIZE(cols));
}

static void show_evpn(json_t *r)
{
	static const struct col cols[] = {
		{ "VNI", "vni", true },		  { "DEVICE", "device", false },
		{ "BRIDGE", "bridge", false },	  { "STATE", "state", false },
		{ "VTEPS", "vteps", true },	  { "MACS_IN", "macs", true },
		{ "MACS_OUT", "exported", true }, { "IPS_OUT", "ips", true },
		{ "ERRORS", "errors", true },
	};

	show_table(json_object_get(r, "evpn"), cols, ARRAY_SIZE(cols));
}

static void show_filters(json_t *r)
{
	static const struct col rules[] = {
		{ "#", "index", true },	     { "ACTION", "action", false },
		{ "PROTO", "proto", false }, { "SRC", "src", false },
		{ "DST", "dst", false },     { "SPORT", "sport", false },
		{ "DPORT", "dport", false }, { "PACKETS", "packets", true },
		{ "BYTES", "bytes", true },
	};
	static const struct col uplinks[] = {
		{ "UPLINK", "name", false },	  { "STEERED", "steered", true },
		{ "PASSED", "passed", true },	  { "DROP_VTEP", "drop_vtep", true },
		{ "DROP_VNI", "drop_vni", true }, { "DROP_RATE", "drop_rate", true },
	};
	json_t *a;
	size_t i;

	json_array_foreach(json_object_get(r, "acls"), i, a)
	{
		json_t *st = json_object_get(a, "stats");

		printf("%s%s (XDP %s, default %s): %lld passed, %lld dropped\n", i ? "\n" : "",
		       jstr(a, "interface"), jstr(a, "mode"), jstr(a, "default"),
		       (long long)json_integer_value(json_object_get(st, "passed")),
		       (long long)json_integer_value(json_object_get(st, "dropped")));
		show_table(json_object_get(a, "rules"), rules, ARRAY_SIZE(rules));
	}
	if (!json_array_size(json_object_get(r, "acls")))
		printf("no access lists\n");
	if (json_array_size(json_object_get(r, "uplinks"))) {
		printf("\nuplink filters:\n");
		show_table(json_object_get(r, "uplinks"), uplinks, ARRAY_SIZE(uplinks));
	}
}

/* Bytes as `wg show` writes them: B, KiB, MiB, GiB, TiB with two decimals. */
static void print_bytes(json_int_t b)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	int u = -1;

	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		printf("%lld B", (long long)b);
	else
		printf("%.2f %s", v, unit[u]);
}

/* "1 minute, 5 seconds": seconds as `wg show` spells them. */
static void print_ago(long long s)
{
	static const struct {
		const char *name;
		long long len;
	} u[] = { { "day", 86400 }, { "hour", 3600 }, { "minute", 60 }, { "second", 1 } };
	bool first = true;

	if (s <= 0) {
		printf("Now");
		return;
	}
	for (unsigned int i = 0; i < 4; i++) {
		long long n = s / u[i].len;

		if (!n)
			continue;
		s %= u[i].len;
		printf("%s%lld %s%s", first ? "" : ", ", n, u[i].name, n == 1 ? "" : "s");
		first = false;
	}
	printf(" ago");
}

static void print_wg_peer(json_t *p, long long now)
{
	json_t *ips = json_object_get(p, "allowed_ips"), *ip;
	long long hs = json_integer_value(json_object_get(p, "latest_handshake"));
	json_int_t ka = json_integer_value(json_object_get(p, "persistent_keepalive"));
	size_t i;

	printf("\npeer: %s\n", jstr(p, "public_key"));
	if (json_object_get(p, "endpoint"))
		printf("  endpoint: %s\n", jstr(p, "endpoint"));
	printf("  allowed ips: ");
	json_array_foreach(ips, i, ip) printf("%s%s", i ? ", " : "", json_string_value(ip));
	printf("%s\n", json_array_size(ips) ? "" : "(none)");
	if (hs) {
		printf("  latest handshake: ");
		print_ago(now - hs);
		printf("\n");
	}
	printf("  transfer: ");
	print_bytes(json_integer_value(json_object_get(p, "rx_bytes")));
	printf(" received, ");
	print_bytes(json_integer_value(json_object_get(p, "tx_bytes")));
	printf(" sent\n");
	if (ka)
		printf("  persistent keepalive: every %lld seconds\n", (long long)ka);
}

/* The reply of "wg" the way `wg show` prints an interface. */
static void show_wg(json_t *resp)
{
	json_t *w = json_object_get(resp, "wireguard"), *peers, *p;
	long long now;
	size_t i;

	if (!json_is_true(json_object_get(w, "enabled"))) {
		printf("this ferry runs no WireGuard tunnel\n");
		return;
	}
	now = json_integer_value(json_object_get(w, "now"));
	printf("interface: ferry\n  public key: %s\n  listening port: %lld\n"
	       "  tunnel address: %s\n",
	       jstr(w, "public_key"),
	       (long long)json_integer_value(json_object_get(w, "listen_port")),
	       jstr(w, "address"));
	if (json_is_true(json_object_get(w, "under_load")))
		printf("  under load: handshakes need a cookie\n");
	peers = json_object_get(w, "peers");
	json_array_foreach(peers, i, p) print_wg_peer(p, now);
}

static const struct {
	const char *name;
	void (*fn)(json_t *r);
} shows[] = {
	{ "status", show_status }, { "stats", show_stats }, { "pmd-stats", show_pmds },
	{ "vms", show_vms },	   { "vm-info", show_vm },  { "vteps", show_vteps },
	{ "fdb", show_fdb },	   { "evpn", show_evpn },   { "filter", show_filters },
	{ "wg", show_wg },
};

bool ferryctl_show(const char *cmd, json_t *resp)
{
	for (size_t i = 0; i < ARRAY_SIZE(shows); i++) {
		if (strcmp(shows[i].name, cmd) == 0) {
			shows[i].fn(resp);
			return true;
		}
	}
	return false;
}
