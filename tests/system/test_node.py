"""`agentctl get node` (issue 12, item 4): the v1.Node that agentd will
register in API mode, built by the reporter from the facts the executor
gathered at its start (MSG_NODE_INFO) and the configuration, shown as
`kubectl get nodes` and `kubectl get node -o json` would."""
import json
import os
import re
import time

import pytest

from harness import Agentd, wait_for

NODE_IP = "192.0.2.10"
MAX_PODS = 64
VERSION = re.compile(r"^v1\.\d+\.\d+-agentd\.\d+$")
BINARY_SI = {"": 1, "Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30,
             "Ti": 1 << 40, "Pi": 1 << 50, "Ei": 1 << 60}


@pytest.fixture
def agentd(testbuild_dir):
    a = Agentd(testbuild_dir, extra_config={"nodeIP": NODE_IP,
                                            "maxPods": str(MAX_PODS)})
    yield a
    a.cleanup()


def node_json(a):
    # the executor sends the facts when the reporter connects: wait for
    # them rather than for a fixed time
    def get():
        r = a.agentctl("get", "node", "-o", "json", check=False)
        return json.loads(r.stdout) if r.returncode == 0 else None
    return wait_for(get, 15, what="the node's facts")


def quantity_bytes(q):
    m = re.fullmatch(r"(\d+)(Ki|Mi|Gi|Ti|Pi|Ei|)", q)
    assert m, f"not a binary quantity: {q}"
    return int(m.group(1)) * BINARY_SI[m.group(2)]


def meminfo_total():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no MemTotal")


def test_node_json_has_the_hosts_facts(agentd):
    n = node_json(agentd)
    assert n["kind"] == "Node" and n["apiVersion"] == "v1"
    assert n["metadata"]["name"] == "testnode"
    st = n["status"]
    cap = st["capacity"]
    assert cap["cpu"] == str(len(os.sched_getaffinity(0)))
    assert quantity_bytes(cap["memory"]) == meminfo_total()
    assert cap["pods"] == str(MAX_PODS)
    sv = os.statvfs(agentd.root)
    assert quantity_bytes(cap["ephemeral-storage"]) == \
        sv.f_blocks * sv.f_frsize
    # no reservations are configured: allocatable is capacity
    assert st["allocatable"] == cap
    info = st["nodeInfo"]
    with open("/etc/machine-id") as f:
        assert info["machineID"] == f.read().strip()
    with open("/proc/sys/kernel/random/boot_id") as f:
        assert info["bootID"] == f.read().strip()
    assert info["kernelVersion"] == os.uname().release
    assert info["operatingSystem"] == "linux"
    assert info["architecture"] == {"x86_64": "amd64",
                                    "aarch64": "arm64"}.get(
        os.uname().machine, os.uname().machine)
    assert re.fullmatch(r"runc://\S+", info["containerRuntimeVersion"])
    assert VERSION.match(info["kubeletVersion"])
    assert info["kubeProxyVersion"] == ""
    assert st["addresses"] == [{"type": "InternalIP", "address": NODE_IP},
                               {"type": "Hostname", "address": "testnode"}]
    assert st["daemonEndpoints"] == {"kubeletEndpoint": {"Port": 0}}
    labels = n["metadata"]["labels"]
    assert labels["kubernetes.io/hostname"] == "testnode"
    assert labels["kubernetes.io/os"] == labels["beta.kubernetes.io/os"] \
        == "linux"
    assert labels["kubernetes.io/arch"] == info["architecture"]


def test_node_conditions_are_the_kubelets(agentd):
    n = node_json(agentd)
    conds = {c["type"]: c for c in n["status"]["conditions"]}
    assert [c["type"] for c in n["status"]["conditions"]] == [
        "MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]
    assert conds["Ready"]["status"] == "True"
    assert conds["Ready"]["reason"] == "KubeletReady"
    assert conds["MemoryPressure"]["status"] == "False"
    assert conds["MemoryPressure"]["reason"] == "KubeletHasSufficientMemory"
    assert conds["DiskPressure"]["reason"] == "KubeletHasNoDiskPressure"
    assert conds["PIDPressure"]["reason"] == "KubeletHasSufficientPID"
    for c in conds.values():
        assert c["lastHeartbeatTime"] >= c["lastTransitionTime"]


def test_get_nodes_table(agentd):
    version = node_json(agentd)["status"]["nodeInfo"]["kubeletVersion"]
    lines = agentd.agentctl("get", "nodes").stdout.splitlines()
    assert lines[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert len(lines) == 2
    row = lines[1].split()
    assert row[:3] == ["testnode", "Ready", "<none>"]
    assert re.fullmatch(r"\d+[smhd].*", row[3])
    assert row[4] == version
    # kubectl's padding: VERSION starts where its header does
    assert lines[1].index(version) == lines[0].index("VERSION")


def test_get_node_by_name(agentd):
    a = agentd
    n = node_json(a)
    by_name = json.loads(a.agentctl("get", "node", "testnode", "-o",
                                    "json").stdout)
    assert by_name["metadata"] == n["metadata"]
    r = a.agentctl("get", "node", "othernode", check=False)
    assert r.returncode != 0 and 'node "othernode" not found' in r.stderr
    r = a.agentctl("get", "no", "othernode", "-o", "json", check=False)
    assert r.returncode != 0 and 'node "othernode" not found' in r.stderr


def test_node_facts_survive_a_reporter_restart(agentd):
    a = agentd
    before = node_json(a)
    os.kill(a.pid("reporter"), 9)
    wait_for(lambda: a.restarts("reporter") >= 1, 15,
             what="reporter restarted")
    a.wait_all_running()
    after = node_json(a)
    assert after["status"]["nodeInfo"] == before["status"]["nodeInfo"]
    assert after["metadata"]["creationTimestamp"] == \
        before["metadata"]["creationTimestamp"]


def test_node_age_survives_an_executor_restart(agentd):
    a = agentd
    before = node_json(a)
    time.sleep(1.1)     # the times have whole seconds: the new ones differ
    os.kill(a.pid("executor"), 9)
    wait_for(lambda: a.restarts("executor") >= 1, 15,
             what="executor restarted")
    a.wait_all_running()
    # the new executor's facts arrive on its new connection: same boot,
    # so the node's creation and transition times are the first ones
    after = node_json(a)
    assert after["status"]["nodeInfo"] == before["status"]["nodeInfo"]
    assert after["metadata"]["creationTimestamp"] == \
        before["metadata"]["creationTimestamp"]
    ready = [c for c in after["status"]["conditions"]
             if c["type"] == "Ready"][0]
    assert ready["lastTransitionTime"] == \
        before["metadata"]["creationTimestamp"]
