"""PostgreSQL connections that give up on a server that stopped answering.

The server cancels a slow statement itself (``statement_timeout``, set per connection in
konexi/config.py), but a server that hangs — a stopped process, a frozen machine, packets
dropped after the connection was made — cancels nothing, and libpq would wait forever (the
kernel keeps acknowledging). Every wait of such a connection (a query, a commit, the pool's
pre-ping) therefore ends after ``konexi_wait_timeout`` seconds: the connection is closed, which
SQLAlchemy treats as a disconnect, and the request gets the 503 page.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import errors
from sqlalchemy import event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.pool import ConnectionPoolEntry

WAIT_TIMEOUT_ARG = "konexi_wait_timeout"


class DeadlineConnection(psycopg.Connection[Any]):
    """A psycopg connection whose every wait for the server ends after ``wait_timeout``."""

    wait_timeout: float | None = None

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        try:
            return super().wait(gen, interval=interval, timeout=timeout or self.wait_timeout)
        except errors._WaitTimeout:
            self.pgconn.finish()  # the protocol state is unknown: never reuse this connection
            raise psycopg.OperationalError(
                f"PostgreSQL did not answer within {self.wait_timeout} s"
            ) from None


@event.listens_for(Engine, "do_connect")
def _connect_with_a_deadline(
    _dialect: Dialect, _record: ConnectionPoolEntry, cargs: tuple[Any, ...], cparams: dict[str, Any]
) -> DeadlineConnection | None:
    """Engines configured with ``konexi_wait_timeout`` get DeadlineConnections."""
    wait_timeout = cparams.pop(WAIT_TIMEOUT_ARG, None)
    if wait_timeout is None:
        return None
    connection = DeadlineConnection.connect(*cargs, **cparams)
    connection.wait_timeout = float(wait_timeout)
    return connection
