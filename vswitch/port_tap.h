/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port_tap.h - parameters of the "tap" port kind: a Linux TAP interface as a
 * port of a tenant, so the host's own network stack (a bridge, a Linux vxlan
 * device, an address for the host) can reach that tenant's guests.
 */
#ifndef FERRY_VSWITCH_PORT_TAP_H
#define FERRY_VSWITCH_PORT_TAP_H

struct vsw_tap_args {
	/* Interface name: attached to if it exists (a persistent tap), else created. */
	const char *ifname;
};

#endif
