"""Nearest first from a city with no voucher close by: the feed says how far the nearest are."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from konexi.models import Category
from konexi.services.catalogue.catalogue import VoucherFilter
from konexi.services.catalogue.feed import CLOSE_KM, build_feed
from konexi.services.catalogue.geo import Point
from konexi.services.catalogue.places import place_by_slug
from tests.support.catalogue import MONAS, Shop

SURABAYA = place_by_slug("surabaya")
NOTES = {
    "en": r"No vouchers within 50 km of you\. The nearest vouchers are (6\d\d) km away\.",
    "id": r"Tidak ada voucher dalam jarak 50 km dari Anda\. Voucher terdekat berjarak (6\d\d) km\.",
}


@pytest.fixture
def jakarta_only(shop: Shop, food: Category) -> None:
    company = shop.company()
    shop.vouchers(company, food, 12, branches=[shop.branch(company, *MONAS)])


@pytest.mark.parametrize("lang", ["en", "id"])
def test_a_far_city_is_told_how_far_the_nearest_vouchers_are(
    client: FlaskClient, jakarta_only: None, lang: str
) -> None:
    point = SURABAYA.point
    html = client.get(f"/?lat={point.latitude}&lon={point.longitude}&lang={lang}").get_data(
        as_text=True
    )
    note = re.search(NOTES[lang], html)
    assert note is not None
    distances = re.findall(r'<span class="distance">(\d+) km</span>', html)
    assert distances and note.group(1) == min(distances, key=int)  # the nearest card's distance


def test_a_city_chosen_in_the_list_gets_the_note_and_so_do_its_searches(
    client: FlaskClient, jakarta_only: None
) -> None:
    client.post("/location", data={"place": "surabaya"})
    assert re.search(NOTES["en"], client.get("/").get_data(as_text=True))
    results = client.get("/?q=voucher", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert re.search(NOTES["en"], results)
    # "load more" adds cards under the note already shown
    more = client.get("/?page=2", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "The nearest vouchers are" not in more and "km" in more


def test_no_note_when_a_voucher_is_close_or_no_location_is_known(
    client: FlaskClient, jakarta_only: None
) -> None:
    for query in ("/?lat=-6.18&lon=106.83", "/?lat=-6.60&lon=106.80", "/"):  # Monas, Bogor, none
        assert "The nearest vouchers are" not in client.get(query).get_data(as_text=True), query


def test_close_means_within_close_km(app: Flask, shop: Shop, food: Category) -> None:
    company = shop.company()
    shop.voucher(company, food, branches=[shop.branch(company, 0.0, 0.0)])
    per_degree = 111.195  # km along the equator
    just_in = Point(0.0, (CLOSE_KM - 1) / per_degree)
    just_out = Point(0.0, (CLOSE_KM + 1) / per_degree)
    assert build_feed(VoucherFilter(), origin=just_in).nearest_far_km is None
    far = build_feed(VoucherFilter(), origin=just_out).nearest_far_km
    assert far is not None and CLOSE_KM < far < CLOSE_KM + 2
