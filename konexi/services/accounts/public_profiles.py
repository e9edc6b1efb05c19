"""The public profile (``/people/<public id>``): what any visitor may see of a Konexi user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from konexi.extensions import db
from konexi.models import ProfilePicture, User, UserStatus
from konexi.services.reviews.reviews import ReviewPage, reviews_by

# secrets.token_urlsafe(9) gives 12 characters; anything longer is not a public id.
MAX_PUBLIC_ID = 16


@dataclass(frozen=True)
class PublicProfile:
    public_id: str
    name: str
    picture: ProfilePicture | None
    birth_date: date | None  # only when the person chose "show my date of birth"
    reviews: ReviewPage


def _public_person(public_id: str) -> User | None:
    """The active account behind a public id; closed, deleting and unknown ones are None."""
    if not public_id or len(public_id) > MAX_PUBLIC_ID:
        return None
    return db.session.scalar(
        select(User).where(User.public_id == public_id, User.status == UserStatus.ACTIVE)
    )


def public_profile(public_id: str, page: int = 1) -> PublicProfile | None:
    """Display name, picture, birth date if public, and visible reviews; nothing else."""
    user = _public_person(public_id)
    if user is None or user.public_id is None:
        return None
    return PublicProfile(
        public_id=user.public_id,
        name=user.public_name,
        picture=db.session.get(ProfilePicture, user.id),
        birth_date=user.birth_date if user.show_birth_date else None,
        reviews=reviews_by(user.id, page),
    )


def public_picture(public_id: str, digest: str) -> ProfilePicture | None:
    """The picture with its bytes, for an active account, when ``digest`` is the current one."""
    user = _public_person(public_id)
    if user is None:
        return None
    picture = db.session.get(ProfilePicture, user.id)
    if picture is None or not picture.sha256.startswith(digest.lower()):
        return None
    return picture
