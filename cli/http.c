/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * http.c - REST on the control socket, with libmicrohttpd (no HTTP parser of
 * our own): ctl.c hands over every connection whose first bytes are an HTTP
 * method, so `curl --unix-socket` and the line protocol share one socket,
 * mode 0600.  Each resource maps to a control command and the same
 * validation (config/), so a bad request gets the same key path in a 400.
 *
 *   GET    /v1/status | /v1/stats | /v1/vteps[?refresh=1] | /v1/evpn |
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
};

static const struct http_route routes[] = {
	{ "GET", "/v1/status", "status", { NULL }, NULL },
	{ "GET", "/v1/stats", "stats", { NULL }, NULL },
	{ "GET", "/v1/vteps", "vteps", { NULL }, NULL },
	{ "GET", "/v1/evpn", "evpn", { NULL }, NULL },
	{ "GET", "/v1/wireguard", "wg", { NULL }, NULL },
	{ "GET", "/v1/filters", "filter-list", { NULL }, NULL },
	{ "GET", "/v1/tenants/*/fdb", "fdb", { "name" }, NULL },
	{ "POST", "/v1/tenants", "tenant-add", { NULL }, "tenant" },
	{ "DELETE", "/v1/tenants/*", "tenant-remove", { "name" }, NULL },
	{ "POST", "/v1/tenants/*/vteps", "vtep-add", { "tenant" }, NULL },
	{ "DELETE", "/v1/tenants/*/vteps/*", "vtep-remove", { "tenant", "address" }, NULL },
	{ "POST", "/v1/vhost-user-ports", "port-add", { NULL }, "port" },
	{ "DELETE", "/v1/vhost-user-ports/*", "port-remove", { "name" }, NULL },
	{ "POST", "/v1/filters/*", "filter-add", { "interface" }, NULL },
	{ "DELETE", "/v1/filters/*/*", "filter-del", { "interface", "index" }, NULL },
	{ "POST", "/v1/wireguard/peers", "wg-peer-add", { NULL }, "peer" },
	{ "DELETE", "/v1/wireguard/peers/*", "wg-peer-remove", { "public_key" }, NULL },
};

/* A request's body as it arrives. */
struct http_req {
	char *body;
	size_t len;
	bool too_big;
};

/*
 * Does @url match @pattern?  Parameters go to @out (copies, NUL-ended in
 * @buf).  The last parameter takes the rest of the path, so a WireGuard
 * key's '/' (percent-decoded by libmicrohttpd) stays in it.
 */
static bool http_match(const char *pattern, const char *url, char *buf, size_t buflen,
		       const char **out, unsigned int *n)
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
		end = *pattern ? strchr(url, '/') : url + strlen(url);
		if (!end || end == url || *n == HTTP_MAX_PARAMS)
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
	if (body && r->body_key)
		json_object_set(req, r->body_key, body);
	else if (body && json_is_object(body))
		json_object_update_missing(req, body);
	return req;
}

static enum MHD_Result http_dispatch(struct http_server *h, struct MHD_Connection *c,
				     const char *url, const char *method, const struct http_req *q)
{
	const char *params[HTTP_MAX_PARAMS];
	bool path_known = false;
	json_t *body = NULL, *req, *resp;
	json_error_t jerr;
	unsigned int n, status;
	char buf[512], msg[300];

	if (strcmp(url, "/metrics") == 0)
		return strcmp(method, "GET") ?
			       http_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "/metrics: GET only") :
			       http_send(c, MHD_HTTP_OK, metrics_text(h->job),
					 "text/plain; version=0.0.4; charset=utf-8");
	for (size_t i = 0; i < ARRAY_SIZE(routes); i++) {
		if (!http_match(routes[i].path, url, buf, sizeof(buf), params, &n))
			continue;
		path_known = true;
		if (strcmp(routes[i].method, method) != 0)
			continue;
		if (q->len) {
			body = json_loadb(q->body, q->len, JSON_REJECT_DUPLICATES, &jerr);
			if (!body) {
				snprintf(msg, sizeof(msg), "body: invalid JSON at column %d: %s",
					 jerr.column, jerr.text);
				return http_error(c, MHD_HTTP_BAD_REQUEST, msg);
			}
		}
		req = http_request(c, &routes[i], params, n, body);
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
				NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
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
