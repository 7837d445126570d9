/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * job_vhost.c - vhost-user ports of a running job (see job.h).
 *
 * Until the vhost-user backend lands in vhost/, a config or control request
 * that asks for a vhost-user port is refused with a clear reason.
 */
#include <errno.h>

#include "config/cli/job.h"
#include "util/log.h"

int job_vhost_port_add(struct job *j, const struct config_vhost_port *p)
{
	(void)j;
	LOG_ERR("cli", "vhost-user port '%s': vhost-user is not built into this ferry yet",
		p->name);
	return -ENOTSUP;
}

int job_vhost_port_remove(struct job *j, const char *name)
{
	(void)j;
	(void)name;
	return -ENOENT;
}

void job_vhost_ports_fini(struct job *j)
{
	(void)j;
}
