/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_vnet_port.c - the "vnet" port adapter (vswitch/port_vnet.c) against a
 * real vhost/ virtio-net device driven by the vhost tests' fake guest
 * (tests/unit/vhost/fake_guest.h): frames the guest transmits reach a dummy
 * port, frames for the guest land in its receive ring, a guest without
 * receive buffers shows up as driver tx errors, and a device reset runs the
 * switch's datapath fence.  Manual polling keeps it deterministic.
 */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fake_guest.h"
#include "vhost/net.h"
#include "vswitch/port_vnet.h"
#include "vsw_test.h"

#define T1 100
#define QSIZE 64
#define HDR_LEN 12 /* struct virtio_net_hdr_v1 with num_buffers (VIRTIO_F_VERSION_1) */

struct vnet_fx {
	struct fg_mem g;
	struct fg_vq rxq, txq; /* guest receiveq 0 and transmitq 0 */
	struct vnet_dev *dev;
	struct virtio_dev *vdev;
	struct vsw *sw;
	uint16_t a, v; /* dummy port, vnet port */
	uint8_t gmac[6], amac[6];
};

static void vnet_fx_guest(struct vnet_fx *f)
{
	struct vnet_params p = { .name = "g0", .queue_pairs = 1 };
	struct virtio_queue_cfg cfg;

	CU_ASSERT_EQUAL_FATAL(fg_mem_init(&f->g), 0);
	f->dev = vnet_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->dev);
	f->vdev = vnet_virtio_dev(f->dev);
	f->vdev->mem = f->g.map;
	CU_ASSERT_EQUAL_FATAL(f->vdev->ops->set_features(f->vdev, VNET_BIT(VIRTIO_F_VERSION_1)), 0);
	CU_ASSERT_EQUAL_FATAL(fg_vq_init(&f->rxq, &f->g, QSIZE), 0);
	CU_ASSERT_EQUAL_FATAL(fg_vq_init(&f->txq, &f->g, QSIZE), 0);
	fg_vq_cfg(&f->rxq, &cfg);
	CU_ASSERT_EQUAL_FATAL(f->vdev->ops->queue_start(f->vdev, 0, &cfg), 0);
	fg_vq_cfg(&f->txq, &cfg);
	CU_ASSERT_EQUAL_FATAL(f->vdev->ops->queue_start(f->vdev, 1, &cfg), 0);
}

static void vnet_fx_up(struct vnet_fx *f, unsigned int pmds)
{
	struct vsw_vnet_args va = { 0 };
	struct vsw_port_cfg cfg = { .name = "v", .kind = "vnet", .vni = T1, .args = &va };
	struct vsw_opts o;

	memset(f, 0, sizeof(*f));
	vnet_fx_guest(f);
	va.dev = f->dev;
	vt_opts(&o, pmds);
	o.mac_aging_s = 0;
	f->sw = vsw_create(&o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->sw);
	CU_ASSERT_EQUAL_FATAL(vsw_tenant_add(f->sw, T1), 0);
	f->a = vt_dummy(f->sw, "a", T1, 256);
	CU_ASSERT_EQUAL_FATAL(vsw_port_add(f->sw, &cfg, &f->v), 0);
	vt_mac(f->gmac, 0x99);
	vt_mac(f->amac, 1);
}

static void vnet_fx_down(struct vnet_fx *f)
{
	CU_ASSERT_EQUAL(vsw_port_remove(f->sw, f->v), 0);
	vsw_destroy(f->sw);
	f->vdev->ops->reset(f->vdev);
	vnet_destroy(f->dev);
	fg_vq_fini(&f->rxq);
	fg_vq_fini(&f->txq);
	fg_mem_fini(&f->g);
}

/* The guest transmits one 64-byte frame from its MAC to @dst. */
static void guest_send(struct vnet_fx *f, const uint8_t dst[6])
{
	uint64_t gpa = fg_alloc(&f->g, HDR_LEN + 64, 16);
	uint8_t *p = fg_ptr(&f->g, gpa);
	struct fg_buf b = { .gpa = gpa, .len = HDR_LEN + 64, .write = false };

	memset(p, 0, HDR_LEN + 64);
	memcpy(p + HDR_LEN, dst, 6);
	memcpy(p + HDR_LEN + 6, f->gmac, 6);
	p[HDR_LEN + 12] = 0x08;
	fg_vq_add(&f->txq, &b, 1);
}

static void guest_post_rx(struct vnet_fx *f)
{
	struct fg_buf b = { .gpa = fg_alloc(&f->g, 2048, 64), .len = 2048, .write = true };

	fg_vq_add(&f->rxq, &b, 1);
}

static void test_vnet_port_both_ways(void)
{
	uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct vsw_port_stats st;
	uint32_t id, len;
	struct vnet_fx f;

	vnet_fx_up(&f, 0);
	/* Guest -> switch: flooded to the dummy port, guest MAC learned on v. */
	guest_send(&f, bcast);
	while (vsw_poll(f.sw) > 0)
		;
	CU_ASSERT_EQUAL(vt_drain(f.sw, f.a), 1);
	CU_ASSERT_EQUAL(vsw_mac_lookup(f.sw, T1, f.gmac), f.v);
	CU_ASSERT(fg_vq_get_used(&f.txq, &id, &len)); /* the guest got its buffer back */
	/* Switch -> guest: unicast into the buffer the guest posted. */
	guest_post_rx(&f);
	CU_ASSERT(vt_send(f.sw, f.a, f.gmac, f.amac));
	while (vsw_poll(f.sw) > 0)
		;
	CU_ASSERT(fg_vq_get_used(&f.rxq, &id, &len));
	CU_ASSERT_EQUAL(len, HDR_LEN + 64);
	/* No receive buffer: the adapter takes and frees the frame, counting an error. */
	CU_ASSERT(vt_send(f.sw, f.a, f.gmac, f.amac));
	while (vsw_poll(f.sw) > 0)
		;
	CU_ASSERT_EQUAL(vsw_port_stats(f.sw, f.v, &st), 0);
	CU_ASSERT_STRING_EQUAL(st.kind, "vnet");
	CU_ASSERT_EQUAL(st.rx_packets, 1);
	CU_ASSERT_EQUAL(st.tx_packets, 2);
	CU_ASSERT_EQUAL(st.drv.tx_errors, 1);
	/* A reset stops the queues and runs the switch's fence through the adapter. */
	f.vdev->ops->reset(f.vdev);
	CU_ASSERT_EQUAL(vsw_poll(f.sw), 0);
	vnet_fx_down(&f);
}

/*
 * A PMD thread asleep on the guest's transmit kick: the guest queues a frame
 * and kicks (as its driver would with notifications enabled); the PMD wakes
 * and forwards it.  Deadlines only keep a broken switch from hanging.
 */
static void test_vnet_port_kick_wakes_pmd(void)
{
	uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct vsw_pmd_stats ps;
	unsigned int i, got = 0;
	struct vnet_fx f;
	uint64_t deadline;

	vnet_fx_up(&f, 1);
	for (i = 0; i < 5; i++) {
		deadline = vt_ms() + 30000;
		do {
			usleep(1000);
			vsw_pmd_stats(f.sw, 0, &ps);
		} while (ps.sleeps <= i && vt_ms() < deadline);
		guest_send(&f, bcast);
		CU_ASSERT_EQUAL(eventfd_write(f.txq.kick_fd, 1), 0);
		deadline = vt_ms() + 30000;
		while (got <= i && vt_ms() < deadline)
			got += vt_drain(f.sw, f.a);
	}
	CU_ASSERT_EQUAL(got, 5);
	vsw_pmd_stats(f.sw, 0, &ps);
	CU_ASSERT(ps.sleeps >= 5);
	vnet_fx_down(&f);
}

static void test_vnet_port_bad_args(void)
{
	struct vsw_vnet_args va = { .dev = NULL };
	struct vsw_port_cfg cfg = { .name = "v", .kind = "vnet", .vni = T1, .args = &va };
	struct vsw_opts o;
	struct vsw *sw;
	uint16_t id;

	vt_opts(&o, 0);
	sw = vsw_create(&o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sw);
	CU_ASSERT_EQUAL(vsw_tenant_add(sw, T1), 0);
	CU_ASSERT_EQUAL(vsw_port_add(sw, &cfg, &id), -EINVAL);
	cfg.args = NULL;
	CU_ASSERT_EQUAL(vsw_port_add(sw, &cfg, &id), -EINVAL);
	vsw_destroy(sw);
}

CU_TestInfo vt_vnet_tests[] = {
	{ "vnet port: guest to switch and back", test_vnet_port_both_ways },
	{ "vnet port: guest kick wakes a sleeping PMD", test_vnet_port_kick_wakes_pmd },
	{ "vnet port: bad arguments", test_vnet_port_bad_args },
	CU_TEST_INFO_NULL,
};
