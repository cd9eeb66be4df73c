"""Pod sandboxes without a pause process (issue 9, item 3): pinned
network, IPC and UTS namespaces under runDir/ns, joined by path; the pause
infra container only for a shared PID namespace."""
import glob
import json
import os
import subprocess

import pytest

from harness import (cstatus, manifest, running, start_agentd, wait_for,
                     wait_pod)


@pytest.fixture
def agentd(pod_agentd):
    return pod_agentd


TWO = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n"
       "  terminationGracePeriodSeconds: 1\n{extra}"
       "  containers:\n  - name: a\n    image: busybox\n"
       "    command: [sh, -c, {a!r}]\n  - name: b\n    image: busybox\n"
       "    command: [sh, -c, {b!r}]\n")


def all_running(p):
    cs = p["status"].get("containerStatuses") or []
    return len(cs) == 2 and all("running" in c["state"] for c in cs)


def runtime_ids(a):
    r = subprocess.run(["runc", "--root", a.runtime_root(), "list", "-q"],
                       capture_output=True, text=True)
    return r.stdout.split()


def ctr_pids(a, p):
    out = {}
    for c in p["status"]["containerStatuses"]:
        cid = c["containerID"].split("://", 1)[1]
        r = subprocess.run(["runc", "--root", a.runtime_root(), "state",
                            cid], capture_output=True, text=True, check=True)
        out[c["name"]] = json.loads(r.stdout)["pid"]
    return out


def sandbox_meta(a, uid):
    for path in glob.glob(os.path.join(a.root, "containers", "*",
                                       "meta.json")):
        with open(path) as f:
            m = json.load(f)
        if m.get("kind") == "sandbox" and m.get("pod_uid") == uid:
            return os.path.basename(os.path.dirname(path)), m
    return None, None


def mounts_under(path):
    with open("/proc/self/mountinfo") as f:
        rows = [ln.split() for ln in f]
    return [(r[4], r[6:r.index("-")], r[r.index("-") + 1])
            for r in rows if r[4] == path or r[4].startswith(path + "/")]


def ns_inode(pid, ns):
    # "net:[4026532...]"
    return int(os.readlink(f"/proc/{pid}/ns/{ns}").split("[")[1][:-1])


def log_text(a, p, container):
    uid = p["metadata"]["uid"]
    path = os.path.join(a.logs, f"default_{p['metadata']['name']}_{uid}",
                        container, "0.log")
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def test_pinned_namespaces_shared_by_containers_no_pause(agentd):
    agentd.write_manifest("pn.yaml", TWO.format(
        name="pn", extra="", a="hostname; exec sleep 1000",
        b="exec sleep 1000"))
    p = wait_pod(agentd, "pn", all_running)
    sid, meta = sandbox_meta(agentd, p["metadata"]["uid"])
    assert meta is not None and meta["pinned"] == 1
    # no process, no runtime state for the sandbox: the two containers only
    assert sorted(runtime_ids(agentd)) == sorted(
        c["containerID"].split("://", 1)[1]
        for c in p["status"]["containerStatuses"])
    assert sid not in runtime_ids(agentd)
    pins = os.path.join(agentd.run_dir, "ns", sid)
    pids = ctr_pids(agentd, p)
    for ns in ("net", "ipc", "uts"):
        ino = os.stat(os.path.join(pins, ns)).st_ino
        # both containers are in the pinned namespace, not the host's
        assert ns_inode(pids["a"], ns) == ino == ns_inode(pids["b"], ns)
        assert ns_inode(os.getpid(), ns) != ino
        assert meta[f"{ns}_ino"] == ino
    assert ns_inode(pids["a"], "pid") != ns_inode(pids["b"], "pid")
    # the pins are nsfs mounts in runDir/ns, which is unbindable
    m = {path: (opts, fs) for path, opts, fs in
         mounts_under(agentd.run_dir)}
    base = os.path.join(agentd.run_dir, "ns")
    assert "unbindable" in m[base][0], m[base]
    for ns in ("net", "ipc", "uts"):
        assert m[os.path.join(pins, ns)][1] == "nsfs"
    # the pod's hostname, set in the pinned UTS namespace
    wait_for(lambda: "pn-testnode" in log_text(agentd, p, "a"), 10,
             what="hostname in the log")
    assert "sandbox.create" in [r["action"] for r in agentd.audit_records()]


def test_pinned_namespaces_removed_with_their_pod(agentd):
    agentd.write_manifest("gone.yaml", manifest("gone", "exec sleep 1000"))
    p = wait_pod(agentd, "gone", running)
    sid, _ = sandbox_meta(agentd, p["metadata"]["uid"])
    assert os.path.isdir(os.path.join(agentd.run_dir, "ns", sid))
    agentd.remove_manifest("gone.yaml")
    wait_for(lambda: agentd.pod("default", "gone-testnode") is None, 20,
             what="pod gone")
    assert mounts_under(agentd.run_dir) == []
    assert not os.path.exists(os.path.join(agentd.run_dir, "ns"))
    assert glob.glob(os.path.join(agentd.root, "containers", "*")) == []
    assert glob.glob(os.path.join(agentd.root, "pods", "*")) == []
    with open("/proc/self/mountinfo") as f:
        assert not [ln for ln in f if agentd.top in ln]


def test_pinned_sandbox_readopted_after_kill9(testbuild_dir, busybox_image):
    a = start_agentd(testbuild_dir, busybox_image)
    try:
        a.write_manifest("keep.yaml", manifest("keep", "exec sleep 1000"))
        p = wait_pod(a, "keep", running)
        uid = p["metadata"]["uid"]
        sid, _ = sandbox_meta(a, uid)
        pid = ctr_pids(a, p)["c"]
        net = ns_inode(pid, "net")
        a.kill9()
        # nothing holds the namespaces but the pins: they stay
        assert os.path.exists(f"/proc/{pid}")
        assert os.stat(os.path.join(a.run_dir, "ns", sid, "net")).st_ino \
            == net
        a.start()
        p = wait_pod(a, "keep", running)
        assert ctr_pids(a, p)["c"] == pid
        assert cstatus(p)["restartCount"] == 0
        assert sandbox_meta(a, uid)[0] == sid
        acts = [(r["action"], r["phase"]) for r in a.audit_records()]
        assert acts.count(("sandbox.create", "intent")) == 1
        assert acts.count(("container.create", "intent")) == 1
        a.remove_manifest("keep.yaml")
        wait_for(lambda: a.pod("default", "keep-testnode") is None, 20,
                 what="pod gone")
        assert not os.path.exists(f"/proc/{pid}") or \
            open(f"/proc/{pid}/stat").read().split()[2] == "Z"
        assert mounts_under(a.run_dir) == []
        assert glob.glob(os.path.join(a.root, "containers", "*")) == []
    finally:
        a.cleanup()


def test_shared_pid_namespace_keeps_a_pause_pid1(agentd):
    agentd.write_manifest("sp.yaml", TWO.format(
        name="sp", extra="  shareProcessNamespace: true\n",
        a="exec sleep 1001",
        b="sleep 1; while ! ps -o pid,args | grep -q 'sleep 100[1]'; do "
          "sleep 0.2; done; ps -o pid,args; exec sleep 1000"))
    p = wait_pod(agentd, "sp", all_running)
    assert p["spec"].get("shareProcessNamespace") is True
    sid, meta = sandbox_meta(agentd, p["metadata"]["uid"])
    assert meta["pinned"] == 0
    # the infra container runs under the runtime, its pause is the PID 1
    assert sid in runtime_ids(agentd)
    r = subprocess.run(["runc", "--root", agentd.runtime_root(), "state",
                        sid], capture_output=True, text=True, check=True)
    pause = json.loads(r.stdout)["pid"]
    with open(f"/proc/{pause}/comm") as f:
        assert f.read().strip() == "agentd-pause"
    with open(f"/proc/{pause}/status") as f:
        nspid = [ln for ln in f if ln.startswith("NSpid:")][0].split()
    assert nspid[-1] == "1"
    pids = ctr_pids(agentd, p)
    for ns in ("pid", "net", "ipc", "uts"):
        assert ns_inode(pids["a"], ns) == ns_inode(pause, ns) == \
            ns_inode(pids["b"], ns)
    assert not os.path.exists(os.path.join(agentd.run_dir, "ns", sid))
    # b sees a's process and the pause process
    wait_for(lambda: "sleep 1001" in log_text(agentd, p, "b"), 15,
             what="a's process in b's ps")
    text = log_text(agentd, p, "b")
    assert "/agentd-pause" in text
    agentd.remove_manifest("sp.yaml")
    wait_for(lambda: agentd.pod("default", "sp-testnode") is None, 20,
             what="pod gone")
    assert runtime_ids(agentd) == []
    assert mounts_under(agentd.run_dir) == []


def test_share_process_namespace_with_host_pid_is_rejected(agentd):
    agentd.write_manifest("bad.yaml", manifest(
        "bad", "exec sleep 1000",
        extra_spec="  shareProcessNamespace: true\n  hostPID: true\n"))
    wait_for(lambda: [r for r in agentd.audit_records()
                      if r["action"] == "manifest.reject"], 10,
             what="rejection audited")
    rej = [r for r in agentd.audit_records()
           if r["action"] == "manifest.reject"][0]
    assert rej["details"]["field"] == "spec.shareProcessNamespace"
    assert agentd.pod("default", "bad-testnode") is None
