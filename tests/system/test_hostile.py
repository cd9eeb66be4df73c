"""A compromised watcher gets nothing (issue 8, rows 1, 2, 3 and 7, and
duplicate uids).

agentd runs with a libexecDir of the tests' own, under the test build
(every directory of its path root-owned and not group/other-writable),
holding the real executor, reporter and pause binaries and, as
agentd-watcher, tests/tools/fakewatcher.c: it enters the real sandbox and
speaks the real IPC and podwire.  Each test first runs a real pod, then
writes attack.json into the static directory; the fake replays that attack
after every podset until the file is gone.  Each test then asserts that the
executor kept its pid, that the culprit (if any) was killed and audited as
such, and that the real pod kept running with the same container pid.
"""
import json
import os
import subprocess

import pytest

from harness import Agentd, cstatus, manifest, running, start_agentd, \
    wait_for, wait_pod

def hostile_agentd(testbuild_dir, busybox_image, fake_libexec, **config):
    a = start_agentd(testbuild_dir, busybox_image,
                     extra_config={"libexecDir": fake_libexec, **config})
    try:
        a.write_manifest("keep.yaml", manifest("keep", "sleep 1000"))
        wait_pod(a, "keep", running, what="the real pod running")
        a.keep_pid = keep_pid(a)
        a.pids = {r: a.pid(r) for r in ("watcher", "executor", "reporter")}
        yield a
    finally:
        stop_attack(a)
        a.cleanup()


@pytest.fixture
def hostile(testbuild_dir, busybox_image, fake_libexec):
    yield from hostile_agentd(testbuild_dir, busybox_image, fake_libexec)


@pytest.fixture
def hostile_flood(testbuild_dir, busybox_image, fake_libexec):
    """The fake writes its flood (over 500 MiB) blocking, where the real
    watcher queues and paces, so it answers no ping until the executor has
    read it all: on a loaded machine that took over three 5 s heartbeats
    and agentd rightly ended it as wedged.  A 30 s heartbeat gives it 90 s.
    """
    yield from hostile_agentd(testbuild_dir, busybox_image, fake_libexec,
                              heartbeatSeconds=30)


def one_pod(a, name):
    """One pod's JSON (not the whole list: a flood makes that huge)."""
    r = a.agentctl("get", "pod", f"default/{name}", "-o", "json",
                   check=False)
    return json.loads(r.stdout) if r.returncode == 0 else None


def keep_pid(a):
    rt, cid = cstatus(one_pod(a, "keep-testnode"))["containerID"] \
        .split("://", 1)
    r = subprocess.run([rt, "--root", a.runtime_root(), "state", cid],
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout)["pid"]


def table_rows(a):
    return a.agentctl("get", "pods").stdout.splitlines()[1:]


def attack(a, what):
    a.write_manifest("attack.json", what + "\n")


def stop_attack(a):
    try:
        a.remove_manifest("attack.json")
    except FileNotFoundError:
        pass


def violations(a, actor):
    return [r for r in a.audit_records()
            if r["action"] == "worker.protocol_violation" and
            r.get("actor") == actor]


def wait_violation(a, actor, text, timeout=20):
    def found():
        return [r for r in violations(a, actor)
                if text in (r.get("error") or "")]
    return wait_for(found, timeout, interval=0.2,
                    what=f"{actor} audited for {text!r}")


def assert_untouched(a, *roles):
    """The executor (and roles) kept their pids; the real pod runs on."""
    for role in ("executor",) + roles:
        assert a.pid(role) == a.pids[role], f"{role} was restarted"
    assert not violations(a, "executor"), violations(a, "executor")
    p = one_pod(a, "keep-testnode")
    assert p is not None and running(p), p
    assert keep_pid(a) == a.keep_pid


def assert_watcher_ended(a, text):
    wait_violation(a, "watcher", text)
    stop_attack(a)
    a.wait_new_pid("watcher", a.pids["watcher"], timeout=20)
    a.wait_all_running(timeout=20)


# ---- row 1: faults are attributed to who can know ----

@pytest.mark.parametrize("victim", ["executor", "reporter"])
def test_false_peer_fault_ends_the_accuser(hostile, victim):
    a = hostile
    attack(a, f"fault-{victim}")
    assert_watcher_ended(a, f"accuses the {victim}, which sends it "
                            "nothing")
    assert_untouched(a, "reporter")
    assert not violations(a, victim)


# ---- row 2: one bound per field; identities checked once ----

def test_uid_of_exactly_128_bytes_is_accepted_everywhere(hostile):
    a = hostile
    attack(a, "uid128")
    p = wait_for(lambda: one_pod(a, "uid128"), 20, interval=0.2,
                 what="the 128-byte uid pod in the reporter")
    assert p["metadata"]["uid"] == "u" * 128
    assert any(r["pod"].get("uid") == "u" * 128
               for r in a.audit_records() if r.get("pod"))
    assert a.pid("watcher") == a.pids["watcher"]
    assert_untouched(a, "reporter")
    assert not violations(a, "watcher")


@pytest.mark.parametrize("what,reason", [
    ("uid129", "malformed POD_SPEC"),
    ("ns64", "malformed POD_SPEC"),
    ("name244", "metadata.name the pod's log directory"),
])
def test_identity_over_its_bound_ends_the_watcher(hostile, what, reason):
    a = hostile
    attack(a, what)
    assert_watcher_ended(a, reason)
    assert_untouched(a, "reporter")
    names = [i["metadata"]["name"] for i in a.pods_json()["items"]]
    assert names == ["keep-testnode"], names


# ---- row 3: a flood of large denied pods; the paced resend ----

FLOOD = 511     # MAX_PODS with the real pod; about 1 MiB each


def test_flood_of_large_denied_pods_keeps_the_executor(hostile_flood):
    a = hostile_flood
    attack(a, f"flood {FLOOD}")

    def all_denied():
        denied = [r for r in table_rows(a) if " flood-" in r and
                  "NodePolicyDenied" in r]
        return len(denied) == FLOOD
    wait_for(all_denied, 180, interval=1, what=f"{FLOOD} denied pods")
    assert_untouched(a, "reporter", "watcher")
    # the whole list (over 500 MiB of JSON) is refused, not fatal
    r = a.agentctl("get", "pods", "-o", "json", check=False)
    assert r.returncode != 0 and "more than the" in r.stderr, r.stderr
    assert_untouched(a, "reporter", "watcher")
    # a new reporter gets the whole set again, paced, without a crash
    os.kill(a.pids["reporter"], 9)
    a.pids["reporter"] = a.wait_new_pid("reporter", a.pids["reporter"])
    wait_for(all_denied, 180, interval=1, what="the resend")
    assert_untouched(a, "reporter", "watcher")
    stop_attack(a)


# ---- row 7: control bytes in names ----

def test_control_bytes_in_names_reach_no_terminal(hostile):
    a = hostile
    attack(a, "ctlbytes")
    assert_watcher_ended(a, "metadata.name must be a lowercase RFC 1123 "
                            "subdomain")
    assert_untouched(a, "reporter")
    table = a.agentctl("get", "pods").stdout
    assert "\x1b" not in table and "forged" not in table
    assert len(table.splitlines()) == 2, table
    log = a.log()
    assert "\x1b" not in log
    assert "FORGED" in log      # the lines were written, escaped
    for line in log.splitlines():
        assert not line.startswith(("FORGED", "forged")), line
    assert "x\\x1b[2J\\x0aFORGED-REJECT.yaml" in log


# ---- item 5: duplicate uids in one podset ----

def test_duplicate_uid_in_a_podset_ends_the_watcher(hostile):
    a = hostile
    attack(a, "dupuid")
    assert_watcher_ended(a, "repeats an earlier pod's uid")
    assert_untouched(a, "reporter")
    names = [i["metadata"]["name"] for i in a.pods_json()["items"]]
    assert names == ["keep-testnode"], names


# ---- row 2 from the user's side: the real watcher says why ----

def test_real_watcher_rejects_a_name_over_the_log_directory(testbuild_dir):
    """<ns>_<name>_<uid> is one file name: "default", 32 hex digits and
    "-testnode" leave 205 characters for a static pod's own name."""
    a = Agentd(testbuild_dir)
    try:
        a.write_manifest("fits.yaml", manifest("f" * 205, "true"))
        a.write_manifest("over.yaml", manifest("o" * 206, "true"))

        def rejected():
            return [r for r in a.audit_records()
                    if r["action"] == "manifest.reject" and
                    r["details"].get("file") == "over.yaml"]
        r = wait_for(rejected, 15, what="over.yaml rejected")[0]
        assert r["details"]["field"] == "metadata.name"
        assert "log directory" in r["error"] and "at most 214" in r["error"]
        wait_for(lambda: a.pod("default", "f" * 205 + "-testnode"), 15,
                 what="the pod at the limit accepted")
        assert a.pod("default", "o" * 206 + "-testnode") is None
        assert a.restarts("watcher") == 0
    finally:
        a.cleanup()
