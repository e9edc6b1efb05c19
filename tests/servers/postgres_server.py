"""A throwaway PostgreSQL cluster (initdb + pg_ctl in a temp dir) for the test session.

PostgreSQL refuses to run as root, so as root the cluster belongs to the ``postgres`` user
that Debian's package creates.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.servers.ports import free_port, wait_for_port


def _bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not candidates:
        raise RuntimeError(f"{name} not found: install PostgreSQL (make test does)")
    return candidates[-1]


def _as_cluster_owner(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


@dataclass
class PostgresServer:
    port: int
    directory: Path
    migrated_template: str | None = None  # a migrated database new ones may copy (faults.py)

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def url(self, database: str = "konexi_test") -> str:
        return f"postgresql+psycopg://konexi@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.directory, owner.pw_uid, owner.pw_gid)
        subprocess.run(  # noqa: S603
            _as_cluster_owner(
                [
                    _bin("initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "konexi",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--no-locale",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self.resume()

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database: empty, or a copy of ``template`` (which no one may be connected to)."""
        server = ["-h", "127.0.0.1", "-p", str(self.port), "-U", "konexi"]
        copy = ["--template", template] if template else []
        subprocess.run([_bin("createdb"), *server, *copy, name], check=True)  # noqa: S603
        return self.url(name)

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(  # noqa: S603
            _as_cluster_owner([_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"]),
            check=False,
            stdout=subprocess.DEVNULL,
        )

    def resume(self) -> None:
        """Start the (initialised or stopped) cluster on its port, data intact."""
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        subprocess.run(  # noqa: S603
            _as_cluster_owner(
                [
                    _bin("pg_ctl"),
                    "-D",
                    str(self.data),
                    "-o",
                    options,
                    "-l",
                    str(self.directory / "log"),
                    "-w",
                    "start",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def start_postgres() -> PostgresServer:
    server = PostgresServer(port=free_port(), directory=Path(tempfile.mkdtemp("-pg")))
    server.start()
    return server
