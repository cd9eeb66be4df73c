"""A test-side client of the test API server: plain requests (as the
admin, a node, or nobody) and a raw watch reader that keeps the chunk
boundaries, so that tests can check the framing and not only the events."""
import http.client
import json
import socket
import ssl
import time
import urllib.parse


class Response:
    def __init__(self, code, headers, body):
        self.code, self.headers, self.body = code, headers, body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<{self.code} {self.body[:200]!r}>"


class Client:
    def __init__(self, api, token=None, cert=None):
        self.host, self.port = "127.0.0.1", api.port
        self.ca = api.ca_path
        self.token, self.cert = token, cert

    def _ctx(self):
        ctx = ssl.create_default_context(cafile=self.ca)
        if self.cert:
            ctx.load_cert_chain(*self.cert)
        return ctx

    def _headers(self, extra):
        h = {"Accept": "application/json", "User-Agent": "kubeclient-test"}
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        h.update(extra or {})
        return h

    def request(self, method, path, body=None,
                ctype="application/json", headers=None, params=None):
        if params:
            path += "?" + urllib.parse.urlencode(params)
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        h = self._headers(headers)
        if body is not None:
            h["Content-Type"] = ctype
        c = http.client.HTTPSConnection(self.host, self.port,
                                        context=self._ctx(), timeout=10)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            return Response(r.status, dict(r.getheaders()), r.read())
        finally:
            c.close()

    def get(self, path, **params):
        return self.request("GET", path, params=params)

    def post(self, path, body, **params):
        return self.request("POST", path, body, params=params)

    def put(self, path, body):
        return self.request("PUT", path, body)

    def patch(self, path, body,
              ctype="application/strategic-merge-patch+json"):
        return self.request("PATCH", path, body, ctype=ctype)

    def delete(self, path, body=None, **params):
        return self.request("DELETE", path, body, params=params)

    def watch(self, path, **params):
        params.setdefault("watch", "true")
        return RawWatch(self, path + "?" + urllib.parse.urlencode(params))


class WatchClosed(Exception):
    pass


class RawWatch:
    """One watch request on its own TLS connection, read chunk by chunk.
    chunks: every chunk's payload as received; ended: the terminating
    chunk arrived; closed: the connection ended without it."""

    def __init__(self, client, target):
        raw = socket.create_connection((client.host, client.port), 10)
        self.sock = client._ctx().wrap_socket(raw,
                                              server_hostname="127.0.0.1")
        req = [f"GET {target} HTTP/1.1", f"Host: 127.0.0.1:{client.port}"]
        req += [f"{k}: {v}" for k, v in client._headers({}).items()]
        self.sock.sendall(("\r\n".join(req) + "\r\n\r\n").encode())
        self.f = self.sock.makefile("rb")
        status = self.f.readline().decode()
        self.code = int(status.split()[1])
        self.headers = []
        while True:
            line = self.f.readline().decode().rstrip("\r\n")
            if not line:
                break
            k, v = line.split(":", 1)
            self.headers.append((k, v.strip()))
        self.chunks, self.ended, self.closed = [], False, False
        self.buf = b""
        hd = {k.lower(): v for k, v in self.headers}
        if hd.get("transfer-encoding") != "chunked":
            n = int(hd.get("content-length", "0"))
            self.body = self.f.read(n)
            self.ended = True

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def _chunk(self, timeout):
        self.sock.settimeout(timeout)
        line = self.f.readline()
        if not line:
            self.closed = True
            raise WatchClosed("connection closed without the last chunk")
        if not line.endswith(b"\r\n"):
            self.closed = True
            raise WatchClosed(f"bad chunk size line {line!r}")
        n = int(line.strip(), 16)
        data = self.f.read(n) if n else b""
        if len(data) != n:
            self.closed = True
            raise WatchClosed("connection closed inside a chunk")
        if self.f.read(2) != b"\r\n":
            self.closed = True
            raise WatchClosed("chunk not followed by CRLF")
        if n == 0:
            self.ended = True
        else:
            self.chunks.append(data)
        return data

    def event(self, timeout=5.0):
        """The next event (a dict), or None when the watch ended."""
        deadline = time.time() + timeout
        while b"\n" not in self.buf:
            if self.ended:
                return None
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError("no event")
            try:
                self.buf += self._chunk(left)
            except (socket.timeout, ssl.SSLError, TimeoutError) as e:
                if isinstance(e, ssl.SSLError) and \
                        "timed out" not in str(e):
                    raise
                raise TimeoutError("no event") from None
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def events(self, n, timeout=5.0):
        return [self.event(timeout) for _ in range(n)]

    def until_end(self, timeout=10.0):
        """Every event up to the end of the stream."""
        out = []
        while True:
            ev = self.event(timeout)
            if ev is None:
                return out
            out.append(ev)

    def close(self):
        # the makefile() reader holds the socket open: close both
        for f in (self.f, self.sock):
            try:
                f.close()
            except OSError:
                pass
