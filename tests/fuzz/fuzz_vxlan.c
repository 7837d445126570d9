/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_vxlan.c - libFuzzer harness for the VXLAN receive parser
 * (vswitch/vxlan.c): any bytes as a frame arriving on an uplink, checked
 * against an IPv4 and an IPv6 local VTEP.  Whatever it accepts must lie
 * inside the input (the inner frame's offset and length) and carry a 24-bit
 * VNI; the inner flow hash runs on what it accepted and on the raw bytes.
 * Uplink packets come from anyone on the network: no input may crash it or
 * read one byte past the end (libFuzzer's buffer is exactly @size long).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vswitch/vxlan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_one(const uint8_t *data, uint32_t size, const struct vxlan_local *l)
{
	struct vxlan_rx rx;
	uint16_t port;

	if (vxlan_parse(data, size, l, &rx) != VXLAN_OK)
		return;
	if (rx.inner_off > size || rx.inner_len > size - rx.inner_off ||
	    rx.inner_len < VXLAN_ETH_HLEN || rx.vni > VSW_MAX_VNI ||
	    rx.src.family != l->addr.family)
		abort();
	port = vxlan_src_port(data + rx.inner_off, rx.inner_len);
	if (port < VXLAN_SPORT_MIN)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vxlan_local l4 = { .port = VXLAN_PORT }, l6 = { .port = VXLAN_PORT };

	if (!l4.addr.family) {
		vsw_addr_parse("10.0.0.1", &l4.addr);
		vsw_addr_parse("2001:db8::1", &l6.addr);
	}
	if (size > 65535)
		return 0;
	fuzz_one(data, (uint32_t)size, &l4);
	fuzz_one(data, (uint32_t)size, &l6);
	if (vxlan_src_port(data, (uint32_t)size) < VXLAN_SPORT_MIN)
		abort();
	return 0;
}
