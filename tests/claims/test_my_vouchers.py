"""My vouchers: what I can use, what I used, what expired, and hiding claims from my history."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from konexi.extensions import db
from konexi.models import Branch, Claim, Voucher
from konexi.models.base import utcnow
from konexi.services.claims.claims import claim_voucher
from konexi.services.claims.redemption_codes import format_code
from tests.support.app import csrf_token_from, csrf_token_of
from tests.support.auth import log_in
from tests.support.factories import fresh, make_voucher

HX = {"HX-Request": "true"}


def section(html: str, title: str) -> str:
    """The HTML of the my-vouchers section headed ``title``."""
    match = re.search(
        rf">{re.escape(title)}(?: \(\d+\))?</(?:h2|summary)>(.*?)</(?:section|details)>", html, re.S
    )
    assert match, f"no section {title!r}"
    return match.group(1)


def claims_for_history(user_id: int) -> dict[str, Claim]:
    active = claim_voucher(user_id, make_voucher(title="Es teh manis gratis").id).claim
    redeemed = claim_voucher(user_id, make_voucher(title="Diskon 20% nasi goreng").id).claim
    ending = make_voucher(title="Roti bakar 2 for 1", ends_at=utcnow() + timedelta(minutes=5))
    expired = claim_voucher(user_id, ending.id).claim
    redeemed = db.session.get(Claim, redeemed.id)
    redeemed.status = "redeemed"
    redeemed.redeemed_at = datetime(2026, 2, 14, 5, 15, tzinfo=UTC)
    redeemed.redeemed_branch_id = redeemed.voucher.branches[0].id
    db.session.get(Voucher, ending.id).ends_at = utcnow() - timedelta(days=1)
    db.session.commit()
    return {"active": active, "redeemed": redeemed, "expired": expired}


def test_my_vouchers_lists_active_redeemed_and_expired_claims(app, client, create_user):
    user = create_user()
    mine = claims_for_history(user.id)
    active_code = format_code(fresh(Claim, mine["active"].id).code)
    branch = db.session.get(Branch, fresh(Claim, mine["redeemed"].id).redeemed_branch_id)
    log_in(client, user)

    html = client.get("/me/vouchers").get_data(as_text=True)

    ready = section(html, "Ready to use")
    assert "Es teh manis gratis" in ready and active_code in ready
    assert "Jl. Cikini Raya No. 7, Jakarta" in ready and 'href="tel:+622131900001"' in ready
    used = section(html, "Redeemed")
    assert "Diskon 20% nasi goreng" in used
    assert f"Redeemed at {branch.name} on 14 Feb 2026, 12:15" in used  # Jakarta time
    ended = section(html, "Expired")
    assert "Roti bakar 2 for 1" in ended and "without being used" in ended
    assert "Hidden (" not in html


def test_my_vouchers_needs_login(app, client):
    response = client.get("/me/vouchers")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_my_vouchers_fragment_for_htmx(app, client, create_user):
    user = create_user()
    log_in(client, user)

    response = client.get("/me/vouchers", headers=HX)

    html = response.get_data(as_text=True)
    assert "<html" not in html and "No vouchers to use right now." in html
    assert "HX-Request" in response.headers["Vary"]


def test_hide_and_unhide_without_javascript(app, client, create_user):
    user = create_user()
    claim = claim_voucher(user.id, make_voucher(title="Es teh manis gratis").id).claim
    claim_id = claim.id
    log_in(client, user)
    token = csrf_token_from(client.get("/me/vouchers").get_data(as_text=True))

    hidden = client.post(f"/me/vouchers/{claim_id}/hide", data={"csrf_token": token})

    assert hidden.status_code == 303 and hidden.headers["Location"] == "/me/vouchers"
    assert fresh(Claim, claim_id).hidden_at is not None
    html = client.get("/me/vouchers").get_data(as_text=True)
    assert "Es teh manis gratis" not in section(html, "Ready to use")
    assert "Es teh manis gratis" in section(html, "Hidden")
    assert f'action="/me/vouchers/{claim_id}/unhide"' in html

    shown = client.post(f"/me/vouchers/{claim_id}/unhide", data={"csrf_token": token})

    assert shown.status_code == 303
    assert fresh(Claim, claim_id).hidden_at is None
    html = client.get("/me/vouchers").get_data(as_text=True)
    assert "Es teh manis gratis" in section(html, "Ready to use")


def test_hide_with_htmx_swaps_the_row(app, client, create_user):
    user = create_user()
    claim_id = claim_voucher(user.id, make_voucher().id).claim.id
    log_in(client, user)
    token = csrf_token_from(client.get("/me/vouchers").get_data(as_text=True))

    response = client.post(f"/me/vouchers/{claim_id}/hide", data={"csrf_token": token}, headers=HX)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.strip().startswith("<li") and f'id="claim-row-{claim_id}"' in html
    assert "Hidden from your history." in html
    assert f'hx-post="/me/vouchers/{claim_id}/unhide"' in html

    response = client.post(
        f"/me/vouchers/{claim_id}/unhide", data={"csrf_token": token}, headers=HX
    )
    assert f'hx-post="/me/vouchers/{claim_id}/hide"' in response.get_data(as_text=True)
    assert fresh(Claim, claim_id).hidden_at is None


def test_hiding_needs_a_csrf_token(app, client, create_user):
    user = create_user()
    claim_id = claim_voucher(user.id, make_voucher().id).claim.id
    log_in(client, user)

    assert client.post(f"/me/vouchers/{claim_id}/hide").status_code == 400
    assert client.post(f"/me/vouchers/{claim_id}/hide", headers=HX).status_code == 400
    assert fresh(Claim, claim_id).hidden_at is None


def test_cannot_hide_another_users_claim(app, client, create_user):
    owner, other = create_user(), create_user()
    claim_id = claim_voucher(owner.id, make_voucher().id).claim.id
    log_in(client, other)
    token = csrf_token_from(client.get("/me/vouchers").get_data(as_text=True))

    response = client.post(f"/me/vouchers/{claim_id}/hide", data={"csrf_token": token})

    assert response.status_code == 404
    assert fresh(Claim, claim_id).hidden_at is None


def test_anonymous_hide_goes_to_login(app, client, create_user):
    claim_id = claim_voucher(create_user().id, make_voucher().id).claim.id
    token = csrf_token_of(client)

    response = client.post(f"/me/vouchers/{claim_id}/hide", data={"csrf_token": token})

    assert response.status_code == 303
    assert response.headers["Location"] == "/login?next=/me/vouchers"
    assert fresh(Claim, claim_id).hidden_at is None


def test_nav_links_to_my_vouchers_when_logged_in(app, client, create_user):
    assert 'href="/me/vouchers"' not in client.get("/").get_data(as_text=True)
    log_in(client, create_user())
    assert 'href="/me/vouchers"' in client.get("/").get_data(as_text=True)
