"""API mode end to end (issue 12, item 6): agentd joins the test API
server (tests/apiserver/) as node testnode, with real containers and the
real kubectl as the cluster's client.

agentd's config says `kubeconfig: PATH` (harness.ApiAgentd); the watcher
lists and watches the node's pods (fieldSelector spec.nodeName) and runs
them beside the static pods, the reporter registers the Node, renews the
Lease kube-node-lease/testnode every 10 s, PATCHes pods/status, creates
mirror pods for static pods, and deletes a pod being deleted once it has
stopped (gracePeriodSeconds=0, uid precondition).  The faults are the
test server's hooks (kubeapi.py): dropped watches, a chunk cut in half,
410 in the stream and as a status, 500 and 429 with Retry-After, the
server stopped for a minute.
"""
import glob
import json
import os
import re
import statistics
import time

import pytest

import harness

from harness import (ApiAgentd, api_pod, local_container_ids, manifest,
                     proc_status, runtime_ids, start_api_agentd, wait_for)

NODE = "testnode"
PODS = "/api/v1/namespaces/default/pods"
LEASE = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/" \
    + NODE
MIRROR = "kubernetes.io/config.mirror"
SLEEP = "exec sleep 1000"       # ignores SIGTERM as PID 1: grace 1 ends it


# ---- helpers ----

@pytest.fixture
def api_agentd(testbuild_dir, busybox_image, kube_api, kubectl_bin):
    a = start_api_agentd(testbuild_dir, busybox_image, kube_api)
    yield a
    a.cleanup()


def create(a, pod):
    r = a.admin().post(f"/api/v1/namespaces/{pod['metadata']['namespace']}"
                       "/pods", pod)
    assert r.code == 201, r
    return r.json()


def delete(a, name, **params):
    r = a.admin().delete(f"{PODS}/{name}", **params)
    assert r.code in (200, 202), r
    return r.json()


def phase(p):
    return p and p.get("status", {}).get("phase")


def cstat(p, name="c"):
    for c in (p or {}).get("status", {}).get("containerStatuses") or []:
        if c["name"] == name:
            return c
    return None


def is_running(p):
    """Running, and every container (kubectl run names its one after the
    pod) running."""
    cs = (p or {}).get("status", {}).get("containerStatuses") or []
    return phase(p) == "Running" and bool(cs) and \
        all("running" in c.get("state", {}) for c in cs)


def wait_api(a, name, pred, timeout=30, what=None):
    """The server's object of pod NAME once PRED holds for it."""
    def ok():
        p = a.api_pod(name)
        return p if p is not None and pred(p) else False
    return wait_for(ok, timeout, interval=0.2,
                    what=what or f"pod {name} in the API server")


def wait_kubectl(a, name, pred, timeout=30, what=None):
    def ok():
        p = a.kubectl_pod(name)
        return p if p is not None and pred(p) else False
    return wait_for(ok, timeout, interval=0.5,
                    what=what or f"kubectl get pod {name}")


def api_names(a):
    """The node's API pods by name, mirror pods left out."""
    return sorted(p["metadata"]["name"] for p in a.api_pods()
                  if MIRROR not in p["metadata"].get("annotations", {}))


def local_names(a):
    return sorted(p["metadata"]["name"] for p in a.pods_json()["items"])


def converged(a):
    """agentd runs exactly the API's pods, each with one running container,
    the runtime has no other container, and the server has every pod
    Running: nothing lost, duplicated or orphaned."""
    names = api_names(a)
    local = local_names(a)
    if names != local:
        return False
    if any(not is_running(a.api_pod(n)) for n in names):
        return False
    ids = local_container_ids(a)
    return len(ids) == len(names) and ids == runtime_ids(a)


def wait_converged(a, timeout=60, what="agentd converged on the API's pods",
                   expect=None):
    """converged(), and with EXPECT the API's pods are those (a pod just
    deleted is still converged until the watcher has seen the deletion)."""
    def done():
        return (expect is None or api_names(a) == expect) and converged(a)
    try:
        wait_for(done, timeout, interval=0.5, what=what)
    except AssertionError as e:
        raise AssertionError(
            f"{e}\napi: {api_names(a)}\nlocal: {local_names(a)}\n"
            f"runtime: {runtime_ids(a)}\nlocal ids: "
            f"{local_container_ids(a)}\nlog tail:\n{a.log()[-8000:]}") \
            from None


def assert_alive(a):
    assert a.proc.poll() is None, "agentd exited:\n" + a.log()[-3000:]
    st = a.status()
    assert all(p["state"] == "running" for p in st["processes"]), st
    assert all(p["restarts"] == 0 for p in st["processes"]), st


def container_log(a, name):
    paths = glob.glob(os.path.join(a.logs, f"default_{name}_*", "c",
                                   "*.log"))
    return "".join(open(p, errors="replace").read() for p in paths)


def vmrss_kib(pid):
    return int(proc_status(pid)["VmRSS"].split()[0])


# ---- the demo ----

def test_demo_pending_until_agentd_runs_it(testbuild_dir, busybox_image,
                                           kube_api, kubectl_bin):
    """agentd stopped -> kubectl run a pod bound to the node: Pending; start
    agentd -> Running, with the phase, conditions and containerStatuses
    kubectl shows."""
    a = start_api_agentd(testbuild_dir, busybox_image, kube_api)
    try:
        a.stop()
        kube_api.kubectl(
            "run", "demo", "--image=busybox", "--restart=Never",
            "--image-pull-policy=Never", "--overrides", json.dumps(
                {"spec": {"nodeName": NODE,
                          "terminationGracePeriodSeconds": 1}}),
            "--command", "--", "sh", "-c", SLEEP)
        time.sleep(3)
        p = a.kubectl_pod("demo")
        assert phase(p) == "Pending"
        assert not p["status"].get("containerStatuses")
        out = kube_api.kubectl("get", "pods", "--no-headers").stdout.split()
        assert out[:3] == ["demo", "0/1", "Pending"]

        a.start()
        p = wait_kubectl(a, "demo", is_running, 60)
        st = p["status"]
        conds = {c["type"]: c["status"] for c in st["conditions"]}
        for t in ("PodReadyToStartContainers", "Initialized",
                  "ContainersReady", "Ready", "PodScheduled"):
            assert conds.get(t) == "True", conds
        c = cstat(p, "demo")
        assert c["ready"] is True and c["started"] is True
        assert c["restartCount"] == 0
        assert c["containerID"].split("://")[0] in ("runc", "crun")
        assert c["image"] and c["imageID"]
        assert "startedAt" in c["state"]["running"]
        assert st["startTime"] and st["hostIP"]
        assert st["qosClass"] == "BestEffort"
        # the same container agentd runs
        local = a.local_pod("demo")
        assert cstat(local, "demo")["containerID"] == c["containerID"]
        assert local_container_ids(a) == runtime_ids(a)
        out = kube_api.kubectl("get", "pods", "--no-headers", "-o",
                               "wide").stdout.split()
        assert out[:3] == ["demo", "1/1", "Running"] and NODE in out
        # the PATCHes were the node's, against the pod's uid
        patches = kube_api.requests_to("PATCH", f"{PODS}/demo/status$")
        assert patches and all(r.user == f"system:node:{NODE}"
                               for r in patches)
        assert all(r.headers.get("Content-Type") ==
                   "application/strategic-merge-patch+json" for r in patches)
        uid = p["metadata"]["uid"]
        assert all(r.json()["metadata"]["uid"] == uid for r in patches)
    finally:
        a.cleanup()


# ---- deletion ----

def test_kubectl_delete_sigterm_within_grace_then_gone(api_agentd):
    a = api_agentd
    create(a, api_pod("gt", "trap 'echo got-term; exit 0' TERM; "
                      "while true; do sleep 0.1; done", grace=20))
    p = wait_api(a, "gt", is_running)
    uid = p["metadata"]["uid"]
    cid = cstat(p)["containerID"].split("://", 1)[1]
    assert cid in runtime_ids(a)
    t0 = time.monotonic()
    # kubectl delete waits for the object to go (--wait is the default)
    a.api.kubectl("delete", "pod", "gt", timeout=60)
    took = time.monotonic() - t0
    # SIGTERM ended it: far below the 20 s grace period
    assert took < 10, f"deletion took {took:.1f}s"
    assert a.kubectl_pod("gt") is None
    assert a.local_pod("gt") is None
    assert cid not in runtime_ids(a)
    assert "got-term" in container_log(a, "gt")
    # the kubelet's final DELETE: grace 0 and the uid as precondition
    dels = [r for r in a.api.requests_to("DELETE", f"{PODS}/gt$")
            if r.user == f"system:node:{NODE}"]
    assert dels, "agentd sent no DELETE"
    body = dels[-1].json() or {}
    grace = body.get("gracePeriodSeconds",
                     dels[-1].query.get("gracePeriodSeconds", [None])[0])
    assert str(grace) == "0"
    assert body.get("preconditions", {}).get("uid") == uid
    acts = [(r["action"], r["phase"]) for r in a.audit_records()
            if r.get("pod", {}).get("name") == "gt"]
    assert ("container.stop", "intent") in acts
    assert ("container.kill", "intent") not in acts


def test_delete_grace_is_the_smaller_of_pod_and_deletion(api_agentd):
    """A container that ignores SIGTERM is killed after the deletion's grace
    period (2 s) when the pod's own is longer (30 s), and the pod goes."""
    a = api_agentd
    create(a, api_pod("gs", "trap '' TERM; while true; do sleep 0.1; done",
                      grace=30))
    wait_api(a, "gs", is_running)
    t0 = time.monotonic()
    a.api.kubectl("delete", "pod", "gs", "--grace-period=2", timeout=60)
    took = time.monotonic() - t0
    assert 2 <= took < 15, f"deletion took {took:.1f}s"
    assert a.local_pod("gs") is None and runtime_ids(a) == []
    acts = [(r["action"], r["phase"]) for r in a.audit_records()
            if r.get("pod", {}).get("name") == "gs"]
    assert ("container.kill", "intent") in acts


# ---- restarts ----

def test_restart_count_visible_through_kubectl(api_agentd):
    a = api_agentd
    create(a, api_pod("crash", "sleep 1; exit 3"))
    p = wait_kubectl(a, "crash", lambda p: (cstat(p) or {}).get(
        "restartCount", 0) >= 2, 90, "restartCount >= 2")
    c = cstat(p)
    assert c["lastState"]["terminated"]["exitCode"] == 3
    assert c["lastState"]["terminated"]["reason"] == "Error"
    out = a.api.kubectl("get", "pod", "crash", "--no-headers").stdout.split()
    assert int(out[3]) >= 2          # the RESTARTS column


# ---- no network ----

def node_ready(a):
    r = a.api.kubectl("get", "node", NODE, "-o", "json", check=False)
    if r.returncode != 0:
        return None
    for c in json.loads(r.stdout)["status"].get("conditions", []):
        if c["type"] == "Ready":
            return c
    return None


def test_no_cni_configuration_node_not_ready_pod_waits(
        testbuild_dir, busybox_image, kube_api, kubectl_bin, tmp_path):
    """As the kubelet: without a CNI configuration the node is NotReady
    with "network plugin not ready: no CNI configuration" and a pod that
    needs a network waits in ContainerCreating; a configuration appearing
    makes the node Ready and the pod run."""
    cni = str(tmp_path / "net.d")
    os.makedirs(cni)
    a = start_api_agentd(testbuild_dir, busybox_image, kube_api,
                         extra_config={"cniConfDir": cni})
    try:
        c = wait_for(lambda: (node_ready(a) or {}).get("status") == "False"
                     and node_ready(a), 30, what="the node NotReady")
        assert "network plugin not ready: no CNI configuration" in \
            c["message"], c
        create(a, api_pod("nonet", SLEEP))
        p = wait_kubectl(a, "nonet", lambda p: "network plugin not ready" in
                         ((cstat(p) or {}).get("state", {}).get("waiting")
                          or {}).get("message", ""), 30,
                         "the pod waiting for the network")
        w = cstat(p)["state"]["waiting"]
        assert w["reason"] == "ContainerCreating", w
        assert phase(p) == "Pending"
        assert runtime_ids(a) == []
        harness.write_loopback_network(cni)
        wait_for(lambda: (node_ready(a) or {}).get("status") == "True", 30,
                 what="the node Ready once a network is there")
        wait_kubectl(a, "nonet", is_running, 60)
    finally:
        a.cleanup()


# ---- Node and Lease ----

def test_kubectl_get_nodes_shows_node_ready_with_node_info(api_agentd):
    a = api_agentd
    out = wait_for(lambda: a.api.kubectl(
        "get", "nodes", "--no-headers", check=False).stdout.split(), 30,
        what="the Node registered")
    assert out[:2] == [NODE, "Ready"]
    n = json.loads(a.api.kubectl("get", "node", NODE, "-o", "json").stdout)
    info = n["status"]["nodeInfo"]
    assert info["kernelVersion"] == os.uname().release
    assert info["operatingSystem"] == "linux"
    assert info["architecture"] in ("amd64", "arm64")
    assert info["osImage"]
    assert re.match(r"^(runc|crun)://", info["containerRuntimeVersion"])
    assert info["kubeletVersion"]
    types = {ad["type"] for ad in n["status"]["addresses"]}
    assert {"InternalIP", "Hostname"} <= types
    assert n["status"]["capacity"]["pods"] == "110"
    assert n["status"]["allocatable"]["pods"] == "110"
    for k in ("cpu", "memory", "ephemeral-storage"):
        assert n["status"]["capacity"][k]
    conds = {c["type"]: c["status"] for c in n["status"]["conditions"]}
    assert conds == {"Ready": "True", "MemoryPressure": "False",
                     "DiskPressure": "False", "PIDPressure": "False"}
    assert n["status"]["daemonEndpoints"]["kubeletEndpoint"]["Port"] >= 0
    wide = a.api.kubectl("get", "nodes", "-o", "wide").stdout
    assert info["kernelVersion"] in wide


def lease_writes(api):
    return [r for r in api.requests_to(None, LEASE + "$")
            if r.method in ("PUT", "PATCH") and r.code == 200]


def test_lease_renewed_every_10s(api_agentd):
    a = api_agentd
    wait_for(lambda: a.api.get("leases", "kube-node-lease", NODE), 30,
             what="the Lease created")
    out = a.api.kubectl("get", "lease", "-n", "kube-node-lease",
                        "--no-headers").stdout.split()
    assert out[:2] == [NODE, NODE]          # NAME HOLDER
    seen = []
    t0 = time.monotonic()
    while time.monotonic() - t0 < 36:
        le = json.loads(a.api.kubectl("get", "lease", "-n",
                                      "kube-node-lease", NODE, "-o",
                                      "json").stdout)
        if not seen or seen[-1] != le["spec"]["renewTime"]:
            seen.append(le["spec"]["renewTime"])
        time.sleep(1)
    assert len(seen) >= 3, seen             # renewed at least twice
    spec = le["spec"]
    assert spec["holderIdentity"] == NODE
    assert spec["leaseDurationSeconds"] == 40
    owners = le["metadata"]["ownerReferences"]
    assert owners[0]["kind"] == "Node" and owners[0]["name"] == NODE
    times = [r.time for r in lease_writes(a.api)]
    gaps = [b - x for x, b in zip(times, times[1:])]
    assert len(gaps) >= 2, gaps
    assert 8 <= statistics.median(gaps) <= 12, gaps
    assert max(gaps) < 15, gaps


# ---- faults on the watch ----

def drop(api):
    api.drop_watches("pods")


def midchunk(api):
    api.close_mid_chunk("pods")


def expired_in_stream(api):
    api.expire_watches("pods")


def compacted(api):
    # the resumed watch's resourceVersion is too old: an ERROR event (410)
    api.compact()
    api.end_watches("pods")


def gone_status(api):
    # the same as an HTTP 410 (expired_in_stream False)
    api.expired_in_stream = False
    api.compact()
    api.end_watches("pods")


def error_500(api):
    api.fail_next(500, "GET", r"^/api/v1/pods$", count=2)
    api.drop_watches("pods")


def error_429(api):
    api.fail_next(429, "GET", r"^/api/v1/pods$", count=1, retry_after=2)
    api.drop_watches("pods")


FAULTS = {"drop": drop, "midchunk": midchunk,
          "expired-in-stream": expired_in_stream, "compacted": compacted,
          "gone-status": gone_status, "500": error_500, "429": error_429}
REPEATS = 5


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_watch_fault_repeated_converges(api_agentd, fault):
    """Each repetition: the fault, then while the watcher recovers one pod
    is created and an older one deleted; afterwards agentd runs exactly
    the API's pods, each once, with no container left over, and no
    process crashed."""
    a = api_agentd
    for i in range(2):
        create(a, api_pod(f"f{i}", SLEEP))
    wait_converged(a)
    for i in range(2, 2 + REPEATS):
        t_fault = time.time()
        FAULTS[fault](a.api)
        create(a, api_pod(f"f{i}", SLEEP))
        delete(a, f"f{i - 2}")
        wait_converged(a, what=f"converged after {fault} #{i - 1}",
                       expect=[f"f{i - 1}", f"f{i}"])
        if fault == "429":
            # the watcher waited Retry-After (2 s) before asking again
            gets = [r for r in a.api.requests_to("GET", r"^/api/v1/pods$")
                    if r.time >= t_fault and r.user == f"system:node:{NODE}"]
            i429 = [k for k, r in enumerate(gets) if r.code == 429]
            assert i429, "no request was answered 429"
            k = i429[0]
            assert k + 1 < len(gets)
            assert gets[k + 1].time - gets[k].time >= 1.9
    for n in api_names(a):
        assert cstat(a.api_pod(n))["restartCount"] == 0
    assert_alive(a)
    if fault == "500":
        # backoff: not a request per millisecond after a 500
        gets = [r for r in a.api.requests_to("GET", r"^/api/v1/pods$")
                if r.user == f"system:node:{NODE}"]
        assert len(gets) < 20 * REPEATS, len(gets)


def watch_gets(api, since):
    return [r for r in api.requests_to("GET", r"^/api/v1/pods$")
            if r.time >= since and "watch" in r.query]


def test_watch_dropped_after_a_healthy_watch_reconnects_at_once(
        api_agentd):
    """A watch that ran normally for a while and is then dropped is watched
    again at once (client-go's reflector: the stream closed, a new watch
    from the last resourceVersion; backoff is for failures), every time,
    not after a backoff that kept growing across healthy watches."""
    a = api_agentd
    create(a, api_pod("h0", SLEEP))
    wait_converged(a)
    delays = []
    for i in range(4):
        time.sleep(12)                  # a healthy watch
        t = time.time()
        assert a.api.drop_watches("pods") >= 1
        wait_for(lambda: watch_gets(a.api, t), 70, interval=0.1,
                 what=f"a new watch after drop #{i}")
        delays.append(watch_gets(a.api, t)[0].time - t)
    # 800 ms and its jitter at most, each time
    assert max(delays) < 2.5, [f"{d:.1f}s" for d in delays]
    assert_alive(a)


def test_watch_garbage_and_oversized_line_recover(api_agentd):
    """Bytes that are no JSON event, and a line past the watcher's bound,
    end that watch; the watcher relists, nothing crashes."""
    a = api_agentd
    create(a, api_pod("g0", SLEEP))
    wait_converged(a)
    for i, junk in enumerate((b"this is not json\n",
                              b"{\"type\":\"MODIFIED\",\"object\":" +
                              b"x" * (3 * 1024 * 1024) + b"}\n")):
        a.api.send_raw(junk, "pods")
        create(a, api_pod(f"g{i + 1}", SLEEP))
        wait_converged(a, what=f"converged after junk #{i}")
    assert api_names(a) == ["g0", "g1", "g2"]
    assert_alive(a)


# ---- the API server away ----

def test_api_server_down_a_minute_pods_untouched_status_catches_up(
        api_agentd):
    a = api_agentd
    create(a, api_pod("keep", SLEEP))
    create(a, api_pod("ends", "sleep 15; exit 4", restart="Never"))
    wait_api(a, "keep", is_running)
    wait_api(a, "ends", is_running)
    keep_cid = cstat(a.api_pod("keep"))["containerID"]
    a.api.stop()
    t_down = time.monotonic()
    time.sleep(60)
    # agentd kept the pods: the same container, and the ended one ended
    assert cstat(a.local_pod("keep"))["containerID"] == keep_cid
    assert "running" in cstat(a.local_pod("keep"))["state"]
    assert "terminated" in cstat(a.local_pod("ends"))["state"]
    assert_alive(a)
    n_lease = len(lease_writes(a.api))
    a.api.start()
    t_up = time.time()
    p = wait_api(a, "ends", lambda p: phase(p) == "Failed", 60,
                 "the ended pod's status after reconnect")
    assert cstat(p)["state"]["terminated"]["exitCode"] == 4
    p = a.api_pod("keep")
    assert is_running(p) and cstat(p)["containerID"] == keep_cid
    assert cstat(p)["restartCount"] == 0
    # the Lease is renewed at once on reconnect, not at the next tick
    wait_for(lambda: len(lease_writes(a.api)) > n_lease, 15,
             what="the Lease renewed after reconnect")
    first = [r for r in lease_writes(a.api) if r.time >= t_up][0]
    # (within one renewal interval of the server's return)
    assert first.time - t_up < 12, first.time - t_up
    assert time.monotonic() - t_down > 60
    n = json.loads(a.api.kubectl("get", "node", NODE, "-o", "json").stdout)
    assert {c["type"]: c["status"] for c in
            n["status"]["conditions"]}["Ready"] == "True"
    # the watch works again
    create(a, api_pod("after", SLEEP))
    wait_api(a, "after", is_running)
    assert_alive(a)


def test_api_server_down_40s_then_new_and_deleted_pods(api_agentd):
    """A pod created and one deleted while agentd could not reach the
    server are both seen after it comes back."""
    a = api_agentd
    create(a, api_pod("old", SLEEP))
    wait_converged(a)
    a.api.stop()
    time.sleep(40)
    a.api.start()
    # between the restart and agentd's reconnect (backoff up to 30 s)
    create(a, api_pod("new", SLEEP))
    delete(a, "old")
    wait_converged(a, 90, "converged after the outage", expect=["new"])
    assert_alive(a)


# ---- policy ----

def test_pod_denied_by_node_policy_reported_failed(api_agentd):
    a = api_agentd
    create(a, api_pod("hn", SLEEP, spec={"hostNetwork": True}))
    p = wait_kubectl(a, "hn", lambda p: phase(p) == "Failed", 30)
    assert p["status"]["reason"] == "NodePolicyDenied"
    assert "hostNetwork" in p["status"]["message"]
    assert runtime_ids(a) == []
    out = a.api.kubectl("get", "pod", "hn", "--no-headers").stdout.split()
    assert out[2] == "NodePolicyDenied"     # STATUS shows the reason


# ---- credentials ----

def test_client_certificate_and_token_auth(testbuild_dir, busybox_image,
                                           kube_api, kubectl_bin):
    """The node's client certificate (files, then embedded -data) and its
    bearer token each let agentd run a pod as system:node:testnode."""
    forms = [("cert", {}), ("cert-data", {"embed": True}),
             ("token", {"use_token": True})]
    for i, (form, kw) in enumerate(forms):
        kc = kube_api.node_kubeconfig(
            NODE, path=os.path.join(kube_api.workdir, f"kc-{form}"), **kw)
        a = start_api_agentd(testbuild_dir, busybox_image, kube_api,
                             kubeconfig=kc)
        try:
            t0 = time.time()
            create(a, api_pod(f"auth{i}", SLEEP))
            wait_api(a, f"auth{i}", is_running, 60, f"pod with {form}")
            # every request but the test's own was the node's
            users = {r.user for r in kube_api.requests
                     if r.time >= t0 and r.user != "admin"}
            assert users == {f"system:node:{NODE}"}, (form, users)
            if form == "token":
                assert any(r.headers.get("Authorization", "").startswith(
                    "Bearer ") for r in kube_api.requests if r.time >= t0)
        finally:
            a.cleanup()


def bad_credentials(kube_api, kind):
    path = os.path.join(kube_api.workdir, "node.kubeconfig")
    if kind == "wrong-token":
        return kube_api.kubeconfig(path, "node-" + NODE, token="wrong")
    return kube_api.node_kubeconfig(NODE, path=path, expired=True)


def scrub(text, kube_api):
    """TEXT without the test's own paths, which name the fault (the test's
    directory, the expired certificate's files)"""
    for f in kube_api.node_cert(NODE, expired=True):
        text = text.replace(f, "FILE")
    for d in (os.path.dirname(kube_api.workdir),
              os.path.dirname(kube_api.ca_path)):
        text = text.replace(d, "TMP")
    return text


@pytest.mark.parametrize("kind", ["wrong-token", "expired-cert"])
def test_bad_credentials_one_clear_line_backoff_no_crash(
        testbuild_dir, busybox_image, kube_api, kubectl_bin, kind):
    kc = bad_credentials(kube_api, kind)
    a = ApiAgentd(testbuild_dir, kube_api, kubeconfig=kc)
    try:
        t0 = time.time()
        time.sleep(25)
        assert_alive(a)
        # the test's own paths name the fault: not what agentd says
        log = scrub(a.log(), kube_api)
        why = r"401|[Uu]nauthori[sz]ed" if kind == "wrong-token" else \
            r"[Cc]ertificate.*(expired|refused|rejected)|handshake|alert"
        lines = [ln for ln in log.splitlines() if re.search(why, ln)]
        assert lines, "no log line says why the API server refused"
        hits = [r for r in kube_api.requests if r.time >= t0]
        if kind == "wrong-token":
            # the server saw the requests: backoff, not a tight loop (the
            # watcher and the reporter: two clients, 800 ms doubling)
            assert hits and all(r.code == 401 for r in hits), hits
            assert len(hits) <= 30, len(hits)
            # one line per refusal at most
            assert len(lines) <= len(hits) + 2, lines
        else:
            # refused in the handshake: never a request
            assert hits == []
            assert len(lines) <= 40, lines
        audit = scrub(json.dumps(a.audit_records()), kube_api)
        assert re.search(r"401|[Uu]nauthori[sz]ed|certificate|expired",
                         audit), "the refusal was not audited"
    finally:
        a.cleanup()


# ---- static pods ----

def test_static_pod_gets_a_mirror_pod(api_agentd):
    a = api_agentd
    a.write_manifest("web.yaml", manifest("web", SLEEP))
    name = f"web-{NODE}"
    p = wait_kubectl(a, name, is_running, 60, "the mirror pod Running")
    ann = p["metadata"]["annotations"]
    assert MIRROR in ann
    owner = p["metadata"]["ownerReferences"][0]
    assert owner["kind"] == "Node" and owner["name"] == NODE
    assert p["spec"]["nodeName"] == NODE
    assert cstat(p)["containerID"] == \
        cstat(a.local_pod(name))["containerID"]
    # the watcher runs the static pod once: the mirror is no API pod
    assert len(runtime_ids(a)) == 1
    a.remove_manifest("web.yaml")
    wait_for(lambda: a.api_pod(name) is None, 30,
             what="the mirror pod deleted")
    assert runtime_ids(a) == []


# ---- the watcher's memory ----

def test_watcher_memory_flat_over_10000_watch_events(api_agentd):
    """10 000 MODIFIED events (label changes of 4 running pods): the
    watcher's VmRSS stays within a small bound, and no container is
    restarted for a label."""
    a = api_agentd
    names = [f"m{i}" for i in range(4)]
    for n in names:
        create(a, api_pod(n, SLEEP))
    wait_converged(a)
    ids = local_container_ids(a)
    wpid = a.pid("watcher")
    from kubeapi import User, _res      # in-process: no HTTP per event
    admin = User("admin", ["system:masters"])
    res = _res("pods")

    def relabel(count, start):
        for k in range(start, start + count):
            body = json.dumps({"metadata": {"labels": {
                "gen": str(k)}}}).encode()
            code, out, _ = a.api.call(
                "PATCH", res, "default", names[k % len(names)], None, body,
                {}, admin, ctype="application/merge-patch+json")
            assert code == 200, out
            if k % 50 == 49:
                time.sleep(0.05)    # stay inside the watch history window

    def settled():
        # the watcher has caught up: its RSS changes no more
        time.sleep(3)
        return vmrss_kib(wpid)

    relabel(2000, 0)                # warm-up: allocator pools, caches
    before = settled()
    relabel(10000, 2000)
    after = settled()
    assert a.pid("watcher") == wpid
    assert after - before <= 1024, f"VmRSS {before} -> {after} KiB"
    assert local_container_ids(a) == ids
    assert_alive(a)
