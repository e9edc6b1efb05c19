"""Email suppressions (one-click unsubscribes) and the weekly digest's per-week send log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from konexi.extensions import Model
from konexi.models.base import UTCDateTime, utcnow


class EmailSuppression(Model):
    """An address that asked for no marketing email; keyed by a hash, it outlives the account."""

    __tablename__ = "email_suppressions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # HMAC-SHA256(SECRET_KEY, lower-cased address): no foreign key, so it survives deletion.
    address_hash: Mapped[str] = mapped_column(String(64), unique=True)
    reason: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DigestLog(Model):
    """One weekly digest sent to one user in one ISO week (e.g. ``2026-W48``)."""

    __tablename__ = "digest_logs"
    __table_args__ = (UniqueConstraint("user_id", "iso_week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    iso_week: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
