# SPDX-License-Identifier: BSD-3-Clause
"""Ferry itself: its binaries (from the environment meson sets: FERRY,
FERRYCTL, FERRY_TEST_GUEST), configs whose VMs are Ferry's test guest,
`ferry run` to completion or as a daemon, the guests' FERRY-RESULT lines,
the run summary's tables (docs/running.md), and ferryctl."""
import json
import os
import re
import signal
import subprocess

from .check import check, fail
from .proc import Proc, run, wait_socket


def ferry_bin():
    return os.environ["FERRY"]


def guest_bin():
    return os.environ["FERRY_TEST_GUEST"]


def ferryctl_bin():
    return os.environ.get("FERRYCTL") or os.path.join(os.path.dirname(ferry_bin()), "ferryctl")


def guest_vm(name, mac, cmdline, tenant=None, backend=None, memory="64M", guest=None):
    """One test-guest VM with one NIC: on the switch in @tenant, or on an
    external vhost-user @backend (a socket path)."""
    nic = {"mac": mac}
    if tenant:
        nic["tenant"] = tenant
    if backend:
        nic["backend"] = {"vhost-user": backend}
    return {"name": name, "kernel": os.path.abspath(guest or guest_bin()), "memory": memory,
            "cmdline": cmdline, "debug_exit": True, "nics": [nic]}


def write_config(path, tenants=None, vms=None, ports=None, switch=None, control=None):
    """tenants {name: vni}; vms from guest_vm(); ports [(name, path, mode, tenant)],
    each with an optional fifth element, its queue pairs, and a sixth, a dict
    of further keys ({"tso": False})."""
    cfg = {"switch": switch or {"hugepages": "auto", "mbufs": 16384, "idle_sleep_us": 200}}
    cfg["tenants"] = [{"name": n, "vni": v} for n, v in (tenants or {}).items()]
    if vms:
        cfg["vms"] = vms
    if ports:
        cfg["vhost_user_ports"] = [dict({"name": port[0], "path": port[1], "mode": port[2],
                                         "tenant": port[3], "queues": (port[4:] or (1,))[0]},
                                        **(port[5] if len(port) > 5 else {}))
                                   for port in ports]
    if control:
        cfg["control"] = {"socket": control}
    with open(path, "w") as f:
        json.dump(cfg, f, indent=1)
    return path


# ---- running ferry ----

def start_ferry(cfg, logdir, name="ferry", cpus=None):
    """`ferry run CFG` as a daemon whose output is read as it comes."""
    return Proc(name, [ferry_bin(), "run", cfg], logdir=logdir, cpus=cpus)


def stop_ferry(ferry, what="ferry"):
    """SIGTERM, and the exit status docs/running.md promises for it: 0."""
    rc = ferry.stop(signal.SIGTERM)
    check(rc == 0, "%s stopped on SIGTERM with status 0 (got %d)" % (what, rc))
    return rc


def run_ferry(args, timeout=600):
    """`ferry ARGS...` to its end: (status, stdout, stderr), both printed."""
    rc, out, err = run([ferry_bin()] + list(args), timeout=timeout)
    print(out, flush=True)
    if err:
        print(err, flush=True)
    return rc, out, err


# ---- what the guests report ----

RESULT_LINE = re.compile(r"^(?:\[([^\]]+)\] )?FERRY-RESULT (.*)$", re.M)


def results(text):
    """{vm name, or "" for an unprefixed console: [result dicts in order]}."""
    out = {}
    for m in RESULT_LINE.finditer(text):
        out.setdefault(m.group(1) or "", []).append(
            dict(w.split("=", 1) for w in m.group(2).split() if "=" in w))
    return out


def result(text, **match):
    """The first result (any VM) whose keys include every key=value in @match."""
    for rs in results(text).values():
        for r in rs:
            if all(r.get(k) == str(v) for k, v in match.items()):
                return r
    fail("no FERRY-RESULT line with %s in:\n%s" % (match, text[-3000:]))


def last_result(res, vm):
    if not res.get(vm):
        fail("VM %s printed no FERRY-RESULT line" % vm)
    return res[vm][-1]


def wait_result(ferry, vm, timeout):
    """The last result of @vm from a running ferry (unprefixed with one VM)."""
    # The whole line: output arrives in chunks, and a line may be cut in two.
    ferry.wait_text(r"(?m)^(?:\[%s\] )?FERRY-RESULT .*\n" % re.escape(vm), timeout)
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


# ---- the run summary (cli/job.c) ----

VERDICTS = ("passed", "FAILED", "ended", "stopped")


def summary(text):
    """ferry run's summary: {"vms": {name: (tenant, verdict)}, "nics": {nic:
    {"from_guest", "to_guest", "undelivered", "dropped"}}, "tenants": {name:
    {"vni", "rx", "unicast", "flooded", "dropped", "undelivered", "macs"}},
    "verdict": the last line}.  Tables missing from @text are empty."""
    out = {"vms": {}, "nics": {}, "tenants": {}, "verdict": None}
    table = None
    for line in text.splitlines():
        w = line.split()
        if not w:
            table = None
            continue
        if w[:3] == ["vm", "tenant", "result"]:
            table = "vms"
        elif w[:3] == ["nic", "from", "guest"]:
            table = "nics"
        elif w[:3] == ["tenant", "vni", "rx"]:
            table = "tenants"
        elif line.startswith("ferry: "):
            out["verdict"] = line
        elif table == "vms" and len(w) >= 3 and w[2] in VERDICTS:
            out["vms"][w[0]] = (w[1], w[2])
        elif table == "nics" and len(w) == 5 and all(x.isdigit() for x in w[1:]):
            out["nics"][w[0]] = dict(zip(("from_guest", "to_guest", "undelivered", "dropped"),
                                         map(int, w[1:])))
        elif table == "tenants" and len(w) == 8 and all(x.isdigit() for x in w[1:]):
            out["tenants"][w[0]] = dict(zip(("vni", "rx", "unicast", "flooded", "dropped",
                                             "undelivered", "macs"), map(int, w[1:])))
    return out


# ---- ferryctl ----

def ferryctl(sock, *args, expect=0, timeout=30, quiet=False, human=False):
    """`ferryctl -s SOCK --json ARGS...`, checked to exit @expect; its stdout +
    stderr.  @quiet: no "ok" line (for polling); a wrong status still fails.
    @human: without --json, the tables an operator reads."""
    mode = [] if human else ["--json"]
    rc, out, err = run([ferryctl_bin(), "-s", sock] + mode + list(args), timeout=timeout,
                       quiet=True)
    what = "ferryctl %s -> %d (%s)" % (" ".join(args), rc, (out + err).strip()[:200])
    if quiet and rc != expect:
        fail(what)
    elif not quiet:
        check(rc == expect, what)
    return out + err


# ---- a backend that dies under a stream ----

def check_outage_loss(sent, received, outage_s, rate, new_took=None, new_delivered=None,
                      ring=256, burst=32, what="stream"):
    """A paced stream (@rate frames/s) through an external backend that was
    killed and replaced, the link down for @outage_s (from the kill to both
    NICs reconnected, as the test saw it); the guests say what was @sent and
    @received.  All the loss is bounded by what was due while the link was
    down: the frames the sender queued then (its ring) and the catch-up it
    sends after, which may overflow the receiver's ring; plus what was in
    flight in the killed backend (a burst each way).

    Where the new backend's counters are exact (testpmd), they say more: it
    took @new_took frames from the sender and delivered @new_delivered, so
    the killed one took (sent - new_took) and delivered (received -
    new_delivered), and the difference died with it: at most a burst each
    way.  A frame Ferry's replay skipped or sent twice would show there."""
    lost = sent - received
    check(lost >= 0, "%s: the receiver got no more than was sent (%d of %d)"
          % (what, received, sent))
    due = int(rate * outage_s)
    check(lost <= due + ring + 2 * burst,
          "%s: %d frames lost, no more than were due while the link was down (%d in %.1f s) "
          "plus a ring (%d) and two bursts" % (what, lost, due, outage_s, ring))
    if new_took is not None:
        died = (sent - new_took) - (received - new_delivered)
        check(0 <= died <= 2 * burst,
              "%s: the killed backend took %d frames and delivered %d: %d died with it "
              "(at most %d, a burst each way)" % (what, sent - new_took,
                                                  received - new_delivered, died, 2 * burst))
    return lost


def start_hosts(hosts, config, logdir):
    """One ferry per host: @hosts maps "a" and "b" to namespaces, @config(me,
    other) writes that host's config and returns (path, control socket).
    Returns ({host: socket}, {host: Proc}) once both sockets answer."""
    ctl, procs = {}, {}
    for me, other in (("a", "b"), ("b", "a")):
        path, ctl[me] = config(me, other)
        procs[me] = hosts[me].proc("ferry-" + me, [ferry_bin(), "run", path], logdir=logdir)
    for h in ctl:
        wait_socket(ctl[h])
    return ctl, procs


def api(sock, method, url, body=None):
    """One REST request over control socket @sock with Debian's curl
    (`--unix-socket`): (HTTP status, response text)."""
    argv = ["curl", "-s", "--unix-socket", sock, "-X", method, "-w", "\n%{http_code}",
            "http://ferry" + url]
    if body is not None:
        argv += ["-H", "Content-Type: application/json", "-d", json.dumps(body)]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout
    text, _, code = out.rpartition("\n")
    return int(code or 0), text
