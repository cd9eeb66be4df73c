"""agentctl audit verify|show on logs written by the real writer.

The logs come from tests/tools/auditgen (agentd/audit.c, the code agentd
runs); the tampering is done here, the way an intruder would: by editing
the files.  Each check asserts the exact location agentctl reports.
"""
import json
import os
import re
import subprocess

import pytest


def _tool(build_dir, rel):
    path = os.path.join(build_dir, rel)
    assert os.access(path, os.X_OK), f"{path} not built (make all)"
    return path


@pytest.fixture
def agentctl(build_dir):
    return _tool(build_dir, "agentctl")


@pytest.fixture
def auditgen(build_dir):
    return _tool(build_dir, "tests/tools/auditgen")


def gen(auditgen, path, pods=12, max_bytes=None, key=None):
    cmd = [auditgen, "-n", str(pods)]
    if max_bytes:
        cmd += ["-m", str(max_bytes)]
    if key:
        cmd += ["-k", key]
    r = subprocess.run(cmd + [path], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    return int(r.stdout)


def chain_files(path):
    """the live file and its rotated files, oldest first"""
    d, base = os.path.split(path)
    rot = sorted((f for f in os.listdir(d)
                  if re.fullmatch(re.escape(base) + r"\.\d+", f)),
                 key=lambda f: -int(f.rsplit(".", 1)[1]))
    return [os.path.join(d, f) for f in rot] + [path]


def agentctl_audit(agentctl, *args):
    return subprocess.run([agentctl, "audit"] + list(args),
                          capture_output=True, text=True, timeout=60)


def lines_of(path):
    with open(path, "rb") as f:
        return f.read().split(b"\n")[:-1]


def write_lines(path, lines):
    with open(path, "wb") as f:
        f.write(b"".join(l + b"\n" for l in lines))


def seq_of(line):
    return json.loads(line)["seq"]


@pytest.fixture
def rotated_log(tmp_path, auditgen):
    path = str(tmp_path / "audit.log")
    last = gen(auditgen, path, pods=12, max_bytes=6000)
    files = chain_files(path)
    assert 3 <= len(files) <= 10, files  # rotated, nothing deleted yet
    return path, files, last


def test_verify_intact_rotated_log(agentctl, rotated_log):
    path, files, last = rotated_log
    r = agentctl_audit(agentctl, "verify", *reversed(files))
    assert r.returncode == 0, r.stdout + r.stderr
    first = r.stdout.splitlines()[0]
    assert first == (f"OK: {last} records, seq 1..{last}, chain intact "
                     f"(files: {', '.join(files)})")


def test_verify_with_key(agentctl, auditgen, tmp_path):
    key = tmp_path / "key"
    key.write_bytes(os.urandom(32))
    key.chmod(0o600)
    wrong = tmp_path / "wrong"
    wrong.write_bytes(os.urandom(32))
    wrong.chmod(0o600)
    path = str(tmp_path / "audit.log")
    last = gen(auditgen, path, pods=3, key=str(key))
    r = agentctl_audit(agentctl, "verify", "--key", str(key), path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"hmac valid on all {last} records" in r.stdout
    r = agentctl_audit(agentctl, "verify", "--key", str(wrong), path)
    assert r.returncode == 1
    assert r.stdout == f"FAIL: {path}:1 seq 1: bad hmac\n"
    # without a key the chain still verifies, and says what it skipped
    r = agentctl_audit(agentctl, "verify", path)
    assert r.returncode == 0 and "hmac not checked" in r.stdout


def test_flipped_byte_in_middle_record(agentctl, rotated_log):
    path, files, _ = rotated_log
    victim = files[1]
    lines = lines_of(victim)
    k = len(lines) // 2                      # 0-based middle record
    lines[k] = lines[k].replace(b'"phase":"', b'"phase":"X', 1)
    write_lines(victim, lines)
    r = agentctl_audit(agentctl, "verify", *files)
    assert r.returncode == 1
    # no key: the next record's prev no longer matches
    want = (f"FAIL: {victim}:{k + 2} seq {seq_of(lines[k + 1])}: "
            f"prev hash mismatch")
    assert r.stdout.startswith(want), r.stdout


def test_deleted_line(agentctl, rotated_log):
    path, files, _ = rotated_log
    victim = files[1]
    lines = lines_of(victim)
    assert len(lines) >= 4
    gone = lines.pop(2)
    write_lines(victim, lines)
    r = agentctl_audit(agentctl, "verify", *files)
    s = seq_of(gone)
    assert r.returncode == 1
    assert r.stdout == (f"FAIL: {victim}:3 seq {s + 1}: sequence gap: "
                        f"expected {s}, found {s + 1}\n")


def test_swapped_lines(agentctl, rotated_log):
    path, files, _ = rotated_log
    victim = files[0]
    lines = lines_of(victim)
    lines[3], lines[4] = lines[4], lines[3]
    write_lines(victim, lines)
    r = agentctl_audit(agentctl, "verify", *files)
    assert r.returncode == 1
    assert r.stdout == (f"FAIL: {victim}:4 seq 5: sequence gap: "
                        f"expected 4, found 5\n")


def test_truncated_mid_record(agentctl, rotated_log):
    path, files, _ = rotated_log
    victim = files[1]                        # in the middle of the chain
    lines = lines_of(victim)
    keep = b"".join(l + b"\n" for l in lines[:2]) + lines[2][:40]
    with open(victim, "wb") as f:
        f.write(keep)
    r = agentctl_audit(agentctl, "verify", *files)
    assert r.returncode == 1
    assert r.stdout == (f"FAIL: {victim}:3 seq {seq_of(lines[2])}: "
                        f"truncated record\n")


def test_removed_rotated_file(agentctl, rotated_log):
    path, files, _ = rotated_log
    gone = files[1]
    expected = seq_of(lines_of(gone)[0])
    after = files[2]
    found = seq_of(lines_of(after)[0])
    os.unlink(gone)
    r = agentctl_audit(agentctl, "verify", *[f for f in files if f != gone])
    assert r.returncode == 1
    assert r.stdout == (f"FAIL: {after}:1 seq {found}: sequence gap: "
                        f"expected {expected}, found {found}\n")


def test_retained_files_only_report_where_chain_starts(agentctl,
                                                       rotated_log):
    path, files, last = rotated_log
    first = seq_of(lines_of(files[1])[0])
    r = agentctl_audit(agentctl, "verify", *files[1:])
    assert r.returncode == 0, r.stdout
    assert r.stdout.startswith(f"OK: {last - first + 1} records, seq "
                               f"{first}..{last}, chain intact")
    assert f"chain starts at seq {first}" in r.stdout


def test_show_timeline_and_filters(agentctl, rotated_log):
    path, files, last = rotated_log
    r = agentctl_audit(agentctl, "show", *files)
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert out[0].split() == ["TIME", "SEQ", "ACTOR", "ACTION", "PHASE",
                              "NS/NAME", "CONTAINER", "OUTCOME", "ERROR"]
    assert len(out) == last + 1
    assert [int(l.split()[1]) for l in out[1:]] == list(range(1, last + 1))

    r = agentctl_audit(agentctl, "show", "--pod", "ns1/pod-1",
                       "--action", "container.*", *files)
    rows = [l.split() for l in r.stdout.splitlines()[1:]]
    assert [(x[3], x[4]) for x in rows] == [
        ("container.create", "intent"), ("container.create", "outcome"),
        ("container.start", "intent"), ("container.start", "outcome")]
    assert all(x[5] == "ns1/pod-1" and x[6] == "app" for x in rows)

    r = agentctl_audit(agentctl, "show", "--action", "policy.deny", *files)
    rows = r.stdout.splitlines()[1:]
    assert len(rows) == 2                    # pods 4 and 9
    assert all("denied" in x and "privileged containers are not allowed"
               in x for x in rows)


def test_show_json_and_time_window(agentctl, rotated_log):
    path, files, last = rotated_log
    r = agentctl_audit(agentctl, "show", "-o", "json", "--since", "10m",
                       *files)
    assert r.returncode == 0, r.stderr
    recs = json.loads(r.stdout)
    assert [x["seq"] for x in recs] == list(range(1, last + 1))
    assert recs[0]["action"] == "agentd.start"
    mid = recs[len(recs) // 2]["time"]
    r = agentctl_audit(agentctl, "show", "-o", "json", "--until", mid,
                       *files)
    upto = json.loads(r.stdout)
    assert upto and all(x["time"] <= mid for x in upto)
    assert len(upto) < last
    r = agentctl_audit(agentctl, "show", "-o", "json", "--until", "10m",
                       *files)
    assert json.loads(r.stdout) == []


def test_show_and_verify_default_to_config(agentctl, rotated_log, tmp_path):
    path, files, last = rotated_log
    cfg = tmp_path / "agentd.yaml"
    cfg.write_text(f"auditLog: {path}\n")
    r = agentctl_audit(agentctl, "verify", "-f", str(cfg))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith(f"OK: {last} records, seq 1..{last},")
    r = agentctl_audit(agentctl, "show", "-f", str(cfg), "-o", "json")
    assert len(json.loads(r.stdout)) == last
