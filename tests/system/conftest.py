"""Fixtures shared by the system tests."""
import os
import subprocess

import pytest

from harness import TOP, start_agentd


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
