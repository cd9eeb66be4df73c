#!/usr/bin/python3
"""probe_bench: what probes cost.  CPU of agentd's processes and of
everything they spawn, with LEVEL pods that each carry an exec liveness
probe (`true`) and an HTTP readiness probe (busybox httpd, GET /) at
periodSeconds PERIOD, next to the same pods without probes, next to the
same checks made by hand with the bare tools (the floor) and by podman
(the peer), in one run, a column per level (default 0, 50 and 100 pods):

  agentd, no probes   idle CPU of agentd's process tree (utime+stime+
                      cutime+cstime, so that jobs and their runc children
                      are counted) and of the conmons, LEVEL pods running
                      `httpd -f`, none probed.
  agentd, probes      the same with both probes on every pod.
  probes alone        the difference: what the probes cost agentd.
  floor               on the unprobed pods, each PERIOD, the bench itself
                      runs for every pod `runc exec ID true` and
                      `nsenter --net=... wget -q -O- http://127.0.0.1:8080/`
                      (the cost of the two checks made with the runtime
                      and a shell tool, nothing else): CPU of those
                      children (RUSAGE_CHILDREN) over the window.
  podman              LEVEL containers of the same image with
                      `--health-cmd true`; podman schedules checks with
                      systemd timers, which this machine lacks, so the
                      bench runs `podman healthcheck run` for each, each
                      PERIOD (podman's cost of one exec check), CPU of
                      those children.

Run as root from the top of the tree after `make all`:
    /usr/bin/python3 bench/probe_bench.py [--quick] [--levels 0,50,100]
        [--period 10] [--seconds 60] [--build DIR] [--no-podman]
        [--no-install]
podman is installed with apt-get when missing (unless --no-install), as
pods_bench does.
--quick: --levels 0,5 --seconds 20.  Nothing leaves the host: the pods
have loopback-only networking, so every HTTP probe is made inside the
pod's own network namespace.  Pods are removed through agentd before it
stops; whatever is left is removed by hand (pods_bench's AgentdBench).
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "bench"))
import pods_bench as pb  # noqa: E402

HTTPD = ["httpd", "-f", "-p", "8080", "-h", "/etc"]
FILL_TIMEOUT = 600


def probed_manifest(name, period, probes):
    m = pb.manifest(name, HTTPD)
    if not probes:
        return m
    return m + ("    livenessProbe:\n"
                "      exec:\n        command: [\"true\"]\n"
                f"      periodSeconds: {period}\n"
                "    readinessProbe:\n"
                "      httpGet:\n        path: /hostname\n"
                "        port: 8080\n"
                f"      periodSeconds: {period}\n")


class Instance(pb.AgentdBench):
    """One agentd whose pods all carry probes, or none do."""

    def __init__(self, build, image, work, probes, period):
        super().__init__(build, image, work)
        self.probes = probes
        self.period = period
        self.n = 0

    def ready(self):
        doc = self.pods_json()
        if doc is None:
            return 0
        return sum(1 for it in doc["items"]
                   if all(c.get("ready") for c in
                          it["status"].get("containerStatuses") or [{}]))

    def grow(self, level):
        for i in range(self.n, level):
            nm = f"p{i:03d}"
            self.a.write_manifest(nm + ".yaml", probed_manifest(
                nm, self.period, self.probes))
        self.n = max(self.n, level)
        pb.wait_until(lambda: self.ready() >= level, FILL_TIMEOUT, 0.5,
                      f"{level} pods ready")

    def container_ids(self):
        doc = self.pods_json() or {"items": []}
        return [c["containerID"].split("://", 1)[1]
                for it in doc["items"]
                for c in it["status"].get("containerStatuses") or []
                if c.get("containerID")]

    def cpu(self, seconds):
        # settle: every probe of the level has run at least once
        time.sleep(self.period + 2)
        r = pb.CpuMeter(self.cpu_roots).measure(seconds)
        return r.get("agentd", 0.0), r.get("conmon", 0.0)


def children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def by_hand(seconds, period, checks):
    """Run each of CHECKS ((argv, env) pairs) once per PERIOD over
    SECONDS; the CPU of those children in % of one core."""
    c0, t0 = children_cpu(), pb.now()
    while pb.now() - t0 < seconds:
        tick = pb.now()
        for argv, env in checks:
            subprocess.run(argv, stdout=subprocess.DEVNULL, env=env,
                           stderr=subprocess.DEVNULL, timeout=30)
        time.sleep(max(0.0, period - (pb.now() - tick)))
    return 100.0 * (children_cpu() - c0) / (pb.now() - t0)


def floor_checks(inst):
    rr = inst.a.runtime_root()
    out = []
    for cid in inst.container_ids():
        st = json.loads(pb.run(["runc", "--root", rr, "state",
                                cid]).stdout)
        out.append((["runc", "--root", rr, "exec", cid, "true"], None))
        out.append((["nsenter", f"--net=/proc/{st['pid']}/ns/net", "busybox", "wget",
                     "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"
                     "hostname"], None))
    return out


class PodmanPeer:
    """LEVEL podman containers with an exec health check, run by hand."""

    def __init__(self, work, image):
        self.p = pb.Podman(work, image)
        self.names = []

    def grow(self, level):
        while len(self.names) < level:
            nm = f"probe-bench-{len(self.names):03d}"
            self.p.podman("run", "-d", "--name", nm, "--network", "none",
                          "--health-cmd", "true", "--health-interval",
                          "disable", pb.IMAGE_REF, *HTTPD)
            self.names.append(nm)

    def checks(self):
        return [(["podman", "healthcheck", "run", nm], self.p.env)
                for nm in self.names]

    def close(self):
        for nm in self.names:
            self.p.podman("rm", "-f", "-t", "0", nm, check=False)
        self.p.cleanup()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    quick = "--quick" in sys.argv[1:]
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--levels", default="0,5" if quick else "0,50,100")
    ap.add_argument("--period", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=20 if quick else 60)
    ap.add_argument("--build", default=os.path.join(TOP, "build"))
    ap.add_argument("--no-podman", action="store_true")
    ap.add_argument("--no-install", action="store_true",
                    help="do not apt-get install podman when missing")
    args = ap.parse_args()
    levels = sorted({int(x) for x in args.levels.split(",") if x})
    if os.geteuid() != 0:
        sys.exit("probe_bench: must run as root")
    build = os.path.abspath(args.build)
    if not os.access(os.path.join(build, "agentd-probe"), os.X_OK):
        sys.exit(f"probe_bench: {build}/agentd-probe missing: make all")
    pb.host_note()
    work = tempfile.mkdtemp(prefix="probe-bench.", dir="/var/tmp")
    os.chmod(work, 0o755)
    image = os.path.join(work, "busybox-oci")
    pb.run([os.path.join(TOP, "contrib", "mkimage-busybox.sh"), image])
    rows = {k: [] for k in ("plain", "plain_cm", "probed", "probed_cm",
                            "floor", "podman")}
    peer_why = None
    try:
        for probes in (False, True):
            inst = Instance(build, image, work, probes, args.period)
            inst.start()
            try:
                for lv in levels:
                    pb.progress(f"agentd, {'probes' if probes else 'none'}"
                                f", {lv} pods")
                    inst.grow(lv)
                    a, cm = inst.cpu(args.seconds)
                    key = "probed" if probes else "plain"
                    rows[key].append(a)
                    rows[key + "_cm"].append(cm)
                    if not probes:
                        pb.progress(f"floor, {lv} pods")
                        rows["floor"].append(by_hand(
                            args.seconds, args.period, floor_checks(inst)))
            finally:
                inst.teardown(FILL_TIMEOUT)
        if not args.no_podman:
            peer_why = pb.ensure_podman(not args.no_install)
        if args.no_podman or peer_why is not None:
            peer_why = peer_why or "--no-podman"
        else:
            peer = PodmanPeer(work, image)
            try:
                for lv in levels:
                    pb.progress(f"podman, {lv} containers")
                    peer.grow(lv)
                    rows["podman"].append(by_hand(
                        args.seconds, args.period, peer.checks()))
            except (pb.BenchError, subprocess.SubprocessError) as e:
                peer_why = f"podman failed: {e}"
            finally:
                peer.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    t = pb.Table(levels, width=12, label=50)
    print(f"\nRESULTS  (CPU in % of one core; exec + HTTP probe per pod "
          f"every {args.period} s; window {args.seconds:.0f} s)")
    t.head()
    t.row("agentd processes, no probes", [pb.pct(x) for x in rows["plain"]])
    t.row("agentd processes, probes", [pb.pct(x) for x in rows["probed"]])
    t.row("  probes alone (difference)",
          [pb.pct(b - a) for a, b in zip(rows["plain"], rows["probed"])])
    t.row("conmons, no probes / probes",
          [f"{a:.2f}/{b:.2f}" for a, b in zip(rows["plain_cm"],
                                              rows["probed_cm"])])
    t.row("floor: runc exec + nsenter wget by hand",
          [pb.pct(x) for x in rows["floor"]])
    if rows["podman"]:
        t.row("podman healthcheck run (exec only)",
              [pb.pct(x) for x in rows["podman"]])
    else:
        print(f"podman: not measured ({peer_why})")


if __name__ == "__main__":
    main()
