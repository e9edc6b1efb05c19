"""The web dyno's memory under a burst: concurrent logins and picture uploads against gunicorn.

gunicorn runs with the app's own ``gunicorn.conf.py`` (2 workers x 4 threads, preload). Users
with real argon2 hashes log in through the login form and verified users upload profile
pictures, all released at one instant by a barrier, while a thread samples the resident set
(``VmRSS`` in /proc/<pid>/status) of the master and every worker every few milliseconds. The
figure is the peak of master + workers together (the dyno's limit counts them all); each
process's own high-water mark (``VmHWM``) is reported beside it.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
from flask import Flask
from sqlalchemy import func, insert, select

from bench.claims import _csrf, signed_session

MB = 1024 * 1024
BUDGET_MB = 450  # master + workers on a 512 MB dyno, with room for the platform's own
BURST_PASSWORD = "memory-burst-password"  # noqa: S105 - a throwaway bench password


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (gunicorn's workers of its master)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def wait_for_workers(master_pid: int, count: int, timeout: float = 60.0) -> list[int]:
    """The master's workers, once all ``count`` of them have been forked."""
    deadline = time.monotonic() + timeout
    while (workers := children(master_pid)) and len(workers) < count or not workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn {master_pid} has {len(workers)} of {count} workers")
        time.sleep(0.05)
    return workers


def status_kb(pid: int, field: str) -> int:
    """A ``kB`` figure of /proc/<pid>/status (VmRSS, VmHWM); 0 once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kb(pid: int) -> int:
    """The proportional set size of a process (kB, /proc/<pid>/smaps_rollup): its private pages
    plus its share of the pages it shares with the master; the sum over master and workers is
    what they really take together. 0 once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssSampler:
    """Samples the summed RSS (or what ``read`` returns, in kB) of some processes until
    stopped; keeps the peak."""

    def __init__(
        self,
        pids: list[int],
        interval: float = 0.01,
        read: Callable[[int], int] = lambda pid: status_kb(pid, "VmRSS"),
    ) -> None:
        self.pids = pids
        self.interval = interval
        self.read = read
        self.peak_total_kb = 0
        self.peak_kb = dict.fromkeys(pids, 0)
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            sizes = {pid: self.read(pid) for pid in self.pids}
            self.peak_total_kb = max(self.peak_total_kb, sum(sizes.values()))
            for pid, size in sizes.items():
                self.peak_kb[pid] = max(self.peak_kb[pid], size)
            self.samples += 1
            time.sleep(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def png(width: int, height: int) -> bytes:
    """An RGBA PNG of that size that compresses to a few dozen KB (as a bomb-ish upload does)."""
    from PIL import Image, ImageDraw

    picture = Image.new("RGBA", (width, height), (250, 200, 40, 255))
    draw = ImageDraw.Draw(picture)
    for n in range(8):
        box = (n * width // 9, n * height // 9, (n + 2) * width // 9, (n + 2) * height // 9)
        draw.ellipse(box, fill=(n * 30, 90, 200 - n * 20, 128 + n * 10))
    out = io.BytesIO()
    picture.save(out, "PNG", optimize=True)
    return out.getvalue()


def add_people(app: Flask, prefix: str, count: int, *, password_hash: str) -> list[str]:
    """``count`` verified users sharing one password hash; their emails."""
    from konexi.extensions import db
    from konexi.models import User
    from konexi.models.base import utcnow

    emails = [f"{prefix}{n}@memory.konexi.test" for n in range(count)]
    now = utcnow()
    with app.app_context():
        first = db.session.scalar(select(func.count()).select_from(User))
        db.session.execute(
            insert(User),
            [
                {
                    "name": f"Burst {prefix} {n}",
                    "email": email,
                    "phone": f"+62813{first + n:07d}",
                    "password_hash": password_hash,
                    "phone_verified_at": now,
                    "email_verified_at": now,
                }
                for n, email in enumerate(emails)
            ],
        )
        db.session.commit()
        db.session.remove()
    return emails


def _login_request(base_url: str, email: str) -> Callable[[], int]:
    session = requests.Session()
    token = _csrf(session.get(f"{base_url}/login", timeout=60).text)

    def send() -> int:
        data = {"csrf_token": token, "identifier": email, "password": BURST_PASSWORD}
        response = session.post(f"{base_url}/login", data=data, allow_redirects=False, timeout=60)
        return response.status_code

    return send


def _upload_request(app: Flask, base_url: str, email: str, upload: bytes) -> Callable[[], int]:
    session = signed_session(app, base_url, email)
    token = _csrf(session.get(f"{base_url}/account/profile", timeout=60).text)

    def send() -> int:
        response = session.post(
            f"{base_url}/account/profile/picture",
            data={"csrf_token": token},
            files={"picture": ("picture.png", upload, "image/png")},
            allow_redirects=False,
            timeout=60,
        )
        return response.status_code

    return send


def release_together(requests_to_send: list[Callable[[], int]]) -> tuple[list[int], float]:
    """Send every request at one instant (one thread each); the statuses and the seconds."""
    barrier = threading.Barrier(len(requests_to_send))

    def run(send: Callable[[], int]) -> int:
        barrier.wait(timeout=60)
        try:
            return send()
        except requests.RequestException:
            return 0

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(requests_to_send)) as pool:
        statuses = list(pool.map(run, requests_to_send))
    return statuses, time.perf_counter() - started


def measure_burst(
    app: Flask,
    base_url: str,
    master_pid: int,
    *,
    workers: int,
    logins: list[str],
    uploads: list[tuple[str, bytes]],
) -> dict[str, Any]:
    """Log ``logins`` in and upload each (email, picture) at once; RSS of master + workers."""
    worker_pids = wait_for_workers(master_pid, workers)
    for _ in range(4 * workers):  # warm every worker up (templates, first queries)
        requests.get(f"{base_url}/login", timeout=60)
    pids = [master_pid, *worker_pids]
    before = {pid: status_kb(pid, "VmRSS") for pid in pids}
    prepared = [_login_request(base_url, email) for email in logins]
    with app.app_context():
        prepared += [_upload_request(app, base_url, email, data) for email, data in uploads]
    with RssSampler(pids) as sampler:
        statuses, seconds = release_together(prepared)
        time.sleep(0.2)  # memory freed after the last answer is not part of the peak
    after = {pid: status_kb(pid, "VmRSS") for pid in pids}
    high_water = {pid: status_kb(pid, "VmHWM") for pid in pids}
    return {
        "workers": workers,
        "logins": len(logins),
        "uploads": len(uploads),
        "login_statuses": statuses[: len(logins)],
        "upload_statuses": statuses[len(logins) :],
        "seconds": round(seconds, 2),
        "samples": sampler.samples,
        "before_total_mb": round(sum(before.values()) / 1024, 1),
        "peak_total_mb": round(sampler.peak_total_kb / 1024, 1),
        "after_total_mb": round(sum(after.values()) / 1024, 1),
        "master_peak_mb": round(sampler.peak_kb[master_pid] / 1024, 1),
        "worker_peaks_mb": [round(sampler.peak_kb[pid] / 1024, 1) for pid in worker_pids],
        "worker_high_water_mb": [round(high_water[pid] / 1024, 1) for pid in worker_pids],
        "worker_before_mb": [round(before[pid] / 1024, 1) for pid in worker_pids],
        "budget_mb": BUDGET_MB,
    }
