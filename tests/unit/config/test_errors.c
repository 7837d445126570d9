/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_errors.c - every kind of config error, each checked against its exact message:
 * types, ranges, unknown and missing keys, names, sizes, MACs, references, duplicates,
 * conditional keys, JSON syntax (FILE:LINE:COLUMN) and unreadable files.  Part of the
 * unit_config program (test_config.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_config.h"

struct err_case {
	const char *in; /* single-quoted JSON */
	const char *msg; /* the whole expected message */
};

static void run_cases(const struct err_case *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		CU_ASSERT_TRUE(tc_fails_with(c[i].in, c[i].msg));
}

#define RUN(cases) run_cases(cases, sizeof(cases) / sizeof(cases[0]))

#define TENANTS "'tenants': [{'name': 'red', 'vni': 100}, {'name': 'blue', 'vni': 200}]"
#define VM_A "{'name': 'a', 'kernel': 'k'"
/* One VM with one NIC whose keys are @nic (in tenant red unless @nic says otherwise). */
#define NIC_VM(nic) "{" TENANTS ", 'vms': [" VM_A ", 'nics': [" nic "]}]}"

static void test_switch(void)
{
	static const struct err_case cases[] = {
		{ "{'switch': {'pmd_threads': 0}}", "switch.pmd_threads: must be 1..64, got 0" },
		{ "{'switch': {'pmd_threads': 65}}", "switch.pmd_threads: must be 1..64, got 65" },
		{ "{'switch': {'pmd_threads': '2'}}",
		  "switch.pmd_threads: must be an integer, got a string" },
		{ "{'switch': {'burst': 1.5}}",
		  "switch.burst: must be an integer, got a real number" },
		{ "{'switch': {'burst': -1}}", "switch.burst: must be 1..256, got -1" },
		{ "{'switch': {'burst': null}}", "switch.burst: must be an integer, got null" },
		{ "{'switch': {'mbufs': 1023}}", "switch.mbufs: must be 1024..4194304, got 1023" },
		{ "{'switch': {'mac_aging_s': 86401}}",
		  "switch.mac_aging_s: must be 0..86400, got 86401" },
		{ "{'switch': {'idle_sleep_us': true}}",
		  "switch.idle_sleep_us: must be an integer, got a boolean" },
		{ "{'switch': {'hugepages': 'yes'}}",
		  "switch.hugepages: must be one of \"auto\", \"on\", \"off\", got 'yes'" },
		{ "{'switch': {'hugepages': false}}",
		  "switch.hugepages: must be one of \"auto\", \"on\", \"off\", got a boolean" },
		{ "{'switch': {'pmd_threads': 2, 'pmd_cpus': [1, 1]}}",
		  "switch.pmd_cpus[1]: duplicate value 1 (also at [0])" },
		{ "{'switch': {'pmd_cpus': [1, 2]}}",
		  "switch.pmd_cpus: lists 2 CPUs but pmd_threads is 1 (give one per thread)" },
		{ "{'switch': {'pmd_cpus': [1024]}}",
		  "switch.pmd_cpus[0]: must be 0..1023, got 1024" },
		{ "{'switch': {'pmd_cpus': 1}}",
		  "switch.pmd_cpus: must be an array, got an integer" },
		{ "{'switch': {'pmd_cpus': ['1']}}",
		  "switch.pmd_cpus[0]: must be an integer, got a string" },
		{ "{'switch': []}", "switch: must be an object, got an array" },
		{ "{'switch': {'threads': 1}}",
		  "switch.threads: unknown key (expected one of: pmd_threads, pmd_cpus, idle_sleep_us, "
		  "burst, mac_aging_s, hugepages, mbufs)" },
	};

	RUN(cases);
}

static void test_top_level(void)
{
	static const struct err_case cases[] = {
		{ "[]", "(top level): must be an object, got an array" },
		{ "{'swtich': {}}",
		  "swtich: unknown key (expected one of: $schema, switch, tenants, vms, "
		  "vhost_user_ports, vtep, wireguard, uplinks, tap_ports, uplink_filter, xdp_acls, ebpf, control)" },
		{ "{'$schema': 5}", "$schema: must be a string, got an integer" },
		{ "{'vms': {}}", "vms: must be an array, got an object" },
		{ "{'vms': [1]}", "vms[0]: must be an object, got an integer" },
		{ "{'control': {'socket': ''}}", "control.socket: must not be empty" },
		{ "{'control': {'sock': '/x'}}",
		  "control.sock: unknown key (expected one of: socket)" },
		/* Hostile keys are escaped and cut before they reach a message. */
		{ "{'\\u0001\\u001b[31m': 1}",
		  "\\x01\\x1b[31m: unknown key (expected one of: $schema, switch, tenants, vms, "
		  "vhost_user_ports, vtep, wireguard, uplinks, tap_ports, uplink_filter, xdp_acls, ebpf, control)" },
	};

	RUN(cases);
}

static void test_tenants(void)
{
	static const struct err_case cases[] = {
		{ "{'tenants': [{'name': 'red', 'vni': 0}]}",
		  "tenants[0].vni: must be 1..16777215, got 0" },
		{ "{'tenants': [{'name': 'red', 'vni': 16777216}]}",
		  "tenants[0].vni: must be 1..16777215, got 16777216" },
		{ "{'tenants': [{'vni': 1}]}", "tenants[0].name: missing required key" },
		{ "{'tenants': [{'name': 'red'}]}", "tenants[0].vni: missing required key" },
		{ "{'tenants': [{'name': 'a b', 'vni': 1}]}",
		  "tenants[0].name: invalid name 'a b' (use 1 to 32 of A-Z a-z 0-9 _ . -)" },
		{ "{'tenants': [{'name': '', 'vni': 1}]}",
		  "tenants[0].name: invalid name '' (use 1 to 32 of A-Z a-z 0-9 _ . -)" },
		{ "{'tenants': [{'name': '123456789012345678901234567890123', 'vni': 1}]}",
		  "tenants[0].name: invalid name '123456789012345678901234567890123' (use 1 to 32 of "
		  "A-Z a-z 0-9 _ . -)" },
		{ "{'tenants': [{'name': 'red', 'vni': 1}, {'name': 'red', 'vni': 2}]}",
		  "tenants[1].name: duplicate tenant 'red' (also tenants[0])" },
		{ "{'tenants': [{'name': 'red', 'vni': 100}, {'name': 'blue', 'vni': 100}]}",
		  "tenants[1].vni: VNI 100 is already used by tenant 'red'" },
		{ "{'tenants': [{'name': 'red', 'vni': 1, 'color': 'red'}]}",
		  "tenants[0].color: unknown key (expected one of: name, vni, vxlan, remote_vteps, "
		  "learn_vteps, encrypted, evpn_device)" },
	};

	RUN(cases);
}

static void test_vms(void)
{
	static const struct err_case cases[] = {
		{ "{'vms': [{'name': 'a'}]}", "vms[0].kernel: missing required key" },
		{ "{'vms': [{'kernel': 'k'}]}", "vms[0].name: missing required key" },
		{ "{'vms': [{'name': 'a', 'kernel': ''}]}", "vms[0].kernel: must not be empty" },
		{ "{'vms': [{'name': 'a', 'kernel': 7}]}",
		  "vms[0].kernel: must be a string, got an integer" },
		{ "{'vms': [" VM_A ", 'memory': '12Q'}]}",
		  "vms[0].memory: invalid size '12Q' (use a number with K, M or G)" },
		{ "{'vms': [" VM_A ", 'memory': '1.5G'}]}",
		  "vms[0].memory: invalid size '1.5G' (use a number with K, M or G)" },
		{ "{'vms': [" VM_A ", 'memory': '99999999999999999999G'}]}",
		  "vms[0].memory: invalid size '99999999999999999999G' (use a number with K, M or G)" },
		{ "{'vms': [" VM_A ", 'memory': '8M'}]}",
		  "vms[0].memory: must be 16M..1024G, got 8M" },
		{ "{'vms': [" VM_A ", 'memory': '2048G'}]}",
		  "vms[0].memory: must be 16M..1024G, got 2048G" },
		{ "{'vms': [" VM_A ", 'memory': -4096}]}",
		  "vms[0].memory: must be 16M..1024G, got -4096" },
		{ "{'vms': [" VM_A ", 'memory': true}]}",
		  "vms[0].memory: must be a size like \"256M\" or an integer of bytes, got a boolean" },
		{ "{'vms': [" VM_A ", 'memory': 1000000000}]}",
		  "vms[0].memory: must be a multiple of 4K, got 1000000000" },
		{ "{'vms': [" VM_A ", 'memory': '17M', 'hugepages': true}]}",
		  "vms[0].memory: must be a multiple of 2M with hugepages, got 17M" },
		{ "{'vms': [" VM_A ", 'vcpus': 0}]}", "vms[0].vcpus: must be 1..255, got 0" },
		{ "{'vms': [" VM_A ", 'vcpus': 256}]}", "vms[0].vcpus: must be 1..255, got 256" },
		{ "{'vms': [" VM_A ", 'hugepages': 'yes'}]}",
		  "vms[0].hugepages: must be true or false, got a string" },
		{ "{'vms': [" VM_A ", 'vcpu': 2}]}",
		  "vms[0].vcpu: unknown key (expected one of: name, kernel, initrd, cmdline, memory, "
		  "vcpus, hugepages, console, debug_exit, nics, disks, passthrough)" },
		{ "{'vms': [" VM_A ", 'console': {'stdin': 1}}]}",
		  "vms[0].console.stdin: must be true or false, got an integer" },
		{ "{'vms': [" VM_A ", 'console': {'log': ''}}]}",
		  "vms[0].console.log: must not be empty" },
		{ "{'vms': [" VM_A ", 'console': {'stdin': true}}, {'name': 'b', 'kernel': 'k', "
		  "'console': {'stdin': true}}]}",
		  "vms[1].console.stdin: vm 'a' already reads stdin" },
		{ "{'vms': [" VM_A "}, " VM_A "}]}",
		  "vms[1].name: duplicate VM name 'a' (also vms[0])" },
		{ "{'vms': [" VM_A ", 'nics': {}}]}",
		  "vms[0].nics: must be an array, got an object" },
		{ "{'vms': [" VM_A ", 'passthrough': [{}]}]}",
		  "vms[0].passthrough[0].pci: give either \"pci\" or \"pf\" (with \"vf\"), not neither" },
		{ "{'vms': [" VM_A
		  ", 'passthrough': [{'pci': '0000:00:01.1', 'pf': '0000:00:01.0'}]}]}",
		  "vms[0].passthrough[0].pf: give either \"pci\" or \"pf\" (with \"vf\"), not both" },
		{ "{'vms': [" VM_A ", 'passthrough': [{'pci': '00:01.1'}]}]}",
		  "vms[0].passthrough[0].pci: '00:01.1' is not a PCI address like \"0000:00:01.1\" "
		  "(domain:bus:device.function, lower-case hex, device at most 1f)" },
		{ "{'vms': [" VM_A ", 'passthrough': [{'pf': '0000:00:20.0'}]}]}",
		  "vms[0].passthrough[0].pf: '0000:00:20.0' is not a PCI address like \"0000:00:01.1\" "
		  "(domain:bus:device.function, lower-case hex, device at most 1f)" },
		{ "{'vms': [" VM_A ", 'passthrough': [{'pci': '0000:00:01.8'}]}]}",
		  "vms[0].passthrough[0].pci: '0000:00:01.8' is not a PCI address like \"0000:00:01.1\" "
		  "(domain:bus:device.function, lower-case hex, device at most 1f)" },
		{ "{'vms': [" VM_A ", 'passthrough': [{'pf': '0000:00:01.0', 'vf': 256}]}]}",
		  "vms[0].passthrough[0].vf: must be 0..255, got 256" },
	};

	RUN(cases);
}

static void test_vm_limits(void)
{
	char *big = malloc(4096), *p;
	int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	/* A 2048-byte command line is one byte over x86's limit. */
	p = big + sprintf(big, "{'vms': [" VM_A ", 'cmdline': '");
	memset(p, 'x', 2048);
	strcpy(p + 2048, "'}]}");
	CU_ASSERT_TRUE(tc_fails_with(big, "vms[0].cmdline: must be at most 2047 bytes, got 2048"));
	p = big + sprintf(big, "{'vms': [" VM_A ", 'nics': [");
	for (i = 0; i < 17; i++)
		p += sprintf(p, "%s{}", i ? ", " : "");
	strcpy(p, "]}]}");
	CU_ASSERT_TRUE(tc_fails_with(big, "vms[0].nics: must have at most 16 entries, got 17"));
	free(big);
}

static void test_nics(void)
{
	static const struct err_case cases[] = {
		{ "{" TENANTS ", 'vms': [" VM_A
		  "}, {'name': 'b', 'kernel': 'k', 'nics': [{'tenant': "
		  "'green', 'mac': '02:00:00:00:00:01'}]}]}",
		  "vms[1].nics[0].tenant: unknown tenant 'green'" },
		{ "{'vms': [" VM_A ", 'nics': [{'tenant': 'blue', 'mac': '02:00:00:00:00:01'}]}]}",
		  "vms[0].nics[0].tenant: unknown tenant 'blue'" },
		{ NIC_VM("{'tenant': 'red'}"), "vms[0].nics[0].mac: missing required key" },
		{ NIC_VM("{'tenant': 'red', 'mac': '52:54:00:00:00'}"),
		  "vms[0].nics[0].mac: invalid MAC address '52:54:00:00:00' (use six hex pairs like "
		  "52:54:00:12:34:56)" },
		{ NIC_VM("{'tenant': 'red', 'mac': '52-54-00-00-00-01'}"),
		  "vms[0].nics[0].mac: invalid MAC address '52-54-00-00-00-01' (use six hex pairs like "
		  "52:54:00:12:34:56)" },
		{ NIC_VM("{'tenant': 'red', 'mac': '52:54:00:00:00:01:'}"),
		  "vms[0].nics[0].mac: invalid MAC address '52:54:00:00:00:01:' (use six hex pairs like "
		  "52:54:00:12:34:56)" },
		{ NIC_VM("{'tenant': 'red', 'mac': '01:00:5e:00:00:01'}"),
		  "vms[0].nics[0].mac: 01:00:5e:00:00:01 is a multicast address; a NIC needs a unicast "
		  "one" },
		{ NIC_VM("{'tenant': 'red', 'mac': 'ff:ff:ff:ff:ff:ff'}"),
		  "vms[0].nics[0].mac: ff:ff:ff:ff:ff:ff is a multicast address; a NIC needs a unicast "
		  "one" },
		{ NIC_VM("{'tenant': 'red', 'mac': '00:00:00:00:00:00'}"),
		  "vms[0].nics[0].mac: 00:00:00:00:00:00 is the all-zero address; a NIC needs a unicast "
		  "one" },
		{ NIC_VM("{'tenant': 'red', 'mac': '02:00:00:00:00:01', 'queues': 17}"),
		  "vms[0].nics[0].queues: must be 1..16, got 17" },
		{ NIC_VM("{'mac': '02:00:00:00:00:01', 'queues': 2, 'backend': {'vhost-user': '/s'}}"),
		  "vms[0].nics[0].queues: 2 queue pairs asked, but a NIC on an external vhost-user "
		  "backend has one (Ferry's frontend has no multiqueue): use 1" },
		{ NIC_VM("{'mac': '02:00:00:00:00:01'}"),
		  "vms[0].nics[0].tenant: missing (required when backend is \"switch\")" },
		{ NIC_VM("{'tenant': 'red', 'mac': '02:00:00:00:00:01', 'backend': {'vhost-user': "
			 "'/s'}}"),
		  "vms[0].nics[0].tenant: only allowed when backend is \"switch\"" },
		{ NIC_VM("{'tenant': 'red', 'mac': '02:00:00:00:00:01', 'backend': 'tap'}"),
		  "vms[0].nics[0].backend: must be \"switch\" or {\"vhost-user\": PATH}, got 'tap'" },
		{ NIC_VM("{'tenant': 'red', 'mac': '02:00:00:00:00:01', 'backend': 1}"),
		  "vms[0].nics[0].backend: must be \"switch\" or {\"vhost-user\": PATH}, got an integer" },
		{ NIC_VM("{'mac': '02:00:00:00:00:01', 'backend': {}}"),
		  "vms[0].nics[0].backend.vhost-user: missing required key" },
		{ NIC_VM("{'mac': '02:00:00:00:00:01', 'backend': {'vhost-user': '/s', 'x': 1}}"),
		  "vms[0].nics[0].backend.x: unknown key (expected one of: vhost-user, mode)" },
		{ NIC_VM("{'mac': '02:00:00:00:00:01', 'backend': {'vhost-user': '/s', 'mode': 'both'}}"),
		  "vms[0].nics[0].backend.mode: must be one of \"server\", \"client\", got 'both'" },
		{ NIC_VM("{'tenant': 'red', 'mac': '02:00:00:00:00:01', 'mtu': 9000}"),
		  "vms[0].nics[0].mtu: unknown key (expected one of: tenant, mac, queues, tso, packed, backend)" },
	};

	RUN(cases);
}

static void test_duplicates(void)
{
	static const struct err_case cases[] = {
		/* The same MAC twice in one tenant, across VMs and within one VM. */
		{ "{" TENANTS ", 'vms': [" VM_A ", 'nics': [{'tenant': 'red', 'mac': "
		  "'52:54:00:00:00:01'}]}, {'name': 'b', 'kernel': 'k', 'nics': [{'tenant': 'red', "
		  "'mac': '52:54:00:00:00:01'}]}]}",
		  "vms[1].nics[0].mac: 52:54:00:00:00:01 is already used in tenant 'red' by vm 'a' "
		  "nics[0]" },
		{ NIC_VM("{'tenant': 'blue', 'mac': '52:54:00:00:00:01'}, {'tenant': 'blue', 'mac': "
			 "'52:54:00:00:00:01'}"),
		  "vms[0].nics[1].mac: 52:54:00:00:00:01 is already used in tenant 'blue' by vm 'a' "
		  "nics[0]" },
		{ NIC_VM("{'mac': '02:00:00:00:00:01', 'backend': {'vhost-user': '/s'}}, {'mac': "
			 "'02:00:00:00:00:02', 'backend': {'vhost-user': '/s'}}"),
		  "vms[0].nics[1].backend.vhost-user: socket '/s' is already used by vm 'a' nics[0]" },
	};

	RUN(cases);
}

#define PORT(extra) "{'name': 'p', 'path': '/p', 'tenant': 'red'" extra "}"

static void test_vhost_ports(void)
{
	static const struct err_case cases[] = {
		{ "{" TENANTS ", 'vhost_user_ports': [{'name': 'p', 'path': '/p'}]}",
		  "vhost_user_ports[0].tenant: missing required key" },
		{ "{" TENANTS ", 'vhost_user_ports': [{'name': 'p', 'path': '/p', 'tenant': 'x'}]}",
		  "vhost_user_ports[0].tenant: unknown tenant 'x'" },
		{ "{" TENANTS ", 'vhost_user_ports': [" PORT(", 'mode': 'both'") "]}",
		  "vhost_user_ports[0].mode: must be one of \"server\", \"client\", got 'both'" },
		{ "{" TENANTS ", 'vhost_user_ports': [" PORT(", 'queues': 0") "]}",
		  "vhost_user_ports[0].queues: must be 1..16, got 0" },
		{ "{" TENANTS ", 'vhost_user_ports': [" PORT("") ", " PORT("") "]}",
		  "vhost_user_ports[1].name: duplicate port name 'p' (also vhost_user_ports[0])" },
		{ "{" TENANTS ", 'vhost_user_ports': [" PORT("") ", {'name': 'q', 'path': '/p', "
								 "'tenant': 'blue'}]}",
		  "vhost_user_ports[1].path: socket '/p' is already used by port 'p'" },
		/* A NIC backend and a port cannot share a socket. */
		{ "{" TENANTS ", 'vms': [" VM_A
		  ", 'nics': [{'mac': '02:00:00:00:00:01', 'backend': "
		  "{'vhost-user': '/p'}}]}], 'vhost_user_ports': [" PORT("") "]}",
		  "vms[0].nics[0].backend.vhost-user: socket '/p' is already used by port 'p'" },
		{ "{" TENANTS ", 'vhost_user_ports': [{'name': 'p', 'tenant': 'red', 'path': "
		  "'/0123456789/0123456789/0123456789/0123456789/0123456789/0123456789/0123456789/"
		  "0123456789/0123456789/0123456789'}]}",
		  "vhost_user_ports[0].path: path '/0123456789/0123456789/0123456789/0123456789/"
		  "0123456789/0123456789/0123456789/0123456789/012...' is too long (110 bytes, at most "
		  "107 for a Unix socket)" },
	};

	RUN(cases);
}

/* JSON syntax errors name the file, line and column jansson reports. */
#define VTEP4 "'vtep': {'local': '192.0.2.1'}"
#define VX(extra) "{'name': 'red', 'vni': 100, 'vxlan': true" extra "}"

static void test_overlay(void)
{
	static const struct err_case cases[] = {
		{ "{'vtep': {'local': '192.0.2.300'}}",
		  "vtep.local: invalid IP address '192.0.2.300' (use 192.0.2.1 or 2001:db8::1)" },
		{ "{'vtep': {'local': '224.0.0.1'}}",
		  "vtep.local: 224.0.0.1 is a multicast address; a tunnel endpoint needs a unicast "
		  "one" },
		{ "{'vtep': {'local': '::'}}",
		  "vtep.local: :: is the unspecified address; a tunnel endpoint needs a unicast one" },
		{ "{'vtep': {'local': '192.0.2.1', 'udp_port': 0}}",
		  "vtep.udp_port: must be 1..65535, got 0" },
		{ "{'tenants': [{'name': 'red', 'vni': 1, 'evpn_device': 'vx1'}]}",
		  "tenants[0].evpn_device: only with \"vxlan\": true" },
		{ "{'vtep': {'local': '192.0.2.1'}, 'tenants': [" VX(", 'evpn_device': 'vx 1'") "]}",
		  "tenants[0].evpn_device: 'vx 1' is not an interface name" },
		{ "{'vtep': {'local': '192.0.2.1'}, 'tenants': [" VX(
			  ", 'evpn_device': 'a-name-too-long-for-linux'") "]}",
		  "tenants[0].evpn_device: must be at most 15 bytes, got 25" },
		{ "{'tenants': [" VX("") "]}",
		  "tenants[0].vxlan: needs a local VTEP: set vtep.local" },
		{ "{'tenants': [{'name': 'red', 'vni': 1, 'remote_vteps': ['192.0.2.2']}]}",
		  "tenants[0].remote_vteps: only with \"vxlan\": true" },
		{ "{" VTEP4 ", 'tenants': [" VX(", 'remote_vteps': ['2001:db8::2']") "]}",
		  "tenants[0].remote_vteps[0]: 2001:db8::2 is IPv6 but vtep.local is IPv4 (and no "
		  "wireguard peer's allowed_ips hold it)" },
		{ "{" VTEP4 ", 'tenants': [" VX(", 'remote_vteps': ['192.0.2.1']") "]}",
		  "tenants[0].remote_vteps[0]: 192.0.2.1 is this host's own VTEP (vtep.local)" },
		{ "{" VTEP4
		  ", 'tenants': [" VX(", 'remote_vteps': ['192.0.2.2', '192.0.2.2']") "]}",
		  "tenants[0].remote_vteps[1]: duplicate address 192.0.2.2 (also at [0])" },
		{ "{" VTEP4 ", 'tenants': [" VX(", 'remote_vteps': [7]") "]}",
		  "tenants[0].remote_vteps[0]: must be a string, got an integer" },
		{ "{'uplinks': [{'name': 'u', 'kind': 'afxdp', 'interface': 'eth0'}]}",
		  "uplinks[0]: an uplink carries the overlay: set vtep.local" },
		{ "{" VTEP4 ", 'uplinks': [{'name': 'u', 'kind': 'dpdk', 'interface': 'eth0'}]}",
		  "uplinks[0].devargs: missing (required when kind is \"dpdk\")" },
		{ "{" VTEP4 ", 'uplinks': [{'name': 'u', 'kind': 'afxdp', 'interface': 'eth0', "
		  "'devargs': 'x'}]}",
		  "uplinks[0].devargs: only allowed when kind is \"dpdk\"" },
		{ "{" VTEP4 ", 'uplinks': [{'name': 'u', 'kind': 'dpdk', 'interface': 'eth0', "
		  "'devargs': 'net_af_packet0,iface=eth0', 'xdp_mode': 'native'}]}",
		  "uplinks[0].xdp_mode: only for afxdp uplinks" },
		{ "{" VTEP4 ", 'uplinks': [{'name': 'u', 'kind': 'tun', 'interface': 'eth0'}]}",
		  "uplinks[0].kind: must be one of \"afxdp\", \"dpdk\", got 'tun'" },
		{ "{" VTEP4 ", 'uplinks': [{'name': 'u', 'kind': 'afxdp', 'interface': "
		  "'a-very-long-interface'}]}",
		  "uplinks[0].interface: must be at most 15 bytes, got 21" },
		{ "{" VTEP4 ", 'uplinks': [{'name': 'u', 'kind': 'afxdp', 'interface': 'eth0'}, "
		  "{'name': 'v', 'kind': 'afxdp', 'interface': 'eth0'}]}",
		  "uplinks[1].interface: interface 'eth0' already carries uplink 'u'" },
		{ "{" VTEP4 ", 'uplinks': [{'name': 'u', 'kind': 'afxdp', 'interface': 'eth0'}, "
		  "{'name': 'u', 'kind': 'afxdp', 'interface': 'eth1'}]}",
		  "uplinks[1].name: duplicate port name 'u' (also uplinks[0])" },
		{ "{'tenants': [{'name': 'red', 'vni': 1}], 'tap_ports': [{'name': 't', "
		  "'interface': 'tap0', 'tenant': 'blue'}]}",
		  "tap_ports[0].tenant: unknown tenant 'blue'" },
		{ "{'tenants': [{'name': 'red', 'vni': 1}], 'tap_ports': [{'name': 't', "
		  "'interface': 'tap0', 'tenant': 'red'}, {'name': 'u', 'interface': 'tap0', "
		  "'tenant': 'red'}]}",
		  "tap_ports[1].interface: interface 'tap0' is already port 't'" },
	};

	RUN(cases);
}

#define KEY "'Hv8ws2kVIqDQCnwEVX8PshpwuStHcN1Q2qq+sFOAlXw='"
#define WG(extra) "'wireguard': {'private_key_file': '/k', 'address': '10.99.0.1'" extra "}"
#define PEER(extra) "{'public_key': " KEY extra "}"

static void test_wireguard(void)
{
	static const struct err_case cases[] = {
		{ "{'wireguard': {'address': '10.99.0.1'}}",
		  "wireguard.private_key_file: required for a tunnel (`wg genkey > FILE`)" },
		{ "{" WG("") "}", "wireguard: the tunnel runs between VTEPs: set vtep.local" },
		{ "{" VTEP4 ", 'wireguard': {'private_key_file': '/k'}}",
		  "wireguard.address: required: our VTEP address inside the tunnel" },
		{ "{" VTEP4 ", " WG(", 'listen_port': 4789") "}",
		  "wireguard.listen_port: 4789 is vtep.udp_port (VXLAN's)" },
		{ "{" VTEP4 ", 'wireguard': {'private_key_file': '/k', 'address': '192.0.2.1'}}",
		  "wireguard.address: must not be vtep.local: it lives in the tunnel" },
		{ "{" VTEP4 ", " WG(", 'peers': [{'public_key': 'abc'}]") "}",
		  "wireguard.peers[0].public_key: 'abc' is not a key: 44 characters of base64, as "
		  "`wg pubkey` or `ferry wg pubkey` prints it" },
		{ "{" VTEP4 ", " WG(", 'peers': [{}]") "}",
		  "wireguard.peers[0].public_key: missing required key" },
		{ "{" VTEP4 ", " WG(", 'peers': [" PEER(", 'endpoint': '192.0.2.2'") "]") "}",
		  "wireguard.peers[0].endpoint: invalid endpoint '192.0.2.2' (use 192.0.2.1:51820 or "
		  "[2001:db8::1]:51820; an IP address, not a name)" },
		{ "{" VTEP4
		  ", " WG(", 'peers': [" PEER(", 'endpoint': '2001:db8::2:51820'") "]") "}",
		  "wireguard.peers[0].endpoint: invalid endpoint '2001:db8::2:51820' (use "
		  "192.0.2.1:51820 or [2001:db8::1]:51820; an IP address, not a name)" },
		{ "{" VTEP4
		  ", " WG(", 'peers': [" PEER(", 'endpoint': '[2001:db8::2]:51820'") "]") "}",
		  "wireguard.peers[0].endpoint: an IPv6 endpoint, but vtep.local is IPv4" },
		{ "{" VTEP4
		  ", " WG(", 'peers': [" PEER(", 'allowed_ips': ['10.99.0.2/24']") "]") "}",
		  "wireguard.peers[0].allowed_ips[0]: '10.99.0.2/24' has host bits set below its "
		  "prefix length" },
		{ "{" VTEP4 ", " WG(", 'peers': [" PEER("") ", " PEER("") "]") "}",
		  "wireguard.peers[1].public_key: the same key as peers[0]" },
		{ "{" VTEP4 ", " WG(", 'peers': [" PEER(
			  ", 'allowed_ips': ['10.99.0.2']") ", "
							    "{'public_key': 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', "
							    "'allowed_ips': ['10.99.0.2/32']}]") "}",
		  "wireguard.peers[1].allowed_ips: 10.99.0.2/32 is peers[0]'s already" },
		{ "{" VTEP4 ", " WG(", 'test_timer_divisor': 0") "}",
		  "wireguard.test_timer_divisor: must be 1..1000, got 0" },
		{ "{" VTEP4 ", 'tenants': [" VX(", 'encrypted': true") "]}",
		  "tenants[0].encrypted: needs the tunnel: set wireguard.private_key_file" },
		{ "{" VTEP4 ", 'tenants': [{'name': 'red', 'vni': 1, 'encrypted': true}]}",
		  "tenants[0].encrypted: only with \"vxlan\": true" },
		{ "{" VTEP4 ", " WG(", 'peers': [" PEER(
			  ", 'allowed_ips': ['10.99.0.0/24']") "]") ", "
								    "'tenants': [" VX(
									    ", 'encrypted': true, 'remote_vteps': ['10.99.0.2', '192.0.2.2']") "]}",
		  "tenants[0].remote_vteps[1]: 192.0.2.2 is in no wireguard peer's allowed_ips, but "
		  "the tenant is encrypted" },
		{ "{" VTEP4 ", " WG("") ", 'tenants': [" VX(", 'remote_vteps': ['10.99.0.1']") "]}",
		  "tenants[0].remote_vteps[0]: 10.99.0.1 is this host's own tunnel address "
		  "(wireguard.address)" },
		{ "{'vtep': {'local': '2001:db8::1'}, " WG(", 'peers': [" PEER(
			  ", 'allowed_ips': ['10.99.0.0/24']") "]") ", "
								    "'tenants': [" VX(
									    ", 'remote_vteps': ['10.99.0.2', '10.98.0.2']") "]}",
		  "tenants[0].remote_vteps[1]: 10.98.0.2 is IPv4 but vtep.local is IPv6 (and no "
		  "wireguard peer's allowed_ips hold it)" },
	};

	RUN(cases);
}

#define ACL(rule) "{'xdp_acls': [{'interface': 'tap0', 'rules': [" rule "]}]}"

static void test_filters(void)
{
	static const struct err_case cases[] = {
		{ ACL("{'action': 'block'}"),
		  "xdp_acls[0].rules[0].action: must be one of \"allow\", \"drop\", \"count\", got "
		  "'block'" },
		{ ACL("{'action': 'drop', 'src': '10.0.0.1/8'}"),
		  "xdp_acls[0].rules[0].src: '10.0.0.1/8' has host bits set below its prefix length" },
		{ ACL("{'action': 'drop', 'src': '10.0.0.0/33'}"),
		  "xdp_acls[0].rules[0].src: invalid prefix '10.0.0.0/33' (use 10.0.0.0/8, "
		  "2001:db8::/32 or an address)" },
		{ ACL("{'action': 'drop', 'src': '10.0.0.0/8', 'dst': '2001:db8::/32'}"),
		  "xdp_acls[0].rules[0].dst: is IPv6 but src is IPv4" },
		{ ACL("{'action': 'drop', 'dport': 80}"),
		  "xdp_acls[0].rules[0].dport: needs proto tcp or udp" },
		{ ACL("{'action': 'drop', 'proto': 'udp', 'dport': '90-80'}"),
		  "xdp_acls[0].rules[0].dport: invalid port range '90-80' (use 80 or 1024-65535)" },
		{ ACL("{'action': 'drop', 'proto': 'icmp', 'src': '2001:db8::/32'}"),
		  "xdp_acls[0].rules[0].proto: icmp does not go with IPv6 prefixes" },
		{ "{'xdp_acls': [{'interface': 'tap0'}, {'interface': 'tap0'}]}",
		  "xdp_acls[1].interface: interface 'tap0' already has xdp_acls[0]" },
		{ "{" VTEP4 ", 'uplinks': [{'name': 'u', 'kind': 'afxdp', 'interface': 'eth0'}], "
		  "'xdp_acls': [{'interface': 'eth0'}]}",
		  "xdp_acls[0].interface: interface 'eth0' carries uplink 'u', whose XDP program "
		  "filters it (see uplink_filter)" },
		{ "{'uplink_filter': {'vtep_allow': ['10.0.0.0/8', 'x']}}",
		  "uplink_filter.vtep_allow[1]: invalid prefix 'x' (use 10.0.0.0/8, 2001:db8::/32 or "
		  "an address)" },
		{ "{'uplink_filter': {'rate_limit_burst': 0}}",
		  "uplink_filter.rate_limit_burst: must be 1..1000000, got 0" },
	};

	RUN(cases);
}

static void test_syntax(void)
{
	static const struct err_case cases[] = {
		{ "{\n  'vms': [\n", "t.json:3:0: ']' expected near end of file" },
		{ "", "t.json:1:0: '[' or '{' expected near end of file" },
		{ "{'a': 1, 'a': 2}", "t.json:1:12: duplicate object key near '\"a\"'" },
		{ "{\n 'a': tru }", "t.json:2:9: invalid token near 'tru'" },
		{ "{'switch': {'burst': 99999999999999999999}}",
		  "t.json:1:41: too big integer near '99999999999999999999'" },
	};

	RUN(cases);
}

static void test_files(void)
{
	char dir[] = "/tmp/ferry-cfg-XXXXXX", path[64], want[128];
	struct config_error err;

	CU_ASSERT_PTR_NULL(config_load_file("/nonexistent/ferry.json", &err));
	CU_ASSERT_STRING_EQUAL(err.msg, "/nonexistent/ferry.json: No such file or directory");
	CU_ASSERT_PTR_NULL(config_load_file("/", &err));
	CU_ASSERT_STRING_EQUAL(err.msg, "/: not a regular file");
	/* A truncated file: the message starts with the file's name and position. */
	CU_ASSERT_TRUE_FATAL(tc_temp_file(dir, "cut.json", "{\n  \"switch\": {\n    \"burst\": 3",
					  path, sizeof(path)));
	CU_ASSERT_PTR_NULL(config_load_file(path, &err));
	snprintf(want, sizeof(want), "%s:3:14: '}' expected near end of file", path);
	CU_ASSERT_STRING_EQUAL(err.msg, want);
	tc_temp_remove(dir, path);
	/* Callers may ignore the message. */
	CU_ASSERT_PTR_NULL(config_load_string("{", NULL, NULL, NULL));
}

CU_TestInfo tc_error_tests[] = {
	{ "switch", test_switch },
	{ "top level", test_top_level },
	{ "wireguard", test_wireguard },
	{ "tenants", test_tenants },
	{ "vms", test_vms },
	{ "vm limits", test_vm_limits },
	{ "nics", test_nics },
	{ "duplicates", test_duplicates },
	{ "vhost-user ports", test_vhost_ports },
	{ "overlay", test_overlay },
	{ "filters", test_filters },
	{ "JSON syntax", test_syntax },
	{ "files", test_files },
	CU_TEST_INFO_NULL,
};
