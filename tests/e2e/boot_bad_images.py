#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""e2e_boot_bad_images: `ferry boot` on a missing, empty, truncated or random
kernel exits non-zero with exactly one line saying why, and starts no guest."""
import os
import random
import struct

from ferrytest import check as t
from ferrytest import ferry as f

t.require_kvm()
with open(f.guest_bin(), "rb") as fh:
    elf = fh.read()


def load_end(image):
    """End of the last PT_LOAD segment's bytes in the file."""
    phoff, = struct.unpack_from("<Q", image, 32)
    phentsize, phnum = struct.unpack_from("<HH", image, 54)
    end = 0
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", image,
                                                                 phoff + i * phentsize)
        if p_type == 1:
            end = max(end, p_offset + p_filesz)
    return end


rng = random.Random(2026)
tmp = t.workdir()
cases = {
    "missing": None,
    "empty": b"",
    "truncated-elf-header": elf[:40],
    "truncated-elf-segments": elf[:load_end(elf) - 1],
    "truncated-elf-phdrs": elf[:80],
    "random": bytes(rng.getrandbits(8) for _ in range(65536)),
    "fake-bzimage": b"\0" * 0x1fe + b"\x55\xaa" + b"\0\0HdrS" + b"\0" * 64,
}
for name, data in cases.items():
    path = os.path.join(tmp, name)
    if data is not None:
        with open(path, "wb") as fh:
            fh.write(data)
    rc, out, err = f.run_ferry(["boot", "--kernel", path, "--no-stdin"], timeout=30)
    lines = [l for l in err.splitlines() if l.strip()]
    t.check(rc != 0, "%s: non-zero exit (%d)" % (name, rc))
    t.check(len(lines) == 1 and path in lines[0],
            "%s: one line naming the file: %r" % (name, err.strip()))
    t.check(out == "", "%s: no guest output" % name)
rc, out, err = f.run_ferry(["boot", "--kernel", tmp, "--no-stdin"], timeout=30)
t.check(rc != 0 and len(err.strip().splitlines()) == 1, "a directory: one-line error")
t.passed()
