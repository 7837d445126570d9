/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cmd_info.c - `ferry info`: what this host offers Ferry, so a user can see at
 * once why a feature is unavailable (no KVM, no hugepages, no VFIO, no bpffs).
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "ebpf/ebpf.h"
#include "vfio/vfio.h"

static void print_hugepages(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "HugePages_Total", 15) || !strncmp(line, "HugePages_Free", 14) ||
		    !strncmp(line, "Hugepagesize", 12))
			printf("hugepages: %s", line);
	fclose(f);
}

int cmd_info(int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_find("info");
	struct stat st;
	const char *guest = cli_guest_path();

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		cli_print_help(cmd);
		return CLI_EXIT_OK;
	}
	if (argc != 1)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[1]);
	vmm_print_host_info(stdout);
	print_hugepages();
	vfio_print_host_info(stdout);
	ebpf_print_host_info(stdout);
	printf("test guest: %s%s\n", *guest ? guest : "(unknown)",
	       *guest && stat(guest, &st) == 0 ? "" : " (missing: build it first)");
	return CLI_EXIT_OK;
}
