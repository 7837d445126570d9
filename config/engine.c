/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * engine.c - the table walker of config/: parses a JSON object against a struct cfg_object
 * (unknown keys, per-key types, defaults, required and conditional keys, then the object's
 * own check), and dumps or releases the C struct the same way.  It also keeps the key path
 * that every error message starts with.  The value types it calls live in types.c; the
 * tables it walks live in tables.c.
 *
 * Input may come from the control socket, so nothing here trusts it: keys and strings are
 * escaped before they reach a message, and the path buffer never overflows.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config/table.h"

void cfg_ctx_init(struct cfg_ctx *ctx, struct config_error *err, const char *base_dir,
		  const char *where)
{
	ctx->err = err;
	ctx->base_dir = base_dir;
	ctx->len = 0;
	ctx->path[0] = '\0';
	if (err)
		err->msg[0] = '\0';
	if (where && *where) {
		snprintf(ctx->path, sizeof(ctx->path), "%s", where);
		ctx->len = strlen(ctx->path);
	}
}

/* Account for the @n bytes snprintf wanted to append: the path is cut, never overrun. */
static void path_grow(struct cfg_ctx *ctx, int n)
{
	size_t room = sizeof(ctx->path) - ctx->len;

	if (n > 0)
		ctx->len += (size_t)n < room ? (size_t)n : room - 1;
}

size_t cfg_push_key(struct cfg_ctx *ctx, const char *key)
{
	size_t mark = ctx->len;
	char q[64];

	path_grow(ctx, snprintf(ctx->path + mark, sizeof(ctx->path) - mark, "%s%s", mark ? "." : "",
				cfg_quote(key, q, sizeof(q))));
	return mark;
}

size_t cfg_push_index(struct cfg_ctx *ctx, size_t idx)
{
	size_t mark = ctx->len;

	path_grow(ctx, snprintf(ctx->path + mark, sizeof(ctx->path) - mark, "[%zu]", idx));
	return mark;
}

void cfg_pop(struct cfg_ctx *ctx, size_t mark)
{
	ctx->len = mark;
	ctx->path[mark] = '\0';
}

static int vfail(struct cfg_ctx *ctx, const char *fmt, va_list ap) FERRY_PRINTF(2, 0);

static int vfail(struct cfg_ctx *ctx, const char *fmt, va_list ap)
{
	char *msg;
	size_t room;
	int n;

	/* The first error wins: later ones are usually consequences of it. */
	if (!ctx->err || ctx->err->msg[0])
		return -EINVAL;
	msg = ctx->err->msg;
	room = sizeof(ctx->err->msg);
	n = snprintf(msg, room, "%s: ", ctx->len ? ctx->path : "(top level)");
	if (n >= 0 && (size_t)n < room)
		vsnprintf(msg + n, room - (size_t)n, fmt, ap);
	return -EINVAL;
}

int cfg_fail(struct cfg_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vfail(ctx, fmt, ap);
	va_end(ap);
	return ret;
}

int cfg_fail_at(struct cfg_ctx *ctx, const char *key, const char *fmt, ...)
{
	size_t mark = cfg_push_key(ctx, key);
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vfail(ctx, fmt, ap);
	va_end(ap);
	cfg_pop(ctx, mark);
	return ret;
}

int cfg_oom(struct cfg_ctx *ctx)
{
	if (ctx->err && !ctx->err->msg[0])
		snprintf(ctx->err->msg, sizeof(ctx->err->msg), "out of memory");
	return -ENOMEM;
}

const char *cfg_quote(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		/* Escape everything but printable ASCII: messages end up on terminals and logs. */
		bool plain = c >= 0x20 && c < 0x7f && c != '\\';

		/* Keep room for "..." and the NUL. */
		if (o + (plain ? 1 : 4) + 4 > len)
			break;
		if (plain)
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
	}
	if (*s) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

const char *cfg_json_type_name(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "an unknown JSON type";
}

json_t *cfg_key_default(const struct cfg_key *k)
{
	if (!k->def)
		return NULL;
	return json_loads(k->def, JSON_DECODE_ANY, NULL);
}

static const struct cfg_key *find_key(const struct cfg_object *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->n_keys; i++)
		if (!strcmp(o->keys[i].name, name))
			return &o->keys[i];
	return NULL;
}

static int fail_unknown(struct cfg_ctx *ctx, const struct cfg_object *o)
{
	char list[384];
	size_t i, n = 0;

	list[0] = '\0';
	for (i = 0; i < o->n_keys && n < sizeof(list); i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "",
				      o->keys[i].name);
	return cfg_fail(ctx, "unknown key (expected one of: %s)", list);
}

/* Parse one present key (document order), so the first error is the first in the file. */
static int parse_present(struct cfg_ctx *ctx, const struct cfg_object *o, const char *name,
			 json_t *val, void *obj)
{
	const struct cfg_key *k = find_key(o, name);
	size_t mark = cfg_push_key(ctx, name);
	int ret;

	if (!k)
		ret = fail_unknown(ctx, o);
	else
		ret = k->type->parse(ctx, k, val, obj);
	cfg_pop(ctx, mark);
	return ret;
}

/* Is @k's condition met?  The sibling's value counts its default when it is absent. */
static int when_met(const struct cfg_object *o, const struct cfg_key *k, json_t *j, bool *met)
{
	const struct cfg_key *sib = find_key(o, k->when_key);
	json_t *want = json_loads(k->when_value, JSON_DECODE_ANY, NULL);
	json_t *have = json_object_get(j, k->when_key);
	json_t *def = NULL;

	if (!have && sib)
		have = def = cfg_key_default(sib);
	if (!want) {
		json_decref(def);
		return -ENOMEM;
	}
	*met = have && json_equal(want, have);
	json_decref(want);
	json_decref(def);
	return 0;
}

static int check_when(struct cfg_ctx *ctx, const struct cfg_object *o, const struct cfg_key *k,
		      json_t *j)
{
	bool present = json_object_get(j, k->name) != NULL;
	bool met;

	if (when_met(o, k, j, &met))
		return cfg_oom(ctx);
	if (met == present)
		return 0;
	if (met)
		return cfg_fail_at(ctx, k->name, "missing (required when %s is %s)", k->when_key,
				   k->when_value);
	return cfg_fail_at(ctx, k->name, "only allowed when %s is %s", k->when_key, k->when_value);
}

static int apply_default(struct cfg_ctx *ctx, const struct cfg_key *k, void *obj)
{
	json_t *def = cfg_key_default(k);
	size_t mark;
	int ret;

	if (!def)
		return cfg_oom(ctx);
	mark = cfg_push_key(ctx, k->name);
	ret = k->type->parse(ctx, k, def, obj);
	cfg_pop(ctx, mark);
	json_decref(def);
	return ret;
}

/* Keys the document leaves out: required, conditional or defaulted. */
static int parse_absent(struct cfg_ctx *ctx, const struct cfg_key *k, void *obj)
{
	if (k->required)
		return cfg_fail_at(ctx, k->name, "missing required key");
	return k->def ? apply_default(ctx, k, obj) : 0;
}

int cfg_parse_object(struct cfg_ctx *ctx, const struct cfg_object *o, json_t *j, void *obj)
{
	const char *name;
	json_t *val;
	size_t i;
	int ret;

	if (!json_is_object(j))
		return cfg_fail(ctx, "must be an object, got %s", cfg_json_type_name(j));
	json_object_foreach(j, name, val)
	{
		ret = parse_present(ctx, o, name, val, obj);
		if (ret)
			return ret;
	}
	for (i = 0; i < o->n_keys; i++) {
		const struct cfg_key *k = &o->keys[i];

		ret = k->when_key ? check_when(ctx, o, k, j) : 0;
		if (!ret && !json_object_get(j, k->name))
			ret = parse_absent(ctx, k, obj);
		if (ret)
			return ret;
	}
	return o->check ? o->check(ctx, obj) : 0;
}

void cfg_release_object(const struct cfg_object *o, void *obj)
{
	size_t i;

	for (i = 0; i < o->n_keys; i++)
		o->keys[i].type->release(&o->keys[i], obj);
}

int cfg_dump_object(const struct cfg_object *o, const void *obj, json_t **out)
{
	json_t *j = json_object();
	json_t *v;
	size_t i;

	if (!j)
		return -ENOMEM;
	for (i = 0; i < o->n_keys; i++) {
		if (o->keys[i].type->dump(&o->keys[i], obj, &v))
			goto err_free;
		if (v && json_object_set_new(j, o->keys[i].name, v))
			goto err_free;
	}
	*out = j;
	return 0;

err_free:
	json_decref(j);
	return -ENOMEM;
}
