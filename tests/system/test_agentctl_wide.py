"""`agentctl get pods -o wide` (issue 11, item 4): kubectl's IP and NODE
columns after AGE, asked through the control socket and rendered by the
reporter (QUERY_POD_TABLE_WIDE).  No CNI configuration: a pod on loopback
only has no IP ("<none>"), a hostNetwork pod has the node's."""
import pytest

from harness import manifest, running, start_agentd, wait_pod

NODE_IP = "192.0.2.10"
HEADER = ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP",
          "NODE"]


@pytest.fixture
def agentd(testbuild_dir, busybox_image):
    a = start_agentd(testbuild_dir, busybox_image, extra_config={
        "nodeIP": NODE_IP, "allowHostNetwork": "true"})
    yield a
    a.cleanup()


def rows(a, *args):
    lines = a.agentctl("get", "pods", *args).stdout.splitlines()
    return lines[0].split(), {ln.split()[1]: ln.split() for ln in lines[1:]}


def test_get_pods_wide_shows_pod_ip_and_node(agentd):
    a = agentd
    a.write_manifest("lo.yaml", manifest("lo", "exec sleep 1000"))
    a.write_manifest("hn.yaml", manifest("hn", "exec sleep 1000",
                                         extra_spec="  hostNetwork: true\n"))
    wait_pod(a, "lo", running)
    st = wait_pod(a, "hn", running)["status"]
    assert st["podIP"] == NODE_IP
    header, row = rows(a, "-o", "wide")
    assert header == HEADER
    assert row["hn-testnode"][:4] == ["default", "hn-testnode", "1/1",
                                      "Running"]
    assert row["hn-testnode"][-2:] == [NODE_IP, "testnode"]
    assert row["lo-testnode"][-2:] == ["<none>", "testnode"]
    # the plain table is unchanged: neither column
    header, row = rows(a)
    assert header == HEADER[:6] and NODE_IP not in row["hn-testnode"]


def test_wide_is_refused_where_it_has_no_table(agentd):
    a = agentd
    r = a.agentctl("get", "pod", "default/x-testnode", "-o", "wide",
                   check=False)
    assert r.returncode != 0 and "unknown output format wide" in r.stderr
    r = a.agentctl("status", "-o", "wide", check=False)
    assert r.returncode != 0 and "unknown output format wide" in r.stderr
    r = a.agentctl("get", "pods", "-o", "yaml", check=False)
    assert r.returncode != 0 and "unknown output format yaml" in r.stderr
