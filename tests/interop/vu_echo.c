/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vu_echo.c - the Linux side of interop_qemu_linux_vhost_user: a tiny static
 * program in the QEMU guest's initramfs (mkinitramfs.sh) that serves Ferry's
 * test-guest frames (tests/guest/README.md, "Frames") over an AF_PACKET
 * socket, so Linux's own virtio_net driver carries them.  It answers what a
 * mode=net server would: a probe with a probe reply, a request with a reply
 * (MACs swapped, kind changed, everything else echoed unchanged, so the Ferry
 * guest client checks every byte that went through Linux and back).
 *
 *   vu-echo IFACE COUNT SECONDS
 *
 * It stops after COUNT requests were echoed (and a short linger for strays)
 * or after SECONDS, and prints one line the test parses:
 *   VU-ECHO echoed=N probes=P foreign=F rx=R mac=M
 * Exit status 0 when COUNT requests were echoed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ETHERTYPE_FERRY 0x88b5
#define KIND_REQUEST 1
#define KIND_REPLY 2
#define KIND_PROBE 4
#define KIND_PROBE_REPLY 5
#define LINGER_MS 300

struct echo {
	int fd;
	int ifindex;
	unsigned char mac[6];
	unsigned long echoed, probes, foreign, rx;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int echo_open(struct echo *e, const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct ifreq ifr;

	e->fd = socket(AF_PACKET, SOCK_RAW, htons(ETHERTYPE_FERRY));
	if (e->fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(e->fd, SIOCGIFINDEX, &ifr))
		return -errno;
	e->ifindex = ifr.ifr_ifindex;
	if (ioctl(e->fd, SIOCGIFHWADDR, &ifr))
		return -errno;
	memcpy(e->mac, ifr.ifr_hwaddr.sa_data, 6);
	sll.sll_protocol = htons(ETHERTYPE_FERRY);
	sll.sll_ifindex = e->ifindex;
	return bind(e->fd, (struct sockaddr *)&sll, sizeof(sll)) ? -errno : 0;
}

/* Turn a frame of ours addressed to us into its answer; false if it needs none. */
static bool echo_turn(struct echo *e, unsigned char *f, ssize_t len)
{
	unsigned char tmp[6];

	if (len < 20 || memcmp(f + 14, "FRRY", 4) || memcmp(f, e->mac, 6)) {
		e->foreign++;
		return false;
	}
	if (f[18] == KIND_PROBE) {
		f[18] = KIND_PROBE_REPLY;
		e->probes++;
	} else if (f[18] == KIND_REQUEST) {
		f[18] = KIND_REPLY;
		e->echoed++;
	} else {
		return false;
	}
	memcpy(tmp, f, 6);
	memcpy(f, f + 6, 6);
	memcpy(f + 6, tmp, 6);
	return true;
}

/* Answer what has arrived, up to a burst. */
static void echo_burst(struct echo *e)
{
	unsigned char f[2048];

	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(e->fd, f, sizeof(f), MSG_DONTWAIT);

		if (n <= 0)
			return;
		e->rx++;
		if (echo_turn(e, f, n) && send(e->fd, f, (size_t)n, 0) != n)
			perror("vu-echo: send");
	}
}

int main(int argc, char **argv)
{
	struct echo e = { .fd = -1 };
	unsigned long count;
	double end, done_at = 0;
	int ret;

	if (argc != 4) {
		fprintf(stderr, "usage: vu-echo IFACE COUNT SECONDS\n");
		return 2;
	}
	count = strtoul(argv[2], NULL, 0);
	end = now_s() + strtod(argv[3], NULL);
	ret = echo_open(&e, argv[1]);
	if (ret) {
		fprintf(stderr, "vu-echo: %s: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	while (now_s() < end && (!done_at || now_s() < done_at)) {
		struct pollfd pfd = { .fd = e.fd, .events = POLLIN };

		if (poll(&pfd, 1, 50) > 0)
			echo_burst(&e);
		if (!done_at && e.echoed >= count)
			done_at = now_s() + LINGER_MS / 1000.0;
	}
	printf("VU-ECHO echoed=%lu probes=%lu foreign=%lu rx=%lu "
	       "mac=%02x:%02x:%02x:%02x:%02x:%02x\n",
	       e.echoed, e.probes, e.foreign, e.rx, e.mac[0], e.mac[1], e.mac[2], e.mac[3],
	       e.mac[4], e.mac[5]);
	fflush(stdout);
	return e.echoed >= count ? 0 : 1;
}
