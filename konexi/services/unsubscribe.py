"""Marketing-email unsubscribes: signed per-user links, RFC 8058 headers and suppressions."""

from __future__ import annotations

import hashlib
import hmac
from email.utils import parseaddr

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import delete, select

from konexi.extensions import db
from konexi.models import EmailSuppression, User

TOKEN_SALT = "konexi.unsubscribe.v1"  # noqa: S105 (a salt, not a secret)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def address_hash(email: str) -> str:
    """HMAC-SHA256 of the lower-cased address under SECRET_KEY (what suppressions store)."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()


def make_token(user: User) -> str:
    """A signed, non-expiring token naming this user and the address the email went to."""
    return str(_serializer().dumps([user.id, address_hash(user.email)[:16]]))


def read_token(token: str) -> tuple[int, str] | None:
    """The (user id, address hash prefix) a token names, or None when it is forged or garbled."""
    try:
        data = _serializer().loads(token)
    except BadData:
        return None
    if (
        not isinstance(data, list)
        or len(data) != 2
        or not isinstance(data[0], int)
        or not isinstance(data[1], str)
    ):
        return None
    return data[0], data[1]


def unsubscribe_url(user: User) -> str:
    """The absolute one-click unsubscribe URL for this user."""
    return f"{current_app.config['BASE_URL'].rstrip('/')}/unsubscribe/{make_token(user)}"


def list_unsubscribe_headers(user: User) -> dict[str, str]:
    """The RFC 2369 and RFC 8058 headers every marketing email to this user carries."""
    token = make_token(user)
    domain = parseaddr(current_app.config["MAIL_FROM"])[1].rpartition("@")[2] or "konexi.invalid"
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(user)}>, <mailto:unsubscribe+{token}@{domain}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def is_suppressed(email: str) -> bool:
    """True when this address asked for no marketing email and has not opted in since."""
    found = db.session.scalar(
        select(EmailSuppression.id).where(EmailSuppression.address_hash == address_hash(email))
    )
    return found is not None


def process_unsubscribe(user_id: int) -> bool:
    """Turn the user's marketing email off and suppress their address; safe to run twice."""
    user = db.session.get(User, user_id)
    if user is None:
        return False
    user.marketing_email = False
    digest = address_hash(user.email)
    if not is_suppressed(user.email):
        db.session.add(EmailSuppression(address_hash=digest, reason="unsubscribe"))
    db.session.commit()
    return True


def token_user_id(data: tuple[int, str]) -> int | None:
    """The id of the user a valid token names, if that user still has the address it was for."""
    user_id, prefix = data
    user = db.session.get(User, user_id)
    if user is None or not hmac.compare_digest(address_hash(user.email)[:16], prefix):
        return None
    return user_id


def lift_suppression(user: User) -> None:
    """Remove the suppression of the user's address when they opt in again (the caller commits)."""
    db.session.execute(
        delete(EmailSuppression).where(EmailSuppression.address_hash == address_hash(user.email))
    )
