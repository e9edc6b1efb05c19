"""The sharing domain's RQ jobs (recurring: ``konexi/tasks/schedule.py``)."""

from __future__ import annotations

from konexi.services.sharing import sharing


def scrub_share_contacts() -> int:
    """Redact friends' phone numbers and emails from share messages whose delivery is final."""
    return sharing.scrub_share_contacts()
