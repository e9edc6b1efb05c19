"""The privacy switches on a user's account, and what turning each one off sets in motion."""

from __future__ import annotations

from konexi.extensions import db
from konexi.models import User
from konexi.services.catalogue.kept_suggestions import forget_suggestions
from konexi.services.catalogue.nearby import forget_location
from konexi.services.privacy.unsubscribe import lift_suppression

# The switches the privacy page shows, in order (each is a boolean column on User).
PRIVACY_SETTINGS = (
    "findable_by_email",
    "personalisation_enabled",
    "store_location",
    "marketing_email",
    "sms_notifications",
)


def privacy_values(user: User) -> dict[str, bool]:
    """The current value of each privacy switch."""
    return {name: bool(getattr(user, name)) for name in PRIVACY_SETTINGS}


def set_privacy_setting(user_id: int, name: str, enabled: bool) -> None:
    """Save one switch; turning off "store my location" also deletes the stored location, and
    turning marketing email on lifts an earlier unsubscribe of the user's address."""
    if name not in PRIVACY_SETTINGS:
        raise ValueError(name)
    user = db.session.get(User, user_id)
    if user is None:
        return
    if name == "marketing_email" and enabled and not user.marketing_email:
        lift_suppression(user)
    setattr(user, name, enabled)
    db.session.commit()
    if name == "personalisation_enabled":
        forget_suggestions(user_id)  # off means none at once, on means some at once
    if name == "store_location" and not enabled:
        forget_location(user_id)


def set_privacy_settings(user_id: int, values: dict[str, bool]) -> None:
    """Save every switch in ``values`` (the plain form sends them all at once)."""
    for name in PRIVACY_SETTINGS:
        if name in values:
            set_privacy_setting(user_id, name, values[name])
