"""Rate limits on the real Redis: shared by every web process, configurable, on each endpoint
where guessing or sending is cheap (login, OTP send and verify, password reset)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from konexi.config import ConfigError, load_settings
from tests.servers.ports import free_port, wait_for_port
from tests.support.accounts import sign_up, submit, submit_login
from tests.support.app import base_environ, csrf_token_from

ROOT = Path(__file__).resolve().parents[2]
_SERVE = textwrap.dedent(
    """
    import os, sys
    from werkzeug.serving import make_server
    from konexi import create_app
    make_server("127.0.0.1", int(sys.argv[1]), create_app(dict(os.environ)), threaded=True)\\
        .serve_forever()
    """
)


@pytest.fixture
def redis_client(redis_app):
    """A test client of an app whose limits live in the real Redis."""
    return redis_app.test_client()


def _web_process(environ: dict[str, str]) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", _SERVE, str(port)],
        cwd=ROOT,
        env={**os.environ, **environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)


def _failed_logins_across(urls: list[str], attempts: int) -> list[int]:
    """Failed logins for one account, taking turns between the web processes."""
    sessions = [requests.Session() for _ in urls]
    tokens = [
        csrf_token_from(session.get(f"{url}/login", timeout=10).text)
        for session, url in zip(sessions, urls, strict=True)
    ]
    statuses = []
    for n in range(attempts):
        i = n % len(urls)
        response = sessions[i].post(
            f"{urls[i]}/login",
            data={"identifier": "siti@example.com", "password": "wrong", "csrf_token": tokens[i]},
            allow_redirects=False,
            timeout=10,
        )
        statuses.append(response.status_code)
    return statuses


@pytest.mark.slow  # a real process for many seconds: `make test` runs it, not the quick loop
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_two_web_processes_on_one_redis_count_a_limit_together(
    database_url, smtp_server, fake_twilio, redis_url
):
    """5 failed logins a minute per account: 3 on one process and 3 on the other make 6."""
    environ = {**base_environ(database_url, smtp_server, fake_twilio), "REDIS_URL": redis_url}
    first, second = _web_process(environ), _web_process(environ)
    try:
        urls = [next(first), next(second)]
        assert _failed_logins_across(urls, 6) == [200] * 5 + [429]
    finally:
        first.close()
        second.close()


@pytest.mark.slow  # a real process for many seconds: `make test` runs it, not the quick loop
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_without_redis_each_process_would_count_alone(database_url, smtp_server, fake_twilio):
    """The control for the test above: in-memory counters let 6 failures through."""
    environ = base_environ(database_url, smtp_server, fake_twilio)
    first, second = _web_process(environ), _web_process(environ)
    try:
        urls = [next(first), next(second)]
        assert _failed_logins_across(urls, 6) == [200] * 6
    finally:
        first.close()
        second.close()


def test_production_keeps_the_counters_in_redis(tmp_path):
    environ = {
        "KONEXI_ENV": "production",
        "SECRET_KEY": "s" * 64,
        "DATABASE_URL": "postgres://u:p@db.example/konexi",
        "REDIS_URL": "redis://cache.example:6379/0",
        "TWILIO_ACCOUNT_SID": "AC1",
        "TWILIO_AUTH_TOKEN": "t",
        "TWILIO_FROM_NUMBER": "+15005550006",
        "SMTP_URL": "smtp://mail.example:587",
        "MAIL_FROM": "Konexi <no-reply@konexi.example>",
    }
    config = load_settings(environ, tmp_path).flask_config()
    assert config["RATELIMIT_STORAGE_URI"] == "redis://cache.example:6379/0"
    assert config["RATELIMIT_ENABLED"] is True


def test_a_limit_is_a_setting_and_a_typo_stops_the_start(app_factory, redis_url, tmp_path):
    client = app_factory(REDIS_URL=redis_url, RATELIMIT_LOGIN_PER_IP="3 per minute").test_client()
    statuses = [
        submit_login(client, f"nobody{n}@example.com", "wrong").status_code for n in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    with pytest.raises(ConfigError, match="RATELIMIT_LOGIN_PER_IP"):
        load_settings({"KONEXI_ENV": "testing", "RATELIMIT_LOGIN_PER_IP": "lots"}, tmp_path)


def test_one_ip_fails_at_most_thirty_logins_a_minute_whatever_the_account(redis_client):
    """Thirty, not ten: many people share one carrier address (per account stays at 5)."""
    statuses = [
        submit_login(redis_client, f"n{n}@example.com", "wrong").status_code for n in range(31)
    ]
    assert statuses == [200] * 30 + [429]


def test_verification_codes_are_asked_for_at_most_five_times_a_minute(redis_client):
    sign_up(redis_client)
    statuses = [
        submit(redis_client, "/verify", {}, action="/verify/phone/resend").status_code
        for _ in range(6)
    ]
    assert 429 not in statuses[:5] and statuses[5] == 429


def test_codes_are_tried_at_most_ten_times_a_minute(redis_client):
    sign_up(redis_client)
    statuses = [
        submit(
            redis_client, "/verify", {"phone-code": "000000"}, action="/verify/phone"
        ).status_code
        for _ in range(11)
    ]
    assert 429 not in statuses[:10] and statuses[10] == 429


def test_forgot_password_is_asked_at_most_twenty_times_a_minute_per_ip(redis_client):
    statuses = [
        submit(redis_client, "/forgot-password", {"identifier": f"n{n}@example.com"}).status_code
        for n in range(21)
    ]
    assert 429 not in statuses[:20] and statuses[20] == 429


def test_reset_codes_are_tried_at_most_ten_times_an_hour_per_account_and_client(
    app_factory, redis_url
):
    app = app_factory(REDIS_URL=redis_url, RATELIMIT_RESET_PER_IP="100 per minute")
    client = app.test_client()
    form = {"identifier": "siti@example.com", "code": "000000", "new_password": "a new passphrase"}
    statuses = [submit(client, "/reset-password", form).status_code for _ in range(11)]
    assert statuses == [200] * 10 + [429]
    # another account from the same place is not affected
    other = {**form, "identifier": "budi@example.com"}
    assert submit(client, "/reset-password", other).status_code == 200
    # nor is the owner on another network: a stranger's tries do not lock them out
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    assert submit(owner, "/reset-password", form).status_code == 200


def test_a_limit_that_was_typed_into_a_blueprint_is_now_a_setting(app_factory, redis_url):
    """The inbound-email webhook: 300 a minute by default, here lowered by the setting alone."""
    app = app_factory(REDIS_URL=redis_url, RATELIMIT_INBOUND_EMAIL_PER_IP="2 per minute")
    client = app.test_client()
    statuses = [client.post("/webhooks/inbound-email").status_code for _ in range(3)]
    assert statuses == [404, 404, 429]  # no INBOUND_EMAIL_SECRET: 404 until the limit
