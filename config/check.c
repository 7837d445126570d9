/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check.c - the checks a single table row cannot express: limits spanning two keys of one
 * object (switch, vm) and cross-references between items (tenant references, unique names,
 * VNIs, MACs within a tenant, vhost-user sockets).  Each item is checked against the items
 * before it, so a whole file reports a duplicate at its second occurrence, and the control
 * API checks a new item against everything already configured with the same code.
 */
#include <errno.h>
#include <sys/socket.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config/table.h"

unsigned int cfg_section_count(const struct cfg_section *s, const struct ferry_config *cfg)
{
	return *(const unsigned int *)((const char *)cfg + s->count_off);
}

void *cfg_section_item(const struct cfg_section *s, const struct ferry_config *cfg, unsigned int i)
{
	char *arr;

	memcpy(&arr, (const char *)cfg + s->array_off, sizeof(arr));
	return arr + (size_t)i * s->obj->size;
}

/* Object-local checks (struct cfg_object.check). */

int cfg_check_switch(struct cfg_ctx *ctx, void *obj)
{
	const struct config_switch *sw = obj;

	if (sw->n_pmd_cpus && sw->n_pmd_cpus != sw->pmd_threads)
		return cfg_fail_at(ctx, "pmd_cpus",
				   "lists %u CPUs but pmd_threads is %u (give one per thread)",
				   sw->n_pmd_cpus, sw->pmd_threads);
	return 0;
}

int cfg_check_vm_local(struct cfg_ctx *ctx, void *obj)
{
	const struct config_vm *vm = obj;
	uint64_t align = vm->hugepages ? 2ull << 20 : 4ull << 10;
	char got[24];

	if (vm->memory % align) {
		config_format_size(vm->memory, got, sizeof(got));
		return cfg_fail_at(ctx, "memory", "must be a multiple of %s, got %s",
				   vm->hugepages ? "2M with hugepages" : "4K", got);
	}
	return 0;
}

/* A PCI address as sysfs spells it: "DDDD:BB:DD.F", lower-case hex. */
static bool pci_addr_ok(const char *s)
{
	static const char form[] = "hhhh:hh:hh.f";
	unsigned int dev;

	if (strlen(s) != sizeof(form) - 1)
		return false;
	for (size_t i = 0; form[i]; i++) {
		bool hex = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f');

		if ((form[i] == 'h' && !hex) || (form[i] == 'f' && (s[i] < '0' || s[i] > '7')) ||
		    (form[i] != 'h' && form[i] != 'f' && s[i] != form[i]))
			return false;
	}
	dev = (unsigned int)strtoul(s + 8, NULL, 16);
	return dev < 32;
}

int cfg_check_passthrough(struct cfg_ctx *ctx, void *obj)
{
	const struct config_passthrough *p = obj;

	if (!p->pci == !p->pf)
		return cfg_fail_at(ctx, p->pci ? "pf" : "pci",
				   "give either \"pci\" or \"pf\" "
				   "(with \"vf\"), not %s",
				   p->pci ? "both" : "neither");
	if (!pci_addr_ok(p->pci ? p->pci : p->pf))
		return cfg_fail_at(
			ctx, p->pci ? "pci" : "pf",
			"'%s' is not a PCI address like \"0000:00:01.1\" "
			"(domain:bus:device.function, lower-case hex, device at most 1f)",
			p->pci ? p->pci : p->pf);
	return 0;
}

int cfg_check_uplink_local(struct cfg_ctx *ctx, void *obj)
{
	const struct config_uplink *u = obj;

	if (u->kind == CONFIG_UPLINK_DPDK && u->xdp_mode != CONFIG_XDP_AUTO)
		return cfg_fail_at(ctx, "xdp_mode", "only for afxdp uplinks");
	if (u->kind == CONFIG_UPLINK_DPDK && u->zero_copy != CONFIG_ZC_AUTO)
		return cfg_fail_at(ctx, "zero_copy", "only for afxdp uplinks");
	return 0;
}

int cfg_check_acl_rule(struct cfg_ctx *ctx, void *obj)
{
	const struct config_acl_rule *r = obj;
	bool ports = r->proto == CONFIG_PROTO_TCP || r->proto == CONFIG_PROTO_UDP;
	uint8_t fam = r->src.family ? r->src.family : r->dst.family;

	if (r->src.family && r->dst.family && r->src.family != r->dst.family)
		return cfg_fail_at(ctx, "dst", "is IPv%c but src is IPv%c",
				   r->dst.family == AF_INET ? '4' : '6',
				   r->src.family == AF_INET ? '4' : '6');
	if ((r->proto == CONFIG_PROTO_ICMP && fam == AF_INET6) ||
	    (r->proto == CONFIG_PROTO_ICMPV6 && fam == AF_INET))
		return cfg_fail_at(ctx, "proto", "%s does not go with IPv%c prefixes",
				   r->proto == CONFIG_PROTO_ICMP ? "icmp" : "icmpv6",
				   fam == AF_INET ? '4' : '6');
	if (!ports && (r->sport.lo || r->sport.hi != 65535))
		return cfg_fail_at(ctx, "sport", "needs proto tcp or udp");
	if (!ports && (r->dport.lo || r->dport.hi != 65535))
		return cfg_fail_at(ctx, "dport", "needs proto tcp or udp");
	return 0;
}

/* Ferry's vhost-user frontend (a NIC on an external backend) drives one split queue pair. */
static int check_frontend_queues(struct cfg_ctx *ctx, const struct config_nic *nic)
{
	if (nic->backend.kind != CONFIG_BACKEND_VHOST_USER)
		return 0;
	if (nic->queues > 1)
		return cfg_fail_at(ctx, "queues",
				   "%u queue pairs asked, but a NIC on an external vhost-user "
				   "backend has one (Ferry's frontend has no multiqueue): use 1",
				   nic->queues);
	if (nic->packed)
		return cfg_fail_at(ctx, "packed",
				   "a NIC on an external vhost-user backend has split rings "
				   "(Ferry's frontend does not forward packed ones): use false");
	return 0;
}

/* Cross-references. */

const struct config_tenant *config_find_tenant(const struct ferry_config *cfg, const char *name)
{
	unsigned int i;

	for (i = 0; name && i < cfg->n_tenants; i++)
		if (!strcmp(cfg->tenants[i].name, name))
			return &cfg->tenants[i];
	return NULL;
}

const struct config_vm *config_find_vm(const struct ferry_config *cfg, const char *name)
{
	unsigned int i;

	for (i = 0; name && i < cfg->n_vms; i++)
		if (!strcmp(cfg->vms[i].name, name))
			return &cfg->vms[i];
	return NULL;
}

static bool prefix_has(const struct config_prefix *p, const struct config_addr *a)
{
	unsigned int full = p->plen / 8, rest = p->plen % 8;

	if (p->family != a->family || memcmp(p->a, a->a, full) != 0)
		return false;
	return rest == 0 || ((p->a[full] ^ a->a[full]) & (0xff00u >> rest) & 0xff) == 0;
}

int config_wg_route(const struct config_wireguard *wg, const struct config_addr *a)
{
	int best = -1, best_len = -1;

	for (unsigned int i = 0; i < wg->n_peers; i++)
		for (unsigned int j = 0; j < wg->peers[i].n_allowed_ips; j++)
			if (wg->peers[i].allowed_ips[j].plen > best_len &&
			    prefix_has(&wg->peers[i].allowed_ips[j], a)) {
				best_len = wg->peers[i].allowed_ips[j].plen;
				best = (int)i;
			}
	return best;
}

/* One remote VTEP @a (its text @buf) of tenant @t: its family, and the tunnel's say. */
static int check_remote_vtep(struct cfg_ctx *ctx, const struct ferry_config *cfg,
			     const struct config_tenant *t, const struct config_addr *a,
			     const char *buf)
{
	const struct config_addr *local = &cfg->vtep.local;
	const struct config_wireguard *wg = &cfg->wireguard;
	bool tunnel = wg->private_key_file && config_wg_route(wg, a) >= 0;

	if (a->family != local->family && !tunnel)
		return cfg_fail(ctx,
				"%s is IPv%c but vtep.local is IPv%c (and no wireguard peer's "
				"allowed_ips hold it)",
				buf, a->family == AF_INET ? '4' : '6',
				local->family == AF_INET ? '4' : '6');
	if (!memcmp(a, local, sizeof(*local)))
		return cfg_fail(ctx, "%s is this host's own VTEP (vtep.local)", buf);
	if (wg->private_key_file && !memcmp(a, &wg->address, sizeof(*a)))
		return cfg_fail(ctx, "%s is this host's own tunnel address (wireguard.address)",
				buf);
	if (t->encrypted && !tunnel)
		return cfg_fail(ctx,
				"%s is in no wireguard peer's allowed_ips, but the tenant is "
				"encrypted",
				buf);
	return 0;
}

/* A tenant's VXLAN keys against the VTEP. */
static int check_tenant_vxlan(struct cfg_ctx *ctx, const struct ferry_config *cfg,
			      const struct config_tenant *t)
{
	char buf[64];
	unsigned int i;
	size_t mark;
	int ret = 0;

	if (!t->vxlan)
		return t->n_remote_vteps ?
			       cfg_fail_at(ctx, "remote_vteps", "only with \"vxlan\": true") :
		       t->encrypted ? cfg_fail_at(ctx, "encrypted", "only with \"vxlan\": true") :
		       t->evpn_device ?
				      cfg_fail_at(ctx, "evpn_device", "only with \"vxlan\": true") :
				      0;
	if (!cfg->vtep.local.family)
		return cfg_fail_at(ctx, "vxlan", "needs a local VTEP: set vtep.local");
	if (t->encrypted && !cfg->wireguard.private_key_file)
		return cfg_fail_at(ctx, "encrypted",
				   "needs the tunnel: set wireguard.private_key_file");
	if (t->evpn_device && t->encrypted)
		return cfg_fail_at(ctx, "evpn_device",
				   "EVPN VTEPs are underlay addresses; an encrypted tenant's are "
				   "inside the tunnel: not both");
	if (t->evpn_device && strpbrk(t->evpn_device, "/ \t\n:"))
		return cfg_fail_at(ctx, "evpn_device", "'%s' is not an interface name",
				   t->evpn_device);
	for (i = 0; !ret && i < t->n_remote_vteps; i++) {
		mark = cfg_push_key(ctx, "remote_vteps");
		cfg_push_index(ctx, i);
		config_format_addr(&t->remote_vteps[i], buf, sizeof(buf));
		ret = check_remote_vtep(ctx, cfg, t, &t->remote_vteps[i], buf);
		cfg_pop(ctx, mark);
	}
	return ret;
}

/* One peer against those before it and the VTEP. */
int cfg_check_wg_peer(struct cfg_ctx *ctx, const struct ferry_config *cfg, unsigned int n)
{
	const struct config_wireguard *wg = &cfg->wireguard;
	const struct config_wg_peer *p = &wg->peers[n];
	char buf[80];

	if (p->endpoint.addr.family && p->endpoint.addr.family != cfg->vtep.local.family)
		return cfg_fail_at(ctx, "endpoint", "an IPv%c endpoint, but vtep.local is IPv%c",
				   p->endpoint.addr.family == AF_INET ? '4' : '6',
				   cfg->vtep.local.family == AF_INET ? '4' : '6');
	for (unsigned int i = 0; i < n; i++) {
		if (!memcmp(wg->peers[i].public_key, p->public_key, sizeof(p->public_key)))
			return cfg_fail_at(ctx, "public_key", "the same key as peers[%u]", i);
		for (unsigned int j = 0; j < wg->peers[i].n_allowed_ips; j++)
			for (unsigned int k = 0; k < p->n_allowed_ips; k++)
				if (!memcmp(&wg->peers[i].allowed_ips[j], &p->allowed_ips[k],
					    sizeof(p->allowed_ips[k]))) {
					config_format_prefix(&p->allowed_ips[k], buf, sizeof(buf));
					return cfg_fail_at(ctx, "allowed_ips",
							   "%s is peers[%u]'s already", buf, i);
				}
	}
	return 0;
}

int cfg_check_wireguard(struct cfg_ctx *ctx, const struct ferry_config *cfg)
{
	const struct config_wireguard *wg = &cfg->wireguard;
	size_t mark = cfg_push_key(ctx, "wireguard");
	int ret = 0;

	if (!wg->private_key_file) {
		if (wg->n_peers || wg->address.family)
			ret = cfg_fail_at(ctx, "private_key_file",
					  "required for a tunnel (`wg genkey > FILE`)");
	} else if (!cfg->vtep.local.family) {
		ret = cfg_fail(ctx, "the tunnel runs between VTEPs: set vtep.local");
	} else if (!wg->address.family) {
		ret = cfg_fail_at(ctx, "address", "required: our VTEP address inside the tunnel");
	} else if (!memcmp(&wg->address, &cfg->vtep.local, sizeof(wg->address))) {
		ret = cfg_fail_at(ctx, "address", "must not be vtep.local: it lives in the tunnel");
	} else if (wg->listen_port == cfg->vtep.udp_port) {
		ret = cfg_fail_at(ctx, "listen_port", "%u is vtep.udp_port (VXLAN's)",
				  wg->listen_port);
	}
	for (unsigned int i = 0; !ret && i < wg->n_peers; i++) {
		size_t m = cfg_push_key(ctx, "peers");

		cfg_push_index(ctx, i);
		ret = cfg_check_wg_peer(ctx, cfg, i);
		cfg_pop(ctx, m);
	}
	cfg_pop(ctx, mark);
	return ret;
}

static int check_tenant(struct cfg_ctx *ctx, const struct ferry_config *cfg, unsigned int n_prior,
			const void *item)
{
	const struct config_tenant *t = item;
	unsigned int i;

	if (check_tenant_vxlan(ctx, cfg, t))
		return -EINVAL;

	for (i = 0; i < n_prior; i++) {
		if (!strcmp(cfg->tenants[i].name, t->name))
			return cfg_fail_at(ctx, "name", "duplicate tenant '%s' (also tenants[%u])",
					   t->name, i);
		if (cfg->tenants[i].vni == t->vni)
			return cfg_fail_at(ctx, "vni", "VNI %u is already used by tenant '%s'",
					   t->vni, cfg->tenants[i].name);
	}
	return 0;
}

static bool mac_clash(const struct config_nic *a, const struct config_nic *b)
{
	return a->backend.kind == CONFIG_BACKEND_SWITCH &&
	       b->backend.kind == CONFIG_BACKEND_SWITCH && !strcmp(a->tenant, b->tenant) &&
	       !memcmp(a->mac, b->mac, sizeof(a->mac));
}

static bool socket_clash(const struct config_nic *a, const struct config_nic *b)
{
	return a->backend.kind == CONFIG_BACKEND_VHOST_USER &&
	       b->backend.kind == CONFIG_BACKEND_VHOST_USER &&
	       !strcmp(a->backend.vhost_user_path, b->backend.vhost_user_path);
}

/* Where an earlier NIC clashes with @nic. */
struct nic_owner {
	const struct config_vm *vm;
	unsigned int idx;
};

/*
 * Find a NIC before @vm->nics[@n] (all NICs of the first @n_vms VMs, then @vm's own) that
 * @clash with it.
 */
static bool find_clash(const struct ferry_config *cfg, unsigned int n_vms,
		       const struct config_vm *vm, unsigned int n,
		       bool (*clash)(const struct config_nic *, const struct config_nic *),
		       struct nic_owner *owner)
{
	const struct config_nic *nic = &vm->nics[n];
	unsigned int i, j;

	for (i = 0; i <= n_vms; i++) {
		const struct config_vm *o = i < n_vms ? &cfg->vms[i] : vm;
		unsigned int lim = i < n_vms ? o->n_nics : n;

		for (j = 0; j < lim; j++) {
			if (clash(nic, &o->nics[j])) {
				owner->vm = o;
				owner->idx = j;
				return true;
			}
		}
	}
	return false;
}

/* A vhost-user socket used by a port: its index, or -1. */
static int port_with_socket(const struct ferry_config *cfg, unsigned int n_ports, const char *path)
{
	unsigned int i;

	for (i = 0; i < n_ports; i++)
		if (!strcmp(cfg->vhost_ports[i].path, path))
			return (int)i;
	return -1;
}

static int check_nic_socket(struct cfg_ctx *ctx, const struct ferry_config *cfg,
			    unsigned int n_prior, const struct config_vm *vm, unsigned int n)
{
	const char *path = vm->nics[n].backend.vhost_user_path;
	struct nic_owner o;
	int p = port_with_socket(cfg, cfg->n_vhost_ports, path);

	if (p >= 0)
		return cfg_fail_at(ctx, "backend.vhost-user",
				   "socket '%s' is already used by port '%s'", path,
				   cfg->vhost_ports[p].name);
	if (find_clash(cfg, n_prior, vm, n, socket_clash, &o))
		return cfg_fail_at(ctx, "backend.vhost-user",
				   "socket '%s' is already used by vm '%s' nics[%u]", path,
				   o.vm->name, o.idx);
	return 0;
}

static int check_nic(struct cfg_ctx *ctx, const struct ferry_config *cfg, unsigned int n_prior,
		     const struct config_vm *vm, unsigned int n)
{
	const struct config_nic *nic = &vm->nics[n];
	struct nic_owner o;
	char mac[18];

	if (check_frontend_queues(ctx, nic))
		return -EINVAL;
	if (nic->backend.kind == CONFIG_BACKEND_VHOST_USER)
		return check_nic_socket(ctx, cfg, n_prior, vm, n);
	if (!config_find_tenant(cfg, nic->tenant))
		return cfg_fail_at(ctx, "tenant", "unknown tenant '%s'", nic->tenant);
	if (find_clash(cfg, n_prior, vm, n, mac_clash, &o)) {
		config_format_mac(nic->mac, mac);
		return cfg_fail_at(ctx, "mac",
				   "%s is already used in tenant '%s' by vm '%s' nics[%u]", mac,
				   nic->tenant, o.vm->name, o.idx);
	}
	return 0;
}

static int check_vm(struct cfg_ctx *ctx, const struct ferry_config *cfg, unsigned int n_prior,
		    const void *item)
{
	const struct config_vm *vm = item;
	unsigned int i;
	size_t mark;
	int ret = 0;

	for (i = 0; i < n_prior; i++) {
		if (!strcmp(cfg->vms[i].name, vm->name))
			return cfg_fail_at(ctx, "name", "duplicate VM name '%s' (also vms[%u])",
					   vm->name, i);
		/* One terminal cannot be shared: its bytes would go to whichever VM reads first. */
		if (vm->console.use_stdin && cfg->vms[i].console.use_stdin)
			return cfg_fail_at(ctx, "console.stdin", "vm '%s' already reads stdin",
					   cfg->vms[i].name);
	}
	for (i = 0; !ret && i < vm->n_nics; i++) {
		mark = cfg_push_key(ctx, "nics");
		cfg_push_index(ctx, i);
		ret = check_nic(ctx, cfg, n_prior, vm, i);
		cfg_pop(ctx, mark);
	}
	return ret;
}

static int check_vhost_port(struct cfg_ctx *ctx, const struct ferry_config *cfg,
			    unsigned int n_prior, const void *item)
{
	const struct config_vhost_port *port = item;
	unsigned int i, j;
	int p;

	for (i = 0; i < n_prior; i++)
		if (!strcmp(cfg->vhost_ports[i].name, port->name))
			return cfg_fail_at(ctx, "name", "duplicate port name '%s' (also %s[%u])",
					   port->name, "vhost_user_ports", i);
	if (!config_find_tenant(cfg, port->tenant))
		return cfg_fail_at(ctx, "tenant", "unknown tenant '%s'", port->tenant);
	p = port_with_socket(cfg, n_prior, port->path);
	if (p >= 0)
		return cfg_fail_at(ctx, "path", "socket '%s' is already used by port '%s'",
				   port->path, cfg->vhost_ports[p].name);
	for (i = 0; i < cfg->n_vms; i++)
		for (j = 0; j < cfg->vms[i].n_nics; j++)
			if (cfg->vms[i].nics[j].backend.kind == CONFIG_BACKEND_VHOST_USER &&
			    !strcmp(cfg->vms[i].nics[j].backend.vhost_user_path, port->path))
				return cfg_fail_at(
					ctx, "path",
					"socket '%s' is already used by vm '%s' nics[%u]",
					port->path, cfg->vms[i].name, j);
	return 0;
}

static int check_uplink(struct cfg_ctx *ctx, const struct ferry_config *cfg, unsigned int n_prior,
			const void *item)
{
	const struct config_uplink *u = item;
	unsigned int i;

	if (!cfg->vtep.local.family)
		return cfg_fail(ctx, "an uplink carries the overlay: set vtep.local");
	for (i = 0; i < n_prior; i++) {
		if (!strcmp(cfg->uplinks[i].name, u->name))
			return cfg_fail_at(ctx, "name", "duplicate port name '%s' (also %s[%u])",
					   u->name, "uplinks", i);
		if (!strcmp(cfg->uplinks[i].interface, u->interface))
			return cfg_fail_at(ctx, "interface",
					   "interface '%s' already carries uplink '%s'",
					   u->interface, cfg->uplinks[i].name);
	}
	for (i = 0; i < cfg->n_vhost_ports; i++)
		if (!strcmp(cfg->vhost_ports[i].name, u->name))
			return cfg_fail_at(ctx, "name", "duplicate port name '%s' (also %s[%u])",
					   u->name, "vhost_user_ports", i);
	return 0;
}

static int check_tap_port(struct cfg_ctx *ctx, const struct ferry_config *cfg, unsigned int n_prior,
			  const void *item)
{
	const struct config_tap_port *p = item;
	unsigned int i;

	if (!config_find_tenant(cfg, p->tenant))
		return cfg_fail_at(ctx, "tenant", "unknown tenant '%s'", p->tenant);
	for (i = 0; i < n_prior; i++) {
		if (!strcmp(cfg->tap_ports[i].name, p->name))
			return cfg_fail_at(ctx, "name", "duplicate port name '%s' (also %s[%u])",
					   p->name, "tap_ports", i);
		if (!strcmp(cfg->tap_ports[i].interface, p->interface))
			return cfg_fail_at(ctx, "interface", "interface '%s' is already port '%s'",
					   p->interface, cfg->tap_ports[i].name);
	}
	for (i = 0; i < cfg->n_vhost_ports; i++)
		if (!strcmp(cfg->vhost_ports[i].name, p->name))
			return cfg_fail_at(ctx, "name", "duplicate port name '%s' (also %s[%u])",
					   p->name, "vhost_user_ports", i);
	for (i = 0; i < cfg->n_uplinks; i++)
		if (!strcmp(cfg->uplinks[i].name, p->name))
			return cfg_fail_at(ctx, "name", "duplicate port name '%s' (also %s[%u])",
					   p->name, "uplinks", i);
	return 0;
}

const struct cfg_section cfg_section_tap_ports = {
	.key = "tap_ports",
	.obj = &cfg_obj_tap_port,
	.array_off = offsetof(struct ferry_config, tap_ports),
	.count_off = offsetof(struct ferry_config, n_tap_ports),
	.check = check_tap_port,
};

static int check_xdp_acl(struct cfg_ctx *ctx, const struct ferry_config *cfg, unsigned int n_prior,
			 const void *item)
{
	const struct config_xdp_acl *a = item;
	unsigned int i;

	for (i = 0; i < n_prior; i++)
		if (!strcmp(cfg->xdp_acls[i].interface, a->interface))
			return cfg_fail_at(ctx, "interface",
					   "interface '%s' already has xdp_acls[%u]", a->interface,
					   i);
	for (i = 0; i < cfg->n_uplinks; i++)
		if (cfg->uplinks[i].kind == CONFIG_UPLINK_AFXDP &&
		    !strcmp(cfg->uplinks[i].interface, a->interface))
			return cfg_fail_at(ctx, "interface",
					   "interface '%s' carries uplink '%s', whose XDP program "
					   "filters it (see uplink_filter)",
					   a->interface, cfg->uplinks[i].name);
	return 0;
}

const struct cfg_section cfg_section_xdp_acls = {
	.key = "xdp_acls",
	.obj = &cfg_obj_xdp_acl,
	.array_off = offsetof(struct ferry_config, xdp_acls),
	.count_off = offsetof(struct ferry_config, n_xdp_acls),
	.check = check_xdp_acl,
};

const struct cfg_section cfg_section_uplinks = {
	.key = "uplinks",
	.obj = &cfg_obj_uplink,
	.array_off = offsetof(struct ferry_config, uplinks),
	.count_off = offsetof(struct ferry_config, n_uplinks),
	.check = check_uplink,
};

const struct cfg_section cfg_section_tenants = {
	.key = "tenants",
	.obj = &cfg_obj_tenant,
	.array_off = offsetof(struct ferry_config, tenants),
	.count_off = offsetof(struct ferry_config, n_tenants),
	.check = check_tenant,
};

const struct cfg_section cfg_section_vms = {
	.key = "vms",
	.obj = &cfg_obj_vm,
	.array_off = offsetof(struct ferry_config, vms),
	.count_off = offsetof(struct ferry_config, n_vms),
	.check = check_vm,
};

const struct cfg_section cfg_section_vhost_ports = {
	.key = "vhost_user_ports",
	.obj = &cfg_obj_vhost_port,
	.array_off = offsetof(struct ferry_config, vhost_ports),
	.count_off = offsetof(struct ferry_config, n_vhost_ports),
	.check = check_vhost_port,
};

/* The root object's check: every item against those before it, tenants first. */
int cfg_check_root(struct cfg_ctx *ctx, void *obj)
{
	static const struct cfg_section *const sections[] = {
		&cfg_section_tenants, &cfg_section_vms,	      &cfg_section_vhost_ports,
		&cfg_section_uplinks, &cfg_section_tap_ports, &cfg_section_xdp_acls,
	};
	const struct ferry_config *cfg = obj;
	unsigned int s, i;
	size_t mark;
	int ret = cfg_check_wireguard(ctx, cfg);

	for (s = 0; s < ARRAY_SIZE(sections); s++) {
		for (i = 0; !ret && i < cfg_section_count(sections[s], cfg); i++) {
			mark = cfg_push_key(ctx, sections[s]->key);
			cfg_push_index(ctx, i);
			ret = sections[s]->check(ctx, cfg, i,
						 cfg_section_item(sections[s], cfg, i));
			cfg_pop(ctx, mark);
		}
	}
	return ret;
}
