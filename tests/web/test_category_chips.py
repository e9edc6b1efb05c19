"""Category chips are links: each filters on its own without JavaScript, keeps the search words
and the location, and with htmx swaps the results in place."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask.testing import FlaskClient

from konexi.models import Category
from tests.support.catalogue import Shop

HX = {"HX-Request": "true"}


def _chips(html: str) -> dict[str, tuple[str, str, bool]]:
    """Each chip's text: (href, hx-get, chosen)."""
    nav = re.search(r'<nav class="chips".*?</nav>', html, re.S)
    assert nav is not None
    chips = {}
    for attributes, text in re.findall(r'<a class="chip"([^>]*)>([^<]+)</a>', nav.group(0)):
        href = re.search(r' href="([^"]+)"', attributes).group(1)
        hx_get = re.search(r' hx-get="([^"]+)"', attributes).group(1)
        assert 'hx-target="#feed-results"' in attributes and 'hx-push-url="true"' in attributes
        chips[unescape(text)] = (unescape(href), unescape(hx_get), "aria-current" in attributes)
    return chips


def _titles(html: str) -> list[str]:
    return re.findall(r'<h2><a href="/vouchers/\d+">([^<]+)</a></h2>', html)


@pytest.fixture
def two_categories(shop: Shop, food: Category, beauty: Category) -> None:
    company = shop.company()
    shop.voucher(company, food, "Kopi voucher")
    shop.voucher(company, beauty, "Hair voucher")
    shop.voucher(company, beauty, "Nails")


def test_a_chip_is_a_link_that_filters_and_keeps_the_search_and_the_location(
    client: FlaskClient, two_categories: None
) -> None:

    chips = _chips(client.get("/?q=voucher&lat=-6.18&lon=106.83").get_data(as_text=True))
    assert list(chips) == ["All", "Beauty", "Food & drink"]
    href, hx_get, chosen = chips["Beauty"]
    assert href == hx_get == "/?q=voucher&lat=-6.18&lon=106.83&category=beauty"
    assert chips["All"][2] and not chosen

    # Without JavaScript the link is an ordinary page
    page = client.get(href).get_data(as_text=True)
    assert "<html" in page and _titles(page) == ["Hair voucher"]
    after = _chips(page)
    assert after["Beauty"][2] and not after["All"][2]
    assert after["All"][0] == "/?q=voucher&lat=-6.18&lon=106.83"  # back to every category
    # the search form keeps the chosen category for the next search
    form = re.search(r'<form class="filters".*?</form>', page, re.S).group(0)
    assert '<input type="hidden" name="category" value="beauty">' in form


def test_with_htmx_a_chip_swaps_the_form_the_chips_and_the_cards(
    client: FlaskClient, two_categories: None
) -> None:
    response = client.get("/?category=food-drink", headers=HX)
    html = response.get_data(as_text=True)
    assert "<html" not in html and "HX-Request" in response.headers["Vary"]
    assert html.lstrip().startswith('<div id="feed-results">')
    assert '<form class="filters"' in html and _chips(html)["Food & drink"][2]
    assert _titles(html) == ["Kopi voucher"]


def test_chips_are_named_in_the_visitors_language(
    client: FlaskClient, shop: Shop, food: Category
) -> None:
    shop.voucher(shop.company(), food, "Kopi voucher")
    chips = _chips(client.get("/?lang=id").get_data(as_text=True))
    assert list(chips) == ["Semua", "Makanan & minuman"]
