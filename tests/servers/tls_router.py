"""A small front router like Heroku's: TLS ends here, the app behind it speaks plain HTTP.

It listens on two ports, one HTTPS (a self-signed certificate) and one plain HTTP, and forwards
each request to the app with the headers Heroku's router sets: ``X-Forwarded-Proto`` and
``X-Forwarded-Port`` (overwritten, never trusted from the client), ``X-Forwarded-For`` (the
client's address appended to what the client sent), ``X-Request-Start`` and ``Via``. One request
per connection (``Connection: close`` both ways); the answer is streamed back as it arrives.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from dataclasses import dataclass, field

from tests.servers.ports import free_port
from tests.servers.tls import SelfSignedCertificate

MAX_HEAD = 64 * 1024
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "upgrade",
    "x-forwarded-proto",
    "x-forwarded-port",
}
UNAVAILABLE = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
    b"Content-Length: 17\r\nConnection: close\r\n\r\nApplication Error"
)


@dataclass
class RoutedRequest:
    scheme: str
    method: str
    target: str
    status: int | None


@dataclass
class TlsRouter:
    upstream_port: int
    certificate: SelfSignedCertificate
    https_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    routed: list[RoutedRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._listeners: list[socket.socket] = []
        self._lock = threading.Lock()
        self._context = self.certificate.server_context()

    @property
    def https_url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        for port, scheme in ((self.https_port, "https"), (self.http_port, "http")):
            listener = socket.create_server(("127.0.0.1", port), backlog=64)
            self._listeners.append(listener)
            threading.Thread(
                target=self._accept, args=(listener, scheme, port), daemon=True
            ).start()

    def stop(self) -> None:
        for listener in self._listeners:
            listener.close()
        self._listeners.clear()

    # -- forwarding -------------------------------------------------------------------------
    def _accept(self, listener: socket.socket, scheme: str, port: int) -> None:
        while True:
            try:
                client, address = listener.accept()
            except OSError:
                return  # stopped
            threading.Thread(
                target=self._serve, args=(client, address[0], scheme, port), daemon=True
            ).start()

    def _serve(self, client: socket.socket, client_ip: str, scheme: str, port: int) -> None:
        try:
            client.settimeout(30)
            if scheme == "https":
                client = self._context.wrap_socket(client, server_side=True)
            self._forward(client, client_ip, scheme, port)
        except (OSError, ssl.SSLError, ValueError):
            pass  # a client that went away or spoke nonsense: nothing to answer
        finally:
            client.close()

    def _forward(self, client: socket.socket, client_ip: str, scheme: str, port: int) -> None:
        started = time.time()
        head, rest = _read_head(client)
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, target, _version = request_line.split(" ", 2)
        headers = [tuple(line.split(":", 1)) for line in header_lines if ":" in line]
        forwarded_for = [v.strip() for k, v in headers if k.strip().lower() == "x-forwarded-for"]
        kept = [
            (k.strip(), v.strip())
            for k, v in headers
            if k.strip().lower() not in HOP_BY_HOP and k.strip().lower() != "x-forwarded-for"
        ]
        kept += [
            ("X-Forwarded-For", ", ".join([*forwarded_for, client_ip])),
            ("X-Forwarded-Proto", scheme),
            ("X-Forwarded-Port", str(port)),
            ("X-Request-Start", str(int(started * 1000))),
            ("Via", "1.1 vegur"),
            ("Connection", "close"),
        ]
        body = _read_body(client, headers, rest)
        upstream_head = f"{method} {target} HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in kept
        )
        record = RoutedRequest(scheme, method, target, None)
        with self._lock:
            self.routed.append(record)
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=30)
        except OSError:
            record.status = 503
            client.sendall(UNAVAILABLE)
            return
        with upstream:
            upstream.sendall(upstream_head.encode("latin-1") + b"\r\n" + body)
            first = True
            while chunk := upstream.recv(65536):
                if first:
                    record.status = int(chunk.split(b" ", 2)[1])
                    first = False
                client.sendall(chunk)


def _read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ValueError("connection closed before the request head ended")
        data += chunk
        if len(data) > MAX_HEAD:
            raise ValueError("request head too large")
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _read_body(sock: socket.socket, headers: list[tuple[str, ...]], rest: bytes) -> bytes:
    """The body as sent: ``Content-Length`` bytes, or chunks up to the last one (kept raw)."""
    values = {k.strip().lower(): v.strip() for k, v in headers}
    if values.get("transfer-encoding", "").lower() == "chunked":
        while not rest.endswith(b"0\r\n\r\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        return rest
    length = int(values.get("content-length", "0") or 0)
    while len(rest) < length:
        chunk = sock.recv(min(65536, length - len(rest)))
        if not chunk:
            break
        rest += chunk
    return rest
