/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * http.c - REST on the control socket, with libmicrohttpd (no HTTP parser of
 * our own): ctl.c hands over every connection whose first bytes are an HTTP
 * method, so `curl --unix-socket` and the line protocol share one socket,
 * mode 0600.  Each resource maps to a control command and the same
 * validation (config/), so a bad request gets the same key path in a 400.
 *
 *   GET    /v1/vms | /v1/vms/NAME   POST /v1/vms[?boot=1]   DELETE /v1/vms/NAME
 *   PUT    /v1/vms/NAME/boot | pause | resume | shutdown[?timeout=S]
 *   GET    /v1/status | /v1/stats | /v1/pmds | /v1/vteps[?refresh=1] | /v1/evpn |
 *          /v1/wireguard | /v1/filters | /v1/tenants/NAME/fdb
 *   POST   /v1/tenants  /v1/tenants/NAME/vteps  /v1/vhost-user-ports
 *          /v1/filters/IFACE  /v1/wireguard/peers
 *   DELETE /v1/tenants/NAME  /v1/tenants/NAME/vteps/ADDR
 *          /v1/vhost-user-ports/NAME  /v1/filters/IFACE/INDEX
 *          /v1/wireguard/peers/KEY (percent-encoded)
 *   GET    /metrics (OpenMetrics text, metrics.c)
 *
 * The daemon runs in libmicrohttpd's external-epoll mode on the main loop,
 * like the line protocol, so handlers touch the job without locks.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <microhttpd.h>

#include "cli/cli.h"
#include "cli/job.h"
#include "util/compiler.h"
#include "util/log.h"

#define HTTP_BODY_MAX (64 * 1024) /* as a line of the line protocol */
#define HTTP_MAX_PARAMS 2

struct http_server {
	struct job *job;
	struct MHD_Daemon *d;
	int epoll_fd;
};

/* One resource: @cmd with path parameters named by @params (a "*" each). */
struct http_route {
	const char *method;
	const char *path; /* segments; "*" is a parameter, the last takes the rest */
	const char *cmd;
	const char *params[HTTP_MAX_PARAMS];
	const char *body_key; /* the body goes under this key; NULL: merged into the request */
	/* OpenAPI: the body's schema, a config object ("$defs" name) or inline JSON ("{..."). */
	const char *body_schema;
	const char *summary;
	const char *query; /* OpenAPI: its one query parameter (an integer), or NULL */
};

#define VTEP_BODY                                                                               \
	"{\"type\": \"object\", \"required\": [\"address\"], \"additionalProperties\": false, " \
	"\"properties\": {\"address\": {\"type\": \"string\", \"description\": "                \
	"\"the remote VTEP's IP address\"}}}"
#define RULE_BODY                                                                            \
	"{\"type\": \"object\", \"required\": [\"rule\"], \"additionalProperties\": false, " \
	"\"properties\": {\"rule\": {\"$ref\": \"#/components/schemas/acl_rule\"}, "         \
	"\"index\": {\"type\": \"integer\", \"minimum\": 0, \"description\": "               \
	"\"insert before this rule (default: at the end)\"}}}"

static const struct http_route routes[] = {
	{ "GET", "/v1/status", "status", { NULL }, NULL, NULL, "VMs, ports and the running config" },
	{ "GET", "/v1/vms", "vm-list", { NULL }, NULL, NULL, "every VM: state, NICs, exits" },
	{ "POST",
	  "/v1/vms",
	  "vm-create",
	  { NULL },
	  "vm",
	  "vm",
	  "create a VM (?boot=1 boots it too); its NICs join the switch",
	  "boot" },
	{ "PUT", "/v1/vms/*/boot", "vm-action", { "name" }, NULL, NULL, "boot a created VM" },
	{ "PUT", "/v1/vms/*/pause", "vm-action", { "name" }, NULL, NULL, "pause a running VM" },
	{ "PUT", "/v1/vms/*/resume", "vm-action", { "name" }, NULL, NULL, "resume a paused VM" },
	{ "PUT",
	  "/v1/vms/*/shutdown",
	  "vm-action",
	  { "name" },
	  NULL,
	  NULL,
	  "shut a VM down: the ACPI power button, then a stop once ?timeout=S seconds (default "
	  "10; 0: at once) pass without a power-off",
	  "timeout" },
	{ "GET", "/v1/vms/*", "vm-info", { "name" }, NULL, NULL, "one VM" },
	{ "DELETE",
	  "/v1/vms/*",
	  "vm-delete",
	  { "name" },
	  NULL,
	  NULL,
	  "delete a VM that is not running; its ports leave the switch" },
	{ "GET", "/v1/stats", "stats", { NULL }, NULL, NULL, "port, tenant and overlay counters" },
	{ "GET", "/v1/pmds", "pmds", { NULL }, NULL, NULL, "poll-mode threads: loops, busy share" },
	{ "GET",
	  "/v1/vteps",
	  "vteps",
	  { NULL },
	  NULL,
	  NULL,
	  "remote VTEPs and their next hops (?refresh=1 re-reads the kernel first)",
	  "refresh" },
	{ "GET", "/v1/evpn", "evpn", { NULL }, NULL, NULL, "EVPN bindings" },
	{ "GET", "/v1/wireguard", "wg", { NULL }, NULL, NULL, "the WireGuard tunnel and its peers" },
	{ "GET", "/v1/filters", "filter-list", { NULL }, NULL, NULL, "XDP access lists" },
	{ "GET", "/v1/tenants/*/fdb", "fdb", { "name" }, NULL, NULL, "a tenant's MAC table" },
	{ "POST", "/v1/tenants", "tenant-add", { NULL }, "tenant", "tenant", "add a tenant" },
	{ "DELETE",
	  "/v1/tenants/*",
	  "tenant-remove",
	  { "name" },
	  NULL,
	  NULL,
	  "remove a tenant without ports" },
	{ "POST",
	  "/v1/tenants/*/vteps",
	  "vtep-add",
	  { "tenant" },
	  NULL,
	  VTEP_BODY,
	  "seed a remote VTEP" },
	{ "DELETE",
	  "/v1/tenants/*/vteps/*",
	  "vtep-remove",
	  { "tenant", "address" },
	  NULL,
	  NULL,
	  "remove a seeded remote VTEP" },
	{ "POST",
	  "/v1/vhost-user-ports",
	  "port-add",
	  { NULL },
	  "port",
	  "vhost_user_port",
	  "add a vhost-user port" },
	{ "DELETE",
	  "/v1/vhost-user-ports/*",
	  "port-remove",
	  { "name" },
	  NULL,
	  NULL,
	  "remove a vhost-user port" },
	{ "POST",
	  "/v1/filters/*",
	  "filter-add",
	  { "interface" },
	  NULL,
	  RULE_BODY,
	  "add an access-list rule" },
	{ "DELETE",
	  "/v1/filters/*/*",
	  "filter-del",
	  { "interface", "index" },
	  NULL,
	  NULL,
	  "delete an access-list rule" },
	{ "POST",
	  "/v1/wireguard/peers",
	  "wg-peer-add",
	  { NULL },
	  "peer",
	  "wireguard_peer",
	  "add a WireGuard peer" },
	{ "DELETE",
	  "/v1/wireguard/peers/*",
	  "wg-peer-remove",
	  { "public_key" },
	  NULL,
	  NULL,
	  "remove a WireGuard peer (its key percent-encoded)" },
};

/* A request's body as it arrives. */
struct http_req {
	char *body;
	size_t len;
	bool too_big;
};

/*
 * Does @url match @pattern?  Parameters go to @out (copies, NUL-ended in
 * @buf).  A parameter is one path segment; with @greedy the last one takes
 * the rest of the path, so a WireGuard key's '/' (percent-decoded by
 * libmicrohttpd) stays in it.  Callers try every route without @greedy
 * first, so /v1/tenants/T/vteps/A never reads as tenant "T/vteps/A".
 */
static bool http_match(const char *pattern, const char *url, char *buf, size_t buflen,
		       const char **out, unsigned int *n, bool greedy)
{
	size_t used = 0, len;
	const char *end;

	*n = 0;
	while (*pattern) {
		if (*pattern != '*') {
			if (*pattern++ != *url++)
				return false;
			continue;
		}
		pattern++;
		end = *pattern || !greedy ? strchr(url, '/') : NULL;
		if (!end)
			end = url + strlen(url);
		if (end == url || *n == HTTP_MAX_PARAMS)
			return false;
		len = (size_t)(end - url);
		if (used + len + 1 > buflen)
			return false;
		memcpy(buf + used, url, len);
		buf[used + len] = '\0';
		out[(*n)++] = buf + used;
		used += len + 1;
		url = end;
	}
	return *url == '\0';
}

/* ---- the OpenAPI document: these routes, bodies from the config's own schema ---- */

/* "#/$defs/X" (the config schema's) becomes "#/components/schemas/X", everywhere in @v. */
static void openapi_refs(json_t *v)
{
	static const char from[] = "#/$defs/";
	const char *key, *ref;
	json_t *child;
	size_t i;
	char buf[160];

	if (json_is_array(v)) {
		json_array_foreach(v, i, child) openapi_refs(child);
		return;
	}
	json_object_foreach(v, key, child)
	{
		ref = json_string_value(child);
		if (strcmp(key, "$ref") == 0 && ref && strncmp(ref, from, sizeof(from) - 1) == 0) {
			snprintf(buf, sizeof(buf), "#/components/schemas/%s",
				 ref + sizeof(from) - 1);
			json_object_set_new(v, key, json_string(buf));
		} else {
			openapi_refs(child);
		}
	}
}

static json_t *openapi_json_content(json_t *schema)
{
	return json_pack("{s:{s:o}}", "application/json", "schema", schema);
}

/* One operation of route @r; @params get OpenAPI's {name} form in @path. */
static json_t *openapi_operation(const struct http_route *r, char *path, size_t len)
{
	json_t *op = json_pack("{s:s, s:s}", "summary", r->summary, "operationId", r->cmd);
	json_t *params = json_array(), *resp, *body;
	const char *p = r->path;
	unsigned int n = 0;
	size_t used = 0;

	for (; *p && used + 1 < len; p++) {
		if (*p != '*') {
			path[used++] = *p;
			continue;
		}
		used += (size_t)snprintf(path + used, len - used, "{%s}", r->params[n]);
		json_array_append_new(
			params, json_pack("{s:s, s:s, s:b, s:{s:s}}", "name", r->params[n], "in",
					  "path", "required", 1, "schema", "type",
					  strcmp(r->params[n], "index") ? "string" : "integer"));
		n++;
	}
	path[MIN(used, len - 1)] = '\0';
	if (r->query)
		json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:{s:s, s:i}}", "name",
							r->query, "in", "query", "required", 0,
							"schema", "type", "integer", "minimum", 0));
	if (json_array_size(params))
		json_object_set(op, "parameters", params);
	json_decref(params);
	if (r->body_schema) {
		body = r->body_schema[0] == '{' ?
			       json_loads(r->body_schema, 0, NULL) :
			       json_pack("{s:s+}", "$ref", "#/components/schemas/", r->body_schema);
		json_object_set_new(op, "requestBody",
				    json_pack("{s:b, s:o}", "required", 1, "content",
					      openapi_json_content(body)));
	}
	resp = json_pack(
		"{s:{s:s, s:o}, s:{s:s, s:o}}", "200", "description",
		"done: the command's answer, \"ok\": true", "content",
		openapi_json_content(json_pack("{s:s}", "type", "object")), "400", "description",
		"refused: \"error\" names the key path and why", "content",
		openapi_json_content(json_pack("{s:s}", "$ref", "#/components/schemas/error")));
	json_object_set_new(op, "responses", resp);
	return op;
}

static json_t *openapi_document(void)
{
	json_t *schema = config_schema(), *schemas, *paths = json_object(), *item, *doc;
	char path[128], method[16];

	schemas = schema ? json_deep_copy(json_object_get(schema, "$defs")) : NULL;
	json_decref(schema);
	if (!schemas || !paths) {
		json_decref(schemas);
		json_decref(paths);
		return NULL;
	}
	openapi_refs(schemas);
	json_object_set_new(schemas, "error",
			    json_pack("{s:s, s:[s, s], s:{s:{s:b}, s:{s:s}}}", "type", "object",
				      "required", "ok", "error", "properties", "ok", "const", 0,
				      "error", "type", "string"));
	for (size_t i = 0; i < ARRAY_SIZE(routes); i++) {
		json_t *op = openapi_operation(&routes[i], path, sizeof(path));

		item = json_object_get(paths, path);
		if (!item) {
			item = json_object();
			json_object_set_new(paths, path, item);
		}
		for (size_t k = 0; routes[i].method[k] && k < sizeof(method) - 1; k++)
			method[k] = (char)(routes[i].method[k] | 0x20); /* ASCII lower case */
		method[strlen(routes[i].method)] = '\0';
		json_object_set_new(item, method, op);
	}
	json_object_set_new(paths, "/metrics",
			    json_pack("{s:{s:s, s:s, s:{s:{s:s, s:{s:{s:{s:s}}}}}}}", "get",
				      "summary", "counters in the Prometheus text format",
				      "operationId", "metrics", "responses", "200", "description",
				      "the metrics", "content", "text/plain", "schema", "type",
				      "string"));
	json_object_set_new(paths, "/v1/openapi.json",
			    json_pack("{s:{s:s, s:s, s:{s:{s:s}}}}", "get", "summary",
				      "this document", "operationId", "openapi", "responses", "200",
				      "description", "OpenAPI 3.1"));
	doc = json_pack("{s:s, s:{s:s, s:s}, s:s, s:o, s:{s:o}}", "openapi", "3.1.0", "info",
			"title", "Ferry control API", "version", FERRY_VERSION, "jsonSchemaDialect",
			"https://json-schema.org/draft/2020-12/schema", "paths", paths,
			"components", "schemas", schemas);
	return doc;
}

static enum MHD_Result http_send(struct MHD_Connection *c, unsigned int status, char *text,
				 const char *type)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!text)
		return MHD_NO;
	r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result http_json(struct MHD_Connection *c, unsigned int status, json_t *doc)
{
	char *text = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
	size_t n = text ? strlen(text) : 0;
	char *line = text ? realloc(text, n + 2) : NULL;

	json_decref(doc);
	if (!line) {
		free(text);
		return MHD_NO;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	return http_send(c, status, line, "application/json");
}

static enum MHD_Result http_error(struct MHD_Connection *c, unsigned int status, const char *msg)
{
	return http_json(c, status, json_pack("{s:b, s:s}", "ok", 0, "error", msg));
}

/* The control request for route @r: path parameters, then the body. */
static json_t *http_request(struct MHD_Connection *c, const struct http_route *r,
			    const char **params, unsigned int n, json_t *body)
{
	json_t *req = json_pack("{s:s}", "cmd", r->cmd);
	const char *refresh = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "refresh");
	const char *boot = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "boot");
	const char *timeout = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "timeout");

	for (unsigned int i = 0; i < n; i++) {
		char *end;
		long v = strtol(params[i], &end, 10);

		/* A rule index is a number in the line protocol: keep it one. */
		if (strcmp(r->params[i], "index") == 0 && *end == '\0')
			json_object_set_new(req, r->params[i], json_integer(v));
		else
			json_object_set_new(req, r->params[i], json_string(params[i]));
	}
	if (refresh && strcmp(refresh, "0") != 0)
		json_object_set_new(req, "refresh", json_true());
	if (boot && strcmp(boot, "0") != 0)
		json_object_set_new(req, "boot", json_true());
	if (timeout) /* checked as a number by the command, so a bad one names "timeout" */
		json_object_set_new(req, "timeout", json_string(timeout));
	/* PUT /v1/vms/NAME/ACTION: the action is the path's last word. */
	if (strcmp(r->cmd, "vm-action") == 0)
		json_object_set_new(req, "action", json_string(strrchr(r->path, '/') + 1));
	if (body && r->body_key)
		json_object_set(req, r->body_key, body);
	else if (body && json_is_object(body))
		json_object_update_missing(req, body);
	return req;
}

static enum MHD_Result http_dispatch(struct http_server *h, struct MHD_Connection *c,
				     const char *url, const char *method, const struct http_req *q)
{
	const struct http_route *r = NULL;
	const char *params[HTTP_MAX_PARAMS];
	bool path_known = false;
	json_t *body = NULL, *req, *resp;
	json_error_t jerr;
	unsigned int n, status;
	char buf[512], msg[300];

	if (strcmp(url, "/v1/openapi.json") == 0 && strcmp(method, "GET") == 0)
		return http_json(c, MHD_HTTP_OK, openapi_document());
	if (strcmp(url, "/metrics") == 0)
		return strcmp(method, "GET") ?
			       http_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "/metrics: GET only") :
			       http_send(c, MHD_HTTP_OK, metrics_text(h->job),
					 "text/plain; version=0.0.4; charset=utf-8");
	for (size_t k = 0; k < 2 * ARRAY_SIZE(routes) && !r; k++) {
		const struct http_route *rt = &routes[k % ARRAY_SIZE(routes)];

		if (!http_match(rt->path, url, buf, sizeof(buf), params, &n,
				k >= ARRAY_SIZE(routes)))
			continue;
		path_known = true;
		if (strcmp(rt->method, method) == 0)
			r = rt;
	}
	if (r) {
		if (q->len) {
			body = json_loadb(q->body, q->len, JSON_REJECT_DUPLICATES, &jerr);
			if (!body) {
				snprintf(msg, sizeof(msg), "body: invalid JSON at column %d: %s",
					 jerr.column, jerr.text);
				return http_error(c, MHD_HTTP_BAD_REQUEST, msg);
			}
		}
		req = http_request(c, r, params, n, body);
		json_decref(body);
		resp = ctl_run(h->job, req);
		json_decref(req);
		status = json_is_true(json_object_get(resp, "ok")) ? MHD_HTTP_OK :
								     MHD_HTTP_BAD_REQUEST;
		return http_json(c, status, resp);
	}
	snprintf(msg, sizeof(msg), "%.32s %.200s: %s", method, url,
		 path_known ? "method not allowed here" : "no such resource");
	return http_error(c, path_known ? MHD_HTTP_METHOD_NOT_ALLOWED : MHD_HTTP_NOT_FOUND, msg);
}

static enum MHD_Result http_handler(void *cls, struct MHD_Connection *c, const char *url,
				    const char *method, const char *version,
				    const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct http_req *q = *con_cls;
	char *grown;

	(void)version;
	if (!q) {
		q = calloc(1, sizeof(*q));
		*con_cls = q;
		return q ? MHD_YES : MHD_NO;
	}
	if (*upload_size) {
		if (q->len + *upload_size > HTTP_BODY_MAX) {
			q->too_big = true;
		} else if ((grown = realloc(q->body, q->len + *upload_size))) {
			memcpy(grown + q->len, upload_data, *upload_size);
			q->body = grown;
			q->len += *upload_size;
		} else {
			q->too_big = true;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (q->too_big)
		return http_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "body: longer than 64 KiB");
	return http_dispatch(cls, c, url, method, q);
}

static void http_done(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode why)
{
	struct http_req *q = *con_cls;

	(void)cls;
	(void)c;
	(void)why;
	if (q)
		free(q->body);
	free(q);
	*con_cls = NULL;
}

/*
 * libmicrohttpd's complaints, into our log.  It tries TCP socket options on
 * every connection, which a Unix socket does not have: not worth a line.
 */
static void http_log(void *cls, const char *fmt, va_list ap) FERRY_PRINTF(2, 0);

static void http_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (strstr(msg, "TCP_NODELAY") || strstr(msg, "TCP_CORK") || strstr(msg, "push the data"))
		return;
	msg[strcspn(msg, "\n")] = '\0';
	LOG_RL(LOG_LVL_WARN, "ctl", "REST: %s", msg);
}

static void http_run(void *arg)
{
	struct http_server *h = arg;

	MHD_run(h->d);
}

int http_adopt(struct http_server *h, int fd)
{
	struct sockaddr_un peer = { .sun_family = AF_UNIX };

	if (!h ||
	    MHD_add_connection(h->d, fd, (const struct sockaddr *)&peer, sizeof(peer)) != MHD_YES)
		return -EIO;
	/* Serve what may already be there: its bytes arrived before epoll knew the fd. */
	MHD_run(h->d);
	return 0;
}

int http_start(struct job *j, struct http_server **out)
{
	struct http_server *h = calloc(1, sizeof(*h));
	const union MHD_DaemonInfo *info;

	if (!h)
		return -ENOMEM;
	h->job = j;
	/* No listening socket of its own: ctl.c accepts and hands connections over. */
	h->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG, 0,
				NULL, NULL, http_handler, h, MHD_OPTION_NOTIFY_COMPLETED, http_done,
				NULL, MHD_OPTION_EXTERNAL_LOGGER, http_log, NULL,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)16, MHD_OPTION_END);
	info = h->d ? MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
	h->epoll_fd = info ? info->epoll_fd : -1;
	if (h->epoll_fd < 0 || runner_watch_fd(j->r, h->epoll_fd, http_run, h) < 0) {
		LOG_ERR("ctl", "cannot start the REST server (libmicrohttpd)");
		if (h->d)
			MHD_stop_daemon(h->d);
		free(h);
		return -EIO;
	}
	*out = h;
	return 0;
}

void http_stop(struct job *j, struct http_server *h)
{
	if (!h)
		return;
	runner_unwatch_fd(j->r, h->epoll_fd);
	MHD_stop_daemon(h->d);
	free(h);
}
