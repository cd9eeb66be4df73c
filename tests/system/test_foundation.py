"""The process skeleton: four processes, sandboxing, supervision, protocol
violations, the control socket and configuration checks (issue 2)."""
import os
import signal
import socket
import struct
import subprocess
import time

import pytest

from harness import Agentd, proc_status, wait_for

SANDBOXED = ("watcher", "reporter", "netparse")
WORKERS = ("watcher", "executor", "reporter")
SIGSYS = 31


@pytest.fixture
def agentd(testbuild_dir):
    a = Agentd(testbuild_dir)
    yield a
    a.cleanup()


def test_four_processes_run_with_their_roles(agentd):
    st = agentd.status()
    roles = [p["role"] for p in st["processes"]]
    assert roles == ["agentd", "watcher", "netparse", "executor",
                     "reporter"]
    for p in st["processes"]:
        assert p["state"] == "running"
        assert os.path.exists(f"/proc/{p['pid']}")
    # the workers are children of agentd
    for role in WORKERS:
        ppid = int(proc_status(agentd.pid(role))["PPid"])
        assert ppid == agentd.proc.pid


@pytest.mark.parametrize("role", SANDBOXED)
def test_sandboxed_worker_has_no_privilege(agentd, role):
    pid = agentd.pid(role)
    st = proc_status(pid)
    uids = [int(x) for x in st["Uid"].split()]
    gids = [int(x) for x in st["Gid"].split()]
    assert all(u != 0 for u in uids), st["Uid"]
    assert all(g != 0 for g in gids), st["Gid"]
    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(st[cap], 16) == 0, f"{cap}={st[cap]}"
    assert st["NoNewPrivs"] == "1"
    assert st["Seccomp"] == "2"
    assert os.readlink(f"/proc/{pid}/root") == agentd.chroot
    assert st["Groups"].split() == [str(gids[0])]


def test_only_agentd_and_executor_are_root(agentd):
    for p in agentd.status()["processes"]:
        uid = int(proc_status(p["pid"])["Uid"].split()[0])
        assert (uid == 0) == (p["role"] in ("agentd", "executor")), p
    # the executor's denylist filter is loaded (inherited by runc, conmon)
    assert proc_status(agentd.pid("executor"))["Seccomp"] == "2"


def test_worker_environment_is_rebuilt(agentd):
    for role in WORKERS:
        with open(f"/proc/{agentd.pid(role)}/environ", "rb") as f:
            env = dict(kv.split(b"=", 1) for kv in f.read().split(b"\0")
                       if kv)
        assert set(env) == {b"AGENTD_WORKER", b"PATH"}, env
        assert env[b"AGENTD_WORKER"] == role.encode()


def test_sandboxed_worker_holds_no_file(agentd):
    """Beyond stdio a sandboxed worker holds only sockets and anon inodes."""
    for role in SANDBOXED:
        pid = agentd.pid(role)
        for fd in os.listdir(f"/proc/{pid}/fd"):
            t = os.readlink(f"/proc/{pid}/fd/{fd}")
            if int(fd) <= 2:
                continue
            assert t.startswith(("socket:", "anon_inode:", "pipe:")) or \
                t == "/dev/null", (role, fd, t)


@pytest.mark.parametrize("role", SANDBOXED)
def test_forbidden_syscall_kills_worker_with_sigsys(agentd, role):
    old = agentd.pid(role)
    before = agentd.restarts(role)
    agentd.agentctl("test-hook", role, "1")
    new = agentd.wait_new_pid(role, old, timeout=5)
    assert new != old
    assert agentd.restarts(role) == before + 1
    assert f"killed by signal {SIGSYS}" in agentd.log()
    recs = [r for r in agentd.audit_records()
            if r["action"] == "worker.restart"]
    assert any(f"signal {SIGSYS}" in (r.get("error") or "") for r in recs)


@pytest.mark.parametrize("role", WORKERS)
def test_kill9_worker_gets_new_pid_within_2s(agentd, role):
    old = agentd.pid(role)
    os.kill(old, signal.SIGKILL)
    t0 = time.monotonic()
    agentd.wait_new_pid(role, old, timeout=2)
    assert time.monotonic() - t0 < 2
    agentd.wait_all_running()


@pytest.mark.parametrize("role", WORKERS)
@pytest.mark.parametrize("hook,what", [(2, "unexpected message type"),
                                       (3, "oversize message"),
                                       (4, "malformed PONG")])
def test_forged_message_ends_sender_not_agentd(agentd, role, hook, what):
    old = agentd.pid(role)
    others = {r: agentd.pid(r) for r in WORKERS if r != role}
    agentd.agentctl("test-hook", role, str(hook))
    agentd.wait_new_pid(role, old, timeout=5)
    assert agentd.proc.poll() is None
    for r, pid in others.items():
        assert agentd.pid(r) == pid, f"{r} was disturbed"
    recs = [r for r in agentd.audit_records()
            if r["action"] == "worker.protocol_violation"]
    assert any(what in (r.get("error") or "") for r in recs), recs


def test_garbage_between_workers_ends_the_sender(agentd):
    watcher, executor = agentd.pid("watcher"), agentd.pid("executor")
    agentd.agentctl("test-hook", "watcher", "5")
    agentd.wait_new_pid("watcher", watcher, timeout=5)
    assert agentd.pid("executor") == executor
    assert "executor reports" in agentd.log()


def _ctl_socket(agentd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(os.path.join(agentd.run_dir, "agentd.sock"))
    s.settimeout(5)
    return s


@pytest.mark.parametrize("frame", [
    struct.pack("=5I", 0xdead, 0, 0, 0, 0),              # unknown type
    struct.pack("=5I", 200, 2 * 1024 * 1024, 0, 0, 0),   # oversize
    struct.pack("=5I", 201, 2, 0, 0, 0) + b"ab",         # truncated u32
    struct.pack("=5I", 200, 0, 0, 0, 0x80),              # unknown flag
])
def test_control_client_violation_closes_only_that_client(agentd, frame):
    s = _ctl_socket(agentd)
    s.sendall(frame)
    assert s.recv(100) == b""   # closed by agentd
    s.close()
    assert agentd.proc.poll() is None
    assert agentd.status()["processes"][0]["state"] == "running"


def test_control_socket_is_root_only(agentd):
    path = os.path.join(agentd.run_dir, "agentd.sock")
    assert os.stat(path).st_mode & 0o777 == 0o600
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534",
                        "--clear-groups", os.path.join(agentd.build,
                                                       "agentctl"),
                        "-s", path, "status"], capture_output=True,
                       text=True)
    assert r.returncode != 0


def test_sighup_says_reload_not_supported(agentd):
    agentd.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "reload is not supported" in agentd.log(), 5)
    assert agentd.proc.poll() is None


def test_sigterm_exits_zero_and_stops_workers(agentd):
    pids = [agentd.pid(r) for r in WORKERS]
    t0 = time.monotonic()
    assert agentd.stop() == 0
    assert time.monotonic() - t0 < 6
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}") or \
            proc_status(pid)["State"].startswith("Z")
    recs = agentd.audit_records()
    assert recs[-1]["action"] == "agentd.stop"


def test_worker_refuses_to_run_by_hand(testbuild_dir):
    for role in WORKERS:
        r = subprocess.run([os.path.join(testbuild_dir, f"agentd-{role}")],
                           capture_output=True, text=True,
                           env={"PATH": "/usr/bin:/bin"})
        assert r.returncode != 0
        assert "started by agentd" in r.stderr


def test_worker_exits_when_parent_misbehaves(testbuild_dir, tmp_path):
    """A fake parent sends the watcher garbage: the watcher must leave."""
    a = Agentd(testbuild_dir, start=False)
    try:
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        cfg = os.memfd_create("cfg")
        # what agentd would hand it: the config in binary form
        os.write(cfg, subprocess.run(
            [os.path.join(testbuild_dir, "tests/tools/configbin"), a.config],
            check=True, capture_output=True).stdout)

        def setup():
            os.dup2(child.fileno(), 3)
            os.dup2(cfg, 5)
        p = subprocess.Popen([os.path.join(testbuild_dir, "agentd-watcher")],
                             env={"AGENTD_WORKER": "watcher",
                                  "PATH": "/usr/bin:/bin"},
                             preexec_fn=setup, close_fds=False,
                             stderr=subprocess.PIPE)
        child.close()
        parent.settimeout(5)
        hello = parent.recv(20 + 8)
        assert struct.unpack("=5I", hello[:20])[0] == 1   # MSG_HELLO
        parent.sendall(struct.pack("=5I", 0xbeef, 0, 0, 0, 0))
        assert p.wait(5) == 1
        assert b"agentd broke the protocol" in p.stderr.read()
    finally:
        a.cleanup()


def test_config_check_accepts_good_config(testbuild_dir):
    a = Agentd(testbuild_dir, start=False)
    try:
        r = subprocess.run([os.path.join(testbuild_dir, "agentd"), "-n",
                            "-f", a.config], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    finally:
        a.cleanup()


@pytest.mark.parametrize("line,msg", [
    ("bogusKey: 1", "bogusKey is not a known key"),
    ("auditFsync: maybe", "auditFsync must be true or false"),
    ("rootDir: relative/path", "rootDir must be an absolute path"),
    ("runtime: docker", "runtime must be auto, runc or crun"),
])
def test_config_check_names_bad_key_and_line(testbuild_dir, line, msg):
    a = Agentd(testbuild_dir, start=False)
    try:
        key = line.split(":")[0]
        with open(a.config) as f:
            lines = [ln for ln in f.read().splitlines()
                     if not ln.startswith(key + ":")]
        lines.append(line)
        n = len(lines) - 1
        with open(a.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        r = subprocess.run([os.path.join(testbuild_dir, "agentd"), "-n",
                            "-f", a.config], capture_output=True, text=True)
        assert r.returncode == 1
        assert f"line {n + 1}: {msg}" in r.stderr
    finally:
        a.cleanup()


def test_missing_privsep_user_is_a_clear_error(testbuild_dir):
    a = Agentd(testbuild_dir, start=False,
               extra_config={"privsepUser": "no_such_user_agentd"})
    try:
        p = subprocess.Popen([os.path.join(testbuild_dir, "agentd"), "-f",
                              a.config], stderr=subprocess.PIPE, text=True)
        time.sleep(2)
        p.send_signal(signal.SIGTERM)
        err = p.communicate(timeout=10)[1]
        assert 'privsep user "no_such_user_agentd" does not exist' in err
    finally:
        a.cleanup()


def test_release_build_has_no_test_hooks(build_dir):
    r = subprocess.run([os.path.join(build_dir, "agentctl"), "test-hook",
                        "watcher", "1"], capture_output=True, text=True)
    assert r.returncode == 2
    for exe in ("agentd", "agentd-watcher", "agentd-executor",
                "agentd-reporter", "agentd-netparse"):
        with open(os.path.join(build_dir, exe), "rb") as f:
            assert b"test hook" not in f.read(), exe


def test_request_to_a_dying_worker_fails_instead_of_hanging(agentd):
    reporter = agentd.pid("reporter")
    os.kill(reporter, signal.SIGSTOP)
    p = subprocess.Popen([os.path.join(agentd.build, "agentctl"), "-f",
                          agentd.config, "get", "pods"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    time.sleep(0.5)
    assert p.poll() is None     # waiting for the stopped reporter
    os.kill(reporter, signal.SIGKILL)
    out, err = p.communicate(timeout=5)
    assert p.returncode != 0
    assert "reporter restarted while answering" in err
    agentd.wait_new_pid("reporter", reporter)


def test_many_manifests_do_not_break_the_sandboxed_watcher(agentd):
    """Sorting hundreds of entries must stay inside the seccomp policy."""
    watcher = agentd.pid("watcher")
    for i in range(200):
        with open(os.path.join(agentd.pods, f"bad{i:03d}.yaml"), "w") as f:
            f.write(f"kind: NotAPod{i}\n")
    # written, or (over the audit rate limit) counted in a summary
    def rejections():
        recs = agentd.audit_records()
        return len([r for r in recs if r["action"] == "manifest.reject"]) + \
            sum(int(r["details"]["suppressed"]) for r in recs
                if r["action"] == "audit.suppressed" and
                r["details"]["action"] == "manifest.reject")
    wait_for(lambda: rejections() >= 200, 30, what="200 rejections")
    assert agentd.pid("watcher") == watcher
    assert agentd.restarts("watcher") == 0


def test_many_pods_do_not_break_the_sandboxed_reporter(agentd):
    """50 pods (denied by policy, so nothing runs) in every view."""
    text = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p{i:02d}\nspec:\n"
            "  hostPID: true\n  containers:\n  - name: c\n"
            "    image: busybox\n")
    for i in range(50):
        agentd.write_manifest(f"p{i:02d}.yaml", text.format(i=i))
    wait_for(lambda: len(agentd.pods_json()["items"]) == 50, 30,
             what="50 pods reported")
    table = agentd.agentctl("get", "pods").stdout.splitlines()
    assert len(table) == 51
    assert all("NodePolicyDenied" in row for row in table[1:])
    assert agentd.restarts("reporter") == 0


def test_duplicate_pod_is_rejected_once_and_first_file_wins(testbuild_dir):
    a = Agentd(testbuild_dir, extra_config={"staticPodRescanSeconds": "1"})
    try:
        text = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: same\n"
                "spec:\n  hostIPC: true\n  containers:\n  - name: {c}\n"
                "    image: busybox\n")
        a.write_manifest("a.yaml", text.format(c="first"))
        a.write_manifest("b.yaml", text.format(c="second"))
        wait_for(lambda: a.pods_json()["items"], 10, what="pod listed")
        time.sleep(3.5)     # three rescans
        rejects = [r for r in a.audit_records()
                   if r["action"] == "manifest.reject"]
        assert [r["details"]["file"] for r in rejects] == ["b.yaml"]
        assert "already defines" in rejects[0]["error"]
        items = a.pods_json()["items"]
        assert len(items) == 1
        assert items[0]["spec"]["containers"][0]["name"] == "first"
    finally:
        a.cleanup()
