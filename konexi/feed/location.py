"""Where the visitor is, for this session; kept longer only when their privacy setting allows.

The session holds the coarse point (about 1 km) with the id of the user who chose it, so that a
signed-in user's location is never shown to the next person on a shared phone.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import session
from flask_login import current_user

from konexi.services.catalogue import nearby
from konexi.services.catalogue.geo import Point, coarse_point
from konexi.services.catalogue.places import Place, place_by_slug

SESSION_KEY = "feed_location"


@dataclass(frozen=True)
class Location:
    point: Point
    place: Place | None = None
    source: str = "session"  # "url" (?lat=&lon=), "session" or "saved" (the user's stored one)


def _user_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def _keeps_location() -> bool:
    return bool(current_user.is_authenticated and current_user.store_location)


def current_location(url_point: Point | None = None) -> Location | None:
    """The location to sort by: the URL's, then this session's, then the user's stored one."""
    if url_point is not None:
        return Location(url_point, source="url")
    user_id = _user_id()
    remembered = session.get(SESSION_KEY)
    if isinstance(remembered, dict) and remembered.get("uid") in (None, user_id):
        point = coarse_point(remembered.get("lat"), remembered.get("lon"))
        if point is not None:
            source = "saved" if remembered.get("saved") else "session"
            return Location(point, place_by_slug(remembered.get("place")), source)
        if remembered.get("uid") == user_id and remembered.get("none"):
            return None  # already looked: nothing stored
    if user_id is not None and _keeps_location():
        point = nearby.stored_location(user_id)
        if point is None:
            session[SESSION_KEY] = {"uid": user_id, "none": True}
            return None
        session[SESSION_KEY] = {
            "uid": user_id,
            "lat": point.latitude,
            "lon": point.longitude,
            "saved": True,
        }
        return Location(point, source="saved")
    return None


def remember_location(point: Point, place: Place | None) -> None:
    """Use this location for the rest of the session, and store it if the user allows it."""
    user_id = _user_id()
    saved = _keeps_location()
    session[SESSION_KEY] = {
        "uid": user_id,
        "lat": point.latitude,
        "lon": point.longitude,
        "place": place.slug if place else None,
        "saved": saved,
    }
    if saved and user_id is not None:
        nearby.store_location(user_id, point)


def forget_location() -> None:
    """Stop sorting by distance: drop the session's location and the stored one."""
    user_id = _user_id()
    if user_id is not None:
        nearby.forget_location(user_id)
        session[SESSION_KEY] = {"uid": user_id, "none": True}
    else:
        session.pop(SESSION_KEY, None)
