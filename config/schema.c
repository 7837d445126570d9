/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * schema.c - documents generated from the key tables (tables.c): the JSON Schema (draft
 * 2020-12) committed as config/schema.json and printed by `ferry schema`, and the markdown key
 * reference embedded in docs/config.md.  A unit test compares both committed files with this
 * output, and `ninja config-regen` (config/gen.c) rewrites them, so they cannot drift from
 * what the parser accepts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/table.h"

#define SCHEMA_DIALECT "https://json-schema.org/draft/2020-12/schema"

/* Set @key in @obj, remembering any failure (a NULL @val is a failed allocation). */
static void put(json_t *obj, const char *key, json_t *val, bool *ok)
{
	if (!obj) {
		json_decref(val);
		*ok = false;
	} else if (!val || json_object_set_new(obj, key, val)) {
		*ok = false;
	}
}

static json_t *key_schema(const struct cfg_key *k, bool *ok)
{
	json_t *p = k->type->schema(k);
	json_t *def = cfg_key_default(k);

	put(p, "description", json_string(k->doc), ok);
	if (k->def)
		put(p, "default", def, ok);
	if (!p)
		*ok = false;
	return p;
}

/* if/then/else for a key present exactly when a sibling has a given value. */
static json_t *when_schema(const struct cfg_key *k, bool *ok)
{
	json_t *want = json_loads(k->when_value, JSON_DECODE_ANY, NULL);
	json_t *s = json_pack("{s:{s:{s:{s:o}}}, s:{s:[s]}, s:{s:{s:[s]}}}", "if", "properties",
			      k->when_key, "const", want, "then", "required", k->name, "else",
			      "not", "required", k->name);

	if (!s)
		*ok = false;
	return s;
}

static void add_defs(const struct cfg_object *o, json_t *defs, bool *ok);

static json_t *object_schema(const struct cfg_object *o, json_t *defs, bool *ok)
{
	json_t *s = json_pack("{s:s, s:s}", "type", "object", "description", o->doc);
	json_t *props = json_object(), *req = json_array(), *conds = json_array();
	size_t i;

	for (i = 0; i < o->n_keys; i++) {
		const struct cfg_key *k = &o->keys[i];

		put(props, k->name, key_schema(k, ok), ok);
		if (k->required && json_array_append_new(req, json_string(k->name)))
			*ok = false;
		if (k->when_key && json_array_append_new(conds, when_schema(k, ok)))
			*ok = false;
		if (k->obj)
			add_defs(k->obj, defs, ok);
	}
	put(s, "properties", props, ok);
	if (json_array_size(req))
		put(s, "required", json_incref(req), ok);
	put(s, "additionalProperties", json_false(), ok);
	if (json_array_size(conds))
		put(s, "allOf", json_incref(conds), ok);
	json_decref(req);
	json_decref(conds);
	return s;
}

/* Each object once under $defs, in the order the tables first reach it. */
static void add_defs(const struct cfg_object *o, json_t *defs, bool *ok)
{
	if (!defs || json_object_get(defs, o->name))
		return;
	/* A placeholder first keeps the order parent-before-child and stops any cycle. */
	put(defs, o->name, json_null(), ok);
	put(defs, o->name, object_schema(o, defs, ok), ok);
}

json_t *config_schema(void)
{
	json_t *defs = json_object();
	json_t *root =
		json_pack("{s:s, s:s}", "$schema", SCHEMA_DIALECT, "title", "Ferry configuration");
	json_t *body;
	bool ok = true;

	body = object_schema(&cfg_obj_root, defs, &ok);
	if (!ok || !root || json_object_update(root, body) != 0)
		ok = false;
	put(root, "$defs", json_incref(defs), &ok);
	json_decref(body);
	json_decref(defs);
	if (!ok) {
		json_decref(root);
		return NULL;
	}
	return root;
}

int config_print_schema(FILE *f)
{
	json_t *root = config_schema();
	int ret = -ENOMEM;

	if (root)
		ret = json_dumpf(root, f, JSON_INDENT(2)) == 0 && fputc('\n', f) != EOF ? 0 : -EIO;
	json_decref(root);
	return ret;
}

/* Markdown */

/* A table cell: pipes would end the cell. */
static void md_cell(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputc('\\', f);
		fputc(*s, f);
	}
}

static void doc_default(FILE *f, const struct cfg_key *k)
{
	if (k->required) {
		fputs("required", f);
	} else if (k->when_key) {
		fprintf(f, "required when `%s` is `", k->when_key);
		md_cell(f, k->when_value);
		fputs("`, else not allowed", f);
	} else if (k->def) {
		fputs("`", f);
		md_cell(f, k->def);
		fputs("`", f);
	} else {
		fputs("optional", f);
	}
}

static void child_path(const char *path, const struct cfg_key *k, char *buf, size_t len)
{
	bool array = k->type == &cfg_type_object_array;

	snprintf(buf, len, "%s%s%s%s", path, *path ? "." : "", k->name, array ? "[]" : "");
}

static void doc_row(FILE *f, const char *path, const struct cfg_key *k)
{
	char type[160], sub[128];

	k->type->describe(k, type, sizeof(type));
	fprintf(f, "| `%s` | ", k->name);
	md_cell(f, type);
	if (k->obj) {
		child_path(path, k, sub, sizeof(sub));
		fprintf(f, ", see `%s`", sub);
	}
	fputs(" | ", f);
	doc_default(f, k);
	fputs(" | ", f);
	md_cell(f, k->doc);
	fputs(" |\n", f);
}

static void doc_object(FILE *f, const struct cfg_object *o, const char *path)
{
	char sub[128];
	size_t i;

	fprintf(f, "\n### `%s`\n\n%s.\n\n", *path ? path : "(top level)", o->doc);
	fputs("| Key | Type | Default | Description |\n|---|---|---|---|\n", f);
	for (i = 0; i < o->n_keys; i++)
		doc_row(f, path, &o->keys[i]);
	for (i = 0; i < o->n_keys; i++) {
		if (!o->keys[i].obj)
			continue;
		child_path(path, &o->keys[i], sub, sizeof(sub));
		doc_object(f, o->keys[i].obj, sub);
	}
}

int config_print_docs(FILE *f)
{
	fprintf(f, "%s\n", CFG_DOCS_BEGIN);
	doc_object(f, &cfg_obj_root, "");
	fprintf(f, "\n%s\n", CFG_DOCS_END);
	return ferror(f) ? -EIO : 0;
}

char *cfg_docs_splice(const char *doc, const char *gen)
{
	const char *begin = strstr(doc, CFG_DOCS_BEGIN);
	const char *end = begin ? strstr(begin, CFG_DOCS_END) : NULL;
	const char *tail;
	char *out;

	if (!begin || !end) {
		begin = tail = doc + strlen(doc);
	} else {
		tail = end + strlen(CFG_DOCS_END);
		if (*tail == '\n')
			tail++;
	}
	if (asprintf(&out, "%.*s%s%s", (int)(begin - doc), doc, gen, tail) < 0)
		return NULL;
	return out;
}
