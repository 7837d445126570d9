/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port_vnet.h - parameters of the "vnet" port kind: a virtio-net device of
 * vhost/ (an in-process guest's NIC or a vhost-user peer) seen as a switch
 * port.  port_vnet.c is the only file of vswitch/ that knows about vhost/.
 */
#ifndef FERRY_VSWITCH_PORT_VNET_H
#define FERRY_VSWITCH_PORT_VNET_H

#include <stdbool.h>
#include <stdint.h>

struct vnet_dev;

struct vsw_vnet_args {
	/*
	 * The device; it must outlive the port.  The port installs the switch's
	 * datapath fence on it (vnet_set_datapath_sync) and removes it again.
	 */
	struct vnet_dev *dev;
	/*
	 * The MAC the NIC's owner uses, where it is known (a VM's NIC; not a
	 * vhost-user peer, which picks its own): frames from a tunnel may not
	 * claim it (overlay.h, VSW_TUN_SPOOFED_SRC).
	 */
	bool has_mac;
	uint8_t mac[6];
};

#endif
