"""Node accounting the kubelet's way (issue 14, part 4): oom_score_adj per
QoS class (pkg/kubelet/qos/policy.go: Guaranteed -997, BestEffort 1000,
Burstable 1000 - 1000 * request / capacity within 3..999, a sidecar no
higher than the smallest regular container), the kubelet's QoS cgroup
tree (kubepods, kubepods/burstable, kubepods/besteffort, pod<uid> below)
with the pod-level limits summed from the containers, and podPidsLimit as
the pod cgroup's pids.max, none by default and none per container, all
read from the host."""
import json
import os
import subprocess
import time

import pytest

from harness import container_pid, cstatus, manifest, proc_status, \
    running, start_agentd, wait_for, wait_pod


def oom_adj(a, name):
    with open(f"/proc/{container_pid(a, name)}/oom_score_adj") as f:
        return int(f.read())


def mem_total():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no MemTotal")


def res(req=None, lim=None):
    out = "    resources:\n"
    for key, val in (("requests", req), ("limits", lim)):
        if val:
            out += f"      {key}:\n" + "".join(
                f"        {k}: \"{v}\"\n" for k, v in val.items())
    return out


def run(a, name, extra_ctr=""):
    a.write_manifest(f"{name}.yaml", manifest(name, "exec sleep 1000",
                                              extra_ctr=extra_ctr))
    wait_pod(a, name, running)


@pytest.fixture
def agentd(pod_agentd):
    return pod_agentd


CAP_SYS_RESOURCE = 24


def lowest_adj(a):
    """What the executor can give: lowering oom_score_adj below its own
    takes CAP_SYS_RESOURCE (a test machine's container may lack it; the
    systemd unit keeps it)."""
    st = proc_status(a.pid("executor"))
    if int(st["CapEff"], 16) >> CAP_SYS_RESOURCE & 1:
        return -1000
    with open(f"/proc/{a.pid('executor')}/oom_score_adj") as f:
        return int(f.read())


def test_guaranteed_pod_gets_minus_997(agentd):
    run(agentd, "g", res(lim={"cpu": "100m", "memory": "64Mi"}))
    assert agentd.pod("default", "g-testnode")["status"]["qosClass"] == \
        "Guaranteed"
    assert oom_adj(agentd, "g") == max(-997, lowest_adj(agentd))


def test_node_critical_pod_gets_minus_997_in_any_class(agentd):
    agentd.write_manifest("crit.yaml", manifest(
        "crit", "exec sleep 1000",
        extra_spec="  priorityClassName: system-node-critical\n"))
    p = wait_pod(agentd, "crit", running)
    assert p["spec"]["priorityClassName"] == "system-node-critical"
    assert p["status"]["qosClass"] == "BestEffort"
    assert oom_adj(agentd, "crit") == max(-997, lowest_adj(agentd))


def test_besteffort_pod_gets_1000(agentd):
    run(agentd, "be")
    assert oom_adj(agentd, "be") == 1000


def test_burstable_pod_by_the_kubelets_formula(agentd):
    req = 256 * 1024 * 1024
    run(agentd, "bu", res(req={"memory": str(req)}))
    want = 1000 - (1000 * req) // mem_total()
    assert oom_adj(agentd, "bu") == max(3, min(999, want))
    # a request too small to count is 999, below BestEffort
    run(agentd, "tiny", res(req={"cpu": "10m"}))
    assert oom_adj(agentd, "tiny") == 999


def test_burstable_with_request_over_capacity_is_3(agentd):
    run(agentd, "huge", res(req={"memory": str(4 * mem_total())}))
    assert oom_adj(agentd, "huge") == 3


def test_sidecar_is_no_higher_than_the_smallest_container(agentd):
    req = 512 * 1024 * 1024
    agentd.write_manifest("sc.yaml", (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: sc\nspec:\n"
        "  terminationGracePeriodSeconds: 1\n"
        "  initContainers:\n  - name: side\n    image: busybox\n"
        "    restartPolicy: Always\n    command: [sleep, '1000']\n"
        "  containers:\n  - name: c\n    image: busybox\n"
        "    command: [sleep, '1000']\n" + res(req={"memory": str(req)})))
    p = wait_pod(agentd, "sc", running)
    side = [c for c in p["status"]["initContainerStatuses"]
            if c["name"] == "side"][0]
    cid = side["containerID"].split("://", 1)[1]
    st = json.loads(subprocess.run(
        ["runc", "--root", agentd.runtime_root(), "state", cid],
        capture_output=True, text=True, check=True).stdout)
    with open(f"/proc/{st['pid']}/oom_score_adj") as f:
        side_adj = int(f.read())
    main_adj = oom_adj(agentd, "sc")
    assert main_adj == max(3, 1000 - (1000 * req) // mem_total())
    assert side_adj == main_adj


def pids_max(pid, level_up):
    """pids.max of the container's cgroup (0) or of its pod's (1)."""
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if "pids" in ctrls.split(",") or (ctrls == "" and os.path.exists(
                    "/sys/fs/cgroup/cgroup.controllers")):
                for _ in range(level_up):
                    path = os.path.dirname(path)
                base = "/sys/fs/cgroup/pids" if ctrls else "/sys/fs/cgroup"
                with open(os.path.join(base, path.lstrip("/"),
                                       "pids.max")) as g:
                    return g.read().strip(), path
    raise AssertionError(f"no pids cgroup for {pid}")


def test_no_pids_limit_by_default(agentd):
    run(agentd, "np")
    pid = container_pid(agentd, "np")
    assert pids_max(pid, 0)[0] == "max"
    value, path = pids_max(pid, 1)
    assert os.path.basename(path).startswith("pod") and value == "max"


def test_pod_pids_limit_is_the_pod_cgroups(testbuild_dir, busybox_image):
    a = start_agentd(testbuild_dir, busybox_image,
                     extra_config={"podPidsLimit": "40"})
    try:
        a.write_manifest("pl.yaml", manifest(
            "pl", "(for i in $(seq 60); do sleep 1000 & done) 2>/dev/null; "
            "exec sleep 1000"))
        p = wait_pod(a, "pl", running)
        pid = container_pid(a, "pl")
        value, path = pids_max(pid, 1)
        assert value == "40", (open(f"/proc/{pid}/cgroup").read(), path)
        assert os.path.basename(path) == f"pod{p['metadata']['uid']}"
        assert pids_max(pid, 0)[0] == "max"
        # the fork bomb stopped at the pod's limit
        base = "/sys/fs/cgroup/pids" if os.path.exists(
            "/sys/fs/cgroup/pids") else "/sys/fs/cgroup"
        pod_dir = os.path.join(base, path.lstrip("/"))

        def current():
            with open(os.path.join(pod_dir, "pids.current")) as f:
                return int(f.read())
        # 60 sleeps asked for, the pod's processes stop at 40
        wait_for(lambda: current() >= 30, 10, what="the sleeps forked")
        time.sleep(1)
        assert current() <= 40
        assert cstatus(p)["restartCount"] == 0
    finally:
        a.cleanup()


# ---- the QoS cgroup hierarchy (kubepods, burstable, besteffort) ----

def cgroup_path(pid, controller):
    """(hierarchy mount, path) of pid's cgroup for controller, v1 or v2."""
    with open(f"/proc/{pid}/cgroup") as f:
        lines = [ln.rstrip("\n").split(":", 2) for ln in f]
    for _, ctrls, path in lines:
        if controller in ctrls.split(","):
            return f"/sys/fs/cgroup/{ctrls}" if os.path.isdir(
                f"/sys/fs/cgroup/{ctrls}") else \
                f"/sys/fs/cgroup/{controller}", path
    for _, ctrls, path in lines:
        if ctrls == "":
            return "/sys/fs/cgroup", path
    raise AssertionError(f"no {controller} cgroup for {pid}")


def pod_value(pid, controller, v1_file, v2_file):
    mnt, path = cgroup_path(pid, controller)
    pod = os.path.join(mnt, os.path.dirname(path).lstrip("/"))
    v1 = os.path.join(pod, v1_file)
    with open(v1 if os.path.exists(v1) else os.path.join(pod, v2_file)) as f:
        return f.read().strip()


@pytest.mark.parametrize("name,resources,level", [
    ("gq", res(lim={"cpu": "100m", "memory": "64Mi"}), "kubepods"),
    ("bq", res(req={"cpu": "100m"}), "kubepods/burstable"),
    ("eq", "", "kubepods/besteffort"),
])
def test_pod_cgroup_is_below_its_qos_level(agentd, name, resources, level):
    run(agentd, name, resources)
    uid = agentd.pod("default", f"{name}-testnode")["metadata"]["uid"]
    _, path = cgroup_path(container_pid(agentd, name), "memory")
    parts = path.strip("/").split("/")
    assert "/".join(parts[1:-2]) == level, path
    assert parts[-2] == f"pod{uid}"


def test_pod_level_limits_are_summed_from_the_containers(agentd):
    agentd.write_manifest("two.yaml", (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: two\nspec:\n"
        "  terminationGracePeriodSeconds: 1\n  containers:\n"
        "  - name: a\n    image: busybox\n    command: [sleep, '1000']\n"
        + res(lim={"cpu": "200m", "memory": "64Mi"}) +
        "  - name: b\n    image: busybox\n    command: [sleep, '1000']\n"
        + res(lim={"cpu": "300m", "memory": "32Mi"})))
    wait_pod(agentd, "two", lambda p: all(
        "running" in c["state"] for c in p["status"]["containerStatuses"]))
    pid = container_pid(agentd, "two")
    mem = pod_value(pid, "memory", "memory.limit_in_bytes", "memory.max")
    assert int(mem) == 96 * 1024 * 1024
    quota = pod_value(pid, "cpu", "cpu.cfs_quota_us", "cpu.max")
    assert int(quota.split()[0]) == 50000      # 500m of a 100 ms period
    if os.path.exists(os.path.join(*cgroup_path(pid, "cpu")[:1],
                                   "cpu.shares")):
        shares = pod_value(pid, "cpu", "cpu.shares", "cpu.weight")
        assert int(shares) == 512                # 500m requested


def test_besteffort_pod_and_level_get_the_least_cpu_share(agentd):
    run(agentd, "lo")
    pid = container_pid(agentd, "lo")
    mnt, path = cgroup_path(pid, "cpu")
    pod = os.path.join(mnt, os.path.dirname(path).lstrip("/"))
    if not os.path.exists(os.path.join(pod, "cpu.shares")):
        pytest.skip("cgroup v2: cpu.weight, checked by the unit tests")
    assert open(os.path.join(pod, "cpu.shares")).read().strip() == "2"
    assert open(os.path.join(os.path.dirname(pod),
                             "cpu.shares")).read().strip() == "2"
