#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""interop_reconnect: peers come and go while traffic runs, and Ferry's
other ports never notice.

1. Ferry listens (server ports).  testpmd loops frames through two
   vhost-user ports of tenant "vt" (io forwarding, tx_first) while a pair of
   test guests exchanges checked frames in tenant "keep".  testpmd is killed
   (SIGKILL, no goodbye) and started again: the new testpmd's frames flow
   again, and the guest pair, still running across the restart, loses
   nothing.
2. Ferry connects (client ports) to testpmd's virtio-user in server mode.
   testpmd is killed and restarted: Ferry reconnects by itself.  Then Ferry
   is restarted under the running testpmd: virtio-user takes the new Ferry
   and traffic flows again."""
import os
import time

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest.testpmd import TestPmd, total
from ferrytest.proc import wait_socket, wait_until

# The pair is paced so it outlasts testpmd's restart however fast the host
# is (CI once ran 60000 unpaced exchanges before a loaded host had testpmd
# back): 50000 at 2500 a second take at least 20 s.
PAIR_COUNT, PAIR_RATE = 50000, 2500
KC_MAC, KS_MAC = "52:54:00:00:3a:01", "52:54:00:00:3b:01"

t.require_kvm()
tmp = t.workdir()
s0, s1 = os.path.join(tmp, "vu0.sock"), os.path.join(tmp, "vu1.sock")


def flowing(pmd, what, secs=1.5):
    """testpmd's frames go round through Ferry: its receive counters move."""
    a = total(pmd.stats(), 0)
    time.sleep(secs)
    b = total(pmd.stats(), 0)
    t.check(b > a, "%s: frames flow through Ferry (%d received in %.1fs)" % (what, b - a, secs))


def connects(ferry, port):
    return ferry.text().count("%s: peer connected" % port)


def virtio_user(server):
    extra = ",server=1" if server else ""
    return ["net_virtio_user0,path=%s,queues=1%s" % (s0, extra),
            "net_virtio_user1,path=%s,queues=1%s" % (s1, extra)]


# ---- 1: Ferry as the server, testpmd restarted under traffic ----
cfg = os.path.join(tmp, "server.json")
f.write_config(cfg, {"keep": 31, "vt": 32}, [
    f.guest_vm("kc", KC_MAC, "mode=net role=client tag=keep peer=%s count=%d rate=%d "
               "timeout_ms=60000" % (KS_MAC, PAIR_COUNT, PAIR_RATE), tenant="keep"),
    f.guest_vm("ks", KS_MAC, "mode=net role=server tag=keep count=%d timeout_ms=170000"
               % PAIR_COUNT, tenant="keep"),
], [("vu0", s0, "server", "vt"), ("vu1", s1, "server", "vt")])
ferry = f.start_ferry(cfg, tmp)
wait_socket(s0)
wait_socket(s1)
pmd = TestPmd("testpmd-1", virtio_user(False), tmp)
pmd.ready()
pmd.cmd("start tx_first")
flowing(pmd, "first testpmd")
pmd.kill()
t.log("testpmd killed with SIGKILL")
ferry.wait_text(r"vu0: peer disconnected.*vu1: peer disconnected|"
                r"vu1: peer disconnected.*vu0: peer disconnected", 10)
pmd = TestPmd("testpmd-2", virtio_user(False), tmp)
pmd.ready()
pmd.cmd("start tx_first")
flowing(pmd, "restarted testpmd")
restarted = ferry.size()
t.check("FERRY-RESULT" not in ferry.text(),
        "the guest pair was still running when testpmd came back")
kc = f.wait_result(ferry, "kc", 150)
ks = f.wait_result(ferry, "ks", 30)
f.check_pair(kc, ks, PAIR_COUNT, "guest pair across the restart")
t.log("guest pair: %s pps, rtt p99 %s us, max %s us"
      % (kc.get("pps"), kc.get("rtt_p99_us"), kc.get("rtt_max_us")))
pmd.quit()
f.stop_ferry(ferry)

# ---- 2: Ferry as the client ----
pmd = TestPmd("testpmd-3", virtio_user(True), tmp)
cfg = os.path.join(tmp, "client.json")
f.write_config(cfg, {"vt": 33}, [], [("vu0", s0, "client", "vt"), ("vu1", s1, "client", "vt")])
wait_socket(s0)
ferry = f.start_ferry(cfg, tmp, "ferry-client")
pmd.ready()
pmd.cmd("start tx_first")
flowing(pmd, "client mode")
pmd.kill()
t.log("testpmd killed with SIGKILL")
for s in (s0, s1):  # a killed virtio-user server leaves its socket files behind
    os.unlink(s)
pmd = TestPmd("testpmd-4", virtio_user(True), tmp)
wait_until(lambda: connects(ferry, "vu0") >= 2 and connects(ferry, "vu1") >= 2, 30,
           "Ferry to reconnect to the new testpmd")
t.log("Ferry reconnected by itself")
pmd.ready()
pmd.cmd("start tx_first")
flowing(pmd, "client mode after the peer's restart")

f.stop_ferry(ferry, "ferry, under a running testpmd,")
t.check(pmd.alive(), "testpmd outlived the Ferry it was attached to")
ferry = f.start_ferry(cfg, tmp, "ferry-client-2")
ferry.wait_text(r"vu0: peer connected.*vu1: peer connected|"
                r"vu1: peer connected.*vu0: peer connected", 30)
t.log("the new Ferry is attached")
since = pmd.size()
pmd.cmd("stop")
pmd.wait_text("Done", 20, since)
time.sleep(1)
pmd.cmd("start tx_first")
flowing(pmd, "after Ferry's restart", 3)
pmd.quit()
f.stop_ferry(ferry)
t.passed()
