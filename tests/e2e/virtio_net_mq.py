#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""e2e_virtio_net_mq: two test guests under real KVM, each with a 2-pair
virtio-net NIC on one tenant, driving virtio-net multiqueue the way Linux
does: MQ and CTRL_VQ negotiated, both pairs asked for with VQ_PAIRS_SET on
the control queue (the device must ack it), eight UDP flows sent across
both transmit queues.

Checked: both guests got the ack; the receiver got every frame, each flow
in order, on both of its receive queues (the switch picks a guest's queue
by flow); the sender used both transmit queues; Ferry's per-queue counters
(`ferryctl --json stats`) agree: the sender's port received on both queues
and the receiver's delivered on both; `ferryctl pmd-stats` lists every
queue of both ports under the PMD that polls it."""
import json
import os

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest.proc import wait_socket

COUNT = 200
FLOWS = 8
RX_MAC, TX_MAC = "52:54:00:00:6b:02", "52:54:00:00:6b:01"

t.require_kvm()
tmp = t.workdir()
ctl = os.path.join(tmp, "ctl.sock")
vms = [f.guest_vm("rx", RX_MAC, "mode=mq role=recv count=%d timeout_ms=60000" % COUNT,
                  tenant="mq"),
       f.guest_vm("tx", TX_MAC, "mode=mq role=send peer=%s count=%d timeout_ms=60000"
                  % (RX_MAC, COUNT), tenant="mq")]
for vm in vms:
    vm["nics"][0]["queues"] = 2
cfg = f.write_config(os.path.join(tmp, "mq.json"), {"mq": 61}, vms, control=ctl)
ferry = f.start_ferry(cfg, tmp)
wait_socket(ctl)
rx = f.wait_result(ferry, "rx", 120)
tx = f.wait_result(ferry, "tx", 30)
t.check(rx.get("ack") == "0" and tx.get("ack") == "0" and rx.get("pairs") == "2",
        "both guests asked for 2 pairs on the control queue and got VIRTIO_NET_OK (%s, %s)"
        % (rx.get("ack"), tx.get("ack")))
t.check(tx.get("sent") == str(COUNT * FLOWS) and int(tx.get("txq0", 0)) > 0 and
        int(tx.get("txq1", 0)) > 0,
        "the sender sent %s frames on both transmit queues (%s + %s)"
        % (tx.get("sent"), tx.get("txq0"), tx.get("txq1")))
t.check(rx.get("received") == str(COUNT * FLOWS) and rx.get("out_of_order") == "0" and
        rx.get("foreign") == "0",
        "the receiver got all %d frames, every flow in order (received %s, out of order %s)"
        % (COUNT * FLOWS, rx.get("received"), rx.get("out_of_order")))
t.check(int(rx.get("rxq0", 0)) > 0 and int(rx.get("rxq1", 0)) > 0,
        "the switch spread the flows over both receive queues (%s + %s)"
        % (rx.get("rxq0"), rx.get("rxq1")))
stats = {p["name"]: p for p in json.loads(f.ferryctl(ctl, "stats"))["ports"]}
txq = [q["rx_packets"] for q in stats["tx.0"].get("queues", [])]
rxq = [q["tx_packets"] for q in stats["rx.0"].get("queues", [])]
t.check(len(txq) == 2 and all(txq) and len(rxq) == 2 and all(rxq),
        "Ferry's per-queue counters agree: tx.0 received %s, rx.0 delivered %s" % (txq, rxq))
t.check(rxq == [int(rx["rxq0"]), int(rx["rxq1"])],
        "what Ferry delivered on each queue is what the receiver counted there")
pmds = json.loads(f.ferryctl(ctl, "pmd-stats"))["pmds"]
polled = {(q["port"], q["queue"]) for p in pmds for q in p["rxqs"]}
t.check({("tx.0", 0), ("tx.0", 1), ("rx.0", 0), ("rx.0", 1)} <= polled,
        "ferryctl pmd-stats lists both queues of both ports among the PMDs' rx queues (%s)"
        % sorted(polled))
metrics = f.ferryctl(ctl, "metrics")
t.check('ferry_port_queue_rx_packets_total{port="tx.0",queue="1"} %d' % txq[1] in metrics,
        "GET /metrics has the per-queue counters (ferry_port_queue_rx_packets_total)")
human = f.ferryctl(ctl, "pmd-stats", human=True)
t.check("port: tx.0" in human and "queue-id:  1" in human and "pmd usage" in human,
        "the table reads like ovs-appctl dpif-netdev/pmd-rxq-show")
f.stop_ferry(ferry)
t.passed()
