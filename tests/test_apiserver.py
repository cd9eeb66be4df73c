"""The test API server (tests/apiserver/) checked against a real client,
kubectl, and against the framing of responses captured from a real
kube-apiserver (tests/fixtures/k8s/client-go-dynamic-testdata/), and its
watch, delete and authorization semantics with raw HTTP."""
import gzip
import http.client
import json
import os
import socket
import ssl
import subprocess
import threading
import time

import pytest

import kubepatch
from kubepki import CertAuthority

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "fixtures", "k8s")
GOLDEN = os.path.join(FIXTURES, "client-go-dynamic-testdata",
                      "TestGoldenResponse", "responses")
PODS = "/api/v1/namespaces/default/pods"
LEASES = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"


def pod(name, node=None, grace=None, labels=None, containers=("c",)):
    p = {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": name, "labels": labels or {}},
         "spec": {"containers": [{"name": c, "image": "busybox:1.36"}
                                 for c in containers]}}
    if node:
        p["spec"]["nodeName"] = node
    if grace is not None:
        p["spec"]["terminationGracePeriodSeconds"] = grace
    return p


def node(name):
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name,
                         "labels": {"kubernetes.io/hostname": name}},
            "status": {
                "conditions": [{"type": "Ready", "status": "True",
                                "reason": "KubeletReady",
                                "message": "agentd is posting ready status",
                                "lastHeartbeatTime": "2026-01-01T00:00:00Z",
                                "lastTransitionTime":
                                    "2026-01-01T00:00:00Z"}],
                "addresses": [{"type": "InternalIP", "address": "10.0.0.7"},
                              {"type": "Hostname", "address": name}],
                "nodeInfo": {"kubeletVersion": "agentd-test",
                             "osImage": "Debian GNU/Linux 12 (bookworm)",
                             "kernelVersion": "6.1.0",
                             "containerRuntimeVersion": "runc://1.1.5"}}}


def created(resp):
    assert resp.code == 201, resp
    return resp.json()


def read_golden(name):
    with open(os.path.join(GOLDEN, name), "rb") as f:
        return f.read()


def split_http(raw):
    head, body = raw.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    return lines[0], [ln.split(":", 1)[0] for ln in lines[1:]], body


def dechunk(body):
    chunks = []
    while True:
        size, body = body.split(b"\r\n", 1)
        n = int(size, 16)
        if n == 0:
            return chunks
        chunks.append(body[:n])
        assert body[n:n + 2] == b"\r\n"
        body = body[n + 2:]


# --- kubectl ---------------------------------------------------------------

def test_kubectl_discovery_and_version(kube_api, kubectl_bin):
    v = json.loads(kube_api.kubectl("version", "-o", "json").stdout)
    assert v["serverVersion"]["minor"] == "32"
    out = kube_api.kubectl("api-resources", "--no-headers").stdout
    names = {ln.split()[0] for ln in out.splitlines()}
    assert {"pods", "nodes", "namespaces", "events", "leases"} <= names


def test_kubectl_run_get_delete_unscheduled_pod(kube_api, kubectl_bin):
    kube_api.kubectl("run", "web", "--image=busybox", "--restart=Never")
    out = kube_api.kubectl("get", "pods", "--no-headers").stdout.split()
    assert out[:3] == ["web", "0/1", "Pending"]
    p = json.loads(kube_api.kubectl("get", "pod", "web", "-o",
                                    "json").stdout)
    assert p["status"] == {"phase": "Pending", "qosClass": "BestEffort"}
    assert p["spec"]["containers"][0]["imagePullPolicy"] == "Always"
    # an unscheduled pod goes at once (CheckGracefulDelete: no node)
    r = kube_api.kubectl("delete", "pod", "web", timeout=20)
    assert 'pod "web" deleted' in r.stdout
    assert kube_api.get("pods", "default", "web") is None


def test_kubectl_delete_waits_for_the_node(kube_api, kubectl_bin):
    kube_api.kubectl("run", "job", "--image=busybox", "--restart=Never",
                     "--overrides", '{"spec":{"nodeName":"n1"}}')
    kubelet = kube_api.client(node="n1")
    env = dict(os.environ, HOME=kube_api.workdir)
    kc = kube_api.admin_kubeconfig()
    proc = subprocess.Popen([kubectl_bin, "--kubeconfig", kc, "--cache-dir",
                             os.path.join(kube_api.workdir, "kc"), "delete",
                             "pod", "job", "--timeout=20s"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.time() + 10
        while time.time() < deadline:
            p = kube_api.get("pods", "default", "job")
            if p["metadata"].get("deletionTimestamp"):
                break
            time.sleep(0.05)
        m = p["metadata"]
        assert m["deletionGracePeriodSeconds"] == 30
        time.sleep(0.3)
        assert proc.poll() is None, "kubectl did not wait for the node"
        out = kube_api.kubectl("get", "pods", "--no-headers").stdout.split()
        assert out[2] == "Terminating"
        # what the kubelet's status manager sends once the pod is stopped
        r = kubelet.delete(f"{PODS}/job", {"gracePeriodSeconds": 0,
                                           "preconditions":
                                           {"uid": m["uid"]}})
        assert r.code == 200, r
        stdout, stderr = proc.communicate(timeout=15)
        assert proc.returncode == 0, stderr
        assert 'pod "job" deleted' in stdout
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_kubectl_get_nodes_and_leases(kube_api, kubectl_bin):
    kubelet = kube_api.client(node="n1")
    created(kubelet.post("/api/v1/nodes", node("n1")))
    created(kubelet.post(LEASES, {
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": "n1"},
        "spec": {"holderIdentity": "n1", "leaseDurationSeconds": 40}}))
    out = kube_api.kubectl("get", "nodes", "--no-headers").stdout.split()
    assert out[:5] == ["n1", "Ready", "<none>", out[3], "agentd-test"]
    wide = kube_api.kubectl("get", "nodes", "-o", "wide").stdout
    assert "10.0.0.7" in wide and "runc://1.1.5" in wide
    out = kube_api.kubectl("get", "lease", "-n", "kube-node-lease",
                           "--no-headers").stdout.split()
    assert out[:2] == ["n1", "n1"]
    # the node's own kubeconfig (client certificate) sees its Node only
    nk = kube_api.node_kubeconfig("n1")
    assert "n1" in kube_api.kubectl("get", "node", "n1",
                                    kubeconfig=nk).stdout
    r = kube_api.kubectl("get", "node", "n2", kubeconfig=nk, check=False)
    assert r.returncode != 0 and "Forbidden" in r.stderr


def test_kubectl_shows_status_the_node_patched(kube_api, kubectl_bin):
    kube_api.kubectl("run", "app", "--image=busybox:1.36",
                     "--restart=Never", "--overrides",
                     '{"spec":{"nodeName":"n1"}}')
    kubelet = kube_api.client(node="n1", )
    uid = kube_api.get("pods", "default", "app")["metadata"]["uid"]
    r = kubelet.patch(f"{PODS}/app/status", {
        "metadata": {"uid": uid},
        "status": {"phase": "Running", "podIP": "10.88.0.5",
                   "conditions": [{"type": "Ready", "status": "True"}],
                   "containerStatuses": [{
                       "name": "app", "ready": True, "restartCount": 2,
                       "image": "busybox:1.36", "imageID": "",
                       "state": {"running": {
                           "startedAt": "2026-01-01T00:00:00Z"}},
                       "lastState": {}}]}})
    assert r.code == 200, r
    out = kube_api.kubectl("get", "pods", "-o", "wide",
                           "--no-headers").stdout.split()
    assert out[:5] == ["app", "1/1", "Running", "2", out[4]]
    assert "10.88.0.5" in out and "n1" in out
    p = json.loads(kube_api.kubectl("get", "pod", "app", "-o",
                                    "json").stdout)
    assert p["status"]["containerStatuses"][0]["restartCount"] == 2


def test_kubectl_get_watch_shows_the_pod_start(kube_api, kubectl_bin):
    """The demo's view: kubectl get pods -w (Table watch events) shows a
    bound pod go from Pending to Running when its node reports it."""
    kube_api.kubectl("run", "demo", "--image=busybox", "--restart=Never",
                     "--overrides", '{"spec":{"nodeName":"n1"}}')
    env = dict(os.environ, HOME=kube_api.workdir)
    proc = subprocess.Popen([kubectl_bin, "--kubeconfig",
                             kube_api.admin_kubeconfig(), "--cache-dir",
                             os.path.join(kube_api.workdir, "kc"), "get",
                             "pods", "-w"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    killer = threading.Timer(20, proc.kill)     # readline never hangs
    killer.start()
    try:
        assert proc.stdout.readline().split()[:2] == ["NAME", "READY"]
        assert proc.stdout.readline().split()[:3] == \
            ["demo", "0/1", "Pending"]
        r = kube_api.client(node="n1").patch(f"{PODS}/demo/status", {
            "status": {"phase": "Running", "containerStatuses": [{
                "name": "demo", "ready": True, "restartCount": 0,
                "state": {"running": {"startedAt":
                                      "2026-01-01T00:00:00Z"}}}]}})
        assert r.code == 200
        assert proc.stdout.readline().split()[:3] == \
            ["demo", "1/1", "Running"]
    finally:
        killer.cancel()
        proc.kill()
        proc.communicate()


def test_kubectl_bad_token_is_unauthorized(kube_api, kubectl_bin):
    kc = kube_api.kubeconfig(os.path.join(kube_api.workdir, "bad"),
                             token="not-a-token")
    r = kube_api.kubectl("get", "pods", kubeconfig=kc, check=False)
    assert r.returncode != 0
    # what kubectl 1.32 says to a real kube-apiserver's 401 too
    assert "You must be logged in to the server" in r.stderr


def test_kubectl_create_from_fixture_file(kube_api, kubectl_bin):
    f = os.path.join(FIXTURES, "hack-testdata", "pod.yaml")
    kube_api.kubectl("create", "-f", f)
    assert kube_api.get("pods", "default", "test-pod") is not None


# --- framing against the captured real responses ---------------------------

def test_list_framing_matches_real_server(kube_api):
    status, names, body = split_http(read_golden("list"))
    kube_api.put("pods", pod("a"))
    r = kube_api.client(admin=True).get(PODS)
    assert r.code == 200
    assert list(r.headers) == names
    real, ours = json.loads(body), r.json()
    assert list(ours) == list(real)     # kind, apiVersion, metadata, items
    assert set(ours["metadata"]) == {"resourceVersion"}
    # list items carry no kind/apiVersion, as on the real server
    assert "kind" not in ours["items"][0] and "kind" not in real["items"][0]
    assert r.body.endswith(b"}\n") and body.endswith(b"}\n")
    # one object: the same head, kind and apiVersion first
    status, names, body = split_http(read_golden("nonlist"))
    r = kube_api.client(admin=True).get(f"{PODS}/a")
    assert list(r.headers) == names
    assert list(r.json())[:3] == list(json.loads(body))[:3] == \
        ["kind", "apiVersion", "metadata"]
    assert r.body.endswith(b"}\n") and body.endswith(b"}\n")


def test_watch_framing_matches_real_server(kube_api):
    status, names, body = split_http(read_golden("events"))
    real = dechunk(body)
    c = kube_api.client(admin=True)
    rv = c.get(PODS).json()["metadata"]["resourceVersion"]
    w = c.watch(PODS, resourceVersion=rv, timeoutSeconds=1)
    kube_api.put("pods", pod("a"))
    kube_api.put("pods", pod("b"))
    assert w.code == 200
    assert [k for k, _ in w.headers] == names
    evs = w.until_end()
    assert [e["type"] for e in evs] == ["ADDED", "ADDED"]
    # one event per chunk, each a JSON line ending in a newline
    for chunks in (real, w.chunks):
        for ch in chunks:
            assert ch.endswith(b"\n") and ch.count(b"\n") == 1
            assert list(json.loads(ch)) == ["type", "object"]
    assert w.ended and not w.closed


def _replay(kube_api, name, path):
    """client-go's captured request NAME, on PATH instead of its custom
    resource, with the admin's token: the server reads its exact bytes."""
    with open(os.path.join(FIXTURES, "client-go-dynamic-testdata",
                           "TestGoldenRequest", name), "rb") as f:
        raw = f.read()
    raw = raw.replace(b"/apis/flops/v1alpha1/namespaces/mops/flips/mips/fin",
                      path.encode())
    raw = raw.replace(b"/apis/flops/v1alpha1/namespaces/mops/flips",
                      path.encode())
    raw = raw.replace(b"\r\nHost: example.com\r\n",
                      b"\r\nHost: example.com\r\nAuthorization: Bearer " +
                      kube_api.admin_token.encode() + b"\r\n")
    ctx = ssl.create_default_context(cafile=kube_api.ca_path)
    with socket.create_connection(("127.0.0.1", kube_api.port), 10) as s, \
            ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
        t.sendall(raw)
        data = b""
        while True:
            got = t.recv(65536)
            if not got:
                break
            data += got
            head, _, body = data.partition(b"\r\n\r\n")
            if b"Content-Length: " in head:
                n = int(head.split(b"Content-Length: ")[1].split(b"\r")[0])
                if len(body) >= n:
                    break
            elif b"\r\n\r\n" in data:
                break           # a watch: its head is enough
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), head.decode(), body


def test_client_go_golden_requests_are_understood(kube_api):
    p = kube_api.put("pods", pod("p", node="n1"))
    while kube_api.rv <= 42:
        kube_api.put("pods", pod(f"filler{kube_api.rv}"))
    code, head, body = _replay(kube_api, "list", PODS)
    assert code == 200 and json.loads(body)["kind"] == "PodList"
    code, head, body = _replay(kube_api, "patch", f"{PODS}/p/status")
    assert code == 200
    # {"foo":"bar"}: a field a Pod has not, dropped with a warning
    assert 'Warning: 299 - "unknown field \\"foo\\""' in head
    out = json.loads(body)
    assert "foo" not in out
    assert out["metadata"]["managedFields"][-1]["manager"] == "baz"
    code, head, body = _replay(kube_api, "delete", f"{PODS}/p")
    assert code == 200            # dryRun: All, nothing deleted
    assert kube_api.get("pods", "default", "p")["metadata"]["uid"] == \
        p["metadata"]["uid"]
    code, head, body = _replay(kube_api, "watch", PODS)
    assert code == 200 and "Transfer-Encoding: chunked" in head


def test_unknown_fields_strict_refused(kube_api):
    c = kube_api.client(admin=True)
    bad = pod("x")
    bad["bogus"] = 1
    r = c.post(PODS, bad, fieldValidation="Strict")
    assert r.code == 400
    assert r.json()["message"] == \
        'strict decoding error: unknown field "bogus"'
    r = c.post(PODS, bad, fieldValidation="Ignore")
    assert r.code == 201 and "Warning" not in r.headers
    assert "bogus" not in r.json()


def test_status_errors_are_real_status_objects(kube_api):
    with open(os.path.join(FIXTURES, "api-testdata",
                           "core.v1.Status.json")) as f:
        order = [k for k in json.load(f) if k != "metadata"]
    r = kube_api.client(admin=True).get(f"{PODS}/nope")
    assert r.code == 404
    assert r.json() == {"kind": "Status", "apiVersion": "v1",
                        "metadata": {}, "status": "Failure",
                        "message": 'pods "nope" not found',
                        "reason": "NotFound",
                        "details": {"name": "nope", "kind": "pods"},
                        "code": 404}
    assert [k for k in r.json() if k != "metadata"] == order
    r = kube_api.client().get(PODS)
    assert r.code == 401
    assert r.json() == {"kind": "Status", "apiVersion": "v1",
                        "metadata": {}, "status": "Failure",
                        "message": "Unauthorized", "reason": "Unauthorized",
                        "code": 401}
    r = kube_api.client(admin=True).get(PODS, fieldSelector="spec.bogus=1")
    assert (r.code, r.json()["reason"]) == (400, "BadRequest")
    assert r.json()["message"] == "field label not supported: spec.bogus"


def _api_fixture(name):
    with open(os.path.join(FIXTURES, "api-testdata", name)) as f:
        return json.load(f)


def test_full_fixture_objects_round_trip(kube_api):
    """Every field of k8s.io/api's Pod, Node and Lease test objects
    survives a create (and, for the pod, a status update), so that later
    tests can serve them to agentd's decoder."""
    c = kube_api.client(admin=True)
    full = _api_fixture("core.v1.Pod.json")
    full["metadata"] = {"name": "full", "namespace": "default",
                        "labels": full["metadata"]["labels"]}
    p = created(c.post(PODS, full))
    assert p["spec"]["volumes"] == full["spec"]["volumes"]
    assert p["spec"]["containers"] == full["spec"]["containers"]
    r = c.request("PUT", f"{PODS}/full/status", {
        "metadata": {"name": "full",
                     "resourceVersion": p["metadata"]["resourceVersion"]},
        "status": full["status"]})
    assert r.code == 200, r
    assert r.json()["status"] == full["status"]
    n = _api_fixture("core.v1.Node.json")
    n["metadata"] = {"name": "full-node"}
    out = created(c.post("/api/v1/nodes", n))
    assert (out["spec"], out["status"]) == (n["spec"], n["status"])
    lease = _api_fixture("coordination.k8s.io.v1.Lease.json")
    lease["metadata"] = {"name": "full-lease"}
    out = created(c.post(LEASES, lease))
    assert out["spec"] == lease["spec"]


# --- watch semantics ---------------------------------------------------------

def test_watch_replays_history_with_resource_versions(kube_api):
    c = kube_api.client(admin=True)
    rv0 = c.get(PODS).json()["metadata"]["resourceVersion"]
    a = kube_api.put("pods", pod("a", node="n1", grace=0))
    r = c.patch(f"{PODS}/a", {"metadata": {"labels": {"x": "1"}}})
    assert r.code == 200
    d = c.delete(f"{PODS}/a")
    assert d.code == 200
    w = c.watch(PODS, resourceVersion=rv0)
    evs = w.events(3)
    kube_api.end_watches()
    assert w.until_end() == []
    assert [e["type"] for e in evs] == ["ADDED", "MODIFIED", "DELETED"]
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in evs]
    assert rvs == sorted(rvs) and len(set(rvs)) == 3
    assert rvs[0] == int(a["metadata"]["resourceVersion"])
    assert evs[2]["object"]["metadata"]["labels"] == {"x": "1"}
    # resourceVersion="" starts with the current objects as ADDED
    kube_api.put("pods", pod("b"))
    w = c.watch(PODS)
    assert w.event()["object"]["metadata"]["name"] == "b"
    kube_api.end_watches()
    assert w.until_end() == []


def test_watch_field_selector_sees_pods_enter_and_leave(kube_api):
    c = kube_api.client(node="n1")
    admin = kube_api.client(admin=True)
    rv = c.get("/api/v1/pods", fieldSelector="spec.nodeName=n1").json()[
        "metadata"]["resourceVersion"]
    w = c.watch("/api/v1/pods", fieldSelector="spec.nodeName=n1",
                resourceVersion=rv)
    kube_api.put("pods", pod("other", node="n2"))
    kube_api.put("pods", pod("late"))
    r = admin.post(f"{PODS}/late/binding", {
        "apiVersion": "v1", "kind": "Binding",
        "metadata": {"name": "late"}, "target": {"kind": "Node",
                                                 "name": "n1"}})
    assert r.code == 201, r
    ev = w.event()
    assert (ev["type"], ev["object"]["metadata"]["name"]) == \
        ("ADDED", "late")
    assert ev["object"]["spec"]["nodeName"] == "n1"
    admin.delete(f"{PODS}/late", gracePeriodSeconds=0)
    ev = w.event()
    assert (ev["type"], ev["object"]["metadata"]["name"]) == \
        ("DELETED", "late")
    kube_api.put("pods", pod("other2", node="n2"))
    kube_api.end_watches()
    assert w.until_end() == []


def test_watch_bookmarks_only_when_allowed(kube_api):
    kube_api.bookmark_interval = 0.3
    c = kube_api.client(admin=True)
    rv = c.get(PODS).json()["metadata"]["resourceVersion"]
    w = c.watch(PODS, resourceVersion=rv, allowWatchBookmarks="true",
                timeoutSeconds=1)
    kube_api.put("pods", pod("a"))
    evs = w.until_end()
    bms = [e for e in evs if e["type"] == "BOOKMARK"]
    assert bms and evs[0]["type"] == "ADDED"
    last = bms[-1]["object"]
    assert last == {"kind": "Pod", "apiVersion": "v1",
                    "metadata": {"resourceVersion": str(kube_api.rv),
                                 "creationTimestamp": None},
                    "spec": {"containers": None}, "status": {}}
    w = c.watch(PODS, resourceVersion=rv, timeoutSeconds=1)
    assert [e["type"] for e in w.until_end()] == ["ADDED"]


def test_watch_ends_at_timeout_seconds(kube_api):
    c = kube_api.client(admin=True)
    t0 = time.time()
    w = c.watch(PODS, resourceVersion="1", timeoutSeconds=1)
    assert w.until_end(timeout=5) == []
    assert 0.9 <= time.time() - t0 < 3
    assert w.ended and not w.closed
    # none, or 0: between min_request_timeout and twice that
    kube_api.min_request_timeout = 1
    t0 = time.time()
    w = c.watch(PODS, resourceVersion="1", timeoutSeconds=0)
    assert w.until_end(timeout=5) == []
    assert 0.9 <= time.time() - t0 < 3


def test_watch_too_old_resource_version_is_410(kube_api, kube_pki,
                                               tmp_path):
    kube_api.set_history(3)
    c = kube_api.client(admin=True)
    old = c.get(PODS).json()["metadata"]["resourceVersion"]
    for i in range(5):
        kube_api.put("pods", pod(f"p{i}"))
    w = c.watch(PODS, resourceVersion=old)
    assert w.code == 200
    ev = w.event()
    assert ev["type"] == "ERROR"
    st = ev["object"]
    assert (st["kind"], st["status"], st["reason"], st["code"]) == \
        ("Status", "Failure", "Expired", 410)
    assert st["message"].startswith(f"too old resource version: {old} (")
    assert w.event() is None
    # the last RVs in the window are still served
    w = c.watch(PODS, resourceVersion=str(kube_api.rv - 1),
                timeoutSeconds=1)
    assert [e["type"] for e in w.until_end()] == ["ADDED"]
    # a compaction forgets everything before now
    rv = str(kube_api.rv - 1)
    kube_api.compact()
    assert c.watch(PODS, resourceVersion=rv).event()["type"] == "ERROR"
    # the other form: an HTTP 410 with the Status as the body
    kube_api.expired_in_stream = False
    r = c.get(PODS, watch="true", resourceVersion=old)
    assert r.code == 410 and r.json()["reason"] == "Expired"


def test_watch_chunks_split_inside_and_across_events(kube_api):
    c = kube_api.client(admin=True)
    rv = c.get(PODS).json()["metadata"]["resourceVersion"]
    kube_api.set_chunking(7)
    w = c.watch(PODS, resourceVersion=rv)
    kube_api.put("pods", pod("a"))
    kube_api.put("pods", pod("b"))
    kube_api.end_watches()
    assert [e["object"]["metadata"]["name"] for e in w.until_end()] == \
        ["a", "b"]
    assert max(len(ch) for ch in w.chunks) == 7
    kube_api.set_chunking("across")
    w = c.watch(PODS, resourceVersion=rv)
    evs = w.events(2)
    kube_api.end_watches()
    assert w.until_end() == []
    assert [e["object"]["metadata"]["name"] for e in evs] == ["a", "b"]
    # some chunk holds the end of one event and the start of the next
    assert any(b"\n" in ch[:-1] for ch in w.chunks)
    assert not any(ch.endswith(b"\n") for ch in w.chunks[:1])


def test_watch_end_drop_and_mid_chunk_hooks(kube_api):
    c = kube_api.client(admin=True)
    for hook, ended in (("end_watches", True), ("drop_watches", False),
                        ("close_mid_chunk", False)):
        w = c.watch(PODS, resourceVersion="1")
        time.sleep(0.1)
        assert getattr(kube_api, hook)() == 1
        if ended:
            assert w.until_end() == []
            assert w.ended
        else:
            with pytest.raises(Exception):
                w.until_end()
            assert w.closed and not w.ended
        w.close()


def test_watch_in_stream_error_and_raw_bytes(kube_api):
    c = kube_api.client(admin=True)
    w = c.watch(PODS, resourceVersion="1")
    time.sleep(0.1)
    kube_api.send_raw(b"not json\n")
    kube_api.expire_watches()
    with pytest.raises(ValueError):
        w.event()
    ev = w.event()
    assert ev["type"] == "ERROR" and ev["object"]["code"] == 410
    assert w.event() is None


# --- deletion ----------------------------------------------------------------

def test_graceful_delete_then_grace_zero_removes(kube_api):
    c = kube_api.client(admin=True)
    p = kube_api.put("pods", pod("g", node="n1", grace=20))
    r = c.delete(f"{PODS}/g")
    assert r.code == 200
    m = r.json()["metadata"]
    assert m["deletionGracePeriodSeconds"] == 20 and m["deletionTimestamp"]
    assert kube_api.get("pods", "default", "g") is not None
    # a shorter grace period moves the deadline; a longer one does not
    assert c.delete(f"{PODS}/g", {"gracePeriodSeconds": 50}).json()[
        "metadata"]["deletionGracePeriodSeconds"] == 20
    r = c.delete(f"{PODS}/g", {"gracePeriodSeconds": 5})
    assert r.json()["metadata"]["deletionGracePeriodSeconds"] == 5
    r = c.delete(f"{PODS}/g", {"gracePeriodSeconds": 0, "preconditions":
                               {"uid": p["metadata"]["uid"]}})
    assert r.code == 200
    assert kube_api.get("pods", "default", "g") is None


def test_delete_precondition_uid_conflict(kube_api):
    c = kube_api.client(admin=True)
    kube_api.put("pods", pod("u", node="n1"))
    r = c.delete(f"{PODS}/u", {"gracePeriodSeconds": 0,
                               "preconditions": {"uid": "wrong"}})
    assert r.code == 409
    st = r.json()
    assert st["reason"] == "Conflict"
    assert st["details"] == {"name": "u", "kind": "pods"}
    assert st["message"].startswith(
        'Operation cannot be fulfilled on pods "u": StorageError: invalid '
        'object, Code: 4, Key: /registry/pods/default/u, ResourceVersion: '
        '0, AdditionalErrorMsg: Precondition failed: UID in precondition: '
        'wrong, UID in object meta: ')
    assert kube_api.get("pods", "default", "u") is not None


# --- patches -----------------------------------------------------------------

def test_status_patch_strategic_merge_by_type_and_order(kube_api):
    c = kube_api.client(node="n1")
    p = kube_api.put("pods", pod("s", node="n1", containers=("a", "b")))
    uid = p["metadata"]["uid"]
    conds = [{"type": t, "status": "False"} for t in
             ("Initialized", "Ready", "ContainersReady", "PodScheduled")]
    r = c.patch(f"{PODS}/s/status", {"metadata": {"uid": uid}, "status": {
        "conditions": conds,
        "containerStatuses": [{"name": "a", "restartCount": 0},
                              {"name": "b", "restartCount": 0}]}})
    assert r.code == 200, r
    # the kubelet's two-way patch: changed items only, with the order
    r = c.patch(f"{PODS}/s/status", {"metadata": {"uid": uid}, "status": {
        "$setElementOrder/conditions": [{"type": t["type"]}
                                        for t in reversed(conds)],
        "conditions": [{"type": "Ready", "status": "True"}],
        "containerStatuses": [{"name": "b", "restartCount": 1}]}})
    assert r.code == 200, r
    st = r.json()["status"]
    assert [x["type"] for x in st["conditions"]] == \
        ["PodScheduled", "ContainersReady", "Ready", "Initialized"]
    assert [x["status"] for x in st["conditions"]] == \
        ["False", "False", "True", "False"]
    # containerStatuses has no patch strategy: the list is replaced
    assert st["containerStatuses"] == [{"name": "b", "restartCount": 1}]
    assert r.json()["spec"]["containers"][0]["name"] == "a"
    # a uid from another incarnation of the pod is refused
    r = c.patch(f"{PODS}/s/status", {"metadata": {"uid": "other"},
                                     "status": {"phase": "Running"}})
    assert r.code == 422 and "metadata.uid" in r.json()["message"]


def test_status_patch_merge_and_json_patch(kube_api):
    c = kube_api.client(node="n1")
    kube_api.put("pods", pod("m", node="n1"))
    r = c.patch(f"{PODS}/m/status", {"status": {"phase": "Running"}},
                ctype="application/merge-patch+json")
    assert r.code == 200 and r.json()["status"]["phase"] == "Running"
    r = c.patch(f"{PODS}/m/status",
                [{"op": "replace", "path": "/status/phase",
                  "value": "Succeeded"},
                 {"op": "add", "path": "/status/message", "value": "done"}],
                ctype="application/json-patch+json")
    assert r.code == 200, r
    assert (r.json()["status"]["phase"], r.json()["status"]["message"]) == \
        ("Succeeded", "done")
    # a status patch cannot change the spec
    r = c.patch(f"{PODS}/m/status", {"spec": {"nodeName": "n9"}})
    assert r.code == 200 and r.json()["spec"]["nodeName"] == "n1"
    r = c.patch(f"{PODS}/m/status", {}, ctype="application/yaml")
    assert r.code == 415


def test_noop_patch_writes_nothing(kube_api):
    c = kube_api.client(node="n1")
    kube_api.put("pods", pod("n", node="n1"))
    body = {"status": {"phase": "Running"}}
    rv1 = c.patch(f"{PODS}/n/status", body).json()["metadata"][
        "resourceVersion"]
    rv2 = c.patch(f"{PODS}/n/status", body).json()["metadata"][
        "resourceVersion"]
    assert rv1 == rv2


def test_lease_update_needs_current_resource_version(kube_api):
    c = kube_api.client(node="n1")
    lease = created(c.post(LEASES, {
        "metadata": {"name": "n1"},
        "spec": {"holderIdentity": "n1", "leaseDurationSeconds": 40}}))
    lease["spec"]["renewTime"] = "2026-01-01T00:00:10.000000Z"
    r = c.put(f"{LEASES}/n1", lease)
    assert r.code == 200, r
    r = c.put(f"{LEASES}/n1", lease)          # the RV it just replaced
    assert r.code == 409 and r.json()["message"].endswith(
        "the object has been modified; please apply your changes to the "
        "latest version and try again")


# --- authorization -----------------------------------------------------------

def test_node_may_only_touch_its_own_objects(kube_api):
    n1 = kube_api.client(node="n1")
    kube_api.put("pods", pod("mine", node="n1"))
    kube_api.put("pods", pod("theirs", node="n2"))
    created(kube_api.client(node="n2").post("/api/v1/nodes", node("n2")))

    def forbidden(r, text):
        assert r.code == 403, r
        st = r.json()
        assert (st["kind"], st["reason"], st["code"]) == \
            ("Status", "Forbidden", 403)
        assert text in st["message"], st["message"]

    assert n1.get(f"{PODS}/mine").code == 200
    forbidden(n1.get(f"{PODS}/theirs"), "no relationship found")
    forbidden(n1.patch(f"{PODS}/theirs/status",
                       {"status": {"phase": "Failed"}}),
              'node "n1" can only update pod status for pods with '
              'spec.nodeName set to itself')
    forbidden(n1.delete(f"{PODS}/theirs"), "can only delete")
    forbidden(n1.get(PODS), 'User "system:node:n1" cannot list resource '
              '"pods" in API group "" in the namespace "default"')
    forbidden(n1.get("/api/v1/pods", fieldSelector="spec.nodeName=n2"),
              "spec.nodeName field selector")
    forbidden(n1.post(PODS, pod("new", node="n1")), "mirror pods")
    forbidden(n1.patch("/api/v1/nodes/n2/status", {"status": {}}),
              'node "n1" is not allowed to modify node "n2"')
    forbidden(n1.post(LEASES, {"metadata": {"name": "n2"}}),
              "can only access node lease with the same name")
    assert kube_api.get("pods", "default", "theirs")["status"][
        "phase"] == "Pending"
    # another node's lease may be read, not written
    created(kube_api.client(node="n2").post(LEASES, {
        "metadata": {"name": "n2"}, "spec": {"holderIdentity": "n2"}}))
    assert n1.get(f"{LEASES}/n2").code == 200
    forbidden(n1.put(f"{LEASES}/n2", {"metadata": {"name": "n2"}}),
              "can only access node lease with the same name")
    # mirror pods: owned by the node's own Node object, as a controller
    n1_uid = created(n1.post("/api/v1/nodes", node("n1")))["metadata"][
        "uid"]
    mirror = pod("static-n1", node="n1")
    mirror["metadata"]["annotations"] = {
        "kubernetes.io/config.mirror": "hash"}
    owner = {"apiVersion": "v1", "kind": "Node", "name": "n1",
             "uid": kube_api.get("nodes", "", "n2")["metadata"]["uid"],
             "controller": True}
    mirror["metadata"]["ownerReferences"] = [owner]
    forbidden(n1.post(PODS, mirror), "node n1 UID mismatch")
    owner["uid"] = n1_uid
    del owner["controller"]
    forbidden(n1.post(PODS, mirror), "a controller owner reference")
    owner["controller"] = True
    m = created(n1.post(PODS, mirror))
    assert "serviceAccountName" not in m["spec"]
    assert n1.get(f"{PODS}/static-n1").code == 200
    # a bearer token for the node is the same identity
    tok = kube_api.client(token=kube_api.node_token("n1"))
    assert tok.get("/api/v1/pods", fieldSelector="spec.nodeName=n1"
                   ).code == 200


def test_events_in_both_api_groups(kube_api, kubectl_bin):
    c = kube_api.client(node="n1")
    x = kube_api.put("pods", pod("x", node="n1"))
    ref = {"kind": "Pod", "namespace": "default", "name": "x",
           "apiVersion": "v1", "uid": x["metadata"]["uid"]}
    created(c.post("/api/v1/namespaces/default/events", {
        "metadata": {"name": "x.1"}, "involvedObject": ref,
        "reason": "Started", "message": "Started container c",
        "type": "Normal", "source": {"component": "agentd"}, "count": 1}))
    e = created(c.post("/apis/events.k8s.io/v1/namespaces/default/events", {
        "metadata": {"name": "x.2"}, "regarding": ref, "reason": "Pulled",
        "note": "image present", "type": "Normal", "action": "Pull",
        "reportingController": "agentd", "reportingInstance": "n1",
        "eventTime": "2026-01-01T00:00:00.000000Z"}))
    assert e["apiVersion"] == "events.k8s.io/v1" and e["note"]
    core = kube_api.client(admin=True).get(
        "/api/v1/namespaces/default/events/x.2").json()
    assert core["message"] == "image present"
    assert core["involvedObject"]["name"] == "x"
    out = kube_api.kubectl("get", "events", "--no-headers").stdout
    assert "Started" in out and "Pulled" in out
    # describe finds them by involvedObject field selectors
    out = kube_api.kubectl("describe", "pod", "x").stdout
    assert "Started container c" in out and "image present" in out
    # the event correlator's update: a strategic merge patch of the count
    r = c.patch("/api/v1/namespaces/default/events/x.1",
                {"count": 2, "lastTimestamp": "2026-01-01T00:01:00Z"})
    assert r.code == 200 and r.json()["count"] == 2


# --- faults and restarts -------------------------------------------------------

def faulted_client(api):
    """Faults are for the client under test, not the test's admin."""
    return api.client(token=api.add_token("tester", ["system:masters"]))


def test_fail_next_with_retry_after(kube_api):
    c = faulted_client(kube_api)
    kube_api.fail_next(429, method="GET", path="/pods$", retry_after=3)
    r = c.get(PODS)
    assert r.code == 429 and r.headers["Retry-After"] == "3"
    assert r.json()["details"] == {"retryAfterSeconds": 3}
    assert c.get(PODS).code == 200
    # the admin (the test's own client) never gets one
    kube_api.fail_next(500, method="GET", path="/pods$")
    assert kube_api.client(admin=True).get(PODS).code == 200
    assert c.get(PODS).code == 500


def test_delay_next_and_unframed_bytes(kube_api):
    c = faulted_client(kube_api)
    kube_api.delay_next(0.5, method="GET", path="/pods$")
    t0 = time.time()
    assert c.get(PODS).code == 200
    assert time.time() - t0 >= 0.5
    t0 = time.time()
    assert c.get(PODS).code == 200
    assert time.time() - t0 < 0.5
    w = c.watch(PODS, resourceVersion="1")
    time.sleep(0.1)
    kube_api.send_unframed(b"zz\r\nnot a chunk")
    with pytest.raises(ValueError):     # int("zz", 16)
        w.event()


def test_stop_and_start_keeps_the_objects(kube_api):
    kube_api.put("pods", pod("keep"))
    port = kube_api.port
    kube_api.stop()
    with pytest.raises(OSError):
        kube_api.client(admin=True).get(PODS)
    kube_api.start()
    assert kube_api.port == port
    assert kube_api.client(admin=True).get(f"{PODS}/keep").code == 200


def test_requests_are_recorded(kube_api):
    c = kube_api.client(node="n1")
    kube_api.put("pods", pod("r", node="n1"))
    c.patch(f"{PODS}/r/status", {"status": {"phase": "Running"}})
    reqs = kube_api.requests_to("PATCH", "/status$")
    assert len(reqs) == 1 and reqs[0].user == "system:node:n1"
    assert reqs[0].headers["Content-Type"] == \
        "application/strategic-merge-patch+json"
    assert reqs[0].code == 200


def test_concurrent_watchers_see_the_same_order(kube_api):
    c = kube_api.client(admin=True)
    rv = c.get(PODS).json()["metadata"]["resourceVersion"]
    ws = [c.watch(PODS, resourceVersion=rv) for _ in range(3)]

    def writer():
        for i in range(20):
            kube_api.put("pods", pod(f"w{i}"))
    t = threading.Thread(target=writer)
    t.start()
    t.join()
    kube_api.end_watches()
    seen = [[e["object"]["metadata"]["name"] for e in w.until_end()]
            for w in ws]
    assert seen[0] == [f"w{i}" for i in range(20)]
    assert seen[0] == seen[1] == seen[2]


def test_kubeconfig_forms_work_with_kubectl(kube_api, kubectl_bin, tmp_path):
    created(kube_api.client(node="n1").post("/api/v1/nodes", node("n1")))
    tf = tmp_path / "token"
    tf.write_text(kube_api.node_token("n1"))
    for kc in (kube_api.node_kubeconfig("n1", embed=True),
               kube_api.node_kubeconfig("n1", use_token=True),
               kube_api.kubeconfig(str(tmp_path / "tf"), "n1",
                                   token_file=str(tf))):
        out = kube_api.kubectl("get", "node", "n1", "--no-headers",
                               kubeconfig=kc).stdout
        assert out.split()[:2] == ["n1", "Ready"], kc


def test_expired_or_foreign_client_certificate_is_refused(kube_api,
                                                          kubectl_bin,
                                                          tmp_path):
    """Python's ssl verifies a client certificate in the handshake, so
    these fail there (kube-apiserver answers 401 after it): either way no
    request is served."""
    other = CertAuthority(str(tmp_path / "other-ca"))
    foreign = kube_api.kubeconfig(str(tmp_path / "foreign"), "n1",
                                  cert=other.node_cert("n1"))
    for kc in (kube_api.node_kubeconfig("n1", expired=True), foreign):
        r = kube_api.kubectl("get", "node", "n1", kubeconfig=kc,
                             check=False)
        assert r.returncode != 0 and "certificate" in r.stderr, r.stderr
    assert kube_api.requests_to() == []


def test_test_hooks_over_http_are_the_admins(kube_api):
    c = kube_api.client(admin=True)
    w = c.watch(PODS, resourceVersion="1")
    time.sleep(0.1)
    r = kube_api.client(node="n1").post("/_test/end_watches", {})
    assert r.code == 403
    r = c.post("/_test/end_watches", {"resource": "pods"})
    assert r.code == 200 and r.json()["result"] == 1
    assert w.until_end() == [] and w.ended


def test_node_status_patch_merges_conditions_and_addresses(kube_api):
    c = kube_api.client(node="n1")
    created(c.post("/api/v1/nodes", node("n1")))
    r = c.patch("/api/v1/nodes/n1/status", {"status": {
        "conditions": [{"type": "MemoryPressure", "status": "False"},
                       {"type": "Ready", "status": "False",
                        "reason": "KubeletNotReady"}],
        "addresses": [{"type": "InternalIP", "address": "10.0.0.8"}],
        "capacity": {"pods": "110"}}})
    assert r.code == 200, r
    st = r.json()["status"]
    assert [(x["type"], x["status"]) for x in st["conditions"]] == \
        [("Ready", "False"), ("MemoryPressure", "False")]
    assert st["conditions"][0]["message"] == \
        "agentd is posting ready status"
    assert st["addresses"] == [{"type": "InternalIP", "address": "10.0.0.8"},
                               {"type": "Hostname", "address": "n1"}]
    assert st["capacity"] == {"pods": "110"}
    out = kube_api.client(admin=True).get("/api/v1/nodes/n1").json()
    assert out["status"] == st


def test_watch_at_a_future_resource_version_times_out(kube_api):
    kube_api.too_large_wait = 0.2
    r = kube_api.client(admin=True).get(PODS, watch="true",
                                        resourceVersion=str(
                                            kube_api.rv + 100))
    assert r.code == 504
    st = r.json()
    assert st["reason"] == "Timeout"
    assert st["details"]["causes"][0]["reason"] == "ResourceVersionTooLarge"


def test_watch_send_initial_events_ends_with_a_bookmark(kube_api):
    kube_api.put("pods", pod("a"))
    w = kube_api.client(admin=True).watch(
        PODS, sendInitialEvents="true", allowWatchBookmarks="true",
        resourceVersionMatch="NotOlderThan", timeoutSeconds=1)
    evs = w.until_end()
    assert [e["type"] for e in evs[:2]] == ["ADDED", "BOOKMARK"]
    assert evs[1]["object"]["metadata"]["annotations"] == \
        {"k8s.io/initial-events-end": "true"}


def test_large_lists_are_gzipped_when_asked(kube_api):
    for i in range(60):
        p = pod(f"big{i}")
        p["metadata"]["annotations"] = {"pad": "x" * 3000}
        kube_api.put("pods", p)
    c = kube_api.client(admin=True)
    r = c.request("GET", PODS, headers={"Accept-Encoding": "gzip"})
    assert r.headers.get("Content-Encoding") == "gzip"
    assert len(json.loads(gzip.decompress(r.body))["items"]) == 60
    r = c.get(PODS)
    assert "Content-Encoding" not in r.headers


def test_a_watch_ends_when_its_client_goes(kube_api):
    w = kube_api.client(admin=True).watch(PODS, resourceVersion="1")
    deadline = time.time() + 2
    while not kube_api.watches and time.time() < deadline:
        time.sleep(0.02)
    assert len(kube_api.watches) == 1
    w.close()
    deadline = time.time() + 3
    while kube_api.watches and time.time() < deadline:
        time.sleep(0.05)
    assert not kube_api.watches


def test_paths_resolve_as_on_the_real_server(kube_api):
    c = kube_api.client(admin=True)
    for path, code, kind in (
            ("/api", 200, "APIVersions"),
            ("/apis", 200, "APIGroupList"),
            ("/apis/coordination.k8s.io", 200, "APIGroup"),
            ("/apis/coordination.k8s.io/v1", 200, "APIResourceList"),
            ("/api/v1/namespaces/default", 200, "Namespace"),
            ("/api/v1/namespaces/default/status", 200, "Namespace"),
            ("/api/v1/namespaces/default/pods", 200, "PodList"),
            ("/api/v1/pods", 200, "PodList"),
            ("/api/v1/pods/x", 404, "Status"),
            ("/api/v1/namespaces/default/nodes", 404, "Status"),
            ("/api/v1/namespaces/default/pods/x/exec", 404, "Status"),
            ("/apis/apps/v1", 404, "Status")):
        r = c.get(path)
        assert (r.code, r.json()["kind"]) == (code, kind), path


# --- the patch formats, directly -----------------------------------------

def test_merge_patch_rfc7386_and_the_target_untouched():
    target = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    snapshot = json.loads(json.dumps(target))
    out = kubepatch.merge_patch(target, {"a": {"b": None, "e": 2}, "d": [3]})
    assert out == {"a": {"c": [1, 2], "e": 2}, "d": [3]}
    assert target == snapshot


def test_json_patch_rfc6902():
    doc = {"a": [1, 2], "b": {"c": 1}}
    out = kubepatch.json_patch(doc, [
        {"op": "add", "path": "/a/-", "value": 3},
        {"op": "move", "from": "/b/c", "path": "/d"},
        {"op": "copy", "from": "/d", "path": "/e"},
        {"op": "remove", "path": "/a/0"},
        {"op": "test", "path": "/e", "value": 1}])
    assert out == {"a": [2, 3], "b": {}, "d": 1, "e": 1}
    with pytest.raises(kubepatch.PatchError):
        kubepatch.json_patch(doc, [{"op": "test", "path": "/a/0",
                                    "value": 9}])
    with pytest.raises(kubepatch.PatchError):
        kubepatch.json_patch(doc, [{"op": "remove", "path": "/zz"}])


def test_strategic_merge_directives():
    pod = {"metadata": {"finalizers": ["a"], "ownerReferences": [
        {"uid": "1", "name": "x"}]},
        "spec": {"containers": [
            {"name": "c1", "image": "i1", "env": [{"name": "A",
                                                   "value": "1"}]},
            {"name": "c2", "image": "i2"}],
            "volumes": [{"name": "v", "emptyDir": {}}]},
        "status": {"conditions": [{"type": "Ready", "status": "False"}]}}
    out = kubepatch.strategic_merge_patch(pod, {
        "metadata": {"finalizers": ["b"],
                     "$deleteFromPrimitiveList/finalizers": ["a"]},
        "spec": {"containers": [
            {"name": "c1", "env": [{"name": "B", "value": "2"}]},
            {"name": "c2", "$patch": "delete"}],
            "volumes": [{"name": "v", "hostPath": {"path": "/x"},
                         "$retainKeys": ["name", "hostPath"]}]},
        "status": {"conditions": [{"type": "PodScheduled",
                                   "status": "True"}]}}, "Pod")
    assert out["metadata"]["finalizers"] == ["b"]
    assert [c["name"] for c in out["spec"]["containers"]] == ["c1"]
    assert out["spec"]["containers"][0]["env"] == [
        {"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    assert out["spec"]["volumes"] == [{"name": "v",
                                       "hostPath": {"path": "/x"}}]
    assert [c["type"] for c in out["status"]["conditions"]] == \
        ["Ready", "PodScheduled"]
    out = kubepatch.strategic_merge_patch(pod, {"status": {
        "conditions": [{"$patch": "replace"}, {"type": "X"}]}}, "Pod")
    assert out["status"]["conditions"] == [{"type": "X"}]
    out = kubepatch.strategic_merge_patch(pod, {"spec": {
        "$patch": "replace", "containers": []}}, "Pod")
    assert out["spec"] == {"containers": []}
    with pytest.raises(kubepatch.PatchError):
        kubepatch.strategic_merge_patch(pod, {"status": {"conditions": [
            {"status": "True"}]}}, "Pod")


def test_list_pages_with_limit_and_continue(kube_api):
    for i in range(5):
        kube_api.put("pods", pod(f"p{i}"))
    c = kube_api.client(admin=True)
    names, cont = [], None
    while True:
        params = {"limit": 2, **({"continue": cont} if cont else {})}
        r = c.get(PODS, **params).json()
        names += [p["metadata"]["name"] for p in r["items"]]
        cont = r["metadata"].get("continue")
        if not cont:
            break
        assert r["metadata"]["remainingItemCount"] == 5 - len(names)
    assert names == [f"p{i}" for i in range(5)]
    assert c.get(PODS, limit=2, **{"continue": "garbage"}).code == 400
    first = c.get(PODS, limit=2).json()["metadata"]["continue"]
    kube_api.put("pods", pod("p9"))
    kube_api.compact()                  # the first page's RV is gone
    r = c.get(PODS, limit=2, **{"continue": first})
    assert (r.code, r.json()["reason"]) == (410, "Expired")


def test_kubectl_follows_continue_tokens(kube_api, kubectl_bin):
    for i in range(5):
        kube_api.put("pods", pod(f"p{i}"))
    out = kube_api.kubectl("get", "pods", "--chunk-size=2",
                           "--no-headers").stdout.splitlines()
    assert [ln.split()[0] for ln in out] == [f"p{i}" for i in range(5)]
    assert len(kube_api.requests_to("GET", "/pods$")) == 3


def test_connection_is_reused_after_a_watch_ends(kube_api):
    """client-go's reflector watches again on the same connection once a
    watch has ended with its last chunk."""
    ctx = ssl.create_default_context(cafile=kube_api.ca_path)
    conn = http.client.HTTPSConnection("127.0.0.1", kube_api.port,
                                       context=ctx, timeout=10)
    hdr = {"Authorization": "Bearer " + kube_api.admin_token}
    try:
        conn.request("GET", PODS + "?watch=true&resourceVersion=1&"
                     "timeoutSeconds=1", headers=hdr)
        r = conn.getresponse()
        assert r.status == 200 and r.read() == b""
        sock = conn.sock
        conn.request("GET", PODS, headers=hdr)
        r = conn.getresponse()
        assert r.status == 200 and json.loads(r.read())["kind"] == "PodList"
        assert conn.sock is sock
    finally:
        conn.close()
