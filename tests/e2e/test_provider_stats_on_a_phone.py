"""A provider owner reads the statistics and the branches on a 360 px phone, in English and
Indonesian: no sideways scrolling, every column readable, chart labels whole, dates written the
app's one way."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from konexi.extensions import db
from konexi.models import Voucher
from tests.support.browser import DEMO_PROVIDER, log_in
from tests.support.phone import PHONE, clipped_chart_labels, layout_problems
from tests.support.stats import add_daily_stats

TITLE = "Free croissant with any latte"
WORDS = {
    "en": {"redemptions": "Redemptions", "month": "Dec|Nov|Jan"},
    "id": {"redemptions": "Penukaran", "month": "Des|Nov|Jan"},
}


@pytest.mark.parametrize("lang", ["en", "id"])
def test_statistics_and_branches_fit_a_phone(
    live_server: Any, new_page: Callable[..., Any], lang: str
) -> None:
    with live_server.app.app_context():
        voucher_id = db.session.scalar(select(Voucher.id).where(Voucher.title == TITLE))
        add_daily_stats(voucher_id, views=1234, claims=56, redemptions=7)
    page = new_page()
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/?lang={lang}")
    log_in(page, live_server, DEMO_PROVIDER)

    page.goto(live_server.url + "/provider/")
    row = page.locator("#stats-vouchers tbody tr", has_text=TITLE)
    redemptions = row.locator("td").nth(2)
    assert redemptions.get_attribute("data-label") == WORDS[lang]["redemptions"]
    assert redemptions.inner_text() == "210"  # 7 a day for 30 days
    box = redemptions.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert layout_problems(page) == []
    assert page.locator("svg.chart").count() == 2
    assert clipped_chart_labels(page) == []

    page.goto(live_server.url + "/provider/branches")
    consent = page.locator(".branch-list .meta", has_text=re.compile(r"\+62")).first.inner_text()
    month = WORDS[lang]["month"]
    assert re.search(rf"\b\d{{1,2}} ({month}) \d{{4}}, \d{{2}}:\d{{2}}$", consent), consent
    assert layout_problems(page) == []
