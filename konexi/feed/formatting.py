"""How the feed shows numbers in the user's language."""

from __future__ import annotations

from flask_babel import format_decimal, gettext


def format_distance(km: float | None) -> str:
    """ "1.2 km" (one decimal under 10 km, whole kilometres beyond), in the locale's digits."""
    if km is None:
        return ""
    shown = max(km, 0.1)
    pattern = "#,##0.0" if shown < 9.95 else "#,##0"
    return gettext("%(distance)s km", distance=format_decimal(shown, format=pattern))
