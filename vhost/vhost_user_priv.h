/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost_user_priv.h - internals shared by the vhost-user files, not for use
 * outside vhost/:
 *
 *   vhost_user_loop.c     the one event thread (epoll, timers, calls from other threads)
 *   vhost_user_msg.c      message framing on a socket: receive with fds, send
 *   vhost_user_port.c     ports: server/client sockets, reconnect, connection life cycle
 *   vhost_user_backend.c  the request table's dispatcher and handlers, ring and memory state
 *   vhost_user_frontend.c Ferry as the frontend of an external backend
 *
 * Threads: everything a port owns is touched by the loop thread only, once
 * the port is started; vu_loop_call() runs work there from other threads.
 */
#ifndef FERRY_VHOST_VHOST_USER_PRIV_H
#define FERRY_VHOST_VHOST_USER_PRIV_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vhost/vhost_user.h"
#include "vhost/vhost_user_proto.h"

struct vhost_mem;
struct virtio_dev;

/* ---- the event loop (vhost_user_loop.c) ---- */

/* An fd the loop watches; the callback runs on the loop thread. */
struct vu_watch {
	int fd;
	void (*on_event)(struct vu_watch *w, uint32_t events);
};

/* A user of the loop: an optional timer and a hook run on every wake-up. */
struct vu_client {
	struct vu_client *next; /* the loop's list */
	uint64_t deadline_ns; /* CLOCK_MONOTONIC; 0: timer not armed */
	void (*on_timer)(struct vu_client *c);
	void (*on_wake)(struct vu_client *c); /* after vu_loop_wake(); may be NULL */
};

/* Take a reference on the loop, starting its thread on the first one. */
int vu_loop_get(void);
/* Drop it; the last one stops and joins the thread. Not from the loop thread. */
void vu_loop_put(void);
/* Run @fn(@arg) on the loop thread and wait for it (runs inline on the loop thread). */
void vu_loop_call(void (*fn)(void *arg), void *arg);
/* Any thread, even a PMD: run every client's on_wake soon.  Never blocks. */
void vu_loop_wake(void);
/* Loop thread only. */
int vu_loop_watch(struct vu_watch *w, uint32_t events);
void vu_loop_unwatch(struct vu_watch *w);
void vu_loop_add_client(struct vu_client *c);
void vu_loop_del_client(struct vu_client *c);
void vu_loop_arm(struct vu_client *c, unsigned int delay_ms);
uint64_t vu_now_ns(void);

/* ---- message framing (vhost_user_msg.c) ---- */

/* A message being received: filled piecewise from a non-blocking socket. */
struct vu_rx {
	struct vu_hdr hdr;
	union vu_payload p;
	uint32_t got; /* bytes of header + payload read so far */
	int fds[VU_MAX_FDS]; /* fds that came with it; -1 once taken or closed */
	unsigned int nfds;
};

void vu_rx_init(struct vu_rx *rx);
/*
 * Read from @fd what is there.  1: a whole message is in @rx; 0: more is
 * needed (EAGAIN); -ECONNRESET at end of file; -EPROTO for a header no
 * valid peer sends (payload too large, fds cut off); other -errno.
 */
int vu_rx_step(int fd, struct vu_rx *rx);
/* Close the fds nobody took and make room for the next message. */
void vu_rx_done(struct vu_rx *rx);
/* Close the fds nobody took, keeping the message. */
void vu_rx_close_fds(struct vu_rx *rx);
/* Take fd @i out of the message (the caller owns it); -1 if absent. */
int vu_rx_take_fd(struct vu_rx *rx, unsigned int i);
/* Blocking receive of one message with a timeout; 0, -ETIMEDOUT or an error of vu_rx_step. */
int vu_rx_wait(int fd, struct vu_rx *rx, unsigned int timeout_ms);
struct sockaddr_un;
/* @path as a Unix socket address; -ENAMETOOLONG if it does not fit. */
int vu_sockaddr(const char *path, struct sockaddr_un *sa);
/*
 * A non-blocking listening socket at @path: a stale socket file is
 * replaced, one someone still listens on is refused (-EADDRINUSE), any
 * other file too (-EEXIST).  The fd or -errno.
 */
int vu_listen_socket(const char *path);
#define VU_SOCKET_MODE 0600 /* vhost-user sockets we listen on */
/*
 * Send one message with @nfds fds; 0 or -errno (never SIGPIPE).  When the
 * peer's socket buffer is full, wait at most @wait_ms for room (0: not at
 * all), then fail with -ETIMEDOUT (-EAGAIN without waiting).
 */
int vu_send(int fd, const struct vu_hdr *hdr, const void *payload, const int *fds,
	    unsigned int nfds, unsigned int wait_ms);

/* ---- backend protocol state (vhost_user_backend.c) ---- */

/* One ring as the peer describes it; applied to the device when complete. */
struct vu_ring {
	uint32_t num; /* SET_VRING_NUM, 0: not set */
	bool addr_set; /* SET_VRING_ADDR seen */
	uint64_t desc, avail, used; /* frontend virtual addresses */
	uint16_t base; /* SET_VRING_BASE, or where the ring stopped */
	/*
	 * Packed rings: the used position (with its wrap bit) QEMU sends in
	 * SET_VRING_BASE's upper 16 bits; valid while used_base_set.
	 */
	uint16_t used_base;
	bool used_base_set;
	bool kicked; /* SET_VRING_KICK seen since the last GET_VRING_BASE */
	bool enabled; /* SET_VRING_ENABLE (implied without PROTOCOL_FEATURES) */
	bool running; /* the device serves it (queue_start succeeded) */
	int kick_fd, call_fd, err_fd; /* ours, -1 when none */
};

/* The protocol state of one connection; reset when the peer goes. */
struct vu_backend {
	struct virtio_dev *dev; /* the device the peer drives */
	const char *name; /* for logs: the port's name */
	uint16_t nrings; /* the device's queues */
	uint16_t queue_pairs; /* GET_QUEUE_NUM */
	uint64_t features; /* SET_FEATURES, including VHOST_USER_F_PROTOCOL_FEATURES */
	uint64_t proto; /* SET_PROTOCOL_FEATURES */
	bool owner; /* SET_OWNER seen */
	struct vhost_mem *mem; /* the peer's memory, mapped; NULL before SET_MEM_TABLE */
	struct vu_ring *rings; /* nrings entries */
	_Atomic uint64_t bad_requests; /* requests refused, for vu_port_info */
};

int vu_backend_init(struct vu_backend *b, struct virtio_dev *dev, const char *name);
void vu_backend_fini(struct vu_backend *b);
/* Back to the state of a fresh connection: rings stopped, memory unmapped, fds closed. */
void vu_backend_reset(struct vu_backend *b);
/*
 * Handle the message in @rx (and close the fds no handler kept), sending a
 * reply or ack on @fd when one is due.  0, or -errno when the connection
 * must close: the peer waits for a reply it cannot get, or sent a header no
 * valid peer sends.
 */
int vu_backend_dispatch(struct vu_backend *b, int fd, struct vu_rx *rx);
unsigned int vu_backend_rings_running(const struct vu_backend *b);
/* True when the peer shrank the file behind its memory while we had it mapped. */
bool vu_backend_mem_faulted(const struct vu_backend *b);

#endif
