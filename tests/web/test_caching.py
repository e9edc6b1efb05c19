"""Cacheable pages: no cookie for anonymous views, ETag/304 for pages and fragments."""

from __future__ import annotations

import re

from tests.support.app import TEST_PASSWORD, csrf_token_from
from tests.support.auth import log_in
from tests.support.catalogue import MONAS

pytest_plugins = ("tests.support.catalogue",)  # fixtures: shop, food

HX = {"HX-Request": "true"}


def _catalogue(shop, food):
    company = shop.company("Kopi Kenangan Senja")
    branch = shop.branch(company, *MONAS)
    shop.vouchers(company, food, 12, branches=[branch])
    return company, shop.voucher(company, food, "Free iced coffee", branches=[branch])


def _anonymous_pages(company, voucher) -> list[str]:
    return ["/", "/?page=2", f"/vouchers/{voucher.id}", f"/providers/{company.slug}", "/privacy"]


def test_anonymous_page_views_set_no_cookie_and_may_be_cached_publicly(client, shop, food):
    company, voucher = _catalogue(shop, food)
    for url in _anonymous_pages(company, voucher):
        for headers in ({}, HX):
            response = client.get(url, headers=headers)
            assert response.status_code == 200, url
            assert response.headers.getlist("Set-Cookie") == [], url
            assert response.headers["Cache-Control"] == "public, no-cache", url
            assert response.headers["ETag"], url
    assert client.get_cookie("session") is None


def test_an_unchanged_page_is_answered_with_an_empty_304_with_the_same_vary(client, shop, food):
    company, voucher = _catalogue(shop, food)
    for url in _anonymous_pages(company, voucher):
        first = client.get(url)
        again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304, url
        assert again.data == b""
        assert again.headers["ETag"] == first.headers["ETag"]
        assert set(again.headers["Vary"].split(", ")) == set(first.headers["Vary"].split(", "))
    fragment = client.get("/?page=2", headers=HX)
    assert "HX-Request" in fragment.headers["Vary"]
    assert (
        client.get(
            "/?page=2", headers={**HX, "If-None-Match": fragment.headers["ETag"]}
        ).status_code
        == 304
    )


def test_a_page_whose_content_changed_is_sent_again(client, shop, food):
    company, voucher = _catalogue(shop, food)
    first = client.get(f"/vouchers/{voucher.id}")
    voucher.quota_claimed += 1  # someone claimed one: "9 of 10 left"
    from konexi.extensions import db

    db.session.commit()
    again = client.get(f"/vouchers/{voucher.id}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]
    assert "9 of 10 left" in again.get_data(as_text=True)


def test_signed_in_pages_are_private_and_revalidate_despite_a_fresh_csrf_signature(
    client,
    shop,
    food,
    create_user,
):
    _company, voucher = _catalogue(shop, food)
    log_in(client, create_user())
    client.get("/")  # the first signed-in page stores the session's CSRF secret

    first = client.get(f"/vouchers/{voucher.id}")
    second = client.get(f"/vouchers/{voucher.id}")
    assert first.headers["Cache-Control"] == "private, no-cache"
    # the token is signed afresh (with a timestamp) on each request, the ETag stays the same
    assert first.headers["ETag"] == second.headers["ETag"]
    again = client.get(f"/vouchers/{voucher.id}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304

    # the page the browser kept still works: its htmx claim button posts with the kept token
    kept_token = re.search(r'"X-CSRFToken": "([^"]+)"', first.get_data(as_text=True)).group(1)
    claimed = client.post(
        f"/vouchers/{voucher.id}/claim", headers={**HX, "X-CSRFToken": kept_token}
    )
    assert claimed.status_code == 200
    assert "Claimed! Your code:" in claimed.get_data(as_text=True)


def test_claiming_from_an_anonymous_voucher_page_goes_through_the_login_form(
    client,
    shop,
    food,
    create_user,
):
    _company, voucher = _catalogue(shop, food)
    user = create_user(email="dewi@example.com")
    page = client.get(f"/vouchers/{voucher.id}").get_data(as_text=True)
    # without a session the claim button is a plain GET form to the login page
    form = re.search(
        r'<form method="get" action="(/login)">\s*<input type="hidden" name="next" '
        r'value="([^"]+)">',
        page,
    )
    assert form and form.group(2) == f"/vouchers/{voucher.id}"

    login_page = client.get(form.group(1), query_string={"next": form.group(2)})
    assert login_page.headers.getlist("Set-Cookie")  # a form page: its CSRF token needs a session
    assert "ETag" not in login_page.headers
    refused = client.post("/login", data={"identifier": user.email, "password": TEST_PASSWORD})
    assert refused.status_code == 400  # no token: CSRF-protected
    logged_in = client.post(
        f"/login?next={form.group(2)}",
        data={
            "csrf_token": csrf_token_from(login_page.get_data(as_text=True)),
            "identifier": user.email,
            "password": TEST_PASSWORD,
        },
    )
    assert logged_in.status_code in (302, 303)
    assert logged_in.headers["Location"].endswith(f"/vouchers/{voucher.id}")

    signed_in_page = client.get(f"/vouchers/{voucher.id}").get_data(as_text=True)
    token = csrf_token_from(signed_in_page)
    assert f'hx-post="/vouchers/{voucher.id}/claim"' in signed_in_page
    claimed = client.post(f"/vouchers/{voucher.id}/claim", data={"csrf_token": token})
    assert claimed.status_code == 303  # without JavaScript: to the claim's page
    assert "/me/vouchers/" in claimed.headers["Location"]


def test_a_flash_message_or_a_cookie_is_never_answered_from_cache(client, shop, food):
    _catalogue(shop, food)
    etag = client.get("/").headers["ETag"]
    # an anonymous location choice needs no token; a bad one comes back as a flash message
    assert client.post("/location", data={"lat": "999", "lon": "abc"}).status_code == 303
    flashed = client.get("/", headers={"If-None-Match": etag})
    assert flashed.status_code == 200
    assert "We could not use that location." in flashed.get_data(as_text=True)
    assert "ETag" not in flashed.headers
    assert flashed.headers["Cache-Control"] == "private, no-cache"

    switched = client.get("/?lang=id")
    assert any(c.startswith("lang=id") for c in switched.headers.getlist("Set-Cookie"))
    assert "ETag" not in switched.headers
    assert switched.headers["Cache-Control"] == "private, no-cache"


def test_a_signed_in_location_choice_still_needs_its_token(client, create_user):
    log_in(client, create_user())
    html = client.get("/").get_data(as_text=True)
    assert client.post("/location", data={"place": "jakarta-pusat"}).status_code == 400
    chosen = client.post(
        "/location", data={"place": "jakarta-pusat", "csrf_token": csrf_token_from(html)}
    )
    assert chosen.status_code == 303
    assert "Nearest first from Jakarta Pusat" in client.get("/").get_data(as_text=True)


def test_the_page_head_asks_for_one_stylesheet_two_deferred_scripts_and_no_favicon(client):
    html = client.get("/").get_data(as_text=True)
    head = html.split("</head>")[0]
    assert len(re.findall(r'<link rel="stylesheet"', head)) == 1
    scripts = re.findall(r"<script[^>]*>", head)
    assert len(scripts) == 2 and all(" defer" in s for s in scripts)
    assert any("htmx.min.js" in s for s in scripts)
    assert '<link rel="icon" href="data:,">' in head  # no favicon request
    assert "img-src 'self' data:" in client.get("/").headers["Content-Security-Policy"]
    # every request of the first view: the page, one stylesheet, htmx, app.js
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', head)
    assert len(assets) == 3
    css = client.get(assets[0].replace("&amp;", "&")).get_data(as_text=True)
    assert "@font-face" not in css and "@import" not in css and "url(" not in css
    assert "system-ui" in css
