"""The executor as an event-driven state machine (issue 9): runtime calls
are jobs, so the executor answers heartbeats while many pods start; exits
come from conmon's exit files, also one that happened while the executor
was down; a job that hangs is killed at its timeout and the pod says why."""
import os
import subprocess
import time

from harness import (Agentd, cstatus, manifest, start_agentd, wait_for,
                     wait_pod, running)

BURST = 40


def executor_heartbeat(a):
    for p in a.status()["processes"]:
        if p["role"] == "executor":
            return p["pings"], p["pongs"]
    raise AssertionError("no executor in agentctl status")


def count_running(a):
    n = 0
    for p in a.pods_json()["items"]:
        cs = p["status"].get("containerStatuses") or [{}]
        n += "running" in cs[0].get("state", {})
    return n


def remove_all(a, names, timeout=240):
    for n in names:
        a.remove_manifest(f"{n}.yaml")
    wait_for(lambda: not a.pods_json()["items"], timeout, interval=0.5,
             what="every pod gone")


def test_executor_answers_heartbeats_while_pods_start(testbuild_dir,
                                                      busybox_image):
    """While 40 pods start and one more is added, agentd's pings to the
    executor keep being answered: at no sample is more than the ping in
    flight unanswered (the old executor, blocked in runtime calls, fell
    seconds behind), and pongs advance during the burst."""
    a = start_agentd(testbuild_dir, busybox_image)
    names = [f"b{i:02d}" for i in range(BURST)] + ["late"]
    try:
        for n in names[:-1]:
            a.write_manifest(f"{n}.yaml", manifest(n, "exec sleep 1000"))
        _, pong0 = executor_heartbeat(a)
        samples, added = [], False
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            pings, pongs = executor_heartbeat(a)
            up = count_running(a)
            samples.append((pings, pongs, up))
            if not added and up >= BURST // 4:
                # one more pod while the others are still starting
                a.write_manifest("late.yaml",
                                 manifest("late", "exec sleep 1000"))
                added = True
            if up == len(names):
                break
            time.sleep(0.2)
        assert samples[-1][2] == len(names), samples[-5:]
        during = [s for s in samples if s[2] < len(names)]
        assert during, "no sample taken while pods were starting"
        assert max(p - q for p, q, _ in samples) <= 1, samples
        assert during[-1][1] > pong0 or samples[-1][1] > pong0, samples
        assert a.restarts("executor") == 0
        p = a.pod("default", "late-testnode")
        assert cstatus(p)["restartCount"] == 0
    finally:
        try:
            remove_all(a, names)
        finally:
            a.cleanup()


def test_exit_while_executor_down_is_seen_with_its_code(testbuild_dir,
                                                        busybox_image):
    a = start_agentd(testbuild_dir, busybox_image)
    try:
        a.write_manifest("gone.yaml", manifest(
            "gone", "sleep 4; exit 7", restart="Never"))
        wait_pod(a, "gone", running)
        a.kill9()
        # agentd and its workers are down; conmon records the exit
        time.sleep(6)
        a.start()
        p = wait_pod(a, "gone", lambda p: "terminated" in
                     cstatus(p).get("state", {}), timeout=30)
        term = cstatus(p)["state"]["terminated"]
        assert term["exitCode"] == 7
        assert term["reason"] == "Error"
        assert p["status"]["phase"] == "Failed"
        assert cstatus(p)["restartCount"] == 0
    finally:
        a.remove_manifest("gone.yaml")
        wait_for(lambda: not a.pods_json()["items"], 60, interval=0.5,
                 what="pod gone")
        a.cleanup()


def hanging_loopback(top):
    """A CNI loopback plugin that hangs on ADD while a marker exists and
    is the real plugin otherwise."""
    d = os.path.join(top, "cni")
    os.makedirs(d)
    marker = os.path.join(top, "hang")
    real = "/usr/lib/cni/loopback"
    with open(os.path.join(d, "loopback"), "w") as f:
        f.write("#!/bin/sh\n"
                f"if [ \"$CNI_COMMAND\" = ADD ] && [ -e {marker} ]; then\n"
                "  exec sleep 600\nfi\n"
                f"exec {real}\n")
    os.chmod(os.path.join(d, "loopback"), 0o755)
    open(marker, "w").close()
    return d, marker


def test_hanging_runtime_job_is_killed_at_its_timeout(testbuild_dir,
                                                      busybox_image):
    a = Agentd(testbuild_dir, start=False)
    cni, marker = hanging_loopback(a.top)
    with open(a.config, "a") as f:
        f.write(f"cniBinDir: {cni}\nruntimeOpTimeoutSeconds: 3\n")
    try:
        a.start()
        a.agentctl("image", "import", busybox_image, "busybox")
        a.write_manifest("slow.yaml", manifest("slow", "exec sleep 1000"))
        p = wait_pod(a, "slow", lambda p: "runtimeOpTimeoutSeconds" in
                     p["status"].get("message", ""), timeout=30)
        assert p["status"]["reason"] == "CreatePodSandboxError"
        assert "sandbox.create did not finish within 3 s" in \
            p["status"]["message"]
        # the hung plugin went with its job
        out = subprocess.run(["pgrep", "-f", f"sleep 600"],
                             capture_output=True, text=True).stdout
        pids = [int(x) for x in out.split()]
        wait_for(lambda: not [q for q in pids if os.path.exists(
            f"/proc/{q}") and marker_child(q, cni)], 10,
            what="the hung plugin killed")
        assert "killing the job" in a.log()
        # the pod recovers after the sandbox backoff once the plugin works
        os.unlink(marker)
        wait_pod(a, "slow", running, timeout=60)
        assert a.restarts("executor") == 0
    finally:
        a.remove_manifest("slow.yaml")
        wait_for(lambda: not a.pods_json()["items"], 60, interval=0.5,
                 what="pod gone")
        a.cleanup()


def marker_child(pid, cni):
    """pid is a sleep started by our fake plugin (its environment names
    our CNI directory)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return cni.encode() in f.read()
    except OSError:
        return False
