"""A signed-in user's "for you" suggestions, kept in Redis as cards between their pages.

Suggestions are personal, so no shared cache may hold them; yet computing them (a statement over
the user's signals and the ORM objects of its vouchers) and rendering their cards was a good part
of every signed-in feed. They are kept per user for ``PAGE_CACHE_SECONDS`` (the age the spliced
cards may have), one Redis hash per user with a field per language and Save-Data, each with its
birth time; konexi/services/catalogue/kept_suggestions.py forgets them whenever the user's own
claims, favourites or personalisation change. Without Redis (or with the page cache off) the
view computes them on every page, as before.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, render_template
from markupsafe import Markup
from redis.exceptions import RedisError

from konexi.i18n import current_language
from konexi.media.routes import saves_data
from konexi.models import User
from konexi.services.catalogue import recommendations
from konexi.services.catalogue.kept_suggestions import suggestions_key

log = logging.getLogger(__name__)

# Wall clock: the copies are shared by every worker and dyno.
wall_clock: Callable[[], float] = time.time


@dataclass(frozen=True)
class KeptSuggestions:
    """The user's suggested voucher ids, and their cards as the feed shows them."""

    ids: frozenset[int]
    cards: tuple[Markup, ...]


def _compute(user: User) -> tuple[list[int], list[str]]:
    items = recommendations.for_you(user)
    cards = [str(render_template("feed/_card.html", item=item)) for item in items]
    return [item.voucher.id for item in items], cards


def kept_suggestions(user: User) -> KeptSuggestions | None:
    """The user's suggestions, from Redis when kept there and young enough, else computed and
    kept; None when there is no shared cache (the caller computes them itself)."""
    redis = current_app.extensions.get("konexi_redis")  # set by konexi/tasks/queue.py
    seconds = int(current_app.config["PAGE_CACHE_SECONDS"])
    if redis is None or seconds <= 0 or not current_app.config["PAGE_CACHE_SHARED"]:
        return None
    key, variant = suggestions_key(user.id), f"{current_language()}:{int(saves_data())}"
    try:
        raw = redis.hget(key, variant)
    except RedisError:
        return None
    stored = json.loads(raw) if raw is not None else None
    if stored is not None and wall_clock() - float(stored["born"]) < seconds:
        ids, cards = [int(i) for i in stored["ids"]], [str(c) for c in stored["cards"]]
    else:
        ids, cards = _compute(user)
        value = json.dumps({"ids": ids, "cards": cards, "born": wall_clock()})
        try:
            pipe = redis.pipeline(transaction=False)
            pipe.hset(key, variant, value)
            pipe.expire(key, seconds)
            pipe.execute()
        except RedisError:
            log.warning("suggestion cache unreachable: this user's suggestions are not kept")
    # Our own autoescaped card template's output, kept in our Redis (as the spliced cards are).
    return KeptSuggestions(frozenset(ids), tuple(Markup(card) for card in cards))  # noqa: S704


__all__ = ["KeptSuggestions", "kept_suggestions"]
