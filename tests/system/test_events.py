"""Failures you can see (issue 7): every pod-level failure is logged once
(rate-limited) and recorded as a kubelet-style event; `agentctl events`,
`agentctl describe pod`; events survive a reporter restart; a pod's age
survives agentd and executor restarts; `agentctl logs` of a missing pod."""
import json
import os
import re
import signal
import subprocess
import time

import pytest

from harness import (Agentd, container_pid, cstatus, manifest, running,
                     start_agentd, wait_for, wait_pod)


@pytest.fixture
def agentd(pod_agentd):
    return pod_agentd


def events(a, pod=None):
    args = ["events", "-o", "json"] + (["--pod", pod] if pod else [])
    doc = json.loads(a.agentctl(*args).stdout)
    assert doc["kind"] == "EventList"
    return doc["items"]


def find(a, reason, pod=None, pred=lambda e: True):
    for e in events(a, pod):
        if e["reason"] == reason and pred(e):
            return e
    return None


def wait_event(a, reason, pod=None, pred=lambda e: True, timeout=30):
    return wait_for(lambda: find(a, reason, pod, pred), timeout,
                    interval=0.3, what=f"event {reason}")


def log_lines(a, needle):
    return [ln for ln in a.log().splitlines() if needle in ln]


def test_crash_loop_events_and_one_log_line(agentd):
    agentd.write_manifest("crash.yaml", manifest("crash", "exit 1"))
    pod = "default/crash-testnode"
    # first restart immediate, then 10 s, then 20 s: two back-off periods
    e = wait_event(agentd, "BackOff", pod, lambda e: e["count"] >= 2,
                   timeout=40)
    assert e["type"] == "Warning"
    assert e["message"].startswith(
        "Back-off restarting failed container c in pod crash-testnode_"
        "default(")
    assert e["involvedObject"] == {"kind": "Pod", "namespace": "default",
                                   "name": "crash-testnode",
                                   "uid": e["involvedObject"]["uid"]}
    assert e["firstTimestamp"] < e["lastTimestamp"]
    started = find(agentd, "Started", pod)
    assert started["type"] == "Normal" and started["count"] >= 3
    assert started["message"] == "Started container c"
    created = find(agentd, "Created", pod)
    assert created["message"] == "Created container c"
    pulled = find(agentd, "Pulled", pod)
    assert pulled["message"] == \
        'Container image "busybox" already present on machine'
    # the crash loop is logged once, however often it backs off
    assert len(log_lines(agentd, "pod default/crash-testnode: BackOff:")) \
        == 1, agentd.log()
    table = agentd.agentctl("events", "--pod", pod).stdout.splitlines()
    assert table[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT",
                                "MESSAGE"]
    row = [ln for ln in table if " BackOff " in ln][0]
    assert re.match(r"^\S+ \(x\d+ over \S+\)\s+Warning\s+BackOff\s+"
                    r"Pod/crash-testnode\s+Back-off restarting", row), row
    # the table's columns line up as kubectl's tabwriter does
    assert table[0].index("TYPE") == row.index("Warning")


def test_image_never_pull_events_count_up_log_once(agentd):
    agentd.write_manifest("np.yaml", manifest("np", "true").replace(
        "image: busybox", "image: nosuchimage:1\n    imagePullPolicy: Never"))
    pod = "default/np-testnode"
    e = wait_event(agentd, "ErrImageNeverPull", pod,
                   lambda e: e["count"] >= 3)
    assert e["type"] == "Warning"
    assert e["message"] == ('Container image "nosuchimage:1" is not present '
                            'with pull policy of Never')
    f = find(agentd, "Failed", pod)
    assert f["type"] == "Warning" and f["message"] == \
        "Error: ErrImageNeverPull" and f["count"] >= 3
    assert len(log_lines(agentd, "pod default/np-testnode: "
                         "ErrImageNeverPull:")) == 1, agentd.log()


def test_policy_denial_is_an_event_and_one_log_line(agentd):
    agentd.write_manifest("priv.yaml", manifest(
        "priv", "sleep 1000",
        extra_ctr="    securityContext:\n      privileged: true\n"))
    e = wait_event(agentd, "NodePolicyDenied", "default/priv-testnode")
    assert e["type"] == "Warning" and e["count"] == 1
    assert "privileged" in e["message"]
    wait_for(lambda: log_lines(agentd, "pod default/priv-testnode: "
                               "NodePolicyDenied:"), 5, what="log line")
    assert len(log_lines(agentd, "NodePolicyDenied")) == 1, agentd.log()


def test_config_error_is_a_failed_event(agentd):
    agentd.write_manifest("nr.yaml", manifest(
        "nr", "exec sleep 1000",
        extra_ctr="    securityContext:\n      runAsNonRoot: true\n"))
    e = wait_event(agentd, "Failed", "default/nr-testnode")
    assert e["type"] == "Warning" and e["message"].startswith("Error: ")
    assert "runAsNonRoot" in e["message"]
    wait_for(lambda: log_lines(agentd, "pod default/nr-testnode: "
                               "CreateContainerConfigError:"), 5,
             what="log line")
    # retried after the 10 s back-off: counted, not logged again
    wait_event(agentd, "Failed", "default/nr-testnode",
               lambda e: e["count"] >= 2, timeout=20)
    assert len(log_lines(agentd, "CreateContainerConfigError:")) == 1, \
        agentd.log()


def test_start_error_is_a_failed_event(agentd):
    # a missing binary is the runtime's create failing: the kubelet's
    # StartError (a terminated run, restarted per restartPolicy)
    agentd.write_manifest("rc.yaml", manifest("rc", "true").replace(
        'command: ["sh", "-c", \'true\']', 'command: ["/nosuch"]'))
    pod = "default/rc-testnode"
    p = wait_pod(agentd, "rc", lambda p: cstatus(p)["state"].get(
        "waiting", {}).get("reason") == "CrashLoopBackOff")
    assert cstatus(p)["lastState"]["terminated"]["reason"] == "StartError"
    e = wait_event(agentd, "Failed", pod)
    assert e["type"] == "Warning"
    assert e["message"].startswith("Error: ") and "/nosuch" in e["message"]
    wait_for(lambda: log_lines(agentd, "pod default/rc-testnode: "
                               "StartError:"), 5, what="log line")
    assert len(log_lines(agentd, "StartError:")) == 1


def test_hostile_bytes_are_escaped_in_tables_and_log(agentd):
    # a manifest's file name is the admin's, but may hold any byte
    name = "evil\x1b[31m\t\x07.yaml"
    agentd.write_manifest(name, "kind: Pod\nspec: 3\n")
    e = wait_event(agentd, "InvalidManifest")
    assert e["involvedObject"]["name"] == name   # JSON keeps them, escaped
    out = agentd.agentctl("events").stdout
    assert "\x1b" not in out and "\x07" not in out and "\t" not in out
    assert "Manifest/evil\\x1b[31m\\x09\\x07.yaml" in out, out
    wait_for(lambda: log_lines(agentd, "manifest rejected:"), 5,
             what="log line")
    line = log_lines(agentd, "manifest rejected:")[0]
    assert "\x1b" not in line and "evil\\x1b[31m" in line


def test_killing_event_when_a_pod_is_removed(agentd):
    agentd.write_manifest("k.yaml", manifest("k", "exec sleep 1000"))
    wait_pod(agentd, "k", running)
    agentd.remove_manifest("k.yaml")
    e = wait_event(agentd, "Killing", "default/k-testnode")
    assert e["type"] == "Normal" and e["message"] == "Stopping container c"
    assert e["count"] == 1


def test_invalid_manifest_is_an_event_not_a_pod(agentd):
    agentd.write_manifest("bad.yaml", manifest("bad", "true").replace(
        "kind: Pod", "kind: Deployment"))
    e = wait_event(agentd, "InvalidManifest")
    assert e["type"] == "Warning" and e["count"] == 1
    assert e["involvedObject"]["kind"] == "Manifest"
    assert e["involvedObject"]["name"] == "bad.yaml"
    assert "bad.yaml" in e["message"] and "kind" in e["message"]
    # no row in get pods: there is no pod (see docs/DESIGN.md)
    assert agentd.pods_json()["items"] == []
    assert "bad" not in agentd.agentctl("get", "pods").stdout
    row = [ln for ln in agentd.agentctl("events").stdout.splitlines()
           if "InvalidManifest" in ln][0]
    assert "Manifest/bad.yaml" in row
    assert len(log_lines(agentd, "manifest rejected:")) == 1
    # a restarted watcher reports the file again: counted, not re-logged
    old = agentd.pid("watcher")
    os.kill(old, signal.SIGKILL)
    agentd.wait_new_pid("watcher", old)
    wait_event(agentd, "InvalidManifest", pred=lambda e: e["count"] == 2)
    assert len(log_lines(agentd, "manifest rejected:")) == 1, agentd.log()


def test_sandbox_failure_is_an_event(testbuild_dir, busybox_image, tmp_path):
    # no CNI loopback plugin: every sandbox creation fails
    a = start_agentd(testbuild_dir, busybox_image,
                     extra_config={"cniBinDir": str(tmp_path)})
    try:
        a.write_manifest("sb.yaml", manifest("sb", "exec sleep 1000"))
        e = wait_event(a, "FailedCreatePodSandBox", "default/sb-testnode",
                       lambda e: e["count"] >= 2)
        assert e["type"] == "Warning"
        assert e["message"].startswith("Failed to create pod sandbox: ")
        # the runtime's error chain: what was being done, then the cause
        assert e["message"].startswith(
            "Failed to create pod sandbox: creating sandbox for "
            "default/sb-testnode: "), e["message"]
        assert "CNI loopback plugin not found" in e["message"], e["message"]
        assert len(log_lines(a, "pod default/sb-testnode: "
                             "FailedCreatePodSandBox:")) == 1, a.log()
    finally:
        a.cleanup()


def test_events_survive_a_reporter_kill9(agentd):
    agentd.write_manifest("np.yaml", manifest("np", "true").replace(
        "image: busybox", "image: nosuchimage:1\n    imagePullPolicy: Never"))
    agentd.write_manifest("bad.yaml", "kind: Pod\nspec: 3\n")
    wait_event(agentd, "ErrImageNeverPull", "default/np-testnode")
    wait_event(agentd, "InvalidManifest")
    before = {(e["reason"], e["involvedObject"]["name"]): e
              for e in events(agentd)}
    old = agentd.pid("reporter")
    os.kill(old, signal.SIGKILL)
    agentd.wait_new_pid("reporter", old)
    after = wait_for(lambda: {(e["reason"], e["involvedObject"]["name"]): e
                              for e in events(agentd)} or None, 10,
                     what="events after the restart")
    assert set(before) <= set(after), (before.keys(), after.keys())
    for k, e in before.items():
        assert after[k]["count"] >= e["count"]
        assert after[k]["firstTimestamp"] == e["firstTimestamp"]


def test_events_watch_prints_new_events(agentd):
    w = subprocess.Popen([os.path.join(agentd.build, "agentctl"), "-f",
                          agentd.config, "events", "-w"],
                         stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)
        agentd.write_manifest("ww.yaml", manifest("ww", "exec sleep 1000"))
        wait_pod(agentd, "ww", running)
        time.sleep(2.5)
    finally:
        w.terminate()
        out = w.communicate(timeout=10)[0]
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["LAST", "SEEN", "TYPE"]
    reasons = [ln.split()[2] for ln in lines[1:] if "Pod/ww-testnode" in ln]
    assert "Started" in reasons and reasons.count("Started") == 1, out


def test_describe_pod(agentd):
    agentd.write_manifest("d.yaml", manifest("d", "exec sleep 1000"))
    wait_pod(agentd, "d", running)
    out = agentd.agentctl("describe", "pod", "default/d-testnode").stdout
    lines = out.splitlines()
    assert lines[0].split() == ["Name:", "d-testnode"]
    assert lines[1].split() == ["Namespace:", "default"]
    for want in ("Status:           Running", "Containers:", "  c:",
                 "    Image:          busybox", "    State:          Running",
                 "    Ready:          True", "    Restart Count:  0",
                 "Conditions:", "QoS Class:        BestEffort", "Events:"):
        assert want in lines, (want, out)
    assert re.search(r"^  Ready\s+True\s*$", out, re.M)
    ev = out[out.index("Events:"):].splitlines()
    assert ev[1].split() == ["Type", "Reason", "Age", "From", "Message"]
    assert any(ln.split()[:2] == ["Normal", "Started"] and "kubelet" in ln
               for ln in ev[3:]), out
    r = agentd.agentctl("describe", "pod", "default/nope", check=False)
    assert r.returncode != 0 and "no such pod default/nope" in r.stderr


def test_logs_of_a_missing_pod_says_no_such_pod(agentd):
    r = agentd.agentctl("logs", "default/nope", check=False)
    assert r.returncode != 0
    assert "no such pod default/nope" in r.stderr, r.stderr


def creation(a, name):
    return a.pod("default", f"{name}-testnode")["metadata"][
        "creationTimestamp"]


def age_cell(a, name):
    row = [ln.split() for ln in a.agentctl("get", "pods").stdout.splitlines()
           if f"{name}-testnode" in ln][0]
    return row[-1]


def seconds(age):
    m = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", age)
    assert m, age
    return int(m.group(1) or 0) * 60 + int(m.group(2) or 0)


def test_age_survives_agentd_restart_and_executor_kill9(testbuild_dir,
                                                        busybox_image):
    a = start_agentd(testbuild_dir, busybox_image)
    try:
        a.write_manifest("old.yaml", manifest("old", "exec sleep 1000"))
        wait_pod(a, "old", running)
        created = creation(a, "old")
        time.sleep(5)
        assert a.stop() == 0
        a.start()
        wait_pod(a, "old", running)
        assert creation(a, "old") == created
        assert seconds(age_cell(a, "old")) >= 5
        old = a.pid("executor")
        os.kill(old, signal.SIGKILL)
        a.wait_new_pid("executor", old)
        wait_pod(a, "old", running)
        assert creation(a, "old") == created
        assert seconds(age_cell(a, "old")) >= 5
    finally:
        a.cleanup()


def test_audit_refusal_is_an_event_and_one_log_line(testbuild_dir,
                                                    busybox_image):
    a = Agentd(testbuild_dir, start=False)
    auditdir = os.path.dirname(a.audit)
    os.makedirs(auditdir)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs",
                    auditdir], check=True)
    try:
        a.start()
        a.agentctl("image", "import", busybox_image, "busybox")
        filler = os.path.join(auditdir, "filler")
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"],
                       capture_output=True)
        # the log's last page may still take a few records
        for i in range(64):
            if "AUDIT LOG UNWRITABLE" in a.log():
                break
            a.write_manifest(f"bad{i}.yaml", f"kind: Pod{i}\n")
            time.sleep(0.3)
        assert "AUDIT LOG UNWRITABLE" in a.log()
        a.write_manifest("au.yaml", manifest("au", "exec sleep 1000"))
        e = wait_event(a, "FailedCreatePodSandBox", "default/au-testnode",
                       lambda e: e["count"] >= 3, timeout=20)
        assert e["type"] == "Warning" and "audit log" in e["message"]
        assert len(log_lines(a, "pod default/au-testnode: audit refused:")) \
            == 1, a.log()
        os.unlink(filler)
        wait_pod(a, "au", running, timeout=30)
    finally:
        try:
            a.cleanup()
        finally:
            subprocess.run(["umount", "-l", auditdir], capture_output=True)


def test_events_survive_an_executor_kill9(agentd):
    agentd.write_manifest("ek.yaml", manifest("ek", "exec sleep 1000"))
    wait_pod(agentd, "ek", running)
    started = wait_event(agentd, "Started", "default/ek-testnode")
    old = agentd.pid("executor")
    os.kill(old, signal.SIGKILL)
    agentd.wait_new_pid("executor", old)
    wait_pod(agentd, "ek", running)
    # the new executor re-adopts the container: nothing starts again, and
    # the reporter still has the event the old executor recorded
    time.sleep(2)
    after = find(agentd, "Started", "default/ek-testnode")
    assert after == started
