"""A company's vouchers in the console: the list, create, edit, publish, pause, resume and end.

Editing never lowers the quota below what is already claimed: the service checks it, and the
``UPDATE`` itself carries ``quota_claimed <= new quota`` so a claim that lands between the check
and the write (the claim's own conditional ``UPDATE`` locks the same row) makes the edit fail
instead of leaving more claims than vouchers. Ending is final: nothing changes an ended voucher.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from flask_babel import gettext as _
from sqlalchemy import delete, insert, select, update

from konexi.extensions import db, rows_changed
from konexi.models import Branch, Category, Voucher, VoucherStatus, voucher_branches
from konexi.models.base import utcnow
from konexi.services.errors import FieldErrors
from konexi.services.images import ImageProblem, ImageRejected, company_image, store_image

MAX_TITLE = 140
MAX_TEXT = 2000
MAX_QUOTA = 1_000_000
MAX_PER_USER = 100
EDITABLE = (VoucherStatus.DRAFT, VoucherStatus.LIVE, VoucherStatus.PAUSED)
# action: (the statuses it applies to, the status it sets)
TRANSITIONS: dict[str, tuple[tuple[VoucherStatus, ...], VoucherStatus]] = {
    "publish": ((VoucherStatus.DRAFT,), VoucherStatus.LIVE),
    "pause": ((VoucherStatus.LIVE,), VoucherStatus.PAUSED),
    "resume": ((VoucherStatus.PAUSED,), VoucherStatus.LIVE),
    "end": (EDITABLE, VoucherStatus.ENDED),
}


@dataclass(frozen=True)
class VoucherFields:
    """What a provider typed; None where the form could not read a value (it says why)."""

    title: str = ""
    description: str = ""
    terms: str = ""
    category_id: int | None = None
    quota_total: int | None = None
    per_user_limit: int | None = None
    allow_regift: bool = False  # a claim received as a gift may be given again
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    branch_ids: tuple[int, ...] = ()
    image_upload: bytes | None = None  # a new picture, as uploaded
    kept_image_id: int | None = None  # a picture uploaded with an earlier, refused attempt
    remove_image: bool = False
    unreadable: frozenset[str] = frozenset()  # fields the form already reported


class VoucherInvalid(FieldErrors):
    """The fields break a rule: ``errors`` maps a field to its message, ``image_id`` is kept."""

    def __init__(self, errors: dict[str, str], image_id: int | None = None) -> None:
        super().__init__(errors)
        self.image_id = image_id


class StatusChange(StrEnum):
    DONE = "done"
    NOT_ALLOWED = "not_allowed"  # e.g. resuming a live voucher, anything on an ended one
    ENDS_IN_PAST = "ends_in_past"  # going live after the end time


def company_voucher(company_id: int, voucher_id: int) -> Voucher | None:
    """The company's voucher with that id (None for another company's)."""
    voucher = db.session.get(Voucher, voucher_id)
    return voucher if voucher is not None and voucher.company_id == company_id else None


def _picture(company_id: int, fields: VoucherFields) -> tuple[int | None, dict[str, str]]:
    """The picture the fields ask for (stored and committed now, so a refusal keeps it)."""
    if fields.image_upload:
        try:
            image = store_image(company_id, fields.image_upload)
        except ImageRejected as error:
            return None, {"image": _image_message(error.problem)}
        db.session.commit()
        return image.id, {}
    kept = company_image(company_id, fields.kept_image_id)
    return (kept.id if kept else None), {}


def _image_message(problem: ImageProblem) -> str:
    if problem is ImageProblem.TOO_LARGE:
        return _("The picture is too large: at most 4 MB.")
    if problem is ImageProblem.TOO_MANY_PIXELS:
        return _("The picture has too many pixels. Use a smaller photo.")
    return _("Choose a JPEG, PNG or WebP picture.")


def _below_claims(claimed: int) -> str:
    return _("%(num)d are already claimed: the quota can't be lower.", num=claimed)


def _check(
    company_id: int,
    fields: VoucherFields,
    claimed: int,
    now: datetime,
    old_end: datetime | None,
    old_category_id: int | None = None,
) -> dict[str, str]:
    """Every rule the fields break, by field (none for fields the form could not read)."""
    errors: dict[str, str] = {}
    skip = fields.unreadable
    if not fields.title:
        errors["title"] = _("Enter a title.")
    elif len(fields.title) > MAX_TITLE:
        errors["title"] = _("At most %(num)d characters.", num=MAX_TITLE)
    for name in ("description", "terms"):
        if len(getattr(fields, name)) > MAX_TEXT:
            errors[name] = _("At most %(num)d characters.", num=MAX_TEXT)
    category = db.session.get(Category, fields.category_id) if fields.category_id else None
    # A deactivated category stays on the vouchers that have it, but no other may pick it.
    if category is None or not (category.is_active or category.id == old_category_id):
        errors["category_id"] = _("Choose a category.")
    quota = fields.quota_total
    if quota is None or quota < 1 or quota > MAX_QUOTA:
        errors["quota_total"] = _("Enter a number from 1 to %(max)d.", max=MAX_QUOTA)
    elif quota < claimed:
        errors["quota_total"] = _below_claims(claimed)
    limit = fields.per_user_limit
    if limit is None or limit < 1 or limit > MAX_PER_USER:
        errors["per_user_limit"] = _("Enter a number from 1 to %(max)d.", max=MAX_PER_USER)
    if fields.starts_at is None:
        errors["starts_at"] = _("Enter the start date and time.")
    if fields.ends_at is None:
        errors["ends_at"] = _("Enter the end date and time.")
    elif fields.starts_at is not None and fields.ends_at <= fields.starts_at:
        errors["ends_at"] = _("The end must be after the start.")
    elif fields.ends_at <= now and (old_end is None or fields.ends_at != _minute(old_end)):
        errors["ends_at"] = _("The end must be in the future.")
    active = set(
        db.session.scalars(
            select(Branch.id).where(Branch.company_id == company_id, Branch.is_active.is_(True))
        )
    )
    if not fields.branch_ids or not set(fields.branch_ids) <= active:
        errors["branch_ids"] = _("Choose at least one of your branches.")
    return {name: message for name, message in errors.items() if name not in skip}


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _refuse(errors: dict[str, str], fields: VoucherFields, image_id: int | None) -> None:
    if errors or fields.unreadable:
        db.session.rollback()
        raise VoucherInvalid(errors, image_id)


def create_voucher(company_id: int, fields: VoucherFields, publish: bool = False) -> Voucher:
    """Add a voucher to the company, as a draft or published (live) at once."""
    image_id, errors = _picture(company_id, fields)
    errors = _check(company_id, fields, claimed=0, now=utcnow(), old_end=None) | errors
    _refuse(errors, fields, image_id)
    voucher = Voucher(
        company_id=company_id,
        status=VoucherStatus.LIVE if publish else VoucherStatus.DRAFT,
        quota_claimed=0,
        image_id=image_id,
        **_values(fields),
    )
    db.session.add(voucher)
    db.session.flush()
    _set_branches(voucher.id, fields.branch_ids)
    db.session.commit()
    return voucher


def _values(fields: VoucherFields) -> dict[str, object]:
    return {
        "title": fields.title,
        "description": fields.description,
        "terms": fields.terms,
        "category_id": fields.category_id,
        "quota_total": fields.quota_total,
        "per_user_limit": fields.per_user_limit,
        "allow_regift": fields.allow_regift,
        "starts_at": fields.starts_at,
        "ends_at": fields.ends_at,
    }


def _set_branches(voucher_id: int, branch_ids: tuple[int, ...]) -> None:
    db.session.execute(delete(voucher_branches).where(voucher_branches.c.voucher_id == voucher_id))
    db.session.execute(
        insert(voucher_branches),
        [{"voucher_id": voucher_id, "branch_id": branch_id} for branch_id in set(branch_ids)],
    )


def update_voucher(company_id: int, voucher_id: int, fields: VoucherFields) -> Voucher:
    """Change a voucher that has not ended; the quota never drops below the claims, even racing."""
    voucher = company_voucher(company_id, voucher_id)
    if voucher is None:
        raise LookupError(voucher_id)
    if voucher.status not in EDITABLE:
        raise VoucherInvalid({"form": _("This voucher has ended and can't be changed.")})
    new_image, errors = _picture(company_id, fields)
    errors = (
        _check(
            company_id,
            fields,
            voucher.quota_claimed,
            utcnow(),
            old_end=voucher.ends_at,
            old_category_id=voucher.category_id,
        )
        | errors
    )
    _refuse(errors, fields, new_image)
    current = None if fields.remove_image else voucher.image_id
    values = _values(fields) | {"image_id": new_image if new_image is not None else current}
    quota = fields.quota_total or 0
    # The first write: it waits for (and then sees) any claim that holds the row.
    result = db.session.execute(
        update(Voucher)
        .where(
            Voucher.id == voucher_id,
            Voucher.company_id == company_id,
            Voucher.status.in_(EDITABLE),
            Voucher.quota_claimed <= quota,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    changed = rows_changed(result)
    if changed != 1:
        db.session.rollback()
        db.session.expire(voucher)
        if voucher.status not in EDITABLE:
            raise VoucherInvalid({"form": _("This voucher has ended and can't be changed.")})
        raise VoucherInvalid({"quota_total": _below_claims(voucher.quota_claimed)}, new_image)
    _set_branches(voucher_id, fields.branch_ids)
    db.session.commit()
    db.session.expire(voucher)
    return voucher


def change_status(company_id: int, voucher_id: int, action: str) -> StatusChange:
    """Publish a draft, pause or resume a live voucher, or end one for good."""
    if action not in TRANSITIONS:
        return StatusChange.NOT_ALLOWED
    sources, target = TRANSITIONS[action]
    now = utcnow()
    conditions = [
        Voucher.id == voucher_id,
        Voucher.company_id == company_id,
        Voucher.status.in_(sources),
    ]
    if target == VoucherStatus.LIVE:
        conditions.append(Voucher.ends_at > now)
    result = db.session.execute(
        update(Voucher)
        .where(*conditions)
        .values(status=target)
        .execution_options(synchronize_session=False)
    )
    changed = rows_changed(result)
    if changed == 1:
        db.session.commit()
        db.session.expire_all()
        return StatusChange.DONE
    db.session.rollback()
    voucher = company_voucher(company_id, voucher_id)
    if voucher is not None and voucher.status in sources and target == VoucherStatus.LIVE:
        return StatusChange.ENDS_IN_PAST
    return StatusChange.NOT_ALLOWED
