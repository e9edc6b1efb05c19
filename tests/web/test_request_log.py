"""The request log: one line per request, with a truncated IP and a coarse user agent only."""

from __future__ import annotations

import logging

import pytest

from konexi.web.request_log import coarse_user_agent, truncate_ip

ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36"
)


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "konexi.requests"]


def test_a_request_is_logged_without_the_full_ip_query_or_email(client, caplog):
    caplog.set_level(logging.INFO, logger="konexi.requests")
    client.get(
        "/privacy?email=siti%40example.com&phone=%2B6281234567890",
        environ_overrides={"REMOTE_ADDR": "203.0.113.77"},
        headers={"User-Agent": ANDROID_CHROME},
    )
    lines = _lines(caplog)
    assert len(lines) == 1
    line = lines[0]
    assert line.startswith("GET pages.privacy /privacy 200 ")
    assert "ms" in line
    assert "ip=203.0.113.0/24" in line and "ua=Chrome/Android" in line
    for secret in ("203.0.113.77", "siti", "example.com", "6281234567890", "?", "K)"):
        assert secret not in line, secret


def test_ipv6_is_truncated_to_48_bits(client, caplog):
    caplog.set_level(logging.INFO, logger="konexi.requests")
    client.get("/privacy", environ_overrides={"REMOTE_ADDR": "2001:db8:abcd:12:3456::1"})
    line = _lines(caplog)[0]
    assert "ip=2001:db8:abcd::/48" in line
    assert "3456" not in line and ":12:" not in line


def test_tokens_in_paths_are_logged_as_the_route_pattern(client, caplog):
    caplog.set_level(logging.INFO, logger="konexi.requests")
    client.get("/verify/email/secret-token-value")
    line = _lines(caplog)[0]
    assert "secret-token-value" not in line
    assert "/verify/email/<token>" in line


def test_static_files_and_health_check_are_not_logged(client, caplog):
    caplog.set_level(logging.INFO, logger="konexi.requests")
    client.get("/healthz")
    client.get("/static/app.css")
    assert _lines(caplog) == []


def test_unknown_pages_are_logged_without_their_path(client, caplog):
    caplog.set_level(logging.INFO, logger="konexi.requests")
    client.get("/no-such-page/siti@example.com")
    line = _lines(caplog)[0]
    assert " 404 " in line and "siti" not in line and "<unmatched>" in line


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("192.168.1.200", "192.168.1.0/24"),
        ("2001:db8::1", "2001:db8::/48"),
        ("::ffff:198.51.100.9", "198.51.100.0/24"),
        (None, "-"),
        ("not-an-ip", "invalid"),
    ],
)
def test_truncate_ip(address, expected):
    assert truncate_ip(address) == expected


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (ANDROID_CHROME, "Chrome/Android"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
            "Safari/iOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0",
            "Firefox/Windows",
        ),
        (
            "Mozilla/5.0 (Linux; Android 13; SM-A146P) AppleWebKit/537.36 (KHTML, like Gecko) "
            "SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
            "Samsung Internet/Android",
        ),
        (None, "-"),
        ("something odd", "Other/Other"),
    ],
)
def test_coarse_user_agent(agent, expected):
    assert coarse_user_agent(agent) == expected
