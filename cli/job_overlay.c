/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * job_overlay.c - the overlay of one `ferry run`: the local VTEP, the
 * tenants carried over VXLAN with their seeded VTEPs, and the uplink ports
 * (vswitch/overlay.h, port_afxdp.h, port_dpdk.h), built from the config's
 * "vtep", "tenants[].vxlan" and "uplinks" (the WireGuard tunnel, job_wg.c,
 * comes up between the VTEP and the tenants); also the tenants' TAP ports
 * (port_tap.h), the host stack's way into a tenant, and what the run
 * summary shows of the overlay.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "cli/job.h"
#include "util/log.h"
#include "vswitch/evpn.h"
#include "vswitch/overlay.h"
#include "vswitch/port_afxdp.h"
#include "vswitch/port_dpdk.h"
#include "vswitch/port_tap.h"
#include "vswitch/wg.h"

static void job_addr(const struct config_addr *c, struct vsw_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = c->family;
	memcpy(a->a, c->a, sizeof(a->a));
}

/* A DPDK device name that is a PCI address ("0000:03:00.1"), not a vdev. */
static bool job_is_pci(const char *devargs, size_t len)
{
	return strncmp(devargs, "net_", 4) != 0 && memchr(devargs, ':', len) &&
	       memchr(devargs, '.', len);
}

void job_eal_pci(const struct ferry_config *cfg, struct vsw_eal_opts *o)
{
	static char names[VSW_EAL_MAX_PCI][64];
	const char *d;
	size_t len;

	for (unsigned int i = 0; i < cfg->n_uplinks && o->n_pci < VSW_EAL_MAX_PCI; i++) {
		d = cfg->uplinks[i].devargs;
		if (cfg->uplinks[i].kind != CONFIG_UPLINK_DPDK || !d)
			continue;
		len = strcspn(d, ",");
		if (!job_is_pci(d, len))
			continue;
		snprintf(names[o->n_pci], sizeof(names[0]), "%.*s", (int)len, d);
		o->pci_allow[o->n_pci] = names[o->n_pci];
		o->n_pci++;
	}
}

int job_tenant_overlay(struct job *j, const struct config_tenant *t)
{
	struct vsw_addr a;
	char buf[64];
	int ret;

	if (!t->vxlan)
		return 0;
	ret = vsw_tenant_vxlan(j->sw, t->vni, t->learn_vteps);
	if (!ret && t->encrypted)
		ret = vsw_tenant_encrypted(j->sw, t->vni, true);
	if (!ret && t->evpn_device)
		ret = vsw_tenant_evpn(j->sw, t->vni, t->evpn_device);
	for (unsigned int i = 0; !ret && i < t->n_remote_vteps; i++) {
		job_addr(&t->remote_vteps[i], &a);
		ret = vsw_tenant_vtep_add(j->sw, t->vni, &a);
		if (ret)
			LOG_ERR("cli", "tenant %s: cannot add remote VTEP %s: %s", t->name,
				vsw_addr_str(&a, buf, sizeof(buf)), strerror(-ret));
	}
	if (ret)
		LOG_ERR("cli", "tenant %s: cannot join the overlay: %s", t->name, strerror(-ret));
	return ret;
}

static int job_add_afxdp(struct job *j, const struct config_uplink *u)
{
	struct vsw_afxdp_args a = {
		.ifname = u->interface,
		.queues = (uint16_t)u->queues,
		.attach = u->xdp_mode == CONFIG_XDP_NATIVE  ? VSW_XDP_NATIVE :
			  u->xdp_mode == CONFIG_XDP_GENERIC ? VSW_XDP_GENERIC :
							      VSW_XDP_AUTO,
		.copy = u->zero_copy == CONFIG_ZC_ON  ? VSW_XSK_ZEROCOPY :
			u->zero_copy == CONFIG_ZC_OFF ? VSW_XSK_COPY :
							VSW_XSK_AUTO,
		.udp_ports = { (uint16_t)j->cfg->vtep.udp_port },
		.n_ports = 1,
		.n_addrs = 1,
	};
	struct vsw_port_cfg pc = { .name = u->name, .kind = "afxdp", .args = &a };
	uint16_t id;

	/* WireGuard's data messages too; its handshakes go to the tunnel thread's socket. */
	if (j->cfg->wireguard.private_key_file) {
		a.wg_port = (uint16_t)j->cfg->wireguard.listen_port;
		a.udp_ports[a.n_ports++] = a.wg_port;
	}
	job_addr(&j->cfg->vtep.local, &a.addrs[0]);
	return vsw_port_add(j->sw, &pc, &id);
}

static int job_add_dpdk(struct job *j, const struct config_uplink *u)
{
	struct vsw_dpdk_args a = {
		.devargs = u->devargs,
		.ifname = u->interface,
		.queues = (uint16_t)u->queues,
		.udp_ports = { (uint16_t)j->cfg->vtep.udp_port },
		.n_ports = 1,
	};
	struct vsw_port_cfg pc = { .name = u->name, .kind = "dpdk", .args = &a };
	uint16_t id;

	job_addr(&j->cfg->vtep.local, &a.addr);
	return vsw_port_add(j->sw, &pc, &id);
}

int job_overlay_start(struct job *j)
{
	const struct config_vtep *v = &j->cfg->vtep;
	struct vsw_overlay_opts o;
	int ret = 0;

	if (!v->local.family)
		return 0;
	vsw_overlay_opts_init(&o);
	job_addr(&v->local, &o.local);
	o.udp_port = (uint16_t)v->udp_port;
	o.ttl = (uint8_t)v->ttl;
	o.df = v->df;
	o.udp_csum = v->udp_checksum;
	o.vtep_aging_s = v->vtep_aging_s;
	ret = vsw_overlay_enable(j->sw, &o);
	if (ret)
		LOG_ERR("cli", "vtep: cannot start the overlay: %s", strerror(-ret));
	/* Before the tenants: an encrypted tenant's VTEPs must be routed into the tunnel. */
	if (!ret)
		ret = job_wg_start(j);
	for (unsigned int i = 0; !ret && i < j->cfg->n_tenants; i++)
		ret = job_tenant_overlay(j, &j->cfg->tenants[i]);
	for (unsigned int i = 0; !ret && i < j->cfg->n_uplinks; i++) {
		const struct config_uplink *u = &j->cfg->uplinks[i];

		ret = u->kind == CONFIG_UPLINK_AFXDP ? job_add_afxdp(j, u) : job_add_dpdk(j, u);
		if (ret)
			LOG_ERR("cli", "uplinks[%u] (%s): cannot start: %s", i, u->name,
				strerror(-ret));
	}
	return ret;
}

int job_tap_ports_start(struct job *j)
{
	int ret = 0;

	for (unsigned int i = 0; !ret && i < j->cfg->n_tap_ports; i++) {
		const struct config_tap_port *p = &j->cfg->tap_ports[i];
		struct vsw_tap_args a = { .ifname = p->interface };
		struct vsw_port_cfg pc = { .name = p->name,
					   .kind = "tap",
					   .vni = config_find_tenant(j->cfg, p->tenant)->vni,
					   .args = &a };
		uint16_t id;

		ret = vsw_port_add(j->sw, &pc, &id);
		if (ret)
			LOG_ERR("cli", "tap_ports[%u] (%s): cannot start: %s", i, p->name,
				strerror(-ret));
	}
	return ret;
}

/* The summary's overlay lines: one per remote VTEP, then the drops by reason. */
void job_print_overlay(struct job *j)
{
	static struct vsw_vtep_stats vt[VSW_MAX_VTEPS];
	struct vsw_overlay_stats os;
	char a[VSW_ADDR_STRLEN];
	unsigned int n, i;

	if (vsw_overlay_stats(j->sw, &os) || !os.enabled)
		return;
	n = vsw_vteps(j->sw, vt, VSW_MAX_VTEPS);
	printf("\n%-24s %-12s %-10s %10s %10s %9s\n", "remote vtep", "state", "uplink", "to it",
	       "from it", "dropped");
	for (i = 0; i < n; i++)
		printf("%-24s %-12s %-10s %10llu %10llu %9llu\n",
		       vsw_addr_str(&vt[i].addr, a, sizeof(a)), vsw_nh_state_name(vt[i].state),
		       vt[i].uplink[0] ? vt[i].uplink : "-", (unsigned long long)vt[i].tx_packets,
		       (unsigned long long)vt[i].rx_packets, (unsigned long long)vt[i].tx_dropped);
	printf("overlay: %llu encapsulated, %llu decapsulated",
	       (unsigned long long)os.encap_packets, (unsigned long long)os.decap_packets);
	for (i = 0; i < VSW_TUN_DROP_MAX; i++)
		if (os.drops[i])
			printf(", %s %llu", vsw_tun_drop_name((enum vsw_tun_drop)i),
			       (unsigned long long)os.drops[i]);
	printf("\n");
}
