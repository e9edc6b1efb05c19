"""Every recurring job, declared in one place with RQ's cron (``rq.cron.register``).

``worker.py`` loads this module into RQ's CronScheduler, which enqueues each job on its queue
when due (an ``interval`` job also runs once at start). Recurring jobs must be idempotent: a
second worker process runs its own cron, and a run may overlap the next.
"""

from __future__ import annotations

from rq import cron

from konexi import jobs
from konexi.queue import FAILURE_TTL

PERIODIC_QUEUE = "periodic"
SHORT_RESULT_TTL = 600  # a periodic job's result matters only until its next run

cron.register(
    jobs.sweep_outbox,
    PERIODIC_QUEUE,
    interval=60,
    job_timeout=300,
    result_ttl=SHORT_RESULT_TTL,
    failure_ttl=FAILURE_TTL,
    name="sweep_outbox",
)
cron.register(
    jobs.scrub_share_contacts,
    PERIODIC_QUEUE,
    cron="23 * * * *",  # hourly: a friend's contact outlives its final delivery by at most an hour
    job_timeout=300,
    result_ttl=SHORT_RESULT_TTL,
    failure_ttl=FAILURE_TTL,
    name="scrub_share_contacts",
)
cron.register(
    jobs.send_weekly_digests,
    PERIODIC_QUEUE,
    cron="0 2 * * 1",  # Mondays 02:00 UTC = 09:00 WIB; once per ISO week per user
    job_timeout=3600,
    result_ttl=SHORT_RESULT_TTL,
    failure_ttl=FAILURE_TTL,
    name="send_weekly_digests",
)
cron.register(
    jobs.purge_accounts,
    PERIODIC_QUEUE,
    cron="17 3 * * *",  # daily: a deleted account outlives its grace period by at most a day
    job_timeout=1800,
    result_ttl=SHORT_RESULT_TTL,
    failure_ttl=FAILURE_TTL,
    name="purge_accounts",
)
cron.register(
    jobs.purge_old_records,
    PERIODIC_QUEUE,
    cron="41 3 * * *",  # daily: codes older than a day, final outbox rows older than 90 days
    job_timeout=1800,
    result_ttl=SHORT_RESULT_TTL,
    failure_ttl=FAILURE_TTL,
    name="purge_old_records",
)
cron.register(
    jobs.delete_expired_exports,
    PERIODIC_QUEUE,
    cron="*/10 * * * *",  # a data-export file outlives its one-hour link by at most 10 minutes
    job_timeout=300,
    result_ttl=SHORT_RESULT_TTL,
    failure_ttl=FAILURE_TTL,
    name="delete_expired_exports",
)
