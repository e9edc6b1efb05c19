"""Timing the nearby feed query: dense Jakarta, mid-size Makassar, sparse Central Kalimantan and a
point at sea, page 1 and page 3, median and p95 in milliseconds.

    python -m bench.nearby                       # SQLite, 10k and 100k vouchers
    python -m bench.nearby --vouchers 10000,100000,1000000
    BENCH_POSTGRES_URL=postgresql://… python -m bench.nearby   # PostgreSQL too ("auto" starts
                                                               # a throwaway cluster)

Each size gets a throwaway database: migrated with the Alembic migrations, seeded by
``bench.dataset`` (the seeding time is reported too). The table goes to stdout, the figures to
``bench/results/nearby.json``.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from flask import Flask

from konexi.services.catalogue.geo import Point

RESULTS = Path(__file__).resolve().parent / "results" / "nearby.json"
ORIGINS: dict[str, Point] = {
    "jakarta (dense)": Point(-6.18, 106.83),
    "makassar (mid)": Point(-5.15, 119.43),
    "central kalimantan (sparse)": Point(-1.5, 113.9),
    "banda sea (at sea)": Point(-6.0, 126.0),
}
PAGES = (1, 3)


def _percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def run(
    app: Flask,
    origins: dict[str, Point] | None = None,
    repeats: int = 50,
    pages: Sequence[int] = PAGES,
) -> dict[str, dict[str, float]]:
    """Time ``nearest_live_vouchers`` for each origin and page: {"origin page N": figures}.

    Each case runs once to warm the caches, then ``repeats`` times, each in its own transaction
    with the connection already checked out (as in a request); figures are in ms, plus the
    number of SQL statements one call runs.
    """
    from sqlalchemy import event, text

    from konexi.extensions import db
    from konexi.services.catalogue.nearby import nearest_live_vouchers

    results: dict[str, dict[str, float]] = {}
    with app.app_context():
        statements: list[str] = []

        def record(*args: object) -> None:
            statements.append(str(args[2]))

        for name, origin in (origins or ORIGINS).items():
            for page in pages:
                nearest_live_vouchers(origin, page)
                db.session.rollback()
                timings = []
                for _ in range(repeats):
                    # A request has its connection by then (pool checkout and pre-ping are
                    # per request, not per query): start the transaction outside the timing.
                    db.session.execute(text("SELECT 1"))
                    started = time.perf_counter()
                    listing = nearest_live_vouchers(origin, page)
                    timings.append((time.perf_counter() - started) * 1000)
                    db.session.rollback()
                event.listen(db.engine, "before_cursor_execute", record)
                statements.clear()
                nearest_live_vouchers(origin, page)
                event.remove(db.engine, "before_cursor_execute", record)
                db.session.rollback()
                first = listing.items[0].distance_km if listing.items else None
                results[f"{name} page {page}"] = {
                    "median_ms": round(statistics.median(timings), 2),
                    "p95_ms": round(_percentile(timings, 0.95), 2),
                    "max_ms": round(max(timings), 2),
                    "queries": len(statements),
                    "items": len(listing.items),
                    "nearest_km": round(first, 1) if first is not None else -1.0,
                }
        db.session.remove()
    return results


def _plans(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _plans(child)


def branches_read(plan: dict[str, Any]) -> int:
    """How many branches a nearby plan took from its executed LIMITs over the branches (the
    KNN walk's nearest branches, or the box's)."""
    total = 0
    for node in _plans(plan):
        below = (node.get("Plans") or [{}])[0]
        if below.get("Node Type") == "Sort":  # the branches sorted rather than walked
            below = below["Plans"][0]
        if node["Node Type"] == "Limit" and node.get("Actual Loops"):
            total += node["Actual Rows"] if below.get("Relation Name") == "branches" else 0
    return total


def explain_nearby(origin: Point, page: int) -> list[dict[str, Any]]:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement one ``nearest_live_vouchers`` call runs
    (PostgreSQL), as it runs them: the plans' root nodes."""
    from sqlalchemy import event

    from konexi.extensions import db
    from konexi.services.catalogue.nearby import nearest_live_vouchers

    runs: list[tuple[str, Any]] = []

    def record(*args: object) -> None:
        runs.append((str(args[2]), args[3]))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        nearest_live_vouchers(origin, page)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    connection = db.session.connection()
    plans = []
    for statement, parameters in runs:
        explain = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement
        plan = connection.exec_driver_sql(explain, parameters).scalar_one()
        plans.append((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
    return plans


def plan_figures(app: Flask, pages: Sequence[int] = PAGES) -> dict[str, dict[str, int]]:
    """What each origin and page touches, load or not: shared buffers (hit + read) and the
    branches whose vouchers were looked up, from EXPLAIN (ANALYZE, BUFFERS)."""
    from konexi.extensions import db

    figures: dict[str, dict[str, int]] = {}
    with app.app_context():
        for name, origin in ORIGINS.items():
            for page in pages:
                plans = explain_nearby(origin, page)
                db.session.rollback()
                figures[f"{name} page {page}"] = {
                    "buffers": sum(p["Shared Hit Blocks"] + p["Shared Read Blocks"] for p in plans),
                    "branches_read": sum(branches_read(p) for p in plans),
                }
        db.session.remove()
    return figures


def measure_postgis_at_scale(
    url: str, branches: int, vouchers: int, repeats: int = 50, pages: Sequence[int] = PAGES
) -> dict[str, object]:
    """The PostGIS path on a large catalogue (``seed_large_postgres``): the seeding and each
    origin's figures; fails when the database answers with the portable search instead."""
    from bench.dataset import seed_large_postgres
    from bench.servers import build_app
    from konexi.extensions import db
    from konexi.services.catalogue.postgis import NearbyPath, nearby_path

    app = build_app(url)
    seeded = seed_large_postgres(app, branches=branches, vouchers=vouchers)
    with app.app_context():
        path = nearby_path(db.session)
        db.session.remove()
    if path is not NearbyPath.POSTGIS:
        raise RuntimeError(f"the database runs the {path} nearby search, not PostGIS")
    figures = run(app, repeats=repeats, pages=pages)
    for case, touched in plan_figures(app, pages).items():
        figures[case] = {**figures[case], **touched}
    with app.app_context():
        db.engine.dispose()
    return {"seeded": seeded, "path": str(path), **figures}


def _table(database: str, vouchers: int, seeded: dict, figures: dict) -> str:
    lines = [
        f"\n{database}, {vouchers:,} vouchers ({seeded.get('branches', 0):,} branches, "
        f"{seeded.get('links', 0):,} links; seeded in {seeded.get('seconds', 0)} s)",
        f"{'case':<40} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'queries':>8} "
        f"{'nearest km':>11}",
    ]
    for case, row in figures.items():
        lines.append(
            f"{case:<40} {row['median_ms']:>10.2f} {row['p95_ms']:>8.2f} {row['max_ms']:>8.2f} "
            f"{row['queries']:>8} {row['nearest_km']:>11}"
        )
    return "\n".join(lines)


def _measure(url: str, vouchers: int, branches: int, repeats: int) -> tuple[dict, dict]:
    from bench.dataset import seed
    from bench.servers import build_app

    app = build_app(url)
    seeded = seed(app, branches=branches, vouchers=vouchers, users=100)
    figures = run(app, repeats=repeats)
    with app.app_context():
        from konexi.extensions import db

        db.engine.dispose()
    return seeded, figures


def main(argv: list[str] | None = None) -> int:
    from bench import sweep

    return sweep.main(
        argv,
        description="Time the nearby feed query.",
        name="nearby",
        results=RESULTS,
        measure=_measure,
        table=_table,
    )


if __name__ == "__main__":
    raise SystemExit(main())
