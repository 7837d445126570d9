/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * uart.c - the guest console on COM1 (see uart.h).
 *
 * Every port access is a VM exit (11-16 us under the build machine's nested
 * KVM), so the transmitter is not polled per character: when the line status
 * register says the holding register is empty, the 16-byte FIFO is empty too,
 * and up to 16 bytes go out before the next poll.  Ferry's UART is always
 * ready, so this costs one extra exit per 16 characters.
 */
#include <stdarg.h>

#include "lib.h"
#include "uart.h"

#define COM1 0x3f8
#define UART_THR 0 /* transmit holding register (write) */
#define UART_IER 1 /* interrupt enable */
#define UART_FCR 2 /* FIFO control (write) */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status */
#define UART_LSR_THRE 0x20 /* holding register (and FIFO) empty */
#define UART_FIFO_DEPTH 16

/* A UART that never drains must not hang the guest: give up after this. */
#define UART_MAX_POLLS 100000

/* Bounded lock wait for the fault path, in lock attempts. */
#define PANIC_LOCK_TRIES 200000

#define LINE_MAX 512

static struct spinlock con_lock;

void uart_init(void)
{
	outb(COM1 + UART_IER, 0x00);
	outb(COM1 + UART_LCR, 0x03); /* 8 data bits, no parity, 1 stop bit */
	outb(COM1 + UART_FCR, 0x07); /* enable and clear both FIFOs */
	outb(COM1 + UART_MCR, 0x03); /* DTR and RTS, no loopback, IRQ gated off */
}

static void uart_wait_thre(void)
{
	for (unsigned int i = 0; i < UART_MAX_POLLS; i++) {
		if (inb(COM1 + UART_LSR) & UART_LSR_THRE)
			return;
		cpu_relax();
	}
}

/* Caller holds con_lock (or has given up on it in the fault path). */
static void uart_write(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (i % UART_FIFO_DEPTH == 0)
			uart_wait_thre();
		outb(COM1 + UART_THR, (uint8_t)s[i]);
	}
}

void con_write(const char *s, size_t len)
{
	spin_lock(&con_lock);
	uart_write(s, len);
	spin_unlock(&con_lock);
}

/* Formats into @buf; a truncated line still ends with a newline. */
static PRINTF_LIKE(2, 0) size_t con_format(char *buf, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, LINE_MAX, fmt, ap);

	if (n < 0)
		return 0;
	if (n >= LINE_MAX) {
		buf[LINE_MAX - 2] = '\n';
		n = LINE_MAX - 1;
	}
	return (size_t)n;
}

void con_printf(const char *fmt, ...)
{
	char buf[LINE_MAX];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = con_format(buf, fmt, ap);
	va_end(ap);
	con_write(buf, n);
}

void con_printf_panic(const char *fmt, ...)
{
	char buf[LINE_MAX];
	bool locked = false;
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = con_format(buf, fmt, ap);
	va_end(ap);
	for (unsigned int i = 0; i < PANIC_LOCK_TRIES && !locked; i++)
		locked = spin_trylock(&con_lock);
	uart_write(buf, n);
	if (locked)
		spin_unlock(&con_lock);
}
