/* SPDX-License-Identifier: BSD-3-Clause */
/* ferryctl.h - ferryctl's parts: the REST client (ferryctl.c) and its tables. */
#ifndef FERRY_CLI_FERRYCTL_H
#define FERRY_CLI_FERRYCTL_H

#include <jansson.h>
#include <stdbool.h>

/* Print @resp, the reply to @cmd, as a table; false if @cmd has no table (print JSON). */
bool ferryctl_show(const char *cmd, json_t *resp);

#endif
