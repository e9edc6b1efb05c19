"""PostgreSQL that hangs after the connection was made: a statement stuck behind a lock, the
server's processes stopped (SIGSTOP: the kernel still acknowledges, nothing answers). A request
answers within seconds — the 503 page, or the page itself once the pool has replaced the
connection — instead of waiting forever."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
import pytest

from konexi.extensions import db

# database_url: a migrated database on own_postgres, a cluster of this module's own
from tests.support.faults import database_on_own_postgres, wait_for  # noqa: F401

pytestmark = pytest.mark.faults

STATEMENT_TIMEOUT = 1  # seconds: the test's DATABASE_STATEMENT_TIMEOUT (production: 3)
WAIT_DEADLINE = STATEMENT_TIMEOUT + 1  # the client gives up on a silent server one second later
CONNECT_TIMEOUT = 5  # DATABASE_CONNECT_TIMEOUT


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _timed(call: Callable[[], int], limit: float) -> tuple[int | None, float]:
    """The status ``call`` returns and the seconds it took; None if still waiting at ``limit``."""
    answers: list[int] = []
    started = time.monotonic()
    thread = threading.Thread(target=lambda: answers.append(call()), daemon=True)
    thread.start()
    thread.join(timeout=limit)
    return (answers[0] if answers else None), time.monotonic() - started


def _backends(url: str) -> list[int]:
    """The server processes serving the app's connections to this database."""
    with psycopg.connect(_plain(url)) as admin:
        rows = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
    return [pid for (pid,) in rows]


@contextmanager
def stopped(pids: list[int]) -> Iterator[None]:
    """SIGSTOP the processes (a hung server), SIGCONT them afterwards whatever happens."""
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass


def _visitor(app):
    """``visit(path)()`` GETs ``path`` in a fresh app context and returns the status."""

    def visit(path: str) -> Callable[[], int]:
        def call() -> int:
            with app.app_context():
                return app.test_client().get(path).status_code

        return call

    return visit


def _warm_pool(app) -> None:
    """Leave the pool holding open connections, as a busy worker's would."""
    with app.app_context():
        for _ in range(3):
            assert app.test_client().get("/").status_code == 200


def test_a_statement_stuck_behind_a_lock_is_cancelled_by_the_statement_timeout(
    app_factory,
    database_url,  # noqa: F811
    twilio,
    mailbox,
):
    app = app_factory(DATABASE_STATEMENT_TIMEOUT=str(STATEMENT_TIMEOUT))
    _warm_pool(app)
    visit = _visitor(app)

    with psycopg.connect(_plain(database_url)) as blocker:
        blocker.execute("LOCK TABLE vouchers IN ACCESS EXCLUSIVE MODE")  # held until rollback
        feed, feed_seconds = _timed(visit("/"), limit=20)
        health, health_seconds = _timed(visit("/healthz"), limit=20)
        blocker.rollback()

    assert feed == 503 and feed_seconds < STATEMENT_TIMEOUT + 1.5
    assert health == 200 and health_seconds < 1  # SELECT 1 needs no lock: the server is fine
    assert _timed(visit("/"), limit=20)[0] == 200
    print(f"\nFIGURES database-lock: feed={feed} after_s={feed_seconds:.2f} healthz={health}")


def test_a_stopped_database_server_gets_the_503_page_within_seconds_and_recovers(
    app_factory,
    own_postgres,
    database_url,  # noqa: F811
    twilio,
    mailbox,
):
    app = app_factory(DATABASE_STATEMENT_TIMEOUT=str(STATEMENT_TIMEOUT))
    _warm_pool(app)
    visit = _visitor(app)
    postmaster = int((own_postgres.data / "postmaster.pid").read_text().split()[0])

    with stopped([postmaster, *_backends(database_url)]):
        # The pooled connection's ping gives up after the wait deadline, the pool tries a new
        # connection, which gives up after the connect timeout: then the 503 page.
        first, first_seconds = _timed(visit("/"), limit=30)
        # Later requests find the pool emptied: only the connect timeout.
        health, health_seconds = _timed(visit("/healthz"), limit=30)

    assert first == 503 and first_seconds < WAIT_DEADLINE + CONNECT_TIMEOUT + 1.5
    assert health == 503 and health_seconds < CONNECT_TIMEOUT + 1.5
    recovered = wait_for(lambda: visit("/")() == 200, "the feed to answer again")
    print(
        f"\nFIGURES database-sigstop: first={first} after_s={first_seconds:.1f} "
        f"healthz={health} after_s={health_seconds:.1f} recovered_s={recovered:.1f}"
    )


def test_a_stopped_backend_is_replaced_and_the_page_still_answers(
    app_factory,
    database_url,  # noqa: F811
    twilio,
    mailbox,
):
    app = app_factory(DATABASE_STATEMENT_TIMEOUT=str(STATEMENT_TIMEOUT))
    _warm_pool(app)
    visit = _visitor(app)

    feed = visit("/")
    with stopped(_backends(database_url)):
        status, seconds = _timed(feed, limit=30)
        again, again_seconds = _timed(feed, limit=30)

    assert status == 200 and seconds < WAIT_DEADLINE + 1.5
    assert again == 200 and again_seconds < 1  # the pool now holds a fresh connection
    print(f"\nFIGURES database-backend-sigstop: status={status} after_s={seconds:.1f}")


def test_connections_carry_the_statement_timeout_and_tcp_keepalives(
    app_factory,
    database_url,  # noqa: F811
):
    app = app_factory(DATABASE_STATEMENT_TIMEOUT="2.5")
    with app.app_context():
        connection = db.session.connection().connection.dbapi_connection
        assert connection.execute("SHOW statement_timeout").fetchone() == ("2500ms",)
        # libpq set these on its socket (keepalives, keepalives_idle/_interval/_count).
        probe = socket.socket(fileno=os.dup(connection.pgconn.socket))
        try:
            assert probe.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
            assert probe.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 30
            assert probe.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == 10
            assert probe.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == 3
        finally:
            probe.close()
        assert connection.wait_timeout == 3.5  # the client gives up a second after the server
        db.session.remove()
