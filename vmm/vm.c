/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vm.c - the VM life cycle (see vmm.h).
 *
 * Creation runs an explicit, ordered table of init levels (kvmtool's
 * vocabulary: kernel, core, memory, devices, firmware, vcpus); when one
 * fails, the exit functions of the levels already done run in reverse, so
 * a half-built VM is always torn down cleanly and nothing exits the process.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"
#include "vmm/layout.h"
#include "vmm/acpi.h"
#include "vmm/mptable.h"
#include "vmm/vm_internal.h"

#define KVM_API_EXPECTED 12
#define VM_PAUSE_WAIT_S 5 /* a vCPU in a long exit handler still parks by then */

/* ---- level: kernel (read and check the images before touching KVM) ---- */

static int read_file(const char *what, const char *path, uint8_t **buf, size_t *len)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		LOG_ERR("vmm", "%s '%s': cannot open: %s", what, path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		LOG_ERR("vmm", "%s '%s': not a regular file", what, path);
		close(fd);
		return -EINVAL;
	}
	*buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!*buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size && (n = read(fd, *buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	if (got != (size_t)st.st_size) {
		LOG_ERR("vmm", "%s '%s': short read", what, path);
		free(*buf);
		*buf = NULL;
		ret = -EIO;
	}
	*len = got;
	close(fd);
	return ret;
}

static int level_kernel_init(struct vmm_vm *vm)
{
	char err[BOOT_ERR_LEN];
	int ret;

	ret = read_file("kernel", vm->opts.kernel, &vm->kernel_buf, &vm->kernel_len);
	if (ret)
		return ret;
	ret = boot_image_parse(vm->kernel_buf, vm->kernel_len, &vm->image, err);
	if (ret) {
		LOG_ERR("vmm", "kernel '%s': %s", vm->opts.kernel, err);
		return ret;
	}
	if (vm->opts.initrd)
		return read_file("initrd", vm->opts.initrd, &vm->initrd_buf, &vm->initrd_len);
	return 0;
}

static void level_kernel_exit(struct vmm_vm *vm)
{
	free(vm->kernel_buf);
	free(vm->initrd_buf);
	vm->kernel_buf = vm->initrd_buf = NULL;
}

/* ---- level: core (KVM, the VM, in-kernel irqchip and PIT) ---- */

static const struct {
	int cap;
	const char *name;
} required_caps[] = {
	{ KVM_CAP_IRQCHIP, "in-kernel irqchip" },
	{ KVM_CAP_USER_MEMORY, "user memory" },
	{ KVM_CAP_SET_TSS_ADDR, "TSS address" },
	{ KVM_CAP_EXT_CPUID, "extended CPUID" },
	{ KVM_CAP_IMMEDIATE_EXIT, "immediate exit" },
	{ KVM_CAP_PIT2, "in-kernel PIT" },
	{ KVM_CAP_IRQFD, "irqfd" },
	{ KVM_CAP_IOEVENTFD, "ioeventfd" },
};

static int kvm_open_checked(struct vmm_vm *vm)
{
	int api;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		LOG_ERR("vmm", "cannot open /dev/kvm: %s", strerror(errno));
		return -errno;
	}
	api = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_EXPECTED) {
		LOG_ERR("vmm", "/dev/kvm speaks API %d; Ferry needs %d", api, KVM_API_EXPECTED);
		return -ENOTSUP;
	}
	for (size_t i = 0; i < ARRAY_SIZE(required_caps); i++) {
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0) {
			LOG_ERR("vmm", "KVM lacks %s (capability %d)", required_caps[i].name,
				required_caps[i].cap);
			return -ENOTSUP;
		}
	}
	return 0;
}

static int vm_ioctl(struct vmm_vm *vm, unsigned long req, unsigned long arg, const char *what)
{
	if (ioctl(vm->vm_fd, req, arg) < 0) {
		int ret = -errno;

		LOG_ERR("vmm", "%s: %s", what, strerror(errno));
		return ret;
	}
	return 0;
}

static int level_core_init(struct vmm_vm *vm)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	uint64_t ident = LAYOUT_IDENTITY_MAP;
	int ret;

	ret = kvm_open_checked(vm);
	if (ret)
		return ret;
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		LOG_ERR("vmm", "KVM_CREATE_VM: %s", strerror(errno));
		return -errno;
	}
	ret = vm_ioctl(vm, KVM_SET_TSS_ADDR, LAYOUT_TSS, "KVM_SET_TSS_ADDR");
	if (!ret && ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0)
		ret = vm_ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, (unsigned long)&ident,
			       "KVM_SET_IDENTITY_MAP_ADDR");
	if (!ret)
		ret = vm_ioctl(vm, KVM_CREATE_IRQCHIP, 0, "KVM_CREATE_IRQCHIP");
	if (!ret)
		ret = vm_ioctl(vm, KVM_CREATE_PIT2, (unsigned long)&pit, "KVM_CREATE_PIT2");
	if (!ret)
		irq_router_init(&vm->irq, vm->vm_fd);
	return ret;
}

static void level_core_exit(struct vmm_vm *vm)
{
	irq_router_fini(&vm->irq);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm->vm_fd = vm->kvm_fd = -1;
}

/* Point KVM memory slot @slot at @hva (a zero @size deletes the slot). */
static int vm_set_slot(struct vmm_vm *vm, int slot, uint64_t gpa, uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = (uint32_t)slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)hva,
	};

	return ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -errno : 0;
}

/* ---- level: memory ---- */

static int level_memory_init(struct vmm_vm *vm)
{
	int ret = vmm_mem_init(&vm->mem, vm->opts.mem_size, vm->opts.hugepages);

	if (ret)
		return ret;
	for (unsigned int i = 0; i < vm->mem.nslots; i++) {
		ret = vm_set_slot(vm, (int)i, vm->mem.slots[i].gpa, vm->mem.slots[i].size,
				  vm->mem.slots[i].hva);
		if (ret) {
			LOG_ERR("vmm", "KVM_SET_USER_MEMORY_REGION: %s", strerror(-ret));
			vmm_mem_fini(&vm->mem);
			return ret;
		}
	}
	return e820_build(&vm->e820, &vm->mem);
}

static void level_memory_exit(struct vmm_vm *vm)
{
	vmm_mem_fini(&vm->mem);
}

/* ---- level: devices (dispatch buses, console, legacy ports, PCI) ---- */

static void vm_serial_irq(void *opaque, int level)
{
	struct vmm_vm *vm = opaque;
	struct kvm_irq_level irq = { .irq = SERIAL_COM1_IRQ, .level = (uint32_t)level };

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		LOG_RL(LOG_LVL_WARN, "vmm", "KVM_IRQ_LINE %u: %s", irq.irq, strerror(errno));
}

/* An ISA line of KVM's in-kernel PIC and IOAPIC (the SCI). */
static void vm_isa_irq(void *opaque, unsigned int line, int level)
{
	struct vmm_vm *vm = opaque;
	struct kvm_irq_level irq = { .irq = line, .level = (uint32_t)level };

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		LOG_RL(LOG_LVL_WARN, "vmm", "KVM_IRQ_LINE %u: %s", irq.irq, strerror(errno));
}

static void vm_legacy_stop(void *opaque, enum legacy_stop why, int status)
{
	struct vmm_vm *vm = opaque;

	if (why == LEGACY_STOP_DEBUG_EXIT)
		vm_end(vm, VMM_EXIT_DEBUG, status, "guest exited with status %d", status);
	else if (why == LEGACY_STOP_POWEROFF)
		vm_end(vm, VMM_EXIT_POWEROFF, 0, "guest powered off (ACPI S5)");
	else
		vm_end(vm, VMM_EXIT_RESET, 0, "guest requested a reset");
}

static void vm_pci_reset(void *opaque)
{
	vm_end(opaque, VMM_EXIT_RESET, 0, "guest requested a reset");
}

static int level_devices_init(struct vmm_vm *vm)
{
	int ret;

	if (vm->opts.console_log) {
		vm->log_fd =
			open(vm->opts.console_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (vm->log_fd < 0) {
			LOG_ERR("vmm", "console log '%s': %s", vm->opts.console_log,
				strerror(errno));
			return -errno;
		}
	}
	ret = iotrap_bus_init(&vm->pio, "pio");
	if (ret)
		goto err_log;
	ret = iotrap_bus_init(&vm->mmio, "mmio");
	if (ret)
		goto err_pio;
	serial_init(&vm->com1, vm->opts.console_fd, vm->log_fd, vm_serial_irq, vm);
	serial_set_lines(&vm->com1, vm->opts.console_prefix, vm->opts.console_line,
			 vm->opts.console_opaque);
	ret = iotrap_register(&vm->pio, SERIAL_COM1_BASE, SERIAL_NR_REGS, serial_io, &vm->com1);
	if (ret)
		goto err_mmio;
	ret = legacy_init(&vm->legacy, &vm->pio, vm->opts.debug_exit, vm_legacy_stop, vm_isa_irq,
			  vm);
	if (ret)
		goto err_serial;
	ret = pci_bus_init(&vm->pci, &vm->pio, vm_pci_reset, vm);
	if (ret)
		goto err_legacy;
	return 0;
err_legacy:
	legacy_fini(&vm->legacy, &vm->pio);
err_serial:
	serial_fini(&vm->com1);
err_mmio:
	iotrap_bus_fini(&vm->mmio);
err_pio:
	iotrap_bus_fini(&vm->pio);
err_log:
	if (vm->log_fd >= 0)
		close(vm->log_fd);
	vm->log_fd = -1;
	return ret;
}

static void level_devices_exit(struct vmm_vm *vm)
{
	pci_bus_fini(&vm->pci);
	legacy_fini(&vm->legacy, &vm->pio);
	iotrap_unregister(&vm->pio, SERIAL_COM1_BASE);
	serial_fini(&vm->com1);
	iotrap_bus_fini(&vm->mmio);
	iotrap_bus_fini(&vm->pio);
	if (vm->log_fd >= 0)
		close(vm->log_fd);
	vm->log_fd = -1;
}

/* ---- level: firmware (kernel in memory, MP table) ---- */

static int vm_write_mptable(struct vmm_vm *vm)
{
	struct kvm_cpuid_entry2 *leaf1 = cpuid_find(vm->cpuid, 1, 0);
	struct mptable_params p = {
		.nr_cpus = vm->nr_vcpus,
		.cpu_signature = leaf1 ? leaf1->eax : 0,
		.cpu_features = leaf1 ? leaf1->edx : 0,
		.pci_irq_slots = pci_bus_intx_slots(&vm->pci),
	};
	size_t room = LAYOUT_HIGH_START - LAYOUT_MPTABLE;
	uint8_t *buf = vmm_mem_ptr(&vm->mem, LAYOUT_MPTABLE, room);
	int ret;

	ret = buf ? mptable_build(buf, room, LAYOUT_MPTABLE, &p) : -EFAULT;
	if (ret < 0)
		LOG_ERR("vmm", "cannot write the MP table: %s", strerror(-ret));
	return ret < 0 ? ret : 0;
}

/* ACPI tables in the BIOS area, where a guest's RSDP scan finds them. */
static int vm_write_acpi(struct vmm_vm *vm)
{
	struct acpi_params p = {
		.nr_cpus = vm->nr_vcpus,
		.ioapic_id = (uint8_t)vm->nr_vcpus, /* as in the MP table */
		.ioapic_addr = (uint32_t)LAYOUT_IOAPIC,
		.lapic_addr = (uint32_t)LAYOUT_LAPIC,
		.pci_mmio_start = (uint32_t)LAYOUT_PCI_MMIO_START,
		.pci_mmio_end = (uint32_t)LAYOUT_PCI_MMIO_END,
	};
	size_t room = LAYOUT_MPTABLE - LAYOUT_ACPI;
	uint8_t *buf = vmm_mem_ptr(&vm->mem, LAYOUT_ACPI, room);
	int ret;

	ret = buf ? acpi_build(buf, room, LAYOUT_ACPI, &p) : -EFAULT;
	if (ret < 0)
		LOG_ERR("vmm", "cannot write the ACPI tables: %s", strerror(-ret));
	return ret < 0 ? ret : 0;
}

static int level_firmware_init(struct vmm_vm *vm)
{
	struct boot_args args = {
		.cmdline = vm->opts.cmdline ? vm->opts.cmdline : VMM_DEFAULT_CMDLINE,
		.initrd = vm->initrd_buf,
		.initrd_len = vm->initrd_len,
		.e820 = &vm->e820,
	};
	char err[BOOT_ERR_LEN];
	int ret;

	ret = boot_image_load(&vm->image, &vm->mem, &args, &vm->entry, err);
	if (ret) {
		LOG_ERR("vmm", "kernel '%s': %s", vm->opts.kernel, err);
		return ret;
	}
	ret = vm_write_mptable(vm);
	return ret ? ret : vm_write_acpi(vm);
}

static void level_firmware_exit(struct vmm_vm *vm)
{
	(void)vm; /* guest memory goes with the memory level */
}

/* ---- level: vcpus ---- */

static int level_vcpus_init(struct vmm_vm *vm)
{
	int ret;

	vm->cpuid = calloc(1, sizeof(*vm->cpuid));
	vm->vcpus = calloc(vm->nr_vcpus, sizeof(*vm->vcpus));
	if (!vm->cpuid || !vm->vcpus)
		return -ENOMEM;
	ret = cpuid_get_supported(vm->kvm_fd, vm->cpuid);
	if (ret) {
		LOG_ERR("vmm", "KVM_GET_SUPPORTED_CPUID: %s", strerror(-ret));
		return ret;
	}
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vm->vcpus[i].fd = -1;
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		ret = vcpu_create(vm, &vm->vcpus[i], i);
		if (ret)
			return ret;
	}
	/* The TSC frequency goes into every vCPU's CPUID, so read it first. */
	ret = ioctl(vm->vcpus[0].fd, KVM_GET_TSC_KHZ, 0);
	vm->tsc_khz = ret > 0 ? (uint32_t)ret : 0;
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		ret = vcpu_configure(&vm->vcpus[i]);
		if (ret)
			return ret;
	}
	return 0;
}

static void level_vcpus_exit(struct vmm_vm *vm)
{
	for (unsigned int i = 0; vm->vcpus && i < vm->nr_vcpus; i++)
		vcpu_destroy(&vm->vcpus[i]);
	free(vm->vcpus);
	free(vm->cpuid);
	vm->vcpus = NULL;
	vm->cpuid = NULL;
}

/* ---- level: boot (the boot CPU's registers, once the kernel is in) ---- */

static int level_boot_init(struct vmm_vm *vm)
{
	int ret = vcpu_setup_boot(&vm->vcpus[0], &vm->entry);

	if (ret)
		LOG_ERR("vmm", "cannot set the boot CPU's registers: %s", strerror(-ret));
	return ret;
}

static void level_boot_exit(struct vmm_vm *vm)
{
	(void)vm;
}

struct vm_level {
	const char *name;
	int (*init)(struct vmm_vm *vm);
	void (*exit)(struct vmm_vm *vm);
};

/*
 * vcpus precede firmware: the MP table needs CPUID and the TSC frequency
 * that vCPU 0 reports.  The cpuid table is read once there.
 */
static const struct vm_level vm_levels[] = {
	{ "kernel", level_kernel_init, level_kernel_exit },
	{ "core", level_core_init, level_core_exit },
	{ "memory", level_memory_init, level_memory_exit },
	{ "devices", level_devices_init, level_devices_exit },
	{ "vcpus", level_vcpus_init, level_vcpus_exit },
	{ "firmware", level_firmware_init, level_firmware_exit },
	{ "boot", level_boot_init, level_boot_exit },
};

/* Levels up to and including "vcpus" run at create; the rest at start, once
 * every device is registered (the MP table lists their interrupt lines). */
#define VM_CREATE_LEVELS 5

static void vm_unwind(struct vmm_vm *vm)
{
	while (vm->init_done > 0) {
		vm->init_done--;
		vm_levels[vm->init_done].exit(vm);
	}
}

static int vm_run_levels(struct vmm_vm *vm, unsigned int upto)
{
	while (vm->init_done < upto) {
		int ret = vm_levels[vm->init_done].init(vm);

		if (ret) {
			LOG_DEBUG("vmm", "init level '%s' failed: %s",
				  vm_levels[vm->init_done].name, strerror(-ret));
			return ret;
		}
		vm->init_done++;
	}
	return 0;
}

static bool vm_opts_valid(const struct vmm_opts *o)
{
	if (!o->kernel || !*o->kernel) {
		LOG_ERR("vmm", "no kernel given");
		return false;
	}
	if (o->vcpus < 1 || o->vcpus > VMM_MAX_VCPUS) {
		LOG_ERR("vmm", "vcpus must be 1..%d, got %u", VMM_MAX_VCPUS, o->vcpus);
		return false;
	}
	if (o->mem_size < VMM_MEM_MIN_SIZE) {
		LOG_ERR("vmm", "memory must be at least 16 MiB");
		return false;
	}
	return true;
}

struct vmm_vm *vmm_vm_create(const struct vmm_opts *opts, int *err)
{
	struct vmm_vm *vm;
	int ret;

	if (!vm_opts_valid(opts)) {
		if (err)
			*err = -EINVAL;
		return NULL;
	}
	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		if (err)
			*err = -ENOMEM;
		return NULL;
	}
	vm->opts = *opts;
	snprintf(vm->name, sizeof(vm->name), "%s", opts->name ? opts->name : "vm");
	vm->kvm_fd = vm->vm_fd = vm->log_fd = vm->input_stop_fd = -1;
	vm->nr_vcpus = opts->vcpus;
	mutex_init(&vm->exit_lock);
	mutex_init(&vm->park_lock);
	mutex_init(&vm->slot_lock);
	pthread_cond_init(&vm->park_cond.c, NULL);
	vm->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ret = vm->done_fd < 0 ? -errno : vm_run_levels(vm, VM_CREATE_LEVELS);
	if (ret) {
		if (err)
			*err = ret;
		vmm_vm_destroy(vm);
		return NULL;
	}
	vcpu_kick_init();
	return vm;
}

void vm_end(struct vmm_vm *vm, enum vmm_exit_kind kind, int status, const char *fmt, ...)
{
	uint64_t one = 1;
	va_list ap;
	bool first;

	mutex_lock(&vm->exit_lock);
	first = vm->exit.kind == VMM_EXIT_NONE;
	if (first) {
		vm->exit.kind = kind;
		vm->exit.status = status;
		va_start(ap, fmt);
		vsnprintf(vm->exit.reason, sizeof(vm->exit.reason), fmt, ap);
		va_end(ap);
	}
	mutex_unlock(&vm->exit_lock);
	if (!first)
		return;
	/* Pairs with the acquire load at the top of each vCPU loop. */
	atomic_store_explicit(&vm->stopping, true, memory_order_release);
	mutex_lock(&vm->park_lock);
	cond_broadcast(&vm->park_cond); /* parked vCPUs leave too */
	mutex_unlock(&vm->park_lock);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	if (write(vm->done_fd, &one, sizeof(one)) < 0)
		LOG_WARN("vmm", "cannot signal the end of %s", vm->name);
}

void vmm_vm_stop(struct vmm_vm *vm)
{
	vm_end(vm, VMM_EXIT_STOPPED, 0, "stopped on request");
}

void vmm_vm_power_button(struct vmm_vm *vm)
{
	legacy_power_button(&vm->legacy);
}

static unsigned int vm_started_vcpus(const struct vmm_vm *vm)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		n += vm->vcpus[i].started;
	return n;
}

int vmm_vm_pause(struct vmm_vm *vm)
{
	struct timespec until;
	int ret = 0;

	if (atomic_load_explicit(&vm->stopping, memory_order_acquire))
		return -ESRCH;
	/* Pairs with the acquire load at the top of each vCPU loop. */
	atomic_store_explicit(&vm->paused, true, memory_order_release);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += VM_PAUSE_WAIT_S;
	mutex_lock(&vm->park_lock);
	while (vm->parked < vm_started_vcpus(vm) && ret == 0 &&
	       !atomic_load_explicit(&vm->stopping, memory_order_acquire))
		ret = cond_timedwait(&vm->park_cond, &vm->park_lock, &until);
	mutex_unlock(&vm->park_lock);
	return ret ? -ETIMEDOUT : 0;
}

void vmm_vm_resume(struct vmm_vm *vm)
{
	mutex_lock(&vm->park_lock);
	atomic_store_explicit(&vm->paused, false, memory_order_release);
	cond_broadcast(&vm->park_cond);
	mutex_unlock(&vm->park_lock);
}

bool vmm_vm_paused(const struct vmm_vm *vm)
{
	return atomic_load_explicit(&vm->paused, memory_order_acquire);
}

/* ---- console input: stdin (or any fd) to COM1, as fast as the FIFO drains ---- */

static void *vm_input_thread(void *arg)
{
	struct vmm_vm *vm = arg;
	struct pollfd p[2] = {
		{ .fd = vm->opts.console_in_fd, .events = POLLIN },
		{ .fd = vm->input_stop_fd, .events = POLLIN },
	};
	uint8_t buf[SERIAL_FIFO_LEN];

	pthread_setname_np(pthread_self(), "console-in");
	for (;;) {
		size_t room = serial_rx_room(&vm->com1);
		ssize_t n;

		/* A full FIFO: wait for the guest to read, checking for stop. */
		if (poll(room ? p : &p[1], room ? 2 : 1, room ? -1 : 10) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!room || !(p[0].revents & (POLLIN | POLLHUP)))
			continue;
		n = read(p[0].fd, buf, room);
		if (n <= 0)
			break; /* EOF: the guest simply gets no more input */
		serial_input(&vm->com1, buf, (size_t)n);
	}
	return NULL;
}

static int vm_start_input(struct vmm_vm *vm)
{
	int ret;

	if (vm->opts.console_in_fd < 0)
		return 0;
	vm->input_stop_fd = eventfd(0, EFD_CLOEXEC);
	if (vm->input_stop_fd < 0)
		return -errno;
	ret = -pthread_create(&vm->input_thread, NULL, vm_input_thread, vm);
	if (!ret)
		vm->input_started = true;
	return ret;
}

static void vm_stop_input(struct vmm_vm *vm)
{
	uint64_t one = 1;

	if (vm->input_started) {
		if (write(vm->input_stop_fd, &one, sizeof(one)) < 0)
			pthread_cancel(vm->input_thread);
		pthread_join(vm->input_thread, NULL);
		vm->input_started = false;
	}
	if (vm->input_stop_fd >= 0)
		close(vm->input_stop_fd);
	vm->input_stop_fd = -1;
}

int vmm_vm_start(struct vmm_vm *vm)
{
	int ret = vm_run_levels(vm, ARRAY_SIZE(vm_levels));

	if (ret)
		return ret;
	ret = vm_start_input(vm);
	for (unsigned int i = 0; !ret && i < vm->nr_vcpus; i++)
		ret = vcpu_start(&vm->vcpus[i]);
	if (ret)
		vm_end(vm, VMM_EXIT_ERROR, 0, "could not start: %s", strerror(-ret));
	return ret;
}

void vmm_vm_wait(struct vmm_vm *vm, struct vmm_exit *out)
{
	bool first = !vm->reaped;

	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		if (vm->vcpus[i].started)
			pthread_join(vm->vcpus[i].thread, NULL);
		vm->vcpus[i].started = false;
	}
	vm_stop_input(vm);
	mutex_lock(&vm->exit_lock);
	*out = vm->exit;
	mutex_unlock(&vm->exit_lock);
	vm->reaped = true;
	for (unsigned int i = 0; first && i < vm->nr_vcpus; i++)
		LOG_INFO("vmm", "%s vcpu%u: %llu port I/O exits, %llu MMIO exits", vm->name, i,
			 (unsigned long long)vm->vcpus[i].nr_pio,
			 (unsigned long long)vm->vcpus[i].nr_mmio);
}

void vmm_vm_exit_counts(const struct vmm_vm *vm, uint64_t *pio, uint64_t *mmio)
{
	*pio = *mmio = 0;
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		*pio += atomic_load_explicit(&vm->vcpus[i].nr_pio, memory_order_relaxed);
		*mmio += atomic_load_explicit(&vm->vcpus[i].nr_mmio, memory_order_relaxed);
	}
}

void vmm_vm_destroy(struct vmm_vm *vm)
{
	struct vmm_exit ignored;

	if (!vm)
		return;
	if (vm->vcpus) {
		vm_end(vm, VMM_EXIT_STOPPED, 0, "destroyed");
		vmm_vm_wait(vm, &ignored);
	}
	vm_unwind(vm);
	if (vm->done_fd >= 0)
		close(vm->done_fd);
	mutex_destroy(&vm->exit_lock);
	pthread_cond_destroy(&vm->park_cond.c);
	mutex_destroy(&vm->park_lock);
	mutex_destroy(&vm->slot_lock);
	free(vm);
}

int vmm_exit_status(const struct vmm_exit *e)
{
	switch (e->kind) {
	case VMM_EXIT_DEBUG:
		return e->status;
	case VMM_EXIT_RESET:
	case VMM_EXIT_POWEROFF:
	case VMM_EXIT_STOPPED:
		return 0;
	case VMM_EXIT_TRIPLE_FAULT:
		return 3;
	default:
		return 1;
	}
}

int vmm_vm_done_fd(const struct vmm_vm *vm)
{
	return vm->done_fd;
}

int vmm_vm_fd(const struct vmm_vm *vm)
{
	return vm->vm_fd;
}

const struct vmm_mem *vmm_vm_mem(const struct vmm_vm *vm)
{
	return &vm->mem;
}

struct pci_bus *vmm_vm_pci(struct vmm_vm *vm)
{
	return &vm->pci;
}

/*
 * Device slots follow RAM's: up to 10 per passed-through function (six BARs,
 * two of them split around MSI-X pages), 8 functions per VM.  KVM has 509 or more.
 */
#define VM_DEV_SLOTS 128
#define SLOT_BIT(n) (1ull << ((n) % 64))

int vmm_vm_map_device(struct vmm_vm *vm, uint64_t gpa, uint64_t size, void *hva)
{
	int n, ret = -ENOSPC;

	if (!size || (gpa | size | (uintptr_t)hva) & 4095)
		return -EINVAL;
	mutex_lock(&vm->slot_lock);
	for (n = 0; n < VM_DEV_SLOTS; n++)
		if (!(vm->dev_slots[n / 64] & SLOT_BIT(n)))
			break;
	if (n < VM_DEV_SLOTS) {
		ret = vm_set_slot(vm, VMM_MEM_MAX_SLOTS + n, gpa, size, hva);
		if (!ret) {
			vm->dev_slots[n / 64] |= SLOT_BIT(n);
			ret = VMM_MEM_MAX_SLOTS + n;
		}
	}
	mutex_unlock(&vm->slot_lock);
	return ret;
}

void vmm_vm_unmap_device(struct vmm_vm *vm, int slot)
{
	int n = slot - VMM_MEM_MAX_SLOTS, ret = 0;

	if (n < 0 || n >= VM_DEV_SLOTS)
		return;
	mutex_lock(&vm->slot_lock);
	/* A zero size deletes the slot (KVM API, KVM_SET_USER_MEMORY_REGION). */
	if (vm->dev_slots[n / 64] & SLOT_BIT(n)) {
		ret = vm_set_slot(vm, slot, 0, 0, NULL);
		if (!ret)
			vm->dev_slots[n / 64] &= ~SLOT_BIT(n);
	}
	mutex_unlock(&vm->slot_lock);
	if (ret)
		LOG_ERR("vmm", "%s: cannot delete memory slot %d: %s", vm->name, slot,
			strerror(-ret));
}

struct iotrap_bus *vmm_vm_mmio(struct vmm_vm *vm)
{
	return &vm->mmio;
}

struct irq_router *vmm_vm_irq(struct vmm_vm *vm)
{
	return &vm->irq;
}

struct iotrap_bus *vmm_vm_pio(struct vmm_vm *vm)
{
	return &vm->pio;
}

const char *vmm_vm_name(const struct vmm_vm *vm)
{
	return vm->name;
}
