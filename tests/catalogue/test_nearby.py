"""Nearest first: distances, the widening bounding box, the "1.2 km" label, and where the
location comes from (browser, picked city, session, or the user's stored one)."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale

from konexi.extensions import db
from konexi.feed.formatting import format_distance
from konexi.models.preferences import UserLocation
from konexi.services.catalogue import geo
from konexi.services.catalogue.geo import (
    Point,
    bounding_box,
    coarse_point,
    destination,
    haversine_km,
)
from konexi.services.catalogue.nearby import SEARCH_RADII_KM, nearest_live_vouchers, squared_degrees
from konexi.services.catalogue.places import PLACES, place_by_slug
from konexi.services.catalogue.postgis import NearbyPath, nearby_path
from tests.support.app import csrf_token_from
from tests.support.auth import log_in
from tests.support.catalogue import MONAS, count_queries, titles

pytest_plugins = ("tests.support.catalogue",)  # fixtures: shop, food, beauty

JAKARTA = Point(*MONAS)


# -- geometry (no database) -----------------------------------------------------------------
def test_haversine_matches_known_distances():
    assert haversine_km(JAKARTA, JAKARTA) == 0
    assert haversine_km(Point(0, 0), Point(1, 0)) == pytest.approx(111.19, abs=0.01)
    bandung = place_by_slug("bandung").point
    assert haversine_km(JAKARTA, bandung) == pytest.approx(118, abs=3)
    assert haversine_km(JAKARTA, place_by_slug("medan").point) == pytest.approx(1420, abs=15)


def test_coarse_point_rounds_to_about_a_kilometre_and_refuses_nonsense():
    assert coarse_point("-6.175392", "106.827153") == Point(-6.18, 106.83)
    assert coarse_point(" -6.2 ", "106.8") == Point(-6.2, 106.8)
    for lat, lon in [
        ("abc", "1"),
        ("999", "0"),
        ("0", "181"),
        ("nan", "0"),
        ("inf", "0"),
        (None, None),
        ("", ""),
        ("1e400", "0"),
    ]:
        assert coarse_point(lat, lon) is None, (lat, lon)


@pytest.mark.parametrize("latitude", [-10.0, -6.2, 0.0, 3.6, 60.0])
def test_bounding_box_holds_the_whole_circle_and_no_more_at_its_edges(latitude):
    centre = Point(latitude, 110.0)
    radius = 25.0
    box = bounding_box(centre, radius)
    for bearing in range(0, 360, 15):
        assert box.contains(destination(centre, bearing, radius)), bearing
    for bearing in (0, 90, 180, 270):  # just past the circle, straight out: outside the box
        assert not box.contains(destination(centre, bearing, radius + 0.05)), bearing
    # longitude degrees shrink with cos(latitude), so the box is wider than it is tall
    width = box.max_longitude - box.min_longitude
    height = box.max_latitude - box.min_latitude
    assert width == pytest.approx(height / geo.math.cos(geo.math.radians(latitude)), rel=0.01)


def test_the_ranking_distance_stays_close_to_the_great_circle_distance():
    import random

    generator = random.Random(7)
    for _ in range(2000):
        a = Point(generator.uniform(-11, 6), generator.uniform(95, 141))
        bearing, km = generator.uniform(0, 360), generator.choice([0.5, 5, 50, 500, 2500])
        b = destination(a, bearing, km)
        approx = squared_degrees(a, b.latitude, b.longitude) ** 0.5 * geo.KM_PER_DEGREE
        assert approx == pytest.approx(haversine_km(a, b), rel=1e-4 if km <= 500 else 3e-3)


def test_distance_label_uses_the_locale():
    from konexi import create_app

    app = create_app({"KONEXI_ENV": "testing", "SECRET_KEY": "x", "DATABASE_URL": "sqlite://"})
    with app.test_request_context("/"):
        with force_locale("en"):
            assert [format_distance(d) for d in (1.234, 0.02, 9.96, 12.4, 1234.0)] == [
                "1.2 km",
                "0.1 km",
                "10 km",
                "12 km",
                "1,234 km",
            ]
        with force_locale("id"):
            assert format_distance(1.234) == "1,2 km"
            assert format_distance(1234.0) == "1.234 km"


def test_places_are_in_indonesia_with_unique_slugs():
    assert len({place.slug for place in PLACES}) == len(PLACES) >= 15
    for place in PLACES:
        assert -11 < place.point.latitude < 6 and 95 < place.point.longitude < 141, place


# -- nearest first --------------------------------------------------------------------------
def test_vouchers_come_nearest_first_by_their_nearest_active_branch(shop, food):
    company = shop.company()
    at = lambda km, active=True: shop.branch(  # noqa: E731
        company, *_east(km), active=active
    )
    shop.voucher(company, food, "Far", branches=[at(40)])
    shop.voucher(company, food, "Two branches", branches=[at(30), at(1.2)])
    shop.voucher(company, food, "Near but closed", branches=[at(0.5, active=False), at(20)])
    shop.voucher(company, food, "Next door", branches=[at(0.3)])

    listing = nearest_live_vouchers(JAKARTA)
    assert titles(listing) == ["Next door", "Two branches", "Near but closed", "Far"]
    assert [round(item.distance_km, 1) for item in listing.items] == [0.3, 1.2, 20.0, 40.0]
    assert listing.nearby and not listing.has_more


def test_a_voucher_in_the_box_corner_waits_for_a_nearer_one_just_outside_the_box(shop, food):
    company = shop.company()
    # 6.5 km to the north-east: inside the 5 km box's corner, but not within 5 km.
    corner = shop.branch(company, *_point(destination(JAKARTA, 45, 6.5)))
    # 5.5 km due east: outside the 5 km box, yet nearer.
    east = shop.branch(company, *_east(5.5))
    shop.voucher(company, food, "Corner", branches=[corner])
    shop.voucher(company, food, "East", branches=[east])
    assert bounding_box(JAKARTA, 5).contains(Point(corner.latitude, corner.longitude))

    assert titles(nearest_live_vouchers(JAKARTA)) == ["East", "Corner"]


def test_the_search_widens_until_the_page_is_full(app, shop, food):
    company = shop.company()
    shop.voucher(company, food, "Bandung", branches=[shop.branch(company, -6.91, 107.61)])
    shop.voucher(company, food, "Medan", branches=[shop.branch(company, 3.59, 98.67)])
    shop.voucher(company, food, "Online only", branches=[shop.branch(company, None, None)])
    shop.voucher(company, food, "No branch")
    shop.voucher(company, food, "Jakarta", branches=[shop.branch(company, *_east(2))])

    listing = nearest_live_vouchers(JAKARTA)
    assert titles(listing)[:3] == ["Jakarta", "Bandung", "Medan"]
    assert set(titles(listing)[3:]) == {"Online only", "No branch"}  # no distance: last
    assert [item.distance_km is None for item in listing.items] == [False] * 3 + [True] * 2

    # A page of one needs two (to know there is more): Bandung, 118 km away, is in the 256 km box.
    # PostGIS needs no boxes: the nearest branches, whatever their distance, in one statement.
    postgis = db.engine.dialect.name == "postgresql"
    with count_queries() as statements:
        assert titles(nearest_live_vouchers(JAKARTA, per_page=1)) == ["Jakarta"]
    assert len(statements) == (1 if postgis else SEARCH_RADII_KM.index(256) + 1)
    # The last page has to look everywhere to know it is the last.
    with count_queries() as statements:
        nearest_live_vouchers(JAKARTA)
    assert len(statements) == (2 if postgis else len(SEARCH_RADII_KM) + 1)


@pytest.mark.parametrize(("km", "queries"), [(3.99, 1), (4.01, 2)])
def test_the_first_box_counts_what_is_within_its_radius_right_up_to_the_edge(
    shop, food, km, queries
):
    company = shop.company()
    for bearing in (0, 90, 180, 270, 45):  # straight out to the box's sides, and to a corner
        branch = shop.branch(company, *_point(destination(JAKARTA, bearing, km)))
        shop.voucher(company, food, f"Bearing {bearing}", branches=[branch])
    postgis = nearby_path(db.session) is NearbyPath.POSTGIS  # asked once, before counting
    with count_queries() as statements:
        listing = nearest_live_vouchers(JAKARTA, per_page=4)
    assert len(listing.items) == 4 and listing.has_more
    assert all(item.distance_km == pytest.approx(km, rel=1e-3) for item in listing.items)
    # Within 4 km the first box fills the page. Just beyond, the box's corners fill it: the
    # second step widens the box just enough to be sure nothing nearer hides beyond its edge.
    # PostGIS has no box: one KNN statement either way.
    assert len(statements) == (1 if postgis else queries)


def test_nearby_pages_follow_each_other_and_keep_the_filters(shop, food, beauty):
    company = shop.company()
    for n in range(25):
        branch = shop.branch(company, *_east(0.5 + n * 3))  # 0.5, 3.5 … 72.5 km
        shop.voucher(company, beauty if n % 5 == 0 else food, f"V{n:02d}", branches=[branch])

    pages = [nearest_live_vouchers(JAKARTA, page) for page in (1, 2, 3)]
    assert sum((titles(p) for p in pages), []) == [f"V{n:02d}" for n in range(25)]
    assert [p.has_more for p in pages] == [True, True, False]
    from konexi.services.catalogue.catalogue import voucher_filter

    beauty_only = nearest_live_vouchers(JAKARTA, filters=voucher_filter("beauty", "v1"))
    assert titles(beauty_only) == ["V10", "V15"]


# -- where the location comes from ----------------------------------------------------------
def _choose(client, **form):
    # As a browser would: the feed's location form carries a CSRF token for signed-in users only.
    html = client.get("/").get_data(as_text=True)
    token = {"csrf_token": csrf_token_from(html)} if 'name="csrf_token"' in html else {}
    return client.post("/location", data={**token, **form})


def test_picking_a_city_without_javascript_sorts_by_distance_for_the_session(client, shop, food):
    company = shop.company("Kopi Monas")
    shop.voucher(company, food, "Near Monas", branches=[shop.branch(company, *_east(1.2))])

    response = _choose(client, place="jakarta-pusat", q="monas")
    assert response.status_code == 303
    assert response.headers["Location"] == "/?q=monas"
    html = client.get("/").get_data(as_text=True)
    assert "Nearest first from Jakarta Pusat" in html
    assert re.search(r'<span class="distance">1\.\d km</span>', html)
    assert '<option value="jakarta-pusat" selected>' in html
    assert db.session.query(UserLocation).count() == 0  # anonymous: the session only

    _choose(client, clear="1")
    assert "km</span>" not in client.get("/").get_data(as_text=True)


def test_the_browsers_position_is_coarsened_and_wins_over_the_list(client, shop, food):
    company = shop.company()
    shop.voucher(company, food, "Anything", branches=[shop.branch(company, *MONAS)])
    _choose(client, lat="-6.2616789", lon="106.8106123", place="bandung")
    with client.session_transaction() as session:
        assert session["feed_location"]["lat"] == -6.26
        assert session["feed_location"]["lon"] == 106.81
    assert "Nearest first from your location" in client.get("/").get_data(as_text=True)


def test_a_bad_location_is_refused_with_a_message(client):
    response = _choose(client, lat="999", lon="abc")
    assert response.status_code == 303
    html = client.get("/").get_data(as_text=True)
    assert "We could not use that location." in html
    assert "Nearest first" not in html


def test_location_is_stored_only_when_the_user_allows_it(app, client, shop, food, create_user):
    company = shop.company()
    shop.voucher(company, food, "Kopi", branches=[shop.branch(company, *MONAS)])
    careful = create_user()
    log_in(client, careful)
    _choose(client, place="bandung")
    assert db.session.get(UserLocation, careful.id) is None

    sharing = create_user(name="Budi")
    sharing.store_location = True
    db.session.commit()
    first_visit = app.test_client()
    log_in(first_visit, sharing)
    _choose(first_visit, lat="-6.18", lon="106.83")
    stored = db.session.get(UserLocation, sharing.id)
    assert (stored.latitude, stored.longitude) == (-6.18, 106.83)

    next_visit = app.test_client()  # a new session: the stored location is used
    log_in(next_visit, sharing)
    assert "Nearest first from your location" in next_visit.get("/").get_data(as_text=True)

    _choose(next_visit, clear="1")  # clearing forgets the stored one too
    db.session.expire_all()
    assert db.session.get(UserLocation, sharing.id) is None


def test_a_signed_in_users_location_is_not_shown_to_the_next_person(app, client, create_user):
    user = create_user()
    log_in(client, user)
    _choose(client, place="medan")
    assert "Nearest first from Medan" in client.get("/").get_data(as_text=True)
    with client.session_transaction() as session:  # logs out, same phone, same session
        session.pop("_user_id")
    assert "Nearest first" not in client.get("/").get_data(as_text=True)


def test_location_in_the_url_is_used_but_not_remembered(client, shop, food):
    company = shop.company()
    branch = shop.branch(company, *_point(destination(Point(-6.18, 106.83), 90, 1.2)))
    shop.voucher(company, food, "Kopi", branches=[branch])
    html = client.get("/?lat=-6.1754&lon=106.8272").get_data(as_text=True)  # coarsened
    assert '<span class="distance">1.2 km</span>' in html
    assert 'name="lat" value="-6.18"' in html  # the search form keeps it
    assert "Nearest first" not in client.get("/").get_data(as_text=True)


def _east(km: float) -> tuple[float, float]:
    return _point(destination(JAKARTA, 90, km))


def _point(point: Point) -> tuple[float, float]:
    return point.latitude, point.longitude
