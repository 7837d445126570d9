# SPDX-License-Identifier: BSD-3-Clause
"""Open vSwitch with DPDK as a peer (interop tests) and a contender
(benchmarks), from a private run directory
(nothing system-wide is touched): ovsdb-server + ovs-vswitchd-dpdk (Debian
openvswitch-switch-dpdk), one netdev bridge with NORMAL action (MAC learning,
OVS's default flow), dpdkvhostuserclient ports whose sockets the guest serves.
OVS-DPDK always adds --in-memory, which DPDK 22.11 refuses with --no-huge, so
OVS needs hugepages: OvsDpdk reserves them (reserve_hugepages)."""
import os
import re
import shutil
import time

from .check import fail
from .proc import Proc, run, wait_socket

VSWITCHD = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"


def reserve_hugepages(pages=512):
    """At least @pages 2 MiB hugepages (OVS-DPDK always runs --in-memory)."""
    try:
        with open("/proc/sys/vm/nr_hugepages") as f:
            if int(f.read()) >= pages:
                return
        with open("/proc/sys/vm/nr_hugepages", "w") as f:
            f.write(str(pages))
    except OSError as e:
        fail("cannot reserve %d hugepages for OVS-DPDK: %s" % (pages, e))


def vsctl_run(argv, env):
    rc, out, err = run(argv, env=env, quiet=True)
    if rc != 0:
        fail("%s failed (%d): %s" % (" ".join(argv), rc, (out + err).strip()[-500:]))
    return out


class OvsDpdk:
    def __init__(self, rundir, pmd_cpu, main_cpu, socket_mem=512, other_config=()):
        """@other_config: more "key=value" settings before ovs-vswitchd starts
        ("userspace-tso-enable=true")."""
        reserve_hugepages(socket_mem // 2)
        self.d = rundir
        shutil.rmtree(rundir, ignore_errors=True)
        os.makedirs(rundir)
        self.env = dict(os.environ, OVS_RUNDIR=rundir, OVS_LOGDIR=rundir, OVS_DBDIR=rundir)
        self.db = "unix:%s/db.sock" % rundir
        vsctl_run(["ovsdb-tool", "create", rundir + "/conf.db", SCHEMA], self.env)
        self.ovsdb = Proc("ovsdb-server", ["ovsdb-server", "--remote=punix:%s/db.sock" % rundir,
                                           "--unixctl=%s/ovsdb.ctl" % rundir,
                                           "--log-file=%s/ovsdb.log" % rundir,
                                           rundir + "/conf.db"], env=self.env)
        wait_socket(rundir + "/db.sock", 20)
        self.vsctl("--no-wait", "init")
        self.vsctl("--no-wait", "set", "Open_vSwitch", ".", "other_config:dpdk-init=true",
                   "other_config:dpdk-extra=--file-prefix=fbovs --no-pci",
                   "other_config:dpdk-socket-mem=%d" % socket_mem,
                   "other_config:dpdk-lcore-mask=%#x" % (1 << main_cpu),
                   "other_config:pmd-cpu-mask=%#x" % (1 << pmd_cpu),
                   *["other_config:" + kv for kv in other_config])
        self.start_vswitchd()
        self.vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev")

    def start_vswitchd(self):
        """(Re)start ovs-vswitchd on the existing database: bridge and ports come back."""
        self.vswitchd = Proc("ovs-vswitchd", [VSWITCHD, self.db,
                                              "--unixctl=%s/vswitchd.ctl" % self.d,
                                              "--log-file=%s/vswitchd.log" % self.d],
                             env=self.env)
        time.sleep(1)

    def vsctl(self, *args):
        """ovs-vsctl on this instance's database: its stdout; an error fails."""
        return vsctl_run(["ovs-vsctl", "--db=" + self.db, "--timeout=30"] + list(args), self.env)

    def port_stats(self, port):
        """Live counters of one port from ovs-vswitchd itself (OpenFlow port
        statistics): {"rx_pkts", "rx_drop", "tx_pkts", "tx_drop"}, or {} when
        it cannot say.  The database's Interface statistics lag by up to
        stats-update-interval (5 s) and lose a vhost port's counters at times."""
        rc, out, _ = run(["ovs-ofctl", "dump-ports", "br0", port], env=self.env, quiet=True)
        m = re.search(r"rx pkts=(\d+), bytes=\d+, drop=(\d+).*tx pkts=(\d+), bytes=\d+, "
                      r"drop=(\d+)", out, re.S)
        if rc != 0 or not m:
            return {}
        return dict(zip(("rx_pkts", "rx_drop", "tx_pkts", "tx_drop"), map(int, m.groups())))

    def add_vhost_client_port(self, name, sock):
        self.vsctl("add-port", "br0", name, "--", "set", "Interface", name,
                   "type=dpdkvhostuserclient", "options:vhost-server-path=" + sock)

    def stop(self):
        for p in (self.vswitchd, self.ovsdb):
            if p.alive():
                p.stop()
        log = os.path.join(self.d, "vswitchd.log")
        return open(log).read() if os.path.exists(log) else ""
