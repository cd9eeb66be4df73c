#!/usr/bin/python3
"""A Kubernetes API test server for agentd's suite: HTTPS with a test CA,
client-certificate and bearer-token authentication, a Node-authorizer-like
policy for nodes, and the pods / nodes / leases / events / namespaces
resources with the real server's list, watch, patch and delete semantics,
enough for real kubectl.

In a test:  api = KubeAPI(workdir); api.start(); ...; api.stop()
By hand:    tests/apiserver/kubeapi.py --dir /tmp/kapi [--port 6443]
            (prints the URL and writes admin.kubeconfig and, per --node,
            node-NAME.kubeconfig)

The test hooks (KubeAPI methods, or admin-only POST /_test/HOOK from
another process) make the server do what a real one does rarely: split
watch events across chunk boundaries, end or drop every watch, send an
in-stream error or raw bytes, forget its watch history (410 Gone on the next
watch), fail the next requests with a Status (500, 429 + Retry-After).

Python 3 standard library only (Debian 12's python3), plus the openssl tool
for the certificates (kubepki.py).
"""
import argparse
import base64
import collections
import copy
import email.utils
import gzip
import io
import json
import os
import random
import re
import select
import socket
import ssl
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kubeobj as ko  # noqa: E402
import kubepatch  # noqa: E402
from kubepki import CertAuthority  # noqa: E402

VERSION = {
    "major": "1", "minor": "32", "gitVersion": "v1.32.0-agentd-test",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean", "buildDate": "2024-12-11T00:00:00Z",
    "goVersion": "go1.23.3", "compiler": "gc", "platform": "linux/amd64",
}

MAX_BODY = 3 * 1024 * 1024      # the real server's request body limit
HISTORY_WINDOW = 1000           # watch events kept (the watch cache's size)
BOOKMARK_INTERVAL = 60.0        # the cacher's bookmarkFrequency
MIN_REQUEST_TIMEOUT = 1800      # --min-request-timeout: watch length
TOO_LARGE_WAIT = 3.0            # how long a watch waits for a future RV
HANDSHAKE_TIMEOUT = 10.0
PEER_CHECK = 1.0                # how often a quiet watch looks at its peer
IDLE_TIMEOUT = 120.0            # a keep-alive connection with no request
REQUEST_LOG = 10000
GZIP_THRESHOLD = 128 * 1024     # apiserver's defaultGzipThresholdBytes
FLOWSCHEMA = uuid.uuid4()       # one per server, as one per flow schema
PRIOLEVEL = uuid.uuid4()

PATCH_TYPES = ("application/json-patch+json",
               "application/merge-patch+json",
               "application/strategic-merge-patch+json")
PREALLOCATED_NAMESPACES = ("default", "kube-system", "kube-public",
                           "kube-node-lease")
NODE_LEASE_NS = "kube-node-lease"
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"

REASONS = {200: "OK", 201: "Created", 400: "Bad Request",
           401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           405: "Method Not Allowed", 406: "Not Acceptable",
           409: "Conflict", 410: "Gone", 413: "Request Entity Too Large",
           415: "Unsupported Media Type", 422: "Unprocessable Entity",
           429: "Too Many Requests", 500: "Internal Server Error",
           503: "Service Unavailable", 504: "Gateway Timeout"}


class User:
    def __init__(self, name, groups):
        self.name = name
        self.groups = list(groups) + ["system:authenticated"]

    @property
    def node(self):
        if "system:nodes" in self.groups and \
                self.name.startswith("system:node:"):
            return self.name[len("system:node:"):]
        return None

    @property
    def admin(self):
        return "system:masters" in self.groups


class WatchEvent:
    __slots__ = ("rv", "storage", "type", "key", "obj", "prev")

    def __init__(self, rv, storage, etype, key, obj, prev):
        self.rv, self.storage, self.type = rv, storage, etype
        self.key, self.obj, self.prev = key, obj, prev


class Watch:
    """One open watch; the hooks queue actions on it."""

    def __init__(self, user, res):
        self.user, self.res = user, res
        self.actions = collections.deque()


class Request:
    """What the server saw, for tests to assert on (api.requests)."""

    def __init__(self, method, path, query, headers, body, user):
        self.method, self.path, self.query = method, path, query
        self.headers, self.body, self.user = headers, body, user
        self.code = None
        self.time = time.time()

    def json(self):
        return json.loads(self.body) if self.body else None

    def __repr__(self):
        return f"<{self.method} {self.path} {self.code}>"


class KubeAPI:
    def __init__(self, workdir, port=0, history=HISTORY_WINDOW,
                 bookmark_interval=BOOKMARK_INTERVAL,
                 min_request_timeout=MIN_REQUEST_TIMEOUT,
                 expired_in_stream=True, ca=None):
        self.workdir = os.path.abspath(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.ca = ca or CertAuthority(os.path.join(self.workdir, "pki"))
        self.server_cert = self.ca.server_cert()
        self.ca_path = self.ca.cert
        self.port = port
        self.tokens = {}
        self.cond = threading.Condition()
        self.objects = {}                   # (storage, ns, name) -> obj
        self.rv = 1
        self.history = collections.deque(maxlen=history)
        self.floor = 1                      # oldest RV a watch can start at
        self.bookmark_interval = bookmark_interval
        self.min_request_timeout = min_request_timeout
        self.too_large_wait = TOO_LARGE_WAIT
        # the watch cache answers a too-old RV with HTTP 200 and an ERROR
        # event (cacher.go newErrWatcher); False: an HTTP 410 instead
        self.expired_in_stream = expired_in_stream
        self.watches = set()
        self.chunking = None                # None | int | "across"
        self.faults = []                    # [(method, path regex, n, ...)]
        self.requests = collections.deque(maxlen=REQUEST_LOG)
        self.conns = set()
        self.connections = 0    # accepted so far (tests count reuse)
        self.httpd = None
        self.thread = None
        self.admin_token = self.add_token("admin", ["system:masters"])
        with self.cond:
            for ns in PREALLOCATED_NAMESPACES:
                self._seed_namespace(ns)

    # --- lifecycle -----------------------------------------------------------

    def start(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(*self.server_cert)
        ctx.load_verify_locations(self.ca_path)
        ctx.verify_mode = ssl.CERT_OPTIONAL
        ctx.set_alpn_protocols(["http/1.1"])
        self.tls = ctx
        self.httpd = _Server(("127.0.0.1", self.port), _Handler, self)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.1},
                                       daemon=True)
        self.thread.start()
        return self

    def stop(self):
        """Stop listening and drop every connection; the objects stay, so
        start() again is an API server that came back (same port)."""
        if self.httpd is None:
            return
        self.httpd.shutdown()
        self.httpd.server_close()
        with self.cond:
            conns = list(self.conns)
            for w in self.watches:
                w.actions.append(("drop",))
            self.cond.notify_all()
        for c in conns:
            _shutdown(c)
        self.thread.join(5)
        self.httpd = None

    @property
    def url(self):
        return f"https://127.0.0.1:{self.port}"

    # --- credentials ---------------------------------------------------------

    def add_token(self, user, groups=(), token=None):
        token = token or uuid.uuid4().hex
        self.tokens[token] = User(user, groups)
        return token

    def node_token(self, node):
        return self.add_token("system:node:" + node, ["system:nodes"])

    def node_cert(self, node, expired=False):
        return self.ca.node_cert(node, expired=expired)

    def kubeconfig(self, path, user="admin", token=None, cert=None,
                   server=None, ca=None, embed=False, token_file=None):
        """Write a kubeconfig (YAML as kubectl writes it; JSON would do
        too, but agentd reads YAML) with a token, a token file or a client
        cert; EMBED puts the CA, cert and key in as -data (base64)."""
        def ref(key, path):
            if not embed:
                return f"    {key}: {path}"
            with open(path, "rb") as f:
                return f"    {key}-data: " + \
                    base64.b64encode(f.read()).decode()
        lines = ["apiVersion: v1", "kind: Config", "clusters:",
                 "- cluster:", ref("certificate-authority", ca or
                                   self.ca_path),
                 f"    server: {server or self.url}", "  name: test",
                 "contexts:", "- context:", "    cluster: test",
                 f"    user: {user}", "  name: test",
                 "current-context: test", "preferences: {}", "users:",
                 f"- name: {user}", "  user:"]
        if cert:
            lines += [ref("client-certificate", cert[0]),
                      ref("client-key", cert[1])]
        elif token_file:
            lines.append(f"    tokenFile: {token_file}")
        else:
            lines.append(f"    token: {token or self.admin_token}")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(path, 0o600)
        return path

    def admin_kubeconfig(self, path=None):
        return self.kubeconfig(path or os.path.join(self.workdir,
                                                    "admin.kubeconfig"))

    def node_kubeconfig(self, node, path=None, use_token=False,
                        embed=False, expired=False):
        """A kubelet's kubeconfig for NODE: its client certificate
        (EXPIRED: one whose validity ended in 2020), or a bearer token."""
        path = path or os.path.join(self.workdir, f"node-{node}.kubeconfig")
        if use_token:
            return self.kubeconfig(path, "node-" + node,
                                   token=self.node_token(node), embed=embed)
        return self.kubeconfig(path, "node-" + node, embed=embed,
                               cert=self.node_cert(node, expired=expired))

    # --- test hooks ----------------------------------------------------------

    def _to_watches(self, action, resource=None):
        with self.cond:
            n = 0
            for w in self.watches:
                if resource is None or w.res.name == resource:
                    w.actions.append(action)
                    n += 1
            self.cond.notify_all()
        return n

    def end_watches(self, resource=None):
        """End every watch as a timeout does: the terminating chunk."""
        return self._to_watches(("end",), resource)

    def drop_watches(self, resource=None):
        """Close every watch's connection with no terminating chunk."""
        return self._to_watches(("drop",), resource)

    def close_mid_chunk(self, resource=None):
        """Announce a chunk, send half of it, close the connection."""
        return self._to_watches(("midchunk",), resource)

    def send_raw(self, data, resource=None):
        """Send DATA (bytes) as one chunk on every watch: garbage, an
        oversized line, half an event."""
        return self._to_watches(("raw", data), resource)

    def send_unframed(self, data, resource=None):
        """Write DATA (bytes) on every watch outside the chunk framing (a
        broken chunk-size line, say), then close the connection."""
        return self._to_watches(("unframed", data), resource)

    def send_bookmark(self, resource=None):
        return self._to_watches(("bookmark",), resource)

    def expire_watches(self, resource=None):
        """An ERROR event with a 410 Expired Status, then the end."""
        st = ko.expired(f"too old resource version: {self.floor} "
                        f"({self.rv})").status()
        return self._to_watches(("error", st), resource)

    def set_chunking(self, mode):
        """None: one chunk per event, as the real server; N: each event
        in chunks of N bytes; "across": every chunk ends inside an event
        (the rest of it starts the next chunk)."""
        self.chunking = mode

    def set_history(self, window):
        """Keep only the last WINDOW watch events from now on."""
        with self.cond:
            self.history = collections.deque(self.history, maxlen=window)
            if self.history:
                self.floor = max(self.floor, self.history[0].rv - 1)

    def compact(self):
        """Forget the watch history: a watch from any RV before now gets
        410 Expired, as after an etcd compaction."""
        with self.cond:
            self.history.clear()
            self.floor = self.rv
            self.cond.notify_all()

    def fail_next(self, code, method=None, path=".*", count=1,
                  retry_after=None, delay=0.0, message=None):
        """Answer the next COUNT requests matching METHOD and PATH (a
        regex on the path) with a Status of CODE.  Faults are for the
        client under test: the test's own admin requests never get one."""
        reason = {429: "TooManyRequests", 500: "InternalError",
                  503: "ServiceUnavailable", 504: "Timeout"}.get(
                      code, "Unknown")
        msg = message or {429: "Too many requests, please try again later.",
                          500: "Internal error occurred: injected"}.get(
                              code, "injected fault")
        hdr = [("Retry-After", str(retry_after))] if retry_after else []
        details = {"retryAfterSeconds": retry_after} if retry_after else None
        with self.cond:
            self.faults.append([method, re.compile(path), count, delay,
                                ko.APIError(code, reason, msg, details,
                                            hdr)])

    def delay_next(self, seconds, method=None, path=".*", count=1):
        with self.cond:
            self.faults.append([method, re.compile(path), count, seconds,
                                None])

    def _fault(self, method, path, user=None):
        if user == "admin":
            return 0.0, None
        with self.cond:
            for f in self.faults:
                if (f[0] is None or f[0] == method) and f[1].search(path):
                    f[2] -= 1
                    if f[2] <= 0:
                        self.faults.remove(f)
                    return f[3], f[4]
        return 0.0, None

    def requests_to(self, method=None, path=""):
        return [r for r in list(self.requests)
                if (method is None or r.method == method)
                and re.search(path, r.path)]

    # --- the store -----------------------------------------------------------

    def _seed_namespace(self, name):
        obj = {"metadata": {"name": name}}
        ko.namespace_prepare_create(obj)
        self._stamp_new(obj)
        self._commit(_res("namespaces"), ("namespaces", "", name), obj,
                     "ADDED")

    @staticmethod
    def _stamp_new(obj):
        m = obj["metadata"]
        m["uid"] = ko.new_uid()
        m["creationTimestamp"] = ko.now_rfc3339()

    def _commit(self, res, key, obj, etype):
        """Store OBJ (None: delete) at KEY with the next RV; caller holds
        self.cond (or is the constructor).

        A stored object is never changed in place (a write stores a new
        one, which may share the parts it did not change), so the store,
        the history and responses being written share them without
        copies."""
        self.rv += 1
        prev = self.objects.get(key)
        if obj is None:
            obj = _with_meta(prev)
            del self.objects[key]
        else:
            self.objects[key] = obj
        obj["metadata"]["resourceVersion"] = str(self.rv)
        if self.history.maxlen and len(self.history) == self.history.maxlen:
            self.floor = self.history[0].rv
        self.history.append(WatchEvent(self.rv, res.storage, etype, key,
                                       obj, prev))
        self.cond.notify_all()
        return obj

    def get(self, storage, ns, name):
        """An object as stored (a copy), or None: for tests."""
        with self.cond:
            o = self.objects.get((storage, ns or "", name))
            return copy.deepcopy(o) if o else None

    def put(self, storage, obj):
        """Store OBJ as the admin would create it (tests' shortcut)."""
        res = next(r for r in ko.RESOURCES if r.storage == storage)
        body = json.dumps(obj).encode()
        ns = obj.get("metadata", {}).get("namespace", "default") \
            if res.namespaced else ""
        code, out, _ = self.call("POST", res, ns, None, None, body, {},
                                 User("admin", ["system:masters"]))
        if code >= 300:
            raise ko.APIError(code, out.get("reason"), out.get("message"))
        return copy.deepcopy(out)

    def call(self, method, res, ns, name, sub, body, query, user,
             ctype="application/json", manager="test"):
        """(code, object or Status, warnings)"""
        ops = _Ops(self, res, ns, name, sub, query, user, manager)
        try:
            with self.cond:
                code, out = ops.run(method, body, ctype)
                return code, out, ops.warnings
        except ko.APIError as e:
            return e.code, e.status(), ops.warnings


def _res(name, group=""):
    for r in ko.RESOURCES:
        if r.name == name and r.group == group:
            return r
    raise KeyError(name)


def _with_meta(obj):
    """A copy of OBJ whose metadata (only) may be changed."""
    return dict(obj, metadata=dict(obj["metadata"]))


def _shutdown(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _peer_gone(sock):
    """A watch's client sends nothing until it closes the connection
    (close_notify, FIN): anything readable means it is gone, and the watch
    ends then instead of at its next event."""
    try:
        r, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(r)


def _fieldsv1(body):
    """managedFields' FieldsV1 for the fields a request set (a sketch of
    structured-merge-diff's set: maps as f:, keyed lists as k:{...})."""
    if not isinstance(body, dict):
        return {}
    out = {}
    for k, v in body.items():
        if k in ("apiVersion", "kind") or k.startswith("$"):
            continue
        if isinstance(v, dict):
            out["f:" + k] = _fieldsv1(v)
        elif isinstance(v, list) and v and all(
                isinstance(x, dict) and "name" in x for x in v):
            out["f:" + k] = {".": {}, **{
                "k:" + ko.dumps({"name": x["name"]}): {".": {},
                                                       **_fieldsv1(x)}
                for x in v}}
        else:
            out["f:" + k] = {}
    return out


class _Ops:
    """One write or read against the store, under KubeAPI.cond: the
    generic registry (k8s.io/apiserver/pkg/registry/generic/registry/
    store.go) with the resource's strategy hooks."""

    def __init__(self, api, res, ns, name, sub, query, user, manager):
        self.api, self.res, self.ns, self.name = api, res, ns or "", name
        self.sub, self.q, self.user = sub, query, user
        self.manager = manager
        self.key = (res.storage, self.ns, name)
        self.warnings = []

    def _prune(self, obj):
        """Drop the fields the kind does not have, as decoding into the Go
        type does, with fieldValidation's answer: Strict refuses, Warn (the
        default) warns, Ignore says nothing.  Only the top level and
        metadata are known here; deeper unknown fields are kept."""
        unknown = [k for k in obj if k not in self.res.top_fields]
        meta = obj.get("metadata")
        if isinstance(meta, dict):
            unknown += ["metadata." + k for k in meta
                        if k not in ko.META_FIELDS]
        if not unknown:
            return obj
        mode = self.q.get("fieldValidation", ["Warn"])[0]
        if mode == "Strict":
            raise ko.bad_request("strict decoding error: " + ", ".join(
                f'unknown field "{u}"' for u in unknown))
        if mode != "Ignore":
            self.warnings += [f'unknown field \\"{u}\\"' for u in unknown]
        for u in unknown:
            if u.startswith("metadata."):
                meta.pop(u[len("metadata."):])
            else:
                obj.pop(u)
        return obj

    def run(self, method, body, ctype):
        op = {("GET", False): self.get, ("POST", True): self.create,
              ("PUT", False): self.update, ("PATCH", False): self.patch,
              ("DELETE", False): self.delete}.get((method, self.name is None))
        if self.sub == "binding" and method == "POST":
            return self.bind(body)
        if op is None or self.sub == "binding":
            raise ko.method_not_allowed()
        return op(body, ctype)

    def _out(self, obj):
        """OBJ as this resource's version shows it: a new top level over
        the stored parts (see KubeAPI._commit)."""
        if self.res.convert_out:
            return self.res.convert_out(obj)
        return {"kind": self.res.kind, "apiVersion": self.res.api_version,
                **{k: v for k, v in obj.items()
                   if k not in ("kind", "apiVersion")}}

    def _decode(self, body):
        try:
            obj = json.loads(body or b"{}")
        except ValueError as e:
            raise ko.bad_request(f"couldn't get version/kind; json parse "
                                 f"error: {e}") from None
        if not isinstance(obj, dict):
            raise ko.bad_request("the body of the request is not an object")
        av, kind = obj.get("apiVersion"), obj.get("kind")
        if av and av != self.res.api_version:
            raise ko.bad_request(
                f"the API version in the data ({av}) does not match the "
                f"expected API version ({self.res.api_version})")
        if kind and kind != self.res.kind:
            raise ko.bad_request(f"the kind in the data ({kind}) does not "
                                 f"match the expected kind "
                                 f"({self.res.kind})")
        if self.res.convert_in:
            obj = self.res.convert_in(obj)
        obj.setdefault("metadata", {})
        if not isinstance(obj["metadata"], dict):
            raise ko.bad_request("metadata must be an object")
        return self._prune(obj)

    def _existing(self):
        cur = self.api.objects.get(self.key)
        if cur is None:
            raise ko.not_found(self.res, self.name)
        return cur

    def _managed(self, obj, body, operation="Update"):
        entry = {"manager": self.manager, "operation": operation,
                 "apiVersion": self.res.api_version,
                 "time": ko.now_rfc3339(), "fieldsType": "FieldsV1",
                 "fieldsV1": _fieldsv1(body)}
        if self.sub:
            entry["subresource"] = self.sub
        mf = [m for m in obj["metadata"].get("managedFields", [])
              if not (m.get("manager") == entry["manager"] and
                      m.get("operation") == operation and
                      m.get("subresource") == entry.get("subresource"))]
        mf.append(entry)
        obj["metadata"]["managedFields"] = mf

    def _dry(self):
        return "All" in self.q.get("dryRun", [])

    def get(self, body, ctype):
        return 200, self._out(self._existing())

    def create(self, body, ctype):
        obj = self._decode(body)
        m = obj["metadata"]
        if self.res.namespaced:
            if m.get("namespace", self.ns) != self.ns:
                raise ko.bad_request("the namespace of the provided object "
                                     "does not match the namespace sent on "
                                     "the request")
            m["namespace"] = self.ns
            if ("namespaces", "", self.ns) not in self.api.objects:
                raise ko.not_found(_res("namespaces"), self.ns)
        else:
            m.pop("namespace", None)
        if not m.get("name") and m.get("generateName"):
            m["name"] = ko.generate_name(m["generateName"])
        name = m.get("name", "")
        if not name:
            raise ko.invalid(self.res, "", [
                ("metadata.name", "Required value: name or generateName is "
                 "required")])
        if not re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", name) or \
                len(name) > 253:
            raise ko.invalid(self.res, name, [
                ("metadata.name", f'Invalid value: "{name}": a lowercase '
                 "RFC 1123 subdomain must consist of lower case "
                 "alphanumeric characters, '-' or '.', and must start and "
                 "end with an alphanumeric character")])
        self.name = name
        self.key = (self.res.storage, self.ns, name)
        for k in ("resourceVersion", "uid", "creationTimestamp",
                  "deletionTimestamp", "deletionGracePeriodSeconds",
                  "managedFields", "selfLink"):
            m.pop(k, None)
        if self.res.prepare_create:
            self.res.prepare_create(obj)
        causes = self.res.validate(obj) if self.res.validate else []
        if causes:
            raise ko.invalid(self.res, name, causes)
        if self.key in self.api.objects:
            raise ko.already_exists(self.res, name)
        self.api._stamp_new(obj)
        self._managed(obj, json.loads(body or b"{}"))
        if self._dry():
            obj["metadata"]["resourceVersion"] = ""
            return 201, self._out(obj)
        self.api._commit(self.res, self.key, obj, "ADDED")
        return 201, self._out(obj)

    def _write(self, new, cur, raw):
        """The common tail of update and patch: strategy, immutable
        metadata, no-op detection, commit."""
        old_m, m = cur["metadata"], new["metadata"]
        if m.get("name", self.name) != self.name:
            raise ko.bad_request(f"the name of the object ({m['name']}) "
                                 f"does not match the name on the URL "
                                 f"({self.name})")
        m["name"] = self.name
        if self.res.namespaced:
            m["namespace"] = self.ns
        for k in ("creationTimestamp", "deletionTimestamp",
                  "deletionGracePeriodSeconds", "managedFields",
                  "generateName"):
            if k in old_m:
                m[k] = old_m[k]
            else:
                m.pop(k, None)
        if self.sub:
            hook = self.res.subresources.get(self.sub)
            if hook:
                hook(new, cur)
        elif self.res.prepare_update:
            self.res.prepare_update(new, cur)
        causes = []
        if m.get("uid", old_m["uid"]) != old_m["uid"]:
            causes.append(("metadata.uid", f'Invalid value: "{m["uid"]}": '
                           "field is immutable"))
        m["uid"] = old_m["uid"]
        if not self.sub and self.res.validate_update:
            causes += self.res.validate_update(new, cur)
        if causes:
            raise ko.invalid(self.res, self.name, causes)
        m["resourceVersion"] = old_m["resourceVersion"]
        if new == cur:
            # GuaranteedUpdate writes nothing when nothing changed: no new
            # RV, no watch event
            return 200, self._out(cur)
        self._managed(new, raw)
        if self._dry():
            return 200, self._out(new)
        self.api._commit(self.res, self.key, new, "MODIFIED")
        return 200, self._out(new)

    def update(self, body, ctype):
        new = self._decode(body)
        cur = self.api.objects.get(self.key)
        if cur is None:
            if self.res.create_on_update and not self.sub:
                self.name = new["metadata"].get("name", self.name)
                return self.create(body, ctype)
            raise ko.not_found(self.res, self.name)
        uid = new["metadata"].get("uid")
        if uid and uid != cur["metadata"]["uid"]:
            raise ko.precondition_failed(self.res, self.ns, self.name, "UID",
                                         uid, cur["metadata"]["uid"])
        rv = new["metadata"].get("resourceVersion")
        if not rv:
            if not self.res.unconditional_update:
                raise ko.invalid(self.res, self.name, [
                    ("metadata.resourceVersion", "Invalid value: 0x0: must "
                     "be specified for an update")])
        elif rv != cur["metadata"]["resourceVersion"]:
            raise ko.conflict(self.res, self.name, ko.OPTIMISTIC_LOCK)
        return self._write(new, cur, json.loads(body))

    def patch(self, body, ctype):
        cur = self._existing()
        if ctype not in PATCH_TYPES:
            raise ko.APIError(
                415, "UnsupportedMediaType",
                "the body of the request was in an unknown format - "
                "accepted media types include: " + ", ".join(PATCH_TYPES))
        base = self._out(cur)
        try:
            patched = kubepatch.apply(ctype, base, body, self.res.kind)
        except kubepatch.PatchError as e:
            raise ko.APIError(422 if ctype != PATCH_TYPES[0] else 500,
                              "Invalid" if ctype != PATCH_TYPES[0]
                              else "InternalError", str(e)) from None
        if not isinstance(patched, dict):
            raise ko.bad_request("the patch did not produce an object")
        if self.res.convert_in:
            patched = self.res.convert_in(patched)
        patched.setdefault("metadata", {})
        self._prune(patched)
        rv = patched["metadata"].get("resourceVersion")
        if rv and rv != cur["metadata"]["resourceVersion"]:
            raise ko.conflict(self.res, self.name, ko.OPTIMISTIC_LOCK)
        for k in ("kind", "apiVersion"):
            patched.pop(k, None)
        try:
            raw = json.loads(body)
        except ValueError:
            raw = {}
        return self._write(patched, cur, raw if isinstance(raw, dict) else {})

    def _delete_options(self, body):
        opts = {}
        if body:
            try:
                opts = json.loads(body)
            except ValueError as e:
                raise ko.bad_request(f"json parse error: {e}") from None
            if not isinstance(opts, dict):
                raise ko.bad_request("DeleteOptions must be an object")
        if "gracePeriodSeconds" in self.q:
            try:
                opts["gracePeriodSeconds"] = int(
                    self.q["gracePeriodSeconds"][0])
            except ValueError:
                raise ko.bad_request("gracePeriodSeconds must be an "
                                     "integer") from None
        return opts

    def delete(self, body, ctype):
        opts = self._delete_options(body)
        if "All" in (opts.get("dryRun") or []):
            self.q = dict(self.q, dryRun=["All"])
        cur = self._existing()
        pre = opts.get("preconditions") or {}
        m = cur["metadata"]
        if pre.get("uid") and pre["uid"] != m["uid"]:
            raise ko.precondition_failed(self.res, self.ns, self.name, "UID",
                                         pre["uid"], m["uid"])
        if pre.get("resourceVersion") and \
                pre["resourceVersion"] != m["resourceVersion"]:
            raise ko.precondition_failed(self.res, self.ns, self.name,
                                         "ResourceVersion",
                                         pre["resourceVersion"],
                                         m["resourceVersion"])
        graceful, pending = self._before_delete(cur, opts)
        if pending:
            return 200, self._out(cur)
        if graceful:
            new = copy.deepcopy(cur)
            period = opts["gracePeriodSeconds"]
            nm = new["metadata"]
            if nm.get("deletionTimestamp"):
                # shorten: move the deadline, keep its start
                start = ko.parse_time(nm["deletionTimestamp"]) - \
                    nm["deletionGracePeriodSeconds"]
                nm["deletionTimestamp"] = ko.rfc3339(start + period)
            else:
                nm["deletionTimestamp"] = ko.rfc3339(time.time() + period)
            nm["deletionGracePeriodSeconds"] = period
            if self._dry():
                return 200, self._out(new)
            self.api._commit(self.res, self.key, new, "MODIFIED")
            return 200, self._out(new)
        if self._dry():
            return 200, self._out(cur)
        gone = self.api._commit(self.res, self.key, None, "DELETED")
        if self.res.return_deleted:
            return 200, self._out(gone)
        d = {"name": self.name}
        if self.res.group:
            d["group"] = self.res.group
        d.update({"kind": self.res.name, "uid": m["uid"]})
        return 200, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                     "status": "Success", "details": d}

    def _before_delete(self, cur, opts):
        """rest.BeforeDelete and podStrategy.CheckGracefulDelete: returns
        (graceful, pending)."""
        if not self.res.graceful:
            return False, False
        m = cur["metadata"]
        if m.get("deletionTimestamp"):
            have = m.get("deletionGracePeriodSeconds")
            if not have:
                return False, False
            want = opts.get("gracePeriodSeconds")
            if want is None or want >= have:
                return False, True
            return want > 0, False
        spec, st = cur.get("spec", {}), cur.get("status", {})
        period = opts.get("gracePeriodSeconds")
        if period is None:
            period = spec.get("terminationGracePeriodSeconds") or 0
        if not spec.get("nodeName") or \
                st.get("phase") in ("Failed", "Succeeded"):
            period = 0
        opts["gracePeriodSeconds"] = period
        return period > 0, False

    def bind(self, body):
        """POST pods/NAME/binding, as the scheduler binds a pod."""
        try:
            b = json.loads(body or b"{}")
        except ValueError as e:
            raise ko.bad_request(f"json parse error: {e}") from None
        node = (b.get("target") or {}).get("name")
        if not node:
            raise ko.invalid(_res("pods"), self.name, [
                ("target.name", "Required value")])
        cur = self._existing()
        if cur["metadata"].get("deletionTimestamp"):
            raise ko.conflict(self.res, self.name,
                              "pod is being deleted, cannot be assigned "
                              "to a host")
        have = cur.get("spec", {}).get("nodeName")
        if have:
            raise ko.conflict(self.res, self.name,
                              f"pod {self.name} is already assigned to "
                              f"node \"{have}\"")
        new = copy.deepcopy(cur)
        new["spec"]["nodeName"] = node
        new.setdefault("status", {}).setdefault("conditions", []).append(
            {"type": "PodScheduled", "status": "True",
             "lastProbeTime": None, "lastTransitionTime": ko.now_rfc3339()})
        self.api._commit(self.res, self.key, new, "MODIFIED")
        return 201, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                     "status": "Success", "code": 201}


# --- authorization: the Node authorizer and NodeRestriction -----------------

VERBS = {"GET": "get", "POST": "create", "PUT": "update", "PATCH": "patch",
         "DELETE": "delete"}


def _deny(user, verb, res, sub, ns, name, why):
    resource = res.name + (f"/{sub}" if sub else "")
    where = f'in the namespace "{ns}"' if ns else "at the cluster scope"
    return ko.forbidden(res, name, f'User "{user.name}" cannot {verb} '
                        f'resource "{resource}" in API group "{res.group}" '
                        f'{where}' + (f": {why}" if why else ""))


class _Ask:
    """One request as the authorizer and admission see it."""

    def __init__(self, api, user, verb, res, sub, ns, name, query, body):
        self.api, self.user, self.verb, self.res = api, user, verb, res
        self.sub, self.ns, self.name, self.body = sub, ns, name, body
        self.node = user.node
        self.fsel = {k: v for k, op, v in ko.parse_field_selector(
            query.get("fieldSelector", [""])[0]) if op == "="}

    def deny(self, why=""):
        """The authorizer's no (responsewriters.Forbidden)."""
        return _deny(self.user, self.verb, self.res, self.sub, self.ns,
                     self.name, why)

    def refuse(self, why, name=None):
        """Admission's no (admission.NewForbidden)."""
        return ko.forbidden(self.res, name or self.name, why)

    def target(self):
        return self.name or _body_name(self.body)


def _node_events(a):
    # NodeRules: events create, patch, update; no reads
    return None if a.verb in ("create", "update", "patch") else a.deny()


def _node_leases(a):
    # NodeRules allow leases in every verb; NodeRestriction's admitLease
    # restricts the writes to the node's own lease in kube-node-lease
    if a.verb in ("get", "list", "watch"):
        return None if a.ns == NODE_LEASE_NS else a.deny()
    if a.ns != NODE_LEASE_NS:
        return a.refuse(f'can only access leases in the "{NODE_LEASE_NS}" '
                        f'namespace', a.target())
    if a.target() != a.node:
        return a.refuse("can only access node lease with the same name as "
                        "the requesting node", a.target())
    return None


def _node_nodes(a):
    if a.verb in ("list", "watch"):
        if a.fsel.get("metadata.name") == a.node:
            return None
        return a.deny(f"node '{a.node}' can only list/watch its own Node "
                      f"object with a metadata.name field selector")
    target = a.target()
    if target == a.node:
        return None
    if a.verb == "get":
        return a.deny(f"node '{a.node}' cannot read '{target}', only its "
                      f"own Node object")
    return a.refuse(f'node "{a.node}" is not allowed to modify node '
                    f'"{target}"', target)


def _node_pods(a):
    if a.verb in ("list", "watch"):
        if a.fsel.get("spec.nodeName") == a.node:
            return None
        return a.deny(f"node '{a.node}' can only list/watch pods with "
                      f"spec.nodeName field selector")
    if a.verb == "create" and not a.sub:
        return _mirror_pod_check(a)
    pod = a.api.objects.get(("pods", a.ns, a.name))
    bound = pod is not None and pod.get("spec", {}).get("nodeName") == a.node
    if a.verb == "get" and not a.sub:
        # the graph has an edge only from the node to its pods
        return None if bound else a.deny(
            f"no relationship found between node '{a.node}' and this "
            f"object")
    if a.sub == "status" and a.verb in ("get", "update", "patch"):
        if pod is None or bound:
            return None     # NotFound is answered by the store
        return a.refuse(f'node "{a.node}" can only update pod status for '
                        f'pods with spec.nodeName set to itself')
    if a.verb == "delete" and not a.sub:
        if pod is None or bound:
            return None
        return a.refuse(f'node "{a.node}" can only delete pods with '
                        f'spec.nodeName set to itself')
    return a.refuse(f'unexpected operation "{a.verb}", node "{a.node}" can '
                    f'only create and delete mirror pods')


# what a node may do, per resource: plugin/pkg/auth/authorizer/node (with
# AuthorizeNodeWithSelectors, on by default in 1.32) and its NodeRules,
# then plugin/pkg/admission/noderestriction; anything else is denied
NODE_RULES = {
    "events": _node_events,
    "leases": _node_leases,
    "nodes": _node_nodes,
    "pods": _node_pods,
}


def authorize(api, user, verb, res, sub, ns, name, query, body):
    """None, or the APIError for what USER may not do."""
    if user.admin:
        return None
    a = _Ask(api, user, verb, res, sub, ns, name, query, body)
    rule = NODE_RULES.get(res.storage)
    if a.node is None or rule is None:
        return a.deny()
    return rule(a)


def _body_name(body):
    try:
        return json.loads(body or b"{}").get("metadata", {}).get("name")
    except (ValueError, AttributeError):
        return None


def _mirror_pod_check(a):
    """noderestriction admitPodCreate: a node creates only the mirror pods
    of its static pods, owned by its Node object."""
    try:
        pod = json.loads(a.body or b"{}")
    except ValueError:
        return None     # the create answers 400
    meta = pod.get("metadata") or {}
    name, node = meta.get("name", ""), a.node
    if MIRROR_ANNOTATION not in (meta.get("annotations") or {}):
        return a.refuse(f'pod does not have "{MIRROR_ANNOTATION}" '
                        f'annotation, node "{node}" can only create mirror '
                        f'pods', name)
    if pod.get("spec", {}).get("nodeName") != node:
        return a.refuse(f'node "{node}" can only create pods with '
                        f'spec.nodeName set to itself', name)
    owners = meta.get("ownerReferences") or []
    if len(owners) != 1:
        return a.refuse(f'node "{node}" can only create pods with '
                        + ("a single owner reference" if owners else
                           "an owner reference") + " set to itself", name)
    o = owners[0]
    if o.get("apiVersion") != "v1" or o.get("kind") != "Node" or \
            o.get("name") != node:
        return a.refuse(f'node "{node}" can only create pods with an owner '
                        f'reference set to itself', name)
    if not o.get("controller"):
        return a.refuse(f'node "{node}" can only create pods with a '
                        f'controller owner reference set to itself', name)
    if o.get("blockOwnerDeletion"):
        return a.refuse(f'node "{node}" must not set blockOwnerDeletion on '
                        f'an owner reference', name)
    n = a.api.objects.get(("nodes", "", node))
    if n is None:
        return ko.not_found(_res("nodes"), node)
    if o.get("uid") != n["metadata"]["uid"]:
        return a.refuse(f'node {node} UID mismatch: expected '
                        f'{n["metadata"]["uid"]} got {o.get("uid")}', name)
    return None


# --- HTTP --------------------------------------------------------------------

class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, handler, api):
        self.api = api
        super().__init__(addr, handler)


def _discovery_api(api):
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0",
                 "serverAddress": f"127.0.0.1:{api.port}"}]}


def _group(group, versions):
    vs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": vs, "preferredVersion": vs[0]}


def _groups():
    gs = {}
    for (g, v) in ko.GROUPS:
        if g:
            gs.setdefault(g, []).append(v)
    return gs


def _resource_list(group, version):
    rs = []
    for r in ko.GROUPS[(group, version)].values():
        rs.append(r.discovery())
        for sub in r.subresources:
            d = {"name": f"{r.name}/{sub}", "singularName": "",
                 "namespaced": r.namespaced, "kind": r.kind,
                 "verbs": ["get", "patch", "update"]}
            if sub == "binding":
                d.update(kind="Binding", verbs=["create"])
            rs.append(d)
    gv = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": gv, "resources": rs}


def _openapi_v3(gvpath):
    """Only what kubectl reads before a create (QueryParamVerifierV3):
    which POST and PATCH endpoints take fieldValidation.  No schemas: the
    server validates what it knows and ignores unknown fields."""
    if not gvpath:
        return {"paths": {
            (f"apis/{g}/{v}" if g else f"api/{v}"): {
                "serverRelativeURL": "/openapi/v3/" +
                (f"apis/{g}/{v}" if g else f"api/{v}") + "?hash=0"}
            for g, v in ko.GROUPS}}
    parts = gvpath.strip("/").split("/")
    g, v = (parts[1], parts[2]) if parts[0] == "apis" and len(parts) == 3 \
        else ("", parts[1] if len(parts) == 2 else "")
    if (g, v) not in ko.GROUPS:
        raise ko.APIError(404, "NotFound", "the server could not find the "
                          "requested resource")
    prefix = f"/apis/{g}/{v}" if g else f"/api/{v}"
    param = [{"name": "fieldValidation", "in": "query",
              "schema": {"type": "string", "uniqueItems": True}},
             {"name": "fieldManager", "in": "query",
              "schema": {"type": "string", "uniqueItems": True}},
             {"name": "dryRun", "in": "query",
              "schema": {"type": "string", "uniqueItems": True}}]
    paths = {}
    for r in ko.GROUPS[(g, v)].values():
        gvk = {"group": g, "kind": r.kind, "version": v}
        coll = prefix + ("/namespaces/{namespace}/" if r.namespaced
                         else "/") + r.name
        op = {"parameters": param, "responses": {},
              "x-kubernetes-group-version-kind": gvk}
        paths[coll] = {"post": dict(op, **{"x-kubernetes-action": "post"})}
        paths[coll + "/{name}"] = {
            "put": dict(op, **{"x-kubernetes-action": "put"}),
            "patch": dict(op, **{"x-kubernetes-action": "patch"})}
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes",
                                         "version": VERSION["gitVersion"]},
            "paths": paths, "components": {}}


def _pb(field, data):
    """One length-delimited protobuf field (wire type 2)."""
    n, size = len(data), b""
    while True:
        b = n & 0x7f
        n >>= 7
        size += bytes([b | (0x80 if n else 0)])
        if not n:
            break
    return bytes([field << 3 | 2]) + size + data


CONTINUE_EXPIRED = (
    "The provided continue parameter is too old to display a consistent "
    "list result. You can start a new list without the continue parameter, "
    "or use the continue token in this response to retrieve the remainder "
    "of the results. Continuing with the provided token results in an "
    "inconsistent list - objects that were created, modified, or deleted "
    "between the time the first chunk was returned and now may show up in "
    "the list.")


def _continue_key(token):
    """(the key to start after, the RV of the first page) of a continue
    token, ("", None) for none; 400 for a token this server did not
    make."""
    if not token:
        return "", None
    try:
        d = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token)
                                                               % 4)))
        return str(d["start"]), int(d["rv"])
    except (ValueError, KeyError, TypeError):
        raise ko.bad_request(f"continue key is not valid: {token}") \
            from None


def _not_found_path():
    return ko.APIError(404, "NotFound", "the server could not find the "
                       "requested resource")


def _resolve(path):
    """/api/V/..., /apis/G/V/...: a discovery document (a dict) or
    (resource, namespace, name, subresource); raises 404."""
    parts = path.strip("/").split("/")
    if parts[0] == "api" and len(parts) >= 2:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[0] == "apis" and len(parts) == 2 and parts[1] in _groups():
        return {"kind": "APIGroup", "apiVersion": "v1",
                **_group(parts[1], _groups()[parts[1]])}
    elif parts[0] == "apis" and len(parts) >= 3:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise _not_found_path()
    resources = ko.GROUPS.get((group, version))
    if resources is None:
        raise _not_found_path()
    if not rest:
        return _resource_list(group, version)
    ns = ""
    # namespaces/NS/RESOURCE...; but namespaces/NAME/status is the
    # namespace's own subresource
    if rest[0] == "namespaces" and len(rest) >= 3 and not (
            group == "" and len(rest) == 3 and
            rest[2] in ("status", "finalize")):
        ns, rest = rest[1], rest[2:]
    res = resources.get(rest[0])
    if res is None or len(rest) > 3 or (ns and not res.namespaced) or (
            res.namespaced and not ns and len(rest) > 1):
        raise _not_found_path()
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    if sub and sub not in res.subresources:
        raise _not_found_path()
    return res, ns, name, sub


def _wants_table(accept):
    for part in accept.split(","):
        p = part.replace(" ", "")
        if "as=Table" in p and "g=meta.k8s.io" in p:
            return True
    return False


def _accepts_json(accept):
    if not accept:
        return True
    for part in accept.split(","):
        t = part.split(";")[0].strip()
        if t in ("application/json", "*/*", "application/*", "") or \
                t.endswith("+json"):
            return True
    return False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kube-apiserver-test"
    timeout = IDLE_TIMEOUT

    # --- connection ----------------------------------------------------------

    def setup(self):
        # the handshake runs here, in the connection's thread, so that a
        # client that never finishes it holds up nobody else
        api = self.server.api
        self.request.settimeout(HANDSHAKE_TIMEOUT)
        self.tls_failed = False
        try:
            # wrap_socket takes over the descriptor: self.raw is the one
            # socket object to select on and shut down from now on
            self.request = api.tls.wrap_socket(self.request,
                                               server_side=True)
        except (ssl.SSLError, OSError):
            self.tls_failed = True
        self.raw = self.request
        with api.cond:
            api.conns.add(self.raw)
            api.connections += 1
        if self.tls_failed:
            # the socket is closed: nothing to read or answer
            self.rfile, self.wfile = io.BytesIO(), io.BytesIO()
            return
        super().setup()

    def handle(self):
        if self.tls_failed:
            self.close_connection = True
            return
        try:
            super().handle()
        except (ConnectionError, ssl.SSLError, OSError):
            pass

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass
        with self.server.api.cond:
            self.server.api.conns.discard(self.raw)

    def log_message(self, fmt, *args):
        pass

    # --- responses -----------------------------------------------------------

    def _head(self, code, ctype, framing, extra=()):
        """The header lines in the real server's order (Go's net/http
        sorts them; Date and the framing come last)."""
        lines = [f"HTTP/1.1 {code} {REASONS.get(code, 'Unknown')}",
                 f"Audit-Id: {uuid.uuid4()}",
                 "Cache-Control: no-cache, private",
                 f"Content-Type: {ctype}"]
        lines += [f"{k}: {v}" for k, v in extra]
        if code != 401:
            # API priority and fairness runs after authentication
            lines += [f"X-Kubernetes-Pf-Flowschema-Uid: {FLOWSCHEMA}",
                      f"X-Kubernetes-Pf-Prioritylevel-Uid: {PRIOLEVEL}"]
        lines.append("Date: " + email.utils.formatdate(usegmt=True))
        lines.append(framing)
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode())

    def _send(self, code, obj, extra=()):
        body = (ko.dumps(obj) + "\n").encode()
        if self.record:
            self.record.code = code
        if len(body) >= GZIP_THRESHOLD and "gzip" in \
                self.headers.get("Accept-Encoding", ""):
            # APIResponseCompression (on by default): large responses only
            body = gzip.compress(body, 4)
            extra = [*extra, ("Content-Encoding", "gzip"),
                     ("Vary", "Accept-Encoding")]
        self._head(code, "application/json", f"Content-Length: {len(body)}",
                   extra)
        self.wfile.write(body)

    def _error(self, e):
        self._send(e.code, e.status(), e.headers)

    # --- requests ------------------------------------------------------------

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def do_PUT(self):
        self._serve("PUT")

    def do_PATCH(self):
        self._serve("PATCH")

    def do_DELETE(self):
        self._serve("DELETE")

    def _body(self):
        n = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raise ko.bad_request("chunked request bodies are not supported "
                                 "by the test server")
        if not n:
            return b""
        n = int(n)
        if n > MAX_BODY:
            self.close_connection = True
            raise ko.APIError(413, "RequestEntityTooLarge",
                              f"Request entity too large: limit is "
                              f"{MAX_BODY}")
        return self.rfile.read(n)

    def _authenticate(self):
        """The user, or None (401).  The client certificate is tried
        first, then the bearer token, as kube-apiserver's union
        authenticator orders x509 before tokens."""
        cert = self.request.getpeercert() if \
            isinstance(self.request, ssl.SSLSocket) else None
        if cert:
            cn, orgs = None, []
            for rdn in cert.get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        cn = v
                    elif k == "organizationName":
                        orgs.append(v)
            if cn:
                return User(cn, orgs)
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            return self.server.api.tokens.get(auth[7:].strip())
        return None

    def _serve(self, method):
        api = self.server.api
        self.record = None
        url = urllib.parse.urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        try:
            body = self._body()
        except (ko.APIError, ValueError) as e:
            self.close_connection = True
            if isinstance(e, ko.APIError):
                return self._error(e)
            return self._error(ko.bad_request("bad Content-Length"))
        user = self._authenticate()
        self.record = Request(method, path, query, dict(self.headers), body,
                              user.name if user else None)
        api.requests.append(self.record)
        if user is None:
            return self._error(ko.unauthorized())
        delay, fault = api._fault(method, path, user.name)
        if delay:
            time.sleep(delay)
        if fault is not None:
            return self._error(fault)
        try:
            self._route(method, path, query, body, user)
        except ko.APIError as e:
            self._error(e)
        except (ConnectionError, ssl.SSLError, BrokenPipeError):
            self.close_connection = True

    def _fixed(self, path, body, user):
        """The paths outside the resource tree; True when PATH was one."""
        api = self.server.api
        if path == "/version":
            self._send(200, VERSION)
        elif path == "/api":
            self._send(200, _discovery_api(api))
        elif path == "/apis":
            self._send(200, {"kind": "APIGroupList", "apiVersion": "v1",
                             "groups": [_group(g, v)
                                        for g, v in _groups().items()]})
        elif path in ("/healthz", "/livez", "/readyz"):
            self._text(200, "ok")
        elif path == "/openapi/v2":
            self._openapi_v2()
        elif path == "/openapi/v3" or path.startswith("/openapi/v3/"):
            self._send(200, _openapi_v3(path[len("/openapi/v3"):]))
        elif path.startswith("/_test/"):
            self._hook(path[len("/_test/"):], body, user)
        else:
            return False
        return True

    def _route(self, method, path, query, body, user):
        if self._fixed(path, body, user):
            return
        where = _resolve(path)
        if not isinstance(where, tuple):
            return self._send(200, where)       # a discovery document
        res, ns, name, sub = where
        watch = method == "GET" and name is None and \
            query.get("watch", [""])[0] in ("true", "1")
        if sub == "binding":
            verb = "create"
        elif method == "GET" and name is None:
            verb = "watch" if watch else "list"
        else:
            verb = VERBS[method]
        api = self.server.api
        with api.cond:
            denied = authorize(api, user, verb, res, sub, ns, name, query,
                               body)
        if denied:
            raise denied
        accept = self.headers.get("Accept", "")
        if not _accepts_json(accept):
            raise ko.APIError(406, "NotAcceptable",
                              "only the following media types are "
                              "accepted: application/json")
        if watch:
            return self._watch(res, ns, query, user)
        if verb == "list":
            return self._list(res, ns, query, accept)
        manager = query.get("fieldManager", [""])[0] or \
            self.headers.get("User-Agent", "unknown").split("/")[0]
        ctype = self.headers.get("Content-Type", "application/json")
        ctype = ctype.split(";")[0].strip()
        code, out, warns = api.call(method, res, ns, name, sub, body, query,
                                    user, ctype, manager)
        if method == "GET" and code == 200 and _wants_table(accept):
            return self._send(200, self._table(res, [out], query, None))
        self._send(code, out, [("Warning", f'299 - "{w}"') for w in warns])

    def _openapi_v2(self):
        """An OpenAPI v2 document with no definitions: kubectl before 1.27
        validates a file against /openapi/v2 (protobuf) and skips kinds
        the document does not describe; without it, create -f fails."""
        info = _pb(1, b"Kubernetes") + _pb(2, VERSION["gitVersion"].encode())
        if "protobuf" in self.headers.get("Accept", ""):
            body = _pb(1, b"2.0") + _pb(2, info)
            ctype = "application/com.github.proto-openapi.spec.v2.v1.0" \
                "+protobuf"
        else:
            body = (ko.dumps({"swagger": "2.0", "info": {
                "title": "Kubernetes", "version": VERSION["gitVersion"]},
                "paths": {}, "definitions": {}}) + "\n").encode()
            ctype = "application/json"
        self._head(200, ctype, f"Content-Length: {len(body)}")
        self.wfile.write(body)

    def _text(self, code, text):
        body = text.encode()
        self._head(code, "text/plain; charset=utf-8",
                   f"Content-Length: {len(body)}")
        self.wfile.write(body)

    def _hook(self, name, body, user):
        if not user.admin:
            raise ko.APIError(403, "Forbidden", "test hooks are the "
                              "admin's")
        api = self.server.api
        args = json.loads(body or b"{}")
        hooks = {
            "end_watches": lambda: api.end_watches(args.get("resource")),
            "drop_watches": lambda: api.drop_watches(args.get("resource")),
            "close_mid_chunk": lambda: api.close_mid_chunk(
                args.get("resource")),
            "expire_watches": lambda: api.expire_watches(
                args.get("resource")),
            "send_bookmark": lambda: api.send_bookmark(args.get("resource")),
            "send_raw": lambda: api.send_raw(args["data"].encode(),
                                             args.get("resource")),
            "send_unframed": lambda: api.send_unframed(
                args["data"].encode(), args.get("resource")),
            "delay_next": lambda: api.delay_next(**args),
            "set_chunking": lambda: api.set_chunking(args.get("mode")),
            "compact": api.compact,
            "set_history": lambda: api.set_history(int(args["window"])),
            "fail_next": lambda: api.fail_next(**args),
        }
        if name not in hooks:
            raise ko.APIError(404, "NotFound", f"no test hook {name}")
        n = hooks[name]()
        self._send(200, {"hook": name, "result": n})

    # --- list ----------------------------------------------------------------

    def _selectors(self, res, query):
        fsel = ko.parse_field_selector(query.get("fieldSelector", [""])[0])
        ko.check_field_labels(res, fsel)
        lsel = ko.parse_label_selector(query.get("labelSelector", [""])[0])
        return lambda o: o is not None and ko.fields_match(res, fsel, o) \
            and ko.labels_match(lsel, o.get("metadata", {}).get("labels"))

    def _list(self, res, ns, query, accept):
        api = self.server.api
        match = self._selectors(res, query)
        rv_param = query.get("resourceVersion", [""])[0]
        try:
            limit = int(query.get("limit", ["0"])[0] or 0)
        except ValueError:
            raise ko.bad_request("limit must be an integer") from None
        start, since = _continue_key(query.get("continue", [""])[0])
        with api.cond:
            if since is not None and since < api.floor:
                raise ko.expired(CONTINUE_EXPIRED)
            self._wait_rv(rv_param)
            keys = sorted(k for k in api.objects
                          if k[0] == res.storage and (not ns or k[1] == ns)
                          and f"{k[1]}/{k[2]}" > start)
            items = [api.objects[k] for k in keys if match(api.objects[k])]
            rv = str(api.rv)
        meta = {"resourceVersion": rv}
        if limit and len(items) > limit:
            last = items[limit - 1]["metadata"]
            # the storage layer's token: base64 of its version, the RV and
            # the key to start after (here namespace/name)
            meta["continue"] = base64.urlsafe_b64encode(ko.dumps({
                "v": "meta.k8s.io/v1", "rv": int(rv),
                "start": f"{last.get('namespace', '')}/{last['name']}"
            }).encode()).decode().rstrip("=")
            meta["remainingItemCount"] = len(items) - limit
            items = items[:limit]
        ops = _Ops(api, res, ns, None, None, query, None, "")
        outs = [ops._out(o) for o in items]
        if _wants_table(accept):
            return self._send(200, self._table(res, outs, query, meta))
        for o in outs:
            o.pop("kind", None)
            o.pop("apiVersion", None)
        self._send(200, {"kind": res.kind + "List",
                         "apiVersion": res.api_version, "metadata": meta,
                         "items": outs})

    def _wait_rv(self, rv_param):
        """A list or watch at an RV the server has not reached waits, then
        fails as the watch cache does (Too large resource version)."""
        api = self.server.api
        if not rv_param:
            return
        try:
            want = int(rv_param)
        except ValueError:
            raise ko.bad_request(f"invalid resource version: {rv_param}") \
                from None
        deadline = time.time() + api.too_large_wait
        while want > api.rv and time.time() < deadline:
            api.cond.wait(deadline - time.time())
        if want > api.rv:
            raise ko.APIError(504, "Timeout", f"Too large resource version: "
                              f"{want}, current: {api.rv}",
                              {"causes": [{"reason":
                                           "ResourceVersionTooLarge",
                                           "message": "Too large resource "
                                           "version"}],
                               "retryAfterSeconds": 1})

    def _table(self, res, objs, query, meta):
        cols, row = res.table
        include = query.get("includeObject", ["Metadata"])[0]
        rows = []
        for o in objs:
            r = {"cells": row(o)}
            if include == "Object":
                r["object"] = o
            elif include != "None":
                r["object"] = {"kind": "PartialObjectMetadata",
                               "apiVersion": "meta.k8s.io/v1",
                               "metadata": o.get("metadata", {})}
            rows.append(r)
        return {"kind": "Table", "apiVersion": "meta.k8s.io/v1",
                "metadata": meta or {"resourceVersion":
                                     objs[0]["metadata"].get(
                                         "resourceVersion", "")},
                "columnDefinitions": cols, "rows": rows}

    # --- watch ---------------------------------------------------------------

    def _chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def _watch(self, res, ns, query, user):
        api = self.server.api
        match = self._selectors(res, query)
        rv_param = query.get("resourceVersion", [""])[0]
        bookmarks = query.get("allowWatchBookmarks", [""])[0] == "true"
        initial_end = query.get("sendInitialEvents", [""])[0] == "true"
        try:
            timeout = int(query.get("timeoutSeconds", ["0"])[0] or 0)
        except ValueError:
            raise ko.bad_request("timeoutSeconds must be an integer") \
                from None
        if timeout <= 0:
            # serveWatch: none (or 0) is minRequestTimeout * [1, 2)
            timeout = random.uniform(api.min_request_timeout,
                                     2 * api.min_request_timeout)
        ops = _Ops(api, res, ns, None, None, query, user, "")
        # kubectl get -w asks for Table events: one row per event
        self.watch_table = (res, query) if _wants_table(
            self.headers.get("Accept", "")) else None
        w = Watch(user, res)
        initial = []
        with api.cond:
            if rv_param in ("", "0") or initial_end:
                pos = api.rv
                for k in sorted(api.objects):
                    o = api.objects[k]
                    if k[0] == res.storage and (not ns or k[1] == ns) and \
                            match(o):
                        initial.append({"type": "ADDED",
                                        "object": ops._out(o)})
            else:
                self._wait_rv(rv_param)
                pos = int(rv_param)
                if pos < api.floor:
                    err = ko.expired(f"too old resource version: {pos} "
                                     f"({api.floor})")
                    if not api.expired_in_stream:
                        raise err
                    initial = None
            api.watches.add(w)
        try:
            self._head(200, "application/json", "Transfer-Encoding: chunked")
            if self.record:
                self.record.code = 200
            if initial is None:
                self._event({"type": "ERROR", "object": err.status()})
                self._chunk(b"")
                return
            for ev in initial:
                self._event(ev)
            if initial_end and bookmarks:
                self._event(self._bookmark(res, pos, initial_end=True))
            self._stream(w, res, ns, match, ops, pos, bookmarks,
                         time.time() + timeout)
        finally:
            with api.cond:
                api.watches.discard(w)

    def _bookmark(self, res, rv, initial_end=False):
        # what the watch cache sends: an empty object of the kind with only
        # the RV (Go's zero values included, as a Pod's spec.containers)
        meta = {"resourceVersion": str(rv), "creationTimestamp": None}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        obj = {"kind": res.kind, "apiVersion": res.api_version,
               "metadata": meta}
        if res.kind == "Pod":
            obj.update(spec={"containers": None}, status={})
        elif res.kind in ("Node", "Namespace"):
            obj.update(spec={}, status={"daemonEndpoints": {
                "kubeletEndpoint": {"Port": 0}}, "nodeInfo": {
                    k: "" for k in ("machineID", "systemUUID", "bootID",
                                    "kernelVersion", "osImage",
                                    "containerRuntimeVersion",
                                    "kubeletVersion", "kubeProxyVersion",
                                    "operatingSystem", "architecture")}}
                       if res.kind == "Node" else {})
        elif res.kind == "Lease":
            obj["spec"] = {}
        return {"type": "BOOKMARK", "object": obj}

    def _event(self, ev):
        if self.watch_table and ev["type"] in ("ADDED", "MODIFIED",
                                               "DELETED"):
            res, query = self.watch_table
            ev = {"type": ev["type"], "object": self._table(
                res, [ev["object"]], query, None)}
        line = (ko.dumps(ev) + "\n").encode()
        mode = self.server.api.chunking
        if isinstance(mode, int) and mode > 0:
            for i in range(0, len(line), mode):
                self._chunk(line[i:i + mode])
        elif mode == "across":
            half = max(1, len(line) // 2)
            self._chunk(self.pending + line[:half])
            self.pending = line[half:]
        else:
            self._chunk(line)

    def _flush_pending(self):
        if self.pending:
            self._chunk(self.pending)
            self.pending = b""

    def _stream(self, w, res, ns, match, ops, pos, bookmarks, deadline):
        api = self.server.api
        self.pending = b""
        next_bm = self._next_bookmark(deadline) if bookmarks else None
        while True:
            out, action = [], None
            with api.cond:
                while True:
                    if pos < api.floor:
                        # fell out of the window: the cacher ends such a
                        # watch; the client's next watch gets 410
                        action = ("end",)
                        break
                    pos, out = self._since(res, ns, match, ops, pos)
                    if out:
                        break
                    # a hook acts after the events committed before it
                    if w.actions:
                        action = w.actions.popleft()
                        break
                    now = time.time()
                    if now >= deadline or (next_bm and now >= next_bm):
                        break
                    wait = min(deadline, next_bm or deadline, now +
                               PEER_CHECK) - now
                    if self.pending:
                        wait = min(wait, 0.02)
                    if not api.cond.wait(wait) and self.pending:
                        break
                    if _peer_gone(self.raw):
                        action = ("drop",)
                        break
                cur_rv = api.rv
            for ev in out:
                self._event(ev)
            if not out and self.pending:
                self._flush_pending()
            if action is not None:
                if self._act(action, res, cur_rv):
                    return
                continue
            now = time.time()
            if next_bm and now >= next_bm:
                self._flush_pending()
                self._event(self._bookmark(res, cur_rv))
                self._flush_pending()
                next_bm = self._next_bookmark(deadline)
            if now >= deadline:
                self._flush_pending()
                self._chunk(b"")
                return

    def _next_bookmark(self, deadline):
        # cacher.go nextBookmarkTime: every bookmarkFrequency, and 2 s
        # before the watch's deadline
        t = time.time() + self.server.api.bookmark_interval
        pre = deadline - 2
        if pre < t and pre > time.time():
            t = pre
        return t

    def _act(self, action, res, cur_rv):
        """A hook's action; True ends the watch."""
        kind = action[0]
        self._flush_pending()
        if kind == "end":
            self._chunk(b"")
            return True
        if kind == "drop":
            self.close_connection = True
            _shutdown(self.raw)
            return True
        if kind == "midchunk":
            self.wfile.write(b"100\r\n{\"type\":\"MODIFIED\",\"obj")
            self.close_connection = True
            _shutdown(self.raw)
            return True
        if kind == "raw":
            self._chunk(action[1])
            return False
        if kind == "unframed":
            self.wfile.write(action[1])
            self.close_connection = True
            _shutdown(self.raw)
            return True
        if kind == "bookmark":
            self._event(self._bookmark(res, cur_rv))
            self._flush_pending()
            return False
        if kind == "error":
            self._event({"type": "ERROR", "object": action[1]})
            self._flush_pending()
            self._chunk(b"")
            return True
        return False

    def _since(self, res, ns, match, ops, pos):
        """(the RV this watch has now seen up to, its events after POS),
        with the cacher's selector rules (cacher.go convertToWatchEvent):
        entering the selection is ADDED, leaving it DELETED with the
        previous state at the event's RV."""
        api = self.server.api
        evs = []
        for e in reversed(api.history):
            if e.rv <= pos:
                break
            evs.append(e)
        out = []
        for e in reversed(evs):
            if e.storage != res.storage or (ns and e.key[1] != ns):
                continue
            cur = e.type != "DELETED" and match(e.obj)
            old = e.prev is not None and match(e.prev)
            if cur:
                out.append({"type": "MODIFIED" if old else "ADDED",
                            "object": ops._out(e.obj)})
            elif old:
                o = _with_meta(e.prev)
                o["metadata"]["resourceVersion"] = str(e.rv)
                out.append({"type": "DELETED", "object": ops._out(o)})
        return (evs[0].rv if evs else pos), out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", required=True, help="certificates, kubeconfigs")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--node", action="append", default=[],
                    help="write node-NAME.kubeconfig (client certificate)")
    ap.add_argument("--history", type=int, default=HISTORY_WINDOW)
    ap.add_argument("--bookmark-interval", type=float,
                    default=BOOKMARK_INTERVAL)
    args = ap.parse_args()
    api = KubeAPI(args.dir, port=args.port, history=args.history,
                  bookmark_interval=args.bookmark_interval).start()
    print(f"url {api.url}")
    print(f"ca {api.ca_path}")
    print(f"admin {api.admin_kubeconfig()}")
    for n in args.node:
        print(f"node {n} {api.node_kubeconfig(n)}")
    sys.stdout.flush()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        api.stop()


if __name__ == "__main__":
    main()
