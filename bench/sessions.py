"""Signed-in visitors for load: the app's own session cookie and CSRF token, for many users.

A login through the form costs an argon2 check with production parameters (a fraction of a
second of both cores), so thousands of logins would be most of a run and are not what the
signed-in rows measure. Instead Flask-Login's ``login_user`` and Flask-WTF's ``generate_csrf``
run in a request context of the same app (same secret key) and the session interface signs the
cookie, exactly as the login view's response would. The request context is built with the
User-Agent the load will send (none for wrk and ``http.client``), so Flask-Login's session
identifier matches and the server has no reason to rewrite the cookie on every request.
"""

from __future__ import annotations

import http.client
from collections.abc import Sequence
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import select

from bench.feed_signed_in import Profile, give_signals

# The signals of the signed-in feed's users: two favourite categories and a few claims each, so
# the page has its "for you" row and the personal queries run.
FAVOURITES = (("food-drink", "beauty"), ("fun", "travel"), ("education", "food-drink"))
CLAIMS_EACH = 5


@dataclass(frozen=True)
class SignedIn:
    """One user's signed session: the cookies (name -> value) and the form's CSRF token."""

    user_id: int
    cookies: dict[str, str]
    csrf_token: str

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())


def sign_in(app: Flask, user_ids: Sequence[int], user_agent: str | None = None) -> list[SignedIn]:
    """A signed session (and CSRF token) for each user, made by the app's own login code."""
    from flask import session as flask_session
    from flask_login import login_user
    from flask_wtf.csrf import generate_csrf

    from konexi.extensions import db
    from konexi.models import User

    headers = {"User-Agent": user_agent} if user_agent else {}
    signed: list[SignedIn] = []
    with app.app_context():
        users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
        for user_id in user_ids:
            # A fresh app context each: Flask-WTF and Flask-Login keep their token and user in
            # ``g``, which lives as long as the app context.
            with (
                app.app_context(),
                app.test_request_context("/login", method="POST", headers=headers),
            ):
                login_user(users[user_id])
                token = generate_csrf()
                response = app.response_class()
                app.session_interface.save_session(app, flask_session, response)
            cookies = SimpleCookie()
            for header in response.headers.getlist("Set-Cookie"):
                cookies.load(header)
            signed.append(SignedIn(user_id, {n: m.value for n, m in cookies.items()}, token))
        db.session.remove()
    return signed


def feed_users(app: Flask, count: int) -> list[int]:
    """Give the first ``count`` users of the data set favourite categories and a few claims."""
    profiles = [
        Profile(
            f"signed-in feed {n}", favourites=FAVOURITES[n % len(FAVOURITES)], claims=CLAIMS_EACH
        )
        for n in range(count)
    ]
    return list(give_signals(app, profiles).values())


def settle(base_url: str, person: SignedIn, headers: dict[str, str], tries: int = 3) -> SignedIn:
    """The cookie the server keeps answering without a ``Set-Cookie`` (so a load that sends the
    same cookie again and again measures the steady state), checked to be signed in."""
    parts = urlsplit(base_url)
    for _ in range(tries):
        connection = http.client.HTTPConnection(parts.netloc, timeout=60)
        try:
            connection.request("GET", "/", headers={**headers, "Cookie": person.cookie_header})
            response = connection.getresponse()
            body = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        if response.status != 200 or 'action="/logout"' not in body:
            raise RuntimeError(f"user {person.user_id} is not signed in (HTTP {response.status})")
        replaced = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            replaced.load(header)
        if not replaced:
            return person
        person = SignedIn(
            person.user_id,
            {**person.cookies, **{n: m.value for n, m in replaced.items()}},
            person.csrf_token,
        )
    raise RuntimeError(f"the server sets a new cookie on every page for user {person.user_id}")
