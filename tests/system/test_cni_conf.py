"""The CNI configuration over time (issue 11, item 1): agentd notices a
network appearing, changing and going in cniConfDir (agentd/cniwatch.c:
one log line, a network.config audit record, `agentctl status`), CHECK of
the sandboxes the executor re-adopts at start, GC at start for 1.1
configurations.

agentd runs in a network namespace of the test's own, as in test_cni.py;
host-local's dataDir is under the test's temp dir."""
import json
import os
import signal
import time

import pytest

from cninet import (PLUGINS, RECORDER, needs_plugins,  # noqa: F401
                    netns)
from harness import manifest, running, start_agentd, wait_for, wait_pod

SUBNET = "10.199.9.0/24"

pytestmark = needs_plugins




def bridge_conf(datadir, name="confnet", bridge="agconf0", extra=None):
    return {
        "cniVersion": "1.0.0",
        "name": name,
        "plugins": [
            {"type": "bridge", "bridge": bridge, "isGateway": True,
             "ipMasq": False,
             "ipam": {"type": "host-local",
                      "ranges": [[{"subnet": SUBNET}]],
                      "dataDir": datadir}},
        ] + (extra or []),
    }


def write_json(path, obj):
    # written whole under another name and renamed into place, as an
    # administrator's tools do
    tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path))
    with open(tmp, "w") as f:
        json.dump(obj, f)
    os.rename(tmp, path)


def in_netns(testbuild_dir, busybox_image, netns, **config):
    return start_agentd(testbuild_dir, busybox_image, extra_config=config,
                        prefix=["nsenter", f"--net=/proc/{netns}/ns/net"])


def net_records(a):
    return [r for r in a.audit_records() if r["action"] == "network.config"]


def log_count(a, needle):
    return a.log().count(needle)


def remove_pods(a, names, timeout=60):
    for n in names:
        a.remove_manifest(f"{n}.yaml")
    wait_for(lambda: all(a.pod("default", f"{n}-testnode") is None
                         for n in names), timeout, interval=0.3,
             what="pods removed")


def test_config_appearing_changing_and_going_is_noticed(
        testbuild_dir, busybox_image, tmp_path, netns):
    # the directory does not exist at start: the 5 s re-scan finds it
    cnidir = str(tmp_path / "net.d")
    datadir = str(tmp_path / "ipam")
    a = in_netns(testbuild_dir, busybox_image, netns, cniConfDir=cnidir)
    try:
        assert a.status()["network"]["mode"] == "loopback"
        assert log_count(a, "network: loopback only") == 1
        recs = net_records(a)
        assert [r["details"] for r in recs] == [
            {"network": "loopback", "dir": cnidir}]

        os.makedirs(cnidir)
        path = os.path.join(cnidir, "10-conf.conflist")
        write_json(path, bridge_conf(datadir))
        wait_for(lambda: a.status()["network"]["mode"] == "cni", 15,
                 interval=0.2, what="the network noticed")
        st = a.status()["network"]
        assert (st["name"], st["file"], st["cniVersion"]) == (
            "confnet", path, "1.0.0")
        assert f"network: confnet from {path}" in a.log()
        assert f"network: confnet ({path})" in a.agentctl("status").stdout
        assert net_records(a)[-1]["details"] == {
            "network": "confnet", "file": path, "cniVersion": "1.0.0"}
        assert net_records(a)[-1]["actor"] == "agentd"
        # a new pod gets the network, with no restart of anything
        a.write_manifest("w.yaml", manifest("w", "exec sleep 1000"))
        p = wait_pod(a, "w", lambda p: running(p) and
                     p["status"].get("podIP"), timeout=60)
        assert p["status"]["podIP"].startswith("10.199.9."), p["status"]

        # inotify, now that the directory is watched: at once
        n = len(net_records(a))
        write_json(path, bridge_conf(datadir, name="confnet2"))
        wait_for(lambda: a.status()["network"].get("name") == "confnet2",
                 3, interval=0.1, what="the change noticed by inotify")
        assert f"network: confnet2 from {path} (changed)" in a.log()
        # a file sorting first that is not a network changes nothing but
        # a warning, said once however often the directory changes
        with open(os.path.join(cnidir, "00-broken.conf"), "w") as f:
            f.write('{"type": "bridge"}')
        os.utime(path)
        time.sleep(1)
        with open(os.path.join(cnidir, "01-junk.txt"), "w") as f:
            f.write("x")
        time.sleep(1)
        assert log_count(a, "00-broken.conf ignored: no \"name\"") == 1
        assert len(net_records(a)) == n + 1

        # another file sorting first takes over
        first = os.path.join(cnidir, "05-first.conf")
        conf = bridge_conf(datadir, name="firstnet")
        plugin = dict(conf["plugins"][0], cniVersion="1.0.0",
                      name="firstnet")
        write_json(first, plugin)
        wait_for(lambda: a.status()["network"].get("file") == first, 15,
                 interval=0.1, what="the earlier file chosen")
        assert f"network: firstnet from {first}" in a.log()

        # all gone: loopback only again, said once more
        remove_pods(a, ["w"])
        for f in (first, path):
            os.unlink(f)
        wait_for(lambda: a.status()["network"]["mode"] == "loopback", 15,
                 interval=0.1, what="loopback only again")
        assert log_count(a, "network: loopback only") == 2
        assert net_records(a)[-1]["details"] == {
            "network": "loopback", "dir": cnidir}
        assert "network: loopback only (no CNI configuration in " \
            f"{cnidir})" in a.agentctl("status").stdout
        # nothing was said more than once per change
        assert len(net_records(a)) == n + 3
        # a killed executor does not warn again
        old = a.pid("executor")
        os.kill(old, signal.SIGKILL)
        a.wait_new_pid("executor", old)
        time.sleep(1)
        assert log_count(a, "network: loopback only") == 2
    finally:
        a.cleanup()




def recorder_bin(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for p in ("loopback", "bridge", "host-local"):
        os.symlink(os.path.join(PLUGINS, p), bindir / p)
    log = str(tmp_path / "recorder.log")
    fail = str(tmp_path / "fail")
    (bindir / "recorder").write_text(RECORDER.format(log=log, fail=fail))
    os.chmod(bindir / "recorder", 0o755)
    return str(bindir), log, fail


def calls(log, cmd=None):
    if not os.path.exists(log):
        return []
    with open(log) as f:
        out = [json.loads(line) for line in f if line.strip()]
    return [c for c in out if cmd is None or c["cmd"] == cmd]


def events(a, pod):
    doc = json.loads(a.agentctl("events", "-o", "json", "--pod",
                                pod).stdout)
    return doc["items"]


def cid(p):
    return p["status"]["containerStatuses"][0].get("containerID")


def sandbox_ids(a, name):
    return [r["details"].get("id") for r in a.audit_records()
            if r["action"] == "sandbox.create" and r["phase"] == "outcome"
            and r["pod"]["name"] == f"{name}-testnode"]


def test_check_on_readoption_and_a_failing_check_recreates_the_sandbox(
        testbuild_dir, busybox_image, tmp_path, netns):
    bindir, log, fail = recorder_bin(tmp_path)
    cnidir = tmp_path / "net.d"
    cnidir.mkdir()
    datadir = str(tmp_path / "ipam")
    write_json(str(cnidir / "10-chk.conflist"), bridge_conf(
        datadir, name="chknet", extra=[{"type": "recorder"}]))
    a = in_netns(testbuild_dir, busybox_image, netns,
                 cniConfDir=str(cnidir), cniBinDir=bindir)
    try:
        a.write_manifest("k.yaml", manifest("k", "exec sleep 1000"))
        p = wait_pod(a, "k", lambda p: running(p) and
                     p["status"].get("podIP"), timeout=60)
        ip, first = p["status"]["podIP"], cid(p)
        [sb] = sandbox_ids(a, "k")
        assert calls(log, "CHECK") == []    # not at creation

        # a new executor re-adopts the sandbox and CHECKs it: in its
        # namespace, on eth0, against the result ADD cached
        old = a.pid("executor")
        os.kill(old, signal.SIGKILL)
        a.wait_new_pid("executor", old)
        wait_for(lambda: calls(log, "CHECK"), 30, interval=0.2,
                 what="CHECK on re-adoption")
        [chk] = calls(log, "CHECK")
        assert chk["id"] == sb and chk["ifname"] == "eth0", chk
        assert chk["netns"].endswith("/net") and chk["netns"], chk
        assert chk["conf"]["name"] == "chknet"
        assert ip + "/24" in [x["address"] for x in
                              chk["conf"]["prevResult"]["ips"]], chk
        wait_for(lambda: [r for r in a.audit_records()
                          if r["action"] == "network.check" and
                          r["phase"] == "outcome"], 10,
                 what="the CHECK's outcome record")
        rec = [r for r in a.audit_records()
               if r["action"] == "network.check"]
        assert [(r["phase"], r["outcome"]) for r in rec] == [
            ("intent", None), ("outcome", "ok")], rec
        assert rec[0]["details"]["id"] == sb
        assert rec[0]["pod"]["name"] == "k-testnode"
        # bridge and host-local passed too (the chain stops at a failure)
        time.sleep(1)
        p = wait_pod(a, "k", running)
        assert cid(p) == first and p["status"]["podIP"] == ip
        assert not [e for e in events(a, "default/k-testnode")
                    if e["reason"] == "SandboxChanged"]

        # CHECK fails: SandboxChanged, the pod killed and made anew in a
        # new sandbox, the old one DELeted
        open(fail, "w").close()
        old = a.pid("executor")
        os.kill(old, signal.SIGKILL)
        a.wait_new_pid("executor", old)
        ev = wait_for(lambda: [e for e in events(a, "default/k-testnode")
                               if e["reason"] == "SandboxChanged"], 30,
                      interval=0.3, what="the SandboxChanged event")
        assert ev[0]["type"] == "Warning"
        assert "Pod sandbox changed, it will be killed and re-created: " \
            "CNI CHECK recorder: recorder: eth0 is not what ADD made" in \
            ev[0]["message"], ev
        p = wait_pod(a, "k", lambda p: running(p) and cid(p) != first and
                     p["status"].get("podIP"), timeout=90)
        ids = sandbox_ids(a, "k")
        assert len(ids) == 2 and ids[0] == sb, ids
        assert [c["id"] for c in calls(log, "DEL")] == [sb]
        assert [c["id"] for c in calls(log, "ADD")] == ids
        outc = [r for r in a.audit_records()
                if r["action"] == "network.check" and r["phase"] ==
                "outcome"]
        assert outc[-1]["outcome"] == "error"
        assert "recorder: eth0 is not what ADD made" in outc[-1]["error"]
        assert "SandboxChanged" in a.log()
        # the failed CHECK was asked twice more before SandboxChanged
        # (CNI_CHECK_TRIES), and a new sandbox is not CHECKed at creation
        assert len(calls(log, "CHECK")) == 1 + 3
        assert [r["outcome"] for r in outc[-3:]] == ["error"] * 3
        remove_pods(a, ["k"])
    finally:
        a.cleanup()



def test_failing_check_before_the_pod_set_recreates_the_sandbox(
        testbuild_dir, busybox_image, tmp_path, netns):
    """the CHECK ends before the new executor has any spec: the adopted
    pod is handled as one whose sandbox is gone when the spec arrives"""
    bindir, log, fail = recorder_bin(tmp_path)
    cnidir = tmp_path / "net.d"
    cnidir.mkdir()
    write_json(str(cnidir / "10-chk.conflist"), bridge_conf(
        str(tmp_path / "ipam"), name="chknet",
        extra=[{"type": "recorder"}]))
    a = in_netns(testbuild_dir, busybox_image, netns,
                 cniConfDir=str(cnidir), cniBinDir=bindir)
    watcher = None
    try:
        a.write_manifest("early.yaml", manifest("early", "exec sleep 1000"))
        p = wait_pod(a, "early", lambda p: running(p) and
                     p["status"].get("podIP"), timeout=60)
        first = cid(p)
        open(fail, "w").close()
        # a stopped watcher sends the new executor no pod set
        watcher = a.pid("watcher")
        os.kill(watcher, signal.SIGSTOP)
        old = a.pid("executor")
        os.kill(old, signal.SIGKILL)
        a.wait_new_pid("executor", old)
        wait_for(lambda: [r for r in a.audit_records()
                          if r["action"] == "network.check" and
                          r.get("outcome") == "error"], 20, interval=0.2,
                 what="the failed CHECK")
        os.kill(watcher, signal.SIGCONT)
        watcher = None
        wait_for(lambda: [e for e in events(a, "default/early-testnode")
                          if e["reason"] == "SandboxChanged"], 30,
                 interval=0.3, what="the SandboxChanged event")
        p = wait_pod(a, "early", lambda p: running(p) and cid(p) != first
                     and p["status"].get("podIP"), timeout=90)
        assert len(sandbox_ids(a, "early")) == 2
        assert len(calls(log, "DEL")) == 1
        remove_pods(a, ["early"])
    finally:
        if watcher is not None:
            os.kill(watcher, signal.SIGCONT)
        a.cleanup()


def test_hanging_check_is_killed_at_its_timeout_and_counts_as_failed(
        testbuild_dir, busybox_image, tmp_path, netns):
    bindir, log, fail = recorder_bin(tmp_path)
    cnidir = tmp_path / "net.d"
    cnidir.mkdir()
    write_json(str(cnidir / "10-chk.conflist"), bridge_conf(
        str(tmp_path / "ipam"), name="chknet",
        extra=[{"type": "recorder"}]))
    a = start_agentd(testbuild_dir, busybox_image, extra_config={
        "cniConfDir": str(cnidir), "cniBinDir": bindir,
        "runtimeOpTimeoutSeconds": "3"},
        prefix=["nsenter", f"--net=/proc/{netns}/ns/net"])
    try:
        a.write_manifest("hang.yaml", manifest("hang", "exec sleep 1000"))
        p = wait_pod(a, "hang", lambda p: running(p) and
                     p["status"].get("podIP"), timeout=60)
        first = cid(p)
        open(fail + ".hang", "w").close()
        old = a.pid("executor")
        os.kill(old, signal.SIGKILL)
        a.wait_new_pid("executor", old)
        ev = wait_for(lambda: [e for e in events(a, "default/hang-testnode")
                               if e["reason"] == "SandboxChanged"], 20,
                      interval=0.3, what="the SandboxChanged event")
        assert "network.check did not finish within 3 s " \
            "(runtimeOpTimeoutSeconds) and was killed" in ev[0]["message"]
        os.unlink(fail + ".hang")
        wait_pod(a, "hang", lambda p: running(p) and cid(p) != first,
                 timeout=90)
        remove_pods(a, ["hang"])
    finally:
        a.cleanup()


@pytest.mark.parametrize("version,disable", [("1.0.0", True),
                                             ("0.3.1", False)])
def test_no_check_below_0_4_0_or_with_disable_check(
        testbuild_dir, busybox_image, tmp_path, netns, version, disable):
    bindir, log, fail = recorder_bin(tmp_path)
    cnidir = tmp_path / "net.d"
    cnidir.mkdir()
    datadir = str(tmp_path / "ipam")
    conf = bridge_conf(datadir, name="nochk", extra=[{"type": "recorder"}])
    conf["cniVersion"] = version
    if disable:
        conf["disableCheck"] = True
    write_json(str(cnidir / "10-nochk.conflist"), conf)
    a = in_netns(testbuild_dir, busybox_image, netns,
                 cniConfDir=str(cnidir), cniBinDir=bindir)
    try:
        a.write_manifest("nochk.yaml", manifest("nochk", "exec sleep 1000"))
        p = wait_pod(a, "nochk", lambda p: running(p) and
                     p["status"].get("podIP"), timeout=60)
        assert calls(log, "ADD")[0]["conf"]["cniVersion"] == version
        open(fail, "w").close()
        old = a.pid("executor")
        os.kill(old, signal.SIGKILL)
        a.wait_new_pid("executor", old)
        time.sleep(3)
        assert calls(log, "CHECK") == []
        assert not [r for r in a.audit_records()
                    if r["action"] == "network.check"]
        assert cid(wait_pod(a, "nochk", running)) == cid(p)
        remove_pods(a, ["nochk"])
    finally:
        a.cleanup()


# a 1.1 plugin in shell (Debian's are 1.0.0): every call is a line with
# its environment and a line with its stdin; GC takes 2 s while the file
# `slow` exists, between a "begin" and an "end" line
GCREC = """#!/bin/sh
conf=$(cat)
# one printf, one write(2): the begin line and its conf stay together
# when agentd runs two plugins at once (CHECKs of two pods)
printf 'begin %s|%s|%s|%s|%s\\n%s\\n' "$CNI_COMMAND" "$CNI_CONTAINERID" \\
    "$CNI_NETNS" "$CNI_IFNAME" "$CNI_PATH" "$conf" >>{log}
if [ "$CNI_COMMAND" = GC ] && [ -e {slow} ]; then sleep 2; fi
printf 'end %s\\n' "$CNI_COMMAND" >>{log}
if [ "$CNI_COMMAND" = GC ] && [ -e {slow}.fail ]; then
  echo '{{"cniVersion":"1.1.0","code":7,"msg":"gcrec: store locked"}}'
  exit 1
fi
if [ "$CNI_COMMAND" = ADD ]; then
  echo '{{"cniVersion":"1.1.0","ips":[{{"address":"10.1.2.3/24"}}]}}'
fi
exit 0
"""


def gc_calls(log):
    """[(cmd, id, netns, ifname, path, conf)], and the begin/end order"""
    if not os.path.exists(log):
        return [], []
    with open(log) as f:
        lines = f.read().splitlines()
    out, order, i = [], [], 0
    while i < len(lines):
        if lines[i].startswith("begin "):
            if i + 1 == len(lines):
                break       # read while a plugin was writing its record
            f = lines[i][6:].split("|")
            out.append((*f, json.loads(lines[i + 1])))
            order.append(("begin", f[0]))
            i += 2
        else:
            order.append(tuple(lines[i].split(" ", 1)))
            i += 1
    return out, order


def gc_setup(tmp_path, conf=None):
    """A bin dir with loopback and the recording GC plugin, and a
    cniConfDir holding conf (default: a 1.1 network of two gcrec
    plugins); returns the bin dir, the conf dir, the recorder's log and
    its slow/fail switch prefix."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    os.symlink(os.path.join(PLUGINS, "loopback"), bindir / "loopback")
    log, slow = str(tmp_path / "gc.log"), str(tmp_path / "slow")
    (bindir / "gcrec").write_text(GCREC.format(log=log, slow=slow))
    os.chmod(bindir / "gcrec", 0o755)
    cnidir = tmp_path / "net.d"
    cnidir.mkdir()
    write_json(str(cnidir / "10-gc.conflist"), conf or {
        "cniVersion": "1.1.0", "name": "gcnet",
        "plugins": [{"type": "gcrec", "tag": "first"},
                    {"type": "gcrec", "tag": "second"}]})
    return bindir, cnidir, log, slow


def test_gc_at_start_with_the_valid_attachments(
        testbuild_dir, busybox_image, tmp_path, netns):
    bindir, cnidir, log, slow = gc_setup(tmp_path)
    a = in_netns(testbuild_dir, busybox_image, netns,
                 cniConfDir=str(cnidir), cniBinDir=str(bindir))
    try:
        # at start: one GC per plugin, nothing valid yet
        wait_for(lambda: len([c for c in gc_calls(log)[0]
                              if c[0] == "GC"]) == 2, 15,
                 what="GC at start")
        gcs = [c for c in gc_calls(log)[0] if c[0] == "GC"]
        assert [c[5]["tag"] for c in gcs] == ["first", "second"]
        for c in gcs:
            # no attachment of its own: CNI_CONTAINERID, _NETNS, _IFNAME
            # empty; CNI_PATH the plugin directory
            assert c[1:4] == ("", "", "") and c[4] == str(bindir), c
            assert c[5]["name"] == "gcnet" and c[5]["cniVersion"] == "1.1.0"
            assert c[5]["cni.dev/valid-attachments"] == []
        for n in ("g1", "g2"):
            a.write_manifest(f"{n}.yaml", manifest(n, "exec sleep 1000"))
        for n in ("g1", "g2"):
            wait_pod(a, n, lambda p: running(p) and
                     p["status"].get("podIP") == "10.1.2.3", timeout=60)
        # two plugins: each sandbox's ADD twice
        adds = [c[1] for c in gc_calls(log)[0] if c[0] == "ADD"]
        sbs = sorted(set(adds))
        assert len(adds) == 4 and len(sbs) == 2

        # a new executor: GC with both sandboxes valid, and a pod written
        # meanwhile gets its sandbox only after the GC of both plugins
        open(slow, "w").close()
        old = a.pid("executor")
        os.kill(old, signal.SIGKILL)
        a.wait_new_pid("executor", old)
        a.write_manifest("g3.yaml", manifest("g3", "exec sleep 1000"))
        wait_pod(a, "g3", lambda p: running(p) and
                 p["status"].get("podIP"), timeout=60)
        calls_, order = gc_calls(log)
        gcs = [c for c in calls_ if c[0] == "GC"][2:]
        assert [c[5]["tag"] for c in gcs] == ["first", "second"]
        want = [{"containerID": s, "ifname": "eth0"} for s in sbs]
        for c in gcs:
            got = sorted(c[5]["cni.dev/valid-attachments"],
                         key=lambda v: v["containerID"])
            assert got == want, c
            assert sorted(c[5]["cni.dev/attachments"],
                          key=lambda v: v["containerID"]) == want
        # the re-adopted sandboxes were CHECKed (1.1 >= 0.4); their jobs
        # run beside g3's creation, so they may end after it
        wait_for(lambda: sorted(c[1] for c in gc_calls(log)[0]
                                if c[0] == "CHECK") == sorted(sbs * 2), 15,
                 interval=0.2, what="the re-adopted sandboxes' CHECKs")
        # g3's ADD began after the second GC ended
        last_gc_end = max(i for i, o in enumerate(order) if o == ("end",
                                                                  "GC"))
        first_add = [i for i, o in enumerate(order) if o == ("begin",
                                                             "ADD")][4]
        assert first_add > last_gc_end, order
        rec = [r for r in a.audit_records() if r["action"] == "network.gc"]
        assert [(r["phase"], r["outcome"]) for r in rec] == [
            ("intent", None), ("outcome", "ok")] * 2, rec
        assert rec[0]["details"]["valid"] == "0"
        assert rec[2]["details"] == {"network": "gcnet", "valid": "2",
                                     "file": str(cnidir / "10-gc.conflist")}
        remove_pods(a, ["g1", "g2", "g3"])
    finally:
        a.cleanup()


def test_no_gc_below_1_1_or_with_disable_gc(testbuild_dir, busybox_image,
                                             tmp_path, netns):
    bindir, cnidir, log, slow = gc_setup(tmp_path, {
        "cniVersion": "1.0.0", "name": "gcnet",
        "plugins": [{"type": "gcrec"}]})
    conf = str(cnidir / "10-gc.conflist")
    a = in_netns(testbuild_dir, busybox_image, netns,
                 cniConfDir=str(cnidir), cniBinDir=str(bindir))
    try:
        a.write_manifest("h.yaml", manifest("h", "exec sleep 1000"))
        wait_pod(a, "h", running, timeout=60)
        write_json(conf, {"cniVersion": "1.1.0", "name": "gcnet",
                          "disableGC": True, "plugins": [{"type": "gcrec"}]})
        old = a.pid("executor")
        os.kill(old, signal.SIGKILL)
        a.wait_new_pid("executor", old)
        time.sleep(2)
        assert [c for c in gc_calls(log)[0] if c[0] == "GC"] == []
        assert not [r for r in a.audit_records()
                    if r["action"] == "network.gc"]
        remove_pods(a, ["h"])
    finally:
        a.cleanup()


def test_failing_gc_is_audited_and_pods_are_still_made(
        testbuild_dir, busybox_image, tmp_path, netns):
    bindir, cnidir, log, slow = gc_setup(tmp_path)
    open(slow + ".fail", "w").close()
    a = in_netns(testbuild_dir, busybox_image, netns,
                 cniConfDir=str(cnidir), cniBinDir=str(bindir))
    try:
        a.write_manifest("gf.yaml", manifest("gf", "exec sleep 1000"))
        wait_pod(a, "gf", lambda p: running(p) and
                 p["status"].get("podIP"), timeout=60)
        # every plugin was asked though the first failed; the first
        # error, decoded by netparse, is the record's and the log's
        assert [c[5]["tag"] for c in gc_calls(log)[0] if c[0] == "GC"] == \
            ["first", "second"]
        rec = [r for r in a.audit_records() if r["action"] == "network.gc"]
        assert [(r["phase"], r["outcome"]) for r in rec] == [
            ("intent", None), ("outcome", "error")], rec
        assert rec[1]["error"] == "CNI GC gcrec: gcrec: store locked"
        assert "network gcnet: CNI GC gcrec: gcrec: store locked" in a.log()
        remove_pods(a, ["gf"])
    finally:
        a.cleanup()
