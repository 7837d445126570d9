/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config.c - the public entry points of config.h: load a file or a string (JSON syntax errors
 * as FILE:LINE:COLUMN), parse a whole tree or one control-API item, the built-in demo job,
 * and adding/removing items at run time.  The parsing itself is the table walker in
 * engine.c; the cross-checks are in check.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/table.h"

/* A config file larger than this is a mistake (or an attack through the control API). */
#define CONFIG_FILE_MAX (4u << 20)

/* find_item() reads an item's name as its first member. */
_Static_assert(offsetof(struct config_tenant, name) == 0, "tenant name first");
_Static_assert(offsetof(struct config_vm, name) == 0, "vm name first");
_Static_assert(offsetof(struct config_vhost_port, name) == 0, "port name first");

static _Thread_local struct config_error dummy_err;

static struct config_error *err_or_dummy(struct config_error *err)
{
	/* Callers that do not want the message may pass NULL. */
	return err ? err : &dummy_err;
}

static void set_error(struct config_error *err, const char *prefix, const char *msg)
{
	snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, msg);
}

static int read_all(int fd, char *buf, size_t len)
{
	size_t off = 0;
	ssize_t n;

	while (off < len) {
		n = read(fd, buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		off += (size_t)n;
	}
	return 0;
}

/* Read @path whole into a NUL-terminated buffer. */
static char *read_file(const char *path, size_t *len, struct config_error *err)
{
	struct stat st;
	char *buf = NULL;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		set_error(err, path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0)
		ret = -errno;
	else if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > CONFIG_FILE_MAX)
		ret = S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
	else if (!(buf = malloc((size_t)st.st_size + 1)))
		ret = -ENOMEM;
	else
		ret = read_all(fd, buf, (size_t)st.st_size);
	close(fd);
	if (ret) {
		set_error(err, path, ret == -EINVAL ? "not a regular file" : strerror(-ret));
		free(buf);
		return NULL;
	}
	buf[st.st_size] = '\0';
	*len = (size_t)st.st_size;
	return buf;
}

static json_t *load_json(const char *text, size_t len, const char *name, struct config_error *err)
{
	json_error_t jerr;
	json_t *root;

	/* Duplicate keys would silently shadow each other: reject them. */
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		snprintf(err->msg, sizeof(err->msg), "%s:%d:%d: %s", name, jerr.line, jerr.column,
			 jerr.text);
	return root;
}

/* The directory relative paths in @path resolve against (absolute when possible). */
static char *file_dir(const char *path)
{
	char *full = realpath(path, NULL);
	char *slash;

	if (!full && !(full = strdup(path)))
		return NULL;
	slash = strrchr(full, '/');
	if (!slash) {
		free(full);
		return strdup(".");
	}
	/* "/ferry.json" lives in "/". */
	slash[slash == full ? 1 : 0] = '\0';
	return full;
}

struct ferry_config *config_parse_json(json_t *root, const char *base_dir, struct config_error *err)
{
	struct ferry_config *cfg;
	struct cfg_ctx ctx;

	cfg_ctx_init(&ctx, err_or_dummy(err), base_dir, NULL);
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		cfg_oom(&ctx);
		return NULL;
	}
	if (cfg_parse_object(&ctx, &cfg_obj_root, root, cfg)) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

struct ferry_config *config_load_string(const char *text, const char *name, const char *base_dir,
					struct config_error *err)
{
	struct ferry_config *cfg;
	json_t *root;

	err = err_or_dummy(err);
	err->msg[0] = '\0';
	root = load_json(text, strlen(text), name ? name : "<string>", err);
	if (!root)
		return NULL;
	cfg = config_parse_json(root, base_dir, err);
	json_decref(root);
	return cfg;
}

struct ferry_config *config_load_file(const char *path, struct config_error *err)
{
	struct ferry_config *cfg = NULL;
	char *text, *dir = NULL;
	json_t *root;
	size_t len;

	err = err_or_dummy(err);
	err->msg[0] = '\0';
	text = read_file(path, &len, err);
	if (!text)
		return NULL;
	root = load_json(text, len, path, err);
	if (!root)
		goto out_free_text;
	dir = file_dir(path);
	if (dir)
		cfg = config_parse_json(root, dir, err);
	else
		set_error(err, path, strerror(ENOMEM));
	free(dir);
	json_decref(root);
out_free_text:
	free(text);
	return cfg;
}

void config_free(struct ferry_config *cfg)
{
	if (!cfg)
		return;
	cfg_release_object(&cfg_obj_root, cfg);
	free(cfg);
}

struct ferry_config *config_defaults(struct config_error *err)
{
	json_t *root = json_object();
	struct ferry_config *cfg;

	if (!root) {
		set_error(err_or_dummy(err), "defaults", strerror(ENOMEM));
		return NULL;
	}
	cfg = config_parse_json(root, NULL, err);
	json_decref(root);
	return cfg;
}

json_t *config_to_json(const struct ferry_config *cfg)
{
	json_t *j;

	return cfg_dump_object(&cfg_obj_root, cfg, &j) ? NULL : j;
}

/* The demo job */

/*
 * Two tenants with the same MAC plan.  In each, a client echoes requests off
 * a server, then broadcasts; every frame carries its tenant's tag, so a frame
 * delivered across tenants (unicast or flood) shows up as "foreign" in the
 * other tenant's guests, which then fail.
 */
#define DEMO_CLIENT "mode=net role=client peer=52:54:00:00:00:02 count=5000 bcast=100 tag="
#define DEMO_SERVER "mode=net role=server count=5000 bcast=100 tag="

static const struct {
	const char *name, *tenant, *mac, *cmdline;
} demo_vms[] = {
	/* blue reuses red's MACs: the switch must keep the tenants apart to deliver anything. */
	{ "red1", "red", "52:54:00:00:00:01", DEMO_CLIENT "red" },
	{ "red2", "red", "52:54:00:00:00:02", DEMO_SERVER "red" },
	{ "blue1", "blue", "52:54:00:00:00:01", DEMO_CLIENT "blue" },
	{ "blue2", "blue", "52:54:00:00:00:02", DEMO_SERVER "blue" },
};

static json_t *demo_json(const char *kernel)
{
	json_t *vms = json_array(), *vm;
	size_t i;

	for (i = 0; vms && i < ARRAY_SIZE(demo_vms); i++) {
		vm = json_pack("{s:s, s:s, s:s, s:s, s:i, s:b, s:[{s:s, s:s}]}", "name",
			       demo_vms[i].name, "kernel", kernel, "cmdline", demo_vms[i].cmdline,
			       "memory", "64M", "vcpus", 1, "debug_exit", 1, "nics", "tenant",
			       demo_vms[i].tenant, "mac", demo_vms[i].mac);
		if (json_array_append_new(vms, vm)) {
			json_decref(vms);
			return NULL;
		}
	}
	/* "o" hands vms over to the new object, even when packing fails. */
	return json_pack("{s:[{s:s, s:i}, {s:s, s:i}], s:o}", "tenants", "name", "red", "vni", 100,
			 "name", "blue", "vni", 200, "vms", vms);
}

struct ferry_config *config_builtin_demo(const char *kernel, struct config_error *err)
{
	struct ferry_config *cfg;
	json_t *root;

	err = err_or_dummy(err);
	if (!kernel || !*kernel) {
		set_error(err, "demo", "no test guest kernel given");
		return NULL;
	}
	root = demo_json(kernel);
	if (!root) {
		set_error(err, "demo", "cannot build the demo (out of memory or non-UTF-8 path)");
		return NULL;
	}
	cfg = config_parse_json(root, NULL, err);
	json_decref(root);
	return cfg;
}

/* Control API: one item of a section at a time */

static void free_item(const struct cfg_section *s, void *item)
{
	if (!item)
		return;
	cfg_release_object(s->obj, item);
	free(item);
}

static int parse_item(const struct cfg_section *s, const struct ferry_config *cfg, json_t *j,
		      const char *where, void **out, struct config_error *err)
{
	struct cfg_ctx ctx;
	void *item;
	int ret;

	/* Run-time paths stay as given: they are relative to the daemon, not to a file. */
	cfg_ctx_init(&ctx, err_or_dummy(err), NULL, where);
	item = calloc(1, s->obj->size);
	if (!item)
		return cfg_oom(&ctx);
	ret = cfg_parse_object(&ctx, s->obj, j, item);
	if (!ret)
		ret = s->check(&ctx, cfg, cfg_section_count(s, cfg), item);
	if (ret) {
		free_item(s, item);
		return ret;
	}
	*out = item;
	return 0;
}

int config_parse_acl_rule(json_t *j, const char *where, struct config_acl_rule *out,
			  struct config_error *err)
{
	struct cfg_ctx ctx;
	int ret;

	memset(out, 0, sizeof(*out));
	cfg_ctx_init(&ctx, err_or_dummy(err), NULL, where);
	ret = cfg_parse_object(&ctx, &cfg_obj_acl_rule, j, out);
	if (ret)
		cfg_release_object(&cfg_obj_acl_rule, out);
	return ret;
}

json_t *config_acl_rule_json(const struct config_acl_rule *r)
{
	json_t *j;

	return cfg_dump_object(&cfg_obj_acl_rule, r, &j) ? NULL : j;
}

int config_wg_peer_add(struct ferry_config *cfg, json_t *j, const char *where,
		       struct config_error *err)
{
	struct config_wireguard *wg = &cfg->wireguard;
	struct config_wg_peer *peers;
	struct cfg_ctx ctx;
	int ret;

	cfg_ctx_init(&ctx, err_or_dummy(err), NULL, where);
	if (!wg->private_key_file)
		return cfg_fail(&ctx, "this ferry runs no WireGuard tunnel");
	if (wg->n_peers >= CFG_MAX_WG_PEERS)
		return cfg_fail(&ctx, "already %u peers, the most a tunnel has", wg->n_peers);
	peers = realloc(wg->peers, (wg->n_peers + 1) * sizeof(*peers));
	if (!peers)
		return cfg_oom(&ctx);
	wg->peers = peers;
	memset(&peers[wg->n_peers], 0, sizeof(peers[0]));
	ret = cfg_parse_object(&ctx, &cfg_obj_wg_peer, j, &peers[wg->n_peers]);
	/* Checked as the last of the file's peers would be. */
	if (!ret)
		ret = cfg_check_wg_peer(&ctx, cfg, wg->n_peers);
	if (ret) {
		cfg_release_object(&cfg_obj_wg_peer, &peers[wg->n_peers]);
		return ret;
	}
	wg->n_peers++;
	return 0;
}

int config_wg_peer_remove(struct ferry_config *cfg, const uint8_t key[32])
{
	struct config_wireguard *wg = &cfg->wireguard;

	for (unsigned int i = 0; i < wg->n_peers; i++) {
		if (memcmp(wg->peers[i].public_key, key, 32) != 0)
			continue;
		cfg_release_object(&cfg_obj_wg_peer, &wg->peers[i]);
		memmove(&wg->peers[i], &wg->peers[i + 1],
			(wg->n_peers - i - 1) * sizeof(wg->peers[0]));
		wg->n_peers--;
		return 0;
	}
	return -ENOENT;
}

json_t *config_wg_peer_json(const struct config_wg_peer *p)
{
	json_t *j;

	return cfg_dump_object(&cfg_obj_wg_peer, p, &j) ? NULL : j;
}

int config_parse_tenant(const struct ferry_config *cfg, json_t *j, const char *where,
			struct config_tenant **out, struct config_error *err)
{
	void *item;
	int ret = parse_item(&cfg_section_tenants, cfg, j, where, &item, err);

	if (!ret)
		*out = item;
	return ret;
}

int config_parse_vm(const struct ferry_config *cfg, json_t *j, const char *where,
		    struct config_vm **out, struct config_error *err)
{
	void *item;
	int ret = parse_item(&cfg_section_vms, cfg, j, where, &item, err);

	if (!ret)
		*out = item;
	return ret;
}

int config_parse_vhost_port(const struct ferry_config *cfg, json_t *j, const char *where,
			    struct config_vhost_port **out, struct config_error *err)
{
	void *item;
	int ret = parse_item(&cfg_section_vhost_ports, cfg, j, where, &item, err);

	if (!ret)
		*out = item;
	return ret;
}

void config_tenant_free(struct config_tenant *t)
{
	free_item(&cfg_section_tenants, t);
}

void config_vm_free(struct config_vm *vm)
{
	free_item(&cfg_section_vms, vm);
}

void config_vhost_port_free(struct config_vhost_port *port)
{
	free_item(&cfg_section_vhost_ports, port);
}

/* The root row of a section: its item limit. */
static unsigned int section_max(const struct cfg_section *s)
{
	size_t i;

	for (i = 0; i < cfg_obj_root.n_keys; i++)
		if (!strcmp(cfg_obj_root.keys[i].name, s->key))
			return cfg_obj_root.keys[i].max_items;
	return 0;
}

static unsigned int *section_count_ptr(const struct cfg_section *s, struct ferry_config *cfg)
{
	return (unsigned int *)((char *)cfg + s->count_off);
}

static int add_item(const struct cfg_section *s, struct ferry_config *cfg, void *item)
{
	unsigned int n = cfg_section_count(s, cfg);
	char *arr;

	if (n >= section_max(s))
		return -ENOSPC;
	memcpy(&arr, (char *)cfg + s->array_off, sizeof(arr));
	arr = realloc(arr, (size_t)(n + 1) * s->obj->size);
	if (!arr)
		return -ENOMEM;
	memcpy((char *)cfg + s->array_off, &arr, sizeof(arr));
	/* The item's members move into the array; only its shell is freed. */
	memcpy(arr + (size_t)n * s->obj->size, item, s->obj->size);
	*section_count_ptr(s, cfg) = n + 1;
	free(item);
	return 0;
}

int config_add_tenant(struct ferry_config *cfg, struct config_tenant *t)
{
	return add_item(&cfg_section_tenants, cfg, t);
}

int config_add_vm(struct ferry_config *cfg, struct config_vm *vm)
{
	return add_item(&cfg_section_vms, cfg, vm);
}

int config_add_vhost_port(struct ferry_config *cfg, struct config_vhost_port *port)
{
	return add_item(&cfg_section_vhost_ports, cfg, port);
}

static bool tenant_in_use(const struct ferry_config *cfg, const char *name)
{
	unsigned int i, j;

	for (i = 0; i < cfg->n_vhost_ports; i++)
		if (!strcmp(cfg->vhost_ports[i].tenant, name))
			return true;
	for (i = 0; i < cfg->n_vms; i++)
		for (j = 0; j < cfg->vms[i].n_nics; j++)
			if (cfg->vms[i].nics[j].tenant && !strcmp(cfg->vms[i].nics[j].tenant, name))
				return true;
	for (i = 0; i < cfg->n_tap_ports; i++)
		if (!strcmp(cfg->tap_ports[i].tenant, name))
			return true;
	return false;
}

/* Every section's items start with their name (struct config_tenant, _vm, _vhost_port). */
static int find_item(const struct cfg_section *s, const struct ferry_config *cfg, const char *name)
{
	unsigned int i, n = cfg_section_count(s, cfg);

	for (i = 0; i < n; i++)
		if (!strcmp(*(char **)cfg_section_item(s, cfg, i), name))
			return (int)i;
	return -ENOENT;
}

static int remove_item(const struct cfg_section *s, struct ferry_config *cfg, const char *name)
{
	int idx = find_item(s, cfg, name);
	unsigned int n = cfg_section_count(s, cfg);
	char *item;

	if (idx < 0)
		return idx;
	item = cfg_section_item(s, cfg, (unsigned int)idx);
	cfg_release_object(s->obj, item);
	memmove(item, item + s->obj->size, (n - (unsigned int)idx - 1) * s->obj->size);
	*section_count_ptr(s, cfg) = n - 1;
	return 0;
}

int config_remove_tenant(struct ferry_config *cfg, const char *name)
{
	if (find_item(&cfg_section_tenants, cfg, name) >= 0 && tenant_in_use(cfg, name))
		return -EBUSY;
	return remove_item(&cfg_section_tenants, cfg, name);
}

int config_remove_vm(struct ferry_config *cfg, const char *name)
{
	return remove_item(&cfg_section_vms, cfg, name);
}

int config_remove_vhost_port(struct ferry_config *cfg, const char *name)
{
	return remove_item(&cfg_section_vhost_ports, cfg, name);
}

/* The tenant a remote-VTEP request names, and the address it gives, checked as in a file. */
static int vtep_request(struct ferry_config *cfg, const char *tenant, const char *text,
			struct config_tenant **t, struct config_addr *a, struct config_error *err)
{
	const char *why;
	char q[64];

	*t = (struct config_tenant *)config_find_tenant(cfg, tenant);
	if (!*t) {
		snprintf(err->msg, sizeof(err->msg), "tenant: unknown tenant '%s'",
			 cfg_quote(tenant ? tenant : "", q, sizeof(q)));
		return -ENOENT;
	}
	if (!(*t)->vxlan) {
		snprintf(err->msg, sizeof(err->msg), "tenant: '%s' is not on the overlay (vxlan)",
			 (*t)->name);
		return -EINVAL;
	}
	if (!text || config_parse_addr(text, a)) {
		snprintf(err->msg, sizeof(err->msg),
			 "address: invalid IP address '%s' (use 192.0.2.1 or 2001:db8::1)",
			 cfg_quote(text ? text : "", q, sizeof(q)));
		return -EINVAL;
	}
	why = cfg_addr_not_unicast(a);
	if (why) {
		snprintf(err->msg, sizeof(err->msg),
			 "address: %s is %s address; a tunnel endpoint needs a unicast one", text,
			 why);
		return -EINVAL;
	}
	if (a->family != cfg->vtep.local.family) {
		snprintf(err->msg, sizeof(err->msg), "address: %s is IPv%c but vtep.local is IPv%c",
			 text, a->family == AF_INET ? '4' : '6',
			 cfg->vtep.local.family == AF_INET ? '4' : '6');
		return -EINVAL;
	}
	if (!memcmp(a, &cfg->vtep.local, sizeof(*a))) {
		snprintf(err->msg, sizeof(err->msg),
			 "address: %s is this host's own VTEP (vtep.local)", text);
		return -EINVAL;
	}
	return 0;
}

static int vtep_index(const struct config_tenant *t, const struct config_addr *a)
{
	for (unsigned int i = 0; i < t->n_remote_vteps; i++)
		if (!memcmp(&t->remote_vteps[i], a, sizeof(*a)))
			return (int)i;
	return -1;
}

int config_tenant_vtep_add(struct ferry_config *cfg, const char *tenant, const char *addr,
			   struct config_addr *out, struct config_error *err)
{
	struct config_tenant *t;
	struct config_addr *arr;
	int ret = vtep_request(cfg, tenant, addr, &t, out, err);

	if (ret)
		return ret;
	if (vtep_index(t, out) >= 0) {
		snprintf(err->msg, sizeof(err->msg), "address: %s is already a VTEP of '%s'", addr,
			 t->name);
		return -EEXIST;
	}
	if (t->n_remote_vteps >= CFG_MAX_REMOTE_VTEPS) {
		snprintf(err->msg, sizeof(err->msg), "address: '%s' has %u VTEPs, the most allowed",
			 t->name, t->n_remote_vteps);
		return -ENOSPC;
	}
	arr = realloc(t->remote_vteps, (t->n_remote_vteps + 1) * sizeof(*arr));
	if (!arr) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -ENOMEM;
	}
	arr[t->n_remote_vteps++] = *out;
	t->remote_vteps = arr;
	return 0;
}

int config_tenant_vtep_remove(struct ferry_config *cfg, const char *tenant, const char *addr,
			      struct config_addr *out, struct config_error *err)
{
	struct config_tenant *t;
	int ret = vtep_request(cfg, tenant, addr, &t, out, err), i;

	if (ret)
		return ret;
	i = vtep_index(t, out);
	if (i < 0) {
		snprintf(err->msg, sizeof(err->msg), "address: %s is not a configured VTEP of '%s'",
			 addr, t->name);
		return -ENOENT;
	}
	memmove(&t->remote_vteps[i], &t->remote_vteps[i + 1],
		(t->n_remote_vteps - (unsigned int)i - 1) * sizeof(*out));
	t->n_remote_vteps--;
	return 0;
}
