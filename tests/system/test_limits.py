"""Limits that fail one thing (issue 8, "What to build" 5): a legal static
directory is paced through every channel, a file or pod over a limit is
rejected by itself with a reason, a failing sandbox backs off, and a flood
of pod sets does not become a flood of relists."""
import datetime
import json
import os
import re
import stat
import time

import pytest

from harness import (Agentd, manifest, start_agentd, wait_for)

MANIFEST_MAX_BYTES = 512 * 1024     # include/msgcat.h
MANIFEST_MAX_FILES = 512
ENV_VALUE_MAX = 32 * 1024 - 1       # POD_MAX_ENV_VALUE - 1
TEST_PODSET_FLOOD = 3000            # include/msgcat.h
PODSET_SYNC_COALESCE_MS = 100       # workers/executor/executor.h


def table(a):
    """`agentctl get pods` rows as {name: status}; small whatever the pods."""
    rows = a.agentctl("get", "pods").stdout.splitlines()[1:]
    return {r.split()[1]: r.split()[3] for r in rows if r.strip()}


def rejects(a):
    return [r for r in a.audit_records() if r["action"] == "manifest.reject"]


def big_manifest(name, target):
    """A valid pod of ~target bytes whose bytes reach the executor and the
    reporter: annotations (Kubernetes caps them at 256 KiB in all) and env
    values make up the rest."""
    head = manifest(name, "exec sleep 1000")
    meta = "metadata:\n  name: %s\n" % name
    assert meta in head
    annots = "".join(f"    a{i:02d}: {'x' * 16000}\n" for i in range(15))
    env, size, i = [], len(head) + len(annots) + 32, 0
    while size < target - 64:
        n = min(ENV_VALUE_MAX, target - size - 64)
        env.append(f"    - name: E{i:02d}\n      value: {'y' * n}\n")
        size += n + 32
        i += 1
    text = head.replace(meta, meta + "  annotations:\n" + annots)
    return text + "    env:\n" + "".join(env)


def padded(text, size):
    """text padded with a YAML comment to exactly size bytes."""
    pad = size - len(text) - 3
    assert pad >= 0
    out = text + "#" + "p" * pad + "\n\n"
    assert len(out) == size
    return out


def remove_all_and_wait(a, timeout=300):
    for f in os.listdir(a.pods):
        os.unlink(os.path.join(a.pods, f))
    wait_for(lambda: not table(a), timeout, interval=1,
             what="every pod removed")


def test_81_pods_of_488k_all_run(testbuild_dir, busybox_image):
    """81 x 488 KiB is ~40 MiB, more than one channel may queue (32 MiB):
    agentd -> watcher -> executor -> reporter are all paced."""
    a = start_agentd(testbuild_dir, busybox_image)
    try:
        text = big_manifest("big00", 488 * 1024)
        assert 480 * 1024 < len(text) <= MANIFEST_MAX_BYTES
        for i in range(81):
            a.write_manifest(f"big{i:02d}.yaml",
                             text.replace("name: big00", f"name: big{i:02d}"))
        wait_for(lambda: len([s for s in table(a).values()
                              if s == "Running"]) == 81, 600, interval=2,
                 what="81 pods running")
        st = a.status()
        assert all(p["restarts"] == 0 for p in st["processes"]), st
        assert not rejects(a)
        # the bytes did cross: one pod's annotations as the reporter has them
        one = json.loads(a.agentctl("get", "pod",
                                    "default/big40-testnode").stdout)
        assert sum(len(v) for v in one["metadata"]["annotations"].values()) \
            >= 15 * 16000
        env = one["spec"]["containers"][0]["env"]
        assert sum(len(e["value"]) for e in env) > 200 * 1024
        assert "peer is not reading" not in a.log()
        remove_all_and_wait(a)
    finally:
        a.cleanup()


def test_podlist_json_of_81_large_pods_is_served(testbuild_dir):
    """The PodList of 81 x 488 KiB pods is ~40 MiB of JSON, more than the
    reporter may queue to agentd: the reply is paced, nobody restarts.
    (Policy-denied pods: the bytes are the same, nothing has to run.)"""
    a = Agentd(testbuild_dir)
    try:
        text = big_manifest("big00", 488 * 1024).replace(
            "spec:\n", "spec:\n  hostPID: true\n", 1)
        for i in range(81):
            a.write_manifest(f"big{i:02d}.yaml",
                             text.replace("name: big00", f"name: big{i:02d}"))
        wait_for(lambda: len(table(a)) == 81, 300, interval=1,
                 what="81 pods reported")
        out = a.agentctl("get", "pods", "-o", "json").stdout
        assert len(out) > 32 * 1024 * 1024
        assert len(json.loads(out)["items"]) == 81
        assert all(p["restarts"] == 0 for p in a.status()["processes"])
        remove_all_and_wait(a, 120)
    finally:
        a.cleanup()


def test_manifest_size_at_limit_runs_and_over_limit_is_rejected_alone(
        pod_agentd):
    a = pod_agentd
    a.write_manifest("at.yaml", padded(manifest("at", "exec sleep 1000"),
                                       MANIFEST_MAX_BYTES))
    a.write_manifest("over.yaml", padded(manifest("over", "exec sleep 1000"),
                                         MANIFEST_MAX_BYTES + 1))
    a.write_manifest("small.yaml", manifest("small", "exec sleep 1000"))
    wait_for(lambda: table(a).get("at-testnode") == "Running" and
             table(a).get("small-testnode") == "Running", 60,
             what="the pods within the limit run")
    rj = rejects(a)
    assert {r["details"]["file"] for r in rj} == {"over.yaml"}, rj
    assert "size limit" in rj[0]["error"]
    assert "over-testnode" not in table(a)


def test_file_count_at_limit_and_one_more_rejected_alone(testbuild_dir):
    """512 files are taken (policy-denied pods: reported, nothing runs);
    the 513th in name order is rejected by itself with a reason."""
    a = Agentd(testbuild_dir)
    try:
        text = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p{i:03d}\n"
                "spec:\n  hostPID: true\n  containers:\n  - name: c\n"
                "    image: busybox\n")
        for i in range(MANIFEST_MAX_FILES + 1):
            a.write_manifest(f"p{i:03d}.yaml", text.format(i=i))
        wait_for(lambda: len(table(a)) == MANIFEST_MAX_FILES, 120,
                 interval=1, what="512 pods reported")
        wait_for(lambda: rejects(a), 30, what="the 513th file rejected")
        time.sleep(1)
        files = {r["details"]["file"] for r in rejects(a)}
        assert files == {"p512.yaml"}, files
        assert "past the limit" in rejects(a)[0]["error"]
        t = table(a)
        assert "p512-testnode" not in t and "p000-testnode" in t
        assert all(s == "NodePolicyDenied" for s in t.values())
        assert a.restarts("watcher") == 0 and a.restarts("executor") == 0
    finally:
        a.cleanup()


@pytest.mark.parametrize("what,block,n_max", [
    ("containers", "ctr", 16),
    ("env", "env", 256),
    ("args", "args", 256),
    ("ports", "ports", 64),
    ("command", "command", 256),
    ("labels", "labels", 64),
    ("annotations", "annot", 61),   # 64 minus the three a static pod gets
])
def test_pod_over_a_model_limit_is_rejected_alone(testbuild_dir, what, block,
                                                  n_max):
    """At the limit the pod is accepted; one more and that pod alone is
    rejected with the field and reason, the others are untouched."""
    def pod(name, n):
        head = (f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n")
        if block == "annot":
            head += "  annotations:\n" + "".join(
                f"    k{i}: v\n" for i in range(n))
        if block == "labels":
            head += "  labels:\n" + "".join(
                f"    k{i}: v\n" for i in range(n))
        spec = "spec:\n  hostPID: true\n  containers:\n"
        ctrs = [f"  - name: c{i}\n    image: busybox\n"
                for i in range(n if block == "ctr" else 1)]
        if block == "env":
            ctrs[0] += "    env:\n" + "".join(
                f"    - name: E{i}\n      value: v\n" for i in range(n))
        if block in ("args", "command"):
            ctrs[0] += f"    {block}:\n" + "".join(
                f"    - a{i}\n" for i in range(n))
        if block == "ports":
            ctrs[0] += "    ports:\n" + "".join(
                f"    - containerPort: {1000 + i}\n" for i in range(n))
        return head + spec + "".join(ctrs)

    a = Agentd(testbuild_dir)
    try:
        a.write_manifest("at.yaml", pod("at", n_max))
        a.write_manifest("over.yaml", pod("over", n_max + 1))
        a.write_manifest("other.yaml", pod("other", 1))
        wait_for(lambda: {"at-testnode", "other-testnode"} <= set(table(a)),
                 30, what="the pods within the limit reported")
        rj = wait_for(lambda: rejects(a), 10, what="rejection")
        assert [r["details"]["file"] for r in rj] == ["over.yaml"], rj
        assert str(n_max) in rj[0]["error"], rj[0]
        assert "over-testnode" not in table(a)
        assert a.restarts("watcher") == 0 and a.restarts("executor") == 0
    finally:
        a.cleanup()


def failing_cni(top):
    d = os.path.join(top, "cni-fail")
    os.makedirs(d)
    p = os.path.join(d, "loopback")
    with open(p, "w") as f:
        f.write("#!/bin/sh\ncat >/dev/null\n"
                "echo '{\"cniVersion\":\"1.0.0\",\"code\":11,"
                "\"msg\":\"test plugin refuses\"}'\nexit 1\n")
    os.chmod(p, stat.S_IRWXU)
    return d


def audit_time(r):
    return datetime.datetime.strptime(r["time"][:26],
                                      "%Y-%m-%dT%H:%M:%S.%f").timestamp()


def test_failing_sandbox_backs_off(testbuild_dir, busybox_image, tmp_path):
    """A real CNI failure: sandbox.create is tried at 0, 10 s, 30 s ...,
    not at every relist (it was every second, two records each)."""
    cni = failing_cni(str(tmp_path))
    a = start_agentd(testbuild_dir, busybox_image,
                     extra_config={"cniBinDir": cni})
    try:
        a.write_manifest("sb.yaml", manifest("sb", "exec sleep 1000"))

        def intents():
            return [r for r in a.audit_records()
                    if r["action"] == "sandbox.create" and
                    r["phase"] == "intent"]
        wait_for(intents, 30, what="first sandbox attempt")
        time.sleep(24)
        rec = intents()
        outcomes = [r for r in a.audit_records()
                    if r["action"] == "sandbox.create" and
                    r["phase"] == "outcome"]
        assert all(o["outcome"] == "error" for o in outcomes)
        assert any("test plugin refuses" in (o.get("error") or "")
                   for o in outcomes), outcomes
        # attempts at 0 and 10 s (the next is due at 30 s)
        assert len(rec) == 2, [r["time"] for r in rec]
        gap = audit_time(rec[1]) - audit_time(rec[0])
        assert 9.5 <= gap <= 12, gap
        assert "sb-testnode" in table(a)
    finally:
        a.cleanup()


def sync_counts(a):
    a.agentctl("test-hook", "executor", "51")
    found = []

    def ok():
        found[:] = re.findall(r"podsets=(\d+) relists=(\d+)", a.log())
        return found
    wait_for(ok, 10, what="executor counters")
    podsets, relists = found[-1]
    return int(podsets), int(relists)


def test_podset_flood_is_coalesced_into_few_relists(testbuild_dir):
    a = Agentd(testbuild_dir)
    try:
        a.write_manifest("d.yaml", (
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: d\nspec:\n"
            "  hostPID: true\n  containers:\n  - name: c\n"
            "    image: busybox\n"))
        wait_for(lambda: "d-testnode" in table(a), 30, what="pod reported")
        p0, r0 = sync_counts(a)
        t0 = time.monotonic()
        a.agentctl("test-hook", "watcher", "50")
        wait_for(lambda: sync_counts(a)[0] >= p0 + TEST_PODSET_FLOOD, 60,
                 interval=0.5, what="the flood received")
        elapsed = time.monotonic() - t0
        p1, r1 = sync_counts(a)
        assert p1 - p0 >= TEST_PODSET_FLOOD
        # at most one relist per coalescing period, plus the 1 s relists
        bound = elapsed * (1000 / PODSET_SYNC_COALESCE_MS + 1) + 2
        assert r1 - r0 <= bound, (r1 - r0, elapsed)
        assert r1 - r0 < TEST_PODSET_FLOOD / 10
        assert a.restarts("watcher") == 0 and a.restarts("executor") == 0
        assert table(a) == {"d-testnode": "NodePolicyDenied"}
    finally:
        a.cleanup()
