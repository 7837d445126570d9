/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ebpf.h - XDP programs on the uplink and their loaders: the uplink program
 * that steers Ferry's tunnel UDP into AF_XDP sockets (uplink.bpf.c), and what
 * the host's kernel offers (XDP program type, bpffs), reported by `ferry info`.
 */
#ifndef FERRY_EBPF_EBPF_H
#define FERRY_EBPF_EBPF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Describe eBPF/XDP support on @f; returns 0 if XDP programs can be loaded. */
int ebpf_print_host_info(FILE *f);

/* Where the XDP program runs: the driver's hook, or the generic (skb) one. */
enum ebpf_xdp_mode {
	EBPF_XDP_AUTO, /* native where the driver has it, else generic */
	EBPF_XDP_NATIVE,
	EBPF_XDP_GENERIC,
};

struct ebpf_uplink_opts {
	int ifindex;
	enum ebpf_xdp_mode mode;
	uint16_t ports[4]; /* tunnel UDP ports, host order */
	unsigned int n_ports;
	uint16_t vxlan_port; /* the one of them that carries VXLAN (its VNIs can be checked) */
	/* Local tunnel addresses (family AF_INET/AF_INET6, bytes); none = any. */
	struct {
		uint8_t family;
		uint8_t a[16];
	} addrs[4];
	unsigned int n_addrs;
};

struct ebpf_uplink_stats {
	uint64_t steered, passed, no_socket; /* summed over CPUs */
	uint64_t drop_vtep, drop_vni, drop_rate; /* dropped by the filter, by reason */
};

/* What the uplink program drops before Ferry sees it. */
struct ebpf_uplink_filter {
	bool enforce_vteps; /* sources must be in the VTEP allow-list */
	bool enforce_vnis; /* VXLAN VNIs must be in the VNI allow-list */
	uint32_t rate_pps; /* per source address; 0 = no limit */
	uint32_t burst; /* packets a source may send at once */
};

/* An address prefix: family AF_INET/AF_INET6, bytes, prefix length. */
struct ebpf_prefix {
	uint8_t family;
	uint8_t plen;
	uint8_t a[16];
};

struct ebpf_uplink;

/*
 * Load the uplink program configured by @o and attach it to the interface
 * (through libxdp, so other XDP programs may share it; plain libbpf where
 * libxdp cannot).  0 or -errno, having logged which step failed.
 */
int ebpf_uplink_attach(const struct ebpf_uplink_opts *o, struct ebpf_uplink **out);
/* Steer rx queue @queue's tunnel packets to AF_XDP socket @xsk_fd. */
int ebpf_uplink_set_socket(struct ebpf_uplink *u, uint32_t queue, int xsk_fd);
/*
 * "native" or "generic"; and whether libxdp's dispatcher holds the program,
 * so other XDP programs can share the interface (without bpffs in the mount
 * namespace libxdp attaches it alone, as the interface's only program).
 */
const char *ebpf_uplink_mode(const struct ebpf_uplink *u);
bool ebpf_uplink_shared(const struct ebpf_uplink *u);
void ebpf_uplink_stats(const struct ebpf_uplink *u, struct ebpf_uplink_stats *st);
/* Turn the filter's parts on or off and set the rate; takes effect at once. */
int ebpf_uplink_set_filter(struct ebpf_uplink *u, const struct ebpf_uplink_filter *f);
/* Make the allow-lists exactly these, without a moment where an allowed packet drops. */
int ebpf_uplink_sync_allow(struct ebpf_uplink *u, const struct ebpf_prefix *prefixes,
			   unsigned int n_prefixes, const uint32_t *vnis, unsigned int n_vnis);
/* Detach and free; NULL is fine. */
void ebpf_uplink_detach(struct ebpf_uplink *u);

#endif
