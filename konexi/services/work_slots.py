"""Per-process bounds on work that needs a lot of memory at once (argon2, decoding pictures).

A 512 MB dyno runs a master and two gunicorn workers of 4 threads each: eight such requests at
once, each holding its buffers, would overrun it. Each kind of work takes one of a fixed number
of slots in its process (a setting, see konexi/config.py) and the other threads wait; the wait is
short (a hash ~30 ms, a picture ~0.1-0.3 s) and bounded by the worker's few threads.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, has_app_context

from konexi.config import RESOURCE_DEFAULTS

_slots: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def slots(setting: str) -> threading.BoundedSemaphore:
    """The process's semaphore for ``setting`` (sized by the app's config, else the default)."""
    size = RESOURCE_DEFAULTS[setting]
    if has_app_context():
        size = int(current_app.config.get(setting) or size)
    with _slots_lock:
        return _slots.setdefault((setting, size), threading.BoundedSemaphore(size))


@contextmanager
def one_slot_of(setting: str) -> Iterator[None]:
    """Run the block while holding one of the process's ``setting`` slots."""
    with slots(setting):
        yield
