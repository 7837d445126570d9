/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cmd_boot.c - `ferry boot`: one VM from command-line options, with its
 * console on the terminal.  The quick launcher; `ferry run` is the daemon.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/cli.h"
#include "config/config.h"
#include "util/log.h"

/* boot_parse() result when --help was printed: success, nothing to run. */
#define BOOT_HELP_SHOWN (-1)

enum {
	OPT_HUGEPAGES = 256,
	OPT_NO_STDIN,
	OPT_NO_DEBUG_EXIT,
};

static const struct option boot_opts[] = {
	{ "kernel", required_argument, NULL, 'k' },
	{ "initrd", required_argument, NULL, 'i' },
	{ "cmdline", required_argument, NULL, 'c' },
	{ "mem", required_argument, NULL, 'm' },
	{ "vcpus", required_argument, NULL, 'n' },
	{ "hugepages", no_argument, NULL, OPT_HUGEPAGES },
	{ "console-log", required_argument, NULL, 'l' },
	{ "no-stdin", no_argument, NULL, OPT_NO_STDIN },
	{ "no-debug-exit", no_argument, NULL, OPT_NO_DEBUG_EXIT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_vcpus(const char *s, unsigned int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 1 || v > VMM_MAX_VCPUS)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

/* Apply one option to @o: 0, BOOT_HELP_SHOWN, or a usage error status. */
static int boot_option(const struct cli_cmd *cmd, int c, struct vmm_opts *o, int *verbose)
{
	switch (c) {
	case 'k':
		o->kernel = optarg;
		return 0;
	case 'i':
		o->initrd = optarg;
		return 0;
	case 'c':
		o->cmdline = optarg;
		return 0;
	case 'm':
		if (config_parse_size(optarg, &o->mem_size))
			return cli_usage_error(
				cmd, "--mem: invalid size '%s' (use e.g. 256M or 2G)", optarg);
		return 0;
	case 'n':
		if (parse_vcpus(optarg, &o->vcpus))
			return cli_usage_error(cmd, "--vcpus: must be 1..%d, got '%s'",
					       VMM_MAX_VCPUS, optarg);
		return 0;
	case OPT_HUGEPAGES:
		o->hugepages = true;
		return 0;
	case 'l':
		o->console_log = optarg;
		return 0;
	case OPT_NO_STDIN:
		o->console_in_fd = -1;
		return 0;
	case OPT_NO_DEBUG_EXIT:
		o->debug_exit = false;
		return 0;
	case 'v':
		(*verbose)++;
		return 0;
	case 'h':
		cli_print_help(cmd);
		return BOOT_HELP_SHOWN;
	default:
		return cli_usage_error(cmd, "unknown option");
	}
}

static int boot_parse(int argc, char **argv, struct vmm_opts *o)
{
	const struct cli_cmd *cmd = cli_find("boot");
	int c, ret, verbose = 0;

	*o = (struct vmm_opts){
		.name = "vm",
		.mem_size = 256ull << 20,
		.vcpus = 1,
		.console_fd = STDOUT_FILENO,
		.console_in_fd = STDIN_FILENO,
		.debug_exit = true,
	};
	optind = 1;
	while ((c = getopt_long(argc, argv, "k:i:c:m:n:l:vh", boot_opts, NULL)) != -1) {
		ret = boot_option(cmd, c, o, &verbose);
		if (ret)
			return ret;
	}
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (!o->kernel)
		return cli_usage_error(cmd, "--kernel is required");
	log_set_level(verbose >= 2 ? LOG_LVL_DEBUG : verbose ? LOG_LVL_INFO : LOG_LVL_WARN);
	return 0;
}

int cmd_boot(int argc, char **argv)
{
	struct vmm_opts o;
	struct runner *r;
	int ret;

	ret = boot_parse(argc, argv, &o);
	if (ret)
		return ret == BOOT_HELP_SHOWN ? CLI_EXIT_OK : ret;
	r = runner_create();
	if (!r)
		return CLI_EXIT_ERROR;
	ret = runner_add_vm(r, &o, NULL);
	if (ret < 0)
		ret = ret == -EINVAL || ret == -ENOENT || ret == -EACCES ? CLI_EXIT_USAGE :
									   CLI_EXIT_ERROR;
	else
		ret = runner_run(r, false);
	runner_destroy(r);
	return ret;
}
