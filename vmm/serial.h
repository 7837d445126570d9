/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * serial.h - a 16550A-compatible UART (the guest console on COM1).
 *
 * Transmitted bytes go to up to two file descriptors (the terminal and a
 * console log); received bytes are pushed in by the VM's input thread.  The
 * interrupt line is driven through a callback so the UART knows nothing
 * about KVM.
 */
#ifndef FERRY_VMM_SERIAL_H
#define FERRY_VMM_SERIAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/lock.h"

#define SERIAL_COM1_BASE 0x3f8
#define SERIAL_COM1_IRQ 4
#define SERIAL_NR_REGS 8
#define SERIAL_FIFO_LEN 64

#define SERIAL_LINE_MAX 512

typedef void (*serial_irq_fn)(void *opaque, int level);
/* One complete console line (without its newline), for whoever watches it. */
typedef void (*serial_line_fn)(void *opaque, const char *line, size_t len);

struct serial {
	struct mutex lock;
	uint8_t ier GUARDED; /* interrupt enable */
	uint8_t iir GUARDED; /* interrupt identification (derived) */
	uint8_t fcr GUARDED; /* FIFO control as last written */
	uint8_t lcr GUARDED; /* line control (bit 7: divisor latch access) */
	uint8_t mcr GUARDED; /* modem control (bit 4: loopback) */
	uint8_t lsr GUARDED; /* line status */
	uint8_t msr GUARDED; /* modem status */
	uint8_t scr GUARDED; /* scratch */
	uint8_t dll GUARDED, dlm GUARDED; /* divisor latch */
	bool thr_ipending GUARDED; /* a THR-empty interrupt is due */
	int irq_level GUARDED; /* last level driven on the line */
	uint8_t rx[SERIAL_FIFO_LEN] GUARDED; /* received, not yet read */
	unsigned int rx_head GUARDED, rx_len GUARDED;
	int out_fd[2]; /* terminal, console log; -1 if unused */
	serial_irq_fn set_irq;
	void *irq_opaque;
	/*
	 * Optional line handling: with a prefix, the terminal gets whole lines
	 * as "PREFIX line" (several VMs share one terminal); with a callback,
	 * every line is also handed over.  The log always gets raw bytes.
	 */
	const char *prefix;
	serial_line_fn line_cb;
	void *line_opaque;
	char line[SERIAL_LINE_MAX] GUARDED;
	size_t line_len GUARDED;
};

void serial_init(struct serial *s, int out_fd, int log_fd, serial_irq_fn set_irq, void *opaque);
/* Line handling (see struct serial); call before the guest runs. */
void serial_set_lines(struct serial *s, const char *prefix, serial_line_fn cb, void *opaque);
void serial_fini(struct serial *s);

/* The I/O handler for the eight registers (iotrap_fn signature). */
void serial_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write);

/* Queue received bytes; returns how many fitted in the FIFO. */
size_t serial_input(struct serial *s, const uint8_t *buf, size_t len);

/* Free space in the receive FIFO (so the input thread reads no more). */
size_t serial_rx_room(struct serial *s);

#endif
