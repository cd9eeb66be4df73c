"""What the CNI system tests share (test_cni.py, test_cni_pods.py): a
network namespace of the test's own, agentd started in it, a bridge +
host-local + portmap network, and test plugins that wrap the real ones.

agentd runs in a network namespace made by the test (a holder process made
with `unshare --net`, agentd started under `nsenter --net=`, which keeps
the mount namespace), so the bridge, the veths, the iptables rules and
every packet stay in it; host-local's dataDir is under the test's temp
dir.  Nothing here touches the host's network or /etc/cni."""
import glob
import json
import os
import subprocess

import pytest

from harness import start_agentd, wait_for

PLUGINS = "/usr/lib/cni"
SUBNET = "10.199.7.0/24"
GATEWAY = SUBNET.rsplit(".", 1)[0] + ".1"
NETNAME = "testnet"
BRIDGE = "agtest0"

needs_plugins = pytest.mark.skipif(
    not all(os.access(os.path.join(PLUGINS, p), os.X_OK)
            for p in ("bridge", "host-local", "portmap", "loopback")),
    reason="the CNI plugins are not in /usr/lib/cni")


@pytest.fixture
def netns():
    """The pid of a process holding a new network namespace, lo up."""
    holder = subprocess.Popen(["unshare", "--net", "sleep", "infinity"])
    own = os.readlink("/proc/self/ns/net")
    try:
        wait_for(lambda: os.readlink(f"/proc/{holder.pid}/ns/net") != own,
                 5, what="the holder's network namespace")
        ns_run(holder.pid, "ip", "link", "set", "lo", "up")
        yield holder.pid
    finally:
        holder.kill()
        holder.wait()


def ns_run(pid, *argv, check=True, timeout=30):
    """argv in the network namespace of pid (a pid or a path to a netns)."""
    path = pid if isinstance(pid, str) else f"/proc/{pid}/ns/net"
    return subprocess.run(["nsenter", f"--net={path}", *argv],
                          capture_output=True, text=True, check=check,
                          timeout=timeout)


def conflist(datadir, plugins=("bridge", "portmap")):
    """bridge + host-local (+ portmap); plugins renames the types in
    order, e.g. ("failbridge", "portmap") for a wrapped bridge."""
    conf = {
        "cniVersion": "1.0.0",
        "name": NETNAME,
        "plugins": [
            {"type": plugins[0], "bridge": BRIDGE, "isGateway": True,
             "ipMasq": False,
             "ipam": {"type": "host-local",
                      "ranges": [[{"subnet": SUBNET}]],
                      "dataDir": datadir}},
        ],
    }
    for t in plugins[1:]:
        conf["plugins"].append({"type": t,
                                "capabilities": {"portMappings": True}})
    return conf


def write_conflist(cnidir, datadir, name="10-test.conflist",
                   plugins=("bridge", "portmap")):
    """Written whole under a dot name, then renamed: a watcher of the
    directory never reads half a file."""
    os.makedirs(cnidir, exist_ok=True)
    tmp = os.path.join(cnidir, "." + name + ".tmp")
    with open(tmp, "w") as f:
        json.dump(conflist(datadir, plugins), f)
    os.rename(tmp, os.path.join(cnidir, name))


def plugin_dir(path, *real):
    """A cniBinDir at path with links to the real plugins named."""
    os.makedirs(path, exist_ok=True)
    for p in real:
        os.symlink(os.path.join(PLUGINS, p), os.path.join(path, p))
    return str(path)


def veths(pid):
    return ns_run(pid, "ip", "-o", "link", "show", "type", "veth").stdout


def veth_count(pid):
    return len(veths(pid).splitlines())


def leases(datadir):
    """host-local's reservations: one file per address."""
    return [p for p in glob.glob(os.path.join(datadir, NETNAME, "*"))
            if os.path.basename(p)[0].isdigit()]


def lease_ips(datadir):
    return sorted(os.path.basename(p) for p in leases(datadir))


def nat_rules(pid):
    return ns_run(pid, "iptables-save", "-t", "nat").stdout


def pins(a):
    """The sandboxes' namespace pins, runDir/ns/<id>."""
    d = os.path.join(a.run_dir, "ns")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def start_in_netns(testbuild_dir, image, netns, cnidir, bindir=None,
                   extra_config=None):
    """agentd in the test's network namespace with cniConfDir (and
    cniBinDir) set, busybox imported."""
    cfg = {"cniConfDir": str(cnidir)}
    if bindir is not None:
        cfg["cniBinDir"] = str(bindir)
    cfg.update(extra_config or {})
    return start_agentd(testbuild_dir, image, extra_config=cfg,
                        prefix=["nsenter", f"--net=/proc/{netns}/ns/net"])


FAILER = """#!/bin/sh
# {name}: the first {fails} {cmds} fail (or hang), then it is {real}
echo "$CNI_COMMAND $(date +%s.%N) $$" >>{log}
case " {cmds} " in
*" $CNI_COMMAND "*)
  n=$(cat {count} 2>/dev/null || echo 0)
  if [ "$n" -lt {fails} ]; then
    echo $((n + 1)) >{count}
    cat >/dev/null
    if [ {hang} = 1 ]; then
      echo $$ $PPID >>{hung}
      exec sleep 600
    fi
    printf '{{"cniVersion":"1.0.0","code":11,"msg":"%s"}}\\n' \\
      "test plugin refuses $CNI_COMMAND $((n + 1)) of {fails}"
    exit 1
  fi
  ;;
esac
exec {real}
"""


class Failer:
    """A plugin script `name` in bindir whose first `fails` invocations
    with a command in `commands` fail with a CNI error (or, hang=True,
    sleep until killed), each later one exec'ing the real plugin.  Every
    invocation is logged with its time."""

    def __init__(self, bindir, name, real, fails=1, commands=("ADD",),
                 hang=False):
        self.path = os.path.join(bindir, name)
        self.log = self.path + ".log"
        self.count = self.path + ".count"
        self.hung = self.path + ".hung"
        with open(self.path, "w") as f:
            f.write(FAILER.format(
                name=name, fails=int(fails), cmds=" ".join(commands),
                real=os.path.join(PLUGINS, real), log=self.log,
                count=self.count, hang=1 if hang else 0, hung=self.hung))
        os.chmod(self.path, 0o755)

    def calls(self, cmd=None):
        """[(command, unix time)] in order."""
        try:
            with open(self.log) as f:
                rows = [ln.split() for ln in f if ln.strip()]
        except FileNotFoundError:
            return []
        return [(r[0], float(r[1])) for r in rows
                if cmd is None or r[0] == cmd]

    def _hung(self):
        try:
            with open(self.hung) as f:
                return [[int(x) for x in ln.split()] for ln in f
                        if ln.strip()]
        except FileNotFoundError:
            return []

    def hung_pids(self):
        return [r[0] for r in self._hung()]

    def hung_callers(self):
        """The processes that ran the hung invocations (agentd's jobs)."""
        return [r[1] for r in self._hung()]

    def release(self):
        """End the hung invocations (they outlive a killed agentd)."""
        for pid in self.hung_pids():
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass


GATE = """#!/bin/sh
# {name}: the first ADD waits for {go}, then it is {real}
echo "$CNI_COMMAND $(date +%s.%N) $$" >>{log}
if [ "$CNI_COMMAND" = ADD ] && [ ! -e {entered} ]; then
  echo $$ >{entered}
  while [ ! -e {go} ]; do sleep 0.1; done
fi
exec {real}
"""


class Gate:
    """A plugin script whose first ADD waits until open() is called and
    then succeeds as the real plugin: an ADD that finishes late."""

    def __init__(self, bindir, name, real):
        self.path = os.path.join(bindir, name)
        self.log = self.path + ".log"
        self.entered = self.path + ".entered"
        self.go = self.path + ".go"
        with open(self.path, "w") as f:
            f.write(GATE.format(name=name, real=os.path.join(PLUGINS, real),
                                log=self.log, entered=self.entered,
                                go=self.go))
        os.chmod(self.path, 0o755)

    def waiting(self):
        return os.path.exists(self.entered)

    def open(self):
        with open(self.go, "w"):
            pass

    def calls(self, cmd=None):
        try:
            with open(self.log) as f:
                rows = [ln.split() for ln in f if ln.strip()]
        except FileNotFoundError:
            return []
        return [r[0] for r in rows if cmd is None or r[0] == cmd]


# a chained plugin that records what it is asked and passes prevResult
# on; CHECK fails while the file `fail` next to its log exists, and hangs
# while `fail.hang` does
RECORDER = """#!/usr/bin/python3
import json, os, sys
conf = json.load(sys.stdin)
with open({log!r}, "a") as f:
    f.write(json.dumps({{"cmd": os.environ["CNI_COMMAND"],
                        "id": os.environ.get("CNI_CONTAINERID", ""),
                        "netns": os.environ.get("CNI_NETNS", ""),
                        "ifname": os.environ.get("CNI_IFNAME", ""),
                        "args": os.environ.get("CNI_ARGS", ""),
                        "conf": conf}}) + "\\n")
cmd = os.environ["CNI_COMMAND"]
if cmd == "ADD":
    print(json.dumps(conf["prevResult"]))
elif cmd == "CHECK" and os.path.exists({fail!r} + ".hang"):
    import time
    time.sleep(1000)
elif cmd == "CHECK" and os.path.exists({fail!r}):
    print(json.dumps({{"cniVersion": conf["cniVersion"], "code": 999,
                      "msg": "recorder: eth0 is not what ADD made"}}))
    sys.exit(1)
"""
