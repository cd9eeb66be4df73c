"""The containers' default seccomp profile from inside a real container
(issue 8, item 6): no io_uring, personality only with the values Docker's
default profile allows.  The probe is a static binary inserted with
`umoci insert` into a copy of the busybox test image."""
import os
import shutil
import subprocess

import pytest

from harness import cstatus, manifest, start_agentd, wait_pod


@pytest.fixture(scope="module")
def probe_image(testbuild_dir, busybox_image, tmp_path_factory):
    probe = os.path.join(testbuild_dir, "tests", "tools", "seccomp_probe")
    if not os.access(probe, os.X_OK):
        pytest.fail(f"{probe} missing: make testbuild")
    out = str(tmp_path_factory.mktemp("img") / "busybox-probe")
    shutil.copytree(busybox_image, out)
    subprocess.run(["umoci", "insert", "--image", f"{out}:latest", probe,
                    "/bin/seccomp_probe"], check=True, capture_output=True)
    return out


def probe_lines(a, extra_ctr=""):
    a.write_manifest("probe.yaml", manifest(
        "probe", "exec /bin/seccomp_probe", restart="Never",
        extra_ctr=extra_ctr))
    p = wait_pod(a, "probe", lambda p: "terminated" in cstatus(p)["state"])
    assert cstatus(p)["state"]["terminated"]["exitCode"] == 0
    out = a.agentctl("logs", "default/probe-testnode").stdout
    return dict(ln.split(" ", 1) for ln in out.splitlines() if " " in ln)


def test_io_uring_and_unsafe_personality_are_denied(testbuild_dir,
                                                     probe_image):
    a = start_agentd(testbuild_dir, probe_image)
    try:
        r = probe_lines(a)
        for call in ("io_uring_setup", "io_uring_enter",
                     "io_uring_register"):
            assert r[call] in ("EPERM", "ENOSYS"), r
        assert r["personality(READ_IMPLIES_EXEC)"] == "EPERM", r
        assert r["personality(ADDR_NO_RANDOMIZE)"] == "EPERM", r
        # what Docker allows keeps working
        assert r["personality(query)"] == "ok", r
        assert r["personality(PER_LINUX32)"] == "ok", r
        assert r["personality(PER_LINUX)"] == "ok", r
    finally:
        a.cleanup()


def test_privileged_container_has_no_filter(testbuild_dir, probe_image):
    # the same probe proves the denials come from the default profile
    a = start_agentd(testbuild_dir, probe_image,
                     extra_config={"allowPrivileged": "true"})
    try:
        r = probe_lines(a, "    securityContext:\n      privileged: true\n")
        assert r["io_uring_setup"] == "ok", r
        assert r["personality(READ_IMPLIES_EXEC)"] == "ok", r
    finally:
        a.cleanup()
