"""The reporter's pod status PATCH body (workers/reporter/podpatch.h)
sent to the test API server as the kubelet sends it (PATCH .../status,
application/strategic-merge-patch+json, metadata.uid as precondition),
through the build/tests/tools/podpatch_diff program (nothing in agentd
sends it yet): what the server stores afterwards is the new status."""
import json
import os
import subprocess

import pytest

NODE = "node-1"
PODS = "/api/v1/namespaces/default/pods"

RUNNING = {
    "phase": "Running",
    "conditions": [
        {"type": "PodReadyToStartContainers", "status": "True"},
        {"type": "Initialized", "status": "True"},
        {"type": "Ready", "status": "True"},
        {"type": "ContainersReady", "status": "True"},
        {"type": "PodScheduled", "status": "True"},
    ],
    "hostIP": "192.0.2.2", "hostIPs": [{"ip": "192.0.2.2"}],
    "podIP": "10.88.0.7", "podIPs": [{"ip": "10.88.0.7"}],
    "containerStatuses": [
        {"name": "c", "image": "busybox:1.36", "imageID": "",
         "ready": True, "restartCount": 0, "started": True,
         "state": {"running": {"startedAt": "2026-11-28T07:33:44Z"}}}],
    "qosClass": "BestEffort",
}

# the container exited: Ready and ContainersReady turn False with a
# reason, the state is replaced, the pod's IP is gone
FAILED = {
    "phase": "Failed",
    "conditions": [
        {"type": "PodReadyToStartContainers", "status": "True"},
        {"type": "Initialized", "status": "True"},
        {"type": "Ready", "status": "False", "reason": "PodFailed"},
        {"type": "ContainersReady", "status": "False",
         "reason": "PodFailed"},
        {"type": "PodScheduled", "status": "True"},
    ],
    "hostIP": "192.0.2.2", "hostIPs": [{"ip": "192.0.2.2"}],
    "containerStatuses": [
        {"name": "c", "image": "busybox:1.36", "imageID": "",
         "ready": False, "restartCount": 0, "started": False,
         "state": {"terminated": {"exitCode": 1, "reason": "Error",
                                  "startedAt": "2026-11-28T07:33:44Z",
                                  "finishedAt": "2026-11-28T07:33:51Z"}}}],
    "qosClass": "BestEffort",
}


@pytest.fixture
def differ(build_dir):
    path = os.path.join(build_dir, "tests", "tools", "podpatch_diff")
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is not built (make all)")
    return path


def diff(differ, tmp_path, uid, old, new):
    (tmp_path / "old.json").write_text(json.dumps(old))
    (tmp_path / "new.json").write_text(json.dumps(new))
    r = subprocess.run([differ, uid, str(tmp_path / "old.json"),
                        str(tmp_path / "new.json")],
                       capture_output=True, timeout=30, text=True)
    assert r.returncode == 0, r.stderr
    body, verdict = r.stdout.splitlines()
    return body, verdict


def test_patched_status_is_new_status(kube_api, differ, tmp_path):
    admin = kube_api.client(admin=True)
    r = admin.post(PODS, {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"nodeName": NODE,
                 "containers": [{"name": "c", "image": "busybox:1.36"}]}})
    assert r.code == 201, r.body
    try:
        created = r.json()
        uid = created["metadata"]["uid"]
        old = created.get("status", {})
        for new in (RUNNING, FAILED):
            body, verdict = diff(differ, tmp_path, uid, old, new)
            assert verdict == "changed"
            r = admin.patch(f"{PODS}/web/status", body)
            assert r.code == 200, (body, r.body)
            got = admin.get(f"{PODS}/web").json()
            assert got["status"] == new, body
            old = got["status"]
        # unchanged: the kubelet would send nothing
        assert diff(differ, tmp_path, uid, old, FAILED)[1] == "empty"
    finally:
        admin.delete(f"{PODS}/web")
