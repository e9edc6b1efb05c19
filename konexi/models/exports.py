"""Data exports too large to build in a request: built by a job, downloadable for an hour."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from konexi.extensions import Model
from konexi.models.base import UTCDateTime, stored_as_string, utcnow


class ExportStatus(StrEnum):
    """pending: waiting for the job; ready: the file can be downloaded until expires_at;
    failed: the job could not build it (the user may ask again)."""

    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"


class DataExport(Model):
    """One "download my data" file; the row (and the payload) goes with the account."""

    __tablename__ = "data_exports"
    __table_args__ = (
        # At most one export being prepared per user, even when two requests race.
        Index(
            "uq_data_exports_one_pending",
            "user_id",
            unique=True,
            sqlite_where=text(f"status = '{ExportStatus.PENDING}'"),
            postgresql_where=text(f"status = '{ExportStatus.PENDING}'"),
        ),
        Index("ix_data_exports_expires_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[ExportStatus] = mapped_column(
        stored_as_string(ExportStatus, 12), default=ExportStatus.PENDING
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The JSON document, exactly as the in-request download produces it.
    payload: Mapped[str | None] = mapped_column(Text)
    size: Mapped[int | None] = mapped_column()  # bytes of the UTF-8 payload
    # A job building a pending export holds it until lease_expires_at; a job killed mid-build
    # (a deploy's SIGTERM) lets the lease run out and the sweeper queues the export again.
    build_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
