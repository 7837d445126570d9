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
 *
 * Exit status: 0 when ferry answered ok, 1 when it refused (the reason is
 * printed), 2 for a usage error or when ferry cannot be reached.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
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
	"  fdb TENANT           a tenant's MAC table, local ports and remote VTEPs (JSON)\n"
	"  vtep-add TENANT IP   seed a remote VTEP for a tenant on the overlay\n"
	"  vtep-remove TENANT IP  remove one\n"
	"  filter list          XDP access lists (rules, counters) and uplink filters (JSON)\n"
	"  filter add IFACE RULE [INDEX]\n"
	"                       add an access-list rule, e.g. '{\"action\": \"drop\",\n"
	"                       \"proto\": \"udp\", \"src\": \"10.1.0.0/24\", \"dport\": \"5000-5010\"}'\n"
	"  filter del IFACE INDEX  delete rule INDEX (from filter list)\n"
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

/* The request for @cmd with its arguments, or NULL after printing why. */
static json_t *build_request(const char *cmd, const char *arg, const char *arg2)
{
	json_error_t jerr;
	json_t *item;

	if (!strcmp(cmd, "status") || !strcmp(cmd, "stats"))
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

int main(int argc, char **argv)
{
	const char *sock = getenv("FERRY_CONTROL") ? getenv("FERRY_CONTROL") : DEFAULT_SOCKET;
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
	if (!strcmp(argv[optind], "filter"))
		req = filter_request(argc - optind - 1, argv + optind + 1);
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
	if (ok)
		json_dumpf(resp, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	else
		fprintf(stderr, "ferry: %s\n", json_string_value(json_object_get(resp, "error")));
	if (ok)
		putchar('\n');
	json_decref(resp);
	return ok ? 0 : 1;
}
