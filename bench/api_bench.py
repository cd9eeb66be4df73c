#!/usr/bin/python3
"""api_bench: what API mode costs (issue 12, item 7), measured on this
machine in one run and printed as one table:

  (a)  watch throughput: MODIFIED events per second through the watcher's
       path, from a recorded stream of N events of a realistic pod
       (tests/fixtures/apimode/watch-pod.json, its resourceVersion and a
       label changed per event, one event per chunk as kube-apiserver
       writes them): HTTP framing and chunked decoding, JSON event to pod
       model, podwire encoding of MSG_POD_DESIRED, and ("+ send") the
       frame written to a socketpair that a child drains, as the watcher
       sends to the executor.  build/tests/tools/watch_throughput, median
       of R runs, one core.  The same stream without managedFields
       beside it: what a client that asks for less would gain.
  (b)  API-mode pod start: a pod created in the test API server
       (tests/apiserver/kubeapi.py, HTTPS, agentd authenticated with the
       node's client certificate) -> the first pods/status PATCH the
       server receives that says phase Running; M pods one after the
       other, median and p99, with 0 and 100 API pods already running.
  (c)  PSS (/proc/PID/smaps_rollup) and VmRSS of agentd's processes with
       0 and 100 API pods running.
and issue 12's targets beside the figures: (a) >= 50 000 events/s,
(b) p99 < 1 s at 100 pods.

Run as root from the top of the tree after `make all`:
    /usr/bin/python3 bench/api_bench.py [--quick] [--events N] [--runs R]
        [--pods M] [--levels 0,100] [--build DIR] [--only-throughput]
--quick: --events 5000 --runs 1 --pods 10 --levels 0,10.  Nothing
leaves the host: the test API server listens on 127.0.0.1, the image is
built locally from busybox-static.  The agentd instance has its own
rootDir, runDir and cgroupRoot (tests/system/harness.py); its pods are
deleted through the API server and gone before it stops, and whatever is
left after a failure or Ctrl-C is removed by hand.
"""
import argparse
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "system"))
sys.path.insert(0, os.path.join(TOP, "tests", "apiserver"))
sys.path.insert(0, os.path.join(TOP, "bench"))
from harness import ApiAgentd, api_pod  # noqa: E402
from kubeapi import KubeAPI  # noqa: E402
from kubeclient import Client  # noqa: E402
from pods_bench import (ROLES, Table, kib, median, progress,  # noqa: E402
                        pss, rss)

FIXTURE = os.path.join(TOP, "tests", "fixtures", "apimode", "watch-pod.json")
NODE = "benchnode"
START_TIMEOUT = 60		# one pod to Running
FILL_TIMEOUT = 300		# a level's background pods
POLL = 0.01
T_EVENTS = 50000		# (a) events/s
T_P99 = 1.0			# (b) s at the highest level


class BenchError(Exception):
    pass


def p99(xs):
    if not xs:
        return None
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(0.99 * (len(s) - 1))))]


def sec(x):
    return "n/a" if x is None else f"{x:.3f} s"


# ---- (a) watch throughput ----

def write_stream(path, n, managed_fields=True):
    """A recorded watch response: N MODIFIED events of the fixture's pod,
    compact JSON (as the server writes it), one chunk per event."""
    with open(FIXTURE) as f:
        pod = json.load(f)
    if not managed_fields:
        del pod["metadata"]["managedFields"]
    rv = int(pod["metadata"]["resourceVersion"])
    with open(path, "wb") as out:
        out.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
        for i in range(n):
            o = copy.copy(pod)
            o["metadata"] = dict(pod["metadata"], resourceVersion=str(rv + i),
                                 labels=dict(pod["metadata"]["labels"],
                                             gen=str(i)))
            line = (json.dumps({"type": "MODIFIED", "object": o},
                               separators=(",", ":")) + "\n").encode()
            out.write(b"%x\r\n" % len(line) + line + b"\r\n")
        out.write(b"0\r\n\r\n")
    return os.path.getsize(path)


def throughput(tool, path, runs, send):
    """(median events/s, events per run, refused per run)"""
    rates, events, refused = [], None, None
    for _ in range(runs):
        r = subprocess.run([tool] + (["-s"] if send else []) + [path],
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            raise BenchError(f"watch_throughput failed: {r.stderr.strip()}")
        kv = dict(f.split("=", 1) for f in r.stdout.split())
        rates.append(float(kv["events_per_s"]))
        events, refused = int(kv["events"]), int(kv["refused"])
    return median(rates), events, refused


def bench_throughput(args, work):
    tool = os.path.join(args.build, "tests", "tools", "watch_throughput")
    if not os.path.exists(tool):
        raise BenchError(f"{tool} is missing: run `make all`")
    out = {}
    for mf in (True, False):
        path = os.path.join(work, f"stream-{'mf' if mf else 'nomf'}.http")
        size = write_stream(path, args.events, mf)
        for send in (False, True):
            progress(f"(a) {args.events} events, managedFields {mf}, "
                     f"send {send}")
            rate, ev, refused = throughput(tool, path, args.runs, send)
            if refused or ev != args.events:
                raise BenchError(f"the stream decoded to {ev} pods, "
                                 f"{refused} refused, of {args.events}")
            out[(mf, send)] = (rate, size / args.events)
        os.unlink(path)
    return out


# ---- (b), (c) API mode ----

class ApiBench:
    def __init__(self, args, work, image):
        self.args, self.work, self.image = args, work, image
        self.api = KubeAPI(os.path.join(work, "kube-api")).start()
        self.admin = Client(self.api, token=self.api.admin_token)
        # production defaults but the node name: audit fsync on, info
        # logging, runtime auto
        self.a = ApiAgentd(args.build, self.api, node=NODE, extra_config={
            "logLevel": "info", "auditFsync": "true", "runtime": "auto",
            "heartbeatSeconds": "5"})
        self.a.agentctl("image", "import", image, "busybox")

    def create(self, name):
        t = time.time()
        r = self.admin.post("/api/v1/namespaces/default/pods", api_pod(
            name, "exec sleep 3600", node=NODE, grace=1))
        if r.code != 201:
            raise BenchError(f"create {name}: {r}")
        return t

    def running_patch(self, name):
        """The time the server received the first status PATCH of NAME
        that says Running, or None."""
        for r in self.api.requests_to("PATCH",
                                      f"/namespaces/default/pods/{name}"
                                      "/status$"):
            try:
                st = (r.json() or {}).get("status", {})
            except ValueError:
                continue
            if st.get("phase") == "Running" and r.code == 200:
                return r.time
        return None

    def wait(self, pred, timeout, what):
        deadline = time.monotonic() + timeout
        while True:
            v = pred()
            if v:
                return v
            if time.monotonic() > deadline:
                raise BenchError(f"timed out after {timeout}s waiting for "
                                 f"{what}\n{self.a.log()[-2000:]}")
            time.sleep(POLL)

    def phases(self):
        r = self.admin.get("/api/v1/pods",
                           fieldSelector=f"spec.nodeName={NODE}")
        return {p["metadata"]["name"]: p["status"].get("phase")
                for p in r.json()["items"]}

    def fill(self, names):
        t0 = time.monotonic()
        for n in names:
            self.create(n)
        self.wait(lambda: all(self.phases().get(n) == "Running"
                              for n in names), FILL_TIMEOUT,
                  f"{len(names)} background pods Running")
        return time.monotonic() - t0

    def delete(self, names):
        for n in names:
            self.admin.delete(f"/api/v1/namespaces/default/pods/{n}")
        self.wait(lambda: not set(names) & set(self.phases()), FILL_TIMEOUT,
                  f"{len(names)} pods deleted")

    def starts(self, tag, m):
        out, names = [], []
        for i in range(m):
            name = f"m{tag}-{i:03d}"
            names.append(name)
            t0 = self.create(name)
            t1 = self.wait(lambda: self.running_patch(name), START_TIMEOUT,
                           f"{name} Running in a status PATCH")
            out.append(t1 - t0)
        self.delete(names)
        return out

    def mem(self):
        time.sleep(5)				# let the level settle
        st = self.a.status()
        out = {}
        for p in st["processes"]:
            if p["pid"] > 0:
                out[p["role"]] = (pss(p["pid"]), rss(p["pid"]))
        return out

    def cleanup(self):
        try:
            self.a.cleanup()
        finally:
            self.api.stop()


def bench_api(args, work, image):
    ab = ApiBench(args, work, image)
    res = {}
    try:
        bg = []
        for lv in args.levels:
            more = [f"bg-{i:03d}" for i in range(len(bg), lv)]
            progress(f"(b) level {lv}: {len(more)} more background pods")
            fill = ab.fill(more) if more else 0.0
            bg += more
            progress(f"(b) level {lv}: {args.pods} pods one at a time")
            warm = ab.starts(f"w{lv}", 1)	# unmeasured warm-up
            lat = ab.starts(str(lv), args.pods)
            progress(f"(c) level {lv}: memory")
            res[lv] = {"fill": fill, "lat": lat, "warm": warm[0],
                       "mem": ab.mem()}
    finally:
        progress("removing the pods, stopping agentd")
        ab.cleanup()
    return res


# ---- the table ----

def print_table(args, tp, api):
    print()
    print("RESULTS")
    if tp is not None:
        print(f"(a) watch throughput, {args.events} MODIFIED events, median"
              f" of {args.runs} run(s), one core")
        t = Table(["events/s", "B/event"], width=14, label=52)
        print(" " * t.lw + f"{'events/s':>14}{'bytes/event':>14}")
        for (mf, send), (rate, size) in tp.items():
            label = ("decode+convert+encode" + (" + send" if send else "") +
                     (", managedFields" if mf else ", no managedFields"))
            t.row(label, [f"{rate:.0f}", f"{size:.0f}"])
        best = tp[(True, True)][0]
        print(f"target (a) >= {T_EVENTS} events/s (full path, realistic pod):"
              f" {best:.0f} -> {'met' if best >= T_EVENTS else 'NOT met'}")
    if api:
        lvs = sorted(api)
        t = Table(lvs, width=14, label=52)
        print()
        print(f"(b) API-mode pod start, create -> Running in the status "
              f"PATCH, {args.pods} pods one at a time")
        t.head()
        t.row("background pods: fill time", [sec(api[lv]["fill"])
                                              for lv in lvs])
        t.row("median", [sec(median(api[lv]["lat"])) for lv in lvs])
        t.row("p99", [sec(p99(api[lv]["lat"])) for lv in lvs])
        t.row("max", [sec(max(api[lv]["lat"])) for lv in lvs])
        t.row("warm-up pod (not in the figures)",
              [sec(api[lv]["warm"]) for lv in lvs])
        print()
        print("(c) agentd's processes, PSS (RSS)")
        t.head()
        for role in ROLES:
            t.row(role, [
                f"{kib(api[lv]['mem'].get(role, (None, None))[0])}"
                for lv in lvs])
        t.row("total PSS", [kib(sum(v[0] for v in api[lv]["mem"].values()
                                    if v[0] is not None)) for lv in lvs])
        t.row("total RSS", [kib(sum(v[1] for v in api[lv]["mem"].values()
                                    if v[1] is not None)) for lv in lvs])
        top = lvs[-1]
        q = p99(api[top]["lat"])
        print(f"target (b) p99 < {T_P99:.0f} s at {top} pods: {sec(q)} -> "
              f"{'met' if q is not None and q < T_P99 else 'NOT met'}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    quick = "--quick" in sys.argv[1:]
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--events", type=int, default=5000 if quick else 50000)
    ap.add_argument("--runs", type=int, default=1 if quick else 3)
    ap.add_argument("--pods", type=int, default=10 if quick else 50)
    ap.add_argument("--levels", default="0,10" if quick else "0,100")
    ap.add_argument("--build", default=os.path.join(TOP, "build"))
    ap.add_argument("--only-throughput", action="store_true",
                    help="(a) only: no agentd, no containers")
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    args.levels = sorted(int(x) for x in args.levels.split(","))
    if not args.only_throughput and os.geteuid() != 0:
        sys.exit("api_bench: (b) and (c) run containers: run as root "
                 "(or --only-throughput)")
    work = tempfile.mkdtemp(prefix="api-bench-", dir="/var/tmp")
    os.chmod(work, 0o755)
    os.environ["TMPDIR"] = work		# the harness's instance dirs
    tp = api = None
    try:
        tp = bench_throughput(args, work)
        if not args.only_throughput:
            image = os.path.join(work, "busybox-oci")
            subprocess.run([os.path.join(TOP, "contrib",
                                         "mkimage-busybox.sh"), image],
                           check=True, capture_output=True)
            api = bench_api(args, work, image)
    finally:
        print_table(args, tp, api)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        sys.exit(f"api_bench: {e}")
    except KeyboardInterrupt:
        sys.exit("api_bench: interrupted; everything it made is removed")
