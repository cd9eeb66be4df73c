"""Storage drivers (issue 7): the whole pod suite again under
`storageDriver: native`, the driver recorded per container across a
config change, and the choice on a rootDir that is itself an overlay
(as in every Docker or podman container), where overlay cannot work."""
import glob
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from harness import (Agentd, container_pid, cstatus, manifest, running,
                     start_agentd, wait_for, wait_pod)
# every test of the pod suite, collected here a second time
from test_pods import *  # noqa: F401,F403


def tmp_is_overlay():
    out = subprocess.run(["stat", "-f", "-c", "%T", tempfile.gettempdir()],
                         capture_output=True, text=True).stdout.strip()
    return out == "overlayfs"


# inside a container whose / is an overlay (tests/fresh/fresh-root.sh),
# the overlay driver cannot work under the test roots at all, nor can the
# tests mount an overlay of their own there: those tests need a real disk
needs_overlay_capable_tmp = pytest.mark.skipif(
    tmp_is_overlay(), reason="the temp dir is on overlayfs: overlay cannot "
    "be an upperdir here")


@pytest.fixture(autouse=True)
def native_driver(monkeypatch):
    # autouse fixtures come first: every agentd of this module, including
    # those the imported tests start themselves, gets the native driver
    monkeypatch.setenv("AGENTD_TEST_STORAGE_DRIVER", "native")


def container_ids(a):
    return [os.path.basename(d) for d in
            glob.glob(os.path.join(a.root, "containers", "*"))]


def meta(root, cid):
    with open(os.path.join(root, "containers", cid, "meta.json")) as f:
        return json.load(f)


def mounts_under(path):
    with open("/proc/self/mountinfo") as f:
        return [ln.split()[4] for ln in f if ln.split()[4].startswith(path)]


def set_driver(a, driver):
    with open(a.config) as f:
        lines = [ln for ln in f if not ln.startswith("storageDriver:")]
    with open(a.config, "w") as f:
        f.writelines(lines + [f"storageDriver: {driver}\n"])


def app_container(a, name):
    p = a.pod("default", f"{name}-testnode")
    return cstatus(p)["containerID"].split("://", 1)[1]


def test_native_rootfs_is_a_private_copy_removed_with_the_pod(agentd):
    assert "storage native" in agentd.log()
    assert agentd.status()["storageDriver"] == "native"
    assert "storage driver: native" in agentd.agentctl("status").stdout
    agentd.write_manifest("cp.yaml", manifest(
        "cp", "echo mine > /bin/added; exec sleep 1000"))
    wait_pod(agentd, "cp", running)
    cid = app_container(agentd, "cp")
    rootfs = os.path.join(agentd.root, "containers", cid, "rootfs")
    assert meta(agentd.root, cid)["storage"] == "native"
    # a bind mount of the copy on itself, nodev as the overlay is
    with open("/proc/self/mountinfo") as f:
        opts = [ln.split()[5] for ln in f if ln.split()[4] == rootfs]
    assert len(opts) == 1 and "nodev" in opts[0].split(","), opts
    wait_for(lambda: os.path.exists(os.path.join(rootfs, "bin", "added")),
             10, what="write in the container's copy")
    images = glob.glob(os.path.join(agentd.root, "images", "rootfs", "*",
                                    "rootfs"))
    assert images and not os.path.exists(os.path.join(images[0], "bin",
                                                      "added"))
    # cp -a kept what the image had: owners, modes, symlinks
    st_img = os.lstat(os.path.join(images[0], "bin", "sh"))
    st_ctr = os.lstat(os.path.join(rootfs, "bin", "sh"))
    assert (st_ctr.st_mode, st_ctr.st_uid, st_ctr.st_gid) == \
        (st_img.st_mode, st_img.st_uid, st_img.st_gid)
    agentd.remove_manifest("cp.yaml")
    wait_for(lambda: not agentd.pods_json()["items"], 30, what="pod gone")
    assert container_ids(agentd) == []


@needs_overlay_capable_tmp
@pytest.mark.parametrize("first,then", [("native", "overlay"),
                                        ("overlay", "native")])
def test_driver_change_keeps_readoption_and_removal(testbuild_dir,
                                                     busybox_image, first,
                                                     then):
    a = start_agentd(testbuild_dir, busybox_image,
                     extra_config={"storageDriver": first})
    try:
        a.write_manifest("ch.yaml", manifest("ch", "exec sleep 1000"))
        wait_pod(a, "ch", running)
        pid = container_pid(a, "ch")
        cid = app_container(a, "ch")
        assert meta(a.root, cid)["storage"] == first
        a.kill9()
        set_driver(a, then)
        a.start()
        wait_pod(a, "ch", running)
        assert container_pid(a, "ch") == pid
        assert f"storage {then}" in a.log()
        assert a.status()["storageDriver"] == then
        a.remove_manifest("ch.yaml")
        wait_for(lambda: not a.pods_json()["items"], 30, what="pod gone")
        assert container_ids(a) == []
        assert mounts_under(a.top) == []
    finally:
        a.cleanup()


@needs_overlay_capable_tmp
def test_auto_picks_overlay_where_it_works(testbuild_dir, monkeypatch):
    monkeypatch.delenv("AGENTD_TEST_STORAGE_DRIVER")
    a = Agentd(testbuild_dir)
    try:
        # the executor may report running before its runtime is set up
        wait_for(lambda: "storage overlay" in a.log(), 10,
                 what="executor's runtime line")
        assert a.status()["storageDriver"] == "overlay"
        assert "upperdir" not in a.log()
        assert glob.glob(os.path.join(a.root, ".overlay-probe-*")) == []
        assert mounts_under(a.top) == []
    finally:
        a.cleanup()


# ---- a rootDir on overlayfs: what happens inside a container ----

@pytest.fixture
def overlay_root():
    """A directory on an overlay mount (the upper on the host's disk)."""
    top = tempfile.mkdtemp(prefix="agentd-ovl-")
    os.chmod(top, 0o755)
    dirs = {k: os.path.join(top, k) for k in ("l", "u", "w", "m")}
    for d in dirs.values():
        os.mkdir(d)
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                    f"lowerdir={dirs['l']},upperdir={dirs['u']},"
                    f"workdir={dirs['w']}", dirs["m"]], check=True)
    os.chmod(dirs["m"], 0o755)
    try:
        yield os.path.join(dirs["m"], "root")
    finally:
        for m in sorted(mounts_under(top), key=len, reverse=True):
            subprocess.run(["umount", "-l", m], capture_output=True)
        shutil.rmtree(top, ignore_errors=True)


def on_overlay_root(testbuild_dir, busybox_image, root, driver):
    env_driver = {} if driver is None else {"storageDriver": driver}
    return start_agentd(testbuild_dir, busybox_image,
                        extra_config={"rootDir": root, **env_driver})


@needs_overlay_capable_tmp
def test_auto_falls_back_to_native_on_an_overlay_rootdir(
        testbuild_dir, busybox_image, overlay_root, monkeypatch):
    monkeypatch.delenv("AGENTD_TEST_STORAGE_DRIVER")
    a = on_overlay_root(testbuild_dir, busybox_image, overlay_root, None)
    try:
        a.write_manifest("fb.yaml", manifest("fb", "exec sleep 1000"))
        wait_pod(a, "fb", running)
        warn = [ln for ln in a.log().splitlines()
                if "cannot hold an overlay upperdir" in ln]
        assert len(warn) == 1, a.log()
        assert "(overlay)" in warn[0] and "using the native driver" in \
            warn[0] and "disk" in warn[0] and "start" in warn[0]
        assert "storage native" in a.log()
        assert a.status()["storageDriver"] == "native"
        cid = app_container(a, "fb")
        assert meta(overlay_root, cid)["storage"] == "native"
        # the probe leaves nothing behind
        assert glob.glob(os.path.join(overlay_root, ".overlay-probe-*")) \
            == []
        a.remove_manifest("fb.yaml")
        wait_for(lambda: not a.pods_json()["items"], 30, what="pod gone")
        assert os.listdir(os.path.join(overlay_root, "containers")) == []
    finally:
        a.cleanup()


@needs_overlay_capable_tmp
def test_explicit_overlay_on_an_overlay_rootdir_fails_pods_with_reason(
        testbuild_dir, busybox_image, overlay_root):
    a = on_overlay_root(testbuild_dir, busybox_image, overlay_root,
                        "overlay")
    try:
        err = [ln for ln in a.log().splitlines()
               if "storageDriver overlay:" in ln]
        assert len(err) == 1 and "cannot hold an overlay upperdir" in err[0]
        a.write_manifest("ov.yaml", manifest("ov", "exec sleep 1000"))
        p = wait_pod(a, "ov", lambda p: cstatus(p)["state"].get(
            "waiting", {}).get("reason") == "RunContainerError")
        msg = cstatus(p)["state"]["waiting"]["message"]
        assert "storageDriver overlay" in msg and "upperdir" in msg
    finally:
        a.cleanup()
