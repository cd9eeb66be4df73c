"""The audit log against what a compromised watcher (or a file name) can do:
a MANIFEST_REJECT flood must not rotate the history away, a file name must
not forge or break a record, and a log cut while agentd was down must show
the cut.  Real agentd, real watcher (the flood comes from its test hook)."""
import os
import subprocess

from harness import Agentd, wait_for

# agentd/audit.h
AUDIT_RATE_BURST = 20
AUDIT_RATE_WINDOW_S = 10
# include/msgcat.h
TEST_HOOK_REJECT_FLOOD = 20
TEST_HOOK_REJECT_FLOOD_N = 3000
FLOODS = 5


def verify(a, *args):
    return subprocess.run([os.path.join(a.build, "agentctl"), "audit",
                           "verify", "-f", a.config, *args],
                          capture_output=True, text=True, timeout=60)


def test_reject_flood_is_summed_up_and_history_stays(testbuild_dir):
    a = Agentd(testbuild_dir, extra_config={"auditMaxBytes": "1048576"})
    try:
        for _ in range(FLOODS):
            a.agentctl("test-hook", "watcher", str(TEST_HOOK_REJECT_FLOOD))

        def summed():
            return sum(int(r["details"]["suppressed"])
                       for r in a.audit_records()
                       if r["action"] == "audit.suppressed" and
                       r["details"]["action"] == "manifest.reject")
        total = FLOODS * TEST_HOOK_REJECT_FLOOD_N
        written = lambda: sum(1 for r in a.audit_records()  # noqa: E731
                              if r["action"] == "manifest.reject" and
                              r["actor"] == "watcher")
        # every reject is either written or counted in a summary
        wait_for(lambda: summed() + written() == total,
                 3 * AUDIT_RATE_WINDOW_S, interval=0.5,
                 what="the flood summed up")
        assert a.stop() == 0
        recs = a.audit_records()
        assert recs[0]["action"] == "agentd.start" and recs[0]["seq"] == 1
        assert written() <= 2 * AUDIT_RATE_BURST
        assert summed() >= total - 2 * AUDIT_RATE_BURST
        assert not os.path.exists(a.audit + ".1"), "the flood rotated"
        r = verify(a)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "the log ends where its anchor says" in r.stdout
        assert "UNWRITABLE" not in a.log()
    finally:
        a.cleanup()


def test_injecting_file_name_yields_a_correct_record(testbuild_dir):
    name = "zz-inj;field=forged.yaml"
    a = Agentd(testbuild_dir)
    try:
        a.write_manifest(name, "kind: Pod\n")

        def rejected():
            return [r for r in a.audit_records()
                    if r["action"] == "manifest.reject"]
        recs = wait_for(rejected, 15, what="the reject record")
        d = recs[0]["details"]
        assert d["file"] == name, d
        assert d.get("field") != "forged.yaml"
        assert not any(k.startswith("_") for k in d), d
        assert "UNWRITABLE" not in a.log()
        r = subprocess.run([os.path.join(a.build, "agentctl"), "audit",
                            "show", "-o", "wide", "--action",
                            "manifest.reject", "-f", a.config],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert "file=zz-inj\\;field\\=forged.yaml" in r.stdout
    finally:
        a.cleanup()


def test_restart_over_cut_log_shows_the_gap(testbuild_dir):
    a = Agentd(testbuild_dir)
    try:
        assert a.stop() == 0
        r = verify(a)
        assert r.returncode == 0, r.stdout + r.stderr
        with open(a.audit, "rb") as f:
            lines = f.read().split(b"\n")[:-1]
        assert len(lines) >= 3
        with open(a.audit, "wb") as f:
            f.write(b"\n".join(lines[:-2]) + b"\n")
        last = len(lines) - 2
        # cut while agentd is down: verify names where
        r = verify(a)
        assert r.returncode == 1
        assert f"{a.audit}:{last} seq {last}: truncated after seq " \
            f"{last}: the anchor names seq {len(lines)}" in r.stdout
        # agentd comes back over the cut: it records the gap and goes on
        a.start()
        assert a.stop() == 0
        gaps = [x for x in a.audit_records() if x["action"] == "audit.gap"]
        assert len(gaps) == 1
        assert gaps[0]["seq"] == last + 1
        assert gaps[0]["details"]["found_seq"] == str(last)
        assert gaps[0]["details"]["anchor_seq"] == str(len(lines))
        assert "log shorter than its anchor" in a.log()
        r = verify(a)
        assert r.returncode == 1
        assert f"{a.audit}:{last + 1} seq {last + 1}: truncated after seq " \
            f"{last}: agentd found the log cut" in r.stdout
    finally:
        a.cleanup()
