"""The process table (issue 10, item 1): a role is one row.

The test build has a dummy role, `noop` (its row in ipc/proctab.c, its
enum value, workers/noop/noop.c and nothing else).  Started with
AGENTD_TEST_ROLES=noop it must be spawned, sandboxed by its row, shown by
`agentctl status`, pinged, restarted and audited like every other worker,
while the other workers are untouched; without it, nothing of it shows."""
import os
import pwd
import signal
import time

import pytest

from harness import (PRIVSEP_USER, Agentd, proc_status, wait_for)


@pytest.fixture
def noop_agentd(testbuild_dir):
    a = Agentd(testbuild_dir, env={"AGENTD_TEST_ROLES": "noop"})
    try:
        yield a
    finally:
        a.cleanup()


def roles(a):
    return [p["role"] for p in a.status()["processes"]]


def test_dummy_role_is_spawned_and_shown(noop_agentd):
    a = noop_agentd
    assert roles(a) == ["agentd", "watcher", "netparse", "executor",
                        "reporter", "noop"]
    assert "started agentd-noop" in a.log()
    wait_for(lambda: "all workers up" in a.log(), what="all workers up")


def test_dummy_role_runs_under_its_rows_sandbox(noop_agentd):
    a = noop_agentd
    pid = a.pid("noop")
    st = proc_status(pid)
    uid = pwd.getpwnam(PRIVSEP_USER).pw_uid
    assert st["Uid"].split() == [str(uid)] * 4
    assert st["Seccomp"] == "2"
    assert st["NoNewPrivs"] == "1"
    assert int(st["CapEff"], 16) == 0 and int(st["CapBnd"], 16) == 0
    assert os.readlink(f"/proc/{pid}/root") == a.chroot
    # a syscall outside its profile kills it (SIGSYS), and it comes back
    a.agentctl("test-hook", "noop", "1")
    new = a.wait_new_pid("noop", pid)
    assert new != pid
    wait_for(lambda: "agentd-noop killed by signal 31" in a.log(),
             what="the SIGSYS line")


def test_dummy_role_is_supervised_like_the_others(noop_agentd):
    a = noop_agentd
    others = {r: a.pid(r) for r in ("watcher", "executor", "reporter")}
    pid = a.pid("noop")
    os.kill(pid, signal.SIGKILL)
    a.wait_new_pid("noop", pid)
    assert a.restarts("noop") == 1
    rec = [r for r in a.audit_records() if r["action"] == "worker.restart"]
    assert rec and rec[-1]["actor"] == "noop"
    # its heartbeat is answered: a stopped noop is ended as unresponsive
    pid = a.pid("noop")
    os.kill(pid, signal.SIGSTOP)
    a.wait_new_pid("noop", pid, timeout=20)
    assert any(r["action"] == "worker.unresponsive" and r["actor"] == "noop"
               for r in a.audit_records())
    assert {r: a.pid(r) for r in others} == others
    a.wait_all_running()


def test_without_the_variable_the_row_stays_out(testbuild_dir):
    a = Agentd(testbuild_dir)
    try:
        assert roles(a) == ["agentd", "watcher", "netparse", "executor",
                            "reporter"]
        assert "agentd-noop" not in a.log()
    finally:
        a.cleanup()


def test_production_build_has_no_dummy_role(build_dir):
    assert not os.path.exists(os.path.join(build_dir, "agentd-noop"))
    a = Agentd(build_dir, env={"AGENTD_TEST_ROLES": "noop"})
    try:
        assert roles(a) == ["agentd", "watcher", "netparse", "executor",
                            "reporter"]
    finally:
        a.cleanup()
