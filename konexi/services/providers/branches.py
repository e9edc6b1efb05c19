"""Branches: where a company's vouchers are redeemed.

A branch's customer-service phone is shown to customers, so it is stored only together with a record
of its owner's consent (who recorded it, when). A new or changed number needs the consent again and
a new proof (``services.providers.branch_phones``) unless the company already proved it; a number
another company proved is refused; removing the number clears both. Deactivated branches leave the
public side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import phonenumbers
from flask_babel import lazy_gettext as _l
from phonenumbers import NumberParseException, PhoneNumberFormat
from sqlalchemy import select

from konexi.extensions import db
from konexi.models import Branch
from konexi.models.base import utcnow
from konexi.services.accounts.contacts import DEFAULT_REGION
from konexi.services.errors import FieldErrors
from konexi.services.providers.branch_phones import TAKEN, held_by_another_company, proven_for

MAX_NAME = 120
MAX_ADDRESS = 255
MAX_CITY = 80
MAX_OPENING_HOURS = 500
COORDINATE_PLACES = 6
# "-6.2146, 106.8227" as map apps copy it, typed into the latitude field alone.
_PAIR = re.compile(r"^\s*([+-]?\d{1,3}\.\d+)\s*[,;]\s*([+-]?\d{1,3}\.\d+)\s*$")
_NUMBER = re.compile(r"^[+-]?\d{1,3}(\.\d+)?$")


class BranchError(FieldErrors):
    """Input the rules refuse: translated messages by form field name."""


@dataclass(frozen=True)
class BranchDetails:
    """What a provider types about a branch, as typed (the service parses and checks it)."""

    name: str = ""
    address: str = ""
    city: str = ""
    latitude: str = ""
    longitude: str = ""
    opening_hours: str = ""
    phone: str = ""
    phone_consent: bool = False


def company_branches(company_id: int) -> list[Branch]:
    """The company's branches, active ones first, each group by name."""
    rows = db.session.scalars(select(Branch).where(Branch.company_id == company_id)).all()
    return sorted(rows, key=lambda b: (not b.is_active, b.name.lower()))


def _coordinate(raw: str, limit: int) -> float:
    text = raw.strip().replace("\u2212", "-").replace(",", ".").replace(" ", "")
    if not _NUMBER.fullmatch(text):
        raise ValueError(raw)
    try:
        value = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern already refuses these
        raise ValueError(raw) from exc
    if not -limit <= value <= limit:
        raise ValueError(raw)
    return float(round(value, COORDINATE_PLACES))


def parse_coordinates(latitude: str, longitude: str) -> tuple[float | None, float | None]:
    """Decimal degrees (dot or comma), latitude -90..90 and longitude -180..180, both or neither."""
    latitude, longitude = (latitude or "").strip(), (longitude or "").strip()
    pair = _PAIR.match(latitude)
    if pair and not longitude:
        latitude, longitude = pair.group(1), pair.group(2)
    if not latitude and not longitude:
        return None, None
    errors: dict[str, object] = {}
    values: dict[str, float] = {}
    for name, raw, limit, message in (
        ("latitude", latitude, 90, _l("Enter a latitude between -90 and 90, such as -6.2146.")),
        (
            "longitude",
            longitude,
            180,
            _l("Enter a longitude between -180 and 180, such as 106.8227."),
        ),
    ):
        if not raw:
            errors[name] = _l("Enter both the latitude and the longitude, or neither.")
            continue
        try:
            values[name] = _coordinate(raw, limit)
        except ValueError:
            errors[name] = message
    if errors:
        raise BranchError(errors)
    return values["latitude"], values["longitude"]


def normalise_branch_phone(raw: str) -> str:
    """The E.164 form of a customer-service number, landlines included (read in Indonesia)."""
    raw = (raw or "").strip()
    digits = "".join(ch for ch in raw if ch.isdigit())
    candidates = [raw]
    if not raw.startswith("+") and digits.startswith("62"):
        candidates.append("+" + digits)
    for candidate in candidates if len(raw) <= 32 else []:
        try:
            number = phonenumbers.parse(candidate, DEFAULT_REGION)
        except NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, PhoneNumberFormat.E164)
    raise BranchError(
        {"phone": _l("Enter a phone number such as 021 5000 0001 or 0812 3456 7890.")}
    )


def _text(errors: dict[str, object], name: str, value: str, limit: int, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        errors[name] = _l("This is required.")
    elif len(value) > limit:
        errors[name] = _l("Keep it under %(num)d characters.", num=limit)
    return value


def _apply(branch: Branch, details: BranchDetails, actor_id: int) -> None:
    """Check every field (collecting all the errors), then change the branch."""
    errors: dict[str, object] = {}
    name = _text(errors, "name", details.name, MAX_NAME, True)
    address = _text(errors, "address", details.address, MAX_ADDRESS, True)
    city = _text(errors, "city", details.city, MAX_CITY, True)
    hours = _text(errors, "opening_hours", details.opening_hours, MAX_OPENING_HOURS, False)
    latitude = longitude = None
    try:
        latitude, longitude = parse_coordinates(details.latitude, details.longitude)
    except BranchError as error:
        errors.update(error.errors)
    phone = None
    if (details.phone or "").strip():
        try:
            phone = normalise_branch_phone(details.phone)
        except BranchError as error:
            errors.update(error.errors)
    if phone is not None and held_by_another_company(phone, branch.company_id):
        errors["phone"] = TAKEN
    needs_consent = phone is not None and (phone != branch.phone or branch.phone_consent_at is None)
    if needs_consent and not details.phone_consent:
        errors["phone_consent"] = _l(
            "Tick this to confirm that the owner of this number agreed to show it to customers."
        )
    if errors:
        raise BranchError(errors)
    branch.name, branch.address, branch.city = name, address, city
    branch.opening_hours = "\n".join(line.strip() for line in hours.splitlines() if line.strip())
    branch.latitude, branch.longitude = latitude, longitude
    if phone != branch.phone:
        # A new number is proven only if this company already proved it for another branch.
        proven = phone is not None and proven_for(phone, branch.company_id)
        branch.phone_verified_at = utcnow() if proven else None
    if phone is None:
        branch.phone, branch.phone_consent_by_id, branch.phone_consent_at = None, None, None
    elif needs_consent:
        branch.phone, branch.phone_consent_by_id, branch.phone_consent_at = (
            phone,
            actor_id,
            utcnow(),
        )


def create_branch(company_id: int, details: BranchDetails, actor_id: int) -> Branch:
    """Add an active branch to the company; a phone needs its owner's consent, recorded by actor."""
    branch = Branch(company_id=company_id, is_active=True, phone=None)
    _apply(branch, details, actor_id)
    db.session.add(branch)
    db.session.commit()
    return branch


def update_branch(branch: Branch, details: BranchDetails, actor_id: int) -> Branch:
    """Change a branch; a new or changed phone needs consent again, a removed one clears it."""
    _apply(branch, details, actor_id)
    db.session.commit()
    return branch


def set_branch_active(branch: Branch, active: bool) -> Branch:
    """Deactivate (hidden from customers, kept for history) or reactivate a branch."""
    branch.is_active = active
    db.session.commit()
    return branch
