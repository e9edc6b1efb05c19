"""Coordinates on the Earth: parsing, coarsening, great-circle distance and bounding boxes."""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)
KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180  # one degree of arc, about 111.2 km
COARSE_DECIMALS = 2  # about 1.1 km at the equator: enough to sort, too coarse to find a home


@dataclass(frozen=True)
class Point:
    """A position in decimal degrees (WGS84)."""

    latitude: float
    longitude: float


@dataclass(frozen=True)
class BoundingBox:
    """The smallest latitude/longitude box holding every point within some distance of a centre."""

    min_latitude: float
    max_latitude: float
    min_longitude: float
    max_longitude: float

    def contains(self, point: Point) -> bool:
        return (
            self.min_latitude <= point.latitude <= self.max_latitude
            and self.min_longitude <= point.longitude <= self.max_longitude
        )


def coarse_point(latitude: object, longitude: object) -> Point | None:
    """A valid position rounded to about a kilometre, or None for anything that is not one."""
    try:
        lat = float(str(latitude).strip()[:32])
        lon = float(str(longitude).strip()[:32])
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return None
    return Point(round(lat, COARSE_DECIMALS) + 0.0, round(lon, COARSE_DECIMALS) + 0.0)


def haversine_km(a: Point, b: Point) -> float:
    """The great-circle distance between two points in kilometres (haversine formula)."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def bounding_box(centre: Point, radius_km: float) -> BoundingBox:
    """The box around every point within ``radius_km`` of ``centre`` (no antimeridian wrap).

    The longitude half-width grows as 1/cos(latitude); the exact form (asin of sin(r)/cos(lat))
    keeps the box tight and correct right at its edge. Near a pole the box spans all longitudes.
    """
    angular = radius_km / EARTH_RADIUS_KM
    lat = math.radians(centre.latitude)
    min_lat, max_lat = lat - angular, lat + angular
    pole = math.pi / 2
    if min_lat <= -pole or max_lat >= pole or math.cos(lat) <= math.sin(angular):
        min_lon, max_lon = -math.pi, math.pi
    else:
        half_width = math.asin(math.sin(angular) / math.cos(lat))
        min_lon = math.radians(centre.longitude) - half_width
        max_lon = math.radians(centre.longitude) + half_width
    # A hair of slack so that a point exactly on the circle never falls out to rounding.
    slack = 1e-9
    return BoundingBox(
        min_latitude=max(math.degrees(min_lat), -90.0) - slack,
        max_latitude=min(math.degrees(max_lat), 90.0) + slack,
        min_longitude=max(math.degrees(min_lon), -180.0) - slack,
        max_longitude=min(math.degrees(max_lon), 180.0) + slack,
    )


def destination(start: Point, bearing_degrees: float, distance_km: float) -> Point:
    """The point ``distance_km`` from ``start`` along a bearing (0 = north, 90 = east)."""
    angular = distance_km / EARTH_RADIUS_KM
    bearing = math.radians(bearing_degrees)
    lat1, lon1 = math.radians(start.latitude), math.radians(start.longitude)
    lat2 = math.asin(
        math.sin(lat1) * math.cos(angular) + math.cos(lat1) * math.sin(angular) * math.cos(bearing)
    )
    lon2 = lon1 + math.atan2(
        math.sin(bearing) * math.sin(angular) * math.cos(lat1),
        math.cos(angular) - math.sin(lat1) * math.sin(lat2),
    )
    return Point(math.degrees(lat2), math.degrees(lon2))
