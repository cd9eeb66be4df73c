"""Init containers and sidecars (restartable init containers) through
real runc (issue 13, item 2): order, failures under each restartPolicy,
sidecars beside the containers and stopped after them, the status and
`agentctl get pods` as kubectl prints them, an executor restart."""
import os
import re
import signal
import subprocess
import json
import time

import pytest

from harness import CRI_LINE, cstatus, wait_for, wait_pod


@pytest.fixture
def agentd(pod_agentd):
    return pod_agentd


def init_pod(name, inits, main="exec sleep 1000", restart="Always", grace=1,
             sidecar_extra=""):
    """inits: (name, script, sidecar) in order; the main container is c;
    sidecar_extra: more fields of every sidecar (probes)."""
    out = (f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n"
           f"spec:\n  restartPolicy: {restart}\n"
           f"  terminationGracePeriodSeconds: {grace}\n"
           f"  initContainers:\n")
    for n, script, sidecar in inits:
        out += (f"  - name: {n}\n    image: busybox\n"
                f"    command: [\"sh\", \"-c\", {script!r}]\n")
        if sidecar:
            out += "    restartPolicy: Always\n" + sidecar_extra
    out += (f"  containers:\n  - name: c\n    image: busybox\n"
            f"    command: [\"sh\", \"-c\", {main!r}]\n")
    return out


def istatus(pod, name):
    for s in pod["status"].get("initContainerStatuses") or []:
        if s["name"] == name:
            return s
    return None


def cond(pod, kind):
    for c in pod["status"].get("conditions") or []:
        if c["type"] == kind:
            return c
    return None


def row(a, name):
    """`agentctl get pods` columns of the pod: READY, STATUS, RESTARTS."""
    for ln in a.agentctl("get", "pods").stdout.splitlines()[1:]:
        cells = ln.split()
        if cells[1] == f"{name}-testnode":
            return cells[2], cells[3], cells[4]
    return None


def status_seen(a, name, want, timeout=30):
    return wait_for(lambda: (row(a, name) or (None, None))[1] == want,
                    timeout, interval=0.1, what=f"STATUS {want}")


def first_log_time(a, pod, ctr):
    uid = pod["metadata"]["uid"]
    path = os.path.join(a.logs, f"default_{pod['metadata']['name']}_{uid}",
                        ctr, "0.log")
    wait_for(lambda: os.path.exists(path) and os.path.getsize(path) > 0, 10,
             what=f"log of {ctr}")
    line = open(path).read().splitlines()[0]
    assert CRI_LINE.match(line), line
    return line.split(" ", 1)[0]


def parse_rfc3339(ts):
    """2024-01-02T03:04:05.123456789Z (or +00:00) to seconds, to the ns."""
    from datetime import datetime
    m = re.fullmatch(r"([^.]+)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", ts)
    assert m, ts
    tz = "+00:00" if m.group(3) == "Z" else m.group(3)
    frac = (m.group(2) or "0").ljust(9, "0")[:9]
    return datetime.fromisoformat(m.group(1) + tz).timestamp() + \
        int(frac) / 1e9


def runtime_pid(a, cid):
    rt, cid = cid.split("://", 1)
    r = subprocess.run([rt, "--root", a.runtime_root(), "state", cid],
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout)["pid"]


def creates(a, ctr):
    return [r for r in a.audit_records() if r["action"] ==
            "container.create" and r["phase"] == "intent" and
            r.get("container") == ctr]


# ---- order and status ----

def test_init_containers_run_in_order_then_the_container(agentd):
    agentd.write_manifest("io.yaml", init_pod("io", [
        ("one", "echo one; sleep 2", False),
        ("two", "echo two; sleep 1", False)],
        main="echo main; exec sleep 1000"))
    # while the first runs: Init:0/2, Pending, Initialized False
    status_seen(agentd, "io", "Init:0/2")
    p = agentd.pod("default", "io-testnode")
    assert p["status"]["phase"] == "Pending"
    ini = cond(p, "Initialized")
    assert ini["status"] == "False"
    assert ini["reason"] == "ContainersNotInitialized"
    assert "containers with incomplete status: [one two]" in ini["message"]
    assert cstatus(p)["state"]["waiting"]["reason"] == "PodInitializing"
    status_seen(agentd, "io", "Init:1/2")
    p = wait_pod(agentd, "io", lambda q: "running" in cstatus(q)["state"])
    assert p["status"]["phase"] == "Running"
    assert cond(p, "Initialized")["status"] == "True"
    assert cond(p, "Ready")["status"] == "True"
    names = [s["name"] for s in p["status"]["initContainerStatuses"]]
    assert names == ["one", "two"]
    for n in ("one", "two"):
        s = istatus(p, n)
        t = s["state"]["terminated"]
        assert t["exitCode"] == 0 and t["reason"] == "Completed"
        assert s["ready"] is True and s["started"] is False
        assert s["restartCount"] == 0
        assert s["containerID"].startswith(("runc://", "crun://"))
    assert row(agentd, "io")[:2] == ("1/1", "Running")
    t1 = parse_rfc3339(first_log_time(agentd, p, "one"))
    t2 = parse_rfc3339(first_log_time(agentd, p, "two"))
    tm = parse_rfc3339(first_log_time(agentd, p, "c"))
    # each began after the one before had ended (it sleeps after its line)
    assert t2 - t1 >= 1.9, (t1, t2)
    assert tm - t2 >= 0.9, (t2, tm)
    assert agentd.agentctl("logs", "default/io-testnode", "-c",
                           "two").stdout.strip() == "two"
    # the spec JSON carries them back
    assert [c["name"] for c in p["spec"]["initContainers"]] == ["one", "two"]
    # kubectl describe's order: the init containers, then the containers
    d = agentd.agentctl("describe", "pod", "default/io-testnode").stdout
    assert d.index("Init Containers:\n  one:") < d.index("\n  two:") < \
        d.index("Containers:\n  c:"), d


# ---- failures ----

@pytest.mark.parametrize("policy", ["Always", "OnFailure"])
def test_failed_init_container_is_restarted(agentd, policy):
    agentd.write_manifest("if.yaml", init_pod("if", [
        ("bad", "echo try; exit 3", False)], restart=policy))
    # the first failure is restarted at once, the next after a back-off
    p = wait_pod(agentd, "if", lambda q: (istatus(q, "bad") or {}).get(
        "restartCount", 0) >= 1 and "waiting" in istatus(q, "bad")["state"]
        and istatus(q, "bad")["state"]["waiting"].get("reason") ==
        "CrashLoopBackOff", timeout=30)
    s = istatus(p, "bad")
    assert s["lastState"]["terminated"]["exitCode"] == 3
    assert s["lastState"]["terminated"]["reason"] == "Error"
    assert p["status"]["phase"] == "Pending"
    assert cond(p, "Initialized")["status"] == "False"
    assert cstatus(p)["state"]["waiting"]["reason"] == "PodInitializing"
    ready, status, restarts = row(agentd, "if")
    assert (ready, status) == ("0/1", "Init:CrashLoopBackOff")
    assert restarts.split()[0] == str(s["restartCount"])
    assert creates(agentd, "c") == []


def test_init_error_shown_between_restarts(agentd):
    # a slow failure: the terminated state is seen before the restart
    agentd.write_manifest("ie.yaml", init_pod("ie", [
        ("bad", "sleep 0.5; exit 2", False)], restart="OnFailure"))
    status_seen(agentd, "ie", "Init:Error", timeout=20)


def test_failed_init_container_under_never_fails_the_pod(agentd):
    agentd.write_manifest("in.yaml", init_pod("in", [
        ("bad", "exit 3", False), ("next", "exit 0", False)],
        restart="Never"))
    p = wait_pod(agentd, "in", lambda q: q["status"]["phase"] == "Failed")
    s = istatus(p, "bad")
    assert s["state"]["terminated"]["exitCode"] == 3
    assert s["restartCount"] == 0
    assert "waiting" in istatus(p, "next")["state"]
    assert cstatus(p)["state"]["waiting"]["reason"] == "PodInitializing"
    assert row(agentd, "in")[1] == "Init:Error"
    time.sleep(2)
    p = agentd.pod("default", "in-testnode")
    assert istatus(p, "bad")["restartCount"] == 0
    assert creates(agentd, "next") == [] and creates(agentd, "c") == []


# ---- sidecars ----

def test_sidecar_runs_beside_the_container_and_is_restarted(agentd):
    agentd.write_manifest("sc.yaml", init_pod("sc", [
        ("side", "exec sleep 1000", True)]))
    p = wait_pod(agentd, "sc", lambda q: "running" in cstatus(q)["state"])
    s = istatus(p, "side")
    assert "running" in s["state"]
    assert s["started"] is True and s["ready"] is True
    assert cond(p, "Initialized")["status"] == "True"
    assert row(agentd, "sc")[:2] == ("2/2", "Running")
    main_pid = runtime_pid(agentd, cstatus(p)["containerID"])
    os.kill(runtime_pid(agentd, s["containerID"]), signal.SIGKILL)
    p = wait_pod(agentd, "sc", lambda q: istatus(q, "side")["restartCount"]
                 >= 1 and "running" in istatus(q, "side")["state"])
    assert istatus(p, "side")["lastState"]["terminated"]["exitCode"] == 137
    # the container went on beside it
    assert runtime_pid(agentd, cstatus(p)["containerID"]) == main_pid
    assert cstatus(p)["restartCount"] == 0
    assert p["status"]["phase"] == "Running"


def test_sidecars_stopped_after_the_container_in_reverse_order(agentd):
    side = "trap 'exit 0' TERM; while true; do sleep 0.1; done"
    agentd.write_manifest("so.yaml", init_pod("so", [
        ("s1", side, True), ("s2", side, True)],
        main="trap 'sleep 1; exit 0' TERM; while true; do sleep 0.1; done",
        grace=10))
    wait_pod(agentd, "so", lambda q: "running" in cstatus(q)["state"] and
             all("running" in istatus(q, n)["state"] for n in ("s1", "s2")))
    assert row(agentd, "so")[0] == "3/3"
    agentd.remove_manifest("so.yaml")
    wait_for(lambda: agentd.pod("default", "so-testnode") is None, 30,
             what="pod gone")
    stops = [r["container"] for r in agentd.audit_records()
             if r["action"] in ("container.stop", "container.kill") and
             r["phase"] == "intent" and r["pod"]["name"] == "so-testnode"]
    assert stops == ["c", "s2", "s1"], stops


def test_sidecar_stopped_when_the_container_completes(agentd):
    agentd.write_manifest("sd.yaml", init_pod("sd", [
        ("side", "trap 'exit 0' TERM; while true; do sleep 0.1; done",
         True)], main="sleep 1; exit 0", restart="Never", grace=5))
    p = wait_pod(agentd, "sd", lambda q: q["status"]["phase"] ==
                 "Succeeded", timeout=30)
    s = istatus(p, "side")
    assert "terminated" in s["state"], s
    assert cstatus(p)["state"]["terminated"]["exitCode"] == 0
    assert row(agentd, "sd")[1] == "Completed"
    time.sleep(1.5)
    p = agentd.pod("default", "sd-testnode")
    assert istatus(p, "side")["restartCount"] == 0
    assert "terminated" in istatus(p, "side")["state"]


def test_sidecar_startup_probe_gates_the_container(agentd):
    # the sidecar is started (and the container may start) only once its
    # startup probe passes: after it has made /tmp/up, 3 s in
    probe = ("    startupProbe:\n      exec:\n"
             "        command: [\"test\", \"-f\", \"/tmp/up\"]\n"
             "      periodSeconds: 1\n      failureThreshold: 30\n")
    agentd.write_manifest("sp.yaml", init_pod("sp", [
        ("side", "echo side; sleep 3; touch /tmp/up; exec sleep 1000",
         True)], main="echo main; exec sleep 1000", sidecar_extra=probe))
    p = wait_pod(agentd, "sp", lambda q: "running" in
                 (istatus(q, "side") or {}).get("state", {}))
    assert istatus(p, "side")["started"] is False
    assert row(agentd, "sp")[1] == "Init:0/1"
    assert cond(p, "Initialized")["status"] == "False"
    assert "waiting" in cstatus(p)["state"]
    p = wait_pod(agentd, "sp", lambda q: "running" in cstatus(q)["state"],
                 timeout=30)
    assert istatus(p, "side")["started"] is True
    ts = parse_rfc3339(first_log_time(agentd, p, "side"))
    tm = parse_rfc3339(first_log_time(agentd, p, "c"))
    assert tm - ts >= 2.9, (ts, tm)
    assert row(agentd, "sp")[:2] == ("2/2", "Running")


def test_sidecar_readiness_probe_counts_for_the_pod(agentd):
    probe = ("    readinessProbe:\n      exec:\n"
             "        command: [\"test\", \"-f\", \"/tmp/ready\"]\n"
             "      periodSeconds: 1\n")
    agentd.write_manifest("rp.yaml", init_pod("rp", [
        ("side", "exec sleep 1000", True)], sidecar_extra=probe))
    p = wait_pod(agentd, "rp", lambda q: "running" in cstatus(q)["state"])
    time.sleep(1.5)
    p = agentd.pod("default", "rp-testnode")
    assert istatus(p, "side")["ready"] is False
    assert cond(p, "Ready")["status"] == "False"
    assert "[side]" in cond(p, "ContainersReady")["message"]
    assert row(agentd, "rp")[:2] == ("1/2", "Running")
    subprocess.run(["nsenter", "-t", str(runtime_pid(
        agentd, istatus(p, "side")["containerID"])), "-m", "touch",
        "/tmp/ready"], check=True)
    p = wait_pod(agentd, "rp", lambda q: istatus(q, "side")["ready"],
                 timeout=10)
    assert cond(p, "Ready")["status"] == "True"
    assert row(agentd, "rp")[:2] == ("2/2", "Running")


# ---- adoption ----

def test_executor_restart_does_not_rerun_a_completed_init_container(agentd):
    agentd.write_manifest("ir.yaml", init_pod("ir", [
        ("once", "echo ran", False), ("side", "exec sleep 1000", True)]))
    p = wait_pod(agentd, "ir", lambda q: "running" in cstatus(q)["state"])
    side_pid = runtime_pid(agentd, istatus(p, "side")["containerID"])
    assert len(creates(agentd, "once")) == 1
    old = agentd.pid("executor")
    os.kill(old, signal.SIGKILL)
    agentd.wait_new_pid("executor", old)
    time.sleep(2)
    p = wait_pod(agentd, "ir", lambda q: "running" in cstatus(q)["state"])
    assert len(creates(agentd, "once")) == 1
    assert len(creates(agentd, "side")) == 1
    assert len(creates(agentd, "c")) == 1
    s = istatus(p, "once")
    assert s["state"]["terminated"]["reason"] == "Completed"
    assert s["restartCount"] == 0
    assert runtime_pid(agentd, istatus(p, "side")["containerID"]) == side_pid
    assert cond(p, "Initialized")["status"] == "True"
    assert row(agentd, "ir")[:2] == ("2/2", "Running")


def test_readme_example_pod_runs(agentd):
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "..", "contrib", "examples", "pods",
                        "init-sidecar.yaml")
    agentd.write_manifest("init-sidecar.yaml", open(path).read())
    status_seen(agentd, "init-sidecar", "Init:0/2")
    p = wait_pod(agentd, "init-sidecar",
                 lambda q: "running" in cstatus(q)["state"], timeout=30)
    assert row(agentd, "init-sidecar")[:2] == ("2/2", "Running")
    # what the app sends, the sidecar writes to its log
    wait_for(lambda: "UTC" in agentd.agentctl(
        "logs", "default/init-sidecar-testnode", "-c", "log-shipper").stdout,
        20, interval=0.5, what="the sidecar's log")
    assert "prepared" in agentd.agentctl(
        "logs", "default/init-sidecar-testnode", "-c", "prepare").stdout
    assert p["status"]["phase"] == "Running"
