/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_arp.c - libFuzzer harness for the ARP snooping of EVPN tenants
 * (vsw_arp_claim, evpn.h): any bytes as a frame a guest sent.  What it
 * accepts must be what the frame says, read inside it: the sender hardware
 * address at its place and equal to the Ethernet source, a sender address
 * that is not 0.0.0.0.  libFuzzer's buffer is exactly @size long, so a read
 * past the end is ASan's to report.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vswitch/evpn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t mac[6];
	uint32_t ip;

	if (size > UINT32_MAX || !vsw_arp_claim(data, (uint32_t)size, &ip, mac))
		return 0;
	if (size < 42 || ip == 0 || memcmp(mac, data + 6, 6) != 0 ||
	    memcmp(mac, data + 22, 6) != 0 || memcmp(&ip, data + 28, 4) != 0 || data[12] != 0x08 ||
	    data[13] != 0x06)
		abort();
	return 0;
}
