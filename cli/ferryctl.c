/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ferryctl.c - a thin client of a running ferry's REST API (http.c) on its
 * control socket: each command is one HTTP request, sent with libcurl over
 * the Unix socket; the reply is printed as a table (ferryctl_show.c) or, with
 * --json, as the JSON the daemon sent, for scripts.
 *
 *   ferryctl [-s SOCKET] [--json] COMMAND [ARGS]   (ferryctl --help lists them)
 *
 * `capture` is the one exception: a pcap stream that runs until Ctrl-C is no
 * request/reply, so it uses the control socket's line protocol, which hands
 * the connection to the capture (ctl.c).
 *
 * Exit status: 0 when ferry answered ok, 1 when it refused (the reason is
 * printed), 2 for a usage error or when ferry cannot be reached.
 */
#include <curl/curl.h>
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

#include "cli/ferryctl.h"
#include "util/compiler.h"

#define DEFAULT_SOCKET "/run/ferry/ferry.sock"
#define REPLY_MAX (16u << 20)

static const char usage[] =
	"Usage: ferryctl [-s SOCKET] [--json] COMMAND [ARG...]\n"
	"\n"
	"Talk to a running ferry through the REST API on its control socket\n"
	"(\"control\": {\"socket\": ...} in its config; default " DEFAULT_SOCKET ").\n"
	"Replies print as tables; --json prints the JSON reply instead, for scripts.\n"
	"\n"
	"Commands:\n"
	"  status               VMs, switch ports (--json: and the running config)\n"
	"  stats                per-port, per-tenant and overlay counters\n"
	"  pmd-stats            poll-mode threads: queues, packets, busy/idle share\n"
	"  metrics              the OpenMetrics text a Prometheus scrape gets\n"
	"  vms                  every VM: state, vCPUs, memory, exits, result\n"
	"  vm-info NAME         one VM and its NICs' counters\n"
	"  vm-create JSON [--boot]  create a VM (a config \"vms\" item); --boot starts it\n"
	"  vm-boot|vm-pause|vm-resume NAME\n"
	"  vm-shutdown NAME [--timeout S | --force]\n"
	"                       press its ACPI power button; stop it if it has not powered\n"
	"                       off after S seconds (default 10); --force: stop it now\n"
	"  vm-delete NAME       delete a VM that is not running\n"
	"  port-add JSON        add a vhost-user port: {\"name\", \"path\", \"mode\", \"tenant\", \"queues\"}\n"
	"  port-remove NAME     remove a vhost-user port\n"
	"  tenant-add JSON      add a tenant: {\"name\", \"vni\", \"vxlan\", \"remote_vteps\", ...}\n"
	"  tenant-remove NAME   remove a tenant without ports\n"
	"  vteps [--refresh]    remote VTEPs: next hop, uplink, counters; --refresh re-reads\n"
	"                       routes and neighbours first\n"
	"  fdb TENANT           a tenant's MAC table, local ports and remote VTEPs, each\n"
	"                       learned from traffic or put there by EVPN\n"
	"  vtep-add TENANT IP   seed a remote VTEP for a tenant on the overlay\n"
	"  vtep-remove TENANT IP  remove one\n"
	"  evpn                 tenants bound to FRR's kernel vxlan devices\n"
	"  filter list          XDP access lists (rules, counters) and uplink filters\n"
	"  filter add IFACE RULE [INDEX]\n"
	"                       add an access-list rule, e.g. '{\"action\": \"drop\",\n"
	"                       \"proto\": \"udp\", \"src\": \"10.1.0.0/24\", \"dport\": \"5000-5010\"}'\n"
	"  filter del IFACE INDEX  delete rule INDEX (from filter list)\n"
	"  wg [show]            the WireGuard tunnel and its peers, as `wg show` prints them\n"
	"  wg peer-add JSON     add a peer: {\"public_key\", \"endpoint\", \"allowed_ips\", ...}\n"
	"  wg peer-remove KEY   remove the peer with that public key\n"
	"  capture PORT [--direction rx|tx|both] [--filter EXPR] [--count N] [--snaplen N]\n"
	"          -w FILE|-    the port's frames as pcap (libpcap filter syntax), to a\n"
	"                       file or stdout (| tshark -r -); Ctrl-C ends it cleanly\n"
	"\n"
	"Items are checked exactly like the same keys in a config file (docs/config.md);\n"
	"`curl --unix-socket SOCKET http://ferry/v1/openapi.json` describes the API.\n";

/* One HTTP request: method, path (URL-escaped parts), optional JSON body. */
struct rest_req {
	char method[8];
	char path[512];
	json_t *body; /* owned */
	bool table; /* a GET whose reply has a table */
	bool text; /* the reply is text, printed as is (/metrics) */
};

struct reply {
	char *buf;
	size_t len;
	bool too_big;
};

static size_t reply_write(char *data, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t len = size * n;
	char *grown;

	if (r->len + len >= REPLY_MAX) {
		r->too_big = true;
		return 0;
	}
	grown = realloc(r->buf, r->len + len + 1);
	if (!grown)
		return 0;
	memcpy(grown + r->len, data, len);
	r->buf = grown;
	r->len += len;
	r->buf[r->len] = '\0';
	return len;
}

/* Append @s to @q's path, percent-encoded (a WireGuard key has '/' and '+'). */
static int path_add(CURL *c, struct rest_req *q, const char *s)
{
	char *e = curl_easy_escape(c, s, 0);
	size_t used = strlen(q->path);
	int n;

	if (!e)
		return -ENOMEM;
	n = snprintf(q->path + used, sizeof(q->path) - used, "/%s", e);
	curl_free(e);
	return n > 0 && (size_t)n < sizeof(q->path) - used ? 0 : -ENAMETOOLONG;
}

static json_t *parse_json_arg(const char *what, const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);

	if (!v)
		fprintf(stderr, "ferryctl: %s: invalid JSON at column %d: %s\n", what, jerr.column,
			jerr.text);
	return v;
}

static void set_req(struct rest_req *q, const char *method, const char *path)
{
	snprintf(q->method, sizeof(q->method), "%s", method);
	snprintf(q->path, sizeof(q->path), "%s", path);
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

/* Commands that are a path with their arguments in it ('*'), no body. */
static const struct {
	const char *name, *method, *path;
	unsigned int nargs;
	bool table;
} plain[] = {
	{ "status", "GET", "/v1/status", 0, true },
	{ "stats", "GET", "/v1/stats", 0, true },
	{ "pmd-stats", "GET", "/v1/pmds", 0, true },
	{ "metrics", "GET", "/metrics", 0, false },
	{ "vms", "GET", "/v1/vms", 0, true },
	{ "evpn", "GET", "/v1/evpn", 0, true },
	{ "vm-info", "GET", "/v1/vms/*", 1, true },
	{ "vm-boot", "PUT", "/v1/vms/*/boot", 1, false },
	{ "vm-pause", "PUT", "/v1/vms/*/pause", 1, false },
	{ "vm-resume", "PUT", "/v1/vms/*/resume", 1, false },
	{ "vm-shutdown", "PUT", "/v1/vms/*/shutdown", 1, false },
	{ "vm-delete", "DELETE", "/v1/vms/*", 1, false },
	{ "port-remove", "DELETE", "/v1/vhost-user-ports/*", 1, false },
	{ "tenant-remove", "DELETE", "/v1/tenants/*", 1, false },
	{ "fdb", "GET", "/v1/tenants/*/fdb", 1, true },
	{ "vtep-remove", "DELETE", "/v1/tenants/*/vteps/*", 2, false },
};

/* @tmpl with each '*' replaced by the next of @args, percent-encoded. */
static int fill_path(CURL *c, struct rest_req *q, const char *tmpl, char **args)
{
	const char *star;
	size_t used;

	q->path[0] = '\0';
	while ((star = strchr(tmpl, '*'))) {
		used = strlen(q->path);
		/* the text up to the '/' before the star; path_add writes the '/' */
		snprintf(q->path + used, sizeof(q->path) - used, "%.*s", (int)(star - tmpl - 1),
			 tmpl);
		if (path_add(c, q, *args++))
			return -ENAMETOOLONG;
		tmpl = star + 1;
	}
	used = strlen(q->path);
	snprintf(q->path + used, sizeof(q->path) - used, "%s", tmpl);
	return 0;
}

/* "filter list | add IFACE RULE [INDEX] | del IFACE INDEX" */
static int filter_req(CURL *c, struct rest_req *q, int argc, char **argv)
{
	json_t *rule;
	char *end;

	if (argc >= 1 && !strcmp(argv[0], "list")) {
		set_req(q, "GET", "/v1/filters");
		q->table = true;
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[0], "del")) {
		strtol(argv[2], &end, 10);
		if (*end || end == argv[2]) {
			fprintf(stderr, "ferryctl: filter del: '%s' is not an index\n", argv[2]);
			return -EINVAL;
		}
		set_req(q, "DELETE", "");
		return fill_path(c, q, "/v1/filters/*/*", argv + 1);
	}
	if (argc >= 3 && !strcmp(argv[0], "add")) {
		rule = parse_json_arg("filter add", argv[2]);
		if (!rule)
			return -EINVAL;
		q->body = json_pack("{s:o}", "rule", rule);
		if (argc >= 4)
			json_object_set_new(q->body, "index",
					    json_integer(strtol(argv[3], NULL, 10)));
		set_req(q, "POST", "");
		return fill_path(c, q, "/v1/filters/*", argv + 1);
	}
	fprintf(stderr, "ferryctl: filter list | add IFACE RULE [INDEX] | del IFACE INDEX\n");
	return -EINVAL;
}

/* "wg [show] | peer-add JSON | peer-remove KEY" */
static int wg_req(CURL *c, struct rest_req *q, int argc, char **argv)
{
	if (argc == 0 || !strcmp(argv[0], "show")) {
		set_req(q, "GET", "/v1/wireguard");
		q->table = true;
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[0], "peer-remove")) {
		set_req(q, "DELETE", "");
		return fill_path(c, q, "/v1/wireguard/peers/*", argv + 1);
	}
	if (argc >= 2 && !strcmp(argv[0], "peer-add")) {
		q->body = parse_json_arg("wg peer-add", argv[1]);
		set_req(q, "POST", "/v1/wireguard/peers");
		return q->body ? 0 : -EINVAL;
	}
	fprintf(stderr, "ferryctl: wg [show] | peer-add JSON | peer-remove KEY\n");
	return -EINVAL;
}

/* "vm-shutdown NAME [--timeout S | --force]": the power button, then a stop after S seconds. */
static int shutdown_req(CURL *c, struct rest_req *q, int argc, char **argv)
{
	const char *timeout = NULL;
	size_t used;
	int ret;

	if (argc >= 3 && !strcmp(argv[1], "--timeout"))
		timeout = argv[2];
	else if (argc >= 2 && !strcmp(argv[1], "--force"))
		timeout = "0";
	else if (argc >= 2) {
		fprintf(stderr, "ferryctl: vm-shutdown NAME [--timeout SECONDS | --force]\n");
		return -EINVAL;
	}
	set_req(q, "PUT", "");
	ret = fill_path(c, q, "/v1/vms/*/shutdown", argv);
	used = strlen(q->path);
	if (!ret && timeout)
		ret = path_add(c, q, timeout) ? -ENAMETOOLONG : 0;
	/* path_add wrote "/S": make it the query "?timeout=S" (S percent-encoded). */
	if (!ret && timeout) {
		char val[64];

		snprintf(val, sizeof(val), "%s", q->path + used + 1);
		snprintf(q->path + used, sizeof(q->path) - used, "?timeout=%s", val);
	}
	return ret;
}

/* Commands whose last argument is a JSON item, the body of a POST. */
static int body_req(struct rest_req *q, const char *cmd, int argc, char **argv)
{
	static const struct {
		const char *name, *path;
	} posts[] = { { "vm-create", "/v1/vms" },
		      { "port-add", "/v1/vhost-user-ports" },
		      { "tenant-add", "/v1/tenants" } };

	for (size_t i = 0; i < ARRAY_SIZE(posts); i++) {
		if (strcmp(cmd, posts[i].name))
			continue;
		if (argc < 1) {
			fprintf(stderr, "ferryctl: %s needs a JSON item\n", cmd);
			return -EINVAL;
		}
		q->body = parse_json_arg(cmd, argv[0]);
		set_req(q, "POST", posts[i].path);
		if (argc >= 2 && !strcmp(argv[1], "--boot"))
			strcat(q->path, "?boot=1");
		return q->body ? 0 : -EINVAL;
	}
	return -ENOENT;
}

/* The request for @cmd and its arguments: 0, or -errno after printing why. */
static int build_req(CURL *c, struct rest_req *q, const char *cmd, int argc, char **argv)
{
	int ret;

	if (!strcmp(cmd, "filter"))
		return filter_req(c, q, argc, argv);
	if (!strcmp(cmd, "wg"))
		return wg_req(c, q, argc, argv);
	if (!strcmp(cmd, "vteps")) {
		set_req(q, "GET",
			argc && !strcmp(argv[0], "--refresh") ? "/v1/vteps?refresh=1" :
								"/v1/vteps");
		q->table = true;
		return 0;
	}
	if (!strcmp(cmd, "vtep-add")) {
		if (argc < 2) {
			fprintf(stderr, "ferryctl: vtep-add needs a tenant and an address\n");
			return -EINVAL;
		}
		q->body = json_pack("{s:s}", "address", argv[1]);
		set_req(q, "POST", "");
		return fill_path(c, q, "/v1/tenants/*/vteps", argv);
	}
	ret = body_req(q, cmd, argc, argv);
	if (ret != -ENOENT)
		return ret;
	if (!strcmp(cmd, "vm-shutdown") && argc >= 1)
		return shutdown_req(c, q, argc, argv);
	for (size_t i = 0; i < ARRAY_SIZE(plain); i++) {
		if (strcmp(cmd, plain[i].name))
			continue;
		if ((unsigned int)argc < plain[i].nargs) {
			fprintf(stderr, "ferryctl: %s needs %u argument%s (see ferryctl --help)\n",
				cmd, plain[i].nargs, plain[i].nargs == 1 ? "" : "s");
			return -EINVAL;
		}
		set_req(q, plain[i].method, "");
		q->table = plain[i].table;
		q->text = !strcmp(cmd, "metrics");
		return fill_path(c, q, plain[i].path, argv);
	}
	fprintf(stderr, "ferryctl: unknown command '%s' (see ferryctl --help)\n", cmd);
	return -EINVAL;
}

/* Send @q to the daemon at @sock: the HTTP status (0: unreachable), the body in @r. */
static long rest_send(CURL *c, const char *sock, struct rest_req *q, struct reply *r)
{
	struct curl_slist *hdrs = NULL;
	char url[600], *body = NULL;
	CURLcode rc;
	long status = 0;

	snprintf(url, sizeof(url), "http://ferry%s", q->path);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, reply_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	if (q->body) {
		body = json_dumps(q->body, JSON_COMPACT);
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	else if (r->too_big)
		fprintf(stderr, "ferryctl: the reply is longer than %u MiB\n", REPLY_MAX >> 20);
	else
		fprintf(stderr, "ferryctl: cannot reach ferry at %s: %s\n", sock,
			curl_easy_strerror(rc));
	curl_slist_free_all(hdrs);
	free(body);
	return status;
}

/* Print the reply to @cmd: table, JSON or text; the exit status. */
static int print_reply(const char *cmd, const struct rest_req *q, long status, struct reply *r,
		       bool json_out)
{
	json_t *resp;

	if (q->text && status == 200) {
		fwrite(r->buf, 1, r->len, stdout);
		return 0;
	}
	resp = r->buf ? json_loadb(r->buf, r->len, 0, NULL) : NULL;
	if (!resp) {
		fprintf(stderr, "ferryctl: no valid reply from ferry (HTTP %ld)\n", status);
		return 2;
	}
	if (status != 200 || !json_is_true(json_object_get(resp, "ok"))) {
		fprintf(stderr, "ferry: %s\n", json_string_value(json_object_get(resp, "error")));
		json_decref(resp);
		return 1;
	}
	if (json_out) {
		json_dumpf(resp, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
	} else if (q->table && !ferryctl_show(cmd, resp)) {
		json_dumpf(resp, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
	}
	json_decref(resp);
	return 0;
}

static int rest_main(const char *sock, bool json_out, const char *cmd, int argc, char **argv)
{
	struct rest_req q = { .table = false };
	struct reply r = { 0 };
	CURL *c;
	long status;
	int ret = 2;

	if (curl_global_init(CURL_GLOBAL_NOTHING) || !(c = curl_easy_init())) {
		fprintf(stderr, "ferryctl: libcurl failed to start\n");
		return 2;
	}
	if (build_req(c, &q, cmd, argc, argv) == 0) {
		status = rest_send(c, sock, &q, &r);
		ret = status ? print_reply(cmd, &q, status, &r, json_out) : 2;
	}
	json_decref(q.body);
	free(r.buf);
	curl_easy_cleanup(c);
	curl_global_cleanup();
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *sock = getenv("FERRY_CONTROL") ? getenv("FERRY_CONTROL") : DEFAULT_SOCKET;
	bool json_out = false;
	int c, n = 0;

	while ((c = getopt_long(argc, argv, "+s:hj", opts, NULL)) != -1) {
		if (c == 's') {
			sock = optarg;
		} else if (c == 'j') {
			json_out = true;
		} else {
			fputs(usage, c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return 2;
	}
	if (!strcmp(argv[optind], "capture"))
		return capture_main(sock, argc - optind - 1, argv + optind + 1);
	/* --json also after the command (`ferryctl wg --json`, as `wg show` users type). */
	for (int i = optind + 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json_out = true;
		else
			argv[optind + 1 + n++] = argv[i];
	}
	return rest_main(sock, json_out, argv[optind], n, argv + optind + 1);
}
