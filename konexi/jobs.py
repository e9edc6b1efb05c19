"""Old names of the RQ jobs, kept only for jobs queued before they moved to their domains.

RQ stores a job by the dotted path of its function, and jobs waiting in Redis at a deploy (the
outbox's deliveries and retries, unsubscribes, data exports, the cron's periodic runs) still say
``konexi.jobs.<name>``. Each name below resolves to the job in its domain module, where new code
enqueues and schedules it. Nothing in ``konexi`` imports this module; add no new job here. Once a
release has run long enough for every job queued before it to finish or expire (failed jobs are
kept 7 days: ``konexi.tasks.queue.FAILURE_TTL``), this module can go.
"""

from __future__ import annotations

from konexi.messaging.jobs import deliver_message, sweep_outbox
from konexi.services.catalogue.jobs import send_weekly_digests
from konexi.services.privacy.jobs import (
    build_data_export,
    delete_expired_exports,
    process_unsubscribe,
    purge_accounts,
    purge_old_records,
    requeue_stalled_exports,
)
from konexi.services.sharing.jobs import scrub_share_contacts

__all__ = [
    "build_data_export",
    "delete_expired_exports",
    "deliver_message",
    "process_unsubscribe",
    "purge_accounts",
    "purge_old_records",
    "requeue_stalled_exports",
    "scrub_share_contacts",
    "send_weekly_digests",
    "sweep_outbox",
]
