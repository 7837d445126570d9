/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * job_api.h - VMs at run time (job_api.c): control commands, in ctl.c's
 * table and behind http.c's /v1/vms resources.
 */
#ifndef FERRY_CLI_JOB_API_H
#define FERRY_CLI_JOB_API_H

#include <jansson.h>

#include "cli/job.h"
#include "config/config.h"

/* {"cmd": "vm-list"} */
json_t *api_vm_list(struct job *j, json_t *req, struct config_error *err);
/* {"cmd": "vm-info", "name": ...} */
json_t *api_vm_info(struct job *j, json_t *req, struct config_error *err);
/* {"cmd": "vm-create", "vm": {a vms[] item}, "boot": true|false} */
json_t *api_vm_create(struct job *j, json_t *req, struct config_error *err);
/* {"cmd": "vm-action", "name": ..., "action": "boot"|"pause"|"resume"|"shutdown"} */
json_t *api_vm_action(struct job *j, json_t *req, struct config_error *err);
/* {"cmd": "vm-delete", "name": ...}: not while it runs */
json_t *api_vm_delete(struct job *j, json_t *req, struct config_error *err);

#endif
