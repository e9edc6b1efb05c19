"""A fake Sentry ingestion endpoint: stores every envelope POSTed to ``/api/<id>/envelope/``
(decompressed), so a test can read exactly what sentry-sdk would have sent."""

from __future__ import annotations

import gzip
import json
import threading
import zlib
from typing import Any

import brotli
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.servers.ports import free_port

_DECODERS = {"gzip": gzip.decompress, "deflate": zlib.decompress, "br": brotli.decompress}


class FakeSentry:
    def __init__(self) -> None:
        self.port = free_port()
        self.envelopes: list[bytes] = []
        self.lock = threading.Lock()
        self.server = make_server("127.0.0.1", self.port, self.wsgi, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def dsn(self) -> str:
        return f"http://public-key@127.0.0.1:{self.port}/1"

    def wsgi(self, environ, start_response):
        request = Request(environ)
        if request.method != "POST" or not request.path.endswith("/envelope/"):
            return Response("not found", status=404)(environ, start_response)
        body = request.get_data()
        encoding = request.headers.get("Content-Encoding", "")
        if encoding in _DECODERS:
            body = _DECODERS[encoding](body)
        with self.lock:
            self.envelopes.append(body)
        return Response(json.dumps({"id": "0" * 32}), mimetype="application/json")(
            environ, start_response
        )

    def events(self) -> list[dict[str, Any]]:
        """The error events received (envelope items of type "event"), parsed."""
        events = []
        with self.lock:
            envelopes = list(self.envelopes)
        for envelope in envelopes:
            lines = envelope.split(b"\n")
            for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                if json.loads(header).get("type") == "event":
                    events.append(json.loads(payload))
        return events

    def raw(self) -> bytes:
        with self.lock:
            return b"\n".join(self.envelopes)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
