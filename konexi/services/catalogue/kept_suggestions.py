"""Where a signed-in user's "for you" suggestions are kept between pages, and their forgetting.

The feed keeps each user's suggestions (their ids and cards, per language and Save-Data) in
Redis for ``PAGE_CACHE_SECONDS`` (konexi/feed/suggestions.py), one hash per user. Whatever
changes what the rule would suggest to that user forgets them at once, after its commit: a
claim or a gift accepted (the voucher may now be used up, and it is a new signal), a claim
hidden or shown again, new favourite categories, personalisation turned off or on. What changes
for everybody (a voucher ending or running out) shows within ``PAGE_CACHE_SECONDS``, as the
cards' counts do; a claim always checks the quota and the per-user limit itself.
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

from konexi.tasks.queue import redis_connection

log = logging.getLogger(__name__)

PREFIX = "konexi:foryou:"


def suggestions_key(user_id: int) -> str:
    """The Redis hash holding one user's kept suggestions (a field per language and Save-Data)."""
    return f"{PREFIX}{user_id}"


def forget_suggestions(user_id: int) -> None:
    """Drop the user's kept suggestions: the next feed computes them afresh."""
    connection = redis_connection()
    if connection is None:
        return
    try:
        connection.delete(suggestions_key(user_id))
    except RedisError:  # kept at most PAGE_CACHE_SECONDS: the change shows by then
        log.warning("suggestion cache unreachable: kept suggestions expire by themselves")


__all__ = ["forget_suggestions", "suggestions_key"]
