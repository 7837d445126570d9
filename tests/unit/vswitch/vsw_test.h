/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vsw_test.h - helpers shared by the vswitch unit suites (test_fwd.c,
 * test_pmd.c) and the micro-benchmark: frame building, dummy ports, and
 * draining a port's tx queue.  The suites run against a real EAL that
 * test_main.c brings up once (--no-huge --in-memory, see vswitch/eal.c).
 */
#ifndef FERRY_TESTS_VSW_TEST_H
#define FERRY_TESTS_VSW_TEST_H

#include <stdbool.h>
#include <stdint.h>

#include <CUnit/CUnit.h>

#include "vswitch/vswitch.h"

struct rte_mbuf;

/* 02:00:00:00:hi:lo, a locally administered unicast MAC. */
void vt_mac(uint8_t mac[6], uint16_t n);
/* A frame of @len bytes (>= 14 unless testing runts) with @seq after the header. */
struct rte_mbuf *vt_frame(const uint8_t dst[6], const uint8_t src[6], uint16_t len, uint32_t seq);
/* Build and inject one frame into @port's rx queue 0; false if it did not fit. */
bool vt_send(struct vsw *sw, uint16_t port, const uint8_t dst[6], const uint8_t src[6]);
/* Collect and free everything on @port's tx queues; returns the count. */
unsigned int vt_drain(struct vsw *sw, uint16_t port);
/* Add a dummy port with one queue each way and rings of @ring entries. */
int vt_dummy_add(struct vsw *sw, const char *name, uint32_t vni, unsigned int ring, uint16_t *id);
/* The same inside a CUnit test: a failure ends the test. */
uint16_t vt_dummy(struct vsw *sw, const char *name, uint32_t vni, unsigned int ring);
/* Options for tests: no hugepages, small pool, given PMD count. */
void vt_opts(struct vsw_opts *o, unsigned int pmds);
/* An address from text; a CUnit failure if it does not parse. */
struct vsw_addr vt_addr(const char *s);
/* Monotonic milliseconds. */
uint64_t vt_ms(void);

extern CU_TestInfo vt_fwd_tests[];
extern CU_TestInfo vt_pmd_tests[];
extern CU_TestInfo vt_vnet_tests[];
extern CU_TestInfo vt_vxlan_tests[];
extern CU_TestInfo vt_overlay_tests[];
extern CU_TestInfo vt_wg_tests[];
extern CU_TestInfo vt_gso_tests[];

#endif
