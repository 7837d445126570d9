/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost_user_proto.h - the vhost-user wire format (QEMU docs/interop/
 * vhost-user.rst, "Message specification"): the message header, the
 * payloads, the feature bits and ONE X-macro list of the requests Ferry
 * knows.  The list generates the request enum, the names for logs and the
 * backend's dispatch table (vhost_user_backend.c), so a request is added in
 * one place.  The frontend (vhost_user_frontend.c), the socket layer
 * (vhost_user_socket.c) and the unit tests use the same definitions.
 *
 * All fields are little-endian on the wire; Ferry runs on little-endian hosts
 * only (vhost/virtq.h refuses to build elsewhere), so structs are sent as is.
 */
#ifndef FERRY_VHOST_VHOST_USER_PROTO_H
#define FERRY_VHOST_VHOST_USER_PROTO_H

#include <stdint.h>

#include "util/compiler.h"

/* Header flags ("Header" in the spec). */
#define VU_FLAG_VERSION 0x1u /* the only protocol version */
#define VU_FLAG_VERSION_MASK 0x3u
#define VU_FLAG_REPLY 0x4u /* set on every reply */
#define VU_FLAG_NEED_REPLY 0x8u /* REPLY_ACK asked for */

/* Virtio feature bit 30: the backend speaks GET/SET_PROTOCOL_FEATURES. */
#define VHOST_USER_F_PROTOCOL_FEATURES 30
/* Virtio feature bit 26 (VHOST_F_LOG_ALL): dirty logging, never offered (no migration). */
#define VHOST_F_LOG_ALL 26

/* Protocol feature bits ("Protocol features" in the spec). */
#define VHOST_USER_PROTOCOL_F_MQ 0
#define VHOST_USER_PROTOCOL_F_LOG_SHMFD 1
#define VHOST_USER_PROTOCOL_F_RARP 2
#define VHOST_USER_PROTOCOL_F_REPLY_ACK 3
#define VHOST_USER_PROTOCOL_F_CONFIG 9

/* Most fds one message carries: SET_MEM_TABLE's VHOST_MEMORY_BASELINE_NREGIONS. */
#define VU_MAX_FDS 8
#define VU_MAX_REGIONS 8
/* Largest device config space GET_CONFIG moves (VHOST_USER_MAX_CONFIG_SIZE). */
#define VU_MAX_CONFIG 256

/* SET_VRING_KICK/CALL/ERR payload: the ring index and "no fd attached". */
#define VU_VRING_IDX_MASK 0xffu
#define VU_VRING_NOFD (1u << 8)

struct vu_hdr {
	uint32_t request; /* enum vu_request */
	uint32_t flags; /* VU_FLAG_* */
	uint32_t size; /* payload bytes that follow */
} FERRY_PACKED;

/* "A vring state description" */
struct vu_vring_state {
	uint32_t index;
	uint32_t num;
} FERRY_PACKED;

/* "A vring address description": frontend virtual addresses; note used before avail. */
struct vu_vring_addr {
	uint32_t index;
	uint32_t flags; /* bit 0: log used ring writes (needs LOG_ALL; ignored) */
	uint64_t desc_uaddr;
	uint64_t used_uaddr;
	uint64_t avail_uaddr;
	uint64_t log_gaddr;
} FERRY_PACKED;

/* "Memory region description" */
struct vu_mem_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t uaddr; /* the frontend's virtual address of gpa */
	uint64_t mmap_offset; /* where gpa starts in the region's fd */
} FERRY_PACKED;

/* "Multiple Memory regions description": one fd per region travels with it. */
struct vu_mem_table {
	uint32_t nregions;
	uint32_t padding;
	struct vu_mem_region regions[VU_MAX_REGIONS];
} FERRY_PACKED;

#define VU_MEM_TABLE_HDR 8u

/* "Virtio device config space" (GET_CONFIG / SET_CONFIG). */
struct vu_config {
	uint32_t offset;
	uint32_t size;
	uint32_t flags;
	uint8_t region[VU_MAX_CONFIG];
} FERRY_PACKED;

#define VU_CONFIG_HDR 12u

union vu_payload {
	uint64_t u64;
	struct vu_vring_state state;
	struct vu_vring_addr addr;
	struct vu_mem_table mem;
	struct vu_config config;
};

#define VU_MAX_PAYLOAD ((uint32_t)sizeof(union vu_payload))

/* A whole message as it travels, plus the fds that came with it. */
struct vu_msg {
	struct vu_hdr hdr;
	union vu_payload p;
	int fds[VU_MAX_FDS]; /* received or to send; -1 when unused */
	unsigned int nfds;
} FERRY_PACKED;

/* How many fds a request may carry; the dispatcher enforces it. */
enum vu_fd_rule {
	VU_FD_NONE, /* none: any fd that comes is closed and the message refused */
	VU_FD_VRING, /* one, unless the payload has VU_VRING_NOFD (SET_VRING_KICK/CALL/ERR) */
	VU_FD_REGIONS, /* one per memory region (SET_MEM_TABLE) */
	VU_FD_ANY, /* refused requests that may carry one (SET_LOG_BASE/FD): closed */
};

/* Payload sizes the requests take. */
#define VU_SZ_NONE 0, 0
#define VU_SZ_U64 8, 8
#define VU_SZ_STATE 8, 8
#define VU_SZ_ADDR 40, 40
#define VU_SZ_MEM VU_MEM_TABLE_HDR + 32, (uint32_t)sizeof(struct vu_mem_table)
#define VU_SZ_LOG 0, 16
#define VU_SZ_CONFIG VU_CONFIG_HDR, (uint32_t)sizeof(struct vu_config)

/*
 * Every request Ferry handles: X(number, name, backend handler, fd rule,
 * replies, payload min and max).  "replies" means the request has a reply of
 * its own; the others are acknowledged only with REPLY_ACK.  Requests not
 * listed are refused (closing their fds) without a disconnect.
 */
#define VU_REQUESTS(X)                                                                 \
	X(1, GET_FEATURES, vu_h_get_features, VU_FD_NONE, true, VU_SZ_NONE)            \
	X(2, SET_FEATURES, vu_h_set_features, VU_FD_NONE, false, VU_SZ_U64)            \
	X(3, SET_OWNER, vu_h_set_owner, VU_FD_NONE, false, VU_SZ_NONE)                 \
	X(4, RESET_OWNER, vu_h_reset_owner, VU_FD_NONE, false, VU_SZ_NONE)             \
	X(5, SET_MEM_TABLE, vu_h_set_mem_table, VU_FD_REGIONS, false, VU_SZ_MEM)       \
	X(6, SET_LOG_BASE, vu_h_refuse_log, VU_FD_ANY, false, VU_SZ_LOG)               \
	X(7, SET_LOG_FD, vu_h_refuse_log, VU_FD_ANY, false, VU_SZ_LOG)                 \
	X(8, SET_VRING_NUM, vu_h_set_vring_num, VU_FD_NONE, false, VU_SZ_STATE)        \
	X(9, SET_VRING_ADDR, vu_h_set_vring_addr, VU_FD_NONE, false, VU_SZ_ADDR)       \
	X(10, SET_VRING_BASE, vu_h_set_vring_base, VU_FD_NONE, false, VU_SZ_STATE)     \
	X(11, GET_VRING_BASE, vu_h_get_vring_base, VU_FD_NONE, true, VU_SZ_STATE)      \
	X(12, SET_VRING_KICK, vu_h_set_vring_kick, VU_FD_VRING, false, VU_SZ_U64)      \
	X(13, SET_VRING_CALL, vu_h_set_vring_call, VU_FD_VRING, false, VU_SZ_U64)      \
	X(14, SET_VRING_ERR, vu_h_set_vring_err, VU_FD_VRING, false, VU_SZ_U64)        \
	X(15, GET_PROTOCOL_FEATURES, vu_h_get_proto, VU_FD_NONE, true, VU_SZ_NONE)     \
	X(16, SET_PROTOCOL_FEATURES, vu_h_set_proto, VU_FD_NONE, false, VU_SZ_U64)     \
	X(17, GET_QUEUE_NUM, vu_h_get_queue_num, VU_FD_NONE, true, VU_SZ_NONE)         \
	X(18, SET_VRING_ENABLE, vu_h_set_vring_enable, VU_FD_NONE, false, VU_SZ_STATE) \
	X(19, SEND_RARP, vu_h_send_rarp, VU_FD_NONE, false, VU_SZ_U64)                 \
	X(24, GET_CONFIG, vu_h_get_config, VU_FD_NONE, true, VU_SZ_CONFIG)

enum vu_request {
	VU_REQ_NONE = 0,
#define VU_ENUM(num, name, fn, fds, reply, ...) VU_REQ_##name = num,
	VU_REQUESTS(VU_ENUM)
#undef VU_ENUM
		VU_REQ_MAX, /* one above the highest request listed */
};

/* "GET_FEATURES", or NULL for a request that is not listed. */
const char *vu_request_name(uint32_t req);

#endif
