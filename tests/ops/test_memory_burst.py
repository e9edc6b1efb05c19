"""A burst of picture uploads against the real web process (gunicorn with gunicorn.conf.py:
2 workers x 4 threads, preload) keeps every worker inside its share of the 512 MB dyno.

Eight 70 KB 16-megapixel PNGs at once used to take two workers to 464 and 319 MB. Now a
picture over the 4 MP ceiling is refused before its pixels are decoded, and the largest ones
that are accepted are decoded one at a time per worker. The resident set of the master and of
each worker is sampled every 10 ms during the burst (and each one's VmHWM read after it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.memory import BUDGET_MB, add_people, measure_burst, png
from bench.servers import Gunicorn
from tests.support.app import base_environ

pytestmark = pytest.mark.slow

WORKERS = 2  # gunicorn.conf.py's default (WEB_CONCURRENCY)


def test_parallel_16_megapixel_uploads_keep_every_worker_inside_its_budget(
    app_factory, smtp_server, fake_twilio, database_url, tmp_path: Path
):
    app = app_factory()
    people = add_people(app, "uploader", 8, password_hash="unused")
    # gunicorn.conf.py's own defaults, whatever the environment running the tests says.
    environ = {
        **base_environ(database_url, smtp_server, fake_twilio),
        "WEB_CONCURRENCY": str(WORKERS),
        "GUNICORN_THREADS": "4",
    }
    server = Gunicorn("wsgi:app", environ, tmp_path / "gunicorn.log")
    server.start("/healthz")
    try:
        bomb_ish = png(4000, 4000)  # 16 MP that compresses to ~100 KB
        largest_accepted = png(2400, 1600)  # 3.84 MP RGBA: the costliest picture still decoded
        assert len(bomb_ish) < 150_000
        result = measure_burst(
            app,
            server.url,
            server.process.pid,
            workers=WORKERS,
            logins=[],
            uploads=[(email, bomb_ish) for email in people]
            + [(email, largest_accepted) for email in people],
        )
    finally:
        server.stop()

    print(f"\nFIGURES memory-burst: {result}")
    assert result["upload_statuses"] == [422] * 8 + [303] * 8, server.log_errors()
    # Each worker's share: what the master leaves of the dyno's budget, split evenly.
    worker_budget = (BUDGET_MB - result["master_peak_mb"]) / WORKERS
    for peak in (*result["worker_peaks_mb"], *result["worker_high_water_mb"]):
        assert peak < worker_budget, result
    assert result["peak_total_mb"] <= BUDGET_MB
