/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mq.h - mode=mq: virtio-net multiqueue from the driver side.  The guest
 * negotiates VIRTIO_NET_F_MQ and CTRL_VQ, sets up two queue pairs and the
 * control queue, and asks for both pairs with VQ_PAIRS_SET (checking the
 * device's ack).  Then, keys (README.md):
 *
 *	role=send peer=MAC count=N   eight UDP flows of N frames each, flow f on
 *	                             transmitq (f % 2), sequence-numbered, paced;
 *	                             it waits for the receiver's hello first
 *	role=recv count=N            polls both receive queues until 8 * N frames
 *	                             came; counts per queue and checks every
 *	                             flow's order
 *
 * The result line gives the ack, what each queue carried, losses and
 * reorderings; recv passes only with every frame, in order, and frames on
 * both of its receive queues (the switch picks a guest's queue by flow).
 */
#ifndef FERRY_GUEST_MQ_H
#define FERRY_GUEST_MQ_H

#include "guest.h"

struct mq_opts {
	const char *role; /* "send" or "recv" */
	uint8_t peer[6];
	bool has_peer;
	uint64_t count; /* frames per flow */
};

void mq_opts_init(struct mq_opts *o);
/* One key=value of mode=mq: 0, -EINVAL, or -ENOENT when @key is not one of ours. */
int mq_parse_opt(struct mq_opts *o, const char *key, const char *val);
/* Runs the mode; prints one FERRY-RESULT line; returns an EXIT_* status. */
int mq_run(const struct mq_opts *o, uint64_t timeout_ms);

#endif
