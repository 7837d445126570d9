/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib.c - the guest's tiny C library (see lib.h).  The mem functions use
 * string instructions instead of C loops: a C loop at -O2 may be recognised
 * as "memset" and compiled into a call to itself.
 */
#include "lib.h"

void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;

	__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	void *d;
	const void *s;

	if ((uintptr_t)dst <= (uintptr_t)src || (uintptr_t)dst >= (uintptr_t)src + n)
		return memcpy(dst, src, n);
	/* Overlapping with dst above src: copy backwards from the last byte. */
	d = (char *)dst + n - 1;
	s = (const char *)src + n - 1;
	__asm__ volatile("std\n\trep movsb\n\tcld" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;

	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (size_t i = 0; i < n; i++) {
		if (x[i] != y[i])
			return x[i] - y[i];
	}
	return 0;
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

size_t strlen(const char *s)
{
	return strnlen(s, SIZE_MAX);
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i] != b[i] || !a[i])
			return (unsigned char)a[i] - (unsigned char)b[i];
	}
	return 0;
}

int strcmp(const char *a, const char *b)
{
	return strncmp(a, b, SIZE_MAX);
}

uint8_t checksum8(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return sum;
}

int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int parse_u64(const char *s, uint64_t *out)
{
	unsigned int base = 10;
	uint64_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		int digit = hex_digit(*s);
		unsigned int d = (unsigned int)digit;

		if (digit < 0 || d >= base || v > (UINT64_MAX - d) / base)
			return -EINVAL;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

int parse_u64_range(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	uint64_t v;

	if (parse_u64(s, &v) || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_name(const char *s, const char *const *names, size_t first, size_t n)
{
	for (size_t i = first; i < n; i++) {
		if (names[i] && !strcmp(s, names[i]))
			return (int)i;
	}
	return -EINVAL;
}

/* ---- formatting ---- */

/* Where vsnprintf writes: @pos counts every byte, even those past @size. */
struct fmt_out {
	char *buf; /* destination */
	size_t size; /* capacity including the NUL */
	size_t pos; /* bytes produced so far */
};

/* How one conversion is to be printed. */
struct fmt_spec {
	bool left; /* '-': pad on the right */
	bool zero; /* '0': pad with zeros */
	unsigned int width; /* minimum field width */
	unsigned int lmod; /* 0 int, 1 long, 2 long long, 3 size_t, 4 short, 5 char */
};

static void fmt_putc(struct fmt_out *o, char c)
{
	if (o->pos + 1 < o->size)
		o->buf[o->pos] = c;
	o->pos++;
}

static void fmt_pad(struct fmt_out *o, char c, unsigned int n)
{
	while (n--)
		fmt_putc(o, c);
}

static void fmt_str(struct fmt_out *o, const struct fmt_spec *sp, const char *s, size_t len)
{
	unsigned int pad = sp->width > len ? sp->width - (unsigned int)len : 0;

	if (!sp->left)
		fmt_pad(o, ' ', pad);
	for (size_t i = 0; i < len; i++)
		fmt_putc(o, s[i]);
	if (sp->left)
		fmt_pad(o, ' ', pad);
}

static void fmt_num(struct fmt_out *o, const struct fmt_spec *sp, uint64_t v, bool neg,
		    unsigned int base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	unsigned int n = 0, len, pad;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	len = n + neg;
	pad = sp->width > len ? sp->width - len : 0;
	if (!sp->left && !sp->zero)
		fmt_pad(o, ' ', pad);
	if (neg)
		fmt_putc(o, '-');
	if (!sp->left && sp->zero)
		fmt_pad(o, '0', pad);
	while (n)
		fmt_putc(o, tmp[--n]);
	if (sp->left)
		fmt_pad(o, ' ', pad);
}

/* Reads flags, width and length modifier; returns the conversion character. */
static const char *fmt_parse_spec(const char *f, struct fmt_spec *sp)
{
	*sp = (struct fmt_spec){ 0 };
	for (;; f++) {
		if (*f == '-')
			sp->left = true;
		else if (*f == '0')
			sp->zero = true;
		else
			break;
	}
	while (*f >= '0' && *f <= '9')
		sp->width = sp->width * 10 + (unsigned int)(*f++ - '0');
	if (f[0] == 'l' && f[1] == 'l') {
		sp->lmod = 2;
		f += 2;
	} else if (f[0] == 'h' && f[1] == 'h') {
		sp->lmod = 5;
		f += 2;
	} else if (*f == 'l' || *f == 'z' || *f == 'h') {
		sp->lmod = *f == 'l' ? 1 : *f == 'z' ? 3 : 4;
		f++;
	}
	return f;
}

static uint64_t fmt_arg_unsigned(const struct fmt_spec *sp, va_list *ap)
{
	switch (sp->lmod) {
	case 1:
		return va_arg(*ap, unsigned long);
	case 2:
		return va_arg(*ap, unsigned long long);
	case 3:
		return va_arg(*ap, size_t);
	case 4:
		return (unsigned short)va_arg(*ap, unsigned int);
	case 5:
		return (unsigned char)va_arg(*ap, unsigned int);
	default:
		return va_arg(*ap, unsigned int);
	}
}

static int64_t fmt_arg_signed(const struct fmt_spec *sp, va_list *ap)
{
	switch (sp->lmod) {
	case 1:
		return va_arg(*ap, long);
	case 2:
		return va_arg(*ap, long long);
	case 3:
		return (int64_t)va_arg(*ap, size_t);
	case 4:
		return (short)va_arg(*ap, int);
	case 5:
		return (signed char)va_arg(*ap, int);
	default:
		return va_arg(*ap, int);
	}
}

static void fmt_signed(struct fmt_out *o, const struct fmt_spec *sp, int64_t v)
{
	/* Negate in unsigned arithmetic so INT64_MIN does not overflow. */
	if (v < 0)
		fmt_num(o, sp, -(uint64_t)v, true, 10, false);
	else
		fmt_num(o, sp, (uint64_t)v, false, 10, false);
}

static void fmt_one(struct fmt_out *o, const struct fmt_spec *sp, char conv, va_list *ap)
{
	const char *s;
	char c;

	switch (conv) {
	case 'd':
	case 'i':
		fmt_signed(o, sp, fmt_arg_signed(sp, ap));
		break;
	case 'u':
		fmt_num(o, sp, fmt_arg_unsigned(sp, ap), false, 10, false);
		break;
	case 'x':
	case 'X':
		fmt_num(o, sp, fmt_arg_unsigned(sp, ap), false, 16, conv == 'X');
		break;
	case 'p':
		fmt_putc(o, '0');
		fmt_putc(o, 'x');
		fmt_num(o, sp, (uintptr_t)va_arg(*ap, void *), false, 16, false);
		break;
	case 's':
		s = va_arg(*ap, const char *);
		s = s ? s : "(null)";
		fmt_str(o, sp, s, strlen(s));
		break;
	case 'c':
		c = (char)va_arg(*ap, int);
		fmt_str(o, sp, &c, 1);
		break;
	default:
		/* '%%' and anything unknown print as themselves. */
		fmt_putc(o, conv);
		break;
	}
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct fmt_out o = { .buf = buf, .size = size };
	struct fmt_spec sp;
	va_list args;

	va_copy(args, ap);
	while (*fmt) {
		if (*fmt != '%') {
			fmt_putc(&o, *fmt++);
			continue;
		}
		fmt = fmt_parse_spec(fmt + 1, &sp);
		if (!*fmt)
			break;
		fmt_one(&o, &sp, *fmt++, &args);
	}
	va_end(args);
	if (size)
		buf[MIN(o.pos, size - 1)] = '\0';
	return (int)o.pos;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
