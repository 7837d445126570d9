/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port_dpdk.h - parameters of the "dpdk" uplink kind: any DPDK ethdev as an
 * uplink, named by devargs: a virtual device ("net_af_packet0,iface=eth1",
 * "net_tap0,iface=dtap0") or a PCI NIC ("0000:03:00.1", which must also be
 * in the EAL's PCI allow list, eal.h).
 */
#ifndef FERRY_VSWITCH_PORT_DPDK_H
#define FERRY_VSWITCH_PORT_DPDK_H

#include <stdint.h>

#include "vswitch/vswitch.h"

#define VSW_DPDK_MAX_PORTS 4

struct vsw_dpdk_args {
	const char *devargs; /* probed with rte_dev_probe(); removed again at destruct */
	/*
	 * The kernel interface whose routes and neighbours lead to this uplink
	 * (the underlay picks uplinks by egress interface): the af_packet or tap
	 * interface itself, or for a NIC the kernel interface that carries its
	 * addresses.
	 */
	const char *ifname;
	uint16_t queues; /* rx/tx queue pairs; 0 means 1 */
	uint16_t ring_size; /* descriptors per queue; 0 means 1024 */
	/*
	 * Tunnel ports and local addresses: where the kernel sees the same
	 * packets (af_packet copies them), a UDP socket bound to each keeps the
	 * kernel from answering them with ICMP port unreachable.
	 */
	uint16_t udp_ports[VSW_DPDK_MAX_PORTS];
	unsigned int n_ports;
	struct vsw_addr addr; /* local tunnel address; family 0 = any */
};

#endif
