"""Sessions and tokens: a new session at login, every session ended by a password change, a
close or a deletion, __Host- cookies in production, and signed tokens that each work for
their own purpose only and expire."""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner

from konexi.extensions import db
from konexi.models import Company, User
from konexi.services.accounts import account_lifecycle, verification
from konexi.services.privacy import unsubscribe
from konexi.services.providers import invitations
from konexi.services.sharing import sharing
from konexi.services.signing import TokenSalt, serializer
from tests.support.accounts import email_code_for, submit_login
from tests.support.app import TEST_PASSWORD, csrf_token_from
from tests.support.factories import make_voucher
from tests.support.team import make_invitation

ROOT = Path(__file__).resolve().parents[2]


def _who(client: FlaskClient) -> str | None:
    html = client.get("/").get_data(as_text=True)
    if '<span class="who">' not in html:
        return None
    return html.split('<span class="who">', 1)[1].split("</span>", 1)[0]


def _session(client: FlaskClient) -> dict:
    with client.session_transaction() as session:
        return dict(session)


def _cookie(client: FlaskClient, name: str = "session") -> str | None:
    cookie = client.get_cookie(name)
    return cookie.value if cookie else None


# -- a new session at login ------------------------------------------------------------------
def test_a_session_planted_before_login_carries_nothing_into_it(app, create_user):
    create_user(name="Siti", email="siti@example.com")
    victim = app.test_client()
    victim.get("/login")
    with victim.session_transaction() as session:  # what an attacker could have planted
        session["reset_identifier"] = "attacker@example.com"
        session["provider_company_id"] = 999
        session["after_verify"] = "/vouchers/1"
    planted = _session(victim)
    planted_cookie = _cookie(victim)

    assert submit_login(victim, "siti@example.com").status_code == 303

    after = _session(victim)
    assert after["_user_id"] and after["_sid"]
    assert "reset_identifier" not in after and "provider_company_id" not in after
    assert after.get("csrf_token") != planted["csrf_token"]  # a new CSRF secret
    assert after["after_verify"] == "/vouchers/1"  # a local path, kept on purpose
    assert _cookie(victim) != planted_cookie
    # The attacker's copy of the pre-login cookie is still a stranger's session.
    attacker = app.test_client()
    attacker.set_cookie("session", planted_cookie)
    assert _who(attacker) is None and _who(victim) == "Siti"


def test_each_login_gets_a_new_random_session_id(app, create_user):
    create_user(email="siti@example.com")
    client = app.test_client()
    submit_login(client, "siti@example.com")
    first = _session(client)["_sid"]
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/").text)})
    submit_login(client, "siti@example.com")
    assert _session(client)["_sid"] != first and len(first) >= 20


def test_logging_out_empties_the_session(app, create_user):
    create_user(email="siti@example.com")
    client = app.test_client()
    submit_login(client, "siti@example.com")
    with client.session_transaction() as session:
        session["provider_company_id"] = 1
    token = csrf_token_from(client.get("/").text)
    client.post("/logout", data={"csrf_token": token})
    left = _session(client)
    assert "_user_id" not in left and "provider_company_id" not in left
    assert "csrf_token" not in left


# -- every session ends ----------------------------------------------------------------------
def _post(client: FlaskClient, url: str, **data: str):
    page = client.get(url)
    return client.post(url, data={"csrf_token": csrf_token_from(page.text), **data})


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/account/password", {"current_password": TEST_PASSWORD, "new_password": "new phrase 12"}),
        ("/account/close", {"password": TEST_PASSWORD}),
        ("/account/delete", {"password": TEST_PASSWORD}),
    ],
    ids=["password change", "close", "delete"],
)
def test_every_other_session_and_remember_cookie_ends(app, create_user, mailbox, url, data):
    create_user(name="Siti", email="siti@example.com")
    here, elsewhere, remembered = app.test_client(), app.test_client(), app.test_client()
    for client in (here, elsewhere):
        submit_login(client, "siti@example.com")
    submit_login(remembered, "siti@example.com", remember=True)
    remembered.delete_cookie("session")
    assert _who(elsewhere) == "Siti" and _who(remembered) == "Siti"

    assert _post(here, url, **data).status_code == 303

    remembered.delete_cookie("session")
    assert _who(elsewhere) is None
    assert _who(remembered) is None


# -- cookies in production -------------------------------------------------------------------
def test_production_cookies_are_host_only_secure_and_http_only(
    app_factory, database_url, redis_url, create_user
):
    if database_url.startswith("sqlite"):
        pytest.skip("production refuses SQLite")
    create_user(email="siti@example.com")
    app = app_factory(KONEXI_ENV="production", REDIS_URL=redis_url, BASE_URL="https://konexi.test")
    client = app.test_client()
    base = "https://konexi.test"
    token = csrf_token_from(client.get("/login", base_url=base).text)
    response = client.post(
        "/login",
        base_url=base,
        headers={"Referer": f"{base}/login"},  # Flask-WTF checks it over HTTPS
        data={
            "identifier": "siti@example.com",
            "password": TEST_PASSWORD,
            "remember": "y",
            "csrf_token": token,
        },
    )
    assert response.status_code == 303
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    assert set(cookies) >= {"__Host-session", "__Host-remember"}
    for name in ("__Host-session", "__Host-remember"):
        parts = [p.strip() for p in cookies[name].split(";")]
        assert {"Secure", "HttpOnly", "Path=/", "SameSite=Lax"} <= set(parts), cookies[name]
        assert not any(p.lower().startswith("domain=") for p in parts)
    expires = re.search(r"Expires=([^;]+)", cookies["__Host-remember"]).group(1)
    lasts = parsedate_to_datetime(expires) - datetime.now(UTC)
    assert timedelta(days=29) < lasts <= timedelta(days=30)  # not Flask-Login's default year


def test_development_keeps_plain_cookie_names(app):
    assert app.config["SESSION_COOKIE_NAME"] == "session"
    assert app.config.get("REMEMBER_COOKIE_NAME", "remember_token") == "remember_token"


# -- tokens: signed, scoped to one purpose, expiring ----------------------------------------
def _tokens(app: Flask, create_user) -> tuple[dict[str, str], dict[str, Callable[[str], bool]]]:
    """One genuine token of each purpose, and for each purpose a check that accepts a token."""
    user = create_user(email="siti@example.com")
    company = Company(name="Kopi", slug="kopi-tokens")
    db.session.add(company)
    db.session.commit()
    invitation = make_invitation(company, "siti@example.com")
    row = email_code_for(user)
    share = sharing.share_voucher(
        create_user().id, make_voucher().id, "friend@example.com", "", "10.9.0.1"
    )
    session_serializer = app.session_interface.get_signing_serializer(app)
    tokens = {
        "unsubscribe": unsubscribe.make_token(user),
        "invitation": invitations.invitation_token(invitation),
        "export": account_lifecycle.make_export_token(user),
        "email_link": verification.link_token(row),
        "share": share.token,
        "session": session_serializer.dumps({"_user_id": user.get_id(), "_fresh": True}),
    }

    def accepts_invitation(token: str) -> bool:
        try:
            invitations.invitation_from_token(token)
        except invitations.InvitationError:
            return False
        return True

    def accepts_export(token: str) -> bool:
        try:
            account_lifecycle.check_export_token(token, user)
        except account_lifecycle.ExportLinkError:
            return False
        return True

    def accepts_session(token: str) -> bool:
        try:
            return "_user_id" in session_serializer.loads(token)
        except Exception:
            return False

    def accepts_email_link(token: str) -> bool:
        # Checked without consuming: the same rules as check_link_token.
        try:
            payload = serializer(TokenSalt.EMAIL_LINK).loads(token, max_age=600)
            return payload.get("code") == row.id
        except Exception:
            return False

    readers = {
        "unsubscribe": lambda t: unsubscribe.read_token(t) is not None,
        "invitation": accepts_invitation,
        "export": accepts_export,
        "email_link": accepts_email_link,
        "share": lambda t: len(t) <= 64 and sharing.open_shared_voucher(t) is not None,
        "session": accepts_session,
    }
    return tokens, readers


def test_a_token_works_for_its_own_purpose_only(app, create_user, mailbox):
    tokens, readers = _tokens(app, create_user)
    for purpose, token in tokens.items():
        assert readers[purpose](token), f"a genuine {purpose} token is refused"
    refused = []
    for made, read in itertools.permutations(tokens, 2):
        if readers[read](tokens[made]):
            refused.append(f"a {made} token is accepted as {read}")
    assert refused == []
    assert len(list(itertools.permutations(tokens, 2))) == 30


@pytest.mark.parametrize(
    ("purpose", "lifetime"),
    [("invitation", 7 * 24 * 3600), ("export", 3600), ("email_link", 600)],
)
def test_signed_tokens_expire(app, create_user, mailbox, monkeypatch, purpose, lifetime):
    tokens, readers = _tokens(app, create_user)
    real = TimestampSigner.get_timestamp
    assert readers[purpose](tokens[purpose])
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) + lifetime + 1)
    assert not readers[purpose](tokens[purpose])


def test_the_email_link_token_is_checked_by_the_real_path_too(app, create_user, mailbox):
    tokens, _readers = _tokens(app, create_user)
    assert verification.check_link_token(tokens["export"]).status.name == "EXPIRED"
    assert verification.check_link_token(tokens["email_link"]).ok


# -- constant-time comparisons ---------------------------------------------------------------
_SECRET = re.compile(r"token|secret|signature|digest|code_hash|password|otp", re.I)


def _names(node: ast.AST) -> set[str]:
    found = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            found.add(child.id)
        elif isinstance(child, ast.Attribute):
            found.add(child.attr)
    return found


def _is_sql_column(node: ast.AST) -> bool:
    """``Model.column == value`` builds SQL (an indexed lookup), not a Python comparison."""
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id[:1].isupper()
    )


def test_secrets_are_never_compared_with_equals():
    offenders = []
    for path in sorted((ROOT / "konexi").rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Compare):
                continue
            if not any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
                continue
            if _is_sql_column(node.left):
                continue
            sides = [node.left, *node.comparators]
            if any(isinstance(side, ast.Constant) and side.value is None for side in sides):
                continue
            if any(_SECRET.search(name) for side in sides for name in _names(side)):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == [], "use hmac.compare_digest for secrets: " + ", ".join(offenders)


def test_user_is_reloaded_fresh(app, create_user):
    # The user loader refuses an id without its session version (an old cookie format).
    from konexi.web.auth_session import load_user

    user = create_user()
    assert load_user(str(user.id)) is None
    assert load_user(user.get_id()) is not None
    assert load_user(f"{user.id}:{user.session_version + 1}") is None
    assert db.session.get(User, user.id) is not None
