"""Keyed digests and signed tokens under SECRET_KEY: the one place Konexi derives them.

Every use names its purpose, so a digest or a token made for one use never passes for another:

- ``keyed_digest(Digest.X, *parts)``: HMAC-SHA256 (hex) of the purpose's label and the parts,
  joined by the unit separator, under SECRET_KEY. What Konexi keeps of a phone number, an email
  address or a client address when it only needs to recognise it again (throttles, shares,
  suppressions, view counts).
- ``serializer(TokenSalt.X)``: an itsdangerous URL-safe serializer (timed unless asked not to)
  under SECRET_KEY with the purpose's salt, for the tokens in links.

Digests are stored (codes, shares, suppressions) and tokens are in emails already sent, so each
derivation must stay byte-for-byte what it was when those were made; tests/privacy/test_signing.py
holds a value made the old way for each use.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from typing import Literal, overload

from flask import current_app
from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer

SEPARATOR = "\x1f"


@enum.unique
class Digest(enum.StrEnum):
    """Each use of ``keyed_digest``; the value is the label hashed before the parts."""

    DESTINATION = "destination"  # a verification code's phone or email (throttles, lookups)
    IP = "ip"  # the address that asked for a verification code
    CODE = "code"  # a verification code, with its purpose and destination
    SMS_NUMBER = "sms-number"  # the SMS pumping counters, per number
    SMS_IP = "sms-ip"  # … and per client address
    RATE_LIMIT = "limit"  # rate-limit keys naming an account identifier or an SMS sender
    RATE_LIMIT_IP = "limit-ip"  # … together with the client address
    REPORT_NETWORK = "report-network"  # the network a review report came from
    SHARE_RECIPIENT = "share-recipient"  # all Konexi keeps of a friend's phone or email
    SHARE_IP = "share-ip"  # the address a share came from
    VIEW_SALT = "view-salt"  # the daily key of the view marks
    VIEW_MARK = "view-mark"  # (voucher, visitor) under that day's key: see _UNLABELLED
    SUPPRESSED_ADDRESS = "suppressed-address"  # an unsubscribed email address: see _UNLABELLED
    OFFLINE_CODE = "offline-code"  # the redemption code an offline counter sent with a nonce


# These two were made without a label before there was this module, and the values they made are
# still in use (suppressions in the database, today's view marks in Redis), so their message is
# the parts alone. They stay apart from the labelled uses all the same: a view mark is keyed with
# its day's salt, not SECRET_KEY; a suppressed address is one part without the separator, which
# every labelled message has.
_UNLABELLED = frozenset({Digest.VIEW_MARK, Digest.SUPPRESSED_ADDRESS})


@enum.unique
class TokenSalt(enum.StrEnum):
    """Each kind of signed token in a link; the value is its itsdangerous salt."""

    EMAIL_LINK = "konexi-verify-email-link"  # the link in a verification email (10 minutes)
    TEAM_INVITATION = "konexi.team-invitation"  # joining a company's team (7 days)
    UNSUBSCRIBE = "konexi.unsubscribe.v1"  # one-click unsubscribe (never expires)
    EXPORT_DOWNLOAD = "konexi-data-export"  # downloading a small data export (an hour)
    EXPORT_FILE = "konexi-data-export-file"  # a large export's emailed file link (an hour)


def _secret_key() -> str:
    return str(current_app.config["SECRET_KEY"])


def keyed_digest(purpose: Digest, *parts: str, key: bytes | None = None) -> str:
    """HMAC-SHA256, hex-encoded, of the purpose's label and ``parts`` under SECRET_KEY.

    ``key`` replaces SECRET_KEY for a digest under a derived key; the view marks need one (their
    day's salt), every other use refuses it.
    """
    derived = purpose is Digest.VIEW_MARK
    if (derived and key is None) or (not derived and key is not None):
        raise ValueError(f"{purpose.name}: a derived key is for view marks only, and they need one")
    if purpose is Digest.SUPPRESSED_ADDRESS and (len(parts) != 1 or SEPARATOR in parts[0]):
        raise ValueError("a suppressed address is one part without the separator")
    labelled = parts if purpose in _UNLABELLED else (str(purpose), *parts)
    message = SEPARATOR.join(labelled).encode()
    return hmac.new(key or _secret_key().encode(), message, hashlib.sha256).hexdigest()


def digests_equal(given: str, expected: str) -> bool:
    """Compare a presented digest or code with the expected one in constant time."""
    return hmac.compare_digest(given.encode(), expected.encode())


@overload
def serializer(salt: TokenSalt, *, timed: Literal[True] = ...) -> URLSafeTimedSerializer: ...


@overload
def serializer(salt: TokenSalt, *, timed: Literal[False]) -> URLSafeSerializer: ...


def serializer(
    salt: TokenSalt, *, timed: bool = True
) -> URLSafeTimedSerializer | URLSafeSerializer:
    """The URL-safe serializer for ``salt`` under SECRET_KEY; timed (its tokens carry when they
    were made, for ``loads(max_age=…)``) unless ``timed`` is False."""
    if timed:
        return URLSafeTimedSerializer(_secret_key(), salt=str(salt))
    return URLSafeSerializer(_secret_key(), salt=str(salt))
