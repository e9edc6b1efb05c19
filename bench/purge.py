"""The account purge at scale: accounts due for deletion, purged by the app's purge service.

The accounts are added to the seeded database (so the purge's updates of claims, shares and
reviews run against full-size tables), each with a claim, then ``purge_due_accounts()`` runs as
the daily job runs it. The figure is the wall-clock time of that call.
"""

from __future__ import annotations

import time
from datetime import timedelta

from flask import Flask
from sqlalchemy import func, insert, select


def _insert_due_accounts(count: int) -> list[int]:
    from konexi.extensions import db
    from konexi.models import User
    from konexi.models.base import utcnow

    past = utcnow() - timedelta(days=1)
    db.session.execute(
        insert(User),
        [
            {
                "name": f"Leaving Person {n}",
                "email": f"leaving{n}@bench.konexi.test",
                "phone": f"+62818{n:07d}",
                "status": "deleting",
                "closed_at": past - timedelta(days=30),
                "purge_after": past,
                "session_version": 1,
            }
            for n in range(count)
        ],
    )
    db.session.commit()
    return list(
        db.session.scalars(select(User.id).where(User.email.like("leaving%@bench.konexi.test")))
    )


def _give_each_a_claim(user_ids: list[int]) -> int:
    """One redeemable claim per leaving account on an existing voucher (anonymised by the purge)."""
    from konexi.extensions import db
    from konexi.models import Claim, Voucher

    voucher_id = db.session.scalar(select(Voucher.id).order_by(Voucher.id).limit(1))
    if voucher_id is None:
        return 0
    columns = {c.key for c in Claim.__table__.columns}
    rows = []
    for n, user_id in enumerate(user_ids):
        row = {"voucher_id": voucher_id, "user_id": user_id, "code": f"PURGE{n:07d}"}
        if "claim_number" in columns:
            row["claim_number"] = 1
        rows.append(row)
    db.session.execute(insert(Claim), rows)
    db.session.commit()
    return len(rows)


def purge_accounts(app: Flask, *, count: int = 10_000, with_claims: bool = True) -> dict:
    """Insert ``count`` accounts due for deletion, then time the purge of all of them."""
    from konexi.extensions import db
    from konexi.models import User
    from konexi.services.privacy.purge import purge_due_accounts

    with app.app_context():
        user_ids = _insert_due_accounts(count)
        claims = 0
        if with_claims:
            try:
                claims = _give_each_a_claim(user_ids)
            except Exception:  # noqa: BLE001 - the claim table may demand more; time without
                db.session.rollback()
                claims = 0
        db.session.remove()
        started = time.perf_counter()
        report = purge_due_accounts()
        seconds = time.perf_counter() - started
        left = db.session.scalar(
            select(func.count(User.id)).where(User.email.like("leaving%@bench.konexi.test"))
        )
        db.session.remove()
    return {
        "accounts": count,
        "claims_anonymised": claims,
        "purged": report.purged_count,
        "left_behind": left,
        "seconds": round(seconds, 2),
        "backend": app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0],
    }
