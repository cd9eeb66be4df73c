"""Pod sysctls and supplementalGroups with real containers (issue 14, part
3): the kubelet's safe set, allowedUnsafeSysctls, host namespaces refused,
the API server's name rules, and the groups in /proc/self/status."""
import pytest

from harness import (actions, container_pid, manifest, proc_status, running,
                     start_agentd, wait_for, wait_pod)

PORTS = "/proc/sys/net/ipv4/ip_local_port_range"
# echo unquoted: word splitting turns tcp_rmem's tabs into spaces
PRINT = "for f in {files}; do echo $f=$(cat $f); done; echo done; " \
    "exec sleep 1000"


@pytest.fixture
def agentd(pod_agentd):
    return pod_agentd


def _sysctl_spec(pairs, extra=""):
    s = f"{extra}  securityContext:\n    sysctls:\n"
    for name, value in pairs:
        s += f"    - name: {name}\n      value: \"{value}\"\n"
    return s


def _log(a, name):
    r = a.agentctl("logs", f"default/{name}-testnode", check=False)
    return r.stdout if r.returncode == 0 else ""


def _values(a, name):
    """the path=value lines the container printed"""
    try:
        wait_for(lambda: "done" in _log(a, name), 15,
                 what=f"{name}'s output")
    except AssertionError:
        raise AssertionError(f"{name}: {a.pod('default', name + '-testnode')}"
                             f" log {_log(a, name)!r}")
    out = {}
    for ln in _log(a, name).splitlines():
        if "=" in ln:
            k, v = ln.split("=", 1)
            out[k] = " ".join(v.split())
    return out


def _printer(name, files, spec):
    return manifest(name, PRINT.format(files=" ".join(files)),
                    extra_spec=spec)


def _denied(a, name):
    return wait_pod(a, name, lambda p: p["status"]["phase"] == "Failed")


def _rejected(a, file):
    def find():
        for r in a.audit_records():
            if r["action"] == "manifest.reject" and \
                    r["details"].get("file") == file:
                return r
        return None
    return wait_for(find, 10, what=f"{file} rejected")


@pytest.mark.parametrize("share_pid", [False, True],
                         ids=["pinned", "infra"])
def test_safe_sysctls_set_in_the_pod_only(agentd, share_pid):
    """Set in the pod's namespaces (pinned or the infra container's),
    seen by every container; another pod and the host keep theirs."""
    with open(PORTS) as f:
        host_ports = " ".join(f.read().split())
    extra = "  shareProcessNamespace: true\n" if share_pid else ""
    files = [PORTS, "/proc/sys/kernel/shm_rmid_forced",
             "/proc/sys/net/ipv4/tcp_syncookies"]
    agentd.write_manifest("s.yaml", _printer("s", files, _sysctl_spec(
        [("net.ipv4.ip_local_port_range", "40000 40100"),
         ("kernel/shm_rmid_forced", "1"),
         ("net.ipv4.tcp_syncookies", "0")], extra)))
    agentd.write_manifest("o.yaml", _printer("o", files, ""))
    got = _values(agentd, "s")
    assert got[PORTS] == "40000 40100", got
    assert got["/proc/sys/kernel/shm_rmid_forced"] == "1", got
    assert got["/proc/sys/net/ipv4/tcp_syncookies"] == "0", got
    other = _values(agentd, "o")
    assert other[PORTS] != "40000 40100", other
    assert other["/proc/sys/kernel/shm_rmid_forced"] == "0", other
    with open(PORTS) as f:
        assert " ".join(f.read().split()) == host_ports


def test_unsafe_sysctl_denied_by_default(agentd):
    agentd.write_manifest("u.yaml", _printer(
        "u", ["/proc/sys/net/core/somaxconn"],
        _sysctl_spec([("net.core.somaxconn", "1234")])))
    p = _denied(agentd, "u")
    assert p["status"]["reason"] == "NodePolicyDenied"
    msg = p["status"]["message"]
    assert "spec.securityContext.sysctls[0]" in msg, msg
    assert "allowedUnsafeSysctls" in msg, msg
    acts = [x for x in actions(agentd) if x[2] == "u-testnode"]
    assert ("policy.deny", "event", "u-testnode") in acts
    assert not any(x[0] == "sandbox.create" for x in acts)


def test_unsafe_sysctls_allowed_by_policy(testbuild_dir, busybox_image):
    a = start_agentd(testbuild_dir, busybox_image, extra_config={
        "allowedUnsafeSysctls": ["net.core.*", "kernel/msgmax"]})
    try:
        files = ["/proc/sys/net/core/somaxconn", "/proc/sys/kernel/msgmax"]
        a.write_manifest("u.yaml", _printer("u", files, _sysctl_spec(
            [("net.core.somaxconn", "1234"), ("kernel.msgmax", "4321")])))
        got = _values(a, "u")
        assert got["/proc/sys/net/core/somaxconn"] == "1234", got
        assert got["/proc/sys/kernel/msgmax"] == "4321", got
        # a name the pattern does not cover is still refused
        a.write_manifest("v.yaml", _printer("v", [], _sysctl_spec(
            [("kernel.msgmnb", "1")])))
        p = _denied(a, "v")
        assert "kernel.msgmnb" in p["status"]["message"]
    finally:
        a.cleanup()


@pytest.mark.parametrize("spec,field,why", [
    (_sysctl_spec([("net.ipv4.tcp_syncookies", "1")],
                  "  hostNetwork: true\n"),
     "spec.securityContext.sysctls[0].name", "hostNetwork"),
    (_sysctl_spec([("kernel.shm_rmid_forced", "1")], "  hostIPC: true\n"),
     "spec.securityContext.sysctls[0].name", "hostIPC"),
], ids=["hostNetwork", "hostIPC"])
def test_host_namespace_sysctl_rejected(agentd, spec, field, why):
    agentd.write_manifest("h.yaml", manifest("h", "exec sleep 1000",
                                             extra_spec=spec))
    r = _rejected(agentd, "h.yaml")
    assert r["details"]["field"] == field, r
    assert why in r["error"], r
    assert agentd.pod("default", "h-testnode") is None


@pytest.mark.parametrize("name", ["Net.core.somaxconn", "net..core",
                                  "net.core.", "-net.core", "a" * 254])
def test_bad_sysctl_names_rejected_naming_the_field(agentd, name):
    agentd.write_manifest("b.yaml", manifest(
        "b", "exec sleep 1000", extra_spec=_sysctl_spec([(name, "1")])))
    r = _rejected(agentd, "b.yaml")
    assert r["details"]["field"] == \
        "spec.securityContext.sysctls[0].name", r
    assert "253" in r["error"], r


def test_supplemental_groups_in_the_process(agentd):
    agentd.write_manifest("g.yaml", manifest(
        "g", "exec sleep 1000",
        extra_spec="  securityContext:\n    runAsUser: 1000\n"
        "    runAsGroup: 3000\n    supplementalGroups: [4000, 3000, 5000]\n"))
    wait_pod(agentd, "g", running)
    st = proc_status(container_pid(agentd, "g"))
    assert st["Gid"].split()[0] == "3000"
    groups = st["Groups"].split()
    assert "4000" in groups and "5000" in groups, st["Groups"]


def test_supplemental_groups_policy_strict_rejected(agentd):
    agentd.write_manifest("st.yaml", manifest(
        "st", "exec sleep 1000",
        extra_spec="  securityContext:\n    supplementalGroups: [4000]\n"
        "    supplementalGroupsPolicy: Strict\n"))
    r = _rejected(agentd, "st.yaml")
    assert r["details"]["field"] == \
        "spec.securityContext.supplementalGroupsPolicy", r


# ---- a compromised watcher: the executor checks again ----

HOST_FILES = [PORTS, "/proc/sys/kernel/shm_rmid_forced",
              "/proc/sys/vm/overcommit_ratio"]


def _host_values():
    out = {}
    for path in HOST_FILES:
        with open(path) as f:
            out[path] = " ".join(f.read().split())
    return out


def test_executor_refuses_what_the_watcher_should_have(testbuild_dir,
                                                       busybox_image,
                                                       fake_libexec):
    """Host namespaces allowed, every net.* sysctl allowed: the executor
    still refuses a sysctl in a host namespace, one of no namespace, a name
    that leaves /proc/sys/net and a value of two lines; the host keeps its
    values."""
    before = _host_values()
    a = start_agentd(testbuild_dir, busybox_image, extra_config={
        "libexecDir": fake_libexec, "allowHostNetwork": "true",
        "allowHostIPC": "true", "allowedUnsafeSysctls": ["net.*"]})
    try:
        a.write_manifest("keep.yaml", manifest("keep", "sleep 1000"))
        wait_pod(a, "keep", running, what="the real pod running")
        a.write_manifest("attack.json", "sysctls\n")
        want = {"sc-hostnet": "host net", "sc-hostipc": "host ipc",
                "sc-vm": "not namespaced", "sc-climb": "name",
                "sc-newline": "value"}
        for name, why in want.items():
            p = wait_for(lambda: (lambda q: q if q and q["status"].get(
                "phase") == "Failed" else None)(a.pod("default", name)),
                20, interval=0.2, what=f"{name} denied")
            assert p["status"]["reason"] == "NodePolicyDenied", p
            msg = p["status"]["message"]
            assert "rule sysctls: spec.securityContext.sysctls[0]" in msg, msg
            assert why in msg, msg
        acts = actions(a)
        for name in want:
            assert ("policy.deny", "event", name) in acts, name
            assert not any(x[0] == "sandbox.create" and x[2] == name
                           for x in acts), name
        assert _host_values() == before
    finally:
        try:
            a.remove_manifest("attack.json")
        except FileNotFoundError:
            pass
        a.cleanup()
