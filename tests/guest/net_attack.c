/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_attack.c - attack= of mode=net (net_priv.h): before its role runs, the
 * guest turns hostile.  For each attack it brings its NIC up, corrupts its
 * transmit ring the way a malicious driver would, kicks, and waits for the
 * device to set DEVICE_NEEDS_RESET (virtio 1.2, 2.1.2) - the VMM's promise
 * that a broken ring stops only that device.  Then it resets the device and
 * goes on to the next attack, and finally to its role on a fresh NIC, which
 * shows the device recovers after a reset.
 *
 * The attacks are the checks Linux vhost makes on a descriptor chain:
 *   loop      two descriptors chained to each other
 *   oob       a buffer address beyond guest RAM
 *   huge      a 4 GiB buffer length
 *   index     a chain's next index beyond the ring
 *   jump      an available index ahead by more than the ring size
 *   indirect  an indirect table (not negotiated) holding another indirect table
 */
#include "lib.h"
#include "mm.h"
#include "net_priv.h"
#include "tsc.h"
#include "uart.h"

#define ATTACK_WAIT_US 2000000 /* how long the device may take to notice */
#define VIRTQ_DESC_F_INDIRECT 4
#define FAR_ADDR (1ULL << 46) /* beyond any guest RAM a test gives */

static const char *const attack_names[] = { "loop", "oob", "huge", "index", "jump", "indirect" };

int net_parse_attack(struct net_opts *o, const char *val)
{
	int i;

	if (!strcmp(val, "all")) {
		o->attacks = (1u << ARRAY_SIZE(attack_names)) - 1;
		return 0;
	}
	i = parse_name(val, attack_names, 0, ARRAY_SIZE(attack_names));
	if (i < 0)
		return i;
	o->attacks |= 1u << i;
	return 0;
}

/* One poisoned chain in the transmit ring; false if no buffer was free. */
static bool attack_post(struct virtq *q, unsigned int which)
{
	struct virtq_desc *table;
	uint16_t a, b;

	if (!virtq_get_free(q, &a) || !virtq_get_free(q, &b))
		return false;
	virtq_post(q, a, 64);
	switch (which) {
	case 0: /* loop */
		q->desc[a].flags = VIRTQ_DESC_F_NEXT;
		q->desc[a].next = b;
		q->desc[b].flags = VIRTQ_DESC_F_NEXT;
		q->desc[b].next = a;
		q->desc[b].len = 64;
		break;
	case 1: /* oob */
		q->desc[a].addr = FAR_ADDR;
		break;
	case 2: /* huge */
		q->desc[a].len = 0xffffffffu;
		break;
	case 3: /* index */
		q->desc[a].flags = VIRTQ_DESC_F_NEXT;
		q->desc[a].next = (uint16_t)(q->size + 7);
		break;
	case 4: /* jump */
		q->avail_idx = (uint16_t)(q->avail_idx + q->size + 5);
		break;
	default: /* indirect in indirect */
		table = mm_alloc_pages(1);
		if (!table)
			return false;
		table[0] = (struct virtq_desc){ .addr = (uintptr_t)(table + 2),
						.len = 32,
						.flags = VIRTQ_DESC_F_INDIRECT };
		q->desc[a].addr = (uintptr_t)table;
		q->desc[a].len = 2 * sizeof(*table);
		q->desc[a].flags = VIRTQ_DESC_F_INDIRECT;
		break;
	}
	return true;
}

/* Attack @which on a fresh NIC; true when the device asked for a reset in time. */
static bool attack_one(struct net_ctx *c, unsigned int which)
{
	struct virtq *q = &c->nic.tx;
	uint64_t start = rdtsc(), until = tsc_deadline_us(ATTACK_WAIT_US);
	uint8_t st = 0;

	if (!attack_post(q, which))
		return false;
	virtq_publish(q);
	mmio_write16(q->notify, q->qidx); /* whether or not the device asked */
	while (!tsc_passed(until) &&
	       !((st = vpci_get_status(&c->nic.pci)) & VIRTIO_STATUS_NEEDS_RESET))
		cpu_relax();
	con_log("net: attack %s: %s after %lu us\n", attack_names[which],
		st & VIRTIO_STATUS_NEEDS_RESET ? "the device needs a reset" : "NOT detected",
		net_elapsed_us(start));
	return st & VIRTIO_STATUS_NEEDS_RESET;
}

int net_attacks(const struct net_opts *o, uint64_t timeout_ms)
{
	static struct net_ctx ctx; /* large: not on the ring-3 stack */
	unsigned int tried = 0, detected = 0;
	char missed[64] = "";
	size_t n = 0;

	for (unsigned int i = 0; i < ARRAY_SIZE(attack_names); i++) {
		if (!(o->attacks & (1u << i)))
			continue;
		if (net_ctx_open(&ctx, o, timeout_ms))
			return -ENODEV;
		tried++;
		if (attack_one(&ctx, i))
			detected++;
		else
			n += (size_t)snprintf(missed + n, sizeof(missed) - n, "%s%s", n ? "," : "",
					      attack_names[i]);
		net_ctx_close(&ctx);
	}
	con_printf(RESULT_PREFIX "mode=net attack=%u detected=%u missed=%s\n", tried, detected,
		   n ? missed : "none");
	return detected == tried ? 0 : -EIO;
}
