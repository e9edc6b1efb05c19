"""The benchmark harness keeps working: ``python -m bench.run --quick`` end to end.

The quick run starts its own Redis, PostgreSQL and gunicorn, seeds a tiny data set, drives
Chromium once without throttling and loads the apps for two seconds with the Python generator.
Its figures mean nothing; what is checked is that every budget row gets one, that the claim race
it runs over HTTP gave out exactly what was left, and that the rows added for scaling past one
dyno measured what they say: a signed-in load that stayed signed in and off the page cache, two
gunicorn masters sharing one copy, and a claim curve whose ledger adds up.
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


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def test_the_quick_run_measures_the_rows_past_one_dyno(quick_report: dict) -> None:
    rows = {row["key"]: row for row in quick_report["rows"]}

    for key in (
        "throughput_signed_in_ratio",
        "throughput_anonymous_uncached_ratio",
        "shared_cache_hit_rate",
        "claim_capacity",
    ):
        assert _number(rows[key]["measured"]), (key, rows[key]["note"])
    assert "claim curve" in quick_report["stdout"]


def test_the_signed_in_and_uncached_loads_never_came_from_the_page_cache(
    quick_report: dict,
) -> None:
    results = quick_report["results"]
    signed_in = results["throughput_signed_in"]
    uncached = results["throughput_uncached"]

    assert signed_in["users"] == signed_in["feed"]["connections"] >= 2
    assert "a session cookie per connection" in signed_in["feed"]["generator"]
    for load in (signed_in, uncached):
        assert load["cache_hits_during_load"] == 0
        assert load["feed"]["requests"] > 0 and load["feed"]["non_success"] == 0
    # The same count on the cached anonymous feed of the same server: the counter sees hits.
    assert results["throughput"]["cache_hits_during_load"] > 0


def test_two_gunicorn_masters_share_the_rendered_page(quick_report: dict) -> None:
    shared = quick_report["results"]["shared_cache"]

    assert shared["dynos"] == 2
    assert all(dyno["requests_logged"] > 0 for dyno in shared["per_dyno"])
    assert 1 <= shared["renders"] < shared["requests"]
    assert shared["non_success"] == 0


def test_the_claim_curve_and_the_sweep_keep_an_exact_ledger(quick_report: dict) -> None:
    results = quick_report["results"]
    levels = results["capacity"]["levels"]
    settings = results["sweep"]["settings"]

    assert [level["claimers"] for level in levels] == [2, 4]
    assert settings and all("error" not in setting for setting in settings)
    for level in [*levels, *settings]:
        assert level["errors"] == 0, level["error_samples"]
        assert level["succeeded"] > 0 and level["exact"] is True
        assert level["claims_in_database"] == level["succeeded"] == level["quota_claimed"]
    for setting in settings:
        assert setting["peak_pss_mb"] > 0 and setting["peak_rss_mb"] >= setting["peak_pss_mb"]
