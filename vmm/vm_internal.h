/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vm_internal.h - the VM and vCPU structures shared by vm.c and vcpu.c.
 * Nothing outside vmm/ includes this file.
 */
#ifndef FERRY_VMM_VM_INTERNAL_H
#define FERRY_VMM_VM_INTERNAL_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>

#include "vmm/boot.h"
#include "vmm/cpuid.h"
#include "vmm/e820.h"
#include "vmm/iotrap.h"
#include "vmm/irq.h"
#include "vmm/legacy.h"
#include "vmm/mem.h"
#include "vmm/pci.h"
#include "vmm/serial.h"
#include "vmm/vmm.h"

struct vmm_vcpu {
	struct vmm_vm *vm;
	unsigned int id; /* vCPU index = APIC ID */
	int fd; /* KVM vCPU fd */
	struct kvm_run *run; /* the shared kvm_run page(s) */
	size_t run_size;
	pthread_t thread;
	bool started; /* thread was created */
	/* Exits by kind: the statistics line, and vmm_vm_exit_counts() while it runs. */
	_Atomic uint64_t nr_pio;
	_Atomic uint64_t nr_mmio;
};

struct vmm_vm {
	char name[64];
	struct vmm_opts opts;
	int kvm_fd; /* /dev/kvm */
	int vm_fd;
	int done_fd; /* eventfd: written once when the VM ends */
	uint32_t tsc_khz;
	struct vmm_mem mem;
	struct e820_map e820;
	struct iotrap_bus pio;
	struct iotrap_bus mmio;
	struct serial com1;
	struct legacy_devs legacy;
	struct pci_bus pci;
	struct irq_router irq; /* GSI routes, from the core level on */
	struct boot_image image;
	uint8_t *kernel_buf; /* the kernel file, owned */
	size_t kernel_len;
	uint8_t *initrd_buf; /* the initrd file, owned */
	size_t initrd_len;
	struct boot_entry entry;
	int log_fd; /* console log, -1 if none */
	struct cpuid_table *cpuid; /* KVM's supported CPUID, fixed per vCPU */
	unsigned int nr_vcpus;
	struct vmm_vcpu *vcpus;
	unsigned int init_done; /* init levels completed, for unwinding */
	pthread_t input_thread;
	bool input_started;
	int input_stop_fd; /* eventfd that ends the input thread */
	struct mutex exit_lock;
	struct vmm_exit exit GUARDED; /* why the VM ended; first reason wins */
	atomic_bool stopping; /* set once; vCPUs leave their run loops */
	/* Pause: vCPUs park in their loops while set (vmm_vm_pause). */
	atomic_bool paused;
	struct mutex park_lock;
	struct cond park_cond; /* parked changed, or paused or stopping did */
	unsigned int parked GUARDED;
	bool reaped; /* vmm_vm_wait() has joined every thread */
	/* KVM memory slots lent to devices' memory (passed-through BARs). */
	struct mutex slot_lock;
	uint64_t dev_slots[2] GUARDED; /* bit n: slot VMM_MEM_MAX_SLOTS + n is in use */
};

/* vcpu.c */
int vcpu_create(struct vmm_vm *vm, struct vmm_vcpu *vcpu, unsigned int id);
/* CPUID, MSRs, FPU and local APIC; needs vm->tsc_khz for the timing leaf. */
int vcpu_configure(struct vmm_vcpu *vcpu);
void vcpu_destroy(struct vmm_vcpu *vcpu);
int vcpu_setup_boot(struct vmm_vcpu *vcpu, const struct boot_entry *entry);
int vcpu_start(struct vmm_vcpu *vcpu);
void vcpu_kick(struct vmm_vcpu *vcpu);
void vcpu_kick_init(void);

/* vm.c: end the VM for @kind (first caller wins) and wake every vCPU. */
void vm_end(struct vmm_vm *vm, enum vmm_exit_kind kind, int status, const char *fmt, ...)
	FERRY_PRINTF(4, 5);

#endif
