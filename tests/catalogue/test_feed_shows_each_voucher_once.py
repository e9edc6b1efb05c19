"""A voucher shows once on the feed: "for you" keeps the suggested ones, the listing leaves them
out on every page (load more included), and no voucher is skipped between pages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from konexi.extensions import db
from konexi.models import Category, User
from konexi.models.preferences import user_favourite_categories
from konexi.services.catalogue import nearby
from tests.support.auth import log_in
from tests.support.catalogue import MONAS, Shop
from tests.support.feed_pages import card_titles, feed_sections, next_page_link

HX = {"HX-Request": "true"}
ALL = [f"Voucher {n:02d}" for n in range(16)]  # 4 suggested, 10 on page one, 2 on page two


def _likes(user: User, category: Category) -> None:
    db.session.execute(
        user_favourite_categories.insert().values(user_id=user.id, category_id=category.id)
    )
    db.session.commit()


@pytest.fixture
def liked_catalogue(shop: Shop, food: Category, create_user: Callable[..., User]) -> User:
    company = shop.company()
    branch = shop.branch(company, *MONAS)
    shop.vouchers(company, food, len(ALL), branches=[branch])
    user = create_user()
    _likes(user, food)
    return user


@pytest.mark.parametrize("where", ["", "lat=-6.18&lon=106.83"], ids=["soonest", "nearest"])
def test_a_suggested_voucher_is_not_repeated_in_the_listing_or_after_load_more(
    client: FlaskClient, liked_catalogue: User, where: str
) -> None:
    log_in(client, liked_catalogue)
    html = client.get(f"/?{where}").get_data(as_text=True)
    for_you, first_page = feed_sections(html)
    assert len(for_you) == 4 and len(first_page) == 10
    assert not set(for_you) & set(first_page)

    shown = for_you + first_page
    link = next_page_link(html)
    while link is not None:  # "load more", as htmx asks for it
        more = client.get(link, headers=HX).get_data(as_text=True)
        assert "For you" not in more
        shown += card_titles(more)
        link = next_page_link(more)
    assert sorted(shown) == ALL  # each once: none repeated, none skipped


def test_without_javascript_the_next_page_continues_the_same_listing(
    client: FlaskClient, liked_catalogue: User
) -> None:
    log_in(client, liked_catalogue)
    html = client.get("/").get_data(as_text=True)
    for_you, first_page = feed_sections(html)
    second_html = client.get(next_page_link(html)).get_data(as_text=True)
    second_for_you, second_page = feed_sections(second_html)
    assert second_for_you == []  # suggestions are on page one only
    assert sorted(for_you + first_page + second_page) == ALL


def test_a_search_or_a_chip_under_the_suggestions_leaves_them_out_too(
    client: FlaskClient, liked_catalogue: User
) -> None:
    log_in(client, liked_catalogue)
    for_you, _listing = feed_sections(client.get("/").get_data(as_text=True))
    # htmx swaps the results under the "for you" section, which stays on the page
    results = client.get("/?category=food-drink&q=voucher", headers=HX).get_data(as_text=True)
    assert "<html" not in results and len(card_titles(results)) == 10
    assert not set(for_you) & set(card_titles(results))


def test_visitors_and_people_without_suggestions_see_the_whole_listing(
    client: FlaskClient, liked_catalogue: User
) -> None:
    assert feed_sections(client.get("/").get_data(as_text=True)) == ([], ALL[:10])

    liked_catalogue.personalisation_enabled = False
    db.session.commit()
    log_in(client, liked_catalogue)
    assert feed_sections(client.get("/").get_data(as_text=True)) == ([], ALL[:10])


def test_a_signed_in_feed_near_a_place_builds_its_statements_once(
    client: FlaskClient, liked_catalogue: User, create_user: Callable[..., User], food: Category
) -> None:
    # Building these statements costs more than running them: one per database serves everyone.
    log_in(client, liked_catalogue)
    client.get("/?lat=-6.18&lon=106.83")
    path = nearby._search_path()  # sqlite, or postgis on the test PostgreSQL
    built = {name: nearby._BUILT[(path, name)] for name in ("for_you", "without_suggestions")}
    other = create_user()
    _likes(other, food)
    log_in(client, other)
    client.get("/?lat=-6.20&lon=106.80&page=2", headers=HX)
    assert all(nearby._BUILT[(path, name)] is statements for name, statements in built.items())
