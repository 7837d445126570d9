/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmm.h - Ferry's KVM virtual machine: the public face of vmm/.
 *
 * A VM is created from options (kernel, memory, vCPUs, console), started
 * (one thread per vCPU), and ends either by itself (the guest resets, powers
 * off, writes the debug-exit port, or crashes) or when asked to stop.  Devices
 * outside vmm/ plug in through the PCI bus and the MMIO/PIO dispatch layer
 * exposed here; vmm/ never knows what they are.
 */
#ifndef FERRY_VMM_VMM_H
#define FERRY_VMM_VMM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct vmm_vm;
struct vmm_mem;
struct pci_bus;
struct iotrap_bus;
struct irq_router;

struct vmm_opts {
	const char *name; /* for messages; "vm" if NULL */
	uint64_t mem_size; /* bytes of RAM */
	unsigned int vcpus; /* 1..VMM_MAX_VCPUS */
	bool hugepages; /* back RAM with 2 MiB hugetlb pages */
	const char *kernel; /* bzImage or ELF64 with a PVH note */
	const char *initrd; /* NULL for none */
	const char *cmdline; /* NULL: VMM_DEFAULT_CMDLINE */
	int console_fd; /* guest console output, -1 for none */
	int console_in_fd; /* guest console input, -1 for none */
	const char *console_log; /* also append console output here, or NULL */
	bool debug_exit; /* enable the debug-exit port (0x501) */
	/*
	 * With several VMs on one terminal: prefix each console line (NULL: raw
	 * bytes), and/or receive every line through console_line.
	 */
	const char *console_prefix;
	void (*console_line)(void *opaque, const char *line, size_t len);
	void *console_opaque;
};

#define VMM_MAX_VCPUS 254
#define VMM_DEFAULT_CMDLINE "console=ttyS0 earlyprintk=serial reboot=k panic=-1 pci=conf1"

/* Why a VM ended. */
enum vmm_exit_kind {
	VMM_EXIT_NONE, /* still running */
	VMM_EXIT_DEBUG, /* the guest wrote @status to the debug-exit port */
	VMM_EXIT_RESET, /* the guest asked for a reset (Ferry does not reboot) */
	VMM_EXIT_POWEROFF, /* the guest powered off (ACPI S5) */
	VMM_EXIT_TRIPLE_FAULT, /* the guest triple-faulted */
	VMM_EXIT_STOPPED, /* vmm_vm_stop() was called */
	VMM_EXIT_ERROR, /* KVM could not run the guest; see @reason */
};

struct vmm_exit {
	enum vmm_exit_kind kind;
	int status; /* the debug-exit status */
	char reason[320]; /* one line for the user */
};

/*
 * Build a VM; NULL after logging a one-line reason, with the -errno in
 * *@err if @err is not NULL (-EINVAL: the options or the kernel are bad).
 */
struct vmm_vm *vmm_vm_create(const struct vmm_opts *opts, int *err);
/* Start the vCPU threads and the console input thread. */
int vmm_vm_start(struct vmm_vm *vm);
/* Ask a running VM to stop; returns at once (thread-safe). */
void vmm_vm_stop(struct vmm_vm *vm);
/*
 * Press the VM's ACPI power button (thread-safe): a guest that handles it
 * powers off, and the VM ends as VMM_EXIT_POWEROFF; one that does not runs on.
 */
void vmm_vm_power_button(struct vmm_vm *vm);
/*
 * Hold every vCPU out of the guest (devices keep their state; the switch may
 * still fill its rings) and return once they all are: 0, -ETIMEDOUT, or
 * -ESRCH if the VM has ended.  vmm_vm_resume() lets them go on.
 */
int vmm_vm_pause(struct vmm_vm *vm);
void vmm_vm_resume(struct vmm_vm *vm);
bool vmm_vm_paused(const struct vmm_vm *vm);
/* An eventfd that becomes readable once the VM has ended. */
int vmm_vm_done_fd(const struct vmm_vm *vm);
/* Wait for every vCPU to finish, then report why the VM ended. */
void vmm_vm_wait(struct vmm_vm *vm, struct vmm_exit *out);
void vmm_vm_destroy(struct vmm_vm *vm);

/* Suggested process exit status for @e (0, or the debug-exit status). */
int vmm_exit_status(const struct vmm_exit *e);

/* Describe this host's KVM (API, capabilities) on @f; -errno if absent. */
int vmm_print_host_info(FILE *f);

/* For devices living outside vmm/. */
int vmm_vm_fd(const struct vmm_vm *vm);
const struct vmm_mem *vmm_vm_mem(const struct vmm_vm *vm);
struct pci_bus *vmm_vm_pci(struct vmm_vm *vm);
struct iotrap_bus *vmm_vm_mmio(struct vmm_vm *vm);
struct iotrap_bus *vmm_vm_pio(struct vmm_vm *vm);
struct irq_router *vmm_vm_irq(struct vmm_vm *vm);
const char *vmm_vm_name(const struct vmm_vm *vm);
/*
 * Let the guest reach [@gpa, @gpa + @size) directly at host mapping @hva (a
 * device BAR mapped from VFIO), without exits.  Returns a slot handle for
 * vmm_vm_unmap_device(), or -ENOSPC / -errno; @gpa, @size and @hva must be
 * page aligned and must not overlap RAM or another mapping.
 */
int vmm_vm_map_device(struct vmm_vm *vm, uint64_t gpa, uint64_t size, void *hva);
void vmm_vm_unmap_device(struct vmm_vm *vm, int slot);
/* Port I/O and MMIO exits of all its vCPUs so far (any thread, any time). */
void vmm_vm_exit_counts(const struct vmm_vm *vm, uint64_t *pio, uint64_t *mmio);

#endif
