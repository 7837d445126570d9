#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""e2e_capture: `ferryctl capture` on a guest's port while it exchanges
traffic, read back by tshark.

Guests are created over REST before they boot, so the captures run before
the first frame and end after the last: a pings b 30 times, and c keeps
asking by ARP for an address nobody has (broadcasts that reach a's port).
Three captures run on a's port at once: everything to a file; only
broadcasts (`ether broadcast`) to a file; and everything to stdout, piped
into `tshark -r -`.  Checked: the full capture holds exactly the frames a's
port counters say crossed it (received plus sent); the broadcast capture
holds exactly the broadcasts of the full one, and there are several; the
piped stream counts the same as the file; a filter libpcap cannot compile
is refused with libpcap's reason; and ferryctl ends each capture cleanly on
SIGTERM, with nothing dropped."""
import json
import os
import re
import signal
import subprocess

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest.proc import Proc, wait_socket, wait_until

t.require_kvm()
for prog, pkg in (("curl", "curl"), ("tshark", "tshark")):
    t.require_program(prog, pkg)
tmp = t.workdir()
ctl = os.path.join(tmp, "ctl.sock")
path = f.write_config(os.path.join(tmp, "cap.json"), tenants={"t": 7}, control=ctl)
ferry = f.start_ferry(path, tmp)
wait_socket(ctl)


def vm(name, last, cmd):
    return f.guest_vm(name, "52:54:00:00:08:%02x" % last, "mode=ip ip=10.8.0.%d irq=msix %s"
                      % (last, cmd), tenant="t")


def state(name):
    return json.loads(f.api(ctl, "GET", "/v1/vms/" + name)[1])["vm"]


def frames(pcap, display_filter=None):
    argv = ["tshark", "-n", "-r", pcap, "-T", "fields", "-e", "frame.number"]
    if display_filter:
        argv += ["-Y", display_filter]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60).stdout
    return len(out.split())


for guest in (vm("b", 2, "serve_ms=60000"),
              vm("a", 1, "ping=10.8.0.2 count=30 interval_ms=20 serve_ms=2500"),
              vm("c", 3, "ping=10.8.0.99 count=1 min_replies=0 serve_ms=1500")):
    code, text = f.api(ctl, "POST", "/v1/vms", guest)
    t.check(code == 200, "POST /v1/vms %s: %d" % (guest["name"], code))

ctlbin = f.ferryctl_bin()
full, bcast = os.path.join(tmp, "full.pcap"), os.path.join(tmp, "bcast.pcap")
caps = [Proc("capture-full", [ctlbin, "-s", ctl, "capture", "a.0", "-w", full], logdir=tmp),
        Proc("capture-bcast", [ctlbin, "-s", ctl, "capture", "a.0", "--filter",
                               "ether broadcast", "-w", bcast], logdir=tmp),
        Proc("capture-pipe", ["sh", "-c", "%s -s %s capture a.0 -w - | tshark -n -r - -T fields "
                              "-e frame.number | wc -l" % (ctlbin, ctl)], logdir=tmp)]
for p in caps:
    p.wait_text(r"capturing on a\.0", 30)
out = f.ferryctl(ctl, "capture", "a.0", "--filter", "ether nonsense((", "-w",
                 os.path.join(tmp, "x.pcap"), expect=1)
t.check("filter:" in out and "syntax error" in out,
        "a filter libpcap cannot compile is refused with its reason (%s)" % out.strip())

for name in ("b", "a", "c"):
    f.api(ctl, "PUT", "/v1/vms/%s/boot" % name)
wait_until(lambda: state("a")["state"] == "ended" and state("c")["state"] == "ended", 60,
           "guests a and c to finish")
t.check("ping_recv=30" in state("a")["result"], "a's 30 pings to b were all answered")
port = [p for p in json.loads(f.api(ctl, "GET", "/v1/stats")[1])["ports"] if p["name"] == "a.0"][0]
crossed = port["rx_packets"] + port["tx_packets"]
rcs = [p.stop(signal.SIGTERM) for p in caps[:2]]
# The pipe's ferryctl alone: tshark must read the stream to its end.
pattern = "^%s -s %s capture a.0 -w -$" % (re.escape(ctlbin), re.escape(ctl))
subprocess.run(["pkill", "-TERM", "-f", pattern])
rcs.append(caps[2].wait(30))
t.check(rcs == [0, 0, 0], "ferryctl ended every capture cleanly on SIGTERM (%s)" % rcs)

n_full, n_bcast = frames(full), frames(bcast)
t.check(n_full == crossed, "the capture holds %d frames; a.0's counters say %d crossed it "
        "(%d received, %d sent)" % (n_full, crossed, port["rx_packets"], port["tx_packets"]))
in_full = frames(full, "eth.dst == ff:ff:ff:ff:ff:ff")
t.check(n_bcast == in_full and n_bcast >= 3,
        "the 'ether broadcast' capture holds %d frames, the broadcasts of the full one: %d"
        % (n_bcast, in_full))
piped = caps[2].text().strip().splitlines()
t.check(piped and piped[-1].strip() == str(crossed),
        "the stream piped into tshark -r - counted %s frames" % (piped[-1] if piped else "?"))
f.stop_ferry(ferry)
ended = [ln for ln in ferry.text().splitlines() if "[capture]" in ln and " ended: " in ln]
t.check(len(ended) == 3 and all(ln.endswith(", 0 dropped") for ln in ended),
        "each of the 3 captures reported, nothing dropped (%s)" % ended)
t.passed()
