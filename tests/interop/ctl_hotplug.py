#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""interop_ctl_port_hotplug: vhost-user ports added and removed at run time
through the control socket (ferryctl), without disturbing other ports.

A guest pair in tenant "a" runs a long echo session the whole time.  Meanwhile
ferryctl adds two vhost-user ports (tenants "b" and "c"), DPDK testpmd attaches
to both and io-forwards between them, so a second guest pair split across "b"
and "c" talks only through the hotplugged ports; then ferryctl removes both
ports while testpmd is still attached.  The tenant "a" pair must lose nothing,
the b/c pair must complete, and the control socket must refuse bad requests
with the key path named."""
import json
import os
import stat

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest.testpmd import TestPmd
from ferrytest.proc import wait_socket

# Tenant a's pair is paced so it outlasts the hotplug however fast the host
# is: 50000 exchanges at 2000 a second take at least 25 s.
LONG, SHORT, LONG_RATE = 50000, 2000, 2000
t.require_kvm()
tmp = t.workdir()
ctl = os.path.join(tmp, "ctl.sock")
sb, sc = os.path.join(tmp, "vub.sock"), os.path.join(tmp, "vuc.sock")
cfg = os.path.join(tmp, "hotplug.json")
f.write_config(cfg, {"a": 31, "b": 32, "c": 33}, [
    f.guest_vm("a-cl", "52:54:00:00:3a:01", "mode=net role=client tag=a peer=52:54:00:00:3a:02 "
               "count=%d rate=%d timeout_ms=120000" % (LONG, LONG_RATE), tenant="a"),
    f.guest_vm("a-sv", "52:54:00:00:3a:02", "mode=net role=server tag=a count=%d "
               "timeout_ms=240000" % LONG, tenant="a"),
    f.guest_vm("b-cl", "52:54:00:00:3b:01", "mode=net role=client tag=bc peer=52:54:00:00:3c:02 "
               "count=%d timeout_ms=120000" % SHORT, tenant="b"),
    f.guest_vm("c-sv", "52:54:00:00:3c:02", "mode=net role=server tag=bc count=%d "
               "timeout_ms=240000" % SHORT, tenant="c"),
], control=ctl)


def ctlcmd(*args, expect=0):
    return f.ferryctl(ctl, *args, expect=expect)


def port_names():
    return [p["name"] for p in json.loads(ctlcmd("status"))["ports"]]


ferry = f.start_ferry(cfg, tmp)
wait_socket(ctl)
# Bad requests are refused, naming the key, and change nothing.
out = ctlcmd("port-add", json.dumps({"name": "vub", "path": sb, "mode": "server",
                                     "tenant": "nope"}), expect=1)
t.check("port.tenant" in out and "nope" in out, "an unknown tenant is refused by key path")
ctlcmd("port-add", '{"name": "x"', expect=2)  # not JSON: ferryctl refuses before sending
st = os.stat(ctl)
t.check(stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600,
        "the control socket is mode 0600 (%o)" % stat.S_IMODE(st.st_mode))


def switch_vnis():
    return sorted(tn["vni"] for tn in json.loads(ctlcmd("stats"))["tenants"])


# Tenants added and removed at run time: removing the first of three must
# remove its own VNI from the switch, not the next one's.
ctlcmd("tenant-add", json.dumps({"name": "d", "vni": 41}))
ctlcmd("tenant-add", json.dumps({"name": "e", "vni": 42}))
ctlcmd("tenant-add", json.dumps({"name": "f", "vni": 43}))
ctlcmd("tenant-remove", "d")
vnis = switch_vnis()
t.check(41 not in vnis and 42 in vnis and 43 in vnis,
        "tenant d (VNI 41) left the switch and e, f stayed (%s)" % vnis)
ctlcmd("tenant-remove", "e")
ctlcmd("tenant-remove", "f")
t.check(not {41, 42, 43} & set(switch_vnis()), "and e and f left too")
before = port_names()
t.check(not any(n.startswith("vu") for n in before), "no vhost-user port before hotplug")

# Hotplug two ports and bridge tenants b and c through testpmd.
ctlcmd("port-add", json.dumps({"name": "vub", "path": sb, "mode": "server", "tenant": "b"}))
ctlcmd("port-add", json.dumps({"name": "vuc", "path": sc, "mode": "server", "tenant": "c"}))
out = ctlcmd("port-add", json.dumps({"name": "vub", "path": sb + "2", "mode": "server",
                                     "tenant": "b"}), expect=1)
t.check("vub" in out, "a duplicate port name is refused")
t.check({"vub", "vuc"} <= set(port_names()), "both ports are listed by ferryctl status")
wait_socket(sb)
wait_socket(sc)
for sock in (sb, sc):
    t.check(stat.S_IMODE(os.stat(sock).st_mode) == 0o600,
            "vhost-user socket %s is mode 0600" % os.path.basename(sock))
pmd = TestPmd("testpmd", ["net_virtio_user0,path=%s,queues=1" % sb,
                          "net_virtio_user1,path=%s,queues=1" % sc], tmp)
pmd.ready()
pmd.cmd("start")
bcl = f.wait_result(ferry, "b-cl", 180)
csv = f.wait_result(ferry, "c-sv", 30)
f.check_pair(bcl, csv, SHORT, "b -> testpmd -> c through hotplugged ports")

# Remove both ports while testpmd is still attached and tenant a still talks.
t.check("[a-cl] FERRY-RESULT" not in ferry.text(), "tenant a's session is still running")
ctlcmd("port-remove", "vub")
ctlcmd("port-remove", "vuc")
ctlcmd("port-remove", "vuc", expect=1)
t.check(not {"vub", "vuc"} & set(port_names()), "the removed ports are gone")
pmd.quit()

acl = f.wait_result(ferry, "a-cl", 240)
asv = f.wait_result(ferry, "a-sv", 30)
f.check_pair(acl, asv, LONG, "tenant a across the hotplug and removal")
f.stop_ferry(ferry)
t.passed()
