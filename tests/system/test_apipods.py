"""API mode end to end, the watcher's part (issue 12, item 3): agentd with
a kubeconfig runs the pods the test API server binds to its node, beside
its static pods, through the real watcher (apisource.c), executor and
runtime.  The kubelet's rules it follows: another node's pods are not
ours; a static pod and an API pod of one name, the static one runs; a
pod being deleted stops with the smaller grace; until the API server has
been listed, nothing of the API's is stopped for being missing."""
import os
import signal
import time

from harness import Agentd, cstatus, manifest, running, wait_for

NODE = "testnode"


def api_pod(name, node=NODE, grace=1, script="exec sleep 1000"):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"nodeName": node,
                     "terminationGracePeriodSeconds": grace,
                     "containers": [{"name": "c", "image": "busybox",
                                     "command": ["sh", "-c", script]}]}}


def start(testbuild_dir, busybox_image, kube_api):
    kc = kube_api.node_kubeconfig(NODE, use_token=True)
    a = Agentd(testbuild_dir, extra_config={"kubeconfig": kc})
    a.agentctl("image", "import", busybox_image, "busybox")
    return a


def stop(a, kube_api):
    """The API's pods deleted at once, so that the cleanup's wait for an
    empty node ends; then the usual cleanup."""
    try:
        kube_api.faults.clear()
        admin = kube_api.client(admin=True)
        for p in admin.get("/api/v1/pods").json()["items"]:
            admin.delete(f"/api/v1/namespaces/{p['metadata']['namespace']}"
                         f"/pods/{p['metadata']['name']}",
                         gracePeriodSeconds=0)
    finally:
        a.cleanup()


def cid(a, name):
    return cstatus(local(a, name))["containerID"]


def local(a, name):
    return a.pod("default", name)


def wait_running(a, name, timeout=40):
    return wait_for(lambda: (lambda p: p if p and running(p) else None)(
        local(a, name)), timeout, interval=0.2, what=f"{name} running")


def test_api_pods_run_beside_static_ones(testbuild_dir, busybox_image,
                                         kube_api):
    kube_api.put("pods", api_pod("early"))
    kube_api.put("pods", api_pod("elsewhere", node="othernode"))
    a = start(testbuild_dir, busybox_image, kube_api)
    try:
        a.write_manifest("st.yaml", manifest("st", "exec sleep 1000"))
        p = wait_running(a, "early")
        assert p["metadata"]["uid"] == \
            kube_api.get("pods", "default", "early")["metadata"]["uid"]
        wait_running(a, "st-testnode")
        kube_api.put("pods", api_pod("late"))
        wait_running(a, "late")
        assert local(a, "elsewhere") is None
        assert "pods listed for node testnode" in a.log()
    finally:
        stop(a, kube_api)


def test_a_static_pod_wins_its_name(testbuild_dir, busybox_image, kube_api):
    """An API pod with a static pod's name (possible only before agentd
    made the mirror pod: the API pod then holds the name) is left out, and
    the reporter leaves that pod of the API's alone: no mirror, no status
    onto it, no delete."""
    kc = kube_api.node_kubeconfig(NODE, use_token=True)
    a = Agentd(testbuild_dir, extra_config={"kubeconfig": kc}, start=False)
    try:
        a.write_manifest("st.yaml", manifest("st", "exec sleep 1000"))
        api = kube_api.put("pods", api_pod("st-testnode"))
        a.start()
        a.agentctl("image", "import", busybox_image, "busybox")
        p = wait_running(a, "st-testnode")
        wait_for(lambda: "left out: a static pod of that name runs" in
                 a.log(), 20, what="the API pod left out")
        wait_for(lambda: "exists and is no mirror pod" in a.log(), 20,
                 what="the reporter leaving the API's pod alone")
        time.sleep(2)
        assert local(a, "st-testnode")["metadata"]["uid"] == \
            p["metadata"]["uid"] != api["metadata"]["uid"]
        assert a.log().count("left out: a static pod of that name") == 1
        kept = kube_api.get("pods", "default", "st-testnode")
        assert kept["metadata"]["uid"] == api["metadata"]["uid"]
        assert not kept.get("status", {}).get("containerStatuses")
        assert not [r for r in kube_api.requests_to(
            None, "/pods/st-testnode") if r.method in ("PATCH", "DELETE")]
    finally:
        stop(a, kube_api)


def test_deletion_stops_with_the_smaller_grace(testbuild_dir, busybox_image,
                                               kube_api):
    a = start(testbuild_dir, busybox_image, kube_api)
    try:
        # `sleep` as PID 1 ignores SIGTERM: the stop takes the whole grace
        kube_api.put("pods", api_pod("slow", grace=60))
        wait_running(a, "slow")
        before = cid(a, "slow")
        t0 = time.monotonic()
        admin = kube_api.client(admin=True)
        r = admin.delete("/api/v1/namespaces/default/pods/slow",
                         body={"gracePeriodSeconds": 2})
        assert r.code == 200, r
        wait_for(lambda: local(a, "slow") is None, 30, interval=0.2,
                 what="the pod stopped and removed")
        assert time.monotonic() - t0 < 20
        recs = [x for x in a.audit_records()
                if x["action"] == "container.create" and
                (x.get("pod") or {}).get("name") == "slow"]
        assert len(recs) == 2, recs     # intent and outcome: one start
        assert before
    finally:
        stop(a, kube_api)


def test_api_pods_kept_until_the_api_server_is_listed(testbuild_dir,
                                                      busybox_image,
                                                      kube_api):
    a = start(testbuild_dir, busybox_image, kube_api)
    try:
        kube_api.put("pods", api_pod("keep"))
        kube_api.put("pods", api_pod("gone"))
        wait_running(a, "keep")
        wait_running(a, "gone")
        keep = cid(a, "keep")
        # the API server fails every list; the watcher restarts
        kube_api.fail_next(503, method="GET", path=r"^/api/v1/pods$",
                           count=100000)
        watcher = a.pid("watcher")
        os.kill(watcher, signal.SIGKILL)
        a.wait_new_pid("watcher", watcher, timeout=20)
        wait_for(lambda: "HTTP 503" in a.log(), 20,
                 what="the new watcher's list failing")
        # meanwhile one of them is deleted on the server
        kube_api.client(admin=True).delete(
            "/api/v1/namespaces/default/pods/gone", gracePeriodSeconds=0)
        time.sleep(4)
        assert running(local(a, "keep")) and cid(a, "keep") == keep
        assert running(local(a, "gone"))
        assert "kept until the API source has listed" in a.log()
        # the server is back: the list is believed
        kube_api.faults.clear()
        wait_for(lambda: local(a, "gone") is None, 40, interval=0.2,
                 what="the pod deleted meanwhile removed")
        assert running(local(a, "keep")) and cid(a, "keep") == keep
    finally:
        stop(a, kube_api)


def test_a_refused_api_pod_is_audited_and_not_run(testbuild_dir,
                                                  busybox_image, kube_api):
    a = start(testbuild_dir, busybox_image, kube_api)
    try:
        bad = api_pod("bad")
        bad["spec"]["imagePullSecrets"] = [{"name": "s"}]
        kube_api.put("pods", bad)
        kube_api.put("pods", api_pod("good"))
        wait_running(a, "good")

        def rejected():
            return [r for r in a.audit_records()
                    if r["action"] == "manifest.reject" and
                    r["details"].get("file") == "api:default/bad"]
        recs = wait_for(rejected, 20, what="the refusal audited")
        assert recs[0]["details"]["field"] == "spec.imagePullSecrets"
        assert local(a, "bad") is None
        # a relist sees it again: refused once per version
        kube_api.expire_watches()
        kube_api.put("pods", api_pod("after"))
        wait_running(a, "after")
        assert len(rejected()) == 1
    finally:
        stop(a, kube_api)


def test_a_refused_api_pod_is_reported_failed(testbuild_dir, busybox_image,
                                              kube_api):
    """The kubelet's admission rejection: phase Failed, a reason, a
    message naming the field; once for the version; the others run."""
    a = start(testbuild_dir, busybox_image, kube_api)
    try:
        bad = api_pod("bad")
        bad["spec"]["imagePullSecrets"] = [{"name": "s"}]
        kube_api.put("pods", bad)
        kube_api.put("pods", api_pod("good"))
        wait_running(a, "good")

        def failed():
            p = kube_api.get("pods", "default", "bad")
            st = (p or {}).get("status", {})
            return st if st.get("phase") == "Failed" else None
        st = wait_for(failed, 20, what="the refused pod Failed")
        assert st["reason"] == "UnsupportedPodSpec", st
        assert st["message"].startswith(
            "Pod was rejected: spec.imagePullSecrets: "), st
        assert local(a, "bad") is None
        assert "containerStatuses" not in st, st
        # a relist sees it again: no second report, the others run
        rv = kube_api.get("pods", "default", "bad")["metadata"][
            "resourceVersion"]
        kube_api.expire_watches()
        kube_api.put("pods", api_pod("after"))
        wait_running(a, "after")
        time.sleep(1)
        assert kube_api.get("pods", "default", "bad")["metadata"][
            "resourceVersion"] == rv
        assert local(a, "bad") is None
    finally:
        stop(a, kube_api)
