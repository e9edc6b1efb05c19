"""A visitor narrows the feed to a category, loads more, and sorts by distance (with and without
JavaScript)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from konexi.extensions import db
from konexi.models import Category, Company, Voucher
from konexi.models.base import utcnow


def _more_coffee(live_server, count: int = 8) -> None:
    """Demo data has 6 food & drink vouchers: add some so that the category has a second page."""
    from datetime import timedelta

    with live_server.app.app_context():
        company = db.session.query(Company).filter_by(slug="demo-kopi").one()
        food = db.session.query(Category).filter_by(slug="food-drink").one()
        now = utcnow()
        for n in range(count):
            db.session.add(
                Voucher(
                    company_id=company.id,
                    category_id=food.id,
                    title=f"Kopi susu deal {n + 1}",
                    quota_total=20,
                    starts_at=now - timedelta(days=1),
                    ends_at=now + timedelta(days=3 + n),
                    branches=list(company.branches),
                )
            )
        db.session.commit()


def test_visitor_filters_a_category_loads_more_and_uses_their_location(live_server, new_page):
    _more_coffee(live_server)
    page = new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation({"latitude": -6.26071, "longitude": 106.81372})  # Kemang
    page.goto(live_server.url + "/")

    page.locator("nav.chips a", has_text="Food & drink").click()
    page.wait_for_url(re.compile(r"category=food-drink"))
    cards = page.locator("#feed-items li.voucher")
    expect(cards).to_have_count(10)
    metas = page.locator("#feed-items li.voucher p.meta:first-of-type").all_inner_texts()
    assert all(meta.endswith("Food & drink") for meta in metas)

    page.get_by_role("link", name="Load more").click()
    expect(cards).to_have_count(14)  # appended in place
    assert page.get_by_role("link", name="Load more").count() == 0

    page.get_by_role("button", name="Use my location").click()
    expect(page.get_by_text("Nearest first from your location")).to_be_visible()
    # Kemang branch, from the position rounded to two decimals
    expect(page.locator("#feed-items .distance").first).to_have_text("0.4 km")
    assert "category=food-drink" in page.url  # the filter survives
    assert errors == []


def test_visitor_without_javascript_picks_a_city_and_sees_distances(live_server, new_page):
    page = new_page(javascript=False)
    page.goto(live_server.url + "/")
    assert page.get_by_role("button", name="Use my location").count() == 0  # hidden without JS
    assert page.locator(".distance").count() == 0

    page.locator("nav.chips a", has_text="Fun & leisure").click()  # a link: no "Search" needed
    page.wait_for_url(re.compile(r"category=fun"))
    assert page.locator("#feed-items li.voucher").count() == 3

    page.get_by_label("Your city or area").select_option(label="Jakarta Pusat")
    page.get_by_role("button", name="Show nearby").click()
    page.wait_for_url(re.compile(r"/\?category=fun$"))
    assert page.get_by_text("Nearest first from Jakarta Pusat").is_visible()
    distances = page.locator("#feed-items .distance").all_inner_texts()
    assert len(distances) == 3 and all(re.fullmatch(r"\d+\.\d km", d) for d in distances)
