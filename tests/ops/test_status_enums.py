"""Statuses are enums on the models, stored as the very strings rows held before the enums.

Rows written before (and the frozen migrations' VARCHAR columns) load as enum members, what the
enums write is byte-identical to the old strings, a value no enum knows is refused on the way
in, and no code compares or assigns a status as a bare string literal any more.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Enum, select, text
from sqlalchemy.exc import StatementError

from konexi.config import ROOT
from konexi.extensions import db
from konexi.messaging.delivery import DeliveryOutcome, deliver
from konexi.models import (
    AccessChannel,
    AccessPurpose,
    Claim,
    ClaimStatus,
    CustomerDataAccess,
    DataExport,
    ExportStatus,
    Invitation,
    Membership,
    OfflineRedemption,
    OutboxMessage,
    OutboxStatus,
    ReportReason,
    Review,
    ReviewReport,
    ReviewStatus,
    Role,
    User,
    UserStatus,
    Voucher,
    VoucherStatus,
)
from konexi.models.base import utcnow
from konexi.models.offline_redemptions import OfflineOutcome
from konexi.services.privacy.export_jobs import BuildOutcome, build_export
from tests.support.factories import make_member, make_voucher

# The strings in the database before the enums existed: changing one needs a data migration.
STORED: dict[tuple[type, str], tuple[str, ...]] = {
    (Voucher, "status"): ("draft", "live", "paused", "ended"),
    (Claim, "status"): ("active", "redeemed"),
    (DataExport, "status"): ("pending", "ready", "failed"),
    (OutboxMessage, "status"): ("pending", "sending", "sent", "delivered", "failed", "dev"),
    (Membership, "role"): ("owner", "admin", "staff"),
    (Invitation, "role"): ("owner", "admin", "staff"),
    (CustomerDataAccess, "channel"): ("console", "sms"),
    (CustomerDataAccess, "purpose"): ("lookup", "redeem"),
    (Review, "status"): ("visible", "hidden", "removed"),
    (ReviewReport, "reason"): ("spam", "offensive", "personal_info", "not_genuine", "other"),
    (User, "status"): ("active", "closed", "deleting"),
    (OfflineRedemption, "outcome"): (
        "redeemed",
        "already_redeemed",
        "not_found",
        "not_valid_here",
        "expired",
        "not_your_branch",
        "tampered",
        "malformed",
    ),
}
ENUMS: dict[tuple[type, str], type[StrEnum]] = {
    (Voucher, "status"): VoucherStatus,
    (Claim, "status"): ClaimStatus,
    (DataExport, "status"): ExportStatus,
    (OutboxMessage, "status"): OutboxStatus,
    (Membership, "role"): Role,
    (Invitation, "role"): Role,
    (CustomerDataAccess, "channel"): AccessChannel,
    (CustomerDataAccess, "purpose"): AccessPurpose,
    (Review, "status"): ReviewStatus,
    (ReviewReport, "reason"): ReportReason,
    (User, "status"): UserStatus,
    (OfflineRedemption, "outcome"): OfflineOutcome,
}


def _label(key: tuple[type, str]) -> str:
    return f"{key[0].__tablename__}.{key[1]}"


def _enum_columns() -> dict[tuple[type, str], Enum]:
    """Every model column typed with an enum."""
    found = {}
    for mapper in db.Model.registry.mappers:
        for column in mapper.columns:
            if isinstance(column.type, Enum):
                found[(mapper.class_, column.key)] = column.type
    return found


def test_every_enum_column_is_listed_with_the_strings_it_stores() -> None:
    assert {_label(key) for key in _enum_columns()} == {_label(key) for key in STORED}


@pytest.mark.parametrize("key", list(STORED), ids=_label)
def test_enum_values_are_the_stored_strings(key: tuple[type, str]) -> None:
    column_type = _enum_columns()[key]
    assert column_type.enum_class is ENUMS[key]
    assert tuple(member.value for member in ENUMS[key]) == STORED[key]
    # What the column writes for each member is exactly the old string.
    assert tuple(column_type.enums) == STORED[key]
    assert not column_type.native_enum and not column_type.create_constraint


def _rows(create_user: Callable[..., User]) -> dict[tuple[type, str], int]:
    """One committed row per table with an enum column: the ids to write old strings into."""
    user = create_user()
    voucher = make_voucher()
    member = make_member(voucher.company, user, "owner")
    claim = Claim(voucher_id=voucher.id, user_id=user.id, code="ENUM-TEST-1")
    export = DataExport(user_id=user.id)
    message = OutboxMessage(channel="sms", kind="share", to_address="+6281200000001", body="Hi")
    invitation = Invitation(
        company_id=voucher.company_id,
        email="friend@example.com",
        role="staff",
        expires_at=utcnow() + timedelta(days=7),
    )
    review = Review(company_id=voucher.company_id, voucher_id=voucher.id, user_id=user.id, rating=5)
    db.session.add_all([claim, export, message, invitation, review])
    db.session.flush()
    access = CustomerDataAccess(
        company_id=voucher.company_id, claim_id=claim.id, channel="console", purpose="lookup"
    )
    report = ReviewReport(review_id=review.id, reporter_id=user.id, reason="spam")
    offline = OfflineRedemption(
        nonce="enum-test-nonce-0001",
        company_id=voucher.company_id,
        code_digest="0" * 64,
        outcome=OfflineOutcome.REDEEMED,
    )
    db.session.add_all([access, report, offline])
    db.session.commit()
    ids = {
        Voucher: voucher.id,
        Claim: claim.id,
        DataExport: export.id,
        OutboxMessage: message.id,
        Membership: member.id,
        Invitation: invitation.id,
        CustomerDataAccess: access.id,
        Review: review.id,
        ReviewReport: report.id,
        User: user.id,
        OfflineRedemption: offline.id,
    }
    return {key: ids[key[0]] for key in STORED}


def test_rows_written_before_the_enums_load_as_members(
    app: Flask, create_user: Callable[..., User]
) -> None:
    """Old strings written with plain SQL (as the rows before the enums were) load as members,
    and writing a member stores the old string, on SQLite and PostgreSQL."""
    rows = _rows(create_user)
    for (model, name), row_id in rows.items():
        table = model.__tablename__
        for value in STORED[(model, name)]:
            db.session.execute(
                text(f"UPDATE {table} SET {name} = :value WHERE id = :id"),  # noqa: S608
                {"value": value, "id": row_id},
            )
            db.session.commit()
            db.session.expire_all()
            loaded = getattr(db.session.get(model, row_id), name)
            assert loaded is ENUMS[(model, name)](value), (table, name, value)
        for member in ENUMS[(model, name)]:
            setattr(db.session.get(model, row_id), name, member)
            db.session.commit()
            stored = db.session.scalar(
                text(f"SELECT {name} FROM {table} WHERE id = :id"),  # noqa: S608
                {"id": row_id},
            )
            assert stored == member.value and type(stored) is str, (table, name, member)


def test_a_status_no_enum_knows_is_refused(app: Flask) -> None:
    voucher = make_voucher()
    with pytest.raises(StatementError):
        db.session.execute(
            Voucher.__table__.update().where(Voucher.id == voucher.id).values(status="archived")
        )
    db.session.rollback()
    assert db.session.scalar(select(Voucher.status).where(Voucher.id == voucher.id)) is (
        VoucherStatus.LIVE
    )


def test_delivery_and_export_builds_report_enums(
    app: Flask, create_user: Callable[..., User]
) -> None:
    message = OutboxMessage(
        channel="email", kind="share", to_address="friend@example.com", subject="Hi", body="Hi"
    )
    db.session.add(message)
    db.session.commit()
    assert deliver(message.id) is DeliveryOutcome.SENT
    assert deliver(message.id) is DeliveryOutcome.SKIPPED  # a second job finds nothing to do
    assert db.session.get(OutboxMessage, message.id).status is OutboxStatus.SENT

    export = DataExport(user_id=create_user().id)
    db.session.add(export)
    db.session.commit()
    assert build_export(export.id) is BuildOutcome.READY
    assert build_export(export.id) is BuildOutcome.READY  # a late duplicate changes nothing
    assert build_export(export.id + 1000) is BuildOutcome.MISSING


# -- no bare status strings in the code ---------------------------------------------------------

_FIELD = r"(?:status|state|role|purpose|problem)"
_LITERAL = r"""["'][a-z_]+["']"""
BARE_STATUS = [
    # voucher.status == "live", state != 'ended'
    re.compile(rf"\b{_FIELD}\s*(?:==|!=)\s*{_LITERAL}"),
    # status in ("live", "paused"), role not in ["owner"]
    re.compile(rf"\b{_FIELD}\s+(?:not\s+)?in\s*[\(\[\{{]\s*{_LITERAL}"),
    # Voucher.status.in_(("live", "paused"))
    re.compile(rf"\.{_FIELD}\.(?:not_)?in_\(\s*[\(\[]?\s*{_LITERAL}"),
    # user.status = "closed", .values(status="hidden"), Membership(role="owner")
    re.compile(rf"\b{_FIELD}\s*=\s*{_LITERAL}"),
    # {"status": "failed"} handed to an UPDATE
    re.compile(rf"""["']{_FIELD}["']\s*:\s*{_LITERAL}"""),
]
# Strings that are not one of our statuses: HTML roles, and what /healthz promises its callers.
NOT_A_STATUS = re.compile(
    r"""role\s*=\s*["'](?:status|alert|img|search|group|list|region|navigation|dialog|note)["']"""
    r"""|["']status["']\s*:\s*["'](?:ok|degraded)["']"""
)


def bare_status_strings(source: str, name: str) -> list[str]:
    """``name:line: text`` of each comparison or assignment of a status to a string literal."""
    found = []
    for number, line in enumerate(source.splitlines(), start=1):
        code = NOT_A_STATUS.sub("", line.split("#", 1)[0] if name.endswith(".py") else line)
        if any(pattern.search(code) for pattern in BARE_STATUS):
            found.append(f"{name}:{number}: {line.strip()}")
    return found


def _sources() -> list[Path]:
    return sorted((ROOT / "konexi").rglob("*.py")) + sorted((ROOT / "templates").rglob("*.html"))


def test_no_status_is_compared_or_set_as_a_bare_string() -> None:
    found = []
    for path in _sources():
        source = path.read_text(encoding="utf-8")
        found += bare_status_strings(source, str(path.relative_to(ROOT)))
    assert found == [], "use the status enum instead:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "line",
    [
        'if voucher.status == "ended":',
        "{% if review.status == 'hidden' %}",
        'if claim.status != "redeemed":',
        '.where(Review.status.in_(("visible", "hidden")))',
        'if voucher.status in ("live", "paused"):',
        'user.status = "closed"',
        '.values(status="removed")',
        'Membership(company=company, user_id=owner.id, role="owner")',
        '{% elif state == "sold_out" %}',
        '{% if problem == "expired" %}',
        'values = {"status": "failed", "last_error": None}',
    ],
)
def test_the_check_finds_bare_status_strings(line: str) -> None:
    """The scan is not vacuous: each shape of bare status string is caught."""
    assert bare_status_strings(line, "planted.py") != []


@pytest.mark.parametrize(
    "line",
    [
        "if voucher.status == VoucherStatus.ENDED:",
        '<p class="flash" role="status">',
        'return jsonify({"status": "ok", "database": "ok"})',
        "if status in (401, 429) or status == 0:",
        "# a row whose status is 'pending'",
    ],
)
def test_the_check_lets_enums_and_other_strings_pass(line: str) -> None:
    assert bare_status_strings(line, "planted.py") == []
