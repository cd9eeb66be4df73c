"""agentd under systemd (issue 4, part 3): the sd_notify protocol against a
test-owned NOTIFY_SOCKET, the unit file, `make install`, the man pages.

There is no systemd as PID 1 here, so the unit itself is checked offline
(systemd-analyze verify/security), and what it does to agentd and its pods
(the capability bounding set and the seccomp filters, which containers
inherit) is reproduced with setpriv and a small libseccomp launcher.
"""
import glob
import json
import os
import re
import shutil
import signal
import socket
import stat
import struct
import subprocess
import tempfile
import threading
import time

import pytest

from harness import Agentd, proc_status, safe_dir, wait_for, worker_dir

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
UNIT = os.path.join(TOP, "contrib", "systemd", "agentd.service")
EXAMPLE = os.path.join(TOP, "contrib", "agentd.yaml.example")
MAN_DIR = os.path.join(TOP, "docs", "man")
WORKERS = ("watcher", "netparse", "executor", "reporter")
HEARTBEAT = 1.0         # heartbeatSeconds in these tests
DEFAULT_HEARTBEAT = 5   # common/config.c's default
UCRED = struct.Struct("iII")


# ---- a test-owned NOTIFY_SOCKET ----

class NotifySocket:
    """What systemd's notify socket would receive: one datagram per
    sd_notify call, with the sender's pid from SCM_CREDENTIALS (systemd's
    NotifyAccess=main compares exactly that with the main pid)."""

    def __init__(self, abstract=False):
        self.dir = tempfile.mkdtemp(prefix="agentd-notify-")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            name = os.path.basename(self.dir)
            self.sock.bind("\0" + name)
            self.path = "@" + name      # NOTIFY_SOCKET's spelling
        else:
            self.path = os.path.join(self.dir, "notify")
            self.sock.bind(self.path)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.settimeout(0.1)
        self.msgs = []          # (monotonic time, sender pid, [lines])
        self.cond = threading.Condition()
        self.on_ready = None    # called in the reader thread on READY=1
        self.on_ready_error = None
        self.running = True
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while self.running:
            try:
                data, anc, _, _ = self.sock.recvmsg(
                    4096, socket.CMSG_SPACE(UCRED.size))
            except socket.timeout:
                continue
            except OSError:
                return
            pid = None
            for level, kind, cdata in anc:
                if level == socket.SOL_SOCKET and \
                        kind == socket.SCM_CREDENTIALS:
                    pid = UCRED.unpack(cdata[:UCRED.size])[0]
            lines = data.decode(errors="replace").split("\n")
            if "READY=1" in lines and self.on_ready is not None:
                try:
                    self.on_ready()
                except Exception as e:  # reported by the test, not lost
                    self.on_ready_error = e
            with self.cond:
                self.msgs.append((time.monotonic(), pid, lines))
                self.cond.notify_all()

    def times(self, line, after=0.0):
        with self.cond:
            return [t for t, _, ls in self.msgs if line in ls and t > after]

    def lines(self):
        with self.cond:
            return [ln for _, _, ls in self.msgs for ln in ls]

    def senders(self):
        with self.cond:
            return {pid for _, pid, _ in self.msgs}

    def wait(self, line, after=0.0, timeout=10.0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                hits = [t for t, _, ls in self.msgs
                        if line in ls and t > after]
                if hits:
                    return hits[0]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"no {line} within {timeout}s; got "
                        f"{[ls for _, _, ls in self.msgs]}")
                self.cond.wait(left)

    def close(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def notify():
    n = NotifySocket()
    yield n
    n.close()


def need(build):
    for exe in ("agentd", "agentctl", "agentd-watcher", "agentd-executor",
                "agentd-reporter"):
        if not os.access(os.path.join(build, exe), os.X_OK):
            pytest.skip(f"{build}/{exe} is not built")


@pytest.fixture
def agentd(build_dir, notify):
    need(build_dir)
    a = Agentd(build_dir, env={"NOTIFY_SOCKET": notify.path},
               extra_config={"heartbeatSeconds": str(int(HEARTBEAT))})
    yield a
    a.cleanup()
    # every message came from agentd itself, which is what systemd accepts
    # with NotifyAccess=main; a worker's message would be dropped there
    assert notify.senders() <= {a.proc.pid}


def wrap_libexec(build, delayed=None, delay=0.0):
    """A libexecDir with the build's workers, one of them started late.

    agentd runs only root-owned regular files below root-owned, not
    group/other-writable directories (so not below /tmp), and executes the
    fd it checked, which an interpreter cannot reopen: the late worker is
    a small ELF wrapper, not a script."""
    d = tempfile.mkdtemp(prefix="libexec-", dir=safe_dir(build))
    os.chmod(d, 0o755)
    for exe in ("agentd-watcher", "agentd-executor", "agentd-reporter",
                "agentd-netparse", "agentd-pause"):
        real = os.path.join(build, exe)
        path = os.path.join(d, exe)
        if exe == delayed:
            src = path + ".c"
            with open(src, "w") as f:
                f.write("#include <unistd.h>\nint main(int c, char **v) "
                        f"{{ (void)c; usleep({int(delay * 1e6)}); "
                        f"execv(\"{real}\", v); return 127; }}\n")
            subprocess.run(["cc", "-o", path, src], check=True)
            os.unlink(src)
            os.chmod(path, 0o755)
        elif os.path.exists(real):
            shutil.copy2(real, path)
    return d


# ---- sd_notify ----

def test_ready_only_after_every_worker_is_up(build_dir, notify):
    """READY=1 waits for the last worker's HELLO: the reporter is held back
    for 3 s, and while agentctl shows it starting there is no READY."""
    need(build_dir)
    delay = 3.0
    libexec = wrap_libexec(build_dir, "agentd-reporter", delay)
    a = Agentd(build_dir, env={"NOTIFY_SOCKET": notify.path},
               extra_config={"heartbeatSeconds": "1",
                             "libexecDir": libexec}, start=False)
    at_ready = {}

    def status_at_ready():
        at_ready["status"] = a.status()
    notify.on_ready = status_at_ready
    starter = threading.Thread(target=a.start)
    try:
        t0 = time.monotonic()
        starter.start()
        seen_starting = 0
        while time.monotonic() < t0 + delay - 0.5:
            try:
                st = {p["role"]: p["state"] for p in a.status()["processes"]}
            except (RuntimeError, FileNotFoundError):
                time.sleep(0.05)
                continue
            if st["reporter"] == "starting":
                seen_starting += 1
                assert notify.times("READY=1") == [], \
                    "READY=1 while the reporter was still starting"
            time.sleep(0.1)
        assert seen_starting >= 3, "never saw the reporter starting"
        t_ready = notify.wait("READY=1", timeout=15)
        starter.join(20)
        assert t_ready >= t0 + delay - 0.2
        assert notify.on_ready_error is None, notify.on_ready_error
        states = {p["role"]: p["state"]
                  for p in at_ready["status"]["processes"]}
        assert states == dict.fromkeys(["agentd", *WORKERS], "running")
        lines = notify.lines()
        assert lines.index("STATUS=starting workers") < \
            lines.index("READY=1")
        assert "STATUS=running: watcher, netparse, executor and reporter up" in lines
        assert len(notify.times("READY=1")) == 1
        assert notify.senders() == {a.proc.pid}
    finally:
        starter.join(20)
        a.cleanup()
        shutil.rmtree(libexec, ignore_errors=True)


def test_watchdog_pings_every_heartbeat(agentd, notify):
    start = notify.wait("READY=1")
    time.sleep(5 * HEARTBEAT + 0.3)
    pings = notify.times("WATCHDOG=1", after=start)
    assert len(pings) >= 4, pings
    gaps = [b - a for a, b in zip(pings, pings[1:])]
    assert all(0.5 * HEARTBEAT <= g <= 1.6 * HEARTBEAT for g in gaps), gaps


def test_stopped_executor_stops_watchdog_until_continued(agentd, notify):
    """A wedged executor (SIGSTOP) does not answer its PING: the pings stop
    for as long as it is stopped and come back after SIGCONT.  (agentd
    does not kill the executor for missed pongs: it may be blocked in a
    runtime call.)"""
    role = "executor"
    pid = agentd.pid(role)
    last = notify.wait("WATCHDOG=1", after=notify.wait("READY=1"))
    notify.wait("WATCHDOG=1", after=last)   # steady state
    os.kill(pid, signal.SIGSTOP)
    t_stop = time.monotonic()
    try:
        time.sleep(5 * HEARTBEAT + 0.5)
        during = notify.times("WATCHDOG=1", after=t_stop)
        # the ping answered just before the stop may still be counted once
        assert len(during) <= 1, during
        quiet_since = during[-1] if during else t_stop
        assert time.monotonic() - quiet_since >= 3 * HEARTBEAT + 0.5
        # wedged, not dead: agentd did not restart it
        assert agentd.pid(role) == pid
    finally:
        os.kill(pid, signal.SIGCONT)
    t_cont = time.monotonic()
    first = notify.wait("WATCHDOG=1", after=t_cont, timeout=3 * HEARTBEAT)
    notify.wait("WATCHDOG=1", after=first, timeout=3 * HEARTBEAT)
    assert agentd.pid(role) == pid


MAX_MISSED_PONGS = 3    # agentd/agentd.h WORKER_MAX_MISSED_PONGS


@pytest.mark.parametrize("role", ["watcher", "reporter"])
def test_stopped_sandboxed_worker_stops_watchdog_until_restarted(agentd,
                                                                 notify,
                                                                 role):
    """A stopped sandboxed worker stops the pings until agentd, after
    MAX_MISSED_PONGS unanswered pings, kills and restarts it."""
    pid = agentd.pid(role)
    last = notify.wait("WATCHDOG=1", after=notify.wait("READY=1"))
    notify.wait("WATCHDOG=1", after=last)   # steady state
    os.kill(pid, signal.SIGSTOP)
    t_stop = time.monotonic()
    try:
        new = agentd.wait_new_pid(role, pid, timeout=(MAX_MISSED_PONGS + 1) *
                                  HEARTBEAT + 2)
        t_new = time.monotonic()
        assert t_new - t_stop >= (MAX_MISSED_PONGS - 1) * HEARTBEAT
        during = notify.times("WATCHDOG=1", after=t_stop)
        during = [t for t in during if t < t_stop + 2.5 * HEARTBEAT]
        # the ping answered just before the stop may still be counted once
        assert len(during) <= 1, during
    finally:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
    assert new != pid
    first = notify.wait("WATCHDOG=1", after=t_new, timeout=3 * HEARTBEAT)
    notify.wait("WATCHDOG=1", after=first, timeout=3 * HEARTBEAT)


def test_restarted_worker_shows_in_status_and_watchdog_resumes(agentd,
                                                               notify):
    old = agentd.pid("executor")
    os.kill(old, signal.SIGKILL)
    t_kill = time.monotonic()
    agentd.wait_new_pid("executor", old)
    notify.wait("STATUS=restarting agentd-executor: killed by signal 9 "
                "(Killed)", after=t_kill)
    notify.wait("READY=1", after=t_kill)
    first = notify.wait("WATCHDOG=1", after=t_kill, timeout=5)
    notify.wait("WATCHDOG=1", after=first, timeout=3)


def test_stopping_on_sigterm(agentd, notify):
    notify.wait("WATCHDOG=1", after=notify.wait("READY=1"))
    assert agentd.stop() == 0
    t_stop = notify.wait("STOPPING=1", timeout=1)
    assert "STATUS=stopping workers" in notify.lines()
    # a stopping agentd no longer vouches for its workers
    time.sleep(0.2)
    assert notify.times("WATCHDOG=1", after=t_stop) == []


def environ(pid):
    with open(f"/proc/{pid}/environ", "rb") as f:
        return f.read().split(b"\0")


def test_workers_do_not_get_notify_socket(agentd, notify):
    notify.wait("READY=1")
    # the variable is there to be found: agentd was started with it
    assert f"NOTIFY_SOCKET={notify.path}".encode() in \
        environ(agentd.proc.pid)
    for role in WORKERS:
        env = environ(agentd.pid(role))
        assert not any(v.startswith(b"NOTIFY_SOCKET=") for v in env), role
        assert not any(v.startswith(b"WATCHDOG_") for v in env), role


def test_abstract_notify_socket(build_dir):
    """NOTIFY_SOCKET=@name is a socket in the abstract namespace."""
    need(build_dir)
    n = NotifySocket(abstract=True)
    a = None
    try:
        a = Agentd(build_dir, env={"NOTIFY_SOCKET": n.path},
                   extra_config={"heartbeatSeconds": "1"})
        n.wait("WATCHDOG=1", after=n.wait("READY=1"))
        assert n.senders() == {a.proc.pid}
    finally:
        if a is not None:
            a.cleanup()
        n.close()


def test_unusable_notify_socket_is_ignored(build_dir):
    """A relative NOTIFY_SOCKET is not systemd's: agentd says so and runs
    as it does without one."""
    need(build_dir)
    a = Agentd(build_dir, env={"NOTIFY_SOCKET": "relative/notify"})
    try:
        assert "ignoring unusable NOTIFY_SOCKET relative/notify" in a.log()
        assert a.stop() == 0
    finally:
        a.cleanup()


# ---- the unit file ----

def unit_settings(path=UNIT):
    """[Section] -> list of (key, value), comments and blanks dropped."""
    out, section = {}, None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = line.strip("[]")
                out.setdefault(section, [])
                continue
            k, _, v = line.partition("=")
            out[section].append((k.strip(), v.strip()))
    return out


def svc(key):
    return [v for k, v in unit_settings()["Service"] if k == key]


def test_unit_runs_agentd_as_notify_service_with_watchdog():
    assert svc("Type") == ["notify"]
    assert svc("NotifyAccess") == ["main"]
    assert svc("Restart") == ["always"]
    assert svc("KillMode") == ["process"]
    pre, = svc("ExecStartPre")
    start, = svc("ExecStart")
    assert pre.split()[1:] == ["-n", "-f", "/etc/agentd/agentd.yaml"]
    assert start.split()[1:] == ["-f", "/etc/agentd/agentd.yaml"]
    assert pre.split()[0] == start.split()[0] == "/usr/local/sbin/agentd"
    # one late PONG costs one ping: the watchdog must outlast a few
    watchdog, = svc("WatchdogSec")
    assert int(watchdog) >= 3 * DEFAULT_HEARTBEAT


# every directive for which systemd's exec_needs_mount_namespace() gives
# the service its own mount namespace (the executor's mounts, container
# rootfs and pod /dev/shm, must stay in the host's: see the unit's header),
# and those that would give it other namespaces pods need to share
HOST_NAMESPACE_BREAKERS = (
    "ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices",
    "PrivateMounts", "ProtectKernelTunables", "ProtectKernelModules",
    "ProtectKernelLogs", "ProtectControlGroups", "ProtectProc", "ProcSubset",
    "ReadWritePaths", "ReadOnlyPaths", "InaccessiblePaths", "ExecPaths",
    "NoExecPaths", "BindPaths", "BindReadOnlyPaths", "TemporaryFileSystem",
    "MountFlags", "RootDirectory", "RootImage", "MountAPIVFS",
    "ProtectHostname", "NetworkNamespacePath", "PrivateNetwork",
    "DynamicUser", "PrivateUsers")


def test_unit_keeps_the_host_namespaces():
    set_ = {k: v for k, v in unit_settings()["Service"]}
    offending = {k: set_[k] for k in HOST_NAMESPACE_BREAKERS
                 if k in set_ and set_[k] not in ("", "no", "false")}
    assert offending == {}


# containerd's and CRI-O's default container set (policy.c default_caps)
DEFAULT_CONTAINER_CAPS = {
    "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW",
    "SETGID", "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE",
    "SYS_CHROOT", "KILL", "AUDIT_WRITE"}
MANAGER_CAPS = {"SYS_ADMIN", "NET_ADMIN", "SYS_CHROOT", "SETUID", "SETGID",
                "SETPCAP", "SYS_RESOURCE", "DAC_READ_SEARCH", "SYS_PTRACE"}
NEVER_CAPS = {"SYS_MODULE", "SYS_RAWIO", "SYS_BOOT", "SYS_TIME", "SYSLOG",
              "MAC_ADMIN", "MAC_OVERRIDE", "AUDIT_CONTROL", "WAKE_ALARM"}


def unit_caps():
    caps = set()
    for v in svc("CapabilityBoundingSet"):
        assert not v.startswith("~")
        caps |= {c.removeprefix("CAP_") for c in v.split()}
    return caps


def test_unit_bounding_set_keeps_what_pods_and_agentd_need():
    caps = unit_caps()
    assert DEFAULT_CONTAINER_CAPS <= caps
    assert MANAGER_CAPS <= caps
    assert not caps & NEVER_CAPS
    # privileges containers would inherit and that would break them
    for key in ("NoNewPrivileges", "RestrictSUIDSGID",
                "MemoryDenyWriteExecute"):
        assert svc(key) in ([], ["no"]), key


def test_unit_passes_systemd_analyze_security_at_its_score():
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    r = subprocess.run(["systemd-analyze", "security", "--offline=yes",
                        "--no-pager", UNIT], capture_output=True, text=True)
    m = re.search(r"Overall exposure level for agentd.service: "
                  r"([0-9.]+)", r.stdout + r.stderr)
    if m is None and "unrecognized option" in r.stderr:
        pytest.skip("this systemd-analyze has no --offline (systemd < 250)")
    assert m, r.stdout + r.stderr
    # the score reported in the issue; a change that weakens the unit
    # shows up here
    assert float(m.group(1)) <= 6.9, r.stdout


# ---- make install ----

def do_install(build, destdir, *extra):
    # BINS= : install what the suite built, never rebuild it here
    return subprocess.run(["make", "-C", TOP, "install", f"BUILD={build}",
                           f"DESTDIR={destdir}", "BINS=", *extra],
                          capture_output=True, text=True)


@pytest.fixture(scope="module")
def installed(build_dir, tmp_path_factory):
    need(build_dir)
    if not os.access(os.path.join(build_dir, "agentd-pause"), os.X_OK):
        pytest.skip(f"{build_dir}/agentd-pause is not built")
    dest = str(tmp_path_factory.mktemp("destdir"))
    r = do_install(build_dir, dest)
    assert r.returncode == 0, r.stdout + r.stderr
    return dest


def mode_owner(path):
    st = os.lstat(path)
    return stat.S_IMODE(st.st_mode), st.st_uid, stat.S_ISREG(st.st_mode)


def test_install_puts_files_in_place_with_modes(installed):
    d = installed
    for f in ("usr/local/sbin/agentd", "usr/local/sbin/agentctl",
              "usr/local/libexec/agentd/agentd-watcher",
              "usr/local/libexec/agentd/agentd-executor",
              "usr/local/libexec/agentd/agentd-reporter",
              "usr/local/libexec/agentd/agentd-pause"):
        assert mode_owner(os.path.join(d, f)) == (0o755, 0, True), f
    for f in ("lib/systemd/system/agentd.service",
              "usr/local/share/man/man8/agentd.8",
              "usr/local/share/man/man8/agentctl.8",
              "usr/local/share/man/man5/agentd.conf.5",
              "usr/local/share/man/man5/agentd-audit.5",
              "etc/agentd/agentd.yaml"):
        assert mode_owner(os.path.join(d, f)) == (0o644, 0, True), f
    chroot = os.path.join(d, "var/empty/agentd")
    st = os.stat(chroot)
    assert stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o755
    assert st.st_uid == 0 and os.listdir(chroot) == []
    assert os.path.isdir(os.path.join(d, "etc/agentd/pods"))
    with open(os.path.join(d, "lib/systemd/system/agentd.service")) as f:
        assert f.read() == open(UNIT).read()     # default paths: unchanged


def test_install_substitutes_prefix_and_sysconfdir(build_dir, tmp_path):
    need(build_dir)
    dest = str(tmp_path / "d")
    r = do_install(build_dir, dest, "PREFIX=/opt/agentd",
                   "SYSCONFDIR=/etc/opt")
    assert r.returncode == 0, r.stdout + r.stderr
    unit = unit_settings(os.path.join(dest, "lib/systemd/system/"
                                      "agentd.service"))["Service"]
    assert ("ExecStart", "/opt/agentd/sbin/agentd -f "
            "/etc/opt/agentd/agentd.yaml") in unit
    with open(os.path.join(dest, "etc/opt/agentd/agentd.yaml")) as f:
        conf = f.read()
    assert "libexecDir: /opt/agentd/libexec/agentd\n" in conf
    assert "staticPodPath: /etc/opt/agentd/pods\n" in conf
    assert os.access(os.path.join(dest, "opt/agentd/libexec/agentd/"
                                  "agentd-executor"), os.X_OK)
    r = subprocess.run(["make", "-C", TOP, "uninstall", f"DESTDIR={dest}",
                        "PREFIX=/opt/agentd", "SYSCONFDIR=/etc/opt"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    left = sorted(os.path.relpath(os.path.join(p, f), dest)
                  for p, _, fs in os.walk(dest) for f in fs)
    # only the administrator's configuration stays
    assert left == ["etc/opt/agentd/agentd.yaml"]


def test_install_never_overwrites_the_configuration(build_dir, tmp_path):
    need(build_dir)
    dest = str(tmp_path / "d")
    conf = os.path.join(dest, "etc/agentd/agentd.yaml")
    os.makedirs(os.path.dirname(conf))
    with open(conf, "w") as f:
        f.write("nodeName: mine\n")
    r = do_install(build_dir, dest)
    assert r.returncode == 0, r.stdout + r.stderr
    assert open(conf).read() == "nodeName: mine\n"


def test_install_refuses_a_non_empty_chroot(build_dir, tmp_path):
    need(build_dir)
    dest = str(tmp_path / "d")
    os.makedirs(os.path.join(dest, "var/empty/agentd"))
    open(os.path.join(dest, "var/empty/agentd/stray"), "w").close()
    r = do_install(build_dir, dest)
    assert r.returncode != 0
    assert "not empty" in r.stderr


def test_installed_agentd_accepts_the_example_config(installed, tmp_path):
    agentd = os.path.join(installed, "usr/local/sbin/agentd")
    conf = os.path.join(installed, "etc/agentd/agentd.yaml")
    r = subprocess.run([agentd, "-n", "-f", conf], capture_output=True,
                       text=True)
    assert r.returncode == 0 and "configuration OK" in r.stderr, r.stderr
    # and -n does check: one wrong value in a copy is caught
    bad = tmp_path / "bad.yaml"
    bad.write_text(open(conf).read().replace("heartbeatSeconds: 5",
                                             "heartbeatSeconds: often"))
    r = subprocess.run([agentd, "-n", "-f", str(bad)], capture_output=True,
                       text=True)
    assert r.returncode == 1 and "heartbeatSeconds" in r.stderr


def test_installed_unit_passes_systemd_analyze_verify(installed):
    """The installed unit, with its ExecStart= pointed into DESTDIR (verify
    checks the binary exists) and MANPATH at the installed pages (verify
    checks Documentation=)."""
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    src = os.path.join(installed, "lib/systemd/system/agentd.service")
    d = tempfile.mkdtemp(prefix="agentd-unit-")
    try:
        unit = os.path.join(d, "agentd.service")
        with open(src) as f:
            text = f.read().replace("=/usr/local/sbin/",
                                    f"={installed}/usr/local/sbin/")
        with open(unit, "w") as f:
            f.write(text)
        env = dict(os.environ,
                   MANPATH=os.path.join(installed, "usr/local/share/man"))
        r = subprocess.run(["systemd-analyze", "verify", unit], env=env,
                           capture_output=True, text=True)
        # verify exits 0 on some problems it only warns about
        assert r.returncode == 0 and r.stdout + r.stderr == "", \
            r.stdout + r.stderr
        # and the check can fail: a typo in a directive is reported
        with open(unit, "w") as f:
            f.write(text.replace("RestrictRealtime=yes",
                                 "RestrictRealtime=maybe"))
        r = subprocess.run(["systemd-analyze", "verify", unit], env=env,
                           capture_output=True, text=True)
        assert "ignoring: maybe" in r.stdout + r.stderr
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---- the documentation covers what the code has ----

def config_keys():
    with open(os.path.join(TOP, "common", "configbin.c")) as f:
        src = f.read()
    table = src[src.index("config_fields[] = {"):]
    table = table[:table.index("};")]
    # test builds' hooks are not configuration a user can set
    table = re.sub(r"#ifdef AGENTD_TEST_HOOKS.*?#endif", "", table,
                   flags=re.S)
    keys = re.findall(r'\{\s*"(\w+)",\s*\d+,\s*CFG_', table)
    assert len(keys) >= 20
    return keys


def test_every_config_key_is_documented_and_in_the_example():
    with open(os.path.join(MAN_DIR, "agentd.conf.5")) as f:
        page = f.read()
    with open(EXAMPLE) as f:
        example = f.read()
    for key in config_keys():
        assert re.search(rf"^\.It Cm {key} ", page, re.M), key
        assert re.search(rf"^#?{key}:", example, re.M), key


def agentctl_commands():
    with open(os.path.join(TOP, "agentctl", "agentctl.c")) as f:
        src = f.read()
    body = src[src.index("usage(void)"):]
    body = body[:body.index("exit(2)")]
    cmds = []
    for text in re.findall(r'"  ([a-z][^"]*?)(?:\\n)?"', body):
        words = []
        for w in text.split():
            if not re.fullmatch(r"[a-z]+", w):
                break
            words.append(w)
        cmds.append(" ".join(words))
    assert len(cmds) >= 7
    return cmds


def test_every_agentctl_command_is_documented():
    with open(os.path.join(MAN_DIR, "agentctl.8")) as f:
        page = f.read()
    for cmd in agentctl_commands():
        assert re.search(rf"^(\.It )?\.?Cm {cmd}\b", page, re.M), cmd


MAN_PAGES = sorted(glob.glob(os.path.join(MAN_DIR, "*.[58]")))


@pytest.mark.parametrize("page", MAN_PAGES, ids=os.path.basename)
def test_man_page_renders_without_warnings(page):
    if shutil.which("mandoc"):
        r = subprocess.run(["mandoc", "-T", "lint", "-W", "warning", page],
                           capture_output=True, text=True)
        assert r.returncode == 0 and r.stdout + r.stderr == "", r.stdout
    if shutil.which("groff") is None:
        pytest.skip("neither mandoc nor groff is installed")
    # groff exits 0 on warnings: they are on stderr
    r = subprocess.run(["groff", "-mandoc", "-ww", "-z", "-rCHECKSTYLE=3",
                        page], capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    if shutil.which("man"):
        r = subprocess.run(["man", "--warnings", "-l", page],
                           capture_output=True, text=True,
                           env=dict(os.environ, MANWIDTH="80",
                                    MAN_KEEP_FORMATTING="0"))
        assert r.returncode == 0 and r.stderr == "", r.stderr
        assert len(r.stdout.splitlines()) > 20


# ---- what the unit does to agentd and its pods, without systemd ----
#
# systemd would start agentd with the unit's capability bounding set and
# seccomp filters, and every container inherits both.  setpriv sets the
# bounding set; the launcher below installs a filter built the way systemd
# builds the unit's (SystemCallFilter= groups expanded by systemd-analyze
# itself, RestrictNamespaces=, RestrictRealtime=, LockPersonality=,
# RestrictAddressFamilies=, SystemCallArchitectures=native), without
# no_new_privs, as systemd does for a unit that keeps CAP_SYS_ADMIN.

LAUNCHER_C = r"""
#include <sys/personality.h>
#include <sched.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <seccomp.h>

#define RULE(ctx, err, sc, ...) do { \
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(err), sc, __VA_ARGS__) < 0) { \
		fprintf(stderr, "rule %d failed\n", sc); return 1; } } while (0)

/* usage: launcher NSBLOCK FAMILY,... SYSCALL,... -- command ... */
int
main(int argc, char *argv[])
{
	scmp_filter_ctx ctx;
	unsigned long block = strtoul(argv[1], NULL, 0);
	unsigned int pers = personality(0xffffffff);
	char *tok;
	int nr;

	if (argc < 6 || strcmp(argv[4], "--") != 0)
		return 2;
	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL)
		return 1;
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	/* SystemCallArchitectures=native: only the native ABI is allowed */
	seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	for (tok = strtok(argv[3], ","); tok; tok = strtok(NULL, ","))
		if ((nr = seccomp_syscall_resolve_name(tok)) >= 0)
			RULE(ctx, EPERM, nr, 0);
	/* RestrictNamespaces=: the flags of blocked namespace types */
	for (unsigned long f = 1; f; f <<= 1) {
		if (!(block & f))
			continue;
		RULE(ctx, EPERM, SCMP_SYS(unshare), 1,
		    SCMP_A0(SCMP_CMP_MASKED_EQ, f, f));
		/* CLONE_NEWTIME (0x80) is part of clone()'s exit signal */
		if (f != 0x80)
			RULE(ctx, EPERM, SCMP_SYS(clone), 1,
			    SCMP_A0(SCMP_CMP_MASKED_EQ, f, f));
		RULE(ctx, EPERM, SCMP_SYS(setns), 1,
		    SCMP_A1(SCMP_CMP_MASKED_EQ, f, f));
	}
	RULE(ctx, ENOSYS, SCMP_SYS(clone3), 0);
	/* RestrictRealtime= */
	RULE(ctx, EPERM, SCMP_SYS(sched_setscheduler), 1,
	    SCMP_A1(SCMP_CMP_EQ, SCHED_FIFO));
	RULE(ctx, EPERM, SCMP_SYS(sched_setscheduler), 1,
	    SCMP_A1(SCMP_CMP_EQ, SCHED_RR));
	/* LockPersonality=: only the current personality */
	RULE(ctx, EPERM, SCMP_SYS(personality), 1,
	    SCMP_A0(SCMP_CMP_NE, pers));
	/* RestrictAddressFamilies=~... */
	for (tok = strtok(argv[2], ","); tok; tok = strtok(NULL, ","))
		RULE(ctx, EAFNOSUPPORT, SCMP_SYS(socket), 1,
		    SCMP_A0(SCMP_CMP_EQ, strtoul(tok, NULL, 0)));
	if (seccomp_load(ctx) < 0)
		return 1;
	execv(argv[5], argv + 5);
	perror(argv[5]);
	return 127;
}
"""

NS_FLAGS = {"cgroup": 0x02000000, "ipc": 0x08000000, "mnt": 0x00020000,
            "net": 0x40000000, "pid": 0x20000000, "uts": 0x04000000,
            "user": 0x10000000, "time": 0x00000080}


def af_number(name):
    known = {n: int(getattr(socket, n)) for n in dir(socket)
             if n.startswith("AF_")}
    extra = {"AF_ATMPVC": 8, "AF_ATMSVC": 20, "AF_ECONET": 19,
             "AF_IRDA": 23, "AF_PHONET": 35, "AF_CAIF": 37, "AF_ISDN": 34,
             "AF_IUCV": 32, "AF_RXRPC": 33, "AF_IEEE802154": 36,
             "AF_DECnet": 12, "AF_LLC": 26, "AF_NETROM": 6, "AF_ROSE": 11,
             "AF_X25": 9, "AF_AX25": 3, "AF_IPX": 4, "AF_APPLETALK": 5,
             "AF_RDS": 21, "AF_TIPC": 30}
    return known.get(name, extra.get(name))


def unit_seccomp():
    """(namespace flags to block, address families, syscalls) from the
    unit, with systemd-analyze expanding the @groups."""
    denied = []
    for v in svc("SystemCallFilter"):
        assert v.startswith("~"), "the unit's filter is a deny list"
        denied += v[1:].split()
    if svc("ProtectClock") == ["yes"]:
        denied.append("@clock")
    names = set()
    for item in denied:
        if not item.startswith("@"):
            names.add(item)
            continue
        r = subprocess.run(["systemd-analyze", "syscall-filter", item],
                           capture_output=True, text=True, check=True)
        names |= {ln.strip() for ln in r.stdout.splitlines()[1:]
                  if ln.strip() and not ln.strip().startswith(("#", "@"))}
    allowed_ns, = svc("RestrictNamespaces")
    block = 0
    for ns, flag in NS_FLAGS.items():
        if ns not in allowed_ns.split():
            block |= flag
    fams = []
    for v in svc("RestrictAddressFamilies"):
        assert v.startswith("~")
        fams += [af_number(n) for n in v[1:].split()]
    assert None not in fams
    return block, sorted(set(fams)), sorted(names)


@pytest.fixture(scope="module")
def unit_launcher(tmp_path_factory):
    if shutil.which("systemd-analyze") is None or shutil.which("cc") is None \
            or shutil.which("setpriv") is None:
        pytest.skip("needs systemd-analyze, cc and setpriv")
    d = tmp_path_factory.mktemp("launcher")
    src = d / "launcher.c"
    src.write_text(LAUNCHER_C)
    exe = str(d / "launcher")
    r = subprocess.run(["cc", "-std=gnu11", "-O1", "-o", exe, str(src),
                        "-lseccomp"], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot build the seccomp launcher: {r.stderr}")
    os.chmod(d, 0o755)
    # the launcher's filter bites where systemd's would, and only there
    block, fams, calls = unit_seccomp()
    run = [exe, f"{block:#x}", ",".join(map(str, fams)), ",".join(calls),
           "--", "/bin/busybox"]
    for argv, denied in ((["unshare", "-U", "true"], True),
                         (["unshare", "-n", "true"], False),
                         (["linux32", "true"], True),
                         (["true"], False)):
        r = subprocess.run(run + argv, capture_output=True, text=True)
        assert (r.returncode != 0) == denied, (argv, r.stderr)
    return exe


def unit_wrapped_build(build, launcher):
    """A build directory whose agentd is started the way the unit starts
    it: under the unit's bounding set and seccomp filter."""
    block, fams, calls = unit_seccomp()
    bset = ",".join(["-all"] + [f"+{c.lower()}" for c in sorted(unit_caps())])
    d = tempfile.mkdtemp(prefix="agentd-unit-build-")
    os.chmod(d, 0o755)
    os.symlink(os.path.join(build, "agentctl"), os.path.join(d, "agentctl"))
    with open(os.path.join(d, "agentd"), "w") as f:
        f.write(f"#!/bin/sh\nexec setpriv --bounding-set {bset} "
                f"--inh-caps=-all -- {launcher} {block:#x} "
                f"{','.join(map(str, fams))} {','.join(calls)} -- "
                f"{os.path.join(build, 'agentd')} \"$@\"\n")
    os.chmod(os.path.join(d, "agentd"), 0o755)
    return d


@pytest.fixture(scope="module")
def busybox_image(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("img") / "busybox-oci")
    r = subprocess.run([os.path.join(TOP, "contrib", "mkimage-busybox.sh"),
                        out], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot build the busybox image: {r.stderr}")
    return out


POD = """apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", {script!r}]
{extra}"""


def cap_bits(names):
    """The capability mask, bit numbers as in <linux/capability.h>."""
    order = ["CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID",
             "KILL", "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE",
             "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
             "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO",
             "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN",
             "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME",
             "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE",
             "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN",
             "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ",
             "PERFMON", "BPF", "CHECKPOINT_RESTORE"]
    return sum(1 << order.index(n) for n in names)


def runtime_pid(a, name):
    p = a.pod("default", f"{name}-testnode")
    cid = p["status"]["containerStatuses"][0]["containerID"].split("://")[1]
    rt = "crun" if p["status"]["containerStatuses"][0]["containerID"] \
        .startswith("crun") else "runc"
    r = subprocess.run([rt, "--root", a.runtime_root(), "state", cid],
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout)["pid"]


def pod_log(a, name):
    return a.agentctl("logs", f"default/{name}-testnode", check=False).stdout


def test_agentd_and_pods_run_under_the_units_restrictions(
        build_dir, unit_launcher, busybox_image):
    """Started as the unit would start it, agentd brings up its workers and
    runs a pod and a privileged pod; the pods get at most the unit's
    bounding set, inherit its seccomp filter, and what the unit forbids
    fails inside them even with every capability the node grants."""
    need(build_dir)
    wrapped = unit_wrapped_build(build_dir, unit_launcher)
    # what systemd would give, within what this test itself has
    bset = cap_bits(unit_caps()) & int(proc_status("self")["CapBnd"], 16)
    a = None
    try:
        a = Agentd(wrapped, extra_config={"allowPrivileged": "true",
                                          "libexecDir": worker_dir(build_dir)})
        st = proc_status(a.proc.pid)
        assert int(st["CapBnd"], 16) == bset and st["Seccomp"] == "2"
        a.agentctl("image", "import", busybox_image, "busybox")
        probe = ("unshare -U true; echo userns=$?; "
                 "linux32 true; echo personality=$?; "
                 "date -s 2000-01-01 >/dev/null; "
                 "echo done; exec sleep 1000")
        a.write_manifest("plain.yaml", POD.format(
            name="plain", script="exec sleep 1000", extra=""))
        a.write_manifest("priv.yaml", POD.format(
            name="priv", script=probe,
            extra="    securityContext:\n      privileged: true\n"))
        for name in ("plain", "priv"):
            wait_for(lambda: ((a.pod("default", f"{name}-testnode") or {})
                              .get("status", {}).get("phase")
                              == "Running"), 60, interval=0.2,
                     what=f"pod {name} running")
        st = proc_status(runtime_pid(a, "plain"))
        assert int(st["CapBnd"], 16) & ~bset == 0
        st = proc_status(runtime_pid(a, "priv"))
        assert int(st["CapBnd"], 16) == bset
        assert int(st["CapEff"], 16) == bset
        assert int(st.get("Seccomp_filters", "1")) >= 1
        out = wait_for(lambda: "done" in pod_log(a, "priv") and
                       pod_log(a, "priv"), 15, what="probe output")
        got = dict(re.findall(r"^(\w+)=(\d+)$", out, re.M))
        # 1: the call failed (127 would be a missing applet: no evidence)
        assert got == {"userns": "1", "personality": "1"}, out
        for msg in ("unshare(0x10000000): Operation not permitted",
                    "personality(0x8): Operation not permitted",
                    "can't set date: Operation not permitted"):
            assert msg in out
    finally:
        if a is not None:
            a.cleanup()
        shutil.rmtree(wrapped, ignore_errors=True)
