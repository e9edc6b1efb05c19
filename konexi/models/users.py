"""People who use Konexi, and the one-time codes that prove they own a phone or an email."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import Computed, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from konexi.extensions import Model
from konexi.models.base import UTCDateTime, stored_as_string, utcnow


class UserStatus(StrEnum):
    """An account's lifecycle: closed can be reopened within the grace period; deleting is
    purged at ``purge_after``."""

    ACTIVE = "active"
    CLOSED = "closed"
    DELETING = "deleting"


def new_public_id() -> str:
    """A random, stable handle for the public profile URL (the numeric id would leak counts)."""
    return secrets.token_urlsafe(9)


class User(UserMixin, Model):
    __tablename__ = "users"
    # Never reuse a purged account's id on SQLite (PostgreSQL sequences never do), so a stale
    # session of a deleted account can never match a new person.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    # Either contact may be missing: an unproven one is detached when its owner proves it
    # elsewhere or after a password reset through the other channel (services/contact_changes).
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    # The email lower-cased by the database: unique whatever the letter case (the local part is
    # kept as typed), and what log-in looks up.
    email_key: Mapped[str | None] = mapped_column(
        String(254), Computed("lower(email)", persisted=True), unique=True
    )
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    phone_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A new email or phone the person asked for: it replaces the current one only once the code
    # sent to it is typed back (until then the old contact stays and keeps working).
    pending_email: Mapped[str | None] = mapped_column(String(254))
    pending_phone: Mapped[str | None] = mapped_column(String(20))
    locale: Mapped[str] = mapped_column(String(8), default="en")
    # Bumped when the password changes so that "remember me" cookies and sessions elsewhere end.
    session_version: Mapped[int] = mapped_column(default=1)
    status: Mapped[UserStatus] = mapped_column(
        stored_as_string(UserStatus, 16), default=UserStatus.ACTIVE
    )
    is_platform_admin: Mapped[bool] = mapped_column(default=False)
    personalisation_enabled: Mapped[bool] = mapped_column(default=True)
    # Privacy setting: keep the last location between visits (otherwise only for the session).
    store_location: Mapped[bool] = mapped_column(default=False)
    # Profile and privacy choices (the privacy center); private by default, marketing opt-in.
    display_name: Mapped[str | None] = mapped_column(String(60))
    # /people/<public_id>; NULL only between a migration and its backfill.
    public_id: Mapped[str | None] = mapped_column(
        String(16), unique=True, index=True, default=new_public_id
    )
    birth_date: Mapped[date | None] = mapped_column(Date)
    show_birth_date: Mapped[bool] = mapped_column(default=False)
    findable_by_email: Mapped[bool] = mapped_column(default=False)
    marketing_email: Mapped[bool] = mapped_column(default=False)
    sms_notifications: Mapped[bool] = mapped_column(default=False)
    # Account lifecycle (see UserStatus); a platform admin's fraud hold keeps the account from
    # the purge.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    purge_after: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    fraud_hold_reason: Mapped[str | None] = mapped_column(String(500))
    fraud_hold_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.status == UserStatus.ACTIVE

    @property
    def public_name(self) -> str:
        """The name other people see: the display name the user chose, or else the first name."""
        if self.display_name:
            return self.display_name
        return ((self.name or "").split() or [""])[0]

    @property
    def is_verified(self) -> bool:
        """Both the phone and the email are proven; only verified users may claim."""
        return self.phone_verified_at is not None and self.email_verified_at is not None

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


class VerificationCode(Model):
    """A hashed one-time code sent to a phone or an email (verify, or reset a password)."""

    __tablename__ = "verification_codes"
    __table_args__ = (
        Index("ix_verification_codes_destination_created", "destination_hash", "created_at"),
        Index("ix_verification_codes_ip_created", "ip_hash", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(20))  # verify_phone, verify_email, reset_password
    channel: Mapped[str] = mapped_column(String(8))  # sms, email
    destination_hash: Mapped[str] = mapped_column(String(64))
    ip_hash: Mapped[str | None] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
