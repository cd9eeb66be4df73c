"""The executor's spec identity (issue 9, item 4).

An upgrade of agentd to one whose podwire has another version word, or
another layout (a field this agentd does not know), restarts no container:
the identity is a hash of the Kubernetes fields (workers/executor/identity.c),
not of the wire bytes.  The test build's config keys testPodwireVersionBump
and testPodwireExtraField make every worker encode and decode that way.

The per-container and per-sandbox hashes: changing one container of a
two-container pod restarts that container only; changing a sandbox field
(hostNetwork) recreates the whole pod.  A static pod's uid is a hash of its
manifest, so an edited manifest is a new pod; these tests run the fake
watcher (tests/tools/fakewatcher.c) with its "fixeduid" directive, which
derives each uid from namespace/name only, as an API-server pod keeps its
uid when its spec is edited (the fake_libexec fixture of conftest.py).
"""
import json
import os
import subprocess
import time

import pytest

from harness import Agentd, manifest, start_agentd, wait_for, wait_pod, \
    worker_dir

# how long nothing may change once the new executor reports the pods: a
# restart for a changed hash starts as soon as the pod set is in
SETTLE = 6
# what the executor audits when it creates or removes anything
CHANGES = ("sandbox.create", "sandbox.remove", "container.create",
           "container.remove", "policy.allow")


def two_pod(name, b_image="busybox", b_cmd="1000", extra_spec=""):
    return ("apiVersion: v1\nkind: Pod\nmetadata:\n"
            f"  name: {name}\nspec:\n"
            f"  terminationGracePeriodSeconds: 1\n{extra_spec}"
            "  containers:\n"
            "  - name: a\n    image: busybox\n"
            "    command: [sleep, '1000']\n"
            f"  - name: b\n    image: {b_image}\n"
            f"    command: [sleep, '{b_cmd}']\n")


def ctrs(p):
    return {c["name"]: c for c in p["status"].get("containerStatuses") or []}


def all_running(n):
    def pred(p):
        cs = ctrs(p)
        return len(cs) == n and all("running" in c.get("state", {})
                                    for c in cs.values())
    return pred


def snapshot(a, p):
    """name -> (containerID, startedAt, restartCount, runtime pid); the
    last two of a container not running are None."""
    out = {}
    for name, c in ctrs(p).items():
        cid = c.get("containerID")
        run = c.get("state", {}).get("running")
        out[name] = (cid, run and run.get("startedAt"), c["restartCount"],
                     runtime_pid(a, cid) if cid and run else None)
    return out


def runtime_pid(a, container_id):
    rt, cid = container_id.split("://", 1)
    r = subprocess.run([rt, "--root", a.runtime_root(), "state", cid],
                       capture_output=True, text=True)
    return json.loads(r.stdout)["pid"] if r.returncode == 0 else None


def cmdline(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().split(b"\0")[:-1]


def changes_since(a, n, pod):
    return [(r["action"], r["phase"], r.get("container") or None)
            for r in a.audit_records()[n:]
            if r["action"] in CHANGES and
            (r.get("pod") or {}).get("name") == pod]


def set_config(a, **keys):
    """Rewrite the instance's agentd.yaml with keys replaced or added."""
    with open(a.config) as f:
        lines = [ln for ln in f.read().splitlines()
                 if ln.split(":", 1)[0] not in keys]
    lines += [f"{k}: {v}" for k, v in keys.items()]
    with open(a.config, "w") as f:
        f.write("\n".join(lines) + "\n")


# ---- (a) an upgrade with another podwire restarts nothing ----

HOOKS = {
    # the control: the same podwire, only the binaries replaced
    "none": {},
    "version": {"testPodwireVersionBump": "true"},
    "layout": {"testPodwireExtraField": "true"},
}


@pytest.mark.parametrize("key", ["testPodwireVersionBump",
                                 "testPodwireExtraField"])
def test_podwire_hook_keys_exist_in_the_test_build_only(build_dir,
                                                        testbuild_dir, key):
    a = Agentd(build_dir, extra_config={key: "true"}, start=False)
    try:
        r = subprocess.run([os.path.join(build_dir, "agentd"), "-n", "-f",
                            a.config], capture_output=True, text=True)
        assert r.returncode == 1 and key in r.stderr, r.stderr
        r = subprocess.run([os.path.join(testbuild_dir, "agentd"), "-n",
                            "-f", a.config], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    finally:
        a.cleanup()


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_upgrade_to_another_podwire_restarts_nothing(build_dir, testbuild_dir,
                                                     busybox_image, hook):
    # the pods start under the release build ...
    a = start_agentd(build_dir, busybox_image)
    try:
        a.write_manifest("one.yaml", manifest("one", "exec sleep 1000"))
        a.write_manifest("two.yaml", two_pod("two"))
        before = {n: snapshot(a, wait_pod(a, n, all_running(k)))
                  for n, k in (("one", 1), ("two", 2))}
        uids = {n: a.pod("default", f"{n}-testnode")["metadata"]["uid"]
                for n in before}
        n_audit = len(a.audit_records())
        # ... and agentd is replaced, over the running pods, by one whose
        # podwire differs (the test build with the hook on)
        a.kill9()
        set_config(a, libexecDir=worker_dir(testbuild_dir), **HOOKS[hook])
        a.build = testbuild_dir
        a.start()
        # the pods are reported again only once the new executor has their
        # spec: the watcher's pod set in the new podwire has come through
        for n, k in (("one", 1), ("two", 2)):
            wait_pod(a, n, all_running(k), what=f"pod {n} reported again")
        assert ("test hook: podwire version bumped" in a.log()) == \
            bool(HOOKS[hook])
        deadline = time.monotonic() + SETTLE
        while True:
            for n in before:
                p = a.pod("default", f"{n}-testnode")
                assert p is not None, f"pod {n} gone"
                assert p["metadata"]["uid"] == uids[n]
                assert p["status"]["phase"] == "Running", p["status"]
                assert snapshot(a, p) == before[n], \
                    f"pod {n}'s containers were restarted by the upgrade"
            if time.monotonic() > deadline:
                break
            time.sleep(0.5)
        for n in before:
            assert changes_since(a, n_audit, f"{n}-testnode") == []
        assert not [r for r in a.audit_records()
                    if r["action"] == "worker.protocol_violation"]
        assert a.restarts("watcher") == 0 and a.restarts("executor") == 0
    finally:
        a.cleanup()


# ---- (b), (c): per-container and per-sandbox hashes, with fixeduid ----

@pytest.fixture
def fixed(testbuild_dir, busybox_image, fake_libexec):
    a = start_agentd(testbuild_dir, busybox_image,
                     extra_config={"libexecDir": fake_libexec,
                                   "allowHostNetwork": "true"})
    try:
        a.agentctl("image", "import", busybox_image, "example.com/bb:two")
        # the directive first: the pod's first pod set has the fixed uid
        a.write_manifest("attack.json", "fixeduid\n")
        wait_for(lambda: "fake: attack fixeduid" in a.log(), 30,
                 interval=0.2, what="the fake watcher reading fixeduid")
        yield a
    finally:
        a.cleanup()


def start_two(a, **kw):
    a.write_manifest("two.yaml", two_pod("two", **kw))
    p = wait_pod(a, "two", all_running(2), what="both containers running")
    assert p["metadata"]["uid"].startswith("fixed-"), p["metadata"]
    return p, snapshot(a, p)


def wait_new_id(a, name, old_id, timeout=60):
    def pred(p):
        c = ctrs(p).get(name)
        return c is not None and \
            c.get("containerID") not in (None, old_id) and \
            "running" in c.get("state", {})
    return wait_pod(a, "two", pred, timeout=timeout,
                    what=f"container {name} with a new id, running")


@pytest.mark.parametrize("change", ["image", "command"])
def test_changing_one_container_restarts_only_it(fixed, change):
    a = fixed
    p, before = start_two(a)
    uid = p["metadata"]["uid"]
    n_audit = len(a.audit_records())
    if change == "image":
        a.write_manifest("two.yaml",
                         two_pod("two", b_image="example.com/bb:two"))
    else:
        a.write_manifest("two.yaml", two_pod("two", b_cmd="1001"))
    p = wait_new_id(a, "b", before["b"][0])
    p = wait_pod(a, "two", all_running(2))
    after = snapshot(a, p)
    assert p["metadata"]["uid"] == uid
    # b: a new container running the new spec
    assert after["b"][0] != before["b"][0]
    b = ctrs(p)["b"]
    if change == "image":
        assert b["image"] == "example.com/bb:two", b
    else:
        assert cmdline(after["b"][3])[-1] == b"1001"
    # a: the same container, started once, and it stays so
    deadline = time.monotonic() + SETTLE
    while True:
        now = snapshot(a, a.pod("default", "two-testnode"))
        assert now["a"] == before["a"], \
            f"container a was restarted: {before['a']} -> {now['a']}"
        assert now["b"] == after["b"], \
            f"container b restarted twice: {after['b']} -> {now['b']}"
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    acts = changes_since(a, n_audit, "two-testnode")
    assert not [x for x in acts if x[0].startswith("sandbox.")], acts
    assert not [x for x in acts if x[0] == "container.create" and
                x[2] == "a"], acts


def test_changing_a_sandbox_field_recreates_the_pod(fixed):
    a = fixed
    p, before = start_two(a)
    uid = p["metadata"]["uid"]
    n_audit = len(a.audit_records())
    a.write_manifest("two.yaml",
                     two_pod("two", extra_spec="  hostNetwork: true\n"))
    wait_new_id(a, "a", before["a"][0])
    wait_new_id(a, "b", before["b"][0])
    p = wait_pod(a, "two", all_running(2))
    after = snapshot(a, p)
    assert p["metadata"]["uid"] == uid
    for n in ("a", "b"):
        assert after[n][0] != before[n][0]
        assert os.readlink(f"/proc/{after[n][3]}/ns/net") == \
            os.readlink("/proc/self/ns/net")
    acts = changes_since(a, n_audit, "two-testnode")
    assert [x for x in acts if x[:2] == ("sandbox.remove", "intent")], acts
    assert [x for x in acts if x[:2] == ("sandbox.create", "intent")], acts
