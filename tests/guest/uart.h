/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * uart.h - the guest console: COM1 (8250/16550 at 0x3f8), written by polling.
 * Every call writes whole lines under one lock so lines from several CPUs
 * never interleave.  Output is plain '\n'-terminated text: prose lines start
 * with "ferry-guest: " and machine-readable ones with "FERRY-RESULT "
 * (README.md, "Result lines").  Works in ring 3 (IOPL=3) and ring 0.
 */
#ifndef FERRY_GUEST_UART_H
#define FERRY_GUEST_UART_H

#include "guest.h"

#define CON_PREFIX "ferry-guest: "
#define RESULT_PREFIX "FERRY-RESULT "

/* Programs 8N1, FIFOs on, interrupts off.  Safe to call more than once. */
void uart_init(void);

/* Writes @len bytes atomically with respect to other console calls. */
void con_write(const char *s, size_t len);

/* Formats one or more whole lines (up to 512 bytes) and writes them at once. */
void con_printf(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* Same, prefixed with CON_PREFIX: the guest's human-readable log. */
#define con_log(fmt, ...) con_printf(CON_PREFIX fmt, ##__VA_ARGS__)

/*
 * For the fault handler: waits only a bounded time for the lock (the fault
 * may have hit its holder on this very CPU) and then writes anyway.
 */
void con_printf_panic(const char *fmt, ...) PRINTF_LIKE(1, 2);

#endif
