#!/usr/bin/python3
"""pods_bench: what agentd costs to start pods, next to the floor (a bare
OCI runtime) and a peer (podman kube play), and what its own processes
weigh.  Everything is measured on this machine in one run:

  (a) one busybox pod (`sleep 3600`): from the manifest appearing in
      staticPodPath until `agentctl get pods -o json` shows the container
      with state.running; against `runc run -d` (and `crun run -d` where it
      works) of an equivalent bundle until `runc state` says running, and
      `podman kube play` of the same YAML until `podman ps` shows it
      running.  N repetitions after one unmeasured warm-up each; the pod is
      removed and gone between repetitions.
  (b) RAMP_PODS pods dropped into staticPodPath at once until all are
      Running, median of RAMP_RUNS; against one `podman kube play` of a
      RAMP_PODS-document YAML.
  (c) RSS and PSS (/proc/PID/smaps_rollup) of agentd's four processes
      with 0 pods and with RAMP_PODS pods; conmon (per container, not
      agentd's own) for agentd and for podman, which has no daemon.
  (d) idle VmRSS (/proc/PID/status) of each of the four processes.

Run as root from the top of the tree after `make all`:
    /usr/bin/python3 bench/pods_bench.py [-n N] [--ramp-pods M]
        [--ramp-runs R] [--build DIR] [--no-podman] [--no-install]
Nothing leaves the host: the image is built locally from busybox-static,
podman runs with its own containers.conf/storage.conf in a temp dir, no
network (`--network none`), and never pulls.  Every instance, container,
mount and cgroup the bench makes is removed at the end, also on failure.
"""
import argparse
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
RAMP_TIMEOUT = 90		# all pods of one ramp (agentd needs ~15 s)
AGENTCTL_TIMEOUT = 10		# one agentctl call; more is an agentd bug
GONE_TIMEOUT = 120		# a pod removed
POLL = 0.01			# agentctl / runc state poll interval
PODMAN_POLL = 0.02		# podman ps is slower; poll as often as it allows
RAMP_POLL = 0.05
CMD_TIMEOUT = 120		# any single command
NODE = "benchnode"
IMAGE_REF = "docker.io/library/busybox:latest"


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
    return "n/a" if x is None else f"{x:.3f} s"


def ratio(a, b):
    return "n/a" if a is None or not b else f"{a / b:.2f}x"


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


def wait_until(pred, timeout, interval, what):
    deadline = now() + timeout
    while True:
        v = pred()
        if v:
            return v
        if now() > deadline:
            raise BenchError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def manifest(name):
    return ("apiVersion: v1\nkind: Pod\nmetadata:\n"
            f"  name: {name}\n"
            "spec:\n"
            "  terminationGracePeriodSeconds: 0\n"
            "  containers:\n"
            "  - name: c\n"
            "    image: busybox\n"
            "    command: [\"sleep\", \"3600\"]\n")


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


# ---- the floor: a bare OCI runtime ----

class Floor:
    """An OCI bundle from the same image: rootfs by `umoci unpack`, config
    by `runc spec`, args sleep 3600, no terminal; cgroups under a parent of
    our own so that nothing is left behind."""

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
        cfg["process"]["args"] = ["sleep", "3600"]
        cfg["process"]["terminal"] = False
        cfg["linux"]["cgroupsPath"] = self.cg_parent + "/CTR"
        self.cfg = cfg
        self.seq = 0

    def root(self, rt):
        return os.path.join(self.dir, f"{rt}-root")

    def _config(self, cid):
        cfg = json.loads(json.dumps(self.cfg))
        cfg["linux"]["cgroupsPath"] = f"{self.cg_parent}/{cid}"
        with open(os.path.join(self.bundle, "config.json"), "w") as f:
            json.dump(cfg, f)

    def state(self, rt, cid):
        r = run([rt, "--root", self.root(rt), "state", cid], check=False)
        if r.returncode != 0:
            return None
        return json.loads(r.stdout).get("status")

    def start(self, rt):
        """Seconds from invocation until `RT state` says running."""
        self.seq += 1
        cid = f"bench-{rt}-{os.getpid()}-{self.seq}"
        self._config(cid)
        t0 = now()
        self.live[cid] = rt
        rc, err = run_detached([rt, "--root", self.root(rt), "run", "-d",
                                "--bundle", self.bundle, cid],
                               os.path.join(self.dir, "run.err"))
        if rc != 0:
            self.live.pop(cid, None)
            raise BenchError(f"{rt} run: {err.strip()}")
        wait_until(lambda: self.state(rt, cid) == "running", START_TIMEOUT,
                   POLL, f"{rt} container running")
        t = now() - t0
        self.remove(cid)
        return t

    def remove(self, cid):
        rt = self.live.pop(cid)
        run([rt, "--root", self.root(rt), "kill", cid, "KILL"], check=False)
        wait_until(lambda: self.state(rt, cid) in (None, "stopped"), 10,
                   POLL, f"{rt} container stopped")
        run([rt, "--root", self.root(rt), "delete", "-f", cid], check=False)

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
        rmdir_cgroups(self.cg_parent)


# ---- agentd ----

class AgentdBench:
    def __init__(self, build, image, work):
        self.build = build
        self.image = image
        self.work = work
        self.a = None
        self.failed = False	# keep the log of a failed instance
        self.ctl_errors = []	# agentctl calls that hung or failed
        self.kept_logs = []

    def start(self):
        os.environ["TMPDIR"] = self.work	# ext4, not tmpfs: fsync is real
        # production defaults but for the node name: audit fsync on,
        # info logging, runtime auto
        self.a = Agentd(self.build, extra_config={
            "nodeName": NODE, "logLevel": "info", "auditFsync": "true",
            "runtime": "auto", "heartbeatSeconds": "5"})
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

    def running_names(self):
        out = set()
        doc = self.pods_json()
        if doc is None:
            return out, -1
        items = doc["items"]
        for it in items:
            cs = it["status"].get("containerStatuses") or []
            if cs and all("running" in c.get("state", {}) for c in cs):
                out.add(it["metadata"]["name"])
        return out, len(items)

    def start_one(self, name):
        t0 = now()
        self.a.write_manifest(name + ".yaml", manifest(name))
        want = f"{name}-{NODE}"
        wait_until(lambda: want in self.running_names()[0], START_TIMEOUT,
                   POLL, f"agentd pod {want} running")
        return now() - t0

    def remove_one(self, name):
        t0 = now()
        self.a.remove_manifest(name + ".yaml")
        wait_until(lambda: self.running_names()[1] == 0, GONE_TIMEOUT, POLL,
                   f"agentd pod {name} gone")
        return now() - t0

    def ramp(self, n):
        names = [f"ramp-{i:02d}" for i in range(n)]
        t0 = now()
        for nm in names:
            self.a.write_manifest(nm + ".yaml", manifest(nm))
        wait_until(lambda: len(self.running_names()[0]) == n, RAMP_TIMEOUT,
                   RAMP_POLL, f"all {n} agentd pods running")
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

    def kill_fast(self):
        """Stop agentd (containers outlive it by design), then remove its
        containers by hand: much faster than its graceful teardown of many
        pods, which the ramp does not measure."""
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
        for rt in ("runc", "crun"):
            if not os.path.isdir(rr) or shutil.which(rt) is None:
                continue
            r = run([rt, "--root", rr, "list", "-q"], check=False)
            for cid in r.stdout.split():
                run([rt, "--root", rr, "kill", cid, "KILL"], check=False)
        kill_pids(self.conmons())
        time.sleep(0.2)
        for rt in ("runc", "crun"):
            if not os.path.isdir(rr) or shutil.which(rt) is None:
                continue
            r = run([rt, "--root", rr, "list", "-q"], check=False)
            for cid in r.stdout.split():
                run([rt, "--root", rr, "delete", "-f", cid], check=False)
        self.cleanup()

    def cleanup(self):
        if self.a is not None:
            a, self.a = self.a, None
            a.cleanup()


# ---- podman, the peer ----

class Podman:
    def __init__(self, work, image):
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
                f"network_config_dir = \"{d}/net\"\n")
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

    def play(self, path, want, timeout):
        """Seconds from `kube play` until `podman ps` shows every container
        in WANT running, and the seconds until kube play returned."""
        t0 = now()
        rc, err = run_detached(["podman", "kube", "play", "--network",
                                "none", path],
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

    def start_one(self, name):
        path = os.path.join(self.dir, name + ".yaml")
        with open(path, "w") as f:
            f.write(manifest(name))
        t, t_ret = self.play(path, {f"{name}-c"}, START_TIMEOUT)
        return t, t_ret, path

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

def line(label, parts, ratios):
    s = f"{label}:  " + " | ".join(parts)
    if ratios:
        s += "   " + "  ".join(ratios)
    print(s, flush=True)


def kib(x):
    return "n/a" if x is None else f"{x / 1024:.1f} MiB" if x >= 10240 \
        else f"{int(x)} KiB"


def memrow(label, d):
    roles = ("agentd", "watcher", "executor", "reporter")
    vals = [d.get(r) for r in roles]
    tot = sum(v for v in vals if v is not None)
    print(f"  {label:<26}" + "".join(f"{kib(v):>11}" for v in vals) +
          f"{kib(tot):>12}", flush=True)


def agentd_mem(ab):
    """RSS and PSS of the four processes, once all four are up (a worker
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


def conmon_summary(cms, pods):
    r, p = mem_of(cms)
    kr, _ = mem_of(children_of(cms))
    if not r:
        return "no conmon processes found"
    return (f"{len(r)} conmon for {pods} pods, RSS {kib(median(r))} each "
            f"(median), {kib(sum(r))} in all; PSS {kib(sum(p))} in all = "
            f"{kib(sum(p) // pods)} per pod.  Containers (pause + sleep): "
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
          f"(other work on the host skews every column alike)", flush=True)


# ---- main ----

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=10, help="single-pod reps")
    ap.add_argument("--ramp-pods", type=int, default=50)
    ap.add_argument("--ramp-runs", type=int, default=3)
    ap.add_argument("--build", default=os.path.join(TOP, "build"))
    ap.add_argument("--no-podman", action="store_true")
    ap.add_argument("--no-install", action="store_true",
                    help="do not apt-get install podman when missing")
    args = ap.parse_args()
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

    t_begin = now()
    host_note()
    work = tempfile.mkdtemp(prefix="pods-bench.", dir="/var/tmp")
    os.chmod(work, 0o755)
    floor = podman = ab = None
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

        # ---- (a) the floor ----
        progress("floor: runc run -d")
        floor = Floor(work, image)
        floor.start("runc")			# warm-up
        runc_t = [floor.start("runc") for _ in range(args.n)]
        crun_why = floor.crun_usable()		# doubles as crun's warm-up
        crun_t = [floor.start("crun") for _ in range(args.n)] \
            if crun_why is None else []

        # ---- (a) podman ----
        if args.no_podman:
            podman_why = "skipped (--no-podman)"
        else:
            podman_why = ensure_podman(not args.no_install)
        pod_t, pod_ret, pod_down = [], [], []
        if podman_why is None:
            progress("podman kube play, one pod")
            try:
                podman = Podman(work, image)
                # warm-up: the first play builds podman's local pause
                # image (from catatonit) for the infra containers
                _, _, path = podman.start_one("warm")
                podman.down(path)
                for i in range(args.n):
                    t, tr, path = podman.start_one(f"single-{i}")
                    pod_t.append(t)
                    pod_ret.append(tr)
                    pod_down.append(podman.down(path))
            except (BenchError, subprocess.TimeoutExpired) as e:
                podman_why = f"failed: {e}"

        # ---- (a) agentd, (c)+(d) idle memory ----
        progress("agentd, one pod")
        ab = AgentdBench(build, image, work)
        ab.start()
        time.sleep(2)				# let start-up settle
        idle = agentd_mem(ab)
        ag_t, ag_down, ag_fail = [], [], None
        try:
            ab.start_one("warm")
            ab.remove_one("warm")
            for i in range(args.n):
                ag_t.append(ab.start_one(f"single-{i}"))
                ag_down.append(ab.remove_one(f"single-{i}"))
        except BenchError as e:
            ab.failed = True
            ag_fail = [str(e)] + ab.diagnose()

        # ---- (b) the ramp, (c) memory with RAMP_PODS pods ----
        n = args.ramp_pods
        ramp_t, ramp_fail, busy, ag_cm = [], None, None, None
        for run_no in range(args.ramp_runs):
            if ab.a is None:
                ab.start()
            progress(f"agentd, {n} pods, run {run_no + 1}")
            try:
                ramp_t.append(ab.ramp(n))
            except BenchError as e:
                ab.failed = True
                ramp_fail = [str(e)] + ab.diagnose()
            if busy is None:
                time.sleep(2)
                busy = agentd_mem(ab)
                ag_cm = conmon_summary(ab.conmons(), n)
            progress("agentd: stop and remove its containers")
            ab.kill_fast()
            if ramp_fail:
                break		# the next runs would only fail the same way
        pram_t, pram_ret, pod_cm, pram_fail = [], [], None, None
        if podman is not None and podman_why is None:
            path, want = podman.ramp_file(n)
            try:
                for run_no in range(args.ramp_runs):
                    progress(f"podman, {n} pods, run {run_no + 1}")
                    t, tr = podman.play(path, want, RAMP_TIMEOUT)
                    pram_t.append(t)
                    pram_ret.append(tr)
                    if run_no == 0:
                        pod_cm = conmon_summary(podman.conmons(), n)
                    podman.down(path)
            except (BenchError, subprocess.TimeoutExpired) as e:
                pram_fail = str(e)

        # ---- the results ----
        print("\nRESULTS (medians; after one unmeasured warm-up each)")
        floor_m = median(runc_t)
        line(f"pod start (1 busybox pod), median of {args.n}",
             [f"agentd {fmt_s(median(ag_t))}",
              f"runc run {fmt_s(floor_m)} (floor)"] +
             ([f"crun run {fmt_s(median(crun_t))}"] if crun_t else []) +
             [f"podman kube play {fmt_s(median(pod_t))}" if pod_t
              else "podman n/a"],
             [f"agentd/floor {ratio(median(ag_t), floor_m)}",
              f"agentd/podman {ratio(median(ag_t), median(pod_t))}"])
        line(f"pod start, p90 of {args.n}",
             [f"agentd {fmt_s(p90(ag_t))}", f"runc run {fmt_s(p90(runc_t))}"]
             + ([f"crun run {fmt_s(p90(crun_t))}"] if crun_t else []) +
             [f"podman kube play {fmt_s(p90(pod_t))}"],
             [f"agentd/floor {ratio(p90(ag_t), p90(runc_t))}",
              f"agentd/podman {ratio(p90(ag_t), p90(pod_t))}"])
        if pod_ret:
            print(f"  podman kube play itself returned after "
                  f"{fmt_s(median(pod_ret))}; the rest is the first "
                  f"`podman ps` showing it running")
        line(f"pod removal (grace 0) until gone, median of {args.n}",
             [f"agentd {fmt_s(median(ag_down))}",
              f"podman kube down {fmt_s(median(pod_down))}"],
             [f"agentd/podman {ratio(median(ag_down), median(pod_down))}"])
        if crun_why is not None:
            print(f"crun: not usable here ({crun_why})")
        if podman_why is not None:
            print(f"podman: not usable here ({podman_why})")
        failure("agentd single pod FAILED", ag_fail)

        print()
        line(f"{n} pods at once until all Running, median of "
             f"{len(ramp_t)}/{args.ramp_runs}",
             [f"agentd {fmt_s(median(ramp_t))}",
              (f"podman kube play ({n}-document YAML, one invocation) "
               f"{fmt_s(median(pram_t))}") if pram_t else "podman n/a"],
             [f"agentd/podman {ratio(median(ramp_t), median(pram_t))}"])
        print("  agentd runs: " + (", ".join(f"{x:.2f}" for x in ramp_t)
                                   + " s" if ramp_t else "none completed")
              + (f"; podman runs: {', '.join(f'{x:.2f}' for x in pram_t)} s"
                 f" (kube play returned after "
                 f"{', '.join(f'{x:.2f}' for x in pram_ret)} s)"
                 if pram_t else ""))
        if ramp_t or pram_t:
            print("  per pod: " + ", ".join(
                f"{who} {fmt_s(median(xs) / n)}" for who, xs in
                (("agentd", ramp_t), ("podman", pram_t)) if xs))
        failure(f"agentd {n}-pod ramp FAILED", ramp_fail)
        if pram_fail:
            print(f"podman {n}-pod ramp FAILED: {pram_fail}")

        print(f"\nconmon with {n} pods (per-container monitor: not agentd's "
              "own memory; 2 per pod, infra + container)")
        for who, cm in (("agentd", ag_cm), ("podman", pod_cm)):
            if cm:
                print(f"  {who + ':':<8}{cm}")
        print("  podman has no daemon: 0 resident processes besides conmon "
              "and the containers")

        print("\nagentd's own processes (conmon and containers not included)"
              "\n  " + " " * 26 + "".join(f"{r:>11}" for r in
                                           ("agentd", "watcher",
                                            "executor", "reporter"))
              + f"{'total':>12}")
        memrow("VmRSS idle, 0 pods", idle["rss"])
        memrow("PSS   idle, 0 pods", idle["pss"])
        if busy:
            tag = " *" if ramp_fail else ""
            memrow(f"VmRSS {n} pods{tag}", busy["rss"])
            memrow(f"PSS   {n} pods{tag}", busy["pss"])
            if ramp_fail:
                print("  * measured after the failed ramp: the pods run but "
                      "a worker may have been restarted since")
        if ab.kept_logs:
            print(f"agentd logs of failed runs kept: "
                  f"{', '.join(ab.kept_logs)}")
        print(f"\ntotal bench time {now() - t_begin:.0f} s", flush=True)
        return 1 if ag_fail or ramp_fail else 0
    finally:
        for what, f in (("agentd", lambda: ab and ab.kill_fast()),
                        ("podman", lambda: podman and podman.cleanup()),
                        ("floor", lambda: floor and floor.cleanup())):
            try:
                f()
            except Exception as e:
                print(f"cleanup of {what}: {e}", file=sys.stderr)
        umount_under(work)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
