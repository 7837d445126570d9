#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""e2e_evpn_kernel_fdb: Ferry's EVPN mirror against the kernel tables alone,
written by hand the way zebra writes them, for the cases interop_frr_evpn
cannot arrange: a device that appears late, entries moving and going, the
device changing bridge and disappearing, and a restart after a crash.

One namespace holds Ferry (an AF_XDP uplink on a veth to a second one, so
remote VTEPs have a next hop) and one test guest of tenant t (VNI 100,
evpn_device vx100) that keeps asking, by ARP, for an address nobody has.

Checked, in order: before vx100 exists the binding waits and says why;
once br100 and vx100 exist, Ferry's TAP joins br100 and the guest's MAC (a
static FDB entry) and its address (a permanent neighbour with protocol 245)
are exported, and written again when someone deletes the address; an
all-zero entry makes a VTEP and a MAC entry a remote MAC, both marked
"evpn"; a MAC moved to another VTEP follows, and that VTEP goes with
its last MAC; deleted entries go; vx100 moved to br200 takes the TAP and the
exported entries along; vx100 deleted takes the imported VTEPs away; after
SIGKILL a new run deletes a neighbour entry an earlier run left behind."""
import json
import os
import signal
import time

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest.netns import Netns, veth
from ferrytest.proc import wait_socket, wait_until

LOCAL, PEER, OTHER = "172.16.7.1", "172.16.7.2", "172.16.7.3"
MAC, IP = "52:54:00:00:65:01", "10.61.0.1"
REMOTE_MAC = "52:54:00:aa:bb:cc"
STALE_IP, STALE_MAC = "10.61.0.77", "02:00:00:00:00:77"
t.require_kvm()
for prog, pkg in (("ip", "iproute2"), ("bridge", "iproute2"), ("ethtool", "ethtool")):
    t.require_program(prog, pkg)
tmp = t.workdir()

h, peer = Netns("evk"), Netns("evkpeer")
veth(h, "p1", peer, "p1", LOCAL + "/24", PEER + "/24")
peer.ip("addr add %s/24 dev p1" % OTHER)
ctl = os.path.join(tmp, "ctl.sock")
cfg = {
    "switch": {"hugepages": "auto", "mbufs": 16384},
    "vtep": {"local": LOCAL},
    "tenants": [{"name": "t", "vni": 100, "vxlan": True, "learn_vteps": False,
                 "evpn_device": "vx100"}],
    "uplinks": [{"name": "up1", "kind": "afxdp", "interface": "p1"}],
    "vms": [f.guest_vm("g", MAC, "mode=ip ip=%s ping=10.61.0.9 count=1000 interval_ms=100 "
                       "min_replies=0 irq=msix serve_ms=120000" % IP, tenant="t")],
    "control": {"socket": ctl},
}
path = os.path.join(tmp, "evk.json")
with open(path, "w") as fp:
    json.dump(cfg, fp, indent=1)


def start():
    if os.path.exists(ctl):
        os.unlink(ctl)  # a killed ferry leaves its socket: wait for the new one
    p = h.proc("ferry", [f.ferry_bin(), "run", path], logdir=tmp)
    wait_socket(ctl)
    return p


def ctlj(*a):
    return json.loads(f.ferryctl(ctl, *a, quiet=True))


def evpn():
    return ctlj("evpn")["evpn"][0]


def vteps():
    return {v["address"]: v for v in ctlj("vteps")["vteps"]}


def fdb():
    return {m["mac"]: m for m in ctlj("fdb", "t")["macs"]}


def kfdb(dev):
    return {e["mac"]: e for e in json.loads(h.sh("bridge", "-j", "fdb", "show", "dev", dev))}


def kneigh(dev):
    # Permanent and NOARP entries show only with "nud all".
    return {e["dst"]: e for e in json.loads(h.sh("ip", "-j", "neigh", "show", "nud", "all", "dev",
                                                 dev))}


def master(dev):
    return json.loads(h.sh("ip", "-j", "link", "show", dev))[0].get("master")


ferry = start()
wait_until(lambda: "no device vx100" in evpn()["state"], 10, "the binding to wait for vx100")
t.check(not evpn()["ready"], "before vx100 exists the binding waits: %s" % evpn()["state"])

# A bridge's own MAC follows its ports unless set, and when it changes the kernel flushes
# the bridge's neighbour entries: set it, as docs/evpn.md says.
h.ip("link add br100 address 02:00:00:00:01:00 type bridge")
h.ip("link add vx100 type vxlan id 100 local %s dstport 4790 nolearning" % LOCAL)
h.ip("link set vx100 master br100")
for dev in ("vx100", "br100"):
    h.ip("link set %s up" % dev)
wait_until(lambda: evpn()["ready"], 10, "the binding to find vx100 in br100")
t.check(master("ferry100") == "br100", "Ferry's TAP ferry100 joined br100")
wait_until(lambda: MAC in kfdb("ferry100") and IP in kneigh("br100"), 10,
           "the guest's MAC and address in br100")
e, n = kfdb("ferry100")[MAC], kneigh("br100")[IP]
t.check(e.get("state") == "static" and e.get("master") == "br100",
        "the guest's MAC is a static entry of ferry100 in br100 (%s)" % e)
t.check(n["lladdr"] == MAC and "PERMANENT" in n["state"] and
        str(n.get("protocol")) in ("245", "0xf5"),
        "its address %s is a permanent neighbour of br100 with protocol 245 (%s)" % (IP, n))
h.sh("ip", "neigh", "del", IP, "dev", "br100")
wait_until(lambda: IP in kneigh("br100"), 10, "ferry to write the deleted address again")
t.check(True, "the address deleted by hand: ferry wrote it again")

# zebra's way of saying "VTEP PEER floods for VNI 100" and "REMOTE_MAC is behind it".
h.sh("bridge", "fdb", "append", "00:00:00:00:00:00", "dev", "vx100", "dst", PEER, "self",
     "permanent")
h.sh("bridge", "fdb", "add", REMOTE_MAC, "dev", "vx100", "dst", PEER, "self", "permanent")
wait_until(lambda: PEER in vteps() and REMOTE_MAC in fdb(), 10, "the imported VTEP and MAC")
v, m = vteps()[PEER], fdb()[REMOTE_MAC]
t.check(v["origin"] == "evpn" and v["vnis"] == [100] and m["origin"] == "evpn" and
        m["where"] == PEER, "VTEP %s (origin %s) and MAC %s behind it (origin %s)"
        % (PEER, v["origin"], REMOTE_MAC, m["origin"]))

h.sh("bridge", "fdb", "replace", REMOTE_MAC, "dev", "vx100", "dst", OTHER, "self", "permanent")
wait_until(lambda: fdb().get(REMOTE_MAC, {}).get("where") == OTHER, 10, "the MAC to move")
t.check(OTHER in vteps() and vteps()[OTHER]["origin"] == "evpn",
        "the MAC moved to VTEP %s, which it brought in" % OTHER)
h.sh("bridge", "fdb", "del", REMOTE_MAC, "dev", "vx100", "dst", OTHER, "self")
wait_until(lambda: REMOTE_MAC not in fdb() and OTHER not in vteps(), 10,
           "the MAC and its VTEP to go")
t.check(PEER in vteps(), "the MAC deleted: it and VTEP %s went, VTEP %s (type 3) stays"
        % (OTHER, PEER))

h.ip("link add br200 address 02:00:00:00:02:00 type bridge")
h.ip("link set br200 up")
h.ip("link set vx100 master br200")
wait_until(lambda: master("ferry100") == "br200" and MAC in kfdb("ferry100") and
           IP in kneigh("br200"), 10, "the TAP and the exported entries to follow to br200")
t.check(evpn()["bridge"] == "br200", "vx100 moved to br200: ferry100 and the guest's MAC and "
        "address followed (resyncs: %d)" % evpn()["resyncs"])

h.ip("link del vx100")
wait_until(lambda: PEER not in vteps() and not evpn()["ready"], 10,
           "the imported VTEP to go with vx100")
t.check(True, "vx100 deleted: VTEP %s went, the binding waits again (%s)"
        % (PEER, evpn()["state"]))
h.ip("link add vx100 type vxlan id 100 local %s dstport 4790 nolearning" % LOCAL)
h.ip("link set vx100 master br200")
h.ip("link set vx100 up")
wait_until(lambda: evpn()["ready"] and IP in kneigh("br200"), 10,
           "the binding to come back, the guest's address with it")

# A crash leaves neighbour entries behind; the next run removes those it does not write
# again.  The killed run's own entry for the guest is one; another is made for a guest
# that will not come back (a running ferry would remove it at its next re-read).
ferry.stop(signal.SIGKILL)
time.sleep(0.5)
h.sh("ip", "neigh", "add", STALE_IP, "lladdr", STALE_MAC, "dev", "br200", "nud", "noarp",
     "proto", "245")
left = kneigh("br200")
t.check(IP in left and STALE_IP in left,
        "after SIGKILL, neighbour entries of protocol 245 are left behind (%s)" % sorted(left))
ferry = start()
wait_until(lambda: evpn()["ready"] and STALE_IP not in kneigh("br200"), 15,
           "the next run to remove the leftover")
t.check(evpn()["errors"] == 0, "the next run removed %s, which no guest claims, with no "
        "errors" % STALE_IP)
wait_until(lambda: IP in kneigh("br200"), 10, "the guest's address back in br200")
f.stop_ferry(ferry)
t.check(IP not in kneigh("br200"), "ferry stopped: it took the guest's address back")
t.passed()
