"""Where a visitor goes next: a safe local ``next`` path, and the page to return to once verified.

Kept apart from the views so that any blueprint (and both auth modules) can use it without
importing the other's routes.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import session

AFTER_VERIFY = "after_verify"


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site (never another host), else None."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def remember_destination(path: str | None) -> None:
    """Where to go once verified (a local path), e.g. the voucher a user tried to claim."""
    target = safe_next(path)
    if target:
        session[AFTER_VERIFY] = target
