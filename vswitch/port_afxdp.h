/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port_afxdp.h - parameters of the "afxdp" uplink kind: a host interface
 * whose tunnel UDP (and only that) an XDP program (ebpf/uplink.bpf.c)
 * steers into one AF_XDP socket per rx queue.  The host keeps the rest of
 * its traffic on that interface, including the ARP that resolves it.
 */
#ifndef FERRY_VSWITCH_PORT_AFXDP_H
#define FERRY_VSWITCH_PORT_AFXDP_H

#include <stdint.h>

#include "vswitch/vswitch.h"

enum vsw_xdp_attach {
	VSW_XDP_AUTO, /* the driver's hook when it has one, else generic */
	VSW_XDP_NATIVE,
	VSW_XDP_GENERIC,
};

enum vsw_xsk_copy {
	VSW_XSK_AUTO, /* zero-copy where the driver allows, else copy */
	VSW_XSK_ZEROCOPY,
	VSW_XSK_COPY,
};

#define VSW_AFXDP_MAX_PORTS 4
#define VSW_AFXDP_MAX_ADDRS 4

struct vsw_afxdp_args {
	const char *ifname; /* the interface */
	uint16_t queues; /* rx/tx queues (one socket each) from queue 0; 0 means 1 */
	enum vsw_xdp_attach attach;
	enum vsw_xsk_copy copy;
	uint32_t ring_size; /* descriptors per ring, power of two; 0 means 2048 */
	/* Tunnel ports to steer; at least one; the first is VXLAN's (its VNIs can be filtered). */
	uint16_t udp_ports[VSW_AFXDP_MAX_PORTS];
	unsigned int n_ports;
	uint16_t wg_port; /* the one of them that is WireGuard's (data only is steered); 0 = none */
	struct vsw_addr addrs[VSW_AFXDP_MAX_ADDRS]; /* local tunnel addresses; none = any */
	unsigned int n_addrs;
};

#endif
