"""The benchmark harness keeps working: ``python -m bench.run --quick`` end to end.

The quick run starts its own Redis, PostgreSQL and gunicorn, seeds a tiny data set, drives
Chromium once without throttling and loads the apps for two seconds with the Python generator.
Its figures mean nothing; what is checked is that every budget row of issue 6 gets one, and that
the claim race it runs over HTTP gave out exactly what was left.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.run import ROW_KEYS

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    output = tmp_path_factory.mktemp("bench") / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(output.read_text())
    report["stdout"] = done.stdout
    return report


def test_the_quick_run_reports_every_budget_row(quick_report: dict) -> None:
    rows = {row["key"]: row for row in quick_report["rows"]}

    assert list(rows) == list(ROW_KEYS)
    failed = {key: row["note"] for key, row in rows.items() if row["measured"] is None}
    assert failed == {}
    for key, row in rows.items():
        assert row["budget"] and row["what"], key
        assert row["met"] in (True, False, None), key
        assert key in quick_report["stdout"]  # the printed table has the row too


def test_the_quick_claim_race_gives_out_exactly_what_was_left(quick_report: dict) -> None:
    claims = quick_report["results"]["claims"]

    assert claims["errors"] == 0, claims.get("error_samples")
    assert claims["succeeded"] == claims["left"] == claims["claims_in_database"]
    assert claims["succeeded"] + claims["refused"] == claims["claimers"]
    assert claims["quota_claimed_equals_total"] is True


def test_the_quick_run_measured_real_pages(quick_report: dict) -> None:
    pages = quick_report["results"]["pages"]
    first = pages["weight"]["first_visit"]

    assert first["page_requests"] >= 1 and first["page_bytes"] > 1000
    assert pages["fragment"]["status"] == 200 and pages["fragment"]["cards"] == 10
    assert pages["usable"]["htmx_loaded"] and pages["usable"]["first_card_present"]
    assert quick_report["results"]["throughput"]["feed"]["non_success"] == 0
    purge = quick_report["results"]["purge"]
    for backend in ("sqlite", "postgres"):
        assert purge[backend]["purged"] == purge[backend]["accounts"]
        assert purge[backend]["left_behind"] == 0
