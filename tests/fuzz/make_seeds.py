#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes the seed corpora of tests/fuzz/corpus/: for each harness a few
inputs that walk its happy paths (a session that sets rings up, a ring with
chains, a kernel image each loader accepts, configs), so fuzzing starts deep
instead of at the first check.  The files are checked in; rerun this when a
harness's input format changes.  usage: make_seeds.py [CORPUS_DIR]
fuzz_wg's messages need its fixed keys: the harness writes them (FUZZ_WG is
its path, by default build-fuzz's); without it that corpus is left alone."""
import json
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")


def put(harness, name, data):
    d = os.path.join(OUT, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- fuzz_boot: images ----

def bzimage(payload=4096):
    setup = 2 * 512
    b = bytearray(setup + payload)
    b[0x1f1] = 1  # setup_sects
    b[0x1fe:0x200] = b"\x55\xaa"
    b[0x201] = 0x66
    b[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", b, 0x206, 0x020f)  # protocol 2.15
    b[0x211] = 0x01  # LOADED_HIGH
    struct.pack_into("<I", b, 0x22c, 0x7fffffff)  # initrd_addr_max
    struct.pack_into("<H", b, 0x236, 0x01)  # XLF_KERNEL_64
    struct.pack_into("<I", b, 0x238, 2047)  # cmdline_size
    struct.pack_into("<I", b, 0x260, 4 << 20)  # init_size
    return bytes(b)


def elf_pvh():
    """ELF64 with one PT_LOAD at 1 MiB and a PT_NOTE holding the PVH entry."""
    ehdr, phdr = 64, 56
    note = struct.pack("<III", 4, 8, 18) + b"Xen\0" + struct.pack("<Q", 0x100000)
    code = b"\xf4" * 64  # hlt
    off_note = ehdr + 2 * phdr
    off_code = off_note + len(note)
    e = bytearray(b"\x7fELF\x02\x01\x01" + b"\0" * 9)
    e += struct.pack("<HHIQQQIHHHHHH", 2, 0x3e, 1, 0x100000, ehdr, 0, 0, ehdr, phdr, 2, 64, 0, 0)
    e += struct.pack("<IIQQQQQQ", 1, 5, off_code, 0x100000, 0x100000, len(code), len(code) + 4096,
                     0x1000)
    e += struct.pack("<IIQQQQQQ", 4, 4, off_note, 0, 0, len(note), len(note), 4)
    return bytes(e) + note + code


put("fuzz_boot", "bzimage", bzimage())
put("fuzz_boot", "elf-pvh", elf_pvh())

# ---- fuzz_config: files and items ----

ex = os.path.join(HERE, "..", "..", "config", "examples")
for name in sorted(os.listdir(ex)):
    with open(os.path.join(ex, name), "rb") as f:
        put("fuzz_config", name, f.read())
put("fuzz_config", "tenant", json.dumps({"name": "red", "vni": 100}).encode())
put("fuzz_config", "port", json.dumps({"name": "vu0", "path": "/tmp/vu0.sock",
                                       "mode": "server", "tenant": "red"}).encode())
put("fuzz_config", "vm", json.dumps({"name": "a", "kernel": "/k", "memory": "64M",
                                     "nics": [{"tenant": "red",
                                               "mac": "52:54:00:00:00:01"}]}).encode())

# ---- fuzz_virtq: a guest script (fake_guest.c's ring layout) ----
# fg_vq_init() puts the rx rings first, then tx's, from guest address 0x1000
# (16-byte descriptors, then avail, then used, each page-aligned by the
# allocator); the seed writes a tx chain and lets the device run, then
# delivers frames to rx.


def rec(op, arg):
    return bytes([op, len(arg)]) + arg


def gwrite(gpa, data):
    return rec(0, bytes([gpa & 0xff, (gpa >> 8) & 0xff, (gpa >> 16) & 0xff]) + data)


QSIZE = 64
RX_DESC, TX_DESC = 0x1000, 0x4000  # see fake_guest.c: each ring takes three pages
frame = bytes(12) + b"\xff" * 6 + b"\x02\0\0\0\0\x01" + b"\x88\xb5" + bytes(46)
seed = bytes([0x1f])  # every feature
seed += gwrite(0x20000, frame)
seed += gwrite(TX_DESC, struct.pack("<QIHH", 0x20000, len(frame), 0, 0))
seed += gwrite(TX_DESC + 16 * QSIZE, struct.pack("<HHH", 0, 1, 0))  # avail: idx 1, ring[0] 0
seed += rec(1, b"")
seed += gwrite(RX_DESC, struct.pack("<QIHH", 0x30000, 2048, 2, 0))  # writable
seed += gwrite(RX_DESC + 16 * QSIZE, struct.pack("<HHH", 0, 1, 0))
seed += rec(2, bytes([60, 0, 200, 8]))
seed += rec(3, b"")
put("fuzz_virtq", "tx-then-rx", seed)
# The same on packed rings: one available descriptor each (AVAIL set in lap 1, id 0).
seed = bytes([0x9f])  # every feature, packed rings
seed += gwrite(0x20000, frame)
seed += gwrite(TX_DESC, struct.pack("<QIHH", 0x20000, len(frame), 0, 0x80))
seed += rec(1, b"")
seed += gwrite(RX_DESC, struct.pack("<QIHH", 0x30000, 2048, 0, 0x82))  # writable
seed += rec(2, bytes([60, 0, 200, 8]))
seed += rec(3, b"")
put("fuzz_virtq", "packed-tx-then-rx", seed)
put("fuzz_virtq", "empty", bytes([0]))

# ---- fuzz_vqdev: a disk read and a VQ_PAIRS_SET (the disk's rings first, then the
# control queue's, laid out as for fuzz_virtq) ----
BLK_DESC, CTRL_DESC = 0x1000, 0x4000
seed = bytes([0x3])  # EVENT_IDX and INDIRECT, a writable disk
seed += gwrite(0x20000, struct.pack("<IIQ", 0, 0, 2))  # VIRTIO_BLK_T_IN at sector 2
seed += gwrite(BLK_DESC, struct.pack("<QIHH", 0x20000, 16, 1, 1) +
               struct.pack("<QIHH", 0x21000, 512, 3, 2) + struct.pack("<QIHH", 0x22000, 1, 2, 0))
seed += gwrite(BLK_DESC + 16 * QSIZE, struct.pack("<HHH", 0, 1, 0))
seed += rec(1, b"")
seed += gwrite(0x23000, bytes([4, 0]) + struct.pack("<H", 2))  # VIRTIO_NET_CTRL_MQ, 2 pairs
seed += gwrite(CTRL_DESC, struct.pack("<QIHH", 0x23000, 4, 1, 1) +
               struct.pack("<QIHH", 0x24000, 1, 2, 0))
seed += gwrite(CTRL_DESC + 16 * QSIZE, struct.pack("<HHH", 0, 1, 0))
seed += rec(2, b"")
put("fuzz_vqdev", "read-and-pairs", seed)
put("fuzz_vqdev", "empty", bytes([0]))

# ---- fuzz_vhost_user: a session as a frontend starts it ----


def msg(req, payload=b"", flags=1):
    return struct.pack("<III", req, flags, len(payload)) + payload


def vrec(fds, data):
    return bytes([fds]) + struct.pack("<H", len(data)) + data


F_VERSION_1 = 1 << 32
s = b""
s += vrec(0, msg(1))  # GET_FEATURES
s += vrec(0, msg(3))  # SET_OWNER
s += vrec(0, msg(2, struct.pack("<Q", F_VERSION_1)))  # SET_FEATURES
s += vrec(1, msg(5, struct.pack("<II", 1, 0) +
                 struct.pack("<QQQQ", 0, 1 << 20, 0x7f0000000000, 0)))  # SET_MEM_TABLE + memfd
for idx in (0, 1):
    base = 0x7f0000000000 + idx * 0x10000
    s += vrec(0, msg(8, struct.pack("<II", idx, 64)))  # SET_VRING_NUM
    s += vrec(0, msg(10, struct.pack("<II", idx, 0)))  # SET_VRING_BASE
    s += vrec(0, msg(9, struct.pack("<IIQQQQ", idx, 0, base, base + 0x2000, base + 0x1000, 0)))
    s += vrec(4, msg(13, struct.pack("<Q", idx)))  # SET_VRING_CALL + eventfd
    s += vrec(4 | 0x80, msg(12, struct.pack("<Q", idx)))  # SET_VRING_KICK + eventfd, run
put("fuzz_vhost_user", "session", s)
put("fuzz_vhost_user", "get-features", vrec(0, msg(1)))

# ---- fuzz_pci: a driver bringing the device up ----


def access(bar, write, width, off, val):
    return struct.pack("<BBHI", (1 if bar else 0) | (2 if write else 0), width, off, val)


p = b""
p += access(False, False, 2, 0x00, 0)  # vendor id
p += access(False, False, 0, 0x34, 0)  # capability list
p += access(True, True, 0, 0x14, 1)  # status: ACKNOWLEDGE
p += access(True, True, 0, 0x14, 3)  # DRIVER
p += access(True, True, 2, 0x00, 1)  # device_feature_select 1
p += access(True, False, 2, 0x04, 0)  # device_feature
p += access(True, True, 2, 0x08, 1)  # driver_feature_select 1
p += access(True, True, 2, 0x0c, 1)  # VERSION_1
p += access(True, True, 0, 0x14, 11)  # FEATURES_OK
p += access(True, True, 1, 0x16, 0)  # queue_select 0
p += access(True, True, 2, 0x20, 0x10000)  # queue_desc
p += access(True, True, 2, 0x28, 0x11000)  # queue_driver
p += access(True, True, 2, 0x30, 0x12000)  # queue_device
p += access(True, True, 1, 0x1c, 1)  # queue_enable
p += access(True, True, 0, 0x14, 15)  # DRIVER_OK
p += access(True, True, 1, 0x3000, 0)  # notify queue 0
put("fuzz_pci", "bring-up", p)

# ---- fuzz_vfio: a QEMU-NVMe-like VF, then a driver enabling MSI-X ----

def vf_config():
    c = bytearray(256)
    struct.pack_into("<HHHH", c, 0, 0x1b36, 0x0010, 0, 0x10)  # IDs, command, status: caps
    struct.pack_into("<I", c, 0x08, 0x01080202)
    struct.pack_into("<I", c, 0x10, 0x4)  # BAR0: 64-bit memory
    c[0x34] = 0x40
    c[0x40:0x43] = bytes([0x01, 0x50, 0x03])  # PM
    c[0x50:0x52] = bytes([0x05, 0x60])  # MSI (hidden)
    c[0x60:0x62] = bytes([0x11, 0x70])  # MSI-X: 4 vectors, table 0x2000, PBA 0x3000
    struct.pack_into("<HII", c, 0x62, 3, 0x2000, 0x3000)
    c[0x70:0x73] = bytes([0x10, 0xb0, 0x02])  # PCIe
    c[0xb0:0xb2] = bytes([0x09, 0x00])  # vendor-specific (hidden)
    return bytes(c) + bytes([14 | 0x40, 0, 0, 0, 0, 0])  # BAR0: 16 KiB, mappable


p = vf_config()
p += access(False, False, 2, 0x4a, 0)  # MSI-X control (PM at 0x40, MSI-X at 0x48)
p += access(False, True, 1, 0x04, 0x06)  # memory + bus master
p += access(True, True, 2, 0x2000, 0xfee00000)  # entry 0 address
p += access(True, True, 2, 0x2008, 0x41)  # entry 0 data
p += access(True, True, 2, 0x200c, 0)  # unmask
p += access(False, True, 1, 0x4a, 0x8000)  # MSI-X enable
p += access(True, False, 3, 0x3000, 0)  # PBA
p += access(True, True, 2, 0x2800, 1)  # the table page past the table
p += access(False, True, 1, 0x4a, 0)  # MSI-X off
put("fuzz_vfio", "nvme-vf", p)

# ---- fuzz_vxlan: packets a remote VTEP sends to 10.0.0.1 / 2001:db8::1 ----


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def vxlan(v6, udp_csum, vni=100):
    inner = b"\xff" * 6 + b"\x02\0\0\0\0\x99" + b"\x08\x06" + bytes(range(46))
    vx = struct.pack("!BBHI", 0x08, 0, 0, vni << 8)
    ulen = 8 + len(vx) + len(inner)
    if v6:
        src, dst = bytes.fromhex("20010db8" + "0" * 23 + "2"), bytes.fromhex("20010db8" + "0" * 23 + "1")
        pseudo = src + dst + struct.pack("!IxxxB", ulen, 17)
    else:
        src, dst = bytes([10, 0, 0, 2]), bytes([10, 0, 0, 1])
        pseudo = src + dst + struct.pack("!xBH", 17, ulen)
    udp = struct.pack("!HHHH", 50000, 4789, ulen, 0) + vx + inner
    if udp_csum or v6:
        c = csum(pseudo + udp) or 0xffff
        udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    if v6:
        ip = struct.pack("!IHBB", 6 << 28, ulen, 17, 64) + src + dst
        eth_type = b"\x86\xdd"
    else:
        ip = struct.pack("!BBHHHBBH", 0x45, 0, 20 + ulen, 0, 0x4000, 64, 17, 0) + src + dst
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        eth_type = b"\x08\x00"
    return b"\x02\0\0\0\0\x11" + b"\x02\0\0\0\0\x22" + eth_type + ip + udp


put("fuzz_vxlan", "ipv4", vxlan(False, False))
put("fuzz_vxlan", "ipv4-csum", vxlan(False, True))
put("fuzz_vxlan", "ipv6", vxlan(True, True))
put("fuzz_vxlan", "arp", b"\xff" * 6 + b"\x02\0\0\0\0\x22\x08\x06" + b"\0\x01\x08\x00\x06\x04\0\x01"
    + b"\x02\0\0\0\0\x22" + bytes([10, 0, 0, 2]) + b"\0" * 6 + bytes([10, 0, 0, 1]))

# ---- fuzz_arp: frames a guest of an EVPN tenant sends ----


def arp(op, sha, spa, tpa, src=None, pad=0):
    """Ethernet + ARP (IPv4 over Ethernet), @op 1 request or 2 reply."""
    dst = b"\xff" * 6 if op == 1 else b"\x02\0\0\0\0\x01"
    return (dst + (src or sha) + b"\x08\x06" + b"\0\x01\x08\x00\x06\x04" + bytes([0, op]) + sha
            + bytes(spa) + (b"\0" * 6 if op == 1 else b"\x02\0\0\0\0\x01") + bytes(tpa)
            + b"\0" * pad)


GUEST_MAC = b"\x52\x54\0\0\x64\x01"
put("fuzz_arp", "request", arp(1, GUEST_MAC, [10, 60, 0, 1], [10, 60, 0, 2]))
put("fuzz_arp", "reply-padded", arp(2, GUEST_MAC, [10, 60, 0, 1], [10, 60, 0, 2], pad=18))
put("fuzz_arp", "probe", arp(1, GUEST_MAC, [0, 0, 0, 0], [10, 60, 0, 1]))
put("fuzz_arp", "spoofed-sha", arp(1, GUEST_MAC, [10, 60, 0, 9], [10, 60, 0, 2],
                                   src=b"\x52\x54\0\0\x64\x07"))
put("fuzz_arp", "short", arp(1, GUEST_MAC, [10, 60, 0, 1], [10, 60, 0, 2])[:41])

# ---- fuzz_wg: WireGuard messages under the harness's fixed keys ----
# The harness writes the valid messages (it alone has the keys); the cut-short
# ones and the records of its second mode (first byte 0x80: each record a LE16
# length and a datagram whose MACs it writes, or which it seals if data) are
# made here from them.

WG = os.environ.get("FUZZ_WG", os.path.join(HERE, "..", "..", "build-fuzz", "tests", "fuzz",
                                            "fuzz_wg"))
WG_IDX_A1, WG_IDX_B = 0x0a000001, 0x0b000001  # fuzz_wg.c: the keypairs' local indices
WG_REJECT = 2**64 - 2**13 - 1  # REJECT_AFTER_MESSAGES


def wg_data(index, counter, payload=b""):
    return struct.pack("<IIQ", 4, index, counter) + payload + bytes(16)


def wg_records(*msgs):
    return b"\x80" + b"".join(struct.pack("<H", len(m)) + m for m in msgs)


if os.access(WG, os.X_OK):
    d = os.path.join(OUT, "fuzz_wg")
    os.makedirs(d, exist_ok=True)
    subprocess.run([WG], env=dict(os.environ, FUZZ_WG_WRITE_SEEDS=d), check=True,
                   stdout=subprocess.DEVNULL)
    with open(os.path.join(d, "initiation"), "rb") as f:
        init = f.read()
    with open(os.path.join(d, "response"), "rb") as f:
        resp = f.read()
    with open(os.path.join(d, "data"), "rb") as f:
        data = f.read()
    put("fuzz_wg", "initiation-short", init[:-1])
    put("fuzz_wg", "data-short", data[:31])
    # MACs zeroed: the harness writes them.
    put("fuzz_wg", "fixed-handshake", wg_records(init[:-32] + bytes(32), resp[:-32] + bytes(32)))
    # Ephemeral keys of small order (here zero): every Diffie-Hellman with them is refused.
    put("fuzz_wg", "fixed-small-order",
        wg_records(init[:8] + bytes(32) + init[40:-32] + bytes(32),
                   resp[:12] + bytes(32) + resp[44:-32] + bytes(32)))
    # A's keys: in order, late, replayed, far ahead, too old, past the last; B's: a keepalive.
    put("fuzz_wg", "fixed-replay", wg_records(
        *[wg_data(WG_IDX_A1, c, b"\x45" + bytes(15)) for c in (5, 3, 5, 9000, 2, WG_REJECT)],
        wg_data(WG_IDX_B, 0)))
else:
    print("make_seeds.py: no %s (build it with -Dfuzz=true, or set FUZZ_WG): "
          "corpus/fuzz_wg left as it is" % WG, file=sys.stderr)


# ---- fuzz_gso: TSO frames as a guest with HOST_TSO sends them ----

def tso_seed(v6, flags, payload=3000, mss=1448):
    eth = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01" + (b"\x86\xdd" if v6 else b"\x08\x00")
    tcp = struct.pack("!HHIIBBHHH", 1234, 80, 1000, 0, 0x50, 0x18, 65535, 0, 0)
    if v6:
        ip = struct.pack("!IHBB", 6 << 28, 20 + payload, 6, 64) + bytes(15) + b"\x01" + \
            bytes(15) + b"\x02"
    else:
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + payload, 7, 0x4000, 64, 6, 0,
                         b"\x0a\0\0\x01", b"\x0a\0\0\x02")
    head = struct.pack("<BHBBB", flags | (1 if v6 else 0), mss, 14, len(ip), 20)
    return head + eth + ip + tcp + bytes((i * 13) & 0xff for i in range(payload))


put("fuzz_gso", "tcp4", tso_seed(False, 0))
put("fuzz_gso", "tcp4-pending-chained", tso_seed(False, 2 | 8))
put("fuzz_gso", "tcp6", tso_seed(True, 2))
put("fuzz_gso", "udp-csum", tso_seed(False, 4, payload=100))
