"""RQ job functions. Each takes ids only, reloads what it needs, and is safe to run twice.

Workers import them by dotted path (``konexi.jobs.deliver_message``), and jobs already waiting
in Redis at a deploy carry those paths: keep the names stable. Recurring jobs are declared in
``konexi/tasks/schedule.py``. Nothing below this module imports it (the outbox enqueues delivery
by its dotted path), so the services are imported here at the top. Jobs run inside the app
context that ``worker.py`` (or, without Redis, the request) provides.
"""

from __future__ import annotations

from konexi.messaging import delivery, sweeper
from konexi.services.catalogue import digest
from konexi.services.privacy import export_jobs, purge, retention, unsubscribe
from konexi.services.sharing import sharing
from konexi.tasks.queue import enqueue


def deliver_message(message_id: int) -> str:
    """Send one outbox row through Twilio or SMTP (or keep it in the dev outbox), at most once."""
    return delivery.deliver(message_id)


def sweep_outbox() -> int:
    """Re-enqueue outbox rows that are due but not queued (after a Redis outage or a crash)."""
    return sweeper.sweep_outbox()


def scrub_share_contacts() -> int:
    """Redact friends' phone numbers and emails from share messages whose delivery is final."""
    return sharing.scrub_share_contacts()


def process_unsubscribe(user_id: int) -> bool:
    """Turn a user's marketing email off and suppress their address (one-click unsubscribe)."""
    return unsubscribe.process_unsubscribe(user_id)


def send_weekly_digests() -> int:
    """Send this ISO week's marketing digest to every user who wants it (once per week)."""
    return digest.send_weekly_digests()


def purge_accounts() -> dict[str, object]:
    """Purge the accounts whose deletion grace period has ended; fraud holds are kept and listed."""
    report = purge.purge_due_accounts()
    return {"purged": report.purged_count, "held_ids": report.held_ids}


def purge_old_records() -> dict[str, int]:
    """Delete old verification codes and final outbox messages past their retention period,
    and clear the limit hashes of old shares."""
    report = retention.purge_old_records()
    return {
        "codes": report.codes,
        "messages": report.messages,
        "share_hashes": report.share_hashes,
    }


def build_data_export(export_id: int) -> str:
    """Build a large "download my data" file and email its owner the link (by export id)."""
    return export_jobs.build_export(export_id)


def delete_expired_exports() -> int:
    """Delete data-export files whose one-hour download window has passed."""
    return export_jobs.delete_expired_exports()


def requeue_stalled_exports() -> int:
    """Queue a new build for each data export whose job was lost or killed; returns the count."""
    ids = export_jobs.stalled_export_ids()
    for export_id in ids:
        enqueue(build_data_export, export_id, queue_name="default")
    return len(ids)
