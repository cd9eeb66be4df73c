"""A pod's /etc/hosts, /etc/resolv.conf and hostname as the kubelet makes
them, read from inside busybox containers, for each dnsPolicy, dnsConfig,
hostAliases, hostname/subdomain/setHostnameAsFQDN and hostNetwork; the
MissingClusterDNS warning; status.hostIP(s) (issue 11, item 2)."""
import ipaddress
import json
import socket

import pytest

from harness import manifest, running, start_agentd, wait_for, wait_pod

NODE_IP = "192.0.2.10"
CLUSTER_DNS = "10.96.0.10"
END = "=====END"
SCRIPT = ("cat /etc/hosts; echo =====RESOLV; cat /etc/resolv.conf; "
          "echo =====HOSTNAME; hostname; echo " + END + "; exec sleep 1000")
LOCALHOST = ("# Kubernetes-managed hosts file.\n"
             "127.0.0.1\tlocalhost\n"
             "::1\tlocalhost ip6-localhost ip6-loopback\n"
             "fe00::0\tip6-localnet\n"
             "fe00::0\tip6-mcastprefix\n"
             "fe00::1\tip6-allnodes\n"
             "fe00::2\tip6-allrouters\n")


@pytest.fixture
def cluster(testbuild_dir, busybox_image):
    """agentd with clusterDNS and an explicit nodeIP."""
    a = start_agentd(testbuild_dir, busybox_image, extra_config={
        "nodeIP": NODE_IP, "clusterDNS": [CLUSTER_DNS],
        "clusterDomain": "cluster.local", "allowHostNetwork": "true"})
    yield a
    a.cleanup()


@pytest.fixture
def plain(testbuild_dir, busybox_image):
    """agentd without clusterDNS or nodeIP: the defaults."""
    a = start_agentd(testbuild_dir, busybox_image)
    yield a
    a.cleanup()


def files(a, name):
    """hosts, resolv.conf and hostname as the container printed them."""
    def out():
        r = a.agentctl("logs", f"default/{name}-testnode", check=False)
        return r.stdout if r.returncode == 0 and END in r.stdout else False
    text = wait_for(out, 30, interval=0.3, what=f"{name}'s files")
    text = text.split(END)[0]
    hosts, rest = text.split("=====RESOLV\n", 1)
    resolv, host = rest.split("=====HOSTNAME\n", 1)
    return hosts, resolv, host.strip()


def start(a, name, extra_spec=""):
    a.write_manifest(f"{name}.yaml", manifest(name, SCRIPT,
                                              extra_spec=extra_spec))


def events(a):
    return json.loads(a.agentctl("events", "-o", "json").stdout)["items"]


def node_resolv():
    """The node's resolv.conf as the executor picks it."""
    text = open("/etc/resolv.conf").read()
    if "nameserver 127." in text:
        text = open("/run/systemd/resolve/resolv.conf").read()
    servers = [ln.split()[1] for ln in text.splitlines()
               if ln.split()[:1] == ["nameserver"] and len(ln.split()) > 1]
    return servers


def test_cluster_first_none_aliases_hostname(cluster):
    start(cluster, "cf")
    start(cluster, "none", "  dnsPolicy: None\n  dnsConfig:\n"
          "    nameservers: [1.1.1.1]\n    searches: [my.example]\n"
          "    options:\n    - name: ndots\n      value: \"2\"\n")
    start(cluster, "named", "  hostname: box\n  subdomain: grp\n"
          "  hostAliases:\n  - ip: 10.1.2.3\n    hostnames: [foo.local, bar]\n")
    start(cluster, "fqdn", "  hostname: box\n  subdomain: grp\n"
          "  setHostnameAsFQDN: true\n  dnsPolicy: Default\n")
    start(cluster, "many", "  dnsConfig:\n"
          "    nameservers: [1.1.1.1, 1.1.1.2, 1.1.1.3]\n")

    hosts, resolv, host = files(cluster, "cf")
    lines = resolv.splitlines()
    assert lines[0].startswith("search default.svc.cluster.local "
                               "svc.cluster.local cluster.local")
    assert lines[1:] == [f"nameserver {CLUSTER_DNS}", "options ndots:5"]
    # no pod IP without CNI: the managed file has no line for the pod
    assert hosts == LOCALHOST
    assert host == "cf-testnode"

    hosts, resolv, host = files(cluster, "none")
    assert resolv == "search my.example\nnameserver 1.1.1.1\noptions ndots:2\n"

    hosts, resolv, host = files(cluster, "named")
    assert hosts == LOCALHOST + ("\n# Entries added by HostAliases.\n"
                                 "10.1.2.3\tfoo.local\tbar\n")
    assert host == "box"

    hosts, resolv, host = files(cluster, "fqdn")
    assert host == "box.grp.default.svc.cluster.local"
    assert CLUSTER_DNS not in resolv
    assert [ln.split()[1] for ln in resolv.splitlines()
            if ln.startswith("nameserver")] == node_resolv()[:3]

    # the cluster's server and the pod's three: the fourth is cut
    hosts, resolv, host = files(cluster, "many")
    assert [ln for ln in resolv.splitlines() if ln.startswith("nameserver")] \
        == [f"nameserver {CLUSTER_DNS}", "nameserver 1.1.1.1",
            "nameserver 1.1.1.2"]
    ev = wait_for(lambda: [e for e in events(cluster)
                           if e["reason"] == "DNSConfigForming"], 20,
                  interval=0.3, what="DNSConfigForming")[0]
    assert ev["type"] == "Warning"
    assert ev["involvedObject"]["name"] == "many-testnode"
    assert "the applied nameserver line is: 10.96.0.10 1.1.1.1 1.1.1.2" \
        in ev["message"]

    # status: the configured node IP on every pod, no pod IP without CNI
    st = wait_pod(cluster, "cf", running)["status"]
    assert st["hostIP"] == NODE_IP
    assert st["hostIPs"] == [{"ip": NODE_IP}]
    assert "podIP" not in st and "podIPs" not in st
    spec = wait_pod(cluster, "none", running)["spec"]
    assert spec["dnsPolicy"] == "None"
    assert spec["dnsConfig"]["nameservers"] == ["1.1.1.1"]
    assert spec["dnsConfig"]["options"] == [{"name": "ndots", "value": "2"}]
    spec = wait_pod(cluster, "named", running)["spec"]
    assert spec["hostname"] == "box" and spec["subdomain"] == "grp"
    assert spec["hostAliases"] == [{"ip": "10.1.2.3",
                                    "hostnames": ["foo.local", "bar"]}]


def test_host_network_pod(cluster):
    start(cluster, "hn", "  hostNetwork: true\n"
          "  hostAliases:\n  - ip: 10.9.9.9\n    hostnames: [alias]\n")
    hosts, resolv, host = files(cluster, "hn")
    node_hosts = open("/etc/hosts").read()
    assert hosts == ("# Kubernetes-managed hosts file (host network).\n" +
                     node_hosts + "\n# Entries added by HostAliases.\n"
                     "10.9.9.9\talias\n")
    # ClusterFirst on the host's network is Default
    assert CLUSTER_DNS not in resolv
    assert host == socket.gethostname()
    st = wait_pod(cluster, "hn", running)["status"]
    assert st["hostIP"] == NODE_IP and st["podIP"] == NODE_IP
    assert st["podIPs"] == [{"ip": NODE_IP}]


def test_cluster_first_without_cluster_dns(plain):
    start(plain, "nodns")
    hosts, resolv, host = files(plain, "nodns")
    assert "svc.cluster.local" not in resolv and "ndots:5" not in resolv
    assert [ln.split()[1] for ln in resolv.splitlines()
            if ln.startswith("nameserver")] == node_resolv()[:3]

    def event():
        return [e for e in events(plain)
                if e["reason"] == "MissingClusterDNS"]
    ev = wait_for(event, 20, interval=0.3, what="MissingClusterDNS")[0]
    assert ev["type"] == "Warning"
    assert "Falling back to \"Default\" policy" in ev["message"]
    assert ev["involvedObject"]["name"] == "nodns-testnode"

    # the default node IPs: the default routes' interfaces, one per family
    st = wait_pod(plain, "nodns", running)["status"]
    ips = [e["ip"] for e in st.get("hostIPs", [])]
    assert st.get("hostIP") == (ips[0] if ips else None)
    assert len(ips) <= 2
    fams = [ipaddress.ip_address(ip).version for ip in ips]
    assert len(set(fams)) == len(fams)
    with open("/proc/net/route") as f:
        has_default4 = any(ln.split()[1:2] == ["00000000"]
                           for ln in f.readlines()[1:])
    if has_default4:
        assert 4 in fams
