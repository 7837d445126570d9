/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_vnet.c - unit tests of the virtio-net device (vhost/net*.c) driven as
 * a transport would (through struct virtio_dev_ops) and as the switch would
 * (burst functions over DPDK mbufs), against the fake guest of
 * fake_guest.h: transmit and receive, mergeable buffers, checksum offload
 * both ways, malformed frames and chains, hostile rings that break one
 * queue while the device's other queue pair and a second device carry on,
 * and the queue life cycle.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "fake_guest.h"
#include "vhost/net.h"
#include "vhost/net_priv.h"

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#define QSIZE 16
#define BASE_FEATURES                                                \
	(VNET_BIT(VIRTIO_F_VERSION_1) | VNET_BIT(VIRTIO_NET_F_MAC) | \
	 VNET_BIT(VIRTIO_NET_F_STATUS) | VNET_BIT(VIRTIO_RING_F_INDIRECT_DESC))

/* A device and the fake driver's queues: rx0, tx0, rx1, tx1. */
struct tdev {
	struct vnet_dev *dev;
	struct virtio_dev *vdev;
	struct fg_vq q[4];
	unsigned int nq;
};

static struct rte_mempool *pool;
static struct fg_mem g;
static struct tdev A, B; /* A: two queue pairs; B: one, a bystander */
static unsigned int syncs; /* calls of the datapath fence */
static unsigned int config_irqs; /* configuration-change interrupts */

static void count_sync(void *arg)
{
	(void)arg;
	syncs++;
}

static void count_config(struct virtio_dev *vdev)
{
	(void)vdev;
	config_irqs++;
}

static void tdev_up(struct tdev *t, uint16_t qps, uint64_t features)
{
	struct vnet_params p = {
		.name = "t", .mac = { 2, 0, 0, 0, 0, 1 }, .queue_pairs = qps, .mtu = 1500
	};
	struct virtio_queue_cfg cfg;
	unsigned int i;

	t->dev = vnet_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t->dev);
	t->vdev = vnet_virtio_dev(t->dev);
	t->vdev->mem = g.map;
	t->vdev->config_changed = count_config;
	vnet_set_datapath_sync(t->dev, count_sync, NULL);
	CU_ASSERT_EQUAL_FATAL(t->vdev->ops->set_features(t->vdev, features), 0);
	/* With several pairs the control queue comes last (test_vnet_ctrl drives it). */
	t->nq = 2u * qps;
	CU_ASSERT_EQUAL_FATAL(t->vdev->ops->num_queues(t->vdev), t->nq + (qps > 1));
	for (i = 0; i < t->nq; i++) {
		CU_ASSERT_EQUAL_FATAL(fg_vq_init(&t->q[i], &g, QSIZE), 0);
		fg_vq_cfg(&t->q[i], &cfg);
		CU_ASSERT_EQUAL_FATAL(t->vdev->ops->queue_start(t->vdev, (uint16_t)i, &cfg), 0);
	}
}

static void tdev_down(struct tdev *t)
{
	unsigned int i;

	t->vdev->ops->reset(t->vdev);
	for (i = 0; i < t->nq; i++)
		fg_vq_fini(&t->q[i]);
	vnet_destroy(t->dev);
}

static void up(uint64_t fa, uint64_t fb)
{
	CU_ASSERT_FATAL(fg_mem_init(&g) == 0);
	tdev_up(&A, 2, fa);
	tdev_up(&B, 1, fb);
}

static void down(void)
{
	tdev_down(&A);
	tdev_down(&B);
	fg_mem_fini(&g);
}

static struct vnet_queue_stats stats(struct tdev *t, uint16_t qidx)
{
	struct vnet_queue_stats st;

	CU_ASSERT_EQUAL(vnet_get_stats(t->dev, qidx, &st), 0);
	return st;
}

/* --- frames ---------------------------------------------------------------------------------- */

static void fill_payload(uint8_t *p, uint32_t len, uint8_t seed)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

/* Ethernet + IPv4 + TCP, with the pseudo-header sum in the checksum field (NEEDS_CSUM style). */
static void mk_tcp4(uint8_t *f, uint32_t len, uint8_t seed)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)f;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);

	memset(f, 0, 54);
	fill_payload(f + 54, len - 54, seed);
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	eh->src_addr.addr_bytes[0] = 2;
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(len - 14);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(0x0a000001);
	ip->dst_addr = rte_cpu_to_be_32(0x0a000002);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th->src_port = rte_cpu_to_be_16(1234);
	th->dst_port = rte_cpu_to_be_16(80);
	th->data_off = 0x50;
	th->cksum = rte_ipv4_phdr_cksum(ip, 0);
}

/* Ethernet + IPv6 + UDP, partial checksum as above. */
static void mk_udp6(uint8_t *f, uint32_t len)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)f;
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eh + 1);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);

	memset(f, 0, 62);
	fill_payload(f + 62, len - 62, 3);
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(len - 54);
	ip->proto = IPPROTO_UDP;
	ip->hop_limits = 64;
	ip->src_addr[15] = 1;
	ip->dst_addr[15] = 2;
	uh->dgram_len = ip->payload_len;
	uh->dgram_cksum = rte_ipv6_phdr_cksum(ip, 0);
}

/* Is the TCP checksum of frame @f (300 bytes at most) complete and right? */
static bool tcp4_csum_ok(const uint8_t *f, uint32_t len)
{
	uint8_t copy[300];
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(copy + 14);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);
	uint16_t got;

	memcpy(copy, f, len);
	got = th->cksum;
	th->cksum = 0;
	return rte_ipv4_udptcp_cksum(ip, th) == got;
}

/* --- the fake driver's side ---------------------------------------------------------------------- */

/* Transmit @frame behind header @h, split into a header and a data descriptor when @split. */
static uint16_t guest_send(struct fg_vq *q, const void *frame, uint32_t len,
			   const struct virtio_net_hdr_v1 *h, bool split)
{
	struct virtio_net_hdr_v1 zero = { 0 };
	uint64_t gpa = fg_alloc(&g, VNET_HDR_LEN + len, 64);
	struct fg_buf b[2] = { { gpa, VNET_HDR_LEN, false }, { gpa + VNET_HDR_LEN, len, false } };

	memcpy(fg_ptr(&g, gpa), h ? h : &zero, VNET_HDR_LEN);
	memcpy(fg_ptr(&g, gpa + VNET_HDR_LEN), frame, len);
	if (split)
		return fg_vq_add(q, b, 2);
	b[0].len += len;
	return fg_vq_add(q, b, 1);
}

static void guest_post_rx(struct fg_vq *q, uint32_t buflen, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct fg_buf b = { fg_alloc(&g, buflen, 64), buflen, true };

		fg_vq_add(q, &b, 1);
	}
}

/*
 * Receive one frame (all its merged buffers) into @out; returns its length
 * without header, or -1 when nothing was used.  @h gets the header.
 */
static int guest_recv(struct fg_vq *q, uint8_t *out, struct virtio_net_hdr_v1 *h)
{
	uint32_t id, len, total = 0, nbufs = 1, i;

	for (i = 0; i < nbufs; i++) {
		const uint8_t *p;

		if (!fg_vq_get_used(q, &id, &len))
			return -1;
		p = fg_ptr(&g, q->desc[id].addr);
		if (i == 0) {
			memcpy(h, p, VNET_HDR_LEN);
			nbufs = h->num_buffers ? h->num_buffers : 1;
			memcpy(out, p + VNET_HDR_LEN, len - VNET_HDR_LEN);
			total = len - VNET_HDR_LEN;
		} else {
			memcpy(out + total, p, len);
			total += len;
		}
	}
	return (int)total;
}

/* An mbuf holding @data, chained in 1000-byte segments when longer than that. */
static struct rte_mbuf *mk_mbuf(const void *data, uint32_t len)
{
	struct rte_mbuf *m = NULL, *seg;
	uint32_t off, n;

	for (off = 0; off < len || !m; off += n) {
		n = MIN(len - off, 1000u);
		seg = rte_pktmbuf_alloc(pool);
		CU_ASSERT_PTR_NOT_NULL_FATAL(seg);
		CU_ASSERT_PTR_NOT_NULL_FATAL(rte_pktmbuf_append(seg, (uint16_t)n));
		memcpy(rte_pktmbuf_mtod(seg, void *), (const uint8_t *)data + off, n);
		if (!m)
			m = seg;
		else
			CU_ASSERT_EQUAL_FATAL(rte_pktmbuf_chain(m, seg), 0);
	}
	return m;
}

static void free_all(struct rte_mbuf **m, unsigned int n)
{
	rte_pktmbuf_free_bulk(m, n);
}

/* One frame through transmitq @qp of @t and receiveq of @dst: the queues still work. */
static void assert_path_works(struct tdev *t, uint16_t qp, struct tdev *dst)
{
	static uint8_t f[200], got[200];
	struct virtio_net_hdr_v1 h;
	struct rte_mbuf *m[4];
	uint16_t n;

	mk_tcp4(f, sizeof(f), 9);
	guest_send(&t->q[2 * qp + 1], f, sizeof(f), NULL, false);
	n = vnet_dequeue_burst(t->dev, qp, pool, m, 4);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	guest_post_rx(&dst->q[0], 2048, 1);
	CU_ASSERT_EQUAL(vnet_enqueue_burst(dst->dev, 0, m, 1), 1);
	free_all(m, n);
	CU_ASSERT_EQUAL(guest_recv(&dst->q[0], got, &h), (int)sizeof(f));
	CU_ASSERT_EQUAL(memcmp(f, got, sizeof(f)), 0);
}

/* --- transmit ------------------------------------------------------------------------------------- */

static void test_tx_basic(void)
{
	static uint8_t f[3][1514];
	static const uint32_t len[3] = { 60, 1000, 1514 };
	struct rte_mbuf *m[8];
	struct vnet_queue_stats st;
	uint32_t id, ulen;
	int i;

	up(BASE_FEATURES, BASE_FEATURES);
	for (i = 0; i < 3; i++) {
		mk_tcp4(f[i], len[i], (uint8_t)i);
		guest_send(&A.q[1], f[i], len[i], NULL, i == 1);
	}
	CU_ASSERT_EQUAL_FATAL(vnet_dequeue_burst(A.dev, 0, pool, m, 8), 3);
	for (i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(m[i]->pkt_len, len[i]);
		CU_ASSERT_EQUAL(memcmp(rte_pktmbuf_mtod(m[i], void *), f[i], len[i]), 0);
		CU_ASSERT_EQUAL(m[i]->ol_flags & RTE_MBUF_F_TX_L4_MASK, 0);
		CU_ASSERT_TRUE(fg_vq_get_used(&A.q[1], &id, &ulen));
		CU_ASSERT_EQUAL(ulen, 0);
	}
	free_all(m, 3);
	CU_ASSERT_EQUAL(vnet_dequeue_burst(A.dev, 0, pool, m, 8), 0);
	st = stats(&A, 1);
	CU_ASSERT_EQUAL(st.packets, 3);
	CU_ASSERT_EQUAL(st.bytes, 60 + 1000 + 1514);
	CU_ASSERT_EQUAL(st.errors, 0);
	CU_ASSERT_EQUAL(st.interrupts, 1);
	CU_ASSERT_EQUAL(fg_vq_calls(&A.q[1]), 1);
	down();
}

/* A jumbo frame from a buffer crossing two regions becomes a chained mbuf. */
static void test_tx_multiseg(void)
{
	static uint8_t f[9000], out[9000];
	uint64_t gpa = FG_R1_GPA - 3000;
	struct fg_buf b = { gpa, VNET_HDR_LEN + sizeof(f), false };
	struct rte_mbuf *m;

	up(BASE_FEATURES, BASE_FEATURES);
	mk_tcp4(f, sizeof(f), 1);
	memset(fg_ptr(&g, gpa), 0, VNET_HDR_LEN);
	CU_ASSERT_EQUAL(vhost_mem_map_iov(g.map, gpa + VNET_HDR_LEN, sizeof(f),
					  (struct iovec[2]){ 0 }, 2),
			2);
	memcpy(fg_ptr(&g, gpa + VNET_HDR_LEN), f, 3000 - VNET_HDR_LEN);
	memcpy(fg_ptr(&g, FG_R1_GPA), f + 3000 - VNET_HDR_LEN, sizeof(f) - (3000 - VNET_HDR_LEN));
	fg_vq_add(&A.q[1], &b, 1);
	CU_ASSERT_EQUAL_FATAL(vnet_dequeue_burst(A.dev, 0, pool, &m, 1), 1);
	CU_ASSERT_EQUAL(m->pkt_len, sizeof(f));
	CU_ASSERT(m->nb_segs > 1);
	CU_ASSERT_EQUAL(rte_pktmbuf_read(m, 0, sizeof(f), out) == out ? 0 : 1, 0);
	CU_ASSERT_EQUAL(memcmp(rte_pktmbuf_read(m, 0, sizeof(f), out), f, sizeof(f)), 0);
	rte_pktmbuf_free(m);
	down();
}

static void test_tx_csum_offload(void)
{
	static uint8_t f[300], v[304];
	struct virtio_net_hdr_v1 h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM };
	struct rte_mbuf *m[3];
	uint64_t f_all = BASE_FEATURES | VNET_BIT(VIRTIO_NET_F_CSUM);

	up(f_all, f_all);
	mk_tcp4(f, sizeof(f), 2);
	h.csum_start = 34;
	h.csum_offset = 16;
	guest_send(&A.q[1], f, sizeof(f), &h, false);
	mk_udp6(f, sizeof(f));
	h.csum_start = 54;
	h.csum_offset = 6;
	guest_send(&A.q[1], f, sizeof(f), &h, false);
	/* The same TCP frame behind a VLAN tag. */
	mk_tcp4(f, sizeof(f), 2);
	memcpy(v, f, 12);
	v[12] = 0x81;
	v[13] = 0x00;
	v[15] = 5;
	memcpy(v + 16, f + 12, sizeof(f) - 12);
	h.csum_start = 38;
	h.csum_offset = 16;
	guest_send(&A.q[1], v, sizeof(v), &h, false);
	CU_ASSERT_EQUAL_FATAL(vnet_dequeue_burst(A.dev, 0, pool, m, 3), 3);
	CU_ASSERT_EQUAL(m[0]->ol_flags, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM);
	CU_ASSERT_EQUAL(m[0]->l2_len, 14);
	CU_ASSERT_EQUAL(m[0]->l3_len, 20);
	CU_ASSERT_EQUAL(m[0]->l4_len, 20);
	CU_ASSERT_EQUAL(m[1]->ol_flags, RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM);
	CU_ASSERT_EQUAL(m[1]->l3_len, 40);
	CU_ASSERT_EQUAL(m[1]->l4_len, 8);
	CU_ASSERT_EQUAL(m[2]->ol_flags, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM);
	CU_ASSERT_EQUAL(m[2]->l2_len, 18);
	/* Data untouched: the pseudo-header sum stays for the port to finish. */
	CU_ASSERT_EQUAL(memcmp(rte_pktmbuf_mtod(m[2], void *), v, sizeof(v)), 0);
	free_all(m, 3);
	down();
}

/* A checksum request in a layout no port offloads is completed in software. */
static void test_tx_csum_software(void)
{
	static uint8_t f[100];
	struct virtio_net_hdr_v1 h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				       .csum_start = 14,
				       .csum_offset = 4 };
	uint64_t f_all = BASE_FEATURES | VNET_BIT(VIRTIO_NET_F_CSUM);
	struct rte_mbuf *m;
	uint16_t sum = 0;

	up(f_all, f_all);
	fill_payload(f, sizeof(f), 5);
	f[12] = 0x88;
	f[13] = 0xb5; /* a local experimental ethertype */
	f[18] = f[19] = 0; /* the seed a driver leaves in the checksum field */
	guest_send(&A.q[1], f, sizeof(f), &h, false);
	CU_ASSERT_EQUAL_FATAL(vnet_dequeue_burst(A.dev, 0, pool, &m, 1), 1);
	CU_ASSERT_EQUAL(m->ol_flags & RTE_MBUF_F_TX_L4_MASK, 0);
	/* A correct Internet checksum makes the covered bytes sum to 0xffff. */
	CU_ASSERT_EQUAL(rte_raw_cksum_mbuf(m, 14, sizeof(f) - 14, &sum), 0);
	CU_ASSERT_EQUAL(sum, 0xffff);
	rte_pktmbuf_free(m);
	down();
}

/* Malformed transmissions cost their frame only; the good one behind them goes through. */
static void test_tx_errors(void)
{
	static uint8_t f[200];
	struct virtio_net_hdr_v1 gso = { .gso_type = 1 };
	struct virtio_net_hdr_v1 far = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
					 .csum_start = 190,
					 .csum_offset = 16 };
	struct fg_buf shorty = { fg_alloc(&g, 64, 8), 8, false };
	struct fg_buf wr[2] = { { fg_alloc(&g, 300, 8), 250, false },
				{ fg_alloc(&g, 64, 8), 64, true } };
	struct rte_mbuf *m[8];
	uint32_t id, len;
	int i;

	up(BASE_FEATURES | VNET_BIT(VIRTIO_NET_F_CSUM), BASE_FEATURES);
	mk_tcp4(f, sizeof(f), 4);
	fg_vq_add(&A.q[1], &shorty, 1); /* shorter than the header */
	fg_vq_add(&A.q[1], wr, 2); /* writable buffer in a transmit chain */
	guest_send(&A.q[1], f, sizeof(f), &gso, false); /* GSO not negotiated */
	guest_send(&A.q[1], f, sizeof(f), &far, false); /* checksum field past the end */
	guest_send(&A.q[1], f, 10, NULL, false); /* shorter than an Ethernet header */
	guest_send(&A.q[1], f, sizeof(f), NULL, false); /* fine */
	CU_ASSERT_EQUAL_FATAL(vnet_dequeue_burst(A.dev, 0, pool, m, 8), 1);
	CU_ASSERT_EQUAL(memcmp(rte_pktmbuf_mtod(m[0], void *), f, sizeof(f)), 0);
	free_all(m, 1);
	CU_ASSERT_EQUAL(stats(&A, 1).errors, 5);
	CU_ASSERT_EQUAL(stats(&A, 1).broken, 0);
	for (i = 0; i < 6; i++)
		CU_ASSERT_TRUE(fg_vq_get_used(&A.q[1], &id, &len));
	/* NEEDS_CSUM without VIRTIO_NET_F_CSUM negotiated (device B). */
	far.csum_start = 34;
	guest_send(&B.q[1], f, sizeof(f), &far, false);
	CU_ASSERT_EQUAL(vnet_dequeue_burst(B.dev, 0, pool, m, 8), 0);
	CU_ASSERT_EQUAL(stats(&B, 1).errors, 1);
	assert_path_works(&A, 0, &B);
	down();
}

/* --- receive -------------------------------------------------------------------------------------- */

static void test_rx_basic(void)
{
	static uint8_t f[2][1514], got[2048];
	struct virtio_net_hdr_v1 h;
	struct rte_mbuf *m[2];
	int i;

	up(BASE_FEATURES, BASE_FEATURES);
	guest_post_rx(&A.q[0], 2048, 4);
	for (i = 0; i < 2; i++) {
		mk_tcp4(f[i], i ? 1514 : 60, (uint8_t)(i + 7));
		m[i] = mk_mbuf(f[i], i ? 1514 : 60);
	}
	CU_ASSERT_EQUAL(vnet_enqueue_burst(A.dev, 0, m, 2), 2);
	free_all(m, 2);
	for (i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(guest_recv(&A.q[0], got, &h), i ? 1514 : 60);
		CU_ASSERT_EQUAL(memcmp(got, f[i], i ? 1514 : 60), 0);
		CU_ASSERT_EQUAL(h.num_buffers, 1);
		CU_ASSERT_EQUAL(h.flags, 0);
		CU_ASSERT_EQUAL(h.gso_type, 0);
	}
	CU_ASSERT_EQUAL(stats(&A, 0).packets, 2);
	CU_ASSERT_EQUAL(stats(&A, 0).bytes, 1574);
	CU_ASSERT_EQUAL(fg_vq_calls(&A.q[0]), 1);
	down();
}

static void test_rx_mergeable(void)
{
	static uint8_t f[3000], got[4096];
	uint64_t fm = BASE_FEATURES | VNET_BIT(VIRTIO_NET_F_MRG_RXBUF);
	struct virtio_net_hdr_v1 h;
	struct rte_mbuf *m;

	up(fm, fm);
	guest_post_rx(&A.q[0], 1024, 8);
	mk_tcp4(f, sizeof(f), 3);
	m = mk_mbuf(f, sizeof(f));
	CU_ASSERT_EQUAL(vnet_enqueue_burst(A.dev, 0, &m, 1), 1);
	CU_ASSERT_EQUAL(A.q[0].used->idx, 3);
	CU_ASSERT_EQUAL(A.q[0].used->ring[0].len, 1024);
	CU_ASSERT_EQUAL(A.q[0].used->ring[1].len, 1024);
	CU_ASSERT_EQUAL(A.q[0].used->ring[2].len, 3000 + VNET_HDR_LEN - 2048);
	CU_ASSERT_EQUAL(guest_recv(&A.q[0], got, &h), 3000);
	CU_ASSERT_EQUAL(h.num_buffers, 3);
	CU_ASSERT_EQUAL(memcmp(got, f, sizeof(f)), 0);
	/* The ring runs dry half-way: nothing is delivered and the buffers stay posted. */
	CU_ASSERT_EQUAL(vnet_enqueue_burst(A.dev, 0, (struct rte_mbuf *[]){ m, m }, 2), 1);
	CU_ASSERT_EQUAL(vnet_enqueue_burst(A.dev, 0, &m, 1), 0);
	CU_ASSERT_EQUAL(stats(&A, 0).drops, 2);
	CU_ASSERT_EQUAL(A.q[0].used->idx, 6);
	guest_post_rx(&A.q[0], 1024, 2);
	CU_ASSERT_EQUAL(vnet_enqueue_burst(A.dev, 0, &m, 1), 1);
	CU_ASSERT_EQUAL(A.q[0].used->idx, 9);
	rte_pktmbuf_free(m);
	down();
}

static void test_rx_no_buffers(void)
{
	static uint8_t f[100];
	struct rte_mbuf *m[3];
	int i;

	up(BASE_FEATURES, BASE_FEATURES);
	mk_tcp4(f, sizeof(f), 1);
	for (i = 0; i < 3; i++)
		m[i] = mk_mbuf(f, sizeof(f));
	CU_ASSERT_EQUAL(vnet_enqueue_burst(A.dev, 0, m, 3), 0);
	guest_post_rx(&A.q[0], 2048, 1);
	CU_ASSERT_EQUAL(vnet_enqueue_burst(A.dev, 0, m, 3), 1);
	CU_ASSERT_EQUAL(stats(&A, 0).drops, 5);
	CU_ASSERT_EQUAL(stats(&A, 0).errors, 0);
	free_all(m, 3);
	down();
}

static void test_rx_small_buffers(void)
{
	static uint8_t f[200], got[200];
	struct fg_buf tiny = { fg_alloc(&g, 8, 8), 8, true };
	struct fg_buf ro = { fg_alloc(&g, 256, 8), 256, false };
	struct virtio_net_hdr_v1 h;
	struct rte_mbuf *m[2];
	uint32_t id, len;

	up(BASE_FEATURES, BASE_FEATURES);
	fg_vq_add(&A.q[0], &tiny, 1); /* cannot hold a header: returned empty */
	fg_vq_add(&A.q[0], &ro, 1); /* not writable: returned empty */
	guest_post_rx(&A.q[0], 100, 1); /* too small for 200 bytes, fine for 50 */
	mk_tcp4(f, sizeof(f), 2);
	m[0] = mk_mbuf(f, sizeof(f));
	m[1] = mk_mbuf(f, 60);
	CU_ASSERT_EQUAL(vnet_enqueue_burst(A.dev, 0, m, 2), 1);
	CU_ASSERT_EQUAL(stats(&A, 0).errors, 3);
	CU_ASSERT_TRUE(fg_vq_get_used(&A.q[0], &id, &len));
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_TRUE(fg_vq_get_used(&A.q[0], &id, &len));
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_EQUAL(guest_recv(&A.q[0], got, &h), 60);
	CU_ASSERT_EQUAL(memcmp(got, f, 60), 0);
	free_all(m, 2);
	down();
}

static void test_rx_csum(void)
{
	static uint8_t f[300], got[300];
	uint64_t fa = BASE_FEATURES | VNET_BIT(VIRTIO_NET_F_GUEST_CSUM);
	struct virtio_net_hdr_v1 h;
	struct rte_mbuf *m[2];

	up(fa, BASE_FEATURES);
	mk_tcp4(f, sizeof(f), 6);
	m[0] = mk_mbuf(f, sizeof(f));
	m[0]->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
	m[0]->l2_len = 14;
	m[0]->l3_len = 20;
	m[1] = mk_mbuf(f, sizeof(f));
	m[1]->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	guest_post_rx(&A.q[0], 2048, 2);
	CU_ASSERT_EQUAL(vnet_enqueue_burst(A.dev, 0, m, 2), 2);
	CU_ASSERT_EQUAL(guest_recv(&A.q[0], got, &h), 300);
	CU_ASSERT_EQUAL(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	CU_ASSERT_EQUAL(h.csum_start, 34);
	CU_ASSERT_EQUAL(h.csum_offset, 16);
	CU_ASSERT_FALSE(tcp4_csum_ok(got, 300)); /* still partial: the guest finishes it */
	CU_ASSERT_EQUAL(guest_recv(&A.q[0], got, &h), 300);
	CU_ASSERT_EQUAL(h.flags, VIRTIO_NET_HDR_F_DATA_VALID);
	/* Without GUEST_CSUM the device completes the checksum in the guest's copy only. */
	guest_post_rx(&B.q[0], 2048, 1);
	CU_ASSERT_EQUAL(vnet_enqueue_burst(B.dev, 0, m, 1), 1);
	CU_ASSERT_EQUAL(guest_recv(&B.q[0], got, &h), 300);
	CU_ASSERT_EQUAL(h.flags, 0);
	CU_ASSERT_TRUE(tcp4_csum_ok(got, 300));
	CU_ASSERT_EQUAL(memcmp(rte_pktmbuf_mtod(m[0], void *), f, sizeof(f)), 0);
	free_all(m, 2);
	down();
}

/* --- TCP segmentation offload ----------------------------------------------------------------- */

#define F_HOST_TSO                                                                        \
	(BASE_FEATURES | VNET_BIT(VIRTIO_NET_F_CSUM) | VNET_BIT(VIRTIO_NET_F_HOST_TSO4) | \
	 VNET_BIT(VIRTIO_NET_F_HOST_TSO6))
#define TSO_LEN (54 + 4000) /* three segments of MSS 1448 */

static struct virtio_net_hdr_v1 tso_hdr(void)
{
	return (struct virtio_net_hdr_v1){ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
					   .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
					   .gso_size = 1448,
					   .hdr_len = 54,
					   .csum_start = 34,
					   .csum_offset = 16 };
}

static uint16_t tcp4_field(const struct rte_mbuf *m)
{
	uint16_t v = 0;
	const void *p = rte_pktmbuf_read(m, 34 + 16, 2, &v);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	memcpy(&v, p, sizeof(v));
	return v;
}

static void test_tx_tso(void)
{
	static uint8_t f[TSO_LEN];
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(f + 34);
	struct virtio_net_hdr_v1 h = tso_hdr();
	struct rte_mbuf *m[2];
	uint16_t want;

	up(F_HOST_TSO, BASE_FEATURES);
	mk_tcp4(f, sizeof(f), 9);
	/* mk_tcp4 left the pseudo-header sum over the whole L4 length: Linux's value. */
	want = th->cksum;
	/* A DPDK-style driver leaves a sum without the length; the device makes it Linux's. */
	th->cksum = 0x1234;
	guest_send(&A.q[1], f, sizeof(f), &h, true);
	/* gso_size covering the whole payload: a plain checksum request. */
	h.gso_size = 8000;
	guest_send(&A.q[1], f, sizeof(f), &h, false);
	CU_ASSERT_EQUAL_FATAL(vnet_dequeue_burst(A.dev, 0, pool, m, 2), 2);
	CU_ASSERT_EQUAL(m[0]->ol_flags,
			RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_TCP_SEG);
	CU_ASSERT_EQUAL(m[0]->tso_segsz, 1448);
	CU_ASSERT_EQUAL(m[0]->pkt_len, TSO_LEN);
	CU_ASSERT_EQUAL(m[0]->l4_len, 20);
	CU_ASSERT_EQUAL(tcp4_field(m[0]), want);
	CU_ASSERT_EQUAL(m[1]->ol_flags, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM);
	CU_ASSERT_EQUAL(tcp4_field(m[1]), 0x1234);
	CU_ASSERT_EQUAL(stats(&A, 1).errors, 0);
	free_all(m, 2);
	down();
}

/* GSO metadata that cannot be trusted costs its frame, never more. */
static void test_tx_tso_hostile(void)
{
	static uint8_t f[TSO_LEN];
	struct virtio_net_hdr_v1 bad[8];
	struct rte_mbuf *m[10];
	unsigned int i;

	up(F_HOST_TSO, BASE_FEATURES | VNET_BIT(VIRTIO_NET_F_CSUM));
	mk_tcp4(f, sizeof(f), 1);
	for (i = 0; i < 8; i++)
		bad[i] = tso_hdr();
	bad[0].gso_size = 0;
	bad[1].hdr_len = TSO_LEN + 1; /* past the frame */
	bad[2].gso_size = 10; /* 400 segments: over VNET_GSO_MAX_SEGS */
	bad[3].gso_type = VIRTIO_NET_HDR_GSO_UDP; /* UFO: never offered */
	bad[4].gso_type = VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN; /* HOST_ECN: neither */
	bad[5].flags = 0; /* GSO without the checksum pending */
	bad[6].gso_type = VIRTIO_NET_HDR_GSO_TCPV6; /* on an IPv4 frame */
	bad[7].csum_offset = 6; /* not where TCP keeps its checksum */
	for (i = 0; i < 8; i++)
		guest_send(&A.q[1], f, sizeof(f), &bad[i], i & 1);
	guest_send(&A.q[1], f, sizeof(f), NULL, false); /* fine */
	CU_ASSERT_EQUAL_FATAL(vnet_dequeue_burst(A.dev, 0, pool, m, 10), 1);
	CU_ASSERT_EQUAL(m[0]->ol_flags, 0);
	free_all(m, 1);
	CU_ASSERT_EQUAL(stats(&A, 1).errors, 8);
	CU_ASSERT_EQUAL(stats(&A, 1).broken, 0);
	/* A sound TSO header from a driver that did not negotiate HOST_TSO4 (device B). */
	bad[0] = tso_hdr();
	guest_send(&B.q[1], f, sizeof(f), &bad[0], false);
	CU_ASSERT_EQUAL(vnet_dequeue_burst(B.dev, 0, pool, m, 1), 0);
	CU_ASSERT_EQUAL(stats(&B, 1).errors, 1);
	assert_path_works(&A, 0, &B);
	down();
}

static void test_rx_tso(void)
{
	static uint8_t f[TSO_LEN], got[8192];
	uint64_t fb = BASE_FEATURES | VNET_BIT(VIRTIO_NET_F_MRG_RXBUF) |
		      VNET_BIT(VIRTIO_NET_F_GUEST_CSUM);
	uint64_t fa = fb | VNET_BIT(VIRTIO_NET_F_GUEST_TSO4);
	struct virtio_net_hdr_v1 h;
	struct rte_mbuf *m[2];

	up(fa, fb);
	CU_ASSERT_EQUAL(vnet_guest_tso(A.dev), VNET_TSO4);
	CU_ASSERT_EQUAL(vnet_guest_tso(B.dev), 0);
	mk_tcp4(f, sizeof(f), 4);
	for (int i = 0; i < 2; i++) {
		m[i] = mk_mbuf(f, sizeof(f));
		m[i]->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM |
				 RTE_MBUF_F_TX_TCP_SEG;
		m[i]->l2_len = 14;
		m[i]->l3_len = 20;
		m[i]->l4_len = 20;
		m[i]->tso_segsz = 1448;
	}
	/* The second claims IPv6, which A did not negotiate: dropped, the first delivered. */
	m[1]->ol_flags ^= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6;
	guest_post_rx(&A.q[0], 2048, 6);
	CU_ASSERT_EQUAL(vnet_enqueue_burst(A.dev, 0, m, 2), 1);
	CU_ASSERT_EQUAL(stats(&A, 0).errors, 1);
	CU_ASSERT_EQUAL(guest_recv(&A.q[0], got, &h), TSO_LEN);
	CU_ASSERT_EQUAL(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	CU_ASSERT_EQUAL(h.gso_size, 1448);
	CU_ASSERT_EQUAL(h.hdr_len, 54);
	CU_ASSERT_EQUAL(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	CU_ASSERT_EQUAL(h.csum_start, 34);
	CU_ASSERT_EQUAL(h.csum_offset, 16);
	CU_ASSERT_EQUAL(h.num_buffers, 2); /* 4054 bytes and the header in 2 KiB buffers */
	CU_ASSERT_EQUAL(memcmp(got, f, sizeof(f)), 0);
	/* B has no GUEST_TSO: the switch segments for it; a TSO frame reaching it is an error. */
	guest_post_rx(&B.q[0], 2048, 6);
	CU_ASSERT_EQUAL(vnet_enqueue_burst(B.dev, 0, m, 1), 0);
	CU_ASSERT_EQUAL(stats(&B, 0).errors, 1);
	free_all(m, 2);
	down();
}

/* --- hostile rings through the device --------------------------------------------------------- */

static void test_hostile_tx_loop(void)
{
	unsigned int in_use = rte_mempool_in_use_count(pool);
	struct rte_mbuf *m[4];

	up(BASE_FEATURES, BASE_FEATURES);
	A.q[1].desc[0] = (struct vring_desc){ 0x10000, 64, VRING_DESC_F_NEXT, 1 };
	A.q[1].desc[1] = (struct vring_desc){ 0x10000, 64, VRING_DESC_F_NEXT, 0 };
	A.q[1].next_desc = 2;
	fg_vq_publish(&A.q[1], 0);
	CU_ASSERT_EQUAL(vnet_dequeue_burst(A.dev, 0, pool, m, 4), 0);
	CU_ASSERT_EQUAL(stats(&A, 1).broken, 1);
	CU_ASSERT_EQUAL(vnet_dequeue_burst(A.dev, 0, pool, m, 4), 0);
	CU_ASSERT_FALSE(vnet_queue_enable_notify(A.dev, 1));
	/* The other queue pair of A and device B carry on. */
	assert_path_works(&A, 1, &B);
	assert_path_works(&B, 0, &A);
	CU_ASSERT_EQUAL(stats(&A, 1).broken, 1);
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(pool), in_use);
	down();
}

static void test_hostile_rx(void)
{
	static uint8_t f[100];
	struct fg_buf b[2] = { { fg_alloc(&g, 64, 8), 64, true },
			       { fg_alloc(&g, 64, 8), 64, false } };
	struct rte_mbuf *m;
	struct virtio_queue_cfg cfg;

	up(BASE_FEATURES, BASE_FEATURES);
	fg_vq_add(&A.q[0], b, 2); /* readable after writable */
	mk_tcp4(f, sizeof(f), 1);
	m = mk_mbuf(f, sizeof(f));
	CU_ASSERT_EQUAL(vnet_enqueue_burst(A.dev, 0, &m, 1), 0);
	CU_ASSERT_EQUAL(stats(&A, 0).broken, 1);
	CU_ASSERT_EQUAL(stats(&A, 0).drops, 1);
	rte_pktmbuf_free(m);
	assert_path_works(&B, 0, &B);
	/* A reset and restart of the queue serves it again. */
	CU_ASSERT_EQUAL(A.vdev->ops->queue_stop(A.vdev, 0), 1);
	fg_vq_cfg(&A.q[0], &cfg);
	cfg.last_avail_idx = cfg.used_idx = 1;
	A.q[0].last_used = 1;
	CU_ASSERT_EQUAL(A.vdev->ops->queue_start(A.vdev, 0, &cfg), 0);
	assert_path_works(&B, 0, &A);
	down();
}

static void test_hostile_avail_jump(void)
{
	struct rte_mbuf *m[4];

	up(BASE_FEATURES, BASE_FEATURES);
	A.q[3].avail->idx = 1000;
	CU_ASSERT_EQUAL(vnet_dequeue_burst(A.dev, 1, pool, m, 4), 0);
	CU_ASSERT_EQUAL(stats(&A, 3).broken, 1);
	assert_path_works(&A, 0, &A);
	down();
}

/* --- control side ------------------------------------------------------------------------------------ */

static void test_config_and_features(void)
{
	struct vnet_params p = { .mac = { 1, 2, 3, 4, 5, 6 } };
	struct virtio_net_config cfg;
	struct vnet_dev *d = vnet_create(&p);
	struct virtio_dev *vd = vnet_virtio_dev(d);
	uint8_t tail[4] = { 9, 9, 9, 9 };

	CU_ASSERT_PTR_EQUAL(vnet_from_virtio_dev(vd), d);
	CU_ASSERT_EQUAL(vd->ops->device_id, VIRTIO_ID_NET);
	CU_ASSERT_EQUAL(vd->ops->get_features(vd),
			VNET_FEATURES_DEFAULT & ~VNET_BIT(VIRTIO_NET_F_MTU) & ~VNET_FEATURES_CTRL);
	CU_ASSERT_EQUAL(vd->ops->set_features(vd, VNET_BIT(VIRTIO_NET_F_MTU)), -EINVAL);
	CU_ASSERT_EQUAL(vd->ops->set_features(vd, VNET_BIT(VIRTIO_NET_F_MQ)), -EINVAL);
	CU_ASSERT_EQUAL(vd->ops->max_queue_size(vd, 0), VNET_DEFAULT_QUEUE_SIZE);
	CU_ASSERT_EQUAL(vd->ops->max_queue_size(vd, 2), 0);
	CU_ASSERT_EQUAL(vd->ops->config_size(vd), 12); /* mac, status, max_virtqueue_pairs, mtu */
	vd->ops->config_read(vd, 0, &cfg, sizeof(cfg));
	CU_ASSERT_EQUAL(memcmp(cfg.mac, p.mac, 6), 0);
	CU_ASSERT_EQUAL(cfg.status, VIRTIO_NET_S_LINK_UP);
	CU_ASSERT_EQUAL(cfg.max_virtqueue_pairs, 1);
	vd->ops->config_read(vd, 10, tail, 4); /* mtu, then past the end */
	CU_ASSERT_EQUAL(tail[0] | tail[1] | tail[2] | tail[3], 0);
	vd->ops->config_read(vd, UINT32_MAX, tail, 4);
	CU_ASSERT_EQUAL(tail[0] | tail[1] | tail[2] | tail[3], 0);
	vd->ops->config_write(vd, 0, tail, 4);
	vd->ops->config_read(vd, 0, &cfg, sizeof(cfg));
	CU_ASSERT_EQUAL(memcmp(cfg.mac, p.mac, 6), 0);
	/* Link changes interrupt only a driver that accepted VIRTIO_NET_F_STATUS. */
	vd->config_changed = count_config;
	config_irqs = 0;
	vnet_set_link(d, false);
	CU_ASSERT_EQUAL(config_irqs, 0);
	CU_ASSERT_EQUAL(vd->ops->set_features(vd, VNET_BIT(VIRTIO_NET_F_STATUS)), 0);
	vnet_set_link(d, true);
	vnet_set_link(d, true);
	CU_ASSERT_EQUAL(config_irqs, 1);
	vnet_destroy(d);
	p.mtu = 9000;
	p.features = VNET_BIT(VIRTIO_NET_F_MTU) | VNET_BIT(40);
	d = vnet_create(&p);
	vd = vnet_virtio_dev(d);
	CU_ASSERT_EQUAL(vd->ops->get_features(vd), VNET_BIT(VIRTIO_NET_F_MTU));
	vd->ops->config_read(vd, offsetof(struct virtio_net_config, mtu), &cfg.mtu, 2);
	CU_ASSERT_EQUAL(cfg.mtu, 9000);
	vnet_destroy(d);
	p.max_queue_size = 100;
	CU_ASSERT_PTR_NULL(vnet_create(&p));
}

static void test_queue_lifecycle(void)
{
	struct virtio_queue_cfg cfg;
	struct rte_mbuf *m[4];
	static uint8_t f[100];
	unsigned int s0;

	up(BASE_FEATURES, BASE_FEATURES);
	fg_vq_cfg(&A.q[1], &cfg);
	CU_ASSERT_EQUAL(A.vdev->ops->queue_start(A.vdev, 1, &cfg), -EBUSY);
	CU_ASSERT_EQUAL(A.vdev->ops->queue_start(A.vdev, 9, &cfg), -EINVAL);
	CU_ASSERT_EQUAL(vnet_queue_kick_fd(A.dev, 1), A.q[1].kick_fd);
	mk_tcp4(f, sizeof(f), 1);
	guest_send(&A.q[1], f, sizeof(f), NULL, false);
	guest_send(&A.q[1], f, sizeof(f), NULL, false);
	CU_ASSERT_EQUAL(vnet_dequeue_burst(A.dev, 0, pool, m, 1), 1);
	rte_pktmbuf_free(m[0]);
	s0 = syncs;
	CU_ASSERT_EQUAL(A.vdev->ops->queue_stop(A.vdev, 1), 1); /* GET_VRING_BASE */
	CU_ASSERT_EQUAL(syncs, s0 + 1);
	CU_ASSERT_EQUAL(A.vdev->ops->queue_stop(A.vdev, 1), 1); /* already stopped: no fence */
	CU_ASSERT_EQUAL(syncs, s0 + 1);
	CU_ASSERT_EQUAL(vnet_dequeue_burst(A.dev, 0, pool, m, 4), 0);
	CU_ASSERT_EQUAL(vnet_queue_kick_fd(A.dev, 1), -1);
	CU_ASSERT_FALSE(vnet_queue_enable_notify(A.dev, 1));
	/* Resume where we stopped (SET_VRING_BASE): the second frame comes out. */
	cfg.last_avail_idx = cfg.used_idx = 1;
	CU_ASSERT_EQUAL(A.vdev->ops->queue_start(A.vdev, 1, &cfg), 0);
	CU_ASSERT_EQUAL(vnet_dequeue_burst(A.dev, 0, pool, m, 4), 1);
	rte_pktmbuf_free(m[0]);
	CU_ASSERT_EQUAL(A.q[1].used->idx, 2);
	/* Notifications, no EVENT_IDX: flags in the used ring. */
	vnet_queue_disable_notify(A.dev, 1);
	CU_ASSERT_EQUAL(A.q[1].used->flags, VRING_USED_F_NO_NOTIFY);
	CU_ASSERT_FALSE(vnet_queue_enable_notify(A.dev, 1));
	guest_send(&A.q[1], f, sizeof(f), NULL, false);
	CU_ASSERT_TRUE(vnet_queue_enable_notify(A.dev, 1));
	/* Replacing the call fd fences the datapath so the old fd can be closed. */
	s0 = syncs;
	A.vdev->ops->queue_set_call_fd(A.vdev, 1, -1);
	CU_ASSERT_EQUAL(syncs, s0 + 1);
	CU_ASSERT_EQUAL(vnet_dequeue_burst(A.dev, 0, pool, m, 4), 1);
	rte_pktmbuf_free(m[0]);
	CU_ASSERT_EQUAL(fg_vq_calls(&A.q[1]), 2);
	/* Reset stops everything with one fence. */
	s0 = syncs;
	A.vdev->ops->reset(A.vdev);
	CU_ASSERT_EQUAL(syncs, s0 + 1);
	CU_ASSERT_EQUAL(vnet_enqueue_burst(A.dev, 0, m, 0), 0);
	CU_ASSERT_EQUAL(vnet_dequeue_burst(A.dev, 5, pool, m, 4), 0);
	CU_ASSERT_EQUAL(vnet_get_stats(A.dev, 4, &(struct vnet_queue_stats){ 0 }), -EINVAL);
	down();
}

static void test_event_idx_burst(void)
{
	static uint8_t f[100];
	uint64_t fe = BASE_FEATURES | VNET_BIT(VIRTIO_RING_F_EVENT_IDX);
	struct rte_mbuf *m[8];
	int i;

	up(fe, fe);
	mk_tcp4(f, sizeof(f), 1);
	for (i = 0; i < 4; i++)
		guest_send(&A.q[1], f, sizeof(f), NULL, false);
	CU_ASSERT_EQUAL(vnet_dequeue_burst(A.dev, 0, pool, m, 8), 4);
	free_all(m, 4);
	CU_ASSERT_EQUAL(fg_vq_calls(&A.q[1]), 1); /* first decision */
	A.q[1].avail->ring[QSIZE] = 10; /* used_event: wake me at entry 10 */
	for (i = 0; i < 4; i++)
		guest_send(&A.q[1], f, sizeof(f), NULL, false);
	CU_ASSERT_EQUAL(vnet_dequeue_burst(A.dev, 0, pool, m, 8), 4);
	free_all(m, 4);
	CU_ASSERT_EQUAL(fg_vq_calls(&A.q[1]), 0);
	for (i = 0; i < 4; i++)
		guest_send(&A.q[1], f, sizeof(f), NULL, false);
	CU_ASSERT_EQUAL(vnet_dequeue_burst(A.dev, 0, pool, m, 8), 4);
	free_all(m, 4);
	CU_ASSERT_EQUAL(fg_vq_calls(&A.q[1]), 1);
	CU_ASSERT_EQUAL(stats(&A, 1).interrupts, 2);
	down();
}

/* --- quiesce: control ops racing a PMD thread ------------------------------------------------ */

/*
 * A stand-in for the switch's PMD thread and its rte_rcu_qsbr: it bursts on
 * transmitq 0 of A, plays the guest by recycling every returned chain, and
 * reports a quiescent state (epoch++) between bursts.
 */
struct fake_pmd {
	_Atomic bool quit; /* set by the control thread to end the run */
	_Atomic uint64_t gen; /* odd from queue_stop's return until the restart */
	_Atomic uint64_t epoch; /* bursts completed */
	_Atomic uint64_t moved; /* frames dequeued */
	_Atomic uint64_t violations; /* frames dequeued by bursts begun after a stop returned */
};

static struct fake_pmd pmd;

static void *pmd_main(void *arg)
{
	struct rte_mbuf *m[8];
	uint32_t id, len;
	uint16_t n;

	(void)arg;
	while (!atomic_load(&pmd.quit)) {
		uint64_t gen = atomic_load(&pmd.gen);

		n = vnet_dequeue_burst(A.dev, 0, pool, m, 8);
		rte_pktmbuf_free_bulk(m, n);
		atomic_fetch_add(&pmd.moved, n);
		/* A burst that ran wholly while the queue was stopped must find nothing. */
		if ((gen & 1) && gen == atomic_load(&pmd.gen) && n)
			atomic_fetch_add(&pmd.violations, n);
		while (fg_vq_get_used(&A.q[1], &id, &len))
			fg_vq_publish(&A.q[1], (uint16_t)id);
		/* Release: everything this burst did happens before the fence sees it finish. */
		atomic_fetch_add_explicit(&pmd.epoch, 1, memory_order_release);
	}
	return NULL;
}

/* Spin (yielding) until @c exceeds @v; false after 60 s so a bug fails instead of hanging. */
static bool wait_above(_Atomic uint64_t *c, uint64_t v)
{
	time_t end = time(NULL) + 60;

	while (atomic_load_explicit(c, memory_order_acquire) <= v)
		if (sched_yield() || time(NULL) > end)
			return false;
	return true;
}

/* One PMD, one reporter: when its epoch moves, every burst begun before the call has ended. */
static void qsbr_sync(void *arg)
{
	(void)arg;
	if (!wait_above(&pmd.epoch, atomic_load(&pmd.epoch)))
		atomic_store(&pmd.quit, true); /* a stuck PMD: end the run, the test then fails */
}

static void test_quiesce_race(void)
{
	static uint8_t f[64];
	struct virtio_queue_cfg cfg;
	pthread_t th;
	uint16_t base, used;
	bool ok = true;
	int i;

	up(BASE_FEATURES, BASE_FEATURES);
	memset(&pmd, 0, sizeof(pmd));
	vnet_set_datapath_sync(A.dev, qsbr_sync, NULL);
	mk_tcp4(f, sizeof(f), 1);
	for (i = 0; i < QSIZE; i++)
		guest_send(&A.q[1], f, sizeof(f), NULL, false);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, pmd_main, NULL), 0);
	for (i = 0; i < 200 && ok; i++) {
		ok = wait_above(&pmd.moved, atomic_load(&pmd.moved) + QSIZE);
		base = A.vdev->ops->queue_stop(A.vdev, 1);
		atomic_fetch_add(&pmd.gen, 1);
		used = __atomic_load_n(&A.q[1].used->idx, __ATOMIC_ACQUIRE);
		/* Nothing in flight: everything taken was returned, and the rings stay still. */
		ok = ok && base == used && wait_above(&pmd.epoch, atomic_load(&pmd.epoch) + 3) &&
		     __atomic_load_n(&A.q[1].used->idx, __ATOMIC_ACQUIRE) == used;
		fg_vq_cfg(&A.q[1], &cfg);
		cfg.last_avail_idx = cfg.used_idx = base;
		atomic_fetch_add(&pmd.gen, 1);
		ok = ok && A.vdev->ops->queue_start(A.vdev, 1, &cfg) == 0;
	}
	/* Stop at the first failure: the PMD thread must be joined before any assertion bails out. */
	CU_ASSERT_TRUE(ok);
	atomic_store(&pmd.quit, true);
	pthread_join(th, NULL);
	vnet_set_datapath_sync(A.dev, NULL, NULL); /* no PMD left to wait for */
	CU_ASSERT(atomic_load(&pmd.moved) >= 200u * QSIZE);
	CU_ASSERT_EQUAL(atomic_load(&pmd.violations), 0);
	CU_ASSERT_EQUAL(stats(&A, 1).errors, 0);
	CU_ASSERT_EQUAL(stats(&A, 1).broken, 0);
	down();
}

/* --- the control queue (net_ctrl.c) ------------------------------------------------------------ */

static int ctrl_resets;

static void ctrl_needs_reset(struct virtio_dev *vd)
{
	(void)vd;
	ctrl_resets++;
}

/* Send one command (class, cmd, @arg) and wait for the ack; -1 if none came. */
static int ctrl_cmd(struct fg_vq *cq, uint8_t cls, uint8_t cmd, const void *arg, uint32_t len,
		    bool with_ack)
{
	uint64_t hdr = fg_alloc(&g, 2, 2), a = fg_alloc(&g, len ? len : 1, 8),
		 ack = fg_alloc(&g, 1, 1), one = 1;
	struct fg_buf b[3];
	unsigned int n = 0;
	uint32_t id, used_len;
	uint8_t *h = fg_ptr(&g, hdr);

	h[0] = cls;
	h[1] = cmd;
	b[n++] = (struct fg_buf){ hdr, 2, false };
	if (len) {
		memcpy(fg_ptr(&g, a), arg, len);
		b[n++] = (struct fg_buf){ a, len, false };
	}
	*(uint8_t *)fg_ptr(&g, ack) = 0xee;
	if (with_ack)
		b[n++] = (struct fg_buf){ ack, 1, true };
	fg_vq_add(cq, b, n);
	CU_ASSERT(write(cq->kick_fd, &one, sizeof(one)) == sizeof(one));
	for (int i = 0; i < 5000; i++) {
		if (fg_vq_get_used(cq, &id, &used_len))
			return *(uint8_t *)fg_ptr(&g, ack);
		poll(NULL, 0, 1);
	}
	return -1;
}

static void test_ctrl_queue(void)
{
	const uint64_t feat = VNET_BIT(VIRTIO_F_VERSION_1) | VNET_FEATURES_CTRL;
	struct vnet_params p = { .name = "mq", .mac = { 2, 0, 0, 0, 0, 9 }, .queue_pairs = 4 };
	uint8_t mac[6] = { 2, 1, 2, 3, 4, 5 }, mcast[6] = { 1, 0, 0x5e, 0, 0, 1 }, on = 1;
	uint8_t table[4 + 6 + 4] = { 1, 0, 0, 0, 2, 0, 0, 0, 0, 7, 0, 0, 0, 0 }, bad[8] = { 9 };
	struct virtio_net_config cfg;
	struct virtio_queue_cfg qc;
	struct fg_vq cq;
	struct vnet_dev *d;
	struct virtio_dev *vd;
	uint16_t pairs;

	CU_ASSERT_FATAL(fg_mem_init(&g) == 0);
	d = vnet_create(&p);
	vd = vnet_virtio_dev(d);
	vd->mem = g.map;
	vd->needs_reset = ctrl_needs_reset;
	ctrl_resets = 0;
	CU_ASSERT_EQUAL(vd->ops->get_features(vd) & VNET_FEATURES_CTRL, VNET_FEATURES_CTRL);
	CU_ASSERT_EQUAL(vd->ops->num_queues(vd), 9);
	CU_ASSERT_EQUAL(vd->ops->max_queue_size(vd, 8), 64);
	CU_ASSERT_EQUAL_FATAL(vd->ops->set_features(vd, feat), 0);
	CU_ASSERT_EQUAL_FATAL(fg_vq_init(&cq, &g, 64), 0);
	fg_vq_cfg(&cq, &qc);
	CU_ASSERT_EQUAL_FATAL(vd->ops->queue_start(vd, 8, &qc), 0);
	CU_ASSERT_EQUAL(vnet_tx_queue_pairs(d), 1); /* one pair until the driver says more */
	pairs = 3;
	CU_ASSERT_EQUAL(ctrl_cmd(&cq, VIRTIO_NET_CTRL_MQ, 0, &pairs, 2, true), VIRTIO_NET_OK);
	CU_ASSERT_EQUAL(vnet_tx_queue_pairs(d), 3);
	pairs = 0;
	CU_ASSERT_EQUAL(ctrl_cmd(&cq, VIRTIO_NET_CTRL_MQ, 0, &pairs, 2, true), VIRTIO_NET_ERR);
	pairs = 5; /* more than the device has */
	CU_ASSERT_EQUAL(ctrl_cmd(&cq, VIRTIO_NET_CTRL_MQ, 0, &pairs, 2, true), VIRTIO_NET_ERR);
	CU_ASSERT_EQUAL(ctrl_cmd(&cq, VIRTIO_NET_CTRL_MQ, 0, &pairs, 1, true), VIRTIO_NET_ERR);
	CU_ASSERT_EQUAL(vnet_tx_queue_pairs(d), 3); /* refusals changed nothing */
	CU_ASSERT_EQUAL(ctrl_cmd(&cq, VIRTIO_NET_CTRL_RX, 0, &on, 1, true), VIRTIO_NET_OK);
	CU_ASSERT_EQUAL(ctrl_cmd(&cq, VIRTIO_NET_CTRL_RX, 1, &on, 1, true), VIRTIO_NET_OK);
	CU_ASSERT_EQUAL(ctrl_cmd(&cq, VIRTIO_NET_CTRL_RX, 0, bad, 2, true), VIRTIO_NET_ERR);
	CU_ASSERT_EQUAL(ctrl_cmd(&cq, VIRTIO_NET_CTRL_MAC, 1, mcast, 6, true), VIRTIO_NET_ERR);
	CU_ASSERT_EQUAL(ctrl_cmd(&cq, VIRTIO_NET_CTRL_MAC, 1, mac, 6, true), VIRTIO_NET_OK);
	vd->ops->config_read(vd, 0, &cfg, sizeof(cfg));
	CU_ASSERT_EQUAL(memcmp(cfg.mac, mac, 6), 0);
	CU_ASSERT_EQUAL(ctrl_cmd(&cq, VIRTIO_NET_CTRL_MAC, 0, table, sizeof(table), true),
			VIRTIO_NET_OK);
	table[0] = 200; /* a count past the buffer */
	CU_ASSERT_EQUAL(ctrl_cmd(&cq, VIRTIO_NET_CTRL_MAC, 0, table, sizeof(table), true),
			VIRTIO_NET_ERR);
	CU_ASSERT_EQUAL(ctrl_cmd(&cq, 99, 0, NULL, 0, true), VIRTIO_NET_ERR);
	CU_ASSERT_EQUAL(ctrl_cmd(&cq, VIRTIO_NET_CTRL_VLAN, 0, bad, 2, true), VIRTIO_NET_ERR);
	CU_ASSERT_EQUAL(ctrl_resets, 0);
	/* No byte for the ack: the queue breaks and the transport is told. */
	CU_ASSERT_EQUAL(ctrl_cmd(&cq, VIRTIO_NET_CTRL_MQ, 0, &pairs, 2, false), -1);
	CU_ASSERT_EQUAL(ctrl_resets, 1);
	vd->ops->reset(vd);
	CU_ASSERT_EQUAL(vnet_tx_queue_pairs(d), 1); /* reset: no MQ negotiated, one pair */
	fg_vq_fini(&cq);
	vnet_destroy(d);
	fg_mem_fini(&g);
}

static CU_TestInfo tx_tests[] = {
	{ "basic", test_tx_basic },
	{ "multi-segment", test_tx_multiseg },
	{ "checksum offload flags", test_tx_csum_offload },
	{ "checksum in software", test_tx_csum_software },
	{ "malformed frames", test_tx_errors },
	{ "TSO frames", test_tx_tso },
	{ "hostile GSO metadata", test_tx_tso_hostile },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo rx_tests[] = {
	{ "basic", test_rx_basic },
	{ "mergeable", test_rx_mergeable },
	{ "no buffers", test_rx_no_buffers },
	{ "small and bad buffers", test_rx_small_buffers },
	{ "checksum", test_rx_csum },
	{ "TSO frames whole", test_rx_tso },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo hostile_tests[] = {
	{ "transmit descriptor loop", test_hostile_tx_loop },
	{ "receive readable after writable", test_hostile_rx },
	{ "avail index jump", test_hostile_avail_jump },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo ctl_tests[] = {
	{ "config and features", test_config_and_features },
	{ "queue life cycle", test_queue_lifecycle },
	{ "event idx per burst", test_event_idx_burst },
	{ "control queue", test_ctrl_queue },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo quiesce_tests[] = {
	{ "stop and restart under a running PMD", test_quiesce_race },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "vnet_tx", NULL, NULL, NULL, NULL, tx_tests },
	{ "vnet_rx", NULL, NULL, NULL, NULL, rx_tests },
	{ "vnet_hostile", NULL, NULL, NULL, NULL, hostile_tests },
	{ "vnet_control", NULL, NULL, NULL, NULL, ctl_tests },
	{ "vnet_quiesce", NULL, NULL, NULL, NULL, quiesce_tests },
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	int ret;

	pool = fg_dpdk_init("unit_vnet", 2047, 0);
	if (!pool)
		return 1;
	ret = cunit_run(suites);
	fg_dpdk_fini(pool);
	return ret;
}
