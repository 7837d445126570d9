/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib.h - the guest's tiny C library: the mem and str functions compilers may
 * call implicitly, a printf-style formatter, number parsing and a spinlock.
 * Nothing here touches hardware; console output (uart.h) and every other file
 * build on it.
 */
#ifndef FERRY_GUEST_LIB_H
#define FERRY_GUEST_LIB_H

#include <stdarg.h>
#include <stdatomic.h>

#include "guest.h"
#include "io.h"

/* Compilers may emit calls to these four even in freestanding code. */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/*
 * C99 semantics: writes at most @size bytes including the NUL and returns the
 * length the full output would have had.  Supports %d %i %u %x %X %p %s %c %%
 * with the flags '-' and '0', a width, and the length modifiers hh h l ll z.
 */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) PRINTF_LIKE(3, 0);
int snprintf(char *buf, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);

/*
 * Parses an unsigned number: decimal, or hexadecimal after "0x".  The whole
 * string must be consumed; returns 0 or -EINVAL (bad digit, empty, overflow).
 */
int parse_u64(const char *s, uint64_t *out);

/* parse_u64() and a check that the value lies in [@lo, @hi]; 0 or -EINVAL. */
int parse_u64_range(const char *s, uint64_t lo, uint64_t hi, uint64_t *out);

/* The index i in [@first, @n) with @names[i] equal to @s, or -EINVAL: option values. */
int parse_name(const char *s, const char *const *names, size_t first, size_t n);

/* The value of hexadecimal digit @c (either case), or -1. */
int hex_digit(char c);

/* Sums @len bytes; firmware tables are valid when the sum is 0 mod 256. */
uint8_t checksum8(const void *p, size_t len);

#define EINVAL 22
#define ENOENT 2
#define ENOMEM 12
#define ERANGE 34
#define ETIMEDOUT 110
#define ENODEV 19
#define EIO 5

/*
 * A test-and-set spinlock (lock xchg, which works in both rings under the
 * machine's interpreted ring 0).  Acquire/release order the data it guards.
 */
struct spinlock {
	atomic_int locked; /* 0 free, 1 held */
};

static inline bool spin_trylock(struct spinlock *l)
{
	return atomic_exchange_explicit(&l->locked, 1, memory_order_acquire) == 0;
}

static inline void spin_lock(struct spinlock *l)
{
	while (!spin_trylock(l)) {
		while (atomic_load_explicit(&l->locked, memory_order_relaxed))
			cpu_relax();
	}
}

static inline void spin_unlock(struct spinlock *l)
{
	atomic_store_explicit(&l->locked, 0, memory_order_release);
}

#endif
