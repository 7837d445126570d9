/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cmd_config.c - the sub-commands that work on config files: `ferry run`
 * (the daemon: a config's VMs, or the built-in demo), `ferry check` and
 * `ferry schema`.  Parsing and validation belong to config/; this file only
 * turns a validated struct ferry_config into VMs for the runner.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "config/config.h"
#include "util/log.h"

static struct ferry_config *load_config(const char *path)
{
	struct config_error err = { { 0 } };
	struct ferry_config *cfg;

	if (path)
		cfg = config_load_file(path, &err);
	else
		cfg = config_builtin_demo(cli_guest_path(), &err);
	if (!cfg)
		fprintf(stderr, "ferry: %s%s%s\n", path ? path : "built-in demo", ": ", err.msg);
	return cfg;
}

static int print_json(const struct ferry_config *cfg)
{
	json_t *j = config_to_json(cfg);
	int ret;

	if (!j)
		return CLI_EXIT_ERROR;
	ret = json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	putchar('\n');
	return ret ? CLI_EXIT_ERROR : CLI_EXIT_OK;
}

static const struct option run_opts[] = {
	{ "print-demo", no_argument, NULL, 'p' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_run(int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_find("run");
	struct ferry_config *cfg;
	bool print_demo = false;
	int c, verbose = 0, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", run_opts, NULL)) != -1) {
		if (c == 'h') {
			cli_print_help(cmd);
			return CLI_EXIT_OK;
		}
		if (c == 'p')
			print_demo = true;
		else if (c == 'v')
			verbose++;
		else
			return cli_usage_error(cmd, "unknown option");
	}
	if (argc - optind > 1)
		return cli_usage_error(cmd, "expected at most one config file");
	log_set_level(verbose >= 2 ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	cfg = load_config(print_demo || optind == argc ? NULL : argv[optind]);
	if (!cfg)
		return CLI_EXIT_USAGE;
	ret = print_demo ? print_json(cfg) : job_run(cfg, true);
	config_free(cfg);
	return ret;
}

int cmd_check(int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_find("check");
	struct ferry_config *cfg;
	int ret;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		cli_print_help(cmd);
		return CLI_EXIT_OK;
	}
	if (argc != 2)
		return cli_usage_error(cmd, "expected exactly one config file");
	cfg = load_config(argv[1]);
	if (!cfg)
		return CLI_EXIT_USAGE;
	ret = print_json(cfg);
	config_free(cfg);
	return ret;
}

int cmd_schema(int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_find("schema");

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		cli_print_help(cmd);
		return CLI_EXIT_OK;
	}
	if (argc == 2 && !strcmp(argv[1], "--docs"))
		return config_print_docs(stdout) ? CLI_EXIT_ERROR : CLI_EXIT_OK;
	if (argc != 1)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[1]);
	return config_print_schema(stdout) ? CLI_EXIT_ERROR : CLI_EXIT_OK;
}
