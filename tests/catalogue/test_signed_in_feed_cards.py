"""Signed-in feeds take their cards from the card cache every process shares (Redis), and each
person's page still leaves out what is suggested to that person."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import pytest
from flask import Flask, template_rendered
from flask.testing import FlaskClient
from sqlalchemy import select

from konexi.extensions import db
from konexi.models import Category, User, Voucher
from konexi.models.preferences import user_favourite_categories
from tests.support.auth import log_in
from tests.support.catalogue import MONAS, Shop
from tests.support.feed_pages import card_titles, feed_sections, next_page_link

HX = {"HX-Request": "true"}
ALL = [f"Voucher {n:02d}" for n in range(16)]  # 4 suggested, 10 a page


@pytest.fixture
def app(
    app_factory: Callable[..., Flask], redis_url: str, twilio: object, mailbox: object
) -> Iterator[Flask]:
    """The first of two processes sharing one Redis (PAGE_CACHE_SECONDS as in production)."""
    application = app_factory(PAGE_CACHE_SECONDS="10", REDIS_URL=redis_url)
    with application.app_context():
        yield application
        db.session.remove()


@pytest.fixture
def second_process(app_factory: Callable[..., Flask], redis_url: str) -> Flask:
    return app_factory(PAGE_CACHE_SECONDS="10", REDIS_URL=redis_url)


@pytest.fixture
def catalogue(shop: Shop, food: Category) -> list[Voucher]:
    company = shop.company()
    branch = shop.branch(company, *MONAS)
    shop.vouchers(company, food, len(ALL), branches=[branch])
    return list(db.session.scalars(select(Voucher).order_by(Voucher.title)))


class CardRenders:
    """Cards rendered one by one for the card cache, in any of the apps."""

    def __init__(self, *apps: Flask) -> None:
        self.count = 0
        for app in apps:
            template_rendered.connect(self._seen, app)

    def _seen(self, sender: Flask, template, context, **extra) -> None:
        if template.name == "feed/_card.html":
            self.count += 1


def _signed_in(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    log_in(client, user)
    return client


def test_a_warm_card_cache_serves_each_person_their_own_suggestions_once(
    app: Flask,
    second_process: Flask,
    catalogue: list[Voucher],
    food: Category,
    create_user: Callable[..., User],
) -> None:
    plain, liker = create_user(), create_user()
    db.session.execute(
        user_favourite_categories.insert().values(user_id=liker.id, category_id=food.id)
    )
    db.session.commit()
    renders = CardRenders(app, second_process)

    plain_html = _signed_in(app, plain).get("/").get_data(as_text=True)
    assert feed_sections(plain_html) == ([], ALL[:10])
    assert renders.count == 10  # page one's cards, rendered once for everybody

    client = _signed_in(second_process, liker)
    html = client.get("/").get_data(as_text=True)
    assert renders.count == 10 + 4  # the page's from Redis: only the liker's 4 suggestions
    for_you, first_page = feed_sections(html)
    assert len(for_you) == 4 and first_page
    assert not set(for_you) & set(first_page)
    shown = for_you + first_page
    link = next_page_link(html)
    while link is not None:  # "load more", as htmx asks for it
        more = client.get(link, headers=HX).get_data(as_text=True)
        shown += card_titles(more)
        link = next_page_link(more)
    assert sorted(shown) == ALL  # each once: none repeated, none skipped
    again = _signed_in(app, plain).get("/").get_data(as_text=True)
    assert feed_sections(again) == ([], ALL[:10])  # the liker's suggestions never reach the cache


def test_a_changed_voucher_shows_on_signed_in_feeds_after_the_cache_seconds(
    app_factory: Callable[..., Flask],
    redis_url: str,
    catalogue: list[Voucher],
    create_user: Callable[..., User],
) -> None:
    quick = app_factory(PAGE_CACHE_SECONDS="1", REDIS_URL=redis_url)
    client = _signed_in(quick, create_user())
    assert "Voucher 00" in client.get("/").get_data(as_text=True)
    catalogue[0].title = "Voucher 00 renamed"
    db.session.commit()
    assert "renamed" not in client.get("/").get_data(as_text=True)  # up to PAGE_CACHE_SECONDS old
    time.sleep(1.1)
    assert "Voucher 00 renamed" in client.get("/").get_data(as_text=True)


def test_with_redis_down_the_signed_in_feed_renders_its_cards_itself(
    app_factory: Callable[..., Flask], catalogue: list[Voucher], create_user: Callable[..., User]
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = app_factory(PAGE_CACHE_SECONDS="10", REDIS_URL=f"redis://127.0.0.1:{port}/0")
    response = _signed_in(down, create_user()).get("/")
    assert response.status_code == 200
    assert feed_sections(response.get_data(as_text=True))[1] == ALL[:10]
