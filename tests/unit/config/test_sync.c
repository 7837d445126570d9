/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_sync.c - the committed config/schema.json and docs/config.md key reference equal what
 * the key tables generate now, the schema's shape, and a deterministic fuzz loop: thousands
 * of mutated configs (text and tree mutations) that must each end in a config that round-trips
 * or in one well-formed error, never a crash or leak (run under -Dsanitize=true).  Part of the
 * unit_config program (test_config.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/table.h"
#include "test_config.h"

static char *generate(int (*print)(FILE *f))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);

	if (!mem)
		return NULL;
	if (print(mem)) {
		fclose(mem);
		free(buf);
		return NULL;
	}
	fclose(mem);
	return buf;
}

static void test_schema_file(void)
{
	char *gen = generate(config_print_schema);
	char *file = tc_read(tc_src("config/schema.json"));

	CU_ASSERT_PTR_NOT_NULL_FATAL(gen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(file);
	if (strcmp(gen, file))
		fprintf(stderr, "\n  config/schema.json is stale: run `ninja config-regen`\n");
	CU_ASSERT_STRING_EQUAL(gen, file);
	free(gen);
	free(file);
}

static void test_docs_file(void)
{
	char *doc = tc_read(tc_src("docs/config.md"));
	char *gen = generate(config_print_docs);
	char *spliced;

	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(gen);
	CU_ASSERT_PTR_NOT_NULL(strstr(doc, CFG_DOCS_BEGIN));
	spliced = cfg_docs_splice(doc, gen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(spliced);
	if (strcmp(spliced, doc))
		fprintf(stderr, "\n  docs/config.md is stale: run `ninja config-regen`\n");
	CU_ASSERT_STRING_EQUAL(spliced, doc);
	free(spliced);
	free(gen);
	free(doc);
}

/* Every object closed to unknown keys and every property described. */
static void check_def(const char *name, json_t *def)
{
	json_t *props = json_object_get(def, "properties"), *p;
	const char *key;

	CU_ASSERT_TRUE(json_is_false(json_object_get(def, "additionalProperties")));
	CU_ASSERT_TRUE(json_object_size(props) > 0);
	json_object_foreach(props, key, p)
	{
		if (!json_is_string(json_object_get(p, "description")))
			fprintf(stderr, "\n  %s.%s has no description\n", name, key);
		CU_ASSERT_TRUE(json_is_string(json_object_get(p, "description")));
	}
}

static void test_schema_shape(void)
{
	static const char *const defs[] = {
		"switch",
		"tenant",
		"vm",
		"console",
		"nic",
		"disk",
		"vhost_user_backend",
		"vhost_user_port",
		"control",
		"vtep",
		"uplink",
		"tap_port",
		"uplink_filter",
		"xdp_acl",
		"acl_rule",
		"ebpf",
		"wireguard",
		"wireguard_peer",
		"passthrough",
	};
	char *gen = generate(config_print_schema);
	json_t *s = gen ? json_loads(gen, 0, NULL) : NULL, *d, *req;
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(s, "$schema")),
			       "https://json-schema.org/draft/2020-12/schema");
	check_def("(top level)", s);
	d = json_object_get(s, "$defs");
	CU_ASSERT_EQUAL(json_object_size(d), sizeof(defs) / sizeof(defs[0]));
	for (i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(json_object_get(d, defs[i]));
		check_def(defs[i], json_object_get(d, defs[i]));
	}
	req = json_pack("[s, s]", "name", "kernel");
	d = json_object_get(json_object_get(s, "$defs"), "vm");
	CU_ASSERT_TRUE(json_equal(json_object_get(d, "required"), req));
	json_decref(req);
	json_decref(s);
	free(gen);
}

CU_TestInfo tc_sync_tests[] = {
	{ "config/schema.json in sync", test_schema_file },
	{ "docs/config.md in sync", test_docs_file },
	{ "schema shape", test_schema_shape },
	CU_TEST_INFO_NULL,
};

/* Fuzzing: a fixed seed keeps any failure reproducible. */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static size_t rnd_below(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

static const char *const tokens[] = {
	"{",
	"}",
	"[",
	"]",
	"\"",
	",",
	":",
	"-1",
	"0",
	"1e309",
	"4294967296",
	"\"x\"",
	"null",
	"true",
	"\"52:54:00:00:00:01\"",
	"\"\\u0000\"",
	"\"red\"",
	"99999999999999999999",
	"\"switch\"",
	"{\"vhost-user\": \"/s\"}",
	"\"$schema\"",
	"\"\\udc00\"",
	"\"16M\"",
	"\"\"",
};

static const char *const key_names[] = {
	"name",	  "tenant",  "mac",  "backend", "vhost-user", "memory",
	"kernel", "nics",    "vms",  "switch",	"pmd_cpus",   "pmd_threads",
	"stdin",  "console", "path", "vni",	"x",
};

struct fuzz_stats {
	unsigned int accepted, rejected, violations;
};

static void check_outcome(struct ferry_config *cfg, const struct config_error *err,
			  struct fuzz_stats *st)
{
	if (cfg) {
		st->accepted++;
		if (err->msg[0] || !tc_round_trips(cfg))
			st->violations++;
		config_free(cfg);
		return;
	}
	st->rejected++;
	/* Every failure is one message of the form "where: why". */
	if (!err->msg[0] || !strstr(err->msg, ": ")) {
		fprintf(stderr, "\n  bad error message: '%s'\n", err->msg);
		st->violations++;
	}
}

static void splice(char *buf, size_t *len, size_t pos, size_t del, const char *ins, size_t n)
{
	memmove(buf + pos + n, buf + pos + del, *len - pos - del + 1);
	memcpy(buf + pos, ins, n);
	*len = *len - del + n;
}

/* One random edit; @buf has room for 64 more bytes than @len. */
static void mutate_text_once(char *buf, size_t *len)
{
	size_t pos = rnd_below(*len + 1), n = rnd_below(16) + 1;
	const char *tok;
	char b;

	switch (rnd_below(4)) {
	case 0:
		b = (char)(rnd() & 0xff);
		if (pos < *len)
			buf[pos] = b;
		break;
	case 1:
		splice(buf, len, pos, MIN(n, *len - pos), "", 0);
		break;
	case 2:
		tok = tokens[rnd_below(ARRAY_SIZE(tokens))];
		splice(buf, len, pos, 0, tok, strlen(tok));
		break;
	default:
		*len = pos;
		buf[pos] = '\0';
		break;
	}
}

static void fuzz_text(const char *seed, unsigned int rounds, struct fuzz_stats *st)
{
	size_t seed_len = strlen(seed), len;
	char *buf = malloc(seed_len + 4 * 64 + 1);
	struct config_error err;
	unsigned int r, m, edits;

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	for (r = 0; r < rounds; r++) {
		memcpy(buf, seed, seed_len + 1);
		len = seed_len;
		edits = 1 + (unsigned int)rnd_below(4);
		for (m = 0; m < edits; m++)
			mutate_text_once(buf, &len);
		check_outcome(config_load_string(buf, "fuzz", "/base", &err), &err, st);
	}
	free(buf);
}

static json_t *random_value(void)
{
	static const long long ints[] = { 0,   1,   -1,	      2,	 32,
					  255, 256, 16777216, 1ll << 40, -(1ll << 62) };

	switch (rnd_below(8)) {
	case 0:
		return json_integer(ints[rnd_below(ARRAY_SIZE(ints))]);
	case 1:
		return json_real(0.5);
	case 2:
		return json_string(key_names[rnd_below(ARRAY_SIZE(key_names))]);
	case 3:
		return json_string("52:54:00:00:00:01");
	case 4:
		return json_boolean(rnd() & 1);
	case 5:
		return json_null();
	case 6:
		return json_object();
	default:
		return json_array();
	}
}

static void mutate_tree(json_t *j, int depth);

static void mutate_object(json_t *j, int depth)
{
	size_t pick = rnd_below(json_object_size(j)), i = 0;
	const char *key;
	char victim[64] = "";
	json_t *v;

	/* Copy the key: deleting or replacing an entry may free the object's own string. */
	json_object_foreach(j, key, v)
	{
		if (i++ == pick)
			snprintf(victim, sizeof(victim), "%s", key);
	}
	switch (rnd_below(4)) {
	case 0:
		/* Separate statements: argument evaluation order would differ between compilers. */
		key = key_names[rnd_below(ARRAY_SIZE(key_names))];
		json_object_set_new(j, key, random_value());
		break;
	case 1:
		if (victim[0])
			json_object_set_new(j, victim, random_value());
		break;
	case 2:
		json_object_del(j, victim);
		break;
	default:
		mutate_tree(json_object_get(j, victim), depth + 1);
		break;
	}
}

static void mutate_array(json_t *j, int depth)
{
	size_t n = json_array_size(j), i = rnd_below(n);

	switch (rnd_below(4)) {
	case 0:
		json_array_append_new(j, random_value());
		break;
	case 1:
		if (n)
			json_array_set_new(j, i, random_value());
		break;
	case 2:
		/* A copy of an item: duplicate names, MACs, sockets. */
		if (n)
			json_array_append_new(j, json_deep_copy(json_array_get(j, i)));
		break;
	default:
		if (n)
			mutate_tree(json_array_get(j, i), depth + 1);
		break;
	}
}

static void mutate_tree(json_t *j, int depth)
{
	if (depth > 8)
		return;
	if (json_is_object(j))
		mutate_object(j, depth);
	else if (json_is_array(j))
		mutate_array(j, depth);
}

static void fuzz_tree(const char *seed, unsigned int rounds, struct fuzz_stats *st)
{
	json_t *root = json_loads(seed, 0, NULL), *copy;
	struct config_error err;
	unsigned int r, m, edits;

	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	for (r = 0; r < rounds; r++) {
		copy = json_deep_copy(root);
		CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
		edits = 1 + (unsigned int)rnd_below(6);
		for (m = 0; m < edits; m++)
			mutate_tree(copy, 0);
		check_outcome(config_parse_json(copy, "/base", &err), &err, st);
		json_decref(copy);
	}
	json_decref(root);
}

/* A seed with the keys the examples leave out. */
static const char extra_seed[] =
	"{\"switch\": {\"pmd_threads\": 2, \"pmd_cpus\": [0, 1], \"hugepages\": \"on\"},"
	" \"tenants\": [{\"name\": \"red\", \"vni\": 1}],"
	" \"vms\": [{\"name\": \"a\", \"kernel\": \"k\", \"memory\": 33554432,"
	" \"console\": {\"stdin\": true, \"log\": \"l\"}, \"nics\": ["
	" {\"mac\": \"02:00:00:00:00:01\", \"backend\": {\"vhost-user\": \"/s\"}},"
	" {\"tenant\": \"red\", \"mac\": \"02:00:00:00:00:02\", \"queues\": 4}]}],"
	" \"vhost_user_ports\": [{\"name\": \"p\", \"path\": \"/p\", \"tenant\": \"red\","
	" \"mode\": \"client\"}], \"control\": {\"socket\": \"/c\"}}";

static void test_fuzz(void)
{
	char *demo = tc_read(tc_src("config/examples/demo.json"));
	char *single = tc_read(tc_src("config/examples/single-vm.json"));
	const char *seeds[] = { demo, single, extra_seed };
	struct fuzz_stats st = { 0 };
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(demo);
	CU_ASSERT_PTR_NOT_NULL_FATAL(single);
	for (i = 0; i < ARRAY_SIZE(seeds); i++) {
		fuzz_text(seeds[i], 10000, &st);
		fuzz_tree(seeds[i], 10000, &st);
	}
	fprintf(stderr, "\n  fuzz: %u accepted, %u rejected, %u violations\n", st.accepted,
		st.rejected, st.violations);
	CU_ASSERT_EQUAL(st.violations, 0);
	/* Both outcomes must be exercised, or the loop tests nothing. */
	CU_ASSERT_TRUE(st.accepted > 500 && st.rejected > 500);
	free(demo);
	free(single);
}

CU_TestInfo tc_fuzz_tests[] = {
	{ "mutated configs", test_fuzz },
	CU_TEST_INFO_NULL,
};
