"""Races on PostgreSQL, the production database: many requests at the same instant, each in its own
thread, app context and database connection. (Claims at the quota edge and double redemption are
raced in test_claims_concurrency.py and test_redemption_service.py / test_redemption_web.py.)"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from flask import Flask
from sqlalchemy import func, select

from konexi.extensions import db
from konexi.models import Share, User
from konexi.models.base import utcnow
from konexi.services.accounts.passwords import hash_password
from konexi.services.sharing.sharing import (
    SHARES_PER_RECIPIENT,
    SHARES_PER_SENDER,
    ShareError,
    share_voucher,
)
from tests.support.app import TEST_PASSWORD, csrf_token_from
from tests.support.factories import make_voucher
from tests.support.faults import postgres_only  # noqa: F401 - database_url: PostgreSQL only
from tests.support.races import all_at_once
from tests.support.sharing import seed_shares

RACERS = 8


def make_sender(n: int) -> int:
    user = User(
        name=f"Sender {n}",
        email=f"sender{n}@example.com",
        phone=f"+62819{n:07d}",
        password_hash=hash_password(TEST_PASSWORD),
        phone_verified_at=utcnow(),
        email_verified_at=utcnow(),
    )
    db.session.add(user)
    db.session.commit()
    return user.id


def signup_race(app: Flask, forms: list[dict[str, str]]) -> list[tuple[int, str]]:
    """Each form posted to /signup by its own browser (own IP) at the same instant."""
    posts = []
    for n, form in enumerate(forms):
        client = app.test_client()
        ip = {"REMOTE_ADDR": f"10.1.0.{n + 1}"}
        token = csrf_token_from(client.get("/signup", environ_base=ip).get_data(as_text=True))

        def post(client=client, form=form, token=token, ip=ip):
            response = client.post("/signup", data={**form, "csrf_token": token}, environ_base=ip)
            return response.status_code, response.get_data(as_text=True)

        posts.append(post)
    results, errors = all_at_once(app, posts)
    assert errors == []
    return results


def test_simultaneous_sign_ups_with_one_email_make_one_account_and_field_errors(
    app, twilio, mailbox
):
    forms = [
        {
            "name": f"Ayu {n}",
            "email": "ayu@example.com",
            "phone": f"0812 5555 00{n:02d}",
            "password": TEST_PASSWORD,
        }
        for n in range(RACERS)
    ]
    results = signup_race(app, forms)

    statuses = Counter(status for status, _html in results)
    assert statuses == {303: 1, 200: RACERS - 1}  # never a 500
    for status, html in results:
        if status == 200:
            assert "This email can&#39;t be used for a new account." in html
            assert 'value="ayu@example.com"' in html  # the form keeps what was typed
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_simultaneous_sign_ups_with_one_phone_make_one_account(app, twilio, mailbox):
    forms = [
        {
            "name": f"Bayu {n}",
            "email": f"bayu{n}@example.com",
            "phone": "0812 6666 0001",
            "password": TEST_PASSWORD,
        }
        for n in range(RACERS)
    ]
    results = signup_race(app, forms)

    statuses = Counter(status for status, _html in results)
    assert statuses == {303: 1, 200: RACERS - 1}
    for status, html in results:
        if status == 200:
            assert "This phone number can&#39;t be used for a new account." in html
    assert db.session.scalar(select(func.count(User.id))) == 1
    assert len(twilio.to("+6281266660001")) == 1  # one code, to the one account


def share_race(
    app: Flask, senders: list[int], voucher_ids: list[int], friends: list[str]
) -> Counter:
    def share(sender: int, voucher: int, friend: str) -> Callable[[], str]:
        def run() -> str:
            try:
                share_voucher(sender, voucher, friend, None, "10.9.9.9")
                return "sent"
            except ShareError as error:
                return error.reason

        return run

    results, errors = all_at_once(
        app, [share(*args) for args in zip(senders, voucher_ids, friends, strict=True)]
    )
    assert errors == []
    return Counter(results)


def test_simultaneous_shares_at_the_senders_daily_limit_send_only_up_to_it(app, twilio):
    voucher = make_voucher()
    sender = make_sender(1)
    seed_shares(SHARES_PER_SENDER - 1, sender_id=sender, voucher_id=voucher.id, ip="10.5.5.5")
    friends = [f"+62813400000{n:02d}" for n in range(RACERS)]

    outcomes = share_race(app, [sender] * RACERS, [voucher.id] * RACERS, friends)

    assert outcomes == {"sent": 1, "sender_limit": RACERS - 1}
    assert db.session.scalar(select(func.count(Share.id))) == SHARES_PER_SENDER
    assert len(twilio.messages) == 1


def test_simultaneous_shares_from_one_network_at_its_limit_send_only_up_to_it(app, twilio):
    per_ip = int(app.config.get("SHARES_PER_IP_PER_DAY", 10))
    voucher = make_voucher()
    earlier = make_sender(100)
    seed_shares(per_ip - 1, sender_id=earlier, voucher_id=voucher.id, ip="10.9.9.9")
    senders = [make_sender(n) for n in range(RACERS)]
    friends = [f"+62813500000{n:02d}" for n in range(RACERS)]

    outcomes = share_race(app, senders, [voucher.id] * RACERS, friends)

    assert outcomes == {"sent": 1, "ip_limit": RACERS - 1}
    assert len(twilio.messages) == 1


def test_simultaneous_shares_to_one_friend_at_their_limit_send_only_up_to_it(app, twilio):
    friend = "+6281360000001"
    vouchers = [make_voucher().id for _ in range(RACERS)]
    senders = [make_sender(n) for n in range(RACERS)]
    for n in range(SHARES_PER_RECIPIENT - 1):  # the friend already got two vouchers today
        share_voucher(make_sender(200 + n), make_voucher().id, friend, None, f"10.7.0.{n}")
    twilio.reset()

    outcomes = share_race(app, senders, vouchers, [friend] * RACERS)

    assert outcomes == {"sent": 1, "recipient_limit": RACERS - 1}
    assert len(twilio.to(friend)) == 1
