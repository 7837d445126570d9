/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vcpu.c - vCPU life cycle: creation (CPUID, MSRs, FPU, local APIC), the
 * boot CPU's initial mode, and the run loop that routes exits to the
 * dispatch layer (iotrap.c) and ends the VM on anything fatal.
 *
 * One thread per vCPU.  A vCPU is woken out of KVM_RUN by setting
 * kvm_run.immediate_exit and sending it SIGUSR1 (whose handler does nothing):
 * the flag covers a signal that arrives just before KVM_RUN is entered.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/log.h"
#include "vmm/layout.h"
#include "vmm/vm_internal.h"

#define VCPU_KICK_SIGNAL SIGUSR1

/* Initial MSR values, applied when KVM knows the MSR (as firmware leaves them). */
static const struct {
	uint32_t index;
	uint64_t value;
} vcpu_msrs[] = {
	{ 0x174, 0 }, /* IA32_SYSENTER_CS */
	{ 0x175, 0 }, /* IA32_SYSENTER_ESP */
	{ 0x176, 0 }, /* IA32_SYSENTER_EIP */
	{ 0xc0000081, 0 }, /* STAR */
	{ 0xc0000082, 0 }, /* LSTAR */
	{ 0xc0000083, 0 }, /* CSTAR */
	{ 0xc0000084, 0 }, /* SYSCALL_MASK */
	{ 0xc0000102, 0 }, /* KERNEL_GS_BASE */
	{ 0x1a0, 1 }, /* IA32_MISC_ENABLE: fast strings */
	{ 0x2ff, (1u << 11) | 6 }, /* MTRRdefType: MTRRs on, write-back default */
};

static void vcpu_kick_handler(int sig)
{
	(void)sig; /* only interrupts KVM_RUN */
}

void vcpu_kick_init(void)
{
	struct sigaction sa = { .sa_handler = vcpu_kick_handler };

	/* No SA_RESTART: KVM_RUN must return EINTR. */
	sigemptyset(&sa.sa_mask);
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
}

static bool msr_supported(const uint32_t *idx, uint32_t n, uint32_t index)
{
	for (uint32_t i = 0; i < n; i++)
		if (idx[i] == index)
			return true;
	return false;
}

static int vcpu_set_msrs(struct vmm_vcpu *vcpu)
{
	/* kvm_msr_list and kvm_msrs with their flexible arrays sized in place. */
	struct {
		uint32_t nmsrs;
		uint32_t idx[1024];
	} list = { .nmsrs = 1024 };
	struct {
		uint32_t nmsrs;
		uint32_t pad;
		struct kvm_msr_entry e[ARRAY_SIZE(vcpu_msrs)];
	} msrs = { 0 };

	if (ioctl(vcpu->vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, &list) < 0)
		return -errno;
	for (size_t i = 0; i < ARRAY_SIZE(vcpu_msrs); i++) {
		if (!msr_supported(list.idx, list.nmsrs, vcpu_msrs[i].index))
			continue;
		msrs.e[msrs.nmsrs].index = vcpu_msrs[i].index;
		msrs.e[msrs.nmsrs++].data = vcpu_msrs[i].value;
	}
	if (ioctl(vcpu->fd, KVM_SET_MSRS, &msrs) != (int)msrs.nmsrs)
		return -EIO;
	return 0;
}

static int vcpu_set_cpuid(struct vmm_vcpu *vcpu)
{
	struct vmm_vm *vm = vcpu->vm;
	struct cpuid_table t;

	memcpy(&t, vm->cpuid, sizeof(t));
	cpuid_fixup(&t, vcpu->id, vm->nr_vcpus, vm->tsc_khz);
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, &t) < 0)
		return -errno;
	return 0;
}

/* LINT0 = ExtINT (the PIC), LINT1 = NMI, as the MP table says. */
static int vcpu_set_lapic(struct vmm_vcpu *vcpu)
{
	struct kvm_lapic_state lapic;
	uint32_t v;

	if (ioctl(vcpu->fd, KVM_GET_LAPIC, &lapic) < 0)
		return -errno;
	memcpy(&v, &lapic.regs[0x350], 4);
	v = (v & ~0x700u) | (7u << 8);
	memcpy(&lapic.regs[0x350], &v, 4);
	memcpy(&v, &lapic.regs[0x360], 4);
	v = (v & ~0x700u) | (4u << 8);
	memcpy(&lapic.regs[0x360], &v, 4);
	if (ioctl(vcpu->fd, KVM_SET_LAPIC, &lapic) < 0)
		return -errno;
	return 0;
}

/*
 * Every guest sees the host's TSC (offset 0), so guests of one ferry can
 * timestamp frames against each other (one-way latency in the pktgen guest).
 * Kernels without KVM_VCPU_TSC_CTRL keep KVM's default; that is not an error.
 */
static void vcpu_share_host_tsc(struct vmm_vcpu *vcpu)
{
	int64_t off = 0;
	struct kvm_device_attr a = { .group = KVM_VCPU_TSC_CTRL,
				     .attr = KVM_VCPU_TSC_OFFSET,
				     .addr = (uint64_t)(uintptr_t)&off };

	if (ioctl(vcpu->fd, KVM_HAS_DEVICE_ATTR, &a) == 0 &&
	    ioctl(vcpu->fd, KVM_SET_DEVICE_ATTR, &a) < 0)
		LOG_WARN("vmm", "vcpu%u: cannot share the host TSC: %s", vcpu->id, strerror(errno));
}

static int vcpu_set_fpu(struct vmm_vcpu *vcpu)
{
	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };

	return ioctl(vcpu->fd, KVM_SET_FPU, &fpu) < 0 ? -errno : 0;
}

int vcpu_configure(struct vmm_vcpu *vcpu)
{
	int ret;

	ret = vcpu_set_cpuid(vcpu);
	if (ret) {
		LOG_ERR("vmm", "vcpu%u: KVM_SET_CPUID2: %s", vcpu->id, strerror(-ret));
		return ret;
	}
	ret = vcpu_set_msrs(vcpu);
	if (!ret)
		ret = vcpu_set_fpu(vcpu);
	if (!ret)
		vcpu_share_host_tsc(vcpu);
	if (!ret)
		ret = vcpu_set_lapic(vcpu);
	if (ret)
		LOG_ERR("vmm", "vcpu%u: cannot set up MSRs, FPU or local APIC: %s", vcpu->id,
			strerror(-ret));
	return ret;
}

int vcpu_create(struct vmm_vm *vm, struct vmm_vcpu *vcpu, unsigned int id)
{
	int size, ret;

	memset(vcpu, 0, sizeof(*vcpu));
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (vcpu->fd < 0) {
		ret = -errno;
		LOG_ERR("vmm", "cannot create vcpu%u: %s", id, strerror(errno));
		return ret;
	}
	size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	vcpu->run = size > 0 ? mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED,
				    vcpu->fd, 0) :
			       MAP_FAILED;
	if (vcpu->run == MAP_FAILED) {
		ret = -errno;
		LOG_ERR("vmm", "vcpu%u: cannot map kvm_run: %s", id, strerror(errno));
		goto err_close;
	}
	vcpu->run_size = (size_t)size;
	return 0;
err_close:
	close(vcpu->fd);
	vcpu->fd = -1;
	vcpu->run = NULL;
	return ret;
}

void vcpu_destroy(struct vmm_vcpu *vcpu)
{
	if (vcpu->run)
		munmap(vcpu->run, vcpu->run_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->run = NULL;
	vcpu->fd = -1;
}

/* Flat 4 GiB segments: 0x10 code (64-bit or 32-bit), 0x18 data, 0x20 TSS. */
static void vcpu_boot_segments(struct kvm_sregs *s, bool long_mode)
{
	struct kvm_segment code = {
		.base = 0,
		.limit = 0xffffffff,
		.selector = 0x10,
		.type = 11,
		.present = 1,
		.dpl = 0,
		.db = !long_mode,
		.s = 1,
		.l = long_mode,
		.g = 1,
	};
	struct kvm_segment data = code;
	struct kvm_segment tss = {
		.base = 0,
		.limit = 0x67,
		.selector = 0x20,
		.type = 11,
		.present = 1,
		.s = 0,
	};

	data.selector = 0x18;
	data.type = 3;
	data.db = 1;
	data.l = 0;
	s->cs = code;
	s->ds = s->es = s->fs = s->gs = s->ss = data;
	s->tr = tss;
	s->gdt.base = LAYOUT_BOOT_GDT;
	s->gdt.limit = 5 * 8 - 1;
	s->idt.base = LAYOUT_BOOT_IDT;
	s->idt.limit = 0;
}

static int vcpu_write_boot_tables(const struct vmm_mem *mem, bool long_mode)
{
	uint64_t gdt[5] = {
		0,
		0,
		long_mode ? 0x00af9b000000ffffull : 0x00cf9b000000ffffull,
		0x00cf93000000ffffull,
		0x00008b0000000067ull, /* 64-bit TSS, busy, base 0 */
	};
	uint64_t *pml4, *pdpt, *pd;

	if (vmm_mem_write(mem, LAYOUT_BOOT_GDT, gdt, sizeof(gdt)))
		return -EFAULT;
	if (!long_mode)
		return 0;
	pml4 = vmm_mem_ptr(mem, LAYOUT_PML4, 4096);
	pdpt = vmm_mem_ptr(mem, LAYOUT_PDPT, 4096);
	pd = vmm_mem_ptr(mem, LAYOUT_PD, 4 * 4096);
	if (!pml4 || !pdpt || !pd)
		return -EFAULT;
	/* Identity-map 0-4 GiB with 2 MiB pages: present, writable, large. */
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = LAYOUT_PDPT | 0x3;
	for (uint64_t i = 0; i < 4; i++)
		pdpt[i] = (LAYOUT_PD + i * 4096) | 0x3;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | 0x83;
	return 0;
}

int vcpu_setup_boot(struct vmm_vcpu *vcpu, const struct boot_entry *entry)
{
	bool long_mode = entry->mode == BOOT_CPU_LONG64;
	struct kvm_sregs s;
	struct kvm_regs r = { .rflags = 2, .rip = entry->rip, .rsi = entry->rsi, .rbx = entry->rbx };
	int ret;

	ret = vcpu_write_boot_tables(&vcpu->vm->mem, long_mode);
	if (ret)
		return ret;
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	vcpu_boot_segments(&s, long_mode);
	if (long_mode) {
		s.cr3 = LAYOUT_PML4;
		s.cr4 = 0x20; /* PAE */
		s.cr0 = 0x80000031; /* PG | NE | ET | PE */
		s.efer = 0x500; /* LMA | LME */
	} else {
		s.cr0 = 0x31; /* NE | ET | PE */
		s.cr4 = 0;
		s.efer = 0;
	}
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &s) < 0 || ioctl(vcpu->fd, KVM_SET_REGS, &r) < 0)
		return -errno;
	return 0;
}

static void vcpu_handle_pio(struct vmm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;

	/* Bounds of the data area: count * size bytes inside the run mapping. */
	if (run->io.data_offset >= vcpu->run_size ||
	    (uint64_t)run->io.count * run->io.size > vcpu->run_size - run->io.data_offset)
		return;
	/* One writer; an exit costs microseconds, the atomic add nothing next to it. */
	atomic_fetch_add_explicit(&vcpu->nr_pio, 1, memory_order_relaxed);
	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
		if (!iotrap_dispatch(&vcpu->vm->pio, run->io.port, data, run->io.size, is_write)) {
			if (!is_write)
				memset(data, 0xff, run->io.size);
			LOG_DEBUG("vmm", "vcpu%u: unclaimed %s of port %#x", vcpu->id,
				  is_write ? "write" : "read", run->io.port);
		}
	}
}

static void vcpu_handle_mmio(struct vmm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint32_t len = MIN(run->mmio.len, (uint32_t)sizeof(run->mmio.data));

	atomic_fetch_add_explicit(&vcpu->nr_mmio, 1, memory_order_relaxed);
	if (!iotrap_dispatch(&vcpu->vm->mmio, run->mmio.phys_addr, run->mmio.data, len,
			     run->mmio.is_write)) {
		if (!run->mmio.is_write)
			memset(run->mmio.data, 0xff, len);
		LOG_RL(LOG_LVL_DEBUG, "vmm", "vcpu%u: unclaimed MMIO %s at %#llx", vcpu->id,
		       run->mmio.is_write ? "write" : "read",
		       (unsigned long long)run->mmio.phys_addr);
	}
}

/* Format up to 15 instruction bytes at the vCPU's rip, through its page tables. */
static void vcpu_insn_bytes(struct vmm_vcpu *vcpu, uint64_t rip, char *out, size_t len)
{
	struct kvm_translation tr = { .linear_address = rip };
	const uint8_t *p;
	size_t n = 0;

	out[0] = '\0';
	if (ioctl(vcpu->fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid)
		return;
	p = vmm_mem_ptr(&vcpu->vm->mem, tr.physical_address, 15);
	if (!p)
		return;
	n = (size_t)snprintf(out, len, "; bytes at rip:");
	for (unsigned int i = 0; i < 15 && n + 4 < len; i++)
		n += (size_t)snprintf(out + n, len - n, " %02x", p[i]);
}

/*
 * The vCPU's state when the guest died (a triple fault, an internal error,
 * a failed entry), as a few log lines: enough to tell from the log alone
 * whether the guest or the VMM set it up wrong (the pending exception, the
 * paging and mode registers, where it was), as QEMU's "info registers" does.
 */
static void vcpu_log_state(struct vmm_vcpu *vcpu, const char *why)
{
	struct kvm_vcpu_events ev = { 0 };
	struct kvm_sregs s = { 0 };
	struct kvm_regs r = { 0 };

	if (ioctl(vcpu->fd, KVM_GET_REGS, &r) < 0 || ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0) {
		LOG_ERR("vmm", "vcpu%u (%s): cannot read its registers: %s", vcpu->id, why,
			strerror(errno));
		return;
	}
	ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev);
	LOG_ERR("vmm",
		"vcpu%u (%s): rip=%#llx rsp=%#llx rflags=%#llx rax=%#llx rbx=%#llx rcx=%#llx "
		"rdx=%#llx rsi=%#llx rdi=%#llx rbp=%#llx",
		vcpu->id, why, (unsigned long long)r.rip, (unsigned long long)r.rsp,
		(unsigned long long)r.rflags, (unsigned long long)r.rax, (unsigned long long)r.rbx,
		(unsigned long long)r.rcx, (unsigned long long)r.rdx, (unsigned long long)r.rsi,
		(unsigned long long)r.rdi, (unsigned long long)r.rbp);
	LOG_ERR("vmm",
		"vcpu%u (%s): cr0=%#llx cr2=%#llx cr3=%#llx cr4=%#llx efer=%#llx cs=%#x(base %#llx "
		"l%u db%u) ss=%#x idt=%#llx/%#x gdt=%#llx/%#x apic_base=%#llx",
		vcpu->id, why, (unsigned long long)s.cr0, (unsigned long long)s.cr2,
		(unsigned long long)s.cr3, (unsigned long long)s.cr4, (unsigned long long)s.efer,
		s.cs.selector, (unsigned long long)s.cs.base, s.cs.l, s.cs.db, s.ss.selector,
		(unsigned long long)s.idt.base, s.idt.limit, (unsigned long long)s.gdt.base,
		s.gdt.limit, (unsigned long long)s.apic_base);
	LOG_ERR("vmm",
		"vcpu%u (%s): exception injected %u pending %u nr %u error %#x; interrupt "
		"injected %u nr %u; nmi injected %u pending %u masked %u",
		vcpu->id, why, ev.exception.injected, ev.exception.pending, ev.exception.nr,
		ev.exception.error_code, ev.interrupt.injected, ev.interrupt.nr, ev.nmi.injected,
		ev.nmi.pending, ev.nmi.masked);
}

static const char *const internal_errors[] = {
	[1] = "emulation failure",
	[2] = "simultaneous exceptions",
	[3] = "exception during event delivery",
	[4] = "unexpected exit during event delivery",
};

static void vcpu_internal_error(struct vmm_vcpu *vcpu)
{
	uint32_t sub = vcpu->run->internal.suberror;
	const char *what = sub < ARRAY_SIZE(internal_errors) && internal_errors[sub] ?
				   internal_errors[sub] :
				   "unknown internal error";
	struct kvm_regs r = { 0 };
	char bytes[80];

	ioctl(vcpu->fd, KVM_GET_REGS, &r);
	vcpu_log_state(vcpu, "internal error");
	vcpu_insn_bytes(vcpu, r.rip, bytes, sizeof(bytes));
	vm_end(vcpu->vm, VMM_EXIT_ERROR, 0,
	       "vcpu%u: KVM internal error (suberror %u, %s) at rip %#llx%s", vcpu->id, sub, what,
	       (unsigned long long)r.rip, bytes);
}

/* Handle one exit; false when the vCPU must leave its loop. */
static bool vcpu_handle_exit(struct vmm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu_handle_pio(vcpu);
		return true;
	case KVM_EXIT_MMIO:
		vcpu_handle_mmio(vcpu);
		return true;
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_SHUTDOWN:
		vcpu_log_state(vcpu, "triple fault");
		vm_end(vcpu->vm, VMM_EXIT_TRIPLE_FAULT, 0,
		       "vcpu%u: guest triple-faulted (its registers are in the log above)",
		       vcpu->id);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		vm_end(vcpu->vm, VMM_EXIT_RESET, 0, "vcpu%u: guest system event %u", vcpu->id,
		       run->system_event.type);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		vcpu_internal_error(vcpu);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		vcpu_log_state(vcpu, "failed entry");
		vm_end(vcpu->vm, VMM_EXIT_ERROR, 0,
		       "vcpu%u: KVM could not enter the guest (hardware reason %#llx)", vcpu->id,
		       (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return false;
	default:
		vm_end(vcpu->vm, VMM_EXIT_ERROR, 0, "vcpu%u: unexpected KVM exit %u", vcpu->id,
		       run->exit_reason);
		return false;
	}
}

/* Paused: wait here, out of KVM_RUN, until resumed or stopped. */
static void vcpu_park(struct vmm_vcpu *vcpu)
{
	struct vmm_vm *vm = vcpu->vm;

	mutex_lock(&vm->park_lock);
	vm->parked++;
	cond_broadcast(&vm->park_cond);
	while (atomic_load_explicit(&vm->paused, memory_order_acquire) &&
	       !atomic_load_explicit(&vm->stopping, memory_order_acquire))
		cond_wait(&vm->park_cond, &vm->park_lock);
	vm->parked--;
	/* The kick that parked us left immediate_exit set: KVM_RUN would return at once. */
	__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_RELEASE);
	mutex_unlock(&vm->park_lock);
}

static void *vcpu_thread(void *arg)
{
	struct vmm_vcpu *vcpu = arg;
	struct vmm_vm *vm = vcpu->vm;
	char name[16];
	sigset_t set;

	snprintf(name, sizeof(name), "vcpu%u", vcpu->id);
	pthread_setname_np(pthread_self(), name);
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	while (!atomic_load_explicit(&vm->stopping, memory_order_acquire)) {
		if (atomic_load_explicit(&vm->paused, memory_order_acquire)) {
			vcpu_park(vcpu);
			continue;
		}
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			vm_end(vm, VMM_EXIT_ERROR, 0, "vcpu%u: KVM_RUN failed: %s", vcpu->id,
			       strerror(errno));
			break;
		}
		if (!vcpu_handle_exit(vcpu))
			break;
	}
	return NULL;
}

int vcpu_start(struct vmm_vcpu *vcpu)
{
	sigset_t set, old;
	int ret;

	/* Threads inherit the mask: the kick signal stays blocked until the loop. */
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	ret = -pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		LOG_ERR("vmm", "cannot start vcpu%u thread: %s", vcpu->id, strerror(-ret));
	else
		vcpu->started = true;
	return ret;
}

void vcpu_kick(struct vmm_vcpu *vcpu)
{
	if (!vcpu->started)
		return;
	/* immediate_exit covers a kick that lands just before KVM_RUN. */
	__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_RELEASE);
	pthread_kill(vcpu->thread, VCPU_KICK_SIGNAL);
}
