"""Who may use the console's voucher pages: every route x every kind of visitor."""

from __future__ import annotations

import pytest

from konexi.extensions import db
from konexi.models import Voucher
from tests.support.app import csrf_token_of
from tests.support.console import ROLES, console, voucher_form  # noqa: F401
from tests.support.factories import fresh


def expected_status(who: str, allowed: int, owner_of_voucher: str | None) -> int:
    """What ``who`` gets from a route; ``owner_of_voucher`` is "us", "them" or None (no id)."""
    if who == "anonymous":
        return 302  # to the login page
    if who == "plain":
        return 404  # belongs to no company: the console does not exist for them
    if who == "staff":
        return 403  # a member, but managing vouchers is not their role
    ours = who in ("owner", "admin")
    if owner_of_voucher is None or (owner_of_voucher == "us") == ours:
        return allowed
    return 404  # another company's voucher


def _token(client) -> str:
    return csrf_token_of(client)


def _request(client, method: str, url: str, data: dict | None = None):
    if method == "GET":
        return client.get(url)
    payload = {**(data or {}), "csrf_token": _token(client)}
    return client.post(url, data=payload, content_type="multipart/form-data")


def _routes(voucher_id: int) -> list[tuple[str, str, dict | None, int, bool]]:
    """(method, url, form, status that means "allowed", is about the voucher) for every route."""
    return [
        ("GET", "/provider/vouchers", None, 200, False),
        ("GET", "/provider/vouchers/new", None, 200, False),
        ("POST", "/provider/vouchers/new", {"title": ""}, 422, False),
        ("GET", f"/provider/vouchers/{voucher_id}/edit", None, 200, True),
        ("POST", f"/provider/vouchers/{voucher_id}/edit", {"title": ""}, 422, True),
        ("POST", f"/provider/vouchers/{voucher_id}/status", {"action": "pause"}, 303, True),
        ("POST", f"/provider/vouchers/{voucher_id}/status", {"action": "end"}, 200, True),
    ]


@pytest.mark.parametrize("who", ROLES)
def test_voucher_routes_answer_each_kind_of_visitor(app, client, console, who):  # noqa: F811
    voucher = console.voucher()
    console.log_in(client, who)
    for method, url, data, allowed, about_voucher in _routes(voucher.id):
        expected = expected_status(who, allowed, "us" if about_voucher else None)
        response = _request(client, method, url, data)
        assert response.status_code == expected, (who, method, url)
        if who == "anonymous":
            assert response.headers["Location"].startswith("/login")
    db.session.expire_all()
    paused = who in ("owner", "admin")
    assert fresh(Voucher, voucher.id).status == ("paused" if paused else "live")


@pytest.mark.parametrize("who", ROLES)
def test_another_companys_voucher_is_404_for_our_members(app, client, console, who):  # noqa: F811
    theirs = console.voucher(company=console.other, title="Their secret voucher")
    console.log_in(client, who)
    for method, url, data, allowed, about_voucher in _routes(theirs.id):
        if not about_voucher:
            continue
        expected = expected_status(who, allowed, "them")
        response = _request(client, method, url, data)
        assert response.status_code == expected, (who, method, url)
        if expected == 404:
            assert "Their secret voucher" not in response.get_data(as_text=True)
    assert fresh(Voucher, theirs.id).status == ("paused" if who == "outsider" else "live")


def test_the_list_shows_only_the_companys_own_vouchers(app, client, console):  # noqa: F811
    console.voucher(title="Ours")
    console.voucher(company=console.other, title="Theirs")
    console.log_in(client, "admin")
    html = client.get("/provider/vouchers").get_data(as_text=True)
    assert "Ours" in html
    assert "Theirs" not in html


def test_a_post_without_the_csrf_token_is_refused(app, client, console):  # noqa: F811
    console.log_in(client, "owner")
    response = client.post(
        "/provider/vouchers/new", data=voucher_form(console), content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert db.session.query(Voucher).count() == 0
