"""Pods on a CNI network (issue 11, "Tests"): pod to pod, the containers
of a pod sharing its address, a failing plugin retried, DEL releasing and
retried, agentd killed with pods running, nothing left after the last
pod, a configuration that appears after start.

Each test runs its own agentd in a network namespace of its own
(cninet.py) on a bridge + host-local (+ portmap) network whose dataDir is
under the test's directory; all traffic stays in that namespace."""
import json
import os
import signal
import time

from cninet import (BRIDGE, GATEWAY, Failer, Gate, lease_ips, leases,
                    nat_rules, needs_plugins, ns_run, pins, plugin_dir,
                    start_in_netns, veth_count, veths, write_conflist)
from cninet import netns  # noqa: F401 (a fixture)
from harness import manifest, running, wait_for, wait_pod

pytestmark = needs_plugins

POD_TIMEOUT = 60


def pod_ip(p):
    return p["status"].get("podIP")


def wait_ip(a, name, timeout=POD_TIMEOUT):
    """The pod once all its containers run and it has an address."""
    def ok(p):
        cs = p["status"].get("containerStatuses") or []
        return cs and all("running" in c.get("state", {}) for c in cs) \
            and pod_ip(p)
    return wait_pod(a, name, ok, timeout=timeout,
                    what=f"pod {name} running with a pod IP")


def pod_netns(a, ip):
    """The pinned network namespace whose eth0 has ip."""
    for sid in pins(a):
        path = os.path.join(a.run_dir, "ns", sid, "net")
        r = ns_run(path, "ip", "-4", "-o", "addr", "show", "eth0",
                   check=False)
        if f" {ip}/" in r.stdout:
            return path
    raise AssertionError(f"no pinned netns has {ip}")


def logs(a, name, container="c"):
    r = a.agentctl("logs", f"default/{name}-testnode", "-c", container,
                   check=False)
    return r.stdout


def wait_log(a, name, text, container="c", timeout=30):
    return wait_for(lambda: text in logs(a, name, container), timeout,
                    interval=0.3,
                    what=f"{text!r} in the log of {name}/{container}")


def remove_all(a, *names):
    for n in names:
        try:
            a.remove_manifest(n + ".yaml")
        except FileNotFoundError:
            pass
    wait_for(lambda: not a.pods_json()["items"], POD_TIMEOUT, interval=0.3,
             what="every pod removed")


def two_containers(name, first, second):
    return (f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n"
            f"spec:\n  terminationGracePeriodSeconds: 1\n  containers:\n"
            f"  - name: a\n    image: busybox\n"
            f"    command: [\"sh\", \"-c\", {json.dumps(first)}]\n"
            f"  - name: b\n    image: busybox\n"
            f"    command: [\"sh\", \"-c\", {json.dumps(second)}]\n")


# a server of one line on port 8080, for as long as the pod runs
def serve(text, port=8080):
    return f"while true; do echo {text} | nc -l -p {port}; done"


def host_port_answers(netns, port, text):
    """The node's side of the bridge (the gateway) on the hostPort: a
    server restarting between connections may refuse one, so retried."""
    wait_for(lambda: text in ns_run(
        netns, "busybox", "nc", "-w", "2", GATEWAY, str(port),
        check=False).stdout, 20, interval=0.3, what=f"hostPort {port}")


def bridge_net(tmp_path, plugins=("bridge", "portmap")):
    cnidir = str(tmp_path / "net.d")
    datadir = str(tmp_path / "ipam")
    write_conflist(cnidir, datadir, plugins=plugins)
    return cnidir, datadir


def test_two_pods_reach_each_other_by_ip(testbuild_dir, busybox_image,
                                         tmp_path, netns):
    cnidir, datadir = bridge_net(tmp_path)
    a = start_in_netns(testbuild_dir, busybox_image, netns, cnidir)
    try:
        a.write_manifest("srv.yaml", manifest("srv", serve("hello-from-srv")))
        srv = pod_ip(wait_ip(a, "srv"))
        # the client learns the server's address from its command line
        # and answers on its own port with what it got
        a.write_manifest("cli.yaml", manifest(
            "cli", f"until r=$(nc -w 1 {srv} 8080 </dev/null) && "
            f"[ -n \"$r\" ]; do sleep 0.3; done; echo \"got $r\"; "
            f"ping -c 1 -W 2 {srv} >/dev/null && echo ping-ok; "
            + serve("hello-from-cli")))
        cli = pod_ip(wait_ip(a, "cli"))
        assert cli != srv and sorted([cli, srv]) == lease_ips(datadir)
        wait_log(a, "cli", "got hello-from-srv")
        wait_log(a, "cli", "ping-ok")
        # and back, from inside the server's network namespace
        srv_ns = pod_netns(a, srv)
        wait_for(lambda: "hello-from-cli" in ns_run(
            srv_ns, "busybox", "nc", "-w", "2", cli, "8080",
            check=False).stdout, 10, interval=0.3,
            what="the client pod's server, from the server pod")
        assert veth_count(netns) == 2
        assert veths(netns).count(f"master {BRIDGE}") == 2
    finally:
        a.cleanup()


def test_containers_of_a_pod_share_its_ip(testbuild_dir, busybox_image,
                                          tmp_path, netns):
    cnidir, datadir = bridge_net(tmp_path)
    a = start_in_netns(testbuild_dir, busybox_image, netns, cnidir)
    try:
        show = "ip -4 -o addr show eth0 | awk '{print \"addr \" $4}'; "
        a.write_manifest("duo.yaml", two_containers(
            "duo", show + serve("hello-from-a", 8081),
            show + "until r=$(nc -w 1 127.0.0.1 8081 </dev/null) && "
            "[ -n \"$r\" ]; do sleep 0.3; done; echo \"got $r\"; "
            "exec sleep 1000"))
        ip = pod_ip(wait_ip(a, "duo"))
        assert lease_ips(datadir) == [ip]
        want = f"addr {ip}/24"
        wait_log(a, "duo", want, "a")
        wait_log(a, "duo", want, "b")
        # b reached a's server over the loopback they share
        wait_log(a, "duo", "got hello-from-a", "b")
        # one veth for the pod, not one per container
        assert veth_count(netns) == 1
    finally:
        a.cleanup()


def test_failing_plugin_is_retried_with_backoff_then_runs(
        testbuild_dir, busybox_image, tmp_path, netns):
    bindir = plugin_dir(tmp_path / "bin", "loopback", "host-local",
                        "portmap")
    failer = Failer(bindir, "failbridge", "bridge", fails=2)
    cnidir, datadir = bridge_net(tmp_path, ("failbridge", "portmap"))
    a = start_in_netns(testbuild_dir, busybox_image, netns, cnidir, bindir)
    try:
        a.write_manifest("f.yaml", manifest("f", "exec sleep 1000"))
        want = "CNI ADD failbridge: test plugin refuses ADD 1 of 2"
        p = wait_pod(a, "f", lambda p: want in json.dumps(p["status"]),
                     timeout=30, what="the plugin's error in the status")
        # where `kubectl get pod` shows it: the container's waiting state
        cs = p["status"]["containerStatuses"][0]
        w = cs["state"]["waiting"]
        assert w == {"reason": "ContainerCreating", "message":
                     "Failed to create pod sandbox: creating sandbox for "
                     "default/f-testnode: " + want}, w
        assert not pod_ip(p) and not leases(datadir)
        # the second refusal shows too, then the pod runs on the third ADD
        wait_pod(a, "f", lambda p: "refuses ADD 2 of 2" in
                 json.dumps(p["status"]), timeout=30)
        ip = pod_ip(wait_ip(a, "f", timeout=60))
        assert lease_ips(datadir) == [ip]
        p = a.pod("default", "f-testnode")
        assert "refuses" not in json.dumps(p["status"])
        adds = [t for _, t in failer.calls("ADD")]
        assert len(adds) == 3, failer.calls()
        # the kubelet's backoff: 10 s, then 20 s
        assert adds[1] - adds[0] >= 9, adds
        assert adds[2] - adds[1] >= 18, adds
        # each failed ADD was undone by a DEL, so nothing leaked
        assert len(failer.calls("DEL")) >= 2, failer.calls()
        assert veth_count(netns) == 1
    finally:
        a.cleanup()


def test_del_on_removal_releases_the_ip(testbuild_dir, busybox_image,
                                        tmp_path, netns):
    cnidir, datadir = bridge_net(tmp_path)
    a = start_in_netns(testbuild_dir, busybox_image, netns, cnidir)
    try:
        a.write_manifest("one.yaml", manifest("one", "exec sleep 1000"))
        a.write_manifest("two.yaml", manifest("two", "exec sleep 1000"))
        one = pod_ip(wait_ip(a, "one"))
        two = pod_ip(wait_ip(a, "two"))
        assert lease_ips(datadir) == sorted([one, two])
        # each lease names the sandbox that holds it (CNI_CONTAINERID)
        holders = set()
        for path in leases(datadir):
            with open(path) as f:
                holders.add(f.read().split()[0])
        assert holders == set(pins(a)), (holders, pins(a))
        a.remove_manifest("one.yaml")
        wait_for(lambda: a.pod("default", "one-testnode") is None,
                 POD_TIMEOUT, interval=0.3, what="pod one removed")
        assert lease_ips(datadir) == [two]
        assert veth_count(netns) == 1
        assert pod_ip(a.pod("default", "two-testnode")) == two
    finally:
        a.cleanup()


def test_del_refused_by_a_plugin_is_retried_until_the_ip_is_free(
        testbuild_dir, busybox_image, tmp_path, netns):
    # bridge's DEL is what calls host-local's: refused, the address stays
    bindir = plugin_dir(tmp_path / "bin", "loopback", "host-local",
                        "portmap")
    failer = Failer(bindir, "failbridge", "bridge", fails=2,
                    commands=("DEL",))
    cnidir, datadir = bridge_net(tmp_path, ("failbridge", "portmap"))
    a = start_in_netns(testbuild_dir, busybox_image, netns, cnidir, bindir)
    try:
        a.write_manifest("d.yaml", manifest("d", "exec sleep 1000"))
        ip = pod_ip(wait_ip(a, "d"))
        assert lease_ips(datadir) == [ip]
        a.remove_manifest("d.yaml")
        wait_for(lambda: len(failer.calls("DEL")) >= 1, 30, interval=0.3,
                 what="the first DEL")
        # refused: the address stays held, the pod is not reported gone
        time.sleep(1)
        assert lease_ips(datadir) == [ip]
        assert a.pod("default", "d-testnode") is not None
        wait_for(lambda: a.pod("default", "d-testnode") is None, 60,
                 interval=0.5, what="the pod gone after DEL succeeded")
        dels = [t for _, t in failer.calls("DEL")]
        assert len(dels) == 3, failer.calls()
        assert dels[1] - dels[0] >= 8 and dels[2] - dels[1] >= 8, dels
        assert not leases(datadir)
        assert veth_count(netns) == 0
        assert pins(a) == []
    finally:
        a.cleanup()


def test_failed_add_whose_del_is_refused_leaks_no_ip(
        testbuild_dir, busybox_image, tmp_path, netns):
    # bridge (with host-local) takes an address, portmap's ADD fails, and
    # the DEL that should give the address back is refused once: the
    # sandbox must stay until a DEL succeeds, not go with its cni.json
    bindir = plugin_dir(tmp_path / "bin", "loopback", "host-local")
    bridge = Failer(bindir, "failbridge", "bridge", fails=1,
                    commands=("DEL",))
    portmap = Failer(bindir, "failportmap", "portmap", fails=1)
    cnidir, datadir = bridge_net(tmp_path, ("failbridge", "failportmap"))
    a = start_in_netns(testbuild_dir, busybox_image, netns, cnidir, bindir)
    try:
        a.write_manifest("r.yaml", manifest("r", "exec sleep 1000"))
        wait_for(lambda: bridge.calls("DEL"), 30, interval=0.3,
                 what="the refused DEL after the failed ADD")
        ip = pod_ip(wait_ip(a, "r", timeout=60))
        assert len(portmap.calls("ADD")) == 2, portmap.calls()
        # the first sandbox's address came back once its DEL went through
        wait_for(lambda: lease_ips(datadir) == [ip], 30, interval=0.5,
                 what=f"only the pod's lease {ip} left")
        assert veth_count(netns) == 1 and len(pins(a)) == 1
        remove_all(a, "r")
        assert not leases(datadir) and veth_count(netns) == 0
        assert pins(a) == []
    finally:
        a.cleanup()


HOST_PORT_18095 = ("    ports:\n    - containerPort: 8080\n"
                   "      hostPort: 18095\n")


def test_kill9_of_agentd_keeps_pod_ips_and_leaks_nothing(
        testbuild_dir, busybox_image, tmp_path, netns):
    cnidir, datadir = bridge_net(tmp_path)
    a = start_in_netns(testbuild_dir, busybox_image, netns, cnidir)
    try:
        a.write_manifest("k1.yaml", manifest(
            "k1", serve("k1-here"), extra_ctr=HOST_PORT_18095))
        a.write_manifest("k2.yaml", manifest("k2", "exec sleep 1000"))
        ips = {n: pod_ip(wait_ip(a, n)) for n in ("k1", "k2")}
        host_port_answers(netns, 18095, "k1-here")
        before = (lease_ips(datadir), veths(netns), pins(a))
        # the agentd parent: its workers follow it, the containers stay
        a.kill9()
        assert lease_ips(datadir) == before[0]
        a.start()
        for n in ("k1", "k2"):
            assert pod_ip(wait_ip(a, n)) == ips[n]
        # re-adopted, not made anew
        assert (lease_ips(datadir), veths(netns), pins(a)) == before
        wait_for(lambda: "k1-here" in ns_run(
            netns, "busybox", "nc", "-w", "2", ips["k1"], "8080",
            check=False).stdout, 10, interval=0.3, what="k1 on its IP")
        # its hostPort is still published, and still its own
        host_port_answers(netns, 18095, "k1-here")
        a.write_manifest("k3.yaml", manifest("k3", "exec sleep 1000",
                                             extra_ctr=HOST_PORT_18095))
        p = wait_pod(a, "k3", lambda p: p["status"].get("phase") ==
                     "Failed", timeout=30)
        assert p["status"]["reason"] == "HostPortConflict", p["status"]
        remove_all(a, "k1", "k2", "k3")
        assert not leases(datadir) and veth_count(netns) == 0
    finally:
        a.cleanup()


def test_pod_removed_while_agentd_was_down_is_deleted_at_start(
        testbuild_dir, busybox_image, tmp_path, netns):
    cnidir, datadir = bridge_net(tmp_path)
    a = start_in_netns(testbuild_dir, busybox_image, netns, cnidir)
    try:
        a.write_manifest("gone.yaml", manifest("gone", "exec sleep 1000"))
        a.write_manifest("kept.yaml", manifest("kept", "exec sleep 1000"))
        kept = pod_ip(wait_ip(a, "kept"))
        wait_ip(a, "gone")
        a.kill9()
        a.remove_manifest("gone.yaml")
        a.start()
        # the leftover's DEL released its address; the other pod kept its
        assert pod_ip(wait_ip(a, "kept")) == kept
        wait_for(lambda: lease_ips(datadir) == [kept], POD_TIMEOUT,
                 interval=0.3, what="the leftover's address released")
        wait_for(lambda: len(pins(a)) == 1, 10, what="its pins removed")
        assert veth_count(netns) == 1
        assert a.pod("default", "gone-testnode") is None
    finally:
        a.cleanup()


def test_kill9_during_add_makes_the_sandbox_anew_without_a_leak(
        testbuild_dir, busybox_image, tmp_path, netns):
    # bridge and host-local have run (an address and a veth taken), the
    # chain's last plugin hangs: agentd killed then has a half-made sandbox
    bindir = plugin_dir(tmp_path / "bin", "loopback", "bridge",
                        "host-local")
    hanger = Failer(bindir, "hangportmap", "portmap", fails=1, hang=True)
    cnidir, datadir = bridge_net(tmp_path, ("bridge", "hangportmap"))
    a = start_in_netns(testbuild_dir, busybox_image, netns, cnidir, bindir)
    try:
        a.write_manifest("h.yaml", manifest("h", "exec sleep 1000"))
        wait_for(hanger.hung_pids, 30, interval=0.2, what="the hung ADD")
        assert len(leases(datadir)) == 1 and veth_count(netns) == 1
        # the job running the chain dies with agentd, as when the whole
        # service is killed (its containers survive, by design)
        job = hanger.hung_callers()[0]
        with open(f"/proc/{job}/comm") as f:
            assert f.read().strip() == "agentd-executor"
        a.kill9()
        os.kill(job, signal.SIGKILL)
        hanger.release()
        a.start()
        ip = pod_ip(wait_ip(a, "h"))
        # the half-made one was DEL'd: one address, the pod's, one veth
        assert lease_ips(datadir) == [ip]
        assert veth_count(netns) == 1
        assert len(pins(a)) == 1
        remove_all(a, "h")
        assert not leases(datadir) and veth_count(netns) == 0
        assert pins(a) == []
    finally:
        hanger.release()
        a.cleanup()


def test_executor_killed_during_add_leaves_no_rule_of_a_stale_ip(
        testbuild_dir, busybox_image, tmp_path, netns):
    # the old executor's job outlives it and finishes its ADD (portmap's
    # DNAT rules) after the new executor found the sandbox half made: the
    # DEL must come after that ADD, or a rule to a released address stays
    bindir = plugin_dir(tmp_path / "bin", "loopback", "bridge",
                        "host-local")
    gate = Gate(bindir, "gateportmap", "portmap")
    cnidir, datadir = bridge_net(tmp_path, ("bridge", "gateportmap"))
    a = start_in_netns(testbuild_dir, busybox_image, netns, cnidir, bindir)
    try:
        a.write_manifest("g.yaml", manifest(
            "g", serve("g-here", 80), extra_ctr="    ports:\n"
            "    - containerPort: 80\n      hostPort: 18096\n"))
        wait_for(gate.waiting, 30, interval=0.2, what="the ADD at portmap")
        first = lease_ips(datadir)
        assert len(first) == 1
        old = a.pid("executor")
        os.kill(old, signal.SIGKILL)
        a.wait_new_pid("executor", old)
        time.sleep(1)
        gate.open()
        ip = pod_ip(wait_ip(a, "g"))
        assert ip not in first
        host_port_answers(netns, 18096, "g-here")
        wait_for(lambda: lease_ips(datadir) == [ip], 20, interval=0.3,
                 what="only the new sandbox's address")
        # the first sandbox's DNAT went with its DEL
        assert first[0] not in nat_rules(netns), nat_rules(netns)
        chains = [ln for ln in nat_rules(netns).splitlines()
                  if ln.startswith(":CNI-DN-")]
        assert len(chains) == 1, chains
        remove_all(a, "g")
        assert "CNI-DN-" not in nat_rules(netns), nat_rules(netns)
        assert not leases(datadir) and veth_count(netns) == 0
    finally:
        gate.open()
        a.cleanup()


def test_removing_every_pod_leaves_no_veth_rule_or_pin(
        testbuild_dir, busybox_image, tmp_path, netns):
    cnidir, datadir = bridge_net(tmp_path)
    a = start_in_netns(testbuild_dir, busybox_image, netns, cnidir)
    try:
        a.write_manifest("p1.yaml", manifest(
            "p1", serve("p1-here", 80), extra_ctr="    ports:\n"
            "    - containerPort: 80\n      hostPort: 18090\n"))
        a.write_manifest("p2.yaml", manifest("p2", "exec sleep 1000"))
        ips = [pod_ip(wait_ip(a, n)) for n in ("p1", "p2")]
        rules = nat_rules(netns)
        assert "CNI-DN-" in rules and "18090" in rules, rules
        assert veth_count(netns) == 2 and len(pins(a)) == 2
        host_port_answers(netns, 18090, "p1-here")
        remove_all(a, "p1", "p2")
        assert not leases(datadir)
        assert veths(netns).strip() == ""
        assert pins(a) == []
        rules = nat_rules(netns)
        # portmap's per-pod chains and every rule naming a pod are gone
        # (its top-level CNI-HOSTPORT-* chains stay, empty, as portmap
        # leaves them)
        assert "CNI-DN-" not in rules, rules
        assert "18090" not in rules, rules
        for ip in ips:
            assert ip not in rules, rules
    finally:
        a.cleanup()


def test_configuration_written_after_start_is_used_for_new_pods(
        testbuild_dir, busybox_image, tmp_path, netns):
    cnidir = tmp_path / "net.d"
    cnidir.mkdir()
    datadir = str(tmp_path / "ipam")
    a = start_in_netns(testbuild_dir, busybox_image, netns, str(cnidir))
    try:
        a.write_manifest("early.yaml", manifest("early", "exec sleep 1000"))
        p = wait_pod(a, "early", running, timeout=POD_TIMEOUT)
        assert not pod_ip(p)    # loopback only, as the start said
        write_conflist(str(cnidir), datadir)
        a.write_manifest("late.yaml", manifest("late", "exec sleep 1000"))
        ip = pod_ip(wait_ip(a, "late"))
        assert ip.startswith(GATEWAY.rsplit(".", 1)[0] + "."), ip
        assert lease_ips(datadir) == [ip]
        assert "master " + BRIDGE in veths(netns)
        assert wait_for(lambda: ns_run(
            netns, "busybox", "ping", "-c", "1", "-W", "1", ip,
            check=False).returncode == 0, 20, interval=0.5,
            what="the late pod answering ping over the bridge")
        remove_all(a, "early", "late")
        assert not leases(datadir) and veth_count(netns) == 0
    finally:
        a.cleanup()
