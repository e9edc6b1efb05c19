"""Security headers on every kind of response: an HTML page, an htmx fragment, an error page,
a static file, a stored picture, JSON and CSV; HSTS in production only; htmx set up for the CSP."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import inspect

from konexi.models import Image
from konexi.services.images import store_image
from konexi.web.security import DISABLED_FEATURES
from tests.support.console import photo_bytes
from tests.support.provider_stats import owner_client, seed_30_days

# What a browser must never be allowed for Konexi, whatever else DISABLED_FEATURES lists.
MUST_BE_OFF = {
    "camera",
    "microphone",
    "payment",
    "usb",
    "serial",
    "hid",
    "bluetooth",
    "midi",
    "display-capture",
    "accelerometer",
    "gyroscope",
    "magnetometer",
    "interest-cohort",
    "browsing-topics",
}


def _responses(app, client, create_user) -> dict[str, object]:
    """One response of each kind the app serves."""
    html = client.get("/").get_data(as_text=True)
    css = re.search(r'href="(/static/app\.css\?v=\w+)"', html).group(1)
    company, _first, _second = seed_30_days()
    picture = store_image(company.id, photo_bytes((400, 300)))
    owner_client(client, create_user, company.id)
    from konexi.media.routes import image_url

    with app.test_request_context():
        picture_url = image_url(picture)
    return {
        "html page": client.get("/privacy"),
        "htmx fragment": client.get("/?page=1", headers={"HX-Request": "true"}),
        "error page": client.get("/no-such-page"),
        "static file": client.get(css),
        "picture": client.get(picture_url),
        "json": client.get("/healthz"),
        "csv": client.get("/provider/stats.csv"),
    }


def _directives(csp: str) -> dict[str, list[str]]:
    parsed = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def test_every_kind_of_response_carries_the_security_headers(app, client, create_user):
    responses = _responses(app, client, create_user)
    expected = {
        "html page": ("text/html", 200),
        "htmx fragment": ("text/html", 200),
        "error page": ("text/html", 404),
        "static file": ("text/css", 200),
        "picture": ("image/webp", 200),
        "json": ("application/json", 200),
        "csv": ("text/csv", 200),
    }
    for kind, response in responses.items():
        assert (response.mimetype, response.status_code) == expected[kind], kind
        headers = response.headers
        csp = _directives(headers["Content-Security-Policy"])
        everything = " ".join(word for words in csp.values() for word in words)
        assert "'unsafe-inline'" not in everything and "'unsafe-eval'" not in everything, kind
        assert csp["default-src"] == ["'self'"] and csp["script-src"] == ["'self'"], kind
        assert csp["style-src"] == ["'self'"] and csp["object-src"] == ["'none'"], kind
        assert csp["frame-ancestors"] == ["'none'"], kind
        assert headers["X-Content-Type-Options"] == "nosniff", kind
        assert headers["X-Frame-Options"] == "DENY", kind
        assert headers["Referrer-Policy"] in ("strict-origin-when-cross-origin", "same-origin")
        policy = dict(
            item.strip().split("=", 1) for item in headers["Permissions-Policy"].split(",")
        )
        assert policy.pop("geolocation") == "(self)", kind
        assert set(policy.values()) == {"()"}, kind  # everything else: nobody
        assert MUST_BE_OFF <= set(policy), kind
        assert "Strict-Transport-Security" not in headers, kind  # not over plain development HTTP


def test_production_adds_hsts_with_subdomains(app_factory, database_url, redis_url):
    if database_url.startswith("sqlite"):
        pytest.skip("production refuses SQLite")
    client = app_factory(KONEXI_ENV="production", REDIS_URL=redis_url).test_client()
    for url in ("/privacy", "/no-such-page", "/healthz"):
        hsts = client.get(url, base_url="https://konexi.test").headers["Strict-Transport-Security"]
        assert hsts == "max-age=31536000; includeSubDomains", url


def test_the_disabled_features_are_all_switched_off(client):
    header = client.get("/").headers["Permissions-Policy"]
    for feature in DISABLED_FEATURES:
        assert f"{feature}=()" in header


def test_htmx_is_configured_for_the_csp(client):
    html = client.get("/").get_data(as_text=True)
    config = json.loads(re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", html).group(1))
    # htmx would otherwise insert an inline <style> for its indicators, which the CSP blocks.
    assert config["includeIndicatorStyles"] is False
    # Nothing a response carries is evaluated: no hx-on/js: expressions, no <script> in swaps.
    assert config["allowEval"] is False and config["allowScriptTags"] is False
    # No inline scripts or styles anywhere in the page for the CSP to block.
    assert "<style" not in html and " style=" not in html
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None
    assert " hx-on" not in html and "javascript:" not in html


def test_stored_pictures_are_re_encoded_and_named_by_their_content(app, create_user):
    company, _first, _second = seed_30_days()
    upload = photo_bytes((400, 300))
    picture = store_image(company.id, upload)
    from konexi.media.routes import image_url

    with app.test_request_context():
        url = image_url(picture)
    assert re.fullmatch(rf"/media/{picture.id}-{picture.sha256[:8]}\.webp", url), url
    assert picture.content_type == "image/webp" and picture.data != upload
    columns = {column.key for column in inspect(Image).columns}
    assert not {name for name in columns if "name" in name}  # no file name is ever kept
