"""allowPrivilegeEscalation and no_new_privs as the container sees them
(issue 14, part 3): unset allows escalation (the kubelet's
AddNoNewPrivileges), false gives NoNewPrivs 1, the executor carries no
no_new_privs of its own, and the node policy forceNoNewPrivileges gives
every container no_new_privs and refuses the ones asking for escalation.
The setuid binary is tests/tools/suid_probe, inserted setuid root with
`umoci insert` into a copy of the busybox test image."""
import os
import shutil
import subprocess

import pytest

from harness import (actions, cstatus, proc_status, start_agentd, wait_for,
                     wait_pod)


@pytest.fixture(scope="module")
def suid_image(testbuild_dir, busybox_image, tmp_path_factory):
    probe = os.path.join(testbuild_dir, "tests", "tools", "suid_probe")
    if not os.access(probe, os.X_OK):
        pytest.fail(f"{probe} missing: make testbuild")
    d = tmp_path_factory.mktemp("suid")
    suid = str(d / "suid_probe")
    shutil.copy(probe, suid)
    os.chown(suid, 0, 0)
    os.chmod(suid, 0o4755)
    out = str(d / "busybox-suid")
    shutil.copytree(busybox_image, out)
    subprocess.run(["umoci", "insert", "--image", f"{out}:latest", suid,
                    "/bin/suid_probe"], check=True, capture_output=True)
    return out


def pod_text(name, script, sc=""):
    return (f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n"
            f"spec:\n  restartPolicy: Never\n"
            f"  terminationGracePeriodSeconds: 1\n"
            f"  containers:\n  - name: c\n    image: busybox\n"
            f"    command: [\"sh\", \"-c\", {script!r}]\n"
            + (f"    securityContext:\n{sc}" if sc else ""))


REPORT = "grep NoNewPrivs /proc/self/status; /bin/suid_probe"


def run_report(a, name, sc=""):
    """NoNewPrivs and the setuid probe's uid/euid, from inside."""
    a.write_manifest(f"{name}.yaml", pod_text(name, REPORT, sc))
    p = wait_pod(a, name, lambda p: "terminated" in cstatus(p)["state"])
    assert cstatus(p)["state"]["terminated"]["exitCode"] == 0, p
    out = a.agentctl("logs", f"default/{name}-testnode").stdout
    lines = dict(ln.split(None, 1) for ln in out.splitlines() if ln.strip())
    return lines["NoNewPrivs:"].strip(), lines["uid"].strip()


@pytest.fixture
def agentd(testbuild_dir, suid_image):
    a = start_agentd(testbuild_dir, suid_image)
    yield a
    a.cleanup()


@pytest.fixture
def forced(testbuild_dir, suid_image):
    a = start_agentd(testbuild_dir, suid_image,
                     extra_config={"forceNoNewPrivileges": "true"})
    yield a
    a.cleanup()


def test_executor_has_no_nnp_and_workers_keep_it(agentd):
    assert proc_status(agentd.pid("executor"))["NoNewPrivs"] == "0"
    assert proc_status(agentd.pid("executor"))["Seccomp"] == "2"
    for role in ("watcher", "reporter"):
        assert proc_status(agentd.pid(role))["NoNewPrivs"] == "1", role


def test_unset_escalation_runs_without_nnp_and_setuid_works(agentd):
    nnp, ids = run_report(agentd, "unset", "      runAsUser: 1000\n")
    assert nnp == "0"
    assert ids == "1000 euid 0"


def test_escalation_true_runs_without_nnp(agentd):
    nnp, ids = run_report(agentd, "allow", "      runAsUser: 1000\n"
                          "      allowPrivilegeEscalation: true\n")
    assert nnp == "0"
    assert ids == "1000 euid 0"


def test_escalation_false_runs_with_nnp_and_setuid_is_ignored(agentd):
    nnp, ids = run_report(agentd, "deny", "      runAsUser: 1000\n"
                          "      allowPrivilegeEscalation: false\n")
    assert nnp == "1"
    assert ids == "1000 euid 1000"


def test_force_nnp_gives_unset_nnp(forced):
    nnp, ids = run_report(forced, "unset", "      runAsUser: 1000\n")
    assert nnp == "1"
    assert ids == "1000 euid 1000"


def test_force_nnp_refuses_escalation_true_and_audits_it(forced):
    forced.write_manifest("esc.yaml", pod_text(
        "esc", "sleep 1000", "      allowPrivilegeEscalation: true\n"))
    p = wait_pod(forced, "esc", lambda p: p["status"]["phase"] == "Failed")
    assert p["status"]["reason"] == "NodePolicyDenied"
    assert "forceNoNewPrivileges" in p["status"]["message"]
    wait_for(lambda: ("policy.deny", "event", "esc-testnode") in
             actions(forced), 10, what="policy.deny audited")
    deny = [r for r in forced.audit_records()
            if r["action"] == "policy.deny" and
            r["pod"]["name"] == "esc-testnode"][0]
    assert "allowPrivilegeEscalation" in str(deny)
    assert not any(a[0] in ("sandbox.create", "container.create")
                   for a in actions(forced) if a[2] == "esc-testnode")
