"""Personal pages are never stored: every GET route under /me, /account, /provider, /admin and
/verify (walked from ``app.url_map``, so a new route is covered at once) answers the person it
is for with ``Cache-Control: no-store``, and the page cache keeps none of them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from konexi.extensions import db
from konexi.web.page_cache import page_cache_of
from konexi.web.personal_pages import PUBLIC_ENDPOINTS, is_personal_path
from tests.support.access_rules import ACTORS, OK, RULES, expected
from tests.support.access_world import Actors, World, outcome

SIGNED_IN_FIRST = (*ACTORS[1:], ACTORS[0])


@pytest.fixture
def cached_app(app_factory: Callable[..., Flask], fake_oidc: Any, twilio: Any) -> Iterator[Flask]:
    """The production page cache switched on, limits off (the walk is one person's clicks)."""
    application = app_factory(RATELIMIT_ENABLED="false", PAGE_CACHE_SECONDS="10", **fake_oidc.env())
    with application.app_context():
        yield application
        db.session.remove()


def _personal_get_routes(app: Flask) -> list[str]:
    return sorted(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or set())
        and is_personal_path(rule.rule.split("<", 1)[0].rstrip("/") or "/")
        and rule.endpoint not in PUBLIC_ENDPOINTS
    )


def test_every_personal_page_says_no_store_to_its_own_person(cached_app: Flask) -> None:
    endpoints = _personal_get_routes(cached_app)
    assert {"vouchers.mine", "account.download_export", "provider.stats_csv", "admin.reviews"} <= (
        set(endpoints)
    )
    world = World().build()
    actors = Actors(cached_app, world)
    stored, served = [], 0
    for endpoint in endpoints:
        rule = RULES[(endpoint, "GET")]
        actor = next(a for a in SIGNED_IN_FIRST if expected(rule, a) == OK)
        response = actors.request(rule, "GET", actor)
        assert outcome(response, rule) == OK, (endpoint, actor, response.status_code)
        served += response.status_code == 200
        directives = response.headers.get("Cache-Control", "")
        if "no-store" not in directives or response.headers.get("ETag"):
            stored.append(f"{endpoint} as {actor}: {directives!r}")
        db.session.expire_all()
    assert not stored, "\n".join(stored)
    assert served >= len(endpoints) - 3  # pages, downloads and CSV, not only redirects


def test_the_page_cache_keeps_no_personal_page_even_for_anonymous_visitors(
    cached_app: Flask,
) -> None:
    world = World().build()
    for endpoint in _personal_get_routes(cached_app):
        url = RULES[(endpoint, "GET")].url(world)
        for _ in range(2):
            response = cached_app.test_client().get(url)
            assert "no-store" in response.headers.get("Cache-Control", ""), endpoint
    cache = page_cache_of(cached_app)
    assert cache is not None and len(cache) == 0
    # The control: a public page is kept.
    cached_app.test_client().get("/privacy")
    assert len(cache) == 1


def test_a_public_profile_picture_stays_cacheable(cached_app: Flask) -> None:
    """The one route under /account that is public: a picture whose URL changes with it."""
    world = World().build()
    response = cached_app.test_client().get(world.picture_url())
    assert response.status_code == 200 and "no-store" not in response.headers["Cache-Control"]
