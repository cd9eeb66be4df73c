"""Static pod identity the kubelet's way (issue 14, part 4;
pkg/kubelet/config/common.go applyDefaults, file.go, config.go): the uid is
metadata.uid when the file has one, else a hash of the decoded pod, node
and path, so an edit that leaves the pod as it was (a comment, a
reformatting) restarts nothing; spec.nodeName is set to this node; every
regular file not starting with '.' is read, whatever its extension; the
config.hash, config.source and config.seen annotations are set."""
import os
import time

import pytest

from harness import actions, container_pid, cstatus, manifest, running, \
    start_agentd, wait_for, wait_pod


@pytest.fixture
def agentd(pod_agentd):
    return pod_agentd


def cid(p):
    return cstatus(p)["containerID"]


def barrier(a, tag):
    """A new pod's file, written after the edit under test: once its pod
    runs, the watcher has taken up every earlier change (scans are in
    order, one at a time)."""
    a.write_manifest(f"zz-{tag}.yaml", manifest(f"mark{tag}",
                                                "exec sleep 1000"))
    wait_pod(a, f"mark{tag}", running, what=f"barrier pod {tag} running")


def test_comment_and_reformatting_restart_nothing(agentd):
    text = manifest("web", "exec sleep 1000")
    agentd.write_manifest("web.yaml", text)
    p = wait_pod(agentd, "web", running)
    uid, c, seen = (p["metadata"]["uid"], cid(p),
                    p["metadata"]["annotations"]["kubernetes.io/config.seen"])
    assert p["metadata"]["annotations"]["kubernetes.io/config.hash"] == uid
    assert p["metadata"]["annotations"]["kubernetes.io/config.source"] == \
        "file"
    # a comment and blank lines, and the same pod in flow style
    agentd.write_manifest("web.yaml", "# edited by hand\n\n" + text +
                          "\n# the end\n")
    barrier(agentd, 1)
    q = agentd.pod("default", "web-testnode")
    assert q["metadata"]["uid"] == uid
    assert cid(q) == c and cstatus(q)["restartCount"] == 0
    assert q["metadata"]["annotations"]["kubernetes.io/config.seen"] == seen
    # a real change is a new pod (a new uid), as the kubelet makes it
    agentd.write_manifest("web.yaml", manifest("web", "exec sleep 999"))
    r = wait_pod(agentd, "web", lambda r: r["metadata"]["uid"] != uid and
                 running(r), what="the changed pod running")
    assert cid(r) != c
    assert r["metadata"]["annotations"]["kubernetes.io/config.seen"] != seen


def test_uid_in_the_file_is_kept(agentd):
    text = manifest("own", "exec sleep 1000").replace(
        "metadata:\n", "metadata:\n  uid: 0b6d1c2e-uid-from-file\n", 1)
    agentd.write_manifest("own.yaml", text)
    p = wait_pod(agentd, "own", running)
    assert p["metadata"]["uid"] == "0b6d1c2e-uid-from-file"
    assert p["metadata"]["annotations"]["kubernetes.io/config.hash"] == \
        "0b6d1c2e-uid-from-file"


def test_node_name_is_set_to_this_node(agentd):
    for name, node in (("here", "testnode"), ("there", "othernode")):
        agentd.write_manifest(f"{name}.yaml", manifest(
            name, "exec sleep 1000", extra_spec=f"  nodeName: {node}\n"))
    for name in ("here", "there"):
        p = wait_pod(agentd, name, running)
        assert p["spec"]["nodeName"] == "testnode"


def test_file_without_extension_is_read_and_dotfile_is_not(agentd):
    agentd.write_manifest("plain", manifest("plain", "exec sleep 1000"))
    # written in place, not through write_manifest's dotfile + rename
    with open(os.path.join(agentd.pods, ".hidden.yaml"), "w") as f:
        f.write(manifest("hidden", "exec sleep 1000"))
    os.mkdir(os.path.join(agentd.pods, "sub.yaml"))
    with open(os.path.join(agentd.pods, "sub.yaml", "inner.yaml"), "w") as f:
        f.write(manifest("inner", "exec sleep 1000"))
    try:
        wait_pod(agentd, "plain", running)
        barrier(agentd, 2)
        names = {i["metadata"]["name"] for i in agentd.pods_json()["items"]}
        assert "hidden-testnode" not in names
        assert "inner-testnode" not in names
    finally:
        os.unlink(os.path.join(agentd.pods, ".hidden.yaml"))
        os.unlink(os.path.join(agentd.pods, "sub.yaml", "inner.yaml"))
        os.rmdir(os.path.join(agentd.pods, "sub.yaml"))


def test_two_files_with_one_uid_keep_the_first(agentd):
    for name in ("a1", "a2"):
        agentd.write_manifest(f"{name}.yaml", manifest(
            name, "exec sleep 1000").replace(
            "metadata:\n", "metadata:\n  uid: same-uid-twice\n", 1))
    wait_pod(agentd, "a1", running)

    def rejected():
        return [r for r in agentd.audit_records()
                if r["action"] == "manifest.reject" and
                r["details"].get("file") == "a2.yaml"]
    wait_for(rejected, 15, what="the second file rejected")
    assert "uid" in rejected()[0]["error"]
    time.sleep(0.5)
    assert agentd.pod("default", "a2-testnode") is None
    # the watcher was not ended for it
    assert agentd.restarts("watcher") == 0


def test_an_update_under_the_same_uid_is_admitted_again(agentd):
    """The node policy judges every spec the executor applies, not only a
    pod's first: a file that keeps its uid and turns privileged (which the
    default policy denies) is denied, audited, and its old container is
    stopped; it never runs privileged."""
    def with_uid(text):
        return text.replace("metadata:\n",
                            "metadata:\n  uid: 5e1f-update-same-uid\n", 1)
    agentd.write_manifest("upd.yaml",
                          with_uid(manifest("upd", "exec sleep 1000")))
    p = wait_pod(agentd, "upd", running)
    pid = container_pid(agentd, "upd")
    agentd.write_manifest("upd.yaml", with_uid(manifest(
        "upd", "exec sleep 999",
        extra_ctr="    securityContext:\n      privileged: true\n")))
    q = wait_pod(agentd, "upd", lambda q: q["status"].get("reason") ==
                 "NodePolicyDenied", what="the privileged update denied")
    assert q["metadata"]["uid"] == p["metadata"]["uid"]
    assert "privileged" in q["status"]["message"]
    wait_for(lambda: not os.path.exists(f"/proc/{pid}"), 30,
             what="the old container stopped")
    acts = [a for a in actions(agentd) if a[2] == "upd-testnode"]
    assert ("policy.deny", "event", "upd-testnode") in acts
    creates = [a for a in acts if a[:2] == ("container.create", "intent")]
    assert len(creates) == 1, acts     # the first spec's, nothing after
