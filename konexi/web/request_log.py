"""One log line per request, with nothing that identifies a person.

Logged to the ``konexi.requests`` logger: method, endpoint and URL rule (the route pattern, so
tokens in paths and query strings never reach the log), status, duration in ms, the client IP
truncated to its network (/24 for IPv4, /48 for IPv6) and a coarse user agent (browser family
and OS family only, e.g. ``Chrome/Android``). Static files and the health check are skipped.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import time
from functools import lru_cache

from flask import Flask, Response, g, request

log = logging.getLogger("konexi.requests")

SKIPPED_PREFIXES = ("/static/", "/healthz")

# Order matters: many browsers also claim to be Chrome or Safari.
_BROWSERS = (
    ("Edge", re.compile(r"\bEdg(?:e|A|iOS)?/")),
    ("Opera", re.compile(r"\b(?:OPR|Opera)/")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/")),
    ("UC Browser", re.compile(r"\bUCBrowser/")),
    ("Firefox", re.compile(r"\b(?:Firefox|FxiOS)/")),
    ("Chrome", re.compile(r"\b(?:Chrome|Chromium|CriOS)/")),
    ("Safari", re.compile(r"\bSafari/")),
    ("curl", re.compile(r"^curl/")),
    ("Bot", re.compile(r"bot|crawler|spider", re.IGNORECASE)),
)
_SYSTEMS = (
    ("Android", re.compile(r"\bAndroid\b")),
    ("iOS", re.compile(r"\b(?:iPhone|iPad|iPod)\b")),
    ("Windows", re.compile(r"\bWindows\b")),
    ("macOS", re.compile(r"\bMac OS X\b|\bMacintosh\b")),
    ("ChromeOS", re.compile(r"\bCrOS\b")),
    ("Linux", re.compile(r"\bLinux\b")),
)


# Both run on every request with the same few values again and again (parsing an address and
# trying a dozen patterns cost more than writing the line): remembered, bounded.
@lru_cache(maxsize=4096)
def truncate_ip(address: str | None) -> str:
    """The network of an address: /24 for IPv4, /48 for IPv6 (``-`` if there is none)."""
    if not address:
        return "-"
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return "invalid"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


@lru_cache(maxsize=256)
def coarse_user_agent(user_agent: str | None) -> str:
    """The browser family and OS family of a User-Agent header, e.g. ``Chrome/Android``."""
    if not user_agent:
        return "-"
    browser = next((name for name, pattern in _BROWSERS if pattern.search(user_agent)), "Other")
    system = next((name for name, pattern in _SYSTEMS if pattern.search(user_agent)), "Other")
    return f"{browser}/{system}"


def log_request(
    method: str | None,
    endpoint: str | None,
    route: str,
    status: int,
    duration_ms: float,
    remote_addr: str | None,
    user_agent: str | None,
    *,
    cache_hit: bool = False,
) -> None:
    """The one log line of a request, from the app or from the page cache (``cache=hit``)."""
    log.info(
        "%s %s %s %d %.1fms ip=%s ua=%s%s",
        method,
        endpoint or "-",
        route,
        status,
        duration_ms,
        truncate_ip(remote_addr),
        coarse_user_agent(user_agent),
        " cache=hit" if cache_hit else "",
    )


def _skipped() -> bool:
    return request.endpoint == "static" or request.path.startswith(SKIPPED_PREFIXES)


def _start() -> None:
    g.konexi_request_started = time.perf_counter()


def _log(response: Response) -> Response:
    if _skipped():
        return response
    started = g.get("konexi_request_started")
    duration_ms = (time.perf_counter() - started) * 1000 if started is not None else 0.0
    # The route pattern (e.g. /s/<token>), never the concrete path or its query string.
    route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
    log_request(
        request.method,
        request.endpoint,
        route,
        response.status_code,
        duration_ms,
        request.remote_addr,
        request.headers.get("User-Agent"),
    )
    return response


def init_app(app: Flask) -> None:
    """Log every request (but static files and the health check) once, after it is answered."""
    app.before_request(_start)
    app.after_request(_log)


__all__ = ["coarse_user_agent", "init_app", "log_request", "truncate_ip"]
