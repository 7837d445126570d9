/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * acl.h - what the ACL XDP program (acl.bpf.c) and its loader (acl.c)
 * share: the rule layout, the control word and the counter slots.  Kernel
 * UAPI types only, so both sides compile it.
 */
#ifndef FERRY_EBPF_ACL_H
#define FERRY_EBPF_ACL_H

#include <linux/types.h>

#define ACL_MAX_RULES 64 /* per interface; rules are tried in order, first match decides */

enum acl_action {
	ACL_ALLOW = 0, /* XDP_PASS */
	ACL_DROP = 1, /* XDP_DROP */
	ACL_COUNT = 2, /* count and go on to the next rule */
};

/*
 * One rule.  Zero means "any" for family, proto and a prefix length of 0; a
 * port range is lo..hi inclusive, and a rule with a narrower range than
 * 0..65535 never matches a packet without ports (not TCP/UDP, or a later
 * fragment).
 */
struct acl_rule {
	__u8 family; /* 0 any, 2 IPv4, 10 IPv6 */
	__u8 proto; /* 0 any, else the IP protocol number */
	__u8 action; /* enum acl_action */
	__u8 src_plen, dst_plen; /* prefix lengths in bits */
	__u8 pad;
	__u16 id; /* stable counter slot, 0 .. ACL_MAX_RULES - 1 */
	__u8 src[16], dst[16]; /* IPv4 in the first 4 bytes */
	__u16 sport_lo, sport_hi, dport_lo, dport_hi;
};

/*
 * The live rule set: two tables of ACL_MAX_RULES in map "rules"; the loader
 * writes the unused one, then flips @set, so a packet sees one set whole.
 */
struct acl_ctl {
	__u32 set; /* 0 or 1: which table is live */
	__u32 n; /* rules in it */
	__u32 default_action; /* when no rule decides: ACL_ALLOW or ACL_DROP */
	__u32 pad;
};

struct acl_hits {
	__u64 packets, bytes;
};

enum acl_stat {
	ACL_STAT_PASSED, /* by a rule or the default */
	ACL_STAT_DROPPED, /* by a rule or the default */
	ACL_STAT_NOT_IP, /* not IPv4/IPv6, or a truncated header: always passed */
	ACL_STAT_DEFAULT, /* decided by the default action */
	ACL_STAT_MAX
};

#endif
