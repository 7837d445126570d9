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
 *
 * attack=rxloop is of another kind: it breaks no rule, so the device must
 * not ask for a reset, only refuse.  For attack_ms every receive buffer is
 * device-readable, which a receive chain may not be (virtio 1.2, 5.1.6.3.1),
 * and the available ring is kept full: the guest watches the used ring's
 * entries, which a device writes at once (only the index waits for the end
 * of its burst), and reposts each refused chain the moment it comes back.
 * A device that takes chains until the ring runs dry never gets there, and
 * the thread serving it, with every other tenant on that thread, stalls
 * for as long as the guest keeps this up.  A probe to the peer every
 * RXLOOP_PROBE_US keeps frames coming for the device to deliver.
 *
 * Whether the guest wins that race depends on who gets a CPU, so first it
 * measures what does not: with a full ring of refused chains, it sends one
 * probe at a time and counts the chains the device takes for the one answer
 * (the step of the used index).  A device that charges refused chains to a
 * budget takes a few; one that walks until the ring is dry takes them all.
 * The result line reports the largest count as per_frame.
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

	if (!strcmp(val, "rxloop")) {
		o->rxloop = true;
		return 0;
	}
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

#define RXLOOP_MARK 0xffffffffu /* a used-ring id no device writes: "not returned yet" */
#define RXLOOP_PROBE_US 100
#define RXLOOP_SAMPLES 20 /* one-frame measurements before the loop */
#define RXLOOP_SAMPLE_US 200000 /* how long one answer may take to come */

/* Every receive buffer device-readable; every used entry marked unreturned. */
static void rxloop_refuse_all(struct virtq *q)
{
	for (uint16_t i = 0; i < q->size; i++) {
		q->desc[i].flags &= (uint16_t)~VIRTQ_DESC_F_WRITE;
		q->used->ring[i].id = RXLOOP_MARK;
	}
}

/* A probe to the peer, whose answer the device must then try to deliver. */
static void rxloop_probe(struct net_ctx *c, uint32_t seq)
{
	uint16_t id;
	uint8_t *b;

	vnet_tx_reclaim(&c->nic);
	b = vnet_tx_get(&c->nic, &id);
	if (!b)
		return;
	frame_build(b, FRAME_MIN_SIZE, c->o->peer, c->nic.mac, &c->o->tag, FRAME_PROBE, seq);
	vnet_tx_put(&c->nic, id, FRAME_MIN_SIZE);
	vnet_tx_flush(&c->nic);
}

/*
 * Repost every chain the device returned since used position @pos, keeping
 * the available index a full ring ahead of what the device has taken (never
 * more: that would break the queue, 2.7.13); returns the new position.
 */
static uint16_t rxloop_repost(struct virtq *q, uint16_t pos, uint64_t *refused)
{
	volatile struct virtq_used_elem *e = &q->used->ring[pos & q->mask];

	while (e->id != RXLOOP_MARK) {
		q->avail->ring[pos & q->mask] =
			(uint16_t)e->id; /* the slot of avail index pos + size */
		e->id = RXLOOP_MARK;
		pos++;
		(*refused)++;
		e = &q->used->ring[pos & q->mask];
	}
	__atomic_store_n(&q->avail->idx, (uint16_t)(pos + q->size), __ATOMIC_RELEASE);
	return pos;
}

/* What one rxloop run found: the result line's fields. */
struct rxloop_result {
	uint64_t refused; /* chains the device returned unused */
	uint16_t per_frame; /* most chains the device took for one answer */
	bool reset; /* the device asked for a reset (it must not: no rule was broken) */
};

/*
 * One probe at a time, with a full ring of refused chains: how many chains
 * the device takes for its answer, the largest of RXLOOP_SAMPLES.
 */
static uint16_t rxloop_measure(struct net_ctx *c, uint16_t *pos, struct rxloop_result *r)
{
	struct virtq *q = &c->nic.rx;
	uint16_t before, step, most = 0;
	uint64_t until;

	for (uint32_t k = 0; k < RXLOOP_SAMPLES; k++) {
		before = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
		rxloop_probe(c, k);
		until = tsc_deadline_us(RXLOOP_SAMPLE_US);
		while (__atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) == before &&
		       !tsc_passed(until))
			cpu_relax();
		step = (uint16_t)(__atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) - before);
		most = step > most ? step : most;
		*pos = rxloop_repost(q, *pos, &r->refused);
	}
	return most;
}

/* attack=rxloop on an open NIC whose peer answers. */
static void attack_rxloop(struct net_ctx *c, uint64_t ms, struct rxloop_result *r)
{
	struct virtq *q = &c->nic.rx;
	uint64_t until, next = 0;
	uint16_t pos;
	uint32_t seq = 0;

	/* Idle ring: the device has returned all it took, and the guest reposted them. */
	pos = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
	rxloop_refuse_all(q);
	for (uint16_t i = 0; i < q->size; i++)
		q->avail->ring[(uint16_t)(pos + i) & q->mask] = i;
	__atomic_store_n(&q->avail->idx, (uint16_t)(pos + q->size), __ATOMIC_RELEASE);
	r->per_frame = rxloop_measure(c, &pos, r);
	until = tsc_deadline_us(ms * 1000);
	while (!tsc_passed(until) && !r->reset) {
		pos = rxloop_repost(q, pos, &r->refused);
		if (tsc_passed(next)) {
			rxloop_probe(c, seq++);
			next = tsc_deadline_us(RXLOOP_PROBE_US);
			r->reset = vpci_get_status(&c->nic.pci) & VIRTIO_STATUS_NEEDS_RESET;
		}
	}
}

static void rxloop_ignore(struct net_ctx *c, const struct vnet_frame *f,
			  const struct frame_info *fi)
{
	(void)c;
	(void)f;
	(void)fi;
}

/* attack=rxloop on a fresh NIC; 0 when the device refused and did not break. */
static int net_rxloop(const struct net_opts *o, uint64_t timeout_ms)
{
	static struct net_ctx ctx; /* large: not on the ring-3 stack */
	struct rxloop_result r = { 0 };
	uint64_t start;

	if (net_ctx_open(&ctx, o, timeout_ms))
		return -ENODEV;
	if (net_probe_peer(&ctx, rxloop_ignore)) {
		con_log("net: attack rxloop: the peer never answered\n");
		net_ctx_close(&ctx);
		return -ETIMEDOUT;
	}
	con_log("net: attack rxloop: refusing every receive chain for %lu ms\n", o->attack_ms);
	start = rdtsc();
	attack_rxloop(&ctx, o->attack_ms, &r);
	con_printf(RESULT_PREFIX "mode=net attack=rxloop ms=%lu refused=%lu per_frame=%u "
				 "ring=%u needs_reset=%d\n",
		   net_elapsed_us(start) / 1000, r.refused, r.per_frame, ctx.nic.rx.size, r.reset);
	net_ctx_close(&ctx);
	return r.reset || !r.refused ? -EIO : 0;
}

/* The six ring-breaking attacks of o->attacks, each on a fresh NIC. */
static int net_ring_attacks(const struct net_opts *o, uint64_t timeout_ms)
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

int net_attacks(const struct net_opts *o, uint64_t timeout_ms)
{
	int ret = o->attacks ? net_ring_attacks(o, timeout_ms) : 0;

	if (!ret && o->rxloop)
		ret = net_rxloop(o, timeout_ms);
	return ret;
}
