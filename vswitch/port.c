/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port.c - the table of port kinds vsw_port_add() chooses from by name.  A
 * new kind adds its ops here and nothing else in the switch changes.
 */
#include <string.h>

#include "util/compiler.h"
#include "vswitch/port.h"

static const struct vsw_port_ops *const port_kinds[] = {
	&vsw_port_dummy_ops, &vsw_port_dummy_uplink_ops, &vsw_port_vnet_ops,
	&vsw_port_afxdp_ops, &vsw_port_dpdk_ops,	 &vsw_port_tap_ops,
};

const struct vsw_port_ops *vsw_port_kind_find(const char *kind)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(port_kinds); i++)
		if (strcmp(port_kinds[i]->kind, kind) == 0)
			return port_kinds[i];
	return NULL;
}
