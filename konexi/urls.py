"""Absolute links for SMS and email, built from ``BASE_URL`` and the app's routes.

A message is often written outside any request (an RQ job, a CLI command), and even inside one
the link must point at the public address in ``BASE_URL`` (scheme, host and any path prefix),
not at whatever host the request came through. So links are built by binding the URL map to
``BASE_URL`` rather than with ``url_for``, and services and messaging may import this module.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of ``endpoint`` under ``BASE_URL``; values the rule does not take
    become the query string (as with ``url_for``)."""
    base = urlsplit(str(current_app.config["BASE_URL"]))
    adapter = current_app.url_map.bind(
        base.netloc,
        script_name=base.path.rstrip("/") or "/",
        url_scheme=base.scheme or "https",
    )
    return adapter.build(endpoint, values, force_external=True)
