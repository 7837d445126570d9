/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * job.h - the state of one `ferry run`, shared by job.c (building and tearing
 * it down) and ctl.c (the control socket that changes it at run time).
 * Private to cli/.
 */
#ifndef FERRY_CLI_JOB_H
#define FERRY_CLI_JOB_H

#include <stdbool.h>

#include <jansson.h>

#include "config/config.h"
#include "vswitch/vswitch.h"

#define JOB_MAX_NICS 8
#define RESULT_MAX 512

struct job_nic {
	char name[VSW_NAME_LEN];
	struct vnet_dev *dev;
	struct virtio_pci *vp;
	struct vu_frontend *fe; /* vhost-user backend NIC (job_vhost.c), else NULL */
	int port; /* switch port id, -1 if none */
};

/* A virtio-blk disk of a VM (vhost/blk.h) on its PCI bus. */
struct job_disk {
	struct vblk *dev;
	struct virtio_pci *vp;
};

#define JOB_MAX_DISKS 8

#define JOB_MAX_VMS 64 /* slots: a slot never moves, so threads may hold a job_vm */

struct vfio_vm;

struct job_vm {
	bool used;
	char name[64]; /* what cfg is found by again after the config's VM array changed */
	const struct config_vm *cfg; /* NULL once the VM is deleted */
	struct vmm_vm *vm;
	int slot; /* the runner's */
	char prefix[48]; /* console line prefix: "[name] " */
	char result[RESULT_MAX]; /* the guest's last FERRY-RESULT line */
	unsigned int n_nics;
	struct job_nic nics[JOB_MAX_NICS];
	unsigned int n_disks;
	struct job_disk disks[JOB_MAX_DISKS];
	struct vfio_vm *vfio; /* its passed-through devices, NULL if none */
};

struct ctl_server;
struct job_acl;

struct job {
	struct ferry_config *cfg; /* what runs now: the file plus run-time changes */
	struct vsw *sw;
	struct runner *r;
	struct job_vm *vms; /* JOB_MAX_VMS slots: the config's VMs first, then the API's */
	struct ctl_server *ctl; /* NULL without a control socket */
	struct job_acl *acls; /* one per cfg->xdp_acls[] (job_filter.c) */
	bool r_running; /* the runner's loop has begun: VMs added now wait for a boot */
};

/*
 * vhost-user ports of the switch (job_vhost.c): add one from a parsed config
 * item (not yet in j->cfg), remove one by name (-ENOENT if unknown).
 */
int job_vhost_port_add(struct job *j, const struct config_vhost_port *p);
int job_vhost_port_remove(struct job *j, const char *name);
void job_vhost_ports_fini(struct job *j);

/*
 * The overlay (job_overlay.c): start it from the config (after the tenants),
 * put one tenant on it (also for the control socket's tenant-add), add DPDK
 * uplinks' PCI devices to the EAL's allow list, print the summary's part.
 */
int job_overlay_start(struct job *j);
int job_tenant_overlay(struct job *j, const struct config_tenant *t);
void job_eal_pci(const struct ferry_config *cfg, struct vsw_eal_opts *o);
void job_print_overlay(struct job *j);
/*
 * The WireGuard tunnel (job_wg.c): started by job_overlay_start() before the
 * tenants; peers added (a JSON peer, checked as in a file) and removed (by
 * public key) at run time; `ferryctl wg`'s JSON; the summary's part.
 */
int job_wg_start(struct job *j);
int job_wg_peer_add(struct job *j, json_t *peer, struct config_error *err);
int job_wg_peer_remove(struct job *j, const char *public_key, struct config_error *err);
json_t *job_wg_json(struct job *j);
void job_print_wg(struct job *j);
/* The config's tap_ports, after the tenants. */
int job_tap_ports_start(struct job *j);

/*
 * Host-side XDP filtering (job_filter.c): the uplink filter and the access
 * lists; a rule added at @index (-1: at the end) or deleted by index, checked
 * as in a file; and what `ferryctl filter list` shows.
 */
int job_filters_start(struct job *j);
void job_filters_stop(struct job *j);
int job_filter_add(struct job *j, const char *ifname, json_t *rule, int index,
		   struct config_error *err);
int job_filter_del(struct job *j, const char *ifname, int index, struct config_error *err);
json_t *job_filters_json(struct job *j);

/* ctl.c: serve the control socket at @path from the runner's main loop. */
/*
 * job.c, for the API (job_api.c): create a VM from an item added to j->cfg
 * (its NICs join the switch), and take it apart again once it has ended or
 * before it ever ran; re-find each VM's config after the array changed.
 */
int job_vm_add(struct job *j, const struct config_vm *c, struct job_vm **out);
void job_vm_free(struct job *j, struct job_vm *jv);
void job_relink(struct job *j);
struct job_vm *job_find_vm(struct job *j, const char *name);

int ctl_start(struct job *j, const char *path);
void ctl_stop(struct job *j);
/* One request object ({"cmd": ...}) of the control protocol; the response ("ok": true/false). */
json_t *ctl_run(struct job *j, json_t *req);

/* http.c: REST and /metrics on the control socket, on the main loop. */
struct http_server;
int http_start(struct job *j, struct http_server **out);
void http_stop(struct job *j, struct http_server *h);
/* Take over accepted connection @fd, whose first bytes (unread) are an HTTP request. */
int http_adopt(struct http_server *h, int fd);
/* metrics.c: the OpenMetrics text of the switch, tenants, PMDs and VMs; malloc'ed. */
char *metrics_text(struct job *j);

#endif
