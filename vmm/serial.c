/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * serial.c - the 16550A UART model (see serial.h).  It implements what Linux's
 * 8250 driver and simple polled consoles use: the divisor latch, FIFO
 * detection, loopback (Linux's autoconfig probes it), THR-empty and
 * received-data interrupts with the OUT2 gate of PC-compatible boards.
 * Transmission is instantaneous: LSR always reports the transmitter empty.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmm/serial.h"

#define REG_RBR_THR 0
#define REG_IER 1
#define REG_IIR_FCR 2
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define REG_MSR 6
#define REG_SCR 7

#define IER_RDI 0x01
#define IER_THRI 0x02
#define IIR_NO_INT 0x01
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_FIFO_BITS 0xc0
#define FCR_FIFO_EN 0x01
#define FCR_CLEAR_RCVR 0x02
#define LCR_DLAB 0x80
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

void serial_init(struct serial *s, int out_fd, int log_fd, serial_irq_fn set_irq,
		 void *opaque) NO_THREAD_SAFETY_ANALYSIS
{
	memset(s, 0, sizeof(*s));
	mutex_init(&s->lock);
	s->iir = IIR_NO_INT;
	s->lsr = LSR_THRE | LSR_TEMT;
	s->msr = MSR_DCD | MSR_DSR | MSR_CTS;
	s->mcr = MCR_OUT2;
	s->dll = 12; /* 9600 baud, as after a BIOS */
	s->out_fd[0] = out_fd;
	s->out_fd[1] = log_fd;
	s->set_irq = set_irq;
	s->irq_opaque = opaque;
}

void serial_fini(struct serial *s)
{
	mutex_destroy(&s->lock);
}

/* Recompute IIR and drive the line; the line is gated by MCR.OUT2. */
static void serial_update_irq(struct serial *s) REQUIRES(s->lock)
{
	uint8_t iir = IIR_NO_INT;
	int level;

	if ((s->ier & IER_RDI) && (s->lsr & LSR_DR))
		iir = IIR_RDI;
	else if ((s->ier & IER_THRI) && s->thr_ipending)
		iir = IIR_THRI;
	s->iir = iir | ((s->fcr & FCR_FIFO_EN) ? IIR_FIFO_BITS : 0);
	level = iir != IIR_NO_INT && (s->mcr & MCR_OUT2);
	if (level != s->irq_level && s->set_irq) {
		s->irq_level = level;
		s->set_irq(s->irq_opaque, level);
	}
}

static void serial_rx_push(struct serial *s, uint8_t c) REQUIRES(s->lock)
{
	if (s->rx_len == SERIAL_FIFO_LEN)
		return; /* overrun: the byte is lost, as on hardware */
	s->rx[(s->rx_head + s->rx_len) % SERIAL_FIFO_LEN] = c;
	s->rx_len++;
	s->lsr |= LSR_DR;
}

void serial_set_lines(struct serial *s, const char *prefix, serial_line_fn cb, void *opaque)
{
	s->prefix = prefix;
	s->line_cb = cb;
	s->line_opaque = opaque;
}

static void serial_out(struct serial *s, unsigned int which, const void *buf, size_t len)
{
	if (s->out_fd[which] >= 0 && write(s->out_fd[which], buf, len) < 0)
		s->out_fd[which] = -1; /* the reader went away; stop writing */
}

/* A line is complete (or the buffer is full): hand it on, then start afresh. */
static void serial_flush_line(struct serial *s) REQUIRES(s->lock)
{
	if (s->prefix) {
		char out[SERIAL_LINE_MAX + 64];
		int n = snprintf(out, sizeof(out), "%s%.*s\n", s->prefix, (int)s->line_len,
				 s->line);

		serial_out(s, 0, out, (size_t)MIN(n, (int)sizeof(out) - 1));
	}
	if (s->line_cb) {
		s->line[s->line_len] = '\0';
		s->line_cb(s->line_opaque, s->line, s->line_len);
	}
	s->line_len = 0;
}

static void serial_transmit(struct serial *s, uint8_t c) REQUIRES(s->lock)
{
	s->thr_ipending = true;
	if (s->mcr & MCR_LOOP) {
		serial_rx_push(s, c);
		return;
	}
	serial_out(s, 1, &c, 1);
	if (!s->prefix)
		serial_out(s, 0, &c, 1);
	if (!s->prefix && !s->line_cb)
		return;
	if (c == '\n' || s->line_len == SERIAL_LINE_MAX - 1)
		serial_flush_line(s);
	if (c != '\n' && c != '\r')
		s->line[s->line_len++] = (char)c;
}

static void serial_write_reg(struct serial *s, unsigned int reg, uint8_t v) REQUIRES(s->lock)
{
	bool dlab = s->lcr & LCR_DLAB;

	switch (reg) {
	case REG_RBR_THR:
		if (dlab)
			s->dll = v;
		else
			serial_transmit(s, v);
		break;
	case REG_IER:
		if (dlab) {
			s->dlm = v;
			break;
		}
		if (!(s->ier & IER_THRI) && (v & IER_THRI))
			s->thr_ipending = true; /* THR is always empty */
		s->ier = v & 0x0f;
		break;
	case REG_IIR_FCR:
		s->fcr = v;
		if (v & FCR_CLEAR_RCVR) {
			s->rx_len = 0;
			s->lsr &= (uint8_t)~LSR_DR;
		}
		break;
	case REG_LCR:
		s->lcr = v;
		break;
	case REG_MCR:
		s->mcr = v & 0x1f;
		break;
	case REG_SCR:
		s->scr = v;
		break;
	default: /* LSR and MSR are read-only */
		break;
	}
}

/* In loopback, the modem inputs mirror the outputs (16550 datasheet). */
static uint8_t serial_msr(const struct serial *s) REQUIRES(s->lock)
{
	uint8_t m = 0;

	if (!(s->mcr & MCR_LOOP))
		return s->msr;
	if (s->mcr & MCR_RTS)
		m |= MSR_CTS;
	if (s->mcr & 0x01) /* DTR */
		m |= MSR_DSR;
	if (s->mcr & MCR_OUT1)
		m |= MSR_RI;
	if (s->mcr & MCR_OUT2)
		m |= MSR_DCD;
	return m;
}

static uint8_t serial_rx_pop(struct serial *s) REQUIRES(s->lock)
{
	uint8_t c;

	if (!s->rx_len)
		return 0;
	c = s->rx[s->rx_head];
	s->rx_head = (s->rx_head + 1) % SERIAL_FIFO_LEN;
	if (--s->rx_len == 0)
		s->lsr &= (uint8_t)~LSR_DR;
	return c;
}

static uint8_t serial_read_reg(struct serial *s, unsigned int reg) REQUIRES(s->lock)
{
	bool dlab = s->lcr & LCR_DLAB;
	uint8_t v;

	switch (reg) {
	case REG_RBR_THR:
		return dlab ? s->dll : serial_rx_pop(s);
	case REG_IER:
		return dlab ? s->dlm : s->ier;
	case REG_IIR_FCR:
		v = s->iir;
		if ((v & 0x0f) == IIR_THRI)
			s->thr_ipending = false; /* reading IIR acknowledges THRE */
		return v;
	case REG_LCR:
		return s->lcr;
	case REG_MCR:
		return s->mcr;
	case REG_LSR:
		return s->lsr;
	case REG_MSR:
		return serial_msr(s);
	default:
		return s->scr;
	}
}

void serial_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct serial *s = opaque;

	/* Byte registers: a wider access touches only the first one. */
	if (off >= SERIAL_NR_REGS || !len)
		return;
	mutex_lock(&s->lock);
	if (is_write)
		serial_write_reg(s, (unsigned int)off, data[0]);
	else
		data[0] = serial_read_reg(s, (unsigned int)off);
	serial_update_irq(s);
	mutex_unlock(&s->lock);
	if (!is_write && len > 1)
		memset(data + 1, 0xff, len - 1);
}

size_t serial_input(struct serial *s, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	mutex_lock(&s->lock);
	while (n < len && s->rx_len < SERIAL_FIFO_LEN)
		serial_rx_push(s, buf[n++]);
	serial_update_irq(s);
	mutex_unlock(&s->lock);
	return n;
}

size_t serial_rx_room(struct serial *s)
{
	size_t room;

	mutex_lock(&s->lock);
	room = SERIAL_FIFO_LEN - s->rx_len;
	mutex_unlock(&s->lock);
	return room;
}
