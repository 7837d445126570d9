/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * main.c - the guest's ring-3 program on the BSP: checks start_info, parses
 * the kernel command line (key=value words, one table of options), runs the
 * selected mode (one table of modes) and exits through the debug port with
 * the mode's status.  cpu.c enters guest_main() once ring 0 is set up.
 *
 * Adding a mode: write a function taking the parsed options and returning an
 * EXIT_* status, print one FERRY-RESULT line, and list it in guest_modes[]
 * with the parser of its own keys, if it has any.  mode= is applied before
 * every other word, so the mode's parser knows the keys wherever mode= is.
 */
#include "apic.h"
#include "cpu.h"
#include "cpuid.h"
#include "fw.h"
#include "io.h"
#include "lib.h"
#include "mm.h"
#include "net.h"
#include "pci.h"
#include "ipnode.h"
#include "mq.h"
#include "nvme.h"
#include "pktgen.h"
#include "smp.h"
#include "start_info.h"
#include "svc.h"
#include "tsc.h"
#include "uart.h"

#define GUEST_VERSION "0.1"
#define CMDLINE_MAX 1024
#define MAX_WORDS 32
#define DEFAULT_TIMEOUT_MS 10000

/* Everything the command line can set. */
struct guest_opts {
	const struct guest_mode *mode; /* mode= */
	uint64_t exit_code; /* exit=, for mode=hello */
	uint64_t timeout_ms; /* timeout_ms=, for mode=smp, mode=net and pktgen's probe */
	enum fw_table table; /* table=auto|acpi|mp */
	const char *fault; /* fault=, for mode=fault */
	struct net_opts net; /* role=, tag=, peer=, ... for mode=net (net.h) */
	struct pktgen_opts pktgen; /* role=, size=, rate=, ... for mode=pktgen (pktgen.h) */
	struct ipnode_opts ip; /* ip=, ping=, ... for mode=ip (ipnode.h) */
	struct mq_opts mq; /* role=, peer=, count= for mode=mq (mq.h) */
	struct nvme_opts nvme; /* lba=, bad_dma=, hold_ms= for mode=nvme (nvme.h) */
	const struct hvm_start_info *si; /* not an option: the boot information */
	const char *cmdline; /* not an option: the command line as given */
};

struct guest_mode {
	const char *name;
	int (*run)(const struct guest_opts *o); /* returns an EXIT_* status */
	/* The mode's own keys: 0, -EINVAL (bad value) or -ENOENT (not a key); NULL: none. */
	int (*parse_opt)(struct guest_opts *o, const char *key, const char *val);
};

/* An option parser stores @val into @o; returns 0 or -EINVAL. */
struct guest_option {
	const char *key;
	int (*parse)(struct guest_opts *o, const char *val);
};

static char cmdline[CMDLINE_MAX];

void guest_exit(int code)
{
	outb(DEBUG_EXIT_PORT, (uint8_t)code);
	/*
	 * Still here: the VMM offers no debug-exit port (ferry --no-debug-exit).
	 * Say so and halt; the VM runs on until the VMM is stopped, as Ferry's
	 * e2e_boot_guest expects.
	 */
	con_log("exit %d: no debug-exit port, halting\n", code);
	svc_halt();
}

/* ---- modes ---- */

static void print_cpus(void)
{
	con_log("cpus: %u from the %s table%s\n", fw_cpus.count,
		fw_cpus.source == FW_TABLE_ACPI ? "ACPI MADT" :
		fw_cpus.source == FW_TABLE_MP	? "MP" :
						  "(none found, assuming 1)",
		fw_cpus.dropped ? " (more than the guest supports: ignored the rest)" : "");
}

static int mode_hello(const struct guest_opts *o)
{
	con_log("command line: \"%s\"\n", o->cmdline);
	con_log("memory: %lu KiB of RAM in a %u-entry map\n", mm_ram_bytes() / 1024,
		mm_nr_entries());
	print_cpus();
	const char *cpuid3 = cpuid_ring3_trapped() ? "trapped" : "native";

	con_log("tsc: %lu kHz (%s), x2apic %s, ring-3 cpuid %s\n", tsc_khz(),
		tsc_source_name(tsc_get_source()), apic_has_x2apic() ? "yes" : "no", cpuid3);
	con_printf(RESULT_PREFIX "mode=hello cpus=%u table=%s mem_kb=%lu tsc_khz=%lu tsc=%s "
				 "x2apic=%d cpuid3=%s exit=%lu\n",
		   fw_cpus.count, fw_table_name(fw_cpus.source), mm_ram_bytes() / 1024, tsc_khz(),
		   tsc_source_name(tsc_get_source()), apic_has_x2apic(), cpuid3, o->exit_code);
	return (int)o->exit_code;
}

static int mode_smp(const struct guest_opts *o)
{
	struct smp_result r;
	int rc;

	print_cpus();
	rc = smp_boot_aps(o->timeout_ms, NULL, &r);
	if (rc && rc != -ETIMEDOUT)
		con_log("could not start the APs: error %d\n", rc);
	con_log("%u of %u cpus online after %lu ms (apic mode %s)\n", r.online, r.cpus,
		r.elapsed_us / 1000, apic_mode_name(apic_get_mode()));
	con_printf(RESULT_PREFIX "mode=smp cpus=%u online=%u table=%s apic=%s ms=%lu\n", r.cpus,
		   r.online, fw_table_name(fw_cpus.source), apic_mode_name(apic_get_mode()),
		   r.elapsed_us / 1000);
	return rc ? EXIT_FAIL : EXIT_OK;
}

static void print_pci_dev(const struct pci_dev *d)
{
	char bars[160] = "";
	size_t len = 0;

	for (unsigned int n = 0; n < 6 && len < sizeof(bars); n++) {
		struct pci_bar b;

		if (pci_read_bar(d, n, true, &b) || !b.size)
			continue;
		len += (size_t)snprintf(bars + len, sizeof(bars) - len, " bar%u=%s:0x%lx+0x%lx", n,
					b.io   ? "io" :
					b.is64 ? "mem64" :
						 "mem32",
					b.addr, b.size);
		if (b.is64)
			n++;
	}
	con_log("pci %02x:%02x.%x %04x:%04x class %06x%s\n", d->bus, d->dev, d->fn, d->vendor,
		d->device, d->class_rev >> 8, bars);
	con_printf(RESULT_PREFIX "mode=pci bdf=%02x:%02x.%x id=%04x:%04x class=%06x%s\n", d->bus,
		   d->dev, d->fn, d->vendor, d->device, d->class_rev >> 8, bars);
}

static int mode_pci(const struct guest_opts *o)
{
	struct pci_dev devs[PCI_MAX_DEVS];
	unsigned int n = pci_enumerate(0, devs, PCI_MAX_DEVS);

	(void)o;
	for (unsigned int i = 0; i < n; i++)
		print_pci_dev(&devs[i]);
	con_printf(RESULT_PREFIX "mode=pci devices=%u\n", n);
	return n ? EXIT_OK : EXIT_FAIL;
}

/* Faults on purpose, so tests can check the fault report (exit 120). */
static int mode_fault(const struct guest_opts *o)
{
	volatile uint64_t zero = 0;

	con_log("raising fault=%s\n", o->fault);
	if (!strcmp(o->fault, "pf"))
		zero = *(volatile uint64_t *)0x100001000ULL; /* above the 4 GiB map */
	else if (!strcmp(o->fault, "de"))
		/* In asm: compilers turn an unsigned 1 / x into a compare. */
		__asm__ volatile("divq %0" : : "r"(zero), "a"(1), "d"(0) : "cc");
	else if (!strcmp(o->fault, "ud"))
		__asm__ volatile("ud2");
	else if (!strcmp(o->fault, "gp"))
		__asm__ volatile("hlt"); /* privileged: #GP in ring 3 */
	else if (!strcmp(o->fault, "ring0"))
		svc_call(SVC_FAULT, 0, 0);
	else if (!strcmp(o->fault, "triple"))
		svc_call(SVC_TRIPLE, 0, 0);
	con_log("fault=%s did not fault\n", o->fault);
	con_printf(RESULT_PREFIX "mode=fault fault=none\n");
	return EXIT_FAIL;
}

/* Traffic over virtio-net (net.c): the role's own result line and status. */
static int mode_net(const struct guest_opts *o)
{
	return net_run(&o->net, o->timeout_ms);
}

static int net_opt(struct guest_opts *o, const char *key, const char *val)
{
	return net_parse_opt(&o->net, key, val);
}

/*
 * Reports, then resets the machine through the PCI reset control register
 * (0xcf9: bit 1 hard reset, bit 2 do it), as a Linux guest's `reboot` does.
 * It tests what a VMM makes of a guest that ends without a verdict.
 */
#define PORT_RESET_CONTROL 0xcf9
#define RESET_HARD_NOW 0x06

static int mode_reset(const struct guest_opts *o)
{
	(void)o;
	con_printf(RESULT_PREFIX "mode=reset\n");
	outb(PORT_RESET_CONTROL, RESET_HARD_NOW);
	con_log("error: the reset control register did not reset the machine\n");
	return EXIT_FAULT;
}

/* Generated traffic and its measurement (pktgen.c): the role's result line and status. */
static int mode_pktgen(const struct guest_opts *o)
{
	return pktgen_run(&o->pktgen, o->timeout_ms);
}

static int pktgen_opt(struct guest_opts *o, const char *key, const char *val)
{
	return pktgen_parse_opt(&o->pktgen, key, val);
}

static int mode_ip(const struct guest_opts *o)
{
	return ipnode_run(&o->ip, o->timeout_ms);
}

static int ip_opt(struct guest_opts *o, const char *key, const char *val)
{
	return ipnode_parse_opt(&o->ip, key, val);
}

static int mode_mq(const struct guest_opts *o)
{
	return mq_run(&o->mq, o->timeout_ms);
}

static int mq_opt(struct guest_opts *o, const char *key, const char *val)
{
	return mq_parse_opt(&o->mq, key, val);
}

static int mode_nvme(const struct guest_opts *o)
{
	return nvme_run(&o->nvme, o->timeout_ms);
}

static int nvme_opt(struct guest_opts *o, const char *key, const char *val)
{
	return nvme_parse_opt(&o->nvme, key, val);
}

static const struct guest_mode guest_modes[] = {
	{ "hello", mode_hello, NULL }, { "smp", mode_smp, NULL },
	{ "pci", mode_pci, NULL },     { "fault", mode_fault, NULL },
	{ "net", mode_net, net_opt },  { "pktgen", mode_pktgen, pktgen_opt },
	{ "reset", mode_reset, NULL }, { "ip", mode_ip, ip_opt },
	{ "mq", mode_mq, mq_opt },     { "nvme", mode_nvme, nvme_opt },
};

/* ---- command line ---- */

static int opt_mode(struct guest_opts *o, const char *val)
{
	for (size_t i = 0; i < ARRAY_SIZE(guest_modes); i++) {
		if (!strcmp(val, guest_modes[i].name)) {
			o->mode = &guest_modes[i];
			return 0;
		}
	}
	return -EINVAL;
}

static int opt_exit(struct guest_opts *o, const char *val)
{
	if (parse_u64(val, &o->exit_code) || o->exit_code > 255)
		return -EINVAL;
	return 0;
}

static int opt_timeout(struct guest_opts *o, const char *val)
{
	/* Bounded so that microseconds times TSC kHz cannot overflow. */
	if (parse_u64(val, &o->timeout_ms) || !o->timeout_ms || o->timeout_ms > 3600000)
		return -EINVAL;
	return 0;
}

static int opt_table(struct guest_opts *o, const char *val)
{
	if (!strcmp(val, "auto"))
		o->table = FW_TABLE_NONE;
	else if (!strcmp(val, "acpi"))
		o->table = FW_TABLE_ACPI;
	else if (!strcmp(val, "mp"))
		o->table = FW_TABLE_MP;
	else
		return -EINVAL;
	return 0;
}

static int opt_fault(struct guest_opts *o, const char *val)
{
	static const char *const kinds[] = { "pf", "de", "ud", "gp", "ring0", "triple" };

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (!strcmp(val, kinds[i])) {
			o->fault = kinds[i];
			return 0;
		}
	}
	return -EINVAL;
}

static const struct guest_option guest_options[] = {
	{ "mode", opt_mode }, /* hello (default) | smp | pci | fault | net | pktgen */
	{ "exit", opt_exit }, /* 0-255: hello's exit status */
	{ "timeout_ms", opt_timeout }, /* smp: wait for the APs; net: the role's timeout */
	{ "table", opt_table }, /* auto | acpi | mp: firmware table for the CPUs */
	{ "fault", opt_fault }, /* pf | de | ud | gp | ring0: what mode=fault raises */
};

/* Splits @word at its '=' (in place) into the key and *@val; -EINVAL without one. */
static int split_word(char *word, char **val)
{
	char *eq = word;

	while (*eq && *eq != '=')
		eq++;
	if (!*eq) {
		con_log("error: \"%s\" is not key=value\n", word);
		return -EINVAL;
	}
	*eq = '\0';
	*val = eq + 1;
	return 0;
}

/* Applies one key=value word (modified in place); returns 0 or -EINVAL. */
static int parse_word(struct guest_opts *o, char *word)
{
	int rc = -ENOENT;
	char *val;

	if (split_word(word, &val))
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(guest_options); i++) {
		if (strcmp(word, guest_options[i].key))
			continue;
		rc = guest_options[i].parse(o, val);
		break;
	}
	/* Then the mode's own keys (net.h, pktgen.h keep their tables). */
	if (rc == -ENOENT && o->mode->parse_opt)
		rc = o->mode->parse_opt(o, word, val);
	if (rc == -ENOENT)
		con_log("error: unknown key \"%s\" for mode=%s\n", word, o->mode->name);
	else if (rc)
		con_log("error: bad value \"%s\" for %s\n", val, word);
	return rc ? -EINVAL : 0;
}

/* Splits @buf into words at blanks; returns how many, or -EINVAL for too many. */
static int split_words(char *buf, char **words)
{
	char *p = buf;
	int n = 0;

	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		if (n == MAX_WORDS) {
			con_log("error: more than %d words\n", MAX_WORDS);
			return -EINVAL;
		}
		words[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		if (*p)
			*p++ = '\0';
	}
	return n;
}

/* Applies the words of @buf, mode= first; returns 0 or -EINVAL. */
static int parse_cmdline(struct guest_opts *o, char *buf)
{
	char *words[MAX_WORDS];
	bool is_mode[MAX_WORDS];
	int n = split_words(buf, words);

	if (n < 0)
		return -EINVAL;
	for (int i = 0; i < n; i++) {
		is_mode[i] = !strncmp(words[i], "mode=", 5);
		if (is_mode[i] && parse_word(o, words[i]))
			return -EINVAL;
	}
	for (int i = 0; i < n; i++) {
		if (!is_mode[i] && parse_word(o, words[i]))
			return -EINVAL;
	}
	return 0;
}

/* Copies the command line out of VMM memory, bounded; NULL address = empty. */
static void copy_cmdline(const struct hvm_start_info *si, char *dst, char *parse_copy)
{
	const char *src = (const char *)(uintptr_t)si->cmdline_paddr;
	size_t len = 0;

	if (si->cmdline_paddr && si->cmdline_paddr < 0x100000000ULL)
		len = strnlen(src, CMDLINE_MAX - 1);
	memcpy(dst, src, len);
	dst[len] = '\0';
	memcpy(parse_copy, dst, len + 1);
}

void guest_main(uint64_t start_info_pa)
{
	const struct hvm_start_info *si = (const void *)(uintptr_t)start_info_pa;
	struct guest_opts o = { .mode = &guest_modes[0],
				.timeout_ms = DEFAULT_TIMEOUT_MS,
				.fault = "pf",
				.si = si,
				.cmdline = cmdline };
	char words[CMDLINE_MAX];

	net_opts_init(&o.net);
	pktgen_opts_init(&o.pktgen);
	ipnode_opts_init(&o.ip);
	mq_opts_init(&o.mq);
	nvme_opts_init(&o.nvme);
	uart_init();
	con_log("ferry-guest %s: booted through PVH, running in ring 3\n", GUEST_VERSION);
	if (!start_info_pa || start_info_pa >= 0x100000000ULL || si->magic != HVM_START_MAGIC) {
		con_log("error: bad start_info at 0x%lx\n", start_info_pa);
		con_printf(RESULT_PREFIX "error=start_info\n");
		guest_exit(EXIT_ABI);
	}
	copy_cmdline(si, cmdline, words);
	if (parse_cmdline(&o, words)) {
		con_printf(RESULT_PREFIX "error=cmdline\n");
		guest_exit(EXIT_USAGE);
	}
	cpu_fault_mode = o.mode->name;
	if (mm_init(si))
		con_log("warning: start_info version %u has no memory map\n", si->version);
	if (tsc_init())
		con_log("warning: TSC frequency unknown (no CPUID leaf, and the PIT gave no sane rate): assuming 1 GHz\n");
	/* Every mode, so that fault reports can name the CPU. */
	fw_find_cpus(o.table, si->rsdp_paddr);
	guest_exit(o.mode->run(&o));
}
