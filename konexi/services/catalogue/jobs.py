"""The catalogue's RQ jobs (recurring: ``konexi/tasks/schedule.py``)."""

from __future__ import annotations

from konexi.services.catalogue import digest


def send_weekly_digests() -> int:
    """Send this ISO week's marketing digest to every user who wants it (once per week)."""
    return digest.send_weekly_digests()
