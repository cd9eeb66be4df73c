"""The audit log of a real run: every privileged action leaves an intent and
an outcome, the chain of a real log verifies, and an unwritable audit log
stops privileged actions while running pods stay untouched (issue 4)."""
import os
import subprocess
import time


from harness import (Agentd, container_pid, manifest, running,
                     start_agentd, wait_for, wait_pod)


def records(a, action):
    return [r for r in a.audit_records() if r["action"] == action]


def phases(a, action, pod=None):
    return {r["phase"] for r in records(a, action)
            if pod is None or r["pod"]["name"] == pod}


def test_every_action_type_is_audited(testbuild_dir, busybox_image):
    a = start_agentd(testbuild_dir, busybox_image)
    try:
        a.write_manifest("p.yaml", manifest(
            "p", "trap '' TERM; while true; do sleep 0.1; done", grace=1))
        a.write_manifest("d.yaml", manifest(
            "d", "true",
            extra_ctr="    securityContext:\n      privileged: true\n"))
        a.write_manifest("bad.yaml", "kind: Pod\n")
        wait_pod(a, "p", running)
        wait_pod(a, "d", lambda p: p["status"]["phase"] == "Failed")
        a.remove_manifest("p.yaml")
        wait_for(lambda: a.pod("default", "p-testnode") is None, 20,
                 what="pod p removed")
        old = a.pid("watcher")
        a.agentctl("test-hook", "watcher", "2")
        a.wait_new_pid("watcher", old)
        assert a.stop() == 0
        for action in ("image.import", "sandbox.create", "container.create",
                       "container.stop", "container.kill", "container.remove",
                       "sandbox.remove"):
            assert {"intent", "outcome"} <= phases(a, action), action
        for action in ("policy.allow", "policy.deny", "manifest.reject",
                       "worker.protocol_violation", "worker.restart",
                       "config.load", "agentd.start", "agentd.stop"):
            assert records(a, action), action
        create = [r for r in records(a, "container.create")
                  if r["phase"] == "intent"][0]
        assert create["pod"]["name"] == "p-testnode"
        assert create["container"] == "c" and create["image"] == "busybox"
        for k in ("privileged", "caps_add", "runAsUser", "digest", "cgroup"):
            assert k in create["details"], k
        deny = records(a, "policy.deny")[0]
        assert deny["outcome"] == "denied" and "privileged" in deny["error"]
        # intents precede their outcomes
        seqs = {}
        for r in a.audit_records():
            if r["phase"] in ("intent", "outcome"):
                key = (r["action"], r["pod"]["uid"], r["container"])
                seqs.setdefault(key, []).append(r["phase"])
        for key, ph in seqs.items():
            assert ph[0] == "intent", (key, ph)
        # the real log verifies
        v = a.agentctl("audit", "verify", a.audit, check=False)
        assert v.returncode == 0, v.stdout + v.stderr
        assert v.stdout.startswith("OK:")
        show = a.agentctl("audit", "show", "--pod", "default/p-testnode",
                          a.audit).stdout
        assert "container.create" in show and "sandbox.remove" in show
    finally:
        a.cleanup()


def test_unwritable_audit_log_stops_actions_not_pods(testbuild_dir,
                                                     busybox_image):
    a = Agentd(testbuild_dir, start=False)
    auditdir = os.path.dirname(a.audit)
    os.makedirs(auditdir)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs",
                    auditdir], check=True)
    try:
        a.start()
        a.agentctl("image", "import", busybox_image, "busybox")
        a.write_manifest("keep.yaml", manifest("keep", "exec sleep 1000"))
        wait_pod(a, "keep", running)
        pid = container_pid(a, "keep")
        # fill the audit file system
        filler = os.path.join(auditdir, "filler")
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"],
                       capture_output=True)
        # the log's last page may still take a few records: spend it on
        # rejections until agentd sees the failure
        for i in range(64):
            if "AUDIT LOG UNWRITABLE" in a.log():
                break
            a.write_manifest(f"bad{i}.yaml", f"kind: Pod{i}\n")
            time.sleep(0.3)
        assert "AUDIT LOG UNWRITABLE" in a.log()
        a.write_manifest("new.yaml", manifest("new", "exec sleep 1000"))
        p = wait_pod(a, "new", lambda p: "audit log" in
                     (p["status"].get("message") or ""), timeout=20)
        assert p["status"]["phase"] == "Pending"
        time.sleep(2)
        assert not running(a.pod("default", "new-testnode"))
        assert container_pid(a, "keep") == pid
        # space again: the pending action goes ahead
        os.unlink(filler)
        wait_pod(a, "new", running, timeout=30)
        v = a.agentctl("audit", "verify", a.audit, check=False)
        assert v.returncode == 0, v.stdout + v.stderr
    finally:
        try:
            a.cleanup()
        finally:
            subprocess.run(["umount", "-l", auditdir], capture_output=True)
