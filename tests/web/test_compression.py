"""Compression: brotli or gzip for text the browser accepts, never where it gains nothing."""

from __future__ import annotations

import gzip
import re

import brotli
from flask import Response, stream_with_context

from konexi.extensions import db
from konexi.services.images import store_image
from konexi.web import compression
from tests.support.catalogue import MONAS
from tests.support.console import console, photo_bytes  # noqa: F401

pytest_plugins = ("tests.support.catalogue",)  # fixtures: shop, food

BR = {"Accept-Encoding": "br, gzip, deflate"}
GZIP = {"Accept-Encoding": "gzip, deflate"}


def _feed_with_cards(shop, food, count: int = 12) -> None:
    company = shop.company("Kopi Kenangan Senja")
    branch = shop.branch(company, *MONAS)
    shop.vouchers(company, food, count, branches=[branch])


def _asset(html: str, name: str) -> str:
    match = re.search(rf'(?:href|src)="(/static/{re.escape(name)}\?v=[0-9a-f]+)"', html)
    assert match, f"{name} is not linked from the page"
    return match.group(1).replace("&amp;", "&")


def test_the_feed_is_sent_with_brotli_when_the_browser_accepts_it(client, shop, food):
    _feed_with_cards(shop, food)
    plain = client.get("/")
    packed = client.get("/", headers=BR)

    assert plain.headers.get("Content-Encoding") is None
    assert packed.headers["Content-Encoding"] == "br"
    assert brotli.decompress(packed.data) == plain.data
    assert int(packed.headers["Content-Length"]) == len(packed.data)
    assert len(packed.data) < len(plain.data) / 3
    for response in (plain, packed):
        assert "Accept-Encoding" in response.headers["Vary"]
    # each variant has its own ETag, so a cache never hands one to the other's client
    assert packed.headers["ETag"] != plain.headers["ETag"]


def test_gzip_when_the_browser_does_not_accept_brotli(client, shop, food):
    _feed_with_cards(shop, food)
    fragment = client.get("/?page=1", headers={"HX-Request": "true", **GZIP})

    assert fragment.headers["Content-Encoding"] == "gzip"
    html = gzip.decompress(fragment.data).decode()
    assert html.count('class="card voucher"') == 10
    assert int(fragment.headers["Content-Length"]) == len(fragment.data)


def test_a_browser_that_refuses_brotli_gets_gzip(client, shop, food):
    _feed_with_cards(shop, food)
    response = client.get("/", headers={"Accept-Encoding": "br;q=0, gzip"})
    assert response.headers["Content-Encoding"] == "gzip"


def test_a_compressed_page_revalidates_to_a_304_with_its_own_etag(client, shop, food):
    _feed_with_cards(shop, food)
    first = client.get("/", headers=BR)
    etag = first.headers["ETag"]

    again = client.get("/", headers={**BR, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert "Accept-Encoding" in again.headers["Vary"]
    # the same ETag from a browser that now gets the gzip variant is not a match
    other = client.get("/", headers={**GZIP, "If-None-Match": etag})
    assert other.status_code == 200
    assert other.headers["Content-Encoding"] == "gzip"


def test_static_files_are_compressed_once_at_the_strongest_setting(client):
    css_url = _asset(client.get("/").get_data(as_text=True), "app.css")
    plain = client.get(css_url)
    plain_data = plain.data
    plain.close()

    first = client.get(css_url, headers=BR)
    second = client.get(css_url, headers=BR)

    assert first.headers["Content-Encoding"] == "br"
    assert brotli.decompress(first.data) == plain_data
    assert second.data == first.data
    assert int(first.headers["Content-Length"]) == len(first.data)
    assert first.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Accept-Encoding" in first.headers["Vary"]
    # the strongest brotli setting, computed once for this file and kept
    assert first.data == brotli.compress(plain_data, quality=compression.STATIC_BROTLI_QUALITY)
    cached = [key for key in compression._static_cache if key[0].endswith("app.css")]
    assert [key[3] for key in cached].count("br") == 1

    revalidated = client.get(css_url, headers={**BR, "If-None-Match": first.headers["ETag"]})
    assert revalidated.status_code == 304
    gz = client.get(css_url, headers=GZIP)
    assert gzip.decompress(gz.data) == plain_data


def test_the_static_files_can_be_compressed_before_the_first_request(app, client):
    # gunicorn's master does this before forking its workers (gunicorn.conf.py)
    assert compression.warm_static_cache(app) >= 6  # app.css, app.js, htmx: brotli and gzip
    warmed = {key[0].rsplit("/", 1)[-1] for key in compression._static_cache}
    assert {"app.css", "app.js", "htmx.min.js"} <= warmed
    size = len(compression._static_cache)
    htmx_url = _asset(client.get("/").get_data(as_text=True), "vendor/htmx.min.js")
    assert client.get(htmx_url, headers=BR).headers["Content-Encoding"] == "br"
    assert len(compression._static_cache) == size  # served from what was warmed


def test_htmx_itself_is_compressed(client):
    htmx_url = _asset(client.get("/").get_data(as_text=True), "vendor/htmx.min.js")
    response = client.get(htmx_url, headers=BR)
    assert response.headers["Content-Encoding"] == "br"
    assert len(response.data) < 20_000  # 50 KB raw


def test_small_bodies_and_pictures_are_sent_as_they_are(client, console):  # noqa: F811
    health = client.get("/healthz", headers=BR)
    assert len(health.data) < compression.MIN_SIZE
    assert health.headers.get("Content-Encoding") is None

    image = store_image(console.company.id, photo_bytes((1280, 720), orientation=None))
    db.session.commit()
    picture = client.get(f"/media/{image.id}-{image.sha256[:8]}.webp", headers=BR)
    assert picture.status_code == 200
    assert picture.headers.get("Content-Encoding") is None
    assert picture.data == image.data


def test_streamed_and_already_encoded_responses_are_left_alone(app_factory):
    app = app_factory()
    page = "<!doctype html><p>" + "Voucher " * 400 + "</p>"

    @app.get("/test-streamed")
    def streamed():
        return Response(stream_with_context(iter([page, page])), mimetype="text/html")

    @app.get("/test-encoded")
    def encoded():
        response = Response(gzip.compress(page.encode()), mimetype="text/html")
        response.headers["Content-Encoding"] = "gzip"
        return response

    @app.get("/test-no-transform")
    def no_transform():
        response = Response(page, mimetype="text/html")
        response.headers["Cache-Control"] = "no-transform"
        return response

    client = app.test_client()
    assert client.get("/test-streamed", headers=BR).get_data(as_text=True) == page * 2
    assert client.get("/test-streamed", headers=BR).headers.get("Content-Encoding") is None
    encoded_response = client.get("/test-encoded", headers=BR)
    assert encoded_response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(encoded_response.data).decode() == page
    assert client.get("/test-no-transform", headers=BR).headers.get("Content-Encoding") is None
