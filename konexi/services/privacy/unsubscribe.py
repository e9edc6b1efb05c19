"""Marketing-email unsubscribes: signed per-user links, RFC 8058 headers and suppressions."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from email import policy as email_policy
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

from flask import current_app
from itsdangerous import BadData
from sqlalchemy import delete, select

from konexi.extensions import db
from konexi.models import EmailSuppression, User
from konexi.services.signing import Digest, TokenSalt, digests_equal, keyed_digest, serializer
from konexi.urls import external_url

log = logging.getLogger(__name__)


def address_hash(email: str) -> str:
    """HMAC-SHA256 of the lower-cased address under SECRET_KEY (what suppressions store)."""
    return keyed_digest(Digest.SUPPRESSED_ADDRESS, email.strip().lower())


def make_token(user: User) -> str:
    """A signed, non-expiring token naming this user and the address the email went to."""
    assert user.email is not None  # made for an email on its way to it
    return serializer(TokenSalt.UNSUBSCRIBE, timed=False).dumps(
        [user.id, address_hash(user.email)[:16]]
    )


def read_token(token: str) -> tuple[int, str] | None:
    """The (user id, address hash prefix) a token names, or None when it is forged or garbled."""
    try:
        data = serializer(TokenSalt.UNSUBSCRIBE, timed=False).loads(token)
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
    return external_url("unsubscribe.unsubscribe", token=make_token(user))


def unsubscribe_mailbox() -> tuple[str, str]:
    """The (local part, domain) of the address that receives unsubscribe emails.

    ``UNSUBSCRIBE_MAILBOX`` when set, else ``unsubscribe@`` the domain of ``MAIL_FROM``; the mail
    provider's inbound route for it posts each message to ``/webhooks/inbound-email``.
    """
    address = parseaddr(current_app.config.get("UNSUBSCRIBE_MAILBOX") or "")[1]
    if "@" not in address:
        domain = parseaddr(current_app.config["MAIL_FROM"])[1].rpartition("@")[2]
        address = f"unsubscribe@{domain or 'konexi.invalid'}"
    local, _at, domain = address.rpartition("@")
    return local, domain


def unsubscribe_mailto(user: User) -> str:
    """The mailto URI of the List-Unsubscribe header: the plain mailbox, the token in the subject.

    The token does not go into the address: it is longer than the 64 characters RFC 5321 allows
    before the ``@``, and some servers change the case of that part. Plus-addressed tokens are
    still read (see ``user_from_unsubscribe_email``).
    """
    local, domain = unsubscribe_mailbox()
    return f"mailto:{local}@{domain}?subject=unsubscribe%20{make_token(user)}"


def list_unsubscribe_headers(user: User) -> dict[str, str]:
    """The RFC 2369 and RFC 8058 headers every marketing email to this user carries."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(user)}>, <{unsubscribe_mailto(user)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


# Headers naming where a received message was addressed (providers add the last three).
_RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
_MAX_CANDIDATES = 20
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+")


def _plus_tags(addresses: Iterable[str]) -> list[str]:
    local, domain = unsubscribe_mailbox()
    prefix = f"{local}+".lower()
    tags = []
    for _name, address in getaddresses(list(addresses)):
        address_local, _at, address_domain = address.rpartition("@")
        if address_domain.lower() == domain.lower() and address_local.lower().startswith(prefix):
            tags.append(address_local[len(prefix) :])
    return tags


def _token_candidates(raw: bytes, recipients: Iterable[str]) -> list[str]:
    message = BytesParser(policy=email_policy.default).parsebytes(raw)
    subject = str(message.get("Subject") or "")
    addresses = [str(value) for name in _RECIPIENT_HEADERS for value in message.get_all(name, [])]
    candidates = _TOKEN_CHARS.findall(subject) + _plus_tags([*addresses, *recipients])
    return list(dict.fromkeys(candidates))[:_MAX_CANDIDATES]


def user_id_from_unsubscribe_email(raw: bytes, recipients: Iterable[str] = ()) -> int | None:
    """The user an emailed unsubscribe (the List-Unsubscribe mailto) names, or None.

    The signed token is read from the Subject or from the plus-address the message was sent to
    (the headers, or ``recipients`` as the mail provider reports them); the token must name a
    user who still has the address it was made for. Garbled messages name nobody.
    """
    try:
        candidates = _token_candidates(raw, recipients)
    except Exception:  # a hostile or broken message must not fail the provider's delivery
        log.warning("unsubscribe email could not be parsed", exc_info=True)
        return None
    for candidate in candidates:
        data = read_token(candidate)
        if data is not None and (user_id := token_user_id(data)) is not None:
            return user_id
    return None


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
    if user.email is None:  # detached meanwhile: nothing to suppress
        db.session.commit()
        return True
    digest = address_hash(user.email)
    if not is_suppressed(user.email):
        db.session.add(EmailSuppression(address_hash=digest, reason="unsubscribe"))
    db.session.commit()
    return True


def token_user_id(data: tuple[int, str]) -> int | None:
    """The id of the user a valid token names, if that user still has the address it was for."""
    user_id, prefix = data
    user = db.session.get(User, user_id)
    if user is None or user.email is None:  # the address left the account (changed, detached)
        return None
    if not digests_equal(prefix, address_hash(user.email)[:16]):
        return None
    return user_id


def lift_suppression(user: User) -> None:
    """Remove the suppression of the user's address when they opt in again (the caller commits)."""
    if user.email is None:
        return
    db.session.execute(
        delete(EmailSuppression).where(EmailSuppression.address_hash == address_hash(user.email))
    )
