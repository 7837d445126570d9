/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_control.c - the control-API side of config/ (one item parsed and checked against a
 * running config, then added or removed) and the value helpers (sizes, MACs).  Part of the
 * unit_config program (test_config.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_config.h"

static json_t *sq_json(const char *sq)
{
	char *text = tc_sq(sq);
	json_t *j = json_loads(text, 0, NULL);

	free(text);
	return j;
}

static struct ferry_config *demo(void)
{
	return config_builtin_demo("/guest", NULL);
}

/* Parse one VM against @cfg; returns the error code, message in @err. */
static int try_vm(struct ferry_config *cfg, const char *sq, const char *where,
		  struct config_vm **vm, struct config_error *err)
{
	json_t *j = sq_json(sq);
	int ret;

	CU_ASSERT_PTR_NOT_NULL(j);
	ret = config_parse_vm(cfg, j, where, vm, err);
	json_decref(j);
	return ret;
}

static void test_add_vm(void)
{
	struct ferry_config *cfg = demo();
	struct config_error err;
	struct config_vm *vm = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(try_vm(cfg,
			       "{'name': 'red3', 'kernel': 'rel/k', 'nics': [{'tenant': "
			       "'red', 'mac': '52:54:00:00:00:03'}]}",
			       "vms[4]", &vm, &err),
			0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(vm);
	/* Run-time paths are the daemon's, used as given. */
	CU_ASSERT_STRING_EQUAL(vm->kernel, "rel/k");
	CU_ASSERT_EQUAL(config_add_vm(cfg, vm), 0);
	CU_ASSERT_EQUAL(cfg->n_vms, 5);
	CU_ASSERT_PTR_NOT_NULL(config_find_vm(cfg, "red3"));
	CU_ASSERT_TRUE(tc_round_trips(cfg));
	CU_ASSERT_EQUAL(config_remove_vm(cfg, "red1"), 0);
	CU_ASSERT_EQUAL(cfg->n_vms, 4);
	CU_ASSERT_PTR_NULL(config_find_vm(cfg, "red1"));
	CU_ASSERT_STRING_EQUAL(cfg->vms[0].name, "red2");
	CU_ASSERT_STRING_EQUAL(cfg->vms[3].name, "red3");
	CU_ASSERT_EQUAL(config_remove_vm(cfg, "red1"), -ENOENT);
	config_free(cfg);
}

static void test_vm_conflicts(void)
{
	struct ferry_config *cfg = demo();
	struct config_error err;
	struct config_vm *vm = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(try_vm(cfg, "{'name': 'red1', 'kernel': 'k'}", "vms[4]", &vm, &err),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err.msg, "vms[4].name: duplicate VM name 'red1' (also vms[0])");
	CU_ASSERT_EQUAL(try_vm(cfg,
			       "{'name': 'x', 'kernel': 'k', 'nics': [{'tenant': 'blue', "
			       "'mac': '52:54:00:00:00:02'}]}",
			       NULL, &vm, &err),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err.msg, "nics[0].mac: 52:54:00:00:00:02 is already used in tenant "
					"'blue' by vm 'blue2' nics[0]");
	CU_ASSERT_EQUAL(try_vm(cfg, "{'name': 'x', 'kernel': 'k', 'cpus': 1}", NULL, &vm, &err),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err.msg, "cpus: unknown key (expected one of: name, kernel, initrd, "
					"cmdline, memory, vcpus, hugepages, console, debug_exit, "
					"nics, disks, passthrough)");
	CU_ASSERT_EQUAL(try_vm(cfg, "[]", NULL, &vm, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.msg, "(top level): must be an object, got an array");
	config_free(cfg);
}

static void test_ports_and_tenants(void)
{
	struct ferry_config *cfg = demo();
	struct config_vhost_port *port = NULL;
	struct config_tenant *t = NULL;
	struct config_vm *vm = NULL;
	struct config_error err;
	json_t *j;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	j = sq_json("{'name': 'vu0', 'path': '/tmp/vu0', 'tenant': 'green'}");
	CU_ASSERT_EQUAL(config_parse_vhost_port(cfg, j, NULL, &port, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.msg, "tenant: unknown tenant 'green'");
	json_decref(j);
	/* Add the tenant, then the port succeeds. */
	j = sq_json("{'name': 'green', 'vni': 300}");
	CU_ASSERT_EQUAL_FATAL(config_parse_tenant(cfg, j, "tenants[2]", &t, &err), 0);
	CU_ASSERT_EQUAL(config_add_tenant(cfg, t), 0);
	CU_ASSERT_PTR_NOT_NULL(config_find_tenant(cfg, "green"));
	CU_ASSERT_EQUAL(config_parse_tenant(cfg, j, "tenants[3]", &t, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.msg, "tenants[3].name: duplicate tenant 'green' (also "
					"tenants[2])");
	json_decref(j);
	j = sq_json("{'name': 'vu0', 'path': '/tmp/vu0', 'tenant': 'green'}");
	CU_ASSERT_EQUAL_FATAL(config_parse_vhost_port(cfg, j, NULL, &port, &err), 0);
	CU_ASSERT_EQUAL(config_add_vhost_port(cfg, port), 0);
	CU_ASSERT_EQUAL(config_parse_vhost_port(cfg, j, NULL, &port, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.msg,
			       "name: duplicate port name 'vu0' (also vhost_user_ports[0])");
	json_decref(j);
	/* A VM backend on the port's socket is refused. */
	CU_ASSERT_EQUAL(try_vm(cfg,
			       "{'name': 'x', 'kernel': 'k', 'nics': [{'mac': "
			       "'02:00:00:00:00:01', 'backend': {'vhost-user': '/tmp/vu0'}}]}",
			       NULL, &vm, &err),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err.msg, "nics[0].backend.vhost-user: socket '/tmp/vu0' is already "
					"used by port 'vu0'");
	/* Tenants in use stay. */
	CU_ASSERT_EQUAL(config_remove_tenant(cfg, "green"), -EBUSY);
	CU_ASSERT_EQUAL(config_remove_tenant(cfg, "red"), -EBUSY);
	CU_ASSERT_EQUAL(config_remove_vhost_port(cfg, "vu0"), 0);
	CU_ASSERT_EQUAL(config_remove_tenant(cfg, "green"), 0);
	CU_ASSERT_EQUAL(config_remove_tenant(cfg, "green"), -ENOENT);
	CU_ASSERT_EQUAL(cfg->n_tenants, 2);
	CU_ASSERT_TRUE(tc_round_trips(cfg));
	config_free(cfg);
}

/* Lists stay within the limits the schema documents, at run time too. */
static void test_limits(void)
{
	struct ferry_config *cfg = config_defaults(NULL);
	struct config_vm *vm;
	struct config_error err;
	char text[128];
	int i, ret = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	for (i = 0; i < 64 && !ret; i++) {
		snprintf(text, sizeof(text), "{'name': 'v%d', 'kernel': 'k'}", i);
		ret = try_vm(cfg, text, NULL, &vm, &err);
		if (!ret)
			ret = config_add_vm(cfg, vm);
	}
	CU_ASSERT_EQUAL(ret, 0);
	CU_ASSERT_EQUAL_FATAL(try_vm(cfg, "{'name': 'v64', 'kernel': 'k'}", NULL, &vm, &err), 0);
	CU_ASSERT_EQUAL(config_add_vm(cfg, vm), -ENOSPC);
	config_vm_free(vm);
	config_free(cfg);
}

/* Strings built by code (not parsed) may hold NULs; C would cut them silently. */
static void test_embedded_nul(void)
{
	struct ferry_config *cfg = demo();
	json_t *j = json_pack("{s:s%, s:s}", "name", "ab\0c", (size_t)4, "kernel", "k");
	struct config_error err;
	struct config_vm *vm;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(config_parse_vm(cfg, j, NULL, &vm, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.msg, "name: must not contain NUL characters");
	json_decref(j);
	config_free(cfg);
}

CU_TestInfo tc_control_tests[] = {
	{ "add and remove a VM", test_add_vm },		 { "VM conflicts", test_vm_conflicts },
	{ "ports and tenants", test_ports_and_tenants }, { "list limits", test_limits },
	{ "embedded NUL", test_embedded_nul },		 CU_TEST_INFO_NULL,
};

static void test_parse_size(void)
{
	static const struct {
		const char *s;
		int ret;
		uint64_t v;
	} cases[] = {
		{ "0", 0, 0 },
		{ "4096", 0, 4096 },
		{ "1k", 0, 1024 },
		{ "3G", 0, 3ull << 30 },
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "18446744073709551616", -ERANGE, 0 },
		{ "17179869183G", 0, 17179869183ull << 30 },
		{ "17179869184G", -ERANGE, 0 },
		{ "", -EINVAL, 0 },
		{ "G", -EINVAL, 0 },
		{ "1KB", -EINVAL, 0 },
		{ "1T", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
		{ " 1", -EINVAL, 0 },
		{ "1 ", -EINVAL, 0 },
		{ "0x10", -EINVAL, 0 },
	};
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 0;
		CU_ASSERT_EQUAL(config_parse_size(cases[i].s, &v), cases[i].ret);
		if (!cases[i].ret)
			CU_ASSERT_EQUAL(v, cases[i].v);
	}
}

static void test_format_size(void)
{
	char buf[24];

	config_format_size(0, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "0");
	config_format_size(1024, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "1K");
	config_format_size(1536, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "1536");
	config_format_size(3ull << 20, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "3M");
	config_format_size(1024ull << 30, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "1024G");
	config_format_size(UINT64_MAX, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "18446744073709551615");
}

static void test_mac(void)
{
	static const uint8_t want[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
	static const char *const bad[] = {
		"",
		"52:54:00:ab:cd",
		"52:54:00:ab:cd:ef:",
		"52:54:00:ab:cd:eg",
		"52-54-00-ab-cd-ef",
		"5:54:00:ab:cd:ef",
		"525:4:00:ab:cd:ef",
		"52:54:00:ab:cd:ef0",
		" 52:54:00:ab:cd:ef",
	};
	uint8_t mac[6];
	char buf[18];
	size_t i;

	CU_ASSERT_EQUAL(config_parse_mac("52:54:00:AB:cd:Ef", mac), 0);
	CU_ASSERT_EQUAL(memcmp(mac, want, 6), 0);
	config_format_mac(mac, buf);
	CU_ASSERT_STRING_EQUAL(buf, "52:54:00:ab:cd:ef");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(config_parse_mac(bad[i], mac), -EINVAL);
	CU_ASSERT_TRUE(config_mac_is_unicast(want));
	CU_ASSERT_EQUAL(config_parse_mac("33:33:00:00:00:01", mac), 0);
	CU_ASSERT_FALSE(config_mac_is_unicast(mac));
	CU_ASSERT_EQUAL(config_parse_mac("00:00:00:00:00:00", mac), 0);
	CU_ASSERT_FALSE(config_mac_is_unicast(mac));
	CU_ASSERT_EQUAL(config_parse_mac("02:00:00:00:00:00", mac), 0);
	CU_ASSERT_TRUE(config_mac_is_unicast(mac));
}

CU_TestInfo tc_value_tests[] = {
	{ "config_parse_size", test_parse_size },
	{ "config_format_size", test_format_size },
	{ "MAC addresses", test_mac },
	CU_TEST_INFO_NULL,
};
