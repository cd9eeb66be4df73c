"""Container logs (issue 13, item 5): rotation of the CRI files by
containerLogMaxSize / containerLogMaxFiles with every line accounted for,
and `agentctl logs` --tail, --since, --timestamps, -f across a rotation and
a restart, --previous in CrashLoopBackOff, partial lines joined."""
import gzip
import json
import os
import re
import select
import subprocess
import time

import pytest

from harness import (CRI_LINE, cstatus, manifest, running, start_agentd,
                     wait_for, wait_pod)

ROTATED = re.compile(r"^(\d+)\.log\.\d{8}-\d{6}(\.gz)?$")


def agentd_with(testbuild_dir, busybox_image, **cfg):
    extra = {"testContainerLogMonitorMs": "200"}
    extra.update(cfg)
    return start_agentd(testbuild_dir, busybox_image, extra_config=extra)


@pytest.fixture
def small_logs(testbuild_dir, busybox_image):
    """Logs rotate above 1Mi, 3 files kept, checked every 200 ms."""
    a = agentd_with(testbuild_dir, busybox_image,
                    containerLogMaxSize="1Mi", containerLogMaxFiles="3")
    yield a
    a.cleanup()


@pytest.fixture
def tiny_logs(testbuild_dir, busybox_image):
    """Logs rotate above 4Ki, 5 files kept."""
    a = agentd_with(testbuild_dir, busybox_image,
                    containerLogMaxSize="4Ki", containerLogMaxFiles="5")
    yield a
    a.cleanup()


def cdir(a, pod, name):
    uid = pod["metadata"]["uid"]
    return os.path.join(a.logs, f"default_{name}-testnode_{uid}", "c")


def run_files(d, run):
    """The run's files, oldest first: rotated (sorted by name), current."""
    rot = sorted(f for f in os.listdir(d)
                 if ROTATED.match(f) and int(ROTATED.match(f).group(1)) == run)
    # a plain file beside its .gz is being compressed: the .gz counts
    rot = [f for f in rot if not (not f.endswith(".gz") and f + ".gz" in rot)]
    return rot + [f"{run}.log"]


def read_file(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return f.read().decode()


def joined(text):
    """CRI lines to messages: P parts joined with their F line."""
    out, part = [], {"stdout": "", "stderr": ""}
    for ln in text.splitlines():
        m = CRI_LINE.match(ln)
        assert m, ln
        stream, tag, body = m.group(3), m.group(4), m.group(5)
        if tag == "P":
            part[stream] += body
        else:
            out.append(part[stream] + body)
            part[stream] = ""
    return out


def run_messages(d, run):
    return joined("".join(read_file(os.path.join(d, f))
                          for f in run_files(d, run)))


def logs(a, *args, check=True):
    return a.agentctl("logs", *args, check=check)


# ---- rotation ----

def test_rotation_under_50mib_keeps_every_line_in_order(small_logs):
    a = small_logs
    n = 500000      # 500000 lines of 104 bytes: 50 MiB through conmon
    prog = ("BEGIN { p = sprintf(\"%95s\", \"\"); "
            f"for (i = 1; i <= {n}; i++) printf \"%08d%s\\n\", i, p; "
            "print \"burst-done\"; fflush(); "
            "for (t = 0; ; t++) { print \"tick \" t; fflush(); "
            "system(\"sleep 0.1\") } }")
    a.write_manifest("flood.yaml", (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: flood\nspec:\n"
        "  terminationGracePeriodSeconds: 1\n  containers:\n  - name: c\n"
        "    image: busybox\n    command:\n    - awk\n"
        f"    - {json.dumps(prog)}\n"))
    p = wait_pod(a, "flood", running)
    d = cdir(a, p, "flood")
    t0 = time.monotonic()
    wait_for(lambda: "burst-done" in logs(a, "default/flood-testnode",
                                          "--tail", "50").stdout,
             60, interval=0.5, what="the 50 MiB burst")
    burst = time.monotonic() - t0

    def settled():
        # rotation caught up: the current file is small again, and
        # conmon writes into it after the last reopen
        cur = os.path.join(d, "0.log")
        return os.path.getsize(cur) < 1024 * 1024 and \
            "tick" in read_file(cur)
    wait_for(settled, 30, interval=0.2, what="rotation to catch up")
    files = run_files(d, 0)
    # the kubelet's bound: the current file and MaxFiles - 1 rotated
    assert 2 <= len(files) <= 3, (files, os.listdir(d))
    assert any(f.endswith(".gz") for f in os.listdir(d)), os.listdir(d)
    msgs = run_messages(d, 0)
    nums = [int(m[:8]) for m in msgs if re.fullmatch(r"\d{8} {95}", m)]
    # what is left is a contiguous suffix: only the oldest files went,
    # nothing inside is missing and nothing is there twice
    assert nums, msgs[:5]
    assert nums[-1] == n
    assert nums == list(range(nums[0], n + 1)), \
        [x for x, y in zip(nums, nums[1:]) if y != x + 1][:5]
    assert nums[0] > 1          # 50 MiB cannot fit 3 files of ~1Mi
    assert msgs[msgs.index(f"{n:08d}" + " " * 95) + 1] == "burst-done"
    # ... and conmon keeps writing after the reopens
    ticks = [int(m.split()[1]) for m in msgs if m.startswith("tick ")]
    assert ticks == list(range(ticks[0], ticks[-1] + 1))
    before = len(ticks)
    wait_for(lambda: len([m for m in run_messages(d, 0)
                          if m.startswith("tick ")]) > before + 3, 10,
             what="lines after the rotation")
    # agentctl reads the same, across the rotated and compressed files
    out = logs(a, "default/flood-testnode").stdout.splitlines()
    got = [int(m[:8]) for m in out if re.fullmatch(r"\d{8} {95}", m)]
    assert got[0] <= nums[0] and got[-1] == n
    assert got == list(range(got[0], n + 1))
    print(f"50 MiB burst took {burst:.1f} s")


def test_rotation_options_are_checked(testbuild_dir):
    from harness import Agentd
    a = Agentd(testbuild_dir, extra_config={"containerLogMaxFiles": "1"},
               start=False)
    try:
        r = subprocess.run([os.path.join(testbuild_dir, "agentd"), "-f",
                            a.config, "-n"], capture_output=True, text=True,
                           timeout=30)
        assert r.returncode != 0
        assert "containerLogMaxFiles" in r.stderr and "2" in r.stderr
    finally:
        a.cleanup()


# ---- agentctl logs ----

def test_tail_since_timestamps_and_partial_lines(tiny_logs):
    a = tiny_logs
    script = ("echo old-1; echo old-2; printf 'part-'; sleep 1; "
              "printf 'joined\\n'; sleep 2; echo new-1; echo new-2; "
              "exec sleep 1000")
    a.write_manifest("t.yaml", manifest("t", script))
    wait_pod(a, "t", running)
    wait_for(lambda: "new-2" in logs(a, "default/t-testnode").stdout, 15,
             what="the last line")
    out = logs(a, "default/t-testnode").stdout.splitlines()
    assert out == ["old-1", "old-2", "part-joined", "new-1", "new-2"]
    assert logs(a, "default/t-testnode", "--tail", "2").stdout \
        .splitlines() == ["new-1", "new-2"]
    assert logs(a, "default/t-testnode", "--tail", "0").stdout == ""
    # the last two lines came 2 s after the others
    assert logs(a, "default/t-testnode", "--since", "1500ms").stdout \
        .splitlines() == ["new-1", "new-2"]
    assert len(logs(a, "default/t-testnode", "--since", "1h").stdout
               .splitlines()) == 5
    ts = logs(a, "default/t-testnode", "--timestamps", "--tail", "3") \
        .stdout.splitlines()
    assert len(ts) == 3
    for ln in ts:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z \S+",
                            ln), ln
    assert [ln.split(" ", 1)[1] for ln in ts] == \
        ["part-joined", "new-1", "new-2"]
    # the timestamp is the first part's, as written in the file
    raw = read_file(os.path.join(cdir(a, a.pod("default", "t-testnode"),
                                      "t"), "0.log"))
    first = [ln for ln in raw.splitlines() if ln.endswith(" P part-")][0]
    assert first.split(" ")[0].replace("+00:00", "Z") == ts[0].split(" ")[0]
    r = logs(a, "default/t-testnode", "--since", "5x", check=False)
    assert r.returncode != 0 and "--since" in r.stderr


def follow_lines(proc, until, timeout):
    """Read a follower's stdout until until(lines) or timeout."""
    lines, buf = [], b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not until(lines):
        r, _, _ = select.select([proc.stdout], [], [], 0.2)
        if not r:
            continue
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            break
        buf += chunk
        *done, buf = buf.split(b"\n")
        lines += [x.decode() for x in done]
    return lines


def test_follow_across_rotation_and_restart(tiny_logs):
    a = tiny_logs
    # each run: a token of its own, 240 numbered lines over ~5 s (many
    # rotations of 4Ki), then an exit: the first restart is at once
    script = ("t=$RANDOM$RANDOM; sleep 1; i=0; while [ $i -lt 240 ]; do "
              "echo \"$t $i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"; "
              "i=$((i+1)); [ $((i % 12)) = 0 ] && sleep 0.25; done; exit 1")
    a.write_manifest("f.yaml", manifest("f", script))
    p = wait_pod(a, "f", running)
    d = cdir(a, p, "f")
    wait_for(lambda: os.path.exists(os.path.join(d, "0.log")), 10,
             what="the log")
    proc = subprocess.Popen([os.path.join(a.build, "agentctl"), "-f",
                             a.config, "logs", "-f", "default/f-testnode"],
                            stdout=subprocess.PIPE)
    try:
        def two_runs(lines):
            toks = {ln.split()[0] for ln in lines if ln.strip()}
            return len(toks) >= 2 and lines and \
                lines[-1].split()[1:2] == ["239"]
        lines = follow_lines(proc, two_runs, 40)
    finally:
        proc.kill()
        proc.wait()
    rows = [ln.split() for ln in lines if ln.strip()]
    toks = []
    for r in rows:
        if not toks or toks[-1] != r[0]:
            toks.append(r[0])
    assert len(toks) == 2, toks       # run 0, then run 1, not mixed
    for t in toks:
        assert [int(r[1]) for r in rows if r[0] == t] == list(range(240))
    # it did rotate under the follower, and the restart is the next file
    assert any(ROTATED.match(f) for f in os.listdir(d)), os.listdir(d)
    assert os.path.exists(os.path.join(d, "1.log"))


def phase_of(cs):
    """(restartCount, state name, whether state's container is lastState's)"""
    state = next(iter(cs.get("state", {})), None)
    last = cs.get("lastState", {}).get("terminated", {}).get("containerID")
    return cs["restartCount"], state, last is not None and \
        last == cs.get("containerID")


def logs_in(a, name, want_phase, *args, timeout=30):
    """agentctl logs ARGS while the container is in want_phase (the
    status read before and after the call agree)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = phase_of(cstatus(a.pod("default", f"{name}-testnode")))
        if before == want_phase:
            out = logs(a, f"default/{name}-testnode", *args,
                       check=False).stdout.splitlines()
            after = phase_of(cstatus(a.pod("default", f"{name}-testnode")))
            if after == before:
                return out
        time.sleep(0.1)
    raise AssertionError(f"{name} never in {want_phase}")


def test_previous_shows_the_last_state_run_also_in_crashloop(tiny_logs):
    a = tiny_logs
    # run 0 and run 1 (at once after it) live 3 s each; then a 10 s
    # CrashLoopBackOff; then run 2
    a.write_manifest("c.yaml", manifest(
        "c", "echo token-$RANDOM$RANDOM; sleep 3; exit 1"))
    p = wait_pod(a, "c", running)
    d = cdir(a, p, "c")
    # run 1 up: lastState is run 0, the current log run 1's
    run = wait_for(lambda: phase_of(cstatus(a.pod("default", "c-testnode")))
                   == (1, "running", False), 20, interval=0.1,
                   what="the first restart running")
    assert run
    wait_for(lambda: run_messages(d, 1), 5, what="run 1's line")
    assert logs_in(a, "c", (1, "running", False), "--previous") == \
        run_messages(d, 0)
    assert logs_in(a, "c", (1, "running", False)) == run_messages(d, 1)
    # the back-off after run 1: lastState is run 1 (the container the
    # back-off waits on), not run 0, which is what it showed before
    wait_for(lambda: phase_of(cstatus(a.pod("default", "c-testnode")))
             == (1, "waiting", True), 20, interval=0.1,
             what="CrashLoopBackOff")
    c = cstatus(a.pod("default", "c-testnode"))
    assert c["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert run_messages(d, 0) != run_messages(d, 1)
    assert logs_in(a, "c", (1, "waiting", True), "--previous") == \
        run_messages(d, 1)
    # kubectl logs without --previous shows lastState too in a back-off
    assert logs_in(a, "c", (1, "waiting", True)) == run_messages(d, 1)
    # run 2 up after the back-off: lastState is run 1 still
    wait_for(lambda: phase_of(cstatus(a.pod("default", "c-testnode")))
             == (2, "running", False), 20, interval=0.1, what="run 2")
    assert logs_in(a, "c", (2, "running", False), "--previous") == \
        run_messages(d, 1)


def test_previous_without_a_previous_run_says_so(tiny_logs):
    a = tiny_logs
    a.write_manifest("s.yaml", manifest("s", "echo hi; exec sleep 1000"))
    wait_pod(a, "s", running)
    r = logs(a, "default/s-testnode", "--previous", check=False)
    assert r.returncode != 0
    assert "previous terminated container" in r.stderr


def test_follow_ends_when_the_pod_is_done(tiny_logs):
    a = tiny_logs
    a.write_manifest("done.yaml", manifest(
        "done", "sleep 1; for i in 1 2 3; do echo n-$i; sleep 0.5; done",
        restart="Never"))
    p = wait_pod(a, "done", lambda p: p["status"]["phase"] in
                 ("Pending", "Running", "Succeeded"))
    wait_for(lambda: os.path.exists(os.path.join(cdir(a, p, "done"), "0.log")),
             10, what="the log")
    r = a.agentctl("logs", "-f", "default/done-testnode", timeout=30)
    assert r.stdout.splitlines() == ["n-1", "n-2", "n-3"]
    assert a.pod("default", "done-testnode")["status"]["phase"] == \
        "Succeeded"
