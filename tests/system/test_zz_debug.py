import json
from test_apimode import create, api_pod, wait_kubectl, cstat, api_agentd  # noqa

def test_dbg(api_agentd):
    a = api_agentd
    create(a, api_pod("crash", "sleep 1; exit 3"))
    p = wait_kubectl(a, "crash", lambda p: (cstat(p) or {}).get(
        "restartCount", 0) >= 2, 90, "restartCount >= 2")
    for r in a.api.requests_to("PATCH", "crash/status"):
        print(r.body.decode()[:1500])
    print(json.dumps(cstat(p)))
    print(json.dumps(cstat(a.local_pod("crash"))))
    assert 0
