"""Real pods through real runc: static manifests, lifecycle, status, logs,
policy, re-adoption and cleanup (issue 3)."""
import glob
import json
import os
import re
import signal
import subprocess
import time

import pytest

from harness import (CRI_LINE, actions, container_pid, cstatus, manifest,
                     proc_status, running, start_agentd, wait_for, wait_pod)

@pytest.fixture
def agentd(pod_agentd):
    return pod_agentd


# ---- running and status ----

def test_static_pod_runs_and_shows_running(agentd):
    agentd.write_manifest("web.yaml", manifest("web", "exec sleep 1000"))
    p = wait_pod(agentd, "web", running)
    assert p["status"]["phase"] == "Running"
    assert p["metadata"]["namespace"] == "default"
    assert re.fullmatch(r"[0-9a-f]{32}", p["metadata"]["uid"])
    conds = {c["type"]: c["status"] for c in p["status"]["conditions"]}
    assert conds["Ready"] == "True" and conds["ContainersReady"] == "True"
    assert conds["PodReadyToStartContainers"] == "True"
    cs = cstatus(p)
    assert cs["ready"] is True and cs["restartCount"] == 0
    assert cs["containerID"].startswith(("runc://", "crun://"))
    assert "sha256:" in cs["imageID"]
    pid = container_pid(agentd, "web")
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        assert f.read().split(b"\0")[:2] == [b"sleep", b"1000"]
    table = agentd.agentctl("get", "pods").stdout.splitlines()
    assert table[0].split() == ["NAMESPACE", "NAME", "READY", "STATUS",
                                "RESTARTS", "AGE"]
    row = [ln.split() for ln in table[1:] if "web-testnode" in ln][0]
    assert row[:5] == ["default", "web-testnode", "1/1", "Running", "0"]


def test_podlist_json_is_a_v1_podlist(agentd):
    agentd.write_manifest("a.yaml", manifest("a", "exec sleep 1000"))
    wait_pod(agentd, "a", running)
    doc = agentd.pods_json()
    assert doc["apiVersion"] == "v1" and doc["kind"] == "PodList"
    item = doc["items"][0]
    assert item["kind"] == "Pod" and item["spec"]["containers"][0]["name"] \
        == "c"
    one = json.loads(agentd.agentctl("get", "pod", "default/a-testnode").stdout)
    assert one["metadata"]["name"] == "a-testnode"
    assert one["status"]["phase"] == "Running"
    r = agentd.agentctl("get", "pod", "default/nope", check=False)
    assert r.returncode != 0 and "not found" in r.stderr


def test_logs_are_cri_format_and_agentctl_logs_prints_them(agentd):
    agentd.write_manifest("log.yaml", manifest(
        "log", "echo out-line; echo err-line >&2; exec sleep 1000"))
    p = wait_pod(agentd, "log", running)
    uid = p["metadata"]["uid"]
    path = os.path.join(agentd.logs, f"default_log-testnode_{uid}", "c",
                        "0.log")
    wait_for(lambda: os.path.exists(path) and
             "err-line" in open(path).read(), 10, what="log lines")
    lines = open(path).read().splitlines()
    parsed = [CRI_LINE.match(ln) for ln in lines]
    assert all(parsed), lines
    assert ("stdout", "out-line") in [(m.group(3), m.group(5))
                                      for m in parsed]
    assert ("stderr", "err-line") in [(m.group(3), m.group(5))
                                      for m in parsed]
    out = agentd.agentctl("logs", "default/log-testnode").stdout
    assert "out-line" in out and "err-line" in out


# ---- exit codes and restarts ----

def test_completed_pod_succeeds(agentd):
    agentd.write_manifest("ok.yaml", manifest("ok", "exit 0",
                                              restart="Never"))
    p = wait_pod(agentd, "ok", lambda p: p["status"]["phase"] ==
                 "Succeeded")
    t = cstatus(p)["state"]["terminated"]
    assert t["exitCode"] == 0 and t["reason"] == "Completed"
    assert cstatus(p)["restartCount"] == 0


def test_failed_pod_reports_exit_code(agentd):
    agentd.write_manifest("bad.yaml", manifest("bad", "exit 3",
                                               restart="Never"))
    p = wait_pod(agentd, "bad", lambda p: p["status"]["phase"] == "Failed")
    t = cstatus(p)["state"]["terminated"]
    assert t["exitCode"] == 3 and t["reason"] == "Error"
    assert t["finishedAt"] >= t["startedAt"]


def test_onfailure_does_not_restart_success(agentd):
    agentd.write_manifest("of.yaml", manifest("of", "exit 0",
                                              restart="OnFailure"))
    wait_pod(agentd, "of", lambda p: p["status"]["phase"] == "Succeeded")
    time.sleep(2)
    assert cstatus(agentd.pod("default", "of-testnode"))["restartCount"] == 0


def test_crashloop_backoff(agentd):
    agentd.write_manifest("crash.yaml", manifest("crash", "exit 1"))
    # the first restart is immediate, the next one waits 10 s
    p = wait_pod(agentd, "crash", lambda p: cstatus(p)["restartCount"] >= 1)
    p = wait_pod(agentd, "crash", lambda p: cstatus(p)["state"].get(
        "waiting", {}).get("reason") == "CrashLoopBackOff", timeout=20)
    cs = cstatus(p)
    assert cs["lastState"]["terminated"]["exitCode"] == 1
    n = cs["restartCount"]
    time.sleep(5)
    # within the 10 s backoff no further restart happens
    assert cstatus(agentd.pod("default", "crash-testnode"))["restartCount"] \
        == n
    wait_pod(agentd, "crash", lambda p: cstatus(p)["restartCount"] > n,
             timeout=15)
    # during the next (20 s) backoff the table says so
    wait_for(lambda: "CrashLoopBackOff" in [
        ln for ln in agentd.agentctl("get", "pods").stdout.splitlines()
        if "crash-testnode" in ln][0], 10, what="CrashLoopBackOff row")


def test_oom_killed(agentd):
    agentd.write_manifest("oom.yaml", manifest(
        "oom", "head -c 200m /dev/zero | tail > /dev/null",
        restart="Never",
        extra_ctr="    resources:\n      limits:\n        memory: 16Mi\n"))
    p = wait_pod(agentd, "oom", lambda p: "terminated" in
                 cstatus(p)["state"], timeout=40)
    assert cstatus(p)["state"]["terminated"]["reason"] == "OOMKilled"


def test_errimageneverpull(agentd):
    agentd.write_manifest("np.yaml", manifest("np", "true").replace(
        "image: busybox", "image: nosuchimage:1\n    imagePullPolicy: Never"))
    p = wait_pod(agentd, "np", lambda p: cstatus(p)["state"].get(
        "waiting", {}).get("reason") == "ErrImageNeverPull")
    assert p["status"]["phase"] == "Pending"


# ---- termination ----

def test_delete_manifest_sends_sigterm_then_removes(agentd):
    agentd.write_manifest("t.yaml", manifest(
        "t", "trap 'echo got-term; exit 0' TERM; "
        "while true; do sleep 0.1; done"))
    p = wait_pod(agentd, "t", running)
    uid = p["metadata"]["uid"]
    agentd.remove_manifest("t.yaml")
    wait_for(lambda: agentd.pod("default", "t-testnode") is None, 20,
             what="pod gone")
    log = open(os.path.join(agentd.logs, f"default_t-testnode_{uid}", "c",
                            "0.log")).read()
    assert "got-term" in log
    acts = [a for a in actions(agentd) if a[2] == "t-testnode"]
    assert ("container.stop", "intent", "t-testnode") in acts
    assert ("container.kill", "intent", "t-testnode") not in acts
    assert ("sandbox.remove", "outcome", "t-testnode") in acts


def test_grace_period_then_sigkill(agentd):
    agentd.write_manifest("g.yaml", manifest(
        "g", "trap '' TERM; while true; do sleep 0.1; done", grace=2))
    wait_pod(agentd, "g", running)
    t0 = time.monotonic()
    agentd.remove_manifest("g.yaml")
    wait_for(lambda: agentd.pod("default", "g-testnode") is None, 20,
             what="pod gone")
    assert time.monotonic() - t0 >= 2
    acts = [a for a in actions(agentd) if a[2] == "g-testnode"]
    assert ("container.kill", "intent", "g-testnode") in acts


def test_changed_manifest_replaces_pod(agentd):
    agentd.write_manifest("r.yaml", manifest("r", "exec sleep 1000"))
    old = wait_pod(agentd, "r", running)
    old_pid = container_pid(agentd, "r")
    agentd.write_manifest("r.yaml", manifest("r", "exec sleep 2000"))
    new = wait_pod(agentd, "r", lambda p: running(p) and
                   p["metadata"]["uid"] != old["metadata"]["uid"])
    assert new["metadata"]["uid"] != old["metadata"]["uid"]
    wait_for(lambda: not os.path.exists(f"/proc/{old_pid}"), 10,
             what="old container gone")


def _namesakes(a, name):
    return [i for i in a.pods_json()["items"]
            if i["metadata"]["namespace"] == "default" and
            i["metadata"]["name"] == f"{name}-testnode"]


def _table_rows(a, name):
    return [ln.split() for ln in a.agentctl("get", "pods").stdout.splitlines()
            if ln.split()[1:2] == [f"{name}-testnode"]]


def _replace_slowly(a, name, grace):
    """A pod that ignores SIGTERM, replaced by a manifest edit (new uid)."""
    a.write_manifest(f"{name}.yaml", manifest(
        name, "trap '' TERM; while true; do sleep 0.1; done", grace=grace))
    old = wait_pod(a, name, running)["metadata"]["uid"]
    a.write_manifest(f"{name}.yaml", manifest(
        name, "trap '' TERM; while true; do sleep 0.2; done", grace=grace))
    both = wait_for(lambda: (lambda ps: ps if len(ps) == 2 else False)(
        _namesakes(a, name)), 10, interval=0.1, what="old and new listed")
    return old, both


def _check_both(a, name, old, both):
    uids = [p["metadata"]["uid"] for p in both]
    assert len(set(uids)) == 2 and old in uids, uids
    new = next(u for u in uids if u != old)
    # the current pod first; only the old one is being deleted
    assert uids == [new, old]
    assert "deletionTimestamp" in both[1]["metadata"], both[1]["metadata"]
    assert both[1]["metadata"]["deletionGracePeriodSeconds"] > 0
    assert "deletionTimestamp" not in both[0]["metadata"]
    # each pod has its own spec: statuses did not cross
    cmds = [p["spec"]["containers"][0]["command"][-1] for p in both]
    assert "sleep 0.2" in cmds[0] and "sleep 0.1" in cmds[1], cmds
    return new


def test_replaced_pod_and_its_replacement_are_listed_apart(agentd):
    old, both = _replace_slowly(agentd, "rep", grace=6)
    new = _check_both(agentd, "rep", old, both)
    rows = _table_rows(agentd, "rep")
    assert len(rows) == 2, rows
    assert rows[1][3] == "Terminating" and rows[0][3] != "Terminating", rows
    out = agentd.agentctl("describe", "pod", "default/rep-testnode").stdout
    # both described, the current one first, each with its config hash (uid)
    assert len(re.findall(r"^Name:\s+rep-testnode$", out, re.M)) == 2, out
    assert out.index(new) < out.index(old), out
    assert re.search(r"^Status:\s+Terminating \(lasts \S+\)$", out, re.M)
    # `get pod NS/NAME` is the current one
    one = json.loads(agentd.agentctl("get", "pod",
                                     "default/rep-testnode").stdout)
    assert one["metadata"]["uid"] == new
    # when the old one is gone, only the new one is left, and it runs
    wait_for(lambda: len(_namesakes(agentd, "rep")) == 1, 20, interval=0.2,
             what="old pod gone")
    p = wait_pod(agentd, "rep", running)
    assert p["metadata"]["uid"] == new
    assert "deletionTimestamp" not in p["metadata"]
    rows = _table_rows(agentd, "rep")
    assert len(rows) == 1 and rows[0][3] == "Running", rows


def test_reporter_restart_during_a_replacement_keeps_both_apart(agentd):
    # the new reporter has no specs: the executor sends each again first
    old, both = _replace_slowly(agentd, "rr", grace=15)
    pid = agentd.pid("reporter")
    os.kill(pid, signal.SIGKILL)
    agentd.wait_new_pid("reporter", pid)
    both = wait_for(lambda: (lambda ps: ps if len(ps) == 2 else False)(
        _namesakes(agentd, "rr")), 10, interval=0.1, what="both resent")
    new = _check_both(agentd, "rr", old, both)
    wait_for(lambda: len(_namesakes(agentd, "rr")) == 1, 30, interval=0.2,
             what="old pod gone")
    assert wait_pod(agentd, "rr", running)["metadata"]["uid"] == new
    assert "its spec was not sent" not in agentd.log()


# ---- bad input ----

INVALID = {
    "notpod.yaml": ("apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n",
                    "kind"),
    "noname.yaml": ("apiVersion: v1\nkind: Pod\nmetadata: {}\nspec:\n"
                    "  containers:\n  - name: c\n    image: busybox\n",
                    "metadata.name"),
    "nocontainers.yaml": ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: nc\n"
                          "spec:\n  containers: []\n", "spec.containers"),
    "dup.yaml": ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: d\nspec:\n"
                 "  containers:\n  - name: c\n    image: busybox\n"
                 "  - name: c\n    image: busybox\n", "spec.containers[1].name"),
    "quantity.yaml": ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: q\nspec:\n"
                      "  containers:\n  - name: c\n    image: busybox\n"
                      "    resources:\n      limits:\n        memory: 12XB\n",
                      "spec.containers[0].resources.limits.memory"),
    "policy.yaml": ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n"
                    "  restartPolicy: Sometimes\n  containers:\n  - name: c\n"
                    "    image: busybox\n", "spec.restartPolicy"),
    "dns.yaml": ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: Bad_Name\n"
                 "spec:\n  containers:\n  - name: c\n    image: busybox\n",
                 "metadata.name"),
    "garbage.yaml": ("\x00\x01\x02 not yaml: [", ""),
}


def test_invalid_manifests_are_rejected_and_others_keep_running(agentd):
    agentd.write_manifest("good.yaml", manifest("good", "exec sleep 1000"))
    wait_pod(agentd, "good", running)
    pid = container_pid(agentd, "good")
    for name, (text, _) in INVALID.items():
        agentd.write_manifest(name, text)
    # wait for what is asserted: the watcher logs its rejection before
    # agentd audits it
    def audited():
        return {r["details"].get("file"): r for r in agentd.audit_records()
                if r["action"] == "manifest.reject"}
    wait_for(lambda: set(INVALID) <= set(audited()), 10,
             what="rejections audited")
    rejects = audited()
    for name, (_, field) in INVALID.items():
        assert name in rejects, name
        assert rejects[name]["details"].get("field", "").startswith(field), \
            (name, rejects[name])
        assert rejects[name]["error"]
    assert [p["metadata"]["name"] for p in agentd.pods_json()["items"]] == \
        ["good-testnode"]
    assert container_pid(agentd, "good") == pid
    assert agentd.proc.poll() is None


def test_policy_denies_privileged_pod(agentd):
    agentd.write_manifest("priv.yaml", manifest(
        "priv", "sleep 1000",
        extra_ctr="    securityContext:\n      privileged: true\n"))
    p = wait_pod(agentd, "priv", lambda p: p["status"]["phase"] == "Failed")
    assert "privileged" in p["status"]["message"]
    assert p["status"]["reason"] == "NodePolicyDenied"
    acts = [a for a in actions(agentd) if a[2] == "priv-testnode"]
    assert ("policy.deny", "event", "priv-testnode") in acts
    assert not any(a[0] in ("sandbox.create", "container.create")
                   for a in acts)


def test_policy_denies_host_network_unless_allowed(testbuild_dir,
                                                   busybox_image):
    text = manifest("hn", "exec sleep 1000", extra_spec="  hostNetwork: true\n")
    a = start_agentd(testbuild_dir, busybox_image)
    try:
        a.write_manifest("hn.yaml", text)
        wait_pod(a, "hn", lambda p: p["status"]["phase"] == "Failed")
    finally:
        a.cleanup()
    a = start_agentd(testbuild_dir, busybox_image,
                     extra_config={"allowHostNetwork": "true"})
    try:
        a.write_manifest("hn.yaml", text)
        wait_pod(a, "hn", running)
        pid = container_pid(a, "hn")
        assert os.readlink(f"/proc/{pid}/ns/net") == \
            os.readlink("/proc/self/ns/net")
    finally:
        a.cleanup()


# ---- security context and resources ----

def test_security_context_is_applied(agentd):
    agentd.write_manifest("sc.yaml", manifest(
        "sc", "exec sleep 1000",
        extra_ctr="    securityContext:\n      runAsUser: 1000\n"
        "      runAsGroup: 1000\n      readOnlyRootFilesystem: true\n"
        "      allowPrivilegeEscalation: false\n"
        "      capabilities:\n        drop: [\"ALL\"]\n"))
    wait_pod(agentd, "sc", running)
    st = proc_status(container_pid(agentd, "sc"))
    assert st["Uid"].split()[0] == "1000" and st["Gid"].split()[0] == "1000"
    assert int(st["CapEff"], 16) == 0 and int(st["CapBnd"], 16) == 0
    assert st["NoNewPrivs"] == "1"
    assert st["Seccomp"] == "2"


def test_pod_containers_share_network_namespace(agentd):
    agentd.write_manifest("two.yaml", (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: two\nspec:\n"
        "  terminationGracePeriodSeconds: 1\n"
        "  containers:\n  - name: a\n    image: busybox\n"
        "    command: [sleep, '1000']\n  - name: b\n    image: busybox\n"
        "    command: [sleep, '1000']\n"))
    p = wait_pod(agentd, "two", lambda p: all(
        "running" in c["state"] for c in p["status"]["containerStatuses"]))
    pids = []
    for c in p["status"]["containerStatuses"]:
        cid = c["containerID"].split("://", 1)[1]
        r = subprocess.run(["runc", "--root", agentd.runtime_root(), "state",
                            cid], capture_output=True, text=True, check=True)
        pids.append(json.loads(r.stdout)["pid"])
    nets = {os.readlink(f"/proc/{pid}/ns/net") for pid in pids}
    assert len(nets) == 1
    assert nets != {os.readlink("/proc/self/ns/net")}
    pidns = {os.readlink(f"/proc/{pid}/ns/pid") for pid in pids}
    assert len(pidns) == 2


# ---- restarts of agentd and workers ----

def test_kill9_agentd_readopts_running_containers(testbuild_dir,
                                                  busybox_image):
    a = start_agentd(testbuild_dir, busybox_image)
    try:
        a.write_manifest("keep.yaml", manifest("keep", "exec sleep 1000"))
        wait_pod(a, "keep", running)
        pid = container_pid(a, "keep")
        a.kill9()
        assert os.path.exists(f"/proc/{pid}")
        a.start()
        p = wait_pod(a, "keep", running)
        assert container_pid(a, "keep") == pid
        assert cstatus(p)["restartCount"] == 0
        creates = [r for r in a.audit_records()
                   if r["action"] == "container.create" and
                   r["phase"] == "intent"]
        assert len(creates) == 1
    finally:
        a.cleanup()


@pytest.mark.parametrize("role", ["executor", "watcher", "reporter"])
def test_worker_restart_keeps_pods_running(agentd, role):
    agentd.write_manifest("w.yaml", manifest("w", "exec sleep 1000"))
    wait_pod(agentd, "w", running)
    pid = container_pid(agentd, "w")
    old = agentd.pid(role)
    os.kill(old, signal.SIGKILL)
    agentd.wait_new_pid(role, old)
    p = wait_pod(agentd, "w", running)
    assert container_pid(agentd, "w") == pid
    assert cstatus(p)["restartCount"] == 0


# ---- cleanup ----

def test_removing_all_pods_leaves_nothing_behind(agentd):
    # (not "y" or "n": YAML 1.1 reads those as booleans, as Kubernetes does)
    for n in ("xa", "yb"):
        agentd.write_manifest(f"{n}.yaml", manifest(n, "exec sleep 1000"))
    for n in ("xa", "yb"):
        wait_pod(agentd, n, running)
    for n in ("xa", "yb"):
        agentd.remove_manifest(f"{n}.yaml")
    wait_for(lambda: not agentd.pods_json()["items"], 30,
             what="pods removed")
    r = subprocess.run(["runc", "--root", agentd.runtime_root(), "list",
                        "-q"], capture_output=True, text=True)
    assert r.stdout.split() == []
    with open("/proc/self/mountinfo") as f:
        assert not [ln for ln in f if agentd.top in ln]
    # the kubelet's QoS levels (kubepods, burstable, besteffort) stay,
    # no pod's cgroup does
    leftovers = [d for d in glob.glob(f"/sys/fs/cgroup/*/{agentd.cgroup_root}"
                                      "/**/pod*", recursive=True)
                 if os.path.isdir(d)]
    assert leftovers == []
    assert {os.path.basename(d) for d in glob.glob(
        f"/sys/fs/cgroup/*/{agentd.cgroup_root}/*") if os.path.isdir(d)} \
        <= {"kubepods"}
    assert subprocess.run(["pgrep", "-f", f"conmon.*{agentd.top}"],
                          capture_output=True).returncode == 1
    assert glob.glob(os.path.join(agentd.root, "containers", "*")) == []


def test_run_as_non_root_on_a_root_image_is_a_config_error(agentd):
    agentd.write_manifest("nr.yaml", manifest(
        "nr", "exec sleep 1000",
        extra_ctr="    securityContext:\n      runAsNonRoot: true\n"))
    p = wait_pod(agentd, "nr", lambda p: cstatus(p)["state"].get(
        "waiting", {}).get("reason") == "CreateContainerConfigError")
    assert "runAsNonRoot" in cstatus(p)["state"]["waiting"]["message"]
    assert p["status"]["phase"] == "Pending"
