/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ferry.c - main() of the ferry executable: global options, the sub-command
 * table and help.  Sub-commands live in cmd_*.c; none of them exits the
 * process: they return a status that main() returns.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/log.h"

#ifndef FERRY_VERSION
#define FERRY_VERSION "unknown"
#endif
#ifndef FERRY_GUEST_BUILD_PATH
#define FERRY_GUEST_BUILD_PATH ""
#endif

static const char boot_help[] =
	"Usage: ferry boot --kernel FILE [options]\n"
	"\n"
	"Boot one VM from the command line (in the spirit of `lkvm run`) and show its\n"
	"serial console on stdout.  ferry exits when the guest resets, powers off or\n"
	"writes the debug-exit port, or on SIGINT/SIGTERM.\n"
	"\n"
	"Options:\n"
	"  -k, --kernel FILE      bzImage (64-bit boot protocol 2.12+) or ELF64 kernel\n"
	"                         with a PVH entry note (required)\n"
	"  -i, --initrd FILE      initial ramdisk\n"
	"  -c, --cmdline STRING   kernel command line (default: \"" VMM_DEFAULT_CMDLINE "\")\n"
	"  -m, --mem SIZE         guest RAM, e.g. 256M or 2G (default 256M, minimum 16M)\n"
	"  -n, --vcpus N          number of vCPUs, 1..254 (default 1)\n"
	"      --hugepages        back guest RAM with 2 MiB hugetlb pages\n"
	"  -l, --console-log FILE also append the console output to FILE\n"
	"      --no-stdin         do not forward stdin to the guest console\n"
	"      --no-debug-exit    do not offer the debug-exit port (0x501)\n"
	"      --disk FILE[,ro]   a virtio-blk disk on a raw image (up to 8, in order)\n"
	"  -v, --verbose          more messages (twice for debug)\n"
	"  -h, --help             this text\n"
	"\n"
	"Exit status: the guest's debug-exit status if it wrote one; 0 after a guest\n"
	"reset or power-off, or SIGINT/SIGTERM; 1 if KVM failed to run the guest (the reason is\n"
	"printed); 2 for a bad command line or kernel; 3 if the guest triple-faulted.\n";

static const char run_help[] =
	"Usage: ferry run [options] [CONFIG.json]\n"
	"\n"
	"Run the VMs (and, with virtio-net NICs, the switch) a JSON config describes.\n"
	"Without a config, run the built-in demo job (see `ferry run --print-demo`).\n"
	"\n"
	"Options:\n"
	"      --print-demo       print the built-in demo config as JSON and exit\n"
	"  -v, --verbose          more messages (twice for debug)\n"
	"  -h, --help             this text\n"
	"\n"
	"The config format is documented in docs/config.md; `ferry schema` prints its\n"
	"JSON Schema and `ferry check` validates a file.  The test guest used by the\n"
	"demo is found at $FERRY_GUEST, else where the build put it.\n";

static const char check_help[] =
	"Usage: ferry check CONFIG.json\n"
	"\n"
	"Validate a config file.  On success print it back as JSON with every default\n"
	"spelled out and paths resolved; on failure print one line naming the key path\n"
	"and the reason, and exit 2.\n";

static const char schema_help[] =
	"Usage: ferry schema [--docs]\n"
	"\n"
	"Print the JSON Schema (draft 2020-12) of the config file, or with --docs the\n"
	"key reference in markdown.  Both come from the same tables the parser uses.\n";

static const char info_help[] =
	"Usage: ferry info\n"
	"\n"
	"Report what this host offers Ferry: KVM and its capabilities, hugepages,\n"
	"VFIO, XDP and the test guest's location.\n";

static const char wg_help[] =
	"Usage: ferry wg genkey | pubkey | genpsk\n"
	"\n"
	"WireGuard keys as wireguard-tools writes them (base64): genkey prints a new\n"
	"private key, pubkey reads a private key on standard input and prints its\n"
	"public key, genpsk prints a new preshared key.  For example:\n"
	"  umask 077; ferry wg genkey > wg.key; ferry wg pubkey < wg.key\n";

static const struct cli_cmd cli_cmds[] = {
	{ "boot", "boot one VM from the command line", boot_help, cmd_boot },
	{ "run", "run the VMs and switch of a config file (or the demo)", run_help, cmd_run },
	{ "check", "validate a config file", check_help, cmd_check },
	{ "schema", "print the config file's JSON Schema", schema_help, cmd_schema },
	{ "info", "show what this host offers Ferry", info_help, cmd_info },
	{ "wg", "WireGuard keys: genkey, pubkey, genpsk", wg_help, cmd_wg },
};

const struct cli_cmd *cli_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(cli_cmds); i++)
		if (strcmp(cli_cmds[i].name, name) == 0)
			return &cli_cmds[i];
	return NULL;
}

void cli_print_help(const struct cli_cmd *cmd)
{
	fputs(cmd->help, stdout);
}

int cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ferry %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'ferry %s --help')\n", cmd->name);
	return CLI_EXIT_USAGE;
}

const char *cli_guest_path(void)
{
	const char *env = getenv("FERRY_GUEST");

	return env && *env ? env : FERRY_GUEST_BUILD_PATH;
}

static void print_main_help(void)
{
	printf("Usage: ferry [--version] [--help] COMMAND [ARGS]\n\n"
	       "Ferry is a KVM virtual machine monitor built for networking: guests'\n"
	       "virtio-net NICs are served by an in-process poll-mode switch.\n\n"
	       "Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(cli_cmds); i++)
		printf("  %-8s %s\n", cli_cmds[i].name, cli_cmds[i].summary);
	printf("  help     show the help of a command: ferry help COMMAND\n\n"
	       "Run 'ferry COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
	const struct cli_cmd *cmd;

	log_set_level(LOG_LVL_WARN);
	if (argc < 2) {
		print_main_help();
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		print_main_help();
		return CLI_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("ferry %s\n", FERRY_VERSION);
		return CLI_EXIT_OK;
	}
	if (!strcmp(argv[1], "help")) {
		cmd = argc > 2 ? cli_find(argv[2]) : NULL;
		if (cmd)
			cli_print_help(cmd);
		else
			print_main_help();
		return argc > 2 && !cmd ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	cmd = cli_find(argv[1]);
	if (!cmd) {
		fprintf(stderr, "ferry: unknown command '%s' (see 'ferry --help')\n", argv[1]);
		return CLI_EXIT_USAGE;
	}
	return cmd->run(argc - 1, argv + 1);
}
