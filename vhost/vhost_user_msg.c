/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost_user_msg.c - vhost-user message framing on a Unix stream socket
 * (vhost_user_priv.h), used by the backend's event thread and by the
 * frontend.
 *
 * Security model: the peer is hostile.  A message is read into a fixed
 * buffer in pieces, as the socket delivers it, so a peer that stalls halfway
 * cannot block the event thread that serves every other port; a header that
 * announces more payload than any request has, or more fds than a message
 * may carry, ends the connection (the stream could not be resynchronised).
 * Every fd received is either handed to a handler or closed.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/usock.h"
#include "vhost/vhost_user_priv.h"

#define VU_HDR_SIZE ((uint32_t)sizeof(struct vu_hdr))

void vu_rx_init(struct vu_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
	for (unsigned int i = 0; i < VU_MAX_FDS; i++)
		rx->fds[i] = -1;
}

void vu_rx_close_fds(struct vu_rx *rx)
{
	for (unsigned int i = 0; i < rx->nfds; i++)
		if (rx->fds[i] >= 0)
			close(rx->fds[i]);
	for (unsigned int i = 0; i < VU_MAX_FDS; i++)
		rx->fds[i] = -1;
	rx->nfds = 0;
}

void vu_rx_done(struct vu_rx *rx)
{
	vu_rx_close_fds(rx);
	vu_rx_init(rx);
}

int vu_rx_take_fd(struct vu_rx *rx, unsigned int i)
{
	int fd;

	if (i >= rx->nfds)
		return -1;
	fd = rx->fds[i];
	rx->fds[i] = -1;
	return fd;
}

/* Keep the fds of one recvmsg(); -EPROTO (the extra ones closed) past VU_MAX_FDS. */
static int rx_collect_fds(struct vu_rx *rx, struct msghdr *mh)
{
	int ret = (mh->msg_flags & MSG_CTRUNC) ? -EPROTO : 0;
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t n, i;
		int fd;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (rx->nfds < VU_MAX_FDS) {
				rx->fds[rx->nfds++] = fd;
			} else {
				close(fd);
				ret = -EPROTO;
			}
		}
	}
	return ret;
}

/* Where the next bytes go and how many are still missing. */
static uint32_t rx_want(struct vu_rx *rx, void **dst)
{
	if (rx->got < VU_HDR_SIZE) {
		*dst = (uint8_t *)&rx->hdr + rx->got;
		return VU_HDR_SIZE - rx->got;
	}
	*dst = (uint8_t *)&rx->p + (rx->got - VU_HDR_SIZE);
	return VU_HDR_SIZE + rx->hdr.size - rx->got;
}

static bool rx_complete(const struct vu_rx *rx)
{
	return rx->got >= VU_HDR_SIZE && rx->got == VU_HDR_SIZE + rx->hdr.size;
}

int vu_rx_step(int fd, struct vu_rx *rx)
{
	char cbuf[CMSG_SPACE(sizeof(int) * VU_MAX_FDS)];

	while (!rx_complete(rx)) {
		struct iovec iov;
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;
		int ret;

		iov.iov_len = rx_want(rx, &iov.iov_base);
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		ret = rx_collect_fds(rx, &mh);
		if (ret)
			return ret;
		if (n == 0)
			return -ECONNRESET;
		rx->got += (uint32_t)n;
		if (rx->got == VU_HDR_SIZE && rx->hdr.size > VU_MAX_PAYLOAD)
			return -EPROTO;
	}
	return 1;
}

int vu_rx_wait(int fd, struct vu_rx *rx, unsigned int timeout_ms)
{
	uint64_t end = vu_now_ns() + (uint64_t)timeout_ms * 1000000ull;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now;
		int ret = vu_rx_step(fd, rx);

		if (ret)
			return ret < 0 ? ret : 0;
		now = vu_now_ns();
		if (now >= end)
			return -ETIMEDOUT;
		ret = poll(&pfd, 1, (int)((end - now) / 1000000ull) + 1);
		if (ret < 0 && errno != EINTR)
			return -errno;
	}
}

/* Wait up to @wait_ms until @fd can take more bytes; 0, -ETIMEDOUT or -EAGAIN (no wait). */
static int send_wait(int fd, unsigned int wait_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	int ret;

	if (!wait_ms)
		return -EAGAIN;
	ret = poll(&pfd, 1, (int)wait_ms);
	if (ret < 0)
		return errno == EINTR ? 0 : -errno;
	return ret == 0 ? -ETIMEDOUT : 0;
}

int vu_send(int fd, const struct vu_hdr *hdr, const void *payload, const int *fds,
	    unsigned int nfds, unsigned int wait_ms)
{
	char cbuf[CMSG_SPACE(sizeof(int) * VU_MAX_FDS)] = { 0 };
	uint8_t buf[sizeof(struct vu_hdr) + VU_MAX_PAYLOAD];
	size_t len = VU_HDR_SIZE + hdr->size, off = 0;

	if (hdr->size > VU_MAX_PAYLOAD || nfds > VU_MAX_FDS)
		return -EINVAL;
	memcpy(buf, hdr, VU_HDR_SIZE);
	if (hdr->size)
		memcpy(buf + VU_HDR_SIZE, payload, hdr->size);
	while (off < len) {
		struct iovec iov = { .iov_base = buf + off, .iov_len = len - off };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;
		int ret;

		if (off == 0 && nfds) { /* the fds travel with the first byte */
			struct cmsghdr *c;

			mh.msg_control = cbuf;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
			memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
		}
		n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return -errno;
		if (n < 0) {
			ret = send_wait(fd, wait_ms);
			if (ret)
				return ret;
			continue;
		}
		off += (size_t)n;
	}
	return 0;
}

/* ---- sockets ---- */

int vu_sockaddr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

/*
 * Mode 0600 from the start (util/usock.h): a peer on this socket maps the
 * memory of a guest or of the switch, so only its owner may connect.
 */
int vu_listen_socket(const char *path)
{
	return usock_listen(path, VU_SOCKET_MODE, 4, SOCK_NONBLOCK);
}
