"""One-time codes sent by SMS or email: hashed, short-lived, counted, and throttled.

A code is 6 random digits. Only an HMAC of (purpose, destination, code) is stored; the destination
and the sender's IP are stored as HMACs too, only to throttle sending.

SMS pumping defence (``check_sms_allowed``): every SMS that an anonymous or new user can make
Konexi send (verification and reset codes, shares) goes only to an allowed country
(OTP_ALLOWED_COUNTRY_CODES) and counts, in the rate-limit storage (Redis), against the number
(5 per 10 minutes), the client IP and a global hourly cap.

Carrier-grade NAT: thousands of Indonesian phones share one public address, so the per-IP
figures are settings sized for that (CODES_PER_IP_PER_HOUR, SMS_PER_IP_LIMIT); the tight limits
are per destination. Those count per purpose, so codes someone else asked for to verify a
number never use up its owner's reset codes, and per requesting IP too, so a stranger's requests
alone cannot use up what the owner may ask for.
"""

from __future__ import annotations

import enum
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import phonenumbers
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature
from limits import RateLimitItem, RateLimitItemPerHour, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import ColumnElement, delete, func, select, update

from konexi.extensions import db, rows_changed
from konexi.models import User, VerificationCode
from konexi.models.base import utcnow
from konexi.redis_client import shared_pool
from konexi.services.accounts.contacts import canonical_destination
from konexi.services.errors import AccountError
from konexi.services.signing import Digest, TokenSalt, digests_equal, keyed_digest, serializer

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
# Codes for one purpose to one phone or email in an hour: from one requesting IP, and from
# everyone together (two strangers' IPs' worth, so they cannot lock the owner out alone; the
# SMS_PER_NUMBER_LIMIT bounds the texts as well).
SENDS_PER_REQUESTER_PER_HOUR = 3
SENDS_PER_DESTINATION_PER_HOUR = 6
THROTTLE_WINDOW = timedelta(hours=1)


class Purpose(enum.StrEnum):
    VERIFY_PHONE = "verify_phone"
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"  # noqa: S105 - a purpose name, not a secret
    # A new email or phone for an existing account (konexi/services/accounts/contact_changes.py).
    CHANGE_EMAIL = "change_email"
    CHANGE_PHONE = "change_phone"


class Channel(enum.StrEnum):
    SMS = "sms"
    EMAIL = "email"


class CodeStatus(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    EXHAUSTED = "exhausted"  # too many attempts: a new code is needed
    MISSING = "missing"  # nothing was sent, or it was used already


class TooManyCodes(Exception):
    """Sending another code now would exceed a limit; nothing was sent. ``retry_at`` (UTC) is
    when asking again will work, so people are told the truth rather than "we sent"."""

    def __init__(self, retry_at: datetime | None = None) -> None:
        super().__init__(retry_at)
        self.retry_at = retry_at

    def minutes_to_wait(self, now: datetime | None = None) -> int:
        """Whole minutes until ``retry_at`` (at least 1; 60 when unknown)."""
        if self.retry_at is None:
            return int(THROTTLE_WINDOW.total_seconds() // 60)
        seconds = (self.retry_at - (now or utcnow())).total_seconds()
        return max(1, -(-int(seconds) // 60))


class SmsRefused(TooManyCodes):
    """The SMS pumping defence refuses this SMS; ``reason`` is number, ip or global."""

    def __init__(self, reason: str, retry_at: datetime | None = None) -> None:
        super().__init__(retry_at)
        self.reason = reason


@dataclass(frozen=True)
class CodeCheck:
    status: CodeStatus
    attempts_left: int = 0
    code: VerificationCode | None = None

    @property
    def ok(self) -> bool:
        return self.status is CodeStatus.OK


def destination_hash(destination: str) -> str:
    return keyed_digest(Digest.DESTINATION, canonical_destination(destination))


def ip_hash(ip: str | None) -> str | None:
    return keyed_digest(Digest.IP, ip) if ip else None


def _code_hash(purpose: str, destination: str, code: str) -> str:
    return keyed_digest(Digest.CODE, purpose, canonical_destination(destination), code)


def _refuse_when_full(limit: int, *conditions: ColumnElement[bool]) -> None:
    """Raise TooManyCodes when ``limit`` codes matching ``conditions`` were sent this hour; the
    retry time is when the oldest of them leaves the window."""
    since = utcnow() - THROTTLE_WINDOW
    count, oldest = db.session.execute(
        select(func.count(VerificationCode.id), func.min(VerificationCode.created_at)).where(
            VerificationCode.created_at >= since, *conditions
        )
    ).one()
    if count >= limit:
        raise TooManyCodes(oldest + THROTTLE_WINDOW if oldest else None)


def codes_per_ip_per_hour() -> int:
    """Codes one IP may have sent per channel in an hour (CODES_PER_IP_PER_HOUR)."""
    return int(current_app.config["CODES_PER_IP_PER_HOUR"])


def check_send_allowed(
    *, channel: str, destination: str, ip: str | None, purpose: str | None = None
) -> None:
    """Refuse a code past the hourly limits: per destination and purpose (from this IP, and
    from everyone), and per channel from this IP (a figure that fits carrier-grade NAT)."""
    same_destination = [VerificationCode.destination_hash == destination_hash(destination)]
    if purpose is not None:
        same_destination.append(VerificationCode.purpose == str(purpose))
    _refuse_when_full(SENDS_PER_DESTINATION_PER_HOUR, *same_destination)
    client = ip_hash(ip)
    if client:
        _refuse_when_full(
            SENDS_PER_REQUESTER_PER_HOUR, VerificationCode.ip_hash == client, *same_destination
        )
        _refuse_when_full(
            codes_per_ip_per_hour(),
            VerificationCode.ip_hash == client,
            VerificationCode.channel == str(channel),
        )


def issue_code(
    *, purpose: str, channel: str, destination: str, user_id: int | None, ip: str | None
) -> tuple[VerificationCode, str]:
    """A new code for ``destination`` (added to the session, not committed) and its digits.

    Raises TooManyCodes when the hourly limits or the SMS caps are reached, and AccountError
    (next to the phone or identifier field) for an SMS to a country outside
    OTP_ALLOWED_COUNTRY_CODES. With ``user_id=None`` the row only counts towards the limits
    (nobody can ever enter it), so unknown destinations are throttled exactly like registered ones.
    """
    if str(channel) == Channel.SMS and not sms_country_allowed(destination):
        field = "phone" if str(purpose) == Purpose.VERIFY_PHONE else "identifier"
        raise AccountError({field: sms_country_message()})
    check_send_allowed(channel=channel, destination=destination, ip=ip, purpose=purpose)
    if str(channel) == Channel.SMS:
        check_sms_allowed(destination, ip)
    code = f"{secrets.randbelow(1_000_000):06d}"
    stored = code if user_id is not None else secrets.token_hex(16)
    row = VerificationCode(
        user_id=user_id,
        purpose=str(purpose),
        channel=str(channel),
        destination_hash=destination_hash(destination),
        ip_hash=ip_hash(ip),
        code_hash=_code_hash(str(purpose), destination, stored),
        attempts=0,
        expires_at=utcnow() + CODE_TTL,
    )
    db.session.add(row)
    db.session.flush()
    return row, code


def _latest(purpose: str, destination: str, user_id: int | None) -> VerificationCode | None:
    query = select(VerificationCode).where(
        VerificationCode.purpose == str(purpose),
        VerificationCode.destination_hash == destination_hash(destination),
    )
    if user_id is not None:
        query = query.where(VerificationCode.user_id == user_id)
    return db.session.scalar(query.order_by(VerificationCode.id.desc()).limit(1))


def has_live_code(purpose: str, destination: str | None, user_id: int) -> bool:
    """True when a code for this purpose was sent to ``destination`` and can still be used, so a
    page says "enter the code we sent" only when one was really sent (never for a contact the
    account no longer has)."""
    if not destination:
        return False
    row = _latest(purpose, destination, user_id)
    return row is not None and _is_live(row, utcnow()) is CodeStatus.OK


def _is_live(row: VerificationCode, now: datetime) -> CodeStatus:
    if row.consumed_at is not None:
        return CodeStatus.MISSING
    if row.attempts >= MAX_ATTEMPTS:
        return CodeStatus.EXHAUSTED
    if row.expires_at <= now:
        return CodeStatus.EXPIRED
    return CodeStatus.OK


def _consume(row: VerificationCode, now: datetime) -> bool:
    """Mark the code used; False if a concurrent request used it first."""
    result = db.session.execute(
        update(VerificationCode)
        .where(VerificationCode.id == row.id, VerificationCode.consumed_at.is_(None))
        .values(consumed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(row)
    return rows_changed(result) == 1


def check_code(
    *, purpose: str, destination: str, code: str, user_id: int | None = None
) -> CodeCheck:
    """Check ``code`` against the latest code sent for this purpose and destination.

    Every try counts, the 5th wrong try kills the code, and a good code is consumed. Changes are
    left in the session: the caller commits, on success and on failure alike.
    """
    now = utcnow()
    row = _latest(purpose, destination, user_id)
    if row is None:
        return CodeCheck(CodeStatus.MISSING)
    status = _is_live(row, now)
    if status is not CodeStatus.OK:
        return CodeCheck(status, code=row)
    # Counted atomically, so parallel guesses cannot get more than MAX_ATTEMPTS tries.
    counted = db.session.execute(
        update(VerificationCode)
        .where(
            VerificationCode.id == row.id,
            VerificationCode.attempts < MAX_ATTEMPTS,
            VerificationCode.consumed_at.is_(None),
        )
        .values(attempts=VerificationCode.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(row)
    if rows_changed(counted) != 1:
        return CodeCheck(_is_live(row, now), code=row)
    expected = _code_hash(str(purpose), destination, (code or "").strip())
    if not digests_equal(expected, row.code_hash):
        left = MAX_ATTEMPTS - row.attempts
        return CodeCheck(CodeStatus.WRONG if left else CodeStatus.EXHAUSTED, left, row)
    if not _consume(row, now):
        return CodeCheck(CodeStatus.MISSING, code=row)
    return CodeCheck(CodeStatus.OK, MAX_ATTEMPTS - row.attempts, row)


def link_token(code: VerificationCode) -> str:
    """A signed token naming ``code``, for the link in the verification email."""
    return serializer(TokenSalt.EMAIL_LINK).dumps({"code": code.id})


def link_token_user_id(token: str) -> int | None:
    """The account a valid, unexpired email link was sent for (None: not a valid link)."""
    try:
        payload = serializer(TokenSalt.EMAIL_LINK).loads(
            token, max_age=int(CODE_TTL.total_seconds())
        )
        row = db.session.get(VerificationCode, int(payload["code"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    return row.user_id if row is not None else None


def check_link_token(token: str) -> CodeCheck:
    """Consume the email code a link names, if it is still the latest live code for its user's
    current email address."""
    try:
        payload = serializer(TokenSalt.EMAIL_LINK).loads(
            token, max_age=int(CODE_TTL.total_seconds())
        )
        code_id = int(payload["code"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return CodeCheck(CodeStatus.EXPIRED)
    row = db.session.get(VerificationCode, code_id)
    user = db.session.get(User, row.user_id) if row and row.user_id else None
    if row is None or user is None or row.purpose != Purpose.VERIFY_EMAIL or user.email is None:
        return CodeCheck(CodeStatus.EXPIRED)
    latest = _latest(Purpose.VERIFY_EMAIL, user.email, user.id)
    if latest is None or latest.id != row.id:
        return CodeCheck(CodeStatus.EXPIRED, code=row)
    now = utcnow()
    status = _is_live(row, now)
    if status is not CodeStatus.OK:
        return CodeCheck(status, code=row)
    if not _consume(row, now):
        return CodeCheck(CodeStatus.MISSING, code=row)
    return CodeCheck(CodeStatus.OK, code=row)


def purge_old_codes(older_than: timedelta = timedelta(days=1)) -> int:
    """Delete codes older than ``older_than`` (they no longer count for anything); returns count."""
    result = db.session.execute(
        delete(VerificationCode).where(VerificationCode.created_at < utcnow() - older_than)
    )
    db.session.commit()
    return rows_changed(result)


# -- SMS pumping defence ---------------------------------------------------------------------
log = logging.getLogger(__name__)
_GUARD = "konexi_sms_guard"


def allowed_country_codes() -> tuple[str, ...]:
    """The country calling codes SMS codes may go to (OTP_ALLOWED_COUNTRY_CODES, default 62)."""
    return tuple(current_app.config["OTP_ALLOWED_COUNTRY_CODES"])


def sms_country_allowed(phone: str) -> bool:
    """True when the E.164 ``phone`` is in one of the allowed countries."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return False
    return str(number.country_code) in allowed_country_codes()


def sms_country_message() -> object:
    """What to tell someone whose number Konexi will not text (translated when shown)."""
    codes = ", ".join(f"+{code}" for code in allowed_country_codes())
    return _l(
        "We can only send text messages to numbers starting with %(codes)s. "
        "Use a mobile number from that country.",
        codes=codes,
    )


def _guard() -> tuple[MovingWindowRateLimiter, MovingWindowRateLimiter]:
    """The app's SMS counters on the rate-limit storage (Redis in production), and an
    in-process stand-in used only while that storage cannot be reached."""
    guard = current_app.extensions.get(_GUARD)
    if guard is None:
        uri = str(current_app.config["RATELIMIT_STORAGE_URI"])
        # The same options as Flask-Limiter's: its short Redis timeouts (a hung Redis must not
        # hold a request) and the rediss:// certificate policy (RATELIMIT_STORAGE_OPTIONS).
        options: dict[str, Any] = (
            {}
            if uri.startswith("memory")
            else {
                **current_app.config["RATELIMIT_STORAGE_OPTIONS"],
                "connection_pool": shared_pool(current_app),  # one pool per process
            }
        )
        guard = (
            MovingWindowRateLimiter(storage_from_string(uri, **options)),
            MovingWindowRateLimiter(storage_from_string("memory://")),
        )
        current_app.extensions[_GUARD] = guard
    return guard


def _sms_rules(phone: str, ip: str | None) -> list[tuple[str, RateLimitItem, str]]:
    config = current_app.config
    scopes = [("number", "SMS_PER_NUMBER_LIMIT", keyed_digest(Digest.SMS_NUMBER, phone))]
    if ip:
        scopes.append(("ip", "SMS_PER_IP_LIMIT", keyed_digest(Digest.SMS_IP, ip)))
    rules = [
        (reason, item, identifier)
        for reason, setting, identifier in scopes
        for item in parse_many(str(config[setting]))
    ]
    cap = config["SMS_GLOBAL_HOURLY_CAP"]
    rules.append(("global", RateLimitItemPerHour(int(cap)), "all"))
    return rules


def _test_and_hit(
    limiter: MovingWindowRateLimiter, rules: list[tuple[str, RateLimitItem, str]]
) -> None:
    for reason, item, identifier in rules:
        if not limiter.test(item, "sms", identifier):
            reset = limiter.get_window_stats(item, "sms", identifier).reset_time
            raise SmsRefused(reason, datetime.fromtimestamp(reset, UTC))
    for _reason, item, identifier in rules:
        limiter.hit(item, "sms", identifier)


def check_sms_allowed(phone: str, ip: str | None) -> None:
    """Count one SMS to ``phone`` asked for from ``ip``, or raise SmsRefused when the number
    (SMS_PER_NUMBER_LIMIT), the IP (SMS_PER_IP_LIMIT) or everyone together this hour
    (SMS_GLOBAL_HOURLY_CAP) has had enough. Counters hold keyed hashes, never the number."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return
    rules = _sms_rules(canonical_destination(phone), ip)
    shared, local = _guard()
    try:
        _test_and_hit(shared, rules)
    except SmsRefused:
        raise
    except shared.storage.base_exceptions as error:
        # Redis is down: keep counting in this process rather than letting every SMS through.
        log.warning("SMS counters unavailable, counting in-process: %s", error)
        _test_and_hit(local, rules)
