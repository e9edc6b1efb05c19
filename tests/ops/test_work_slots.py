"""Memory-heavy work is bounded per process: argon2 hashes and picture decodes together never
run more than MEMORY_HEAVY_TASKS_AT_ONCE at a time, however many threads ask."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable

from argon2 import PasswordHasher
from PIL import Image as PILImage
from PIL import ImageFile

from konexi.services.accounts.passwords import _hasher_for, hash_password, verify_password
from konexi.services.images import process_image
from tests.support.app import TEST_PASSWORD

THREADS = 12


class PeakCounter:
    """Wraps third-party calls (argon2-cffi's hash/verify, Pillow's pixel decoding) to count
    how many run at the same moment; each call still does its real work."""

    def __init__(self, monkeypatch) -> None:
        self.running = self.peak = 0
        self.lock = threading.Lock()
        for owner, name in (
            (PasswordHasher, "hash"),
            (PasswordHasher, "verify"),
            (ImageFile.ImageFile, "load"),
        ):
            monkeypatch.setattr(owner, name, self._counted(getattr(owner, name)))

    def _counted(self, original: Callable) -> Callable:
        def counted(*args, **kwargs):
            with self.lock:
                self.running += 1
                self.peak = max(self.peak, self.running)
            try:
                time.sleep(0.02)  # long enough for every waiting thread to arrive
                return original(*args, **kwargs)
            finally:
                with self.lock:
                    self.running -= 1

        return counted


def _jpeg() -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (1280, 720), (30, 120, 200)).save(out, "JPEG", quality=60)
    return out.getvalue()


def _all_at_once(app, tasks: list[Callable[[], object]]) -> list[object]:
    barrier = threading.Barrier(len(tasks))
    results: list[object] = []

    def run(task: Callable[[], object]) -> None:
        with app.app_context():
            barrier.wait(timeout=10)
            results.append(task())

    threads = [threading.Thread(target=run, args=(task,)) for task in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_logins_and_uploads_together_never_exceed_the_process_slots(app_factory, monkeypatch):
    stored = _hasher_for("testing")[0].hash(TEST_PASSWORD)
    upload = _jpeg()
    tasks: list[Callable[[], object]] = [
        # An unknown account verifies against a dummy hash made at the process's first login,
        # when every thread may arrive at once: that hash takes a slot too.
        lambda: verify_password(None, TEST_PASSWORD) is False,
        lambda: verify_password(stored, TEST_PASSWORD),
        lambda: hash_password("kopi susu").startswith("$argon2id$"),
        lambda: process_image(upload).width == 640,
    ] * (THREADS // 4)
    for allowed in (1, 2):
        _hasher_for.cache_clear()
        counter = PeakCounter(monkeypatch)
        app = app_factory(MEMORY_HEAVY_TASKS_AT_ONCE=str(allowed))

        results = _all_at_once(app, tasks)

        assert results == [True] * THREADS  # every login and upload still got its answer
        assert counter.peak == allowed
        monkeypatch.undo()
