#!/usr/bin/python3
"""probe_bench: what probes cost (issue 13).  N busybox pods, each an
`httpd` with an exec liveness probe (`true`, through the runtime's exec)
and an HTTP readiness probe (agentd-probe, in the pod's network
namespace), both at periodSeconds P, next to the same N pods without
probes.  For each, over S seconds once every pod runs (and, with probes,
is ready): the CPU of agentd's processes and everything they spawn
(utime+stime+cutime+cstime from /proc/PID/stat: the probe jobs, runc exec
and agentd-probe are children of the executor and counted there), in %
of one core; then the difference, and per probe run.

Run as root from the top of the tree after `make all`:
    /usr/bin/python3 bench/probe_bench.py [-n 5] [--period 10]
        [--seconds 30] [--build build]
The issue's figure is `-n 100 --period 10`; the default is a quick run.
Each configuration has its own agentd (own rootDir, runDir, cgroupRoot);
its pods are removed through agentd before it stops, and whatever is left
is removed by hand (harness.Agentd.cleanup).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "system"))
sys.path.insert(0, os.path.join(TOP, "bench"))
from harness import Agentd, wait_for  # noqa: E402
from pods_bench import CpuMeter  # noqa: E402

READY_TIMEOUT = 300


def manifest(i, period, probes):
    spec = (f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: pb{i}\n"
            f"spec:\n  terminationGracePeriodSeconds: 1\n"
            f"  containers:\n  - name: web\n    image: busybox\n"
            f"    command: [\"sh\", \"-c\", \"mkdir -p /www && echo ok > "
            f"/www/index.html && exec httpd -f -p 8080 -h /www\"]\n"
            f"    ports:\n    - name: http\n      containerPort: 8080\n")
    if probes:
        spec += (f"    livenessProbe:\n      exec:\n"
                 f"        command: [\"true\"]\n"
                 f"      periodSeconds: {period}\n"
                 f"    readinessProbe:\n      httpGet:\n"
                 f"        path: /index.html\n        port: http\n"
                 f"      periodSeconds: {period}\n")
    return spec


def all_up(a, n):
    items = a.pods_json()["items"]
    if len(items) != n:
        return False
    for p in items:
        cs = (p["status"].get("containerStatuses") or [{}])[0]
        if "running" not in cs.get("state", {}) or not cs.get("ready"):
            return False
    return True


def measure(build, image, n, period, seconds, probes):
    a = Agentd(build, extra_config={"logLevel": "info"})
    try:
        a.agentctl("image", "import", image, "busybox")
        for i in range(n):
            a.write_manifest(f"pb{i}.yaml", manifest(i, period, probes))
        wait_for(lambda: all_up(a, n), READY_TIMEOUT, interval=1,
                 what=f"{n} pods running and ready")
        time.sleep(min(period, 5))	# past the first probe runs
        meter = CpuMeter(lambda: {a.proc.pid: "agentd"})
        return meter.measure(seconds)
    finally:
        a.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=5, help="pods (issue: 100)")
    ap.add_argument("--period", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--build", default=os.path.join(TOP, "build"))
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("probe_bench: run as root")
    with tempfile.TemporaryDirectory() as tmp:
        image = os.path.join(tmp, "busybox-oci")
        subprocess.run([os.path.join(TOP, "contrib", "mkimage-busybox.sh"),
                        image], check=True, capture_output=True)
        base = measure(args.build, image, args.n, args.period, args.seconds,
                       False)
        probed = measure(args.build, image, args.n, args.period,
                         args.seconds, True)
    runs = 2 * args.n * probed["seconds"] / args.period
    extra = probed["all"] - base["all"]
    print(f"probe_bench: {args.n} pods, exec liveness + HTTP readiness at "
          f"periodSeconds {args.period}, {args.seconds:.0f} s windows")
    print(f"  {'':28} {'CPU % of one core':>18} {'processes seen':>15}")
    print(f"  {'without probes':28} {base['all']:18.2f} "
          f"{base['procs']:15d}")
    print(f"  {'with probes':28} {probed['all']:18.2f} "
          f"{probed['procs']:15d}")
    print(f"  {'probes cost':28} {extra:18.2f}")
    if runs > 0:
        ms = extra / 100.0 * probed["seconds"] * 1000.0 / runs
        print(f"  {'per probe run (CPU ms)':28} {ms:18.2f}   "
              f"({runs:.0f} runs)")


if __name__ == "__main__":
    main()
