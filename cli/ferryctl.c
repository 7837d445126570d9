/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ferryctl.c - the client of a running ferry's control socket (ctl.c): sends
 * one JSON request built from the command line and prints the reply.
 *
 *   ferryctl [-s SOCKET] status | stats
 *   ferryctl [-s SOCKET] port-add '{"name": "vu1", "path": "/tmp/vu1.sock", ...}'
 *   ferryctl [-s SOCKET] port-remove NAME
 *   ferryctl [-s SOCKET] tenant-add '{"name": "green", "vni": 300}'
 *   ferryctl [-s SOCKET] tenant-remove NAME
 *   ferryctl [-s SOCKET] vteps [--refresh]
 *   ferryctl [-s SOCKET] fdb TENANT
 *   ferryctl [-s SOCKET] vtep-add TENANT ADDRESS | vtep-remove TENANT ADDRESS
 *   ferryctl [-s SOCKET] filter list | filter add IFACE RULE [INDEX] | filter del IFACE INDEX
 *   ferryctl [-s SOCKET] wg [show] [--json] | wg peer-add JSON | wg peer-remove KEY
 *
 * Exit status: 0 when ferry answered ok, 1 when it refused (the reason is
 * printed), 2 for a usage error or when ferry cannot be reached.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/ferry/ferry.sock"

static const char usage[] =
	"Usage: ferryctl [-s SOCKET] COMMAND [ARG]\n"
	"\n"
	"Talk to a running ferry through its control socket (\"control\": {\"socket\": ...}\n"
	"in its config; default " DEFAULT_SOCKET ").\n"
	"\n"
	"Commands:\n"
	"  status               VMs, switch ports and the running config (JSON)\n"
	"  stats                per-port and per-tenant counters (JSON)\n"
	"  port-add JSON        add a vhost-user port: {\"name\", \"path\", \"mode\", \"tenant\", \"queues\"}\n"
	"  port-remove NAME     remove a vhost-user port\n"
	"  tenant-add JSON      add a tenant: {\"name\", \"vni\", \"vxlan\", \"remote_vteps\", ...}\n"
	"  tenant-remove NAME   remove a tenant without ports\n"
	"  vteps [--refresh]    remote VTEPs: next hop, uplink, counters; --refresh re-reads\n"
	"                       routes and neighbours first (JSON)\n"
	"  fdb TENANT           a tenant's MAC table, local ports and remote VTEPs, each\n"
	"                       learned from traffic or put there by EVPN (JSON)\n"
	"  capture PORT [--direction rx|tx|both] [--filter EXPR] [--count N] [--snaplen N]\n"
	"          -w FILE|-    the port's frames as pcap (libpcap filter syntax), to a\n"
	"                       file or stdout (| tshark -r -); Ctrl-C ends it cleanly\n"
	"  evpn                 tenants bound to FRR's kernel vxlan devices: state, what\n"
	"                       came from EVPN, what went to it (JSON)\n"
	"  vtep-add TENANT IP   seed a remote VTEP for a tenant on the overlay\n"
	"  vtep-remove TENANT IP  remove one\n"
	"  filter list          XDP access lists (rules, counters) and uplink filters (JSON)\n"
	"  filter add IFACE RULE [INDEX]\n"
	"                       add an access-list rule, e.g. '{\"action\": \"drop\",\n"
	"                       \"proto\": \"udp\", \"src\": \"10.1.0.0/24\", \"dport\": \"5000-5010\"}'\n"
	"  filter del IFACE INDEX  delete rule INDEX (from filter list)\n"
	"  wg [show] [--json]   the WireGuard tunnel and its peers, as `wg show` prints them\n"
	"  wg peer-add JSON     add a peer: {\"public_key\", \"endpoint\", \"allowed_ips\", ...}\n"
	"  wg peer-remove KEY   remove the peer with that public key\n"
	"\n"
	"Items are checked exactly like the same keys in a config file (docs/config.md).\n";

/* "filter list|add|del ...": the request, or NULL after printing why. */
static json_t *filter_request(int argc, char **argv)
{
	json_error_t jerr;
	json_t *rule, *req;
	char *end;
	long idx;

	if (argc >= 1 && !strcmp(argv[0], "list"))
		return json_pack("{s:s}", "cmd", "filter-list");
	if (argc >= 3 && !strcmp(argv[0], "del")) {
		idx = strtol(argv[2], &end, 10);
		if (*end || end == argv[2]) {
			fprintf(stderr, "ferryctl: filter del: '%s' is not an index\n", argv[2]);
			return NULL;
		}
		return json_pack("{s:s, s:s, s:i}", "cmd", "filter-del", "interface", argv[1],
				 "index", (int)idx);
	}
	if (argc >= 3 && !strcmp(argv[0], "add")) {
		rule = json_loads(argv[2], JSON_REJECT_DUPLICATES, &jerr);
		if (!rule) {
			fprintf(stderr, "ferryctl: filter add: invalid JSON at column %d: %s\n",
				jerr.column, jerr.text);
			return NULL;
		}
		req = json_pack("{s:s, s:s, s:o}", "cmd", "filter-add", "interface", argv[1],
				"rule", rule);
		if (argc >= 4)
			json_object_set_new(req, "index", json_integer(strtol(argv[3], NULL, 10)));
		return req;
	}
	fprintf(stderr, "ferryctl: filter list | add IFACE RULE [INDEX] | del IFACE INDEX\n");
	return NULL;
}

/* "wg [show] [--json] | peer-add JSON | peer-remove KEY": the request, or NULL after printing why. */
static json_t *wg_request(int argc, char **argv, bool *json_out)
{
	json_error_t jerr;
	json_t *peer;

	*json_out = false;
	if (argc == 0 || !strcmp(argv[0], "show") || !strcmp(argv[0], "--json")) {
		for (int i = 0; i < argc; i++)
			*json_out |= !strcmp(argv[i], "--json");
		return json_pack("{s:s}", "cmd", "wg");
	}
	if (argc >= 2 && !strcmp(argv[0], "peer-remove"))
		return json_pack("{s:s, s:s}", "cmd", "wg-peer-remove", "public_key", argv[1]);
	if (argc >= 2 && !strcmp(argv[0], "peer-add")) {
		peer = json_loads(argv[1], JSON_REJECT_DUPLICATES, &jerr);
		if (!peer) {
			fprintf(stderr, "ferryctl: wg peer-add: invalid JSON at column %d: %s\n",
				jerr.column, jerr.text);
			return NULL;
		}
		return json_pack("{s:s, s:o}", "cmd", "wg-peer-add", "peer", peer);
	}
	fprintf(stderr, "ferryctl: wg [show] [--json] | peer-add JSON | peer-remove KEY\n");
	return NULL;
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

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
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
static void print_wg(json_t *resp)
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

/* The request for @cmd with its arguments, or NULL after printing why. */
static json_t *build_request(const char *cmd, const char *arg, const char *arg2)
{
	json_error_t jerr;
	json_t *item;

	if (!strcmp(cmd, "status") || !strcmp(cmd, "stats") || !strcmp(cmd, "evpn"))
		return json_pack("{s:s}", "cmd", cmd);
	if (!strcmp(cmd, "vteps"))
		return json_pack("{s:s, s:b}", "cmd", cmd, "refresh",
				 arg && !strcmp(arg, "--refresh"));
	if (!arg) {
		fprintf(stderr, "ferryctl: %s needs an argument\n", cmd);
		return NULL;
	}
	if (!strcmp(cmd, "vtep-add") || !strcmp(cmd, "vtep-remove")) {
		if (!arg2) {
			fprintf(stderr, "ferryctl: %s needs a tenant and an address\n", cmd);
			return NULL;
		}
		return json_pack("{s:s, s:s, s:s}", "cmd", cmd, "tenant", arg, "address", arg2);
	}
	if (!strcmp(cmd, "port-remove") || !strcmp(cmd, "tenant-remove") || !strcmp(cmd, "fdb"))
		return json_pack("{s:s, s:s}", "cmd", cmd, "name", arg);
	if (strcmp(cmd, "port-add") && strcmp(cmd, "tenant-add")) {
		fprintf(stderr, "ferryctl: unknown command '%s' (see ferryctl --help)\n", cmd);
		return NULL;
	}
	item = json_loads(arg, JSON_REJECT_DUPLICATES, &jerr);
	if (!item) {
		fprintf(stderr, "ferryctl: %s: invalid JSON at column %d: %s\n", cmd, jerr.column,
			jerr.text);
		return NULL;
	}
	return json_pack("{s:s, s:o}", "cmd", cmd, strcmp(cmd, "port-add") ? "tenant" : "port",
			 item);
}

static int connect_to(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(a.sun_path)) {
		fprintf(stderr, "ferryctl: socket path too long: %s\n", path);
		return -1;
	}
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
		return fd;
	fprintf(stderr, "ferryctl: cannot reach ferry at %s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Send one line, read one line back. */
static json_t *exchange(int fd, json_t *req)
{
	char *text = json_dumps(req, JSON_COMPACT);
	char buf[1 << 20];
	size_t len = 0;
	ssize_t n;

	if (!text || dprintf(fd, "%s\n", text) < 0) {
		free(text);
		return NULL;
	}
	free(text);
	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0) {
		len += (size_t)n;
		if (memchr(buf, '\n', len))
			break;
	}
	buf[len] = '\0';
	return json_loads(buf, 0, NULL);
}

/* ---- capture: a reply line, then the pcap stream until one side stops ---- */

static volatile sig_atomic_t capture_stop;

static void capture_signal(int sig)
{
	(void)sig;
	capture_stop = 1;
}

/* Read the reply line byte by byte: what follows it is the stream. */
static json_t *capture_reply(int fd)
{
	char line[4096];
	size_t n = 0;

	while (n < sizeof(line) - 1 && read(fd, line + n, 1) == 1 && line[n] != '\n')
		n++;
	line[n] = '\0';
	return json_loads(line, 0, NULL);
}

/* Copy the stream to @out until ferry closes it; a signal asks ferry to finish first. */
static int capture_copy(int fd, int out)
{
	char buf[65536];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	bool asked = false;
	ssize_t n;

	for (;;) {
		if (capture_stop && !asked) {
			shutdown(
				fd,
				SHUT_WR); /* ferry sees the hang-up, writes what it holds, closes */
			asked = true;
		}
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n == 0)
			return 0;
		if (n < 0)
			return errno == EINTR ? 0 : -1;
		for (ssize_t off = 0, w; off < n; off += w) {
			w = write(out, buf + off, (size_t)(n - off));
			if (w <= 0)
				return -1;
		}
	}
}

static int capture_main(const char *sock, int argc, char **argv)
{
	const char *port = argc > 0 ? argv[0] : NULL, *dir = "both", *filter = NULL, *file = NULL;
	long long count = 0, snaplen = 0;
	json_t *req, *resp;
	char *text;
	int fd, out, ret;

	/* Options come in pairs: the name, then its value. */
	for (int i = 1; i < argc; i += 2) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "--direction") && v)
			dir = v;
		else if (!strcmp(argv[i], "--filter") && v)
			filter = v;
		else if (!strcmp(argv[i], "--count") && v)
			count = atoll(v);
		else if (!strcmp(argv[i], "--snaplen") && v)
			snaplen = atoll(v);
		else if (!strcmp(argv[i], "-w") && v)
			file = v;
		else {
			fprintf(stderr, "ferryctl: capture: unknown or incomplete option '%s'\n",
				argv[i]);
			return 2;
		}
	}
	if (!port || !file) {
		fprintf(stderr, "ferryctl: capture PORT [--direction rx|tx|both] [--filter EXPR] "
				"[--count N] [--snaplen N] -w FILE|-\n");
		return 2;
	}
	fd = connect_to(sock);
	if (fd < 0)
		return 2;
	req = json_pack("{s:s, s:s, s:s, s:s?, s:I, s:I}", "cmd", "capture", "port", port,
			"direction", dir, "filter", filter, "count", count, "snaplen", snaplen);
	text = req ? json_dumps(req, JSON_COMPACT) : NULL;
	ret = text && dprintf(fd, "%s\n", text) > 0 ? 0 : -1;
	free(text);
	json_decref(req);
	resp = ret ? NULL : capture_reply(fd);
	if (!json_is_true(json_object_get(resp, "ok"))) {
		fprintf(stderr, "ferry: %s\n",
			resp ? json_string_value(json_object_get(resp, "error")) : "no reply");
		json_decref(resp);
		close(fd);
		return 1;
	}
	json_decref(resp);
	out = strcmp(file, "-") ? open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) :
				  STDOUT_FILENO;
	if (out < 0) {
		fprintf(stderr, "ferryctl: %s: %s\n", file, strerror(errno));
		close(fd);
		return 1;
	}
	signal(SIGINT, capture_signal);
	signal(SIGTERM, capture_signal);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "ferryctl: capturing on %s (%s%s%s)\n", port, dir, filter ? ", " : "",
		filter ? filter : "");
	ret = capture_copy(fd, out);
	close(fd);
	if (out != STDOUT_FILENO)
		close(out);
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *sock = getenv("FERRY_CONTROL") ? getenv("FERRY_CONTROL") : DEFAULT_SOCKET;
	bool json_out = true, human;
	json_t *req, *resp;
	int c, fd, ok;

	while ((c = getopt(argc, argv, "+s:h")) != -1) {
		if (c == 's') {
			sock = optarg;
		} else {
			fputs(usage, c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return 2;
	}
	if (!strcmp(argv[optind], "--help")) {
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(argv[optind], "capture"))
		return capture_main(sock, argc - optind - 1, argv + optind + 1);
	if (!strcmp(argv[optind], "filter"))
		req = filter_request(argc - optind - 1, argv + optind + 1);
	else if (!strcmp(argv[optind], "wg"))
		req = wg_request(argc - optind - 1, argv + optind + 1, &json_out);
	else
		req = build_request(argv[optind], optind + 1 < argc ? argv[optind + 1] : NULL,
				    optind + 2 < argc ? argv[optind + 2] : NULL);
	fd = req ? connect_to(sock) : -1;
	resp = fd >= 0 ? exchange(fd, req) : NULL;
	json_decref(req);
	if (fd >= 0)
		close(fd);
	if (!resp) {
		if (fd >= 0)
			fprintf(stderr, "ferryctl: no valid reply from ferry\n");
		return 2;
	}
	ok = json_is_true(json_object_get(resp, "ok"));
	human = ok && !strcmp(argv[optind], "wg") && !json_out &&
		json_object_get(resp, "wireguard");
	if (human)
		print_wg(resp);
	else if (ok)
		json_dumpf(resp, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	else
		fprintf(stderr, "ferry: %s\n", json_string_value(json_object_get(resp, "error")));
	if (ok && !human)
		putchar('\n');
	json_decref(resp);
	return ok ? 0 : 1;
}
