"""CNI plugin chains (issue 11, item 1): the first configuration in
cniConfDir is every pod's eth0, after loopback; ADD on sandbox creation,
DEL on removal, the result decoded by agentd-netparse, the pod's IP in
status.podIP.

agentd runs in a network namespace of the test's own (cninet.py), so the
bridge, the veths and every packet stay in it; host-local's dataDir is
under the test's temp dir.  Nothing here touches the host's network or
/etc/cni."""
import json
import os
import signal
import time

from cninet import (GATEWAY, PLUGINS, RECORDER, leases, needs_plugins,
                    ns_run, start_in_netns, veths, write_conflist)
from cninet import netns  # noqa: F401 (a fixture)
from harness import manifest, running, wait_for, wait_pod

pytestmark = needs_plugins


def test_status_says_loopback_only_without_configuration(pod_agentd):
    st = pod_agentd.status()["network"]
    assert st["mode"] == "loopback"
    out = pod_agentd.agentctl("status").stdout
    assert ("network: loopback only (no CNI configuration in "
            f"{st['cniConfDir']})") in out
    assert pod_agentd.log().count("network: loopback only") == 1


def test_bridge_chain_add_reach_and_del(testbuild_dir, busybox_image,
                                        tmp_path, netns):
    cnidir = str(tmp_path / "net.d")
    datadir = str(tmp_path / "ipam")
    # a file that is not a network comes first and is skipped
    os.makedirs(cnidir)
    with open(os.path.join(cnidir, "00-broken.conf"), "w") as f:
        f.write('{"type": "bridge"}')
    write_conflist(cnidir, datadir)
    a = start_in_netns(testbuild_dir, busybox_image, netns, cnidir)
    try:
        st = a.status()["network"]
        assert st["mode"] == "cni" and st["name"] == "testnet", st
        assert "00-broken.conf ignored: no \"name\"" in a.log()
        assert "network: testnet (" in a.agentctl("status").stdout
        a.write_manifest("web.yaml", manifest("web", "exec sleep 1000"))
        p = wait_pod(a, "web", lambda p: running(p) and
                     p["status"].get("podIP"), timeout=60)
        ip = p["status"]["podIP"]
        assert ip.startswith("10.199.7."), ip
        assert ip in [os.path.basename(x) for x in leases(datadir)]
        assert "master agtest0" in veths(netns)
        # reachable from agentd's namespace, over the bridge
        assert wait_for(lambda: ns_run(
            netns, "busybox", "ping", "-c", "1", "-W", "1", ip,
            check=False).returncode == 0, 20, interval=0.5,
            what="the pod answering ping over the bridge")
        # a restarted netparse is the next sandbox's; a restarted
        # executor re-adopts the pod with its IP
        old = a.pid("netparse")
        os.kill(old, signal.SIGKILL)
        a.wait_new_pid("netparse", old)
        a.write_manifest("web2.yaml", manifest("web2", "exec sleep 1000"))
        p2 = wait_pod(a, "web2", lambda p: running(p) and
                      p["status"].get("podIP"), timeout=60)
        assert p2["status"]["podIP"] not in ("", ip)
        old = a.pid("executor")
        os.kill(old, signal.SIGKILL)
        a.wait_new_pid("executor", old)
        time.sleep(2)
        assert wait_pod(a, "web", lambda p: running(p) and p["status"].get(
            "podIP") == ip, timeout=30)
        a.remove_manifest("web2.yaml")
        a.remove_manifest("web.yaml")
        wait_for(lambda: a.pod("default", "web-testnode") is None, 60,
                 interval=0.3, what="pod removed")
        # DEL released the address and took the veth away
        wait_for(lambda: not leases(datadir), 10, what="lease released")
        assert veths(netns).strip() == "", veths(netns)
    finally:
        a.cleanup()


FAILER = """#!/bin/sh
cat >/dev/null
if [ "$CNI_COMMAND" = ADD ]; then
  echo '{"cniVersion":"1.0.0","code":11,"msg":"test plugin refuses eth0"}'
  exit 1
fi
exit 0
"""


def test_failing_plugin_names_the_cni_error(testbuild_dir, busybox_image,
                                            tmp_path, netns):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    os.symlink(os.path.join(PLUGINS, "loopback"), bindir / "loopback")
    (bindir / "failer").write_text(FAILER)
    os.chmod(bindir / "failer", 0o755)
    cnidir = tmp_path / "net.d"
    cnidir.mkdir()
    (cnidir / "10-fail.conf").write_text(json.dumps(
        {"cniVersion": "1.0.0", "name": "failnet", "type": "failer"}))
    a = start_in_netns(testbuild_dir, busybox_image, netns, cnidir, bindir)
    try:
        a.write_manifest("f.yaml", manifest("f", "exec sleep 1000"))
        want = ("creating sandbox for default/f-testnode: CNI ADD failer: "
                "test plugin refuses eth0")
        p = wait_pod(a, "f", lambda p: want in json.dumps(p["status"]),
                     timeout=30)
        assert not running(p)
    finally:
        a.cleanup()




def test_chain_passes_prevresult_args_and_port_mappings(
        testbuild_dir, busybox_image, tmp_path, netns):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for p in ("loopback", "bridge", "host-local"):
        os.symlink(os.path.join(PLUGINS, p), bindir / p)
    log = str(tmp_path / "recorder.log")
    (bindir / "recorder").write_text(RECORDER.format(log=log, fail=log + ".fail"))
    os.chmod(bindir / "recorder", 0o755)
    datadir = str(tmp_path / "ipam")
    cnidir = str(tmp_path / "net.d")
    write_conflist(cnidir, datadir)
    path = os.path.join(cnidir, "10-test.conflist")
    with open(path) as f:
        conf = json.load(f)
    conf["plugins"][1] = {"type": "recorder", "marker": 7,
                          "capabilities": {"portMappings": True}}
    with open(path, "w") as f:
        json.dump(conf, f)
    a = start_in_netns(testbuild_dir, busybox_image, netns, cnidir, bindir)
    try:
        a.write_manifest("pm.yaml", manifest(
            "pm", "exec sleep 1000", extra_ctr="    ports:\n"
            "    - containerPort: 80\n      hostPort: 18080\n"))
        p = wait_pod(a, "pm", lambda p: running(p) and
                     p["status"].get("podIP"), timeout=60)
        uid = p["metadata"]["uid"]
        with open(log) as f:
            add = json.loads(f.readline())
        assert add["cmd"] == "ADD" and add["ifname"] == "eth0"
        assert add["args"].startswith("IgnoreUnknown=1;K8S_POD_NAMESPACE="
                                      "default;K8S_POD_NAME=pm-testnode;"
                                      "K8S_POD_INFRA_CONTAINER_ID=")
        assert add["args"].endswith(f";K8S_POD_UID={uid}")
        c = add["conf"]
        assert c["name"] == "testnet" and c["cniVersion"] == "1.0.0"
        assert c["marker"] == 7
        assert c["runtimeConfig"]["portMappings"] == [
            {"hostPort": 18080, "containerPort": 80, "protocol": "tcp"}]
        ips = [i["address"] for i in c["prevResult"]["ips"]]
        assert ips == [p["status"]["podIP"] + "/24"], c["prevResult"]
        a.remove_manifest("pm.yaml")
        wait_for(lambda: a.pod("default", "pm-testnode") is None, 60,
                 interval=0.3, what="pod removed")
        with open(log) as f:
            rows = [json.loads(ln) for ln in f]
        dels = [r for r in rows if r["cmd"] == "DEL"]
        assert dels and dels[0]["conf"]["prevResult"]["ips"], rows
        assert not leases(datadir)
    finally:
        a.cleanup()


def test_failed_add_releases_what_the_chain_took(testbuild_dir, busybox_image,
                                                 tmp_path, netns):
    # bridge and host-local succeed, then the chain's last plugin fails:
    # the DEL that follows (CNI_NETNS empty, the namespace is going) must
    # give the address back, before the retry
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for p in ("loopback", "bridge", "host-local"):
        os.symlink(os.path.join(PLUGINS, p), bindir / p)
    (bindir / "failer").write_text(FAILER)
    os.chmod(bindir / "failer", 0o755)
    datadir = str(tmp_path / "ipam")
    cnidir = str(tmp_path / "net.d")
    write_conflist(cnidir, datadir)
    path = os.path.join(cnidir, "10-test.conflist")
    with open(path) as f:
        conf = json.load(f)
    conf["plugins"][1] = {"type": "failer"}
    with open(path, "w") as f:
        json.dump(conf, f)
    a = start_in_netns(testbuild_dir, busybox_image, netns, cnidir, bindir)
    try:
        a.write_manifest("f.yaml", manifest("f", "exec sleep 1000"))
        wait_pod(a, "f", lambda p: "CNI ADD failer: test plugin refuses"
                 in json.dumps(p["status"]), timeout=30)
        # host-local did allocate (its dataDir exists), and gave it back
        assert os.path.isdir(os.path.join(datadir, "testnet"))
        assert not leases(datadir), leases(datadir)
        assert veths(netns).strip() == ""
    finally:
        a.cleanup()


# ---- hostPorts (issue 11, item 3): published by portmap, or refused ----

def host_port(port, container=80):
    return (f"    ports:\n    - containerPort: {container}\n"
            f"      hostPort: {port}\n")


def test_host_port_without_a_network_is_refused(pod_agentd):
    a = pod_agentd
    a.write_manifest("hp.yaml", manifest("hp", "exec sleep 1000",
                                         extra_ctr=host_port(18081)))
    want = ("hostPort 18081/TCP cannot be published: no CNI configuration "
            "in ")
    p = wait_pod(a, "hp", lambda p: want in json.dumps(p["status"]),
                 timeout=30, what="the refusal in the pod's status")
    assert not running(p) and not p["status"].get("podIP")
    a.remove_manifest("hp.yaml")
    wait_for(lambda: a.pod("default", "hp-testnode") is None, 30,
             interval=0.3, what="pod removed")


def test_host_port_is_published_and_kept_by_its_first_pod(
        testbuild_dir, busybox_image, tmp_path, netns):
    cnidir = str(tmp_path / "net.d")
    datadir = str(tmp_path / "ipam")
    write_conflist(cnidir, datadir)
    a = start_in_netns(testbuild_dir, busybox_image, netns, cnidir,
                       extra_config={"allowPrivilegedHostPorts": "false"})
    try:
        a.write_manifest("srv.yaml", manifest(
            "srv", "while true; do echo hello-hostport | nc -l -p 80; done",
            extra_ctr=host_port(18082)))
        p = wait_pod(a, "srv", lambda p: running(p) and
                     p["status"].get("podIP"), timeout=60)
        ip = p["status"]["podIP"]
        assert p["status"]["podIPs"] == [{"ip": ip}]
        # the pod's /etc/hosts names it at its CNI address
        with open(os.path.join(a.root, "pods", p["metadata"]["uid"],
                               "hosts")) as f:
            assert f"{ip}\tsrv-testnode\n" in f.read()
        # portmap's DNAT, inside the test's namespace: the bridge's own
        # address (the gateway) on the hostPort reaches the pod's port 80

        def answer():
            r = ns_run(netns, "busybox", "nc", "-w", "2", GATEWAY, "18082",
                       check=False)
            return "hello-hostport" in r.stdout
        assert wait_for(answer, 20, interval=0.5,
                        what="the pod answering on its hostPort")
        # a second pod asking for the same port fails; the first keeps it
        a.write_manifest("dup.yaml", manifest(
            "dup", "exec sleep 1000", extra_ctr=host_port(18082, 81)))
        p = wait_pod(a, "dup", lambda p: p["status"].get("phase") ==
                     "Failed", timeout=30)
        assert p["status"]["reason"] == "HostPortConflict"
        assert ("hostPort 18082/TCP is already taken by pod "
                "default/srv-testnode") in p["status"]["message"]
        assert any(r["action"] == "policy.deny" and
                   r["pod"]["name"] == "dup-testnode"
                   for r in a.audit_records())
        assert wait_for(answer, 10, interval=0.5, what="the first pod")
        # below 1024 is refused by this node's policy
        a.write_manifest("low.yaml", manifest(
            "low", "exec sleep 1000", extra_ctr=host_port(80)))
        p = wait_pod(a, "low", lambda p: p["status"].get("phase") ==
                     "Failed", timeout=30)
        assert p["status"]["reason"] == "NodePolicyDenied"
        assert "hostPort 80 is below 1024" in p["status"]["message"]
        for m in ("low.yaml", "dup.yaml", "srv.yaml"):
            a.remove_manifest(m)
        wait_for(lambda: a.pod("default", "srv-testnode") is None, 60,
                 interval=0.3, what="pod removed")
        wait_for(lambda: not leases(datadir), 10, what="lease released")
        # portmap's DEL took its rules away with the pod
        rules = ns_run(netns, "iptables-save", "-t", "nat").stdout
        assert "18082" not in rules, rules
    finally:
        a.cleanup()
