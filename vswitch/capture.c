/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * capture.c - packet capture on switch ports (capture.h).
 *
 * A port holds up to VSW_CAPTURES_PER_PORT capture pointers, published with
 * release stores and read by the PMDs on every burst they receive from the
 * port or give to it; n_cap lets a PMD skip the slots with one load.  A
 * capture is taken off its port under ctl_lock and freed only after a grace
 * period, so a PMD never copies into a capture that is going.
 *
 * The filter runs in the PMD (libpcap's bpf_filter, a pure interpreter), so
 * only kept frames are copied.  The writer thread turns copies into pcap
 * records; when idle it polls the descriptor, so a reader that went away
 * (ferryctl stopped) ends the capture even when no frame flows.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "util/log.h"
#include "vswitch/capture.h"
#include "vswitch/port.h"
#include "vswitch/private.h"

#define CAP_RING 4096 /* copies waiting for the writer */
#define CAP_BURST 64
#define CAP_IDLE_MS 20 /* the writer's poll when nothing is queued */
#define CAP_SNAPLEN_MAX 65535

struct vsw_capture {
	struct vsw *sw;
	int id;
	struct vsw_port *port; /* NULL once the port is gone */
	bool rx, tx;
	bool has_prog;
	struct bpf_program prog;
	uint32_t snaplen;
	uint64_t max;
	struct rte_ring *ring;
	pthread_t thread;
	FILE *out;
	pcap_t *dead; /* for the dumper: link type and snap length */
	pcap_dumper_t *dumper;
	_Atomic bool stop, done;
	_Atomic uint64_t captured, dropped;
};

/* ---- the PMD side ---- */

static void cap_copy(struct vsw *sw, struct vsw_capture *c, struct rte_mbuf **pkts, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i], *copy;
		uint32_t caplen = RTE_MIN(rte_pktmbuf_data_len(m), c->snaplen);

		if (c->has_prog &&
		    !bpf_filter(c->prog.bf_insns, rte_pktmbuf_mtod(m, const u_char *),
				rte_pktmbuf_pkt_len(m), caplen))
			continue;
		copy = rte_pktmbuf_copy(m, sw->pool, 0, c->snaplen);
		if (!copy) {
			atomic_fetch_add_explicit(&c->dropped, 1, memory_order_relaxed);
			continue;
		}
		copy->hash.fdir.lo = rte_pktmbuf_pkt_len(m); /* the frame's own length */
		if (rte_ring_mp_enqueue(c->ring, copy) != 0) {
			rte_pktmbuf_free(copy);
			atomic_fetch_add_explicit(&c->dropped, 1, memory_order_relaxed);
		}
	}
}

void vsw_capture_burst(struct vsw *sw, struct vsw_port *port, struct rte_mbuf **pkts, uint16_t n,
		       bool tx)
{
	for (unsigned int i = 0; i < VSW_CAPTURES_PER_PORT; i++) {
		/* Pairs with the release store in cap_attach(). */
		struct vsw_capture *c = atomic_load_explicit(&port->cap[i], memory_order_acquire);

		if (c && (tx ? c->tx : c->rx))
			cap_copy(sw, c, pkts, n);
	}
}

/* ---- the writer ---- */

static void cap_write(struct vsw_capture *c, struct rte_mbuf *m)
{
	u_char buf[CAP_SNAPLEN_MAX];
	uint32_t len = RTE_MIN(rte_pktmbuf_pkt_len(m), c->snaplen);
	const u_char *data = rte_pktmbuf_read(m, 0, len, buf);
	struct pcap_pkthdr h = { .caplen = len, .len = m->hash.fdir.lo };
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	h.ts.tv_sec = ts.tv_sec;
	h.ts.tv_usec = ts.tv_nsec / 1000;
	if (data &&
	    (!c->max || atomic_load_explicit(&c->captured, memory_order_relaxed) < c->max)) {
		pcap_dump((u_char *)c->dumper, &h, data);
		atomic_fetch_add_explicit(&c->captured, 1, memory_order_relaxed);
	}
	rte_pktmbuf_free(m);
}

/* Write what is queued; the count written. */
static unsigned int cap_drain(struct vsw_capture *c)
{
	void *objs[CAP_BURST];
	unsigned int n, total = 0;

	while ((n = rte_ring_sc_dequeue_burst(c->ring, objs, CAP_BURST, NULL)) > 0) {
		for (unsigned int i = 0; i < n; i++)
			cap_write(c, objs[i]);
		total += n;
	}
	return total;
}

/* Has the reader gone (hung up, or the stream broke)? */
static bool cap_reader_gone(struct vsw_capture *c)
{
	struct pollfd p = { .fd = fileno(c->out), .events = POLLRDHUP };

	if (ferror(c->out))
		return true;
	return poll(&p, 1, CAP_IDLE_MS) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

static void cap_detach(struct vsw_capture *c);

static void *cap_thread(void *arg)
{
	struct vsw_capture *c = arg;
	sigset_t set;

	/* A reader that went away makes write() fail with EPIPE, not kill the process. */
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_setname_np(pthread_self(), "ferry-capture");
	while (!atomic_load_explicit(&c->stop, memory_order_acquire)) {
		if (cap_drain(c))
			pcap_dump_flush(c->dumper);
		else if (cap_reader_gone(c))
			break;
		if (c->max && atomic_load_explicit(&c->captured, memory_order_relaxed) >= c->max)
			break;
	}
	cap_detach(c); /* no PMD copies into it after this */
	cap_drain(c);
	/* Closing is the end of the stream for its reader: at once, not at the reap. */
	pcap_dump_close(c->dumper);
	c->dumper = NULL;
	c->out = NULL;
	atomic_store_explicit(&c->done, true, memory_order_release);
	return NULL;
}

/* ---- control side ---- */

/* Off its port's slots (under ctl_lock); PMDs may still hold it until a grace period. */
static void cap_unhook(struct vsw_capture *c)
{
	for (unsigned int i = 0; c->port && i < VSW_CAPTURES_PER_PORT; i++) {
		if (atomic_load_explicit(&c->port->cap[i], memory_order_relaxed) != c)
			continue;
		atomic_store_explicit(&c->port->cap[i], NULL, memory_order_release);
		atomic_fetch_sub_explicit(&c->port->n_cap, 1, memory_order_relaxed);
	}
	c->port = NULL;
}

static void cap_detach(struct vsw_capture *c)
{
	struct vsw *sw = c->sw;

	mutex_lock(&sw->ctl_lock);
	cap_unhook(c);
	mutex_unlock(&sw->ctl_lock);
	vsw_datapath_sync(sw);
}

static void cap_free(struct vsw_capture *c)
{
	if (c->dumper)
		pcap_dump_close(c->dumper); /* closes c->out and its descriptor */
	else if (c->out)
		fclose(c->out);
	if (c->dead)
		pcap_close(c->dead);
	if (c->has_prog)
		pcap_freecode(&c->prog);
	rte_ring_free(c->ring);
	free(c);
}

/* Join and free the capture in slot @i if its thread is done or @force. */
static void cap_reap(struct vsw *sw, unsigned int i, bool force) REQUIRES(sw->ctl_lock)
{
	struct vsw_capture *c = sw->captures[i];

	if (!c || (!force && !atomic_load_explicit(&c->done, memory_order_acquire)))
		return;
	sw->captures[i] = NULL;
	atomic_store_explicit(&c->stop, true, memory_order_release);
	/* Its thread takes ctl_lock to detach: let it. */
	mutex_unlock(&sw->ctl_lock);
	pthread_join(c->thread, NULL);
	LOG_INFO("capture", "capture %d ended: %llu frames written, %llu dropped", c->id,
		 (unsigned long long)c->captured, (unsigned long long)c->dropped);
	cap_free(c);
	mutex_lock(&sw->ctl_lock);
}

static int cap_setup(struct vsw_capture *c, const struct vsw_capture_opts *o, char *err,
		     size_t errlen)
{
	char name[RTE_RING_NAMESIZE];

	c->snaplen = o->snaplen && o->snaplen < CAP_SNAPLEN_MAX ? o->snaplen : CAP_SNAPLEN_MAX;
	c->dead = pcap_open_dead(DLT_EN10MB, (int)c->snaplen);
	if (!c->dead)
		return -ENOMEM;
	if (o->filter && *o->filter) {
		if (pcap_compile(c->dead, &c->prog, o->filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			snprintf(err, errlen, "filter: %s", pcap_geterr(c->dead));
			return -EINVAL;
		}
		c->has_prog = true;
	}
	snprintf(name, sizeof(name), "cap-%u-%d", c->sw->instance, c->id);
	c->ring = rte_ring_create(name, CAP_RING, SOCKET_ID_ANY, RING_F_SC_DEQ);
	c->out = fdopen(o->fd, "w");
	/* The control protocol's reply line, then the stream, on the one connection. */
	if (c->out && o->preamble && fputs(o->preamble, c->out) < 0)
		return -EIO;
	c->dumper = c->out ? pcap_dump_fopen(c->dead, c->out) : NULL;
	if (!c->ring || !c->dumper)
		return -ENOMEM;
	pcap_dump_flush(c->dumper); /* the file header, so a reader starts at once */
	return 0;
}

/* Put @c on its port; under ctl_lock. */
static int cap_attach(struct vsw *sw, struct vsw_capture *c, uint16_t port) REQUIRES(sw->ctl_lock)
{
	struct vsw_port *p = port < VSW_MAX_PORTS ?
				     atomic_load_explicit(&sw->ports[port], memory_order_relaxed) :
				     NULL;

	if (!p)
		return -ENOENT;
	for (unsigned int i = 0; i < VSW_CAPTURES_PER_PORT; i++) {
		if (atomic_load_explicit(&p->cap[i], memory_order_relaxed))
			continue;
		c->port = p;
		/* Pairs with the acquire load in vsw_capture_burst(). */
		atomic_store_explicit(&p->cap[i], c, memory_order_release);
		atomic_fetch_add_explicit(&p->n_cap, 1, memory_order_release);
		return 0;
	}
	return -EBUSY;
}

int vsw_capture_start(struct vsw *sw, const struct vsw_capture_opts *o, char *err, size_t errlen)
{
	struct vsw_capture *c = calloc(1, sizeof(*c));
	int ret = -ENOSPC, slot = -1;

	snprintf(err, errlen, "cannot start a capture");
	if (!c) {
		close(o->fd);
		return -ENOMEM;
	}
	c->sw = sw;
	c->rx = o->rx;
	c->tx = o->tx;
	c->max = o->max_packets;
	mutex_lock(&sw->ctl_lock);
	for (unsigned int i = 0; i < VSW_MAX_CAPTURES; i++)
		cap_reap(sw, i, false);
	for (unsigned int i = 0; i < VSW_MAX_CAPTURES && slot < 0; i++)
		if (!sw->captures[i])
			slot = (int)i;
	c->id = slot >= 0 ? sw->capture_seq++ : -1;
	ret = slot < 0 ? -ENOSPC : cap_setup(c, o, err, errlen);
	if (!ret)
		ret = cap_attach(sw, c, o->port);
	if (!ret)
		ret = -pthread_create(&c->thread, NULL, cap_thread, c);
	if (ret) {
		cap_unhook(c);
		mutex_unlock(&sw->ctl_lock);
		vsw_datapath_sync(sw);
		if (ret == -ENOENT)
			snprintf(err, errlen, "port: no port %u", o->port);
		else if (ret == -EBUSY)
			snprintf(err, errlen, "port: %d captures run on it already",
				 VSW_CAPTURES_PER_PORT);
		if (!c->out)
			close(o->fd);
		cap_free(c);
		return ret;
	}
	sw->captures[slot] = c;
	LOG_INFO("capture", "capture %d on port %s (%s%s%s)", c->id, c->port->name,
		 c->rx ? "rx" : "", c->rx && c->tx ? "+" : "", c->tx ? "tx" : "");
	mutex_unlock(&sw->ctl_lock);
	return c->id;
}

int vsw_capture_stop(struct vsw *sw, int id)
{
	int ret = -ENOENT;

	mutex_lock(&sw->ctl_lock);
	for (unsigned int i = 0; i < VSW_MAX_CAPTURES; i++) {
		if (sw->captures[i] && sw->captures[i]->id == id) {
			cap_reap(sw, i, true);
			ret = 0;
		}
	}
	mutex_unlock(&sw->ctl_lock);
	return ret;
}

int vsw_capture_stats(struct vsw *sw, int id, struct vsw_capture_stats *st)
{
	int ret = -ENOENT;

	mutex_lock(&sw->ctl_lock);
	for (unsigned int i = 0; i < VSW_MAX_CAPTURES; i++) {
		struct vsw_capture *c = sw->captures[i];

		if (c && c->id == id) {
			st->captured = atomic_load_explicit(&c->captured, memory_order_relaxed);
			st->dropped = atomic_load_explicit(&c->dropped, memory_order_relaxed);
			ret = 0;
		}
	}
	mutex_unlock(&sw->ctl_lock);
	return ret;
}

void vsw_capture_port_gone(struct vsw *sw, struct vsw_port *p) REQUIRES(sw->ctl_lock)
{
	for (unsigned int i = 0; i < VSW_MAX_CAPTURES; i++) {
		struct vsw_capture *c = sw->captures[i];

		if (c && c->port == p) {
			cap_unhook(c); /* the caller's grace period covers the PMDs */
			atomic_store_explicit(&c->stop, true, memory_order_release);
		}
	}
}

void vsw_capture_stop_all(struct vsw *sw)
{
	mutex_lock(&sw->ctl_lock);
	for (unsigned int i = 0; i < VSW_MAX_CAPTURES; i++)
		cap_reap(sw, i, true);
	mutex_unlock(&sw->ctl_lock);
}
