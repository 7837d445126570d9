# SPDX-License-Identifier: BSD-3-Clause
"""Shared helpers for Ferry's interop tests (tests/interop/): run `ferry run`
as a daemon and read its output as it comes, drive DPDK's testpmd through its
interactive prompt, write configs whose test guests (tests/guest, mode=net)
check every byte they exchange, and parse the guests' FERRY-RESULT lines.

The tests run real peers.  They fail, naming the Debian package, when a peer
is not installed, and skip (exit 77, with the reason) only where the kernel
lacks something (/dev/kvm)."""
import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77
T0 = time.monotonic()


def log(msg):
    print("[%6.1fs] %s" % (time.monotonic() - T0, msg), flush=True)


def fail(msg):
    log("FAIL: " + msg)
    for d in WORKDIRS:
        log("logs and configs kept in " + d)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    log("ok: " + msg)


def require_kvm():
    if not os.path.exists("/dev/kvm"):
        print("SKIP: /dev/kvm is absent on this host")
        sys.exit(SKIP)


def require_program(name, package):
    path = shutil.which(name)
    if not path:
        fail("%s is not installed (apt-get install %s)" % (name, package))
    return path


def wait_until(cond, timeout, what, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(step)
    fail("timed out after %.0fs waiting for %s" % (timeout, what))


def wait_socket(path, timeout=30):
    wait_until(lambda: os.path.exists(path), timeout, "socket " + path)


LIVE = []


@atexit.register
def _kill_leftovers():
    """A failed check exits at once: take every peer still running down with it."""
    for p in LIVE:
        if p.alive():
            p.kill()


class Proc:
    """A child process (in its own process group) whose output, stdout and
    stderr together, is collected by a thread."""

    def __init__(self, name, argv, stdin=False, logdir=None):
        LIVE.append(self)
        self.name = name
        self.buf = ""
        self.lock = threading.Lock()
        log("start %s: %s" % (name, " ".join(argv)))
        self.logf = open(os.path.join(logdir, name + ".log"), "a") if logdir else None
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        while True:
            chunk = os.read(self.p.stdout.fileno(), 65536)
            if not chunk:
                return
            text = chunk.decode(errors="replace")
            with self.lock:
                self.buf += text
            if self.logf:
                self.logf.write(text)
                self.logf.flush()

    def text(self, since=0):
        with self.lock:
            return self.buf[since:]

    def size(self):
        with self.lock:
            return len(self.buf)

    def wait_text(self, pattern, timeout, since=0):
        """The first match of @pattern in the output after offset @since."""
        rx = re.compile(pattern, re.S)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            m = rx.search(self.text(since))
            if m:
                return m
            if self.p.poll() is not None:
                time.sleep(0.2)  # let the reader drain the last output
                m = rx.search(self.text(since))
                if m:
                    return m
                fail("%s exited (status %s) before printing /%s/; output:\n%s"
                     % (self.name, self.p.returncode, pattern, self.text()[-4000:]))
            time.sleep(0.05)
        fail("%s: no /%s/ within %.0fs; output:\n%s" % (self.name, pattern, timeout,
                                                          self.text(since)[-4000:]))

    def alive(self):
        return self.p.poll() is None

    def send_signal(self, sig):
        if self.alive():
            os.killpg(self.p.pid, sig)

    def wait(self, timeout):
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.send_signal(signal.SIGKILL)
            self.p.wait()
            fail("%s did not exit within %ds" % (self.name, timeout))
        finally:
            self.t.join(5)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        self.send_signal(sig)
        return self.wait(timeout)

    def kill(self):
        self.send_signal(signal.SIGKILL)
        self.p.wait()
        self.t.join(5)


# ---- ferry ----

def guest_vm(name, mac, cmdline, tenant=None, backend=None):
    nic = {"mac": mac}
    if tenant:
        nic["tenant"] = tenant
    if backend:
        nic["backend"] = {"vhost-user": backend}
    return {"name": name, "kernel": os.environ["FERRY_TEST_GUEST"], "memory": "64M",
            "cmdline": cmdline, "debug_exit": True, "nics": [nic]}


def write_config(path, tenants=None, vms=None, ports=None):
    """tenants {name: vni}; vms from guest_vm(); ports [(name, path, mode, tenant)]."""
    cfg = {"switch": {"hugepages": "auto", "mbufs": 16384, "idle_sleep_us": 200}}
    cfg["tenants"] = [{"name": n, "vni": v} for n, v in (tenants or {}).items()]
    if vms:
        cfg["vms"] = vms
    if ports:
        cfg["vhost_user_ports"] = [{"name": n, "path": p, "mode": m, "tenant": t}
                                   for n, p, m, t in ports]
    with open(path, "w") as f:
        json.dump(cfg, f, indent=1)


def start_ferry(cfg, logdir, name="ferry"):
    return Proc(name, [os.environ["FERRY"], "run", cfg], logdir=logdir)


def results(text):
    """{vm name or "": [result dicts]} from FERRY-RESULT lines (prefixed "[vm] " or not)."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"^(?:\[([^\]]+)\] )?FERRY-RESULT (.*)$", line)
        if m:
            out.setdefault(m.group(1) or "", []).append(
                dict(w.split("=", 1) for w in m.group(2).split() if "=" in w))
    return out


def wait_result(ferry, vm, timeout):
    """The last result of @vm; ferry prefixes console lines only when it runs several VMs."""
    ferry.wait_text(r"(?m)^(?:\[%s\] )?FERRY-RESULT " % re.escape(vm), timeout)
    time.sleep(0.1)
    res = results(ferry.text())
    return (res.get(vm) or res[""])[-1]


def check_pair(client, server, count, title):
    """The client got every echo back, every byte checked; the server echoed them."""
    check(client.get("sent") == str(count) and client.get("received") == str(count),
          "%s: client sent %s and got back %s of %d requests"
          % (title, client.get("sent"), client.get("received"), count))
    check(client.get("lost") == "0" and client.get("bad") == "0"
          and client.get("foreign") == "0",
          "%s: nothing lost, bad or foreign at the client (lost=%s bad=%s foreign=%s)"
          % (title, client.get("lost"), client.get("bad"), client.get("foreign")))
    check(int(server.get("echoed", "0")) >= count and server.get("bad") == "0"
          and server.get("foreign") == "0",
          "%s: server echoed %s frames, bad=%s foreign=%s"
          % (title, server.get("echoed"), server.get("bad"), server.get("foreign")))


# ---- testpmd ----

STATS_RX = re.compile(r"NIC statistics for port (\d+)\s+#+\s+RX-packets:\s+(\d+).*?"
                      r"TX-packets:\s+(\d+)", re.S)


FWD_BLOCK = re.compile(r"Forward statistics for port (\d+)\s+-+\s+(.*?)-{20,}", re.S)


class TestPmd(Proc):
    """dpdk-testpmd in interactive mode on two lcores (one forwards, busy),
    without hugepages, with the given --vdev arguments."""

    def __init__(self, name, vdevs, logdir, fwd="io", extra=()):
        # stdbuf: testpmd's printf output is block-buffered on a pipe otherwise.
        argv = ["stdbuf", "-oL", require_program("dpdk-testpmd", "dpdk-dev"), "-l", "0,1",
                "--no-pci",
                "--no-huge", "-m", "512", "--file-prefix", "ferry-%s-%d" % (name, os.getpid()),
                "--log-level", "*:warning"]
        for v in vdevs:
            argv += ["--vdev", v]
        argv += ["--", "-i", "--nb-cores=1", "--total-num-mbufs=16384", "--txd=256",
                 "--rxd=256", "--forward-mode=" + fwd] + list(extra)
        self.prefix = "/var/run/dpdk/ferry-%s-%d" % (name, os.getpid())
        self.nports = len(vdevs)
        super().__init__(name, argv, stdin=True, logdir=logdir)

    def cmd(self, line):
        self.p.stdin.write((line + "\n").encode())
        self.p.stdin.flush()

    def ready(self, timeout=60):
        self.wait_text(r"testpmd> ", timeout)

    def stats(self, timeout=20):
        """{port: (rx, tx)} from `show port stats all`."""
        since = self.size()
        self.cmd("show port stats all")
        last = "NIC statistics for port %d" % (self.nports - 1)
        self.wait_text(re.escape(last) + r".*?Tx-pps", timeout, since)
        return {int(p): (int(rx), int(tx))
                for p, rx, tx in STATS_RX.findall(self.text(since))}

    def stop_fwd(self, timeout=20):
        """Stop forwarding; {port: {"rx", "rx_dropped", "tx", "tx_dropped"}} of the run."""
        since = self.size()
        self.cmd("stop")
        self.wait_text(r"Accumulated forward statistics", timeout, since)
        out = {}
        for p, body in FWD_BLOCK.findall(self.text(since)):
            nums = dict((k, int(v)) for k, v in re.findall(r"([RT]X-\w+):\s+(\d+)", body))
            out[int(p)] = {"rx": nums["RX-packets"], "rx_dropped": nums["RX-dropped"],
                           "tx": nums["TX-packets"], "tx_dropped": nums["TX-dropped"]}
        return out

    def quit(self, timeout=30):
        if self.alive():
            self.cmd("stop")
            self.cmd("quit")
        self.wait(timeout)
        shutil.rmtree(self.prefix, ignore_errors=True)

    def kill(self):
        super().kill()
        shutil.rmtree(self.prefix, ignore_errors=True)


def total(stats, idx):
    return sum(v[idx] for v in stats.values())


WORKDIRS = []


def workdir():
    """A scratch directory for sockets, configs and logs; passed() removes it."""
    WORKDIRS.append(tempfile.mkdtemp(prefix="ferry-interop-"))
    return WORKDIRS[-1]


def passed():
    """Every check held: say so and drop the scratch directories (kept on failure)."""
    for d in WORKDIRS:
        shutil.rmtree(d, ignore_errors=True)
    print("PASS")
