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
	uint16_t wg_port; /* the one that carries WireGuard (data steered, handshakes passed); 0 = none */
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
 * libxdp cannot); with ifindex 0, load it only (tests).  0 or -errno, having
 * logged which step failed.
 */
int ebpf_uplink_attach(const struct ebpf_uplink_opts *o, struct ebpf_uplink **out);
/* The loaded program, for BPF_PROG_TEST_RUN in tests. */
int ebpf_uplink_prog_fd(const struct ebpf_uplink *u);
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

/*
 * The ACL program (acl.bpf.c) on any host interface: 5-tuple rules (acl.h),
 * tried in order, changed at run time without a reload.
 */
struct acl_rule;
struct ebpf_acl;

struct ebpf_acl_opts {
	int ifindex; /* 0: load only (tests) */
	const char *ifname; /* names the pin directory and the log lines */
	enum ebpf_xdp_mode mode;
	/*
	 * Stay attached when closed, with the maps pinned in <pin_dir>/<ifname>
	 * (on a bpf filesystem), and take them over at the next attach, replacing
	 * the program in place: the rules filter while Ferry restarts.
	 */
	bool persist;
	const char *pin_dir;
	bool default_drop; /* without a matching rule: drop (else pass) */
};

struct ebpf_acl_stats {
	uint64_t passed, dropped; /* by a rule or by the default */
	uint64_t not_ip; /* not IP, or headers cut short: passed */
	uint64_t by_default; /* decided by the default action */
};

/* 0 or -errno, having logged the failing step (open, pin, load, verifier, attach). */
int ebpf_acl_attach(const struct ebpf_acl_opts *o, struct ebpf_acl **out);
/* Make the live rules exactly @rules[0..n) (n <= ACL_MAX_RULES), atomically. */
int ebpf_acl_set_rules(struct ebpf_acl *a, const struct acl_rule *rules, unsigned int n,
		       bool default_drop);
/* The live rules (@rules holds ACL_MAX_RULES). */
int ebpf_acl_get_rules(const struct ebpf_acl *a, struct acl_rule *rules, unsigned int *n,
		       bool *default_drop);
/* Counters of the rule with counter slot @id, and of outcomes; summed over CPUs. */
void ebpf_acl_hits(const struct ebpf_acl *a, unsigned int id, uint64_t *packets, uint64_t *bytes);
void ebpf_acl_stats(const struct ebpf_acl *a, struct ebpf_acl_stats *st);
/* Zero counter slot @id (a new rule takes it over). */
void ebpf_acl_reset_hits(struct ebpf_acl *a, unsigned int id);
const char *ebpf_acl_mode(const struct ebpf_acl *a);
bool ebpf_acl_shared(const struct ebpf_acl *a);
/* The pinned maps of an earlier run were found (its rules filtered until now). */
bool ebpf_acl_carried_over(const struct ebpf_acl *a);
/* An earlier run's program was replaced in place, with no moment unfiltered. */
bool ebpf_acl_replaced(const struct ebpf_acl *a);
/* The loaded program, for BPF_PROG_TEST_RUN in tests. */
int ebpf_acl_prog_fd(const struct ebpf_acl *a);
/* Detach (unless persist) and free; NULL is fine. */
void ebpf_acl_close(struct ebpf_acl *a);

#endif
