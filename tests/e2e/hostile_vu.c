/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hostile_vu.c - a vhost-user frontend that attacks the switch it attaches
 * to (e2e_hostile_peer_stall).  It speaks just enough of the protocol (no
 * protocol features, so rings run once set up) to two of Ferry's server
 * ports in one tenant:
 *
 *   A: a transmit ring that sends broadcast frames, so the switch keeps
 *      delivering frames to B;
 *   B: a receive ring made to stall whoever serves it.
 *
 * Attack "rxloop": every receive descriptor of B device-readable (a chain a
 * device must refuse) in a ring of the largest size the port allows, kept
 * full by reposting each chain the moment the device writes it back.  First
 * it measures, one frame at a time, how many chains the device takes for
 * one frame (the used index's step): the whole ring for a device that walks
 * until it runs dry, a few for one that charges refused chains to a budget.
 *
 * Attack "callfd": B's call eventfd is ours too; we clear O_NONBLOCK in the
 * open file description we share with the switch and fill the counter, so
 * the next interrupt the switch writes would block for good.
 *
 * usage: hostile_vu SOCK_A SOCK_B RXLOOP_SECONDS CALLFD_SECONDS
 * It prints "HOSTILE key=value ..." lines; exits 0 once both attacks ran.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

/* vhost-user requests (the protocol's own numbers). */
enum {
	REQ_GET_FEATURES = 1,
	REQ_SET_FEATURES = 2,
	REQ_SET_OWNER = 3,
	REQ_SET_MEM_TABLE = 5,
	REQ_SET_VRING_NUM = 8,
	REQ_SET_VRING_ADDR = 9,
	REQ_SET_VRING_BASE = 10,
	REQ_SET_VRING_KICK = 12,
	REQ_SET_VRING_CALL = 13,
};

#define MEM_SIZE (16u << 20)
#define RX_SIZE 32768 /* the largest ring a vhost-user port accepts */
#define TX_SIZE 256
#define FRAME_LEN (12 + 60) /* virtio-net header (VERSION_1) and a minimum frame */
#define MARK 0xffffffffu /* a used id no device writes */
#define SAMPLES 20

struct msg {
	uint32_t request, flags, size;
	union {
		uint64_t u64;
		struct {
			uint32_t index, num;
		} state;
		struct {
			uint32_t index, flags;
			uint64_t desc, used, avail, log;
		} addr;
		struct {
			uint32_t nregions, padding;
			uint64_t gpa, size, uaddr, offset;
		} mem;
	} p;
} __attribute__((packed));

struct ring {
	uint16_t size;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	int kick, call;
};

static uint8_t *mem; /* shared with the switch: guest-physical = offset here */
static size_t mem_used;

static void die(const char *what)
{
	fprintf(stderr, "hostile_vu: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void *mem_alloc(size_t len, size_t align)
{
	size_t off = (mem_used + align - 1) & ~(align - 1);

	if (off + len > MEM_SIZE) {
		errno = ENOMEM;
		die("shared memory");
	}
	mem_used = off + len;
	return mem + off;
}

static uint64_t gpa(const void *p)
{
	return (uint64_t)((const uint8_t *)p - mem);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int dial(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		die(path);
	return fd;
}

static void send_msg(int sock, uint32_t req, const void *p, uint32_t size, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct msg m = { .request = req, .flags = 1, .size = size };
	struct iovec iov = { .iov_base = &m, .iov_len = 12 + size };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	memcpy(&m.p, p, size);
	if (fd >= 0) {
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) != (ssize_t)iov.iov_len)
		die("sendmsg");
}

static uint64_t get_features(int sock)
{
	struct msg m;

	send_msg(sock, REQ_GET_FEATURES, NULL, 0, -1);
	if (recv(sock, &m, 12 + 8, MSG_WAITALL) != 20)
		die("GET_FEATURES reply");
	return m.p.u64;
}

/* The session up to the rings: features (no protocol features) and memory. */
static void session(int sock, int memfd)
{
	uint64_t f = get_features(sock) & (1ull << VIRTIO_F_VERSION_1);

	struct msg m = {
		.p.mem = { .nregions = 1, .size = MEM_SIZE, .uaddr = (uint64_t)(uintptr_t)mem }
	};

	send_msg(sock, REQ_SET_OWNER, NULL, 0, -1);
	send_msg(sock, REQ_SET_FEATURES, &f, 8, -1);
	send_msg(sock, REQ_SET_MEM_TABLE, &m.p.mem, sizeof(m.p.mem), memfd);
}

static void ring_start(int sock, struct ring *r, uint32_t index)
{
	struct msg a = { .p.addr = { .index = index,
				     .desc = (uint64_t)(uintptr_t)r->desc,
				     .used = (uint64_t)(uintptr_t)r->used,
				     .avail = (uint64_t)(uintptr_t)r->avail } };
	struct msg num = { .p.state = { index, r->size } }, base = { .p.state = { index, 0 } };
	uint64_t v = index;

	r->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->kick < 0 || r->call < 0)
		die("eventfd");
	send_msg(sock, REQ_SET_VRING_NUM, &num.p.state, 8, -1);
	send_msg(sock, REQ_SET_VRING_BASE, &base.p.state, 8, -1);
	send_msg(sock, REQ_SET_VRING_ADDR, &a.p.addr, 40, -1);
	send_msg(sock, REQ_SET_VRING_CALL, &v, 8, r->call);
	send_msg(sock, REQ_SET_VRING_KICK, &v, 8, r->kick);
}

static void ring_alloc(struct ring *r, uint16_t size)
{
	r->size = size;
	r->desc = mem_alloc(16u * size, 16);
	r->avail = mem_alloc(6 + 2u * size, 2);
	r->used = mem_alloc(6 + 8u * size, 4);
}

static void kick(const struct ring *r)
{
	uint64_t one = 1;

	if (write(r->kick, &one, 8) < 0 && errno != EAGAIN)
		die("kick");
}

/* A's transmit ring: TX_SIZE broadcast frames, all made available. */
static void tx_setup(struct ring *r)
{
	static const uint8_t hdr[14] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02,
					 0,    0,    0,	   0,	 0x66, 0x88, 0xb5 };

	ring_alloc(r, TX_SIZE);
	for (uint16_t i = 0; i < TX_SIZE; i++) {
		uint8_t *f = mem_alloc(FRAME_LEN, 64);

		memset(f, 0, FRAME_LEN);
		memcpy(f + 12, hdr, sizeof(hdr));
		r->desc[i] = (struct vring_desc){ .addr = gpa(f), .len = FRAME_LEN };
	}
}

/* Send @n more frames from A: repost what came back, kick. */
static uint16_t tx_send(struct ring *r, uint16_t avail, uint16_t n)
{
	uint16_t used = __atomic_load_n(&r->used->idx, __ATOMIC_ACQUIRE);

	for (uint16_t i = 0; i < n && (uint16_t)(avail - used) < r->size; i++, avail++)
		r->avail->ring[avail % r->size] = avail % r->size;
	__atomic_store_n(&r->avail->idx, avail, __ATOMIC_RELEASE);
	kick(r);
	return avail;
}

/* B's receive ring: every chain one device-readable descriptor, all available. */
static void rx_setup(struct ring *r)
{
	uint8_t *buf = mem_alloc(64, 64);

	ring_alloc(r, RX_SIZE);
	for (uint32_t i = 0; i < RX_SIZE; i++) {
		r->desc[i] = (struct vring_desc){ .addr = gpa(buf), .len = 64 };
		r->used->ring[i].id = MARK;
		r->avail->ring[i] = (uint16_t)i;
	}
	__atomic_store_n(&r->avail->idx, (uint16_t)RX_SIZE, __ATOMIC_RELEASE);
}

/* Repost what the device wrote back since @pos, a full ring ahead of it. */
static uint16_t rx_repost(struct ring *r, uint16_t pos, uint64_t *refused)
{
	volatile struct vring_used_elem *e = &r->used->ring[pos % r->size];

	while (e->id != MARK) {
		r->avail->ring[pos % r->size] = (uint16_t)e->id;
		e->id = MARK;
		pos++;
		(*refused)++;
		e = &r->used->ring[pos % r->size];
	}
	__atomic_store_n(&r->avail->idx, (uint16_t)(pos + r->size), __ATOMIC_RELEASE);
	return pos;
}

int main(int argc, char **argv)
{
	struct ring tx, rx;
	uint64_t refused = 0, full = 0xfffffffffffffffeull;
	uint16_t avail = 0, pos = 0, step, most = 0, before;
	double end, next;
	int a, b, memfd;

	if (argc != 5) {
		fprintf(stderr, "usage: hostile_vu SOCK_A SOCK_B RXLOOP_S CALLFD_S\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	memfd = memfd_create("hostile-vu", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, MEM_SIZE))
		die("memfd");
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	tx_setup(&tx);
	rx_setup(&rx);
	a = dial(argv[1]);
	b = dial(argv[2]);
	session(a, memfd);
	session(b, memfd);
	ring_start(a, &tx, 1);
	ring_start(b, &rx, 0);
	printf("HOSTILE attached ring=%u\n", RX_SIZE);

	/* One frame at a time: the chains the device takes for it. */
	for (int k = 0; k < SAMPLES; k++) {
		before = __atomic_load_n(&rx.used->idx, __ATOMIC_ACQUIRE);
		avail = tx_send(&tx, avail, 1);
		for (end = now_s() + 1; now_s() < end;)
			if (__atomic_load_n(&rx.used->idx, __ATOMIC_ACQUIRE) != before)
				break;
		step = (uint16_t)(__atomic_load_n(&rx.used->idx, __ATOMIC_ACQUIRE) - before);
		most = step > most ? step : most;
		pos = rx_repost(&rx, pos, &refused);
	}
	printf("HOSTILE rxloop per_frame=%u\n", most);

	/* Then the race: keep the ring full while frames keep coming. */
	printf("HOSTILE rxloop started\n");
	for (end = now_s() + atof(argv[3]), next = 0; now_s() < end;) {
		pos = rx_repost(&rx, pos, &refused);
		if (now_s() >= next) {
			avail = tx_send(&tx, avail, 32);
			next = now_s() + 0.001;
		}
	}
	printf("HOSTILE rxloop done refused=%lu\n", (unsigned long)refused);

	/*
	 * The call fd, full and then blocking: the next interrupt would never
	 * return.  Filled while still non-blocking, so a write of the switch's
	 * between our drain and our fill makes ours fail (EAGAIN), not block.
	 */
	for (uint64_t n;;) {
		if (read(rx.call, &n, 8) < 0 && errno != EAGAIN)
			die("draining the call fd");
		if (write(rx.call, &full, 8) == 8)
			break;
		if (errno != EAGAIN)
			die("filling the call fd");
	}
	if (fcntl(rx.call, F_SETFL, fcntl(rx.call, F_GETFL) & ~O_NONBLOCK))
		die("making the call fd blocking");
	rx.avail->flags = 0; /* interrupts wanted */
	printf("HOSTILE callfd started\n");
	for (end = now_s() + atof(argv[4]), next = 0; now_s() < end;) {
		pos = rx_repost(&rx, pos, &refused);
		if (now_s() >= next) {
			avail = tx_send(&tx, avail, 32);
			next = now_s() + 0.001;
		}
	}
	printf("HOSTILE callfd done\n");
	close(a);
	close(b);
	return 0;
}
