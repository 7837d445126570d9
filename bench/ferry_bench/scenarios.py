# SPDX-License-Identifier: BSD-3-Clause
"""The scenarios ferry-bench runs, as one table: a name, what it measures,
its contenders and one function per contender that measures one frame size.
A new scenario is one more entry in SCENARIOS (vxlan, wireguard and xdp live in
their own files)."""
import argparse
import json
import os
import time

from ferrytest import ferry as fy
from ferrytest import testpmd
from ferrytest.ovs import OvsDpdk
from ferrytest.proc import Proc, wait_socket

from . import report, rfc2544, vxlan, wireguard, xdp

# --------------------------------------------------------------------------
# vhost: the loop topology of OVS's vhost tests (one testpmd "guest", two
# virtio-user ports in io forwarding, looped through the switch).  Every
# contender gets the same pinning: the guest on one CPU, the switch's PMD
# on the other.  A contender named *_packed runs the same switch with the
# guest on packed virtqueues (virtio-user packed_vq=1); OVS's and testpmd's
# vhost ports take either layout, Ferry's offer packed when told to.


def _ferry_vhost_switch(a, tmp, s0, s1, control=None, packed=False):
    cfg = os.path.join(tmp, "ferry-vhost.json")
    doc = {
        "switch": {"pmd_threads": 1, "pmd_cpus": [a.switch_cpu], "idle_sleep_us": 0,
                   "hugepages": "auto", "mbufs": 32768},
        "tenants": [{"name": "bench", "vni": 1}],
        "vhost_user_ports": [
            {"name": "vu0", "path": s0, "mode": "client", "tenant": "bench", "packed": packed},
            {"name": "vu1", "path": s1, "mode": "client", "tenant": "bench", "packed": packed},
        ],
    }
    if control:
        doc["control"] = {"socket": control}
    with open(cfg, "w") as f:
        json.dump(doc, f)
    # Ferry's control threads share the guest's CPU, as OVS's main thread does.
    return Proc("ferry", [a.ferry, "run", cfg], cpus=[a.guest_cpu], logdir=tmp)


class _Together:
    """Stops its processes in reverse order (a capture before its ferry)."""

    def __init__(self, *procs):
        self.procs = procs

    def stop(self):
        for p in reversed(self.procs):
            p.stop()


def _ferry_capture_switch(a, tmp, s0, s1):
    """Ferry with a capture running on vu0, both directions, to /dev/null: what a
    running capture costs the loop (every frame crosses vu0 twice)."""
    sock = os.path.join(tmp, "ctl.sock")
    ferry = _ferry_vhost_switch(a, tmp, s0, s1, control=sock)
    wait_socket(sock)
    ctl = os.path.join(os.path.dirname(a.ferry), "ferryctl")
    cap = Proc("capture", [ctl, "-s", sock, "capture", "vu0", "-w", "/dev/null"],
               cpus=[a.guest_cpu], logdir=tmp)
    cap.wait_text(r"capturing on vu0", 30)
    return _Together(ferry, cap)


def _ovs_switch(a, tmp, s0, s1):
    sw = OvsDpdk(os.path.join(tmp, "ovs"), pmd_cpu=a.switch_cpu, main_cpu=a.guest_cpu)
    sw.add_vhost_client_port("vhu0", s0)
    sw.add_vhost_client_port("vhu1", s1)
    return sw


def _testpmd_switch(a, tmp, s0, s1):
    sw = testpmd.switch(s0, s1, cpu=a.switch_cpu, logdir=tmp)
    sw.ready()
    sw.cmd("start")
    return sw


def _ferry_baseline_switch(a, tmp, s0, s1):
    """Another build of Ferry (--ferry-baseline), the same config: what a change
    costs or gains, measured in one run against the build before it."""
    if not a.ferry_baseline:
        raise RuntimeError("the ferry_baseline contender needs --ferry-baseline PATH")
    return _ferry_vhost_switch(argparse.Namespace(**dict(vars(a), ferry=a.ferry_baseline)),
                               tmp, s0, s1)


def _ferry_packed_switch(a, tmp, s0, s1):
    return _ferry_vhost_switch(a, tmp, s0, s1, packed=True)


VHOST_SWITCHES = {"ferry": _ferry_vhost_switch, "ferry_capture": _ferry_capture_switch,
                  "ferry_baseline": _ferry_baseline_switch,
                  "ovs": _ovs_switch, "testpmd": _testpmd_switch,
                  "ferry_packed": _ferry_packed_switch, "ovs_packed": _ovs_switch,
                  "testpmd_packed": _testpmd_switch}


def vhost_measure(contender, size, a, tmp, progress):
    if size == "imix":
        return None  # derived from the fixed sizes afterwards (see derive_imix)
    s0, s1 = os.path.join(tmp, "vu0.sock"), os.path.join(tmp, "vu1.sock")
    guest = testpmd.loop_guest(s0, s1, cpu=a.guest_cpu, logdir=tmp,
                               packed=contender.endswith("_packed"))
    sw = None
    try:
        sw = VHOST_SWITCHES[contender](a, tmp, s0, s1)
        guest.ready(60)  # both ports connected to the switch under test
        testpmd.start_loop(guest, size)
        time.sleep(a.warmup)
        progress("vhost %s %s B: measuring %gs" % (contender, size, a.seconds))
        pps = guest.rx_rate(a.seconds)
    finally:
        guest.quit()
        if sw:
            sw.stop()
    return {"mpps": pps / 1e6}


def derive_imix(doc):
    """Loop topology cannot mix sizes (only the first burst circulates): IMIX
    is the 7:4:1 time-weighted combination of the 64, 576 and 1500 B runs."""
    by = {(r["contender"], r["size"]): r for r in doc["results"]}
    for c in doc["contenders"]:
        parts = [(by.get((c, s)), w) for s, w in report.IMIX]
        if all(r and r.get("mpps") for r, _ in parts):
            mpps = sum(w for _, w in report.IMIX) / sum(w / r["mpps"] for r, w in parts)
            doc["results"].append({"contender": c, "size": "imix", "mpps": mpps,
                                   "gbps": report.gbps(mpps, "imix"),
                                   "derived": "7:4:1 of the 64/576/1500 B runs"})


# --------------------------------------------------------------------------
# vm2vm: two Ferry test guests on one tenant; the pktgen guest sends at a
# given rate (or flat out), the receiving guest counts, checks sequence
# numbers and measures one-way latency with the TSC both guests share.


def _pktgen_trial(a, tmp, size, rate, duration_ms):
    """One pktgen run: the guests' results and what the switch delivered to
    the receiver's port (the summary's per-NIC "to guest" count)."""
    rx_mac, tx_mac = "52:54:00:00:0c:02", "52:54:00:00:0c:01"
    cfg = fy.write_config(os.path.join(tmp, "vm2vm.json"), {"bench": 1}, [
        # The receiver sleeps on MSI-X when its ring is empty: on a 2-core host a
        # polling receiver fights the sender for a core and the run measures the
        # scheduler rather than the switch.
        fy.guest_vm("rx", rx_mac, "mode=pktgen role=rx tag=b irq=msix duration_ms=%d"
                    % (duration_ms + 3000), tenant="bench", guest=a.guest),
        fy.guest_vm("tx", tx_mac, "mode=pktgen role=tx tag=b peer=%s size=%s rate=%d "
                    "duration_ms=%d flows=%d" % (rx_mac, size, rate, duration_ms, a.flows),
                    tenant="bench", guest=a.guest),
    ], switch={"pmd_threads": 1, "pmd_cpus": [a.switch_cpu], "hugepages": "auto",
               "mbufs": 32768})
    p = Proc("ferry", [a.ferry, "run", cfg], logdir=tmp)
    p.wait(duration_ms / 1000 + 120)
    res = fy.results(p.text())
    rx, tx = res.get("rx", [{}])[-1], res.get("tx", [{}])[-1]
    if "sent" not in tx or "received" not in rx:
        raise RuntimeError("pktgen guests did not report:\n" + p.text()[-2000:])
    nic = fy.summary(p.text())["nics"].get("rx.0")
    if not nic:
        raise RuntimeError("no per-NIC row for rx.0 in ferry's summary")
    return tx, rx, nic


def _lat(rx):
    hist = []
    for item in rx.get("lat_hist", "").split(","):
        if ":" in item:
            up, n = item.split(":")
            hist.append((int(up), int(n)))
    return {"lat_p50_us": int(rx.get("lat_p50_ns", 0)) / 1000.0,
            "lat_p99_us": int(rx.get("lat_p99_ns", 0)) / 1000.0,
            "lat_p999_us": int(rx.get("lat_p999_ns", 0)) / 1000.0,
            "lat_max_us": int(rx.get("lat_max_ns", 0)) / 1000.0,
            "lat_hist": hist}


def vm2vm_measure(contender, size, a, tmp, progress):
    tx, rx, nic = _pktgen_trial(a, tmp, size, 0, a.trial_ms)  # flat out
    flat_pps = float(rx.get("pps", 0))
    out = {"mpps": flat_pps / 1e6, "flat_out_loss": int(tx["sent"]) - int(rx["received"]),
           "delivered_to_rx_port": nic["to_guest"], "undelivered": nic["undelivered"]}
    last = {}

    def trial(rate):
        t, r, _ = _pktgen_trial(a, tmp, size, int(rate), a.trial_ms)
        last[rate] = r
        return int(t["sent"]), int(r["received"]), float(t.get("pps", 0))

    upper = max(float(tx.get("pps", 0)), flat_pps) * 1.05 or 1e6
    for pct, key in ((0.0, "zero_loss_mpps"), (0.5, "loss_0_5_mpps")):
        res = rfc2544.search(trial, upper, loss_pct=pct, max_trials=a.trials,
                             progress=lambda r, l, ok: progress(
                                 "vm2vm %s B: %.3f Mpps -> loss %.3f%% %s"
                                 % (size, r / 1e6, l, "ok" if ok else "too much")))
        out[key] = res["rate_pps"] / 1e6
        out.setdefault("rfc2544", {})[key] = res["trials"]
        if pct == 0.0 and res["rate_pps"] in last:
            out.update(_lat(last[res["rate_pps"]]))
    return out


SCENARIOS = {
    "vhost": {
        "describe": "testpmd loop guest (2 virtio-user ports, io fwd, tx_first) through the "
                    "switch's vhost-user ports",
        "contenders": ["ferry", "ferry_capture", "ovs", "testpmd", "ferry_packed", "ovs_packed",
                       "testpmd_packed"],
        "measure": vhost_measure,
        "post": derive_imix,
        "smoke": {"sizes": [64], "seconds": 2, "warmup": 1},
    },
    "vm2vm": {
        "describe": "two Ferry test guests on one tenant: pktgen guest -> receiving guest, "
                    "RFC 2544 zero-loss and 0.5% search, one-way latency",
        "contenders": ["ferry"],
        "measure": vm2vm_measure,
        "post": None,
        "smoke": {"sizes": [64], "trial_ms": 300, "trials": 2},
    },
    "vxlan": {
        "describe": "one tenant between two hosts (network namespaces, a veth): pktgen guest "
                    "in Ferry A -> VXLAN -> receiving guest in Ferry B, the tunnel done by "
                    "Ferry's overlay (AF_XDP uplinks, or af_packet through DPDK) or by two "
                    "Linux vxlan devices",
        "contenders": ["ferry", "ferry_af_packet", "linux"],
        "measure": vxlan.measure,
        "post": None,
        "smoke": {"sizes": [64], "seconds": 2},
    },
    "wireguard": {
        "describe": "the vxlan scenario's two hosts with the tenant's VXLAN inside WireGuard "
                    "between them: sealed and opened by Ferry's PMDs, or by wireguard-go "
                    "(Debian's) under Linux vxlan devices",
        "contenders": ["ferry", "wireguard-go"],
        "measure": wireguard.measure,
        "post": None,
        "sizes": [64, 1400],
        "smoke": {"sizes": [64], "seconds": 2},
    },
    "xdp": {
        "describe": "UDP from testpmd (af_packet) over a veth, dropped as it arrives: by "
                    "Ferry's XDP access list, by xdp-tools' xdp-filter, or taken by the "
                    "kernel's stack with no program",
        "contenders": ["ferry", "xdp-filter", "none"],
        "measure": xdp.measure,
        "post": None,
        "smoke": {"sizes": [64], "seconds": 2, "warmup": 1},
    },
}
