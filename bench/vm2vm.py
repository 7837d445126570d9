#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Guest-to-guest throughput through Ferry's switch, and Ferry's idle CPU.

throughput: two test guests on one tenant; the pktgen guest sends SIZE-byte
frames (RFC 2544 sizes: the FCS counted, the frames in the rings 4 bytes
shorter) flat out for a while, the receiving guest counts and checks them.
Reported, from one run: what the sender offered, what the switch delivered
to the receiver's port (the summary's per-NIC "to guest" count: frames put
in the receiver's ring, not frames queued for it), what the receiving guest
took, and what found no receive buffer; beside it, in the same invocation,
the switch's own ceiling (dummy ports, no guests: bench_vswitch).

idle: two guests attached but silent (sinks waiting on MSI-X interrupts in
hlt); ferry's CPU use over a window, per thread, plus the PMD's sleep count.

usage: vm2vm.py FERRY GUEST [--seconds S] [--size S] [--idle-seconds T]
                 [--vswitch-bench BIN] [--json]"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
from ferrytest import ferry as fy  # noqa: E402  (the one test library)
from ferrytest.proc import Proc  # noqa: E402

A, B = "52:54:00:00:0b:01", "52:54:00:00:0b:02"


def throughput(a, tmp):
    ms = int(a.seconds * 1000)
    cfg = fy.write_config(os.path.join(tmp, "tput.json"), {"t": 1}, [
        # The receiver sleeps on MSI-X: a polling one fights the sender for a core here.
        fy.guest_vm("rx", B, "mode=pktgen role=rx tag=t duration_ms=%d irq=msix" % (ms + 5000),
                    tenant="t", guest=a.guest),
        fy.guest_vm("tx", A, "mode=pktgen role=tx tag=t peer=%s size=%d rate=0 duration_ms=%d"
                    % (B, a.size, ms), tenant="t", guest=a.guest),
    ], switch={"hugepages": "auto", "mbufs": 32768})
    p = Proc("ferry", [a.ferry, "run", cfg], logdir=tmp)
    rc = p.wait(a.seconds + 120)
    res = fy.results(p.text())
    rx, tx = res.get("rx", [{}])[-1], res.get("tx", [{}])[-1]
    nic = fy.summary(p.text())["nics"].get("rx.0", {})
    tx_s = float(tx.get("ms", 0)) / 1000.0
    delivered = nic.get("to_guest", 0)
    return {
        "size": a.size, "sent": int(tx.get("sent", 0)), "received": int(rx.get("received", 0)),
        "delivered_to_rx_port": delivered, "undelivered": nic.get("undelivered"),
        "tx_mpps": float(tx.get("pps", 0)) / 1e6,
        "delivered_mpps": delivered / tx_s / 1e6 if tx_s else 0.0,
        "rx_mpps": float(rx.get("pps", 0)) / 1e6,
        "ferry_exit": rc,
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
    ms = int((a.idle_seconds + 30) * 1000)
    cfg = fy.write_config(os.path.join(tmp, "idle.json"), {"t": 1}, [
        fy.guest_vm("s1", A, "mode=net role=sink tag=t irq=msix timeout_ms=%d" % ms,
                    tenant="t", guest=a.guest),
        fy.guest_vm("s2", B, "mode=net role=sink tag=t irq=msix timeout_ms=%d" % ms,
                    tenant="t", guest=a.guest),
    ])
    # ferry itself, not a wrapper: its threads are what is measured.
    p = Proc("ferry-idle", [a.ferry, "run", cfg], logdir=tmp)
    time.sleep(3)  # boot and settle: the PMD goes to sleep after its idle time
    before, t0 = thread_cpu(p.p.pid), time.time()
    time.sleep(a.idle_seconds)
    after, dt = thread_cpu(p.p.pid), time.time() - t0
    p.stop()
    per = {k: 100.0 * (after.get(k, 0) - before.get(k, 0)) / dt for k in after}
    m = re.search(r"pmd0: (\d+) sleeps; wake-up latency min/avg/max ([\d.]+)/([\d.]+)/([\d.]+) us",
                  p.text())
    return {"window_s": round(dt, 1), "ferry_cpu_pct": round(sum(per.values()), 2),
            "per_thread_pct": {k: round(v, 2) for k, v in sorted(per.items()) if v > 0.005},
            "pmd_sleeps": int(m.group(1)) if m else None,
            "wake_latency_us": [float(x) for x in m.groups()[1:]] if m else None}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ferry")
    ap.add_argument("guest")
    ap.add_argument("--seconds", type=float, default=3, help="how long the sender sends")
    ap.add_argument("--size", type=int, default=64,
                    help="frame size counting the FCS (RFC 2544), 64-1518")
    ap.add_argument("--idle-seconds", type=float, default=10)
    ap.add_argument("--vswitch-bench", default=None)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    a.ferry, a.guest = os.path.abspath(a.ferry), os.path.abspath(a.guest)
    with tempfile.TemporaryDirectory() as tmp:
        r = {"throughput": throughput(a, tmp), "switch_only_mpps": switch_ceiling(a.vswitch_bench),
             "idle": idle(a, tmp)}
    if r["switch_only_mpps"]:
        r["delivered_vs_switch_only"] = (r["throughput"]["delivered_mpps"]
                                         / r["switch_only_mpps"])
    if a.json:
        json.dump(r, sys.stdout, indent=2)
        print()
        return
    t, i = r["throughput"], r["idle"]
    print("vm2vm %d B (FCS counted): the sending guest offered %.2f Mpps; the switch delivered "
          "%.2f Mpps into the receiver's ring (%d frames; %s found no receive buffer); the "
          "receiving guest took %.2f Mpps (%d of %d sent)"
          % (t["size"], t["tx_mpps"], t["delivered_mpps"], t["delivered_to_rx_port"],
             t["undelivered"], t["rx_mpps"], t["received"], t["sent"]))
    if r["switch_only_mpps"]:
        print("switch alone (dummy ports): %.2f Mpps; delivery between guests reaches %.0f%% of it"
              % (r["switch_only_mpps"], 100 * r["delivered_vs_switch_only"]))
    print("idle: ferry used %.2f%% of one core over %.0f s with 2 silent guests (%s)"
          % (i["ferry_cpu_pct"], i["window_s"], i["per_thread_pct"]))
    if i["wake_latency_us"]:
        print("PMD slept %d times; wake-up latency min/avg/max %.1f/%.1f/%.1f us"
              % ((i["pmd_sleeps"],) + tuple(i["wake_latency_us"])))


if __name__ == "__main__":
    main()
