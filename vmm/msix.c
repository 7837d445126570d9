/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msix.c - the MSI-X table of msix.h.  Guest memory writes into the table are
 * validated only as far as MSI-X itself defines them; the address and data
 * are handed to KVM's MSI routing, which accepts any message.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/log.h"
#include "vmm/irq.h"
#include "vmm/msix.h"

#define ENTRY_CTRL_MASKED 0x1

static uint32_t entry_u32(const struct msix_vector *v, unsigned int off)
{
	uint32_t x;

	memcpy(&x, v->entry + off, 4);
	return x;
}

static bool vector_masked(const struct msix *m, const struct msix_vector *v)
{
	return !m->enabled || m->masked || (entry_u32(v, 12) & ENTRY_CTRL_MASKED);
}

/* Attach or detach the vector's irqfd to match its mask state. */
static void msix_sync(struct msix *m, struct msix_vector *v)
{
	uint64_t addr = entry_u32(v, 0) | (uint64_t)entry_u32(v, 4) << 32;

	if (vector_masked(m, v)) {
		if (v->attached && irq_irqfd_deassign(m->vm_fd, v->fd, v->gsi) == 0)
			v->attached = false;
		return;
	}
	/* Unmasked: the route follows the entry, then the irqfd goes live. */
	if (irq_msi_set(m->router, v->gsi, addr, entry_u32(v, 8)))
		return;
	if (!v->attached && irq_irqfd_assign(m->vm_fd, v->fd, v->gsi) == 0)
		v->attached = true;
}

int msix_init(struct msix *m, struct irq_router *router, int vm_fd, unsigned int n)
{
	memset(m, 0, sizeof(*m));
	m->router = router;
	m->vm_fd = vm_fd;
	m->v = calloc(n, sizeof(*m->v));
	if (!m->v)
		return -ENOMEM;
	m->n = n;
	for (unsigned int i = 0; i < n; i++) {
		m->v[i].fd = -1;
		m->v[i].gsi = -1;
	}
	for (unsigned int i = 0; i < n; i++) {
		struct msix_vector *v = &m->v[i];

		v->entry[12] = ENTRY_CTRL_MASKED; /* entries start masked (6.8.2.9) */
		v->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		v->gsi = irq_msi_alloc(router);
		if (v->fd < 0 || v->gsi < 0) {
			LOG_ERR("vmm", "cannot set up MSI-X vector %u: %s", i,
				v->fd < 0 ? strerror(errno) : "no free GSI");
			msix_fini(m);
			return -ENOSPC;
		}
	}
	return 0;
}

void msix_fini(struct msix *m)
{
	for (unsigned int i = 0; m->v && i < m->n; i++) {
		struct msix_vector *v = &m->v[i];

		if (v->attached)
			irq_irqfd_deassign(m->vm_fd, v->fd, v->gsi);
		if (v->gsi >= 0)
			irq_msi_free(m->router, v->gsi);
		if (v->fd >= 0)
			close(v->fd);
	}
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

void msix_table_access(struct msix *m, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	uint64_t idx = off / MSIX_ENTRY_SIZE, in = off % MSIX_ENTRY_SIZE;
	struct msix_vector *v;

	/* Aligned 4- or 8-byte accesses within one entry (6.8.2: others are undefined). */
	if (idx >= m->n || (len != 4 && len != 8) || in % len || in + len > MSIX_ENTRY_SIZE) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	v = &m->v[idx];
	if (!is_write) {
		memcpy(data, v->entry + in, len);
		return;
	}
	memcpy(v->entry + in, data, len);
	/* Only bit 0 of vector control is defined; the rest read as zero. */
	memset(v->entry + 13, 0, 3);
	v->entry[12] &= ENTRY_CTRL_MASKED;
	msix_sync(m, v);
}

static bool vector_pending(const struct msix_vector *v)
{
	struct pollfd p = { .fd = v->fd, .events = POLLIN };

	/* Detached and signalled: the eventfd holds the pending interrupt. */
	return !v->attached && poll(&p, 1, 0) == 1;
}

void msix_pba_read(struct msix *m, uint64_t off, uint8_t *data, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++) {
		uint8_t byte = 0;

		for (unsigned int bit = 0; bit < 8; bit++) {
			uint64_t vec = (off + i) * 8 + bit;

			if (vec < m->n && vector_pending(&m->v[vec]))
				byte |= (uint8_t)(1u << bit);
		}
		data[i] = byte;
	}
}

void msix_set_control(struct msix *m, bool enabled, bool masked)
{
	if (m->enabled == enabled && m->masked == masked)
		return;
	m->enabled = enabled;
	m->masked = masked;
	for (unsigned int i = 0; i < m->n; i++)
		msix_sync(m, &m->v[i]);
}

int msix_vector_fd(const struct msix *m, unsigned int vec)
{
	return vec < m->n ? m->v[vec].fd : -1;
}

void msix_notify(const struct msix *m, unsigned int vec)
{
	uint64_t one = 1;

	if (vec < m->n && write(m->v[vec].fd, &one, sizeof(one)) < 0)
		LOG_RL(LOG_LVL_WARN, "vmm", "MSI-X vector %u: %s", vec, strerror(errno));
}
