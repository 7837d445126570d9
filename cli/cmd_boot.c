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
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "config/config.h"
#include "util/log.h"
#include "vhost/blk.h"
#include "vmm/virtio_pci.h"

/* boot_parse() result when --help was printed: success, nothing to run. */
#define BOOT_HELP_SHOWN (-1)

enum {
	OPT_HUGEPAGES = 256,
	OPT_NO_STDIN,
	OPT_NO_DEBUG_EXIT,
	OPT_DISK,
};

#define BOOT_MAX_DISKS 8

/* What the command line asks for: the VM, and its disks (PATH or PATH,ro). */
struct boot_req {
	struct vmm_opts o;
	int verbose;
	unsigned int n_disks;
	char *disks[BOOT_MAX_DISKS];
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
	{ "disk", required_argument, NULL, OPT_DISK },
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

/* Apply one option to @b: 0, BOOT_HELP_SHOWN, or a usage error status. */
static int boot_option(const struct cli_cmd *cmd, int c, struct boot_req *b)
{
	struct vmm_opts *o = &b->o;

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
		b->verbose++;
		return 0;
	case OPT_DISK:
		if (b->n_disks == BOOT_MAX_DISKS)
			return cli_usage_error(cmd, "--disk: at most %d disks", BOOT_MAX_DISKS);
		b->disks[b->n_disks++] = optarg;
		return 0;
	case 'h':
		cli_print_help(cmd);
		return BOOT_HELP_SHOWN;
	default:
		return cli_usage_error(cmd, "unknown option");
	}
}

static int boot_parse(int argc, char **argv, struct boot_req *b)
{
	const struct cli_cmd *cmd = cli_find("boot");
	struct vmm_opts *o = &b->o;
	int c, ret;

	*b = (struct boot_req){ .verbose = 0 };
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
		ret = boot_option(cmd, c, b);
		if (ret)
			return ret;
	}
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (!o->kernel)
		return cli_usage_error(cmd, "--kernel is required");
	log_set_level(b->verbose >= 2 ? LOG_LVL_DEBUG : b->verbose ? LOG_LVL_INFO : LOG_LVL_WARN);
	return 0;
}

struct boot_disk {
	struct vblk *dev;
	struct virtio_pci *vp;
};

/* Disk @i of @b on @vm's PCI bus, after "PATH" or "PATH,ro"; 0 or -errno. */
static int boot_disk_add(const struct boot_req *b, unsigned int i, struct vmm_vm *vm,
			 struct boot_disk *d)
{
	char *arg = b->disks[i], *comma = strrchr(arg, ',');
	bool ro = comma && strcmp(comma, ",ro") == 0;
	char name[16];

	if (ro)
		*comma = '\0'; /* argv is ours to edit */
	snprintf(name, sizeof(name), "disk%u", i);
	d->dev = vblk_create(&(struct vblk_params){ .name = name, .path = arg, .readonly = ro });
	d->vp = d->dev ? virtio_pci_create(vm, vblk_virtio_dev(d->dev), name) : NULL;
	return d->vp ? 0 : -EINVAL;
}

int cmd_boot(int argc, char **argv)
{
	struct boot_disk disks[BOOT_MAX_DISKS] = { { 0 } };
	struct vmm_vm *vm = NULL;
	struct boot_req b;
	struct runner *r;
	unsigned int i;
	int ret;

	ret = boot_parse(argc, argv, &b);
	if (ret)
		return ret == BOOT_HELP_SHOWN ? CLI_EXIT_OK : ret;
	r = runner_create();
	if (!r)
		return CLI_EXIT_ERROR;
	ret = runner_add_vm(r, &b.o, &vm);
	for (i = 0; ret >= 0 && i < b.n_disks; i++)
		ret = boot_disk_add(&b, i, vm, &disks[i]);
	if (ret < 0)
		ret = ret == -EINVAL || ret == -ENOENT || ret == -EACCES ? CLI_EXIT_USAGE :
									   CLI_EXIT_ERROR;
	else
		ret = runner_run(r, false);
	/* The VM has stopped: the transports stop the disks' queues, then the disks go. */
	for (i = 0; i < b.n_disks; i++) {
		virtio_pci_destroy(disks[i].vp);
		vblk_destroy(disks[i].dev);
	}
	runner_destroy(r);
	return ret;
}
