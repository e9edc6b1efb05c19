"""A rate limit hit on a form keeps the page: the answer is the form's own fragment (htmx swaps a
429 into the form's target) or, without JavaScript, the whole page, with the message beside the
button that hit the limit; never the error page that replaces everything."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from konexi.extensions import db
from konexi.models.base import utcnow
from tests.support.accounts import htmx_headers, submit
from tests.support.app import csrf_token_from
from tests.support.auth import log_in
from tests.support.claims import post_claim
from tests.support.factories import make_voucher
from tests.support.redemption import lookup, make_counter, staff_client, token
from tests.support.team import make_world, post

TOO_MANY = "Too many attempts. Please wait a while and try again."


def _posts(client: FlaskClient, url: str, count: int, **kwargs):
    return [client.post(url, **kwargs) for _ in range(count)]


def test_too_many_resend_taps_keep_the_verify_section_with_the_message(
    app: Flask, client: FlaskClient, create_user
) -> None:
    log_in(client, create_user(verified=False))
    headers = htmx_headers(client)

    answers = _posts(client, "/verify/phone/resend", 6, headers=headers)

    assert [a.status_code for a in answers[:5]] == [200] * 5
    limited = answers[5]
    assert limited.status_code == 429
    assert "HX-Retarget" not in limited.headers
    html = limited.get_data(as_text=True)
    assert html.lstrip().startswith('<section class="card" id="verify-phone"')
    assert f'id="verify-phone-limited">{TOO_MANY}</p>' in html
    assert "Send a new code" in html


def test_without_javascript_the_limited_resend_answers_the_whole_verify_page(
    app: Flask, client: FlaskClient, create_user
) -> None:
    log_in(client, create_user(verified=False))
    token = csrf_token_from(client.get("/verify?lang=id").get_data(as_text=True))

    answers = _posts(client, "/verify/email/resend", 6, data={"csrf_token": token})

    limited = answers[5]
    assert limited.status_code == 429
    html = limited.get_data(as_text=True)
    assert 'id="verify-phone"' in html and 'id="verify-email"' in html
    assert 'id="verify-email-limited">Terlalu banyak percobaan.' in html


def test_too_many_codes_typed_put_the_message_under_the_code_field(
    app: Flask, client: FlaskClient, create_user
) -> None:
    log_in(client, create_user(verified=False))
    headers = htmx_headers(client)

    answers = _posts(client, "/verify/phone", 11, data={"phone-code": "000000"}, headers=headers)

    limited = answers[10]
    assert limited.status_code == 429
    html = limited.get_data(as_text=True)
    assert 'id="verify-phone"' in html
    assert f'class="field-error" id="phone-code-error">{TOO_MANY}</p>' in html


def test_branch_phone_forms_keep_the_console_page_when_limited(
    app: Flask, client: FlaskClient, create_user
) -> None:
    world = make_world(create_user)
    branch = world.branch
    branch.phone = "+6281355500011"
    branch.phone_consent_at = utcnow()
    branch.phone_verified_at = None
    db.session.commit()
    log_in(client, world.users["admin"])
    url = f"/provider/branches/{branch.id}/phone"

    sends = [post(client, f"{url}/code", headers={"HX-Request": "true"}) for _ in range(4)]
    tries = [post(client, url, {"code": "000000"}) for _ in range(11)]

    assert sends[3].status_code == 429
    fragment = sends[3].get_data(as_text=True)
    assert fragment.lstrip().startswith('<section class="card branch-phone" id="branch-phone"')
    assert TOO_MANY in fragment and "HX-Retarget" not in sends[3].headers
    assert tries[10].status_code == 429
    page = tries[10].get_data(as_text=True)
    assert "<html" in page and f'id="code-error">{TOO_MANY}</p>' in page


def test_another_companys_branch_gets_the_plain_refusal_when_limited(
    app: Flask, client: FlaskClient, create_user
) -> None:
    world = make_world(create_user)
    log_in(client, world.users["admin"])
    url = f"/provider/branches/{world.other_branch.id}/phone"

    answers = [post(client, url, {"code": "000000"}) for _ in range(11)]

    assert [a.status_code for a in answers[:10]] == [404] * 10
    assert answers[10].status_code == 429
    assert world.other_branch.name not in answers[10].get_data(as_text=True)


def test_too_many_claim_taps_keep_the_voucher_page(
    app: Flask, client: FlaskClient, create_user
) -> None:
    log_in(client, create_user())
    voucher = make_voucher()
    token = csrf_token_from(client.get(f"/vouchers/{voucher.id}").get_data(as_text=True))

    taps = [post_claim(client, voucher.id, htmx=True, token=token) for _ in range(11)]
    plain = post_claim(client, voucher.id, token=token)

    assert taps[10].status_code == 429
    fragment = taps[10].get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="claim-box"')
    assert TOO_MANY in fragment and "You have this voucher." in fragment
    assert plain.status_code == 429
    assert "<html" in plain.get_data(as_text=True) and voucher.title in plain.get_data(as_text=True)


def test_the_refusal_without_a_form_to_keep_is_still_the_error_page(
    app: Flask, client: FlaskClient
) -> None:
    answers = [
        submit(client, "/forgot-password", {"identifier": f"n{n}@example.com"}) for n in range(21)
    ]
    assert answers[20].status_code == 429
    assert "Too many attempts" in answers[20].get_data(as_text=True)


def test_too_many_lookups_at_the_counter_keep_the_work_area(app: Flask, create_user) -> None:
    counter = make_counter(create_user)
    client = staff_client(app, counter.staff)
    csrf = token(client)

    answers = [
        lookup(client, counter.here.id, f"0813 1111 22{n:02d}", htmx=True, csrf=csrf)
        for n in range(11)
    ]

    limited = answers[10]
    assert limited.status_code == 429
    html = limited.get_data(as_text=True)
    assert 'id="redeem"' in html and "<html" not in html
    assert f'id="phone-error">{TOO_MANY}</p>' in html
    assert 'value="0813 1111 2210"' in html  # what was typed stays


def test_too_many_shares_keep_the_share_form(app: Flask, client: FlaskClient, create_user) -> None:
    log_in(client, create_user())
    voucher = make_voucher()
    csrf = csrf_token_from(client.get(f"/vouchers/{voucher.id}/share").get_data(as_text=True))

    answers = [
        client.post(
            f"/vouchers/{voucher.id}/share",
            data={"csrf_token": csrf, "contact": f"friend{n}@example.com"},
            headers={"HX-Request": "true"},
        )
        for n in range(11)
    ]

    limited = answers[10]
    assert limited.status_code == 429
    html = limited.get_data(as_text=True)
    assert "<html" not in html and TOO_MANY in html
    assert 'value="friend10@example.com"' in html
