/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cli.h - the ferry executable's sub-commands and what they share.
 *
 * Each sub-command is one entry of a table (ferry.c, as kvmtool's cmd_struct):
 * a name, a one-line summary, its full help text and a run function.  The
 * runner (runner.c) owns the VMs of one invocation, the signal handling and
 * the event loop; sub-commands only translate their input into it.
 */
#ifndef FERRY_CLI_CLI_H
#define FERRY_CLI_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/vmm.h"

/* Exit statuses of the ferry executable (docs/running.md). */
#define CLI_EXIT_OK 0
#define CLI_EXIT_ERROR 1 /* a runtime error, reported on stderr */
#define CLI_EXIT_USAGE 2 /* bad command line or config */

struct cli_cmd {
	const char *name;
	const char *summary;
	const char *help; /* full text printed by --help */
	int (*run)(int argc, char **argv);
};

const struct cli_cmd *cli_find(const char *name);
void cli_print_help(const struct cli_cmd *cmd);
/* Print "ferry CMD: MESSAGE" and return CLI_EXIT_USAGE. */
int cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Where the test guest was built (the demo's default kernel). */
const char *cli_guest_path(void);

int cmd_boot(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_schema(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_wg(int argc, char **argv);

/* runner.c: run a set of VMs to completion. */
struct runner;

struct runner *runner_create(void);
/*
 * Create a VM and return it in *@vm if not NULL; its slot (>= 0) or -errno.
 * VMs added before runner_run() start with it; later ones with
 * runner_boot_vm().
 */
int runner_add_vm(struct runner *r, const struct vmm_opts *opts, struct vmm_vm **vm);
int runner_boot_vm(struct runner *r, struct vmm_vm *vm);
/* Stop a running VM and reap it before returning (-EALREADY if it does not run). */
int runner_stop_vm(struct runner *r, struct vmm_vm *vm);
/*
 * Shut a VM down the way a cloud host does: press its ACPI power button and
 * stop it if it has not powered off @grace_ms later (0: stop it now).
 * Returns at once; the main loop enforces the deadline.
 */
int runner_shutdown_vm(struct runner *r, struct vmm_vm *vm, unsigned int grace_ms);
/* Destroy a VM that has ended or never started (-EBUSY if it runs); its slot is reused. */
int runner_remove_vm(struct runner *r, struct vmm_vm *vm);
int runner_vm_slot(const struct runner *r, const struct vmm_vm *vm);
enum runner_vm_state {
	RUNNER_VM_CREATED,
	RUNNER_VM_RUNNING,
	RUNNER_VM_PAUSED,
	RUNNER_VM_ENDED,
	RUNNER_VM_GONE
};
enum runner_vm_state runner_vm_state(const struct runner *r, const struct vmm_vm *vm);
/* Call @fn(@arg, slot) on the main loop when the VM in @slot has ended. */
void runner_on_vm_end(struct runner *r, void (*fn)(void *arg, unsigned int i), void *arg);
/* How the VM in @slot ended; valid once it has (NULL for a free slot). */
const struct vmm_exit *runner_vm_exit(const struct runner *r, unsigned int i);
/* Call @fn(@arg) from the main loop whenever @fd is readable (control socket). */
int runner_watch_fd(struct runner *r, int fd, void (*fn)(void *arg), void *arg);
/* Stop watching @fd (before closing it). */
void runner_unwatch_fd(struct runner *r, int fd);
/*
 * Start every VM, then wait until all have ended - or, as a @daemon, until
 * SIGINT/SIGTERM arrives whatever the VMs do.  A signal stops every VM
 * cleanly.  Returns the process exit status: with one VM, its status
 * (vmm_exit_status); otherwise 0 only if every VM returned 0.
 */
int runner_run(struct runner *r, bool daemon);
void runner_destroy(struct runner *r);

/* job.c: run a whole config (switch, tenants, VMs and their NICs); an exit status. */
struct ferry_config;
int job_run(struct ferry_config *cfg, bool summary);

#endif
