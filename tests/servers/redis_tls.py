"""A throwaway redis-server that speaks TLS only, like Heroku's Redis add-on (``rediss://``).

Its certificate is self-signed (a CA made for it alone), so a client that verifies certificates
against the system's CAs refuses it, as it would refuse the add-on's.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tests.servers.certificates import Certificate, make_certificate
from tests.servers.ports import free_port, wait_for_port


@dataclass
class TlsRedisServer:
    directory: Path
    certificate: Certificate
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"rediss://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (make test installs it)")
        self.process = subprocess.Popen(  # noqa: S603
            [
                binary,
                "--port",
                "0",  # no plain-text port at all
                "--tls-port",
                str(self.port),
                "--tls-cert-file",
                str(self.certificate.cert_file),
                "--tls-key-file",
                str(self.certificate.key_file),
                "--tls-ca-cert-file",
                str(self.certificate.ca_file),
                "--tls-auth-clients",
                "no",
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


def start_tls_redis() -> TlsRedisServer:
    directory = Path(tempfile.mkdtemp("-redis-tls"))
    server = TlsRedisServer(directory=directory, certificate=make_certificate(directory, "redis"))
    server.start()
    return server
