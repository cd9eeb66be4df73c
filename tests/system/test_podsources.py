"""The executor's side of the watcher's pod sources (issue 12, item 3).

Until the watcher's API source has listed once, each pod set it sends
carries PODSET_F_API_UNSYNCED (MSG_PODSET_BEGIN's flags): the executor then
keeps a pod with source "api" that the set leaves out, as the kubelet keeps
its pods until sourcesReady (a watcher restarted while the API server is
down must not stop every API pod).  A static pod the set leaves out is
stopped as ever.  Without the flag the set is believed again.

The fake watcher (tests/tools/fakewatcher.c) stands in for the API: with
its "api" directive every pod named api* has source "api"; with
"api-unsynced" its sets also carry the flag.
"""
import time

from harness import cstatus, manifest, running, start_agentd, wait_for, \
    wait_pod

# how long a kept pod is watched for a stop that must not come
SETTLE = 5


def cid(a, name):
    return cstatus(a.pod("default", f"{name}-testnode"))["containerID"]


def removals(a, n, pod):
    return [(r["action"], r["phase"]) for r in a.audit_records()[n:]
            if r["action"] in ("sandbox.remove", "container.remove") and
            (r.get("pod") or {}).get("name") == f"{pod}-testnode"]


def directive(a, what):
    """The fake's directive, taken up by a scan of its own."""
    a.write_manifest("attack.json", what + "\n")
    wait_for(lambda: f"fake: attack {what}\n" in a.log(), timeout=15,
             what=f"the fake watcher taking up {what}")


def test_unsynced_set_keeps_api_pods_and_stops_static_ones(
        testbuild_dir, busybox_image, fake_libexec):
    a = start_agentd(testbuild_dir, busybox_image,
                     extra_config={"libexecDir": fake_libexec})
    try:
        directive(a, "api")
        a.write_manifest("api.yaml", manifest("api1", "exec sleep 1000"))
        a.write_manifest("st.yaml", manifest("st1", "exec sleep 1000"))
        wait_pod(a, "api1", running, what="the API pod running")
        wait_pod(a, "st1", running, what="the static pod running")
        before = cid(a, "api1")
        n_audit = len(a.audit_records())

        # the API source has not listed: its sets hold no API pod
        directive(a, "api-unsynced")
        a.remove_manifest("api.yaml")
        a.remove_manifest("st.yaml")
        # the static pod goes, as a file's pod whose file went ...
        wait_for(lambda: a.pod("default", "st1-testnode") is None,
                 timeout=30, what="the static pod removed")
        # ... the API pod stays, untouched
        time.sleep(SETTLE)
        p = a.pod("default", "api1-testnode")
        assert p is not None and running(p), p
        assert cid(a, "api1") == before
        assert removals(a, n_audit, "api1") == []
        assert "kept until the API source has listed" in a.log()

        # listed: a set without the pod is believed
        directive(a, "api")
        wait_for(lambda: a.pod("default", "api1-testnode") is None,
                 timeout=30, what="the API pod removed once listed")
        assert ("sandbox.remove", "outcome") in removals(a, n_audit, "api1")
    finally:
        a.cleanup()


def test_a_shorter_grace_restarts_nothing_and_the_removal_uses_it(
        testbuild_dir, busybox_image, fake_libexec):
    """A pod being deleted is sent once more with the deletion's grace,
    then left out: the executor must take that spec without a restart
    (the identity leaves the grace out) and stop the pod with it.  The
    fake's fixeduid keeps the uid across the manifest's edit, as an API
    pod keeps its uid."""
    a = start_agentd(testbuild_dir, busybox_image,
                     extra_config={"libexecDir": fake_libexec})
    try:
        directive(a, "fixeduid")
        # `sleep` as PID 1 ignores SIGTERM: the stop takes the whole grace
        a.write_manifest("g.yaml", manifest("g", "exec sleep 1000",
                                            grace=60))
        p = wait_pod(a, "g", running, what="the pod running")
        assert p["metadata"]["uid"].startswith("fixed-"), p["metadata"]
        before = cid(a, "g")
        n_audit = len(a.audit_records())
        a.write_manifest("g.yaml", manifest("g", "exec sleep 1000", grace=2))
        time.sleep(SETTLE)
        assert cid(a, "g") == before
        assert removals(a, n_audit, "g") == []
        t0 = time.monotonic()
        a.remove_manifest("g.yaml")
        wait_for(lambda: a.pod("default", "g-testnode") is None,
                 timeout=40, interval=0.2, what="the pod removed")
        # the 2 s grace, then SIGKILL; 60 s would be the old spec's
        assert time.monotonic() - t0 < 20
    finally:
        a.cleanup()


def test_an_unknown_podset_flag_ends_the_watcher(testbuild_dir,
                                                 busybox_image, fake_libexec):
    a = start_agentd(testbuild_dir, busybox_image,
                     extra_config={"libexecDir": fake_libexec})
    try:
        a.write_manifest("keep.yaml", manifest("keep", "exec sleep 1000"))
        wait_pod(a, "keep", running, what="the pod running")
        before, watcher = cid(a, "keep"), a.pid("watcher")
        a.write_manifest("attack.json", "badflags\n")
        wait_for(lambda: [r for r in a.audit_records()
                          if r["action"] == "worker.protocol_violation" and
                          r.get("actor") == "watcher" and
                          "unknown flags 0x80" in (r.get("error") or "")],
                 timeout=20, interval=0.2, what="the watcher ended")
        a.remove_manifest("attack.json")
        a.wait_new_pid("watcher", watcher, timeout=20)
        # the pod it had sent runs on, untouched
        time.sleep(2)
        assert cid(a, "keep") == before
    finally:
        a.cleanup()
