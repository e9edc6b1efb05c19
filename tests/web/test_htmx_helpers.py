"""konexi/web/htmx.py reads htmx's request headers itself (no extension replaces Flask's
request class): a swap gets the fragment, everything else the whole page, and caches are told
they differ."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from konexi.web.htmx import is_htmx, redirect_after_post, wants_fragment

PAGE_START = b"<!doctype html>"


def test_an_htmx_swap_gets_the_feed_fragment_and_vary_names_hx_request(client: FlaskClient) -> None:
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert not response.data.lstrip().lower().startswith(PAGE_START)
    assert b"<html" not in response.data
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HX-Request": "false"},
        {"HX-Request": "true", "HX-Boosted": "true"},
        {"HX-Request": "true", "HX-History-Restore-Request": "true"},
    ],
    ids=["plain", "hx-request-false", "boosted", "history-restore"],
)
def test_plain_boosted_and_history_restore_requests_get_the_whole_page(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    response = client.get("/", headers=headers)
    assert response.status_code == 200
    assert response.data.lstrip().lower().startswith(PAGE_START)
    assert "HX-Request" in response.headers["Vary"]


def test_header_values_are_read_whatever_their_case(app: Flask) -> None:
    with app.test_request_context("/", headers={"HX-Request": "True"}):
        assert is_htmx() and wants_fragment()
    with app.test_request_context("/", headers={"HX-Request": "TRUE", "HX-Boosted": "True"}):
        assert is_htmx() and not wants_fragment()
    with app.test_request_context("/"):
        assert not is_htmx() and not wants_fragment()


def test_redirect_after_post_is_a_303_for_browsers_and_hx_redirect_for_htmx(app: Flask) -> None:
    with app.test_request_context("/", method="POST"):
        plain = redirect_after_post("/account/")
    assert (plain.status_code, plain.headers["Location"]) == (303, "/account/")
    assert "HX-Redirect" not in plain.headers
    with app.test_request_context("/", method="POST", headers={"HX-Request": "true"}):
        htmx = redirect_after_post("/account/")
    assert (htmx.status_code, htmx.headers["HX-Redirect"]) == (204, "/account/")
    assert "Location" not in htmx.headers


def test_an_error_under_htmx_is_a_fragment_retargeted_at_main(client: FlaskClient) -> None:
    swapped = client.get("/no-such-page", headers={"HX-Request": "true"})
    assert swapped.status_code == 404
    assert swapped.headers["HX-Retarget"] == "#main"
    assert b"<html" not in swapped.data
    plain = client.get("/no-such-page")
    assert plain.status_code == 404
    assert "HX-Retarget" not in plain.headers
    assert b"<html" in plain.data
