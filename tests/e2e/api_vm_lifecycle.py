#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""e2e_api_vm_lifecycle: VMs over REST on the control socket, with Debian's
curl, in a ferry that started with a tenant and no VM at all.

Checked: the OpenAPI document's schema for POST /v1/vms accepts the VM
items sent (Debian's python3-jsonschema); guest b is created and booted in
one request, guest a created (state "created"), then booted; a pings b 50
times and ends by itself, all answered, and its NIC counters show the
traffic; a is deleted (its port leaves the switch) while b keeps running;
b is paused, and a new guest c then gets no answer, not even to its ARP,
while b's exit counts stand still; `ferryctl vms` prints both in a table and
`ferryctl --json vm-info` what the API answers; b is resumed by ferryctl,
and a new guest d's pings are all answered, so b survived all of it; b is
shut down (the ACPI power button, which the test guest ignores, then a stop
once ?timeout=1 has passed) and deleted.  Bad requests get a 400 naming the key path or the
state: a bad memory size, a NIC on an unknown tenant, a duplicate name,
deleting a running VM, pausing one never booted, an unknown VM."""
import json
import os
import subprocess

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest.proc import wait_socket, wait_until

DEBIAN_PY = "/usr/bin/python3"
t.require_kvm()
t.require_program("curl", "curl")
tmp = t.workdir()
ctl = os.path.join(tmp, "ctl.sock")
path = f.write_config(os.path.join(tmp, "api.json"), tenants={"t": 7}, control=ctl)
ferry = f.start_ferry(path, tmp)
wait_socket(ctl)


def api(method, url, body=None):
    code, text = f.api(ctl, method, url, body)
    return code, json.loads(text) if text.strip() else {}


def vm(name, last, cmd):
    return f.guest_vm(name, "52:54:00:00:07:%02x" % last, "mode=ip ip=10.9.0.%d irq=msix %s"
                      % (last, cmd), tenant="t")


def state(name):
    return api("GET", "/v1/vms/" + name)[1]["vm"]


B = vm("b", 2, "serve_ms=120000")
A = vm("a", 1, "ping=10.9.0.2 count=50 interval_ms=20 serve_ms=2000")
C = vm("c", 3, "ping=10.9.0.2 count=20 interval_ms=20 min_replies=0 serve_ms=1000")
D = vm("d", 4, "ping=10.9.0.2 count=20 interval_ms=20 serve_ms=1000")

# The document describes what we send.
doc = json.loads(f.api(ctl, "GET", "/v1/openapi.json")[1])
CHECK = """
import json, sys
from jsonschema import Draft202012Validator, RefResolver
doc, items = json.load(sys.stdin)
body = doc["paths"]["/v1/vms"]["post"]["requestBody"]["content"]["application/json"]["schema"]
v = Draft202012Validator(body, resolver=RefResolver.from_schema(doc))
print(json.dumps([sorted(e.message for e in v.iter_errors(i)) for i in items]))
"""
p = subprocess.run([DEBIAN_PY, "-c", CHECK], input=json.dumps([doc, [A, B, C, D, {"name": "x"}]]),
                   capture_output=True, text=True, timeout=60)
verdicts = json.loads(p.stdout) if p.returncode == 0 else None
t.check(verdicts and not any(verdicts[:4]) and verdicts[4],
        "the OpenAPI schema of POST /v1/vms accepts the four VMs and refuses one without a "
        "kernel (%s)" % (verdicts[4] if verdicts else p.stderr[-300:]))

code, r = api("POST", "/v1/vms?boot=1", B)
t.check(code == 200 and state("b")["state"] == "running", "POST /v1/vms?boot=1: b runs")
code, r = api("POST", "/v1/vms", A)
t.check(code == 200 and state("a")["state"] == "created", "POST /v1/vms: a is created, not run")

# Refusals, each naming what was wrong.
for method, url, body, want in (
        ("POST", "/v1/vms", dict(A, name="x", memory="64Q"), "vm.memory"),
        ("POST", "/v1/vms", dict(A, name="x", nics=[{"mac": "52:54:00:00:07:09",
                                                     "tenant": "nosuch"}]), "vm.nics[0].tenant"),
        ("POST", "/v1/vms", B, "vm.name"),
        ("DELETE", "/v1/vms/b", None, "is running: shut it down first"),
        ("PUT", "/v1/vms/a/pause", None, "is created: cannot pause it"),
        ("GET", "/v1/vms/nosuch", None, "no VM 'nosuch'")):
    code, r = api(method, url, body)
    t.check(code == 400 and want in r.get("error", ""),
            "%s %s: 400 (%s)" % (method, url, r.get("error")))

code, _ = api("PUT", "/v1/vms/a/boot")
t.check(code == 200, "PUT /v1/vms/a/boot: 200")
wait_until(lambda: state("a")["state"] == "ended", 60, "guest a to finish its pings")
a = state("a")
t.check("ping_sent=50" in a["result"] and "ping_recv=50" in a["result"],
        "a pinged b 50 times, all answered (%s)" % a["result"][:120])
t.check(a["nics"][0]["rx_packets"] >= 50 and a["nics"][0]["tx_delivered"] >= 50,
        "a's NIC counters show it: %s" % a["nics"][0])
code, _ = api("DELETE", "/v1/vms/a")
ports = [p["name"] for p in json.loads(f.api(ctl, "GET", "/v1/stats")[1])["ports"]]
names = [v["name"] for v in api("GET", "/v1/vms")[1]["vms"]]
t.check(code == 200 and "a.0" not in ports and names == ["b"],
        "DELETE /v1/vms/a: gone, and its port left the switch (ports %s)" % ports)
t.check(state("b")["state"] == "running", "b keeps running")

# Paused, b takes no part: c's pings meanwhile go unanswered, b's exits stand still.
code, _ = api("PUT", "/v1/vms/b/pause")
before = state("b")
t.check(code == 200 and before["state"] == "paused", "PUT /v1/vms/b/pause: paused")
code, _ = api("POST", "/v1/vms?boot=1", C)
wait_until(lambda: state("c")["state"] == "ended", 60, "guest c to finish its pings")
during = state("b")
offered = during["nics"][0]["tx_packets"] - before["nics"][0]["tx_packets"]
t.check(" rx=0 " in state("c")["result"] and "ping_recv=0 " in state("c")["result"] and
        during["exits"] == before["exits"] and offered > 0,
        "while b was paused, c got no answer, not even to ARP, though the switch offered b %d "
        "frames, and b's exits stood still (%s)" % (offered, during["exits"]))
# ferryctl is a client of the same API: a table by default, the reply with --json.
table = f.ferryctl(ctl, "vms", human=True)
rows = {w[0]: w[1] for w in (line.split() for line in table.splitlines()[1:]) if w}
t.check(table.startswith("VM ") and rows == {"b": "paused", "c": "ended"},
        "ferryctl vms prints a table of both VMs and their states (%s)" % rows)
t.check(json.loads(f.ferryctl(ctl, "vm-info", "b"))["vm"] == state("b"),
        "ferryctl --json vm-info b prints what GET /v1/vms/b answers")
out = f.ferryctl(ctl, "vm-resume", "nosuch", expect=1)
t.check("no VM 'nosuch'" in out, "ferryctl vm-resume nosuch: refused, naming it (%s)" % out.strip())
f.ferryctl(ctl, "vm-resume", "b")
t.check(state("b")["state"] == "running", "ferryctl vm-resume b: runs again")
code, _ = api("POST", "/v1/vms?boot=1", D)
wait_until(lambda: state("d")["state"] == "ended", 60, "guest d to finish its pings")
t.check("ping_recv=20" in state("d")["result"],
        "after the resume a new guest d pinged b 20 times, all answered")
# Shut down: the ACPI power button, which the test guest ignores, then a stop after the grace.
code, r = api("PUT", "/v1/vms/b/shutdown?timeout=soon")
t.check(code == 400 and "timeout" in r.get("error", ""),
        "PUT /v1/vms/b/shutdown?timeout=soon: 400 naming timeout (%s)" % r.get("error"))
code, _ = api("PUT", "/v1/vms/b/shutdown?timeout=1")
t.check(code == 200 and state("b")["state"] == "running",
        "PUT /v1/vms/b/shutdown?timeout=1: 200, and b still runs while its grace lasts")
wait_until(lambda: state("b")["state"] == "ended", 30, "b to be stopped after its grace")
t.check(state("b")["ended"] == "stopped on request",
        "b, deaf to the power button, was stopped when the grace ran out (%s)"
        % state("b")["ended"])
for name in ("b", "c", "d"):
    code, _ = api("DELETE", "/v1/vms/" + name)
    t.check(code == 200, "DELETE /v1/vms/%s: 200" % name)
t.check(api("GET", "/v1/vms")[1]["vms"] == [], "no VM left; ferry still serves")
f.stop_ferry(ferry)
t.passed()
