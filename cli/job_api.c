/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * job_api.c - VMs at run time, for the control socket and REST (ctl.c,
 * http.c): create (its NICs join the switch), boot, pause, resume, shut
 * down, delete, list.  A VM item is checked by the same tables as a config
 * file's vms[] (config_parse_vm), so an error names the key path.
 *
 * States: created (never booted), running, paused, ended.  Shutting down is
 * a forced stop for now: Ferry offers guests no ACPI power button yet.
 * Deleting needs a VM that is not running; its ports leave the switch and
 * its slot is reused.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/job.h"
#include "cli/job_api.h"
#include "vmm/vmm.h"

static const char *const state_names[] = {
	[RUNNER_VM_CREATED] = "created", [RUNNER_VM_RUNNING] = "running",
	[RUNNER_VM_PAUSED] = "paused",	 [RUNNER_VM_ENDED] = "ended",
	[RUNNER_VM_GONE] = "gone",
};

static json_t *api_ok(void)
{
	return json_pack("{s:b}", "ok", 1);
}

/* The VM a request names, or NULL after saying why in @err. */
static struct job_vm *api_vm(struct job *j, json_t *req, struct config_error *err)
{
	const char *name = json_string_value(json_object_get(req, "name"));
	struct job_vm *jv = job_find_vm(j, name);

	if (!name)
		snprintf(err->msg, sizeof(err->msg), "name: a string is required");
	else if (!jv)
		snprintf(err->msg, sizeof(err->msg), "name: no VM '%.64s'", name);
	return jv;
}

static enum runner_vm_state api_state(struct job *j, const struct job_vm *jv)
{
	return runner_vm_state(j->r, jv->vm);
}

static json_t *api_vm_json(struct job *j, const struct job_vm *jv)
{
	const struct vmm_exit *e = NULL;
	enum runner_vm_state s = api_state(j, jv);
	json_t *nics = json_array();
	uint64_t pio = 0, mmio = 0;

	if (s == RUNNER_VM_ENDED)
		e = runner_vm_exit(j->r, (unsigned int)jv->slot);
	vmm_vm_exit_counts(jv->vm, &pio, &mmio);
	for (unsigned int k = 0; k < jv->n_nics; k++) {
		struct vsw_port_stats st;
		const struct job_nic *n = &jv->nics[k];

		if (n->port >= 0 && j->sw && vsw_port_stats(j->sw, (uint16_t)n->port, &st) == 0)
			json_array_append_new(
				nics, json_pack("{s:s, s:I, s:I, s:I}", "port", n->name,
						"rx_packets", (json_int_t)st.rx_packets,
						"tx_packets", (json_int_t)st.tx_packets,
						"tx_delivered", (json_int_t)st.tx_delivered));
		else
			json_array_append_new(nics, json_pack("{s:s}", "port", n->name));
	}
	return json_pack("{s:s, s:s, s:i, s:I, s:o, s:{s:I, s:I}, s:s, s:s?}", "name", jv->name,
			 "state", state_names[s], "vcpus", jv->cfg ? (int)jv->cfg->vcpus : 0,
			 "memory", jv->cfg ? (json_int_t)jv->cfg->memory : 0, "nics", nics, "exits",
			 "pio", (json_int_t)pio, "mmio", (json_int_t)mmio, "result", jv->result,
			 "ended", e ? e->reason : NULL);
}

json_t *api_vm_list(struct job *j, json_t *req, struct config_error *err)
{
	json_t *r = api_ok(), *vms = json_array();

	(void)req;
	(void)err;
	for (unsigned int i = 0; i < JOB_MAX_VMS; i++)
		if (j->vms[i].used)
			json_array_append_new(vms, api_vm_json(j, &j->vms[i]));
	json_object_set_new(r, "vms", vms);
	return r;
}

json_t *api_vm_info(struct job *j, json_t *req, struct config_error *err)
{
	struct job_vm *jv = api_vm(j, req, err);
	json_t *r;

	if (!jv)
		return NULL;
	r = api_ok();
	json_object_set_new(r, "vm", api_vm_json(j, jv));
	return r;
}

json_t *api_vm_create(struct job *j, json_t *req, struct config_error *err)
{
	struct config_vm *v;
	struct job_vm *jv = NULL;
	char name[64];
	int ret;

	if (config_parse_vm(j->cfg, json_object_get(req, "vm"), "vm", &v, err))
		return NULL;
	snprintf(name, sizeof(name), "%s", v->name);
	ret = config_add_vm(j->cfg, v);
	if (ret) {
		config_vm_free(v);
		snprintf(err->msg, sizeof(err->msg), "vm: cannot add '%s': %s", name,
			 strerror(-ret));
		return NULL;
	}
	job_relink(j);
	ret = job_vm_add(j, config_find_vm(j->cfg, name), &jv);
	if (!ret && json_is_true(json_object_get(req, "boot")))
		ret = runner_boot_vm(j->r, jv->vm);
	if (ret) {
		if (jv)
			job_vm_free(j, jv);
		config_remove_vm(j->cfg, name);
		job_relink(j);
		snprintf(err->msg, sizeof(err->msg), "vm: cannot create '%s': %s", name,
			 strerror(-ret));
		return NULL;
	}
	return api_ok();
}

#define SHUTDOWN_GRACE_S 10 /* what a guest gets to answer its power button by default */

/*
 * "timeout": seconds the guest has to power off after the ACPI power button
 * before it is stopped (default SHUTDOWN_GRACE_S; 0 stops it at once).
 */
static int api_shutdown(struct job *j, struct job_vm *jv, json_t *req, struct config_error *err)
{
	json_t *t = json_object_get(req, "timeout");
	json_int_t grace = SHUTDOWN_GRACE_S;

	if (t && json_is_string(t)) {
		char *end;
		long v = strtol(json_string_value(t), &end, 10);

		grace = *end || end == json_string_value(t) ? -1 : v;
	} else if (t) {
		grace = json_is_integer(t) ? json_integer_value(t) : -1;
	}
	if (grace < 0 || grace > 3600) {
		snprintf(err->msg, sizeof(err->msg), "timeout: seconds from 0 to 3600");
		return -EINVAL;
	}
	return runner_shutdown_vm(j->r, jv->vm, (unsigned int)grace * 1000u);
}

/* boot, pause, resume, shutdown: each from the states it makes sense in. */
json_t *api_vm_action(struct job *j, json_t *req, struct config_error *err)
{
	const char *action = json_string_value(json_object_get(req, "action"));
	struct job_vm *jv = api_vm(j, req, err);
	enum runner_vm_state s;
	int ret = -EINVAL;

	if (!jv)
		return NULL;
	s = api_state(j, jv);
	if (!action) {
		snprintf(err->msg, sizeof(err->msg), "action: a string is required");
		return NULL;
	}
	if (!strcmp(action, "boot") && s == RUNNER_VM_CREATED)
		ret = runner_boot_vm(j->r, jv->vm);
	else if (!strcmp(action, "pause") && s == RUNNER_VM_RUNNING)
		ret = vmm_vm_pause(jv->vm);
	else if (!strcmp(action, "resume") && s == RUNNER_VM_PAUSED)
		ret = (vmm_vm_resume(jv->vm), 0);
	else if (!strcmp(action, "shutdown") && (s == RUNNER_VM_RUNNING || s == RUNNER_VM_PAUSED))
		ret = api_shutdown(j, jv, req, err);
	else if (strcmp(action, "boot") && strcmp(action, "pause") && strcmp(action, "resume") &&
		 strcmp(action, "shutdown")) {
		snprintf(err->msg, sizeof(err->msg),
			 "action: '%.32s' is not boot, pause, resume or shutdown", action);
		return NULL;
	} else {
		snprintf(err->msg, sizeof(err->msg), "name: VM '%s' is %s: cannot %s it", jv->name,
			 state_names[s], action);
		return NULL;
	}
	if (ret && err->msg[0])
		return NULL;
	if (ret) {
		snprintf(err->msg, sizeof(err->msg), "name: cannot %s VM '%s': %s", action,
			 jv->name, strerror(-ret));
		return NULL;
	}
	return api_ok();
}

json_t *api_vm_delete(struct job *j, json_t *req, struct config_error *err)
{
	struct job_vm *jv = api_vm(j, req, err);
	enum runner_vm_state s;
	char name[64];

	if (!jv)
		return NULL;
	s = api_state(j, jv);
	if (s == RUNNER_VM_RUNNING || s == RUNNER_VM_PAUSED) {
		snprintf(err->msg, sizeof(err->msg), "name: VM '%s' is %s: shut it down first",
			 jv->name, state_names[s]);
		return NULL;
	}
	snprintf(name, sizeof(name), "%s", jv->name);
	job_vm_free(j, jv);
	config_remove_vm(j->cfg, name);
	job_relink(j);
	return api_ok();
}
