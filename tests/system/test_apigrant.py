"""API mode, agentd's side (issue 12, items 1 and 2): the kubeconfig at
start, and the sockets agentd connects for the API workers.

agentd reads the kubeconfig before any worker runs and refuses to start,
naming the file and the field, on a bad one.  A watcher or reporter asks
for each connection (MSG_API_CONNECT); agentd connects to the kubeconfig's
server and no other, audits the grant (api.connect) and passes the socket
back (MSG_API_SOCKET), or says why not (MSG_API_REFUSED).  The socket tests
drive the compromised watcher of test_hostile.py (tests/tools/fakewatcher.c,
attacks "apiconnect N": N requests, at most 4 unanswered; "apiburst N": all
at once) against the test API server (kube_api).
"""
import datetime
import os
import re
import socket
import subprocess
import time

import pytest

from harness import Agentd, wait_for
from test_hostile import assert_untouched, attack, hostile_agentd, \
    stop_attack, violations

MAX_INPROGRESS = 4      # APIGRANT_MAX_INPROGRESS (agentd/agentd.h)
MAX_PER_WINDOW = 60     # APIGRANT_MAX_PER_WINDOW
WINDOW_S = 60           # APIGRANT_WINDOW_S
TIMEOUT_S = 10          # APIGRANT_TIMEOUT_MS
TOO_MANY = "too many connection requests"


def api_records(a, actor="watcher", outcome=None):
    return [r for r in a.audit_records()
            if r["action"] == "api.connect" and r.get("actor") == actor and
            (outcome is None or r.get("outcome") == outcome)]


def rec_time(r):
    return datetime.datetime.strptime(r["time"][:26],
                                      "%Y-%m-%dT%H:%M:%S.%f")


def counts(a, role="watcher"):
    return a.status()["api"]["workers"][role]


def fake_lines(a, what):
    return re.findall(rf"fake: api {what}.*", a.log())


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def tcp_peers_of(pid):
    """The remote (address, port) of every TCP socket pid holds, from
    /proc (the fake's seccomp filter has no getpeername): agentd made the
    sockets, so they are in its network namespace, the test's."""
    inodes = set()
    fd_dir = f"/proc/{pid}/fd"
    for fd in os.listdir(fd_dir):
        try:
            link = os.readlink(os.path.join(fd_dir, fd))
        except FileNotFoundError:
            continue
        m = re.fullmatch(r"socket:\[(\d+)\]", link)
        if m:
            inodes.add(m.group(1))
    peers = []
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            cols = line.split()
            if cols[9] in inodes:
                addr, port = cols[2].split(":")
                ip = socket.inet_ntoa(bytes.fromhex(addr)[::-1])
                peers.append((ip, int(port, 16)))
    return peers


# ---- the kubeconfig at start ----

def test_standalone_status_says_so(testbuild_dir):
    a = Agentd(testbuild_dir)
    try:
        assert a.status()["api"] == {"mode": "standalone"}
        out = a.agentctl("status").stdout
        assert "api: none (standalone)" in out.splitlines(), out
    finally:
        a.cleanup()


@pytest.mark.parametrize("use_token,cred", [(True, "token"),
                                            (False, "client certificate")])
def test_good_kubeconfig_starts_and_status_shows_the_server(
        testbuild_dir, kube_api, use_token, cred):
    kc = kube_api.node_kubeconfig("testnode", use_token=use_token)
    a = Agentd(testbuild_dir, extra_config={"kubeconfig": kc})
    try:
        api = a.status()["api"]
        assert api["mode"] == "api"
        assert api["server"] == f"https://127.0.0.1:{kube_api.port}"
        assert api["credentials"] == cred
        assert api["kubeconfig"] == kc
        assert api["insecure"] is False
        out = a.agentctl("status").stdout
        assert re.search(rf"^api: https://127\.0\.0\.1:{kube_api.port} "
                         rf"\({cred}\), \d+ grants$", out, re.M), out
        assert f"API mode: kubeconfig {kc}" in a.log()
        # the workers came up with their credentials and stay up
        time.sleep(2)
        st = a.status()
        assert all(p["restarts"] == 0 and p["state"] == "running"
                   for p in st["processes"]), st
    finally:
        a.cleanup()


def write_kubeconfig(kube_api, tmp_path, text):
    path = str(tmp_path / "bad.kubeconfig")
    with open(path, "w") as f:
        f.write(text.replace("@SERVER@", kube_api.url)
                .replace("@CA@", kube_api.ca_path))
    return path


KC = """apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: @SERVER@
@CLUSTER@
contexts:
- name: test
  context: {cluster: test, user: u}
current-context: test
users:
- name: u
  user:
@USER@
"""


def kubeconfig_text(cluster="    certificate-authority: @CA@",
                    user="    token: abc"):
    return KC.replace("@CLUSTER@", cluster).replace("@USER@", user)


def refused_start(build, cfg):
    """agentd's exit status and log when it must refuse to start; and
    agentd -n's verdict on the same configuration."""
    a = Agentd(build, extra_config=cfg, start=False)
    try:
        check = subprocess.run([os.path.join(build, "agentd"), "-n", "-f",
                                a.config], capture_output=True, text=True,
                               timeout=30)
        r = subprocess.run([os.path.join(build, "agentd"), "-f", a.config],
                           capture_output=True, text=True, timeout=30)
        return r, check, a.audit_records()
    finally:
        a.cleanup()


@pytest.mark.parametrize("case,text,expect", [
    ("missing", None, ["No such file or directory"]),
    ("http", kubeconfig_text().replace("@SERVER@", "http://127.0.0.1:1"),
     ["clusters[0].cluster: server:", "only https://"]),
    ("exec", kubeconfig_text(user="    exec: {command: x}"),
     ["users[0].user", "exec"]),
    ("no-ca", kubeconfig_text(cluster=""),
     ["cluster \"test\"", "certificate-authority: required"]),
    ("insecure", kubeconfig_text(cluster="    insecure-skip-tls-verify: "
                                         "true"),
     ["insecure-skip-tls-verify", "allowInsecureAPIServer"]),
])
def test_bad_kubeconfig_refuses_to_start(testbuild_dir, kube_api, tmp_path,
                                         case, text, expect):
    path = str(tmp_path / "absent.kubeconfig") if text is None else \
        write_kubeconfig(kube_api, tmp_path, text)
    r, check, records = refused_start(testbuild_dir, {"kubeconfig": path})
    assert r.returncode != 0
    lines = [ln for ln in r.stderr.splitlines() if path in ln]
    assert len(lines) == 1, r.stderr
    for e in expect:
        assert e in lines[0], lines[0]
    assert "started" not in r.stderr        # no worker ran
    assert check.returncode != 0 and path in check.stderr, check.stderr
    for e in expect:
        assert e in check.stderr
    failed = [x for x in records if x["action"] == "config.load" and
              x["outcome"] == "failed"]
    assert len(failed) == 1 and failed[0]["details"]["kubeconfig"] == path


def test_insecure_kubeconfig_with_allow_starts(testbuild_dir, kube_api,
                                               tmp_path):
    path = write_kubeconfig(kube_api, tmp_path, kubeconfig_text(
        cluster="    insecure-skip-tls-verify: true"))
    a = Agentd(testbuild_dir, extra_config={"kubeconfig": path,
                                            "allowInsecureAPIServer":
                                            "true"})
    try:
        assert a.status()["api"]["insecure"] is True
    finally:
        a.cleanup()


# ---- the socket grant, driven by a compromised watcher ----

@pytest.fixture
def api_hostile(testbuild_dir, busybox_image, fake_libexec, kube_api):
    kc = kube_api.node_kubeconfig("testnode", use_token=True)
    yield from hostile_agentd(testbuild_dir, busybox_image, fake_libexec,
                              kubeconfig=kc)


def hostile_with_server(testbuild_dir, busybox_image, fake_libexec,
                        kube_api, tmp_path, server):
    kc = kube_api.kubeconfig(str(tmp_path / "other.kubeconfig"),
                             token="abc", server=server)
    return hostile_agentd(testbuild_dir, busybox_image, fake_libexec,
                          kubeconfig=kc)


def test_grants_are_audited_and_connected_to_the_server(api_hostile,
                                                        kube_api):
    a = api_hostile
    creds = fake_lines(a, "creds")
    assert creds, a.log()
    m = re.search(r"host=(\S+) port=(\d+) flags=(\d+) ca=(\d+) cert=(\d+) "
                  r"token=(\d+)", creds[0])
    assert m.group(1) == "127.0.0.1" and int(m.group(2)) == kube_api.port
    assert int(m.group(3)) == 0             # verified, no client cert
    assert int(m.group(4)) > 0 and int(m.group(5)) == 0
    assert int(m.group(6)) > 0
    assert not fake_lines(a, "signer")      # a token: nothing to sign
    attack(a, "apiconnect 5")
    wait_for(lambda: len(fake_lines(a, "socket")) == 5, 20,
             what="5 sockets granted")
    ok = api_records(a, outcome="ok")
    assert len(ok) == 5, ok
    for r in ok:
        d = r["details"]
        assert d["host"] == "127.0.0.1"
        assert d["port"] == str(kube_api.port)
        assert d["address"] == f"127.0.0.1:{kube_api.port}"
    assert sorted(int(r["details"]["id"]) for r in ok) == [1, 2, 3, 4, 5]
    # the sockets the fake holds are connections to the API server
    peers = tcp_peers_of(a.pid("watcher"))
    assert peers.count(("127.0.0.1", kube_api.port)) == 5, peers
    assert not fake_lines(a, "refused")
    m = re.search(r"^api: .* \(token\), (\d+) grants$",
                  a.agentctl("status").stdout, re.M)
    assert m and int(m.group(1)) >= 5       # and the reporter's
    assert counts(a)["grants"] == 5
    assert_untouched(a, "reporter", "watcher")
    assert not violations(a, "watcher")


def test_client_certificate_gets_a_signer_channel(
        testbuild_dir, busybox_image, fake_libexec, kube_api):
    kc = kube_api.node_kubeconfig("testnode")
    for a in hostile_agentd(testbuild_dir, busybox_image, fake_libexec,
                            kubeconfig=kc):
        creds = fake_lines(a, "creds")
        m = re.search(r"flags=(\d+) ca=(\d+) cert=(\d+) token=(\d+)",
                      creds[0])
        assert int(m.group(1)) == 2          # APICREDS_F_CERT
        assert int(m.group(3)) > 0 and int(m.group(4)) == 0
        assert fake_lines(a, "signer")
        assert "PRIVATE KEY" not in a.log()


def test_host_name_is_resolved(testbuild_dir, busybox_image, fake_libexec,
                               kube_api, tmp_path):
    for a in hostile_with_server(testbuild_dir, busybox_image, fake_libexec,
                                 kube_api, tmp_path,
                                 f"https://localhost:{kube_api.port}"):
        attack(a, "apiconnect 2")
        wait_for(lambda: len(fake_lines(a, "socket")) == 2, 20,
                 what="2 sockets granted")
        ok = api_records(a, outcome="ok")
        assert len(ok) == 2
        assert all(r["details"]["host"] == "localhost" for r in ok)
        # localhost may be ::1 first: that one is refused, 127.0.0.1 works
        assert all(r["details"]["address"] ==
                   f"127.0.0.1:{kube_api.port}" for r in ok), ok
        assert tcp_peers_of(a.pid("watcher")).count(
            ("127.0.0.1", kube_api.port)) == 2


def test_unresolvable_host_is_refused_with_the_reason(
        testbuild_dir, busybox_image, fake_libexec, kube_api, tmp_path):
    # .invalid never resolves (RFC 6761): NXDOMAIN, or no DNS server at all
    for a in hostile_with_server(testbuild_dir, busybox_image, fake_libexec,
                                 kube_api, tmp_path,
                                 "https://agentd-test.invalid:6443"):
        attack(a, "apiconnect 1")
        line = wait_for(lambda: fake_lines(a, "refused"), TIMEOUT_S + 15,
                        interval=0.5, what="the refusal")[0]
        assert "id=1: resolve agentd-test.invalid: " in line, line
        failed = api_records(a, outcome="failed")
        assert len(failed) == 1
        assert failed[0]["error"].startswith("resolve agentd-test.invalid: ")
        assert failed[0]["details"]["host"] == "agentd-test.invalid"
        assert "address" not in failed[0]["details"]
        assert_untouched(a, "reporter", "watcher")


def test_failed_connect_is_refused_with_the_reason(
        testbuild_dir, busybox_image, fake_libexec, kube_api, tmp_path):
    port = free_port()
    for a in hostile_with_server(testbuild_dir, busybox_image, fake_libexec,
                                 kube_api, tmp_path,
                                 f"https://127.0.0.1:{port}"):
        attack(a, "apiconnect 3")
        wait_for(lambda: len(fake_lines(a, "refused")) == 3, 20,
                 what="3 refusals")
        why = f"connect 127.0.0.1:{port}: Connection refused"
        assert all(line.endswith(why) for line in fake_lines(a, "refused"))
        failed = api_records(a, outcome="failed")
        assert len(failed) == 3
        assert all(r["error"] == why and
                   r["details"]["address"] == f"127.0.0.1:{port}"
                   for r in failed)
        assert counts(a)["failed"] == 3
        assert_untouched(a, "reporter", "watcher")


def test_past_the_rate_bound_refused_and_audited_once_a_minute(api_hostile,
                                                               kube_api):
    a = api_hostile
    extra = 10
    attack(a, f"apiconnect {MAX_PER_WINDOW + extra}")
    wait_for(lambda: len(fake_lines(a, "socket")) + len(
        fake_lines(a, "refused")) == MAX_PER_WINDOW + extra, 30,
        what="every request answered")
    assert len(fake_lines(a, "socket")) == MAX_PER_WINDOW
    refused = fake_lines(a, "refused")
    assert len(refused) == extra
    assert all(line.endswith(TOO_MANY) for line in refused)
    assert len(api_records(a, outcome="ok")) == MAX_PER_WINDOW
    assert tcp_peers_of(a.pid("watcher")).count(
        ("127.0.0.1", kube_api.port)) == MAX_PER_WINDOW
    # the first refusal at once; the other 9 wait for the minute to end
    first = api_records(a, outcome="refused")
    assert len(first) == 1 and first[0]["details"]["refused"] == "1"
    assert first[0]["error"] == TOO_MANY
    time.sleep(5)
    assert len(api_records(a, outcome="refused")) == 1
    # not killed, not restarted: refused requests are no violation
    assert_untouched(a, "reporter", "watcher")
    summary = wait_for(
        lambda: api_records(a, outcome="refused")[1:], WINDOW_S + 15,
        interval=1, what="the refusals' summary")
    assert len(summary) == 1
    assert summary[0]["details"]["refused"] == str(extra - 1)
    gap = (rec_time(summary[0]) - rec_time(first[0])).total_seconds()
    assert gap >= WINDOW_S, gap
    assert len(re.findall(r"API connection requests? refused", a.log())) \
        == 2
    assert counts(a)["refused"] == extra
    assert_untouched(a, "reporter", "watcher")
    stop_attack(a)


def test_a_restarted_watcher_gets_credentials_but_no_fresh_quota(
        api_hostile, kube_api):
    a = api_hostile
    attack(a, f"apiconnect {MAX_PER_WINDOW}")
    wait_for(lambda: len(fake_lines(a, "socket")) == MAX_PER_WINDOW, 30,
             what="a window's worth of sockets")
    before = len(a.log())
    os.kill(a.pids["watcher"], 9)
    new = a.wait_new_pid("watcher", a.pids["watcher"], timeout=20)

    def since():
        return a.log()[before:]
    # the new one is handed the credentials again, on its own channel,
    # and replays the attack: every request refused, none killed
    wait_for(lambda: len(re.findall(r"fake: api refused.*",
                                    since())) == MAX_PER_WINDOW, 30,
             what="the new watcher's requests refused")
    assert re.search(rf"fake: api creds host=127\.0\.0\.1 "
                     rf"port={kube_api.port} ", since())
    assert "fake: api socket" not in since()
    assert all(line.endswith(TOO_MANY) for line in
               re.findall(r"fake: api refused.*", since()))
    assert len(api_records(a, outcome="ok")) == MAX_PER_WINDOW
    assert len(api_records(a, outcome="refused")) == 1
    assert a.pid("watcher") == new
    assert not violations(a, "watcher")
    assert_untouched(a, "reporter")
    stop_attack(a)


def test_in_progress_bound_and_connect_timeout(
        testbuild_dir, busybox_image, fake_libexec, kube_api, tmp_path):
    # a listener that never accepts, its queue full: SYNs are dropped and
    # each connect hangs until agentd's timeout
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(0)
    port = hole.getsockname()[1]
    fillers = []
    for _ in range(2):
        c = socket.socket()
        c.setblocking(False)
        c.connect_ex(("127.0.0.1", port))
        fillers.append(c)
    time.sleep(0.5)
    try:
        for a in hostile_with_server(testbuild_dir, busybox_image,
                                     fake_libexec, kube_api, tmp_path,
                                     f"https://127.0.0.1:{port}"):
            t0 = time.monotonic()
            attack(a, "apiburst 10")
            wait_for(lambda: len(fake_lines(a, "refused")) >= 6, 20,
                     what="6 refused at once")
            early = fake_lines(a, "refused")
            assert len(early) == 10 - MAX_INPROGRESS, early
            assert all(line.endswith(TOO_MANY) for line in early)
            assert time.monotonic() - t0 < TIMEOUT_S - 2
            wait_for(lambda: len(fake_lines(a, "refused")) == 10,
                     TIMEOUT_S + 15, interval=0.5, what="the timeouts")
            assert time.monotonic() - t0 >= TIMEOUT_S - 1
            late = fake_lines(a, "refused")[6:]
            why = f"connect 127.0.0.1:{port}: timed out"
            assert all(line.endswith(why) for line in late), late
            failed = api_records(a, outcome="failed")
            assert len(failed) == MAX_INPROGRESS
            assert all(r["error"] == why for r in failed)
            assert not fake_lines(a, "socket")
            refused = api_records(a, outcome="refused")
            assert len(refused) == 1        # the rest in a minute
            assert_untouched(a, "reporter", "watcher")
    finally:
        for c in fillers:
            c.close()
        hole.close()


def test_connect_without_api_mode_ends_the_watcher(testbuild_dir,
                                                   busybox_image,
                                                   fake_libexec):
    for a in hostile_agentd(testbuild_dir, busybox_image, fake_libexec):
        attack(a, "apiconnect 1")
        wait_for(lambda: [r for r in violations(a, "watcher")
                          if "without API mode" in (r.get("error") or "")],
                 20, interval=0.2, what="the watcher ended")
        stop_attack(a)
        a.wait_new_pid("watcher", a.pids["watcher"], timeout=20)
        assert not api_records(a)
        assert_untouched(a, "reporter")


def test_no_grant_without_its_audit_record(testbuild_dir, fake_libexec,
                                          kube_api):
    """The audit log fails closed: a socket whose grant cannot be recorded
    is not handed over, and grants resume once it can."""
    kc = kube_api.node_kubeconfig("testnode", use_token=True)
    a = Agentd(testbuild_dir, start=False,
               extra_config={"libexecDir": fake_libexec, "kubeconfig": kc})
    auditdir = os.path.dirname(a.audit)
    os.makedirs(auditdir)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs",
                    auditdir], check=True)
    try:
        a.start()
        filler = os.path.join(auditdir, "filler")
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=16k"],
                       capture_output=True)
        attack(a, "apiconnect 40")
        wait_for(lambda: len(fake_lines(a, "socket")) + len(
            fake_lines(a, "refused")) == 40, 30, what="40 answers")
        assert "AUDIT LOG UNWRITABLE" in a.log()
        refused = fake_lines(a, "refused")
        assert refused and all("not granted: the audit log cannot be "
                               "written" in line for line in refused)
        # every socket the watcher got is in the log (the last page of
        # the file may have taken a few before it filled)
        granted = len(fake_lines(a, "socket"))
        assert len(api_records(a, outcome="ok")) == granted
        assert tcp_peers_of(a.pid("watcher")).count(
            ("127.0.0.1", kube_api.port)) == granted
        os.unlink(filler)
        attack(a, "apiconnect 2")
        wait_for(lambda: len(fake_lines(a, "socket")) == granted + 2, 20,
                 what="grants again")
        assert len(api_records(a, outcome="ok")) == granted + 2
        v = a.agentctl("audit", "verify", a.audit, check=False)
        assert v.returncode == 0, v.stdout + v.stderr
    finally:
        try:
            a.cleanup()
        finally:
            subprocess.run(["umount", "-l", auditdir], capture_output=True)


# ---- documentation ----

def test_every_parent_audit_action_is_documented():
    """Each action agentd itself writes (agentd/*.c) is listed in
    agentd-audit(5); api.connect among them."""
    top = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    src = ""
    for name in sorted(os.listdir(os.path.join(top, "agentd"))):
        if name.endswith(".c"):
            with open(os.path.join(top, "agentd", name)) as f:
                src += f.read()
    with open(os.path.join(top, "docs", "man", "agentd-audit.5")) as f:
        page = f.read()
    actions = set(re.findall(r'"([a-z]+\.[a-z_]+)"', src)) - {
        a for a in re.findall(r'"([a-z]+\.[a-z_]+)"', src)
        if a.endswith((".h", ".conf", ".sock"))}
    assert "api.connect" in actions
    missing = [a for a in sorted(actions)
               if not re.search(rf"^\.Li {re.escape(a)}\b", page, re.M)]
    assert not missing, missing


def credential_records(a, actor="watcher"):
    return [r for r in a.audit_records()
            if r["action"] == "api.credentials" and r.get("actor") == actor]


def test_forged_credential_claims_get_one_record_a_minute(api_hostile):
    """A compromised watcher claiming refusals, each with a new reason
    and accepted in between, gets one api.credentials record at once and
    one with the latest claim and their count when the minute is over:
    it cannot flood the audit log through MSG_API_AUTH."""
    a = api_hostile
    attack(a, "authflood 200")
    first = wait_for(lambda: credential_records(a), 10,
                     what="the first claim recorded")
    assert len(first) == 1
    assert first[0]["outcome"] == "refused"
    assert first[0]["error"] == "forged refusal 0"
    time.sleep(5)
    assert len(credential_records(a)) == 1
    assert len(re.findall(r"watcher: the API server .* refuses",
                          a.log())) == 1
    later = wait_for(lambda: credential_records(a)[1:], 75, interval=1,
                     what="the latest claim after the minute")
    assert len(later) == 1
    # the 200th claim (accepted) and the 199 after the first
    assert later[0]["outcome"] == "ok", later
    assert later[0]["details"]["reports"] == "199"
    gap = (rec_time(later[0]) - rec_time(first[0])).total_seconds()
    assert gap >= 59, gap
    assert_untouched(a, "reporter", "watcher")
    stop_attack(a)
