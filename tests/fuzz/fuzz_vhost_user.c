/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_vhost_user.c - libFuzzer harness for the vhost-user backend: message
 * framing (vu_rx_step), the request table's checks and every handler
 * (vu_backend_dispatch), with file descriptors, as a hostile frontend sends
 * them to one of Ferry's ports.  When the script has set rings up, the
 * device's datapath runs over them too.
 *
 * Input: records of
 *   fds (1 byte), len (2 bytes, little-endian), len bytes
 * The bytes go down a socket pair as one send; bits of "fds" attach, with
 * the first byte, a memfd of FUZZ_MEM bytes (bit 0, twice with bit 1) and an
 * eventfd (bit 2).  The backend then reads whatever whole messages arrived
 * and dispatches them; bit 7 runs a transmit and a receive burst.  Replies
 * are read and dropped.  Each run is a fresh connection: the backend is reset.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_mbuf.h>

#include "fake_guest.h"
#include "vhost/net.h"
#include "vhost/vhost_user_priv.h"

#define FUZZ_MEM (1u << 20)

static struct rte_mempool *pool;
static struct vnet_dev *dev;
static struct vu_backend be;
static int memfd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct vnet_params p = {
		.name = "fuzz",
		.mac = { 2, 0, 0, 0, 0, 1 },
		.max_queue_size = VIRTQ_MAX_SIZE,
		/* Everything, packed rings included: SET_FEATURES picks the layout. */
		.features = VNET_FEATURES_SUPPORTED
	};

	(void)argc;
	(void)argv;
	pool = fg_dpdk_init("fuzz_vhost_user", 4096, 0);
	dev = pool ? vnet_create(&p) : NULL;
	memfd = memfd_create("fuzz-vu", MFD_CLOEXEC);
	if (!dev || memfd < 0 || ftruncate(memfd, FUZZ_MEM) ||
	    vu_backend_init(&be, vnet_virtio_dev(dev), "fuzz"))
		abort(); /* the harness itself cannot run */
	return 0;
}

/* Send @len bytes with the fds @flags asks for; false when the socket is full. */
static bool peer_send(int sock, uint8_t flags, const uint8_t *buf, size_t len)
{
	char cbuf[CMSG_SPACE(3 * sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fds[3], n = 0, ev = -1;
	struct cmsghdr *c;
	bool ok;

	if (flags & 1)
		fds[n++] = memfd;
	if (flags & 2)
		fds[n++] = memfd;
	if (flags & 4) {
		ev = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (ev >= 0)
			fds[n++] = ev;
	}
	if (n) {
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
	}
	ok = sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0;
	if (ev >= 0)
		close(ev); /* the backend has its own now, or none */
	return ok;
}

/* Every whole message that arrived, dispatched; false once the backend hangs up. */
static bool backend_serve(int sock, struct vu_rx *rx)
{
	int ret;

	while ((ret = vu_rx_step(sock, rx)) == 1) {
		if (vu_backend_dispatch(&be, sock, rx))
			return false;
		vu_rx_init(rx);
	}
	return ret == 0;
}

static void datapath(void)
{
	struct rte_mbuf *m[8];
	uint16_t n = vnet_dequeue_burst(dev, 0, pool, m, 8);

	if (n)
		vnet_enqueue_burst(dev, 0, m, n);
	rte_pktmbuf_free_bulk(m, n);
}

static void drain(int sock)
{
	char buf[4096];

	while (recv(sock, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2];
	struct vu_rx rx;
	bool up = true;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv))
		return 0;
	vu_rx_init(&rx);
	for (size_t i = 0; up && i + 3 <= size;) {
		uint8_t flags = data[i];
		size_t len = (size_t)data[i + 1] | (size_t)data[i + 2] << 8;

		i += 3;
		len = len > size - i ? size - i : len;
		if (len && !peer_send(sv[0], flags, data + i, len))
			break;
		up = backend_serve(sv[1], &rx);
		if (up && (flags & 0x80))
			datapath();
		drain(sv[0]);
		i += len;
	}
	vu_rx_done(&rx);
	vu_backend_reset(&be);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
