"""Resource values at the edges (issue 8, item 5): emitted to the OCI spec
as exact integers and clamped as the kubelet does (MilliCPUToShares,
MilliCPUToQuota), so that a pod at int64's limit starts, and one past it
is rejected by itself with a reason."""
import glob
import os

from harness import container_pid, manifest, running, wait_for, wait_pod

INT64_MAX = 2**63 - 1
# the kernel's max_cfs_runtime: (1 << 44) - 1 us
CFS_QUOTA_MAX = (1 << 44) - 1


def limits(cpu, memory):
    return (f"    resources:\n      limits:\n        cpu: \"{cpu}\"\n"
            f"        memory: \"{memory}\"\n")


def cgroup_value(pid, controller, name):
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if controller in ctrls.split(","):
                for mnt in glob.glob(f"/sys/fs/cgroup/{ctrls}") + \
                        glob.glob(f"/sys/fs/cgroup/{controller}"):
                    p = os.path.join(mnt, path.lstrip("/"), name)
                    if os.path.exists(p):
                        return int(open(p).read())
    raise AssertionError(f"no {controller} cgroup for {pid}")


def bundle(agentd, name):
    p = agentd.pod("default", f"{name}-testnode")
    cid = p["status"]["containerStatuses"][0]["containerID"].split("://")[1]
    with open(os.path.join(agentd.root, "containers", cid,
                           "config.json")) as f:
        return f.read()


def test_int64_max_memory_and_cpu_start_clamped(pod_agentd):
    a = pod_agentd
    a.write_manifest("big.yaml", manifest(
        "big", "exec sleep 1000",
        extra_ctr=limits(f"{INT64_MAX}m", str(INT64_MAX))))
    wait_pod(a, "big", running)
    text = bundle(a, "big")
    assert f'"limit":\t{INT64_MAX}' in text or f'"limit": {INT64_MAX}' \
        in text, text
    assert "e+" not in text
    pid = container_pid(a, "big")
    assert cgroup_value(pid, "cpu", "cpu.shares") == 262144
    assert cgroup_value(pid, "cpu", "cpu.cfs_quota_us") == CFS_QUOTA_MAX
    assert cgroup_value(pid, "cpu", "cpu.cfs_period_us") == 100000
    # the kernel rounds down to a page
    assert cgroup_value(pid, "memory", "memory.limit_in_bytes") > 2**62


def test_exbibytes_and_exponent_memory_start(pod_agentd):
    a = pod_agentd
    a.write_manifest("ei.yaml", manifest(
        "ei", "exec sleep 1000", extra_ctr=limits("256001m", "7Ei")))
    a.write_manifest("ex.yaml", manifest(
        "ex", "exec sleep 1000", extra_ctr=limits("256", "1e18")))
    wait_pod(a, "ei", running)
    wait_pod(a, "ex", running)
    assert str(7 << 60) in bundle(a, "ei")
    assert "1000000000000000000" in bundle(a, "ex")
    for name in ("ei", "ex"):     # 256 and 256.001 CPUs: MaxShares
        assert cgroup_value(container_pid(a, name), "cpu",
                            "cpu.shares") == 262144


def test_past_int64_is_rejected_with_reason(pod_agentd):
    a = pod_agentd
    a.write_manifest("ok.yaml", manifest("ok", "exec sleep 1000"))
    a.write_manifest("over.yaml", manifest(
        "over", "exec sleep 1000",
        extra_ctr=limits("1", str(INT64_MAX + 1))))
    a.write_manifest("overcpu.yaml", manifest(
        "overcpu", "exec sleep 1000",
        extra_ctr=limits(f"{INT64_MAX + 1}m", "1Mi")))
    wait_pod(a, "ok", running)

    def rejects():
        return {r["details"].get("file"): r for r in a.audit_records()
                if r["action"] == "manifest.reject"}
    wait_for(lambda: {"over.yaml", "overcpu.yaml"} <= set(rejects()), 10,
             what="both rejected")
    r = rejects()
    assert r["over.yaml"]["details"]["field"] == \
        "spec.containers[0].resources.limits.memory"
    assert "too large" in r["over.yaml"]["error"]
    assert r["overcpu.yaml"]["details"]["field"] == \
        "spec.containers[0].resources.limits.cpu"
    assert "too large" in r["overcpu.yaml"]["error"]
    assert [p["metadata"]["name"] for p in a.pods_json()["items"]] == \
        ["ok-testnode"]
