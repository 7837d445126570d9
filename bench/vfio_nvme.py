#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Passthrough I/O: the same NVMe VF driven by the same guest through Ferry
and through QEMU (-accel kvm, q35, vfio-pci), in one invocation.

It runs in the nested test bed (ferrytest.nested): an L1 under TCG with
QEMU's VT-d (interrupt remapping on) and an SR-IOV NVMe controller; L1 makes
VF 0 usable.  Ferry's test guest (mode=nvme bench_ms=...) reads one block
after another at queue depth 1 for the given time, each completion taken
after its MSI-X interrupt, so every read costs one doorbell write (straight
to the device through a KVM memory slot in Ferry; QEMU maps the BAR too)
and one interrupt (VFIO eventfd -> KVM irqfd in both).  Ferry and QEMU take
turns, --runs times each; printed: reads per second and microseconds per
read, medians, and Ferry/QEMU.  Absolute numbers are those of an emulated
device under TCG (QEMU's NVMe model does the I/O): only the ratio counts.

usage: vfio_nvme.py [--ferry BIN] [--guest BIN] [--seconds S] [--runs N] [--json]"""
import argparse
import json
import os
import statistics
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
from ferrytest import nested  # noqa: E402  (the one test library)

BUILD = os.path.join(HERE, "..", "build")
QEMU_Q35_FIRMWARE = ("/usr/share/seabios/bios-256k.bin", "/usr/share/qemu/kvmvapic.bin")


def payload(runs, ms):
    cmdline = "mode=nvme lba=3 bench_ms=%d timeout_ms=120000" % ms
    return nested.NVME_VF_SETUP + r"""
cat > /tmp/vm.json <<JSON
{"vms": [{"name": "nvme", "kernel": "/guest", "memory": "64M", "debug_exit": true,
          "cmdline": "@CMDLINE@", "passthrough": [{"pf": "$PF", "vf": 0}]}]}
JSON
for r in $(seq @RUNS@); do
    ferry run /tmp/vm.json > /tmp/ferry.log 2>&1
    grep -a FERRY-RESULT /tmp/ferry.log | sed 's/^/NESTED-FERRY /'
    qemu-system-x86_64 -accel kvm -machine q35 -cpu host -m 64M -nodefaults -nographic \
        -serial stdio -monitor none -display none -kernel /guest -append "@CMDLINE@" \
        -device vfio-pci,host=$VF -device isa-debug-exit,iobase=0x501,iosize=1 \
        > /tmp/qemu.log 2>&1
    grep -a FERRY-RESULT /tmp/qemu.log | sed 's/^/NESTED-QEMU /'
    grep -a -i -e error -e warning /tmp/qemu.log | head -3 | sed 's/^/NESTED-QEMU-SAID /'
done
""".replace("@CMDLINE@", cmdline).replace("@RUNS@", str(runs))


def rates(lines):
    """[(reads per second, us per read)] of the result lines."""
    out = []
    for line in lines:
        kv = dict(w.split("=", 1) for w in line.split() if "=" in w)
        reads, us = int(kv.get("reads", 0)), int(kv.get("read_us", 0))
        if kv.get("block") != "ok" or not reads or not us:
            raise RuntimeError("a run did not complete: %s" % line)
        out.append((reads * 1e6 / us, us / reads))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ferry", default=os.path.join(BUILD, "cli", "ferry"))
    ap.add_argument("--guest", default=os.path.join(BUILD, "tests", "guest", "ferry-guest"))
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="ferry-bench-vfio-")
    image = os.path.join(tmp, "nvme.img")
    with open(image, "wb") as fp:
        fp.truncate(1 << 20)
    files = {"/guest": a.guest}
    files.update({fw: fw for fw in QEMU_Q35_FIRMWARE})
    bed = nested.Bed(a.ferry, payload(a.runs, int(a.seconds * 1000)), files=files, qemu=True,
                     l1_modules=("kvm_amd", "vfio-pci"),
                     binaries={"/usr/bin/nvme": "/usr/sbin/nvme"})
    console, m, took = bed.run(tmp, "vfio_nvme", timeout=600 + int(a.runs * a.seconds * 20),
                               extra=nested.nvme_sriov_argv(image), append="intel_iommu=on",
                               stall=nested.STALL_S + int(a.seconds * 2))
    if m.get("QEMU-SAID"):
        print("qemu said: %s" % "; ".join(m["QEMU-SAID"]), file=sys.stderr)
    ferry, qemu = rates(m.get("FERRY", [])), rates(m.get("QEMU", []))
    if len(ferry) != a.runs or len(qemu) != a.runs:
        raise RuntimeError("expected %d runs each, got Ferry %d, QEMU %d (console in %s)"
                           % (a.runs, len(ferry), len(qemu), tmp))
    fr = statistics.median(r for r, _ in ferry)
    qr = statistics.median(r for r, _ in qemu)
    res = {"seconds": a.seconds, "runs": a.runs,
           "ferry": {"reads_per_s": [round(r) for r, _ in ferry], "median": round(fr),
                     "us_per_read": round(statistics.median(u for _, u in ferry), 1)},
           "qemu": {"reads_per_s": [round(r) for r, _ in qemu], "median": round(qr),
                    "us_per_read": round(statistics.median(u for _, u in qemu), 1)},
           "ratio_ferry_qemu": round(fr / qr, 3), "nested_s": round(took, 1)}
    if a.json:
        print(json.dumps(res, indent=1))
        return
    print("NVMe VF passthrough, queue depth 1, 512-byte reads, %.1f s x %d runs each "
          "(nested bed, L1 under TCG)" % (a.seconds, a.runs))
    for name in ("ferry", "qemu"):
        r = res[name]
        print("  %-6s %8d reads/s median (%s), %7.1f us per read"
              % (name, r["median"], ", ".join(str(x) for x in r["reads_per_s"]),
                 r["us_per_read"]))
    print("  Ferry/QEMU: %.3f" % res["ratio_ferry_qemu"])


if __name__ == "__main__":
    main()
