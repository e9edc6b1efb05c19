"""SMS pumping defence, on the real Redis: per number (5 per 10 minutes, whatever the kind of SMS),
per IP, a global hourly cap shared by every app instance, allowed countries only, 5 wrong tries."""

from __future__ import annotations

import pytest
from flask_babel.speaklater import LazyString
from redis import Redis
from sqlalchemy import func, select

from konexi.extensions import db
from konexi.models import OutboxMessage, User
from konexi.services.accounts import accounts
from konexi.services.accounts.verification import (
    Channel,
    CodeStatus,
    Purpose,
    SmsRefused,
    check_code,
    check_sms_allowed,
    issue_code,
    sms_country_message,
)
from konexi.services.sharing.sharing import ShareError, share_voucher
from tests.support.accounts import NEW_USER_PHONE, sign_up, submit, wrong_code
from tests.support.app import TEST_PASSWORD
from tests.support.auth import log_in
from tests.support.factories import make_voucher
from tests.support.sharing import post_share

NUMBER = "+6281234567890"


def _refusal(phone: str, ip: str | None) -> str | None:
    try:
        check_sms_allowed(phone, ip)
    except SmsRefused as refused:
        return refused.reason
    return None


def test_the_fifth_sms_to_a_number_in_ten_minutes_goes_and_the_sixth_is_refused(
    redis_app, redis_url
):
    answers = [_refusal(NUMBER, f"10.0.0.{n}") for n in range(1, 7)]
    assert answers == [None] * 5 + ["number"]
    assert _refusal("+6281299998888", "10.0.0.9") is None  # another number is not affected
    # Redis holds keyed hashes only: never the number or the address.
    everything = b" ".join(Redis.from_url(redis_url).keys("*"))
    assert b"81234567890" not in everything and b"10.0.0." not in everything


def test_every_kind_of_sms_counts_towards_the_same_number(redis_app, create_user):
    """3 verification codes (the hourly code limit) and 2 shares reach the number; the 3rd share,
    which the one-person-three-vouchers-a-day rule would allow, is refused by the SMS cap."""
    result = accounts.sign_up(
        name="Dewi", email="dewi@example.com", phone=NUMBER, password=TEST_PASSWORD, ip="10.1.0.1"
    )
    accounts.send_phone_code(result.user, "10.1.0.2")
    accounts.send_phone_code(result.user, "10.1.0.3")
    sent = [
        share_voucher(create_user().id, make_voucher().id, NUMBER, "", f"10.2.0.{n}")
        for n in (1, 2)
    ]
    assert len(sent) == 2
    with pytest.raises(ShareError) as refused:
        share_voucher(create_user().id, make_voucher().id, NUMBER, "", "10.2.0.3")
    assert refused.value.reason == "recipient_limit" and refused.value.field == "contact"
    texts = db.session.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.to_address == NUMBER)
    )
    assert texts == 5


def test_one_ip_asks_for_at_most_three_hundred_sms_an_hour(redis_app):
    """300 an hour by default: 200 people signing up behind one carrier address, and some
    resending, fit; more from one address is refused while others go on."""
    answers = [_refusal(f"+62812000{n:05d}", "10.3.0.1") for n in range(301)]
    assert answers == [None] * 300 + ["ip"]
    assert _refusal("+6281200099999", "10.3.0.2") is None


def test_the_per_ip_sms_limit_is_a_setting(app_factory, redis_url):
    with app_factory(REDIS_URL=redis_url, SMS_PER_IP_LIMIT="10 per hour").app_context():
        answers = [_refusal(f"+62812000{n:05d}", "10.3.0.1") for n in range(11)]
    assert answers == [None] * 10 + ["ip"]


def test_the_global_hourly_cap_counts_across_app_instances(app_factory, redis_url):
    """Two web processes (gunicorn workers, dynos) on one Redis share the global cap."""
    first = app_factory(REDIS_URL=redis_url, SMS_GLOBAL_HOURLY_CAP="5")
    second = app_factory(REDIS_URL=redis_url, SMS_GLOBAL_HOURLY_CAP="5")
    answers = []
    for n in range(6):
        with (first if n % 2 else second).app_context():
            answers.append(_refusal(f"+62812100{n:05d}", f"10.4.0.{n}"))
    assert answers == [None] * 5 + ["global"]


def test_sms_counting_goes_on_in_process_while_redis_is_down(app_factory):
    from tests.servers.ports import free_port

    app = app_factory(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    with app.app_context():
        answers = [_refusal(NUMBER, f"10.5.0.{n}") for n in range(6)]
    assert answers == [None] * 5 + ["number"]


def test_a_sign_up_with_a_number_outside_the_allowed_countries_is_refused_at_the_phone_field(
    client, twilio, mailbox
):
    response = sign_up(client, phone="+65 8123 4567")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "We can only send text messages to numbers starting with +62." in html
    assert 'id="phone-error"' in html and 'value="+65 8123 4567"' in html
    assert db.session.scalar(select(func.count(User.id))) == 0
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
    assert twilio.to("+6581234567") == []


def test_the_refusal_is_translated_when_shown(app):
    # Lazy: rendered in the reader's language (the catalogues are merged by the lead).
    assert isinstance(sms_country_message(), LazyString)


def test_the_allowed_countries_are_a_setting(app_factory, twilio, mailbox):
    client = app_factory(OTP_ALLOWED_COUNTRY_CODES="62,65").test_client()
    assert sign_up(client, phone="+65 8123 4567").status_code == 303
    refused = sign_up(
        app_factory(OTP_ALLOWED_COUNTRY_CODES="62,65").test_client(),
        phone="+44 7400 123456",
        email="x@example.com",
    )
    assert "numbers starting with +62, +65." in refused.get_data(as_text=True)


def test_a_reset_code_to_another_country_is_refused_next_to_the_field(client, twilio):
    html = submit(client, "/forgot-password", {"identifier": "+1 650 253 0000"}).get_data(
        as_text=True
    )
    assert "We can only send text messages to numbers starting with +62." in html
    assert 'id="identifier-error"' in html
    assert twilio.to("+16502530000") == []


def test_a_share_by_sms_to_another_country_is_refused_next_to_the_contact(client, create_user):
    voucher = make_voucher()
    log_in(client, create_user())
    response = post_share(client, voucher.id, "+44 7400 123456")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "We can only send text messages to numbers starting with +62." in html
    assert 'value="+44 7400 123456"' in html
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_a_code_allows_five_tries_and_the_fifth_may_be_right(app):
    user = User(name="Dewi", email="d@example.com", phone=NEW_USER_PHONE, password_hash="x")
    db.session.add(user)
    db.session.commit()

    def fresh_code() -> str:
        _row, code = issue_code(
            purpose=Purpose.VERIFY_PHONE,
            channel=Channel.SMS,
            destination=NEW_USER_PHONE,
            user_id=user.id,
            ip=None,
        )
        db.session.commit()
        return code

    def attempt(code: str) -> CodeStatus:
        check = check_code(
            purpose=Purpose.VERIFY_PHONE, destination=NEW_USER_PHONE, code=code, user_id=user.id
        )
        db.session.commit()
        return check.status

    code = fresh_code()
    assert [attempt(wrong_code(code)) for _ in range(4)] == [CodeStatus.WRONG] * 4
    assert attempt(code) is CodeStatus.OK  # the 5th try, right

    code = fresh_code()
    statuses = [attempt(wrong_code(code)) for _ in range(5)]
    assert statuses == [CodeStatus.WRONG] * 4 + [CodeStatus.EXHAUSTED]
    assert attempt(code) is CodeStatus.EXHAUSTED  # the code is dead, right or not


def test_an_older_account_with_a_foreign_number_gets_a_clear_page_not_a_500(app, create_user):
    """Accounts made before the country rule (or before OTP_ALLOWED_COUNTRY_CODES shrank)."""
    user = create_user(email="old@example.com", phone="+6581234567", verified=False)
    client = app.test_client()
    log_in(client, user)
    response = submit(client, "/verify", {}, action="/verify/phone/resend")
    assert response.status_code == 422
    assert "We can only send text messages to numbers starting with +62." in response.text
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_social_sign_up_refuses_another_country_at_the_phone_field(app):
    # Social sign-up asks for the phone through the same check as the sign-up form.
    from konexi.services.accounts.accounts import check_new_identity

    *_identity, errors = check_new_identity("Ani", "ani@example.com", "+65 8123 4567")
    assert set(errors) == {"phone"}
    assert "numbers starting with +62." in str(errors["phone"])
