#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""e2e_metrics: GET /metrics and REST on the control socket, with Debian's
curl (`--unix-socket`) and prometheus_client's own parser.

Two test guests on one tenant ping each other and end.  Checked: the
metrics text parses with prometheus_client.parser (Debian's
python3-prometheus-client); every port and tenant figure in it equals
`ferryctl stats` once the traffic has stopped; every VM has exits and every
PMD iterations.  Then REST: GET /v1/stats says what the line protocol says;
a tenant with a bad VNI gets a 400 naming tenant.vni; a good one is created
(POST), listed (GET /v1/status) and deleted (DELETE); an unknown resource
gets a 404 and a known one with the wrong method a 405."""
import json
import os
import subprocess

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest.proc import wait_socket

DEBIAN_PY = "/usr/bin/python3"  # Debian's, with Debian's prometheus_client
t.require_kvm()
t.require_program("curl", "curl")
if subprocess.run([DEBIAN_PY, "-c", "import prometheus_client.parser"],
                  capture_output=True).returncode:
    t.fail("python3-prometheus-client is not installed (apt install python3-prometheus-client)")
tmp = t.workdir()
ctl = os.path.join(tmp, "ctl.sock")
guest = "mode=ip ip=10.9.0.%d irq=msix serve_ms=3000"
path = os.path.join(tmp, "m.json")
f.write_config(path, tenants={"t": 7},
               vms=[f.guest_vm("a", "52:54:00:00:07:01",
                               guest % 1 + " ping=10.9.0.2 count=50 interval_ms=20", tenant="t"),
                    f.guest_vm("b", "52:54:00:00:07:02", guest % 2, tenant="t")],
               control=ctl)
ferry = f.start_ferry(path, tmp)
wait_socket(ctl)


def curl(method, url, body=None):
    return f.api(ctl, method, url, body)


def ctlj(*a):
    return json.loads(f.ferryctl(ctl, *a, quiet=True))


for vm in ("a", "b"):
    f.wait_result(ferry, vm, 60)
stats = ctlj("stats")
status, text = curl("GET", "/metrics")
t.check(status == 200 and "# TYPE ferry_port_rx_packets_total counter" in text,
        "GET /metrics: 200, %d lines of text" % len(text.splitlines()))
PARSE = """
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for fam in text_string_to_metric_families(sys.stdin.read()):
    for s in fam.samples:
        out.append([fam.type, s.name, s.labels, s.value])
print(json.dumps(out))
"""
p = subprocess.run([DEBIAN_PY, "-c", PARSE], input=text, capture_output=True, text=True,
                   timeout=60)
t.check(p.returncode == 0, "prometheus_client.parser read it (%s)" % p.stderr.strip()[-200:])
samples = json.loads(p.stdout)
value = {(s[1], tuple(sorted(s[2].items()))): s[3] for s in samples}
t.log("%d samples in %d families" % (len(samples), len({s[1] for s in samples})))

bad = []
n = 0
for kind, label, rows in (("port", "port", stats["ports"]), ("tenant", "tenant", stats["tenants"])):
    for row in rows:
        for key, v in row.items():
            if not isinstance(v, int) or isinstance(v, bool) or key == "vni":
                continue
            name = "ferry_%s_%s" % (kind, key) + ("" if key == "macs" else "_total")
            got = value.get((name, ((label, row["name"]),)))
            n += 1
            if got != v:
                bad.append("%s{%s=%s}: %s, ferryctl says %s" % (name, label, row["name"], got, v))
t.check(not bad and n > 20, "all %d port and tenant figures equal ferryctl stats%s"
        % (n, (": " + "; ".join(bad[:5])) if bad else ""))
t.check(stats["ports"] and all(r["rx_packets"] > 50 for r in stats["ports"]),
        "the guests' traffic is in them (%s)" % [r["rx_packets"] for r in stats["ports"]])
for vm in ("a", "b"):
    t.check(value.get(("ferry_vm_exits_total", (("kind", "pio"), ("vm", vm))), 0) > 0 and
            value.get(("ferry_vm_exits_total", (("kind", "mmio"), ("vm", vm))), 0) > 0,
            "VM %s: port I/O and MMIO exits counted" % vm)
t.check(value.get(("ferry_pmd_iterations_total", (("pmd", "0"),)), 0) > 0,
        "PMD 0: iterations counted")

status, text = curl("GET", "/v1/stats")
doc = json.loads(text)
t.check(status == 200 and doc["ports"] == stats["ports"] and doc["tenants"] == stats["tenants"],
        "GET /v1/stats: 200, the same ports and tenants as the line protocol")
status, text = curl("POST", "/v1/tenants", {"name": "blue", "vni": 0})
t.check(status == 400 and "tenant.vni: must be 1..16777215, got 0" in text,
        "POST /v1/tenants with VNI 0: 400 naming tenant.vni (%s)" % json.loads(text)["error"])
status, text = curl("POST", "/v1/tenants", {"name": "blue", "vni": 8})
t.check(status == 200, "POST /v1/tenants blue: %d" % status)
tenants = [x["name"] for x in json.loads(curl("GET", "/v1/status")[1])["config"]["tenants"]]
t.check("blue" in tenants, "GET /v1/status lists it (%s)" % tenants)
status, _ = curl("DELETE", "/v1/tenants/blue")
tenants = [x["name"] for x in json.loads(curl("GET", "/v1/status")[1])["config"]["tenants"]]
t.check(status == 200 and "blue" not in tenants, "DELETE /v1/tenants/blue: %d, gone" % status)
status, text = curl("GET", "/v1/nothing")
t.check(status == 404 and "no such resource" in text, "an unknown resource: 404")
status, text = curl("PUT", "/v1/stats")
t.check(status == 405 and "method not allowed" in text, "PUT on /v1/stats: 405")
f.stop_ferry(ferry)
t.passed()
