"""A per-process bound on work that needs a lot of memory at once: argon2 hashes and decoding
pictures.

A 512 MB dyno runs a master and two gunicorn workers of 4 threads each: eight such tasks at
once, each holding its buffers, overran it (16 logins took a worker from ~120 to ~385 MB).
Each task takes one of the process's MEMORY_HEAVY_TASKS_AT_ONCE slots (konexi/config.py; one by
default) and the other threads wait their turn: a hash takes ~30 ms, a picture 0.1-0.3 s, and a
worker has only 4 threads, so the wait stays short.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

from flask import current_app, has_app_context

from konexi.config import SETTINGS_BY_NAME

SETTING = "MEMORY_HEAVY_TASKS_AT_ONCE"
_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def _slots_for_this_process() -> threading.BoundedSemaphore:
    """The process's semaphore, sized by the app's config (one app per process in production;
    tests build apps with other sizes, each size gets its own)."""
    size = cast(int, SETTINGS_BY_NAME[SETTING].default)
    if has_app_context():
        size = current_app.config[SETTING]
    with _slots_lock:
        return _slots.setdefault(size, threading.BoundedSemaphore(size))


@contextmanager
def one_heavy_task() -> Iterator[None]:
    """Run the block while holding one of the process's memory-heavy slots."""
    with _slots_for_this_process():
        yield
