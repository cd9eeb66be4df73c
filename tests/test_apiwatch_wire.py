"""The watcher's API decoders (workers/watcher/apiwatch.h) against the test
API server over TLS: the list and watch requests as apireq.c writes them,
the replies as apihttp.c and apiwatch.c read them, through the
build/tests/tools/apiwatch_decode program (the decoders have no socket of
their own yet).  The server splits events across chunks as a real one may
and answers a too-old resourceVersion with 410 in both of its forms."""
import os
import socket
import ssl
import subprocess
import time

import pytest

NODE = "node-1"


def pod(name, node):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"nodeName": node,
                     "containers": [{"name": "c", "image": "busybox:1.36"}]}}


@pytest.fixture
def decoder(build_dir):
    path = os.path.join(build_dir, "tests", "tools", "apiwatch_decode")
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is not built (make all)")
    return path


def tool(decoder, *args, stdin=None):
    r = subprocess.run([decoder, *args], input=stdin, capture_output=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


def exchange(api, request, done, deadline=10.0):
    """Send REQUEST over TLS, read until done(bytes) or the deadline."""
    ctx = ssl.create_default_context(cafile=api.ca_path)
    raw = b""
    with socket.create_connection(("127.0.0.1", api.port), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
            t.sendall(request)
            t.settimeout(0.5)
            end = time.time() + deadline
            while time.time() < end and not done(raw):
                try:
                    data = t.recv(65536)
                except socket.timeout:
                    continue
                if not data:
                    break
                raw += data
    return raw


def http_done(raw):
    """A Content-Length reply is whole (the server keeps the connection)."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return body.endswith(b"\r\n0\r\n\r\n")


def host(api):
    return f"127.0.0.1:{api.port}"


def do_list(api, decoder, token):
    req = tool(decoder, "list-request", host(api), NODE, token)
    raw = exchange(api, req, http_done)
    return tool(decoder, "list", stdin=raw).decode().splitlines()


def do_watch(api, decoder, token, rv, timeout=1):
    req = tool(decoder, "watch-request", host(api), NODE, token, rv,
               str(timeout))
    raw = exchange(api, req, http_done)
    return tool(decoder, "watch", stdin=raw).decode().splitlines()


def setup_pods(api):
    api.put("pods", pod("a", NODE))
    api.put("pods", pod("b", NODE))
    api.put("pods", pod("other", "node-2"))


def test_list_is_decoded_with_the_nodes_pods_only(kube_api, decoder):
    setup_pods(kube_api)
    out = do_list(kube_api, decoder, kube_api.node_token(NODE))
    assert out[-1] == "end ok", out
    assert out[0].startswith("list rv=") and out[0].endswith("items=2"), out
    items = sorted(out[1:-1])
    assert len(items) == 2
    for name, line in zip(("a", "b"), items):
        # the server's whole object (status, timestamps...) is accepted
        assert line.startswith(f"item default/{name} uid="), line
        assert f"node={NODE} deleting=0 ok containers=1" in line, line


def watch_events(kube_api, decoder, chunking):
    token = kube_api.node_token(NODE)
    first = do_list(kube_api, decoder, token)[0]
    rv = first.split()[1].split("=", 1)[1]
    setup_pods(kube_api)
    c = kube_api.client(admin=True)
    assert c.patch("/api/v1/namespaces/default/pods/a",
                   {"metadata": {"labels": {"x": "1"}}}).code == 200
    assert c.delete("/api/v1/namespaces/default/pods/b").code == 200
    kube_api.set_chunking(chunking)
    return do_watch(kube_api, decoder, token, rv)


@pytest.mark.parametrize("chunking", [None, 7, "across"])
def test_watch_events_whatever_the_chunking(kube_api, decoder, chunking):
    out = watch_events(kube_api, decoder, chunking)
    assert out[-1] == "end ok", out
    kinds = [(ln.split()[0], ln.split()[1]) for ln in out[:-1]
             if not ln.startswith("BOOKMARK")]
    # node-2's pod never comes: the field selector
    assert kinds[:2] == [("ADDED", "default/a"), ("ADDED", "default/b")], out
    assert kinds[2] == ("MODIFIED", "default/a"), out
    # a graceful delete: b gets its deletionTimestamp and stays (the
    # kubelet deletes it once its containers are gone)
    assert kinds[3:] == [("MODIFIED", "default/b")], out
    assert "deleting=1" in [ln for ln in out if "default/b" in ln][-1], out
    for ln in out[:-1]:
        if not ln.startswith("BOOKMARK"):
            assert " ok containers=1" in ln, ln


def test_too_old_resource_version_says_relist(kube_api, decoder):
    token = kube_api.node_token(NODE)
    kube_api.set_history(3)
    first = do_list(kube_api, decoder, token)[0]
    old = first.split()[1].split("=", 1)[1]
    for i in range(5):
        kube_api.put("pods", pod(f"p{i}", NODE))
    # an ERROR event in the stream
    out = do_watch(kube_api, decoder, token, old)
    assert "ERROR code=410 reason=Expired relist=1" in out, out
    assert out[-1] == "end ok", out
    # an HTTP 410 with the Status as the body
    kube_api.expired_in_stream = False
    out = do_watch(kube_api, decoder, token, old)
    assert out[0].startswith("status 410 code=410 reason=Expired "
                             "relist=1"), out


def test_in_stream_garbage_is_a_clear_error(kube_api, decoder):
    token = kube_api.node_token(NODE)
    first = do_list(kube_api, decoder, token)[0]
    rv = first.split()[1].split("=", 1)[1]
    req = tool(decoder, "watch-request", host(kube_api), NODE, token, rv,
               "2")
    ctx = ssl.create_default_context(cafile=kube_api.ca_path)
    raw = b""
    with socket.create_connection(("127.0.0.1", kube_api.port),
                                  timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
            t.sendall(req)
            t.settimeout(0.5)
            end = time.time() + 10
            sent = False
            while time.time() < end and not http_done(raw):
                if not sent and b"\r\n\r\n" in raw:
                    kube_api.send_raw(b'{"type":"ADDED","object":{]\n')
                    sent = True
                try:
                    data = t.recv(65536)
                except socket.timeout:
                    continue
                if not data:
                    break
                raw += data
    out = tool(decoder, "watch", stdin=raw).decode().splitlines()
    assert out[-1].startswith("error: watch event on line 1: JSON syntax "
                              "error"), out
