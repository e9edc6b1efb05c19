"""Social sign-in as a browser goes through it, against the fake provider (no tests here)."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
from flask.testing import FlaskClient
from werkzeug.test import TestResponse


def sign_in_at_provider(client: FlaskClient, provider: str) -> TestResponse:
    """Log in at the provider: our redirect, the provider's consent, then our callback."""
    start = client.get(f"/auth/{provider}/login")
    assert start.status_code == 302, start.status_code
    at_provider = requests.get(start.headers["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302
    back = urlsplit(at_provider.headers["Location"])
    assert back.path == f"/auth/{provider}/callback"
    return client.get(f"{back.path}?{back.query}")
