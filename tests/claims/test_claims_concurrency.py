"""Quotas hold under load: many people claiming at the same instant, on SQLite and PostgreSQL."""

from __future__ import annotations

import functools
import time
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from sqlalchemy import func, insert, select

from konexi.extensions import db
from konexi.models import Claim, OutboxMessage, User, Voucher, VoucherDailyStats
from konexi.models.base import utcnow
from konexi.services.accounts.passwords import hash_password
from konexi.services.claims.claims import claim_voucher
from konexi.services.claims.voucher_stats import stats_day
from tests.support.factories import fresh, make_voucher
from tests.support.races import all_at_once

CLAIMERS = 200
LEFT = 50


@pytest.fixture
def app(app_factory: Callable[..., Flask], twilio, mailbox) -> Iterator[Flask]:
    """The app without the request-time database bounds: here 200 threads of one process share
    one pool of 15 connections (a gunicorn process has 4 threads), and what is tested is that the
    quota holds, not how long a request may wait (tests/ops/test_faults_database_hung.py does
    that)."""
    application = app_factory(DATABASE_STATEMENT_TIMEOUT="0", DATABASE_POOL_TIMEOUT="120")
    with application.app_context():
        yield application
        db.session.remove()


def create_verified_users(count: int) -> list[int]:
    """Many verified users at once (one precomputed password hash, one INSERT)."""
    password_hash = hash_password("crowd-password")
    now = utcnow()
    db.session.execute(
        insert(User),
        [
            {
                "name": f"Claimer {n}",
                "email": f"claimer{n}@example.com",
                "phone": f"+62813{n:07d}",
                "password_hash": password_hash,
                "phone_verified_at": now,
                "email_verified_at": now,
            }
            for n in range(count)
        ],
    )
    db.session.commit()
    return list(db.session.scalars(select(User.id).where(User.email.like("claimer%"))))


def claim_all_at_once(app: Flask, voucher_id: int, user_ids: list[int]) -> tuple[Counter, list]:
    """Each user claims in its own thread (own app context and session), all released together."""
    results, errors = all_at_once(
        app, [functools.partial(claim_voucher, user_id, voucher_id) for user_id in user_ids]
    )
    return Counter(result.outcome.value for result in results), errors


def test_quota_holds_under_200_simultaneous_claims(app, twilio):
    voucher_id = make_voucher(quota_total=120, quota_claimed=120 - LEFT).id
    user_ids = create_verified_users(CLAIMERS)
    db.session.remove()

    started = time.monotonic()
    outcomes, errors = claim_all_at_once(app, voucher_id, user_ids)
    elapsed = time.monotonic() - started

    assert errors == []
    assert outcomes == {"ok": LEFT, "sold_out": CLAIMERS - LEFT}
    voucher = fresh(Voucher, voucher_id)
    assert voucher.quota_claimed == voucher.quota_total == 120
    claims = db.session.scalars(select(Claim).where(Claim.voucher_id == voucher.id)).all()
    assert len(claims) == LEFT
    assert len({claim.user_id for claim in claims}) == LEFT
    assert len({claim.code for claim in claims}) == LEFT
    stats = db.session.get(VoucherDailyStats, (voucher.id, stats_day()))
    assert stats.claims == LEFT
    code_sms = db.session.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == "claim_code")
    )
    assert code_sms == LEFT
    print(f"\n{db.engine.dialect.name}: {CLAIMERS} claims on {LEFT} left in {elapsed:.2f}s")
    assert elapsed < 20


def test_same_user_claiming_twice_at_once_gets_one(app, twilio, create_user):
    user_id = create_user().id
    voucher_id = make_voucher(quota_total=50, per_user_limit=1).id
    db.session.remove()

    outcomes, errors = claim_all_at_once(app, voucher_id, [user_id] * 8)

    assert errors == []
    assert outcomes == {"ok": 1, "limit_reached": 7}
    assert fresh(Voucher, voucher_id).quota_claimed == 1
    assert db.session.scalar(select(func.count(Claim.id)).where(Claim.user_id == user_id)) == 1


def test_same_user_with_a_limit_of_two_gets_exactly_two(app, twilio, create_user):
    user_id = create_user().id
    voucher_id = make_voucher(quota_total=50, per_user_limit=2).id
    db.session.remove()

    outcomes, errors = claim_all_at_once(app, voucher_id, [user_id] * 8)

    assert errors == []
    assert outcomes == {"ok": 2, "limit_reached": 6}
    numbers = db.session.scalars(
        select(Claim.claim_number).where(Claim.user_id == user_id).order_by(Claim.claim_number)
    ).all()
    assert numbers == [1, 2]
    assert fresh(Voucher, voucher_id).quota_claimed == 2
