"""Container probes with real containers (issue 13): exec probes through
the runtime's exec, HTTP and TCP probes made by agentd-probe inside the
pod's network namespace, liveness restarts after failureThreshold with
their timing, readiness flapping with the Ready condition's
lastTransitionTime, the startup probe gating liveness, a probe against an
address outside the pod not made, and the audit record of a
probe-caused restart carrying the probe's output."""
import calendar
import json
import subprocess
import time

import pytest

from harness import (cstatus, manifest, running, start_agentd, wait_for,
                     wait_pod)


@pytest.fixture
def agentd(pod_agentd):
    return pod_agentd


def events(a, pod):
    doc = json.loads(a.agentctl("events", "-o", "json", "--pod",
                                f"default/{pod}-testnode").stdout)
    return doc["items"]


def wait_event(a, pod, reason, needle="", timeout=30):
    def find():
        for e in events(a, pod):
            if e["reason"] == reason and needle in e["message"]:
                return e
        return None
    return wait_for(find, timeout, interval=0.3,
                    what=f"event {reason} {needle!r}")


def rfc3339(s):
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def cond(p, ctype):
    return [c for c in p["status"]["conditions"] if c["type"] == ctype][0]


def rt_exec(a, name, *cmd):
    """A command in the pod's container, through the runtime."""
    p = a.pod("default", f"{name}-testnode")
    rt, cid = cstatus(p)["containerID"].split("://", 1)
    subprocess.run([rt, "--root", a.runtime_root(), "exec", cid] +
                   list(cmd), check=True, capture_output=True, timeout=20)


def probe(kind, body, period=1, extra=""):
    """A probe block for the container (six-space indent)."""
    return (f"    {kind}:\n{body}      periodSeconds: {period}\n{extra}")


def exec_body(script):
    return f"      exec:\n        command: [\"sh\", \"-c\", {script!r}]\n"


# ---- liveness ----

def test_exec_liveness_restarts_after_failure_threshold(agentd):
    liveness = probe("livenessProbe", exec_body(
        "echo \"probe-said-no-$$;injected=1\"; exit 3"), period=1,
        extra="      failureThreshold: 3\n"
              "      terminationGracePeriodSeconds: 1\n")
    agentd.write_manifest("live.yaml", manifest(
        "live", "exec sleep 1000", extra_ctr=liveness))
    p = wait_pod(agentd, "live", lambda p: cstatus(p)["restartCount"] >= 1,
                 timeout=40, what="a liveness restart")
    cs = cstatus(p)
    last = cs["lastState"]["terminated"]
    # probes at start+0, +1, +2: the third failure stops it, and sleep as
    # PID 1 ignores SIGTERM: SIGKILL after the probe's 1 s grace, raised
    # to the kubelet's minimum of 2 s
    ran = rfc3339(last["finishedAt"]) - rfc3339(last["startedAt"])
    assert 2 <= ran <= 6, last
    assert last["reason"] == "Error" and last["exitCode"] == 137, last
    e = wait_event(agentd, "live", "Unhealthy", "Liveness probe failed: ")
    assert "probe-said-no-" in e["message"]
    wait_event(agentd, "live", "Killing",
               "Container c failed liveness probe, will be restarted")
    # the restart is audited with the probe's output
    stops = [r for r in agentd.audit_records()
             if r["action"] == "container.stop" and
             r["pod"]["name"] == "live-testnode" and r["phase"] == "intent"]
    assert any("livenessProbe failed" in json.dumps(r) and
               "probe-said-no-" in json.dumps(r) for r in stops), stops
    # the container's output is a value: it adds no key to the record
    assert not [r for r in stops if "injected" in (r.get("details") or {})]
    assert any("injected" in str((r.get("details") or {}).get("output"))
               for r in stops), stops


def test_liveness_kill_runs_the_prestop_hook_first(agentd):
    # the kubelet's killContainer: preStop, then the stop signal
    liveness = probe("livenessProbe", exec_body("exit 1"), period=1,
                     extra="      failureThreshold: 1\n"
                           "      terminationGracePeriodSeconds: 5\n")
    hook = ("    lifecycle:\n      preStop:\n        exec:\n"
            "          command: [\"sh\", \"-c\", "
            "\"echo prestop-ran >/proc/1/fd/1\"]\n")
    agentd.write_manifest("lpre.yaml", manifest(
        "lpre", "trap 'echo got-TERM; exit 0' TERM; "
        "while :; do sleep 0.1; done", extra_ctr=liveness + hook))
    p = wait_pod(agentd, "lpre", lambda p: cstatus(p)["restartCount"] >= 1,
                 timeout=40, what="a liveness restart")
    last = cstatus(p)["lastState"]["terminated"]
    # it ended on SIGTERM (its trap), not on the grace period's SIGKILL
    assert last["exitCode"] == 0, last
    out = agentd.agentctl("logs", "default/lpre-testnode",
                          "--previous").stdout
    assert "prestop-ran" in out and "got-TERM" in out, out
    assert out.index("prestop-ran") < out.index("got-TERM"), out


def test_liveness_success_keeps_the_container(agentd):
    liveness = probe("livenessProbe", exec_body("true"), period=1,
                     extra="      failureThreshold: 1\n")
    agentd.write_manifest("fine.yaml", manifest(
        "fine", "exec sleep 1000", extra_ctr=liveness))
    wait_pod(agentd, "fine", lambda p: running(p) and cstatus(p)["ready"])
    time.sleep(4)
    p = agentd.pod("default", "fine-testnode")
    assert cstatus(p)["restartCount"] == 0 and cstatus(p)["ready"]
    assert not [e for e in events(agentd, "fine")
                if e["reason"] in ("Unhealthy", "Killing")]


# ---- readiness ----

def test_readiness_flaps_and_ready_transition_time_follows(agentd):
    readiness = probe("readinessProbe", exec_body("test -e /tmp/ready"),
                      period=1, extra="      failureThreshold: 1\n")
    agentd.write_manifest("flap.yaml", manifest(
        "flap", "exec sleep 1000", extra_ctr=readiness))
    p = wait_pod(agentd, "flap", running)
    assert cstatus(p)["ready"] is False and cstatus(p)["started"] is True
    time.sleep(2.5)
    p = agentd.pod("default", "flap-testnode")
    assert cond(p, "Ready")["status"] == "False"
    assert cond(p, "ContainersReady")["status"] == "False"
    assert cond(p, "Ready")["reason"] == "ContainersNotReady"
    t0 = rfc3339(cond(p, "Ready")["lastTransitionTime"])
    time.sleep(1.1)
    rt_exec(agentd, "flap", "touch", "/tmp/ready")
    p = wait_pod(agentd, "flap", lambda p: cond(p, "Ready")["status"] ==
                 "True", timeout=10, what="Ready")
    assert cstatus(p)["ready"] is True
    assert cond(p, "ContainersReady")["status"] == "True"
    t1 = rfc3339(cond(p, "Ready")["lastTransitionTime"])
    assert t1 > t0
    time.sleep(1.1)
    rt_exec(agentd, "flap", "rm", "/tmp/ready")
    p = wait_pod(agentd, "flap", lambda p: cond(p, "Ready")["status"] ==
                 "False", timeout=10, what="not Ready again")
    assert cstatus(p)["ready"] is False
    t2 = rfc3339(cond(p, "Ready")["lastTransitionTime"])
    assert t2 > t1
    wait_event(agentd, "flap", "Unhealthy", "Readiness probe failed")
    row = [ln.split() for ln in agentd.agentctl("get", "pods").stdout
           .splitlines() if "flap-testnode" in ln][0]
    assert row[2] == "0/1"
    # readiness never restarts
    assert cstatus(p)["restartCount"] == 0


# ---- startup ----

def test_startup_probe_gates_liveness(agentd):
    startup = probe("startupProbe", exec_body("test -e /tmp/started"),
                    period=1, extra="      failureThreshold: 60\n")
    liveness = probe("livenessProbe", exec_body("exit 1"), period=1,
                     extra="      failureThreshold: 1\n"
                           "      terminationGracePeriodSeconds: 1\n")
    agentd.write_manifest("gate.yaml", manifest(
        "gate", "exec sleep 1000", extra_ctr=startup + liveness))
    p = wait_pod(agentd, "gate", running)
    time.sleep(3)
    p = agentd.pod("default", "gate-testnode")
    cs = cstatus(p)
    # liveness would have killed it at once: it does not run yet
    assert cs["started"] is False and cs["ready"] is False
    assert cs["restartCount"] == 0 and "running" in cs["state"]
    rt_exec(agentd, "gate", "touch", "/tmp/started")
    wait_pod(agentd, "gate", lambda p: cstatus(p)["restartCount"] >= 1,
             timeout=20, what="liveness after startup")
    wait_event(agentd, "gate", "Killing", "failed liveness probe")


def test_startup_failure_restarts_like_liveness(agentd):
    startup = probe("startupProbe", exec_body("exit 1"), period=1,
                    extra="      failureThreshold: 2\n"
                          "      terminationGracePeriodSeconds: 1\n")
    agentd.write_manifest("nostart.yaml", manifest(
        "nostart", "exec sleep 1000", extra_ctr=startup))
    wait_pod(agentd, "nostart", lambda p: cstatus(p)["restartCount"] >= 1,
             timeout=30, what="a startup-probe restart")
    wait_event(agentd, "nostart", "Killing", "failed startup probe")


# ---- HTTP and TCP ----

HTTPD = "mkdir -p /www && echo hello > /www/index.html && " \
        "exec httpd -f -p 8080 -h /www"
PORTS = "    ports:\n    - name: web\n      containerPort: 8080\n"


def test_http_probe_by_port_name(agentd):
    readiness = probe("readinessProbe",
                      "      httpGet:\n        path: /index.html\n"
                      "        port: web\n", period=1)
    agentd.write_manifest("web.yaml", manifest(
        "web", HTTPD, extra_ctr=PORTS + readiness))
    p = wait_pod(agentd, "web", lambda p: running(p) and
                 cstatus(p)["ready"], what="ready by HTTP")
    assert cond(p, "Ready")["status"] == "True"


def test_http_probe_failing_status_code(agentd):
    liveness = probe("livenessProbe",
                     "      httpGet:\n        path: /missing\n"
                     "        port: 8080\n"
                     "        httpHeaders:\n        - name: X-Probe\n"
                     "          value: agentd\n", period=1,
                     extra="      failureThreshold: 2\n"
                           "      terminationGracePeriodSeconds: 1\n")
    agentd.write_manifest("nf.yaml", manifest(
        "nf", HTTPD, extra_ctr=PORTS + liveness))
    wait_event(agentd, "nf", "Unhealthy",
               "Liveness probe failed: HTTP probe failed with statuscode: "
               "404")
    wait_pod(agentd, "nf", lambda p: cstatus(p)["restartCount"] >= 1,
             timeout=30, what="a restart by the HTTP liveness probe")


def test_tcp_probe_against_nc_and_a_closed_port(agentd):
    server = "while true; do nc -l -p 9000 </dev/null; done"
    readiness = probe("readinessProbe",
                      "      tcpSocket:\n        port: 9000\n", period=1)
    agentd.write_manifest("tcp.yaml", manifest(
        "tcp", server, extra_ctr=readiness))
    wait_pod(agentd, "tcp", lambda p: running(p) and cstatus(p)["ready"],
             what="ready by TCP")
    closed = probe("readinessProbe",
                   "      tcpSocket:\n        port: 9001\n", period=1)
    agentd.write_manifest("closed.yaml", manifest(
        "closed", server, extra_ctr=closed))
    e = wait_event(agentd, "closed", "Unhealthy", "Readiness probe failed")
    assert "9001" in e["message"] and "refused" in e["message"], e
    p = agentd.pod("default", "closed-testnode")
    assert cstatus(p)["ready"] is False


def test_probe_outside_the_pod_is_not_made(agentd):
    readiness = probe("readinessProbe",
                      "      tcpSocket:\n        host: 192.0.2.7\n"
                      "        port: 80\n", period=1)
    agentd.write_manifest("out.yaml", manifest(
        "out", "exec sleep 1000", extra_ctr=readiness))
    e = wait_event(agentd, "out", "Unhealthy", "probe not made")
    assert "192.0.2.7" in e["message"] and "outside the pod" in e["message"]
    p = agentd.pod("default", "out-testnode")
    assert cstatus(p)["ready"] is False


def test_probe_fields_in_the_pod_json(agentd):
    readiness = probe("readinessProbe",
                      "      httpGet:\n        path: /index.html\n"
                      "        port: web\n", period=2)
    agentd.write_manifest("js.yaml", manifest(
        "js", HTTPD, extra_ctr=PORTS + readiness))
    p = wait_pod(agentd, "js", running)
    rp = p["spec"]["containers"][0]["readinessProbe"]
    assert rp["httpGet"] == {"path": "/index.html", "port": "web"}
    assert rp["periodSeconds"] == 2 and rp["failureThreshold"] == 3
    assert rp["timeoutSeconds"] == 1 and rp["successThreshold"] == 1
    assert "livenessProbe" not in p["spec"]["containers"][0]


# ---- HTTPS, from the node's namespace (hostNetwork) ----

def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def tls_server(tmp_path):
    """openssl s_server -www on the node's loopback, a self-signed cert."""
    key, crt = str(tmp_path / "k.pem"), str(tmp_path / "c.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", key, "-out", crt, "-days", "1",
                    "-subj", "/CN=probe-test"], check=True,
                   capture_output=True)
    port = free_port()
    srv = subprocess.Popen(["openssl", "s_server", "-quiet", "-www",
                            "-accept", f"127.0.0.1:{port}", "-cert", crt,
                            "-key", key], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        yield port
    finally:
        srv.kill()
        srv.wait()


@pytest.fixture
def hostnet_agentd(testbuild_dir, busybox_image):
    a = start_agentd(testbuild_dir, busybox_image,
                     extra_config={"allowHostNetwork": "true"})
    yield a
    a.cleanup()


def test_https_probe_of_a_host_network_pod(hostnet_agentd, tls_server):
    agentd = hostnet_agentd
    readiness = probe("readinessProbe",
                      "      httpGet:\n        host: 127.0.0.1\n"
                      f"        port: {tls_server}\n"
                      "        scheme: HTTPS\n", period=1)
    agentd.write_manifest("tls.yaml", manifest(
        "tls", "exec sleep 1000", extra_spec="  hostNetwork: true\n",
        extra_ctr=readiness))
    p = wait_pod(agentd, "tls", lambda p: running(p) and
                 cstatus(p)["ready"], what="ready by HTTPS")
    assert cond(p, "Ready")["status"] == "True"
    # plain HTTP to the TLS port is not an HTTP response: not ready
    plain = probe("readinessProbe",
                  "      httpGet:\n        host: 127.0.0.1\n"
                  f"        port: {tls_server}\n", period=1)
    agentd.write_manifest("plain.yaml", manifest(
        "plain", "exec sleep 1000", extra_spec="  hostNetwork: true\n",
        extra_ctr=plain))
    wait_event(agentd, "plain", "Unhealthy", "Readiness probe failed")
    assert cstatus(agentd.pod("default", "plain-testnode"))["ready"] is False


# ---- gRPC (grpc.health.v1 over h2c), a hostNetwork pod: the node's IP ----

@pytest.fixture
def health_server():
    from grpchealth import HealthServer
    srv = HealthServer({"": 1, "web": 1, "db": 2})
    try:
        yield srv
    finally:
        srv.close()


def test_grpc_probes(hostnet_agentd, health_server):
    agentd = hostnet_agentd
    port = health_server.port
    ready = probe("readinessProbe",
                  f"      grpc:\n        port: {port}\n"
                  "        service: web\n", period=1)
    live = probe("livenessProbe",
                 f"      grpc:\n        port: {port}\n"
                 "        service: db\n", period=1,
                 extra="      failureThreshold: 2\n"
                       "      terminationGracePeriodSeconds: 1\n")
    agentd.write_manifest("g.yaml", manifest(
        "g", "exec sleep 1000", extra_spec="  hostNetwork: true\n",
        extra_ctr=ready))
    wait_pod(agentd, "g", lambda p: running(p) and cstatus(p)["ready"],
             what="ready by gRPC")
    assert "web" in health_server.calls
    agentd.write_manifest("gd.yaml", manifest(
        "gd", "exec sleep 1000", extra_spec="  hostNetwork: true\n",
        extra_ctr=live))
    wait_event(agentd, "gd", "Unhealthy", 'responded with "NOT_SERVING"')
    wait_pod(agentd, "gd", lambda p: cstatus(p)["restartCount"] >= 1,
             timeout=30, what="a restart by the gRPC liveness probe")
    unknown = probe("readinessProbe",
                    f"      grpc:\n        port: {port}\n"
                    "        service: nope\n", period=1)
    agentd.write_manifest("gu.yaml", manifest(
        "gu", "exec sleep 1000", extra_spec="  hostNetwork: true\n",
        extra_ctr=unknown))
    wait_event(agentd, "gu", "Unhealthy", "without a response message")
