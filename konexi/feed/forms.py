"""Reading the feed's query string and the location form; bad input is ignored, never an error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from konexi.services.catalogue.catalogue import (
    MAX_QUERY_LENGTH,
    VoucherFilter,
    clean_page,
    voucher_filter,
)
from konexi.services.catalogue.geo import Point, coarse_point
from konexi.services.catalogue.places import Place, place_by_slug


@dataclass(frozen=True)
class FeedArgs:
    """``?category=``, ``?q=``, ``?page=`` and an optional ``?lat=&lon=``."""

    q: str
    filters: VoucherFilter
    page: int
    point: Point | None
    bad_location: bool

    @classmethod
    def parse(cls, args: MultiDict[str, str]) -> FeedArgs:
        q = args.get("q", "")[:MAX_QUERY_LENGTH].strip()
        lat, lon = args.get("lat", ""), args.get("lon", "")
        point = coarse_point(lat, lon) if lat or lon else None
        return cls(
            q=q,
            filters=voucher_filter(args.get("category"), q),
            page=clean_page(args.get("page", 1)),
            point=point,
            bad_location=bool(lat or lon) and point is None,
        )

    def link_params(self, with_point: bool) -> dict[str, str]:
        """The parameters that links to other pages of this feed keep."""
        params: dict[str, str] = {}
        if self.filters.category:
            params["category"] = self.filters.category
        if self.q:
            params["q"] = self.q
        if with_point and self.point is not None:
            params["lat"] = f"{self.point.latitude:.2f}"
            params["lon"] = f"{self.point.longitude:.2f}"
        return params

    def chip_params(self, category: str | None) -> dict[str, str]:
        """A category chip's link: that category (None: all), the same search words and
        location, from page one."""
        params = self.link_params(with_point=True)
        params.pop("category", None)
        if category:
            params["category"] = category
        return params


@dataclass(frozen=True)
class LocationChoice:
    """What the location form asked for: clear it, browser coordinates, or a picked place."""

    clear: bool
    point: Point | None
    place: Place | None
    back: dict[str, Any]  # url_for's keyword arguments

    @classmethod
    def parse(cls, form: MultiDict[str, str]) -> LocationChoice:
        place = place_by_slug(form.get("place"))
        lat, lon = form.get("lat", ""), form.get("lon", "")
        point = coarse_point(lat, lon) if lat and lon else None
        if point is None and place is not None:
            point = place.point
        elif point is not None:
            place = None  # the browser's position wins over a stale select
        back = FeedArgs.parse(form).link_params(with_point=False)
        return cls(clear=bool(form.get("clear")), point=point, place=place, back=back)
