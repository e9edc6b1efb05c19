""" "For you": suggestions from favourites and visible claims, off when the user says so."""

from __future__ import annotations

from konexi.extensions import db
from konexi.models.preferences import user_favourite_categories
from konexi.services.catalogue.geo import Point, destination
from konexi.services.catalogue.recommendations import for_you
from tests.support.auth import log_in
from tests.support.catalogue import MONAS, count_queries

pytest_plugins = ("tests.support.catalogue",)  # fixtures: shop, food, beauty


def _titles(items) -> list[str]:
    return [item.voucher.title for item in items]


def _like(user, category) -> None:
    db.session.execute(
        user_favourite_categories.insert().values(user_id=user.id, category_id=category.id)
    )
    db.session.commit()


def test_suggestions_come_from_favourite_categories(shop, food, beauty, create_user):
    user = create_user()
    company = shop.company()
    shop.voucher(company, food, "Iced tea")
    shop.voucher(company, beauty, "Hair cut")
    assert for_you(user) == []  # no favourites, no claims: nothing to go on

    _like(user, beauty)
    assert _titles(for_you(user)) == ["Hair cut"]


def test_suggestions_follow_visible_claims_by_category_and_provider(
    shop, food, beauty, create_user
):
    user = create_user()
    fun = shop.category("fun", "Fun & leisure", "Hiburan")
    kopi, salon, cinema = shop.company("Kopi"), shop.company("Salon"), shop.company("Bioskop")
    claimed = shop.voucher(kopi, food, "Claimed coffee", ends_in_days=1)
    shop.voucher(kopi, beauty, "Same provider", ends_in_days=2)
    shop.voucher(salon, food, "Same category", ends_in_days=3)
    shop.voucher(cinema, fun, "Unrelated", ends_in_days=4)
    shop.claim(user, claimed)

    # the claimed voucher itself is used up (limit 1); the others are suggested
    assert _titles(for_you(user)) == ["Same provider", "Same category"]


def test_a_providers_voucher_in_another_category_takes_its_place_by_end_date(
    shop, food, beauty, create_user
):
    user = create_user()
    kopi, others = shop.company("Kopi"), shop.company("Warung")
    claimed = shop.voucher(kopi, food, "Claimed coffee", ends_in_days=1)
    shop.claim(user, claimed)
    for day in range(2, 8):
        shop.voucher(others, food, f"Food ending in {day} days", ends_in_days=day)
    shop.voucher(kopi, beauty, "Kopi's late treatment", ends_in_days=30)
    shop.voucher(kopi, beauty, "Kopi's soon treatment", ends_in_days=3.5)

    assert _titles(for_you(user)) == [
        "Food ending in 2 days",
        "Food ending in 3 days",
        "Kopi's soon treatment",
        "Food ending in 4 days",
    ]
    assert "Kopi's late treatment" in _titles(for_you(user, limit=20))


def test_a_favourite_with_few_vouchers_is_found_behind_many_others(shop, food, beauty, create_user):
    user = create_user()
    _like(user, beauty)
    company = shop.company()
    shop.vouchers(company, food, 40)  # all ending before the one the user likes
    shop.voucher(company, beauty, "Hair cut", ends_in_days=60)

    assert _titles(for_you(user)) == ["Hair cut"]


def test_hidden_claims_are_not_used(shop, food, beauty, create_user):
    user = create_user()
    kopi, salon = shop.company("Kopi"), shop.company("Salon")
    secret = shop.voucher(salon, beauty, "Private treatment")
    shop.voucher(salon, beauty, "Another treatment")
    shop.voucher(kopi, food, "Coffee")
    shop.claim(user, secret, hidden=True)

    assert for_you(user) == []


def test_a_voucher_is_suggested_again_until_the_user_reaches_its_limit(shop, food, create_user):
    user = create_user()
    _like(user, food)
    company = shop.company()
    twice = shop.voucher(company, food, "Twice per person", per_user_limit=2)
    shop.claim(user, twice, number=1)
    assert _titles(for_you(user)) == ["Twice per person"]

    shop.claim(user, twice, number=2, hidden=True)  # hidden, but it still uses the limit up
    assert for_you(user) == []


def test_nearest_suggestions_first_when_the_location_is_known(shop, food, create_user):
    user = create_user()
    _like(user, food)
    company = shop.company()
    jakarta = Point(*MONAS)
    for title, km in [("Far", 30.0), ("Near", 1.0), ("Middle", 8.0)]:
        point = destination(jakarta, 180, km)
        shop.voucher(
            company,
            food,
            title,
            branches=[shop.branch(company, point.latitude, point.longitude)],
            ends_in_days=40 - km,  # the farthest ends first
        )
    assert _titles(for_you(user)) == ["Far", "Middle", "Near"]  # no location: soonest ending
    nearest = for_you(user, jakarta)
    assert _titles(nearest) == ["Near", "Middle", "Far"]
    assert round(nearest[0].distance_km, 1) == 1.0


def test_personalisation_off_means_no_suggestions_and_no_query(shop, food, create_user):
    user = create_user()
    _like(user, food)
    shop.voucher(shop.company(), food, "Iced tea")
    user.personalisation_enabled = False
    db.session.commit()
    user.name  # noqa: B018 - loaded before counting

    with count_queries() as statements:
        assert for_you(user) == []
        assert for_you(user, Point(*MONAS)) == []
    assert statements == []


def test_for_you_section_shows_for_signed_in_users_only(client, shop, food, create_user):
    user = create_user()
    _like(user, food)
    shop.voucher(shop.company(), food, "Iced tea")
    assert "For you" not in client.get("/").get_data(as_text=True)

    log_in(client, user)
    html = client.get("/").get_data(as_text=True)
    assert '<section class="for-you"' in html and "Iced tea" in html
    assert "For you" not in client.get("/?page=2").get_data(as_text=True)
    fragment = client.get("/", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "For you" not in fragment
