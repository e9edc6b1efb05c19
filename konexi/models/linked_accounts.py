"""Social identities (Google, Facebook) linked to a user. Only who they are: no tokens kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from konexi.extensions import Model
from konexi.models.base import UTCDateTime, utcnow


class LinkedAccount(Model):
    __tablename__ = "linked_accounts"
    __table_args__ = (
        UniqueConstraint("provider", "subject", name="uq_linked_accounts_provider_subject"),
        UniqueConstraint("user_id", "provider", name="uq_linked_accounts_user_id_provider"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(20))  # google, facebook
    subject: Mapped[str] = mapped_column(String(255))  # the provider's stable user id
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
