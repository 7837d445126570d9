/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * job.c - runs one validated config: the switch and its tenants, the VMs,
 * and each NIC as a virtio-net device (vhost/) on the VM's virtio-pci
 * transport (vmm/) plugged into the switch as a "vnet" port (vswitch/).
 * This is the only place the three meet; none of them knows the others.
 *
 * Teardown runs in the reverse of the order things were plugged in: the VMs
 * have stopped (runner_run), ports leave the switch (no PMD touches the
 * devices any more), transports leave the PCI bus, devices are freed, then
 * the VMs and finally the switch.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/job.h"
#include "cli/job_vhost.h"
#include "config/config.h"
#include "util/log.h"
#include "vhost/blk.h"
#include "vhost/net.h"
#include "vhost/vhost_user.h"
#include "vfio/vfio.h"
#include "vmm/virtio_pci.h"
#include "vswitch/port_vnet.h"
#include "vswitch/vswitch.h"

/* Keep each guest's structured result (vCPU thread; read after the join). */
static void job_console_line(void *opaque, const char *line, size_t len)
{
	struct job_vm *jv = opaque;

	if (len > 13 && strncmp(line, "FERRY-RESULT ", 13) == 0)
		snprintf(jv->result, sizeof(jv->result), "%s", line + 13);
}

/*
 * A job with a control socket or vhost-user ports serves until it is told to
 * stop; one with only VMs ends when they all have.
 */
static bool job_is_daemon(const struct ferry_config *cfg)
{
	return cfg->control.socket || cfg->n_vhost_ports > 0 || cfg->n_vms == 0 ||
	       cfg->n_xdp_acls > 0;
}

/* A switch runs whenever something could be plugged into it, now or later. */
static bool job_needs_switch(const struct ferry_config *cfg)
{
	for (unsigned int i = 0; i < cfg->n_vms; i++)
		if (cfg->vms[i].n_nics)
			return true;
	return cfg->n_vhost_ports > 0 || cfg->n_tenants > 0 || cfg->control.socket ||
	       cfg->n_uplinks > 0 || cfg->n_tap_ports > 0;
}

static void job_switch_opts(const struct config_switch *c, struct vsw_opts *o)
{
	vsw_opts_init(o);
	o->pmd_threads = c->pmd_threads;
	for (unsigned int i = 0; i < VSW_MAX_PMDS; i++)
		o->pmd_cpus[i] = i < c->n_pmd_cpus ? (int)c->pmd_cpus[i] : -1;
	o->idle_sleep_us = c->idle_sleep_us;
	o->burst = c->burst;
	o->mac_aging_s = c->mac_aging_s;
	o->eal.mbufs = c->mbufs;
	o->eal.hugepages = c->hugepages == CONFIG_HUGEPAGES_ON	? VSW_HUGE_ON :
			   c->hugepages == CONFIG_HUGEPAGES_OFF ? VSW_HUGE_OFF :
								  VSW_HUGE_AUTO;
}

static int job_start_switch(struct job *j)
{
	struct vsw_opts o;
	int ret;

	if (!job_needs_switch(j->cfg))
		return 0;
	job_switch_opts(&j->cfg->sw, &o);
	job_eal_pci(j->cfg, &o.eal);
	j->sw = vsw_create(&o);
	if (!j->sw)
		return -EIO;
	for (unsigned int i = 0; i < j->cfg->n_tenants; i++) {
		ret = vsw_tenant_add(j->sw, j->cfg->tenants[i].vni);
		if (ret) {
			LOG_ERR("cli", "tenants[%u]: cannot add VNI %u: %s", i,
				j->cfg->tenants[i].vni, strerror(-ret));
			return ret;
		}
	}
	ret = job_overlay_start(j);
	return ret ? ret : job_tap_ports_start(j);
}

static int job_add_nic(struct job *j, struct job_vm *jv, unsigned int k)
{
	const struct config_nic *c = &jv->cfg->nics[k];
	struct job_nic *n = &jv->nics[k];
	struct vnet_params p = {
		.name = n->name,
		.queue_pairs = (uint16_t)c->queues,
		.features = vnet_features(c->tso, c->packed),
	};
	struct vsw_vnet_args args;
	struct vsw_port_cfg pc;
	uint16_t id;
	int ret;

	snprintf(n->name, sizeof(n->name), "%s.%u", jv->cfg->name, k);
	if (c->backend.kind != CONFIG_BACKEND_SWITCH) {
		/* An external vhost-user backend serves this NIC's queues directly. */
		n->vp = job_vhost_nic_create(jv->vm, c, n->name, &n->fe);
		return n->vp ? 0 : -EIO;
	}
	memcpy(p.mac, c->mac, sizeof(p.mac));
	n->dev = vnet_create(&p);
	n->vp = n->dev ? virtio_pci_create(jv->vm, vnet_virtio_dev(n->dev), n->name) : NULL;
	if (!n->vp)
		return -EIO;
	args = (struct vsw_vnet_args){ .dev = n->dev, .has_mac = true };
	memcpy(args.mac, c->mac, sizeof(args.mac));
	pc = (struct vsw_port_cfg){ .name = n->name,
				    .kind = "vnet",
				    .vni = config_find_tenant(j->cfg, c->tenant)->vni,
				    .args = &args };
	ret = vsw_port_add(j->sw, &pc, &id);
	if (ret) {
		LOG_ERR("cli", "%s: cannot join the switch: %s", n->name, strerror(-ret));
		return ret;
	}
	n->port = id;
	return 0;
}

static int job_add_disk(struct job_vm *jv, unsigned int k)
{
	const struct config_disk *c = &jv->cfg->disks[k];
	struct job_disk *d = &jv->disks[k];
	char name[48];

	snprintf(name, sizeof(name), "%s.disk%u", jv->cfg->name, k);
	d->dev = vblk_create(&(struct vblk_params){
		.name = name, .path = c->path, .readonly = c->readonly, .serial = c->serial });
	d->vp = d->dev ? virtio_pci_create(jv->vm, vblk_virtio_dev(d->dev), name) : NULL;
	return d->vp ? 0 : -EIO;
}

/* The VM's passthrough devices, each refused (one line) unless the host can confine it. */
static int job_add_passthrough(const struct job *j, struct job_vm *jv)
{
	const struct config_vm *c = jv->cfg;
	long idx = c - j->cfg->vms;
	char where[64];
	int ret = 0;

	if (!c->n_passthrough)
		return 0;
	jv->vfio = vfio_vm_create(jv->vm);
	if (!jv->vfio)
		return -ENOMEM;
	for (unsigned int k = 0; !ret && k < c->n_passthrough; k++) {
		const struct config_passthrough *p = &c->passthrough[k];

		snprintf(where, sizeof(where), "vms[%ld].passthrough[%u] (%s)", idx, k,
			 p->pci ? p->pci : p->pf);
		ret = vfio_vm_add(jv->vfio,
				  &(struct vfio_pt_opts){ .pci = p->pci,
							  .pf = p->pf,
							  .vf = p->vf,
							  .allow_unsafe_interrupts =
								  p->allow_unsafe_interrupts },
				  where);
	}
	return ret;
}

static void job_vm_opts(struct job_vm *jv, bool several, struct vmm_opts *o)
{
	const struct config_vm *v = jv->cfg;

	snprintf(jv->prefix, sizeof(jv->prefix), "[%s] ", v->name);
	*o = (struct vmm_opts){
		.name = v->name,
		.mem_size = v->memory,
		.vcpus = v->vcpus,
		.hugepages = v->hugepages,
		.kernel = v->kernel,
		.initrd = v->initrd,
		.cmdline = v->cmdline,
		.console_fd = v->console.log ? -1 : STDOUT_FILENO,
		.console_in_fd = v->console.use_stdin ? STDIN_FILENO : -1,
		.console_log = v->console.log,
		.debug_exit = v->debug_exit,
		.console_prefix = several ? jv->prefix : NULL,
		.console_line = job_console_line,
		.console_opaque = jv,
	};
}

int job_vm_add(struct job *j, const struct config_vm *c, struct job_vm **out)
{
	struct job_vm *jv = NULL;
	struct vmm_opts o;
	int ret;

	for (unsigned int i = 0; i < JOB_MAX_VMS && !jv; i++)
		if (!j->vms[i].used)
			jv = &j->vms[i];
	if (!jv)
		return -ENOSPC;
	memset(jv, 0, sizeof(*jv));
	jv->used = true;
	jv->cfg = c;
	jv->slot = -1;
	snprintf(jv->name, sizeof(jv->name), "%s", c->name);
	for (unsigned int k = 0; k < JOB_MAX_NICS; k++)
		jv->nics[k].port = -1;
	if (c->n_nics > JOB_MAX_NICS) {
		LOG_ERR("cli", "%s.nics: at most %d NICs per VM", c->name, JOB_MAX_NICS);
		return -EINVAL;
	}
	/* A VM the API adds shares the console with others: it gets a prefix. */
	job_vm_opts(jv, j->cfg->n_vms > 1 || j->r_running, &o);
	ret = runner_add_vm(j->r, &o, &jv->vm);
	jv->slot = ret;
	for (unsigned int k = 0; ret >= 0 && k < c->n_nics; k++) {
		ret = job_add_nic(j, jv, k);
		jv->n_nics = k + 1; /* so teardown sees a half-built NIC too */
	}
	for (unsigned int k = 0; ret >= 0 && k < c->n_disks && k < JOB_MAX_DISKS; k++) {
		ret = job_add_disk(jv, k);
		jv->n_disks = k + 1;
	}
	if (ret >= 0)
		ret = job_add_passthrough(j, jv);
	if (out)
		*out = jv;
	return ret < 0 ? ret : 0;
}

/* The NICs leave the switch (no PMD touches their devices after), then go; the disks too. */
static void job_vm_nics_free(struct job *j, struct job_vm *jv)
{
	for (unsigned int k = 0; k < jv->n_nics; k++) {
		struct job_nic *n = &jv->nics[k];

		if (n->port >= 0)
			vsw_port_remove(j->sw, (uint16_t)n->port);
		/* Its reconnect thread raises the transport's interrupts: it stops first. */
		vu_frontend_stop(n->fe);
		virtio_pci_destroy(n->vp);
		vu_frontend_destroy(n->fe);
		vnet_destroy(n->dev);
	}
	jv->n_nics = 0;
	/* The transport stops the disk's queue (and its I/O thread) before the disk goes. */
	for (unsigned int k = 0; k < jv->n_disks; k++) {
		virtio_pci_destroy(jv->disks[k].vp);
		vblk_destroy(jv->disks[k].dev);
	}
	jv->n_disks = 0;
	vfio_vm_destroy(jv->vfio);
	jv->vfio = NULL;
}

/* Its NICs leave the switch, then the VM goes; the slot is free again. */
void job_vm_free(struct job *j, struct job_vm *jv)
{
	job_vm_nics_free(j, jv);
	if (jv->vm)
		runner_remove_vm(j->r, jv->vm);
	memset(jv, 0, sizeof(*jv));
}

void job_relink(struct job *j)
{
	for (unsigned int i = 0; i < JOB_MAX_VMS; i++)
		if (j->vms[i].used)
			j->vms[i].cfg = config_find_vm(j->cfg, j->vms[i].name);
}

struct job_vm *job_find_vm(struct job *j, const char *name)
{
	for (unsigned int i = 0; name && i < JOB_MAX_VMS; i++)
		if (j->vms[i].used && strcmp(j->vms[i].name, name) == 0)
			return &j->vms[i];
	return NULL;
}

static struct job_vm *job_vm_of_slot(struct job *j, unsigned int slot)
{
	for (unsigned int i = 0; i < JOB_MAX_VMS; i++)
		if (j->vms[i].used && j->vms[i].slot == (int)slot)
			return &j->vms[i];
	return NULL;
}

/*
 * A VM ended: its NICs are down, so the stations behind them are gone from
 * the switch's tables (and from EVPN); the ports stay for the summary.
 */
static void job_vm_ended(void *arg, unsigned int slot)
{
	struct job *j = arg;
	struct job_vm *jv = job_vm_of_slot(j, slot);

	for (unsigned int k = 0; jv && j->sw && k < jv->n_nics; k++)
		if (jv->nics[k].port >= 0)
			vsw_port_forget_macs(j->sw, (uint16_t)jv->nics[k].port);
}

static void job_teardown(struct job *j)
{
	ctl_stop(j);
	job_filters_stop(j);
	job_vhost_ports_fini(j);
	for (unsigned int i = 0; j->vms && i < JOB_MAX_VMS; i++)
		if (j->vms[i].used)
			job_vm_nics_free(j, &j->vms[i]);
	runner_destroy(j->r);
	vsw_destroy(j->sw);
	free(j->vms);
}

/* ---- the summary: what each guest reported, and what the switch saw ---- */

/*
 * What one VM's end says about its checks.  Only a guest that wrote 0 to the
 * debug-exit port declared that its checks held.  A guest given that port
 * (a test guest) that ends any other way failed; one without it (Linux)
 * ends by reset or power-off with no verdict, which is not a failure.
 */
enum job_verdict {
	JOB_PASSED,
	JOB_FAILED,
	JOB_ENDED, /* reset or power-off, with no debug-exit port: no verdict to give */
	JOB_STOPPED, /* stopped by a signal before it ended */
};

static enum job_verdict job_vm_verdict(const struct job_vm *jv, const struct vmm_exit *e)
{
	switch (e->kind) {
	case VMM_EXIT_DEBUG:
		return e->status == 0 ? JOB_PASSED : JOB_FAILED;
	case VMM_EXIT_STOPPED:
		return JOB_STOPPED;
	case VMM_EXIT_RESET:
	case VMM_EXIT_POWEROFF:
		return jv->cfg->debug_exit ? JOB_FAILED : JOB_ENDED;
	default:
		return JOB_FAILED;
	}
}

static const char *const verdict_words[] = {
	[JOB_PASSED] = "passed",
	[JOB_FAILED] = "FAILED",
	[JOB_ENDED] = "ended",
	[JOB_STOPPED] = "stopped",
};

/*
 * The job's exit status: the first failed VM's own status (its debug-exit
 * value, 3 for a triple fault, 1 otherwise, never 0); 0 when none failed.
 */
/* The exit of a VM that ran (started at some point); NULL for one created and never booted. */
static const struct vmm_exit *job_vm_exit(const struct job *j, const struct job_vm *jv)
{
	enum runner_vm_state s = jv->used && jv->vm ? runner_vm_state(j->r, jv->vm) :
						      RUNNER_VM_GONE;

	return s == RUNNER_VM_CREATED || s == RUNNER_VM_GONE ?
		       NULL :
		       runner_vm_exit(j->r, (unsigned int)jv->slot);
}

static int job_status(const struct job *j)
{
	for (unsigned int i = 0; i < JOB_MAX_VMS; i++) {
		const struct vmm_exit *e = job_vm_exit(j, &j->vms[i]);
		int st = e ? vmm_exit_status(e) : 0;

		if (e && job_vm_verdict(&j->vms[i], e) == JOB_FAILED)
			return st ? st : CLI_EXIT_ERROR;
	}
	return 0;
}

/* The last line says what the table says: "passed" only if every VM passed. */
static void job_print_verdict(const struct job *j)
{
	unsigned int count[ARRAY_SIZE(verdict_words)] = { 0 }, ran = 0;

	for (unsigned int i = 0; i < JOB_MAX_VMS; i++) {
		const struct vmm_exit *e = job_vm_exit(j, &j->vms[i]);

		if (e) {
			count[job_vm_verdict(&j->vms[i], e)]++;
			ran++;
		}
	}
	if (count[JOB_FAILED])
		printf("\nferry: %u of %u VMs FAILED (see above)\n", count[JOB_FAILED], ran);
	else if (count[JOB_PASSED] == ran)
		printf("\nferry: every VM passed its checks\n");
	else
		printf("\nferry: no VM failed; %u ended without a verdict, %u stopped\n",
		       count[JOB_ENDED], count[JOB_STOPPED]);
}

/* The result keys worth a column in the summary, in the order shown. */
static const char *const summary_keys[] = {
	"mode",	   "role", "sent",	 "received", "echoed", "lost",	 "bcast_rx",
	"foreign", "bad",  "rtt_p50_us", "pps",	     "cpus",   "online",
};

/* "k=v ..." keeping only summary_keys; returns the sum of foreign= seen. */
static unsigned long job_compact(const char *result, char *out, size_t len)
{
	unsigned long foreign = 0;
	size_t n = 0;

	out[0] = '\0';
	for (size_t k = 0; k < ARRAY_SIZE(summary_keys); k++) {
		size_t kl = strlen(summary_keys[k]);

		for (const char *p = result; (p = strstr(p, summary_keys[k])); p += kl) {
			if ((p != result && p[-1] != ' ') || p[kl] != '=')
				continue;
			n += (size_t)snprintf(out + n, n < len ? len - n : 0, "%s%.*s",
					      n ? " " : "", (int)strcspn(p, " "), p);
			if (!strcmp(summary_keys[k], "foreign"))
				foreign += strtoul(p + kl + 1, NULL, 10);
			break;
		}
	}
	return foreign;
}

static void job_print_vms(const struct job *j)
{
	unsigned long foreign = 0;
	char line[RESULT_MAX];

	printf("\n%-10s %-8s %-8s %s\n", "vm", "tenant", "result", "guest report");
	for (unsigned int i = 0; i < JOB_MAX_VMS; i++) {
		const struct job_vm *jv = &j->vms[i];
		const struct vmm_exit *e = job_vm_exit(j, jv);

		if (!jv->used || !jv->cfg)
			continue;
		foreign += job_compact(jv->result, line, sizeof(line));
		printf("%-10s %-8s %-8s %s\n", jv->cfg->name,
		       jv->cfg->n_nics && jv->cfg->nics[0].tenant ? jv->cfg->nics[0].tenant : "-",
		       e ? verdict_words[job_vm_verdict(jv, e)] : "created",
		       jv->result[0] ? line :
		       e	     ? e->reason :
				       "never booted");
	}
	if (j->cfg->n_tenants > 1)
		printf("frames delivered across tenants (sum of guests' foreign counts): %lu\n",
		       foreign);
}

/* Frames the switch forwarded to a port that its guest could not take. */
static uint64_t port_undelivered(const struct vsw_port_stats *st)
{
	return st->drv.tx_errors + st->drops[VSW_DROP_TX];
}

/* The same for every port of @vni. */
static uint64_t job_undelivered(struct job *j, uint32_t vni)
{
	uint16_t ids[VSW_MAX_PORTS];
	unsigned int n = vsw_port_ids(j->sw, ids, VSW_MAX_PORTS);
	struct vsw_port_stats st;
	uint64_t sum = 0;

	for (unsigned int i = 0; i < n; i++)
		if (vsw_port_stats(j->sw, ids[i], &st) == 0 && st.vni == vni)
			sum += port_undelivered(&st);
	return sum;
}

/*
 * One row per guest NIC: a tenant's totals cannot say which guest missed
 * frames (a sender that posts no receive buffers counts there too).
 */
static void job_print_nics(struct job *j)
{
	struct vsw_port_stats st;

	printf("\n%-16s %10s %10s %11s %8s\n", "nic", "from guest", "to guest", "undelivered",
	       "dropped");
	for (unsigned int i = 0; i < JOB_MAX_VMS; i++) {
		for (unsigned int n = 0; j->vms[i].used && n < j->vms[i].n_nics; n++) {
			const struct job_nic *jn = &j->vms[i].nics[n];
			uint64_t dropped = 0;

			if (jn->port < 0 || vsw_port_stats(j->sw, (uint16_t)jn->port, &st))
				continue;
			for (unsigned int d = 0; d < VSW_DROP_MAX; d++)
				dropped += d == VSW_DROP_TX ? 0 : st.drops[d];
			printf("%-16s %10llu %10llu %11llu %8llu\n", jn->name,
			       (unsigned long long)st.rx_packets,
			       (unsigned long long)st.tx_delivered,
			       (unsigned long long)port_undelivered(&st),
			       (unsigned long long)dropped);
		}
	}
}

static void job_print_switch(struct job *j)
{
	struct vsw_tenant_stats ts;
	struct vsw_pmd_stats ps;

	printf("\n%-8s %6s %10s %10s %10s %8s %11s %7s\n", "tenant", "vni", "rx frames", "unicast",
	       "flooded", "dropped", "undelivered", "macs");
	for (unsigned int i = 0; i < j->cfg->n_tenants; i++) {
		const struct config_tenant *t = &j->cfg->tenants[i];

		if (vsw_tenant_stats(j->sw, t->vni, &ts))
			continue;
		printf("%-8s %6u %10llu %10llu %10llu %8llu %11llu %7u\n", t->name, t->vni,
		       (unsigned long long)ts.rx_packets, (unsigned long long)ts.unicast,
		       (unsigned long long)ts.flooded, (unsigned long long)ts.dropped,
		       (unsigned long long)job_undelivered(j, t->vni), ts.fdb_entries);
	}
	printf("(dropped: refused on ingress; undelivered: the guest had no receive buffer)\n");
	job_print_nics(j);
	job_print_overlay(j);
	job_print_wg(j);
	for (unsigned int p = 0; p < vsw_pmd_count(j->sw); p++) {
		if (vsw_pmd_stats(j->sw, p, &ps) || !ps.wakeups_measured)
			continue;
		printf("pmd%u: %llu sleeps; wake-up latency min/avg/max %.1f/%.1f/%.1f us\n", p,
		       (unsigned long long)ps.sleeps, ps.wake_lat_min_ns / 1e3,
		       ps.wake_lat_sum_ns / 1e3 / ps.wakeups_measured, ps.wake_lat_max_ns / 1e3);
	}
}

static bool job_has_vms(const struct job *j)
{
	for (unsigned int i = 0; i < JOB_MAX_VMS; i++)
		if (j->vms[i].used)
			return true;
	return false;
}

int job_run(struct ferry_config *cfg, bool summary)
{
	struct job j = { .cfg = cfg };
	int ret, status = CLI_EXIT_ERROR;

	j.vms = calloc(JOB_MAX_VMS, sizeof(*j.vms));
	j.r = runner_create();
	if (!j.vms || !j.r)
		goto out;
	runner_on_vm_end(j.r, job_vm_ended, &j);
	ret = job_start_switch(&j);
	if (!ret)
		ret = job_filters_start(&j);
	if (!ret && cfg->n_vms > JOB_MAX_VMS)
		ret = -ENOSPC;
	for (unsigned int i = 0; !ret && i < cfg->n_vms; i++)
		ret = job_vm_add(&j, &cfg->vms[i], NULL);
	for (unsigned int i = 0; !ret && i < cfg->n_vhost_ports; i++)
		ret = job_vhost_port_add(&j, &cfg->vhost_ports[i]);
	if (!ret && cfg->control.socket)
		ret = ctl_start(&j, cfg->control.socket);
	if (ret)
		goto out;
	j.r_running = true;
	status = runner_run(j.r, job_is_daemon(cfg));
	if (status != CLI_EXIT_ERROR)
		status = job_status(&j);
	if (summary && job_has_vms(&j)) {
		job_print_vms(&j);
		if (j.sw)
			job_print_switch(&j);
		job_print_verdict(&j);
	}
out:
	job_teardown(&j);
	return status;
}
