"""A signed-in user's "for you" suggestions are kept between their pages (Redis), and whatever
they do that changes them (a claim, hiding it, new favourites, personalisation off) shows on the
very next page."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from konexi.extensions import db
from konexi.models import Category, User, Voucher
from konexi.models.preferences import user_favourite_categories
from konexi.services.accounts.profile import update_profile
from konexi.services.claims.claims import ClaimOutcome, claim_voucher, set_claim_hidden
from konexi.services.privacy.privacy_settings import set_privacy_setting
from tests.support.auth import log_in
from tests.support.catalogue import MONAS, Shop, count_queries
from tests.support.feed_pages import feed_sections


@pytest.fixture
def app(
    app_factory: Callable[..., Flask], redis_url: str, twilio: object, mailbox: object
) -> Iterator[Flask]:
    """Production's cache seconds, with the Redis every process shares."""
    application = app_factory(PAGE_CACHE_SECONDS="10", REDIS_URL=redis_url)
    with application.app_context():
        yield application
        db.session.remove()


@pytest.fixture
def catalogue(shop: Shop, food: Category, beauty: Category) -> dict[str, list[Voucher]]:
    cafe, salon = shop.company("Warung Kopi"), shop.company("Salon Ayu")  # signals too
    for n in range(6):
        shop.voucher(
            cafe, food, f"Kopi {n}", branches=[shop.branch(cafe, *MONAS)], ends_in_days=1 + n
        )
        shop.voucher(
            salon, beauty, f"Salon {n}", branches=[shop.branch(salon, *MONAS)], ends_in_days=1 + n
        )
    vouchers = list(db.session.scalars(select(Voucher).order_by(Voucher.ends_at, Voucher.id)))
    return {
        "food": [v for v in vouchers if v.category_id == food.id],
        "beauty": [v for v in vouchers if v.category_id == beauty.id],
    }


@pytest.fixture
def liker(create_user: Callable[..., User], food: Category) -> User:
    user = create_user()
    db.session.execute(
        user_favourite_categories.insert().values(user_id=user.id, category_id=food.id)
    )
    db.session.commit()
    return user


def _for_you(client: FlaskClient) -> list[str]:
    return feed_sections(client.get("/").get_data(as_text=True))[0]


@pytest.fixture
def client(app: Flask, liker: User) -> FlaskClient:
    signed_in = app.test_client()
    log_in(signed_in, liker)
    return signed_in


def test_the_next_page_takes_the_suggestions_from_the_users_kept_copy(
    client: FlaskClient, catalogue: dict[str, list[Voucher]]
) -> None:
    first = client.get("/").get_data(as_text=True)
    assert feed_sections(first)[0] == ["Kopi 0", "Kopi 1", "Kopi 2", "Kopi 3"]
    with count_queries() as statements:
        again = client.get("/").get_data(as_text=True)
    assert not [s for s in statements if "signal_categories" in s]  # not computed again
    assert feed_sections(again) == feed_sections(first)


def test_a_claim_and_hiding_it_change_the_suggestions_at_once(
    client: FlaskClient, liker: User, food: Category, catalogue: dict[str, list[Voucher]]
) -> None:
    update_profile(liker.id, None, None, False, [])  # no favourites: claims are the signals
    assert _for_you(client) == []
    beauty_first = catalogue["beauty"][0]
    result = claim_voucher(liker.id, beauty_first.id)
    assert result.outcome is ClaimOutcome.OK and result.claim is not None
    # its category is a signal now, and the claimed one is used up for them
    assert _for_you(client) == ["Salon 1", "Salon 2", "Salon 3", "Salon 4"]
    set_claim_hidden(liker.id, result.claim.id, hidden=True)
    assert _for_you(client) == []


def test_new_favourites_and_personalisation_off_show_at_once(
    client: FlaskClient, liker: User, beauty: Category, catalogue: dict[str, list[Voucher]]
) -> None:
    assert _for_you(client)[0] == "Kopi 0"
    update_profile(liker.id, None, None, False, [beauty.id])
    assert _for_you(client) == ["Salon 0", "Salon 1", "Salon 2", "Salon 3"]
    set_privacy_setting(liker.id, "personalisation_enabled", False)
    assert _for_you(client) == []
    set_privacy_setting(liker.id, "personalisation_enabled", True)
    assert _for_you(client)[0] == "Salon 0"
