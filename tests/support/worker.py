"""Running queued jobs in the test process (no tests here)."""

from __future__ import annotations

from redis import Redis
from rq import SimpleWorker


def run_worker_until_idle(redis_url: str) -> None:
    """What `python worker.py` does, in this process: run every queued job, then stop."""
    SimpleWorker(["sms", "email", "default"], connection=Redis.from_url(redis_url)).work(burst=True)
