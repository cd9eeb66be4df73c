"""The watcher's API source (workers/watcher/apisource.c: client-go's
reflector) over the real API client against the test API server, with its
fault injection: list and watch, the field selector, paging, graceful
deletion, 410 in the stream and as HTTP, dropped and cut watches, an
oversized line, 503 with Retry-After.  build/tests/tools/apisource_run
plays agentd's part and prints the source's table at every change."""
import os
import queue
import subprocess
import threading
import time

import pytest

PODS = "/api/v1/namespaces/default/pods"
NODE = "n1"


def pod(name, node=NODE, grace=None, image="busybox"):
    p = {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": name, "namespace": "default"},
         "spec": {"containers": [{"name": "c", "image": image}]}}
    if node:
        p["spec"]["nodeName"] = node
    if grace is not None:
        p["spec"]["terminationGracePeriodSeconds"] = grace
    return p


class Source:
    """apisource_run in the background; its tables as they come."""

    def __init__(self, build_dir, api, seconds=60):
        path = os.path.join(build_dir, "tests", "tools", "apisource_run")
        if not os.access(path, os.X_OK):
            pytest.fail(f"{path} is not built (make all)")
        self.p = subprocess.Popen(
            [path, "-c", api.ca_path, "-t", api.node_token(NODE), "-N", NODE,
             "-T", str(seconds), "127.0.0.1", str(api.port)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.sets = queue.Queue()
        self.rejects = []
        self.err = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()
        self.last = None

    def _read(self):
        cur = None
        for line in self.p.stdout:
            w = line.split()
            if not w:
                continue
            if w[0] == "set":
                cur = {"synced": w[1] == "synced=1",
                       "rv": w[3].split("=", 1)[1], "pods": {}}
            elif w[0] == "pod":
                f = dict(x.split("=", 1) for x in w[2:])
                cur["pods"][w[1]] = f
            elif w[0] == "end":
                self.sets.put(cur)
            elif w[0] == "reject":
                self.rejects.append(line.strip())

    def _read_err(self):
        for line in self.p.stderr:
            self.err.append(line)

    def wait(self, pred, timeout=15, what="a set"):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                s = self.sets.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                break
            self.last = s
            if pred(s):
                return s
        raise AssertionError(f"no {what} in {timeout} s; last {self.last}; "
                             f"log:\n{''.join(self.err[-20:])}")

    def log(self):
        return "".join(self.err)

    def stop(self):
        self.p.kill()
        self.p.wait()


@pytest.fixture
def source(build_dir, kube_api):
    made = []

    def start(**kw):
        s = Source(build_dir, kube_api, **kw)
        made.append(s)
        return s
    yield start
    for s in made:
        s.stop()


def watching(api, timeout=10):
    """The source's watch is open on the server (the set it printed may
    come before its watch request is in)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with api.cond:
            if api.watches:
                return
        time.sleep(0.02)
    raise AssertionError("no watch open")


def until(pred, timeout=15, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.02)
    raise AssertionError(f"no {what} in {timeout} s")


def names(s):
    return sorted(k.split("/", 1)[1] for k in s["pods"])


def q(r, key):
    return (r.query.get(key) or [None])[0]


def watches(api):
    return [r for r in api.requests_to("GET", r"^/api/v1/pods$")
            if q(r, "watch") == "true"]


def lists(api):
    return [r for r in api.requests_to("GET", r"^/api/v1/pods$")
            if q(r, "watch") is None]


def test_lists_then_watches_the_nodes_pods(kube_api, source):
    admin = kube_api.client(admin=True)
    kube_api.put("pods", pod("a", grace=10))
    kube_api.put("pods", pod("other", node="n2"))
    s = source()
    first = s.wait(lambda x: x["synced"], what="the first list")
    assert names(first) == ["a"]
    assert first["pods"]["default/a"]["grace"] == "10"
    kube_api.put("pods", pod("b"))
    kube_api.put("pods", pod("other2", node="n2"))
    s.wait(lambda x: names(x) == ["a", "b"], what="b added")
    # a graceful delete: the smaller of the pod's and the request's grace
    r = admin.delete(f"{PODS}/a", body={"gracePeriodSeconds": 3})
    assert r.code == 200, r
    d = s.wait(lambda x: x["pods"].get("default/a", {}).get("deleting") ==
               "1", what="a being deleted")
    assert d["pods"]["default/a"]["grace"] == "3"
    # the kubelet's final delete: gone
    admin.delete(f"{PODS}/a", gracePeriodSeconds=0)
    s.wait(lambda x: names(x) == ["b"], what="a gone")
    w = watches(kube_api)
    assert w and all(q(r, "allowWatchBookmarks") == "true" and
                     q(r, "fieldSelector") == "spec.nodeName=n1" and
                     300 <= int(q(r, "timeoutSeconds")) < 600
                     for r in w), [r.query for r in w]
    assert all(q(r, "limit") == "500" and
               q(r, "fieldSelector") == "spec.nodeName=n1"
               for r in lists(kube_api))


def test_pages_of_500(kube_api, source):
    for i in range(520):
        kube_api.put("pods", pod(f"p{i:03d}"))
    s = source()
    first = s.wait(lambda x: x["synced"], what="the list", timeout=30)
    assert len(first["pods"]) == 512      # APISOURCE_MAX_PODS
    assert len(s.rejects) == 8, s.rejects
    assert "more than 512 pods" in s.rejects[0]
    ls = lists(kube_api)
    assert len(ls) == 2 and q(ls[1], "continue"), [r.query for r in ls]


def test_410_in_the_stream_relists(kube_api, source):
    kube_api.put("pods", pod("a"))
    s = source()
    s.wait(lambda x: x["synced"], what="the first list")
    watching(kube_api)
    n = len(lists(kube_api))
    assert kube_api.expire_watches() == 1
    until(lambda: len(lists(kube_api)) == n + 1, what="a relist")
    kube_api.put("pods", pod("b"))
    s.wait(lambda x: names(x) == ["a", "b"], what="b after the relist")
    assert len(lists(kube_api)) == n + 1
    assert "too old" in s.log()


def test_410_as_http_relists(kube_api, source):
    kube_api.expired_in_stream = False
    kube_api.put("pods", pod("a"))
    s = source()
    s.wait(lambda x: x["synced"])
    watching(kube_api)
    n = len(lists(kube_api))
    kube_api.put("pods", pod("elsewhere", node="n2"))   # unseen by us
    kube_api.compact()          # the watch's version is now too old
    kube_api.drop_watches()     # it reconnects from it: HTTP 410
    until(lambda: len(lists(kube_api)) == n + 1, what="a relist")
    kube_api.put("pods", pod("b"))
    s.wait(lambda x: names(x) == ["a", "b"], what="b after the relist")
    assert any(r.code == 410 for r in watches(kube_api))


@pytest.mark.parametrize("fault", ["end", "drop", "midchunk"])
def test_a_watch_that_ends_goes_on_from_the_last_rv(kube_api, source,
                                                    fault):
    kube_api.put("pods", pod("a"))
    s = source()
    s.wait(lambda x: x["synced"])
    kube_api.put("pods", pod("b"))
    last = s.wait(lambda x: names(x) == ["a", "b"])
    watching(kube_api)
    n_lists, n_watches = len(lists(kube_api)), len(watches(kube_api))
    {"end": kube_api.end_watches, "drop": kube_api.drop_watches,
     "midchunk": kube_api.close_mid_chunk}[fault]()
    until(lambda: len(watches(kube_api)) > n_watches, what="a new watch")
    kube_api.put("pods", pod("c"))
    s.wait(lambda x: names(x) == ["a", "b", "c"], what="c after the fault")
    assert len(lists(kube_api)) == n_lists        # no relist
    w = watches(kube_api)[n_watches:]
    assert w and q(w[0], "resourceVersion") == last["rv"], \
        [r.query for r in w]


def test_an_oversized_line_is_refused_and_relisted(kube_api, source):
    kube_api.put("pods", pod("a"))
    s = source()
    s.wait(lambda x: x["synced"])
    watching(kube_api)
    n = len(lists(kube_api))
    kube_api.send_raw(b"{" + b"x" * (2 * 1024 * 1024 + 1))
    until(lambda: len(lists(kube_api)) == n + 1, timeout=20,
          what="a relist")
    kube_api.put("pods", pod("b"))
    s.wait(lambda x: names(x) == ["a", "b"], what="b after the relist",
           timeout=20)
    assert len(lists(kube_api)) == n + 1
    assert "2097152" in s.log(), s.log()


def test_503_with_retry_after_waits(kube_api, source):
    kube_api.put("pods", pod("a"))
    kube_api.fail_next(503, method="GET", path=r"^/api/v1/pods",
                       retry_after=2)
    t0 = time.monotonic()
    s = source()
    s.wait(lambda x: x["synced"], timeout=20)
    assert time.monotonic() - t0 >= 2
    assert "HTTP 503" in s.log() and "in 2000 ms" in s.log(), s.log()


def test_refused_pod_is_reported_once(kube_api, source):
    bad = pod("bad")
    bad["spec"]["imagePullSecrets"] = [{"name": "s"}]
    kube_api.put("pods", bad)
    kube_api.put("pods", pod("a"))
    s = source()
    first = s.wait(lambda x: x["synced"])
    assert names(first) == ["a"]
    watching(kube_api)
    n = len(lists(kube_api))
    kube_api.expire_watches()   # a relist sees it again: said once
    until(lambda: len(lists(kube_api)) == n + 1, what="a relist")
    kube_api.put("pods", pod("b"))
    s.wait(lambda x: names(x) == ["a", "b"])
    assert s.rejects == ["reject api:default/bad spec.imagePullSecrets: "
                         "image pull secrets are not supported"], s.rejects


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def relabel(api, name, i):
    """A metadata change the pod model carries (a label): a MODIFIED
    event that makes a new set, through the server's own PATCH path."""
    import json as _json
    from kubeapi import User, _res
    body = _json.dumps({"metadata": {"labels": {"n": str(i)}}}).encode()
    code, out, _ = api.call("PATCH", _res("pods"), "default", name, None,
                            body, {}, User("admin", ["system:masters"]),
                            ctype="application/merge-patch+json")
    assert code == 200, out


def test_memory_flat_over_10000_watch_events(kube_api, source):
    kube_api.put("pods", pod("a"))
    kube_api.put("pods", pod("b"))
    s = source(seconds=120)
    s.wait(lambda x: x["synced"])
    watching(kube_api)
    for i in range(1000):
        relabel(kube_api, "ab"[i % 2], i)
    s.wait(lambda x: x["rv"] == str(kube_api.rv), timeout=30,
           what="the first 1000 events")
    before = rss_kib(s.p.pid)
    for i in range(1000, 11000):
        relabel(kube_api, "ab"[i % 2], i)
    s.wait(lambda x: x["rv"] == str(kube_api.rv), timeout=60,
           what="10000 more events")
    after = rss_kib(s.p.pid)
    # the table holds two pods whatever came before: no growth
    print(f"RSS {before} KiB after 1000 events, {after} KiB after 11000")
    assert after - before < 1024, (before, after)
