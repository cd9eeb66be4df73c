"""The kubelet's termination rules with real containers (issue 13, items 3
and 4): the minimum grace period, Terminating and deletionTimestamp,
activeDeadlineSeconds, StartError, termination messages, lifecycle hooks."""
import json
import os
import time

import pytest

from harness import (actions, cstatus, manifest, running, wait_for,
                     wait_pod)


@pytest.fixture
def agentd(pod_agentd):
    return pod_agentd


def _log(a, name):
    r = a.agentctl("logs", f"default/{name}-testnode", check=False)
    return r.stdout if r.returncode == 0 else ""


def _audit_times(a, pod, action):
    return [r["time"] for r in a.audit_records()
            if r["action"] == action and r["phase"] == "intent" and
            r["pod"]["name"] == f"{pod}-testnode"]


def _rfc3339_s(t):
    """seconds of an audit record's time (whole part and nanoseconds)"""
    whole, frac = t.rstrip("Z").split(".")
    return time.mktime(time.strptime(whole, "%Y-%m-%dT%H:%M:%S")) + \
        int(frac) / 1e9


def _row(a, name):
    for ln in a.agentctl("get", "pods").stdout.splitlines():
        cells = ln.split()
        if cells[1:2] == [f"{name}-testnode"]:
            return cells
    return None


# ---- the minimum grace period ----

def test_grace_zero_still_sends_sigterm_first(agentd):
    """grace 0 is raised to 2 s: the trap runs, SIGKILL comes 2 s later."""
    agentd.write_manifest("z.yaml", manifest(
        "z", "trap 'echo got-TERM' TERM; echo started; "
        "while true; do sleep 0.1; done", grace=0))
    wait_pod(agentd, "z", running)
    wait_for(lambda: "started" in _log(agentd, "z"), 10, what="started")
    t0 = time.monotonic()
    agentd.remove_manifest("z.yaml")
    # while the 2 s run: Terminating, with the deletion fields
    p = wait_pod(agentd, "z", lambda p: "deletionTimestamp" in p["metadata"],
                 timeout=5)
    assert p["metadata"]["deletionGracePeriodSeconds"] == 0
    row = _row(agentd, "z")
    assert row is not None and row[3] == "Terminating", row
    wait_for(lambda: "got-TERM" in _log(agentd, "z"), 5, interval=0.1,
             what="the trap's line")
    wait_for(lambda: agentd.pod("default", "z-testnode") is None, 20,
             interval=0.1, what="pod gone")
    took = time.monotonic() - t0
    assert took >= 1.9, f"gone after {took:.1f}s: no 2 s grace"
    stops = _audit_times(agentd, "z", "container.stop")
    kills = _audit_times(agentd, "z", "container.kill")
    assert stops and kills, (stops, kills)
    gap = _rfc3339_s(kills[0]) - _rfc3339_s(stops[0])
    assert 1.9 <= gap < 4, gap


def test_grace_one_is_raised_to_two_seconds(agentd):
    agentd.write_manifest("g1.yaml", manifest(
        "g1", "trap '' TERM; while true; do sleep 0.1; done", grace=1))
    wait_pod(agentd, "g1", running)
    agentd.remove_manifest("g1.yaml")
    wait_for(lambda: agentd.pod("default", "g1-testnode") is None, 20,
             interval=0.1, what="pod gone")
    stops = _audit_times(agentd, "g1", "container.stop")
    kills = _audit_times(agentd, "g1", "container.kill")
    assert stops and kills, (stops, kills)
    gap = _rfc3339_s(kills[0]) - _rfc3339_s(stops[0])
    assert 1.9 <= gap < 4, gap


# ---- activeDeadlineSeconds ----

def _events(a, pod):
    doc = json.loads(a.agentctl("events", "-o", "json", "--pod",
                                f"default/{pod}-testnode").stdout)
    return doc["items"]


def _failed_deadline(p):
    return p["status"]["phase"] == "Failed" and \
        p["status"].get("reason") == "DeadlineExceeded"


def test_active_deadline_fails_the_pod(agentd):
    agentd.write_manifest("ad.yaml", manifest(
        "ad", "trap 'echo got-TERM; exit 0' TERM; "
        "while true; do sleep 0.1; done",
        extra_spec="  activeDeadlineSeconds: 3\n"))
    p = wait_pod(agentd, "ad", running)
    assert p["spec"]["activeDeadlineSeconds"] == 3
    t0 = time.monotonic()
    p = wait_pod(agentd, "ad", _failed_deadline, timeout=15)
    assert time.monotonic() - t0 >= 1.5    # not before its time
    assert p["status"]["message"] == \
        "Pod was active on the node longer than the specified deadline"
    # stopped with the stop signal (the trap ran), and not restarted
    wait_for(lambda: "got-TERM" in _log(agentd, "ad"), 5, what="trap")
    p = wait_pod(agentd, "ad", lambda p: "terminated" in
                 cstatus(p)["state"], timeout=10)
    conds = {c["type"]: c["status"] for c in p["status"]["conditions"]}
    assert conds["Ready"] == "False"
    assert any(e["reason"] == "DeadlineExceeded" for e in
               _events(agentd, "ad"))
    time.sleep(2)
    p = agentd.pod("default", "ad-testnode")
    assert _failed_deadline(p) and cstatus(p)["restartCount"] == 0
    assert "terminated" in cstatus(p)["state"]


def test_active_deadline_survives_an_executor_restart(agentd):
    agentd.write_manifest("ar.yaml", manifest(
        "ar", "exec sleep 1000", extra_spec="  activeDeadlineSeconds: 4\n"))
    wait_pod(agentd, "ar", running)
    # restarted before the deadline: the start time comes back with it
    old = agentd.pid("executor")
    os.kill(old, 9)
    agentd.wait_new_pid("executor", old)
    p = wait_pod(agentd, "ar", _failed_deadline, timeout=20)
    p = wait_pod(agentd, "ar", lambda p: "terminated" in
                 cstatus(p)["state"], timeout=10)
    # and restarted after it: Failed still, nothing started again
    old = agentd.pid("executor")
    os.kill(old, 9)
    agentd.wait_new_pid("executor", old)
    time.sleep(2)
    p = wait_pod(agentd, "ar", _failed_deadline, timeout=10)
    assert cstatus(p)["restartCount"] == 0
    assert "terminated" in cstatus(p)["state"]

