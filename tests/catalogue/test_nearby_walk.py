"""Nearest first, exactly, whatever the search reads: branches the same distance away, one branch
holding more vouchers than a page, one voucher at many of the nearest branches (listed once), a
category found only far away; and on PostGIS the walk stops at the branches the page needs."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from bench.dataset import seed_large_postgres
from bench.nearby import branches_read, explain_nearby
from konexi.extensions import db
from konexi.models import Category, Voucher
from konexi.models.base import utcnow
from konexi.services.catalogue.catalogue import voucher_filter
from konexi.services.catalogue.geo import KM_PER_DEGREE, Point
from konexi.services.catalogue.nearby import nearest_live_vouchers
from tests.support.app import nearby_search
from tests.support.catalogue import MONAS, Shop, count_queries
from tests.support.nearby_reference import assert_ranked_like_brute_force

JAKARTA = Point(*MONAS)


def _east(km: float) -> tuple[float, float]:
    """A point ``km`` east of Monas (along its parallel: close enough at these distances)."""
    degrees = km / (KM_PER_DEGREE * math.cos(math.radians(JAKARTA.latitude)))
    return JAKARTA.latitude, JAKARTA.longitude + degrees


def _walk(per_page: int, **options: Any) -> list[tuple[str, float | None]]:
    """Every page in turn: (title, km) of each item; each page full but the last."""
    seen: list[tuple[str, float | None]] = []
    page = 1
    while True:
        listing = nearest_live_vouchers(JAKARTA, page, per_page=per_page, **options)
        seen += [(item.voucher.title, item.distance_km) for item in listing.items]
        assert len(listing.items) == per_page or not listing.has_more
        if not listing.has_more:
            return seen
        page += 1


def _ending_together(vouchers: list[Voucher], days: float) -> None:
    ends = utcnow() + timedelta(days=days)
    for voucher in vouchers:
        voucher.ends_at = ends
    db.session.commit()


def test_branches_the_same_distance_away_rank_their_vouchers_by_end_then_id(
    shop: Shop, food: Category
) -> None:
    spot = _east(2)
    branches = [shop.branch(shop.company(f"Toko {n}"), *spot) for n in range(3)]
    together = [
        shop.voucher(branch.company, food, f"Together {n}", branches=[branch])
        for n, branch in enumerate(branches * 2)
    ]
    _ending_together(together, 5)
    sooner = shop.voucher(branches[2].company, food, "Sooner", branches=[branches[2]])
    _ending_together([sooner], 3)
    farther = shop.branch(shop.company("Jauh"), *_east(2.5))
    shop.voucher(farther.company, food, "Farther", branches=[farther])

    expected = ["Sooner", *(v.title for v in sorted(together, key=lambda v: v.id)), "Farther"]
    for per_page in (1, 2, 4, 10):
        seen = _walk(per_page)
        assert [title for title, _ in seen] == expected, per_page
        assert {round(km or 0, 6) for _, km in seen[:-1]} == {2.0}  # all of them 2 km away


def test_a_branch_with_more_vouchers_than_a_page_lists_them_by_end_then_id(
    shop: Shop, food: Category
) -> None:
    company = shop.company()
    mall = shop.branch(company, *_east(1))
    next_door = shop.branch(shop.company("Tetangga"), *_east(0.5))
    shop.voucher(next_door.company, food, "Next door late", branches=[next_door], ends_in_days=60)
    shop.voucher(next_door.company, food, "Next door", branches=[next_door], ends_in_days=2)
    at_the_mall = [
        shop.voucher(company, food, f"Mall {n:02d}", branches=[mall], ends_in_days=1 + n % 7)
        for n in range(25)
    ]
    _ending_together(at_the_mall[:4], 9)  # equal ends: the id decides

    by_end = sorted(at_the_mall, key=lambda v: (v.ends_at, v.id))
    expected = ["Next door", "Next door late", *(v.title for v in by_end)]
    for per_page in (3, 10):
        assert [title for title, _ in _walk(per_page)] == expected
    assert_ranked_like_brute_force(JAKARTA, per_page=10)


def test_a_voucher_at_many_of_the_nearest_branches_is_listed_once_at_the_nearest(
    shop: Shop, food: Category
) -> None:
    chain = shop.company("Rantai")
    outlets = [shop.branch(chain, *_east(0.5 * (n + 1))) for n in range(12)]
    everywhere = [shop.voucher(chain, food, f"Chain {n}", branches=outlets) for n in range(3)]
    corner = shop.branch(shop.company("Pojok"), *_east(7))
    shop.vouchers(corner.company, food, 10, branches=[corner])

    seen = _walk(10)
    names = [title for title, _ in seen]
    assert names == [v.title for v in everywhere] + [f"Voucher {n:02d}" for n in range(10)]
    assert [round(km or 0, 1) for _, km in seen[:3]] == [0.5, 0.5, 0.5]
    assert_ranked_like_brute_force(JAKARTA, per_page=4)


def test_a_category_found_only_far_away_is_still_nearest_first(
    shop: Shop, food: Category, beauty: Category
) -> None:
    for n in range(40):  # a city of cafés, none of them a salon
        cafe = shop.branch(shop.company(f"Kafe {n}"), *_east(0.1 * (n + 1)))
        shop.voucher(cafe.company, food, f"Kopi {n}", branches=[cafe])
    salon = shop.company("Salon")
    shop.voucher(salon, beauty, "Far salon", branches=[shop.branch(salon, *_east(300))])
    shop.voucher(salon, beauty, "Nearer salon", branches=[shop.branch(salon, *_east(200))])
    shop.voucher(salon, beauty, "Online salon", branches=[shop.branch(salon, None, None)])

    seen = _walk(2, filters=voucher_filter("beauty", None))
    assert [title for title, _ in seen] == ["Nearer salon", "Far salon", "Online salon"]
    assert [None if km is None else round(km) for _, km in seen] == [200, 300, None]
    assert_ranked_like_brute_force(JAKARTA, per_page=2, filters=voucher_filter("food-drink", None))


# -- what the PostGIS walk reads ---------------------------------------------------------------
def test_on_postgis_a_page_reads_only_the_branches_it_needs(app: Flask) -> None:
    if nearby_search() != "postgis":
        pytest.skip("the KNN walk is PostgreSQL with PostGIS")
    # The benchmark's country (2,000 branches, 20,000 vouchers: ~28 links a branch), so that
    # the planner sees the sizes it plans for in production.
    seed_large_postgres(app, branches=2_000, vouchers=20_000)

    with count_queries() as statements:
        listing = nearest_live_vouchers(JAKARTA, 3)
    assert len(listing.items) == 10 and len(statements) == 1
    # A fixed share of the page in branches read 6 for page 1 and 16 for page 3 (31 vouchers).
    assert sum(branches_read(plan) for plan in explain_nearby(JAKARTA, 1)) <= 3
    assert sum(branches_read(plan) for plan in explain_nearby(JAKARTA, 3)) <= 5


def test_more_branches_at_one_spot_than_the_search_ranks_at_first_lose_no_voucher(
    shop: Shop, food: Category
) -> None:
    """Ten branches exactly as near (a mall's tenants): the soonest-ending voucher, at the last
    of them, comes first even though the first step ranks fewer branches than that."""
    tenants = [shop.branch(shop.company(f"Tenant {n}"), *_east(1)) for n in range(10)]
    for n, branch in enumerate(tenants):
        shop.voucher(branch.company, food, f"Tenant {n}", branches=[branch], ends_in_days=20 - n)

    expected = [f"Tenant {n}" for n in reversed(range(10))]
    assert [title for title, _ in _walk(1)] == expected
    assert [title for title, _ in _walk(3)] == expected
