"""Claiming in the browser: POST /vouchers/<id>/claim with and without htmx, and the claim page."""

from __future__ import annotations

from sqlalchemy import select

from konexi.extensions import db
from konexi.models import Claim, Voucher
from konexi.services.claims.claims import claim_voucher
from konexi.services.claims.redemption_codes import format_code
from tests.support.app import csrf_token_from, csrf_token_of
from tests.support.auth import log_in
from tests.support.claims import HX, post_claim
from tests.support.factories import claim_count, code_messages, fresh, make_voucher


def only_claim(voucher_id: int) -> Claim:
    db.session.expire_all()
    [claim] = db.session.scalars(select(Claim).where(Claim.voucher_id == voucher_id)).all()
    return claim


def test_claim_without_javascript_lands_on_the_claim_page_with_the_code(app, client, create_user):
    user = create_user()
    voucher = make_voucher(quota_total=10)
    log_in(client, user)

    response = post_claim(client, voucher.id)

    claim = only_claim(voucher.id)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/me/vouchers/{claim.id}"
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert format_code(claim.code) in html
    assert "Buy 1 get 1 es kopi susu" in html
    assert "Valid until" in html
    assert "Jl. Cikini Raya No. 7, Jakarta" in html
    assert 'href="tel:+622131900001"' in html
    assert "We also sent it to you by SMS." in html
    assert fresh(Voucher, voucher.id).quota_claimed == 1
    [message] = code_messages(user.id)
    assert format_code(claim.code) in message.body


def test_claim_with_htmx_swaps_the_button_for_the_code(app, client, create_user):
    log_in(client, create_user())
    voucher = make_voucher()

    response = post_claim(client, voucher.id, htmx=True)

    html = response.get_data(as_text=True)
    claim = only_claim(voucher.id)
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="claim-box"' in html
    assert format_code(claim.code) in html
    assert f'href="/me/vouchers/{claim.id}"' in html


def test_claim_page_and_button_carry_the_htmx_wiring(app, client, create_user):
    log_in(client, create_user())
    voucher = make_voucher()

    html = client.get(f"/vouchers/{voucher.id}").get_data(as_text=True)

    assert f'hx-post="/vouchers/{voucher.id}/claim"' in html
    assert 'hx-target="#claim-box"' in html


def test_anonymous_claim_goes_to_login_and_back_to_the_voucher(app, client):
    voucher = make_voucher()

    token = csrf_token_of(client)  # the voucher page has no token for anonymous visitors
    plain = post_claim(client, voucher.id, token=token)
    htmx = post_claim(client, voucher.id, htmx=True, token=token)

    assert plain.status_code == 303
    assert plain.headers["Location"] == f"/login?next=/vouchers/{voucher.id}"
    assert htmx.headers["HX-Redirect"] == f"/login?next=/vouchers/{voucher.id}"
    assert claim_count(voucher.id) == 0


def test_unverified_user_is_sent_to_verify(app, client, create_user):
    log_in(client, create_user(verified=False))
    voucher = make_voucher()
    token = csrf_token_from(client.get("/").get_data(as_text=True))

    htmx = post_claim(client, voucher.id, htmx=True, token=token)
    plain = post_claim(client, voucher.id, token=token)

    assert htmx.status_code == 200
    fragment = htmx.get_data(as_text=True)
    assert "Verify your phone and email to claim vouchers." in fragment
    assert 'href="/verify"' in fragment
    assert plain.status_code == 303
    assert plain.headers["Location"] == f"/vouchers/{voucher.id}"
    page = client.get(plain.headers["Location"]).get_data(as_text=True)
    assert 'href="/verify"' in page
    assert claim_count(voucher.id) == 0


def test_sold_out_and_limit_reached_are_explained(app, client, create_user):
    user = create_user()
    log_in(client, user)
    sold_out = make_voucher(quota_total=3, quota_claimed=3)
    claimed = make_voucher()
    claim_voucher(user.id, claimed.id)
    token = csrf_token_from(client.get("/").get_data(as_text=True))

    fragment = post_claim(client, sold_out.id, htmx=True, token=token).get_data(as_text=True)
    assert "Sold out" in fragment
    plain = post_claim(client, sold_out.id, token=token)
    assert plain.status_code == 303
    assert "Sold out" in client.get(plain.headers["Location"]).get_data(as_text=True)

    fragment = post_claim(client, claimed.id, htmx=True, token=token).get_data(as_text=True)
    assert "You have this voucher." in fragment
    assert 'href="/me/vouchers/' in fragment
    assert claim_count(claimed.id) == 1


def test_claim_without_csrf_token_is_refused(app, client, create_user):
    log_in(client, create_user())
    voucher = make_voucher()

    response = client.post(f"/vouchers/{voucher.id}/claim")
    htmx = client.post(f"/vouchers/{voucher.id}/claim", headers=HX)

    assert response.status_code == 400
    assert htmx.status_code == 400
    assert claim_count(voucher.id) == 0


def test_claim_on_unknown_voucher_is_404(app, client, create_user):
    log_in(client, create_user())
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    assert post_claim(client, 999999, token=token).status_code == 404


def test_another_users_claim_page_is_404(app, client, create_user):
    owner, other = create_user(), create_user()
    claim = claim_voucher(owner.id, make_voucher().id).claim
    claim_id = claim.id
    log_in(client, other)

    assert client.get(f"/me/vouchers/{claim_id}").status_code == 404
    assert client.get(f"/me/vouchers/{claim_id}", headers=HX).status_code == 404
    log_in(client, owner)
    assert client.get(f"/me/vouchers/{claim_id}").status_code == 200


def test_claim_page_fragment_for_htmx(app, client, create_user):
    user = create_user()
    claim = claim_voucher(user.id, make_voucher().id).claim
    code = format_code(claim.code)
    log_in(client, user)

    response = client.get(f"/me/vouchers/{claim.id}", headers=HX)

    html = response.get_data(as_text=True)
    assert "<html" not in html and code in html
    assert "HX-Request" in response.headers["Vary"]


def test_claim_page_needs_login(app, client, create_user):
    claim = claim_voucher(create_user().id, make_voucher().id).claim

    response = client.get(f"/me/vouchers/{claim.id}")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_claim_posts_are_rate_limited_per_user(app, client, create_user):
    user = create_user()
    log_in(client, user)
    voucher = make_voucher(quota_total=0)
    token = csrf_token_from(client.get("/").get_data(as_text=True))

    statuses = [post_claim(client, voucher.id, token=token).status_code for _ in range(11)]

    assert statuses[:10] == [303] * 10
    assert statuses[10] == 429
