#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Guest-to-guest throughput through Ferry's switch, and Ferry's idle CPU.

throughput: two test guests on one tenant; guest a sends N frames of SIZE
bytes as fast as it can (role=send), guest b counts and verifies them
(role=recv).  Reported: Mpps at the receiver, loss, and beside it, in the
same invocation, the switch's own ceiling (dummy ports, no guests:
bench_vswitch) so the cost of the guests' virtio rings is visible.

idle: two guests attached but silent (sinks waiting on MSI-X interrupts in
hlt); ferry's CPU use over a window, per thread, plus the PMD's sleep count.

usage: vm2vm.py FERRY GUEST [--count N] [--size S] [--idle-seconds T] [--vswitch-bench BIN] [--json]"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import e2e  # noqa: E402  (shared config writer and result parser)

A, B = "52:54:00:00:0b:01", "52:54:00:00:0b:02"


def throughput(a, tmp):
    cfg = os.path.join(tmp, "tput.json")
    e2e.write_config(cfg, a.guest, {"t": 1}, [
        # The receiver sleeps on MSI-X: a polling one fights the sender for a core here.
        ("rx", "t", B, "mode=net role=recv tag=t count=%d timeout_ms=60000 irq=msix" % a.count),
        ("tx", "t", A, "mode=net role=send tag=t peer=%s count=%d size=%d" % (B, a.count, a.size)),
    ], switch={"hugepages": "auto", "mbufs": 32768})
    p = subprocess.run([a.ferry, "run", cfg], capture_output=True, text=True, timeout=300)
    res = e2e.vm_results(p.stdout)
    rx, tx = res.get("rx", [{}])[-1], res.get("tx", [{}])[-1]
    got = int(rx.get("received", 0))
    # The summary's tenant row: how much the switch forwarded out of the
    # sender's ring, and how much of it the receiver had no buffer for.
    m = re.search(r"^t\s+1\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", p.stdout, re.M)
    unicast = int(m.group(2)) if m else 0
    tx_s = float(tx.get("ms", 0)) / 1000.0
    return {
        "size": a.size, "frames": a.count, "received": got, "lost": a.count - got,
        "rx_mpps": float(rx.get("pps", 0)) / 1e6, "tx_mpps": float(tx.get("pps", 0)) / 1e6,
        "switched_mpps": unicast / tx_s / 1e6 if tx_s else 0.0,
        "undelivered": int(m.group(5)) if m else None,
        "ferry_exit": p.returncode,
    }


def switch_ceiling(binary):
    if not binary or not os.path.exists(binary):
        return None
    p = subprocess.run([binary, "3"], capture_output=True, text=True, timeout=120)
    m = re.search(r"([\d.]+)\s*Mpps", p.stdout)
    return float(m.group(1)) if m else None


def thread_cpu(pid):
    """{thread name: cpu seconds} from /proc."""
    out = {}
    tck = os.sysconf("SC_CLK_TCK")
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                s = f.read()
        except OSError:
            continue
        name = s[s.index("(") + 1:s.rindex(")")]
        fields = s[s.rindex(")") + 2:].split()
        out[name] = out.get(name, 0) + (int(fields[11]) + int(fields[12])) / tck
    return out


def idle(a, tmp):
    cfg = os.path.join(tmp, "idle.json")
    ms = int((a.idle_seconds + 30) * 1000)
    e2e.write_config(cfg, a.guest, {"t": 1}, [
        ("s1", "t", A, "mode=net role=sink tag=t irq=msix timeout_ms=%d" % ms),
        ("s2", "t", B, "mode=net role=sink tag=t irq=msix timeout_ms=%d" % ms),
    ])
    p = subprocess.Popen([a.ferry, "run", cfg], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    time.sleep(3)  # boot and settle: the PMD goes to sleep after its idle time
    before, t0 = thread_cpu(p.pid), time.time()
    time.sleep(a.idle_seconds)
    after, dt = thread_cpu(p.pid), time.time() - t0
    p.terminate()
    out, _ = p.communicate(timeout=60)
    per = {k: 100.0 * (after.get(k, 0) - before.get(k, 0)) / dt for k in after}
    m = re.search(r"pmd0: (\d+) sleeps; wake-up latency min/avg/max ([\d.]+)/([\d.]+)/([\d.]+) us",
                  out)
    return {"window_s": round(dt, 1), "ferry_cpu_pct": round(sum(per.values()), 2),
            "per_thread_pct": {k: round(v, 2) for k, v in sorted(per.items()) if v > 0.005},
            "pmd_sleeps": int(m.group(1)) if m else None,
            "wake_latency_us": [float(x) for x in m.groups()[1:]] if m else None}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ferry")
    ap.add_argument("guest")
    ap.add_argument("--count", type=int, default=2000000)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--idle-seconds", type=float, default=10)
    ap.add_argument("--vswitch-bench", default=None)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        r = {"throughput": throughput(a, tmp), "switch_only_mpps": switch_ceiling(a.vswitch_bench),
             "idle": idle(a, tmp)}
    if r["switch_only_mpps"]:
        r["guest_vs_switch_only"] = r["throughput"]["rx_mpps"] / r["switch_only_mpps"]
    if a.json:
        json.dump(r, sys.stdout, indent=2)
        print()
        return
    t, i = r["throughput"], r["idle"]
    print("vm2vm %d B: the sending guest offered %.2f Mpps; the switch forwarded %.2f Mpps "
          "from its ring to the receiver's port; the receiving guest took %.2f Mpps "
          "(%d of %d frames found no receive buffer)"
          % (t["size"], t["tx_mpps"], t["switched_mpps"], t["rx_mpps"], t["lost"], t["frames"]))
    if r["switch_only_mpps"]:
        print("switch alone (dummy ports): %.2f Mpps; guests reach %.0f%% of it"
              % (r["switch_only_mpps"], 100 * r["guest_vs_switch_only"]))
    print("idle: ferry used %.2f%% of one core over %.0f s with 2 silent guests (%s)"
          % (i["ferry_cpu_pct"], i["window_s"], i["per_thread_pct"]))
    if i["wake_latency_us"]:
        print("PMD slept %d times; wake-up latency min/avg/max %.1f/%.1f/%.1f us"
              % ((i["pmd_sleeps"],) + tuple(i["wake_latency_us"])))


if __name__ == "__main__":
    main()
