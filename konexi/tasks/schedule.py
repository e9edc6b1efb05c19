"""Every recurring job, declared in one table and registered with RQ's cron (``rq.cron.register``).

``worker.py`` loads this module into RQ's CronScheduler, which enqueues each job on its queue
when due (an ``interval`` job also runs once at start). Recurring jobs must be idempotent: a
second worker process runs its own cron, and a run may overlap the next. A job that a deploy
kills (SIGTERM, then 20 s) is not retried by RQ: long jobs are scheduled to run again soon and
pick up where the killed run stopped (the digest hourly on Mondays, exports via their lease).
The platform admin's queue page lists ``SCHEDULE``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from rq import cron

from konexi.messaging import jobs as messaging_jobs
from konexi.services.catalogue import jobs as catalogue_jobs
from konexi.services.privacy import jobs as privacy_jobs
from konexi.services.sharing import jobs as sharing_jobs
from konexi.tasks.queue import FAILURE_TTL

PERIODIC_QUEUE = "periodic"
SHORT_RESULT_TTL = 600  # a periodic job's result matters only until its next run


@dataclass(frozen=True)
class Recurring:
    """One recurring job: every ``interval`` seconds, or at a ``cron`` time (UTC)."""

    name: str
    func: Callable[..., Any]
    job_timeout: int
    why: object  # a lazy translated string, shown on the admin's queue page
    cron: str | None = None
    interval: int | None = None


SCHEDULE: tuple[Recurring, ...] = (
    Recurring(
        "sweep_outbox",
        messaging_jobs.sweep_outbox,
        job_timeout=300,
        interval=60,
        why=_l("Messages left pending by a Redis outage or a dead worker are sent"),
    ),
    Recurring(
        "scrub_share_contacts",
        sharing_jobs.scrub_share_contacts,
        job_timeout=300,
        cron="23 * * * *",
        why=_l("Hourly: a friend's contact outlives its final delivery by at most an hour"),
    ),
    Recurring(
        "send_weekly_digests",
        catalogue_jobs.send_weekly_digests,
        job_timeout=3600,
        # Mondays 09:00-19:00 WIB, hourly: the first run sends, later ones finish a run that a
        # deploy killed (each user once per ISO week, so a complete run makes them no-ops).
        cron="0 2-12 * * 1",
        why=_l("Mondays from 09:00 WIB, hourly until everyone due has this week's digest"),
    ),
    Recurring(
        "purge_accounts",
        privacy_jobs.purge_accounts,
        job_timeout=1800,
        cron="17 3 * * *",
        why=_l("Daily: a deleted account outlives its grace period by at most a day"),
    ),
    Recurring(
        "purge_old_records",
        privacy_jobs.purge_old_records,
        job_timeout=1800,
        cron="41 3 * * *",
        why=_l("Daily: codes older than a day, final outbox rows older than 90 days"),
    ),
    Recurring(
        "delete_expired_exports",
        privacy_jobs.delete_expired_exports,
        job_timeout=300,
        cron="*/10 * * * *",
        why=_l("A data-export file outlives its one-hour link by at most 10 minutes"),
    ),
    Recurring(
        "requeue_stalled_exports",
        privacy_jobs.requeue_stalled_exports,
        job_timeout=300,
        cron="*/5 * * * *",
        why=_l("A data export whose job was lost or killed is built again"),
    ),
)

for recurring in SCHEDULE:
    cron.register(
        recurring.func,
        PERIODIC_QUEUE,
        interval=recurring.interval,
        cron=recurring.cron,
        job_timeout=recurring.job_timeout,
        result_ttl=SHORT_RESULT_TTL,
        failure_ttl=FAILURE_TTL,
        name=recurring.name,
    )
