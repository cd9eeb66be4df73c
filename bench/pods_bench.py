#!/usr/bin/python3
"""pods_bench: what agentd costs to start and remove pods, next to the
floor (a bare OCI runtime) and a peer (podman kube play), with 0, 50 and
100 pods already running, and what its processes weigh.  Everything is
measured on this machine in one run; the figures go into one table with a
column per load level:

  load  LEVEL busybox `sleep 3600` pods that agentd started from static
        manifests and that keep running in the background while the level
        is measured (the podman and runc columns run beside the same
        agentd pods: that is their load too).
  (1)   one pod: from its manifest appearing in staticPodPath until
        `agentctl get pods -o json` shows its container with
        state.running; against `runc run -d` of a bundle of the same image
        and command until `runc state` says running (the floor), and
        `podman kube play` of the same YAML until `podman ps` shows it
        running (the peer).  N repetitions after one unmeasured warm-up.
  (1b)  --network bridge (the default): the same on a bridge + host-local
        + portmap network (containerd's default conflist; the pod has a
        hostPort), until it runs with a podIP of the bridge's subnet;
        against runc run -d after the same chain run by hand in a pinned
        network namespace (the floor) and podman kube play with the
        same conflist through its CNI backend (the peer): one bridge and
        one lease directory for all three, shared with the background
        pods, which are on the bridge too.
  (1c)  the CNI ADD by itself: agentd's sandbox.create (audit intent ->
        outcome) on the bridge and on loopback, and each plugin's ADD of
        the floor's chain, timed by hand.
  (2)   removal of that pod, whose container exits on SIGTERM: manifest
        removed -> the pod is gone from `agentctl get pods`; against
        `podman kube down` (+ `pod rm`).
  (3)   RAMP_PODS pods dropped into staticPodPath at once (a fresh agentd)
        until all are Running; against one `podman kube play` of a
        RAMP_PODS-document YAML.
  (4)   idle CPU over IDLE seconds at each level of agentd's processes
        and everything they spawn (utime+stime+cutime+cstime from
        /proc/PID/stat, so that children which exit in the window are
        counted in their parent), and of the conmons of agentd's
        containers and what runs below them, in % of one core.
  (5)   PSS (/proc/PID/smaps_rollup) and VmRSS of agentd's processes at
        each level; conmon's, for agentd and for podman.
and the targets of issue 9 beside the figures, met or NOT met.

Run as root from the top of the tree after `make all`:
    /usr/bin/python3 bench/pods_bench.py [--quick] [-n N]
        [--levels 0,50,100] [--network bridge|loopback] [--ramp-pods M]
        [--ramp-runs R] [--idle-seconds S] [--step-timeout S]
        [--build DIR] [--no-podman] [--no-install]
Nothing leaves the host: the image is built locally from busybox-static,
podman runs with its own containers.conf/storage.conf in a temp dir and
never pulls.  After podman's installation (apt-get) the bench moves
itself into a network namespace of its own (unshare(CLONE_NEWNET), the
mount namespace unchanged, as with nsenter --net=): agentd, the plugins,
runc and podman run there, and every bridge, veth, iptables rule and
route they make goes with it; host-local's leases are in the temp dir.  Every agentd instance has
its own rootDir, runDir and cgroupRoot; its pods are removed through
agentd and gone before it stops, and whatever is still there after
STEP_TIMEOUT (or a failure, or Ctrl-C) is removed by hand: every
container, conmon, mount and cgroup the bench makes goes at the end.
"""
import argparse
import ctypes
import datetime
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "system"))
from harness import Agentd, rmdir_cgroups  # noqa: E402

START_TIMEOUT = 60		# one pod, any runtime
AGENTCTL_TIMEOUT = 10		# one agentctl call; more is an agentd bug
GONE_TIMEOUT = 120		# a pod removed
STEP_TIMEOUT = 300		# filling a level, a ramp, a teardown (default)
POLL = 0.01			# agentctl / runc state poll interval
PODMAN_POLL = 0.02		# podman ps is slower; poll as often as it allows
RAMP_POLL = 0.05
CMD_TIMEOUT = 120		# any single command
CPU_SAMPLE = 0.5		# process-tree sample interval for idle CPU
NODE = "benchnode"
IMAGE_REF = "docker.io/library/busybox:latest"
CLK_TCK = os.sysconf("SC_CLK_TCK")
# every process of agentd (netparse since issue 11): a role left out
# here was left out of the PSS total
ROLES = ("agentd", "watcher", "netparse", "executor", "reporter")
# the measured pod's container: sh as pid 1 ends on SIGTERM (the trap
# interrupts `wait` at once); the background pods run plain `sleep`, which
# as pid 1 ignores SIGTERM, with a grace period of 0
MEASURED_CMD = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
MEASURED_GRACE = 10		# a removal near 10 s: SIGTERM did not work
BG_CMD = ["sleep", "3600"]
# issue 9's targets
T_START_LOAD = 1.25		# one pod's start at max level / at 0
T_START_FLOOR = 3.0		# one pod's start at 0 / runc run -d
T_REMOVE = 0.3			# s, removal at the max level
T_CPU = 1.0			# % of one core, idle at the max level
T_PSS = 12 * 1024		# KiB, agentd's processes at the max level
# --network bridge (issue 11): everything runs in a network namespace of
# the bench's own; the chain is containerd's default conflist
CLONE_NEWNET = 0x40000000
CNI_BIN = "/usr/lib/cni"
CNI_PLUGINS = ("bridge", "host-local", "portmap", "loopback")
NET_NAME = "benchnet"
HOST_PORT = 18080		# the measured bridge pod's hostPort -> 80
# one network for agentd, the floor and podman alike: one bridge, one
# lease directory, so that each measured pod joins the same bridge as
# the background pods, beside their leases and iptables rules
NET = ("agbench0", "10.213.0.0/16")	# bridge, subnet
LOOPBACK_CONF = {"cniVersion": "1.0.0", "name": "lo", "type": "loopback"}


class BenchError(Exception):
    pass


def now():
    return time.monotonic()


T0 = time.monotonic()


def progress(msg):
    print(f"[{time.monotonic() - T0:6.1f} s] {msg}", file=sys.stderr,
          flush=True)


def median(xs):
    return statistics.median(xs) if xs else None


def p90(xs):
    if not xs:
        return None
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))]


def fmt_s(x):
    if isinstance(x, str):
        return x
    return "n/a" if x is None else f"{x:.3f} s"


def ratio(a, b):
    if not isinstance(a, float) or not isinstance(b, float) or not b:
        return "n/a"
    return f"{a / b:.2f}x"


def run(argv, timeout=CMD_TIMEOUT, check=True, env=None):
    """Run a command whose children do not outlive it (output captured)."""
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                       env=env, stdin=subprocess.DEVNULL)
    if check and r.returncode != 0:
        raise BenchError(f"{' '.join(argv[:4])}... failed ({r.returncode}):"
                         f" {r.stderr.strip()[-500:]}")
    return r


def run_detached(argv, errpath, timeout=CMD_TIMEOUT, env=None):
    """Run a command that leaves a daemon behind (runc run -d, podman kube
    play): the daemon may inherit our stdio, so never hand it a pipe."""
    with open(errpath, "w+") as err:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=err,
                           stderr=err, timeout=timeout, env=env)
        err.seek(0)
        return r.returncode, err.read()


class Timeout(BenchError):
    pass


def wait_until(pred, timeout, interval, what):
    deadline = now() + timeout
    while True:
        v = pred()
        if v:
            return v
        if now() > deadline:
            raise Timeout(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def manifest(name, cmd=None, grace=0):
    cmd = cmd or BG_CMD
    return ("apiVersion: v1\nkind: Pod\nmetadata:\n"
            f"  name: {name}\n"
            "spec:\n"
            f"  terminationGracePeriodSeconds: {grace}\n"
            "  containers:\n"
            "  - name: c\n"
            "    image: busybox\n"
            f"    command: {json.dumps(cmd)}\n")


def measured_manifest(name, host_port=False):
    m = manifest(name, MEASURED_CMD, MEASURED_GRACE)
    if host_port:
        m += ("    ports:\n"
              f"    - containerPort: 80\n      hostPort: {HOST_PORT}\n")
    return m


def audit_time(s):
    """Seconds of an audit record's "time", 2026-01-02T03:04:05.123456789Z
    (nanoseconds: more than datetime keeps)."""
    whole, frac = s.rstrip("Z").split(".")
    t = datetime.datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S")
    return t.replace(tzinfo=datetime.timezone.utc).timestamp() + \
        float("0." + frac)


# ---- /proc ----

def proc_kib(pid, path, key):
    try:
        with open(f"/proc/{pid}/{path}") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return None


def rss(pid):
    return proc_kib(pid, "status", "VmRSS")


def pss(pid):
    return proc_kib(pid, "smaps_rollup", "Pss")


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0")
                    if a]
    except (FileNotFoundError, ProcessLookupError):
        return []


def ppid(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def pids():
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def conmons_under(path):
    """conmon processes whose arguments name a path under PATH: only ours."""
    out = []
    for pid in pids():
        cl = cmdline(pid)
        if cl and os.path.basename(cl[0]) == "conmon" and \
                any(path in a for a in cl[1:]):
            out.append(pid)
    return out


def children_of(parents):
    ps = set(parents)
    return [p for p in pids() if ppid(p) in ps]


def mem_of(pidlist):
    r = [rss(p) for p in pidlist]
    s = [pss(p) for p in pidlist]
    return [x for x in r if x is not None], [x for x in s if x is not None]


def umount_under(path):
    with open("/proc/self/mountinfo") as f:
        mounts = [line.split()[4] for line in f]
    for m in sorted((m for m in mounts if m.startswith(path + "/")),
                    key=len, reverse=True):
        subprocess.run(["umount", "-l", m], capture_output=True)


def kill_pids(pidlist):
    for p in pidlist:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass


def stat_of(pid):
    """(starttime, ppid, own ticks, reaped children's ticks) of PID from
    /proc/PID/stat, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            v = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    # v[0] is field 3 (state): ppid 4, utime 14, stime 15, cutime 16,
    # cstime 17, starttime 22
    return (int(v[19]), int(v[1]), int(v[11]) + int(v[12]),
            int(v[13]) + int(v[14]))


def proc_tree(roots):
    """{pid: stat} of ROOTS ({pid: group}) and all their descendants, each
    descendant in its root's group: {pid: (group, stat)}."""
    allp = {}
    for p in pids():
        s = stat_of(p)
        if s is not None:
            allp[p] = s
    kids = {}
    for p, s in allp.items():
        kids.setdefault(s[1], []).append(p)
    out = {}
    stack = [(p, g) for p, g in roots.items()]
    while stack:
        p, g = stack.pop()
        if p in allp and p not in out:
            out[p] = (g, allp[p])
            stack += [(k, g) for k in kids.get(p, [])]
    return out


class CpuMeter:
    """CPU ticks of process trees over a window.  A process is known by
    (pid, starttime).  Alive at the end: its ticks at the end minus at
    the start (0 when born in the window), its own and those of the
    children it reaped.  Gone before the end: when an ancestor seen
    alive at the end reaped it, its whole life is in that ancestor's
    cutime already and only what it had used before the window is taken
    off; otherwise (reparented to init, or its whole branch exited) what
    the last sample saw of it is added, a lower bound."""

    def __init__(self, roots_fn):
        self.roots_fn = roots_fn
        self.seen = {}		# key -> [group, first, last, parent key]
        self.t0 = self.t1 = None

    def sample(self, first=False):
        tree = proc_tree(self.roots_fn())
        keys = {p: (p, s[0]) for p, (_, s) in tree.items()}
        for p, (g, s) in tree.items():
            k = keys[p]
            ticks = s[2] + s[3]
            if k not in self.seen:
                self.seen[k] = [g, ticks if first else 0, ticks,
                                keys.get(s[1])]
            else:
                self.seen[k][2] = ticks
        return set(keys.values())

    def measure(self, seconds):
        self.t0 = now()
        # a window of 0 s (--idle-seconds 0) has its first sample only
        alive = self.sample(first=True)
        end = self.t0 + seconds
        while now() < end:
            time.sleep(min(CPU_SAMPLE, max(0, end - now())))
            alive = self.sample()
        self.t1 = now()
        return self.result(alive)

    def result(self, alive):
        by = {}
        for k, (g, first, last, parent) in self.seen.items():
            if k in alive:
                d = last - first
            else:
                while parent is not None and parent not in alive:
                    parent = self.seen.get(parent, [None] * 4)[3]
                d = -first if parent is not None else last - first
            by[g] = by.get(g, 0) + d
        secs = self.t1 - self.t0
        pct = {g: 100.0 * t / CLK_TCK / secs for g, t in by.items()}
        pct["all"] = sum(pct.values())
        pct["procs"] = len(self.seen)
        pct["seconds"] = secs
        return pct


# ---- the network: the bench's own namespace, a CNI chain by hand ----

def cni_missing():
    """None when the plugins of the bridge chain are there, else why."""
    miss = [p for p in CNI_PLUGINS
            if not os.access(os.path.join(CNI_BIN, p), os.X_OK)]
    return f"no {', '.join(miss)} in {CNI_BIN}" if miss else None


def enter_own_netns():
    """Move this process into a new network namespace, so that agentd,
    the plugins, runc, podman and every bridge, veth, iptables rule and
    route they make live there and go with it, never in the host's.  Only
    the network namespace changes, as with `nsenter --net=` (`ip netns
    exec` would change the mount namespace too).  The path to enter it
    by hand while the bench runs is returned."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        raise BenchError("unshare(CLONE_NEWNET): " +
                         os.strerror(ctypes.get_errno()))
    run(["ip", "link", "set", "lo", "up"])
    return f"/proc/{os.getpid()}/ns/net"


def conflist(net, datadir):
    """containerd's default network (its 10-containerd-net.conflist): a
    bridge with the gateway and masquerading, host-local, portmap."""
    bridge, subnet = net
    return {"cniVersion": "1.0.0", "name": NET_NAME, "plugins": [
        {"type": "bridge", "bridge": bridge, "isGateway": True,
         "ipMasq": True, "promiscMode": True,
         "ipam": {"type": "host-local", "ranges": [[{"subnet": subnet}]],
                  "routes": [{"dst": "0.0.0.0/0"}], "dataDir": datadir}},
        {"type": "portmap", "capabilities": {"portMappings": True}}]}


def in_subnet(ip, net):
    prefix = net[1].split(".")[:2]
    return isinstance(ip, str) and ip.split(".")[:2] == prefix


PORT_MAPPINGS = [{"hostPort": HOST_PORT, "containerPort": 80,
                  "protocol": "tcp"}]


class CniChain:
    """A conflist run by hand with the CNI protocol (CNI_* in the
    environment, the plugin's configuration on stdin), as libcni does it
    for containerd and as agentd does: loopback on lo, then each plugin
    for eth0 in order for ADD, the previous one's result as prevResult
    and the portMappings capability as runtimeConfig, in reverse for DEL
    with the last result.  Each plugin's time is kept."""

    def __init__(self, conf):
        self.conf = conf
        self.results = {}	# container id -> the last ADD result

    def _exec(self, cmd, ptype, conf, cid, netns, ifname):
        env = {"CNI_COMMAND": cmd, "CNI_CONTAINERID": cid,
               "CNI_NETNS": netns, "CNI_IFNAME": ifname,
               "CNI_ARGS": "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;"
               f"K8S_POD_NAME={cid};K8S_POD_INFRA_CONTAINER_ID={cid}",
               "CNI_PATH": CNI_BIN, "PATH": os.environ.get("PATH", "")}
        r = subprocess.run([os.path.join(CNI_BIN, ptype)],
                           input=json.dumps(conf), capture_output=True,
                           text=True, env=env, timeout=CMD_TIMEOUT)
        if r.returncode != 0:
            raise BenchError(f"CNI {cmd} {ptype} ({r.returncode}): "
                             f"{(r.stdout or r.stderr).strip()[-300:]}")
        if cmd != "ADD":
            return None
        try:
            return json.loads(r.stdout)
        except ValueError:
            raise BenchError(f"CNI ADD {ptype}: no JSON result")

    def _plugin_conf(self, pl, prev):
        c = dict(pl, name=self.conf["name"],
                 cniVersion=self.conf["cniVersion"])
        if pl.get("capabilities", {}).get("portMappings"):
            c["runtimeConfig"] = {"portMappings": PORT_MAPPINGS}
        if prev is not None:
            c["prevResult"] = prev
        return c

    def add(self, cid, netns):
        """ADD of the chain; {plugin: seconds}, "loopback" too."""
        times = {}
        t = now()
        self._exec("ADD", "loopback", LOOPBACK_CONF, cid, netns, "lo")
        times["loopback"] = now() - t
        prev = None
        self.results[cid] = None	# DEL from here on, whatever fails
        for pl in self.conf["plugins"]:
            t = now()
            prev = self._exec("ADD", pl["type"], self._plugin_conf(
                pl, prev), cid, netns, "eth0")
            times[pl["type"]] = now() - t
            self.results[cid] = prev
        return times

    def delete(self, cid, netns):
        if cid not in self.results:
            return
        prev = self.results.pop(cid)
        err = None
        for pl in reversed(self.conf["plugins"]):
            try:
                self._exec("DEL", pl["type"], self._plugin_conf(pl, prev),
                           cid, netns, "eth0")
            except (BenchError, subprocess.TimeoutExpired) as e:
                err = err or e
        if err is not None:
            raise err


# ---- the floor: a bare OCI runtime ----

class Floor:
    """An OCI bundle from the same image: rootfs by `umoci unpack`, config
    by `runc spec`, the measured pod's command, no terminal; cgroups under
    a parent of our own so that nothing is left behind."""

    def __init__(self, work, image):
        self.dir = os.path.join(work, "floor")
        self.bundle = os.path.join(self.dir, "bundle")
        self.cg_parent = f"/pods-bench-floor-{os.getpid()}"
        self.live = {}		# id -> runtime binary
        os.makedirs(self.dir)
        # umoci writes a config.json of its own: replace it by runc's
        run(["umoci", "unpack", "--image", f"{image}:latest", self.bundle])
        os.unlink(os.path.join(self.bundle, "config.json"))
        run(["runc", "spec", "--bundle", self.bundle])
        cfgpath = os.path.join(self.bundle, "config.json")
        with open(cfgpath) as f:
            cfg = json.load(f)
        cfg["process"]["args"] = list(MEASURED_CMD)
        cfg["process"]["terminal"] = False
        cfg["linux"]["cgroupsPath"] = self.cg_parent + "/CTR"
        self.cfg = cfg
        self.seq = 0
        self.pins = {}		# id -> its pinned network namespace
        self.chain = None	# the CniChain of start(rt, net=True)

    def root(self, rt):
        return os.path.join(self.dir, f"{rt}-root")

    def _config(self, cid, netns=None):
        cfg = json.loads(json.dumps(self.cfg))
        cfg["linux"]["cgroupsPath"] = f"{self.cg_parent}/{cid}"
        if netns is not None:
            for ns in cfg["linux"]["namespaces"]:
                if ns["type"] == "network":
                    ns["path"] = netns
        with open(os.path.join(self.bundle, "config.json"), "w") as f:
            json.dump(cfg, f)

    def state(self, rt, cid):
        r = run([rt, "--root", self.root(rt), "state", cid], check=False)
        if r.returncode != 0:
            return None
        return json.loads(r.stdout).get("status")

    def start(self, rt, net=False):
        """Seconds from invocation until `RT state` says running.  NET:
        what agentd does for a pod's network first, with self.chain (a
        CniChain): a network namespace pinned by a bind mount, the
        chain's ADD in it, the container started in that namespace; then
        (seconds, {plugin: seconds of its ADD})."""
        self.seq += 1
        cid = f"bench-{rt}-{os.getpid()}-{self.seq}"
        netns = os.path.join(self.dir, "netns", cid) if net else None
        self._config(cid, netns)	# not timed, with or without
        t0 = now()
        times = None
        if net:
            self._pin(cid, netns)
            try:
                times = self.chain.add(cid, netns)
            except BaseException:
                self._unpin(cid)
                raise
        self.live[cid] = rt
        rc, err = run_detached([rt, "--root", self.root(rt), "run", "-d",
                                "--bundle", self.bundle, cid],
                               os.path.join(self.dir, "run.err"))
        if rc != 0:
            self.live.pop(cid, None)
            self._unpin(cid)
            raise BenchError(f"{rt} run: {err.strip()}")
        wait_until(lambda: self.state(rt, cid) == "running", START_TIMEOUT,
                   POLL, f"{rt} container running")
        t = now() - t0
        self.remove(cid)
        return (t, times) if net else t

    def _pin(self, cid, path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "w").close()
        self.pins[cid] = path
        run(["unshare", f"--net={path}", "true"])

    def _unpin(self, cid):
        """The chain's DEL, then the namespace goes with its pin."""
        path = self.pins.pop(cid, None)
        if path is None:
            return
        try:
            if self.chain is not None:
                self.chain.delete(cid, path)
        finally:
            subprocess.run(["umount", path], capture_output=True)
            os.unlink(path)

    def remove(self, cid):
        rt = self.live.pop(cid)
        try:
            run([rt, "--root", self.root(rt), "kill", cid, "KILL"],
                check=False)
            wait_until(lambda: self.state(rt, cid) in (None, "stopped"),
                       10, POLL, f"{rt} container stopped")
            run([rt, "--root", self.root(rt), "delete", "-f", cid],
                check=False)
        finally:
            self._unpin(cid)

    def crun_usable(self):
        """None if crun runs this bundle here, else its reason."""
        if shutil.which("crun") is None:
            return "crun not installed"
        try:
            self.start("crun")
            return None
        except BenchError as e:
            return str(e)

    def cleanup(self):
        for cid in list(self.live):
            try:
                self.remove(cid)
            except Exception:
                pass
        for cid in list(self.pins):
            try:
                self._unpin(cid)
            except Exception:
                pass
        rmdir_cgroups(self.cg_parent)


# ---- agentd ----

class AgentdBench:
    seq = 0

    def __init__(self, build, image, work, cni=None):
        self.build = build
        self.image = image
        self.work = work
        self.cni = cni		# {"dir", "on", "off"}: the conflist's paths
        self.ips = {}		# pod name -> podIP, from the last list
        self.wall = None	# wall-clock (written, seen running) of start_one
        self.a = None
        self.failed = False	# keep the log of a failed instance
        self.ctl_errors = []	# agentctl calls that hung or failed
        self.kept_logs = []

    def start(self):
        os.environ["TMPDIR"] = self.work	# ext4, not tmpfs: fsync is real
        AgentdBench.seq += 1
        # rootDir, runDir, staticPodPath come from the harness, below our
        # work dir; the cgroupRoot is named after the bench
        cg = f"/pods-bench-{os.getpid()}-{AgentdBench.seq}"
        # production defaults but for the node name: audit fsync on,
        # info logging, runtime auto
        extra = {"nodeName": NODE, "logLevel": "info", "auditFsync": "true",
                 "runtime": "auto", "heartbeatSeconds": "5",
                 "cgroupRoot": cg}
        if self.cni is not None:
            extra["cniConfDir"] = self.cni["dir"]
        self.a = Agentd(self.build, start=False, extra_config=extra)
        self.a.cgroup_root = cg		# for the harness's force_cleanup
        self.a.start()
        self.a.agentctl("image", "import", self.image, "busybox")
        return self.a

    def procs(self):
        return {p["role"]: p["pid"] for p in self.a.status()["processes"]}

    def pods_json(self):
        """The pod list, or None when agentctl hangs or fails: a bug worth
        recording, not a reason to stop measuring."""
        try:
            r = self.a.agentctl("get", "pods", "-o", "json",
                                timeout=AGENTCTL_TIMEOUT)
            return json.loads(r.stdout)
        except subprocess.TimeoutExpired:
            self.ctl_errors.append(f"hung > {AGENTCTL_TIMEOUT} s")
        except (RuntimeError, ValueError) as e:
            self.ctl_errors.append(str(e).strip()[:200])
        return None

    def names(self):
        """(names of the pods whose containers all run, names of all
        pods), or None when agentctl failed."""
        doc = self.pods_json()
        if doc is None:
            return None
        run_, all_ = set(), set()
        for it in doc["items"]:
            nm = it["metadata"]["name"]
            all_.add(nm)
            self.ips[nm] = it["status"].get("podIP")
            cs = it["status"].get("containerStatuses") or []
            if cs and all("running" in c.get("state", {}) for c in cs):
                run_.add(nm)
        return run_, all_

    def running(self):
        n = self.names()
        return n[0] if n else set()

    def gone(self, name):
        n = self.names()
        return n is not None and f"{name}-{NODE}" not in n[1]

    def net(self, on):
        """The bridge network for the sandboxes made from now on, or
        loopback only: agentd reads cniConfDir at each sandbox."""
        src, dst = (self.cni["off"], self.cni["on"]) if on else \
            (self.cni["on"], self.cni["off"])
        if os.path.exists(src):
            os.rename(src, dst)

    def start_one(self, name, net=False):
        """Seconds until the pod runs; NET: with a podIP of the bridge's
        subnet, or it is not what was to be measured."""
        t0, w0 = now(), time.time()
        self.a.write_manifest(name + ".yaml", measured_manifest(name, net))
        want = f"{name}-{NODE}"
        wait_until(lambda: want in self.running() and
                   (not net or self.ips.get(want)), START_TIMEOUT,
                   POLL, f"agentd pod {want} running")
        t = now() - t0
        self.wall = (w0, time.time())	# beside the audit records'
        if net and not in_subnet(self.ips.get(want), NET):
            raise BenchError(f"{want} runs with podIP "
                             f"{self.ips.get(want)!r}, not one of "
                             f"{NET[1]}")
        return t

    def audited(self, name):
        """The pod's start as agentd audited it: {action: (intent, ok
        outcome)} in wall-clock seconds, of sandbox.create (namespaces
        pinned, CNI ADD, /etc files) and container.create (bundle,
        mounts, conmon, runtime create + start).  The intent is written
        before the job starts, the outcome when it is done."""
        want = f"{name}-{NODE}"
        t_int, out = {}, {}
        for r in self.a.audit_records():
            act = r["action"]
            if act not in ("sandbox.create", "container.create") or \
                    r["pod"]["name"] != want:
                continue
            if r["phase"] == "intent":
                t_int[act] = audit_time(r["time"])
            elif r["phase"] == "outcome" and r.get("outcome") == "ok" and \
                    act in t_int:
                out[act] = (t_int[act], audit_time(r["time"]))
        if len(out) != 2:
            raise BenchError(f"no sandbox.create and container.create "
                             f"intent and ok outcome of {want} in the "
                             "audit log")
        return out

    def remove_one(self, name, timeout=GONE_TIMEOUT):
        t0 = now()
        try:
            self.a.remove_manifest(name + ".yaml")
        except FileNotFoundError:
            pass
        wait_until(lambda: self.gone(name), timeout, POLL,
                   f"agentd pod {name} gone")
        return now() - t0

    def add_pods(self, names, timeout):
        """Drop the manifests of NAMES at once; seconds until all of them
        (and those already there) are Running."""
        want = {f"{nm}-{NODE}" for nm in names} | self.running()
        t0 = now()
        for nm in names:
            self.a.write_manifest(nm + ".yaml", manifest(nm))
        wait_until(lambda: want <= self.running(), timeout, RAMP_POLL,
                   f"{len(want)} agentd pods running")
        return now() - t0

    def diagnose(self):
        """What went wrong, from agentd itself: worker restarts and its
        warnings."""
        out = []
        try:
            st = self.a.status()
            out.append("worker restarts: " + ", ".join(
                f"{p['role']} {p['restarts']}" for p in st["processes"]))
        except Exception as e:
            out.append(f"agentctl status failed: {e}")
        if self.ctl_errors:
            out.append(f"agentctl get pods failed {len(self.ctl_errors)} "
                       f"times, first: {self.ctl_errors[0]}")
        warn = [ln for ln in self.a.log().splitlines()
                if " warning: " in ln or " error: " in ln]
        out += warn[:6]
        if len(warn) > 6:
            out.append(f"... {len(warn) - 6} more warnings")
        return out

    def keep_log(self):
        dst = os.path.join("/var/tmp", "pods-bench-agentd-" +
                           time.strftime("%Y%m%d-%H%M%S") + ".log")
        shutil.copy(self.a.stderr_path, dst)
        self.kept_logs.append(dst)
        return dst

    def conmons(self):
        return conmons_under(self.a.top)

    def cpu_roots(self):
        roots = {self.a.proc.pid: "agentd"}
        for c in self.conmons():
            roots[c] = "conmon"
        return roots

    def teardown(self, timeout):
        """Remove every pod through agentd and wait until they are gone
        from its list, then stop it (containers outlive agentd by design).
        Seconds that took, or "timeout"/"failed"; whatever is left then
        (and after an exception, Ctrl-C included) is removed by hand."""
        a = self.a
        if a is None:
            return None
        took = "failed"
        try:
            if a.proc is not None and a.proc.poll() is None:
                t0 = now()
                for f in os.listdir(a.pods):
                    os.unlink(os.path.join(a.pods, f))
                try:
                    wait_until(lambda: self.count() == 0, timeout, 0.2,
                               "all agentd pods gone")
                    took = now() - t0
                except Timeout:
                    took = "timeout"
                    self.failed = True
        finally:
            self.kill_rest()
        return took

    def count(self):
        n = self.names()
        return -1 if n is None else len(n[1])

    def kill_rest(self):
        """Stop agentd, then remove by hand what it left: containers,
        conmons, mounts, cgroups, its directory."""
        a = self.a
        if a is None:
            return
        if self.failed:
            self.keep_log()
        try:
            a.stop()
        except Exception:
            pass
        rr = a.runtime_root()
        left = []
        for rt in ("runc", "crun"):
            if not os.path.isdir(rr) or shutil.which(rt) is None:
                continue
            r = run([rt, "--root", rr, "list", "-q"], check=False)
            left += r.stdout.split()
            for cid in r.stdout.split():
                run([rt, "--root", rr, "kill", cid, "KILL"], check=False)
        if left:
            progress(f"agentd left {len(left)} containers: removing them")
        kill_pids(self.conmons())
        time.sleep(0.2)
        for rt in ("runc", "crun"):
            if not os.path.isdir(rr) or shutil.which(rt) is None:
                continue
            r = run([rt, "--root", rr, "list", "-q"], check=False)
            for cid in r.stdout.split():
                run([rt, "--root", rr, "delete", "-f", cid], check=False)
        self.a = None
        a.cleanup()


# ---- podman, the peer ----

class Podman:
    def __init__(self, work, image, net_conf=None):
        self.dir = os.path.join(work, "podman")
        os.makedirs(self.dir)
        d = self.dir
        conf = os.path.join(d, "containers.conf")
        with open(conf, "w") as f:
            f.write(
                "[containers]\n"
                "default_ulimits = []\n"
                "log_driver = \"k8s-file\"\n"
                "[engine]\n"
                "runtime = \"runc\"\n"
                "cgroup_manager = \"cgroupfs\"\n"
                "events_logger = \"file\"\n"
                f"events_logfile_path = \"{d}/events.log\"\n"
                f"tmp_dir = \"{d}/tmp\"\n"
                f"static_dir = \"{d}/static\"\n"
                f"volume_path = \"{d}/volumes\"\n"
                "[network]\n"
                "network_backend = \"cni\"\n"
                f"cni_plugin_dirs = [\"{CNI_BIN}\"]\n"
                f"network_config_dir = \"{d}/net\"\n")
        # the network of --network bridge: agentd's conflist as it is
        os.makedirs(os.path.join(d, "net"))
        if net_conf is not None:
            with open(os.path.join(d, "net", f"{NET_NAME}.conflist"),
                      "w") as f:
                json.dump(net_conf, f)
        storage = os.path.join(d, "storage.conf")
        with open(storage, "w") as f:
            f.write("[storage]\n"
                    "driver = \"overlay\"\n"
                    f"graphroot = \"{d}/graph\"\n"
                    f"runroot = \"{d}/run\"\n")
        self.env = dict(os.environ, CONTAINERS_CONF=conf,
                        CONTAINERS_STORAGE_CONF=storage)
        # the image goes into our own store; nothing is ever pulled
        run(["skopeo", "copy", f"oci:{image}:latest",
             f"containers-storage:{IMAGE_REF}"], env=self.env)
        self.used = True

    def podman(self, *args, check=True, timeout=CMD_TIMEOUT):
        return run(["podman", *args], check=check, timeout=timeout,
                   env=self.env)

    def running_names(self):
        r = self.podman("ps", "--format", "json", check=False)
        out = set()
        try:
            doc = json.loads(r.stdout or "[]")
        except ValueError:
            return out
        for c in doc or []:
            names = c.get("Names") or []
            if isinstance(names, str):
                names = [names]
            if c.get("State") == "running":
                out.update(names)
        return out

    def play(self, path, want, timeout, network="none"):
        """Seconds from `kube play` until `podman ps` shows every container
        in WANT running, and the seconds until kube play returned."""
        t0 = now()
        rc, err = run_detached(["podman", "kube", "play", "--network",
                                network, path],
                               os.path.join(self.dir, "play.out"),
                               timeout=timeout, env=self.env)
        t_ret = now() - t0
        if rc != 0:
            raise BenchError(f"podman kube play: {err.strip()[-800:]}")
        wait_until(lambda: want <= self.running_names(), timeout,
                   PODMAN_POLL, "podman containers running")
        return now() - t0, t_ret

    def down(self, path):
        t0 = now()
        self.podman("kube", "down", path, check=False, timeout=300)
        self.podman("pod", "rm", "-af", "-t", "0", check=False)
        self.podman("rm", "-af", "-t", "0", check=False)
        wait_until(lambda: not self.running_names(), GONE_TIMEOUT,
                   PODMAN_POLL, "podman pods gone")
        return now() - t0

    def start_one(self, name, net=False):
        path = os.path.join(self.dir, name + ".yaml")
        with open(path, "w") as f:
            f.write(measured_manifest(name, net))
        t, t_ret = self.play(path, {f"{name}-c"}, START_TIMEOUT,
                             NET_NAME if net else "none")
        if net:
            ip = self.ip_of(name)
            if not in_subnet(ip, NET):
                self.down(path)
                raise BenchError(f"podman's {name} runs with IP {ip!r}, "
                                 f"not one of {NET[1]}")
        return t, t_ret, path

    def ip_of(self, pod):
        """The pod's address: its infra container holds the network."""
        r = self.podman("pod", "inspect", "--format",
                        "{{.InfraContainerID}}", pod, check=False)
        infra = r.stdout.strip()
        if not infra:
            return None
        r = self.podman("inspect", "--format", "{{.NetworkSettings."
                        f"Networks.{NET_NAME}.IPAddress}}}}", infra,
                        check=False)
        return r.stdout.strip() or None

    def ramp_file(self, n):
        path = os.path.join(self.dir, f"ramp-{n}.yaml")
        with open(path, "w") as f:
            f.write("---\n".join(manifest(f"ramp-{i:02d}")
                                 for i in range(n)))
        return path, {f"ramp-{i:02d}-c" for i in range(n)}

    def conmons(self):
        return conmons_under(self.dir)

    def cleanup(self):
        self.podman("pod", "rm", "-af", "-t", "0", check=False)
        self.podman("rm", "-af", "-t", "0", check=False)
        kill_pids(self.conmons())
        self.podman("rmi", "-af", check=False)
        umount_under(self.dir)


def ensure_podman(install):
    if shutil.which("podman"):
        return None
    if not install:
        return "podman not installed (--no-install given)"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for argv in (["apt-get", "install", "-y", "podman"],
                 ["apt-get", "update"],
                 ["apt-get", "install", "-y", "podman"]):
        r = subprocess.run(argv, capture_output=True, text=True, env=env,
                           stdin=subprocess.DEVNULL, timeout=600)
        if argv[1] == "install" and r.returncode == 0:
            return None
    return "apt-get install podman failed: " + r.stderr.strip()[-300:]


# ---- reporting ----

def kib(x):
    return "n/a" if x is None else f"{x / 1024:.1f} MiB" if x >= 10240 \
        else f"{int(x)} KiB"


def agentd_mem(ab):
    """RSS and PSS of agentd's processes, once all are up (a worker
    that agentd is restarting has nothing to measure)."""
    def all_up():
        try:
            st = ab.a.status()
        except Exception:
            return False
        return all(p["state"] == "running" and p["pid"] > 0
                   for p in st["processes"])
    try:
        wait_until(all_up, 30, 0.2, "all agentd workers running")
    except BenchError:
        pass				# measure what is there
    out = {"rss": {}, "pss": {}}
    for role, pid in ab.procs().items():
        out["rss"][role] = rss(pid)
        out["pss"][role] = pss(pid)
    return out


def mem_total(d):
    vals = [d.get(r) for r in ROLES]
    return sum(v for v in vals if v is not None) if any(vals) else None


def conmon_summary(cms, pods):
    r, p = mem_of(cms)
    kr, _ = mem_of(children_of(cms))
    if not r or not pods:
        return "no conmon processes found"
    return (f"{len(r)} conmon for {pods} pods, RSS {kib(median(r))} each "
            f"(median), {kib(sum(r))} in all; PSS {kib(sum(p))} in all = "
            f"{kib(sum(p) // pods)} per pod.  Containers (and pause, if any): "
            f"RSS {kib(sum(kr))} in all")


def failure(title, lines):
    if lines:
        print(f"{title}:")
        for ln in lines:
            print(f"  {ln}")


def host_note():
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    others = 0
    for pid in pids():
        cl = cmdline(pid)
        if cl and os.path.basename(cl[0]) == "agentd":
            others += 1
    print(f"host: {os.cpu_count()} CPUs, load average {' '.join(load)} at "
          f"start, {others} other agentd instance(s) running "
          f"(other work on the host skews every column, not always alike: "
          f"the figures are noisy)", flush=True)


class Table:
    """Rows of figures, a column per load level."""

    def __init__(self, levels, width=12, label=46):
        self.levels = levels
        self.w = width
        self.lw = label

    def head(self):
        print(" " * self.lw + "".join(f"{str(lv) + ' pods':>{self.w}}"
                                      for lv in self.levels))

    def row(self, label, vals):
        print((f"{label:<{self.lw}}" + "".join(f"{v:>{self.w}}"
                                               for v in vals)).rstrip(),
              flush=True)


def sec(x):
    if isinstance(x, str):
        return x
    return "n/a" if x is None else f"{x:.3f}"


def pct(x):
    return "n/a" if x is None else f"{x:.2f} %"


def mstat(xs, fn=median):
    """A median (or p90) of XS, or the reason there is none."""
    if isinstance(xs, str):
        return xs
    return fn(xs) if xs else None


class Level:
    def __init__(self, n):
        self.n = n
        self.fill = None	# seconds to add the background pods
        self.running = None	# background pods found running
        self.mem = None
        self.cpu = None
        self.bg_ips = None	# background pods with a bridge address
        self.floor = []
        self.crun = []
        self.floor_net = []	# runc + the chain by hand
        self.floor_cni = []	# {plugin: seconds} of each of those ADDs
        self.floor_net_fail = None
        self.floor_fail = None	# runc or crun without the network
        self.lo = OnePod()	# agentd, loopback only
        self.net = OnePod()	# agentd, the bridge
        self.pm_start, self.pm_ret, self.pm_rm = [], [], []
        self.pm_net, self.pm_net_ret, self.pm_net_rm = [], [], []
        self.pm_fail = []
        self.cm = None		# conmon memory, agentd's


class OnePod:
    """One pod's start and removal, N times after a warm-up, on one
    network (loopback only, or the bridge)."""

    def __init__(self):
        self.start, self.rm, self.sandbox, self.ctr = [], [], [], []
        # the rest of the start, from the audit records' times: manifest
        # written -> sandbox.create intent, its outcome -> container.create
        # intent, that outcome -> seen running in `agentctl get pods`
        self.pre, self.gap, self.post = [], [], []
        self.fail = None	# agentd's evidence when the reps stopped
        self.broke = None	# "timeout"/"failed" then


def agentd_one_pod(ab, lv, args, net):
    o = OnePod()
    tag = "net" if net else "lo"
    if ab.cni is not None:
        ab.net(net)
    name = None
    try:
        for i in range(args.n + 1):		# the first is the warm-up
            name = f"single-{tag}-{lv}-{i}"
            t = ab.start_one(name, net)
            au = ab.audited(name)
            sb, ctr = au["sandbox.create"], au["container.create"]
            w0, w1 = ab.wall
            d = ab.remove_one(name)
            name = None
            if i:
                o.start.append(t)
                o.rm.append(d)
                o.sandbox.append(sb[1] - sb[0])
                o.ctr.append(ctr[1] - ctr[0])
                o.pre.append(sb[0] - w0)
                o.gap.append(ctr[0] - sb[1])
                o.post.append(w1 - ctr[1])
    except BenchError as e:
        ab.failed = True
        o.broke = "timeout" if isinstance(e, Timeout) else "failed"
        o.fail = [str(e)] + ab.diagnose()
        if name is not None:
            try:
                ab.remove_one(name, args.step_timeout)
            except BenchError as e2:
                o.fail.append(f"removing {name}: {e2}")
    return o


def podman_one_pod(podman, lv, args, net, r):
    tag = "net" if net else "lo"
    start, ret, rm = [], [], []
    try:
        for i in range(args.n):
            t, tr, path = podman.start_one(f"single-{tag}-{lv}-{i}", net)
            start.append(t)
            ret.append(tr)
            rm.append(podman.down(path))
    except (BenchError, subprocess.TimeoutExpired) as e:
        r.pm_fail.append(f"{'bridge' if net else 'none'}: {e}")
        podman.podman("pod", "rm", "-af", "-t", "0", check=False)
    return start, ret, rm


def measure_level(lv, ab, floor, podman, bg, args):
    r = Level(lv)
    new = [f"bg-{i:03d}" for i in range(len(bg), lv)]
    if new:
        progress(f"level {lv}: adding {len(new)} background pods")
        if ab.cni is not None:
            ab.net(True)		# the background pods on the bridge too
        try:
            r.fill = ab.add_pods(new, args.step_timeout)
        except Timeout:
            r.fill = "timeout"
            ab.failed = True
        bg.extend(new)
    r.running = len(ab.running() & {f"{b}-{NODE}" for b in bg})
    if ab.cni is not None:
        r.bg_ips = sum(1 for b in bg if in_subnet(
            ab.ips.get(f"{b}-{NODE}"), NET))
    time.sleep(2)				# let it settle
    r.mem = agentd_mem(ab)
    progress(f"level {lv}: idle CPU over {args.idle_seconds} s")
    r.cpu = CpuMeter(ab.cpu_roots).measure(args.idle_seconds)
    r.cm = conmon_summary(ab.conmons(), r.running) if r.running else None

    progress(f"level {lv}: runc run -d")
    # a failing runtime is a row that says so, not the end of the bench
    try:
        floor.start("runc")			# warm-up
        r.floor = [floor.start("runc") for _ in range(args.n)]
    except (BenchError, subprocess.TimeoutExpired) as e:
        r.floor, r.floor_fail = "failed", f"runc run -d: {e}"
    if args.crun:
        try:
            r.crun = [floor.start("crun") for _ in range(args.n)]
        except (BenchError, subprocess.TimeoutExpired) as e:
            r.crun, r.floor_fail = "failed", f"crun run -d: {e}"
    if args.bridge:
        progress(f"level {lv}: runc run -d + the CNI chain by hand")
        try:
            floor.start("runc", net=True)	# warm-up
            for _ in range(args.n):
                t, times = floor.start("runc", net=True)
                r.floor_net.append(t)
                r.floor_cni.append(times)
        except (BenchError, subprocess.TimeoutExpired) as e:
            r.floor_net_fail = str(e)

    progress(f"level {lv}: agentd, one pod")
    r.lo = agentd_one_pod(ab, lv, args, False)
    if args.bridge:
        progress(f"level {lv}: agentd, one pod on the bridge")
        r.net = agentd_one_pod(ab, lv, args, True)

    if podman is not None:
        progress(f"level {lv}: podman kube play, one pod")
        r.pm_start, r.pm_ret, r.pm_rm = podman_one_pod(podman, lv, args,
                                                       False, r)
        if args.bridge:
            progress(f"level {lv}: podman kube play, one pod on the bridge")
            r.pm_net, r.pm_net_ret, r.pm_net_rm = podman_one_pod(
                podman, lv, args, True, r)
    return r


def pm_failed(r, network):
    return any(f.startswith(network + ":") for f in r.pm_fail)


def diff(a, b):
    """A median less another, in seconds, or why there is none."""
    a, b = mstat(a), mstat(b)
    if isinstance(a, str) or isinstance(b, str) or a is None or b is None:
        return "n/a"
    return f"{a - b:+.3f}"


def chain_sum(times, plugins):
    return [sum(t[p] for p in plugins) for t in times]


def bridge_rows(tb, rs, args):
    """(1b) one pod on the bridge, (1c) the CNI ADD by itself."""
    n = args.n
    tb.row(f"(1b) one pod start on the bridge, s, median of {n}", [])
    tb.row("  agentd (manifest -> running with a podIP)",
           [sec(r.net.broke or mstat(r.net.start)) for r in rs])
    tb.row("  agentd p90",
           [sec(r.net.broke or mstat(r.net.start, p90)) for r in rs])
    tb.row("  runc run -d + the chain by hand (floor)",
           [sec(mstat(r.floor_net)) if r.floor_net else
            ("failed" if r.floor_net_fail else "n/a") for r in rs])
    tb.row(f"  podman kube play --network {NET_NAME} (peer)",
           [sec(mstat(r.pm_net)) if r.pm_net else
            ("failed" if pm_failed(r, "bridge") else "n/a") for r in rs])
    tb.row("    of which kube play itself returned",
           [sec(mstat(r.pm_net_ret)) for r in rs])
    tb.row("  agentd / floor", [ratio(mstat(r.net.start),
                                      mstat(r.floor_net)) for r in rs])
    tb.row("  agentd / podman", [ratio(mstat(r.net.start),
                                       mstat(r.pm_net)) for r in rs])
    tb.row("  agentd bridge - loopback", [diff(r.net.start, r.lo.start)
                                          for r in rs])
    tb.row("  floor bridge - loopback", [diff(r.floor_net, r.floor)
                                         for r in rs])
    tb.row("  podman bridge - none", [diff(r.pm_net, r.pm_start)
                                      for r in rs])
    tb.row("  agentd removal on the bridge",
           [sec(r.net.broke or mstat(r.net.rm)) for r in rs])
    tb.row("  podman kube down + pod rm on the bridge",
           [sec(mstat(r.pm_net_rm)) for r in rs])
    tb.row("  background pods with a bridge address",
           [str(r.bg_ips) for r in rs])
    tb.row(f"(1c) CNI ADD by itself, s, median of {n}", [])
    tb.row("  agentd sandbox.create, bridge (audit)",
           [sec(r.net.broke or mstat(r.net.sandbox)) for r in rs])
    tb.row("  agentd sandbox.create, loopback (audit)",
           [sec(r.lo.broke or mstat(r.lo.sandbox)) for r in rs])
    tb.row("  agentd: the chain (the difference)",
           [diff(r.net.sandbox, r.lo.sandbox) for r in rs])
    for what, o in (("bridge", lambda r: r.net),
                    ("loopback", lambda r: r.lo)):
        tb.row(f"  agentd on {what}, the rest of its start (audit):", [])
        for label, key in (("manifest -> sandbox.create", "pre"),
                           ("sandbox -> container.create", "gap"),
                           ("container.create", "ctr"),
                           ("its outcome -> seen running", "post")):
            tb.row(f"    {label}", [sec(o(r).broke or mstat(
                getattr(o(r), key))) for r in rs])
    ft = [r.floor_cni for r in rs]
    tb.row("  by hand: bridge + host-local ADD",
           [sec(mstat(chain_sum(t, ("bridge",)))) for t in ft])
    tb.row("  by hand: portmap ADD (a hostPort)",
           [sec(mstat(chain_sum(t, ("portmap",)))) for t in ft])
    tb.row("  by hand: the chain (bridge, portmap)",
           [sec(mstat(chain_sum(t, ("bridge", "portmap")))) for t in ft])
    tb.row("  by hand: loopback ADD (both networks)",
           [sec(mstat(chain_sum(t, ("loopback",)))) for t in ft])


def verdict(ok):
    return "n/a" if ok is None else "met" if ok else "NOT met"


def report(levels, res, ramp, podman_why, crun_why, args):
    top = levels[-1]
    lo = levels[0]
    tb = Table(levels)
    print("\nRESULTS  (load: the column's number of busybox `sleep 3600` "
          "pods that agentd started from static manifests, running in the "
          "background" + (" on the bridge network" if args.bridge else "") +
          "; runc and podman are measured beside the same agentd pods)")
    tb.head()
    rs = [res[lv] for lv in levels]
    tb.row("load: background pods running", [str(r.running) for r in rs])
    tb.row("  seconds to add them (at once)", [sec(r.fill) if r.fill
                                               is not None else "-"
                                               for r in rs])
    tb.row(f"(1) one pod start, s, median of {args.n}", [])
    tb.row("  agentd (manifest -> state.running)",
           [sec(r.lo.broke or mstat(r.lo.start)) for r in rs])
    tb.row("  agentd p90",
           [sec(r.lo.broke or mstat(r.lo.start, p90)) for r in rs])
    tb.row("  runc run -d (floor)", [sec(mstat(r.floor)) for r in rs])
    if args.crun:
        tb.row("  crun run -d", [sec(mstat(r.crun)) for r in rs])
    tb.row("  podman kube play (peer)",
           [sec(mstat(r.pm_start)) if r.pm_start else
            ("failed" if pm_failed(r, "none") else "n/a") for r in rs])
    tb.row("    of which kube play itself returned",
           [sec(mstat(r.pm_ret)) for r in rs])
    tb.row("  agentd / floor", [ratio(mstat(r.lo.start), mstat(r.floor))
                                for r in rs])
    tb.row("  agentd / podman", [ratio(mstat(r.lo.start), mstat(r.pm_start))
                                 for r in rs])
    if args.bridge:
        bridge_rows(tb, rs, args)
    else:
        print(f"(1b) the bridge network: not measured ({args.bridge_why})")
    tb.row(f"(2) removal until gone, s, median of {args.n}", [])
    tb.row("  agentd (SIGTERM ends the container)",
           [sec(r.lo.broke or mstat(r.lo.rm)) for r in rs])
    tb.row("  podman kube down + pod rm",
           [sec(mstat(r.pm_rm)) for r in rs])
    tb.row(f"(4) idle CPU, % of one core, "
           f"{args.idle_seconds:g} s", [])
    tb.row("  all: agentd's tree + conmons",
           [pct(r.cpu.get("all")) for r in rs])
    tb.row("  agentd, its workers and all they spawn",
           [pct(r.cpu.get("agentd", 0.0)) for r in rs])
    tb.row("  conmons of its containers + below them",
           [pct(r.cpu.get("conmon", 0.0)) for r in rs])
    tb.row("  processes seen in the window",
           [str(r.cpu.get("procs")) for r in rs])
    tb.row("(5) PSS of agentd's processes", [])
    tb.row("  total", [kib(mem_total(r.mem["pss"])) for r in rs])
    for role in ROLES:
        tb.row(f"    {role}", [kib(r.mem["pss"].get(role)) for r in rs])
    tb.row("  VmRSS total", [kib(mem_total(r.mem["rss"])) for r in rs])
    for r in rs:
        failure(f"agentd at {r.n} pods FAILED", r.lo.fail)
        failure(f"agentd on the bridge at {r.n} pods FAILED", r.net.fail)
        if r.floor_fail:
            print(f"the floor at {r.n} pods FAILED: {r.floor_fail}")
        if r.floor_net_fail:
            print(f"runc + the CNI chain at {r.n} pods FAILED: "
                  f"{r.floor_net_fail}")
        for f in r.pm_fail:
            print(f"podman at {r.n} pods FAILED ({f})")
    if crun_why is not None:
        print(f"crun: not usable here ({crun_why})")
    if podman_why is not None:
        print(f"podman: not usable here ({podman_why})")
    elif args.bridge:
        print(f"podman on the bridge: its CNI backend (no netavark) in the "
              f"bench's network namespace, the network {NET_NAME} of its "
              f"own network_config_dir (agentd's conflist, bridge {NET[0]}); "
              f"of the host it touches files only: its pods' netns pins in "
              f"/run/netns and libcni's cache in /var/lib/cni/results, both "
              f"gone with its pods")
    for r in rs:
        if r.cm:
            print(f"conmon at {r.n} pods (agentd's: one per container; a "
                  f"pod without shareProcessNamespace has no infra): {r.cm}")

    n = args.ramp_pods
    print()
    ag = ramp["agentd"]
    pm = ramp["podman"]
    print(f"(3) {n} pods at once until all Running (fresh agentd, no other "
          f"pods; podman with no agentd pods):")
    print(f"  agentd: {', '.join(sec(x) for x in ag) or 'none'} s  "
          f"median {fmt_s(mstat([x for x in ag if not isinstance(x, str)]))}"
          f"  |  podman kube play ({n}-document YAML, one invocation): "
          + (f"{', '.join(sec(x) for x in pm)} s (kube play returned after "
             f"{', '.join(sec(x) for x in ramp['podman_ret'])} s)"
             if pm else ramp.get("podman_why") or "n/a"))
    failure(f"agentd {n}-pod ramp FAILED", ramp["fail"])
    if ramp["conmon"]:
        print(f"  conmon, agentd: {ramp['conmon']}")
    if ramp["podman_conmon"]:
        print(f"  conmon, podman: {ramp['podman_conmon']}")
    print("  podman has no daemon: 0 resident processes besides conmon "
          "and the containers")
    print(f"teardown through agentd (manifests removed -> list empty): "
          f"{ramp['teardown']}")

    # ---- issue 9's targets ----
    r0, rt = res[lo], res[top]

    def num(x):
        return x if isinstance(x, float) else None

    s0, st = num(mstat(r0.lo.start)), num(mstat(rt.lo.start))
    f0 = num(mstat(r0.floor))
    rm = num(mstat(rt.lo.rm))
    agr = num(mstat([x for x in ag if not isinstance(x, str)]))
    pmr = num(mstat(pm))
    cpu = rt.cpu.get("all")
    ps = mem_total(rt.mem["pss"])
    rows = [
        (f"one pod start at {top} running / at {lo}", f"<= {T_START_LOAD}x",
         ratio(st, s0) if not rt.lo.broke else rt.lo.broke,
         False if rt.lo.broke else None if not (st and s0) else
         st / s0 <= T_START_LOAD),
        (f"one pod start at {lo} / runc run -d", f"<= {T_START_FLOOR:g}x",
         ratio(s0, f0), None if not (s0 and f0) else s0 / f0 <=
         T_START_FLOOR),
        (f"removal at {top} pods", f"<= {T_REMOVE} s",
         fmt_s(rt.lo.broke or rm), False if rt.lo.broke else
         None if rm is None else rm <= T_REMOVE),
        (f"{n} pods at once / podman kube play", "< 1.00x",
         ratio(agr, pmr) if agr else "timeout" if ag else "n/a",
         False if ag and not agr else
         None if not (agr and pmr) else agr < pmr),
        (f"idle CPU at {top} pods", f"< {T_CPU:g} % of a core", pct(cpu),
         None if cpu is None else cpu < T_CPU),
        (f"PSS of agentd's {len(ROLES)} processes at {top} pods",
         f"< {T_PSS // 1024} MiB", kib(ps), None if ps is None else
         ps < T_PSS),
    ]
    print("\nTARGETS (issue 9)")
    print(f"  {'':<44}{'target':>18}{'measured':>12}  verdict")
    for label, tgt, got, ok in rows:
        print(f"  {label:<44}{tgt:>18}{got:>12}  {verdict(ok)}")
    if top != 100 or lo != 0:
        print(f"  (the issue's levels are 0 and 100; this run measured "
              f"{lo} and {top})")


# ---- main ----

def run_netns():
    """The pins in /run/netns (podman's pods make theirs there)."""
    try:
        return set(os.listdir("/run/netns"))
    except FileNotFoundError:
        return set()


def cni_dirs(work, net_conf):
    """agentd's cniConfDir, and the conflist's place when it is not in
    it (loopback only for the sandboxes made then)."""
    d = os.path.join(work, "cni")
    on, off = os.path.join(d, "net.d"), os.path.join(d, "off")
    os.makedirs(on)
    os.makedirs(off)
    name = f"10-{NET_NAME}.conflist"
    with open(os.path.join(off, name), "w") as f:
        json.dump(net_conf, f)
    return {"dir": on, "on": os.path.join(on, name),
            "off": os.path.join(off, name)}


def interrupted(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # --quick: the defaults of a short run that tries every path
    quick = "--quick" in sys.argv[1:]
    ap.add_argument("--quick", action="store_true",
                    help="-n 2 --levels 0,10 --ramp-pods 10 "
                    "--idle-seconds 3, unless given")
    ap.add_argument("-n", type=int, default=2 if quick else 5,
                    help="single-pod reps per level (default 5)")
    ap.add_argument("--levels", default="0,10" if quick else "0,50,100",
                    help="background pods per column (default 0,50,100)")
    ap.add_argument("--network", choices=("bridge", "loopback"),
                    default="bridge",
                    help="bridge (default): also one pod on a bridge + "
                    "host-local + portmap network and the CNI ADD by "
                    "itself, the background pods on the bridge; "
                    "loopback: issue 9's run")
    ap.add_argument("--ramp-pods", type=int, default=None,
                    help="pods at once (default: the highest level)")
    ap.add_argument("--ramp-runs", type=int, default=1)
    ap.add_argument("--idle-seconds", type=float,
                    default=3 if quick else 30)
    ap.add_argument("--step-timeout", type=float, default=STEP_TIMEOUT,
                    help="bound of filling a level, a ramp, a teardown; "
                    "past it the step is recorded as timeout")
    ap.add_argument("--build", default=os.path.join(TOP, "build"))
    ap.add_argument("--no-podman", action="store_true")
    ap.add_argument("--no-install", action="store_true",
                    help="do not apt-get install podman when missing")
    args = ap.parse_args()
    try:
        levels = sorted({int(x) for x in args.levels.split(",") if x})
    except ValueError:
        sys.exit("pods_bench: --levels takes numbers, e.g. 0,50,100")
    if not levels or levels[0] < 0 or args.n < 1:
        sys.exit("pods_bench: need at least one level >= 0 and -n >= 1")
    if args.ramp_pods is None:
        args.ramp_pods = max(levels[-1], 1)
    if os.geteuid() != 0:
        sys.exit("pods_bench: must run as root")
    build = os.path.abspath(args.build)
    for exe in ("agentd", "agentctl", "agentd-executor"):
        if not os.access(os.path.join(build, exe), os.X_OK):
            sys.exit(f"pods_bench: {build}/{exe} missing: run `make all`")
    for tool in ("runc", "umoci", "conmon", "skopeo"):
        if shutil.which(tool) is None:
            sys.exit(f"pods_bench: {tool} not found "
                     "(contrib/install-deps.sh installs it)")
    args.bridge = args.network == "bridge"
    args.bridge_why = "--network loopback"
    if args.bridge and (cni_missing() or shutil.which("unshare") is None):
        args.bridge = False
        args.bridge_why = cni_missing() or "no unshare(1)"
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, interrupted)

    t_begin = now()
    netns_before = run_netns()
    host_note()
    work = tempfile.mkdtemp(prefix="pods-bench.", dir="/var/tmp")
    os.chmod(work, 0o755)
    floor = podman = None
    instances = []
    podman_why = None
    try:
        # a snapshot of the binaries: build/ may be rebuilt under our feet
        snap = os.path.join(work, "build")
        os.makedirs(snap)
        for exe in os.listdir(build):
            src = os.path.join(build, exe)
            if (exe in ("agentd", "agentctl") or exe.startswith("agentd-"))\
                    and os.path.isfile(src):
                shutil.copy2(src, snap)
        build = snap
        image = os.path.join(work, "busybox-oci")
        run([os.path.join(TOP, "contrib", "mkimage-busybox.sh"), image])

        progress("floor: runc run -d, crun")
        floor = Floor(work, image)
        crun_why = floor.crun_usable()		# doubles as its warm-up
        args.crun = crun_why is None

        if args.no_podman:
            podman_why = "skipped (--no-podman)"
        else:
            podman_why = ensure_podman(not args.no_install)
        # from here on (apt-get is done) nothing of the bench is in the
        # host's network namespace
        progress(f"network namespace of the bench: {enter_own_netns()}")
        cni = net_conf = None
        if args.bridge:
            net_conf = conflist(NET, os.path.join(work, "ipam"))
            cni = cni_dirs(work, net_conf)
            floor.chain = CniChain(net_conf)
        if podman_why is None:
            progress("podman: setup and warm-up")
            try:
                podman = Podman(work, image, net_conf)
                # warm-up: the first play builds podman's local pause
                # image (from catatonit) for the infra containers; the
                # first on the network makes its bridge
                _, _, path = podman.start_one("warm")
                podman.down(path)
                if args.bridge:
                    _, _, path = podman.start_one("warm-net", True)
                    podman.down(path)
            except (BenchError, subprocess.TimeoutExpired) as e:
                podman_why = f"failed: {e}"
        pm = podman if podman_why is None else None

        # ---- the levels, on one agentd whose background pods grow ----
        ab = AgentdBench(build, image, work, cni)
        instances.append(ab)
        ab.start()
        bg, res = [], {}
        for lv in levels:
            res[lv] = measure_level(lv, ab, floor, pm, bg, args)
        progress(f"agentd: removing its {len(bg)} pods")
        teardown = [f"{len(bg)} pods {fmt_s(ab.teardown(args.step_timeout))}"]

        # ---- (3) the ramp, fresh instances ----
        n = args.ramp_pods
        ramp = {"agentd": [], "podman": [], "podman_ret": [], "fail": None,
                "conmon": None, "podman_conmon": None,
                "podman_why": podman_why}
        for run_no in range(args.ramp_runs):
            rb = AgentdBench(build, image, work)
            instances.append(rb)
            rb.start()
            progress(f"agentd, {n} pods at once, run {run_no + 1}")
            try:
                ramp["agentd"].append(rb.add_pods(
                    [f"ramp-{i:03d}" for i in range(n)], args.step_timeout))
            except BenchError as e:
                rb.failed = True
                ramp["agentd"].append("timeout" if isinstance(e, Timeout)
                                      else "failed")
                ramp["fail"] = [str(e)] + rb.diagnose()
            if ramp["conmon"] is None:
                ramp["conmon"] = conmon_summary(rb.conmons(), n)
            progress(f"agentd: removing its {n} pods")
            teardown.append(f"{n} pods "
                            f"{fmt_s(rb.teardown(args.step_timeout))}")
            if ramp["fail"]:
                break		# the next runs would only fail the same way
        ramp["teardown"] = "; ".join(teardown)
        if pm is not None:
            path, want = pm.ramp_file(n)
            try:
                for run_no in range(args.ramp_runs):
                    progress(f"podman, {n} pods at once, run {run_no + 1}")
                    t, tr = pm.play(path, want, args.step_timeout)
                    ramp["podman"].append(t)
                    ramp["podman_ret"].append(tr)
                    if run_no == 0:
                        ramp["podman_conmon"] = conmon_summary(
                            pm.conmons(), n)
                    pm.down(path)
            except (BenchError, subprocess.TimeoutExpired) as e:
                ramp["podman_why"] = f"failed: {e}"
                pm.podman("pod", "rm", "-af", "-t", "0", check=False)

        report(levels, res, ramp, podman_why, crun_why, args)
        kept = [lg for i in instances for lg in i.kept_logs]
        if kept:
            print(f"agentd logs of failed runs kept: {', '.join(kept)}")
        with open("/proc/loadavg") as f:
            load = " ".join(f.read().split()[:3])
        # the load of the start alone says little about a 6-minute run
        print(f"\ntotal bench time {now() - t_begin:.0f} s, load average "
              f"{load} at the end", flush=True)
        failed = any(r.lo.fail or r.net.fail for r in res.values()) or \
            ramp["fail"] or \
            any(i.failed for i in instances)
        return 1 if failed else 0
    finally:
        # a second Ctrl-C must not leave containers behind
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        for i in instances:
            if i.a is not None:
                progress("cleanup: removing the pods through agentd, "
                         "then stopping it")
            try:
                i.teardown(args.step_timeout)
            except Exception as e:
                print(f"cleanup of agentd: {e}", file=sys.stderr)
        for what, f in (("podman", lambda: podman and podman.cleanup()),
                        ("floor", lambda: floor and floor.cleanup())):
            try:
                f()
            except Exception as e:
                print(f"cleanup of {what}: {e}", file=sys.stderr)
        left = conmons_under(work)
        if left:
            print(f"cleanup: killing {len(left)} conmon left under {work}",
                  file=sys.stderr)
            kill_pids(left)
        umount_under(work)
        shutil.rmtree(work, ignore_errors=True)
        left = run_netns() - netns_before
        if left:
            print(f"cleanup: network namespace pins that appeared in "
                  f"/run/netns during the run are still there: "
                  f"{', '.join(sorted(left))}", file=sys.stderr)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt as e:
        # main's finally has removed everything by now
        sys.exit(f"pods_bench: interrupted ({e or 'SIGINT'}); "
                 "everything it made is removed")
