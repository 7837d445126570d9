#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""e2e_api_openapi: the OpenAPI 3.1 document a running ferry serves at
GET /v1/openapi.json, checked against the server itself.

Checked with Debian's python3-jsonschema (draft 2020-12, the dialect the
document declares): every component schema is a valid JSON Schema and
every $ref resolves; every path without parameters answers its GET with a
200, and every documented operation exists (no 404); and for request
bodies the document and the server agree: what the schema accepts the
server accepts, and what it refuses (a VNI of 0, an unknown key, a missing
address) the server refuses with a 400 naming the same key."""
import json
import os
import subprocess

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest.proc import wait_socket

DEBIAN_PY = "/usr/bin/python3"  # Debian's, with Debian's jsonschema
t.require_program("curl", "curl")
if subprocess.run([DEBIAN_PY, "-c", "import jsonschema"], capture_output=True).returncode:
    t.fail("python3-jsonschema is not installed (apt install python3-jsonschema)")
tmp = t.workdir()
ctl = os.path.join(tmp, "ctl.sock")
path = os.path.join(tmp, "api.json")
with open(path, "w") as fp:
    json.dump({"switch": {"hugepages": "auto", "mbufs": 16384}, "vtep": {"local": "192.0.2.1"},
               "tenants": [{"name": "t", "vni": 7, "vxlan": True}],
               "control": {"socket": ctl}}, fp)
ferry = f.start_ferry(path, tmp)
wait_socket(ctl)


def curl(method, url, body=None):
    return f.api(ctl, method, url, body)


status, text = curl("GET", "/v1/openapi.json")
t.check(status == 200, "GET /v1/openapi.json: 200")
doc = json.loads(text)
t.check(doc["openapi"].startswith("3.1") and
        doc["jsonSchemaDialect"] == "https://json-schema.org/draft/2020-12/schema",
        "OpenAPI %s, JSON Schema draft 2020-12" % doc["openapi"])

# The schema side, in Debian's jsonschema: each component, each request body, samples.
SAMPLES = [
    ("tenant", {"name": "blue", "vni": 8}, None),
    ("tenant", {"name": "blue", "vni": 0}, "vni"),
    ("tenant", {"name": "blue", "vni": 9, "colour": "blue"}, "colour"),
    ("vtep", {"address": "192.0.2.7"}, None),
    ("vtep", {}, "address"),
]
CHECK = """
import json, sys
from jsonschema import Draft202012Validator, RefResolver
doc, samples = json.load(sys.stdin)
res = RefResolver.from_schema(doc)
for name, s in doc["components"]["schemas"].items():
    Draft202012Validator.check_schema(s)
    Draft202012Validator({"$ref": "#/components/schemas/" + name}, resolver=res).is_valid({})
bodies = {}
for path, item in doc["paths"].items():
    for method, op in item.items():
        body = op.get("requestBody")
        if body:
            s = body["content"]["application/json"]["schema"]
            Draft202012Validator.check_schema(s)
            bodies[(method, path)] = s
pick = {"tenant": ("post", "/v1/tenants"), "vtep": ("post", "/v1/tenants/{tenant}/vteps")}
out = []
for kind, sample, _ in samples:
    v = Draft202012Validator(bodies[tuple(pick[kind])], resolver=res)
    out.append(sorted(e.message for e in v.iter_errors(sample)))
print(json.dumps({"bodies": len(bodies), "verdicts": out}))
"""
p = subprocess.run([DEBIAN_PY, "-c", CHECK], input=json.dumps([doc, SAMPLES]),
                   capture_output=True, text=True, timeout=60)
t.check(p.returncode == 0, "every component and request-body schema is valid draft 2020-12 "
        "and every $ref resolves (%s)" % p.stderr.strip()[-300:])
res = json.loads(p.stdout)
t.log("%d operations with a request body" % res["bodies"])

# The server side: every documented operation exists; plain GETs answer 200.
missing = []
for path, item in doc["paths"].items():
    for method in item:
        # Reads name tenant t; writes name nothing that exists, so they change nothing.
        who = "t" if method == "get" else "nosuch"
        url = path.replace("{name}", who).replace("{tenant}", who).replace(
            "{address}", "192.0.2.250").replace("{interface}", "nosuch").replace(
            "{index}", "0").replace("{public_key}", "x")
        code, _ = curl(method.upper(), url, {} if method == "post" else None)
        if code == 404 and "no such resource" in _ or (
                "{" not in path and method == "get" and code != 200):
            missing.append("%s %s: %d" % (method.upper(), path, code))
t.check(not missing, "every documented operation is served, plain GETs with 200 (%s)"
        % missing[:4])

# Schema and server agree on each sample.
for (kind, sample, bad_key), errors in zip(SAMPLES, res["verdicts"]):
    if kind == "tenant":
        code, text = curl("POST", "/v1/tenants", sample)
        if code == 200:
            curl("DELETE", "/v1/tenants/" + sample["name"])
    else:
        code, text = curl("POST", "/v1/tenants/t/vteps", sample)
    ok_schema = not errors
    why = "" if ok_schema else " naming %s (%s)" % (bad_key, json.loads(text)["error"])
    t.check(ok_schema == (bad_key is None) and (code == 200) == ok_schema and
            (ok_schema or bad_key in text),
            "%s %s: schema %s, server %d%s"
            % (kind, json.dumps(sample), "accepts" if ok_schema else "refuses", code, why))
f.stop_ferry(ferry)
t.passed()
