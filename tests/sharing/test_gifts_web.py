"""Gifts and withdrawn shares in the browser (no JavaScript needed): forms, CSRF, ownership,
the rate limit, the friend's /g/ page and the withdrawn /s/ page."""

from __future__ import annotations

from collections.abc import Callable
from html import unescape

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from konexi.extensions import db
from konexi.models import Claim, ClaimStatus, Gift, User, Voucher
from konexi.services.sharing.sharing import share_voucher
from tests.servers.fake_twilio import FakeTwilio
from tests.support.auth import log_in, log_out
from tests.support.console import Console, post_form, voucher_form
from tests.support.factories import fresh, make_voucher
from tests.support.gifts import gift_messages, give, post_give, post_with_token, the_gift
from tests.support.redemption import make_claim
from tests.support.sharing import token_in


def text_of(response: TestResponse) -> str:
    return unescape(response.get_data(as_text=True))


def test_give_without_js_then_the_friend_accepts_and_holds_a_new_code(
    client: FlaskClient, create_user: Callable[..., User], twilio: FakeTwilio
) -> None:
    sender = create_user(name="Siti Rahma")
    friend = create_user(name="Budi", phone="+6281255550002")
    claim = make_claim(sender, make_voucher())
    log_in(client, sender)
    assert "Give this voucher" in text_of(client.get(f"/me/vouchers/{claim.id}"))

    response = post_give(client, claim.id, "0812-5555-0002")

    assert response.status_code == 303
    assert response.headers["Location"] == f"/me/vouchers/{claim.id}"
    page = text_of(client.get(f"/me/vouchers/{claim.id}"))
    assert "Sent to +62812••••••02. It stays yours until your friend accepts it." in page
    assert "Take it back" in page
    [sms] = twilio.to("+6281255550002")
    link = "/g/" + sms.body.rsplit("/g/", 1)[1].strip()

    log_out(client)
    anonymous = client.get(link)
    assert anonymous.status_code == 200 and "Log in to accept" in text_of(anonymous)
    assert anonymous.headers["X-Robots-Tag"] == "noindex, nofollow"
    log_in(client, friend)
    assert "Accept the voucher" in text_of(client.get(link))
    accepted = post_with_token(client, f"{link}/accept")

    new_claim = db.session.scalar(select(Claim).where(Claim.user_id == friend.id))
    assert accepted.status_code == 303
    assert accepted.headers["Location"] == f"/me/vouchers/{new_claim.id}"
    assert fresh(Claim, claim.id).status == ClaimStatus.GIVEN
    assert client.get(link).status_code == 410  # accepted: the link is spent
    log_in(client, sender)
    assert "Given to a friend. This code no longer works." in text_of(client.get("/me/vouchers"))


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(
    client: FlaskClient, create_user: Callable[..., User]
) -> None:
    sender = create_user()
    create_user(phone="+6281255550002")
    voucher = make_voucher(per_user_limit=2)
    first, second = make_claim(sender, voucher), make_claim(sender, voucher)
    log_in(client, sender)

    known = post_give(client, first.id, "+6281255550002")
    unknown = post_give(client, second.id, "+6281255550003")

    assert (known.status_code, unknown.status_code) == (303, 303)
    assert len(gift_messages()) == 2


def test_bad_address_is_shown_next_to_the_field(
    client: FlaskClient, create_user: Callable[..., User]
) -> None:
    sender = create_user()
    claim = make_claim(sender, make_voucher())
    log_in(client, sender)

    response = post_give(client, claim.id, "not a number")

    assert response.status_code == 422
    assert 'id="gift-contact-error"' in response.get_data(as_text=True)
    assert gift_messages() == []


def test_give_take_back_and_accept_need_the_csrf_token(
    client: FlaskClient, create_user: Callable[..., User]
) -> None:
    sender = create_user()
    friend = create_user(phone="+6281255550002")
    claim = make_claim(sender, make_voucher())
    log_in(client, sender)

    assert post_give(client, claim.id, friend.phone, csrf=False).status_code == 400
    token = give(sender, claim, friend.phone)
    assert client.post(f"/me/gifts/{the_gift().id}/take-back").status_code == 400
    log_in(client, friend)
    assert client.post(f"/g/{token}/accept").status_code == 400
    assert fresh(Claim, claim.id).status == ClaimStatus.ACTIVE


def test_only_the_holder_gives_and_takes_back_and_only_the_friend_accepts(
    client: FlaskClient, create_user: Callable[..., User]
) -> None:
    sender = create_user()
    friend = create_user(phone="+6281255550002")
    stranger = create_user()
    claim = make_claim(sender, make_voucher())
    token = give(sender, claim, friend.phone)
    log_in(client, stranger)

    assert client.get(f"/me/vouchers/{claim.id}/give").status_code == 404
    assert post_with_token(client, f"/me/gifts/{the_gift().id}/take-back").status_code == 404
    refused = post_with_token(client, f"/g/{token}/accept")
    assert refused.status_code == 403
    assert "sent to another phone number or email" in text_of(refused)

    log_in(client, sender)
    assert post_with_token(client, f"/me/gifts/{the_gift().id}/take-back").status_code == 303
    log_in(client, friend)
    gone = client.get(f"/g/{token}")
    assert gone.status_code == 410 and "no longer available" in text_of(gone)


def test_giving_is_rate_limited_per_user(
    app_factory: Callable[..., Flask], redis_url: str, create_user: Callable[..., User]
) -> None:
    app = app_factory(REDIS_URL=redis_url, RATELIMIT_GIFTS_PER_USER="2 per minute")
    client = app.test_client()
    with app.app_context():
        sender = create_user()
        claim = make_claim(sender, make_voucher())
        log_in(client, sender)
        statuses = [post_give(client, claim.id, "bad").status_code for _ in range(3)]
    assert statuses == [422, 422, 429]


def test_withdrawn_share_link_says_no_longer_available(
    client: FlaskClient, create_user: Callable[..., User], twilio: FakeTwilio
) -> None:
    sender = create_user()
    voucher = make_voucher()
    share_voucher(sender.id, voucher.id, "+6281255550002", None, "10.0.0.1")
    [sms] = twilio.to("+6281255550002")
    link = f"/s/{token_in(sms.body)}"
    assert client.get(link).status_code == 200
    log_in(client, sender)
    mine = text_of(client.get("/me/vouchers"))
    assert "Links you shared" in mine and "Withdraw the link" in mine
    share_id = int(mine.split("/me/shares/", 1)[1].split("/", 1)[0])

    other = create_user()
    log_in(client, other)
    assert post_with_token(client, f"/me/shares/{share_id}/withdraw").status_code == 404
    assert client.get(link).status_code == 200
    log_in(client, sender)
    assert post_with_token(client, f"/me/shares/{share_id}/withdraw").status_code == 303

    log_out(client)
    gone = client.get(link + "?lang=id")
    assert gone.status_code == 410
    assert "Tautan ini tidak tersedia lagi" in text_of(gone)
    log_in(client, sender)
    assert "Withdraw the link" not in text_of(client.get("/me/vouchers"))


def test_provider_allows_re_gifting_in_the_voucher_form(
    client: FlaskClient, console: Console
) -> None:
    voucher = console.voucher()
    console.log_in(client, "admin")
    edit = f"/provider/vouchers/{voucher.id}/edit"
    assert "A voucher received as a gift may be given again" in text_of(client.get(edit))

    assert post_form(client, edit, voucher_form(console, allow_regift="y")).status_code == 303
    assert fresh(Voucher, voucher.id).allow_regift is True
    assert post_form(client, edit, voucher_form(console)).status_code == 303
    assert fresh(Voucher, voucher.id).allow_regift is False
    assert db.session.scalar(select(Gift)) is None
