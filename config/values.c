/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * values.c - the value syntaxes of Ferry's config that other code also needs: sizes
 * ("256M") and MAC addresses ("52:54:00:12:34:56").  The key types in types.c build on these;
 * the CLI uses them for its own options.  Pure functions, no allocation.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"

static int size_shift(char c)
{
	switch (c) {
	case 'k':
	case 'K':
		return 10;
	case 'm':
	case 'M':
		return 20;
	case 'g':
	case 'G':
		return 30;
	}
	return -1;
}

int config_parse_size(const char *s, uint64_t *bytes)
{
	uint64_t v = 0;
	const char *p = s;
	int shift = 0;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (*p) {
		shift = size_shift(*p++);
		if (shift < 0 || *p)
			return -EINVAL;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*bytes = v << shift;
	return 0;
}

void config_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "GMK";
	int i;

	for (i = 0; bytes && i < 3; i++) {
		int shift = 30 - 10 * i;

		if (!(bytes & ((UINT64_C(1) << shift) - 1))) {
			snprintf(buf, len, "%" PRIu64 "%c", bytes >> shift, units[i]);
			return;
		}
	}
	snprintf(buf, len, "%" PRIu64, bytes);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int config_parse_mac(const char *s, uint8_t mac[6])
{
	uint8_t out[6];
	int i, hi, lo;

	for (i = 0; i < 6; i++) {
		hi = hex_digit(s[0]);
		lo = hi < 0 ? -1 : hex_digit(s[1]);
		if (lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
		/* Separators between pairs, the end of the string after the last one. */
		if (s[2] != (i < 5 ? ':' : '\0'))
			return -EINVAL;
		s += 3;
	}
	memcpy(mac, out, sizeof(out));
	return 0;
}

bool config_mac_is_unicast(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	/* Bit 0 of the first octet is the group bit (IEEE 802-2014, 8.2.2). */
	return !(mac[0] & 1) && memcmp(mac, zero, sizeof(zero)) != 0;
}

void config_format_mac(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}
