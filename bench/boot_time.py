#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Boot time of Ferry's test guest: process start to guest exit (the guest
writes the debug-exit port as soon as it has booted and reported), median of
N runs, beside QEMU booting the same PVH guest in the same invocation
(microvm machine, direct kernel boot, under KVM and under TCG).

usage: boot_time.py FERRY GUEST [--runs N] [--vcpus N] [--json]"""
import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time

QEMU = "qemu-system-x86_64"


def ferry_cmd(a):
    return [a.ferry, "boot", "--kernel", a.guest, "--cmdline", "mode=hello",
            "--mem", "128M", "--vcpus", str(a.vcpus), "--no-stdin"], 0


def qemu_cmd(a, accel):
    # isa-debug-exit turns the guest's status V into (V << 1) | 1.
    return [QEMU, "-accel", accel, "-M", "microvm,x-option-roms=off,rtc=off", "-m", "128M",
            "-smp", str(a.vcpus), "-nodefaults", "-no-user-config", "-nographic",
            "-serial", "stdio", "-kernel", a.guest, "-append", "mode=hello",
            "-device", "isa-debug-exit,iobase=0x501,iosize=1"], 1


def measure(cmd, want_rc, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
        dt = time.perf_counter() - t0
        if p.returncode != want_rc or b"FERRY-RESULT mode=hello" not in p.stdout:
            raise RuntimeError("%s exited %d:\n%s" % (cmd[0], p.returncode,
                                                      p.stdout.decode(errors="replace")[-500:]))
        times.append(dt * 1000.0)
    return {"median_ms": statistics.median(times), "min_ms": min(times),
            "max_ms": max(times), "runs": runs}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ferry")
    ap.add_argument("guest")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--vcpus", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    res = {"ferry": measure(*ferry_cmd(a), a.runs)}
    if shutil.which(QEMU):
        for accel in ("kvm", "tcg"):
            try:
                res["qemu_" + accel] = measure(*qemu_cmd(a, accel), a.runs)
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                res["qemu_" + accel] = {"error": str(e).splitlines()[0]}
    for peer in ("qemu_kvm", "qemu_tcg"):
        if "median_ms" in res.get(peer, {}):
            res["ratio_" + peer] = res[peer]["median_ms"] / res["ferry"]["median_ms"]
    if a.json:
        json.dump(res, sys.stdout, indent=2)
        print()
        return
    print("boot to guest exit, %d runs, %d vCPU(s), 128 MiB:" % (a.runs, a.vcpus))
    for name, r in res.items():
        if name.startswith("ratio_"):
            print("  %-9s is %.2fx Ferry's median" % (name[6:], r))
        elif "error" in r:
            print("  %-9s failed: %s" % (name, r["error"]))
        else:
            print("  %-9s median %7.1f ms  (min %.1f, max %.1f)" % (name, r["median_ms"],
                                                                    r["min_ms"], r["max_ms"]))


if __name__ == "__main__":
    main()
