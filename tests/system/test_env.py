"""A container's environment, the kubelet's rules (issue 14, part 1),
through real containers that print their env and argv: $(VAR) expansion
of command, args and env values, valueFrom.fieldRef, valueFrom.
resourceFieldRef with divisors, rounding and the node's allocatable, and
the manifests the watcher refuses (the field named, other pods
unaffected)."""
import json
import os

from cninet import needs_plugins, start_in_netns, write_conflist
from cninet import netns  # noqa: F401 (a fixture)
from harness import Agentd, container_pid, running, wait_for, wait_pod

POD_TIMEOUT = 60

# prints every variable (env), then $0 and each argument, then sleeps: the
# script is in command, so it is expanded too; it holds no "$(" and no "$$"
SCRIPT = ('env; printf "ARG0=[%s]\\n" "$0"; '
          'for a in "$@"; do printf "ARG=[%s]\\n" "$a"; done; '
          'echo DONE; exec sleep 1000')


def pod(name, env, args=(), argv0="n0", extra_spec="", extra_meta="",
        containers=None, resources=""):
    """A static pod whose container "c" runs SCRIPT with env (a list of
    EnvVar dicts) and args; containers adds more (name, resources) that
    just sleep."""
    text = (f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n"
            f"{extra_meta}spec:\n  terminationGracePeriodSeconds: 1\n"
            f"{extra_spec}  containers:\n  - name: c\n    image: busybox\n"
            f"    command: {json.dumps(['sh', '-c', SCRIPT, argv0])}\n"
            f"    args: {json.dumps(list(args))}\n"
            f"    env: {json.dumps(env)}\n{resources}")
    for cname, res in containers or ():
        text += (f"  - name: {cname}\n    image: busybox\n"
                 f"    command: [\"sleep\", \"1000\"]\n{res}")
    return text


def output(a, name, ns="default"):
    r = a.agentctl("logs", f"{ns}/{name}-testnode", "-c", "c",
                   check=False)
    return r.stdout if r.returncode == 0 else ""


def run_and_read(a, name, text, ns="default"):
    """The pod's env (a dict) and argv ($0, then the args) once printed."""
    a.write_manifest(name + ".yaml", text)
    wait_for(lambda: (lambda p: p is not None and running(p))(
        a.pod(ns, f"{name}-testnode")), POD_TIMEOUT, interval=0.2,
        what=f"pod {name} running")
    wait_for(lambda: "DONE" in output(a, name, ns), 20, interval=0.2,
             what=f"{name}'s output")
    env, argv = {}, []
    for line in output(a, name, ns).splitlines():
        if line.startswith("ARG0=[") or line.startswith("ARG=["):
            argv.append(line.split("=[", 1)[1][:-1])
        elif "=" in line and not line.startswith("DONE"):
            k, v = line.split("=", 1)
            env[k] = v
    return env, argv


def value(name, v):
    return {"name": name, "value": v}


def field(name, path):
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}


def resource(name, res, divisor=None, container=None):
    ref = {"resource": res}
    if divisor is not None:
        ref["divisor"] = divisor
    if container is not None:
        ref["containerName"] = container
    return {"name": name, "valueFrom": {"resourceFieldRef": ref}}


# ---- $(VAR) expansion ----

# one case of each class of the kubelet's expansion table, as env values
# (each expanded from the entries above it): name, value, expected
ENV_CASES = [
    ("FOO", "bar", "bar"),
    ("ZOO", "$(FOO)-1", "bar-1"),                 # a reference
    ("BLU", "$(ZOO)-2", "bar-1-2"),               # of an expanded one
    ("REPEAT", "$(FOO)-$(FOO)", "bar-bar"),
    ("ESCAPED", "$$(FOO)_$(FOO)", "$(FOO)_bar"),  # $$ escapes
    ("UNDEFINED", "$(NOPE)", "$(NOPE)"),          # stays literal
    ("FORWARD", "$(LATER)", "$(LATER)"),          # defined later: literal
    ("LATER", "late", "late"),
    ("EMPTY", "", ""),
    ("WITH_EMPTY", "a$(EMPTY)b", "ab"),
    ("EVEN_UNDEF", "$$$$$$(BIG)", "$$$(BIG)"),
    ("EVEN_DEF", "$$$$$$(FOO)", "$$$(FOO)"),
    ("ODD_UNDEF", "$$$$$$$(GOOD)", "$$$$(GOOD)"),
    ("ODD_DEF", "$$$$$$$(FOO)", "$$$bar"),
    ("AT_END", "$(FOO)x$", "barx$"),              # '$' at the end
    ("OPEN_END", "$(FOO)_$(", "bar_$("),          # "$(" at the end
    ("UNCLOSED", "foo$(FOOwhoops!", "foo$(FOOwhoops!"),
    ("NESTED", "$(FOO$(ZOO))", "$(FOO$(ZOO))"),
    ("NESTED2", "$(FOO$(ZOO)", "$(FOO$(ZOO)"),
    ("SHELL", "${FOO} $FOO $? $!", "${FOO} $FOO $? $!"),
    ("NO_OPEN", "$FOO)", "$FOO)"),
    ("MANY_OPEN", "--$($($(--", "--$($($(--"),
    ("ESC_IN_NAME", "$(foo$$var)", "$(foo$$var)"),
    ("BACKSLASH", "x\\$(FOO)", "x\\bar"),
    ("REF", "$(ESCAPED)", "$(FOO)_bar"),          # no second expansion
    ("FOO", "baz", "baz"),                        # redefined
    ("AFTER", "$(FOO)", "baz"),                   # the latest one wins
]

# args, expanded from the whole env (the final FOO), and $0 from command
ARG_CASES = [
    ("$(FOO)", "baz"),
    ("$$(FOO)", "$(FOO)"),
    ("$(NOPE)", "$(NOPE)"),
    ("$(LATER)", "late"),                         # any entry, even later
    ("pre-$(BLU)-post", "pre-bar-1-2-post"),
    ("$", "$"),
    ("$(", "$("),
    ("$$$", "$$"),
    ("$(HOME)", "$(HOME)"),                       # the image's env: not
]


def test_expansion_of_env_command_and_args(pod_agentd):
    a = pod_agentd
    env, argv = run_and_read(a, "exp", pod(
        "exp", [value(n, v) for n, v, _ in ENV_CASES],
        args=[i for i, _ in ARG_CASES], argv0="$(ZOO)/$$(ZOO)"))
    want = {}
    for n, _, w in ENV_CASES:
        want[n] = w
    for n, w in want.items():
        assert env.get(n) == w, (n, env.get(n), w)
    assert argv[0] == "bar-1/$(ZOO)", argv
    assert argv[1:] == [w for _, w in ARG_CASES], argv


def test_args_alone_are_expanded_and_the_image_cmd_is_not(pod_agentd):
    """args without command: the image's Entrypoint stays as it is."""
    a = pod_agentd
    a.write_manifest("argsonly.yaml", (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: argsonly\nspec:\n"
        "  terminationGracePeriodSeconds: 1\n  containers:\n"
        "  - name: c\n    image: busybox\n"
        "    args: [\"sh\", \"-c\", \"echo V=$(A); echo DONE; "
        "exec sleep 1000\"]\n"
        "    env: [{name: A, value: from-env}]\n"))
    wait_pod(a, "argsonly", running, timeout=POD_TIMEOUT)
    wait_for(lambda: "DONE" in output(a, "argsonly"), 20, interval=0.2,
             what="argsonly's output")
    assert "V=from-env" in output(a, "argsonly")


# ---- fieldRef ----

def host_ips(p):
    return [x["ip"] for x in p["status"].get("hostIPs", [])]


def test_field_refs(pod_agentd):
    a = pod_agentd
    meta = ("  namespace: team\n  labels:\n    app: web\n"
            "  annotations:\n    example.com/Note: \"a b $(FOO)\"\n")
    env, _ = run_and_read(a, "fr", pod("fr", [
        field("NAME", "metadata.name"),
        field("NS", "metadata.namespace"),
        field("UID", "metadata.uid"),
        field("LABEL", "metadata.labels['app']"),
        field("NO_LABEL", "metadata.labels['missing']"),
        field("ANNOT", "metadata.annotations['example.com/Note']"),
        field("NODE", "spec.nodeName"),
        field("HOST", "spec.host"),
        field("SA", "spec.serviceAccountName"),
        field("HOST_IP", "status.hostIP"),
        field("HOST_IPS", "status.hostIPs"),
        field("POD_IP", "status.podIP"),
        field("POD_IPS", "status.podIPs"),
        value("FOO", "x"),
        value("USE", "$(NAME)/$(LABEL)"),
    ], extra_meta=meta), ns="team")
    p = a.pod("team", "fr-testnode")
    assert env["NAME"] == "fr-testnode"
    assert env["NS"] == "team"
    assert env["UID"] == p["metadata"]["uid"]
    assert env["LABEL"] == "web"
    assert env["NO_LABEL"] == ""
    # a source's value is not expanded; a later value may use it
    assert env["ANNOT"] == "a b $(FOO)"
    assert env["NODE"] == env["HOST"] == "testnode"
    # a static pod has no service account, as with the kubelet
    assert env["SA"] == ""
    ips = host_ips(p)
    assert env["HOST_IP"] == (ips[0] if ips else "")
    assert env["HOST_IPS"] == ",".join(ips)
    # the harness's default network gives pods no address: "" as the
    # status (which has no podIP) says
    pod_ips = [x["ip"] for x in p["status"].get("podIPs", [])]
    assert env["POD_IP"] == p["status"].get("podIP", "")
    assert env["POD_IPS"] == ",".join(pod_ips)
    assert env["USE"] == "fr-testnode/web"


def test_service_account_name_is_given(pod_agentd):
    env, _ = run_and_read(pod_agentd, "sa", pod(
        "sa", [field("SA", "spec.serviceAccountName")],
        extra_spec="  serviceAccountName: builder\n"))
    assert env["SA"] == "builder"


@needs_plugins
def test_pod_ip_on_a_cni_network(testbuild_dir, busybox_image, tmp_path,
                                 netns):  # noqa: F811
    cnidir = str(tmp_path / "net.d")
    write_conflist(cnidir, str(tmp_path / "ipam"), plugins=("bridge",))
    a = start_in_netns(testbuild_dir, busybox_image, netns, cnidir)
    try:
        env, _ = run_and_read(a, "ip", pod("ip", [
            field("POD_IP", "status.podIP"),
            field("POD_IPS", "status.podIPs"),
            value("URL", "http://$(POD_IP):8080/")]))
        p = wait_pod(a, "ip", lambda p: p["status"].get("podIP"))
        ip = p["status"]["podIP"]
        assert env["POD_IP"] == ip
        assert env["POD_IPS"] == ",".join(x["ip"] for x in
                                          p["status"]["podIPs"])
        assert env["URL"] == f"http://{ip}:8080/"
        # and it is the container's own address
        assert ip in os.popen(
            f"nsenter -t {container_pid(a, 'ip')} -n ip -4 -o addr").read()
    finally:
        a.cleanup()


# ---- resourceFieldRef ----

def allocatable():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    return len(os.sched_getaffinity(0)), mem


def ceil_div(a, b):
    return -(-a // b)


def test_resource_refs_with_divisors_rounding_and_allocatable(pod_agentd):
    cpus, mem = allocatable()
    res = ("    resources:\n      limits: {cpu: 250m, memory: \"67108865\"}\n"
           "      requests: {cpu: 100m, memory: \"1000\"}\n")
    env, _ = run_and_read(pod_agentd, "rs", pod("rs", [
        resource("LCPU", "limits.cpu"),
        resource("LCPU_M", "limits.cpu", "1m"),
        resource("RCPU", "requests.cpu", "1"),
        resource("RCPU_M", "requests.cpu", "1m"),
        resource("LMEM", "limits.memory"),
        resource("LMEM_MI", "limits.memory", "1Mi"),
        resource("RMEM_KI", "requests.memory", "1Ki"),
        resource("RMEM_K", "requests.memory", "1k"),
        resource("OWN_NAMED", "limits.cpu", "1m", container="c"),
        # the other container has no limits: the node's allocatable
        resource("SIDE_LCPU", "limits.cpu", container="side"),
        resource("SIDE_LCPU_M", "limits.cpu", "1m", container="side"),
        resource("SIDE_LMEM", "limits.memory", container="side"),
        resource("SIDE_LMEM_GI", "limits.memory", "1Gi", container="side"),
        resource("SIDE_RCPU", "requests.cpu", container="side"),
        resource("SIDE_RMEM", "requests.memory", container="side"),
        value("DERIVED", "cpus=$(SIDE_LCPU)"),
    ], resources=res, containers=[("side", "")]))
    assert env["LCPU"] == "1"            # 250m rounded up to a core
    assert env["LCPU_M"] == "250"
    assert env["RCPU"] == "1"
    assert env["RCPU_M"] == "100"
    assert env["LMEM"] == "67108865"
    assert env["LMEM_MI"] == "65"        # 64Mi + 1 byte, rounded up
    assert env["RMEM_KI"] == "1"
    assert env["RMEM_K"] == "1"
    assert env["OWN_NAMED"] == "250"
    assert env["SIDE_LCPU"] == str(cpus)
    assert env["SIDE_LCPU_M"] == str(cpus * 1000)
    assert env["SIDE_LMEM"] == str(mem)
    assert env["SIDE_LMEM_GI"] == str(ceil_div(mem, 1 << 30))
    assert env["SIDE_RCPU"] == "0"
    assert env["SIDE_RMEM"] == "0"
    assert env["DERIVED"] == f"cpus={cpus}"


# ---- what is refused ----

def env_manifest(name, entry):
    return pod(name, [entry])


REFUSED = {
    "both.yaml": ({"name": "E", "value": "x", "valueFrom": {"fieldRef": {
        "fieldPath": "metadata.name"}}},
        "spec.containers[0].env[0].valueFrom", "`value` is not empty"),
    "none.yaml": ({"name": "E", "valueFrom": {"fileKeyRef": {}}},
                  "spec.containers[0].env[0].valueFrom",
                  "must specify one of"),
    "two.yaml": ({"name": "E", "valueFrom": {
        "fieldRef": {"fieldPath": "metadata.name"},
        "resourceFieldRef": {"resource": "limits.cpu"}}},
        "spec.containers[0].env[0].valueFrom", "more than one field"),
    "path.yaml": (field("E", "status.phase"),
                  "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath",
                  "supported values"),
    "divisor.yaml": (resource("E", "limits.cpu", "2"),
                     "spec.containers[0].env[0].valueFrom.resourceFieldRef."
                     "divisor", "1m and 1"),
    "ctr.yaml": (resource("E", "limits.cpu", container="nope"),
                 "spec.containers[0].env[0].valueFrom.resourceFieldRef."
                 "containerName", "not found"),
    "eph.yaml": (resource("E", "limits.ephemeral-storage"),
                 "spec.containers[0].env[0].valueFrom.resourceFieldRef."
                 "resource", "ephemeral-storage"),
    "cm.yaml": ({"name": "E", "valueFrom": {"configMapKeyRef": {
        "name": "c", "key": "k"}}},
        "spec.containers[0].env[0].valueFrom.configMapKeyRef",
        "static pods cannot reference API objects"),
    "secret.yaml": ({"name": "E", "valueFrom": {"secretKeyRef": {
        "name": "s", "key": "k"}}},
        "spec.containers[0].env[0].valueFrom.secretKeyRef",
        "static pods cannot reference API objects"),
}


def test_bad_env_is_refused_naming_the_field(pod_agentd):
    a = pod_agentd
    env, _ = run_and_read(a, "good", pod("good", [value("A", "1")]))
    pid = container_pid(a, "good")
    for fname, (entry, _, _) in REFUSED.items():
        a.write_manifest(fname, env_manifest(fname.split(".")[0], entry))
    a.write_manifest("envfrom.yaml", (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: envfrom\nspec:\n"
        "  containers:\n  - name: c\n    image: busybox\n"
        "    envFrom: [{configMapRef: {name: c}}]\n"))

    def audited():
        return {r["details"].get("file"): r for r in a.audit_records()
                if r["action"] == "manifest.reject"}
    want = set(REFUSED) | {"envfrom.yaml"}
    wait_for(lambda: want <= set(audited()), 15, what="rejections audited")
    rejects = audited()
    for fname, (_, fld, why) in REFUSED.items():
        r = rejects[fname]
        assert r["details"].get("field") == fld, (fname, r)
        assert why in r["error"], (fname, r)
    assert rejects["envfrom.yaml"]["details"]["field"] == \
        "spec.containers[0].envFrom"
    assert "static pods cannot reference API objects" in \
        rejects["envfrom.yaml"]["error"]
    assert [p["metadata"]["name"] for p in a.pods_json()["items"]] == \
        ["good-testnode"]
    assert container_pid(a, "good") == pid


# ---- API mode ----

def test_api_pod_env_and_refused_references(testbuild_dir, busybox_image,
                                            kube_api):
    """An API pod: the API server's serviceAccountName ("default") and its
    uid; a secretKeyRef is refused as not supported yet, naming the
    field, and the other pod runs."""
    kc = kube_api.node_kubeconfig("testnode", use_token=True)
    a = Agentd(testbuild_dir, extra_config={"kubeconfig": kc})
    try:
        a.agentctl("image", "import", busybox_image, "busybox")
        good = {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "apienv", "namespace": "default"},
                "spec": {"nodeName": "testnode",
                         "terminationGracePeriodSeconds": 1,
                         "containers": [{
                             "name": "c", "image": "busybox",
                             "imagePullPolicy": "Never",
                             "command": ["sh", "-c", SCRIPT, "$(SA)"],
                             "env": [field("SA", "spec.serviceAccountName"),
                                     field("UID", "metadata.uid")]}]}}
        bad = json.loads(json.dumps(good))
        bad["metadata"]["name"] = "apibad"
        bad["spec"]["containers"][0]["env"] = [{"name": "S", "valueFrom": {
            "secretKeyRef": {"name": "s", "key": "k"}}}]
        kube_api.put("pods", bad)
        kube_api.put("pods", good)
        wait_for(lambda: "DONE" in (a.agentctl(
            "logs", "default/apienv", "-c", "c", check=False).stdout), 60,
            interval=0.3, what="apienv's output")
        out = a.agentctl("logs", "default/apienv", "-c", "c").stdout
        uid = kube_api.get("pods", "default", "apienv")["metadata"]["uid"]
        assert "SA=default" in out.splitlines()
        assert f"UID={uid}" in out.splitlines()
        assert "ARG0=[default]" in out.splitlines()

        def rejected():
            return [r for r in a.audit_records()
                    if r["action"] == "manifest.reject" and
                    r["details"].get("file") == "api:default/apibad"]
        rec = wait_for(rejected, 20, what="the refusal audited")[0]
        assert rec["details"]["field"] == \
            "spec.containers[0].env[0].valueFrom.secretKeyRef"
        assert "not supported yet" in rec["error"], rec
        assert a.pod("default", "apibad") is None
    finally:
        try:
            admin = kube_api.client(admin=True)
            for p in admin.get("/api/v1/pods").json()["items"]:
                admin.delete(f"/api/v1/namespaces/"
                             f"{p['metadata']['namespace']}/pods/"
                             f"{p['metadata']['name']}",
                             gracePeriodSeconds=0)
        finally:
            a.cleanup()
