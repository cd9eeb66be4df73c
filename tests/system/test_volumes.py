"""Volumes with real containers (issue 14, static pods): emptyDir on disk
and in memory, hostPath under allowedHostPaths with every type checked,
readOnly mounts, subPath immune to symlink swaps, and hostile input."""
import os
import shutil
import socket
import subprocess
import tempfile

import pytest

from harness import start_agentd, wait_for, wait_pod, running


@pytest.fixture
def agentd(pod_agentd):
    return pod_agentd


def _log(a, name, ctr=None):
    args = ["logs", f"default/{name}-testnode"]
    if ctr is not None:
        args += ["-c", ctr]
    r = a.agentctl(*args, check=False)
    return r.stdout if r.returncode == 0 else ""


def _ctr(name, script, mounts, indent="  "):
    """a container item: busybox running script, with volumeMounts"""
    text = (f"{indent}- name: {name}\n{indent}  image: busybox\n"
            f"{indent}  command: [\"sh\", \"-c\", {script!r}]\n")
    if mounts:
        text += f"{indent}  volumeMounts:\n"
        for m in mounts:
            items = list(m.items())
            text += f"{indent}  - {items[0][0]}: {items[0][1]}\n"
            for k, v in items[1:]:
                text += f"{indent}    {k}: {v}\n"
    return text


def pod(name, containers, volumes, restart="Never", init=""):
    return (f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n"
            f"spec:\n  restartPolicy: {restart}\n"
            f"  terminationGracePeriodSeconds: 1\n"
            f"{init}  containers:\n{containers}  volumes:\n{volumes}")


def _uid(a, name):
    return a.pod("default", f"{name}-testnode")["metadata"]["uid"]


def _mounts_under(path):
    with open("/proc/self/mountinfo") as f:
        return [ln.split()[4] for ln in f
                if ln.split()[4].startswith(path + "/")]


def _phase(a, name, want, timeout=30):
    return wait_pod(a, name, lambda p: p["status"].get("phase") == want,
                    timeout=timeout, what=f"{name} {want}")


def _gone(a, name, timeout=30):
    wait_for(lambda: a.pod("default", f"{name}-testnode") is None, timeout,
             interval=0.2, what=f"{name} gone")


def _waiting_message(p):
    """what a container that cannot start says, or the pod's message"""
    out = [p["status"].get("message", "")]
    for cs in p["status"].get("containerStatuses", []):
        w = cs.get("state", {}).get("waiting", {})
        out.append(w.get("reason", "") + ": " + w.get("message", ""))
    return " | ".join(out)


# ---- emptyDir ----

def test_empty_dir_shared_by_two_containers_and_gone_after_removal(agentd):
    agentd.write_manifest("ed.yaml", pod(
        "ed",
        _ctr("writer", "echo hello-volume > /data/msg; exec sleep 1000",
             [{"name": "shared", "mountPath": "/data"}]) +
        _ctr("reader", "until [ -s /in/msg ]; do sleep 0.1; done; "
             "echo got:$(cat /in/msg); exec sleep 1000",
             [{"name": "shared", "mountPath": "/in"}]),
        "  - name: shared\n    emptyDir: {}\n", restart="Always"))
    wait_for(lambda: "got:hello-volume" in _log(agentd, "ed", "reader"), 30,
             what="reader saw the writer's file")
    uid = _uid(agentd, "ed")
    spec = agentd.pod("default", "ed-testnode")["spec"]
    assert spec["volumes"] == [{"name": "shared", "emptyDir": {}}], spec
    assert spec["containers"][1]["volumeMounts"] == \
        [{"name": "shared", "mountPath": "/in"}], spec
    vol = os.path.join(agentd.root, "pods", uid, "volumes",
                       "kubernetes.io~empty-dir", "shared")
    with open(os.path.join(vol, "msg")) as f:
        assert f.read() == "hello-volume\n"
    assert os.stat(vol).st_mode & 0o777 == 0o777
    agentd.remove_manifest("ed.yaml")
    _gone(agentd, "ed")
    wait_for(lambda: not os.path.exists(os.path.join(agentd.root, "pods",
                                                     uid)), 10,
             what="the pod's directory removed")


def test_memory_empty_dir_is_a_tmpfs_of_its_size_limit(agentd):
    agentd.write_manifest("mem.yaml", pod(
        "mem",
        _ctr("c", "grep ' /cache ' /proc/mounts; exec sleep 1000",
             [{"name": "cache", "mountPath": "/cache"}]),
        "  - name: cache\n    emptyDir:\n      medium: Memory\n"
        "      sizeLimit: 16Mi\n", restart="Always"))
    wait_for(lambda: "/cache" in _log(agentd, "mem", "c"), 30,
             what="the mount line")
    line = _log(agentd, "mem", "c").strip().split("\n")[-1]
    fields = line.split()
    assert fields[2] == "tmpfs", line
    assert "size=16384k" in fields[3], line
    uid = _uid(agentd, "mem")
    pdir = os.path.join(agentd.root, "pods", uid)
    assert _mounts_under(pdir), "no tmpfs on the host"
    agentd.remove_manifest("mem.yaml")
    _gone(agentd, "mem")
    wait_for(lambda: not _mounts_under(pdir) and not os.path.exists(pdir),
             10, what="tmpfs unmounted and the directory removed")


def test_memory_empty_dir_without_limit_takes_the_pods_memory_limit(agentd):
    agentd.write_manifest("meml.yaml", pod(
        "meml",
        "  - name: c\n    image: busybox\n"
        "    command: [\"sh\", \"-c\", \"grep ' /m ' /proc/mounts; "
        "exec sleep 1000\"]\n"
        "    resources:\n      limits:\n        memory: 32Mi\n"
        "    volumeMounts:\n    - name: m\n      mountPath: /m\n",
        "  - name: m\n    emptyDir:\n      medium: Memory\n",
        restart="Always"))
    wait_for(lambda: "/m" in _log(agentd, "meml", "c"), 30, what="mount line")
    assert "size=32768k" in _log(agentd, "meml", "c")


def test_volumes_of_a_pod_removed_while_agentd_was_down_are_undone(
        hp_agentd, host_dirs):
    """agentd killed, the manifest removed, agentd started: the tmpfs and
    the hostPath bind are unmounted and the pod's directory goes, while
    the host directory's contents stay."""
    a = hp_agentd
    with open(os.path.join(host_dirs["rw"], "keep"), "w") as f:
        f.write("host data\n")
    a.write_manifest("down.yaml", pod(
        "down",
        _ctr("c", "ls /h; exec sleep 1000",
             [{"name": "m", "mountPath": "/m"},
              {"name": "h", "mountPath": "/h"},
              {"name": "h", "mountPath": "/s", "subPath": "sub"}]),
        "  - name: m\n    emptyDir:\n      medium: Memory\n"
        f"  - name: h\n    hostPath:\n      path: {host_dirs['rw']}\n",
        restart="Always"))
    wait_for(lambda: "keep" in _log(a, "down", "c"), 30, what="running")
    pdir = os.path.join(a.root, "pods", _uid(a, "down"))
    assert len(_mounts_under(pdir)) >= 3, _mounts_under(pdir)
    a.kill9()
    a.remove_manifest("down.yaml")
    a.start()
    _gone(a, "down")
    wait_for(lambda: not _mounts_under(pdir) and not os.path.exists(pdir),
             20, what="mounts undone and the pod's directory removed")
    with open(os.path.join(host_dirs["rw"], "keep")) as f:
        assert f.read() == "host data\n"
    assert os.path.isdir(os.path.join(host_dirs["rw"], "sub"))


def test_pod_directory_without_sandbox_is_swept_at_start(agentd):
    """what a crash between a sandbox's removal and its pod directory's
    leaves (a tmpfs still mounted in it) is undone when the executor
    starts"""
    agentd.kill9()
    pdir = os.path.join(agentd.root, "pods", "orphan-uid-1")
    vol = os.path.join(pdir, "volumes", "kubernetes.io~empty-dir", "m")
    os.makedirs(vol)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", vol],
                   check=True)
    try:
        agentd.start()
        wait_for(lambda: not _mounts_under(pdir) and
                 not os.path.exists(pdir), 20, what="the orphan swept")
    finally:
        subprocess.run(["umount", "-l", vol], capture_output=True)


def test_read_only_mount_refuses_writes(agentd):
    agentd.write_manifest("ro.yaml", pod(
        "ro",
        _ctr("c", "touch /r/x 2>&1; echo rc=$?",
             [{"name": "v", "mountPath": "/r", "readOnly": "true"}]),
        "  - name: v\n    emptyDir: {}\n"))
    _phase(agentd, "ro", "Succeeded")
    out = _log(agentd, "ro", "c")
    assert "Read-only file system" in out and "rc=1" in out, out


def test_init_container_fills_volume_and_subpath_mounts_part(agentd):
    agentd.write_manifest("sp.yaml", pod(
        "sp",
        _ctr("c", "cat /s/file; ls /s",
             [{"name": "v", "mountPath": "/s", "subPath": "a/b"}]),
        "  - name: v\n    emptyDir: {}\n",
        init="  initContainers:\n" + _ctr(
            "fill", "mkdir -p /v/a/b; echo in-sub > /v/a/b/file; "
            "echo outside > /v/top", [{"name": "v", "mountPath": "/v"}])))
    _phase(agentd, "sp", "Succeeded")
    out = _log(agentd, "sp", "c")
    assert "in-sub" in out and "top" not in out, out


# ---- hostPath ----

@pytest.fixture
def host_dirs():
    top = tempfile.mkdtemp(prefix="agentd-hostpath-")
    os.chmod(top, 0o755)
    rw = os.path.join(top, "rw")
    ro = os.path.join(top, "ro")
    secret = os.path.join(top, "secret")
    for d in (rw, ro, secret):
        os.makedirs(d)
    with open(os.path.join(secret, "SECRET"), "w") as f:
        f.write("host secret\n")
    with open(os.path.join(ro, "data"), "w") as f:
        f.write("read me\n")
    yield {"top": top, "rw": rw, "ro": ro, "secret": secret}
    shutil.rmtree(top, ignore_errors=True)


@pytest.fixture
def hp_agentd(testbuild_dir, busybox_image, host_dirs):
    cfg = {"allowedHostPaths":
           f"[{{pathPrefix: {host_dirs['rw']}}}, "
           f"{{pathPrefix: {host_dirs['ro']}, readOnly: true}}, "
           f"{{pathPrefix: /dev/null, readOnly: true}}]"}
    a = start_agentd(testbuild_dir, busybox_image, extra_config=cfg)
    yield a
    # every pod gone must leave no mount behind (the harness's own
    # cleanup unmounts whatever stays, which would hide it)
    leftover = []
    pods_dir = os.path.join(a.root, "pods")
    try:
        if a.proc is not None and a.proc.poll() is None:
            a._remove_all_pods()
            wait_for(lambda: not a.pods_json()["items"], 60, interval=0.2,
                     what="pods removed")
            wait_for(lambda: not _mounts_under(pods_dir), 10,
                     what="no mounts under rootDir/pods")
    except AssertionError:
        leftover = _mounts_under(pods_dir)
    finally:
        a.cleanup()
    assert not leftover, leftover


def _hp_pod(name, path, script, typ=None, read_only=False, sub=None):
    m = {"name": "h", "mountPath": "/h"}
    if read_only:
        m["readOnly"] = "true"
    if sub is not None:
        m["subPath"] = sub
    t = f"\n      type: {typ}" if typ is not None else ""
    return pod(name, _ctr("c", script, [m]),
               f"  - name: h\n    hostPath:\n      path: {path}{t}\n")


def test_host_path_refused_by_default(agentd, host_dirs):
    agentd.write_manifest("hp0.yaml", _hp_pod("hp0", host_dirs["rw"], "true"))
    p = _phase(agentd, "hp0", "Failed")
    assert p["status"]["reason"] == "NodePolicyDenied"
    assert "allowedHostPaths" in p["status"]["message"], p["status"]


def test_host_path_under_prefix_is_mounted(hp_agentd, host_dirs):
    hp_agentd.write_manifest("hp1.yaml", _hp_pod(
        "hp1", host_dirs["rw"], "echo from-pod > /h/out"))
    _phase(hp_agentd, "hp1", "Succeeded")
    with open(os.path.join(host_dirs["rw"], "out")) as f:
        assert f.read() == "from-pod\n"


def test_host_path_brings_mounts_below_it_and_teardown_leaves_them(
        hp_agentd, host_dirs):
    """the runtime's rbind of a hostPath shows what is mounted below it;
    undoing the pod's mounts never unmounts the host's own"""
    below = os.path.join(host_dirs["rw"], "sub", "mnt")
    os.makedirs(below)
    # a shared tree, as "/" is under systemd: a bind of it joins its peer
    # group, and an unmount below a peer propagates
    top = host_dirs["top"]
    subprocess.run(["mount", "--bind", top, top], check=True)
    subprocess.run(["mount", "--make-rshared", top], check=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", below],
                   check=True)
    try:
        with open(os.path.join(below, "f"), "w") as f:
            f.write("below\n")
        hp_agentd.write_manifest("rb.yaml", _hp_pod(
            "rb", host_dirs["rw"], "cat /h/sub/mnt/f"))
        _phase(hp_agentd, "rb", "Succeeded")
        assert "below" in _log(hp_agentd, "rb", "c")
        uid = _uid(hp_agentd, "rb")
        hp_agentd.remove_manifest("rb.yaml")
        _gone(hp_agentd, "rb")
        pdir = os.path.join(hp_agentd.root, "pods", uid)
        wait_for(lambda: not _mounts_under(pdir), 10, what="pod unmounted")
        with open("/proc/self/mountinfo") as f:
            assert any(ln.split()[4] == below for ln in f), \
                "the host's own mount went with the pod's"
        with open(os.path.join(below, "f")) as f:
            assert f.read() == "below\n"
    finally:
        subprocess.run(["umount", "-l", below], capture_output=True)
        subprocess.run(["umount", "-l", top], capture_output=True)


def test_host_path_outside_prefixes_is_denied(hp_agentd, host_dirs):
    # a sibling whose name starts like an allowed prefix: components match
    hp_agentd.write_manifest("hp2.yaml", _hp_pod(
        "hp2", host_dirs["rw"] + "x", "true"))
    hp_agentd.write_manifest("hp3.yaml", _hp_pod(
        "hp3", host_dirs["secret"], "true"))
    for name in ("hp2", "hp3"):
        p = _phase(hp_agentd, name, "Failed")
        assert p["status"]["reason"] == "NodePolicyDenied"
        assert "spec.volumes[0].hostPath.path" in p["status"]["message"] or \
            "allowedHostPaths" in p["status"]["message"], p["status"]


def test_host_path_read_only_prefix(hp_agentd, host_dirs):
    hp_agentd.write_manifest("hp4.yaml", _hp_pod(
        "hp4", host_dirs["ro"], "cat /h/data"))
    p = _phase(hp_agentd, "hp4", "Failed")
    assert p["status"]["reason"] == "NodePolicyDenied"
    assert "readOnly" in p["status"]["message"], p["status"]
    hp_agentd.write_manifest("hp5.yaml", _hp_pod(
        "hp5", host_dirs["ro"], "cat /h/data; touch /h/new 2>&1; true",
        read_only=True))
    _phase(hp_agentd, "hp5", "Succeeded")
    out = _log(hp_agentd, "hp5", "c")
    assert "read me" in out and "Read-only file system" in out, out
    assert not os.path.exists(os.path.join(host_dirs["ro"], "new"))
    # nothing is made under a readOnly prefix: no *OrCreate, no subPath
    hp_agentd.write_manifest("hp6.yaml", _hp_pod(
        "hp6", host_dirs["ro"] + "/made", "true", typ="DirectoryOrCreate",
        read_only=True))
    _fails_to_start(hp_agentd, "hp6", ["not made under the readOnly"])
    hp_agentd.write_manifest("hp7.yaml", _hp_pod(
        "hp7", host_dirs["ro"], "true", read_only=True, sub="newsub"))
    _fails_to_start(hp_agentd, "hp7", ["subPath newsub"])
    assert sorted(os.listdir(host_dirs["ro"])) == ["data"]


def test_host_path_read_only_prefix_covers_the_mounts_below_it(
        hp_agentd, host_dirs):
    """under a readOnly prefix every mount below the host path is
    read-only in the container too, not only the top one (the runtime's
    "ro" on an rbind covers the top mount alone)"""
    below = os.path.join(host_dirs["ro"], "mnt")
    os.makedirs(below)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", below],
                   check=True)
    try:
        hp_agentd.write_manifest("hpro.yaml", _hp_pod(
            "hpro", host_dirs["ro"], "touch /h/mnt/new 2>&1; true",
            read_only=True))
        _phase(hp_agentd, "hpro", "Succeeded")
        assert "Read-only file system" in _log(hp_agentd, "hpro", "c")
        assert not os.path.exists(os.path.join(below, "new"))
        # the host's own mount stays writable for the host
        with open(os.path.join(below, "host"), "w") as f:
            f.write("host\n")
        hp_agentd.remove_manifest("hpro.yaml")
        _gone(hp_agentd, "hpro")
    finally:
        subprocess.run(["umount", "-l", below], capture_output=True)
        os.rmdir(below)


def _fails_to_start(a, name, words, timeout=30):
    def check():
        p = a.pod("default", f"{name}-testnode")
        if p is None:
            return False
        msg = _waiting_message(p)
        return msg if all(w in msg for w in words) else False
    return wait_for(check, timeout, interval=0.2,
                    what=f"{name} refused with {words}")


def test_host_path_types_are_checked(hp_agentd, host_dirs):
    rw = host_dirs["rw"]
    os.makedirs(os.path.join(rw, "adir"))
    with open(os.path.join(rw, "afile"), "w") as f:
        f.write("x")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(os.path.join(rw, "sock"))
    try:
        ok = {
            "t1": (rw + "/adir", "Directory"),
            "t2": (rw + "/afile", "File"),
            "t3": (rw + "/sock", "Socket"),
            "t4": ("/dev/null", "CharDevice"),
            "t5": (rw + "/made/deep", "DirectoryOrCreate"),
            "t6": (rw + "/newdir/newfile", "FileOrCreate"),
        }
        bad = {
            "b1": (rw + "/adir", "File", "is not a file"),
            "b2": (rw + "/afile", "Directory", "is not a directory"),
            "b3": (rw + "/afile", "Socket", "is not a socket"),
            "b4": (rw + "/missing", "Directory", "No such file"),
            "b5": ("/dev/null", "BlockDevice", "is not a block device"),
        }
        for name, (path, typ) in ok.items():
            ro = path.startswith("/dev/")
            hp_agentd.write_manifest(f"{name}.yaml", _hp_pod(
                name, path, "true", typ=typ, read_only=ro))
        for name, (path, typ, _) in bad.items():
            ro = path.startswith("/dev/")
            hp_agentd.write_manifest(f"{name}.yaml", _hp_pod(
                name, path, "true", typ=typ, read_only=ro))
        for name in ok:
            _phase(hp_agentd, name, "Succeeded")
        assert os.path.isdir(rw + "/made/deep")
        assert os.path.isfile(rw + "/newdir/newfile")
        for name, (_, _, why) in bad.items():
            _fails_to_start(hp_agentd, name, ["hostPath", why])
    finally:
        sock.close()


def test_host_path_through_a_symlink_below_the_prefix_is_refused(
        hp_agentd, host_dirs):
    os.symlink(host_dirs["secret"], os.path.join(host_dirs["rw"], "link"))
    hp_agentd.write_manifest("sl.yaml", _hp_pod(
        "sl", host_dirs["rw"] + "/link", "cat /h/SECRET"))
    _fails_to_start(hp_agentd, "sl", ["symbolic link"])
    assert "host secret" not in _log(hp_agentd, "sl", "c")


def _race_victims(a, name_prefix, volumes, mounts, want_ok, max_victims=30):
    """start pods one after the other until want_ok of them ran with the
    volume (and as many were refused), at most max_victims; the outputs
    that showed the secret, and how many ran"""
    escaped, ran, refused = [], 0, 0
    for i in range(max_victims):
        name = f"{name_prefix}{i}"
        a.write_manifest(f"{name}.yaml", pod(
            name, _ctr("c", "ls /s 2>&1; cat /s/SECRET 2>&1; echo done",
                       mounts), volumes))

        def settled(p):
            why = _waiting_message(p)
            return p["status"].get("phase") in ("Succeeded", "Failed") or \
                "symbolic link" in why or "No such file" in why
        p = wait_pod(a, name, settled, timeout=30)
        if p["status"].get("phase") == "Succeeded":
            out = wait_for(lambda: (lambda o: o if "done" in o else False)(
                _log(a, name, "c")), 10, what=f"{name}'s output")
            ran += 1
            if "host secret" in out:
                escaped.append((name, out))
        else:
            refused += 1
        a.remove_manifest(f"{name}.yaml")
        _gone(a, name)
        if ran >= want_ok and refused >= want_ok:
            break
    return escaped, ran, refused


# d is a directory, absent, a symlink to the secret's directory, absent...
_SWAP = ("cd /h; mkdir -p real; echo inside > real/marker; while true; do "
         "mv real d; mv d real; ln -s {secret} d; rm d; done")


def test_subpath_symlink_swap_never_escapes(hp_agentd, host_dirs):
    """A pod keeps swapping rw/race/d between a directory and a symlink to
    the secret; pods with subPath d start one after the other, some while
    it is the directory, and none ever sees the secret."""
    race = os.path.join(host_dirs["rw"], "race")
    os.makedirs(race)
    hp_agentd.write_manifest("swap.yaml", pod(
        "swap", _ctr("c", _SWAP.format(secret=host_dirs["secret"]),
                     [{"name": "h", "mountPath": "/h"}]),
        f"  - name: h\n    hostPath:\n      path: {race}\n",
        restart="Always"))
    wait_pod(hp_agentd, "swap", running)
    escaped, ran, refused = _race_victims(
        hp_agentd, "victim",
        f"  - name: h\n    hostPath:\n      path: {race}\n",
        [{"name": "h", "mountPath": "/s", "subPath": "d"}], 2)
    assert not escaped, escaped
    assert ran >= 1 and refused >= 1, (ran, refused)


def test_host_path_symlink_swap_never_escapes(hp_agentd, host_dirs):
    """the same swap under a hostPath's own path (rw/race/d)"""
    race = os.path.join(host_dirs["rw"], "race")
    os.makedirs(race)
    hp_agentd.write_manifest("swap.yaml", pod(
        "swap", _ctr("c", _SWAP.format(secret=host_dirs["secret"]),
                     [{"name": "h", "mountPath": "/h"}]),
        f"  - name: h\n    hostPath:\n      path: {race}\n",
        restart="Always"))
    wait_pod(hp_agentd, "swap", running)
    escaped, ran, refused = _race_victims(
        hp_agentd, "hvictim",
        f"  - name: h\n    hostPath:\n      path: {race}/d\n",
        [{"name": "h", "mountPath": "/s"}], 2)
    assert not escaped, escaped
    assert ran >= 1 and refused >= 1, (ran, refused)


# ---- hostile input ----

def _bad(name, vols, mounts_yaml):
    return (f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n"
            f"spec:\n  containers:\n  - name: c\n    image: busybox\n"
            f"{mounts_yaml}  volumes:\n{vols}")


_ED = "  - name: v\n    emptyDir: {}\n"


def _vm(**kw):
    return "    volumeMounts:\n    - " + "\n      ".join(
        f"{k}: {v}" for k, v in kw.items()) + "\n"


HOSTILE = {
    "traversal.yaml": (_bad("h1", _ED, _vm(name="v", mountPath="/m",
                                             subPath="a/../../etc")),
                       "spec.containers[0].volumeMounts[0].subPath"),
    "abssub.yaml": (_bad("h2", _ED, _vm(name="v", mountPath="/m",
                                          subPath="/etc")),
                    "spec.containers[0].volumeMounts[0].subPath"),
    "dotdot.yaml": (_bad("h3", _ED, _vm(name="v", mountPath="/m/../etc")),
                    "spec.containers[0].volumeMounts[0].mountPath"),
    "nul.yaml": (_bad("h4", _ED, _vm(name="v", mountPath='"/m\\0x"')),
                 ""),
    "long.yaml": (_bad("h5", _ED, _vm(name="v", mountPath="/" + "a" * 1100)),
                  "spec.containers[0].volumeMounts[0].mountPath"),
    "longsub.yaml": (_bad("h6", _ED, _vm(name="v", mountPath="/m",
                                           subPath="a" * 1100)),
                     "spec.containers[0].volumeMounts[0].subPath"),
    "relmount.yaml": (_bad("h7", _ED, _vm(name="v", mountPath="m")),
                      "spec.containers[0].volumeMounts[0].mountPath"),
    "dupmount.yaml": (_bad("h8", _ED,
                           "    volumeMounts:\n    - name: v\n"
                           "      mountPath: /m\n    - name: v\n"
                           "      mountPath: /m\n"),
                      "spec.containers[0].volumeMounts[1].mountPath"),
    "novolume.yaml": (_bad("h9", _ED, _vm(name="nope", mountPath="/m")),
                      "spec.containers[0].volumeMounts[0].name"),
    "dupvol.yaml": (_bad("h10", _ED + _ED, ""), "spec.volumes[1].name"),
    "configmap.yaml": (_bad("h11", "  - name: v\n    configMap:\n"
                            "      name: x\n", ""),
                       "spec.volumes[0].configMap"),
    "twosrc.yaml": (_bad("h12", "  - name: v\n    emptyDir: {}\n"
                         "    hostPath:\n      path: /tmp\n", ""),
                    "spec.volumes[0]"),
    "hpdotdot.yaml": (_bad("h13", "  - name: v\n    hostPath:\n"
                           "      path: /tmp/../etc\n", ""),
                      "spec.volumes[0].hostPath.path"),
    "hptype.yaml": (_bad("h14", "  - name: v\n    hostPath:\n"
                         "      path: /tmp\n      type: Whatever\n", ""),
                    "spec.volumes[0].hostPath.type"),
    "medium.yaml": (_bad("h15", "  - name: v\n    emptyDir:\n"
                         "      medium: Disk\n", ""),
                    "spec.volumes[0].emptyDir.medium"),
    "propagation.yaml": (_bad("h16", _ED, _vm(name="v", mountPath="/m",
                                                mountPropagation=
                                                "Bidirectional")),
                         "spec.containers[0].volumeMounts[0]."
                         "mountPropagation"),
    "subexpr.yaml": (_bad("h17", _ED, _vm(name="v", mountPath="/m",
                                            subPathExpr="$(POD)")),
                     "spec.containers[0].volumeMounts[0].subPathExpr"),
    "root.yaml": (_bad("h18", _ED, _vm(name="v", mountPath="/")),
                  "spec.containers[0].volumeMounts[0].mountPath"),
    "badname.yaml": (_bad("h19", "  - name: Bad_Name\n    emptyDir: {}\n",
                          ""), "spec.volumes[0].name"),
}


def test_hostile_volume_input_is_refused_naming_the_field(agentd):
    agentd.write_manifest("good.yaml", pod(
        "good", _ctr("c", "exec sleep 1000",
                     [{"name": "v", "mountPath": "/v"}]),
        _ED, restart="Always"))
    wait_pod(agentd, "good", running)
    for name, (text, _) in HOSTILE.items():
        agentd.write_manifest(name, text)

    def audited():
        return {r["details"].get("file"): r for r in agentd.audit_records()
                if r["action"] == "manifest.reject"}
    wait_for(lambda: set(HOSTILE) <= set(audited()), 15,
             what="rejections audited")
    rejects = audited()
    for name, (_, field) in HOSTILE.items():
        got = rejects[name]["details"].get("field", "")
        assert got.startswith(field), (name, rejects[name])
        assert rejects[name]["error"]
    assert [p["metadata"]["name"] for p in agentd.pods_json()["items"]] == \
        ["good-testnode"]
    assert agentd.proc.poll() is None
