"""The same pods through crun.  crun 1.8 refuses a hybrid cgroup layout
whose cgroup2 mount holds hugetlb (this CI host's); agentd detects that and
names the fix but never changes the host's mounts.  This test applies the
fix itself for its own duration and undoes it afterwards."""
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from harness import (Agentd, container_pid, cstatus, manifest, proc_status,
                     running, start_agentd, wait_for, wait_pod)

UNIFIED = "/sys/fs/cgroup/unified/cgroup.controllers"
HUGETLB = "/sys/fs/cgroup/hugetlb"


def hugetlb_in_v2():
    try:
        with open(UNIFIED) as f:
            return "hugetlb" in f.read().split()
    except FileNotFoundError:
        return False


@pytest.fixture
def crun_host():
    if shutil.which("crun") is None:
        pytest.skip("crun is not installed")
    mounted = False
    if hugetlb_in_v2():
        os.makedirs(HUGETLB, exist_ok=True)
        subprocess.run(["mount", "-t", "cgroup", "-o", "hugetlb", "cgroup",
                        HUGETLB], check=True)
        mounted = True
    yield
    if mounted:
        subprocess.run(["umount", HUGETLB], check=True)
        os.rmdir(HUGETLB)
        give_hugetlb_back()


def give_hugetlb_back():
    """The kernel keeps a v1 hierarchy whose last cgroups died only lately;
    mounting and unmounting it once more, now empty, releases it."""
    scratch = tempfile.mkdtemp(prefix="agentd-hugetlb-")
    try:
        for _ in range(20):
            if hugetlb_in_v2():
                return
            if subprocess.run(["mount", "-t", "cgroup", "-o", "hugetlb",
                               "cgroup", scratch]).returncode == 0:
                subprocess.run(["umount", scratch], check=True)
            time.sleep(0.5)
        assert hugetlb_in_v2(), "hugetlb did not return to cgroup2"
    finally:
        os.rmdir(scratch)


def test_crun_refusal_is_named_with_its_fix(testbuild_dir):
    if not hugetlb_in_v2():
        pytest.skip("this host's layout does not trip crun 1.8")
    a = Agentd(testbuild_dir, start=False, extra_config={"runtime": "crun"})
    try:
        p = subprocess.Popen([os.path.join(testbuild_dir, "agentd"), "-f",
                              a.config], stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        p.terminate()
        err = p.communicate(timeout=15)[1]
        assert "mount -t cgroup -o hugetlb" in err, err
        assert hugetlb_in_v2()      # agentd changed nothing
    finally:
        a.cleanup()


def test_pod_lifecycle_with_crun(testbuild_dir, busybox_image, crun_host):
    a = start_agentd(testbuild_dir, busybox_image,
                     extra_config={"runtime": "crun"})
    try:
        a.write_manifest("c.yaml", manifest(
            "c", "echo via-crun; exec sleep 1000",
            extra_ctr="    securityContext:\n      runAsUser: 1000\n"))
        p = wait_pod(a, "c", running)
        assert cstatus(p)["containerID"].startswith("crun://")
        assert proc_status(container_pid(a, "c"))["Uid"].split()[0] == \
            "1000"
        a.write_manifest("x.yaml", manifest("x", "exit 4", restart="Never"))
        p = wait_pod(a, "x", lambda p: p["status"]["phase"] == "Failed")
        assert cstatus(p)["state"]["terminated"]["exitCode"] == 4
        a.remove_manifest("c.yaml")
        wait_for(lambda: a.pod("default", "c-testnode") is None, 20,
                 what="pod removed")
    finally:
        a.cleanup()
