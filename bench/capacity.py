"""Claims per second one web dyno completes at p95 <= 300 ms at the client: the claim curve.

At each level N, N claimers claim at once, each as its own user with its own session (cookie and
CSRF token made by the app's own login code, ``bench/sessions.py``), through gunicorn on
PostgreSQL: a form POST of ``/vouchers/<id>/claim`` on a fresh connection (as a phone's would
be), then a pause of 0.75-1.25 s (uniform, seeded) before the claimer's next claim, made as the
next person (one claim per person, as in a flash sale; the per-user rate limit is never what
answers). So a level of N claimers offers about N claims per second until the server saturates;
past that point the answers slow down and the rate stops growing. Each claimer starts within
its first pause, so a level begins without a burst.

Per level: claims completed per second (successes over the time from the first claim sent to the
last answer), attempts, refusals, errors (any answer but the two 303s), p50/p95/max at the client
(every answer), and exactness: the claims in the database equal the successes the clients saw,
the voucher's ``quota_claimed`` moved by exactly that many, and never past its quota.

The sweep runs one level on a fresh gunicorn per setting (workers x threads, gthread or sync),
with the memory of master + workers during the level: the peak of their summed RSS (every 10 ms)
and of their summed PSS (every 0.25 s; shared pages counted once), and PSS after it.
"""

from __future__ import annotations

import http.client
import math
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Flask
from sqlalchemy import func, select

from bench import memory, servers
from bench.claims import add_voucher, claim_answer, outcomes
from bench.servers import Gunicorn
from bench.sessions import SignedIn, sign_in

LEVELS = (25, 50, 100, 200)
SWEEP_LEVEL = 100
P95_BUDGET_MS = 300.0
PAUSE_SECONDS = (0.75, 1.25)
PASSWORD = "claim-capacity-password"  # noqa: S105 - a throwaway bench password
PSS_EVERY_SECONDS = 0.25  # reading smaps_rollup walks the page tables: not every 10 ms


@dataclass(frozen=True)
class Setting:
    """One gunicorn setting of the sweep."""

    workers: int
    threads: int
    worker_class: str = "gthread"

    @property
    def label(self) -> str:
        return f"{self.workers}x{self.threads} {self.worker_class}"

    def environ(self) -> dict[str, str]:
        return {"WEB_CONCURRENCY": str(self.workers), "GUNICORN_THREADS": str(self.threads)}

    def arguments(self) -> tuple[str, ...]:
        # gunicorn's command line wins over gunicorn.conf.py's worker_class = "gthread"
        return ("--worker-class", self.worker_class)


# What fits a 512 MB dyno by gunicorn.conf.py's figures (~70 MB master + ~90 MB per worker PSS,
# more under bursts): 2-4 workers. Threads only help while requests wait (database, Redis).
SWEEP = (
    Setting(2, 4),
    Setting(3, 4),
    Setting(2, 8),
    Setting(4, 2),
    Setting(3, 1, "sync"),
    Setting(4, 1, "sync"),
)
QUICK_SWEEP = (Setting(2, 1, "sync"),)


@dataclass
class Level:
    """The voucher and the people of one level."""

    claimers: int
    seconds: float
    voucher_id: int
    quota_total: int
    people: list[SignedIn]


def people_needed(claimers: int, seconds: float) -> int:
    """Enough people for every claimer to claim as fast as its shortest pause allows."""
    return claimers * (math.ceil(seconds / PAUSE_SECONDS[0]) + 2)


def prepare_level(app: Flask, claimers: int, seconds: float, password_hash: str) -> Level:
    """A voucher that cannot run out during the level, and its verified, signed-in people."""
    from konexi.extensions import db
    from konexi.models import User

    count = people_needed(claimers, seconds)
    prefix = f"capacity{time.time_ns()}-"
    memory.add_people(app, prefix, count, password_hash=password_hash)
    with app.app_context():
        voucher = add_voucher(left=count, quota_total=count, title="Claim capacity: kopi")
        db.session.commit()
        voucher_id = voucher.id
        user_ids = list(
            db.session.scalars(
                select(User.id).where(User.email.like(prefix + "%")).order_by(User.id)
            )
        )
        db.session.remove()
    return Level(claimers, seconds, voucher_id, count, sign_in(app, user_ids))


def _claim(base_url: str, voucher_id: int, person: SignedIn) -> dict[str, Any]:
    """One claim on a new connection: its answer and its time at the client."""
    parts = urlsplit(base_url)
    outcome: dict[str, Any] = {}
    connection = http.client.HTTPConnection(parts.netloc, timeout=60)
    try:
        started = time.perf_counter()
        connection.request(
            "POST",
            f"/vouchers/{voucher_id}/claim",
            body=urlencode({"csrf_token": person.csrf_token}),
            headers={
                "Cookie": person.cookie_header,
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept-Language": "en",
            },
        )
        response = connection.getresponse()
        response.read()
        outcome["ms"] = (time.perf_counter() - started) * 1000
        outcome["result"] = claim_answer(
            response.status, response.getheader("Location", ""), voucher_id
        )
    except (OSError, http.client.HTTPException) as error:
        outcome["result"] = f"error: {type(error).__name__}: {error}"
    finally:
        connection.close()
    outcome["done"] = time.perf_counter()
    return outcome


def run_level(base_url: str, level: Level, rng_seed: int = 5) -> dict[str, Any]:
    """Every claimer claims, pauses, claims again as the next person, for ``level.seconds``."""
    queue: Iterator[SignedIn] = iter(level.people)
    lock = threading.Lock()
    results: list[dict[str, Any]] = []
    ran_out = threading.Event()
    started = time.perf_counter()
    deadline = started + level.seconds

    def claimer(number: int) -> None:
        rng = random.Random(rng_seed * 10_000 + number)
        time.sleep(rng.uniform(0, PAUSE_SECONDS[1]))
        while time.perf_counter() < deadline:
            with lock:
                person = next(queue, None)
            if person is None:
                ran_out.set()
                return
            outcome = _claim(base_url, level.voucher_id, person)
            with lock:
                results.append(outcome)
            time.sleep(rng.uniform(*PAUSE_SECONDS))

    threads = [threading.Thread(target=claimer, args=(n,)) for n in range(level.claimers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    last = max((r["done"] for r in results), default=started)
    elapsed = max(last - started, 1e-9)
    counted = outcomes(results)
    return {
        "claimers": level.claimers,
        "seconds": round(elapsed, 2),
        "attempts": len(results),
        **counted,
        "attempts_per_second": round(len(results) / elapsed, 1),
        "claims_per_second": round(counted["succeeded"] / elapsed, 1),
        "ran_out_of_people": ran_out.is_set(),
    }


def check_ledger(app: Flask, level: Level, succeeded: int) -> dict[str, Any]:
    """Exactness: claims in the database = successes seen, quota moved by as many, never past."""
    from konexi.extensions import db
    from konexi.models import Claim, Voucher

    with app.app_context():
        claims = db.session.scalar(
            select(func.count(Claim.id)).where(Claim.voucher_id == level.voucher_id)
        )
        claimed = db.session.execute(  # 0 before the level
            select(Voucher.quota_claimed).where(Voucher.id == level.voucher_id)
        ).scalar_one()
        db.session.remove()
    return {
        "claims_in_database": claims,
        "quota_claimed": claimed,
        "exact": claims == succeeded == claimed <= level.quota_total,
    }


def measure_level(
    app: Flask, base_url: str, claimers: int, seconds: float, password_hash: str
) -> dict[str, Any]:
    level = prepare_level(app, claimers, seconds, password_hash)
    result = run_level(base_url, level)
    return {**result, **check_ledger(app, level, result["succeeded"])}


def capacity(levels: list[dict[str, Any]]) -> dict[str, Any]:
    """The highest claims/s among exact, error-free levels whose p95 is within the budget;
    0 when none is (the capacity at that latency is below the lowest level's rate)."""
    within = [
        level
        for level in levels
        if level.get("latency_p95_ms") is not None
        and level["latency_p95_ms"] <= P95_BUDGET_MS
        and level["errors"] == 0
        and level["exact"]
    ]
    best = max(within, key=lambda level: level["claims_per_second"], default=None)
    return {
        "claims_per_second": best["claims_per_second"] if best else 0.0,
        "at_claimers": best["claimers"] if best else None,
        "p95_budget_ms": P95_BUDGET_MS,
    }


def curve(
    app: Flask, base_url: str, levels: tuple[int, ...], seconds: float, password_hash: str
) -> dict[str, Any]:
    """Each level in turn on the running gunicorn, then the capacity they show."""
    measured = [measure_level(app, base_url, n, seconds, password_hash) for n in levels]
    return {"levels": measured, **capacity(measured)}


def measure_setting(
    app: Flask,
    setting: Setting,
    environ: dict[str, str],
    log_path: Path,
    *,
    claimers: int,
    seconds: float,
    password_hash: str,
) -> dict[str, Any]:
    """One level on a fresh gunicorn with this setting, and the memory it took."""
    server = Gunicorn(
        "wsgi:app", {**environ, **setting.environ()}, log_path, arguments=setting.arguments()
    )
    level = prepare_level(app, claimers, seconds, password_hash)
    try:
        server.start("/healthz")
        assert server.process is not None
        master = server.process.pid
        workers = memory.wait_for_workers(master, setting.workers)
        server.warm_up([f"/vouchers/{level.voucher_id}"] * 4 * setting.workers)
        pids = [master, *workers]
        pss = memory.RssSampler(pids, PSS_EVERY_SECONDS, read=memory.pss_kb)
        with memory.RssSampler(pids) as rss, pss:
            result = run_level(server.url, level)
        pss_after = sum(memory.pss_kb(pid) for pid in pids)
    finally:
        server.stop()
    return {
        "setting": setting.label,
        **result,
        **check_ledger(app, level, result["succeeded"]),
        "peak_rss_mb": round(rss.peak_total_kb / 1024, 1),
        "peak_pss_mb": round(pss.peak_total_kb / 1024, 1),
        "pss_after_mb": round(pss_after / 1024, 1),
    }


def sweep(
    database_url: str,
    redis_url: str,
    workdir: Path,
    settings: tuple[Setting, ...],
    *,
    claimers: int,
    seconds: float,
) -> dict[str, Any]:
    """Every setting at one level; the best is the most claims/s (within the p95 budget first)
    among those whose master + workers stayed within ``memory.BUDGET_MB`` (peak PSS: what the
    processes take together, shared pages counted once, as the dyno's limit counts them) with
    no error and an exact ledger."""
    from konexi.services.accounts.passwords import hash_password

    app = servers.build_app(database_url, redis_url)
    with app.app_context():
        password_hash = hash_password(PASSWORD)
    environ = servers.app_environ(database_url, redis_url)
    measured = []
    for setting in settings:
        log_path = workdir / f"gunicorn-{setting.label.replace(' ', '-')}.log"
        try:
            measured.append(
                measure_setting(
                    app,
                    setting,
                    environ,
                    log_path,
                    claimers=claimers,
                    seconds=seconds,
                    password_hash=password_hash,
                )
            )
        except Exception as error:  # noqa: BLE001 - one setting failing must not end the sweep
            measured.append({"setting": setting.label, "error": f"{type(error).__name__}: {error}"})
    fitting = [
        m
        for m in measured
        if "error" not in m
        and m["succeeded"] > 0
        and m["peak_pss_mb"] <= memory.BUDGET_MB
        and m["errors"] == 0
        and m["exact"]
    ]
    best = max(
        fitting,
        key=lambda m: (m["latency_p95_ms"] <= P95_BUDGET_MS, m["claims_per_second"]),
        default=None,
    )
    return {
        "claimers": claimers,
        "settings": measured,
        "best": best["setting"] if best else None,
        "memory_budget_mb": memory.BUDGET_MB,
    }
