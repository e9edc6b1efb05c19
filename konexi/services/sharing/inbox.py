"""A findable person's "Shared with me" list: vouchers friends sent to their email or phone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from konexi.extensions import db, rows_changed
from konexi.models import Share, Voucher
from konexi.models.base import utcnow
from konexi.services.sharing.sharing import Availability, voucher_state

INBOX_SIZE = 50


@dataclass(frozen=True)
class SharedWithMe:
    share_id: int
    sender_name: str | None  # None once the sender's account is closed or deleted
    voucher: Voucher
    state: Availability
    shared_at: datetime


def shared_with_me(user_id: int, limit: int = INBOX_SIZE) -> list[SharedWithMe]:
    """The shares sent to this account, not dismissed and not withdrawn, newest first."""
    # A share its sender withdrew (sent to the wrong person, say) leaves the list with its link.
    rows = db.session.scalars(
        select(Share)
        .where(
            Share.recipient_user_id == user_id,
            Share.recipient_dismissed_at.is_(None),
            Share.withdrawn_at.is_(None),
        )
        .options(
            joinedload(Share.sender),
            joinedload(Share.voucher).joinedload(Voucher.company),
        )
        .order_by(Share.created_at.desc(), Share.id.desc())
        .limit(limit)
    )
    return [
        SharedWithMe(
            share_id=share.id,
            sender_name=(share.sender.public_name or None)
            if share.sender is not None and share.sender.is_active
            else None,
            voucher=share.voucher,
            state=voucher_state(share.voucher),
            shared_at=share.created_at,
        )
        for share in rows
    ]


def dismiss_shared(user_id: int, share_id: int) -> bool:
    """Take a share off the recipient's list; False when it is not theirs (or already gone)."""
    result = db.session.execute(
        update(Share)
        .where(
            Share.id == share_id,
            Share.recipient_user_id == user_id,
            Share.recipient_dismissed_at.is_(None),
        )
        .values(recipient_dismissed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return rows_changed(result) == 1
