"""The workers' API client (workers/apiclient.c) against the test API
server: TLS verification against the CA bytes handed over, the name or IP
checked, bearer tokens, keep-alive, refused grants, and a streamed watch
body.  build/tests/tools/apiget plays agentd's part (credentials, the
socket grant) in-process; the client side is the real code."""
import json
import os
import subprocess
import threading
import time

import pytest


@pytest.fixture
def apiget(build_dir):
    path = os.path.join(build_dir, "tests", "tools", "apiget")
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is not built (make all)")
    return path


def run(apiget, api, *args, token=None, ca=True, timeout=30):
    """apiget with the options in ARGS, then the server, then the paths
    (the ARGS that start with '/')."""
    paths = [a for a in args if a.startswith("/")]
    opts = [a for a in args if not a.startswith("/")]
    cmd = [apiget] + (["-c", api.ca_path] if ca else []) + \
        (["-t", token] if token is not None else []) + opts + \
        ["127.0.0.1", str(api.port)] + paths
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, r.stderr
    return r.stdout, r.stderr


def statuses(out):
    return [line for line in out.splitlines()
            if line.startswith(("status ", "error: "))]


def test_token_over_verified_tls(apiget, kube_api):
    out, _ = run(apiget, kube_api, "/version", "/api/v1/pods",
                 token=kube_api.admin_token)
    assert statuses(out) == ["status 200 retry-after -1"] * 2, out
    assert '"gitVersion":"v1.32' in out and '"kind":"PodList"' in out


def test_requests_share_one_connection(apiget, kube_api):
    before = kube_api.connections
    out, _ = run(apiget, kube_api, "-r", "5", "/version",
                 token=kube_api.admin_token)
    assert statuses(out) == ["status 200 retry-after -1"] * 5, out
    assert kube_api.connections - before == 1


def test_no_ca_is_refused_with_a_reason(apiget, kube_api):
    out, err = run(apiget, kube_api, "/version", token=kube_api.admin_token,
                   ca=False)
    assert statuses(out) == ["error: no TLS configuration (see the log)"]
    assert "gives no certificate-authority" in err


def test_wrong_name_fails_verification(apiget, kube_api):
    out, _ = run(apiget, kube_api, "-n", "wrong.example", "/version",
                 token=kube_api.admin_token)
    assert statuses(out) == ["error: TLS: certificate of wrong.example: "
                             "hostname mismatch"], out


def test_insecure_skips_verification(apiget, kube_api):
    out, _ = run(apiget, kube_api, "-k", "-n", "wrong.example", "/version",
                 token=kube_api.admin_token, ca=False)
    assert statuses(out) == ["status 200 retry-after -1"], out


def test_bad_token_gets_401(apiget, kube_api):
    out, _ = run(apiget, kube_api, "/api/v1/pods", token="not-a-token")
    assert statuses(out) == ["status 401 retry-after -1"], out
    assert '"reason":"Unauthorized"' in out


def test_refused_grant_fails_every_queued_request(apiget, kube_api):
    out, _ = run(apiget, kube_api, "-R", "-r", "3", "/version",
                 token=kube_api.admin_token)
    assert statuses(out) == ["error: refused by the test"] * 3, out


def test_patch_body_and_content_type(apiget, kube_api):
    admin = kube_api.client(admin=True)
    admin.post("/api/v1/namespaces/default/pods", {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {"nodeName": "n1",
                 "containers": [{"name": "c", "image": "busybox"}]}})
    body = json.dumps({"status": {"phase": "Running"}})
    out, _ = run(apiget, kube_api, "-X", "PATCH", "-T",
                 "application/strategic-merge-patch+json", "-d", body,
                 "/api/v1/namespaces/default/pods/p/status",
                 token=kube_api.admin_token)
    assert statuses(out) == ["status 200 retry-after -1"], out
    assert '"phase":"Running"' in out


def test_watch_body_streams_as_it_comes(apiget, kube_api):
    admin = kube_api.client(admin=True)
    rv = json.loads(run(apiget, kube_api, "/api/v1/pods",
                        token=kube_api.admin_token)[0].splitlines()[1])[
        "metadata"]["resourceVersion"]

    def create_later():
        time.sleep(1)
        for i in range(3):
            admin.post("/api/v1/namespaces/default/pods", {
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": f"w{i}", "namespace": "default"},
                "spec": {"nodeName": "n1", "containers": [
                    {"name": "c", "image": "busybox"}]}})
    t = threading.Thread(target=create_later)
    t.start()
    out, _ = run(apiget, kube_api, "-s",
                 f"/api/v1/pods?watch=true&resourceVersion={rv}"
                 "&timeoutSeconds=4", token=kube_api.admin_token)
    t.join()
    assert "status 200 retry-after -1" in out
    events = [json.loads(line) for line in out.splitlines()
              if line.startswith("{")]
    assert [e["type"] for e in events] == ["ADDED"] * 3, out
    assert [e["object"]["metadata"]["name"] for e in events] == \
        ["w0", "w1", "w2"]


@pytest.fixture
def empty_dir(tmp_path):
    d = tmp_path / "chroot"
    d.mkdir(mode=0o755)
    os.chmod(tmp_path, 0o755)
    return str(d)


def sandboxed(apiget, api, empty_dir, *args):
    cmd = [apiget, "-S", f"_agentd:{empty_dir}", "-c", api.ca_path, "-t",
           api.admin_token, *args, "127.0.0.1", str(api.port), "/version"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30)


def test_tls_runs_in_the_api_sandbox(apiget, kube_api, empty_dir):
    """SANDBOX_API (workers/sandbox.c): chroot, privsep user, the seccomp
    allowlist; OpenSSL and libevent need nothing more over a granted
    socket."""
    r = sandboxed(apiget, kube_api, empty_dir, "-r", "2")
    assert r.returncode == 0, r.stderr
    assert statuses(r.stdout) == ["status 200 retry-after -1"] * 2


def test_api_sandbox_cannot_open_a_socket(apiget, kube_api, empty_dir):
    r = sandboxed(apiget, kube_api, empty_dir, "-P")
    assert r.returncode == -31, (r.returncode, r.stdout, r.stderr)  # SIGSYS
    assert "probe: socket" in r.stdout and "returned" not in r.stdout
