/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_config.c - libFuzzer harness for config/: any bytes as a config file
 * (config_load_string()) and, parsed as JSON, as each kind of item the
 * control socket takes (a tenant, a VM, a vhost-user port) checked against
 * the built-in defaults.  Config files and control requests come from
 * people and programs Ferry does not control; every path must end in a
 * config or a one-line error, never a crash or a leak (LeakSanitizer).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_items(const char *text)
{
	struct config_error err;
	struct ferry_config *base = config_defaults(&err);
	struct config_vhost_port *port;
	struct config_tenant *tenant;
	struct config_vm *vm;
	json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);

	if (base && j) {
		if (!config_parse_tenant(base, j, "tenant", &tenant, &err))
			config_tenant_free(tenant);
		if (!config_parse_vm(base, j, "vm", &vm, &err))
			config_vm_free(vm);
		if (!config_parse_vhost_port(base, j, "port", &port, &err))
			config_vhost_port_free(port);
	}
	json_decref(j);
	config_free(base);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_error err;
	struct ferry_config *cfg;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	cfg = config_load_string(text, "fuzz.json", "/", &err);
	config_free(cfg);
	fuzz_items(text);
	free(text);
	return 0;
}
