"""Flask-Limiter rules for the account endpoints, where guessing or sending is cheap to abuse.

Limits count per client IP, and also per account identifier or per logged-in user; the keys are
HMACs, so the limiter's storage (Redis) never holds an email or phone number. The storage is
REDIS_URL whenever it is set (always in production), so every gunicorn worker and every web dyno
counts against the same figures.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import Response, request
from flask_login import current_user

from konexi.config import rate_limit
from konexi.extensions import client_ip, limiter
from konexi.services.accounts.contacts import InvalidContact, normalise_identifier
from konexi.services.signing import Digest, keyed_digest

P = ParamSpec("P")
R = TypeVar("R")

configured = rate_limit  # the RATELIMIT_* settings of konexi/config.py, by name
LOGIN_PER_IP = configured("RATELIMIT_LOGIN_PER_IP")
LOGIN_PER_ACCOUNT = configured("RATELIMIT_LOGIN_PER_ACCOUNT")
SIGNUP_PER_IP = configured("RATELIMIT_SIGNUP_PER_IP")
FORGOT_PER_IP = configured("RATELIMIT_FORGOT_PER_IP")
RESET_PER_IP = configured("RATELIMIT_RESET_PER_IP")
RESET_PER_ACCOUNT = configured("RATELIMIT_RESET_PER_ACCOUNT")
VERIFY_PER_USER = configured("RATELIMIT_VERIFY_PER_USER")
RESEND_PER_USER = configured("RATELIMIT_RESEND_PER_USER")
PASSWORD_CHANGE_PER_USER = configured("RATELIMIT_PASSWORD_CHANGE_PER_USER")
EMAIL_LINK_PER_IP = configured("RATELIMIT_EMAIL_LINK_PER_IP")
UPLOADS_PER_USER = configured("RATELIMIT_UPLOADS_PER_USER")


def identifier_key() -> str:
    """The email or phone a form names (normalised when it can be), hashed."""
    raw = (request.form.get("identifier") or "").strip()
    try:
        _kind, value = normalise_identifier(raw)
    except InvalidContact:
        value = raw[:254]
    return "account:" + keyed_digest(Digest.RATE_LIMIT, value.lower())


def identifier_and_ip_key() -> str:
    """The account a form names, from this client: strangers typing wrong codes for someone's
    phone cannot use up its owner's tries (each code still dies after 5 wrong ones)."""
    return identifier_key() + ":" + keyed_digest(Digest.RATE_LIMIT_IP, client_ip())


def user_key() -> str:
    """The logged-in user, or the client IP for anonymous requests."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return "ip:" + client_ip()


def failed(response: Response) -> bool:
    """Only failed attempts count: a successful form answers with a redirect."""
    return response.status_code not in (302, 303) and "HX-Redirect" not in response.headers


def login_attempt_limits(view: Callable[P, R]) -> Callable[P, R]:
    """The login limits (per IP and per account named), counting only failed POSTs; used by
    every form that checks a password against an identifier (login, reopen an account)."""
    view = limiter.limit(
        LOGIN_PER_ACCOUNT, key_func=identifier_key, methods=["POST"], deduct_when=failed
    )(view)
    return limiter.limit(LOGIN_PER_IP, methods=["POST"], deduct_when=failed)(view)


def _no_picture_sent() -> bool:
    return not any(upload.filename for upload in request.files.values())


# Decoding a picture costs CPU and memory: the profile picture and voucher pictures share one
# per-user budget; a form sent without a file (a voucher's text edited) does not count.
picture_upload_limit = limiter.shared_limit(
    UPLOADS_PER_USER,
    scope="picture-uploads",
    key_func=user_key,
    methods=["POST"],
    exempt_when=_no_picture_sent,
)
