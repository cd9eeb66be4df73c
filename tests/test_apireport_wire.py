"""The reporter's API requests (workers/reporter/apinode.c, apipods.c)
relayed to the test API server with the node's own credentials, through
the build/tests/tools/apireport_drive program: the server's validation,
the node authorizer and NodeRestriction accept every one, and what the
server holds afterwards is what the kubelet would have made it: the Node
with its status, the Lease renewed and owned by the Node, the pod's
status, the static pod's mirror owned by the Node, both pods deleted."""
import json
import os
import subprocess

import pytest

NODE = "node-1"
PODS = "/api/v1/namespaces/default/pods"
LEASE = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/" \
    + NODE


@pytest.fixture
def driver(build_dir):
    path = os.path.join(build_dir, "tests", "tools", "apireport_drive")
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is not built (make all)")
    return path


def ready(node):
    return next(c for c in node["status"]["conditions"]
                if c["type"] == "Ready")


class Relay:
    """Runs the driver, sends its requests as the node, answers it."""

    def __init__(self, driver, api, uid):
        self.node = api.client(node=NODE)
        self.log = []
        self.p = subprocess.Popen([driver, NODE, uid], text=True,
                                  stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE)

    def next(self):
        """Relays requests until a checkpoint; its name (None: done)."""
        while True:
            line = self.p.stdout.readline()
            assert line, "the driver ended early"
            msg = json.loads(line)
            if "checkpoint" in msg:
                return msg["checkpoint"]
            if msg.get("done"):
                return None
            rq = msg["req"]
            r = self.node.request(rq["method"], rq["path"],
                                  rq.get("body"),
                                  ctype=rq.get("ctype", "application/json"))
            self.log.append((rq["method"], rq["path"], r.code))
            assert r.code < 300 or r.code == 409, (rq, r)
            self.p.stdin.write(json.dumps({"status": r.code,
                                           "body": r.body.decode()}) + "\n")
            self.p.stdin.flush()

    def go_on(self):
        self.p.stdin.write("\n")
        self.p.stdin.flush()

    def close(self):
        self.p.stdin.close()
        assert self.p.wait(timeout=30) == 0


def test_requests_accepted_and_applied(kube_api, driver):
    admin = kube_api.client(admin=True)
    relay = Relay(driver, kube_api, make_web(admin))
    try:
        assert relay.next() == "node"
        node = admin.get(f"/api/v1/nodes/{NODE}").json()
        assert ready(node)["status"] == "True"
        assert ready(node)["reason"] == "KubeletReady"
        assert {"type": "InternalIP", "address": "192.0.2.2"} in \
            node["status"]["addresses"]
        assert node["status"]["capacity"]["pods"] == "110"
        assert node["status"]["nodeInfo"]["kernelVersion"] == "6.1.0"
        lease = admin.get(LEASE).json()
        assert lease["spec"]["holderIdentity"] == NODE
        assert lease["spec"]["leaseDurationSeconds"] == 40
        assert lease["metadata"]["ownerReferences"] == [{
            "apiVersion": "v1", "kind": "Node", "name": NODE,
            "uid": node["metadata"]["uid"]}]
        renewed = lease["spec"]["renewTime"]
        relay.go_on()

        assert relay.next() == "renewed"
        lease = admin.get(LEASE).json()
        assert lease["spec"]["renewTime"] > renewed
        assert ("PUT", LEASE, 200) in relay.log
        relay.go_on()

        assert relay.next() == "notready"
        node = admin.get(f"/api/v1/nodes/{NODE}").json()
        assert ready(node)["status"] == "False"
        assert ready(node)["reason"] == "KubeletNotReady"
        assert ready(node)["message"] == \
            "network plugin not ready: no CNI configuration"
        # the two other conditions are still there, merged by type
        assert len(node["status"]["conditions"]) == 4
        relay.go_on()

        assert relay.next() == "running"
        pod = admin.get(f"{PODS}/web").json()
        assert pod["status"]["phase"] == "Running"
        assert pod["status"]["podIP"] == "10.88.0.7"
        cs = pod["status"]["containerStatuses"][0]
        assert cs["ready"] is True and "running" in cs["state"]
        relay.go_on()

        assert relay.next() == "mirror"
        mirror = admin.get(f"{PODS}/static-web").json()
        meta = mirror["metadata"]
        assert meta["annotations"]["kubernetes.io/config.mirror"] == \
            meta["annotations"]["kubernetes.io/config.hash"]
        assert meta["ownerReferences"][0]["kind"] == "Node"
        assert meta["ownerReferences"][0]["controller"] is True
        assert mirror["spec"]["nodeName"] == NODE
        assert mirror["status"]["phase"] == "Running"
        relay.go_on()

        assert relay.next() == "deleted"
        assert admin.get(f"{PODS}/web").code == 404
        assert admin.get(f"{PODS}/static-web").code == 404
        deletes = [x for x in relay.log if x[0] == "DELETE"]
        assert sorted(deletes) == [("DELETE", f"{PODS}/static-web", 200),
                                   ("DELETE", f"{PODS}/web", 200)]
        relay.go_on()
        assert relay.next() is None
    finally:
        relay.close()
        admin.delete(f"{PODS}/web")


def run_through(relay):
    while relay.next() is not None:
        relay.go_on()
    relay.close()


def make_web(admin):
    r = admin.post(PODS, {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"nodeName": NODE,
                 "containers": [{"name": "c", "image": "busybox:1.36"}]}})
    assert r.code == 201, r.body
    return r.json()["metadata"]["uid"]


def test_restart_adopts_node_and_lease(kube_api, driver):
    """a second start finds its Node and Lease: both are adopted (409,
    then GET), the Node keeps its uid, the Lease is renewed by PUT"""
    admin = kube_api.client(admin=True)
    run_through(Relay(driver, kube_api, make_web(admin)))
    node_uid = admin.get(f"/api/v1/nodes/{NODE}").json()["metadata"]["uid"]
    relay = Relay(driver, kube_api, make_web(admin))
    run_through(relay)
    log = relay.log
    leases = LEASE.rsplit("/", 1)[0]
    assert log[:3] == [("POST", "/api/v1/nodes", 409),
                       ("GET", f"/api/v1/nodes/{NODE}", 200),
                       ("PATCH", f"/api/v1/nodes/{NODE}/status", 200)]
    i = log.index(("POST", leases, 409))
    assert log[i + 1:i + 3] == [("GET", LEASE, 200), ("PUT", LEASE, 200)]
    got = admin.get(f"/api/v1/nodes/{NODE}").json()
    assert got["metadata"]["uid"] == node_uid
    owners = admin.get(LEASE).json()["metadata"]["ownerReferences"]
    assert owners[0]["uid"] == node_uid
