"""Worker isolation (issue 8): the watcher and the reporter cannot touch
each other, a stopped worker is found and restarted, agentd execs exactly
the worker file it checked, and the control socket cannot be held."""
import ctypes
import os
import select
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

from harness import Agentd, REPORTER_USER, PRIVSEP_USER, proc_status, \
    safe_dir, wait_for

SIGSYS = 31
WORKER_EXES = ("agentd-watcher", "agentd-executor", "agentd-reporter",
               "agentd-netparse", "agentd-pause")
HOOK_TGKILL = 40
# agentd/control.c, agentd/agentd.h
CONTROL_MAX_CLIENTS = 32
CONTROL_IDLE_TIMEOUT_S = 10
CONTROL_HEADER_DEADLINE_S = 3
CONTROL_REQUEST_TIMEOUT_S = 5
WORKER_MAX_MISSED_PONGS = 3


@pytest.fixture
def agentd(testbuild_dir):
    a = Agentd(testbuild_dir)
    yield a
    a.cleanup()


def uids(pid):
    return {int(x) for x in proc_status(pid)["Uid"].split()}


def audit_of(a, action):
    return [r for r in a.audit_records() if r["action"] == action]


# ---- distinct uids, tgkill only on oneself ----

def test_watcher_and_reporter_run_as_different_non_root_uids(agentd):
    w, r = uids(agentd.pid("watcher")), uids(agentd.pid("reporter"))
    assert 0 not in w and 0 not in r
    assert len(w) == 1 and len(r) == 1, (w, r)  # real = effective = saved
    assert w.isdisjoint(r), (w, r)
    import pwd
    assert w == {pwd.getpwnam(PRIVSEP_USER).pw_uid}
    assert r == {pwd.getpwnam(REPORTER_USER).pw_uid}


@pytest.mark.parametrize("user,msg", [
    (PRIVSEP_USER, "must be different users"),
    ("root", 'reporterUser "root" must not be uid 0'),
])
def test_reporter_user_must_be_another_non_root_user(testbuild_dir, user,
                                                     msg):
    a = Agentd(testbuild_dir, start=False,
               extra_config={"reporterUser": user})
    try:
        r = subprocess.run([os.path.join(testbuild_dir, "agentd"), "-f",
                            a.config], capture_output=True, text=True,
                           timeout=20)
        assert r.returncode != 0
        assert msg in r.stderr
    finally:
        a.cleanup()


def test_watcher_signalling_the_reporter_is_killed_by_seccomp(agentd):
    watcher, reporter = agentd.pid("watcher"), agentd.pid("reporter")
    agentd.agentctl("test-hook", "watcher", str(HOOK_TGKILL), str(reporter),
                    str(int(signal.SIGSTOP)))
    agentd.wait_new_pid("watcher", watcher, timeout=5)
    # the reporter was not stopped, not restarted
    st = proc_status(reporter)
    assert st["State"][0] != "T", st["State"]
    assert agentd.pid("reporter") == reporter
    assert agentd.restarts("reporter") == 0
    recs = [r for r in audit_of(agentd, "worker.restart")
            if r["actor"] == "watcher"]
    assert any(f"signal {SIGSYS}" in (r.get("error") or "") for r in recs)


def test_watcher_may_still_signal_itself(agentd):
    """The argument filter allows tgkill(getpid()) -- libc's raise()."""
    watcher = agentd.pid("watcher")
    agentd.agentctl("test-hook", "watcher", str(HOOK_TGKILL), str(watcher),
                    "0")
    wait_for(lambda: "test hook: tgkill" in agentd.log(), 5,
             what="the hook ran")
    time.sleep(1)
    assert agentd.pid("watcher") == watcher
    assert agentd.restarts("watcher") == 0
    assert "test hook: tgkill: " not in agentd.log()   # no error


# ---- a stopped worker ----

def test_stopped_reporter_is_restarted_and_get_pods_times_out(testbuild_dir):
    hb = 2      # detection after 3..4 heartbeats: longer than the timeout
    a = Agentd(testbuild_dir, heartbeat=hb)
    reporter = a.pid("reporter")
    try:
        os.kill(reporter, signal.SIGSTOP)
        t0 = time.monotonic()
        r = a.agentctl("get", "pods", check=False, timeout=30)
        took = time.monotonic() - t0
        assert r.returncode != 0
        assert "timed out waiting for the reporter" in r.stderr, r.stderr
        assert CONTROL_REQUEST_TIMEOUT_S - 1 <= took <= \
            CONTROL_REQUEST_TIMEOUT_S + 2, took
        bound = (WORKER_MAX_MISSED_PONGS + 1) * hb + 3
        new = a.wait_new_pid("reporter", reporter, timeout=bound)
        assert time.monotonic() - t0 <= bound
        assert new != reporter
        recs = audit_of(a, "worker.unresponsive")
        assert [r["actor"] for r in recs] == ["reporter"], recs
        assert recs[0]["details"]["pid"] == str(reporter)
        assert recs[0]["outcome"] == "killed"
        assert a.pods_json()["items"] == []
    finally:
        try:
            os.kill(reporter, signal.SIGCONT)
        except ProcessLookupError:
            pass
        a.cleanup()


# ---- exec what was checked ----

def libexec_copy(parent, name="libexec", mode=0o755):
    """A copy of the worker binaries in parent/name (root-owned)."""
    d = os.path.join(parent, name)
    os.makedirs(d)
    os.chmod(d, mode)
    return d


def fill_libexec(d, build):
    for exe in WORKER_EXES:
        shutil.copy2(os.path.join(build, exe), os.path.join(d, exe))
        os.chmod(os.path.join(d, exe), 0o755)


@pytest.fixture
def testroot(testbuild_dir):
    """A root-owned 0755 directory below the build tree (not /tmp)."""
    d = os.path.join(safe_dir(testbuild_dir), f"isolation-{os.getpid()}-"
                     f"{time.monotonic_ns()}")
    os.makedirs(d)
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _break(kind, testroot, build, top):
    if kind == "dir_group_writable":
        d = libexec_copy(testroot)
        fill_libexec(d, build)
        os.chmod(d, 0o775)
        return d, f"directory {d} is not owned by root or is writable"
    if kind == "parent_sticky_1777":
        p = libexec_copy(testroot, "sticky", 0o1777)
        d = libexec_copy(p)
        fill_libexec(d, build)
        return d, f"directory {p} is not owned by root or is writable"
    if kind == "under_tmp":
        d = libexec_copy(top)
        fill_libexec(d, build)
        return d, "directory /tmp is not owned by root or is writable"
    if kind == "worker_not_root_owned":
        d = libexec_copy(testroot)
        fill_libexec(d, build)
        os.chown(os.path.join(d, "agentd-watcher"), 65534, 65534)
        return d, "agentd-watcher must be a regular executable file owned " \
            "by root"
    if kind == "worker_is_symlink":
        d = libexec_copy(testroot)
        fill_libexec(d, build)
        w = os.path.join(d, "agentd-watcher")
        os.rename(w, w + ".real")
        os.symlink(w + ".real", w)
        return d, "agentd-watcher: is a symbolic link"
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["dir_group_writable", "parent_sticky_1777",
                                  "under_tmp", "worker_not_root_owned",
                                  "worker_is_symlink"])
def test_unsafe_libexec_dir_is_refused_at_start(testbuild_dir, testroot,
                                                kind):
    a = Agentd(testbuild_dir, start=False)
    try:
        d, msg = _break(kind, testroot, testbuild_dir, a.top)
        # the harness wrote libexecDir already: replace, not duplicate
        lines = [ln for ln in open(a.config) if
                 not ln.startswith("libexecDir:")] + [f"libexecDir: {d}\n"]
        with open(a.config, "w") as f:
            f.writelines(lines)
        r = subprocess.run([os.path.join(testbuild_dir, "agentd"), "-f",
                            a.config], capture_output=True, text=True,
                           timeout=20)
        assert r.returncode != 0
        assert "refusing to run agentd-watcher" in r.stderr, r.stderr
        assert msg in r.stderr, r.stderr
        assert not any("started agentd-" in ln for ln in
                       r.stderr.splitlines()), r.stderr
        recs = audit_of(a, "worker.exec_refused")
        assert recs and recs[0]["actor"] == "watcher", recs
    finally:
        a.cleanup()


def test_libexec_made_writable_refuses_the_restart(testbuild_dir, testroot):
    d = libexec_copy(testroot)
    fill_libexec(d, testbuild_dir)
    a = Agentd(testbuild_dir, extra_config={"libexecDir": d})
    try:
        reporter = a.pid("reporter")
        os.chmod(d, 0o777)
        os.kill(reporter, signal.SIGKILL)
        wait_for(lambda: audit_of(a, "worker.exec_refused"), 10,
                 what="exec refused")
        assert a.proc.poll() is None        # agentd stays, retries
        assert "refusing to run agentd-reporter" in a.log()
        os.chmod(d, 0o755)
        a.wait_new_pid("reporter", reporter, timeout=15)
    finally:
        os.chmod(d, 0o755)
        a.cleanup()


libc = ctypes.CDLL(None, use_errno=True)
RENAME_EXCHANGE = 2
AT_FDCWD = -100


def rename_exchange(a, b):
    if libc.renameat2(AT_FDCWD, a.encode(), AT_FDCWD, b.encode(),
                      RENAME_EXCHANGE) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def test_worker_swapped_by_rename_exchange_never_runs(testbuild_dir,
                                                      testroot):
    """An attacker swaps the reporter for a symlink to their script in a
    loop while agentd restarts the reporter: agentd runs the real worker
    or refuses, never the script (before: stat, then execve by name)."""
    d = libexec_copy(testroot)
    fill_libexec(d, testbuild_dir)
    marker = os.path.join(testroot, "PWNED")
    evil = os.path.join(testroot, "evil.sh")
    with open(evil, "w") as f:
        f.write(f"#!/bin/sh\necho pwned by $(id -u) > {marker}\n")
    os.chmod(evil, 0o755)
    os.chown(evil, 65534, 65534)
    target = os.path.join(d, "agentd-reporter")
    decoy = os.path.join(d, ".decoy")
    os.symlink(evil, decoy)
    a = Agentd(testbuild_dir, extra_config={"libexecDir": d})
    stop = threading.Event()
    swaps = [0]

    def swapper():
        while not stop.is_set():
            rename_exchange(target, decoy)
            swaps[0] += 1

    t = threading.Thread(target=swapper)
    try:
        t.start()
        deadline = time.monotonic() + 15
        killed = set()
        while time.monotonic() < deadline:
            for p in a.status()["processes"]:
                if p["role"] == "reporter" and p["pid"] > 0 and \
                        p["pid"] not in killed:
                    killed.add(p["pid"])
                    try:
                        os.kill(p["pid"], signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            time.sleep(0.05)
        stop.set()
        t.join()
        if os.path.islink(target):
            rename_exchange(target, decoy)
        log = a.log()
        starts = log.count("started agentd-reporter")
        refused = log.count("refusing to run agentd-reporter")
        print(f"swaps={swaps[0]} starts={starts} refused={refused}")
        assert swaps[0] > 1000
        assert starts + refused >= 5, (starts, refused)
        assert not os.path.exists(marker), open(marker).read()
        a.wait_all_running(timeout=40)
        assert not os.path.exists(marker)
    finally:
        stop.set()
        if t.is_alive():
            t.join()
        if os.path.islink(target):
            rename_exchange(target, decoy)
        a.cleanup()


# ---- the control socket ----

def ctl_connect(a):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(os.path.join(a.run_dir, "agentd.sock"))
    return s


def closed_by_peer(s, timeout):
    r, _, _ = select.select([s], [], [], timeout)
    return bool(r) and s.recv(1) == b""


def test_idle_control_clients_do_not_lock_out_agentctl(agentd):
    idle = [ctl_connect(agentd) for _ in range(CONTROL_MAX_CLIENTS + 8)]
    partial = ctl_connect(agentd)
    partial.send(b"\x01\x00\x00\x00\x00\x00\x00")     # 7 of 20 header bytes
    try:
        t0 = time.monotonic()
        st = agentd.status()
        assert time.monotonic() - t0 < 2
        assert st["processes"][0]["role"] == "agentd"
        # 8 over the limit, the partial one and agentctl each evicted the
        # client idle longest: the oldest 10, and only those
        evicted = len(idle) + 2 - CONTROL_MAX_CLIENTS
        for s in idle[:evicted]:
            assert closed_by_peer(s, 1)
        for s in idle[evicted:] + [partial]:
            assert not closed_by_peer(s, 0)
        # the partial request is cut at its deadline, the idle ones later
        assert closed_by_peer(partial, CONTROL_HEADER_DEADLINE_S + 2)
        assert time.monotonic() - t0 < CONTROL_IDLE_TIMEOUT_S - 2
        assert "did not finish its request" in agentd.log()
        for s in idle:
            assert closed_by_peer(s, CONTROL_IDLE_TIMEOUT_S + 3 -
                                  (time.monotonic() - t0))
        agentd.status()
    finally:
        for s in idle + [partial]:
            s.close()


def test_full_control_socket_drops_the_oldest_idle_client(agentd):
    first = ctl_connect(agentd)
    rest = [ctl_connect(agentd) for _ in range(CONTROL_MAX_CLIENTS - 1)]
    try:
        time.sleep(0.3)
        # the table is full (limit); one more (limit + 1) evicts the oldest
        assert not closed_by_peer(first, 0.2)
        agentd.status()
        assert closed_by_peer(first, 2)
        for s in rest[1:]:
            assert not closed_by_peer(s, 0)
    finally:
        for s in [first] + rest:
            s.close()


# ---- directories and stdio ----

def test_root_and_run_dirs_get_mode_0700_even_if_they_exist(testbuild_dir):
    a = Agentd(testbuild_dir, start=False)
    try:
        for d in (a.root, a.run_dir):
            os.makedirs(d)
            os.chmod(d, 0o755)
        a.start()
        for d in (a.root, a.run_dir):
            assert os.stat(d).st_mode & 0o7777 == 0o700, d
        assert f"rootDir {a.root} had mode 0755; set it to 0700" in a.log()
        assert f"runDir {a.run_dir} had mode 0755; set it to 0700" in a.log()
    finally:
        a.cleanup()


def test_workers_stdout_is_dev_null(agentd):
    for role in ("watcher", "executor", "reporter"):
        pid = agentd.pid(role)
        assert os.readlink(f"/proc/{pid}/fd/1") == "/dev/null", role
        assert os.readlink(f"/proc/{pid}/fd/0") == "/dev/null", role
        # the exec fd (WORKER_EXE_FD) is close-on-exec: not inherited
        assert not os.path.exists(f"/proc/{pid}/fd/6") or \
            not os.readlink(f"/proc/{pid}/fd/6").endswith(f"agentd-{role}")
