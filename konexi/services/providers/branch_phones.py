"""Proving a branch phone: a company shows it holds the number by typing a code sent to it.

A branch phone is shown to customers and can redeem vouchers by SMS (``konexi/webhooks``), so a
consent tick is not enough: anyone could tick it for another company's number. The number is
proven by a one-time code sent to it by SMS and typed in the branch console by the member who
asked. One number serves one company: ``company_phones.phone`` is unique, so the first company
to prove a number holds it while one of its branches uses it, and another company can neither
prove nor enter it meanwhile; a number given up is free for the next company. Until the
number is proven it is neither shown publicly nor accepted by the SMS webhook.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.expression import Exists

from konexi.extensions import db
from konexi.messaging.outbox import commit_and_dispatch, discard_pending, queue_sms
from konexi.messaging.texts import render_sms
from konexi.models import Branch, CompanyPhone
from konexi.models.base import utcnow
from konexi.services.accounts.accounts import AccountError
from konexi.services.accounts.verification import CodeStatus, TooManyCodes, check_code, issue_code
from konexi.services.errors import FieldErrors

PURPOSE = "verify_branch_phone"
TAKEN = _l("This number already serves another company on Konexi. Enter your branch's own number.")


class BranchPhoneError(FieldErrors):
    """A code that cannot be sent or is not right: translated messages by form field name."""


def _still_used_by_holder() -> Exists:
    """The holding company still has a branch (active or not) with the number proven."""
    return exists().where(
        Branch.company_id == CompanyPhone.company_id,
        Branch.phone == CompanyPhone.phone,
        Branch.phone_verified_at.is_not(None),
    )


def held_by_another_company(phone: str, company_id: int) -> bool:
    """True when another company has proven this number and still uses it. A number its
    company gave up (a shop changed hands, a prepaid number was recycled) is free again."""
    return (
        db.session.scalar(
            select(CompanyPhone.id).where(
                CompanyPhone.phone == phone,
                CompanyPhone.company_id != company_id,
                _still_used_by_holder(),
            )
        )
        is not None
    )


def _release_if_given_up(phone: str, company_id: int) -> None:
    """Drop another company's hold on a number none of its branches uses any more."""
    db.session.execute(
        delete(CompanyPhone)
        .where(
            CompanyPhone.phone == phone,
            CompanyPhone.company_id != company_id,
            ~_still_used_by_holder(),
        )
        .execution_options(synchronize_session=False)
    )


def proven_for(phone: str, company_id: int) -> bool:
    """True when this company has proven this number (for any of its branches)."""
    return (
        db.session.scalar(
            select(CompanyPhone.id).where(
                CompanyPhone.phone == phone, CompanyPhone.company_id == company_id
            )
        )
        is not None
    )


def send_phone_code(branch: Branch, actor_id: int, ip: str | None, locale: str) -> None:
    """Text a code to the branch's unproven phone, in ``locale`` (the sender's on the page)."""
    if not branch.phone or branch.phone_verified_at is not None:
        raise BranchPhoneError({"code": _l("This branch has no number waiting to be proven.")})
    if held_by_another_company(branch.phone, branch.company_id):
        raise BranchPhoneError({"code": TAKEN})
    try:
        _row, code = issue_code(
            purpose=PURPOSE, channel="sms", destination=branch.phone, user_id=actor_id, ip=ip
        )
    except TooManyCodes:
        db.session.rollback()
        raise BranchPhoneError(
            {"code": _l("Too many codes were sent to this number. Try again in an hour.")}
        ) from None
    except AccountError as error:  # a number outside the countries SMS may go to
        db.session.rollback()
        raise BranchPhoneError({"code": next(iter(error.errors.values()))}) from None
    queue_sms(
        to=branch.phone,
        body=render_sms("branch_phone_code", locale, code=code, company=branch.company.name[:40]),
        kind=PURPOSE,
    )
    try:
        commit_and_dispatch()
    except Exception:
        db.session.rollback()
        discard_pending()
        raise


def confirm_phone(branch: Branch, actor_id: int, code: str) -> None:
    """Prove the branch's phone with the code the member typed; every branch of the company
    with that number is proven with it. BranchPhoneError when the code is not right or another
    company proved the number first."""
    phone = branch.phone
    if not phone or branch.phone_verified_at is not None:
        raise BranchPhoneError({"code": _l("This branch has no number waiting to be proven.")})
    check = check_code(purpose=PURPOSE, destination=phone, code=code, user_id=actor_id)
    db.session.commit()  # every try counts, right or wrong
    if check.status is CodeStatus.WRONG:
        raise BranchPhoneError({"code": _l("That code is not right. Check the SMS and try again.")})
    if not check.ok:
        raise BranchPhoneError({"code": _l("This code can no longer be used. Send a new one.")})
    now = utcnow()
    if not proven_for(phone, branch.company_id):
        _release_if_given_up(phone, branch.company_id)
        try:
            with db.session.begin_nested():
                db.session.add(
                    CompanyPhone(
                        phone=phone,
                        company_id=branch.company_id,
                        verified_by_id=actor_id,
                        verified_at=now,
                    )
                )
        except IntegrityError:
            db.session.rollback()
            raise BranchPhoneError({"code": TAKEN}) from None
    db.session.execute(
        update(Branch)
        .where(
            Branch.company_id == branch.company_id,
            Branch.phone == phone,
            Branch.phone_verified_at.is_(None),
        )
        .values(phone_verified_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.refresh(branch)
