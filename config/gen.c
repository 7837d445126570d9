/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen.c - ferry-config-gen, a build-time helper: rewrites config/schema.json and the key
 * reference block of docs/config.md from the key tables (`ninja -C BUILD config-regen`).
 * The unit test tests/unit/config checks that the committed files match, so forgetting to
 * run this fails the tests instead of shipping stale docs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/table.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;
	int c;

	if (!f)
		return strdup("");
	mem = open_memstream(&buf, &len);
	if (mem) {
		while ((c = fgetc(f)) != EOF)
			fputc(c, mem);
		fclose(mem);
	}
	fclose(f);
	return buf;
}

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int ret = 0;

	if (!f)
		return -errno;
	if (fputs(text, f) == EOF)
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -EIO;
	return ret;
}

static char *generate(int (*print)(FILE *f))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	int ret;

	if (!mem)
		return NULL;
	ret = print(mem);
	fclose(mem);
	if (ret) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int update_docs(const char *path)
{
	char *doc = slurp(path), *gen = generate(config_print_docs), *out = NULL;
	int ret = -ENOMEM;

	if (doc && gen)
		out = cfg_docs_splice(doc, gen);
	if (out)
		ret = write_text(path, out);
	free(out);
	free(gen);
	free(doc);
	return ret;
}

static int update_schema(const char *path)
{
	char *gen = generate(config_print_schema);
	int ret = gen ? write_text(path, gen) : -ENOMEM;

	free(gen);
	return ret;
}

int main(int argc, char **argv)
{
	int ret;

	if (argc != 3) {
		fprintf(stderr, "usage: %s SCHEMA.json DOCS.md\n", argv[0]);
		return 2;
	}
	ret = update_schema(argv[1]);
	if (ret) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	ret = update_docs(argv[2]);
	if (ret) {
		fprintf(stderr, "%s: %s\n", argv[2], strerror(-ret));
		return 1;
	}
	return 0;
}
