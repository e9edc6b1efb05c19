"""Extension objects, created unbound and bound to the app in ``create_app()``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from flask import Flask, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import CursorResult, Engine, Result
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import ConnectionPoolEntry

import konexi.database_timeouts  # noqa: F401 - PostgreSQL connections that stop waiting
from konexi.redis_client import shared_pool

# Stable constraint names so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def client_ip() -> str:
    """The client's address: X-Forwarded-For counts only as far as TRUSTED_PROXIES allows
    (konexi/web/proxies.py), so a client cannot choose its own address."""
    return get_remote_address() or request.remote_addr or "unknown"


db = SQLAlchemy(model_class=Base)

if TYPE_CHECKING:
    # db.Model is a class Flask-SQLAlchemy builds at run time from Base, which a type checker
    # cannot use as a base class: the models are checked as what they are, Base subclasses.
    Model = Base
else:
    Model = db.Model


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE, DELETE or INSERT touched. Session.execute is typed as returning
    a plain Result, which has no rowcount; for those statements it is a CursorResult."""
    return cast(CursorResult[Any], result).rowcount


@event.listens_for(Engine, "connect")
def _sqlite_enforces_foreign_keys(
    dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry
) -> None:
    """SQLite ignores foreign keys (so ON DELETE CASCADE/SET NULL) unless asked per connection."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()


class KonexiLimiter(Limiter):
    """Flask-Limiter that survives a Redis outage: the limits are counted in this process's
    memory until Redis answers again (checked with a growing pause), and any other storage error
    is logged instead of failing the request. A request must never fail because Redis did."""

    def init_app(self, app: Flask) -> None:
        self._storage_dead = False  # one limiter serves every app built in a process (tests)
        # Flask-Limiter adds RATELIMIT_STORAGE_OPTIONS (the rediss:// certificate policy) into
        # this dict: start from the timeouts alone, so one app's options never reach the next.
        options: dict[str, object] = dict(RATELIMIT_REDIS_OPTIONS)
        pool = shared_pool(app)
        if pool is not None:  # the app's one Redis pool (konexi/redis_client.py)
            options["connection_pool"] = pool
        # Flask-Limiter types these as str | int; they go to limits' storage_from_string, whose
        # Redis storage takes a connection_pool.
        self._storage_options = cast("dict[str, str | int]", options)
        super().init_app(app)

    @property
    def counting_in_memory(self) -> bool:
        """True while Redis is unreachable and limits are counted in this process only."""
        return bool(self._storage_dead)


# Fail fast when Redis is gone rather than holding the request for the default timeouts; the
# app's REDIS_SOCKET_TIMEOUT settings (RATELIMIT_STORAGE_OPTIONS) replace these in init_app.
RATELIMIT_REDIS_OPTIONS: dict[str, str | int] = {"socket_connect_timeout": 1, "socket_timeout": 1}

limiter = KonexiLimiter(
    key_func=client_ip,
    default_limits=[],
    in_memory_fallback_enabled=True,
    swallow_errors=True,
    storage_options=RATELIMIT_REDIS_OPTIONS,  # the memory storage ignores them
)
