"""An isolated agentd instance for system tests.

Each instance gets its own temp root with config, rootDir, runDir, podLogsDir,
staticPodPath, privsep chroot and audit log, and its own cgroupRoot, so that
instances never see each other or the host's containers.  stop() and
cleanup() leave nothing behind even when a test failed half way.
"""
import copy
import glob
import hashlib
import json
import re
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time

PRIVSEP_USER = "_agentd"
REPORTER_USER = "_agentd-rep"     # another uid: the watcher cannot signal it


WORKERS = ("agentd-watcher", "agentd-executor", "agentd-reporter",
           "agentd-netparse", "agentd-pause", "agentd-noop", "agentd-probe")
# agentd runs a worker only from a directory whose whole path is root-owned
# and not group/other-writable; a clone below /tmp (1777) is not, so its
# tests run copies of the workers from below /run instead
SAFE_BASE = "/run/agentd-tests"


def path_is_safe(path):
    p = os.path.abspath(path)
    while True:
        st = os.stat(p)
        if st.st_uid != 0 or st.st_mode & 0o022:
            return False
        if p == "/":
            return True
        p = os.path.dirname(p)


def safe_dir(build):
    """A root-owned directory with a safe path for the tests' own libexec
    directories: the build directory itself when its path is safe."""
    if path_is_safe(build):
        return build
    d = os.path.join(SAFE_BASE,
                     hashlib.sha256(build.encode()).hexdigest()[:16])
    os.makedirs(d, exist_ok=True)
    for x in (SAFE_BASE, d):
        os.chown(x, 0, 0)
        os.chmod(x, 0o755)
    return d


def worker_dir(build):
    """The libexecDir for build: build itself, or fresh copies of its
    workers in safe_dir(build)."""
    if path_is_safe(build):
        return build
    d = os.path.join(safe_dir(build), "libexec")
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    for exe in WORKERS:
        src, dst = os.path.join(build, exe), os.path.join(d, exe)
        if not os.path.exists(src):
            continue
        if (not os.path.exists(dst) or
                os.stat(src).st_mtime_ns != os.stat(dst).st_mtime_ns):
            shutil.copy2(src, dst + ".tmp")
            os.chmod(dst + ".tmp", 0o755)
            os.rename(dst + ".tmp", dst)
    return d


def ensure_privsep_user():
    for user in (PRIVSEP_USER, REPORTER_USER):
        try:
            pwd.getpwnam(user)
        except KeyError:
            # another test process may have created it meanwhile
            r = subprocess.run(["useradd", "-r", "-s", "/usr/sbin/nologin",
                                "-d", "/nonexistent", "-M", user])
            if r.returncode != 0:
                pwd.getpwnam(user)


def wait_for(pred, timeout=10.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}"
                         f" (last: {last!r})")


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def rmdir_cgroups(rel):
    """Remove the cgroup rel (and what is below it) from every hierarchy."""
    for hier in glob.glob("/sys/fs/cgroup/*") + ["/sys/fs/cgroup"]:
        base = os.path.join(hier, rel.lstrip("/"))
        if not os.path.isdir(base):
            continue
        for d, _, _ in sorted(os.walk(base), key=lambda t: -len(t[0])):
            try:
                os.rmdir(d)
            except OSError:
                pass


class Agentd:
    _seq = 0

    def __init__(self, build, extra_config=None, env=None, start=True,
                 heartbeat=1, prefix=None):
        ensure_privsep_user()
        Agentd._seq += 1
        self.build = build
        self.top = tempfile.mkdtemp(prefix="agentd-test-")
        os.chmod(self.top, 0o755)
        self.root = os.path.join(self.top, "root")
        self.run_dir = os.path.join(self.top, "run")
        self.logs = os.path.join(self.top, "logs")
        self.pods = os.path.join(self.top, "pods")
        self.chroot = os.path.join(self.top, "empty")
        self.audit = os.path.join(self.top, "audit", "audit.log")
        self.cgroup_root = f"/agentd-test-{os.getpid()}-{Agentd._seq}"
        for d in (self.pods, self.chroot):
            os.makedirs(d)
        os.chmod(self.chroot, 0o755)
        self.config = os.path.join(self.top, "agentd.yaml")
        cfg = {
            "nodeName": "testnode",
            "staticPodPath": self.pods,
            "rootDir": self.root,
            "runDir": self.run_dir,
            "podLogsDir": self.logs,
            "cgroupRoot": self.cgroup_root,
            "privsepUser": PRIVSEP_USER,
            "reporterUser": REPORTER_USER,
            "privsepChroot": self.chroot,
            "libexecDir": worker_dir(build),
            "auditLog": self.audit,
            "auditFsync": "false",
            "runtime": "runc",
            "heartbeatSeconds": str(heartbeat),
            "staticPodRescanSeconds": "20",
            "logLevel": "debug",
            # never the host's /etc/cni/net.d: loopback only unless a
            # test writes a network here (test_cni.py)
            "cniConfDir": os.path.join(self.top, "cni"),
        }
        # the pod suite runs under each storage driver (test_pods_native.py)
        if os.environ.get("AGENTD_TEST_STORAGE_DRIVER"):
            cfg["storageDriver"] = os.environ["AGENTD_TEST_STORAGE_DRIVER"]
        cfg.update(extra_config or {})
        if "kubeconfig" in (extra_config or {}) and \
                "cniConfDir" not in (extra_config or {}):
            # API mode without a network waits in ContainerCreating (the
            # kubelet's NotReady): the tests' network is the loopback
            # plugin alone, which gives the pod no address but lets it run
            write_loopback_network(cfg["cniConfDir"])
        with open(self.config, "w") as f:
            for k, v in cfg.items():
                if isinstance(v, list):
                    f.write(f"{k}:\n")
                    for item in v:
                        f.write(f"  - {item}\n")
                else:
                    f.write(f"{k}: {v}\n")
        self.stderr_path = os.path.join(self.top, "agentd.stderr")
        self.proc = None
        self.env = env
        # e.g. ["nsenter", "--net=/proc/PID/ns/net"]: agentd in a test's
        # own network namespace (test_cni.py)
        self.prefix = list(prefix or [])
        if start:
            self.start()

    # ---- process control ----
    def start(self):
        env = dict(os.environ)
        env.pop("NOTIFY_SOCKET", None)
        env.update(self.env or {})
        self.stderr = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(
            self.prefix + [os.path.join(self.build, "agentd"), "-f",
                           self.config],
            stdin=subprocess.DEVNULL, stdout=self.stderr,
            stderr=self.stderr, env=env)
        self.wait_all_running()

    def wait_all_running(self, timeout=15):
        def ok():
            if self.proc.poll() is not None:
                raise AssertionError("agentd exited:\n" + self.log())
            try:
                st = self.status()
            except (subprocess.CalledProcessError, RuntimeError):
                return False
            return all(p["state"] == "running" for p in st["processes"])
        wait_for(ok, timeout, what="all workers running")

    def log(self):
        try:
            with open(self.stderr_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def agentctl(self, *args, check=True, timeout=120, input=None):
        r = subprocess.run([os.path.join(self.build, "agentctl"), "-f",
                            self.config, *args], capture_output=True,
                           text=True, timeout=timeout, input=input)
        if check and r.returncode != 0:
            raise RuntimeError(f"agentctl {' '.join(args)} failed "
                               f"({r.returncode}): {r.stderr}")
        return r

    def status(self):
        return json.loads(self.agentctl("status", "-o", "json").stdout)

    def pid(self, role):
        for p in self.status()["processes"]:
            if p["role"] == role:
                return p["pid"]
        raise KeyError(role)

    def restarts(self, role):
        for p in self.status()["processes"]:
            if p["role"] == role:
                return p["restarts"]
        raise KeyError(role)

    def wait_new_pid(self, role, old, timeout=10):
        def ok():
            try:
                st = self.status()
            except RuntimeError:
                return False
            for p in st["processes"]:
                if p["role"] == role and p["state"] == "running" and \
                        p["pid"] not in (0, old):
                    return p["pid"]
            return False
        return wait_for(ok, timeout, what=f"new {role} pid")

    def stop(self, timeout=15):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        # the workers follow their parent when their channel closes
        time.sleep(0.5)

    # ---- pods ----
    def write_manifest(self, name, text):
        tmp = os.path.join(self.pods, "." + name + ".tmp")
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, os.path.join(self.pods, name))

    def remove_manifest(self, name):
        os.unlink(os.path.join(self.pods, name))

    def pods_json(self):
        return json.loads(self.agentctl("get", "pods", "-o", "json").stdout)

    def pod(self, ns, name):
        for item in self.pods_json()["items"]:
            if item["metadata"]["namespace"] == ns and \
                    item["metadata"]["name"] == name:
                return item
        return None

    def audit_records(self):
        out = []
        # the live log and its rotated files, not the .anchor/.verified
        for path in [self.audit] + glob.glob(self.audit + ".[0-9]*"):
            if not os.path.exists(path):
                continue
            with open(path) as f:
                out += [json.loads(line) for line in f if line.strip()]
        return sorted(out, key=lambda r: r["seq"])

    # ---- teardown ----
    def runtime_root(self):
        return os.path.join(self.run_dir, "runtime")

    def force_cleanup(self):
        """Remove whatever a failed test left: containers, mounts, cgroups."""
        rr = self.runtime_root()
        for rt in ("runc", "crun"):
            if not os.path.isdir(rr) or shutil.which(rt) is None:
                continue
            r = subprocess.run([rt, "--root", rr, "list", "-q"],
                               capture_output=True, text=True)
            for cid in r.stdout.split():
                subprocess.run([rt, "--root", rr, "kill", cid, "KILL"],
                               capture_output=True)
                time.sleep(0.1)
                subprocess.run([rt, "--root", rr, "delete", "-f", cid],
                               capture_output=True)
        subprocess.run(["pkill", "-9", "-f", f"conmon.*{self.top}"],
                       capture_output=True)
        with open("/proc/self/mountinfo") as f:
            mounts = [line.split()[4] for line in f]
        for m in sorted((m for m in mounts if m.startswith(self.top)),
                        key=len, reverse=True):
            subprocess.run(["umount", "-l", m], capture_output=True)
        rmdir_cgroups(self.cgroup_root)

    CLEANUP_TIMEOUT = 60

    def _remove_all_pods(self):
        """every pod source emptied, so the executor tears them down"""
        for f in os.listdir(self.pods):
            os.unlink(os.path.join(self.pods, f))

    def cleanup(self):
        try:
            if self.proc is not None and self.proc.poll() is None:
                self._remove_all_pods()
                try:
                    wait_for(lambda: not self.pods_json()["items"],
                             self.CLEANUP_TIMEOUT, interval=0.2,
                             what="pods removed")
                except Exception:
                    pass
                self.stop()
        finally:
            self.force_cleanup()
            if os.environ.get("AGENTD_KEEP_TEST_DIRS") is None:
                shutil.rmtree(self.top, ignore_errors=True)


# ---- pods ----

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
CRI_LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d) "
    r"(stdout|stderr) (F|P) (.*)$")


LOOPBACK_NETWORK = {"cniVersion": "1.0.0", "name": "api-test-lo",
                    "plugins": [{"type": "loopback"}]}


def write_loopback_network(cni_dir, name="10-loopback.conflist"):
    os.makedirs(cni_dir, exist_ok=True)
    with open(os.path.join(cni_dir, name), "w") as f:
        json.dump(LOOPBACK_NETWORK, f)


def start_agentd(build, image, **kw):
    a = Agentd(build, **kw)
    try:
        a.agentctl("image", "import", image, "busybox")
    except Exception:
        a.cleanup()
        raise
    return a


def manifest(name, script, restart="Always", extra_spec="", extra_ctr="",
             grace=1):
    # a short grace period: `sleep` as PID 1 ignores SIGTERM, so the
    # default 30 s would make every teardown wait that long
    g = f"  terminationGracePeriodSeconds: {grace}\n" if grace is not None \
        else ""
    return (f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n"
            f"spec:\n  restartPolicy: {restart}\n{g}{extra_spec}"
            f"  containers:\n  - name: c\n    image: busybox\n"
            f"    command: [\"sh\", \"-c\", {script!r}]\n{extra_ctr}")


def cstatus(pod):
    return pod["status"]["containerStatuses"][0]


def wait_pod(a, name, pred, timeout=30, what=None):
    def check():
        p = a.pod("default", f"{name}-testnode")
        return p if p is not None and pred(p) else False
    return wait_for(check, timeout, interval=0.2,
                    what=what or f"pod {name} condition")


def running(p):
    cs = p["status"].get("containerStatuses") or [{}]
    return "running" in cs[0].get("state", {})


def container_pid(a, name):
    """The pid of the pod's container process, from the runtime."""
    p = a.pod("default", f"{name}-testnode")
    rt, cid = cstatus(p)["containerID"].split("://", 1)
    r = subprocess.run([rt, "--root", a.runtime_root(), "state", cid],
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout)["pid"]


def actions(a):
    return [(r["action"], r["phase"], r["pod"]["name"])
            for r in a.audit_records()]




# ---- API mode (issue 12) ----

API_CLEANUP_TIMEOUT = 60


class ApiAgentd(Agentd):
    """agentd in API mode: `kubeconfig:` in its config names a kubeconfig
    of the test API server API (tests/apiserver/, fixture kube_api) for
    node NODE: the node's client certificate, or with use_token its
    bearer token, or KUBECONFIG as given (a wrong one, say).  Static pods
    keep working beside the API's.

    cleanup() deletes the node's API pods through the server and waits
    until agentd has stopped their containers (and the manifests' pods)
    before it stops agentd; an API server a test stopped is started again
    for that.  What is still there after API_CLEANUP_TIMEOUT goes by hand
    (force_cleanup), as for every instance."""

    def __init__(self, build, api, node="testnode", use_token=False,
                 kubeconfig=None, extra_config=None, **kw):
        self.api = api
        self.node = node
        self.kubeconfig = kubeconfig or api.node_kubeconfig(
            node, use_token=use_token)
        cfg = {"nodeName": node, "kubeconfig": self.kubeconfig}
        cfg.update(extra_config or {})
        super().__init__(build, extra_config=cfg, **kw)

    # ---- the server's view ----
    def admin(self):
        return self.api.client(admin=True)

    def api_pods(self):
        """The node's pods as the server has them (mirror pods too), read
        from its store: no request, so the test's own reads neither use up
        an injected fault nor show in the server's request log."""
        with self.api.cond:
            return [copy.deepcopy(o) for k, o in self.api.objects.items()
                    if k[0] == "pods" and
                    o.get("spec", {}).get("nodeName") == self.node]

    def api_pod(self, name, ns="default"):
        return self.api.get("pods", ns, name)

    def kubectl_pod(self, name, ns="default"):
        """`kubectl get pod NAME -o json`, or None if it is not found."""
        r = self.api.kubectl("get", "pod", name, "-n", ns, "-o", "json",
                             check=False)
        if r.returncode != 0:
            if "NotFound" in r.stderr or "not found" in r.stderr:
                return None
            raise AssertionError(f"kubectl get pod {name}: {r.stderr}")
        return json.loads(r.stdout)

    def local_pod(self, name, ns="default"):
        """The pod as agentd runs it (agentctl get pods)."""
        return self.pod(ns, name)

    # ---- teardown ----
    def _delete_api_pods(self):
        c = self.admin()
        for p in self.api_pods():
            m = p["metadata"]
            if "kubernetes.io/config.mirror" in m.get("annotations", {}):
                continue	# agentd removes its mirror pods itself
            if m.get("deletionTimestamp"):
                continue
            c.delete(f"/api/v1/namespaces/{m['namespace']}/pods/"
                     f"{m['name']}")

    CLEANUP_TIMEOUT = API_CLEANUP_TIMEOUT

    def _remove_all_pods(self):
        try:
            if self.api.httpd is None:
                self.api.start()
            self._delete_api_pods()
        except Exception:
            pass
        super()._remove_all_pods()


def start_api_agentd(build, image, api, **kw):
    """An ApiAgentd with the busybox image imported (start=True only)."""
    a = ApiAgentd(build, api, **kw)
    try:
        a.agentctl("image", "import", image, "busybox")
    except Exception:
        a.cleanup()
        raise
    return a


def api_pod(name, script, node="testnode", restart="Always", grace=1,
            ns="default", labels=None, spec=None, ctr=None):
    """A Pod object bound to NODE (spec.nodeName, as the scheduler binds
    it) running SCRIPT in busybox; SPEC and CTR are merged into the pod's
    spec and its container."""
    c = {"name": "c", "image": "busybox", "imagePullPolicy": "Never",
         "command": ["sh", "-c", script]}
    c.update(ctr or {})
    s = {"nodeName": node, "restartPolicy": restart,
         "terminationGracePeriodSeconds": grace, "containers": [c]}
    s.update(spec or {})
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns,
                         "labels": labels or {"app": name}},
            "spec": s}


def runtime_ids(a):
    """The ids of the containers the runtime has under agentd's root."""
    r = subprocess.run(["runc", "--root", a.runtime_root(), "list", "-q"],
                       capture_output=True, text=True)
    return sorted(r.stdout.split())


def local_container_ids(a):
    out = []
    for p in a.pods_json()["items"]:
        for c in p["status"].get("containerStatuses") or []:
            if "running" in c.get("state", {}) and c.get("containerID"):
                out.append(c["containerID"].split("://", 1)[1])
    return sorted(out)
