"""The authorisation matrix over every route of the app, generated from ``app.url_map``.

Each (endpoint, method) must have an entry in ``tests/support/access_rules.py`` saying who may
use it; a route without one fails here, by name. For every entry, every kind of actor (anonymous, an
unverified user, the owner of the objects, another user, staff/admin/owner of company A, the
admin of company B, a platform admin) makes the request, and the answer must be the declared
one: "ok" for the allowed actors, the app's refusal (login redirect, /verify, 403, 404) for
the others. The world is built once per backend and the whole table runs in one test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from twilio.request_validator import RequestValidator

from konexi.extensions import db
from tests.servers.fake_twilio import AUTH_TOKEN
from tests.support.access_rules import (
    ACTORS,
    RULES,
    SHARED_SECRET,
    WEBHOOK,
    expected,
)
from tests.support.access_world import Actors, World, outcome
from tests.support.auth import log_in

IGNORED_METHODS = {"HEAD", "OPTIONS"}
INBOUND_SECRET = "matrix-inbound-secret"  # noqa: S105 - test credential


def routes_of(app: Flask) -> set[tuple[str, str]]:
    """Every (endpoint, method) the app answers."""
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) - IGNORED_METHODS
    }


@pytest.fixture
def matrix_app(
    app_factory: Callable[..., Flask], fake_oidc: Any, twilio: Any, mailbox: Any
) -> Iterator[Flask]:
    application = app_factory(
        RATELIMIT_ENABLED="false", INBOUND_EMAIL_SECRET=INBOUND_SECRET, **fake_oidc.env()
    )
    with application.app_context():
        yield application
        db.session.remove()


def test_every_route_has_a_declared_access_rule(matrix_app: Flask) -> None:
    routes = routes_of(matrix_app)
    missing = sorted(routes - RULES.keys())
    assert not missing, (
        "routes without an entry in tests/support/access_rules.py (say who may use them): "
        + ", ".join(f"{endpoint} {method}" for endpoint, method in missing)
    )
    stale = sorted(RULES.keys() - routes)
    assert not stale, f"entries for routes the app no longer has: {stale}"


def test_each_rule_builds_a_request_for_its_own_route(matrix_app: Flask) -> None:
    world = World().build()
    adapter = matrix_app.url_map.bind("konexi.test")
    wrong = []
    for (endpoint, method), rule in RULES.items():
        url = urlsplit(rule.url(world))
        matched, _args = adapter.match(url.path, method=method, query_args=url.query)
        if matched != endpoint:
            wrong.append((endpoint, method, matched))
    assert not wrong


# ~950 requests: about 30 s on SQLite, twice that on PostgreSQL; the rules do not depend on the
# database, so the full table runs on SQLite (the other tests here run on both).
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_route_refuses_every_actor_it_should(matrix_app: Flask) -> None:
    world = World().build()
    actors = Actors(matrix_app, world)
    mismatches = []
    pairs = 0
    for (endpoint, method), rule in RULES.items():
        for actor in ACTORS:
            response = actors.request(rule, method, actor)
            got, want = outcome(response, rule), expected(rule, actor)
            pairs += 1
            if got != want:
                mismatches.append(
                    f"{endpoint} {method} as {actor}: got {got} ({response.status_code} "
                    f"{response.headers.get('Location', '')}), expected {want}"
                )
            if endpoint == "provider.invitation_accept":
                world.forget_accepted_invitations()
            db.session.expire_all()
    print(f"\naccess matrix: {len(RULES)} routes, {pairs} (route, actor) pairs")
    assert not mismatches, "\n".join(mismatches)


def test_webhooks_answer_a_request_signed_by_twilio_or_with_the_secret(matrix_app: Flask) -> None:
    world = World().build()
    client = matrix_app.test_client()
    signed = 0
    for (endpoint, _method), rule in RULES.items():
        if rule.who != WEBHOOK:
            continue
        url, params = rule.url(world), rule.data(world)
        signature = RequestValidator(AUTH_TOKEN).compute_signature(
            "http://konexi.test" + url, params
        )
        response = client.post(url, data=params, headers={"X-Twilio-Signature": signature})
        assert 200 <= response.status_code < 300, endpoint
        forged = client.post(url, data=params, headers={"X-Twilio-Signature": signature[::-1]})
        assert forged.status_code == 403, endpoint
        signed += 1
    assert signed == 2
    for (endpoint, _method), rule in RULES.items():
        if rule.who != SHARED_SECRET:
            continue
        url, params = rule.url(world), rule.data(world)
        response = client.post(url, data=params, headers={"X-Inbound-Secret": INBOUND_SECRET})
        assert response.status_code == 200, endpoint
        wrong = client.post(url, data=params, headers={"X-Inbound-Secret": "guess"})
        assert wrong.status_code == 401, endpoint


def test_unknown_or_forged_capability_links_answer_404(matrix_app: Flask) -> None:
    """Links that are themselves the credential: a wrong one reveals nothing."""
    world = World().build()
    client = matrix_app.test_client()
    log_in(client, world.users["other_user"])
    assert client.get("/s/not-a-share-token").status_code == 404
    assert client.get(f"/me/vouchers/{world.claim.id + 1000}").status_code == 404
    assert client.get(f"/media/{world.image.id}-00000000.webp").status_code == 404
    user_id = world.users["user"].id
    assert client.get(f"/account/picture/{user_id}-00000000.webp").status_code == 404
    assert client.get("/unsubscribe/forged-token").status_code == 400
    assert client.get(f"/provider/invitations/{world.share_token}").status_code in (400, 404)
