#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""e2e_hostile_peer_stall: a hostile vhost-user frontend (hostile_vu.c)
attacks the PMD it shares with another tenant, which must not notice.

Tenant "good": two test guests, a paced pktgen stream from one to the other.
Tenant "evil": two of Ferry's vhost-user ports, both taken by hostile_vu:
port vuA sends broadcasts, so the switch keeps delivering frames to vuB,
whose receive ring is the weapon:

1. rxloop: every receive chain device-readable (refused) in a ring of 32768,
   kept full.  hostile_vu first measures how many chains the device takes
   for one frame: a few within the burst budget, never the ring.
2. callfd: vuB's call eventfd made blocking (O_NONBLOCK is shared with the
   peer) and filled; Ferry's next interrupt would never return.  Ferry must
   break that queue with the reason logged and drop the peer.

Through both, the good stream's delivered rate (the switch's own count for
the receiving guest's port, sampled through ferryctl) must stay a clear
majority of its rate before the attack, and the control plane must answer:
ferryctl status, and a tenant added and removed (which waits for every PMD
to pass a quiescent state).  SIGTERM then stops ferry with status 0."""
import json
import os
import re
import time

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest.proc import Proc, wait_socket, wait_until

RATE = 5000  # frames/s of the good stream
WINDOW = 3.0  # seconds per rate sample
MAJORITY = 2.0 / 3.0
PER_FRAME_MAX = 64  # chains the device may take for one frame: a burst's worth
RXLOOP_S, CALLFD_S = 8, 8
RX_MAC, TX_MAC = "52:54:00:00:6a:01", "52:54:00:00:6a:02"

t.require_kvm()
tmp = t.workdir()
ctl = os.path.join(tmp, "ctl.sock")
sa, sb = os.path.join(tmp, "vuA.sock"), os.path.join(tmp, "vuB.sock")
cfg = f.write_config(os.path.join(tmp, "stall.json"), {"good": 10, "evil": 66}, [
    f.guest_vm("good-rx", RX_MAC, "mode=pktgen role=rx tag=good duration_ms=120000 irq=msix",
               tenant="good"),
    f.guest_vm("good-tx", TX_MAC, "mode=pktgen role=tx tag=good peer=%s rate=%d "
               "duration_ms=60000 size=128" % (RX_MAC, RATE), tenant="good"),
], [("vuA", sa, "server", "evil"), ("vuB", sb, "server", "evil")], control=ctl)
ferry = f.start_ferry(cfg, tmp)
wait_socket(ctl)
wait_socket(sa)
wait_socket(sb)


def delivered():
    """Frames the switch delivered into the good receiver's ring, so far."""
    for p in json.loads(f.ferryctl(ctl, "stats", quiet=True))["ports"]:
        if p["name"] == "good-rx.0":
            return p["tx_delivered"]
    t.fail("no port good-rx.0 in ferryctl stats")


def rate(what):
    a, t0 = delivered(), time.monotonic()
    time.sleep(WINDOW)
    b, t1 = delivered(), time.monotonic()
    r = (b - a) / (t1 - t0)
    t.log("%s: the good stream delivered %.0f frames/s" % (what, r))
    return r


def control_answers(what, vni):
    f.ferryctl(ctl, "status")
    f.ferryctl(ctl, "tenant-add", json.dumps({"name": "probe%d" % vni, "vni": vni}))
    f.ferryctl(ctl, "tenant-remove", "probe%d" % vni)
    t.log("%s: ferryctl status and a tenant added and removed answered" % what)


wait_until(lambda: delivered() > RATE, 60, "the good stream to flow", step=0.5)
before = rate("before the attack")
t.check(before > RATE / 2, "the good stream flows before the attack (%.0f/s)" % before)

hostile = Proc("hostile_vu", [os.environ["FERRY_HOSTILE_VU"], sa, sb, str(RXLOOP_S),
                              str(CALLFD_S)], logdir=tmp)
hostile.wait_text(r"HOSTILE rxloop started", 60)
during_rxloop = rate("during rxloop")
control_answers("during rxloop", 901)
hostile.wait_text(r"HOSTILE callfd started", RXLOOP_S + 60)
during_callfd = rate("during callfd")
control_answers("during callfd", 902)
t.check(hostile.wait(CALLFD_S + 60) == 0, "hostile_vu ran both attacks")
out = hostile.text()

m = re.search(r"HOSTILE rxloop per_frame=(\d+)", out)
ring = re.search(r"HOSTILE attached ring=(\d+)", out)
t.check(m and 0 < int(m.group(1)) <= PER_FRAME_MAX,
        "rxloop: for one frame the device took %s refused chains of a ring of %s (at most %d)"
        % (m and m.group(1), ring and ring.group(1), PER_FRAME_MAX))
t.check(during_rxloop >= MAJORITY * before,
        "rxloop: the good stream kept %.0f%% of its rate (%.0f of %.0f frames/s)"
        % (100 * during_rxloop / before, during_rxloop, before))
t.check(during_callfd >= MAJORITY * before,
        "callfd: the good stream kept %.0f%% of its rate (%.0f of %.0f frames/s)"
        % (100 * during_callfd / before, during_callfd, before))
log = ferry.text()
t.check(re.search(r"vuB q0: unusable receive chain", log) is not None,
        "rxloop: ferry logged why it refused vuB's chains")
t.check(re.search(r"vuB q0: queue broken, no longer served: call eventfd blocked", log)
        is not None, "callfd: ferry broke vuB's receive queue and logged why")
t.check(re.search(r"vuB: .*(disconnect|dropp)", log, re.I) is not None,
        "callfd: ferry dropped the hostile peer on vuB")
t.check(not re.search(r"good-\S+ q\d: queue broken", log), "no queue of the good tenant broke")
f.stop_ferry(ferry)
t.passed()
