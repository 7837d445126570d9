# SPDX-License-Identifier: BSD-3-Clause
"""Open vSwitch with DPDK as a benchmark peer, from a private run directory
(nothing system-wide is touched): ovsdb-server + ovs-vswitchd-dpdk (Debian
openvswitch-switch-dpdk), one netdev bridge with NORMAL action (MAC learning,
OVS's default flow), dpdkvhostuserclient ports whose sockets the guest serves.
OVS-DPDK always adds --in-memory, which DPDK 22.11 refuses with --no-huge, so
OVS needs hugepages: the caller reserves them."""
import os
import shutil
import time

from .procs import Proc, run

VSWITCHD = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"


class OvsDpdk:
    def __init__(self, rundir, pmd_cpu, main_cpu, socket_mem=512):
        self.d = rundir
        shutil.rmtree(rundir, ignore_errors=True)
        os.makedirs(rundir)
        self.env = dict(os.environ, OVS_RUNDIR=rundir, OVS_LOGDIR=rundir, OVS_DBDIR=rundir)
        self.db = "unix:%s/db.sock" % rundir
        run(["ovsdb-tool", "create", rundir + "/conf.db", SCHEMA], env=self.env)
        self.ovsdb = Proc(["ovsdb-server", "--remote=punix:%s/db.sock" % rundir,
                           "--unixctl=%s/ovsdb.ctl" % rundir, "--log-file=%s/ovsdb.log" % rundir,
                           rundir + "/conf.db"], env=self.env, name="ovsdb-server")
        self._wait(rundir + "/db.sock")
        self.vsctl("--no-wait", "init")
        self.vsctl("--no-wait", "set", "Open_vSwitch", ".", "other_config:dpdk-init=true",
                   "other_config:dpdk-extra=--file-prefix=fbovs --no-pci",
                   "other_config:dpdk-socket-mem=%d" % socket_mem,
                   "other_config:dpdk-lcore-mask=%#x" % (1 << main_cpu),
                   "other_config:pmd-cpu-mask=%#x" % (1 << pmd_cpu))
        self.start_vswitchd()
        self.vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev")

    def start_vswitchd(self):
        """(Re)start ovs-vswitchd on the existing database: bridge and ports come back."""
        self.vswitchd = Proc([VSWITCHD, self.db, "--unixctl=%s/vswitchd.ctl" % self.d,
                              "--log-file=%s/vswitchd.log" % self.d], env=self.env,
                             name="ovs-vswitchd")
        time.sleep(1)

    def _wait(self, path, timeout=20):
        end = time.monotonic() + timeout
        while not os.path.exists(path):
            if time.monotonic() > end:
                raise RuntimeError("%s did not appear" % path)
            time.sleep(0.05)

    def vsctl(self, *args):
        return run(["ovs-vsctl", "--db=" + self.db, "--timeout=30"] + list(args), env=self.env)

    def add_vhost_client_port(self, name, sock):
        self.vsctl("add-port", "br0", name, "--", "set", "Interface", name,
                   "type=dpdkvhostuserclient", "options:vhost-server-path=" + sock)

    def stop(self):
        for p in (self.vswitchd, self.ovsdb):
            p.stop()
        log = os.path.join(self.d, "vswitchd.log")
        return open(log).read() if os.path.exists(log) else ""
