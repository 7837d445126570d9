/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * job_vhost.h - the vhost-user pieces of a running job (job_vhost.c): NICs of
 * Ferry's own VMs served by an external vhost-user backend.  The switch's
 * vhost-user ports are declared in job.h with the rest of the job.  Private
 * to cli/.
 */
#ifndef FERRY_CLI_JOB_VHOST_H
#define FERRY_CLI_JOB_VHOST_H

struct config_nic;
struct virtio_pci;
struct vmm_vm;
struct vu_frontend;

/*
 * A NIC whose "backend" is {"vhost-user": PATH}: connect to the backend
 * (it must be listening already), then put the frontend device on @vm's
 * virtio-pci bus as @name.  Returns the transport and stores the frontend in
 * *@fe; NULL (with the reason logged) on failure.  Tear down in the order
 * virtio_pci_destroy(), then vu_frontend_destroy(*@fe).
 */
struct virtio_pci *job_vhost_nic_create(struct vmm_vm *vm, const struct config_nic *c,
					const char *name, struct vu_frontend **fe);

#endif
