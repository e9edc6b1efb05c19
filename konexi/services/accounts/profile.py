"""A user's profile: display name, picture, birth date, favourites, and what others see."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, insert, select

from konexi.extensions import db
from konexi.models import Category, User, user_favourite_categories
from konexi.models.profile_pictures import ProfilePicture
from konexi.services.accounts.accounts import require_verified
from konexi.services.catalogue.kept_suggestions import forget_suggestions
from konexi.services.claims.claims import list_my_claims
from konexi.services.images import process_image
from konexi.urls import external_url

MIN_AGE = 13
MAX_AGE = 120


class BirthDateProblem(StrEnum):
    FUTURE = "future"
    TOO_YOUNG = "too_young"  # under MIN_AGE
    TOO_OLD = "too_old"  # over MAX_AGE


@dataclass(frozen=True)
class ClaimSummary:
    active: int
    redeemed: int
    hidden: int


def age_on(birth_date: date, today: date) -> int:
    """Whole years between ``birth_date`` and ``today``."""
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - int(before_birthday)


def birth_date_problem(birth_date: date, today: date | None = None) -> BirthDateProblem | None:
    """Why a birth date is not acceptable, or None if it is."""
    today = today or date.today()
    if birth_date >= today:
        return BirthDateProblem.FUTURE
    age = age_on(birth_date, today)
    if age < MIN_AGE:
        return BirthDateProblem.TOO_YOUNG
    if age > MAX_AGE:
        return BirthDateProblem.TOO_OLD
    return None


def all_categories() -> list[Category]:
    """Every active category, for the favourites checkboxes."""
    return list(
        db.session.scalars(
            select(Category).where(Category.is_active.is_(True)).order_by(Category.name_en)
        )
    )


def favourite_category_ids(user_id: int) -> list[int]:
    """Ids of the categories the user marked as favourites."""
    return list(
        db.session.scalars(
            select(user_favourite_categories.c.category_id).where(
                user_favourite_categories.c.user_id == user_id
            )
        )
    )


def update_profile(
    user_id: int,
    display_name: str | None,
    birth_date: date | None,
    show_birth_date: bool,
    category_ids: list[int],
) -> None:
    """Save the profile fields and replace the favourite categories with ``category_ids``."""
    user = db.session.get(User, user_id)
    if user is None:
        return
    user.display_name = (display_name or "").strip() or None
    user.birth_date = birth_date
    user.show_birth_date = show_birth_date and birth_date is not None
    known = set(db.session.scalars(select(Category.id).where(Category.id.in_(category_ids))))
    db.session.execute(
        delete(user_favourite_categories).where(user_favourite_categories.c.user_id == user_id)
    )
    if known:
        db.session.execute(
            insert(user_favourite_categories),
            [{"user_id": user_id, "category_id": cid} for cid in sorted(known)],
        )
    db.session.commit()
    forget_suggestions(user_id)  # new favourites, new suggestions


def set_profile_picture(user_id: int, upload: bytes) -> ProfilePicture:
    """Re-encode the upload without metadata as the verified user's only picture (or raise
    NotVerified before anything is decoded, or ImageRejected)."""
    user = db.session.get(User, user_id)
    if user is None:
        raise LookupError(user_id)
    # A picture is shown to others and costs memory to decode: throwaway accounts get neither.
    require_verified(user)
    processed = process_image(upload)
    picture = db.session.get(ProfilePicture, user_id)
    if picture is None:
        picture = ProfilePicture(user_id=user_id)
        db.session.add(picture)
    picture.data = processed.data
    picture.content_type = processed.content_type
    picture.width = processed.width
    picture.height = processed.height
    picture.sha256 = hashlib.sha256(processed.data).hexdigest()
    db.session.commit()
    return picture


def remove_profile_picture(user_id: int) -> None:
    """Delete the user's picture, bytes and all."""
    db.session.execute(delete(ProfilePicture).where(ProfilePicture.user_id == user_id))
    db.session.commit()


def profile_picture(user_id: int) -> ProfilePicture | None:
    """The user's current picture (bytes not loaded), or None."""
    return db.session.get(ProfilePicture, user_id)


def picture_for_serving(user_id: int, digest: str) -> ProfilePicture | None:
    """The picture with its bytes when ``digest`` matches the current one; None otherwise."""
    picture = db.session.get(ProfilePicture, user_id)
    if picture is None or not picture.sha256.startswith(digest.lower()):
        return None
    return picture


def picture_address(picture: ProfilePicture) -> dict[str, Any]:
    """The values of a picture's long-cacheable URL (``account.picture``; its hash is in it)."""
    return {"user_id": picture.user_id, "digest": picture.sha256[:8], "ext": picture.extension}


def shown_name(user: User) -> str:
    """The name others see: the display name, or else the first name."""
    return user.public_name


def public_profile(user: User) -> dict[str, Any]:
    """What other people may see of ``user``: name, picture URL, and birth date only when public."""
    picture = profile_picture(user.id)
    return {
        "name": shown_name(user),
        "picture_url": (
            external_url("account.picture", **picture_address(picture))
            if picture is not None
            else None
        ),
        "birth_date": user.birth_date if user.show_birth_date else None,
    }


def claim_summary(user_id: int) -> ClaimSummary:
    """How many of the user's claims are active, redeemed and hidden."""
    mine = list_my_claims(user_id)
    return ClaimSummary(
        active=len(mine.active), redeemed=len(mine.redeemed), hidden=len(mine.hidden)
    )
