/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * host.c - what this host's KVM offers, for `ferry info` and for messages
 * that explain why a VM cannot start.  Read-only probes; no VM is created.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/compiler.h"
#include "vmm/vmm.h"

static const struct {
	int cap;
	const char *name;
} host_caps[] = {
	{ KVM_CAP_IRQCHIP, "irqchip" },
	{ KVM_CAP_PIT2, "pit2" },
	{ KVM_CAP_IRQFD, "irqfd" },
	{ KVM_CAP_IOEVENTFD, "ioeventfd" },
	{ KVM_CAP_IRQ_ROUTING, "irq-routing" },
	{ KVM_CAP_SIGNAL_MSI, "signal-msi" },
	{ KVM_CAP_X2APIC_API, "x2apic-api" },
	{ KVM_CAP_TSC_DEADLINE_TIMER, "tsc-deadline" },
	{ KVM_CAP_IMMEDIATE_EXIT, "immediate-exit" },
	{ KVM_CAP_COALESCED_MMIO, "coalesced-mmio" },
	{ KVM_CAP_READONLY_MEM, "readonly-mem" },
};

int vmm_print_host_info(FILE *f)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (kvm < 0) {
		fprintf(f, "kvm: unavailable (/dev/kvm: %s)\n", strerror(errno));
		return -errno;
	}
	fprintf(f, "kvm: api %d, max vcpus %d (recommended %d)\n",
		ioctl(kvm, KVM_GET_API_VERSION, 0),
		ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS),
		ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS));
	fprintf(f, "kvm capabilities:");
	for (size_t i = 0; i < ARRAY_SIZE(host_caps); i++)
		fprintf(f, " %s%s",
			ioctl(kvm, KVM_CHECK_EXTENSION, host_caps[i].cap) > 0 ? "+" : "-",
			host_caps[i].name);
	fprintf(f, "\n");
	close(kvm);
	return 0;
}
