"""Node policy on hostPorts (issue 11, item 3): forbiddenHostPorts keeps
pods off the ports of the node's own services.  A pod asking for a port in
one of its ranges is denied by the executor's policy check, with the reason
in its status, a policy.deny audit record and a Warning event; a pod whose
hostPort is outside every range passes the policy.

No network is needed: without a CNI configuration an admitted pod's
hostPort cannot be published, and the sandbox says so
(test_cni.py's test_host_port_without_a_network_is_refused); reaching that
refusal, with a policy.allow record, is the proof it was admitted."""
import json
import os
import subprocess

import pytest

from harness import (Agentd, manifest, running, start_agentd, wait_for,
                     wait_pod)

FORBIDDEN = '[22, "2379-2380", "30000-32767", 30500]'


def host_port(port, container=80):
    return (f"    ports:\n    - containerPort: {container}\n"
            f"      hostPort: {port}\n")


def events(a, pod):
    doc = json.loads(a.agentctl("events", "-o", "json", "--pod",
                                pod).stdout)
    return doc["items"]


def audited(a, action, name):
    return [r for r in a.audit_records()
            if r["action"] == action and r["pod"]["name"] == name]


@pytest.fixture
def policy_agentd(testbuild_dir, busybox_image):
    a = start_agentd(testbuild_dir, busybox_image,
                     extra_config={"forbiddenHostPorts": FORBIDDEN})
    yield a
    a.cleanup()


def test_forbidden_host_port_denied_allowed_one_admitted(policy_agentd):
    a = policy_agentd
    a.write_manifest("etcd.yaml", manifest("etcd", "exec sleep 1000",
                                           extra_ctr=host_port(2380)))
    a.write_manifest("ok.yaml", manifest("ok", "exec sleep 1000",
                                         extra_ctr=host_port(18083)))
    try:
        want = "hostPort 2380 is in forbiddenHostPorts (2379-2380)"
        p = wait_pod(a, "etcd", lambda p: p["status"].get("phase") ==
                     "Failed", timeout=30)
        assert p["status"]["reason"] == "NodePolicyDenied"
        assert want in p["status"]["message"], p["status"]
        assert "spec.containers[0].ports[0].hostPort" in \
            p["status"]["message"]
        assert not running(p)
        deny = audited(a, "policy.deny", "etcd-testnode")
        assert len(deny) == 1 and want in json.dumps(deny[0]), deny
        e = wait_for(lambda: [e for e in events(a, "default/etcd-testnode")
                              if e["reason"] == "NodePolicyDenied"], 10,
                     interval=0.3, what="the NodePolicyDenied event")
        assert e[0]["type"] == "Warning" and want in e[0]["message"], e
        # the other pod passed the policy and got as far as publishing
        # its port, which loopback-only networking cannot do
        refused = ("hostPort 18083/TCP cannot be published: no CNI "
                   "configuration in ")
        p = wait_pod(a, "ok", lambda p: refused in json.dumps(p["status"]),
                     timeout=30, what="the sandbox's refusal")
        assert p["status"].get("reason") != "NodePolicyDenied"
        assert "forbiddenHostPorts" not in json.dumps(p["status"])
        assert len(audited(a, "policy.allow", "ok-testnode")) >= 1
        assert not audited(a, "policy.deny", "ok-testnode")
    finally:
        for m in ("etcd.yaml", "ok.yaml"):
            a.remove_manifest(m)
        wait_for(lambda: not a.pods_json()["items"], 60, interval=0.3,
                 what="pods removed")


@pytest.mark.parametrize("value,msg", [
    ('["2380-2379"]', "forbiddenHostPorts has a range LO-HI with LO above HI"),
    ("[0]", "forbiddenHostPorts has a port outside 1..65535"),
    ("[ssh]", "forbiddenHostPorts has an item that is not a port or a "
     "range LO-HI"),
])
def test_bad_forbidden_host_ports_refused_by_config_check(testbuild_dir,
                                                          value, msg):
    a = Agentd(testbuild_dir, start=False,
               extra_config={"forbiddenHostPorts": value})
    try:
        with open(a.config) as f:
            n = [ln.startswith("forbiddenHostPorts:")
                 for ln in f.read().splitlines()].index(True) + 1
        r = subprocess.run([os.path.join(testbuild_dir, "agentd"), "-n",
                            "-f", a.config], capture_output=True, text=True)
        assert r.returncode == 1, r.stderr
        assert f"line {n}: {msg}" in r.stderr, r.stderr
    finally:
        a.cleanup()
