"""The servers a benchmark run needs: throwaway Redis/PostgreSQL (the test suite's own modules),
migrated databases, and gunicorn started with the app's ``gunicorn.conf.py``."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests
from flask import Flask

from tests.servers.ports import free_port
from tests.servers.postgres_server import PostgresServer, start_postgres
from tests.servers.redis_server import RedisServer, start_redis

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "gunicorn.conf.py"
BENCH_SECRET = "bench-secret-key-not-for-production"  # noqa: S105 - a throwaway bench key

__all__ = [
    "Gunicorn",
    "PostgresServer",
    "RedisServer",
    "Servers",
    "app_environ",
    "build_app",
    "free_port",
    "migrate",
    "start_postgres",
    "start_redis",
]


def app_environ(database_url: str, redis_url: str | None) -> dict[str, str]:
    """The environment the benchmarked app runs with.

    ``development`` (not ``production``) because production marks cookies Secure, which an
    HTTP-only benchmark client would never send back; debug stays off under gunicorn, so
    templates and asset fingerprints are cached exactly as in production. Rate limits stay on,
    stored in Redis. No Twilio/SMTP: messages stay in the outbox and, with ``REDIS_URL`` set,
    their jobs are only enqueued (no worker runs), so the web path is what is measured.
    Logging is left at the app's default (INFO: one request-log line per request), as in
    production; ``BENCH_LOG_LEVEL`` overrides it. The anonymous-page cache runs with
    production's setting (development's is off); ``PAGE_CACHE_SECONDS=0`` measures without it.
    """
    from konexi.config import PAGE_CACHE_SECONDS_PRODUCTION

    environ = {
        "KONEXI_ENV": "development",
        "SECRET_KEY": BENCH_SECRET,
        "DATABASE_URL": database_url,
        "RATELIMIT_ENABLED": "true",
        "BASE_URL": "http://127.0.0.1",
        "PAGE_CACHE_SECONDS": os.environ.get(
            "PAGE_CACHE_SECONDS", str(PAGE_CACHE_SECONDS_PRODUCTION)
        ),
    }
    if os.environ.get("BENCH_LOG_LEVEL"):
        environ["LOG_LEVEL"] = os.environ["BENCH_LOG_LEVEL"]
    if redis_url:
        environ["REDIS_URL"] = redis_url
    return environ


def build_app(database_url: str, redis_url: str | None = None) -> Flask:
    """The app in this process, on the benchmark database (for seeding and direct timings).

    Without a statement timeout: seeding a million vouchers runs statements far longer than a
    web request may (gunicorn's app keeps the production default)."""
    from konexi import create_app

    return create_app({**app_environ(database_url, redis_url), "DATABASE_STATEMENT_TIMEOUT": "0"})


def migrate(database_url: str) -> None:
    """Create the schema the only way it is created: the Alembic migrations."""
    from flask_migrate import upgrade

    from konexi.extensions import db

    app = build_app(database_url)
    with app.app_context():
        upgrade()
        db.engine.dispose()


@dataclass
class Gunicorn:
    """gunicorn serving ``target`` with the app's own gunicorn.conf.py (same workers/threads)."""

    target: str
    environ: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    # gunicorn command-line settings, which win over gunicorn.conf.py (e.g. another worker class)
    arguments: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def launch(self) -> None:
        """Start gunicorn without waiting for it (see ``wait_ready``)."""
        environ = {**os.environ, **self.environ, "PORT": str(self.port)}
        environ["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(ROOT), environ.get("PYTHONPATH")])
        )
        gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [gunicorn, "--config", str(GUNICORN_CONF), *self.arguments, self.target],
                cwd=ROOT,
                env=environ,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, ready_path: str = "/", timeout: float = 90.0) -> None:
        """Wait until ``ready_path`` answers without a server error."""
        assert self.process is not None, "launch() first"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn {self.target} exited: see {self.log_path}")
            try:
                if requests.get(self.url + ready_path, timeout=10).status_code < 500:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn {self.target} is not answering: see {self.log_path}")

    def start(self, ready_path: str = "/", timeout: float = 90.0) -> None:
        self.launch()
        self.wait_ready(ready_path, timeout)

    def log_errors(self, limit: int = 10) -> list[str]:
        """The distinct ERROR/CRITICAL lines of the server's log (to explain a failed step)."""
        if not self.log_path.exists():
            return []
        lines = self.log_path.read_text(errors="replace").splitlines()
        wanted = [ln for ln in lines if " ERROR " in ln or "CRITICAL" in ln or "Traceback" in ln]
        return list(dict.fromkeys(wanted))[:limit]

    def request_durations(self, method: str, endpoint: str) -> list[float]:
        """Milliseconds the app itself spent on each such request, from its request log
        (``konexi.requests``: before_request to after_request, so without gunicorn's queueing)."""
        if not self.log_path.exists():
            return []
        pattern = re.compile(
            rf"konexi\.requests: {re.escape(method)} {re.escape(endpoint)} \S+ \d{{3}} ([\d.]+)ms"
        )
        return [
            float(m.group(1)) for m in pattern.finditer(self.log_path.read_text("utf-8", "replace"))
        ]

    def warm_up(self, paths: list[str], headers: dict[str, str] | None = None) -> None:
        """GET every path, 8 at a time, so each worker has rendered (templates compiled,
        database connections open) before anything is timed."""
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(
                pool.map(
                    lambda path: requests.get(self.url + path, headers=headers, timeout=60), paths
                )
            )
        failed = [answer.status_code for answer in answers if answer.status_code >= 500]
        if failed:
            raise RuntimeError(f"warming {self.target} up answered {failed}: see {self.log_path}")

    def log_size(self) -> int:
        """Where the log ends now: ``request_lines(since=...)`` reads only what follows."""
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def request_lines(self, endpoint: str, since: int = 0) -> list[str]:
        """The request-log lines (``konexi.requests``) of one endpoint written after ``since``;
        a page cache hit's line ends with ``cache=hit``."""
        if not self.log_path.exists():
            return []
        with self.log_path.open("rb") as log:
            log.seek(since)
            text = log.read().decode("utf-8", "replace")
        marker = f"konexi.requests: GET {endpoint} "
        return [line for line in text.splitlines() if marker in line]

    def interrupt(self) -> None:
        """Ask for gunicorn's quick shutdown (SIGINT): the measuring is over, so idle
        keep-alive connections need not be waited for as SIGTERM's graceful stop would."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.interrupt()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def __enter__(self) -> Gunicorn:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


@dataclass
class Servers:
    """The throwaway Redis and (when wanted) PostgreSQL of one run, stopped together."""

    redis: RedisServer | None = None
    postgres: PostgresServer | None = None
    postgres_url_from_env: str | None = None
    _databases: int = 0
    _starting: threading.Thread | None = None
    _start_error: BaseException | None = None

    def start_postgres_in_background(self) -> None:
        """initdb and pg_ctl take seconds: start them while other work goes on."""
        if self.postgres_url_from_env or self.postgres is not None or self._starting:
            return

        def start() -> None:
            try:
                self.postgres = start_postgres()
            except BaseException as error:  # noqa: BLE001 - raised again by postgres_database
                self._start_error = error

        self._starting = threading.Thread(target=start, daemon=True)
        self._starting.start()

    def start_redis(self) -> str:
        if self.redis is None:
            self.redis = start_redis()
        return self.redis.url

    def postgres_database(self, name: str) -> str:
        """A new migrated PostgreSQL database: on BENCH_POSTGRES_URL or a throwaway server."""
        self._databases += 1
        if self.postgres_url_from_env:
            # One database given from outside: every use shares it (the tables are emptied first).
            url = self.postgres_url_from_env
            _drop_all_tables(url)
        else:
            if self._starting is not None:
                self._starting.join()
                self._starting = None
                if self._start_error is not None:
                    raise self._start_error
            if self.postgres is None:
                self.postgres = start_postgres()
            url = self.postgres.create_database(name)
        migrate(url)
        return url

    def stop(self) -> None:
        if self._starting is not None:
            self._starting.join()
        if self.redis is not None:
            self.redis.stop()
            shutil.rmtree(self.redis.directory, ignore_errors=True)
            self.redis = None
        if self.postgres is not None:
            self.postgres.stop()
            self.postgres.remove()
            self.postgres = None


def _drop_all_tables(url: str) -> None:
    from sqlalchemy import MetaData, create_engine

    from konexi.config import normalise_database_url

    engine = create_engine(normalise_database_url(url))
    metadata = MetaData()
    # spatial_ref_sys belongs to the PostGIS extension (which refuses to lose it).
    metadata.reflect(engine, only=lambda name, _metadata: name != "spatial_ref_sys")
    metadata.drop_all(engine)
    engine.dispose()
