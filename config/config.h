/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config.h - Ferry's configuration: the plain C structs a JSON config file (or a control-socket
 * request) turns into, and the functions that parse, validate, print and edit them.
 *
 * Everything here is driven by one set of key tables (config/tables.c): parsing, defaults,
 * validation, config_to_json(), the JSON Schema (config_print_schema) and the key reference in
 * docs/config.md all read the same tables, so they cannot drift.  The daemon and CLIs (cli/) and the
 * control socket are the users; no other module parses JSON.
 *
 * Errors: every parser stops at the FIRST error and writes one message into struct config_error,
 * naming the exact key path and the reason, e.g.
 *     vms[1].nics[0].tenant: unknown tenant 'blue'
 *     switch.pmd_threads: must be 1..64, got 0
 *     FILE:LINE:COLUMN: <jansson's text>            (JSON syntax errors)
 * Keys are checked in document order, then defaults and required keys, then cross-references
 * (tenants, duplicates).  Functions returning int return 0 or -errno (-EINVAL for a bad config,
 * -ENOMEM, -EIO for an unreadable file); constructors return NULL and fill the error.
 *
 * Ownership: a struct ferry_config and everything it points to is heap memory owned by the
 * config; release it with config_free().  All strings are NUL-terminated and never NULL unless
 * documented as optional.  Out of memory is reported as an error (never fatal here).
 */
#ifndef FERRY_CONFIG_CONFIG_H
#define FERRY_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/* One precise message: "key.path: reason". Empty string when there was no error. */
struct config_error {
	char msg[512];
};

enum config_hugepages {
	CONFIG_HUGEPAGES_AUTO = 0, /* use hugepages when the host has enough free */
	CONFIG_HUGEPAGES_ON, /* fail to start without them */
	CONFIG_HUGEPAGES_OFF, /* plain 4K pages (DPDK --no-huge) */
};

enum config_vu_mode {
	CONFIG_VU_SERVER = 0, /* ferry listens on the socket, the peer connects */
	CONFIG_VU_CLIENT, /* ferry connects (and reconnects) to the peer's socket */
};

enum config_backend {
	CONFIG_BACKEND_SWITCH = 0, /* the NIC is a port of ferry's own switch */
	CONFIG_BACKEND_VHOST_USER, /* the NIC is served by an external vhost-user backend */
};

/* "switch": the poll-mode switch; every key has a default. */
struct config_switch {
	unsigned int pmd_threads; /* number of PMD threads, 1..64 */
	unsigned int *pmd_cpus; /* host CPUs to pin PMD threads to (NULL when not pinned) */
	unsigned int n_pmd_cpus; /* entries in pmd_cpus: 0 or pmd_threads */
	unsigned int idle_sleep_us; /* idle time before a PMD sleeps on kicks; 0 = never */
	unsigned int burst; /* packets per rx burst, 1..256 */
	unsigned int mac_aging_s; /* FDB entry lifetime; 0 = never age */
	enum config_hugepages hugepages; /* DPDK memory backing */
	unsigned int mbufs; /* mempool size */
};

/* An IP address (config/ keeps its own type: it depends on no other module). */
struct config_addr {
	uint8_t family; /* AF_INET or AF_INET6; 0 = absent */
	uint8_t a[16]; /* IPv4 in the first 4 bytes */
};

/* "tenants[]": one bridge domain. */
struct config_tenant {
	char *name; /* unique */
	uint32_t vni; /* unique VXLAN network identifier, 1..16777215 */
	bool vxlan; /* carried between hosts over VXLAN (needs "vtep") */
	struct config_addr *remote_vteps; /* seeded remote VTEPs */
	unsigned int n_remote_vteps;
	bool learn_vteps; /* accept and learn VTEPs not seeded */
	bool encrypted; /* carried only inside the WireGuard tunnel ("wireguard") */
	char *evpn_device; /* kernel vxlan device FRR's zebra programs for the VNI (EVPN) */
};

/* "vtep": this host's VXLAN tunnel endpoint. */
struct config_vtep {
	struct config_addr local; /* family 0: no overlay */
	unsigned int udp_port; /* destination UDP port */
	unsigned int ttl; /* outer TTL / hop limit */
	bool df; /* IPv4 don't-fragment */
	bool udp_checksum; /* IPv4 outer UDP checksum */
	unsigned int vtep_aging_s; /* learned VTEPs' lifetime without traffic; 0 = never */
};

/* An address and a UDP port ("192.0.2.1:51820", "[2001:db8::1]:51820"). */
struct config_endpoint {
	struct config_addr addr; /* family 0: absent */
	unsigned int port;
};

/* "wireguard.peers[]": one peer, as wireguard-tools configures it. */
struct config_wg_peer {
	uint8_t public_key[32];
	struct config_endpoint endpoint; /* absent: it reaches us first */
	struct config_prefix *allowed_ips;
	unsigned int n_allowed_ips;
	char *preshared_key_file; /* NULL: none */
	unsigned int persistent_keepalive; /* seconds, 0 = off */
};

/* "wireguard": the tunnel between VTEPs (none without private_key_file). */
struct config_wireguard {
	char *private_key_file;
	unsigned int listen_port;
	struct config_addr address; /* our VTEP address inside the tunnel */
	struct config_wg_peer *peers;
	unsigned int n_peers;
	unsigned int test_timer_divisor; /* tests only: the whitepaper's timers divided by this */
	uint64_t test_rekey_after_messages; /* tests only: 0 = the whitepaper's */
};

enum config_uplink_kind {
	CONFIG_UPLINK_AFXDP = 0, /* AF_XDP sockets fed by Ferry's XDP program */
	CONFIG_UPLINK_DPDK, /* a DPDK ethdev from devargs */
};

enum config_xdp_mode { CONFIG_XDP_AUTO = 0, CONFIG_XDP_NATIVE, CONFIG_XDP_GENERIC };
enum config_zero_copy { CONFIG_ZC_AUTO = 0, CONFIG_ZC_ON, CONFIG_ZC_OFF };

/* "uplinks[]": a port that carries the overlay to other hosts. */
struct config_uplink {
	char *name; /* unique switch port name */
	enum config_uplink_kind kind;
	char *interface; /* kernel interface (afxdp: the one it binds; dpdk: the one routes name) */
	char *devargs; /* dpdk: the device ("net_af_packet0,iface=eth1", a PCI address) */
	unsigned int queues; /* queue pairs */
	enum config_xdp_mode xdp_mode; /* afxdp */
	enum config_zero_copy zero_copy; /* afxdp */
};

struct config_nic_backend {
	enum config_backend kind;
	char *vhost_user_path; /* socket path for CONFIG_BACKEND_VHOST_USER, else NULL */
	enum config_vu_mode mode; /* vhost-user: who connects (default: ferry, the client) */
};

/* "vms[].nics[]": one virtio-net NIC. */
struct config_nic {
	char *tenant; /* tenant name (switch backend); NULL for a vhost-user backend */
	uint8_t mac[6]; /* unicast, unique within the tenant */
	unsigned int queues; /* queue pairs */
	bool tso; /* offer HOST_TSO4/6 and GUEST_TSO4/6 */
	bool packed; /* offer VIRTIO_F_RING_PACKED */
	struct config_nic_backend backend;
};

/* "vms[].disks[]": one virtio-blk disk on a raw image. */
struct config_disk {
	char *path; /* the image (opened, locked and sized when the VM is built) */
	bool readonly;
	char *serial; /* NULL: the device's name */
};

/* "vms[].passthrough[]": a PCI function handed to the VM through VFIO. */
struct config_passthrough {
	char *pci; /* "DDDD:BB:DD.F", or NULL when pf is set */
	char *pf; /* the SR-IOV PF whose VF vf is passed, or NULL */
	unsigned int vf;
	bool allow_unsafe_interrupts; /* go on without interrupt remapping */
};

/* "vms[].console": the 8250 serial console. */
struct config_console {
	char *log; /* file the console output is appended to; NULL = ferry's stdout */
	bool use_stdin; /* JSON "stdin": feed ferry's stdin to the guest */
};

/* "vms[]": one KVM guest. */
struct config_vm {
	char *name; /* unique, [A-Za-z0-9_.-]{1,32} */
	char *kernel; /* bzImage or ELF with a PVH note (existence is checked when opened) */
	char *initrd; /* optional, NULL when absent */
	char *cmdline; /* kernel command line (never NULL) */
	uint64_t memory; /* bytes, >= 16M, multiple of 4K (2M with hugepages) */
	unsigned int vcpus; /* 1..255 */
	bool hugepages; /* back guest RAM with hugetlbfs */
	struct config_console console;
	bool debug_exit; /* expose the test guest's exit port */
	struct config_nic *nics;
	unsigned int n_nics;
	struct config_disk *disks;
	unsigned int n_disks;
	struct config_passthrough *passthrough;
	unsigned int n_passthrough;
};

/* "vhost_user_ports[]": a switch port whose peer speaks vhost-user (QEMU, testpmd...). */
struct config_vhost_port {
	char *name; /* unique among vhost-user ports */
	char *path; /* Unix socket path, unique among all vhost-user sockets */
	enum config_vu_mode mode;
	char *tenant; /* tenant name */
	unsigned int queues; /* queue pairs */
	bool tso; /* offer HOST_TSO4/6 and GUEST_TSO4/6 */
	bool packed; /* offer VIRTIO_F_RING_PACKED */
};

/* "tap_ports[]": a Linux TAP interface as a port of a tenant (the host's stack). */
struct config_tap_port {
	char *name; /* unique switch port name */
	char *interface; /* TAP interface, created unless it exists */
	char *tenant; /* tenant name */
};

/* An address prefix; family 0 = absent ("any"). */
struct config_prefix {
	uint8_t family;
	uint8_t plen;
	uint8_t a[16];
};

/* A port range lo..hi, inclusive. */
struct config_port_range {
	unsigned int lo, hi;
};

enum config_acl_action { CONFIG_ACL_ALLOW = 0, CONFIG_ACL_DROP, CONFIG_ACL_COUNT };
enum config_acl_proto {
	CONFIG_PROTO_ANY = 0,
	CONFIG_PROTO_TCP,
	CONFIG_PROTO_UDP,
	CONFIG_PROTO_ICMP,
	CONFIG_PROTO_ICMPV6
};

/* "xdp_acls[].rules[]": tried in order; the first allow or drop decides. */
struct config_acl_rule {
	enum config_acl_action action;
	enum config_acl_proto proto;
	struct config_prefix src, dst; /* absent: any */
	struct config_port_range sport, dport; /* default 0-65535 */
};

enum config_acl_default { CONFIG_ACL_DEFAULT_ALLOW = 0, CONFIG_ACL_DEFAULT_DROP };

/* "xdp_acls[]": an XDP access list on a host interface. */
struct config_xdp_acl {
	char *interface;
	enum config_xdp_mode mode;
	bool persist; /* stays attached across ferry restarts, maps pinned */
	enum config_acl_default default_action;
	struct config_acl_rule *rules;
	unsigned int n_rules;
};

/* "uplink_filter": what the uplinks' XDP program drops before the switch sees it. */
struct config_uplink_filter {
	bool enforce_vteps; /* only seeded VTEPs and vtep_allow */
	struct config_prefix *vtep_allow;
	unsigned int n_vtep_allow;
	bool enforce_vnis; /* only VNIs of tenants on the overlay */
	unsigned int rate_limit_pps; /* per source; 0 = none */
	unsigned int rate_limit_burst;
};

/* "ebpf": where persistent XDP programs pin their maps. */
struct config_ebpf {
	char *pin_dir;
};

/* "control": the run-time control socket. */
struct config_control {
	char *socket; /* Unix socket path; NULL = no control socket */
};

struct ferry_config {
	struct config_switch sw; /* JSON "switch" */
	struct config_tenant *tenants;
	unsigned int n_tenants;
	struct config_vm *vms;
	unsigned int n_vms;
	struct config_vhost_port *vhost_ports; /* JSON "vhost_user_ports" */
	unsigned int n_vhost_ports;
	struct config_vtep vtep;
	struct config_wireguard wireguard;
	struct config_uplink *uplinks;
	unsigned int n_uplinks;
	struct config_tap_port *tap_ports;
	unsigned int n_tap_ports;
	struct config_uplink_filter uplink_filter;
	struct config_xdp_acl *xdp_acls;
	unsigned int n_xdp_acls;
	struct config_ebpf ebpf;
	struct config_control control;
};

/*
 * Loading a whole config.  Relative paths in a file resolve against the file's directory;
 * config_load_string() and config_parse_json() resolve them against @base_dir (NULL keeps
 * them as written).  @name labels syntax errors ("<string>" when NULL).
 */
struct ferry_config *config_load_file(const char *path, struct config_error *err);
struct ferry_config *config_load_string(const char *text, const char *name, const char *base_dir,
					struct config_error *err);
struct ferry_config *config_parse_json(json_t *root, const char *base_dir,
				       struct config_error *err);
void config_free(struct ferry_config *cfg);

/* A config with every default and no tenants, VMs or ports. */
struct ferry_config *config_defaults(struct config_error *err);
/*
 * The demo job: tenants "red" (VNI 100: VMs red1, red2) and "blue" (VNI 200: blue1, blue2),
 * blue reusing red's MACs so isolation is observable; one test-guest @kernel for all four.
 */
struct ferry_config *config_builtin_demo(const char *kernel, struct config_error *err);

/* The config as JSON (resolved paths, every default spelled out); NULL on OOM. */
json_t *config_to_json(const struct ferry_config *cfg);

/*
 * Control API: parse and validate one item against the running config @cfg (tenant
 * references, unique names, MACs and socket paths) without changing @cfg.  Errors name keys
 * relative to @where (e.g. "vms[4]"; NULL for none).  On success *out is a new item owned by
 * the caller: hand it to config_add_*() or release it with config_*_free().
 */
int config_parse_tenant(const struct ferry_config *cfg, json_t *j, const char *where,
			struct config_tenant **out, struct config_error *err);
int config_parse_vm(const struct ferry_config *cfg, json_t *j, const char *where,
		    struct config_vm **out, struct config_error *err);
int config_parse_vhost_port(const struct ferry_config *cfg, json_t *j, const char *where,
			    struct config_vhost_port **out, struct config_error *err);
void config_tenant_free(struct config_tenant *t);
void config_vm_free(struct config_vm *vm);
void config_vhost_port_free(struct config_vhost_port *port);

/*
 * Append a parsed item (ownership moves to @cfg, *item is freed on success and left to the
 * caller on failure; -ENOSPC past the list limits of the schema).  Arrays are reallocated:
 * pointers into cfg->vms etc. become stale.  The item must come from config_parse_*()
 * against @cfg as it is now: parse and add one item at a time, since two items parsed before
 * either is added were not checked against each other.
 */
int config_add_tenant(struct ferry_config *cfg, struct config_tenant *t);
int config_add_vm(struct ferry_config *cfg, struct config_vm *vm);
int config_add_vhost_port(struct ferry_config *cfg, struct config_vhost_port *port);
/* Remove by name: -ENOENT if absent; a tenant still referenced gives -EBUSY. */
int config_remove_tenant(struct ferry_config *cfg, const char *name);
int config_remove_vm(struct ferry_config *cfg, const char *name);
int config_remove_vhost_port(struct ferry_config *cfg, const char *name);

/*
 * A remote VTEP of a tenant on the overlay, added or removed at run time: @addr is checked
 * as remote_vteps[] items are (unicast, vtep.local's family, not vtep.local), errors name
 * "tenant" or "address".  The parsed address is stored in *out.  0, -ENOENT (no such tenant,
 * or not listed), -EEXIST (listed already), -EINVAL, -ENOSPC or -ENOMEM.
 */
int config_tenant_vtep_add(struct ferry_config *cfg, const char *tenant, const char *addr,
			   struct config_addr *out, struct config_error *err);
int config_tenant_vtep_remove(struct ferry_config *cfg, const char *tenant, const char *addr,
			      struct config_addr *out, struct config_error *err);

/*
 * One access-list rule, from the control API ("rule" relative to @where), checked as in
 * a file; and back to JSON (NULL on OOM).
 */
int config_parse_acl_rule(json_t *j, const char *where, struct config_acl_rule *out,
			  struct config_error *err);
json_t *config_acl_rule_json(const struct config_acl_rule *r);
/*
 * Run-time WireGuard peers (the control API): parse @j and check it against
 * @cfg's tunnel as the file's last peer would be, then append it; remove one
 * by public key (-ENOENT); a peer as JSON.
 */
int config_wg_peer_add(struct ferry_config *cfg, json_t *j, const char *where,
		       struct config_error *err);
int config_wg_peer_remove(struct ferry_config *cfg, const uint8_t key[32]);
json_t *config_wg_peer_json(const struct config_wg_peer *p);

/* Lookups by name; NULL when absent. */
const struct config_tenant *config_find_tenant(const struct ferry_config *cfg, const char *name);
const struct config_vm *config_find_vm(const struct ferry_config *cfg, const char *name);

/* The JSON Schema (draft 2020-12) and the markdown key reference, both from the key tables. */
int config_print_schema(FILE *f);
/* The same JSON Schema as a document (objects under "$defs"); NULL without memory. */
json_t *config_schema(void);
int config_print_docs(FILE *f);

/*
 * Value helpers shared with the CLI.  Sizes are a decimal number with an optional K, M or G
 * suffix (binary units, either case): 0 or -EINVAL (bad syntax) / -ERANGE (over 2^64-1).
 * MACs are six colon-separated hex pairs; config_parse_mac() checks syntax only.
 */
int config_parse_size(const char *s, uint64_t *bytes);
int config_parse_mac(const char *s, uint8_t mac[6]);
bool config_mac_is_unicast(const uint8_t mac[6]); /* not multicast/broadcast, not all-zero */
/* IP addresses: 0 or -EINVAL; "-" for an absent one. */
int config_parse_addr(const char *s, struct config_addr *a);
/* "192.0.2.1:51820" or "[2001:db8::1]:51820"; 0 or -EINVAL. */
int config_parse_endpoint(const char *s, struct config_endpoint *e);
void config_format_endpoint(const struct config_endpoint *e, char *buf, size_t len);
/* The index of the WireGuard peer whose allowed_ips hold @a (longest prefix), or -1. */
int config_wg_route(const struct config_wireguard *wg, const struct config_addr *a);
void config_format_addr(const struct config_addr *a, char *buf, size_t len);
/* Prefixes "10.0.0.0/8" (an address alone is a host): 0, -EINVAL, or -ERANGE for host bits. */
int config_parse_prefix(const char *s, struct config_prefix *p);
void config_format_prefix(const struct config_prefix *p, char *buf, size_t len);
/* "256M" when exact in K/M/G, else decimal bytes; always NUL-terminated. */
void config_format_size(uint64_t bytes, char *buf, size_t len);
void config_format_mac(const uint8_t mac[6], char buf[18]);

#endif
