/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * types.c - the value types of config/'s key tables (table.h).  Each type is one ops table:
 * parse a JSON value into a C member with a precise error, release it, dump it back to JSON,
 * and describe itself as a JSON Schema and as a line of docs.  A type reads its limits from
 * the table row (range, length, choices, sub-object), so one type serves many keys.
 *
 * Values may come from the control socket: strings are checked for embedded NULs, echoed
 * through cfg_quote(), and every allocation is bounded by the row's limits.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/table.h"
#include "wireguard/crypto.h"

/* Helpers shared by the types. */

static void store_uint(void *dst, size_t size, uint64_t v)
{
	uint8_t v8 = (uint8_t)v;
	uint16_t v16 = (uint16_t)v;
	uint32_t v32 = (uint32_t)v;

	/* Members of any width (and enums, which are int-sized) go through one path. */
	if (size == 1)
		memcpy(dst, &v8, 1);
	else if (size == 2)
		memcpy(dst, &v16, 2);
	else if (size == 4)
		memcpy(dst, &v32, 4);
	else
		memcpy(dst, &v, 8);
}

static uint64_t load_uint(const void *src, size_t size)
{
	uint8_t v8;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	switch (size) {
	case 1:
		memcpy(&v8, src, 1);
		return v8;
	case 2:
		memcpy(&v16, src, 2);
		return v16;
	case 4:
		memcpy(&v32, src, 4);
		return v32;
	default:
		memcpy(&v64, src, 8);
		return v64;
	}
}

static void *load_ptr(const void *obj, const struct cfg_key *k)
{
	void *p;

	/* Array members are typed struct pointers; copy the bits instead of punning. */
	memcpy(&p, CFG_CMEMBER(obj, k), sizeof(p));
	return p;
}

static void store_ptr(void *obj, const struct cfg_key *k, void *p)
{
	memcpy(CFG_MEMBER(obj, k), &p, sizeof(p));
}

static unsigned int *count_of(void *obj, const struct cfg_key *k)
{
	return (unsigned int *)((char *)obj + k->count_off);
}

static unsigned int load_count(const void *obj, const struct cfg_key *k)
{
	return *(const unsigned int *)((const char *)obj + k->count_off);
}

static int get_str(struct cfg_ctx *ctx, json_t *j, const char **s)
{
	if (!json_is_string(j))
		return cfg_fail(ctx, "must be a string, got %s", cfg_json_type_name(j));
	/* jansson keeps \u0000 in a string's length; C code would silently cut there. */
	if (strlen(json_string_value(j)) != json_string_length(j))
		return cfg_fail(ctx, "must not contain NUL characters");
	*s = json_string_value(j);
	return 0;
}

static int get_uint(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *j, uint64_t *v)
{
	json_int_t i;

	if (!json_is_integer(j))
		return cfg_fail(ctx, "must be an integer, got %s", cfg_json_type_name(j));
	i = json_integer_value(j);
	if (i < 0 || (uint64_t)i < k->min || (uint64_t)i > k->max)
		return cfg_fail(ctx, "must be %" PRIu64 "..%" PRIu64 ", got %" JSON_INTEGER_FORMAT,
				k->min, k->max, i);
	*v = (uint64_t)i;
	return 0;
}

static int set_out(json_t **out, json_t *v)
{
	*out = v;
	return v ? 0 : -ENOMEM;
}

static void release_nothing(const struct cfg_key *k, void *obj)
{
	(void)k;
	(void)obj;
}

static void release_str(const struct cfg_key *k, void *obj)
{
	char **s = CFG_MEMBER(obj, k);

	free(*s);
	*s = NULL;
}

static int dump_str(const struct cfg_key *k, const void *obj, json_t **out)
{
	const char *s = *(char *const *)CFG_CMEMBER(obj, k);

	/* Resolved paths may hold bytes from the file system that are not UTF-8. */
	if (!s) {
		*out = NULL;
		return 0;
	}
	return set_out(out, json_string_nocheck(s));
}

static json_t *int_schema(uint64_t min, uint64_t max)
{
	return json_pack("{s:s, s:I, s:I}", "type", "integer", "minimum", (json_int_t)min,
			 "maximum", (json_int_t)max);
}

/* bool */

static int bool_parse(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *j, void *obj)
{
	if (!json_is_boolean(j))
		return cfg_fail(ctx, "must be true or false, got %s", cfg_json_type_name(j));
	*(bool *)CFG_MEMBER(obj, k) = json_is_true(j);
	return 0;
}

static int bool_dump(const struct cfg_key *k, const void *obj, json_t **out)
{
	return set_out(out, json_boolean(*(const bool *)CFG_CMEMBER(obj, k)));
}

static json_t *bool_schema(const struct cfg_key *k)
{
	(void)k;
	return json_pack("{s:s}", "type", "boolean");
}

static void bool_describe(const struct cfg_key *k, char *buf, size_t len)
{
	(void)k;
	snprintf(buf, len, "boolean");
}

const struct cfg_type cfg_type_bool = {
	.parse = bool_parse,
	.release = release_nothing,
	.dump = bool_dump,
	.schema = bool_schema,
	.describe = bool_describe,
};

/* unsigned integer of any member width */

static int uint_parse(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *j, void *obj)
{
	uint64_t v = 0;
	int ret = get_uint(ctx, k, j, &v);

	if (!ret)
		store_uint(CFG_MEMBER(obj, k), k->size, v);
	return ret;
}

static int uint_dump(const struct cfg_key *k, const void *obj, json_t **out)
{
	return set_out(out, json_integer((json_int_t)load_uint(CFG_CMEMBER(obj, k), k->size)));
}

static json_t *uint_schema(const struct cfg_key *k)
{
	return int_schema(k->min, k->max);
}

static void uint_describe(const struct cfg_key *k, char *buf, size_t len)
{
	snprintf(buf, len, "integer %" PRIu64 "..%" PRIu64, k->min, k->max);
}

const struct cfg_type cfg_type_uint = {
	.parse = uint_parse,
	.release = release_nothing,
	.dump = uint_dump,
	.schema = uint_schema,
	.describe = uint_describe,
};

/* size: "256M" or an integer of bytes */

static int size_value(struct cfg_ctx *ctx, json_t *j, uint64_t *v, bool *neg)
{
	const char *s;
	char q[64];
	int ret;

	*neg = false;
	if (json_is_integer(j)) {
		*neg = json_integer_value(j) < 0;
		*v = (uint64_t)json_integer_value(j);
		return 0;
	}
	if (!json_is_string(j))
		return cfg_fail(ctx, "must be a size like \"256M\" or an integer of bytes, got %s",
				cfg_json_type_name(j));
	ret = get_str(ctx, j, &s);
	if (!ret && config_parse_size(s, v))
		ret = cfg_fail(ctx, "invalid size '%s' (use a number with K, M or G)",
			       cfg_quote(s, q, sizeof(q)));
	return ret;
}

static int size_parse(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *j, void *obj)
{
	char lo[24], hi[24], got[24];
	uint64_t v = 0;
	bool neg;
	int ret = size_value(ctx, j, &v, &neg);

	if (ret)
		return ret;
	if (neg || v < k->min || v > k->max) {
		config_format_size(k->min, lo, sizeof(lo));
		config_format_size(k->max, hi, sizeof(hi));
		if (neg)
			snprintf(got, sizeof(got), "%" JSON_INTEGER_FORMAT, json_integer_value(j));
		else
			config_format_size(v, got, sizeof(got));
		return cfg_fail(ctx, "must be %s..%s, got %s", lo, hi, got);
	}
	store_uint(CFG_MEMBER(obj, k), k->size, v);
	return 0;
}

static int size_dump(const struct cfg_key *k, const void *obj, json_t **out)
{
	uint64_t v = load_uint(CFG_CMEMBER(obj, k), k->size);
	char buf[24];

	/* Whole units read better; anything else stays an exact integer. */
	if (v && !(v & 1023)) {
		config_format_size(v, buf, sizeof(buf));
		return set_out(out, json_string(buf));
	}
	return set_out(out, json_integer((json_int_t)v));
}

static json_t *size_schema(const struct cfg_key *k)
{
	return json_pack("{s:[o, {s:s, s:s}]}", "oneOf", int_schema(k->min, k->max), "type",
			 "string", "pattern", "^[0-9]+[KkMmGg]?$");
}

static void size_describe(const struct cfg_key *k, char *buf, size_t len)
{
	char lo[24], hi[24];

	config_format_size(k->min, lo, sizeof(lo));
	config_format_size(k->max, hi, sizeof(hi));
	snprintf(buf, len, "size %s..%s (\"256M\" or bytes)", lo, hi);
}

const struct cfg_type cfg_type_size = {
	.parse = size_parse,
	.release = release_nothing,
	.dump = size_dump,
	.schema = size_schema,
	.describe = size_describe,
};

/* string: free text bounded in length */

static int check_len(struct cfg_ctx *ctx, const struct cfg_key *k, size_t len)
{
	if (len < k->min)
		return k->min == 1 ? cfg_fail(ctx, "must not be empty") :
				     cfg_fail(ctx, "must be at least %" PRIu64 " bytes", k->min);
	if (len > k->max)
		return cfg_fail(ctx, "must be at most %" PRIu64 " bytes, got %zu", k->max, len);
	return 0;
}

static int store_str(struct cfg_ctx *ctx, const struct cfg_key *k, void *obj, char *copy)
{
	if (!copy)
		return cfg_oom(ctx);
	*(char **)CFG_MEMBER(obj, k) = copy;
	return 0;
}

static int string_parse(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *j, void *obj)
{
	const char *s;
	int ret = get_str(ctx, j, &s);

	if (!ret)
		ret = check_len(ctx, k, strlen(s));
	return ret ? ret : store_str(ctx, k, obj, strdup(s));
}

static json_t *string_schema(const struct cfg_key *k)
{
	return json_pack("{s:s, s:I, s:I}", "type", "string", "minLength", (json_int_t)k->min,
			 "maxLength", (json_int_t)k->max);
}

static void string_describe(const struct cfg_key *k, char *buf, size_t len)
{
	snprintf(buf, len, "string, at most %" PRIu64 " bytes", k->max);
}

const struct cfg_type cfg_type_string = {
	.parse = string_parse,
	.release = release_str,
	.dump = dump_str,
	.schema = string_schema,
	.describe = string_describe,
};

/* name: an identifier used in references, logs and port names */

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= CFG_NAME_MAX &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

static int name_parse(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *j, void *obj)
{
	const char *s;
	char q[64];
	int ret = get_str(ctx, j, &s);

	if (ret)
		return ret;
	if (!name_ok(s))
		return cfg_fail(ctx, "invalid name '%s' (use 1 to %u of A-Z a-z 0-9 _ . -)",
				cfg_quote(s, q, sizeof(q)), CFG_NAME_MAX);
	return store_str(ctx, k, obj, strdup(s));
}

static json_t *name_schema(const struct cfg_key *k)
{
	(void)k;
	return json_pack("{s:s, s:s}", "type", "string", "pattern", "^[A-Za-z0-9_.-]{1,32}$");
}

static void name_describe(const struct cfg_key *k, char *buf, size_t len)
{
	(void)k;
	snprintf(buf, len, "name: 1 to %u of A-Z a-z 0-9 _ . -", CFG_NAME_MAX);
}

const struct cfg_type cfg_type_name = {
	.parse = name_parse,
	.release = release_str,
	.dump = dump_str,
	.schema = name_schema,
	.describe = name_describe,
};

/* path: a file or socket name, resolved against the config file's directory */

static int path_parse(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *j, void *obj)
{
	const char *s;
	char *full = NULL, q[96];
	int ret = get_str(ctx, j, &s);

	if (ret)
		return ret;
	if (!*s)
		return cfg_fail(ctx, "must not be empty");
	if (ctx->base_dir && s[0] != '/') {
		if (asprintf(&full, "%s/%s", ctx->base_dir, s) < 0)
			return cfg_oom(ctx);
	} else if (!(full = strdup(s))) {
		return cfg_oom(ctx);
	}
	if (strlen(full) > k->max) {
		ret = cfg_fail(ctx, "path '%s' is too long (%zu bytes, at most %" PRIu64 "%s)",
			       cfg_quote(full, q, sizeof(q)), strlen(full), k->max,
			       k->max == CFG_SOCKET_PATH_MAX ? " for a Unix socket" : "");
		free(full);
		return ret;
	}
	return store_str(ctx, k, obj, full);
}

static json_t *path_schema(const struct cfg_key *k)
{
	return json_pack("{s:s, s:i, s:I}", "type", "string", "minLength", 1, "maxLength",
			 (json_int_t)k->max);
}

static void path_describe(const struct cfg_key *k, char *buf, size_t len)
{
	if (k->max == CFG_SOCKET_PATH_MAX)
		snprintf(buf, len, "Unix socket path, at most %u bytes", CFG_SOCKET_PATH_MAX);
	else
		snprintf(buf, len, "path");
}

const struct cfg_type cfg_type_path = {
	.parse = path_parse,
	.release = release_str,
	.dump = dump_str,
	.schema = path_schema,
	.describe = path_describe,
};

/* enum: one of a few strings, stored as its index */

static void list_choices(const struct cfg_key *k, char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; k->choices[i] && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s\"%s\"", i ? ", " : "", k->choices[i]);
}

static int enum_parse(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *j, void *obj)
{
	char list[128], q[64];
	const char *s;
	size_t i;

	list_choices(k, list, sizeof(list));
	if (!json_is_string(j))
		return cfg_fail(ctx, "must be one of %s, got %s", list, cfg_json_type_name(j));
	s = json_string_value(j);
	for (i = 0; k->choices[i]; i++) {
		if (!strcmp(s, k->choices[i]) && strlen(s) == json_string_length(j)) {
			store_uint(CFG_MEMBER(obj, k), k->size, i);
			return 0;
		}
	}
	return cfg_fail(ctx, "must be one of %s, got '%s'", list, cfg_quote(s, q, sizeof(q)));
}

static int enum_dump(const struct cfg_key *k, const void *obj, json_t **out)
{
	uint64_t idx = load_uint(CFG_CMEMBER(obj, k), k->size);
	uint64_t n = 0;

	while (k->choices[n])
		n++;
	/* Only parse writes the member, so an index out of range is a caller's corruption. */
	if (idx >= n) {
		*out = NULL;
		return -EINVAL;
	}
	return set_out(out, json_string(k->choices[idx]));
}

static json_t *enum_schema(const struct cfg_key *k)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; list && k->choices[i]; i++) {
		if (json_array_append_new(list, json_string(k->choices[i]))) {
			json_decref(list);
			return NULL;
		}
	}
	return json_pack("{s:s, s:o}", "type", "string", "enum", list);
}

static void enum_describe(const struct cfg_key *k, char *buf, size_t len)
{
	char list[128];

	list_choices(k, list, sizeof(list));
	snprintf(buf, len, "one of %s", list);
}

const struct cfg_type cfg_type_enum = {
	.parse = enum_parse,
	.release = release_nothing,
	.dump = enum_dump,
	.schema = enum_schema,
	.describe = enum_describe,
};

/* mac: a unicast Ethernet address */

static int mac_parse(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *j, void *obj)
{
	uint8_t mac[6];
	const char *s;
	char q[64];
	int ret = get_str(ctx, j, &s);

	if (ret)
		return ret;
	if (config_parse_mac(s, mac))
		return cfg_fail(ctx, "invalid MAC address '%s' (use six hex pairs like %s)",
				cfg_quote(s, q, sizeof(q)), "52:54:00:12:34:56");
	if (!config_mac_is_unicast(mac))
		return cfg_fail(ctx, "%s is %s address; a NIC needs a unicast one", s,
				mac[0] & 1 ? "a multicast" : "the all-zero");
	memcpy(CFG_MEMBER(obj, k), mac, sizeof(mac));
	return 0;
}

static int mac_dump(const struct cfg_key *k, const void *obj, json_t **out)
{
	char buf[18];

	config_format_mac(CFG_CMEMBER(obj, k), buf);
	return set_out(out, json_string(buf));
}

static json_t *mac_schema(const struct cfg_key *k)
{
	(void)k;
	/* The second hex digit even means the group bit is clear: unicast. */
	return json_pack("{s:s, s:s, s:{s:s}}", "type", "string", "pattern",
			 "^[0-9A-Fa-f][02468AaCcEe](:[0-9A-Fa-f]{2}){5}$", "not", "pattern",
			 "^00(:00){5}$");
}

static void mac_describe(const struct cfg_key *k, char *buf, size_t len)
{
	(void)k;
	snprintf(buf, len, "unicast MAC address \"52:54:00:12:34:56\"");
}

const struct cfg_type cfg_type_mac = {
	.parse = mac_parse,
	.release = release_nothing,
	.dump = mac_dump,
	.schema = mac_schema,
	.describe = mac_describe,
};

/* ip: a unicast IPv4 or IPv6 address (tunnel endpoints) */

int config_parse_addr(const char *s, struct config_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->a) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, s, a->a) == 1)
		a->family = AF_INET6;
	else
		return -EINVAL;
	return 0;
}

void config_format_addr(const struct config_addr *a, char *buf, size_t len)
{
	if (!a->family || !inet_ntop(a->family, a->a, buf, (socklen_t)len))
		snprintf(buf, len, "-");
}

const char *cfg_addr_not_unicast(const struct config_addr *a)
{
	static const uint8_t zero[16];

	if (a->family == AF_INET) {
		if (a->a[0] == 0 || !memcmp(a->a, zero, 4))
			return "an unspecified";
		if (a->a[0] >= 224)
			return a->a[0] < 240 ? "a multicast" : "a reserved or broadcast";
		return NULL;
	}
	if (!memcmp(a->a, zero, 16))
		return "the unspecified";
	return a->a[0] == 0xff ? "a multicast" : NULL;
}

static int addr_value(struct cfg_ctx *ctx, json_t *j, struct config_addr *a)
{
	const char *s, *why;
	char q[64];
	int ret = get_str(ctx, j, &s);

	if (ret)
		return ret;
	if (config_parse_addr(s, a))
		return cfg_fail(ctx, "invalid IP address '%s' (use 192.0.2.1 or 2001:db8::1)",
				cfg_quote(s, q, sizeof(q)));
	why = cfg_addr_not_unicast(a);
	if (why)
		return cfg_fail(ctx, "%s is %s address; a tunnel endpoint needs a unicast one", s,
				why);
	return 0;
}

static int ip_parse(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *j, void *obj)
{
	return addr_value(ctx, j, CFG_MEMBER(obj, k));
}

static json_t *addr_json(const struct config_addr *a)
{
	char buf[64];

	config_format_addr(a, buf, sizeof(buf));
	return json_string(buf);
}

static int ip_dump(const struct cfg_key *k, const void *obj, json_t **out)
{
	const struct config_addr *a = CFG_CMEMBER(obj, k);

	*out = NULL;
	return a->family ? set_out(out, addr_json(a)) : 0;
}

static json_t *ip_schema(const struct cfg_key *k)
{
	(void)k;
	return json_pack("{s:s, s:[{s:s}, {s:s}]}", "type", "string", "anyOf", "format", "ipv4",
			 "format", "ipv6");
}

static void ip_describe(const struct cfg_key *k, char *buf, size_t len)
{
	(void)k;
	snprintf(buf, len, "unicast IPv4 or IPv6 address");
}

const struct cfg_type cfg_type_ip = {
	.parse = ip_parse,
	.release = release_nothing,
	.dump = ip_dump,
	.schema = ip_schema,
	.describe = ip_describe,
};

/* prefix: an address with an optional /length ("10.0.0.0/8", "2001:db8::/32", "10.0.0.1") */

int config_parse_prefix(const char *s, struct config_prefix *p)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	struct config_addr a;
	unsigned long plen;
	char *end;
	size_t n = slash ? (size_t)(slash - s) : strlen(s);

	memset(p, 0, sizeof(*p));
	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (config_parse_addr(buf, &a))
		return -EINVAL;
	plen = a.family == AF_INET ? 32 : 128;
	if (slash) {
		errno = 0;
		plen = strtoul(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || plen > (a.family == AF_INET ? 32u : 128u))
			return -EINVAL;
	}
	/* Host bits set below the length are a typo, not a wish: refuse them. */
	for (unsigned int bit = (unsigned int)plen; bit < 128; bit++)
		if (a.a[bit / 8] & (0x80 >> (bit % 8)))
			return -ERANGE;
	p->family = a.family;
	p->plen = (uint8_t)plen;
	memcpy(p->a, a.a, sizeof(p->a));
	return 0;
}

void config_format_prefix(const struct config_prefix *p, char *buf, size_t len)
{
	struct config_addr a = { .family = p->family };
	char addr[64];

	memcpy(a.a, p->a, sizeof(a.a));
	config_format_addr(&a, addr, sizeof(addr));
	snprintf(buf, len, "%s/%u", addr, p->plen);
}

static int prefix_value(struct cfg_ctx *ctx, json_t *j, struct config_prefix *p)
{
	const char *s;
	char q[64];
	int ret = get_str(ctx, j, &s);

	if (ret)
		return ret;
	ret = config_parse_prefix(s, p);
	if (ret == -ERANGE)
		return cfg_fail(ctx, "'%s' has host bits set below its prefix length",
				cfg_quote(s, q, sizeof(q)));
	if (ret)
		return cfg_fail(ctx,
				"invalid prefix '%s' (use 10.0.0.0/8, 2001:db8::/32 or an address)",
				cfg_quote(s, q, sizeof(q)));
	return 0;
}

static int prefix_parse(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *j, void *obj)
{
	return prefix_value(ctx, j, CFG_MEMBER(obj, k));
}

static json_t *prefix_json(const struct config_prefix *p)
{
	char buf[80];

	config_format_prefix(p, buf, sizeof(buf));
	return json_string(buf);
}

static int prefix_dump(const struct cfg_key *k, const void *obj, json_t **out)
{
	const struct config_prefix *p = CFG_CMEMBER(obj, k);

	*out = NULL;
	return p->family ? set_out(out, prefix_json(p)) : 0;
}

static json_t *prefix_schema(const struct cfg_key *k)
{
	(void)k;
	return json_pack("{s:s, s:s}", "type", "string", "pattern", "^[0-9A-Fa-f:.]+(/[0-9]+)?$");
}

static void prefix_describe(const struct cfg_key *k, char *buf, size_t len)
{
	(void)k;
	snprintf(buf, len, "IPv4 or IPv6 prefix \"10.0.0.0/8\" (an address alone: one host)");
}

const struct cfg_type cfg_type_prefix = {
	.parse = prefix_parse,
	.release = release_nothing,
	.dump = prefix_dump,
	.schema = prefix_schema,
	.describe = prefix_describe,
};

/* port range: "80", "1024-65535" or an integer; the member is a struct config_port_range */

static int port_range_parse(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *j, void *obj)
{
	struct config_port_range *r = CFG_MEMBER(obj, k);
	unsigned long lo, hi;
	const char *s;
	char q[64], *end;

	if (json_is_integer(j) && json_integer_value(j) >= 0 && json_integer_value(j) <= 65535) {
		r->lo = r->hi = (unsigned int)json_integer_value(j);
		return 0;
	}
	if (!json_is_string(j))
		return cfg_fail(ctx, "must be a port or a range \"LO-HI\", got %s",
				cfg_json_type_name(j));
	s = json_string_value(j);
	errno = 0;
	lo = strtoul(s, &end, 10);
	hi = lo;
	if (end != s && *end == '-')
		hi = strtoul(end + 1, &end, 10);
	if (errno || end == s || *end || lo > hi || hi > 65535)
		return cfg_fail(ctx, "invalid port range '%s' (use 80 or 1024-65535)",
				cfg_quote(s, q, sizeof(q)));
	r->lo = (unsigned int)lo;
	r->hi = (unsigned int)hi;
	return 0;
}

static int port_range_dump(const struct cfg_key *k, const void *obj, json_t **out)
{
	const struct config_port_range *r = CFG_CMEMBER(obj, k);
	char buf[16];

	if (r->lo == r->hi)
		return set_out(out, json_integer(r->lo));
	snprintf(buf, sizeof(buf), "%u-%u", r->lo, r->hi);
	return set_out(out, json_string(buf));
}

static json_t *port_range_schema(const struct cfg_key *k)
{
	(void)k;
	return json_pack("{s:[{s:s, s:i, s:i}, {s:s, s:s}]}", "anyOf", "type", "integer", "minimum",
			 0, "maximum", 65535, "type", "string", "pattern", "^[0-9]+(-[0-9]+)?$");
}

static void port_range_describe(const struct cfg_key *k, char *buf, size_t len)
{
	(void)k;
	snprintf(buf, len, "port 0..65535 or range \"LO-HI\"");
}

const struct cfg_type cfg_type_port_range = {
	.parse = port_range_parse,
	.release = release_nothing,
	.dump = port_range_dump,
	.schema = port_range_schema,
	.describe = port_range_describe,
};

/* array of distinct unsigned ints (CPU lists) */

static int check_array(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *j)
{
	if (!json_is_array(j))
		return cfg_fail(ctx, "must be an array, got %s", cfg_json_type_name(j));
	if (json_array_size(j) > k->max_items)
		return cfg_fail(ctx, "must have at most %u entries, got %zu", k->max_items,
				json_array_size(j));
	return 0;
}

static int uint_item(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *j, unsigned int *arr,
		     size_t i)
{
	uint64_t v = 0;
	size_t d, mark = cfg_push_index(ctx, i);
	int ret = get_uint(ctx, k, json_array_get(j, i), &v);

	for (d = 0; !ret && d < i; d++)
		if (arr[d] == v)
			ret = cfg_fail(ctx, "duplicate value %" PRIu64 " (also at [%zu])", v, d);
	if (!ret)
		arr[i] = (unsigned int)v;
	cfg_pop(ctx, mark);
	return ret;
}

/* Parses @j's elements into a new array of @elem-byte items, one @item call each. */
typedef int (*item_fn)(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *j, void *arr,
		       size_t i);

static int scalar_array_parse(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *j, void *obj,
			      size_t elem, item_fn item)
{
	void *arr;
	size_t i, n;
	int ret = check_array(ctx, k, j);

	if (ret || !(n = json_array_size(j)))
		return ret;
	arr = calloc(n, elem);
	if (!arr)
		return cfg_oom(ctx);
	store_ptr(obj, k, arr);
	/* The count grows with each good item so a release after an error sees only those. */
	for (i = 0; i < n; i++) {
		ret = item(ctx, k, j, arr, i);
		if (ret)
			return ret;
		*count_of(obj, k) = (unsigned int)i + 1;
	}
	return 0;
}

static int uint_array_item(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *j, void *arr,
			   size_t i)
{
	return uint_item(ctx, k, j, arr, i);
}

static int uint_array_parse(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *j, void *obj)
{
	return scalar_array_parse(ctx, k, j, obj, sizeof(unsigned int), uint_array_item);
}

static void array_release(const struct cfg_key *k, void *obj)
{
	const struct cfg_object *o = k->obj;
	char *arr = load_ptr(obj, k);
	unsigned int i, n = load_count(obj, k);

	for (i = 0; o && i < n; i++)
		cfg_release_object(o, arr + (size_t)i * o->size);
	free(arr);
	store_ptr(obj, k, NULL);
	*count_of(obj, k) = 0;
}

static int uint_array_dump(const struct cfg_key *k, const void *obj, json_t **out)
{
	const unsigned int *arr = load_ptr(obj, k);
	unsigned int i, n = load_count(obj, k);
	json_t *a;

	*out = NULL;
	if (!n)
		return 0;
	if (!(a = json_array()))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (json_array_append_new(a, json_integer(arr[i]))) {
			json_decref(a);
			return -ENOMEM;
		}
	}
	*out = a;
	return 0;
}

static json_t *uint_array_schema(const struct cfg_key *k)
{
	return json_pack("{s:s, s:o, s:b, s:i}", "type", "array", "items",
			 int_schema(k->min, k->max), "uniqueItems", 1, "maxItems", k->max_items);
}

static void uint_array_describe(const struct cfg_key *k, char *buf, size_t len)
{
	snprintf(buf, len, "array of distinct integers %" PRIu64 "..%" PRIu64 ", at most %u",
		 k->min, k->max, k->max_items);
}

const struct cfg_type cfg_type_uint_array = {
	.parse = uint_array_parse,
	.release = array_release,
	.dump = uint_array_dump,
	.schema = uint_array_schema,
	.describe = uint_array_describe,
};

/* array of distinct unicast IP addresses (remote VTEPs) */

static int ip_item(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *j, void *array, size_t i)
{
	struct config_addr *arr = array;
	size_t d, mark = cfg_push_index(ctx, i);
	int ret = addr_value(ctx, json_array_get(j, i), &arr[i]);
	char buf[64];

	(void)k;
	for (d = 0; !ret && d < i; d++) {
		if (!memcmp(&arr[d], &arr[i], sizeof(arr[i]))) {
			config_format_addr(&arr[i], buf, sizeof(buf));
			ret = cfg_fail(ctx, "duplicate address %s (also at [%zu])", buf, d);
		}
	}
	cfg_pop(ctx, mark);
	return ret;
}

static int ip_array_parse(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *j, void *obj)
{
	return scalar_array_parse(ctx, k, j, obj, sizeof(struct config_addr), ip_item);
}

static int ip_array_dump(const struct cfg_key *k, const void *obj, json_t **out)
{
	const struct config_addr *arr = load_ptr(obj, k);
	unsigned int i, n = load_count(obj, k);
	json_t *a;

	*out = NULL;
	if (!n)
		return 0;
	if (!(a = json_array()))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (json_array_append_new(a, addr_json(&arr[i]))) {
			json_decref(a);
			return -ENOMEM;
		}
	}
	*out = a;
	return 0;
}

static json_t *ip_array_schema(const struct cfg_key *k)
{
	return json_pack("{s:s, s:o, s:b, s:i}", "type", "array", "items", ip_schema(k),
			 "uniqueItems", 1, "maxItems", k->max_items);
}

static void ip_array_describe(const struct cfg_key *k, char *buf, size_t len)
{
	snprintf(buf, len, "array of distinct unicast IP addresses, at most %u", k->max_items);
}

const struct cfg_type cfg_type_ip_array = {
	.parse = ip_array_parse,
	.release = array_release,
	.dump = ip_array_dump,
	.schema = ip_array_schema,
	.describe = ip_array_describe,
};

/* array of prefixes (allow-lists) */

static int prefix_item(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *j, void *array,
		       size_t i)
{
	struct config_prefix *arr = array;
	size_t mark = cfg_push_index(ctx, i);
	int ret = prefix_value(ctx, json_array_get(j, i), &arr[i]);

	(void)k;
	cfg_pop(ctx, mark);
	return ret;
}

static int prefix_array_parse(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *j, void *obj)
{
	return scalar_array_parse(ctx, k, j, obj, sizeof(struct config_prefix), prefix_item);
}

static int prefix_array_dump(const struct cfg_key *k, const void *obj, json_t **out)
{
	const struct config_prefix *arr = load_ptr(obj, k);
	unsigned int i, n = load_count(obj, k);
	json_t *a;

	*out = NULL;
	if (!n)
		return 0;
	if (!(a = json_array()))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (json_array_append_new(a, prefix_json(&arr[i]))) {
			json_decref(a);
			return -ENOMEM;
		}
	}
	*out = a;
	return 0;
}

static json_t *prefix_array_schema(const struct cfg_key *k)
{
	return json_pack("{s:s, s:o, s:i}", "type", "array", "items", prefix_schema(k), "maxItems",
			 k->max_items);
}

static void prefix_array_describe(const struct cfg_key *k, char *buf, size_t len)
{
	snprintf(buf, len, "array of IP prefixes, at most %u", k->max_items);
}

const struct cfg_type cfg_type_prefix_array = {
	.parse = prefix_array_parse,
	.release = array_release,
	.dump = prefix_array_dump,
	.schema = prefix_array_schema,
	.describe = prefix_array_describe,
};

/* object: a nested struct described by its own table */

static json_t *ref_schema(const struct cfg_object *o)
{
	char ref[96];

	snprintf(ref, sizeof(ref), "#/$defs/%s", o->name);
	return json_pack("{s:s}", "$ref", ref);
}

static int object_parse(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *j, void *obj)
{
	return cfg_parse_object(ctx, k->obj, j, CFG_MEMBER(obj, k));
}

static void object_release(const struct cfg_key *k, void *obj)
{
	cfg_release_object(k->obj, CFG_MEMBER(obj, k));
}

static int object_dump(const struct cfg_key *k, const void *obj, json_t **out)
{
	int ret = cfg_dump_object(k->obj, CFG_CMEMBER(obj, k), out);

	/* An object with nothing set ("control": {}) says nothing: leave it out. */
	if (!ret && !json_object_size(*out)) {
		json_decref(*out);
		*out = NULL;
	}
	return ret;
}

static json_t *object_schema(const struct cfg_key *k)
{
	return ref_schema(k->obj);
}

static void object_describe(const struct cfg_key *k, char *buf, size_t len)
{
	(void)k;
	snprintf(buf, len, "object");
}

const struct cfg_type cfg_type_object = {
	.parse = object_parse,
	.release = object_release,
	.dump = object_dump,
	.schema = object_schema,
	.describe = object_describe,
};

/* array of objects: tenants, VMs, NICs, ports */

static int object_array_parse(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *j, void *obj)
{
	char *arr;
	size_t i, n, mark;
	int ret = check_array(ctx, k, j);

	if (ret || !(n = json_array_size(j)))
		return ret;
	arr = calloc(n, k->obj->size);
	if (!arr)
		return cfg_oom(ctx);
	/* Zeroed elements release cleanly, so the whole array is owned from here on. */
	store_ptr(obj, k, arr);
	*count_of(obj, k) = (unsigned int)n;
	for (i = 0; i < n; i++) {
		mark = cfg_push_index(ctx, i);
		ret = cfg_parse_object(ctx, k->obj, json_array_get(j, i), arr + i * k->obj->size);
		cfg_pop(ctx, mark);
		if (ret)
			return ret;
	}
	return 0;
}

static int object_array_dump(const struct cfg_key *k, const void *obj, json_t **out)
{
	const char *arr = load_ptr(obj, k);
	unsigned int i, n = load_count(obj, k);
	json_t *a = json_array(), *v;

	*out = NULL;
	if (!a)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (cfg_dump_object(k->obj, arr + (size_t)i * k->obj->size, &v) ||
		    json_array_append_new(a, v)) {
			json_decref(a);
			return -ENOMEM;
		}
	}
	*out = a;
	return 0;
}

static json_t *object_array_schema(const struct cfg_key *k)
{
	return json_pack("{s:s, s:o, s:i}", "type", "array", "items", ref_schema(k->obj),
			 "maxItems", k->max_items);
}

static void object_array_describe(const struct cfg_key *k, char *buf, size_t len)
{
	snprintf(buf, len, "array of objects, at most %u", k->max_items);
}

const struct cfg_type cfg_type_object_array = {
	.parse = object_array_parse,
	.release = array_release,
	.dump = object_array_dump,
	.schema = object_array_schema,
	.describe = object_array_describe,
};

/*
 * backend: the constant choices[0] ("switch") or an object described by k->obj
 * ({"vhost-user": PATH}); the member is a struct config_nic_backend.
 */

static int backend_parse(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *j, void *obj)
{
	struct config_nic_backend *b = CFG_MEMBER(obj, k);
	const char *s = json_string_value(j);
	char q[64];

	if (json_is_object(j)) {
		b->kind = CONFIG_BACKEND_VHOST_USER;
		return cfg_parse_object(ctx, k->obj, j, b);
	}
	if (s && !strcmp(s, k->choices[0]) && strlen(s) == json_string_length(j)) {
		b->kind = CONFIG_BACKEND_SWITCH;
		return 0;
	}
	return cfg_fail(ctx, "must be \"%s\" or {\"vhost-user\": PATH}, got %s%s%s", k->choices[0],
			s ? "'" : "", s ? cfg_quote(s, q, sizeof(q)) : cfg_json_type_name(j),
			s ? "'" : "");
}

static int backend_dump(const struct cfg_key *k, const void *obj, json_t **out)
{
	const struct config_nic_backend *b = CFG_CMEMBER(obj, k);

	if (b->kind == CONFIG_BACKEND_SWITCH)
		return set_out(out, json_string(k->choices[0]));
	return cfg_dump_object(k->obj, b, out);
}

static json_t *backend_schema(const struct cfg_key *k)
{
	return json_pack("{s:[{s:s}, o]}", "oneOf", "const", k->choices[0], ref_schema(k->obj));
}

static void backend_describe(const struct cfg_key *k, char *buf, size_t len)
{
	snprintf(buf, len, "\"%s\" or object", k->choices[0]);
}

const struct cfg_type cfg_type_backend = {
	.parse = backend_parse,
	.release = object_release,
	.dump = backend_dump,
	.schema = backend_schema,
	.describe = backend_describe,
};

/* hint: a string accepted for editors ("$schema") and otherwise ignored */

static int hint_parse(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *j, void *obj)
{
	const char *s;

	(void)k;
	(void)obj;
	return get_str(ctx, j, &s);
}

static int hint_dump(const struct cfg_key *k, const void *obj, json_t **out)
{
	(void)k;
	(void)obj;
	*out = NULL;
	return 0;
}

static json_t *hint_schema(const struct cfg_key *k)
{
	(void)k;
	return json_pack("{s:s}", "type", "string");
}

static void hint_describe(const struct cfg_key *k, char *buf, size_t len)
{
	(void)k;
	snprintf(buf, len, "string (ignored)");
}

const struct cfg_type cfg_type_hint = {
	.parse = hint_parse,
	.release = release_nothing,
	.dump = hint_dump,
	.schema = hint_schema,
	.describe = hint_describe,
};

/* endpoint: "192.0.2.1:51820" or "[2001:db8::1]:51820"; the member is a struct config_endpoint */

int config_parse_endpoint(const char *s, struct config_endpoint *e)
{
	const char *colon, *host = s;
	char buf[64], *end;
	unsigned long port;
	size_t n;

	memset(e, 0, sizeof(*e));
	if (*s == '[') {
		host = s + 1;
		colon = strstr(host, "]:");
		n = colon ? (size_t)(colon - host) : 0;
		colon = colon ? colon + 1 : NULL;
	} else {
		colon = strrchr(s, ':');
		n = colon ? (size_t)(colon - s) : 0;
		/* An IPv6 address needs its brackets: "2001:db8::1:51820" is ambiguous. */
		if (colon && memchr(s, ':', n))
			return -EINVAL;
	}
	if (!colon || n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, host, n);
	buf[n] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port == 0 || port > 65535 ||
	    config_parse_addr(buf, &e->addr) || (*s == '[') != (e->addr.family == AF_INET6))
		return -EINVAL;
	e->port = (unsigned int)port;
	return 0;
}

void config_format_endpoint(const struct config_endpoint *e, char *buf, size_t len)
{
	char a[64];

	config_format_addr(&e->addr, a, sizeof(a));
	snprintf(buf, len, e->addr.family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, e->port);
}

static int endpoint_parse(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *j, void *obj)
{
	struct config_endpoint *e = CFG_MEMBER(obj, k);
	const char *s, *why;
	char q[80];
	int ret = get_str(ctx, j, &s);

	if (ret)
		return ret;
	if (config_parse_endpoint(s, e))
		return cfg_fail(
			ctx,
			"invalid endpoint '%s' (use 192.0.2.1:51820 or [2001:db8::1]:51820; "
			"an IP address, not a name)",
			cfg_quote(s, q, sizeof(q)));
	why = cfg_addr_not_unicast(&e->addr);
	if (why)
		return cfg_fail(ctx, "%s is %s address; an endpoint is one host", s, why);
	return 0;
}

static int endpoint_dump(const struct cfg_key *k, const void *obj, json_t **out)
{
	const struct config_endpoint *e = CFG_CMEMBER(obj, k);
	char buf[80];

	*out = NULL;
	if (!e->addr.family)
		return 0;
	config_format_endpoint(e, buf, sizeof(buf));
	return set_out(out, json_string(buf));
}

static json_t *endpoint_schema(const struct cfg_key *k)
{
	(void)k;
	return json_pack("{s:s, s:s}", "type", "string", "pattern",
			 "^([0-9.]+|\\[[0-9A-Fa-f:.]+\\]):[0-9]+$");
}

static void endpoint_describe(const struct cfg_key *k, char *buf, size_t len)
{
	(void)k;
	snprintf(buf, len, "\"ADDRESS:PORT\" (IPv6 in brackets)");
}

const struct cfg_type cfg_type_endpoint = {
	.parse = endpoint_parse,
	.release = release_nothing,
	.dump = endpoint_dump,
	.schema = endpoint_schema,
	.describe = endpoint_describe,
};

/* wg_key: a Curve25519 key in wireguard-tools' base64; the member is uint8_t[32] */

static int wg_key_parse(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *j, void *obj)
{
	const char *s;
	char q[64];
	int ret = get_str(ctx, j, &s);

	if (ret)
		return ret;
	if (wg_key_from_base64(CFG_MEMBER(obj, k), s))
		return cfg_fail(ctx,
				"'%s' is not a key: 44 characters of base64, as `wg pubkey` or "
				"`ferry wg pubkey` prints it",
				cfg_quote(s, q, sizeof(q)));
	return 0;
}

static int wg_key_dump(const struct cfg_key *k, const void *obj, json_t **out)
{
	char buf[WG_KEY_B64_LEN + 1];

	wg_key_to_base64(buf, CFG_CMEMBER(obj, k));
	return set_out(out, json_string(buf));
}

static json_t *wg_key_schema(const struct cfg_key *k)
{
	(void)k;
	return json_pack("{s:s, s:s}", "type", "string", "pattern",
			 "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$");
}

static void wg_key_describe(const struct cfg_key *k, char *buf, size_t len)
{
	(void)k;
	snprintf(buf, len, "WireGuard public key (base64, 44 characters)");
}

const struct cfg_type cfg_type_wg_key = {
	.parse = wg_key_parse,
	.release = release_nothing,
	.dump = wg_key_dump,
	.schema = wg_key_schema,
	.describe = wg_key_describe,
};
