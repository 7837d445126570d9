/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * capture.h - packet capture on a switch port, like ovs-tcpdump: copies of
 * the frames a port receives (rx: from its guest or wire) and is given (tx),
 * kept by a pcap-filter(7) expression compiled by libpcap, written by a
 * thread of the capture's own as a pcap stream (libpcap's writer) to a file
 * descriptor, a file or the control connection ferryctl reads.
 *
 * While a port has no capture the PMDs pay one relaxed load per burst.
 * During one they copy what the filter keeps (up to the snap length) into a
 * ring; when the ring is full the copy is dropped and counted, never waited
 * for.  pcap rather than pcapng: DPDK 22.11's rte_pcapng describes ethdev
 * ports only, and a vnet port is none; every reader takes pcap.
 */
#ifndef FERRY_VSWITCH_CAPTURE_H
#define FERRY_VSWITCH_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vswitch/vswitch.h"

#define VSW_CAPTURES_PER_PORT 4

struct vsw_capture_opts {
	uint16_t port;
	bool rx, tx; /* frames the port received, frames it was given */
	const char *filter; /* pcap-filter(7) expression; NULL or "" keeps everything */
	uint32_t snaplen; /* bytes kept per frame; 0 = 65535 */
	uint64_t max_packets; /* stop after this many; 0 = when told or the reader goes */
	int fd; /* the pcap stream goes here; the capture owns it and closes it */
	const char *preamble; /* written before the stream once the capture runs (or NULL) */
};

/*
 * Start a capture: its id (>= 0), or -errno with the reason in @err
 * (-EINVAL: a filter libpcap cannot compile; -ENOENT: no such port;
 * -EBUSY: the port has VSW_CAPTURES_PER_PORT already).  It ends by itself
 * after max_packets or when the reader of @fd goes away.
 */
int vsw_capture_start(struct vsw *sw, const struct vsw_capture_opts *o, char *err, size_t errlen);
/* End it now (what is queued is still written); -ENOENT if it has ended already. */
int vsw_capture_stop(struct vsw *sw, int id);

struct vsw_capture_stats {
	uint64_t captured, dropped; /* written; copies the ring or the pool had no room for */
};
int vsw_capture_stats(struct vsw *sw, int id, struct vsw_capture_stats *st);

/* Switch teardown: end every capture. */
void vsw_capture_stop_all(struct vsw *sw);

#endif
