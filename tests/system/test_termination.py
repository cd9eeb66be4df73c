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



# ---- StartError ----

def _raw_manifest(name, restart, ctr_extra):
    return (f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n"
            f"spec:\n  restartPolicy: {restart}\n"
            f"  terminationGracePeriodSeconds: 1\n"
            f"  containers:\n  - name: c\n    image: busybox\n{ctr_extra}")


def _start_attempts(a, pod):
    return len([r for r in a.audit_records()
                if r["action"] == "container.create" and
                r["phase"] == "outcome" and
                r["pod"]["name"] == f"{pod}-testnode"])


@pytest.mark.parametrize("what,extra,needle", [
    ("binary", "    command: [\"/nonexistent\"]\n",
     "/nonexistent"),
    ("workdir", "    workingDir: /bin/busybox\n"
     "    command: [\"sh\", \"-c\", \"exit 0\"]\n", "/bin/busybox"),
])
def test_start_error_under_never_fails_the_pod(agentd, what, extra, needle):
    name = f"se{what[0]}"
    agentd.write_manifest(f"{name}.yaml", _raw_manifest(name, "Never",
                                                         extra))
    p = wait_pod(agentd, name, lambda p: p["status"]["phase"] == "Failed",
                 timeout=20)
    t = cstatus(p)["state"]["terminated"]
    assert t["reason"] == "StartError" and t["exitCode"] == 128, t
    assert needle in t["message"] and "runc create failed" in t["message"]
    assert t["finishedAt"] is not None
    # no endless retries: one attempt, and it stays so
    time.sleep(3)
    assert _start_attempts(agentd, name) == 1
    p = agentd.pod("default", f"{name}-testnode")
    assert p["status"]["phase"] == "Failed"
    assert cstatus(p)["restartCount"] == 0
    row = _row(agentd, name)
    assert row[3] == "StartError", row


def test_start_error_under_always_restarts_with_backoff(agentd):
    agentd.write_manifest("sa.yaml", _raw_manifest(
        "sa", "Always", "    command: [\"/nonexistent\"]\n"))
    p = wait_pod(agentd, "sa", lambda p: cstatus(p)["state"].get(
        "waiting", {}).get("reason") == "CrashLoopBackOff", timeout=20)
    cs = cstatus(p)
    assert cs["restartCount"] >= 1
    last = cs["lastState"]["terminated"]
    assert last["reason"] == "StartError" and last["exitCode"] == 128
    assert "/nonexistent" in last["message"]
    # the backoff holds the next try back: 10 s, not at every step
    n = _start_attempts(agentd, "sa")
    time.sleep(3)
    assert _start_attempts(agentd, "sa") == n


def test_start_error_under_onfailure_restarts(agentd):
    agentd.write_manifest("so.yaml", _raw_manifest(
        "so", "OnFailure", "    command: [\"/nonexistent\"]\n"))
    p = wait_pod(agentd, "so", lambda p: cstatus(p)["restartCount"] >= 1 and
                 "lastState" in cstatus(p) and
                 cstatus(p)["lastState"].get("terminated"), timeout=20)
    assert cstatus(p)["lastState"]["terminated"]["reason"] == "StartError"
    assert p["status"]["phase"] != "Failed"


# ---- termination messages ----

def _terminated(p):
    return "terminated" in cstatus(p)["state"]


def _tmsg(p):
    return cstatus(p)["state"]["terminated"].get("message")


def test_termination_message_from_the_default_file(agentd):
    agentd.write_manifest("tm.yaml", manifest(
        "tm", "printf 'it broke\\nbecause' > /dev/termination-log; exit 3",
        restart="Never"))
    p = wait_pod(agentd, "tm", _terminated)
    t = cstatus(p)["state"]["terminated"]
    assert t["exitCode"] == 3 and t["message"] == "it broke\nbecause", t


def test_termination_message_custom_path_readonly_root_nonroot(agentd):
    agentd.write_manifest("tc.yaml", manifest(
        "tc", "echo done-well > /tmp/why; exit 0", restart="Never",
        extra_ctr="    terminationMessagePath: /tmp/why\n"
        "    securityContext:\n      readOnlyRootFilesystem: true\n"
        "      runAsUser: 1000\n"))
    p = wait_pod(agentd, "tc", _terminated)
    assert cstatus(p)["state"]["terminated"]["exitCode"] == 0
    assert _tmsg(p) == "done-well\n"
    assert p["spec"]["containers"][0]["terminationMessagePath"] == "/tmp/why"


def test_termination_message_is_the_files_last_4096_bytes(agentd):
    # 5000 bytes: 1000 'a' then 4000 'b'; the message is the end
    agentd.write_manifest("tb.yaml", manifest(
        "tb", "i=0; while [ $i -lt 1000 ]; do printf a; i=$((i+1)); done "
        "> /dev/termination-log; i=0; while [ $i -lt 4000 ]; do printf b; "
        "i=$((i+1)); done >> /dev/termination-log; exit 1",
        restart="Never"))
    p = wait_pod(agentd, "tb", _terminated, timeout=60)
    m = _tmsg(p)
    assert len(m) == 4096 and m == "a" * 96 + "b" * 4000


def test_termination_message_falls_back_to_the_log_on_error(agentd):
    script = ("i=1; while [ $i -le 100 ]; do echo line-$i; i=$((i+1)); "
              "done; printf no-newline-end; exit 2")
    agentd.write_manifest("tf.yaml", manifest(
        "tf", script, restart="Never",
        extra_ctr="    terminationMessagePolicy: FallbackToLogsOnError\n"))
    p = wait_pod(agentd, "tf", _terminated)
    m = _tmsg(p)
    assert m is not None, cstatus(p)
    # the last 80 lines of the log file (the unfinished one is a "P"
    # line of its own), without the CRI prefix
    lines = m.split("\n")
    assert lines[0] == "line-22" and lines[-2] == "line-100", lines[:3]
    assert "stdout" not in m and lines[-1] == "no-newline-end"
    assert p["spec"]["containers"][0]["terminationMessagePolicy"] == \
        "FallbackToLogsOnError"


def test_termination_message_not_from_the_log_on_success(agentd):
    agentd.write_manifest("ts.yaml", manifest(
        "ts", "echo from-the-log; exit 0", restart="Never",
        extra_ctr="    terminationMessagePolicy: FallbackToLogsOnError\n"))
    p = wait_pod(agentd, "ts", _terminated)
    assert _tmsg(p) is None, cstatus(p)


def test_termination_message_file_wins_over_the_log(agentd):
    agentd.write_manifest("tw.yaml", manifest(
        "tw", "echo from-the-log; echo from-file > /dev/termination-log; "
        "exit 1", restart="Never",
        extra_ctr="    terminationMessagePolicy: FallbackToLogsOnError\n"))
    p = wait_pod(agentd, "tw", _terminated)
    assert _tmsg(p) == "from-file\n"


def test_termination_message_of_the_file_policy_ignores_the_log(agentd):
    agentd.write_manifest("tl.yaml", manifest(
        "tl", "echo from-the-log; exit 1", restart="Never"))
    p = wait_pod(agentd, "tl", _terminated)
    assert _tmsg(p) is None, cstatus(p)


def test_termination_message_in_last_state_and_fresh_per_run(agentd):
    # each run gets an empty file: run 0 writes, run 1 does not
    agentd.write_manifest("tr.yaml", manifest(
        "tr", "if [ -e /tmp/x ]; then :; fi; "
        "n=$(cat /dev/termination-log); [ -z \"$n\" ] || exit 9; "
        "echo run-msg > /dev/termination-log; exit 1"))
    p = wait_pod(agentd, "tr", lambda p: cstatus(p)["restartCount"] >= 1 and
                 cstatus(p)["lastState"].get("terminated"), timeout=30)
    last = cstatus(p)["lastState"]["terminated"]
    assert last["message"] == "run-msg\n" and last["exitCode"] == 1, last


def test_termination_message_files_go_with_the_pod(agentd):
    agentd.write_manifest("tg.yaml", manifest(
        "tg", "echo bye > /dev/termination-log; exit 0", restart="Never"))
    p = wait_pod(agentd, "tg", _terminated)
    uid = p["metadata"]["uid"]
    path = os.path.join(agentd.root, "pods", uid, "termination", "c")
    assert os.path.isfile(path) and open(path).read() == "bye\n"
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o666)
    agentd.remove_manifest("tg.yaml")
    wait_for(lambda: agentd.pod("default", "tg-testnode") is None, 20,
             what="pod gone")
    assert not os.path.exists(os.path.join(agentd.root, "pods", uid))


# ---- lifecycle hooks ----

def _hooks(post=None, pre=None):
    out = "    lifecycle:\n"
    for name, h in (("postStart", post), ("preStop", pre)):
        if h is not None:
            out += f"      {name}:\n" + "".join(
                f"        {ln}\n" for ln in h.splitlines())
    return out


def _exec(cmd):
    return "exec:\n  command: [\"sh\", \"-c\", " + json.dumps(cmd) + "]"


TRAP_TERM = ("trap 'echo got-TERM; exit 0' TERM; echo started; "
             "while true; do sleep 0.1; done")


def test_prestop_runs_before_the_stop_signal(agentd):
    agentd.write_manifest("ps.yaml", manifest(
        "ps", TRAP_TERM, grace=5,
        extra_ctr=_hooks(pre=_exec("echo prestop-ran > /proc/1/fd/1; "
                                   "sleep 1"))))
    wait_pod(agentd, "ps", running)
    wait_for(lambda: "started" in _log(agentd, "ps"), 10, what="started")
    t0 = time.time()
    agentd.remove_manifest("ps.yaml")
    wait_for(lambda: agentd.pod("default", "ps-testnode") is None, 20,
             interval=0.1, what="pod gone")
    log = _log(agentd, "ps")
    assert "prestop-ran" in log and "got-TERM" in log, log
    assert log.index("prestop-ran") < log.index("got-TERM"), log
    # the stop signal waited for the hook (about 1 s), no SIGKILL needed
    stop = _rfc3339_s(_audit_times(agentd, "ps", "container.stop")[0])
    assert 0.8 <= stop - t0 < 4, stop - t0
    assert not _audit_times(agentd, "ps", "container.kill")


def test_prestop_counts_against_the_grace_then_one_2s_extension(agentd):
    # the hook outlives the 3 s grace: the stop signal goes at its end,
    # SIGKILL 2 s after that
    agentd.write_manifest("px.yaml", manifest(
        "px", "trap '' TERM; while true; do sleep 0.1; done", grace=3,
        extra_ctr=_hooks(pre=_exec("sleep 60"))))
    wait_pod(agentd, "px", running)
    t0 = time.time()
    agentd.remove_manifest("px.yaml")
    wait_for(lambda: agentd.pod("default", "px-testnode") is None, 30,
             interval=0.1, what="pod gone")
    stop = _rfc3339_s(_audit_times(agentd, "px", "container.stop")[0])
    kill = _rfc3339_s(_audit_times(agentd, "px", "container.kill")[0])
    assert 2.8 <= stop - t0 < 4.5, stop - t0
    assert 1.9 <= kill - stop < 3.5, kill - stop


def test_prestop_sleep_handler_and_a_failed_prestop(agentd):
    agentd.write_manifest("pl.yaml", manifest(
        "pl", TRAP_TERM, grace=10,
        extra_ctr=_hooks(pre="sleep:\n  seconds: 1")))
    agentd.write_manifest("pf.yaml", manifest(
        "pf", TRAP_TERM, grace=10, extra_ctr=_hooks(pre=_exec("exit 4"))))
    for n in ("pl", "pf"):
        wait_pod(agentd, n, running)
        wait_for(lambda: "started" in _log(agentd, n), 10, what="started")
    p = agentd.pod("default", "pl-testnode")
    assert p["spec"]["containers"][0]["lifecycle"] == {
        "preStop": {"sleep": {"seconds": 1}}}
    t0 = time.time()
    agentd.remove_manifest("pl.yaml")
    agentd.remove_manifest("pf.yaml")
    # the failed hook is an event, then the stop signal follows
    wait_for(lambda: any(e["reason"] == "FailedPreStopHook" for e in
                         _events(agentd, "pf")), 10, what="event")
    for n in ("pl", "pf"):
        wait_for(lambda: agentd.pod("default", f"{n}-testnode") is None,
                 20, interval=0.1, what="pod gone")
        assert "got-TERM" in _log(agentd, n)
    stop = _rfc3339_s(_audit_times(agentd, "pl", "container.stop")[0])
    assert 0.9 <= stop - t0 < 3, stop - t0
    ev = [e for e in _events(agentd, "pf")
          if e["reason"] == "FailedPreStopHook"][0]
    assert "exited with 4" in ev["message"], ev


def test_poststart_runs_before_the_container_is_ready(agentd):
    agentd.write_manifest("pa.yaml", manifest(
        "pa", "while [ ! -e /tmp/ps ]; do sleep 0.1; done; "
        "echo saw-poststart; exec sleep 1000",
        extra_ctr=_hooks(post=_exec("sleep 1; touch /tmp/ps"))))
    p = wait_pod(agentd, "pa", running)
    # running, not ready while its hook runs
    assert cstatus(p)["ready"] is False or "saw-poststart" in \
        _log(agentd, "pa")
    p = wait_pod(agentd, "pa", lambda p: cstatus(p)["ready"], timeout=15)
    # the container polls for the hook's file every 0.1 s: its line may
    # come a moment after the hook's end made the container ready
    wait_for(lambda: "saw-poststart" in _log(agentd, "pa"), 5,
             interval=0.1, what="the container saw the hook's file")
    assert cstatus(p)["restartCount"] == 0


def test_failed_poststart_kills_and_restarts_the_container(agentd):
    agentd.write_manifest("pk.yaml", manifest(
        "pk", "exec sleep 1000", extra_ctr=_hooks(post=_exec(
            "echo hook-said-no; exit 3"))))
    wait_for(lambda: any(e["reason"] == "FailedPostStartHook" for e in
                         _events(agentd, "pk")), 20, what="event")
    ev = [e for e in _events(agentd, "pk")
          if e["reason"] == "FailedPostStartHook"][0]
    assert ev["type"] == "Warning"
    assert "exited with 3" in ev["message"] and "hook-said-no" in \
        ev["message"], ev
    # killed (sleep ignores SIGTERM as PID 1: SIGKILL after the grace)
    # and restarted per restartPolicy
    p = wait_pod(agentd, "pk", lambda p: cstatus(p)["restartCount"] >= 1,
                 timeout=30)
    assert cstatus(p)["lastState"]["terminated"]["exitCode"] != 0
    assert any(e["reason"] == "Killing" and "FailedPostStartHook" in
               e["message"] for e in _events(agentd, "pk"))


# ---- preStop on a spec-change restart (API mode: a static pod's change
# is a new pod) ----

def test_prestop_runs_before_a_spec_change_restart(testbuild_dir,
                                                   busybox_image, kube_api,
                                                   kubectl_bin):
    from harness import api_pod, start_api_agentd
    a = start_api_agentd(testbuild_dir, busybox_image, kube_api)
    try:
        # the same image under another name: the spec changes, not the pod
        a.agentctl("image", "import", busybox_image, "busybox2")
        pod = api_pod("hr", TRAP_TERM, grace=5, ctr={"lifecycle": {
            "preStop": {"exec": {"command": [
                "sh", "-c", "echo prestop-ran > /proc/1/fd/1; sleep 1"]}}}})
        r = a.admin().post("/api/v1/namespaces/default/pods", pod)
        assert r.code == 201, r
        wait_for(lambda: (a.local_pod("hr") or {}).get("status", {}).get(
            "containerStatuses") and "running" in
            a.local_pod("hr")["status"]["containerStatuses"][0]["state"],
            30, what="running")
        r = a.admin().patch("/api/v1/namespaces/default/pods/hr",
                            {"spec": {"containers": [
                                {"name": "c", "image": "busybox2"}]}})
        assert r.code == 200, r
        p = wait_for(lambda: (lambda p: p if p and cstatus(p)[
            "restartCount"] >= 1 and "running" in cstatus(p)["state"]
            else None)(a.local_pod("hr")), 40, what="restarted")
        assert cstatus(p)["image"] == "busybox2"
        log = "".join(open(f, errors="replace").read() for f in
                      __import__("glob").glob(os.path.join(
                          a.logs, "default_hr_*", "c", "0.log")))
        assert "prestop-ran" in log and "got-TERM" in log, log
        assert log.index("prestop-ran") < log.index("got-TERM"), log
    finally:
        a.cleanup()


def test_termination_messages_share_the_pods_12k(agentd):
    # four containers of 4096 bytes each: 12 KiB / 4 = 3072 bytes apiece
    write = ("i=0; while [ $i -lt 4096 ]; do printf m; i=$((i+1)); done "
             "> /dev/termination-log; exit 0")
    ctrs = "".join(
        f"  - name: c{k}\n    image: busybox\n"
        f"    command: [\"sh\", \"-c\", {write!r}]\n" for k in range(4))
    agentd.write_manifest("t12.yaml", (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: t12\nspec:\n"
        "  restartPolicy: Never\n  terminationGracePeriodSeconds: 1\n"
        "  containers:\n" + ctrs))
    p = wait_pod(agentd, "t12", lambda p: p["status"]["phase"] ==
                 "Succeeded", timeout=60)
    msgs = [c["state"]["terminated"].get("message")
            for c in p["status"]["containerStatuses"]]
    assert msgs == ["m" * 3072] * 4, [len(m or "") for m in msgs]


def test_prestop_http_get_reaches_the_container_before_sigterm(agentd):
    # busybox httpd -vv logs each request: the hook's comes before TERM;
    # a 404 is a response, and a hook's request fails only without one
    script = ("mkdir -p /www; echo hi > /www/bye; "
              "httpd -f -vv -p 8080 -h /www & " + TRAP_TERM)
    agentd.write_manifest("ph.yaml", manifest(
        "ph", script, grace=5,
        extra_ctr="    ports:\n    - containerPort: 8080\n      name: web\n" +
        _hooks(pre="httpGet:\n  path: /bye\n  port: web")))
    agentd.write_manifest("pn.yaml", manifest(
        "pn", script, grace=5, extra_ctr=_hooks(
            pre="httpGet:\n  path: /missing\n  port: 8080")))
    for n in ("ph", "pn"):
        wait_pod(agentd, n, running)
        wait_for(lambda: "started" in _log(agentd, n), 10, what="started")
    p = agentd.pod("default", "ph-testnode")
    assert p["spec"]["containers"][0]["lifecycle"]["preStop"] == {
        "httpGet": {"path": "/bye", "port": "web"}}
    time.sleep(0.5)     # httpd listening
    agentd.remove_manifest("ph.yaml")
    agentd.remove_manifest("pn.yaml")
    for n in ("ph", "pn"):
        wait_for(lambda: agentd.pod("default", f"{n}-testnode") is None,
                 20, interval=0.1, what="pod gone")
    log = _log(agentd, "ph")
    assert "/bye" in log and "got-TERM" in log, log
    assert log.index("/bye") < log.index("got-TERM"), log
    assert "/missing" in _log(agentd, "pn")
    assert not any(e["reason"] == "FailedPreStopHook"
                   for e in _events(agentd, "pn"))
