/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vsw_test.c - implementation of the test helpers in vsw_test.h.
 */
#include <string.h>
#include <time.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "vswitch/port_dummy.h"
#include "vsw_test.h"

void vt_mac(uint8_t mac[6], uint16_t n)
{
	mac[0] = 0x02;
	mac[1] = mac[2] = mac[3] = 0;
	mac[4] = (uint8_t)(n >> 8);
	mac[5] = (uint8_t)n;
}

struct rte_mbuf *vt_frame(const uint8_t dst[6], const uint8_t src[6], uint16_t len, uint32_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(vsw_eal_pool());
	uint8_t *p;

	if (!m)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, len);
	if (!p) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(p, 0, len);
	if (len >= 12) {
		memcpy(p, dst, 6);
		memcpy(p + 6, src, 6);
	}
	if (len >= 14)
		p[12] = 0x08; /* IPv4 ethertype, content does not matter to the switch */
	if (len >= 18)
		memcpy(p + 14, &seq, sizeof(seq));
	return m;
}

bool vt_send(struct vsw *sw, uint16_t port, const uint8_t dst[6], const uint8_t src[6])
{
	struct rte_mbuf *m = vt_frame(dst, src, 64, 0);

	if (!m)
		return false;
	if (vsw_dummy_inject(vsw_port_lookup(sw, port), 0, &m, 1) == 1)
		return true;
	rte_pktmbuf_free(m);
	return false;
}

unsigned int vt_drain(struct vsw *sw, uint16_t port)
{
	struct vsw_port *p = vsw_port_lookup(sw, port);
	struct rte_mbuf *pkts[64];
	unsigned int total = 0, n;

	while ((n = vsw_dummy_collect(p, 0, pkts, 64)) > 0) {
		rte_pktmbuf_free_bulk(pkts, n);
		total += n;
	}
	return total;
}

int vt_dummy_add(struct vsw *sw, const char *name, uint32_t vni, unsigned int ring, uint16_t *id)
{
	struct vsw_dummy_args a = { .n_rxq = 1, .n_txq = 1, .ring_size = ring };
	struct vsw_port_cfg cfg = { .name = name, .kind = "dummy", .vni = vni, .args = &a };

	return vsw_port_add(sw, &cfg, id);
}

uint16_t vt_dummy(struct vsw *sw, const char *name, uint32_t vni, unsigned int ring)
{
	uint16_t id = VSW_PORT_NONE;

	CU_ASSERT_EQUAL_FATAL(vt_dummy_add(sw, name, vni, ring, &id), 0);
	return id;
}

void vt_opts(struct vsw_opts *o, unsigned int pmds)
{
	vsw_opts_init(o);
	o->pmd_threads = pmds;
	o->eal.hugepages = VSW_HUGE_OFF;
	o->eal.mbufs = 32767;
}

struct vsw_addr vt_addr(const char *s)
{
	struct vsw_addr a;

	CU_ASSERT_EQUAL(vsw_addr_parse(s, &a), 0);
	return a;
}

uint64_t vt_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
