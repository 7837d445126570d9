/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * job_vhost.c - vhost-user in a running job (job.h, job_vhost.h): switch
 * ports whose peer speaks vhost-user (vhost/vhost_user.h, plugged in as
 * "vnet" ports of vswitch/), and VM NICs served by an external backend.
 *
 * A port goes up in the order vhost_user.h asks for - create, join the
 * switch, open the socket - and down in the reverse, so the switch and the
 * vhost-user thread never drive the device at the same time.  The ports of
 * a job live in a list here, tagged with their job: one `ferry run` has one
 * job, and job.h has no slot for them yet.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/job.h"
#include "cli/job_vhost.h"
#include "config/config.h"
#include "util/log.h"
#include "vhost/vhost_user.h"
#include "vmm/virtio_pci.h"
#include "vswitch/port_vnet.h"
#include "vswitch/vswitch.h"

struct job_vu_port {
	struct job_vu_port *next;
	struct job *job; /* the job it belongs to */
	char name[VSW_NAME_LEN];
	struct vu_port *vu;
	uint16_t port_id; /* its switch port */
};

static struct job_vu_port *job_vu_ports;

static struct job_vu_port **job_vu_find(struct job *j, const char *name)
{
	struct job_vu_port **pp;

	for (pp = &job_vu_ports; *pp; pp = &(*pp)->next)
		if ((*pp)->job == j && !strcmp((*pp)->name, name))
			return pp;
	return NULL;
}

/*
 * The MAC the device's config space shows the peer (GET_CONFIG): vhost-user
 * ports have none in the config, so derive a stable locally administered
 * one from the name.  The peer's own MAC is what the switch learns.
 */
static void job_vu_mac(const char *name, uint8_t mac[6])
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (const char *c = name; *c; c++)
		h = (h ^ (uint8_t)*c) * 16777619u;
	mac[0] = 0x02;
	mac[1] = 0xfe;
	memcpy(mac + 2, &h, 4);
}

static int job_vu_plug(struct job *j, struct job_vu_port *jp, const struct config_vhost_port *p)
{
	const struct config_tenant *t = config_find_tenant(j->cfg, p->tenant);
	struct vu_port_opts o = {
		.name = p->name,
		.path = p->path,
		.client = p->mode == CONFIG_VU_CLIENT,
		.queue_pairs = (uint16_t)p->queues,
		.no_tso = !p->tso,
		.packed = p->packed,
	};
	struct vsw_vnet_args args;
	int ret;

	if (!t || !j->sw)
		return -ENOENT;
	job_vu_mac(p->name, o.mac);
	jp->vu = vu_port_create(&o);
	if (!jp->vu)
		return -EINVAL;
	args = (struct vsw_vnet_args){ .dev = vu_port_dev(jp->vu) };
	ret = vsw_port_add(j->sw,
			   &(struct vsw_port_cfg){
				   .name = p->name, .kind = "vnet", .vni = t->vni, .args = &args },
			   &jp->port_id);
	if (ret)
		goto err_destroy;
	ret = vu_port_start(jp->vu);
	if (ret)
		goto err_remove;
	return 0;

err_remove:
	vsw_port_remove(j->sw, jp->port_id);
err_destroy:
	vu_port_destroy(jp->vu);
	return ret;
}

int job_vhost_port_add(struct job *j, const struct config_vhost_port *p)
{
	struct job_vu_port *jp;
	int ret;

	if (job_vu_find(j, p->name))
		return -EEXIST;
	jp = calloc(1, sizeof(*jp));
	if (!jp)
		return -ENOMEM;
	jp->job = j;
	snprintf(jp->name, sizeof(jp->name), "%s", p->name);
	ret = job_vu_plug(j, jp, p);
	if (ret) {
		LOG_ERR("cli", "vhost-user port '%s' on %s: %s", p->name, p->path, strerror(-ret));
		free(jp);
		return ret;
	}
	jp->next = job_vu_ports;
	job_vu_ports = jp;
	return 0;
}

static void job_vu_unplug(struct job_vu_port **pp)
{
	struct job_vu_port *jp = *pp;

	*pp = jp->next;
	vu_port_stop(jp->vu); /* the peer's rings stop while the switch still fences them */
	vsw_port_remove(jp->job->sw, jp->port_id);
	vu_port_destroy(jp->vu);
	free(jp);
}

int job_vhost_port_remove(struct job *j, const char *name)
{
	struct job_vu_port **pp = job_vu_find(j, name);

	if (!pp)
		return -ENOENT;
	job_vu_unplug(pp);
	return 0;
}

void job_vhost_ports_fini(struct job *j)
{
	struct job_vu_port **pp = &job_vu_ports;

	while (*pp) {
		if ((*pp)->job == j)
			job_vu_unplug(pp);
		else
			pp = &(*pp)->next;
	}
}

struct virtio_pci *job_vhost_nic_create(struct vmm_vm *vm, const struct config_nic *c,
					const char *name, struct vu_frontend **fe)
{
	struct vu_frontend_opts o = { .name = name, .path = c->backend.vhost_user_path };
	struct virtio_pci *vp;

	if (c->queues > 1)
		LOG_WARN("cli", "%s: a vhost-user backend NIC has one queue pair; %u asked for",
			 name, c->queues);
	memcpy(o.mac, c->mac, sizeof(o.mac));
	o.server = c->backend.mode == CONFIG_VU_SERVER;
	*fe = vu_frontend_create(&o);
	if (!*fe)
		return NULL;
	vp = virtio_pci_create(vm, vu_frontend_virtio_dev(*fe), name);
	if (!vp) {
		vu_frontend_destroy(*fe);
		*fe = NULL;
	}
	return vp;
}
