"""The voucher feed: what is live, category chips, search, pages, and the page and fragment."""

from __future__ import annotations

import re

from konexi.services.catalogue.catalogue import clean_page, live_vouchers, voucher_filter
from konexi.services.catalogue.nearby import SEARCH_RADII_KM
from tests.support.app import nearby_search
from tests.support.auth import log_in
from tests.support.catalogue import MONAS, count_queries, titles

pytest_plugins = ("tests.support.catalogue",)  # fixtures: shop, food, beauty


def test_only_live_vouchers_are_in_the_feed(shop, food):
    open_shop = shop.company("Warung Buka")
    closed_shop = shop.company("Warung Tutup", active=False)
    shop.voucher(open_shop, food, "Live now")
    shop.voucher(open_shop, food, "Not started", starts_in_days=1)
    shop.voucher(open_shop, food, "Expired", starts_in_days=-10, ends_in_days=-1)
    shop.voucher(open_shop, food, "Sold out", quota=5, claimed=5)
    shop.voucher(open_shop, food, "Paused", status="paused")
    shop.voucher(open_shop, food, "Draft", status="draft")
    shop.voucher(closed_shop, food, "Provider inactive")

    assert titles(live_vouchers()) == ["Live now"]


def test_category_chip_filters_and_an_unknown_category_is_ignored(shop, food, beauty):
    company = shop.company()
    shop.voucher(company, food, "Iced tea", ends_in_days=1)
    shop.voucher(company, beauty, "Hair cut", ends_in_days=2)

    assert titles(live_vouchers(filters=voucher_filter("beauty"))) == ["Hair cut"]
    assert titles(live_vouchers(filters=voucher_filter("no-such-thing"))) == [
        "Iced tea",
        "Hair cut",
    ]
    assert titles(live_vouchers(filters=voucher_filter("../<script>"))) == [
        "Iced tea",
        "Hair cut",
    ]


SEARCHES = [
    ("KOPI", ["Diskon Kopi Susu"]),  # title, Indonesian, any case
    ("iced", ["Iced Tea"]),  # title, English
    ("sate", ["Diskon Kopi Susu", "Iced Tea"]),  # provider name
    ("makanan", ["Diskon Kopi Susu", "Iced Tea"]),  # category in Indonesian
    ("Food", ["Diskon Kopi Susu", "Iced Tea"]),  # category in English
    ("kecantikan", ["Potong Rambut"]),
    ("susu makanan", ["Diskon Kopi Susu"]),  # every word must match somewhere
    ("  potong   ", ["Potong Rambut"]),
    ("%", []),  # LIKE wildcards are plain characters
    ("_", []),
    ("martabak", []),
]


def test_search_finds_title_provider_and_category_in_both_languages(shop, food, beauty):
    sate = shop.company("Warung Sate Pak Budi")
    salon = shop.company("Salon Cantik")
    shop.voucher(sate, food, "Diskon Kopi Susu", ends_in_days=1)
    shop.voucher(sate, food, "Iced Tea", ends_in_days=2)
    shop.voucher(salon, beauty, "Potong Rambut", ends_in_days=3)

    for q, expected in SEARCHES:
        assert titles(live_vouchers(filters=voucher_filter(q=q))) == expected, q


def test_pages_follow_each_other_without_gaps_or_repeats(shop, food):
    company = shop.company()
    shop.vouchers(company, food, 23)

    pages = [live_vouchers(page=n) for n in (1, 2, 3)]
    assert [len(p.items) for p in pages] == [10, 10, 3]
    assert [p.has_more for p in pages] == [True, True, False]
    assert sum((titles(p) for p in pages), []) == [f"Voucher {n:02d}" for n in range(23)]


def test_bad_page_numbers_are_clamped():
    assert [clean_page(v) for v in ("-3", "0", "abc", None, "2", "9" * 40)] == [1, 1, 1, 1, 2, 1000]
    assert clean_page("5000") == 1000


# -- the page ---------------------------------------------------------------------------------
def test_feed_cards_show_provider_category_days_and_quota_and_link_to_the_voucher(
    client, shop, food
):
    company = shop.company("Kopi Kenangan Mantan")
    voucher = shop.voucher(company, food, "Buy 1 get 1", quota=50, claimed=8, ends_in_days=2.5)
    html = client.get("/").get_data(as_text=True)
    assert f'<a href="/vouchers/{voucher.id}">Buy 1 get 1</a>' in html
    assert "Kopi Kenangan Mantan · Food &amp; drink" in html
    assert "3 days left" in html and "42 left" in html
    assert "km" not in html  # no location yet: no distance

    html = client.get("/?lang=id").get_data(as_text=True)
    assert "Makanan &amp; minuman" in html


def test_htmx_request_gets_only_the_cards(client, shop, food):
    company = shop.company()
    shop.vouchers(company, food, 12)

    response = client.get("/?page=2", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert "<html" not in html and "<form" not in html
    assert html.count('class="card voucher"') == 2
    assert "HX-Request" in response.headers["Vary"]


def test_filters_work_as_a_plain_form_and_with_htmx(client, shop, food, beauty):
    company = shop.company()
    shop.voucher(company, food, "Iced tea")
    shop.voucher(company, beauty, "Hair cut")
    page = client.get("/").get_data(as_text=True)
    form = re.search(r'<form class="filters".*?</form>', page, re.S).group(0)
    assert 'method="get" action="/"' in form
    assert 'hx-get="/"' in form and 'hx-target="#feed-results"' in form
    assert 'hx-push-url="true"' in form
    assert 'name="q"' in form and 'name="category"' not in form  # no category chosen yet

    html = client.get("/?category=beauty&q=hair").get_data(as_text=True)
    assert "Hair cut" in html and "Iced tea" not in html
    assert 'type="hidden" name="category" value="beauty"' in html and 'value="hair"' in html

    fragment = client.get("/?category=beauty", headers={"HX-Request": "true"})
    assert "Hair cut" in fragment.get_data(as_text=True)
    nothing = client.get("/?q=martabak", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "No vouchers match your search." in nothing


def test_load_more_keeps_category_search_and_location(client, shop, food):
    company = shop.company("Kopi Nusantara")
    branch = shop.branch(company, *MONAS)
    shop.vouchers(company, food, 11, branches=[branch])

    html = client.get("/?category=food-drink&q=voucher&lat=-6.18&lon=106.83").get_data(as_text=True)
    more = re.search(r'<li class="more" id="feed-more">\s*<a href="([^"]+)" hx-get="([^"]+)"', html)
    assert more.group(1) == more.group(2)
    link = more.group(1).replace("&amp;", "&")
    assert link == "/?page=2&category=food-drink&q=voucher&lat=-6.18&lon=106.83"
    second = client.get(link, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert second.count('class="card voucher"') == 1 and "km" in second


BAD_QUERIES = [
    "page=-3",
    "page=abc",
    "page=99999999999999999999",
    "lat=abc&lon=106.8",
    "lat=999&lon=999",
    "lat=nan&lon=inf",
    "lat=-6.2",
    "category=%00%ff",
    "category=" + "x" * 500,
    "q=" + "kopi%20" * 2000,
    "q=%25%5F%5C",
]


def test_bad_input_never_breaks_the_feed(client, shop, food):
    shop.voucher(shop.company(), food, "Free tea")
    for query in BAD_QUERIES:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get("/?" + query, headers=headers)
            assert response.status_code == 200, query
            if not query.startswith(("page=9", "q=")):  # ignored, so the voucher shows
                assert "Free tea" in response.get_data(as_text=True), query


def test_a_location_that_is_not_one_gets_a_message(client):
    html = client.get("/?lat=abc&lon=106.8").get_data(as_text=True)
    assert "We could not use that location." in html


def test_one_query_per_page_whatever_the_number_of_cards(app, client, shop, food, beauty):
    company = shop.company()
    branch = shop.branch(company, *MONAS)
    shop.vouchers(company, food, 12, branches=[branch])
    shop.vouchers(company, beauty, 13, branches=[branch])
    hx = {"HX-Request": "true"}

    def queries(url: str, **kwargs) -> int:
        with count_queries() as statements:
            assert client.get(url, **kwargs).status_code == 200
        return len(statements)

    # "Load more" (htmx, page 2 on): the cards only. Page one (a search, a chip) and a full page
    # add the category chips.
    assert queries("/?page=2", headers=hx) == 1
    assert queries("/?page=3", headers=hx) == 1  # 5 cards cost the same as 10
    assert queries("/?category=beauty&q=voucher", headers=hx) == 2
    assert queries("/?page=1", headers=hx) == 2
    assert queries("/") == 2
    # Nearest first: one query when the first box (5 km) fills the page.
    assert queries("/?lat=-6.18&lon=106.83&page=2", headers=hx) == 1
    # The last page has to look everywhere to know it is the last: one query per wider box for
    # the portable search; PostGIS ranks every branch by distance, so one more query at most.
    last_page = queries("/?lat=-6.18&lon=106.83&page=3", headers=hx)
    assert last_page == (2 if nearby_search() == "postgis" else len(SEARCH_RADII_KM) + 1)
    assert queries("/?lat=-6.18&lon=106.83&page=2&category=beauty", headers=hx) == last_page


def test_signed_in_page_costs_a_fixed_number_of_queries(app, client, shop, food, create_user):
    from konexi.extensions import db
    from konexi.models.preferences import user_favourite_categories

    user = create_user()
    db.session.execute(
        user_favourite_categories.insert().values(user_id=user.id, category_id=food.id)
    )
    db.session.commit()
    company = shop.company()
    shop.vouchers(company, food, 3)
    log_in(client, user)
    with count_queries() as few:
        client.get("/")
    shop.vouchers(company, food, 27)
    with count_queries() as many:
        html = client.get("/").get_data(as_text=True)
    assert "For you" in html
    # the user, the chips, "for you" and the cards
    assert len(few) == len(many) == 4
