"""The purge and a login that cancels the deletion (or reopens a closed account), at the same
moment on PostgreSQL: whichever reaches the account first wins outright, and a half-purged
account never comes back."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from konexi.extensions import db
from konexi.models import Claim, User
from konexi.models.base import utcnow
from konexi.services.accounts.account_lifecycle import Comeback, come_back
from konexi.services.accounts.accounts import AccountError
from konexi.services.privacy.purge import purge_due_accounts
from tests.support.factories import make_voucher
from tests.support.faults import postgres_only  # noqa: F401 - database_url: PostgreSQL only
from tests.support.redemption import make_claim


@dataclass(eq=False)  # an event listener: hashed by identity
class Pause:
    """Holds the purge's thread right after it sends the statement ``where`` matches."""

    where: Callable[[str], bool]
    reached: threading.Event = field(default_factory=threading.Event)
    go_on: threading.Event = field(default_factory=threading.Event)
    thread_id: int | None = None

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if threading.get_ident() == self.thread_id and self.where(statement):
            self.reached.set()
            assert self.go_on.wait(timeout=30), "the test never let the purge go on"


@contextmanager
def paused(app: Flask, where: Callable[[str], bool]) -> Iterator[Pause]:
    pause = Pause(where)
    with app.app_context():
        engine = db.engine
    event.listen(engine, "after_cursor_execute", pause)
    try:
        yield pause
    finally:
        pause.go_on.set()
        event.remove(engine, "after_cursor_execute", pause)


def in_thread(
    app: Flask, action: Callable[[], Any], pause: Pause | None = None
) -> tuple[threading.Thread, dict[str, Any]]:
    """Run ``action`` in its own thread, app context and database connection."""
    outcome: dict[str, Any] = {}
    started = threading.Event()

    def run() -> None:
        if pause is not None:
            pause.thread_id = threading.get_ident()
        started.set()
        with app.app_context():
            try:
                outcome["result"] = action()
            except Exception as error:  # noqa: BLE001 - the test asserts on it
                outcome["error"] = error
            finally:
                db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    started.wait(timeout=10)
    return thread, outcome


@dataclass(frozen=True)
class Leaving:
    """An account at the very end of its grace period (``moment``), with a claim the purge
    anonymises, and the comeback a login offers it."""

    user_id: int
    version: int
    moment: datetime
    comeback: Comeback


@pytest.fixture(params=[Comeback.CANCEL_DELETION, Comeback.REOPEN], ids=["deleting", "closed"])
def leaving(
    request: pytest.FixtureRequest, app: Flask, create_user: Callable[..., User]
) -> Leaving:
    """An account being deleted whose purge date is now, or a closed one whose grace period
    (``PURGE_GRACE_DAYS`` after closing) ends now."""
    user = create_user()
    make_claim(user, make_voucher())
    moment = utcnow()
    user.closed_at = moment - timedelta(days=int(app.config["PURGE_GRACE_DAYS"]))
    if request.param is Comeback.CANCEL_DELETION:
        user.status = "deleting"
        user.purge_after = moment
    else:
        user.status = "closed"
    db.session.commit()
    return Leaving(user.id, user.session_version, moment, request.param)


def _purge(leaving: Leaving) -> Callable[[], Any]:
    # The purge's clock just past the end of the grace period, the login's just before it.
    return lambda: purge_due_accounts(now=leaving.moment + timedelta(seconds=1))


def _come_back(leaving: Leaving) -> Callable[[], Any]:
    return lambda: come_back(
        leaving.user_id,
        leaving.version,
        leaving.comeback,
        now=leaving.moment - timedelta(seconds=1),
    )


def _their_claims(user_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Claim.id)).where(Claim.user_id == user_id)) or 0


def test_a_login_while_the_purge_erases_the_account_waits_and_is_refused(
    app: Flask, leaving: Leaving
) -> None:
    user_id = leaving.user_id
    with paused(app, lambda sql: sql.startswith("UPDATE users")) as pause:
        purge, purged = in_thread(app, _purge(leaving), pause)
        assert pause.reached.wait(timeout=30), "the purge never locked the account"
        login, logged = in_thread(app, _come_back(leaving))
        login.join(timeout=1)
        assert login.is_alive(), "the login did not wait for the purge"
        pause.go_on.set()
        purge.join(timeout=30)
        login.join(timeout=30)

    assert purged["result"].purged_count == 1
    assert isinstance(logged.get("error"), AccountError)
    assert db.session.get(User, user_id) is None
    assert _their_claims(user_id) == 0


def test_a_login_that_cancels_after_the_purge_listed_the_account_keeps_it_whole(
    app: Flask, leaving: Leaving
) -> None:
    user_id = leaving.user_id
    listing = lambda sql: sql.startswith("SELECT users.id") and "LIMIT" in sql  # noqa: E731
    with paused(app, listing) as pause:
        purge, purged = in_thread(app, _purge(leaving), pause)
        assert pause.reached.wait(timeout=30), "the purge never listed the account"
        login, logged = in_thread(app, _come_back(leaving))
        login.join(timeout=30)
        assert "result" in logged, logged.get("error")
        pause.go_on.set()
        purge.join(timeout=30)

    assert purged["result"].purged_count == 0
    user = db.session.get(User, user_id)
    assert user is not None and user.status == "active"
    assert user.purge_after is None and user.closed_at is None
    assert _their_claims(user_id) == 1
