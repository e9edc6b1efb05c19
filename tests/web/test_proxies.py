"""Proxies and HTTPS: X-Forwarded-For/-Proto count only as far as TRUSTED_PROXIES allows, and
production sends plain HTTP to HTTPS (konexi/web/proxies.py)."""

from __future__ import annotations

import logging

import pytest
from flask.testing import FlaskClient

from tests.support.accounts import submit

LOGIN_LIMIT = {"RATELIMIT_LOGIN_PER_IP": "10 per minute"}  # the default fits carrier NAT: 30


def _failed_logins(client: FlaskClient, forwarded_for: list[str]) -> list[int]:
    """One failed login per X-Forwarded-For value, each for another account (so only the per-IP
    limit, set to 10 a minute by LOGIN_LIMIT, can answer 429)."""
    return [
        submit(
            client,
            "/login",
            {"identifier": f"nobody{n}@example.com", "password": "wrong"},
            headers={"X-Forwarded-For": value},
        ).status_code
        for n, value in enumerate(forwarded_for)
    ]


def test_without_trusted_proxies_a_forged_x_forwarded_for_does_not_escape_the_login_limit(
    app_factory,
):
    client = app_factory(**LOGIN_LIMIT).test_client()
    statuses = _failed_logins(client, [f"198.51.100.{n}" for n in range(15)])
    assert statuses == [200] * 10 + [429] * 5


def test_with_one_trusted_proxy_the_right_most_hop_is_the_client(app_factory, caplog):
    """Heroku's router appends the address it saw: whatever the client wrote before it is not
    the client; two clients behind the same proxy are counted apart."""
    client = app_factory(TRUSTED_PROXIES="1", **LOGIN_LIMIT).test_client()
    forged = [f"198.51.100.{n}, 203.0.113.7" for n in range(11)]
    with caplog.at_level(logging.INFO, logger="konexi.requests"):
        assert _failed_logins(client, forged) == [200] * 10 + [429]
    assert "ip=203.0.113.0/24" in caplog.text and "198.51.100" not in caplog.text
    assert _failed_logins(client, ["203.0.113.7, 192.0.2.44"]) == [200]  # another client


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_production_redirects_plain_http_to_https_and_serves_https(app_factory, redis_url):
    client = app_factory(KONEXI_ENV="production", REDIS_URL=redis_url).test_client()
    plain = client.get("/privacy?lang=id", base_url="http://konexi.test")
    assert plain.status_code == 308
    assert plain.headers["Location"] == "https://konexi.test/privacy?lang=id"
    posted = client.post("/login", base_url="http://konexi.test", data={"identifier": "x"})
    assert posted.status_code == 308  # the method and body go along, never over HTTP
    assert posted.headers["Location"] == "https://konexi.test/login"
    secure = client.get("/privacy?lang=id", base_url="https://konexi.test")
    assert secure.status_code == 200 and "Pemberitahuan privasi" in secure.text
    # The platform's health check may call the dyno directly: it is answered over HTTP.
    assert client.get("/healthz", base_url="http://konexi.test").status_code == 200


def test_development_and_testing_do_not_redirect(app_factory):
    for env in ("testing", "development"):
        client = app_factory(KONEXI_ENV=env).test_client()
        assert client.get("/privacy", base_url="http://konexi.test").status_code == 200, env


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_forged_x_forwarded_proto_is_ignored_without_trusted_proxies(
    app_factory, redis_url, caplog
):
    forged = {"X-Forwarded-Proto": "https"}
    alone = app_factory(KONEXI_ENV="production", REDIS_URL=redis_url).test_client()
    with caplog.at_level(logging.WARNING, logger="konexi.web.proxies"):
        response = alone.get("/privacy", base_url="http://konexi.test", headers=forged)
    assert response.status_code == 308
    assert response.headers["Location"] == "https://konexi.test/privacy"
    # An operator behind Heroku's router who forgot the setting is told what to set.
    assert "set TRUSTED_PROXIES=1" in caplog.text
    # Behind one trusted proxy that terminated TLS (Heroku's router), the same header counts.
    behind = app_factory(KONEXI_ENV="production", REDIS_URL=redis_url, TRUSTED_PROXIES="1")
    proxied = behind.test_client().get("/privacy", base_url="http://konexi.test", headers=forged)
    assert proxied.status_code == 200
