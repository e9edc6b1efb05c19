"""The reference ranking the nearby search is checked against: every live matching voucher by
the great-circle distance to its nearest active located branch, computed in Python."""

from __future__ import annotations

from sqlalchemy import select

from konexi.extensions import db
from konexi.models import Voucher
from konexi.models.base import utcnow
from konexi.services.catalogue.catalogue import VoucherFilter
from konexi.services.catalogue.geo import Point, haversine_km
from konexi.services.catalogue.nearby import nearest_live_vouchers


def _matches(voucher: Voucher, filters: VoucherFilter) -> bool:
    if filters.category and voucher.category.slug != filters.category:
        return False
    fields = [
        voucher.title,
        voucher.company.name,
        voucher.category.name_en,
        voucher.category.name_id,
    ]
    return all(any(word in field.lower() for field in fields) for word in filters.terms)


def brute_force(
    origin: Point, filters: VoucherFilter | None = None
) -> list[tuple[int, float | None]]:
    """Every live matching voucher by the haversine distance to its nearest active located
    branch, then end, then id; those without one last."""
    filters = filters or VoucherFilter()
    db.session.expire_all()
    now = utcnow()
    ranked = []
    for voucher in db.session.scalars(select(Voucher)):
        live = (
            voucher.status == "live"
            and voucher.starts_at <= now < voucher.ends_at
            and voucher.quota_claimed < voucher.quota_total
            and voucher.company.is_active
        )
        if not live or not _matches(voucher, filters):
            continue
        distances = [
            haversine_km(origin, Point(b.latitude, b.longitude))
            for b in voucher.branches
            if b.is_active and b.latitude is not None and b.longitude is not None
        ]
        nearest = min(distances, default=None)
        ranked.append((nearest is None, nearest or 0.0, voucher.ends_at, voucher.id, nearest))
    ranked.sort()
    return [(row[3], row[4]) for row in ranked]


def _close(a: float, b: float) -> bool:
    # The search ranks by an equirectangular distance: within 0.3% of the great circle.
    return abs(a - b) <= 3e-3 * max(a, b) + 1e-6


def assert_ranked_like_brute_force(
    origin: Point, per_page: int = 10, filters: VoucherFilter | None = None, pages: int = 0
) -> list[tuple[int, float | None]]:
    """Walk the pages (all of them, or the first ``pages``) and compare with the brute force."""
    filters = filters or VoucherFilter()
    expected = brute_force(origin, filters)
    distance_of = dict(expected)
    got: list[tuple[int, float | None]] = []
    page = 1
    while True:
        listing = nearest_live_vouchers(origin, page, per_page=per_page, filters=filters)
        got += [(item.voucher.id, item.distance_km) for item in listing.items]
        assert len(listing.items) == per_page or not listing.has_more
        if not listing.has_more or page == pages:
            break
        page += 1
    if not pages:
        assert sorted(vid for vid, _ in got) == sorted(vid for vid, _ in expected)
    assert len(got) == min(len(expected), len(got))
    for (got_id, got_km), (want_id, want_km) in zip(got, expected, strict=False):
        if want_km is None:
            assert got_km is None and distance_of[got_id] is None
            continue
        assert got_km is not None and _close(got_km, want_km), (got_id, got_km, want_id, want_km)
        if got_id != want_id:  # only a near tie between two branches may swap two vouchers
            assert distance_of[got_id] is not None and _close(distance_of[got_id], want_km)
    return got
