"""Carrier-grade NAT: many honest people behind one public address sign up and verify, while
one phone number still gets no more texts than SMS_PER_NUMBER_LIMIT allows.

Everything real: the limits and SMS counters on Redis, codes through the fake Twilio API and the
SMTP server, as a person would read them.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from konexi.extensions import db
from konexi.models import User
from tests.support.accounts import CODE, sign_up, submit
from tests.support.worker import run_worker_until_idle

CARRIER_IP = "114.124.0.7"  # one public address of an Indonesian mobile carrier
PEOPLE = 30


@pytest.fixture
def carrier_app(redis_app, redis_url):
    redis_app.config["TEST_REDIS_URL"] = redis_url  # the shared app forgets it after the test
    return redis_app


def _deliver(app) -> None:
    """What the worker dyno does: send the queued SMS and email."""
    run_worker_until_idle(app.config["TEST_REDIS_URL"])


def _behind_the_carrier(app):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = CARRIER_IP
    return client


def _code_in(text: str) -> str:
    match = CODE.search(text)
    assert match, f"no code in {text!r}"
    return match.group(1)


def test_thirty_people_behind_one_ip_sign_up_and_verify_within_the_hour(
    carrier_app, twilio, mailbox
):
    people = [(f"+6281390{n:06d}", f"person{n}@example.com") for n in range(PEOPLE)]
    clients = [_behind_the_carrier(carrier_app) for _ in people]
    for n, ((phone, email), client) in enumerate(zip(people, clients, strict=True)):
        response = sign_up(client, name=f"Person {n}", email=email, phone=phone)
        assert response.status_code == 303
    _deliver(carrier_app)
    for (phone, email), client in zip(people, clients, strict=True):
        texts, mails = twilio.to(phone), mailbox.to(email)
        assert len(texts) == 1 and len(mails) == 1, f"{email} did not get both codes"
        phone_code, email_code = _code_in(texts[0].body), _code_in(mails[0].text)
        submit(client, "/verify", {"phone-code": phone_code}, action="/verify/phone")
        answer = submit(client, "/verify", {"email-code": email_code}, action="/verify/email")
        assert answer.status_code == 303
    db.session.expire_all()
    users = db.session.scalars(select(User).where(User.email.like("person%"))).all()
    assert len(users) == PEOPLE and all(user.is_verified for user in users)


def test_one_number_gets_no_more_than_the_per_number_cap_from_anywhere(carrier_app, twilio):
    """Sign-up code, two resends, then reset requests from four networks: five texts in ten
    minutes (SMS_PER_NUMBER_LIMIT), then the page says a code was not sent."""
    number = "+6281390999999"
    client = _behind_the_carrier(carrier_app)
    assert sign_up(client, email="one@example.com", phone=number).status_code == 303
    for _ in range(2):
        submit(client, "/verify", {}, action="/verify/phone/resend")
    answers = []
    for n in range(4):
        elsewhere = carrier_app.test_client()
        elsewhere.environ_base["REMOTE_ADDR"] = f"36.80.0.{n}"
        answers.append(submit(elsewhere, "/forgot-password", {"identifier": number}))
    _deliver(carrier_app)
    assert [answer.status_code for answer in answers] == [303, 303, 200, 200]
    assert "We did not send a code" in answers[2].get_data(as_text=True)
    assert len(twilio.to(number)) == 5


def test_the_verify_page_tells_the_truth_when_no_code_was_sent(app_factory, twilio, mailbox):
    """Past a (here tiny) per-IP figure the sign-up says which code was not sent and when to
    ask again; the page does not claim "we sent", a typed code is told no code was sent, and a
    resend from another network sends one that works."""
    app = app_factory(CODES_PER_IP_PER_HOUR="1")
    first, second = _behind_the_carrier(app), _behind_the_carrier(app)
    sign_up(first, email="first@example.com", phone="+6281390000101")
    response = sign_up(second, email="second@example.com", phone="+6281390000102")
    assert response.status_code == 303
    page = second.get("/verify").get_data(as_text=True)
    assert "We did not send your codes: too many were asked for." in page
    assert "You can ask for them in 60 minutes." in page
    assert "No code is waiting for" in page and "we sent" not in page
    assert twilio.to("+6281390000102") == [] and mailbox.to("second@example.com") == []
    typed = submit(second, "/verify", {"phone-code": "123456"}, action="/verify/phone")
    assert "We have not sent you a code yet." in typed.get_data(as_text=True)
    second.environ_base["REMOTE_ADDR"] = "36.80.1.1"
    submit(second, "/verify", {}, action="/verify/phone/resend")
    code = _code_in(twilio.to("+6281390000102")[-1].body)
    verified = submit(second, "/verify", {"phone-code": code}, action="/verify/phone")
    assert verified.status_code == 303
