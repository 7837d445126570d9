#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""xdp_acl_rules: an XDP access list on a veth, changed at run time.

Namespace "dst" runs Ferry with an access list on its end of a veth (the
config's one rule drops UDP from 10.1.0.0/24 to ports 5000-5010) and a UDP
receiver on ports 5005 and 6000; namespace "src" streams datagrams to both
ports the whole time.  Checked, on the live stream, from what the receiver
got and from the rules' own counters:

- the config's rule holds: 5005 gets nothing, 6000 everything;
- `ferryctl filter add` and `del` take effect within a second, with no
  reload: a count rule counts 6000's datagrams and lets them through, a drop
  rule for 6000 stops them and its deletion lets them through again, the
  config's rule deleted and added back opens and shuts 5005;
- persistence: the list is `persist`, its maps pinned on a bpf filesystem;
  ferry stops (status 0), the program stays on the veth and 5005 stays shut
  while ferry is down; a new ferry replaces it in place ("no gap") and 5005
  never got a datagram across the restart;
- an access list that does not persist is gone when ferry stops;
- errors are clear, not crashes: an interface that does not exist, one that
  xdp-filter already holds alone (libxdp's dispatcher, which would let them
  share it, cannot load on this kernel), and a kernel feature missing
  (native XDP on the loopback device)."""
import json
import os
import re
import subprocess
import tempfile
import time

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest.netns import Netns, veth
from ferrytest.proc import run, wait_socket, wait_until

RATE = 200  # datagrams a second to each port
for prog, pkg in (("ip", "iproute2"), ("ethtool", "ethtool"), ("xdp-filter", "xdp-tools")):
    t.require_program(prog, pkg)
tmp = t.workdir()

# A bpf filesystem outside /sys, so `ip netns exec` (which remounts /sys) still sees it.
bpffs = tempfile.mkdtemp(prefix="ferry-bpffs-")
run(["mount", "-t", "bpf", "bpf", bpffs])


def unmount():
    subprocess.run(["umount", "-l", bpffs], stderr=subprocess.DEVNULL)
    os.rmdir(bpffs)


src, dst = Netns("src"), Netns("dst")
veth(dst, "in0", src, "out0", "10.1.0.1/24", "10.1.0.2/24")

RECEIVER = """
import select, socket, sys, time
socks = {}
for p in (5005, 6000):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.1.0.1", p))
    s.setblocking(False)
    socks[s.fileno()] = (p, s)
got = {5005: 0, 6000: 0}
last = time.monotonic()
while True:
    r, _, _ = select.select(list(socks), [], [], 0.05)
    for fd in r:
        p, s = socks[fd]
        while True:
            try:
                s.recv(2048)
            except BlockingIOError:
                break
            got[p] += 1
    if time.monotonic() - last >= 0.1:
        last = time.monotonic()
        print("got %d %d" % (got[5005], got[6000]), flush=True)
"""
SENDER = """
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
gap = 1.0 / %d
while True:
    for p in (5005, 6000):
        s.sendto(b"ferry acl test", ("10.1.0.1", p))
    time.sleep(gap)
""" % RATE

recv = dst.proc("receiver", ["python3", "-c", RECEIVER], logdir=tmp)
send = src.proc("sender", ["python3", "-c", SENDER], logdir=tmp)


def counts():
    m = re.findall(r"got (\d+) (\d+)", recv.text())
    return (int(m[-1][0]), int(m[-1][1])) if m else (0, 0)


def window(seconds=1.5):
    """What each port got during a window that starts once changes have settled."""
    time.sleep(0.3)
    a = counts()
    time.sleep(seconds)
    b = counts()
    return b[0] - a[0], b[1] - a[1]


def config(name, persist, rules, iface="in0", mode="auto"):
    ctl = os.path.join(tmp, name + ".sock")
    cfg = {"xdp_acls": [{"interface": iface, "mode": mode, "persist": persist,
                         "rules": rules}],
           "ebpf": {"pin_dir": os.path.join(bpffs, "ferry")},
           "switch": {"hugepages": "off", "mbufs": 2048},
           "control": {"socket": ctl}}
    path = os.path.join(tmp, name + ".json")
    with open(path, "w") as fp:
        json.dump(cfg, fp)
    return path, ctl


DROP_5000 = {"action": "drop", "proto": "udp", "src": "10.1.0.0/24", "dport": "5000-5010"}
cfg, ctl = config("acl", True, [DROP_5000])
try:
    wait_until(lambda: counts()[1] > 0, 20, "the stream to reach the receiver")
    ferry = dst.proc("ferry", [f.ferry_bin(), "run", cfg], logdir=tmp)
    wait_socket(ctl)

    def ctlj(*a, expect=0):
        out = f.ferryctl(ctl, *a, expect=expect)
        return json.loads(out) if expect == 0 else out

    def rules():
        return ctlj("filter", "list")["acls"][0]["rules"]

    g5, g6 = window()
    t.check(g5 == 0 and g6 > RATE // 2, "the config's rule: 5005 got %d, 6000 got %d in 1.5 s"
            % (g5, g6))
    r = rules()
    t.check(len(r) == 1 and r[0]["packets"] > 0, "the rule counted what it dropped (%d)"
            % r[0]["packets"])

    # Rules change on the live stream, no reload.
    ctlj("filter", "add", "in0", json.dumps({"action": "count", "proto": "udp", "dport": 6000}),
         "0")
    before = rules()[0]["packets"]
    g5, g6 = window()
    after = rules()[0]["packets"]
    t.check(g6 > RATE // 2 and after - before >= g6,
            "a count rule at the top counts 6000's datagrams (%d) and lets them through (%d)"
            % (after - before, g6))
    ctlj("filter", "add", "in0", json.dumps({"action": "drop", "proto": "udp",
                                             "src": "10.1.0.2", "dport": 6000}))
    g5, g6 = window()
    t.check(g5 == 0 and g6 == 0, "a drop rule for 6000 added at run time stops it (%d)" % g6)
    ctlj("filter", "del", "in0", "2")
    g5, g6 = window()
    t.check(g6 > RATE // 2, "deleted, 6000 flows again (%d)" % g6)
    ctlj("filter", "del", "in0", "1")
    g5, g6 = window()
    t.check(g5 > RATE // 2, "the config's rule deleted: 5005 flows (%d)" % g5)
    ctlj("filter", "add", "in0", json.dumps(DROP_5000))
    g5, g6 = window()
    t.check(g5 == 0 and g6 > RATE // 2, "added back: 5005 shut again, 6000 flows (%d, %d)"
            % (g5, g6))
    out = ctlj("filter", "add", "in0", json.dumps({"action": "drop", "dport": 80}), expect=1)
    t.check("rule.dport: needs proto tcp or udp" in out, "a bad rule is refused by key")
    out = ctlj("filter", "del", "in0", "9", expect=1)
    t.check("index: 'in0' has no rule 9" in out, "a missing index is refused")

    # A restart: the list persists, the program stays on, nothing passes meanwhile.
    before5 = counts()[0]
    f.stop_ferry(ferry)
    link = dst.sh("ip", "-d", "link", "show", "in0")
    t.check("xdp" in link and "ferry_acl" in link,
            "after ferry stopped, ferry_acl is still on in0")
    time.sleep(1.5)
    down5, down6 = counts()
    ferry = dst.proc("ferry", [f.ferry_bin(), "run", cfg], logdir=tmp)
    wait_socket(ctl)
    t.check(re.search(r"in place of the last run's \(no gap\)", ferry.text()) is not None,
            "the new ferry replaced the program in place")
    g5, g6 = window()
    t.check(counts()[0] == before5 and down5 == before5 and g6 > RATE // 2,
            "5005 got nothing across the restart (%d, then %d), 6000 kept flowing"
            % (before5, counts()[0]))
    f.stop_ferry(ferry)

    # Without persist the program leaves with ferry.
    cfg2, ctl2 = config("plain", False, [DROP_5000])
    dst.sh("ip", "link", "set", "in0", "xdp", "off")
    ferry = dst.proc("ferry2", [f.ferry_bin(), "run", cfg2], logdir=tmp)
    wait_socket(ctl2)
    f.stop_ferry(ferry)
    link = dst.sh("ip", "-d", "link", "show", "in0")
    t.check("ferry_acl" not in link, "an access list that does not persist is detached")

    # Clear errors for a missing interface and a missing kernel feature.
    cfg3, _ = config("nope", False, [], iface="nope0")
    rc, out, err = run(dst.argv([f.ferry_bin(), "run", cfg3]), timeout=60, quiet=True)
    t.check(rc != 0 and "xdp_acls[0].interface: no interface 'nope0' here" in out + err,
            "a missing interface: exit %d and one clear line" % rc)
    # Another loader's program already on the interface: named, not fought over.
    dst.sh("sh", "-c", "mount -t bpf bpf /sys/fs/bpf && xdp-filter load -m native in0")
    rc, out, err = run(dst.argv([f.ferry_bin(), "run", cfg2]), timeout=60, quiet=True)
    t.check(rc != 0 and "already runs XDP program 'xdpfilt_" in out + err,
            "an interface xdp-filter holds alone: exit %d, the other program named" % rc)
    dst.sh("ip", "link", "set", "in0", "xdp", "off")
    cfg4, _ = config("lo", False, [], iface="lo", mode="native")
    rc, out, err = run(dst.argv([f.ferry_bin(), "run", cfg4]), timeout=60, quiet=True)
    t.check(rc != 0 and "cannot attach ferry_acl" in out + err and "native" in out + err,
            "native XDP where the driver has none: exit %d, '%s'"
            % (rc, [ln for ln in (out + err).splitlines() if "attach" in ln][:1]))
finally:
    send.kill()
    recv.kill()
    unmount()
t.passed()
