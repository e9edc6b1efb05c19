"""The code's SMS is in the language the person is using, passed in by the view, or, when
no one is on a page (a claim made by a job), in the language their account keeps."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from konexi.extensions import db
from konexi.models import User
from konexi.services.claims.claims import claim_voucher
from tests.servers.fake_twilio import FakeTwilio
from tests.support.auth import AuthActions
from tests.support.claims import post_claim
from tests.support.factories import make_voucher


def test_the_code_sms_follows_the_language_chosen_on_the_page(
    client: FlaskClient, auth: AuthActions, create_user: Callable[..., User], twilio: FakeTwilio
) -> None:
    user = create_user(phone="+6281255500001")  # the account keeps English
    voucher_id = make_voucher(title="Es teh manis").id
    auth.log_in(user)
    client.get("/?lang=id")

    assert post_claim(client, voucher_id).status_code in (200, 303)

    [sms] = twilio.to("+6281255500001")
    assert sms.body.startswith("Kode Konexi ")
    assert " untuk Es teh manis di " in sms.body


def test_a_claim_made_without_a_request_texts_in_the_accounts_language(
    app: Flask, create_user: Callable[..., User], twilio: FakeTwilio
) -> None:
    voucher = make_voucher(title="Es teh manis")
    for phone, locale in (("+6281255500002", "id"), ("+6281255500003", "en")):
        user = create_user(phone=phone)
        user.locale = locale
        db.session.commit()
        assert claim_voucher(user.id, voucher.id).ok

    [indonesian] = twilio.to("+6281255500002")
    [english] = twilio.to("+6281255500003")
    assert indonesian.body.startswith("Kode Konexi ")
    assert english.body.startswith("Konexi code ") and " for Es teh manis at " in english.body
