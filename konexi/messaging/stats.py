"""Counters of the delivery events an operator must see: ambiguous sends and what became of them.

An ambiguous attempt (a read timeout, a worker killed mid-send) may or may not have reached
Twilio. Before sending such a row again, delivery asks Twilio whether it already has the
message; each outcome is counted here (in Redis, shared by every worker) and logged.
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

from konexi.tasks.queue import redis_connection

log = logging.getLogger(__name__)

STATS_KEY = "konexi:outbox:stats"
# ambiguous: an attempt that may have reached the provider;
# reconciled: the provider had it already, so it was marked sent without a second send;
# resent: the provider did not have it, so it was sent again (a duplicate only if the
# provider's own list was incomplete).
EVENTS = ("ambiguous", "reconciled", "resent")


def count(event: str, message_id: int) -> None:
    """Add one ``event`` (see EVENTS) to the shared counters and log it with the row's id."""
    log.warning("outbox %s: delivery event %s", message_id, event)
    connection = redis_connection()
    if connection is None:
        return
    try:
        connection.hincrby(STATS_KEY, event, 1)
    except RedisError:
        log.warning("outbox %s: could not count %s in Redis", message_id, event)


def delivery_stats() -> dict[str, int]:
    """Each counter's value (0 when Redis is not used or unreachable)."""
    connection = redis_connection()
    values: dict[str, int] = dict.fromkeys(EVENTS, 0)
    if connection is None:
        return values
    try:
        stored = connection.hgetall(STATS_KEY)
    except RedisError:
        return values
    for key, value in stored.items():
        name = key.decode() if isinstance(key, bytes) else str(key)
        if name in values:
            values[name] = int(value)
    return values
