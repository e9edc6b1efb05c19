"""The account purge: nothing personal survives it, aggregate counts do, fraud holds are kept."""

from __future__ import annotations

import os
import time
from datetime import timedelta

from flask import Flask
from sqlalchemy import func, insert, select

from konexi.extensions import db
from konexi.models import Claim, Review, Share, User
from konexi.models.base import utcnow
from konexi.services.accounts.accounts import sign_up
from konexi.services.privacy import jobs as privacy_jobs
from konexi.services.privacy.purge import purge_due_accounts
from konexi.services.providers.invitations import invite
from konexi.services.sharing.sharing import share_voucher
from tests.support.app import TEST_PASSWORD
from tests.support.factories import make_company, make_member, make_voucher
from tests.support.purge import BIRTH, EMAIL, NAME, PHONE, dump_database, make_rich_user


def _mark_for_deletion(user_id: int, days_ago: int = 31) -> None:
    user = db.session.get(User, user_id)
    user.status = "deleting"
    user.closed_at = utcnow() - timedelta(days=days_ago)
    user.purge_after = utcnow() - timedelta(days=days_ago - 30)
    db.session.commit()


def _messages_naming(user_id: int, create_user) -> None:
    """The user invites someone to a team they run and shares a voucher by email: both texts,
    sent to other people, carry the user's name."""
    co_owner = create_user(name="Agus Pemilik")
    company = make_company()
    make_member(company, co_owner, "owner")
    admin = make_member(company, db.session.get(User, user_id), "admin")
    invite(admin, "new.colleague@example.com", "staff")
    share_voucher(user_id, make_voucher().id, "teman.baik@example.com", "Ayo!", "10.0.0.1")


def test_nothing_personal_survives_the_purge(app: Flask, create_user) -> None:
    bystander = create_user(name="Budi Santoso")
    rich = make_rich_user()
    _messages_naming(rich.user_id, create_user)
    before = dump_database()
    assert f"{NAME} invited you" in before
    assert f"{NAME.split()[0]} shared a voucher with you" in before
    for secret in (NAME, EMAIL, PHONE, BIRTH.isoformat()):
        assert secret in before  # the test data really holds them
    _mark_for_deletion(rich.user_id)

    report = purge_due_accounts()

    assert report.purged_count == 1
    assert report.held_ids == []
    after = dump_database()
    for secret in (NAME, EMAIL, PHONE, BIRTH.isoformat(), NAME.split()[0]):
        assert secret not in after
    assert "Budi Santoso" in after
    assert db.session.get(User, bystander.id) is not None


def test_claims_and_ratings_survive_as_anonymous_counts(app: Flask) -> None:
    rich = make_rich_user()
    _mark_for_deletion(rich.user_id)

    purge_due_accounts()

    claims = db.session.scalars(select(Claim).where(Claim.voucher_id.in_(rich.voucher_ids))).all()
    assert len(claims) == 2
    assert {c.user_id for c in claims} == {None}
    assert {c.status for c in claims} == {"active", "redeemed"}
    review = db.session.get(Review, rich.review_id)
    assert (review.user_id, review.rating, review.text, review.reply_text) == (None, 4, "", None)
    share = db.session.get(Share, rich.share_id)
    assert share.sender_id is None


def test_the_same_email_and_phone_can_sign_up_again(app: Flask) -> None:
    rich = make_rich_user()
    _mark_for_deletion(rich.user_id)
    purge_due_accounts()

    result = sign_up(name=NAME, email=EMAIL, phone=PHONE, password=TEST_PASSWORD, ip=None)

    # A new person: nothing of the purged account comes back with the same contacts.
    assert result.user.email == EMAIL and result.user.phone == PHONE
    assert result.user.phone_verified_at is None and result.user.birth_date is None
    assert (
        db.session.scalar(select(func.count(Claim.id)).where(Claim.user_id == result.user.id)) == 0
    )


def test_an_account_in_its_grace_period_is_not_purged(app: Flask) -> None:
    rich = make_rich_user()
    user = db.session.get(User, rich.user_id)
    user.status = "deleting"
    user.purge_after = utcnow() + timedelta(days=1)
    db.session.commit()

    assert purge_due_accounts().purged_count == 0
    assert db.session.get(User, rich.user_id) is not None


def test_an_account_under_a_fraud_hold_is_kept_and_reported(app: Flask) -> None:
    rich = make_rich_user()
    _mark_for_deletion(rich.user_id)
    user = db.session.get(User, rich.user_id)
    user.fraud_hold_reason = "chargeback investigation"
    user.fraud_hold_at = utcnow()
    db.session.commit()

    report = purge_due_accounts()

    assert report.purged_count == 0
    assert report.held_ids == [rich.user_id]
    assert NAME in dump_database()


def test_the_job_and_the_command_run_the_purge(app: Flask, runner, create_user) -> None:
    first = create_user()
    second = create_user()
    _mark_for_deletion(first.id)
    _mark_for_deletion(second.id)
    first_id, second_id = first.id, second.id

    assert privacy_jobs.purge_accounts() == {"purged": 2, "held_ids": []}
    assert db.session.get(User, first_id) is None
    assert db.session.get(User, second_id) is None
    third = create_user()
    third_id = third.id
    _mark_for_deletion(third_id)
    result = runner.invoke(args=["purge-accounts"])
    assert result.exit_code == 0, result.output
    assert "purged 1 accounts" in result.output
    db.session.expire_all()
    assert db.session.get(User, third_id) is None


def test_thousands_of_accounts_are_purged_in_batches(app: Flask) -> None:
    count = int(os.environ.get("KONEXI_PURGE_BENCH_N", "1200"))  # 10000 for a timing run
    past = utcnow() - timedelta(days=1)
    db.session.execute(
        insert(User),
        [
            {
                "name": f"Person {n}",
                "email": f"person{n}@example.com",
                "phone": f"+62813{n:07d}",
                "status": "deleting",
                "purge_after": past,
                "session_version": 1,
            }
            for n in range(count)
        ],
    )
    db.session.commit()

    started = time.perf_counter()
    report = purge_due_accounts(batch_size=500)
    elapsed = time.perf_counter() - started

    assert report.purged_count == count
    assert db.session.scalar(select(func.count(User.id))) == 0
    print(f"purged {count} accounts in {elapsed:.2f}s")
    assert elapsed < 30


def test_a_company_whose_only_owner_is_purged_is_closed(app: Flask, create_user) -> None:
    from konexi.models import Company

    # Asked before the only-owner rule existed (or forced by hand): the purge still runs.
    sole, shared = make_company(), make_company()
    owner = create_user(name="Agus Pemilik")
    make_member(sole, owner, "owner")
    make_member(sole, create_user(name="Wati Admin"), "admin")
    make_member(shared, owner, "owner")
    make_member(shared, create_user(name="Rina Pemilik"), "owner")
    _mark_for_deletion(owner.id)

    purge_due_accounts()

    assert db.session.get(Company, sole.id).is_active is False
    assert db.session.get(Company, shared.id).is_active is True
