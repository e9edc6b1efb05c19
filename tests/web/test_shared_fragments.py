"""The parts of the feed that are the same for everybody are rendered once per worker, and what
each person sees stays theirs and stays current: names, admin links and tokens are never
shared, a card shows a new count at once, a new category shows within CATEGORY_CHIPS_SECONDS."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from html import unescape

import pytest
from flask import Flask, render_template
from flask.testing import FlaskClient
from markupsafe import Markup
from sqlalchemy.sql.selectable import Select

from konexi.extensions import db
from konexi.feed import chips
from konexi.models import Category, User, Voucher
from konexi.services.catalogue.catalogue import FeedItem
from konexi.web.fragments import Fragments
from tests.support.auth import log_in
from tests.support.catalogue import Shop


@pytest.fixture
def app(app_factory: Callable[..., Flask], twilio: object, mailbox: object) -> Iterator[Flask]:
    """An app that keeps the chips as long as production does."""
    application = app_factory(CATEGORY_CHIPS_SECONDS="10")
    with application.app_context():
        yield application
        db.session.remove()


@pytest.fixture
def coffee(shop: Shop, food: Category) -> Voucher:
    return shop.voucher(shop.company(), food, "Kopi susu", quota=5)


class UrlsBuilt:
    """How many URLs the app builds (every url_for runs the app's URL defaults)."""

    def __init__(self, app: Flask) -> None:
        self.count = 0
        app.url_default_functions.setdefault(None, []).append(self._built)

    def _built(self, endpoint: str, values: dict[str, object]) -> None:
        self.count += 1


def _chips(html: str) -> list[str]:
    nav = re.search(r'<nav class="chips".*?</nav>', html, re.S)
    assert nav is not None
    return [
        unescape(text) for text in re.findall(r'<a class="chip"[^>]*>([^<]+)</a>', nav.group(0))
    ]


def test_the_second_feed_page_builds_almost_no_url(
    app: Flask, client: FlaskClient, shop: Shop, food: Category
) -> None:
    shop.vouchers(shop.company(), food, 12)
    urls = UrlsBuilt(app)
    first = client.get("/").get_data(as_text=True)
    assert urls.count >= 20  # layout, forms, chips, ten cards, "load more"
    urls.count = 0
    assert client.get("/").get_data(as_text=True) == first
    assert urls.count <= 1  # only the "load more" link: everything else came rendered


def test_a_card_shows_a_new_count_left_at_once(client: FlaskClient, coffee: Voucher) -> None:
    assert "5 left" in client.get("/").get_data(as_text=True)
    coffee.quota_claimed = 1
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert "4 left" in html and "5 left" not in html


def test_each_person_sees_their_own_name_links_and_token(
    app: Flask, coffee: Voucher, create_user: Callable[..., User]
) -> None:
    admin = create_user(name="Admin Ayu")
    admin.is_platform_admin = True
    db.session.commit()
    pages = {}
    for user in (admin, create_user(name="Budi Santoso")):
        client = app.test_client()
        log_in(client, user)
        pages[user.name] = client.get("/").get_data(as_text=True)
    ayu, budi = pages["Admin Ayu"], pages["Budi Santoso"]
    assert '<span class="who">Admin Ayu</span>' in ayu and 'href="/admin/"' in ayu
    assert '<span class="who">Budi Santoso</span>' in budi and "Admin Ayu" not in budi
    assert 'href="/admin/"' not in budi
    token = re.compile(r'name="csrf_token" value="([^"]+)"')
    assert token.findall(ayu) and token.findall(budi)
    assert not set(token.findall(ayu)) & set(token.findall(budi))


def test_each_language_gets_its_own_parts(client: FlaskClient, coffee: Voucher) -> None:
    english = client.get("/?lang=en").get_data(as_text=True)
    indonesian = client.get("/?lang=id").get_data(as_text=True)
    assert _chips(english) == ["All", "Food & drink"] and ">Log in<" in english
    assert _chips(indonesian)[1:] == ["Makanan & minuman"] and ">Masuk<" in indonesian
    assert ">Log in<" not in indonesian


def test_a_new_or_deactivated_category_shows_within_the_chip_seconds(
    client: FlaskClient, shop: Shop, coffee: Voucher, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(chips, "clock", lambda: now[0])
    assert _chips(client.get("/").get_data(as_text=True)) == ["All", "Food & drink"]
    beauty = shop.category("beauty", "Beauty", "Kecantikan")
    now[0] += 9
    assert "Beauty" not in _chips(client.get("/").get_data(as_text=True))  # kept 10 s
    now[0] += 2
    assert _chips(client.get("/").get_data(as_text=True)) == ["All", "Beauty", "Food & drink"]
    beauty.is_active = False
    db.session.commit()
    now[0] += 11
    assert _chips(client.get("/").get_data(as_text=True)) == ["All", "Food & drink"]


def test_a_signed_in_feed_builds_no_sql_statement_after_the_first(
    app: Flask,
    coffee: Voucher,
    create_user: Callable[..., User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = app.test_client()
    log_in(client, create_user())
    client.get("/")  # the first request of a worker builds its statements
    keys = {"count": 0}
    generate = Select._generate_cache_key

    def counted(self: Select, *args: object, **kwargs: object) -> object:
        keys["count"] += 1
        return generate(self, *args, **kwargs)

    monkeypatch.setattr(Select, "_generate_cache_key", counted)
    response = client.get("/")
    assert response.status_code == 200 and "Kopi susu" in response.get_data(as_text=True)
    # The user, the suggestions and the listing: statements built once, their keys remembered.
    assert keys["count"] == 0


def test_a_worker_keeps_a_bounded_number_of_parts() -> None:
    fragments = Fragments(entries=3)
    for n in range(5):
        fragments.put(("chips", "en", n), Markup(f"<p>{n}</p>"))
    assert len(fragments) == 3
    assert fragments.get(("chips", "en", 0)) is None
    assert fragments.get(("chips", "en", 4)) == Markup("<p>4</p>")


def test_a_card_kept_for_one_distance_is_not_shown_for_another_that_reads_differently(
    app: Flask, coffee: Voucher
) -> None:
    """12.46 km and 12.54 km round to the same tenth but read "12 km" and "13 km": the card's key
    is the distance as shown, so each reader sees their own."""

    def card(km: float) -> str:
        with app.test_request_context("/"):
            item = FeedItem(voucher=coffee, distance_km=km, days_left=3)
            return render_template("feed/_card.html", item=item)

    assert "12 km" in card(12.46)
    assert "13 km" in card(12.54)
    assert "12 km" in card(12.46)  # the kept copy of the first
