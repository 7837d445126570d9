/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost_user.h - vhost-user (QEMU docs/interop/vhost-user.rst) for Ferry,
 * both ways round:
 *
 * - Backend: a vhost-user port is a virtio-net device of vhost/net.h whose
 *   queues a peer (QEMU, DPDK virtio-user, Cloud Hypervisor) sets up over a
 *   Unix socket instead of a virtio-pci guest.  The switch plugs the device
 *   in as an ordinary "vnet" port (vswitch/port_vnet.h): same virtqueue
 *   engine, same datapath.  Ferry listens (server) or connects and keeps
 *   reconnecting (client).  One event thread serves every port's socket;
 *   PMD threads never do socket I/O.
 * - Frontend: a struct virtio_dev whose ops are forwarded to an external
 *   vhost-user backend (DPDK net_vhost, OVS...), so one of Ferry's own VMs
 *   can have a NIC served elsewhere.  The VM's virtio-pci transport hands it
 *   ring addresses, its ioeventfd kick fds and irqfd call fds; the backend
 *   maps the VM's memfd and moves packets without Ferry in the way.
 *
 * Life cycle of a port, in the order the caller must keep so that the switch
 * and the socket thread never touch the device at the same time:
 *   vu_port_create -> vsw_port_add(vu_port_dev) -> vu_port_start
 *   ... vu_port_stop -> vsw_port_remove -> vu_port_destroy.
 */
#ifndef FERRY_VHOST_VHOST_USER_H
#define FERRY_VHOST_VHOST_USER_H

#include <stdbool.h>
#include <stdint.h>

struct vnet_dev;
struct virtio_dev;
struct vu_port;
struct vu_frontend;

/* Longest socket path (sun_path holds 108 bytes with the NUL). */
#define VU_PATH_MAX 107

struct vu_port_opts {
	const char *name; /* for logs; copied */
	const char *path; /* Unix socket; copied, at most VU_PATH_MAX bytes */
	bool client; /* false: listen on path; true: connect to it, reconnecting */
	uint16_t queue_pairs; /* 0 means 1 */
	bool no_tso; /* do not offer HOST_TSO4/6 and GUEST_TSO4/6 */
	bool packed; /* offer VIRTIO_F_RING_PACKED */
	uint8_t mac[6]; /* offered to the peer in the device config space */
};

/* Counters and state of a port, for the control socket and tests. */
struct vu_port_info {
	bool connected; /* a peer is attached now */
	uint64_t connects; /* peers attached since creation */
	uint64_t disconnects; /* peers that went away or were sent away */
	uint64_t bad_requests; /* requests refused (bad size, fds, index...) */
	uint64_t rings_running; /* queues the peer has running now */
};

/* A port whose socket is not open yet; NULL on bad options or no memory. */
struct vu_port *vu_port_create(const struct vu_port_opts *opts);
/* The device to plug into the switch; it lives as long as the port. */
struct vnet_dev *vu_port_dev(struct vu_port *p);
/*
 * Open the socket (server: bind and listen, replacing a stale socket file;
 * client: start connecting in the background) and serve peers from the
 * vhost-user thread, which the first started port creates.  0 or -errno.
 */
int vu_port_start(struct vu_port *p);
/*
 * Send the peer away (its queues stop through the device ops, so the switch
 * quiesces first), close the socket and remove a server's socket file.
 * Returns when the socket thread no longer touches the port.  Idempotent.
 */
void vu_port_stop(struct vu_port *p);
/* Stop the port if needed and free it with its device. NULL is fine. */
void vu_port_destroy(struct vu_port *p);
void vu_port_get_info(struct vu_port *p, struct vu_port_info *info);

struct vu_frontend_opts {
	const char *name; /* for logs; copied */
	const char *path; /* the backend's socket */
	uint8_t mac[6]; /* served from Ferry's config space, not the backend's */
	uint16_t queue_size; /* largest ring the driver may set; 0 means 256 */
	unsigned int timeout_ms; /* per reply from the backend; 0 means 5000 */
	bool server; /* listen at path and let the backend connect (QEMU's server=on) */
	unsigned int wait_ms; /* server: for the backend's first connection; 0 means 30000 */
};

/*
 * Connect to the backend (server mode: listen and wait up to wait_ms for it
 * to connect) and negotiate (SET_OWNER, features, protocol features).  NULL
 * with the reason logged when the backend is not there or does not speak
 * what we need.  Once created, a backend that goes away is
 * reconnected with back-off and its session replayed; the link is down
 * meanwhile.
 */
struct vu_frontend *vu_frontend_create(const struct vu_frontend_opts *opts);
/* The device to hand to a transport (vmm/virtio_pci.h); it sets ->mem. */
struct virtio_dev *vu_frontend_virtio_dev(struct vu_frontend *fe);
/* Sessions replayed after the backend went away and came back. */
uint64_t vu_frontend_reconnects(struct vu_frontend *fe);
/* Free it after the transport is gone. NULL is fine. */
void vu_frontend_destroy(struct vu_frontend *fe);
/*
 * Stop reconnecting and announcing: after it returns the frontend calls none
 * of the transport's callbacks (config_changed), so the transport may go
 * first; the device ops still work.  Idempotent; NULL is fine.
 */
void vu_frontend_stop(struct vu_frontend *fe);

#endif
