/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tenant.c - bridge domains.  A tenant is keyed by a 24-bit VNI and owns a MAC
 * table (fdb.c) and the RCU-published set of its ports that forward.c floods
 * to.  Ports never see other tenants' frames because flooding walks only this
 * set and the FDB holds only this tenant's ports.  The control thread
 * (vswitch.c) creates, changes and destroys tenants under its lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "vswitch/fdb.h"
#include "vswitch/private.h"

static struct vsw_port_set *tenant_set_alloc(unsigned int n)
{
	struct vsw_port_set *s = malloc(sizeof(*s) + n * sizeof(s->ids[0]));

	if (s)
		s->n = 0;
	return s;
}

struct vsw_tenant *vsw_tenant_create(struct vsw *sw, uint32_t vni, unsigned int idx)
{
	char name[64];
	struct vsw_tenant *t;

	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->vni = vni;
	t->idx = idx;
	atomic_init(&t->aged, 0);
	atomic_init(&t->ports, tenant_set_alloc(0));
	atomic_init(&t->vteps, calloc(1, sizeof(struct vsw_vtep_set)));
	atomic_init(&t->learn, false);
	if (!atomic_load(&t->ports) || !atomic_load(&t->vteps))
		goto err_free;
	snprintf(name, sizeof(name), "fdb-%u-%u", sw->instance, vni);
	t->fdb = vsw_fdb_create(name, sw->opts.fdb_size);
	if (!t->fdb)
		goto err_free;
	return t;

err_free:
	free(atomic_load(&t->ports));
	free(atomic_load(&t->vteps));
	free(t);
	return NULL;
}

void vsw_tenant_destroy(struct vsw_tenant *t)
{
	vsw_fdb_destroy(t->fdb);
	free(atomic_load(&t->ports));
	free(atomic_load(&t->vteps));
	free(t);
}

struct vsw_port_set *vsw_tenant_publish_ports(struct vsw_tenant *t, uint16_t add, uint16_t del)
{
	struct vsw_port_set *old = atomic_load_explicit(&t->ports, memory_order_relaxed);
	struct vsw_port_set *s;
	unsigned int i;

	s = tenant_set_alloc(old->n + 1);
	if (!s)
		return NULL;
	for (i = 0; i < old->n; i++)
		if (old->ids[i] != del)
			s->ids[s->n++] = old->ids[i];
	if (add != VSW_PORT_NONE)
		s->ids[s->n++] = add;
	/* Pairs with the acquire load in forward.c's fwd_flood(). */
	atomic_store_explicit(&t->ports, s, memory_order_release);
	return old;
}

void vsw_tenant_fill_stats(struct vsw *sw, const struct vsw_tenant *t, struct vsw_tenant_stats *st)
{
	const struct vsw_tenant_ctr *c;
	unsigned int i;

	st->vni = t->vni;
	st->n_ports = atomic_load_explicit(&t->ports, memory_order_relaxed)->n;
	st->fdb_entries = vsw_fdb_count(t->fdb);
	st->aged = vsw_ctr_read(&t->aged);
	for (i = 0; i < sw->n_pmds; i++) {
		c = &sw->pmds[i]->tenant_ctr[t->idx];
		st->rx_packets += vsw_ctr_read(&c->rx_packets);
		st->rx_bytes += vsw_ctr_read(&c->rx_bytes);
		st->unicast += vsw_ctr_read(&c->unicast);
		st->flooded += vsw_ctr_read(&c->flooded);
		st->dropped += vsw_ctr_read(&c->dropped);
		st->learned += vsw_ctr_read(&c->learned);
		st->moved += vsw_ctr_read(&c->moved);
		st->learn_failed += vsw_ctr_read(&c->learn_failed);
	}
}
