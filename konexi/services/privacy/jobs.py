"""The privacy domain's RQ jobs: unsubscribes, purges, retention and data exports.

Each takes ids only (a failed job kept in Redis holds nothing about a person), reloads what it
needs and is safe to run twice. The recurring ones are declared in ``konexi/tasks/schedule.py``.
"""

from __future__ import annotations

from konexi.services.privacy import export_jobs, purge, retention, unsubscribe
from konexi.tasks.queue import enqueue


def process_unsubscribe(user_id: int) -> bool:
    """Turn a user's marketing email off and suppress their address (one-click unsubscribe)."""
    return unsubscribe.process_unsubscribe(user_id)


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
