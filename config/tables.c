/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tables.c - Ferry's configuration schema as data: one row per JSON key, naming its C member
 * in config.h, its type (types.c), default, range and description.  Parsing, defaults,
 * validation, config_to_json(), config/schema.json and docs/config.md are all generated from
 * these rows, so a key is added or changed here and nowhere else (plus its member in
 * config.h).  Checks spanning several keys or items are in check.c.
 */
#include <stddef.h>

#include "config/table.h"

/* Designated-initializer helpers: where a key's value lives in its struct. */
#define MEMBER(st, m) .off = offsetof(st, m), .size = sizeof(((st *)0)->m)
#define ARRAY(st, m, n) MEMBER(st, m), .count_off = offsetof(st, n)
#define OBJECT(st, keys_, check_) \
	.keys = keys_, .n_keys = ARRAY_SIZE(keys_), .size = sizeof(st), .check = check_

static const char *const hugepages_choices[] = { "auto", "on", "off", NULL };
static const char *const vu_mode_choices[] = { "server", "client", NULL };
static const char *const backend_choices[] = { "switch", NULL };

/* vms[].nics[].backend when it is an object */
static const struct cfg_key vu_backend_keys[] = {
	{ .name = "vhost-user",
	  .type = &cfg_type_path,
	  MEMBER(struct config_nic_backend, vhost_user_path),
	  .required = true,
	  .max = CFG_SOCKET_PATH_MAX,
	  .doc = "Socket of the external vhost-user backend (ferry is the front-end; should the "
		 "backend go away, the link goes down until it is back and ferry replays the "
		 "session)." },
	{ .name = "mode",
	  .type = &cfg_type_enum,
	  MEMBER(struct config_nic_backend, mode),
	  .choices = vu_mode_choices,
	  .def = "\"client\"",
	  .doc = "\"client\": ferry connects (testpmd net_vhost, dpdkvhostuser ports); "
		 "\"server\": ferry listens and the backend connects (Open vSwitch's "
		 "dpdkvhostuserclient ports), as QEMU's server=on." },
};

static const struct cfg_object vu_backend_obj = {
	.name = "vhost_user_backend",
	.doc = "A NIC served by an external vhost-user backend instead of ferry's switch",
	OBJECT(struct config_nic_backend, vu_backend_keys, NULL),
};

#define NIC(m) MEMBER(struct config_nic, m)
static const struct cfg_key nic_keys[] = {
	{ .name = "tenant",
	  .type = &cfg_type_name,
	  NIC(tenant),
	  .when_key = "backend",
	  .when_value = "\"switch\"",
	  .doc = "Tenant (bridge domain) whose switch the NIC is plugged into." },
	{ .name = "mac",
	  .type = &cfg_type_mac,
	  NIC(mac),
	  .required = true,
	  .doc = "The NIC's address; unique within its tenant (other tenants may reuse it)." },
	{ .name = "queues",
	  .type = &cfg_type_uint,
	  NIC(queues),
	  .min = 1,
	  .max = 16,
	  .def = "1",
	  .doc = "Queue pairs (virtio-net multiqueue: VIRTIO_NET_F_MQ and a control queue); "
		 "1 on an external vhost-user backend." },
	{ .name = "tso",
	  .type = &cfg_type_bool,
	  NIC(tso),
	  .def = "true",
	  .doc = "Offer TCP segmentation offload both ways (HOST_TSO4/6, GUEST_TSO4/6), as QEMU "
		 "does; false: the guest sends MSS-sized segments, and the switch segments what "
		 "other guests send it." },
	{ .name = "packed",
	  .type = &cfg_type_bool,
	  NIC(packed),
	  .def = "false",
	  .doc = "Offer packed virtqueues (VIRTIO_F_RING_PACKED, virtio 1.2 section 2.8); off by "
		 "default, as QEMU's packed=off." },
	{ .name = "backend",
	  .type = &cfg_type_backend,
	  NIC(backend),
	  .def = "\"switch\"",
	  .choices = backend_choices,
	  .obj = &vu_backend_obj,
	  .doc = "\"switch\": a port of ferry's switch; {\"vhost-user\": PATH}: an external "
		 "backend." },
};
#undef NIC

static const struct cfg_object nic_obj = {
	.name = "nic",
	.doc = "One virtio-net NIC of a VM",
	OBJECT(struct config_nic, nic_keys, NULL),
};

#define DISK(m) MEMBER(struct config_disk, m)
static const struct cfg_key disk_keys[] = {
	{ .name = "path",
	  .type = &cfg_type_path,
	  DISK(path),
	  .required = true,
	  .max = CFG_PATH_MAX,
	  .doc = "A raw image file; its size, in whole 512-byte sectors, is the disk's." },
	{ .name = "readonly",
	  .type = &cfg_type_bool,
	  DISK(readonly),
	  .def = "false",
	  .doc = "Offer the disk read-only (VIRTIO_BLK_F_RO) and open the image so." },
	{ .name = "serial",
	  .type = &cfg_type_string,
	  DISK(serial),
	  .max = 20,
	  .doc = "What the guest reads as the disk's serial (default: the device's name)." },
};
#undef DISK

static const struct cfg_object disk_obj = {
	.name = "disk",
	.doc = "One virtio-blk disk of a VM",
	OBJECT(struct config_disk, disk_keys, NULL),
};

#define PT(m) MEMBER(struct config_passthrough, m)
static const struct cfg_key passthrough_keys[] = {
	{ .name = "pci",
	  .type = &cfg_type_string,
	  PT(pci),
	  .max = 12,
	  .doc = "The function's PCI address, \"DDDD:BB:DD.F\" (e.g. \"0000:00:01.1\"); or "
		 "\"pf\" and \"vf\"." },
	{ .name = "pf",
	  .type = &cfg_type_string,
	  PT(pf),
	  .max = 12,
	  .doc = "An SR-IOV physical function's PCI address: its VF \"vf\" is passed through "
		 "(ferry enables VFs if the PF has none)." },
	{ .name = "vf",
	  .type = &cfg_type_uint,
	  PT(vf),
	  .max = 255,
	  .def = "0",
	  .doc = "Which VF of \"pf\" (its virtfnN link)." },
	{ .name = "allow_unsafe_interrupts",
	  .type = &cfg_type_bool,
	  PT(allow_unsafe_interrupts),
	  .def = "false",
	  .doc = "Pass the device through even when the host does not remap interrupts (the "
		 "device could then inject any interrupt); refused by default." },
};
#undef PT

static const struct cfg_object passthrough_obj = {
	.name = "passthrough",
	.doc = "A PCI function (an SR-IOV VF above all) passed through to the VM with VFIO",
	OBJECT(struct config_passthrough, passthrough_keys, cfg_check_passthrough),
};

static const struct cfg_key console_keys[] = {
	{ .name = "log",
	  .type = &cfg_type_path,
	  MEMBER(struct config_console, log),
	  .max = CFG_PATH_MAX,
	  .doc = "File the serial console output is appended to (default: ferry's stdout)." },
	{ .name = "stdin",
	  .type = &cfg_type_bool,
	  MEMBER(struct config_console, use_stdin),
	  .def = "false",
	  .doc = "Feed ferry's stdin to the guest's serial port (at most one VM)." },
};

static const struct cfg_object console_obj = {
	.name = "console",
	.doc = "The VM's 8250 serial console",
	OBJECT(struct config_console, console_keys, NULL),
};

#define VM(m) MEMBER(struct config_vm, m)
static const struct cfg_key vm_keys[] = {
	{ .name = "name",
	  .type = &cfg_type_name,
	  VM(name),
	  .required = true,
	  .doc = "Unique VM name, used in logs, port names and the control API." },
	{ .name = "kernel",
	  .type = &cfg_type_path,
	  VM(kernel),
	  .required = true,
	  .max = CFG_PATH_MAX,
	  .doc = "Guest kernel: a bzImage or an ELF with a PVH note." },
	{ .name = "initrd",
	  .type = &cfg_type_path,
	  VM(initrd),
	  .max = CFG_PATH_MAX,
	  .doc = "Initial ramdisk (optional)." },
	{ .name = "cmdline",
	  .type = &cfg_type_string,
	  VM(cmdline),
	  .max = 2047,
	  .def = "\"console=ttyS0\"",
	  .doc = "Kernel command line (x86 allows 2047 bytes)." },
	{ .name = "memory",
	  .type = &cfg_type_size,
	  VM(memory),
	  .min = 16ull << 20,
	  .max = 1024ull << 30,
	  .def = "\"256M\"",
	  .doc = "Guest RAM; a multiple of 4K, or of 2M with hugepages." },
	{ .name = "vcpus",
	  .type = &cfg_type_uint,
	  VM(vcpus),
	  .min = 1,
	  .max = 255,
	  .def = "1",
	  .doc = "Virtual CPUs (one thread each)." },
	{ .name = "hugepages",
	  .type = &cfg_type_bool,
	  VM(hugepages),
	  .def = "false",
	  .doc = "Back guest RAM with 2M hugetlbfs pages." },
	{ .name = "console",
	  .type = &cfg_type_object,
	  VM(console),
	  .obj = &console_obj,
	  .def = "{}",
	  .doc = "Serial console settings." },
	{ .name = "debug_exit",
	  .type = &cfg_type_bool,
	  VM(debug_exit),
	  .def = "false",
	  .doc = "Expose the test guest's exit port (the guest ends the VM with a status)." },
	{ .name = "nics",
	  .type = &cfg_type_object_array,
	  ARRAY(struct config_vm, nics, n_nics),
	  .obj = &nic_obj,
	  .max_items = 16,
	  .def = "[]",
	  .doc = "The VM's virtio-net NICs, in PCI slot order." },
	{ .name = "disks",
	  .type = &cfg_type_object_array,
	  ARRAY(struct config_vm, disks, n_disks),
	  .obj = &disk_obj,
	  .max_items = 8,
	  .def = "[]",
	  .doc = "The VM's virtio-blk disks, after the NICs in PCI slot order." },
	{ .name = "passthrough",
	  .type = &cfg_type_object_array,
	  ARRAY(struct config_vm, passthrough, n_passthrough),
	  .obj = &passthrough_obj,
	  .max_items = 8,
	  .def = "[]",
	  .doc = "PCI functions passed through with VFIO, after the disks in PCI slot order; "
		 "every device of a function's IOMMU group must be bound to vfio-pci, and the "
		 "host must remap interrupts." },
};
#undef VM

const struct cfg_object cfg_obj_vm = {
	.name = "vm",
	.doc = "One KVM guest",
	OBJECT(struct config_vm, vm_keys, cfg_check_vm_local),
};

#define TN(m) MEMBER(struct config_tenant, m)
static const struct cfg_key tenant_keys[] = {
	{ .name = "name",
	  .type = &cfg_type_name,
	  MEMBER(struct config_tenant, name),
	  .required = true,
	  .doc = "Unique tenant name, referenced by NICs and ports." },
	{ .name = "vni",
	  .type = &cfg_type_uint,
	  MEMBER(struct config_tenant, vni),
	  .required = true,
	  .min = 1,
	  .max = 16777215,
	  .doc = "Unique VXLAN network identifier (RFC 7348: 24 bits)." },
	{ .name = "vxlan",
	  .type = &cfg_type_bool,
	  TN(vxlan),
	  .def = "false",
	  .doc = "Carry the tenant between hosts over VXLAN with its VNI (needs \"vtep\")." },
	{ .name = "remote_vteps",
	  .type = &cfg_type_ip_array,
	  ARRAY(struct config_tenant, remote_vteps, n_remote_vteps),
	  .max_items = CFG_MAX_REMOTE_VTEPS,
	  .doc = "Remote VTEPs the tenant floods to (head-end replication); with vxlan only." },
	{ .name = "learn_vteps",
	  .type = &cfg_type_bool,
	  TN(learn_vteps),
	  .def = "true",
	  .doc = "Accept VXLAN from VTEPs not listed, learning them (aged after "
		 "vtep.vtep_aging_s); false drops their packets." },
	{ .name = "encrypted",
	  .type = &cfg_type_bool,
	  TN(encrypted),
	  .def = "false",
	  .doc = "Carry the tenant only inside the WireGuard tunnel: its remote_vteps must be in "
		 "a peer's allowed_ips, and VXLAN for it that did not come through the tunnel is "
		 "dropped (needs \"wireguard\")." },
	{ .name = "evpn_device",
	  .type = &cfg_type_string,
	  TN(evpn_device),
	  .min = 1,
	  .max = 15,
	  .doc = "BGP EVPN through FRR: the kernel vxlan device (in a bridge) that zebra "
		 "programs for this VNI. Its remote entries become the tenant's VTEPs and "
		 "remote MACs, and the tenant's local MACs go into that bridge (on a TAP "
		 "\"ferry<VNI>\") for zebra to advertise; with vxlan only." },
};
#undef TN

const struct cfg_object cfg_obj_tenant = {
	.name = "tenant",
	.doc = "One tenant: a bridge domain with its own MAC table",
	OBJECT(struct config_tenant, tenant_keys, NULL),
};

#define VU(m) MEMBER(struct config_vhost_port, m)
static const struct cfg_key vhost_port_keys[] = {
	{ .name = "name",
	  .type = &cfg_type_name,
	  VU(name),
	  .required = true,
	  .doc = "Unique port name." },
	{ .name = "path",
	  .type = &cfg_type_path,
	  VU(path),
	  .required = true,
	  .max = CFG_SOCKET_PATH_MAX,
	  .doc = "vhost-user socket; unique among all vhost-user sockets." },
	{ .name = "mode",
	  .type = &cfg_type_enum,
	  VU(mode),
	  .choices = vu_mode_choices,
	  .def = "\"server\"",
	  .doc = "\"server\": ferry listens; \"client\": ferry connects and reconnects." },
	{ .name = "tenant",
	  .type = &cfg_type_name,
	  VU(tenant),
	  .required = true,
	  .doc = "Tenant the port belongs to." },
	{ .name = "queues",
	  .type = &cfg_type_uint,
	  VU(queues),
	  .min = 1,
	  .max = 16,
	  .def = "1",
	  .doc = "Queue pairs offered to the peer (VIRTIO_NET_F_MQ with more than one)." },
	{ .name = "tso",
	  .type = &cfg_type_bool,
	  VU(tso),
	  .def = "true",
	  .doc = "Offer TCP segmentation offload both ways (HOST_TSO4/6, GUEST_TSO4/6); false: "
		 "the switch segments what the peer is sent." },
	{ .name = "packed",
	  .type = &cfg_type_bool,
	  VU(packed),
	  .def = "false",
	  .doc = "Offer packed virtqueues (VIRTIO_F_RING_PACKED); the peer decides whether it "
		 "uses them (testpmd's packed_vq=1, QEMU's packed=on)." },
};
#undef VU

const struct cfg_object cfg_obj_vhost_port = {
	.name = "vhost_user_port",
	.doc = "A switch port whose peer (QEMU, DPDK) speaks vhost-user",
	OBJECT(struct config_vhost_port, vhost_port_keys, NULL),
};

#define SW(m) MEMBER(struct config_switch, m)
static const struct cfg_key switch_keys[] = {
	{ .name = "pmd_threads",
	  .type = &cfg_type_uint,
	  SW(pmd_threads),
	  .min = 1,
	  .max = 64,
	  .def = "1",
	  .doc = "Poll-mode threads; each owns a disjoint set of queues." },
	{ .name = "pmd_cpus",
	  .type = &cfg_type_uint_array,
	  ARRAY(struct config_switch, pmd_cpus, n_pmd_cpus),
	  .min = 0,
	  .max = 1023,
	  .max_items = 64,
	  .doc = "Host CPUs to pin the PMD threads to, one per thread (default: not pinned)." },
	{ .name = "idle_sleep_us",
	  .type = &cfg_type_uint,
	  SW(idle_sleep_us),
	  .min = 0,
	  .max = 1000000,
	  .def = "200",
	  .doc = "Idle time after which a PMD sleeps on its kick eventfds; 0 = never sleep." },
	{ .name = "burst",
	  .type = &cfg_type_uint,
	  SW(burst),
	  .min = 1,
	  .max = 256,
	  .def = "32",
	  .doc = "Packets per receive burst." },
	{ .name = "mac_aging_s",
	  .type = &cfg_type_uint,
	  SW(mac_aging_s),
	  .min = 0,
	  .max = 86400,
	  .def = "300",
	  .doc = "Seconds a learned MAC stays in the table; 0 = never age." },
	{ .name = "hugepages",
	  .type = &cfg_type_enum,
	  SW(hugepages),
	  .choices = hugepages_choices,
	  .def = "\"auto\"",
	  .doc = "Packet memory: \"auto\" uses hugepages when the host has them, \"on\" "
		 "requires them, \"off\" never uses them." },
	{ .name = "mbufs",
	  .type = &cfg_type_uint,
	  SW(mbufs),
	  .min = 1024,
	  .max = 4194304,
	  .def = "16384",
	  .doc = "Packet buffers in the switch's mempool." },
};
#undef SW

static const struct cfg_object switch_obj = {
	.name = "switch",
	.doc = "The poll-mode switch",
	OBJECT(struct config_switch, switch_keys, cfg_check_switch),
};

#define VT(m) MEMBER(struct config_vtep, m)
static const struct cfg_key vtep_keys[] = {
	{ .name = "local",
	  .type = &cfg_type_ip,
	  VT(local),
	  .doc = "This host's VTEP address: an address of one of its interfaces, which remote "
		 "VTEPs send to (IPv4 or IPv6)." },
	{ .name = "udp_port",
	  .type = &cfg_type_uint,
	  VT(udp_port),
	  .min = 1,
	  .max = 65535,
	  .def = "4789",
	  .doc = "Destination UDP port (IANA's 4789 for VXLAN)." },
	{ .name = "ttl",
	  .type = &cfg_type_uint,
	  VT(ttl),
	  .min = 1,
	  .max = 255,
	  .def = "64",
	  .doc = "Outer TTL (IPv4) or hop limit (IPv6)." },
	{ .name = "df",
	  .type = &cfg_type_bool,
	  VT(df),
	  .def = "true",
	  .doc = "Set don't-fragment on IPv4: frames too big for the uplink MTU are counted and "
		 "dropped, never fragmented." },
	{ .name = "udp_checksum",
	  .type = &cfg_type_bool,
	  VT(udp_checksum),
	  .def = "false",
	  .doc = "Fill the outer UDP checksum over IPv4 (IPv6 always has one)." },
	{ .name = "vtep_aging_s",
	  .type = &cfg_type_uint,
	  VT(vtep_aging_s),
	  .min = 0,
	  .max = 86400,
	  .def = "300",
	  .doc = "Seconds a learned remote VTEP stays without traffic; 0 = never age." },
};
#undef VT

static const struct cfg_object vtep_obj = {
	.name = "vtep",
	.doc = "This host's VXLAN tunnel endpoint",
	OBJECT(struct config_vtep, vtep_keys, NULL),
};

#define WP(m) MEMBER(struct config_wg_peer, m)
static const struct cfg_key wg_peer_keys[] = {
	{ .name = "public_key",
	  .type = &cfg_type_wg_key,
	  WP(public_key),
	  .required = true,
	  .doc = "The peer's public key, as `wg pubkey` prints it." },
	{ .name = "endpoint",
	  .type = &cfg_type_endpoint,
	  WP(endpoint),
	  .doc = "Where the peer is first sent to (it then roams: authenticated packets move it); "
		 "without one, the peer must reach us first.  Same family as vtep.local." },
	{ .name = "allowed_ips",
	  .type = &cfg_type_prefix_array,
	  ARRAY(struct config_wg_peer, allowed_ips, n_allowed_ips),
	  .max_items = 64,
	  .def = "[]",
	  .doc = "Tunnel addresses the peer may send from, and the VTEPs routed to it: remote "
		 "VTEPs in them travel encrypted to this peer." },
	{ .name = "preshared_key_file",
	  .type = &cfg_type_path,
	  WP(preshared_key_file),
	  .max = CFG_PATH_MAX,
	  .doc = "A file with a preshared key (`wg genpsk`), mixed into the handshake; private "
		 "to its owner." },
	{ .name = "persistent_keepalive",
	  .type = &cfg_type_uint,
	  WP(persistent_keepalive),
	  .min = 0,
	  .max = 65535,
	  .def = "0",
	  .doc = "Send a keepalive after this many seconds of silence (through NAT); 0 = off." },
};
#undef WP

const struct cfg_object cfg_obj_wg_peer = {
	.name = "wireguard_peer",
	.doc = "One WireGuard peer",
	OBJECT(struct config_wg_peer, wg_peer_keys, NULL),
};

#define WG(m) MEMBER(struct config_wireguard, m)
static const struct cfg_key wireguard_keys[] = {
	{ .name = "private_key_file",
	  .type = &cfg_type_path,
	  WG(private_key_file),
	  .max = CFG_PATH_MAX,
	  .doc = "This host's private key (`wg genkey`), in a file private to its owner." },
	{ .name = "listen_port",
	  .type = &cfg_type_uint,
	  WG(listen_port),
	  .min = 1,
	  .max = 65535,
	  .def = "51820",
	  .doc = "UDP port on vtep.local the tunnel uses." },
	{ .name = "address",
	  .type = &cfg_type_ip,
	  WG(address),
	  .doc = "This host's VTEP address inside the tunnel: the VXLAN source of encrypted "
		 "packets, and what the peers' allowed_ips name for us." },
	{ .name = "peers",
	  .type = &cfg_type_object_array,
	  ARRAY(struct config_wireguard, peers, n_peers),
	  .obj = &cfg_obj_wg_peer,
	  .max_items = CFG_MAX_WG_PEERS,
	  .def = "[]",
	  .doc = "The other ends; public keys and allowed_ips prefixes are unique." },
	{ .name = "test_timer_divisor",
	  .type = &cfg_type_uint,
	  WG(test_timer_divisor),
	  .min = 1,
	  .max = 1000,
	  .def = "1",
	  .doc = "Tests only: the whitepaper's timers (rekey after 120 s, ...) divided by this." },
	{ .name = "test_rekey_after_messages",
	  .type = &cfg_type_uint,
	  WG(test_rekey_after_messages),
	  .min = 0,
	  .max = 1ull << 60,
	  .def = "0",
	  .doc = "Tests only: renew keys after this many messages; 0 = the whitepaper's 2^60." },
};
#undef WG

static const struct cfg_object wireguard_obj = {
	.name = "wireguard",
	.doc = "The WireGuard tunnel between VTEPs",
	OBJECT(struct config_wireguard, wireguard_keys, NULL),
};

static const char *const uplink_kind_choices[] = { "afxdp", "dpdk", NULL };
static const char *const xdp_mode_choices[] = { "auto", "native", "generic", NULL };
static const char *const zero_copy_choices[] = { "auto", "on", "off", NULL };

#define UP(m) MEMBER(struct config_uplink, m)
static const struct cfg_key uplink_keys[] = {
	{ .name = "name",
	  .type = &cfg_type_name,
	  UP(name),
	  .required = true,
	  .doc = "Unique port name." },
	{ .name = "kind",
	  .type = &cfg_type_enum,
	  UP(kind),
	  .choices = uplink_kind_choices,
	  .required = true,
	  .doc = "\"afxdp\": AF_XDP sockets on the interface, fed by Ferry's XDP program (the "
		 "host keeps its other traffic); \"dpdk\": a DPDK device from devargs." },
	{ .name = "interface",
	  .type = &cfg_type_string,
	  UP(interface),
	  .required = true,
	  .min = 1,
	  .max = 15,
	  .doc = "Kernel interface: the one AF_XDP binds, or for dpdk the one whose routes "
		 "and neighbours lead to the device." },
	{ .name = "devargs",
	  .type = &cfg_type_string,
	  UP(devargs),
	  .min = 1,
	  .max = 255,
	  .when_key = "kind",
	  .when_value = "\"dpdk\"",
	  .doc = "DPDK device: \"net_af_packet0,iface=eth1\", \"net_tap0,iface=dtap0\", or a "
		 "PCI address." },
	{ .name = "queues",
	  .type = &cfg_type_uint,
	  UP(queues),
	  .min = 1,
	  .max = 16,
	  .def = "1",
	  .doc = "Queue pairs, from queue 0 (AF_XDP: one socket each)." },
	{ .name = "xdp_mode",
	  .type = &cfg_type_enum,
	  UP(xdp_mode),
	  .choices = xdp_mode_choices,
	  .def = "\"auto\"",
	  .doc = "afxdp: where the XDP program runs; \"auto\" tries the driver's hook first." },
	{ .name = "zero_copy",
	  .type = &cfg_type_enum,
	  UP(zero_copy),
	  .choices = zero_copy_choices,
	  .def = "\"auto\"",
	  .doc = "afxdp: zero-copy AF_XDP; \"auto\" uses it where the driver allows and copy "
		 "mode otherwise (the port reports which)." },
};
#undef UP

const struct cfg_object cfg_obj_uplink = {
	.name = "uplink",
	.doc = "A port that carries the overlay to other hosts",
	OBJECT(struct config_uplink, uplink_keys, cfg_check_uplink_local),
};

#define TP(m) MEMBER(struct config_tap_port, m)
static const struct cfg_key tap_port_keys[] = {
	{ .name = "name",
	  .type = &cfg_type_name,
	  TP(name),
	  .required = true,
	  .doc = "Unique port name." },
	{ .name = "interface",
	  .type = &cfg_type_string,
	  TP(interface),
	  .required = true,
	  .min = 1,
	  .max = 15,
	  .doc = "TAP interface of the host, created unless it exists; ferry brings it up." },
	{ .name = "tenant",
	  .type = &cfg_type_name,
	  TP(tenant),
	  .required = true,
	  .doc = "Tenant the port belongs to." },
};
#undef TP

const struct cfg_object cfg_obj_tap_port = {
	.name = "tap_port",
	.doc = "A TAP interface as a port of a tenant: the host's own network stack",
	OBJECT(struct config_tap_port, tap_port_keys, NULL),
};

static const char *const acl_action_choices[] = { "allow", "drop", "count", NULL };
static const char *const acl_proto_choices[] = { "any", "tcp", "udp", "icmp", "icmpv6", NULL };
static const char *const acl_default_choices[] = { "allow", "drop", NULL };

#define AR(m) MEMBER(struct config_acl_rule, m)
static const struct cfg_key acl_rule_keys[] = {
	{ .name = "action",
	  .type = &cfg_type_enum,
	  AR(action),
	  .choices = acl_action_choices,
	  .required = true,
	  .doc = "\"allow\" or \"drop\" decide; \"count\" counts and goes on to the next rule." },
	{ .name = "proto",
	  .type = &cfg_type_enum,
	  AR(proto),
	  .choices = acl_proto_choices,
	  .def = "\"any\"",
	  .doc = "IP protocol to match." },
	{ .name = "src", .type = &cfg_type_prefix, AR(src), .doc = "Source prefix (default: any)." },
	{ .name = "dst",
	  .type = &cfg_type_prefix,
	  AR(dst),
	  .doc = "Destination prefix (default: any)." },
	{ .name = "sport",
	  .type = &cfg_type_port_range,
	  AR(sport),
	  .def = "\"0-65535\"",
	  .doc = "Source port or range; with proto tcp or udp only." },
	{ .name = "dport",
	  .type = &cfg_type_port_range,
	  AR(dport),
	  .def = "\"0-65535\"",
	  .doc = "Destination port or range; with proto tcp or udp only." },
};
#undef AR

const struct cfg_object cfg_obj_acl_rule = {
	.name = "acl_rule",
	.doc = "One rule of an XDP access list",
	OBJECT(struct config_acl_rule, acl_rule_keys, cfg_check_acl_rule),
};

#define XA(m) MEMBER(struct config_xdp_acl, m)
static const struct cfg_key xdp_acl_keys[] = {
	{ .name = "interface",
	  .type = &cfg_type_string,
	  XA(interface),
	  .required = true,
	  .min = 1,
	  .max = 15,
	  .doc = "Host interface the access list filters as packets arrive (a tap, a veth, a NIC)." },
	{ .name = "mode",
	  .type = &cfg_type_enum,
	  XA(mode),
	  .choices = xdp_mode_choices,
	  .def = "\"auto\"",
	  .doc = "Where the XDP program runs; \"auto\" tries the driver's hook first." },
	{ .name = "persist",
	  .type = &cfg_type_bool,
	  XA(persist),
	  .def = "false",
	  .doc = "Stay attached when ferry exits, maps pinned under ebpf.pin_dir, and be "
		 "replaced in place at the next start: the rules filter while ferry restarts." },
	{ .name = "default",
	  .type = &cfg_type_enum,
	  XA(default_action),
	  .choices = acl_default_choices,
	  .def = "\"allow\"",
	  .doc = "What happens to an IP packet no rule decides." },
	{ .name = "rules",
	  .type = &cfg_type_object_array,
	  ARRAY(struct config_xdp_acl, rules, n_rules),
	  .obj = &cfg_obj_acl_rule,
	  .max_items = 64,
	  .def = "[]",
	  .doc = "Rules, tried in order (at most 64)." },
};
#undef XA

const struct cfg_object cfg_obj_xdp_acl = {
	.name = "xdp_acl",
	.doc = "An XDP access list on a host interface",
	OBJECT(struct config_xdp_acl, xdp_acl_keys, NULL),
};

#define UF(m) MEMBER(struct config_uplink_filter, m)
static const struct cfg_key uplink_filter_keys[] = {
	{ .name = "enforce_vteps",
	  .type = &cfg_type_bool,
	  UF(enforce_vteps),
	  .def = "false",
	  .doc = "Drop tunnel packets from sources that are neither a tenant's remote_vteps nor "
		 "in vtep_allow, in XDP before the switch sees them." },
	{ .name = "vtep_allow",
	  .type = &cfg_type_prefix_array,
	  ARRAY(struct config_uplink_filter, vtep_allow, n_vtep_allow),
	  .max_items = 1000,
	  .doc = "Prefixes whose VTEPs may send (learned VTEPs must be in one)." },
	{ .name = "enforce_vnis",
	  .type = &cfg_type_bool,
	  UF(enforce_vnis),
	  .def = "false",
	  .doc = "Drop VXLAN packets whose VNI no tenant of this host carries, in XDP." },
	{ .name = "rate_limit_pps",
	  .type = &cfg_type_uint,
	  UF(rate_limit_pps),
	  .min = 0,
	  .max = 100000000,
	  .def = "0",
	  .doc = "Tunnel packets a second each source address may send; 0 = no limit." },
	{ .name = "rate_limit_burst",
	  .type = &cfg_type_uint,
	  UF(rate_limit_burst),
	  .min = 1,
	  .max = 1000000,
	  .def = "64",
	  .doc = "Packets a source may send at once above its rate." },
};
#undef UF

static const struct cfg_object uplink_filter_obj = {
	.name = "uplink_filter",
	.doc = "What the uplinks' XDP program drops before the switch",
	OBJECT(struct config_uplink_filter, uplink_filter_keys, NULL),
};

static const struct cfg_key ebpf_keys[] = {
	{ .name = "pin_dir",
	  .type = &cfg_type_path,
	  MEMBER(struct config_ebpf, pin_dir),
	  .max = 200,
	  .def = "\"/sys/fs/bpf/ferry\"",
	  .doc = "Where persistent XDP programs pin their maps; must be on a bpf filesystem." },
};

static const struct cfg_object ebpf_obj = {
	.name = "ebpf",
	.doc = "eBPF settings",
	OBJECT(struct config_ebpf, ebpf_keys, NULL),
};

static const struct cfg_key control_keys[] = {
	{ .name = "socket",
	  .type = &cfg_type_path,
	  MEMBER(struct config_control, socket),
	  .max = CFG_SOCKET_PATH_MAX,
	  .doc = "Unix socket of the control API (default: no control socket)." },
};

static const struct cfg_object control_obj = {
	.name = "control",
	.doc = "The run-time control API",
	OBJECT(struct config_control, control_keys, NULL),
};

#define CFG(m) MEMBER(struct ferry_config, m)
static const struct cfg_key root_keys[] = {
	{ .name = "$schema",
	  .type = &cfg_type_hint,
	  .doc = "For editors: where this file's JSON Schema is (config/schema.json); ignored." },
	{ .name = "switch",
	  .type = &cfg_type_object,
	  CFG(sw),
	  .obj = &switch_obj,
	  .def = "{}",
	  .doc = "Switch settings." },
	{ .name = "tenants",
	  .type = &cfg_type_object_array,
	  ARRAY(struct ferry_config, tenants, n_tenants),
	  .obj = &cfg_obj_tenant,
	  .max_items = 4096,
	  .def = "[]",
	  .doc = "Tenants; names and VNIs are unique." },
	{ .name = "vms",
	  .type = &cfg_type_object_array,
	  ARRAY(struct ferry_config, vms, n_vms),
	  .obj = &cfg_obj_vm,
	  .max_items = 64,
	  .def = "[]",
	  .doc = "Guests to run." },
	{ .name = "vhost_user_ports",
	  .type = &cfg_type_object_array,
	  ARRAY(struct ferry_config, vhost_ports, n_vhost_ports),
	  .obj = &cfg_obj_vhost_port,
	  .max_items = 256,
	  .def = "[]",
	  .doc = "Switch ports for vhost-user peers." },
	{ .name = "vtep",
	  .type = &cfg_type_object,
	  CFG(vtep),
	  .obj = &vtep_obj,
	  .def = "{}",
	  .doc = "The VXLAN tunnel endpoint (none without \"local\")." },
	{ .name = "wireguard",
	  .type = &cfg_type_object,
	  CFG(wireguard),
	  .obj = &wireguard_obj,
	  .def = "{}",
	  .doc = "The WireGuard tunnel between VTEPs (none without \"private_key_file\")." },
	{ .name = "uplinks",
	  .type = &cfg_type_object_array,
	  ARRAY(struct ferry_config, uplinks, n_uplinks),
	  .obj = &cfg_obj_uplink,
	  .max_items = 16,
	  .def = "[]",
	  .doc = "Ports that carry the overlay to other hosts." },
	{ .name = "tap_ports",
	  .type = &cfg_type_object_array,
	  ARRAY(struct ferry_config, tap_ports, n_tap_ports),
	  .obj = &cfg_obj_tap_port,
	  .max_items = 64,
	  .def = "[]",
	  .doc = "TAP interfaces plugged into tenants (the host's network stack)." },
	{ .name = "uplink_filter",
	  .type = &cfg_type_object,
	  CFG(uplink_filter),
	  .obj = &uplink_filter_obj,
	  .def = "{}",
	  .doc = "What AF_XDP uplinks drop in XDP before the switch sees it." },
	{ .name = "xdp_acls",
	  .type = &cfg_type_object_array,
	  ARRAY(struct ferry_config, xdp_acls, n_xdp_acls),
	  .obj = &cfg_obj_xdp_acl,
	  .max_items = 64,
	  .def = "[]",
	  .doc = "XDP access lists on host interfaces." },
	{ .name = "ebpf",
	  .type = &cfg_type_object,
	  CFG(ebpf),
	  .obj = &ebpf_obj,
	  .def = "{}",
	  .doc = "eBPF settings." },
	{ .name = "control",
	  .type = &cfg_type_object,
	  CFG(control),
	  .obj = &control_obj,
	  .def = "{}",
	  .doc = "Control socket." },
};
#undef CFG

const struct cfg_object cfg_obj_root = {
	.name = "ferry_config",
	.doc = "A ferry configuration file",
	OBJECT(struct ferry_config, root_keys, cfg_check_root),
};
