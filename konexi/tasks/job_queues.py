"""What the background jobs are doing, for the platform admin's queue page.

Read from RQ's own registries (queued, started, failed, scheduled). A job's arguments are never
read: jobs take ids, but a failed job's record is still nobody's business on a web page, and
the exception's last line is cut and scrubbed of email addresses and long numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

from konexi.tasks.queue import QUEUE_NAMES
from konexi.tasks.schedule import PERIODIC_QUEUE, SCHEDULE, Recurring

LATEST_FAILED = 5
MAX_ERROR_LENGTH = 200
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_LONG_NUMBER = re.compile(r"\+?\d[\d ]{5,}\d")


@dataclass(frozen=True)
class FailedJob:
    function: str
    failed_at: datetime | None
    error: str


@dataclass(frozen=True)
class QueueState:
    name: str
    queued: int
    started: int
    failed: int
    scheduled: int
    latest_failed: list[FailedJob] = field(default_factory=list)


@dataclass(frozen=True)
class QueuesOverview:
    """``inline``: no Redis, jobs run in the web process; ``reachable``: Redis answered."""

    inline: bool
    reachable: bool
    queues: list[QueueState]
    cron_queue: str = PERIODIC_QUEUE
    cron: tuple[Recurring, ...] = SCHEDULE


def scrub(text: str) -> str:
    """Hide email addresses and phone-like numbers an exception message may quote."""
    return _LONG_NUMBER.sub("…", _EMAIL.sub("…", text))


def last_line(traceback_text: str | None) -> str:
    """The exception's own line (the last of its traceback), scrubbed and cut short."""
    lines = [line.strip() for line in (traceback_text or "").splitlines() if line.strip()]
    if not lines:
        return ""
    line = scrub(lines[-1])
    return line if len(line) <= MAX_ERROR_LENGTH else line[: MAX_ERROR_LENGTH - 1] + "…"


def _error_of(job: Job) -> str:
    result = job.latest_result()
    text = result.exc_string if result is not None else None
    return last_line(text or getattr(job, "_exc_info", None))


def _latest_failed(registry: FailedJobRegistry, connection: Redis, limit: int) -> list[FailedJob]:
    # Scores are "failed at + failure TTL", the same TTL for every job: highest is newest.
    ids = registry.get_job_ids(0, limit - 1, desc=True)
    found = [job for job in Job.fetch_many(ids, connection=connection) if job is not None]
    return [FailedJob(job.func_name or "?", job.ended_at, _error_of(job)) for job in found]


def queue_state(name: str, connection: Redis, latest: int = LATEST_FAILED) -> QueueState:
    """Counts of one queue's jobs by state, and its latest failures (newest first)."""
    queue = Queue(name, connection=connection)
    failed = FailedJobRegistry(queue=queue)
    return QueueState(
        name=name,
        queued=queue.count,
        started=StartedJobRegistry(queue=queue).count,
        failed=failed.count,
        scheduled=ScheduledJobRegistry(queue=queue).count,
        latest_failed=_latest_failed(failed, connection, latest),
    )


def queues_overview(connection: Redis | None) -> QueuesOverview:
    """Every queue's state; without Redis (jobs in-process) or when it is down, no counts."""
    if connection is None:
        return QueuesOverview(inline=True, reachable=False, queues=[])
    try:
        queues = [queue_state(name, connection) for name in QUEUE_NAMES]
    except RedisError:
        return QueuesOverview(inline=False, reachable=False, queues=[])
    return QueuesOverview(inline=False, reachable=True, queues=queues)
