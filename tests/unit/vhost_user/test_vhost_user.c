/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_vhost_user.c - CUnit suites for the vhost-user backend
 * (vhost/vhost_user*.c): a test "peer" speaks the protocol to a real port
 * over its real Unix socket, through the real event thread, first the way
 * QEMU and DPDK do (then frames flow through the rings it set up), then in
 * every hostile way we know: bad sizes, unknown requests, fds where none
 * belong, too many or overlapping regions, regions past the end of their
 * file, rings outside the peer's memory, bad indices and headers.  Each
 * test checks the port survives and the connection stays or goes as it
 * should; the last one checks that no fd and no mapping leaked, counting
 * /proc/self/fd and /proc/self/maps around everything.
 */
#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/magic.h>
#include <rte_mbuf.h>

#include "fake_guest.h"
#include "harness.h"
#include "util/fdguard.h"
#include "vhost/net.h"
#include "vhost/memguard.h"
#include "vhost/net_priv.h"
#include "vhost/vhost_user.h"
#include "vhost/vhost_user_priv.h"

#define MEM_SIZE 0x200000ull /* the peer's memory: two regions of 1 MiB in one memfd */
#define HALF (MEM_SIZE / 2)
#define RING_SIZE 64
#define ACK_FAILED (-1000) /* peer_ack(): no ack came */
#define BIT(n) (1ull << (n))

static struct rte_mempool *pool;
static char sock_path[108];
static char tmp_dir[64];
static int base_fds, base_maps; /* counted before the first port of the suite */

/* The test peer: its memory (a memfd it maps, as QEMU does) and one connection. */
static int mem_fd = -1;
static uint8_t *mem_base;
static struct fg_mem g;
static struct vu_port *port;
static int peer = -1;

/* ---- counting what the process holds ---- */

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n - 1; /* the directory's own fd */
}

#if defined(__SANITIZE_ADDRESS__)
#define COUNT_FILE_MAPS_ONLY 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COUNT_FILE_MAPS_ONLY 1
#endif
#endif

/*
 * Every mapping, or under ASan every file-backed one (peer memfds, the only
 * memory Ferry maps here, are among them): ASan's allocator and its
 * quarantine map and unmap anonymous regions on their own, so their count
 * moved by one in about one run in five.  The plain build counts them all.
 */
static int count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	while (f && fgets(line, sizeof(line), f)) {
#ifdef COUNT_FILE_MAPS_ONLY
		n += strchr(line, '/') != NULL;
#else
		n += strchr(line, '\n') != NULL;
#endif
	}
	if (f)
		fclose(f);
	return n;
}

/*
 * Mappings of the peer's memfd: the test's own one plus the port's.  Exact
 * even under sanitizers, whose allocators add mappings of their own.
 */
static int count_peer_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, "memfd:vu-test-peer") != NULL;
	if (f)
		fclose(f);
	return n;
}

/* ---- the peer's side of the protocol ---- */

static int peer_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

static int peer_send(uint32_t req, uint32_t flags, const void *p, uint32_t size, const int *fds,
		     unsigned int nfds)
{
	struct vu_hdr h = { .request = req, .flags = VU_FLAG_VERSION | flags, .size = size };

	return vu_send(peer, &h, p, fds, nfds, 1000);
}

/* Receive a reply to @req; its u64 or state lands in @rx. 0 or -errno. */
static int peer_recv(uint32_t req, struct vu_rx *rx)
{
	int ret;

	vu_rx_init(rx);
	ret = vu_rx_wait(peer, rx, 10000);
	if (!ret && (rx->hdr.request != req || !(rx->hdr.flags & VU_FLAG_REPLY)))
		ret = -EPROTO;
	return ret;
}

/* Send with NEED_REPLY; the ack's value (0 = accepted), or ACK_FAILED. */
static int64_t peer_ack_fds(uint32_t req, const void *p, uint32_t size, const int *fds,
			    unsigned int nfds)
{
	struct vu_rx rx;

	if (peer_send(req, VU_FLAG_NEED_REPLY, p, size, fds, nfds) || peer_recv(req, &rx) ||
	    rx.hdr.size != 8)
		return ACK_FAILED;
	return (int64_t)rx.p.u64;
}

static int64_t peer_ack(uint32_t req, const void *p, uint32_t size)
{
	return peer_ack_fds(req, p, size, NULL, 0);
}

static int64_t peer_get_u64(uint32_t req)
{
	struct vu_rx rx;

	if (peer_send(req, 0, NULL, 0, NULL, 0) || peer_recv(req, &rx) || rx.hdr.size != 8)
		return ACK_FAILED;
	return (int64_t)rx.p.u64;
}

/* A round trip: everything sent before has been handled when it returns. */
static bool peer_alive(void)
{
	return peer_get_u64(VU_REQ_GET_FEATURES) > 0;
}

/* True once the port has closed our connection. */
static bool peer_dropped(void)
{
	struct pollfd pfd = { .fd = peer, .events = POLLIN };
	char c;

	return poll(&pfd, 1, 10000) == 1 && read(peer, &c, 1) == 0;
}

static int64_t set_state(uint32_t req, uint32_t index, uint32_t num)
{
	struct vu_vring_state s = { .index = index, .num = num };

	return peer_ack(req, &s, sizeof(s));
}

static int64_t set_vring_fd(uint32_t req, uint64_t v, int fd)
{
	return peer_ack_fds(req, &v, sizeof(v), &fd, fd >= 0 ? 1 : 0);
}

static int64_t set_addr(uint32_t idx, uint64_t desc, uint64_t avail, uint64_t used)
{
	struct vu_vring_addr a = {
		.index = idx, .desc_uaddr = desc, .used_uaddr = used, .avail_uaddr = avail
	};

	return peer_ack(VU_REQ_SET_VRING_ADDR, &a, sizeof(a));
}

static struct vu_mem_region region(uint64_t gpa, uint64_t size, uint64_t off)
{
	return (struct vu_mem_region){
		.gpa = gpa, .size = size, .uaddr = (uintptr_t)mem_base + off, .mmap_offset = off
	};
}

/* SET_MEM_TABLE with @n regions, each sent with its own dup of the memfd. */
static int64_t set_mem(const struct vu_mem_region *r, uint32_t n, unsigned int nfds)
{
	struct vu_mem_table t = { .nregions = n };
	int fds[VU_MAX_FDS] = { -1, -1, -1, -1, -1, -1, -1, -1 };
	int64_t ret;

	for (uint32_t i = 0; i < n && i < VU_MAX_REGIONS; i++)
		t.regions[i] = r[i];
	for (unsigned int i = 0; i < nfds; i++)
		fds[i] = dup(mem_fd);
	ret = peer_ack_fds(VU_REQ_SET_MEM_TABLE, &t, VU_MEM_TABLE_HDR + MIN(n, 8u) * 32, fds, nfds);
	for (unsigned int i = 0; i < nfds; i++)
		close(fds[i]);
	return ret;
}

static int64_t set_mem_default(void)
{
	struct vu_mem_region r[2] = { region(0, HALF, 0), region(HALF, HALF, HALF) };

	return set_mem(r, 2, 2);
}

/* ---- per-test set-up: a fresh port, a connected peer, REPLY_ACK on ---- */

static struct vu_port_info info(void)
{
	struct vu_port_info i;

	vu_port_get_info(port, &i);
	return i;
}

static void start_port(bool client)
{
	struct vu_port_opts o = {
		.name = "vu-test",
		.path = sock_path,
		.client = client,
		.mac = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 },
	};

	port = vu_port_create(&o);
	CU_ASSERT_FATAL(port != NULL);
	CU_ASSERT_FATAL(vu_port_start(port) == 0);
}

static void negotiate(void)
{
	uint64_t proto = BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK);
	int64_t f;

	CU_ASSERT_FATAL(peer_send(VU_REQ_SET_OWNER, 0, NULL, 0, NULL, 0) == 0);
	f = peer_get_u64(VU_REQ_GET_FEATURES);
	CU_ASSERT_FATAL(f > 0 && (f & (int64_t)BIT(VHOST_USER_F_PROTOCOL_FEATURES)));
	CU_ASSERT((f & (int64_t)BIT(VHOST_F_LOG_ALL)) == 0);
	CU_ASSERT(peer_get_u64(VU_REQ_GET_PROTOCOL_FEATURES) & (int64_t)proto);
	CU_ASSERT_FATAL(peer_send(VU_REQ_SET_PROTOCOL_FEATURES, 0, &proto, 8, NULL, 0) == 0);
	f &= (int64_t)(BIT(VIRTIO_F_VERSION_1) | BIT(VHOST_USER_F_PROTOCOL_FEATURES) |
		       BIT(VIRTIO_NET_F_MRG_RXBUF));
	CU_ASSERT_FATAL(peer_ack(VU_REQ_SET_FEATURES, &f, 8) == 0);
}

static void setup_session(void)
{
	start_port(false);
	peer = peer_connect();
	CU_ASSERT_FATAL(peer >= 0);
	negotiate();
	g.next_gpa = 0x1000;
}

static void teardown_session(void)
{
	if (getenv("VU_TEST_DEBUG"))
		fprintf(stderr, "[fds %d maps %d]\n", count_fds(), count_maps());
	if (peer >= 0)
		close(peer);
	peer = -1;
	vu_port_destroy(port);
	port = NULL;
}

/* A ring of the peer's memory set up completely: returns 0 when it runs. */
static int64_t setup_ring(struct fg_vq *v, uint32_t idx)
{
	int64_t ret;

	CU_ASSERT_FATAL(fg_vq_init(v, &g, RING_SIZE) == 0);
	ret = set_state(VU_REQ_SET_VRING_NUM, idx, RING_SIZE);
	if (!ret)
		ret = set_state(VU_REQ_SET_VRING_BASE, idx, 0);
	if (!ret)
		ret = set_addr(idx, (uintptr_t)v->desc, (uintptr_t)v->avail, (uintptr_t)v->used);
	if (!ret)
		ret = set_vring_fd(VU_REQ_SET_VRING_CALL, idx, v->call_fd);
	if (!ret)
		ret = set_vring_fd(VU_REQ_SET_VRING_KICK, idx, v->kick_fd);
	if (!ret)
		ret = set_state(VU_REQ_SET_VRING_ENABLE, idx, 1);
	return ret;
}

/* ---- the happy path ---- */

static void test_session_and_traffic(void)
{
	struct vnet_dev *dev;
	struct rte_mbuf *m[4];
	struct fg_vq rx, tx;
	struct vu_rx r;
	uint64_t frame_gpa;
	uint8_t *frame;
	uint32_t id, len;

	setup_session();
	frame_gpa = fg_alloc(&g, 2048, 64);
	frame = fg_ptr(&g, frame_gpa);
	dev = vu_port_dev(port);
	CU_ASSERT(peer_get_u64(VU_REQ_GET_QUEUE_NUM) == 1);
	CU_ASSERT(set_mem_default() == 0);
	CU_ASSERT(setup_ring(&rx, 0) == 0);
	CU_ASSERT(setup_ring(&tx, 1) == 0);
	CU_ASSERT(peer_alive());
	CU_ASSERT(info().rings_running == 2);

	/* The peer transmits one frame: header + 60 bytes in one descriptor. */
	memset(frame, 0, VNET_HDR_LEN);
	for (int i = 0; i < 60; i++)
		frame[VNET_HDR_LEN + i] = (uint8_t)i;
	fg_vq_add(&tx, &(struct fg_buf){ .gpa = frame_gpa, .len = VNET_HDR_LEN + 60 }, 1);
	CU_ASSERT_FATAL(vnet_dequeue_burst(dev, 0, pool, m, 4) == 1);
	CU_ASSERT(rte_pktmbuf_pkt_len(m[0]) == 60);
	CU_ASSERT(memcmp(rte_pktmbuf_mtod(m[0], uint8_t *), frame + VNET_HDR_LEN, 60) == 0);
	CU_ASSERT(fg_vq_get_used(&tx, &id, &len));

	/* ... and receives it back on its receive ring. */
	fg_vq_add(&rx, &(struct fg_buf){ .gpa = fg_alloc(&g, 2048, 64), .len = 2048, .write = 1 },
		  1);
	CU_ASSERT(vnet_enqueue_burst(dev, 0, m, 1) == 1);
	rte_pktmbuf_free(m[0]);
	CU_ASSERT(fg_vq_get_used(&rx, &id, &len) && len == VNET_HDR_LEN + 60);
	CU_ASSERT(fg_vq_calls(&rx) > 0);

	/* SEND_RARP (after a migration): a RARP from the MAC enters the switch with the next burst. */
	{
		const uint8_t mac[8] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
		const uint8_t *p;

		CU_ASSERT(peer_get_u64(VU_REQ_GET_PROTOCOL_FEATURES) &
			  (int64_t)BIT(VHOST_USER_PROTOCOL_F_RARP));
		CU_ASSERT(peer_ack(VU_REQ_SEND_RARP, mac, 8) == 0);
		CU_ASSERT_FATAL(vnet_dequeue_burst(dev, 0, pool, m, 4) == 1);
		p = rte_pktmbuf_mtod(m[0], const uint8_t *);
		CU_ASSERT(rte_pktmbuf_pkt_len(m[0]) == 60);
		CU_ASSERT(p[0] == 0xff && p[5] == 0xff && memcmp(p + 6, mac, 6) == 0);
		CU_ASSERT(p[12] == 0x80 && p[13] == 0x35 && p[21] == 3); /* RARP request */
		CU_ASSERT(memcmp(p + 22, mac, 6) == 0 && memcmp(p + 32, mac, 6) == 0);
		rte_pktmbuf_free(m[0]);
		CU_ASSERT(vnet_dequeue_burst(dev, 0, pool, m, 4) == 0); /* once */
	}

	/* GET_VRING_BASE stops the ring and says where it stopped. */
	CU_ASSERT(peer_send(VU_REQ_GET_VRING_BASE, 0, &(struct vu_vring_state){ .index = 1 }, 8,
			    NULL, 0) == 0);
	CU_ASSERT(peer_recv(VU_REQ_GET_VRING_BASE, &r) == 0);
	CU_ASSERT(r.p.state.index == 1 && r.p.state.num == 1);
	CU_ASSERT(peer_alive() && info().rings_running == 1);
	CU_ASSERT(vnet_dequeue_burst(dev, 0, pool, m, 4) == 0);
	fg_vq_fini(&rx);
	fg_vq_fini(&tx);
	teardown_session();
}

/* GET_CONFIG returns the MAC we were given (VHOST_USER_PROTOCOL_F_CONFIG). */
static void test_get_config(void)
{
	struct vu_config c = { .offset = 0, .size = 6 };
	struct vu_rx r;

	setup_session();
	CU_ASSERT(peer_send(VU_REQ_GET_CONFIG, 0, &c, VU_CONFIG_HDR + 6, NULL, 0) == 0);
	CU_ASSERT_FATAL(peer_recv(VU_REQ_GET_CONFIG, &r) == 0);
	CU_ASSERT(r.hdr.size == VU_CONFIG_HDR + 6 && r.p.config.region[5] == 0x56);
	c.offset = 200; /* past the config space: refused, and the peer is cut off */
	CU_ASSERT(peer_send(VU_REQ_GET_CONFIG, 0, &c, VU_CONFIG_HDR + 6, NULL, 0) == 0);
	CU_ASSERT(peer_dropped());
	teardown_session();
}

/* ---- hostile requests ---- */

static void test_bad_sizes(void)
{
	uint32_t four = 1;
	uint8_t big[64] = { 0 };

	setup_session();
	CU_ASSERT(peer_ack(VU_REQ_SET_FEATURES, &four, 4) > 0);
	CU_ASSERT(peer_ack(VU_REQ_SET_VRING_NUM, big, 12) > 0);
	CU_ASSERT(peer_ack(VU_REQ_SET_VRING_ADDR, big, 32) > 0);
	CU_ASSERT(peer_ack(VU_REQ_SET_OWNER, big, 8) > 0);
	CU_ASSERT(peer_ack(VU_REQ_SET_MEM_TABLE, big, 16) > 0);
	CU_ASSERT(peer_alive());
	CU_ASSERT(info().bad_requests == 5);
	/* More payload than any request has: the stream cannot be trusted any more. */
	CU_ASSERT(peer_send(VU_REQ_SET_FEATURES, 0, NULL, 0, NULL, 0) == 0);
	{
		struct vu_hdr h = { .request = 2, .flags = 1, .size = 0x10000 };

		CU_ASSERT(write(peer, &h, sizeof(h)) == (ssize_t)sizeof(h));
	}
	CU_ASSERT(peer_dropped());
	teardown_session();
}

static void test_unknown_and_bad_headers(void)
{
	uint64_t v = 0;

	setup_session();
	CU_ASSERT(peer_ack(0, NULL, 0) > 0);
	CU_ASSERT(peer_ack(25, &v, 8) > 0); /* SET_CONFIG: not offered */
	CU_ASSERT(peer_ack(99, NULL, 0) > 0);
	CU_ASSERT(peer_ack(0xffffffffu, NULL, 0) > 0);
	CU_ASSERT(peer_alive());
	/* A "reply" from the frontend is not a request. */
	CU_ASSERT(peer_send(VU_REQ_SET_OWNER, VU_FLAG_REPLY, NULL, 0, NULL, 0) == 0);
	CU_ASSERT(peer_dropped());
	CU_ASSERT(info().disconnects == 1);
	teardown_session();
	/* Version 2 headers do not exist either. */
	setup_session();
	{
		struct vu_hdr h = { .request = VU_REQ_SET_OWNER, .flags = 2 };

		CU_ASSERT(vu_send(peer, &h, NULL, NULL, 0, 1000) == 0);
	}
	CU_ASSERT(peer_dropped());
	teardown_session();
}

static void test_fds_where_none_belong(void)
{
	int efd = eventfd(0, EFD_CLOEXEC), fds[3];
	uint64_t f = 0;
	int before;

	setup_session();
	before = count_fds();
	fds[0] = fds[1] = fds[2] = efd;
	CU_ASSERT(peer_ack_fds(VU_REQ_SET_FEATURES, &f, 8, fds, 1) > 0);
	CU_ASSERT(peer_ack_fds(VU_REQ_SET_OWNER, NULL, 0, fds, 3) > 0);
	CU_ASSERT(peer_ack_fds(VU_REQ_SET_VRING_NUM, &(struct vu_vring_state){ 0, 64 }, 8, fds, 1) >
		  0);
	CU_ASSERT(peer_ack_fds(99, NULL, 0, fds, 2) > 0);
	/* KICK with the "no fd" bit and an fd anyway; without the bit and without an fd. */
	CU_ASSERT(set_vring_fd(VU_REQ_SET_VRING_KICK, VU_VRING_NOFD, efd) > 0);
	CU_ASSERT(set_vring_fd(VU_REQ_SET_VRING_CALL, 0, -1) > 0);
	CU_ASSERT(peer_ack_fds(VU_REQ_SET_LOG_BASE, &f, 8, fds, 1) > 0); /* refused, fd closed */
	/* A kick or call fd that is not an eventfd (a pipe could park a PMD for good). */
	CU_ASSERT_FATAL(pipe(fds) == 0);
	CU_ASSERT(set_vring_fd(VU_REQ_SET_VRING_CALL, 0, fds[1]) > 0);
	CU_ASSERT(set_vring_fd(VU_REQ_SET_VRING_KICK, 1, fds[0]) > 0);
	CU_ASSERT(set_vring_fd(VU_REQ_SET_VRING_ERR, 1, mem_fd) > 0);
	close(fds[0]);
	close(fds[1]);
	/* A blocking eventfd is accepted and made non-blocking. */
	fds[0] = eventfd(0, EFD_CLOEXEC);
	CU_ASSERT(set_vring_fd(VU_REQ_SET_VRING_CALL, 0, fds[0]) == 0);
	CU_ASSERT(fcntl(fds[0], F_GETFL) & O_NONBLOCK);
	close(fds[0]);
	CU_ASSERT(set_vring_fd(VU_REQ_SET_VRING_CALL, VU_VRING_NOFD, -1) == 0); /* ours closed */
	CU_ASSERT(peer_alive());
	CU_ASSERT(count_fds() == before);
	close(efd);
	teardown_session();
}

static void test_memory_tables(void)
{
	struct vu_mem_region r[VU_MAX_REGIONS + 1];
	int efd = eventfd(0, EFD_CLOEXEC);
	struct vu_mem_table t = { .nregions = 1 };
	int maps;

	setup_session();
	maps = count_peer_maps();
	r[0] = region(0, HALF, 0);
	r[1] = region(HALF / 2, HALF, HALF); /* overlaps region 0 in guest-physical space */
	CU_ASSERT(set_mem(r, 2, 2) > 0);
	r[1] = region(HALF, HALF, HALF);
	r[1].uaddr = r[0].uaddr + 4096; /* overlaps region 0 in the frontend's space */
	CU_ASSERT(set_mem(r, 2, 2) > 0);
	r[1] = region(HALF, MEM_SIZE, HALF); /* runs past the end of the memfd */
	CU_ASSERT(set_mem(r, 2, 2) > 0);
	r[1] = region(~0ull - 4095, 8192, HALF); /* guest-physical range wraps */
	CU_ASSERT(set_mem(r, 2, 2) > 0);
	r[1] = region(HALF, 0, HALF); /* empty */
	CU_ASSERT(set_mem(r, 2, 2) > 0);
	CU_ASSERT(set_mem(r, 0, 0) > 0); /* no regions */
	for (int i = 0; i <= VU_MAX_REGIONS; i++)
		r[i] = region((uint64_t)i * 0x10000, 0x10000, (uint64_t)i * 0x10000);
	CU_ASSERT(set_mem(r, VU_MAX_REGIONS + 1, 8) > 0); /* too many regions */
	CU_ASSERT(set_mem(r, 2, 1) > 0); /* one fd short */
	/* A region whose fd is not a file. */
	t.regions[0] = region(0, 4096, 0);
	CU_ASSERT(peer_ack_fds(VU_REQ_SET_MEM_TABLE, &t, VU_MEM_TABLE_HDR + 32, &efd, 1) > 0);
	CU_ASSERT(peer_alive());
	CU_ASSERT(count_peer_maps() == maps); /* every partial map was undone */
	CU_ASSERT(set_mem_default() == 0);
	CU_ASSERT(count_peer_maps() > maps);
	CU_ASSERT(set_mem_default() == 0); /* replacing a table unmaps the old one */
	CU_ASSERT(count_peer_maps() <= maps + 2);
	close(efd);
	teardown_session();
}

static void test_rings_outside_memory(void)
{
	struct fg_vq v;
	uint64_t end = (uintptr_t)mem_base + MEM_SIZE;

	setup_session();
	CU_ASSERT(set_mem_default() == 0);
	CU_ASSERT_FATAL(fg_vq_init(&v, &g, RING_SIZE) == 0);
	CU_ASSERT(set_state(VU_REQ_SET_VRING_NUM, 0, RING_SIZE) == 0);
	/* Wholly outside, straddling the end, straddling the two regions, wrapping. */
	CU_ASSERT(set_addr(0, end + 4096, (uintptr_t)v.avail, (uintptr_t)v.used) > 0);
	CU_ASSERT(set_addr(0, end - 512, (uintptr_t)v.avail, (uintptr_t)v.used) > 0);
	CU_ASSERT(set_addr(0, (uintptr_t)mem_base + HALF - 512, (uintptr_t)v.avail,
			   (uintptr_t)v.used) > 0);
	CU_ASSERT(set_addr(0, (uintptr_t)v.desc, (uintptr_t)v.avail, ~0ull - 8) > 0);
	/* Misaligned (virtio 1.2, 2.7): fuzz_vhost_user found the used one read unaligned. */
	CU_ASSERT(set_addr(0, (uintptr_t)v.desc, (uintptr_t)v.avail, (uintptr_t)v.used + 2) > 0);
	CU_ASSERT(set_addr(0, (uintptr_t)v.desc + 8, (uintptr_t)v.avail, (uintptr_t)v.used) > 0);
	CU_ASSERT(set_addr(0, (uintptr_t)v.desc, (uintptr_t)v.avail + 1, (uintptr_t)v.used) > 0);
	/* Addresses given before the size are checked when the ring would start. */
	CU_ASSERT(set_state(VU_REQ_SET_VRING_NUM, 1, RING_SIZE) == 0);
	CU_ASSERT(set_addr(1, (uintptr_t)v.desc, end - 64, (uintptr_t)v.used) > 0);
	CU_ASSERT(set_state(VU_REQ_SET_VRING_NUM, 2, RING_SIZE) > 0); /* no ring 2 */
	CU_ASSERT(set_state(VU_REQ_SET_VRING_NUM, 0, 100) > 0); /* not a power of two */
	CU_ASSERT(set_state(VU_REQ_SET_VRING_NUM, 0, 65536) > 0);
	CU_ASSERT(set_state(VU_REQ_SET_VRING_BASE, 0, 0x10000) > 0);
	CU_ASSERT(set_state(VU_REQ_SET_VRING_ENABLE, 0, 2) > 0);
	CU_ASSERT(set_vring_fd(VU_REQ_SET_VRING_KICK, 0x100ull << 4, -1) > 0); /* stray bits */
	CU_ASSERT(set_vring_fd(VU_REQ_SET_VRING_KICK, 7 | VU_VRING_NOFD, -1) > 0);
	CU_ASSERT(peer_alive());
	CU_ASSERT(info().rings_running == 0);
	fg_vq_fini(&v);
	teardown_session();
}

/* A ring whose memory is replaced or torn down while it runs. */
static void test_memory_swap_while_running(void)
{
	struct fg_vq v;

	setup_session();
	CU_ASSERT(set_mem_default() == 0);
	CU_ASSERT(setup_ring(&v, 1) == 0);
	CU_ASSERT(peer_alive() && info().rings_running == 1);
	CU_ASSERT(set_mem_default() == 0); /* same layout: the ring restarts through the new map */
	CU_ASSERT(peer_alive() && info().rings_running == 1);
	{
		struct vu_mem_region r = region(0, 4096, 0); /* the ring is no longer mapped */

		CU_ASSERT(set_mem(&r, 1, 1) == 0);
	}
	CU_ASSERT(peer_alive() && info().rings_running == 0);
	CU_ASSERT(vnet_queue_kick_fd(vu_port_dev(port), 1) == -1);
	fg_vq_fini(&v);
	teardown_session();
}

static void test_get_vring_base_stopped(void)
{
	struct vu_rx r;

	setup_session();
	/* Never started: the base the peer set comes back, nothing crashes. */
	CU_ASSERT(set_state(VU_REQ_SET_VRING_BASE, 1, 77) == 0);
	CU_ASSERT(peer_send(VU_REQ_GET_VRING_BASE, 0, &(struct vu_vring_state){ .index = 1 }, 8,
			    NULL, 0) == 0);
	CU_ASSERT(peer_recv(VU_REQ_GET_VRING_BASE, &r) == 0 && r.p.state.num == 77);
	CU_ASSERT(peer_send(VU_REQ_GET_VRING_BASE, 0, &(struct vu_vring_state){ .index = 0 }, 8,
			    NULL, 0) == 0);
	CU_ASSERT(peer_recv(VU_REQ_GET_VRING_BASE, &r) == 0 && r.p.state.num == 0);
	/* A ring that does not exist cannot be answered: the peer is cut off. */
	CU_ASSERT(peer_send(VU_REQ_GET_VRING_BASE, 0, &(struct vu_vring_state){ .index = 9 }, 8,
			    NULL, 0) == 0);
	CU_ASSERT(peer_dropped());
	teardown_session();
}

/* This test thread plays the PMD: the port's fence waits until it is out of a burst. */
static atomic_bool in_burst;

static void burst_fence(void *arg)
{
	(void)arg;
	while (atomic_load(&in_burst))
		usleep(100);
}

/*
 * The peer truncates its memfd under a running ring.  The next poll would
 * SIGBUS the whole process; memguard maps zero pages instead, the poll finds
 * nothing, and the port drops the peer.  The next peer gets a fresh session.
 */
static void test_peer_shrinks_memory(void)
{
	uint64_t faults = memguard_faults();
	struct rte_mbuf *m[4];
	struct fg_vq tx;
	uint64_t frame;

	setup_session();
	vnet_set_datapath_sync(vu_port_dev(port), burst_fence, NULL);
	CU_ASSERT(set_mem_default() == 0);
	CU_ASSERT(setup_ring(&tx, 1) == 0);
	CU_ASSERT(peer_alive() && info().rings_running == 1);
	frame = fg_alloc(&g, 2048, 64);
	memset(fg_ptr(&g, frame), 0, VNET_HDR_LEN + 60);
	fg_vq_add(&tx, &(struct fg_buf){ .gpa = frame, .len = VNET_HDR_LEN + 60 }, 1);
	CU_ASSERT_FATAL(ftruncate(mem_fd, 0) == 0);
	/* From here the test's own mapping faults too: touch none of it. */
	atomic_store(&in_burst, true);
	CU_ASSERT(vnet_dequeue_burst(vu_port_dev(port), 0, pool, m, 4) == 0);
	atomic_store(&in_burst, false);
	CU_ASSERT(memguard_faults() == faults + 1);
	CU_ASSERT(peer_dropped());
	for (int i = 0; i < 1000 && info().connected; i++)
		usleep(10000);
	CU_ASSERT(!info().connected && info().rings_running == 0 && info().disconnects == 1);
	CU_ASSERT_FATAL(ftruncate(mem_fd, MEM_SIZE) == 0);
	fg_vq_fini(&tx);
	close(peer);
	peer = peer_connect();
	CU_ASSERT_FATAL(peer >= 0);
	negotiate();
	g.next_gpa = 0x1000;
	CU_ASSERT(set_mem_default() == 0);
	CU_ASSERT(setup_ring(&tx, 1) == 0);
	CU_ASSERT(peer_alive() && info().rings_running == 1);
	fg_vq_fini(&tx);
	teardown_session();
}

/* A SIGBUS in memory nobody guards still kills, as a bug of ours must. */
static void test_unguarded_sigbus_kills(void)
{
	int status = 0;
	pid_t pid = fork();

	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		int fd = memfd_create("vu-test-unguarded", MFD_CLOEXEC);
		volatile uint8_t *p;

		if (fd < 0 || ftruncate(fd, 4096))
			_exit(2);
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED || ftruncate(fd, 0))
			_exit(2);
		p[0] = 1;
		_exit(0);
	}
	CU_ASSERT(waitpid(pid, &status, 0) == pid);
	/* Passed on to SIGBUS's previous handler: the default kills; ASan's reports and exits 1. */
	CU_ASSERT((WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS) ||
		  (WIFEXITED(status) && WEXITSTATUS(status) == 1));
}

/*
 * memguard saves errno: the faulting access may sit between a system call
 * and its caller's look at errno (memguard.c).
 */
static void test_guard_keeps_errno(void)
{
	int fd = memfd_create("vu-test-errno", MFD_CLOEXEC), id, seen;
	uint64_t faults = memguard_faults();
	volatile uint8_t *p;

	CU_ASSERT_FATAL(fd >= 0 && ftruncate(fd, 4096) == 0);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CU_ASSERT_FATAL(p != MAP_FAILED);
	id = memguard_add((void *)p, 4096, NULL, NULL);
	CU_ASSERT_FATAL(id >= 0);
	CU_ASSERT_FATAL(ftruncate(fd, 0) == 0);
	errno = EDOM;
	p[0] = 1; /* SIGBUS: memguard maps a zero page and the store lands there */
	seen = errno;
	CU_ASSERT(seen == EDOM);
	CU_ASSERT(memguard_faults() == faults + 1);
	memguard_del(id);
	munmap((void *)p, 4096);
	close(fd);
}

/*
 * Memory a PMD could wait on forever (a FUSE file, a network file system) is
 * refused: only memfd, tmpfs and hugetlbfs regions are mapped.  The build
 * tree is on a disk file system here.
 */
static void test_memory_must_be_memory(void)
{
	char path[] = "/var/tmp/ferry-vu-disk-XXXXXX";
	int fd = mkstemp(path);
	struct vu_mem_region r = { .gpa = 0, .size = 4096, .uaddr = 0x10000, .mmap_offset = 0 };
	struct vu_mem_table t = { .nregions = 1, .regions = { r } };
	struct statfs sfs;

	CU_ASSERT_FATAL(fd >= 0 && ftruncate(fd, 4096) == 0);
	unlink(path);
	CU_ASSERT_FATAL(fstatfs(fd, &sfs) == 0);
	if (sfs.f_type == TMPFS_MAGIC) {
		fprintf(stderr, "(/var/tmp is tmpfs here: the refusal cannot be shown)\n");
		CU_FAIL("no disk file system to test against");
	}
	setup_session();
	CU_ASSERT(peer_ack_fds(VU_REQ_SET_MEM_TABLE, &t, VU_MEM_TABLE_HDR + 32, &fd, 1) != 0);
	CU_ASSERT(info().connected);
	CU_ASSERT(set_mem_default() == 0); /* a memfd still maps */
	close(fd);
	teardown_session();
}

/*
 * A peer that makes its call eventfd blocking (O_NONBLOCK lives in the open
 * file description it shares with us) and fills its counter: the PMD's next
 * interrupt would block for good.  The write is interrupted after
 * FDGUARD_TIMEOUT_MS, the queue is broken, and the port drops the peer.
 * This thread plays the PMD: that the test goes on at all is the proof.
 */
static void test_peer_blocks_call_fd(void)
{
	uint64_t full = 0xfffffffffffffffeull, timeouts = fdguard_timeouts();
	struct rte_mbuf *m;
	struct fg_vq rx;
	uint64_t buf;

	setup_session();
	CU_ASSERT(set_mem_default() == 0);
	CU_ASSERT(setup_ring(&rx, 0) == 0);
	CU_ASSERT(peer_alive() && info().rings_running == 1);
	buf = fg_alloc(&g, 2048, 64);
	fg_vq_add(&rx, &(struct fg_buf){ .gpa = buf, .len = 2048, .write = true }, 1);
	CU_ASSERT_FATAL(fcntl(rx.call_fd, F_SETFL, fcntl(rx.call_fd, F_GETFL) & ~O_NONBLOCK) == 0);
	CU_ASSERT_FATAL(write(rx.call_fd, &full, sizeof(full)) == sizeof(full));
	m = rte_pktmbuf_alloc(pool);
	CU_ASSERT_FATAL(m != NULL);
	memset(rte_pktmbuf_append(m, 60), 0xab, 60);
	CU_ASSERT(vnet_enqueue_burst(vu_port_dev(port), 0, &m, 1) == 1);
	rte_pktmbuf_free(m);
	CU_ASSERT(fdguard_timeouts() == timeouts + 1);
	CU_ASSERT(peer_dropped());
	fg_vq_fini(&rx);
	teardown_session();
}

/* The replies that did fit, then end of file: the port hung up. */
static bool peer_eof_after_replies(void)
{
	struct pollfd pfd = { .fd = peer, .events = POLLIN };
	char buf[4096];
	ssize_t n;

	while (poll(&pfd, 1, 10000) == 1) {
		n = read(peer, buf, sizeof(buf));
		if (n <= 0)
			return n == 0 || errno == ECONNRESET;
	}
	return false;
}

/*
 * A peer that sends requests and never reads the replies fills its socket:
 * the one event thread every port shares must not wait for room, so the
 * port drops that peer at the first reply that does not fit.
 */
static void test_peer_reads_no_replies(void)
{
	int sndbuf = 4096;

	setup_session();
	CU_ASSERT(setsockopt(peer, SOL_SOCKET, SO_RCVBUF, &sndbuf, sizeof(sndbuf)) == 0);
	for (int i = 0; i < 20000; i++)
		if (peer_send(VU_REQ_GET_FEATURES, 0, NULL, 0, NULL, 0))
			break;
	CU_ASSERT(peer_eof_after_replies());
	teardown_session();
}

/* Our listening socket is 0600 from the moment it exists (util/usock.h). */
static void test_socket_mode(void)
{
	struct stat st;

	start_port(false);
	CU_ASSERT_FATAL(stat(sock_path, &st) == 0);
	CU_ASSERT(S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == VU_SOCKET_MODE);
	vu_port_destroy(port);
	port = NULL;
}

/* ---- connections ---- */

static void test_disconnect_and_second_peer(void)
{
	struct fg_vq v;
	int second, maps;

	maps = count_peer_maps();
	setup_session();
	second = peer_connect(); /* refused while the first is attached */
	CU_ASSERT(second >= 0);
	{
		struct pollfd pfd = { .fd = second, .events = POLLIN };
		char c;

		CU_ASSERT(poll(&pfd, 1, 10000) == 1 && read(second, &c, 1) <= 0);
	}
	close(second);
	CU_ASSERT(set_mem_default() == 0);
	CU_ASSERT(setup_ring(&v, 1) == 0);
	CU_ASSERT(peer_alive() && info().rings_running == 1);
	close(peer);
	peer = -1;
	for (int i = 0; i < 1000 && info().connected; i++)
		usleep(10000);
	CU_ASSERT(!info().connected && info().rings_running == 0);
	CU_ASSERT(vnet_queue_kick_fd(vu_port_dev(port), 1) == -1);
	CU_ASSERT(count_peer_maps() == maps); /* the peer's memory is gone */
	fg_vq_fini(&v);
	/* The port stays: the next peer gets a fresh session. */
	peer = peer_connect();
	CU_ASSERT_FATAL(peer >= 0);
	negotiate();
	CU_ASSERT(set_mem_default() == 0);
	CU_ASSERT(setup_ring(&v, 1) == 0);
	CU_ASSERT(peer_alive() && info().rings_running == 1 && info().connects == 2);
	fg_vq_fini(&v);
	teardown_session();
}

/* Client mode: Ferry connects, and reconnects after the peer goes away. */
static void test_client_reconnect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	unlink(sock_path);
	start_port(true); /* nobody listens yet: it keeps trying */
	usleep(100000);
	CU_ASSERT(!info().connected);
	CU_ASSERT_FATAL(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(lfd, 1) == 0);
	for (int round = 0; round < 2; round++) {
		CU_ASSERT_FATAL(poll(&pfd, 1, 5000) == 1);
		peer = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		CU_ASSERT_FATAL(peer >= 0);
		negotiate();
		CU_ASSERT(peer_alive() && info().connected);
		close(peer);
		peer = -1;
	}
	CU_ASSERT(info().connects == 2);
	close(lfd);
	unlink(sock_path);
	teardown_session();
}

/* ---- the frontend, against our own backend ---- */

static unsigned int fe_resets; /* needs_reset calls from the frontend */
static atomic_uint fe_changes; /* config_changed calls (link up or down), any thread */

static void count_reset(struct virtio_dev *vdev)
{
	(void)vdev;
	fe_resets++;
}

static void count_change(struct virtio_dev *vdev)
{
	(void)vdev;
	atomic_fetch_add(&fe_changes, 1);
}

/* Wait until the frontend's config space says the link is @up. */
static bool wait_link(struct virtio_dev *vdev, bool up)
{
	uint8_t st[2] = { 0 };

	for (int i = 0; i < 1000; i++) {
		vdev->ops->config_read(vdev, 6, st, 2);
		if ((st[0] & VIRTIO_NET_S_LINK_UP) == (up ? VIRTIO_NET_S_LINK_UP : 0))
			return true;
		usleep(10000);
	}
	return false;
}

/* The test memory as a VM's transport describes it: two regions of one memfd. */
static struct vhost_mem *fe_guest_map(int fd)
{
	struct vhost_mem *m = vhost_mem_create(2);

	for (uint64_t off = 0; m && off < MEM_SIZE; off += HALF) {
		struct vhost_mem_region r = {
			.gpa = off, .size = HALF, .hva = mem_base + off, .fd = fd, .fd_offset = off
		};

		r.uaddr = (uintptr_t)r.hva;
		CU_ASSERT_FATAL(vhost_mem_add_region(m, &r) == 0);
	}
	return m;
}

static bool wait_rings(unsigned int n)
{
	for (int i = 0; i < 1000 && info().rings_running != n; i++)
		usleep(10000);
	return info().rings_running == n;
}

static struct vu_frontend *fe_start(struct vhost_mem *map)
{
	struct vu_frontend_opts o = { .name = "fe-test",
				      .path = sock_path,
				      .mac = { 2, 0, 0, 0, 0, 9 } };
	struct vu_frontend *fe;
	struct virtio_dev *vdev;

	start_port(false);
	fe = vu_frontend_create(&o);
	CU_ASSERT_FATAL(fe != NULL);
	vdev = vu_frontend_virtio_dev(fe);
	vdev->mem = map;
	vdev->needs_reset = count_reset;
	vdev->config_changed = count_change;
	fe_resets = 0;
	atomic_store(&fe_changes, 0);
	g.next_gpa = 0x1000;
	return fe;
}

/* The status field of the frontend's config space (virtio 1.2, 5.1.4). */
static uint16_t fe_config_status(struct virtio_dev *vdev)
{
	uint16_t st;

	vdev->ops->config_read(vdev, 6, &st, sizeof(st));
	return st;
}

/* One control command without arguments through ring @q; the ack, or 0xff on no answer. */
static uint8_t fe_ctrl_cmd(struct fg_vq *q, uint8_t cls, uint8_t cmd)
{
	uint64_t gpa = fg_alloc(&g, 64, 8), one = 1;
	uint8_t *p = fg_ptr(&g, gpa);
	struct fg_buf b[2] = { { gpa, 2, false }, { gpa + 16, 1, true } };
	uint32_t id, len;

	p[0] = cls;
	p[1] = cmd;
	p[16] = 0xff;
	fg_vq_add(q, b, 2);
	CU_ASSERT(write(q->kick_fd, &one, sizeof(one)) == sizeof(one));
	for (int i = 0; i < 2000; i++) {
		if (fg_vq_get_used(q, &id, &len))
			return len == 1 ? p[16] : 0xfe;
		usleep(1000);
	}
	return 0xff;
}

static void test_frontend(void)
{
	struct vhost_mem *map = fe_guest_map(mem_fd);
	struct vu_frontend *fe = fe_start(map);
	struct virtio_dev *vdev = vu_frontend_virtio_dev(fe);
	const struct virtio_dev_ops *ops = vdev->ops;
	uint64_t f = ops->get_features(vdev),
		 want = BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MAC);
	struct virtio_queue_cfg cfg, ccfg;
	struct rte_mbuf *m[2];
	uint8_t mac[6], *frame;
	struct fg_vq tx, ctrl;
	uint64_t gpa;

	/*
	 * What the guest sees: the backend's features, ours for MAC/STATUS and
	 * the control queue (GUEST_ANNOUNCE only), no multiqueue.
	 */
	CU_ASSERT((f & want) == want && (f & BIT(VIRTIO_NET_F_STATUS)));
	CU_ASSERT((f & BIT(VIRTIO_NET_F_CTRL_VQ)) && (f & BIT(VIRTIO_NET_F_GUEST_ANNOUNCE)));
	CU_ASSERT(!(f & BIT(VIRTIO_NET_F_MQ)) && !(f & BIT(VHOST_USER_F_PROTOCOL_FEATURES)));
	CU_ASSERT(ops->num_queues(vdev) == 3);
	CU_ASSERT(ops->set_features(vdev, want) == 0);
	ops->config_read(vdev, 0, mac, 6);
	CU_ASSERT(mac[5] == 9);

	/* A transmit ring through the frontend: the backend serves it. */
	CU_ASSERT_FATAL(fg_vq_init(&tx, &g, RING_SIZE) == 0);
	fg_vq_cfg(&tx, &cfg);
	CU_ASSERT(ops->queue_start(vdev, 1, &cfg) == 0);
	CU_ASSERT(wait_rings(1));
	gpa = fg_alloc(&g, 256, 64);
	frame = fg_ptr(&g, gpa);
	memset(frame, 0, VNET_HDR_LEN + 64);
	frame[VNET_HDR_LEN] = 0xab;
	fg_vq_add(&tx, &(struct fg_buf){ .gpa = gpa, .len = VNET_HDR_LEN + 64 }, 1);
	CU_ASSERT_FATAL(vnet_dequeue_burst(vu_port_dev(port), 0, pool, m, 2) == 1);
	CU_ASSERT(*rte_pktmbuf_mtod(m[0], uint8_t *) == 0xab);
	rte_pktmbuf_free(m[0]);
	CU_ASSERT(ops->queue_stop(vdev, 1) == 1); /* GET_VRING_BASE: one chain taken */
	CU_ASSERT(wait_rings(0));
	cfg.last_avail_idx = 1;
	CU_ASSERT(ops->queue_start(vdev, 1, &cfg) == 0); /* a restart after a stop */
	CU_ASSERT(wait_rings(1));
	ops->reset(vdev);
	CU_ASSERT(wait_rings(0));

	/*
	 * The backend goes away: the link goes down (a config interrupt), and
	 * what the driver does meanwhile waits for the reconnect.  No reset.
	 */
	vu_port_stop(port);
	CU_ASSERT(wait_link(vdev, false));
	for (int i = 0; i < 200 && atomic_load(&fe_changes) < 1; i++)
		usleep(10000); /* the interrupt follows the status, as for link-up below */
	CU_ASSERT(atomic_load(&fe_changes) == 1);
	/* virtio 1.2, 5.1.3.1: no GUEST_ANNOUNCE without the control queue. */
	CU_ASSERT(ops->set_features(vdev, want | BIT(VIRTIO_NET_F_GUEST_ANNOUNCE)) == -EINVAL);
	CU_ASSERT(ops->set_features(vdev, want | BIT(VIRTIO_NET_F_CTRL_VQ) |
						  BIT(VIRTIO_NET_F_GUEST_ANNOUNCE)) == 0);
	CU_ASSERT_FATAL(fg_vq_init(&ctrl, &g, RING_SIZE) == 0);
	fg_vq_cfg(&ctrl, &ccfg);
	CU_ASSERT(ops->queue_start(vdev, 2, &ccfg) == 0); /* served here, backend or not */
	CU_ASSERT(ops->queue_start(vdev, 1, &cfg) == 0);
	CU_ASSERT(ops->queue_start(vdev, 1, &cfg) == -EINVAL); /* started already */
	/* It comes back: the session is replayed and the ring resumes where it was used. */
	CU_ASSERT_FATAL(vu_port_start(port) == 0);
	CU_ASSERT(wait_rings(1));
	CU_ASSERT(wait_link(vdev, true));
	CU_ASSERT(vu_frontend_reconnects(fe) == 1);
	/*
	 * The link-up interrupt follows the status the driver can already read
	 * (the thread raises it after the replay); the announce rounds add more.
	 */
	for (int i = 0; i < 200 && atomic_load(&fe_changes) < 2; i++)
		usleep(10000);
	CU_ASSERT(atomic_load(&fe_changes) >= 2);
	frame[VNET_HDR_LEN] = 0xcd;
	fg_vq_add(&tx, &(struct fg_buf){ .gpa = gpa, .len = VNET_HDR_LEN + 64 }, 1);
	/*
	 * The guest's frame, and the announce the frontend asked the new backend
	 * for (SEND_RARP): a RARP from the NIC's MAC, in whichever order the two
	 * threads let them through.
	 */
	{
		bool got_frame = false, got_rarp = false;

		for (int i = 0; i < 2000 && !(got_frame && got_rarp); i++) {
			const uint8_t *p;

			if (vnet_dequeue_burst(vu_port_dev(port), 0, pool, m, 1) == 0) {
				usleep(1000);
				continue;
			}
			p = rte_pktmbuf_mtod(m[0], const uint8_t *);
			if (p[12] == 0x80 && p[13] == 0x35 && p[6] == 2 && p[11] == 9)
				got_rarp = true;
			else if (*p == 0xcd)
				got_frame = true;
			rte_pktmbuf_free(m[0]);
		}
		CU_ASSERT(got_frame);
		CU_ASSERT(got_rarp);
	}
	/*
	 * The guest is asked to announce itself once the link is up (the first
	 * round 100 ms after it), and acks on the control queue.
	 */
	for (int i = 0; i < 300 && !(fe_config_status(vdev) & VIRTIO_NET_S_ANNOUNCE); i++)
		usleep(10000);
	CU_ASSERT(fe_config_status(vdev) & VIRTIO_NET_S_ANNOUNCE);
	CU_ASSERT(fe_ctrl_cmd(&ctrl, VIRTIO_NET_CTRL_ANNOUNCE, VIRTIO_NET_CTRL_ANNOUNCE_ACK) ==
		  VIRTIO_NET_OK);
	CU_ASSERT(!(fe_config_status(vdev) & VIRTIO_NET_S_ANNOUNCE));
	CU_ASSERT(fe_config_status(vdev) & VIRTIO_NET_S_LINK_UP);
	/* Any other command is refused: nothing else is served here. */
	CU_ASSERT(fe_ctrl_cmd(&ctrl, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET) ==
		  VIRTIO_NET_ERR);
	ops->queue_stop(vdev, 2);
	fg_vq_fini(&ctrl);
	CU_ASSERT(fe_resets == 0);
	vu_frontend_destroy(fe);
	fg_vq_fini(&tx);
	vhost_mem_destroy(map);
	teardown_session();
}

/* Guest RAM without an fd cannot be shared: a clean error, not a half-set-up ring. */
static void test_frontend_errors(void)
{
	struct vhost_mem *map = fe_guest_map(-1);
	struct vu_frontend *fe = fe_start(map);
	struct virtio_dev *vdev = vu_frontend_virtio_dev(fe);
	struct virtio_queue_cfg cfg;
	struct fg_vq v;

	CU_ASSERT_FATAL(fg_vq_init(&v, &g, RING_SIZE) == 0);
	fg_vq_cfg(&v, &cfg);
	CU_ASSERT(vdev->ops->queue_start(vdev, 0, &cfg) == -ENOTSUP);
	CU_ASSERT(vdev->ops->queue_start(vdev, 2, &cfg) == -EINVAL);
	CU_ASSERT(info().rings_running == 0 && fe_resets == 0);
	vu_frontend_destroy(fe);
	fg_vq_fini(&v);
	vhost_mem_destroy(map);
	teardown_session();
	/* Nobody listening. */
	CU_ASSERT(vu_frontend_create(&(struct vu_frontend_opts){ .path = sock_path }) == NULL);
}

/* Run last: nothing the suite did may have left an fd or a mapping behind. */
static void test_no_leaks(void)
{
	CU_ASSERT(count_fds() == base_fds);
	CU_ASSERT(count_maps() == base_maps);
	if (count_fds() != base_fds || count_maps() != base_maps)
		fprintf(stderr, "fds %d -> %d, maps %d -> %d\n", base_fds, count_fds(), base_maps,
			count_maps());
}

/* ---- suite set-up ---- */

static void *warm_up_thread(void *arg)
{
	return arg;
}

static int suite_init(void)
{
	struct vhost_mem_region r = { .gpa = 0, .size = MEM_SIZE, .fd = -1 };
	struct vu_frontend *fe;
	pthread_t third;

	pool = fg_dpdk_init("unit_vhost_user", 1024, 0);
	if (!pool)
		return -1;
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/ferry-vu-test-XXXXXX");
	if (!mkdtemp(tmp_dir))
		return -1;
	snprintf(sock_path, sizeof(sock_path), "%s/vu.sock", tmp_dir);
	mem_fd = memfd_create("vu-test-peer", MFD_CLOEXEC);
	if (mem_fd < 0 || ftruncate(mem_fd, MEM_SIZE))
		return -1;
	mem_base = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, mem_fd, 0);
	if (mem_base == MAP_FAILED)
		return -1;
	r.hva = mem_base;
	r.uaddr = (uintptr_t)mem_base;
	g.map = vhost_mem_create(1);
	if (!g.map || vhost_mem_add_region(g.map, &r))
		return -1;
	/*
	 * Warm up once so what glibc keeps after the event thread ends (its
	 * cached stack, the malloc arena it used) is in the baseline.
	 */
	port = vu_port_create(&(struct vu_port_opts){ .name = "warm-up", .path = sock_path });
	if (!port || vu_port_start(port))
		return -1;
	peer = peer_connect();
	if (peer < 0 ||
	    peer_send(VU_REQ_SET_PROTOCOL_FEATURES, 0,
		      &(uint64_t){ BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK) }, 8, NULL, 0) ||
	    set_mem_default() != 0)
		return -1;
	close(peer);
	peer = -1;
	/*
	 * A frontend's reconnect thread beside the event thread, and a third
	 * beside both, as a frontend's control-queue worker is: three cached stacks.
	 */
	for (int i = 0; i < 1000 && info().connected; i++)
		usleep(10000);
	fe = vu_frontend_create(&(struct vu_frontend_opts){ .path = sock_path });
	if (!fe || pthread_create(&third, NULL, warm_up_thread, NULL) || pthread_join(third, NULL))
		return -1;
	vu_frontend_destroy(fe);
	vu_port_destroy(port);
	port = NULL;
	base_fds = count_fds();
	base_maps = count_maps();
	return 0;
}

static void remove_flat_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
	rmdir(path);
}

static int suite_fini(void)
{
	char run_dir[96];

	vhost_mem_destroy(g.map);
	munmap(mem_base, MEM_SIZE);
	close(mem_fd);
	rmdir(tmp_dir);
	fg_dpdk_fini(pool);
	/* The EAL leaves its run directory (a few files, no subdirectories) behind. */
	snprintf(run_dir, sizeof(run_dir), "/var/run/dpdk/ferry_unit_vhost_user_%d", (int)getpid());
	remove_flat_dir(run_dir);
	return 0;
}

static CU_TestInfo tests[] = {
	{ "a session as QEMU/DPDK run it, frames both ways", test_session_and_traffic },
	{ "GET_CONFIG returns the MAC", test_get_config },
	{ "bad payload sizes", test_bad_sizes },
	{ "unknown requests and bad headers", test_unknown_and_bad_headers },
	{ "fds where none belong are refused and closed", test_fds_where_none_belong },
	{ "hostile memory tables", test_memory_tables },
	{ "rings outside the peer's memory, bad indices", test_rings_outside_memory },
	{ "memory replaced under a running ring", test_memory_swap_while_running },
	{ "GET_VRING_BASE on stopped and missing rings", test_get_vring_base_stopped },
	{ "the peer shrinks its memory under a running ring", test_peer_shrinks_memory },
	{ "a SIGBUS in unguarded memory still kills", test_unguarded_sigbus_kills },
	{ "disconnect, second peer, next session", test_disconnect_and_second_peer },
	{ "client mode reconnects", test_client_reconnect },
	{ "frontend against our backend, backend lost", test_frontend },
	{ "frontend refuses what it cannot forward", test_frontend_errors },
	{ "memguard keeps errno", test_guard_keeps_errno },
	{ "memory must be memory (memfd, tmpfs, hugetlbfs)", test_memory_must_be_memory },
	{ "a peer that blocks its call fd cannot hold the PMD", test_peer_blocks_call_fd },
	{ "a peer that reads no replies is dropped", test_peer_reads_no_replies },
	{ "the socket is 0600 from the start", test_socket_mode },
	{ "no fd or mapping leaked", test_no_leaks },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "vhost-user backend", suite_init, suite_fini, NULL, NULL, tests },
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	return cunit_run(suites);
}
