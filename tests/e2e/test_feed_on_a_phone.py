"""On a 360 px phone, in English and Indonesian, with JavaScript on and off: a category chip
filters on its own, a search keeps the chip, a far city is told how far the nearest vouchers are,
and the chosen city stays readable."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.phone import PHONE, layout_problems

WORDS = {
    "en": {
        "fun": "Fun & leisure",
        "search": "Search",
        "nearby": "Show nearby",
        "place": "Your city or area",
        "far": r"No vouchers within 50 km of you\. The nearest vouchers are \d{3} km away\.",
    },
    "id": {
        "fun": "Hiburan",
        "search": "Cari",
        "nearby": "Tampilkan yang terdekat",
        "place": "Kota atau area Anda",
        "far": r"Tidak ada voucher dalam jarak 50 km dari Anda\. "
        r"Voucher terdekat berjarak \d{3} km\.",
    },
}


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("lang", ["en", "id"])
def test_chips_search_and_a_far_city_on_a_phone(
    live_server: Any, new_page: Callable[..., Any], lang: str, javascript: bool
) -> None:
    words = WORDS[lang]
    page = new_page(javascript=javascript)
    page.set_viewport_size(PHONE)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/?lang={lang}")
    assert layout_problems(page) == []

    documents: list[str] = []
    page.on("request", lambda r: r.resource_type == "document" and documents.append(r.url))
    cards = page.locator("#feed-items li.voucher")
    page.locator("nav.chips a", has_text=words["fun"]).click()
    page.wait_for_url(re.compile(r"category=fun"))
    expect(cards).to_have_count(3)
    expect(page.locator("nav.chips a[aria-current]")).to_have_text(words["fun"])
    # htmx swapped the results in place; without JavaScript the link loaded the page
    assert len(documents) == (0 if javascript else 1)

    page.locator("#feed-q").fill("board")
    page.get_by_role("button", name=words["search"], exact=True).click()
    page.wait_for_url(re.compile(r"category=fun.*q=board|q=board.*category=fun"))
    expect(cards).to_have_count(1)
    expect(page.locator("nav.chips a[aria-current]")).to_have_text(words["fun"])

    page.get_by_label(words["place"]).select_option(label="Surabaya")
    page.get_by_role("button", name=words["nearby"]).click()
    expect(page.locator(".far-away")).to_have_text(re.compile(words["far"]))
    expect(page.get_by_label(words["place"])).to_have_value("surabaya")
    assert "category=fun" in page.url and "q=board" in page.url  # the filters survive
    assert layout_problems(page) == []
    assert errors == []
