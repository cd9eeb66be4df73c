"""Fixtures shared by the system tests."""
import os
import shutil
import subprocess

import pytest

from harness import TOP, safe_dir, start_agentd

FAKE = os.path.join("tests", "tools", "agentd-watcher-fake")
REAL = ("agentd-executor", "agentd-reporter", "agentd-netparse",
        "agentd-pause", "agentd-probe")


@pytest.fixture(scope="session")
def busybox_image(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("img") / "busybox-oci")
    subprocess.run([os.path.join(TOP, "contrib", "mkimage-busybox.sh"), out],
                   check=True, capture_output=True)
    return out



@pytest.fixture
def pod_agentd(testbuild_dir, busybox_image):
    """An agentd instance with the busybox image imported."""
    a = start_agentd(testbuild_dir, busybox_image)
    yield a
    a.cleanup()


@pytest.fixture(scope="session")
def fake_libexec(testbuild_dir):
    """A libexecDir of the test build's workers with, as agentd-watcher,
    tests/tools/fakewatcher.c (test_hostile.py, test_identity.py)."""
    fake = os.path.join(testbuild_dir, FAKE)
    if not os.path.exists(fake):
        pytest.fail(f"{fake} is missing: run `make testbuild`")
    d = os.path.join(safe_dir(testbuild_dir), "fake-libexec")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    os.chmod(d, 0o755)
    # copies, not links: a worker binary is opened without following links
    for exe in REAL:
        shutil.copy2(os.path.join(testbuild_dir, exe), os.path.join(d, exe))
    shutil.copy2(fake, os.path.join(d, "agentd-watcher"))
    for exe in os.listdir(d):
        os.chmod(os.path.join(d, exe), 0o755)
    return d
