"""Twilio's webhooks: branch phones redeem by SMS (``REDEEM <code>``); delivery status callbacks."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from konexi.extensions import db
from konexi.models import Branch, Claim, OutboxMessage
from konexi.services.claims.redemption_codes import format_code
from konexi.webhooks.routes import parse_redeem_command
from tests.support.factories import fresh, make_company, make_voucher
from tests.support.redemption import CUSTOMER_PHONE, access_rows, make_claim, receipts
from tests.support.webhooks import (
    BRANCH_PHONE,
    indonesian,
    post_signed,
    reply_of,
    sign,
    text_in,
)

NOT_REGISTERED = "This number is not registered for a branch on Konexi."


def test_a_branch_phone_redeems_by_sms_and_gets_a_twiml_reply(client, counter, twilio):
    c = counter

    reply = reply_of(text_in(client, f"REDEEM {format_code(c.claim.code)}"))

    title = "Buy 1 get 1 es kopi susu"
    code = format_code(c.claim.code)
    assert reply == indonesian("Code %(code)s redeemed: %(title)s.", code=code, title=title)
    claim = fresh(Claim, c.claim.id)
    assert (claim.status, claim.redeemed_branch_id) == ("redeemed", c.here.id)
    [sms] = twilio.to(CUSTOMER_PHONE)
    assert "redeemed at" in sms.body
    [row] = access_rows()
    assert (row.channel, row.purpose, row.claim_id, row.branch_id) == (
        "sms",
        "redeem",
        c.claim.id,
        c.here.id,
    )
    assert row.membership_id is None and row.staff_user_id is None


def test_a_second_sms_says_it_was_already_redeemed(client, counter, twilio):
    c = counter
    text_in(client, f"redeem {c.claim.code.lower()}")

    reply = reply_of(text_in(client, f"TUKAR {c.claim.code}"))

    assert re.search(rf"{c.here.name}, \d\d:\d\d", reply), reply
    assert len(receipts(c.customer.id)) == 1


@pytest.mark.parametrize(
    ("body", "expected", "values"),
    [
        ("REDEEM 3333 4444", "Unknown code %(code)s.", {"code": "3333 4444"}),  # nobody's
        ("redeem 12", "Unknown code %(code)s.", {"code": "12"}),
        ("hello", "Send: REDEEM <code>", {}),  # how to use it
        ("REDEEM", "Send: REDEEM <code>", {}),
    ],
)
def test_unknown_codes_and_other_texts_get_a_helpful_reply(
    client, counter, twilio, body, expected, values
):
    reply = reply_of(text_in(client, body))

    # It once answered "not registered" in CI: say what the branches looked like if it does.
    branches = [
        (b.id, b.phone, b.is_active, b.phone_consent_at, b.phone_verified_at, b.company.is_active)
        for b in db.session.scalars(select(Branch).execution_options(populate_existing=True))
    ]
    assert reply == indonesian(expected, **values), (BRANCH_PHONE, branches)
    assert fresh(Claim, counter.claim.id).status == "active"


def test_a_sender_that_is_no_branch_phone_is_refused_without_redeeming(client, counter, twilio):
    c = counter

    reply = reply_of(text_in(client, f"REDEEM {c.claim.code}", sender=CUSTOMER_PHONE))

    assert reply == indonesian(NOT_REGISTERED)
    assert fresh(Claim, c.claim.id).status == "active"
    assert twilio.messages == [] and access_rows() == []


# Without its owner's consent, or never proven by a code (company B typed company A's number
# and ticked "consent"), a branch phone cannot redeem.
@pytest.mark.parametrize("missing", ["phone_consent_at", "phone_verified_at"])
def test_a_branch_phone_without_consent_or_proof_cannot_redeem(client, counter, twilio, missing):
    setattr(counter.here, missing, None)
    db.session.commit()

    reply = reply_of(text_in(client, f"REDEEM {counter.claim.code}"))

    assert reply == indonesian(NOT_REGISTERED)
    assert fresh(Claim, counter.claim.id).status == "active"
    assert twilio.messages == [] and access_rows() == []


def test_a_claim_not_valid_at_the_branch_or_of_another_company_is_not_redeemed(
    client, counter, create_user, twilio
):
    c = counter
    c.voucher.branches = [c.elsewhere]
    db.session.commit()
    elsewhere = make_claim(create_user(), make_voucher(company=make_company()))

    not_here = reply_of(text_in(client, f"REDEEM {c.claim.code}"))
    foreign = reply_of(text_in(client, f"REDEEM {elsewhere.code}"))

    code = format_code(c.claim.code)
    not_valid = "Code %(code)s is not valid at %(branch)s."
    assert not_here == indonesian(not_valid, code=code, branch=c.here.name)
    assert foreign == indonesian("Unknown code %(code)s.", code=format_code(elsewhere.code))
    assert fresh(Claim, c.claim.id).status == fresh(Claim, elsewhere.id).status == "active"


@pytest.mark.parametrize(
    "signature",
    [
        "",  # missing
        "bm90IGEgc2lnbmF0dXJl",  # forged
        "wrong-token",  # signed with another token
        "request-url",  # signed over request.url instead of the public BASE_URL
    ],
)
def test_requests_without_twilios_signature_are_refused(client, counter, twilio, signature):
    params = {"From": BRANCH_PHONE, "Body": f"REDEEM {counter.claim.code}"}
    path = "/webhooks/twilio/sms"
    if signature == "wrong-token":
        signature = sign(path, params, token="another-token")
    elif signature == "request-url":
        signature = sign(path, params, base="http://localhost")

    response = client.post(path, data=params, headers={"X-Twilio-Signature": signature})

    assert response.status_code == 403
    assert fresh(Claim, counter.claim.id).status == "active"


def test_without_a_twilio_token_the_webhooks_answer_503(app_factory, twilio):
    app = app_factory(TWILIO_AUTH_TOKEN="")
    client = app.test_client()

    sms = client.post("/webhooks/twilio/sms", data={"From": BRANCH_PHONE, "Body": "REDEEM X"})
    status = client.post("/webhooks/twilio/status?outbox=1", data={"MessageStatus": "delivered"})

    assert (sms.status_code, status.status_code) == (503, 503)


def test_sms_from_one_sender_are_rate_limited(client, counter, twilio):
    statuses = [text_in(client, "hello").status_code for _ in range(21)]

    assert statuses == [200] * 20 + [429]
    assert text_in(client, "hello", sender="+622150008888").status_code == 200


def test_forged_requests_do_not_use_up_a_branchs_allowance(client, counter, twilio):
    forged = [text_in(client, "hello", signature="forged").status_code for _ in range(25)]

    assert set(forged) == {403}
    assert text_in(client, "hello").status_code == 200


# -- delivery status -------------------------------------------------------------------------
def sent_message(sid: str = "SM" + "a" * 32, status: str = "sent") -> OutboxMessage:
    message = OutboxMessage(
        channel="sms",
        kind="redemption_receipt",
        to_address=CUSTOMER_PHONE,
        body="Konexi: receipt",
        status=status,
        provider_message_id=sid,
    )
    db.session.add(message)
    db.session.commit()
    return message


def report(client, outbox_id: int, status: str, sid: str = "SM" + "a" * 32, **extra: str):
    params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC" + "0" * 32, **extra}
    return post_signed(client, f"/webhooks/twilio/status?outbox={outbox_id}", params)


def test_a_delivered_callback_marks_the_message_delivered_for_good(app, client):
    message_id = sent_message().id

    first = report(client, message_id, "delivered")
    repeated = report(client, message_id, "delivered")
    late_failure = report(client, message_id, "undelivered", ErrorCode="30003")

    assert {first.status_code, repeated.status_code, late_failure.status_code} == {204}
    message = fresh(OutboxMessage, message_id)
    assert (message.status, message.last_error) == ("delivered", None)


@pytest.mark.parametrize("status", ["failed", "undelivered"])
def test_a_failed_callback_records_twilios_error_code(app, client, status):
    message_id = sent_message().id

    report(client, message_id, status, ErrorCode="30003")
    report(client, message_id, status, ErrorCode="30003")  # repeated: nothing more changes

    message = fresh(OutboxMessage, message_id)
    assert message.status == "failed"
    assert "30003" in message.last_error and status in message.last_error


def test_a_callback_with_another_sid_or_outbox_id_changes_nothing(app, client):
    message_id = sent_message().id
    other_id = sent_message(sid="SM" + "b" * 32).id

    report(client, message_id, "delivered", sid="SM" + "c" * 32)
    report(client, other_id, "failed", sid="SM" + "a" * 32, ErrorCode="30003")
    report(client, message_id, "sent")

    assert fresh(OutboxMessage, message_id).status == "sent"
    assert fresh(OutboxMessage, other_id).status == "sent"


def test_a_forged_status_callback_is_refused(app, client):
    message_id = sent_message().id
    path = f"/webhooks/twilio/status?outbox={message_id}"
    params = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "delivered"}

    forged = client.post(path, data=params, headers={"X-Twilio-Signature": sign(path, {})})

    assert forged.status_code == 403
    assert fresh(OutboxMessage, message_id).status == "sent"


def test_parse_redeem_command():
    assert parse_redeem_command("  redeem kxf4 7qrt ") == "kxf4 7qrt"
    assert parse_redeem_command("TUKAR KXF47QRT") == "KXF47QRT"
    assert parse_redeem_command("REDEEMKXF4") is None
    assert parse_redeem_command("") is None
