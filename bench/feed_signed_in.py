"""Timing the signed-in feed ``/``: its listing, category chips and "for you" suggestions, for
users with different signals, median and p95 in milliseconds.

    python -m bench.feed_signed_in                        # SQLite, 10k and 100k vouchers
    python -m bench.feed_signed_in --vouchers 100000 --repeats 30
    BENCH_POSTGRES_URL=postgresql://… python -m bench.feed_signed_in   # PostgreSQL too ("auto"
                                                                      # starts a throwaway cluster)

Each size gets a throwaway database, migrated with the Alembic migrations and seeded by
``bench.dataset``; then a few bench users get favourite categories and claims (see ``PROFILES``).
For each profile the figures are:

- ``sql_ms``: the feed's SQL alone. Every statement ``build_feed`` runs is captured once, then
  replayed on the raw DB-API connection (execute and fetch every row), and the replays are timed
  together, so ORM object building and Python are left out;
- ``feed_ms``: the whole ``build_feed`` call (SQL plus SQLAlchemy and Python);
- ``for_you_ms``: ``recommendations.for_you`` alone;
- ``queries``: the statements one ``build_feed`` runs.

The table goes to stdout, the figures to ``bench/results/feed_signed_in.json``.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

from bench.dataset import _analyze
from konexi.services.catalogue.geo import Point

RESULTS = Path(__file__).resolve().parent / "results" / "feed_signed_in.json"
JAKARTA = Point(-6.18, 106.83)


@dataclass(frozen=True)
class Profile:
    """A bench user's signals: favourite category slugs and claims (where they come from)."""

    name: str
    favourites: tuple[str, ...] = ()
    claims: int = 0  # claims on random live vouchers of random companies
    claim_categories: tuple[str, ...] = ()  # ... limited to these categories, when given
    small_companies_only: bool = False  # ... of companies with few vouchers (rare signals)
    hidden_every: int = 0  # every n-th claim is hidden (0: none)
    niche: int = 0  # favours a new category holding only this many live vouchers
    personalisation: bool = True
    located: bool = False


PROFILES: tuple[Profile, ...] = (
    Profile("favourites only (food, beauty)", favourites=("food-drink", "beauty")),
    Profile("favourite + 20 claims", favourites=("fun",), claims=20, hidden_every=4),
    Profile(
        "rare: 1 claim, small company",
        claims=1,
        claim_categories=("education",),
        small_companies_only=True,
    ),
    Profile("niche: a category with 3 vouchers", niche=3),
    Profile("heavy: 300 claims", favourites=("travel",), claims=300, hidden_every=5),
    Profile("personalisation off", favourites=("food-drink",), claims=20, personalisation=False),
    Profile("located (Jakarta) + 20 claims", favourites=("fun",), claims=20, located=True),
)


def _percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _figures(samples: Sequence[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(samples), 2),
        "p95": round(_percentile(samples, 0.95), 2),
    }


def give_signals(app: Flask, profiles: Sequence[Profile], rng_seed: int = 11) -> dict[str, int]:
    """Give one bench user per profile its favourites, claims and settings: {profile: user id}."""
    from sqlalchemy import func, insert, select, update

    from konexi.extensions import db
    from konexi.models import Category, Claim, User, Voucher
    from konexi.models.base import utcnow
    from konexi.models.preferences import user_favourite_categories

    rng = random.Random(rng_seed)
    users: dict[str, int] = {}
    with app.app_context():
        categories = dict(db.session.execute(select(Category.slug, Category.id)).all())
        user_ids = list(db.session.scalars(select(User.id).order_by(User.id).limit(len(profiles))))
        now = utcnow()
        vouchers_per_company = dict(
            db.session.execute(
                select(Voucher.company_id, func.count()).group_by(Voucher.company_id)
            ).all()
        )
        live = db.session.execute(
            select(Voucher.id, Voucher.company_id, Voucher.category_id).where(
                Voucher.status == "live", Voucher.ends_at > now
            )
        ).all()
        next_code = 0
        for profile, user_id in zip(profiles, user_ids, strict=False):
            users[profile.name] = user_id
            for slug in profile.favourites:
                db.session.execute(
                    insert(user_favourite_categories).values(
                        user_id=user_id, category_id=categories[slug]
                    )
                )
            if profile.niche:
                _niche_category(user_id, rng.sample(live, profile.niche))
            wanted = {categories[slug] for slug in profile.claim_categories}
            pool = [
                row
                for row in live
                if (not wanted or row.category_id in wanted)
                and (not profile.small_companies_only or vouchers_per_company[row.company_id] <= 3)
            ]
            for n, row in enumerate(rng.sample(pool, min(profile.claims, len(pool)))):
                next_code += 1
                hidden = profile.hidden_every and n % profile.hidden_every == 0
                db.session.execute(
                    insert(Claim).values(
                        voucher_id=row.id,
                        user_id=user_id,
                        claim_number=1,
                        code=f"B{user_id:05d}{next_code:06d}",
                        status="active",
                        claimed_at=now,
                        hidden_at=now if hidden else None,
                    )
                )
            db.session.execute(
                update(User)
                .where(User.id == user_id)
                .values(personalisation_enabled=profile.personalisation)
            )
        db.session.commit()
        _analyze()  # the claims table was empty when the seeding gathered statistics
    return users


def _niche_category(user_id: int, vouchers: Sequence[Any]) -> None:
    """A new category holding only these (live) vouchers, the user's only favourite."""
    from sqlalchemy import insert, update

    from konexi.extensions import db
    from konexi.models import Category, Voucher
    from konexi.models.preferences import user_favourite_categories

    category_id = db.session.scalar(
        insert(Category)
        .values(slug=f"niche-{user_id}", name_en="Niche", name_id="Khusus")
        .returning(Category.id)
    )
    db.session.execute(
        update(Voucher)
        .where(Voucher.id.in_([row.id for row in vouchers]))
        .values(category_id=category_id)
    )
    db.session.execute(
        insert(user_favourite_categories).values(user_id=user_id, category_id=category_id)
    )


def _replay(app: Flask, statements: list[tuple[str, Any]]) -> float:
    """Run captured statements on the raw DB-API connection, fetching every row: total ms."""
    from konexi.extensions import db

    connection = db.session.connection().connection.driver_connection
    started = time.perf_counter()
    for sql, parameters in statements:
        cursor = connection.cursor()  # type: ignore[union-attr]
        cursor.execute(sql, parameters)
        cursor.fetchall()
        cursor.close()
    return (time.perf_counter() - started) * 1000


def _time_profile(app: Flask, user_id: int, origin: Point | None, repeats: int) -> dict[str, Any]:
    """The figures of one user's signed-in feed, page one (see the module docstring)."""
    from sqlalchemy import event, text

    from konexi.extensions import db
    from konexi.models import User
    from konexi.services.catalogue import recommendations
    from konexi.services.catalogue.catalogue import VoucherFilter
    from konexi.services.catalogue.feed import build_feed

    timings: dict[str, list[float]] = {"feed": [], "for_you": [], "sql": []}
    captured: list[tuple[str, Any]] = []

    def feed(user: User) -> Any:
        return build_feed(VoucherFilter(), page=1, origin=origin, user=user)

    def suggestions(user: User) -> Any:
        return recommendations.for_you(user, origin)

    def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        captured.append((statement, parameters))

    def timed(call: Callable[[User], Any], into: str) -> Any:
        user = db.session.get(User, user_id)  # the request's user, loaded already
        db.session.execute(text("SELECT 1"))  # a request has its connection by then
        started = time.perf_counter()
        value = call(user)
        timings[into].append((time.perf_counter() - started) * 1000)
        db.session.rollback()
        return value

    timed(feed, "feed")  # warm the caches
    timings["feed"].clear()
    for _ in range(repeats):
        timed(feed, "feed")
        timed(suggestions, "for_you")
    user = db.session.get(User, user_id)
    db.session.execute(text("SELECT 1"))
    event.listen(db.engine, "before_cursor_execute", capture)
    shown = feed(user)
    event.remove(db.engine, "before_cursor_execute", capture)
    for _ in range(repeats):
        timings["sql"].append(_replay(app, captured))
    db.session.rollback()
    return {
        **{f"sql_{k}_ms": v for k, v in _figures(timings["sql"]).items()},
        **{f"feed_{k}_ms": v for k, v in _figures(timings["feed"]).items()},
        **{f"for_you_{k}_ms": v for k, v in _figures(timings["for_you"]).items()},
        "queries": len(captured),
        "for_you": len(shown.for_you),
        "for_you_ids": [item.voucher.id for item in shown.for_you],
    }


def run(app: Flask, users: dict[str, int], repeats: int = 50) -> dict[str, dict[str, Any]]:
    """Time the signed-in feed's page one for each profile's user (see the module docstring)."""
    from konexi.extensions import db

    by_name = {profile.name: profile for profile in PROFILES}
    results: dict[str, dict[str, Any]] = {}
    with app.app_context():
        for name, user_id in users.items():
            origin = JAKARTA if by_name[name].located else None
            results[name] = _time_profile(app, user_id, origin, repeats)
        db.session.remove()
    return results


def _table(database: str, vouchers: int, seeded: dict, figures: dict) -> str:
    lines = [
        f"\n{database}, {vouchers:,} vouchers ({seeded.get('branches', 0):,} branches; "
        f"seeded in {seeded.get('seconds', 0)} s)",
        f"{'profile':<34} {'sql med':>8} {'sql p95':>8} {'feed med':>9} {'feed p95':>9} "
        f"{'for-you p95':>11} {'queries':>8} {'shown':>6}",
    ]
    for case, row in figures.items():
        lines.append(
            f"{case:<34} {row['sql_median_ms']:>8.2f} {row['sql_p95_ms']:>8.2f} "
            f"{row['feed_median_ms']:>9.2f} {row['feed_p95_ms']:>9.2f} "
            f"{row['for_you_p95_ms']:>11.2f} {row['queries']:>8} {row['for_you']:>6}"
        )
    return "\n".join(lines)


def _measure(url: str, vouchers: int, branches: int, repeats: int) -> tuple[dict, dict]:
    from bench.dataset import seed
    from bench.servers import build_app

    app = build_app(url)
    seeded = seed(app, branches=branches, vouchers=vouchers, users=100)
    users = give_signals(app, PROFILES)
    figures = run(app, users, repeats=repeats)
    with app.app_context():
        from konexi.extensions import db

        db.engine.dispose()
    return seeded, figures


def main(argv: list[str] | None = None) -> int:
    from bench import sweep

    return sweep.main(
        argv,
        description="Time the signed-in feed's SQL.",
        name="feed_signed_in",
        results=RESULTS,
        measure=_measure,
        table=_table,
    )


if __name__ == "__main__":
    raise SystemExit(main())
