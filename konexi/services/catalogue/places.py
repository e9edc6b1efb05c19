"""Cities and areas people can pick instead of sharing their browser's location."""

from __future__ import annotations

from dataclasses import dataclass

from konexi.services.catalogue.geo import Point


@dataclass(frozen=True)
class Place:
    """A named city or area with the coordinates of its centre (proper names: not translated)."""

    slug: str
    name: str
    point: Point


def _place(slug: str, name: str, latitude: float, longitude: float) -> Place:
    return Place(slug, name, Point(latitude, longitude))


PLACES: tuple[Place, ...] = (
    _place("jakarta-pusat", "Jakarta Pusat", -6.18, 106.83),
    _place("jakarta-selatan", "Jakarta Selatan", -6.26, 106.81),
    _place("jakarta-utara", "Jakarta Utara", -6.14, 106.88),
    _place("jakarta-barat", "Jakarta Barat", -6.17, 106.76),
    _place("jakarta-timur", "Jakarta Timur", -6.23, 106.90),
    _place("tangerang", "Tangerang", -6.18, 106.63),
    _place("bekasi", "Bekasi", -6.24, 106.99),
    _place("depok", "Depok", -6.40, 106.82),
    _place("bogor", "Bogor", -6.60, 106.80),
    _place("bandung", "Bandung", -6.91, 107.61),
    _place("semarang", "Semarang", -6.97, 110.42),
    _place("yogyakarta", "Yogyakarta", -7.80, 110.36),
    _place("surabaya", "Surabaya", -7.26, 112.75),
    _place("denpasar", "Denpasar", -8.65, 115.22),
    _place("medan", "Medan", 3.59, 98.67),
    _place("palembang", "Palembang", -2.98, 104.76),
    _place("makassar", "Makassar", -5.15, 119.43),
)

_BY_SLUG = {place.slug: place for place in PLACES}


def place_by_slug(slug: str | None) -> Place | None:
    """The place with this slug, or None for an unknown or empty one."""
    return _BY_SLUG.get(slug or "")
