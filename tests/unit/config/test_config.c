/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_config.c - the unit_config test program: shared helpers (test_config.h), valid configs,
 * defaults, relative paths and the demo job.  Error cases are in test_errors.c, the control
 * API and value helpers in test_control.c, schema/docs sync and fuzzing in test_sync.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "test_config.h"

char *tc_sq(const char *s)
{
	char *d = strdup(s), *p;

	for (p = d; p && *p; p++)
		if (*p == '\'')
			*p = '"';
	return d;
}

struct ferry_config *tc_load(const char *sq, struct config_error *err)
{
	char *text = tc_sq(sq);
	struct ferry_config *cfg = config_load_string(text, "t.json", NULL, err);

	free(text);
	return cfg;
}

bool tc_fails_with(const char *sq, const char *msg)
{
	struct config_error err;
	struct ferry_config *cfg = tc_load(sq, &err);
	bool ok = !cfg && !strcmp(err.msg, msg);

	if (!ok)
		fprintf(stderr, "\n  input:    %s\n  expected: %s\n  got:      %s\n", sq, msg,
			cfg ? "(success)" : err.msg);
	config_free(cfg);
	return ok;
}

char *tc_read(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)len + 1))) {
		buf[fread(buf, 1, (size_t)len, f)] = '\0';
	}
	fclose(f);
	return buf;
}

const char *tc_src(const char *rel)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s", FERRY_SOURCE_ROOT, rel);
	return path;
}

bool tc_same_config(const struct ferry_config *a, const struct ferry_config *b)
{
	json_t *ja = config_to_json(a), *jb = config_to_json(b);
	bool same = ja && jb && json_equal(ja, jb);

	json_decref(ja);
	json_decref(jb);
	return same;
}

bool tc_round_trips(const struct ferry_config *cfg)
{
	struct config_error err;
	json_t *j = config_to_json(cfg);
	struct ferry_config *again = j ? config_parse_json(j, NULL, &err) : NULL;
	bool same = again && tc_same_config(cfg, again);

	if (!again && j)
		fprintf(stderr, "\n  round trip failed: %s\n", err.msg);
	json_decref(j);
	config_free(again);
	return same;
}

#define TENANTS "'tenants': [{'name': 'red', 'vni': 100}, {'name': 'blue', 'vni': 200}]"

static void test_defaults(void)
{
	struct config_error err;
	struct ferry_config *cfg = config_defaults(&err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_STRING_EQUAL(err.msg, "");
	CU_ASSERT_EQUAL(cfg->sw.pmd_threads, 1);
	CU_ASSERT_PTR_NULL(cfg->sw.pmd_cpus);
	CU_ASSERT_EQUAL(cfg->sw.n_pmd_cpus, 0);
	CU_ASSERT_EQUAL(cfg->sw.idle_sleep_us, 200);
	CU_ASSERT_EQUAL(cfg->sw.burst, 32);
	CU_ASSERT_EQUAL(cfg->sw.mac_aging_s, 300);
	CU_ASSERT_EQUAL(cfg->sw.hugepages, CONFIG_HUGEPAGES_AUTO);
	CU_ASSERT_EQUAL(cfg->sw.mbufs, 16384);
	CU_ASSERT_EQUAL(cfg->n_tenants + cfg->n_vms + cfg->n_vhost_ports, 0);
	CU_ASSERT_PTR_NULL(cfg->control.socket);
	CU_ASSERT_TRUE(tc_round_trips(cfg));
	config_free(cfg);
}

/* A VM and its NIC with only the required keys get every documented default. */
static void test_item_defaults(void)
{
	struct ferry_config *cfg =
		tc_load("{" TENANTS ", 'vms': [{'name': 'a', 'kernel': 'k', "
			"'nics': [{'tenant': 'red', 'mac': '02:00:00:00:00:01'}]}], "
			"'vhost_user_ports': [{'name': 'p', 'path': '/s', "
			"'tenant': 'blue'}]}",
			NULL);
	const struct config_vm *vm;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	vm = &cfg->vms[0];
	CU_ASSERT_STRING_EQUAL(vm->cmdline, "console=ttyS0");
	CU_ASSERT_EQUAL(vm->memory, 256ull << 20);
	CU_ASSERT_EQUAL(vm->vcpus, 1);
	CU_ASSERT_FALSE(vm->hugepages || vm->debug_exit || vm->console.use_stdin);
	CU_ASSERT_PTR_NULL(vm->initrd);
	CU_ASSERT_PTR_NULL(vm->console.log);
	CU_ASSERT_EQUAL(vm->nics[0].queues, 1);
	CU_ASSERT_EQUAL(vm->nics[0].backend.kind, CONFIG_BACKEND_SWITCH);
	CU_ASSERT_PTR_NULL(vm->nics[0].backend.vhost_user_path);
	CU_ASSERT_EQUAL(cfg->vhost_ports[0].mode, CONFIG_VU_SERVER);
	CU_ASSERT_EQUAL(cfg->vhost_ports[0].queues, 1);
	CU_ASSERT_STRING_EQUAL(cfg->vhost_ports[0].tenant, "blue");
	CU_ASSERT_TRUE(tc_round_trips(cfg));
	config_free(cfg);
}

/* Every key set to a non-default value lands in its member. */
static void test_all_keys(void)
{
	struct ferry_config *cfg = tc_load(
		"{'$schema': 'x', 'switch': {'pmd_threads': 2, 'pmd_cpus': [3, 1], "
		"'idle_sleep_us': 0, 'burst': 256, 'mac_aging_s': 0, 'hugepages': 'off', "
		"'mbufs': 1024}, " TENANTS ", 'vms': [{'name': 'g-1.x_Y', 'kernel': '/k', "
		"'initrd': 'i', 'cmdline': '', 'memory': '2G', 'vcpus': 255, 'hugepages': true, "
		"'console': {'log': 'c.log', 'stdin': true}, 'debug_exit': true, 'nics': ["
		"{'tenant': 'red', 'mac': '52:54:00:AB:cd:EF', 'queues': 1}, "
		"{'mac': '52:54:00:00:00:01', 'backend': {'vhost-user': '/vu.sock'}}]}], "
		"'vhost_user_ports': [{'name': 'p', 'path': '/p.sock', 'mode': 'client', "
		"'tenant': 'red', 'queues': 1}], 'control': {'socket': '/c.sock'}}",
		NULL);
	const struct config_vm *vm;
	static const uint8_t mac[6] = { 0x52, 0x54, 0, 0xab, 0xcd, 0xef };

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->sw.pmd_threads, 2);
	CU_ASSERT_EQUAL_FATAL(cfg->sw.n_pmd_cpus, 2);
	CU_ASSERT_TRUE(cfg->sw.pmd_cpus[0] == 3 && cfg->sw.pmd_cpus[1] == 1);
	CU_ASSERT_TRUE(cfg->sw.idle_sleep_us == 0 && cfg->sw.burst == 256);
	CU_ASSERT_TRUE(cfg->sw.mac_aging_s == 0 && cfg->sw.mbufs == 1024);
	CU_ASSERT_EQUAL(cfg->sw.hugepages, CONFIG_HUGEPAGES_OFF);
	vm = &cfg->vms[0];
	CU_ASSERT_STRING_EQUAL(vm->name, "g-1.x_Y");
	CU_ASSERT_STRING_EQUAL(vm->initrd, "i");
	CU_ASSERT_STRING_EQUAL(vm->cmdline, "");
	CU_ASSERT_EQUAL(vm->memory, 2ull << 30);
	CU_ASSERT_TRUE(vm->vcpus == 255 && vm->hugepages && vm->debug_exit);
	CU_ASSERT_TRUE(vm->console.use_stdin);
	CU_ASSERT_STRING_EQUAL(vm->console.log, "c.log");
	CU_ASSERT_EQUAL_FATAL(vm->n_nics, 2);
	CU_ASSERT_EQUAL(memcmp(vm->nics[0].mac, mac, 6), 0);
	CU_ASSERT_EQUAL(vm->nics[0].queues, 1);
	CU_ASSERT_EQUAL(vm->nics[1].backend.kind, CONFIG_BACKEND_VHOST_USER);
	CU_ASSERT_STRING_EQUAL(vm->nics[1].backend.vhost_user_path, "/vu.sock");
	/* The default: ferry connects. */
	CU_ASSERT_EQUAL(vm->nics[1].backend.mode, CONFIG_VU_CLIENT);
	CU_ASSERT_PTR_NULL(vm->nics[1].tenant);
	CU_ASSERT_EQUAL(cfg->vhost_ports[0].mode, CONFIG_VU_CLIENT);
	CU_ASSERT_EQUAL(cfg->vhost_ports[0].queues, 1);
	CU_ASSERT_STRING_EQUAL(cfg->control.socket, "/c.sock");
	CU_ASSERT_TRUE(tc_round_trips(cfg));
	config_free(cfg);
}

static void test_wireguard_keys(void)
{
	char *text = tc_sq(
		"{'vtep': {'local': '2001:db8::1'}, 'wireguard': {'private_key_file': '/etc/k', "
		"'listen_port': 51000, 'address': '10.99.0.1', 'test_timer_divisor': 40, "
		"'test_rekey_after_messages': 1000, 'peers': [{'public_key': "
		"'dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=', 'endpoint': '[2001:db8::2]:51820', "
		"'allowed_ips': ['10.99.0.2', '10.98.0.0/16'], 'preshared_key_file': 'psk', "
		"'persistent_keepalive': 25}, {'public_key': "
		"'hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo='}]}, 'tenants': [{'name': 'red', "
		"'vni': 100, 'vxlan': true, 'encrypted': true, 'remote_vteps': ['10.98.1.1']}]}");
	struct ferry_config *cfg = config_load_string(text, NULL, "/base", NULL);
	const struct config_wg_peer *p;
	char buf[80];

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_STRING_EQUAL(cfg->wireguard.private_key_file, "/etc/k");
	CU_ASSERT_EQUAL(cfg->wireguard.listen_port, 51000);
	CU_ASSERT_EQUAL(cfg->wireguard.test_timer_divisor, 40);
	CU_ASSERT_EQUAL(cfg->wireguard.test_rekey_after_messages, 1000);
	CU_ASSERT_EQUAL_FATAL(cfg->wireguard.n_peers, 2);
	p = &cfg->wireguard.peers[0];
	/* RFC 7748's Alice: the key text decodes to her key's bytes. */
	CU_ASSERT_TRUE(p->public_key[0] == 0x77 && p->public_key[31] == 0x2a);
	config_format_endpoint(&p->endpoint, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "[2001:db8::2]:51820");
	CU_ASSERT_EQUAL_FATAL(p->n_allowed_ips, 2);
	CU_ASSERT_EQUAL(p->allowed_ips[0].plen, 32);
	CU_ASSERT_STRING_EQUAL(p->preshared_key_file, "/base/psk");
	CU_ASSERT_EQUAL(p->persistent_keepalive, 25);
	CU_ASSERT_EQUAL(cfg->wireguard.peers[1].endpoint.addr.family, 0);
	CU_ASSERT_EQUAL(cfg->wireguard.peers[1].n_allowed_ips, 0);
	CU_ASSERT_TRUE(cfg->tenants[0].encrypted);
	CU_ASSERT_EQUAL(config_wg_route(&cfg->wireguard, &cfg->tenants[0].remote_vteps[0]), 0);
	CU_ASSERT_TRUE(tc_round_trips(cfg));
	config_free(cfg);
	free(text);
	/* No tunnel by default, and the whitepaper's timers. */
	cfg = tc_load("{}", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_PTR_NULL(cfg->wireguard.private_key_file);
	CU_ASSERT_EQUAL(cfg->wireguard.listen_port, 51820);
	CU_ASSERT_EQUAL(cfg->wireguard.test_timer_divisor, 1);
	config_free(cfg);
}

static void test_sizes(void)
{
	static const struct {
		const char *mem;
		uint64_t bytes;
	} cases[] = {
		{ "'16M'", 16ull << 20 },    { "'1g'", 1ull << 30 },
		{ "'16384K'", 16ull << 20 }, { "'1024G'", 1ull << 40 },
		{ "16777216", 16ull << 20 }, { "'17825792'", 17ull << 20 },
	};
	char text[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ferry_config *cfg;

		snprintf(text, sizeof(text),
			 "{'vms': [{'name': 'a', 'kernel': 'k', 'memory': %s}]}", cases[i].mem);
		cfg = tc_load(text, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
		CU_ASSERT_EQUAL(cfg->vms[0].memory, cases[i].bytes);
		config_free(cfg);
	}
}

/* Isolation is the point of tenants: the same MAC in two of them is legal. */
static void test_same_mac_two_tenants(void)
{
	struct ferry_config *cfg = tc_load("{" TENANTS
					   ", 'vms': [{'name': 'a', 'kernel': 'k', 'nics': ["
					   "{'tenant': 'red', 'mac': '52:54:00:00:00:01'}, "
					   "{'tenant': 'blue', 'mac': '52:54:00:00:00:01'}]}]}",
					   NULL);

	CU_ASSERT_PTR_NOT_NULL(cfg);
	config_free(cfg);
}

static void test_relative_paths_string(void)
{
	const char *sq = "{'vms': [{'name': 'a', 'kernel': 'k/bz', 'initrd': '/abs/i', "
			 "'console': {'log': 'l'}, 'nics': [{'mac': '02:00:00:00:00:01', "
			 "'backend': {'vhost-user': 'vu.sock'}}]}], 'control': {'socket': 'c'}}";
	char *text = tc_sq(sq);
	struct ferry_config *cfg = config_load_string(text, NULL, "/base", NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_STRING_EQUAL(cfg->vms[0].kernel, "/base/k/bz");
	CU_ASSERT_STRING_EQUAL(cfg->vms[0].initrd, "/abs/i");
	CU_ASSERT_STRING_EQUAL(cfg->vms[0].console.log, "/base/l");
	CU_ASSERT_STRING_EQUAL(cfg->vms[0].nics[0].backend.vhost_user_path, "/base/vu.sock");
	CU_ASSERT_STRING_EQUAL(cfg->control.socket, "/base/c");
	config_free(cfg);
	/* Without a base directory (control API, strings) paths stay as written. */
	cfg = config_load_string(text, NULL, NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_STRING_EQUAL(cfg->vms[0].kernel, "k/bz");
	config_free(cfg);
	free(text);
}

bool tc_temp_file(char *dir, const char *name, const char *text, char *path, size_t len)
{
	FILE *f;
	bool ok;

	if (!mkdtemp(dir))
		return false;
	snprintf(path, len, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return false;
	ok = fputs(text, f) != EOF;
	return fclose(f) == 0 && ok;
}

void tc_temp_remove(const char *dir, const char *path)
{
	unlink(path);
	rmdir(dir);
}

static void test_relative_paths_file(void)
{
	char dir[] = "/tmp/ferry-cfg-XXXXXX", path[64], want[96];
	struct ferry_config *cfg;

	CU_ASSERT_TRUE_FATAL(tc_temp_file(dir, "f.json",
					  "{\"vms\": [{\"name\": \"a\", \"kernel\": \"sub/bz\"}]}",
					  path, sizeof(path)));
	cfg = config_load_file(path, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	snprintf(want, sizeof(want), "%s/sub/bz", dir);
	CU_ASSERT_STRING_EQUAL(cfg->vms[0].kernel, want);
	config_free(cfg);
	tc_temp_remove(dir, path);
}

static void test_examples(void)
{
	struct config_error err;
	struct ferry_config *cfg = config_load_file(tc_src("config/examples/single-vm.json"), &err);
	char want[4200];

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->n_vms, 1);
	CU_ASSERT_EQUAL(cfg->n_vhost_ports, 1);
	CU_ASSERT_EQUAL(cfg->vms[0].nics[0].queues, 1);
	/* realpath() of the source tree may differ from FERRY_SOURCE_ROOT; compare the tail. */
	snprintf(want, sizeof(want), "/config/examples/%s", "bzImage");
	CU_ASSERT_PTR_NOT_NULL(strstr(cfg->vms[0].kernel, want));
	CU_ASSERT_EQUAL(cfg->vms[0].kernel[0], '/');
	CU_ASSERT_TRUE(tc_round_trips(cfg));
	config_free(cfg);
}

/* demo.json is the built-in demo with its kernel path resolved next to the file. */
static void test_demo(void)
{
	struct config_error err;
	struct ferry_config *file = config_load_file(tc_src("config/examples/demo.json"), &err);
	struct ferry_config *demo;
	unsigned int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(file);
	demo = config_builtin_demo(file->vms[0].kernel, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(demo);
	CU_ASSERT_TRUE(tc_same_config(file, demo));
	CU_ASSERT_EQUAL_FATAL(demo->n_tenants, 2);
	CU_ASSERT_TRUE(!strcmp(demo->tenants[0].name, "red") && demo->tenants[0].vni == 100);
	CU_ASSERT_TRUE(!strcmp(demo->tenants[1].name, "blue") && demo->tenants[1].vni == 200);
	CU_ASSERT_EQUAL_FATAL(demo->n_vms, 4);
	for (i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(demo->vms[i].n_nics, 1);
		CU_ASSERT_TRUE(demo->vms[i].debug_exit);
	}
	CU_ASSERT_STRING_EQUAL(demo->vms[2].name, "blue1");
	CU_ASSERT_STRING_EQUAL(demo->vms[2].nics[0].tenant, "blue");
	/* blue reuses red's MAC plan. */
	CU_ASSERT_EQUAL(memcmp(demo->vms[0].nics[0].mac, demo->vms[2].nics[0].mac, 6), 0);
	CU_ASSERT_EQUAL(memcmp(demo->vms[1].nics[0].mac, demo->vms[3].nics[0].mac, 6), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(demo->vms[0].nics[0].mac, demo->vms[1].nics[0].mac, 6), 0);
	CU_ASSERT_PTR_NULL(config_builtin_demo(NULL, &err));
	CU_ASSERT_STRING_EQUAL(err.msg, "demo: no test guest kernel given");
	config_free(file);
	config_free(demo);
}

CU_TestInfo tc_valid_tests[] = {
	{ "defaults", test_defaults },
	{ "item defaults", test_item_defaults },
	{ "every key", test_all_keys },
	{ "wireguard keys", test_wireguard_keys },
	{ "sizes", test_sizes },
	{ "same MAC in two tenants", test_same_mac_two_tenants },
	{ "relative paths (string)", test_relative_paths_string },
	{ "relative paths (file)", test_relative_paths_file },
	{ "examples/single-vm.json", test_examples },
	{ "demo job", test_demo },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	CU_SuiteInfo suites[] = {
		{ "config: valid", NULL, NULL, NULL, NULL, tc_valid_tests },
		{ "config: errors", NULL, NULL, NULL, NULL, tc_error_tests },
		{ "config: control API", NULL, NULL, NULL, NULL, tc_control_tests },
		{ "config: values", NULL, NULL, NULL, NULL, tc_value_tests },
		{ "config: schema and docs", NULL, NULL, NULL, NULL, tc_sync_tests },
		{ "config: fuzz", NULL, NULL, NULL, NULL, tc_fuzz_tests },
		CU_SUITE_INFO_NULL,
	};

	return cunit_run(suites);
}
