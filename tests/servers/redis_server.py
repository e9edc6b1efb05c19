"""A throwaway redis-server (no persistence) for the test session, plain or TLS only (as
Heroku's Redis add-on: ``rediss://`` with a self-signed certificate)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.servers.ports import free_port, wait_for_port
from tests.servers.tls import SelfSignedCertificate, make_self_signed_certificate


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen | None
    directory: Path
    tls: SelfSignedCertificate | None = None

    @property
    def url(self) -> str:
        scheme = "rediss" if self.tls else "redis"
        return f"{scheme}://127.0.0.1:{self.port}/0"

    def _listen(self) -> list[str]:
        if self.tls is None:
            return ["--port", str(self.port)]
        return [
            "--port",
            "0",  # TLS only: nothing answers in clear
            "--tls-port",
            str(self.port),
            "--tls-cert-file",
            str(self.tls.cert_file),
            "--tls-key-file",
            str(self.tls.key_file),
            "--tls-ca-cert-file",
            str(self.tls.cert_file),
            "--tls-auth-clients",
            "no",
        ]

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (make test installs it)")
        self.process = subprocess.Popen(  # noqa: S603
            [
                binary,
                *self._listen(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


def start_redis(tls: bool = False) -> RedisServer:
    """A redis-server on a free port; with ``tls``, TLS only with a fresh self-signed cert."""
    directory = Path(tempfile.mkdtemp("-redis"))
    certificate = make_self_signed_certificate(directory / "tls") if tls else None
    server = RedisServer(port=free_port(), process=None, directory=directory, tls=certificate)
    server.start()
    return server
