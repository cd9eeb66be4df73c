"""A gRPC health server (grpc.health.v1.Health/Check) over HTTP/2
cleartext, by hand: enough of HTTP/2 for one unary call per connection,
no HPACK decoding (the request's service is read from its DATA).  The
statuses it answers: SERVICES[name] (1 SERVING, 2 NOT_SERVING); a name it
does not know gets a trailers-only NOT_FOUND, as grpc-go's health server
does."""
import socket
import struct
import threading

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, SETTINGS = 0, 1, 4
END_STREAM, END_HEADERS, ACK = 1, 4, 1


def frame(ftype, flags, stream, payload=b""):
    return (struct.pack(">I", len(payload))[1:] +
            bytes([ftype, flags]) + struct.pack(">I", stream) + payload)


def literal(name, value):
    """HPACK literal without indexing, new name, no Huffman."""
    n, v = name.encode(), value.encode()
    return bytes([0, len(n)]) + n + bytes([len(v)]) + v


def read_exact(conn, n):
    b = b""
    while len(b) < n:
        chunk = conn.recv(n - len(b))
        if not chunk:
            raise EOFError
        b += chunk
    return b


class HealthServer:
    def __init__(self, services, host="0.0.0.0"):
        self.services = dict(services)
        self.calls = []
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.stop = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.call, args=(conn,),
                             daemon=True).start()

    def call(self, conn):
        try:
            conn.settimeout(5)
            if read_exact(conn, len(PREFACE)) != PREFACE:
                return
            conn.sendall(frame(SETTINGS, 0, 0))
            body = b""
            while True:
                h = read_exact(conn, 9)
                ln = int.from_bytes(h[:3], "big")
                ftype, flags = h[3], h[4]
                payload = read_exact(conn, ln)
                if ftype == SETTINGS and not flags & ACK:
                    conn.sendall(frame(SETTINGS, ACK, 0))
                if ftype == DATA:
                    body += payload
                    if flags & END_STREAM:
                        break
            msg = body[5:]
            service = msg[2:2 + msg[1]].decode() if msg else ""
            self.calls.append(service)
            status = self.services.get(service)
            head = bytes([0x88]) + literal("content-type",
                                           "application/grpc")
            if status is None:
                conn.sendall(frame(HEADERS, END_HEADERS | END_STREAM, 1,
                                   head + literal("grpc-status", "5")))
            else:
                resp = bytes([0x08, status])
                conn.sendall(frame(HEADERS, END_HEADERS, 1, head) +
                             frame(DATA, 0, 1, b"\0" + struct.pack(
                                 ">I", len(resp)) + resp) +
                             frame(HEADERS, END_HEADERS | END_STREAM, 1,
                                   literal("grpc-status", "0")))
            # the client hangs up, as with a real server: closing first
            # with its acks unread would reset what it has not read yet
            while conn.recv(4096):
                pass
        except (OSError, EOFError):
            pass
        finally:
            conn.close()

    def close(self):
        self.stop = True
        self.sock.close()
