"""The category chips every feed page shows, kept by each worker for a few seconds.

They are the same for every visitor and change when an admin adds, renames or deactivates a
category (a few times a year), yet reading them cost a query on every page. Each app keeps the
list ``CATEGORY_CHIPS_SECONDS`` (0: read on every page), so a change shows on every worker within
that time; konexi/web/fragments.py then renders the chips once per worker for each list.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import current_app

from konexi.services.catalogue.chips import Chip, active_chips

# The clock the list ages by; tests replace it to move time without sleeping.
clock: Callable[[], float] = time.monotonic

EXTENSION_KEY = "konexi_feed_chips"


def filter_chips() -> tuple[Chip, ...]:
    """The active categories, at most ``CATEGORY_CHIPS_SECONDS`` old."""
    max_age = float(current_app.config["CATEGORY_CHIPS_SECONDS"])
    if max_age <= 0:
        return active_chips()
    now = clock()
    kept: tuple[float, tuple[Chip, ...]] | None = current_app.extensions.get(EXTENSION_KEY)
    if kept is not None and now - kept[0] < max_age:
        return kept[1]
    chips = active_chips()
    current_app.extensions[EXTENSION_KEY] = (now, chips)  # one assignment: safe across threads
    return chips


__all__ = ["filter_chips"]
