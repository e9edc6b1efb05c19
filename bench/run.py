"""``python -m bench.run [--quick]``: every budget, measured, printed and saved as JSON.

One run: throwaway Redis and PostgreSQL (the test suite's server modules), the large data set
seeded into SQLite and PostgreSQL by ``bench/dataset.py``, gunicorn with the app's
``gunicorn.conf.py`` serving the app and a bare "hello" app, then page weight and timing in
Chromium, the throughput ratios with ``wrk`` (anonymous feed cached, signed-in, anonymous without
the page cache), the nearby query (``bench/nearby.py``), the shared page cache across two
gunicorn masters (``bench/shared_cache.py``), the claim race and the claim capacity curve over
HTTP on PostgreSQL with a sweep of gunicorn settings (``bench/capacity.py``), the memory of a
fresh gunicorn under a burst of logins and uploads (``bench/memory.py``) and the purge of 10,000
accounts. ``--quick`` does the same with a tiny data set, one repeat, no throttling, short loads
and one setting in the sweep (the CI smoke test).
"""

from __future__ import annotations

import argparse
import inspect
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import capacity, servers, shared_cache
from bench.servers import Gunicorn, Servers

RESULTS = Path(__file__).resolve().parent / "results"
KB = 1000  # budgets in kilobytes are read as 1,000 bytes (the stricter reading)
THROUGHPUT_UNCACHED_BUDGET = 0.25  # signed-in and anonymous-uncached feed / hello
RENDERS_PER_EXPIRY_BUDGET = 1.5  # shared page cache; bench/README.md says why
CLAIM_CAPACITY_BUDGET = 50  # claims/s per web dyno at p95 <= 300 ms; bench/README.md says why


@dataclass(frozen=True)
class Scale:
    """How big and how long: the real run or the quick smoke run."""

    quick: bool
    branches: int
    vouchers: int
    users: int
    runs: int  # Chromium timing runs (medians)
    throttle: bool
    load_seconds: int
    connections: int
    use_wrk: bool
    claimers: int
    left: int
    purge_accounts: int
    # The nearby query on PostGIS at a country's size (its own database, seeded by the server).
    postgis_branches: int = 100_000
    postgis_vouchers: int = 1_000_000
    # Two gunicorn masters sharing Redis (bench/shared_cache.py): load seconds.
    shared_cache_seconds: int = 20
    # The claim curve (bench/capacity.py): claimers per level, seconds per level, the sweep.
    capacity_levels: tuple[int, ...] = capacity.LEVELS
    capacity_seconds: float = 10.0
    sweep: tuple[capacity.Setting, ...] = capacity.SWEEP
    sweep_claimers: int = capacity.SWEEP_LEVEL


FULL = Scale(
    quick=False,
    branches=20_000,
    vouchers=100_000,
    users=1_000,
    runs=5,
    throttle=True,
    load_seconds=15,
    connections=16,
    use_wrk=True,
    claimers=200,
    left=50,
    purge_accounts=10_000,
)
QUICK = Scale(
    quick=True,
    branches=60,
    vouchers=300,
    users=20,
    runs=1,
    throttle=False,
    load_seconds=2,
    connections=4,
    use_wrk=False,
    claimers=12,
    left=4,
    purge_accounts=200,
    postgis_branches=200,
    postgis_vouchers=2_000,
    shared_cache_seconds=4,
    capacity_levels=(2, 4),
    capacity_seconds=1.5,
    sweep=capacity.QUICK_SWEEP,
    sweep_claimers=4,
)

ROW_KEYS = (
    "first_visit_bytes",
    "repeat_visit_bytes",
    "load_more_fragment_bytes",
    "card_image_bytes",
    "usable_cold_ms",
    "usable_warm_ms",
    "first_view_requests",
    "throughput_ratio",
    "throughput_signed_in_ratio",
    "throughput_anonymous_uncached_ratio",
    "shared_cache_hit_rate",
    "nearby_p95_sqlite_ms",
    "nearby_p95_postgres_ms",
    "nearby_p95_postgis_1m_ms",
    "claim_race",
    "claim_capacity",
    "purge_10k_seconds",
    "memory_burst_mb",
)


def log(message: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# -- data ---------------------------------------------------------------------------------------
def seed_database(database_url: str, scale: Scale) -> dict[str, Any]:
    """Seed with bench/dataset.py; without it (not written yet), the app's demo data."""
    app = servers.build_app(database_url)
    started = time.perf_counter()
    try:
        from bench import dataset
    except ImportError:
        dataset = None
    with app.app_context():
        if dataset is not None:
            summary = dataset.seed(
                app,
                branches=scale.branches,
                vouchers=scale.vouchers,
                users=scale.users,
                rng_seed=7,
            )
            source = "bench/dataset.py"
        else:
            from konexi.dev.demo_data import load_demo_data

            summary = load_demo_data()
            source = "demo data (bench/dataset.py is missing)"
        _dispose(app)
    return {
        "source": source,
        "summary": _jsonable(summary),
        "seconds": round(time.perf_counter() - started, 1),
    }


def _dispose(app: Any) -> None:
    from konexi.extensions import db

    db.session.remove()
    db.engine.dispose()


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _photo(index: int, width: int = 1600) -> bytes:
    """A photo-like JPEG (gradient, shapes, sensor noise) as a provider would upload it."""
    from PIL import Image, ImageDraw

    height = width * 5 // 8
    gradient = Image.linear_gradient("L").resize((width, height)).rotate(index * 37 % 360)
    base = Image.merge(
        "RGB",
        (
            gradient,
            gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
            Image.new("L", (width, height), (index * 53) % 256),
        ),
    )
    draw = ImageDraw.Draw(base)
    for n in range(12):
        x, y = (index * 97 + n * 131) % width, (index * 61 + n * 89) % height
        colour = ((n * 40 + index * 7) % 256, (n * 90) % 256, (index * 30 + n) % 256)
        draw.ellipse((x, y, x + 180 + n * 10, y + 120 + n * 8), fill=colour)
    noise = Image.effect_noise((width, height), 40).convert("RGB")
    photo = Image.blend(base, noise, 0.25)
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=90)
    return out.getvalue()


def attach_card_images(database_url: str, pages: int = 2, size: int = 1600) -> dict[str, int]:
    """Give the vouchers on the feed's first pages a picture, through the app's upload path."""
    from konexi.extensions import db
    from konexi.models import Voucher
    from konexi.services.catalogue import catalogue
    from konexi.services.images import store_image

    app = servers.build_app(database_url)
    attached = already = 0
    with app.app_context():
        for page in range(1, pages + 1):
            for item in catalogue.live_vouchers(page).items:
                voucher = db.session.get(Voucher, item.voucher.id)
                if voucher.image_id is not None:
                    already += 1
                    continue
                image = store_image(voucher.company_id, _photo(voucher.id, size))
                db.session.flush()
                voucher.image_id = image.id
                attached += 1
        db.session.commit()
        _dispose(app)
    return {"attached": attached, "already_had_one": already}


# -- measurements -------------------------------------------------------------------------------
def measure_nearby(database_url: str, scale: Scale) -> dict[str, Any]:
    """bench/nearby.py's timings (medians and p95 per origin); the worst p95 is the figure."""
    try:
        from bench import nearby
    except ImportError:
        return {"error": "bench/nearby.py is missing", "p95_ms": None}
    app = servers.build_app(database_url)
    wanted: dict[str, Any] = {}
    if scale.quick:  # one origin, one page, a few repeats: enough to keep the wiring working
        origins = getattr(nearby, "ORIGINS", None)
        wanted = {"repeats": 3, "pages": (1,)}
        if origins:
            wanted["origins"] = dict(list(origins.items())[:1])
    parameters = inspect.signature(nearby.run).parameters
    kwargs = {k: v for k, v in wanted.items() if k in parameters}
    with app.app_context():
        result = nearby.run(app, **kwargs)
        _dispose(app)
    result = _jsonable(result)
    return {"p95_ms": _worst(result, "p95"), "median_ms": _worst(result, "median"), **result}


def measure_nearby_postgis(pool: Servers, scale: Scale) -> dict[str, Any]:
    """bench/nearby.py on its own PostgreSQL database of ``postgis_vouchers`` vouchers at
    ``postgis_branches`` branches (PostGIS path), dense/sparse/at-sea origins, pages 1 and 3."""
    from bench import nearby

    url = pool.postgres_database("konexi_bench_postgis")
    repeats = 3 if scale.quick else 50
    result = _jsonable(
        nearby.measure_postgis_at_scale(
            url, scale.postgis_branches, scale.postgis_vouchers, repeats=repeats
        )
    )
    cases = {k: v for k, v in result.items() if isinstance(v, dict) and "p95_ms" in v}
    return {"p95_ms": _worst(cases, "p95"), "median_ms": _worst(cases, "median"), **result}


def _worst(value: Any, word: str) -> float | None:
    """The largest number under any key containing ``word`` (e.g. every origin's p95)."""
    found: list[float] = []

    def walk(node: Any, key: str = "") -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, str(k))
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, int | float) and not isinstance(node, bool) and word in key.lower():
            found.append(float(node))

    walk(value)
    return round(max(found), 2) if found else None


@dataclass
class WebServers:
    """gunicorn for the feed (on the web database), for the hello app, for the claim race, for
    the feed without the page cache, and two masters standing for two dynos."""

    app: Gunicorn
    hello: Gunicorn
    claims: Gunicorn
    uncached: Gunicorn
    dynos: list[Gunicorn]  # two masters sharing Redis (bench/shared_cache.py)

    def all(self) -> list[Gunicorn]:
        servers = (self.app, self.hello, self.claims, self.uncached, *self.dynos)
        return list({id(g): g for g in servers}.values())

    def launch(self) -> None:
        for server in self.all():
            server.launch()

    def wait_ready(self) -> None:
        started = time.perf_counter()
        for server in self.all():
            server.wait_ready("/" if server is self.hello else "/healthz")
        log(f"gunicorn ready (waited {time.perf_counter() - started:.1f}s)")

    def stop(self) -> None:
        for server in self.all():
            server.interrupt()
        for server in self.all():
            server.stop()


def web_servers(web_url: str, postgres_url: str, redis_url: str, workdir: Path) -> WebServers:
    app = Gunicorn("wsgi:app", servers.app_environ(web_url, redis_url), workdir / "gunicorn.log")
    hello = Gunicorn("bench.hello_app:app", {}, workdir / "gunicorn-hello.log")
    claims = app
    if web_url != postgres_url:
        environ = servers.app_environ(postgres_url, redis_url)
        claims = Gunicorn("wsgi:app", environ, workdir / "gunicorn-postgres.log")
    # PAGE_CACHE_SECONDS=0 turns off the worker's copy, the shared copy in Redis and the
    # signed-in card lists alike (konexi/web/page_cache.py, konexi/feed/card_lists.py).
    uncached_environ = {**servers.app_environ(web_url, redis_url), "PAGE_CACHE_SECONDS": "0"}
    uncached = Gunicorn("wsgi:app", uncached_environ, workdir / "gunicorn-uncached.log")
    dynos = shared_cache.dyno_servers(web_url, redis_url, workdir)
    return WebServers(app=app, hello=hello, claims=claims, uncached=uncached, dynos=dynos)


def measure_pages(base_url: str, scale: Scale) -> dict[str, Any]:
    """Weight, images, the "load more" fragment and time until usable, in Chromium."""
    from bench import weight

    results: dict[str, Any] = {}
    with weight.chromium() as browser:
        results["chromium_version"] = browser.version
        results["weight"] = weight.page_weight(base_url, browser)
        results["fragment"] = weight.fragment_weight(base_url)
        log("time until usable" + (" (throttled)" if scale.throttle else " (not throttled)"))
        results["usable"] = weight.time_until_usable(
            base_url, browser, runs=scale.runs, throttle=scale.throttle
        )
    return results


def measure_throughput(feed_url: str, hello_url: str, scale: Scale) -> dict[str, Any]:
    from bench import throughput

    use_wrk = scale.use_wrk and throughput.wrk_available()
    log(f"throughput: {'wrk' if use_wrk else 'python load'}, {scale.load_seconds}s per app")
    result = throughput.throughput_ratio(
        feed_url + "/",
        hello_url + "/",
        connections=scale.connections,
        seconds=scale.load_seconds,
        use_wrk=use_wrk,
        warmup=not scale.quick,
    )
    if scale.use_wrk and not use_wrk:
        result["note"] = "wrk is not installed: the Python load generator ran instead"
    return result


def _cache_hits(server: Gunicorn, since: int) -> int | None:
    """Feed requests the page cache answered (request-log lines marked ``cache=hit``); None
    when the request log wrote no feed line at all (``BENCH_LOG_LEVEL`` above INFO)."""
    lines = server.request_lines("feed.index", since)
    return sum(1 for line in lines if line.endswith("cache=hit")) if lines else None


def measure_throughput_signed_in(web_url: str, web: WebServers, scale: Scale) -> dict[str, Any]:
    """The signed-in feed against hello: a pool of users with favourite categories and claims,
    each connection its own session cookie (the same cookies sent to hello)."""
    from bench import sessions, throughput

    app = servers.build_app(web_url)
    people = sessions.sign_in(app, sessions.feed_users(app, scale.connections))
    with app.app_context():
        _dispose(app)
    # The cookie as the server keeps it (no Set-Cookie on the next page), checked signed in.
    check = {"Accept-Language": "en"}
    people = [sessions.settle(web.app.url, person, check) for person in people]
    use_wrk = scale.use_wrk and throughput.wrk_available()
    log(f"signed-in throughput: {len(people)} users, {scale.load_seconds}s per app")
    since = web.app.log_size()
    result = throughput.throughput_ratio(
        web.app.url + "/",
        web.hello.url + "/",
        connections=scale.connections,
        seconds=scale.load_seconds,
        use_wrk=use_wrk,
        warmup=not scale.quick,
        cookies=[person.cookie_header for person in people],
    )
    for person in people:  # still signed in after the load, with the same cookie
        sessions.settle(web.app.url, person, check, tries=1)
    return {
        **result,
        "users": len(people),
        "favourites_each": 2,
        "claims_each": sessions.CLAIMS_EACH,
        "cache_hits_during_load": _cache_hits(web.app, since),
    }


def measure_feed_throughput(server: Gunicorn, hello: Gunicorn, scale: Scale) -> dict[str, Any]:
    """The anonymous feed against hello, with how many of its answers the page cache gave."""
    since = server.log_size()
    result = measure_throughput(server.url, hello.url, scale)
    return {**result, "cache_hits_during_load": _cache_hits(server, since)}


def measure_shared_cache(web: WebServers, scale: Scale) -> dict[str, Any]:
    from bench import throughput

    return shared_cache.measure(
        web.dynos,
        seconds=scale.shared_cache_seconds,
        connections=scale.connections,
        use_wrk=scale.use_wrk and throughput.wrk_available(),
    )


def measure_capacity(database_url: str, server: Gunicorn, redis_url: str, scale: Scale) -> dict:
    """The claim curve on the running PostgreSQL gunicorn (the app's own settings)."""
    from konexi.services.accounts.passwords import hash_password

    app = servers.build_app(database_url, redis_url)
    with app.app_context():
        password_hash = hash_password(capacity.PASSWORD)
    try:
        return capacity.curve(
            app, server.url, scale.capacity_levels, scale.capacity_seconds, password_hash
        )
    finally:
        with app.app_context():
            _dispose(app)


def measure_sweep(database_url: str, redis_url: str, workdir: Path, scale: Scale) -> dict:
    """One level of the claim curve on a fresh gunicorn per setting (bench/capacity.py)."""
    return capacity.sweep(
        database_url,
        redis_url,
        workdir,
        scale.sweep,
        claimers=scale.sweep_claimers,
        seconds=scale.capacity_seconds,
    )


def measure_claims(database_url: str, server: Gunicorn, redis_url: str, scale: Scale) -> dict:
    from bench.claims import claim_race

    app = servers.build_app(database_url, redis_url)
    try:
        result = claim_race(app, server.url, claimers=scale.claimers, left=scale.left)
        inside = sorted(server.request_durations("POST", "vouchers.claim"))
        if inside:
            result["in_app_p50_ms"] = round(statistics.median(inside), 1)
            result["in_app_p95_ms"] = round(inside[int(0.95 * (len(inside) - 1))], 1)
            result["in_app_max_ms"] = round(inside[-1], 1)
        if result["errors"]:
            result["server_errors"] = server.log_errors()
        return result
    finally:
        with app.app_context():
            _dispose(app)


def measure_memory(database_url: str, redis_url: str, workdir: Path) -> dict[str, Any]:
    """bench/memory.py: a fresh gunicorn (the app's config), 16 logins with production argon2
    parameters and 8 uploads of the costliest picture still accepted, all at once."""
    from bench import memory
    from konexi.services.accounts.passwords import hash_password
    from konexi.services.images import MAX_DECODED_PIXELS

    app = servers.build_app(database_url, redis_url)
    with app.app_context():
        password_hash = hash_password(memory.BURST_PASSWORD)
    run = f"burst{int(time.time())}-"
    logins = memory.add_people(app, run + "login", 16, password_hash=password_hash)
    uploaders = memory.add_people(app, run + "upload", 8, password_hash=password_hash)
    width, height = 2400, 1600  # RGBA PNG, decoded in full: the most memory a picture can take
    assert width * height <= MAX_DECODED_PIXELS
    picture = memory.png(width, height)
    server = Gunicorn(
        "wsgi:app", servers.app_environ(database_url, redis_url), workdir / "gunicorn-memory.log"
    )
    try:
        server.start("/healthz")
        result = memory.measure_burst(
            app,
            server.url,
            server.process.pid,  # type: ignore[union-attr]
            workers=int(os.environ.get("WEB_CONCURRENCY", "2")),
            logins=logins,
            uploads=[(email, picture) for email in uploaders],
        )
    finally:
        server.stop()
        with app.app_context():
            _dispose(app)
    return {**result, "picture": f"{width}x{height} RGBA PNG, {len(picture)} B"}


def measure_purge(database_url: str, scale: Scale) -> dict:
    from bench.purge import purge_accounts

    app = servers.build_app(database_url)
    try:
        return purge_accounts(app, count=scale.purge_accounts)
    finally:
        with app.app_context():
            _dispose(app)


# -- the table ----------------------------------------------------------------------------------
def _row(key: str, what: str, budget: str, measured: Any, met: bool | None, note: str = "") -> dict:
    return {
        "key": key,
        "what": what,
        "budget": budget,
        "measured": measured,
        "met": met,
        "note": note,
    }


def _get(data: dict, *path: str) -> Any:
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def budget_rows(results: dict[str, Any], scale: Scale) -> list[dict[str, Any]]:
    """One row per performance budget, with its measured figure and whether it is met."""
    rows = []
    first = _get(results, "pages", "weight", "first_visit") or {}
    repeat = _get(results, "pages", "weight", "repeat_visit") or {}
    images = _get(results, "pages", "weight", "images") or {}
    fragment = _get(results, "pages", "fragment") or {}
    usable = _get(results, "pages", "usable") or {}
    ratio = results.get("throughput") or {}
    claims = results.get("claims") or {}
    purge = results.get("purge") or {}

    page_bytes = first.get("page_bytes")
    rows.append(
        _row(
            "first_visit_bytes",
            "feed /, first visit, HTML+CSS+JS transferred (compressed), images excluded",
            "<= 30 KB",
            page_bytes,
            None if page_bytes is None else page_bytes <= 30 * KB,
            f"images apart: {first.get('image_bytes')} B in {first.get('image_requests')} requests",
        )
    )
    repeat_bytes = repeat.get("page_bytes")
    rows.append(
        _row(
            "repeat_visit_bytes",
            "feed /, repeat visit (static assets cached)",
            "<= 6 KB",
            repeat_bytes,
            None if repeat_bytes is None else repeat_bytes <= 6 * KB,
            f"{repeat.get('served_from_cache')} responses from the browser cache",
        )
    )
    body = fragment.get("body_bytes")
    cards = fragment.get("cards")
    rows.append(
        _row(
            "load_more_fragment_bytes",
            '"load more" fragment of 10 vouchers, compressed body',
            "<= 4 KB",
            body,
            None if body is None else body <= 4 * KB and fragment.get("status") == 200,
            f"{cards} cards, Content-Encoding {fragment.get('content_encoding')}, "
            f"{fragment.get('uncompressed_bytes')} B uncompressed",
        )
    )
    image_max = images.get("max_bytes")
    image_ok = None
    if images.get("count"):
        image_ok = (
            image_max <= 8 * KB
            and images.get("all_lazy")
            and images.get("all_sized")
            and images.get("save_data_img_tags") == 0
            and images.get("save_data_image_requests") == 0
        )
    rows.append(
        _row(
            "card_image_bytes",
            "voucher card image as served (largest); lazy, width/height; none with Save-Data",
            "<= 8 KB each",
            image_max,
            image_ok,
            f"{images.get('count')} card images, median {images.get('median_bytes')} B, "
            f"lazy {images.get('all_lazy')}, sized {images.get('all_sized')}, "
            f"Save-Data: {images.get('save_data_img_tags')} <img>, "
            f"{images.get('save_data_image_requests')} image requests",
        )
    )
    throttled = bool(usable.get("throttled"))
    for key, budget_ms, label in (("cold_ms", 2500, "cold"), ("warm_ms", 1000, "warm")):
        value = usable.get(key)
        rows.append(
            _row(
                f"usable_{label}_ms",
                f"time until the feed is usable, 400 kbit/s + 400 ms RTT, {label} cache",
                f"<= {budget_ms / 1000:.1f} s",
                value,
                None if value is None or not throttled else value <= budget_ms,
                f"median of {usable.get('runs')} runs"
                + ("" if throttled else "; NOT throttled (quick run): not the budget's condition"),
            )
        )
    requests_count = first.get("page_requests")
    rows.append(
        _row(
            "first_view_requests",
            "requests for the first feed view (images apart)",
            "<= 4",
            requests_count,
            None if requests_count is None else requests_count <= 4,
            f"plus {first.get('image_requests')} image requests; "
            + ", ".join(r["url"].split("?")[0] for r in first.get("resources", [])[:8]),
        )
    )
    value = ratio.get("ratio")
    feed = ratio.get("feed") or {}
    hello = ratio.get("hello") or {}
    rows.append(
        _row(
            "throughput_ratio",
            "feed page req/s under gunicorn / bare Flask hello req/s (same gunicorn settings)",
            ">= 0.35",
            value,
            None if value is None else value >= 0.35 and feed.get("non_success") == 0,
            f"feed {feed.get('requests_per_second')} req/s, hello "
            f"{hello.get('requests_per_second')} req/s, {feed.get('generator')}, "
            f"{feed.get('connections')} connections, non-2xx/3xx {feed.get('non_success')}",
        )
    )
    rows.append(
        _ratio_row(
            "throughput_signed_in_ratio",
            "signed-in feed / req/s under gunicorn (a session per connection) / hello req/s",
            results.get("throughput_signed_in") or {},
        )
    )
    rows.append(
        _ratio_row(
            "throughput_anonymous_uncached_ratio",
            "anonymous feed / with PAGE_CACHE_SECONDS=0 (no page cache) / hello req/s",
            results.get("throughput_uncached") or {},
        )
    )
    rows.append(_shared_cache_row(results.get("shared_cache") or {}))
    for backend in ("sqlite", "postgres"):
        nearby = _get(results, "nearby", backend) or {}
        p95 = nearby.get("p95_ms")
        rows.append(
            _row(
                f"nearby_p95_{backend}_ms",
                f"nearby feed query, 20k branches / 100k vouchers, p95 ({backend})",
                "<= 15 ms",
                p95,
                None if p95 is None else p95 <= 15,
                nearby.get("error") or f"median {nearby.get('median_ms')} ms (worst origin)",
            )
        )
    postgis = _get(results, "nearby", "postgis_1m") or {}
    p95 = postgis.get("p95_ms")
    seeded = postgis.get("seeded") or {}
    rows.append(
        _row(
            "nearby_p95_postgis_1m_ms",
            f"nearby feed query on PostGIS, {scale.postgis_branches:,} branches / "
            f"{scale.postgis_vouchers:,} vouchers, p95 (dense, sparse, at sea; pages 1 and 3)",
            "<= 10 ms",
            p95,
            None if p95 is None else p95 <= 10,
            postgis.get("error")
            or f"median {postgis.get('median_ms')} ms (worst origin); seeded "
            f"{seeded.get('links', 0):,} links in {seeded.get('seconds')} s",
        )
    )
    claim_ok = None
    if claims.get("succeeded") is not None:
        claim_ok = (
            claims["succeeded"] == claims["left"]
            and claims["claims_in_database"] == claims["left"]
            and claims["errors"] == 0
            and claims.get("quota_claimed_equals_total") is True
        )
    rows.append(
        _row(
            "claim_race",
            f"{claims.get('claimers')} concurrent claims on a voucher with {claims.get('left')} "
            "left (PostgreSQL, HTTP): claims given out",
            f"exactly {claims.get('left')}, 0 errors",
            claims.get("succeeded"),
            claim_ok,
            f"{claims.get('succeeded')} succeeded, {claims.get('refused')} refused, "
            f"{claims.get('errors')} errors, {claims.get('claims_in_database')} claims in the DB; "
            f"latency (see claim_capacity for its budget): p50 {claims.get('latency_p50_ms')} ms, "
            f"p95 {claims.get('latency_p95_ms')} ms at the client; inside the app (request log, "
            f"without gunicorn's queue) p50 {claims.get('in_app_p50_ms')} ms, "
            f"p95 {claims.get('in_app_p95_ms')} ms",
        )
    )
    rows.append(_capacity_row(results.get("capacity") or {}, results.get("sweep") or {}))
    seconds = _get(purge, "postgres", "seconds")
    sqlite_seconds = _get(purge, "sqlite", "seconds")
    worst = max((s for s in (seconds, sqlite_seconds) if s is not None), default=None)
    purged_all = all(
        (_get(purge, b, "purged") == _get(purge, b, "accounts"))
        for b in ("sqlite", "postgres")
        if _get(purge, b)
    )
    rows.append(
        _row(
            "purge_10k_seconds",
            f"purge of {scale.purge_accounts} accounts due for deletion (slower backend)",
            "<= 60 s",
            worst,
            None if worst is None else worst <= 60 and purged_all,
            f"SQLite {sqlite_seconds} s, PostgreSQL {seconds} s",
        )
    )
    rows.append(_memory_row(results.get("memory") or {}))
    return _with_errors(rows, results)


def _ratio_row(key: str, what: str, ratio: dict[str, Any]) -> dict[str, Any]:
    """A throughput ratio against hello (same gunicorn settings, same load); the page cache
    must have answered none of the feed's requests."""
    value = ratio.get("ratio")
    feed = ratio.get("feed") or {}
    hello = ratio.get("hello") or {}
    hits = ratio.get("cache_hits_during_load")
    users = f"{ratio['users']} users, " if ratio.get("users") else ""
    return _row(
        key,
        what,
        f">= {THROUGHPUT_UNCACHED_BUDGET}",
        value,
        None
        if value is None or hits is None  # without the request log, a cached answer would pass
        else value >= THROUGHPUT_UNCACHED_BUDGET and feed.get("non_success") == 0 and hits == 0,
        f"feed {feed.get('requests_per_second')} req/s (p50 {feed.get('latency_p50_ms')} ms), "
        f"hello {hello.get('requests_per_second')} req/s, {feed.get('generator')}, {users}"
        f"{feed.get('connections')} connections, non-2xx/3xx {feed.get('non_success')}, "
        f"page cache hits {'unknown (no request log)' if hits is None else hits}",
    )


def _shared_cache_row(shared: dict[str, Any]) -> dict[str, Any]:
    per_expiry = shared.get("renders_per_expiry")
    hit_rate = shared.get("hit_rate")
    return _row(
        "shared_cache_hit_rate",
        f"anonymous feed on {shared.get('dynos')} gunicorn masters sharing one Redis, "
        f"PAGE_CACHE_SECONDS={shared.get('page_cache_seconds')}: renders per expiry",
        f"<= {RENDERS_PER_EXPIRY_BUDGET} renders per expiry",
        per_expiry,
        None
        if per_expiry is None
        else per_expiry <= RENDERS_PER_EXPIRY_BUDGET and shared.get("non_success") == 0,
        f"hit rate {hit_rate if hit_rate is None else f'{hit_rate:.2%}'} "
        f"({shared.get('renders')} renders in {shared.get('requests')} requests over "
        f"{shared.get('seconds')} s; per master "
        f"{[d.get('renders') for d in shared.get('per_dyno', [])]} renders of "
        f"{[d.get('requests_logged') for d in shared.get('per_dyno', [])]}), "
        f"non-2xx/3xx {shared.get('non_success')}",
    )


def _capacity_row(curve: dict[str, Any], sweep: dict[str, Any]) -> dict[str, Any]:
    value = curve.get("claims_per_second")
    levels = curve.get("levels") or []
    exact = bool(levels) and all(level.get("exact") and level["errors"] == 0 for level in levels)
    shape = "; ".join(
        f"{level['claimers']}: {level['claims_per_second']}/s p50 {level['latency_p50_ms']} "
        f"p95 {level['latency_p95_ms']} ms"
        + ("" if level.get("exact") else " NOT EXACT")
        + (f" {level['errors']} errors" if level["errors"] else "")
        for level in levels
    )
    return _row(
        "claim_capacity",
        "claims/s one web dyno completes with p95 <= 300 ms at the client (PostgreSQL, HTTP; "
        "claimers each claiming about once a second)",
        f">= {CLAIM_CAPACITY_BUDGET} claims/s at p95 <= {capacity.P95_BUDGET_MS:.0f} ms",
        value,
        None if value is None else value >= CLAIM_CAPACITY_BUDGET and exact,
        f"claimers: {shape}; every level exact (DB = successes = quota moved): {exact}; "
        + (
            f"settings sweep FAILED: {sweep['error']}"
            if sweep.get("error")
            else f"best gunicorn setting at {sweep.get('claimers')} claimers: {sweep.get('best')}"
        ),
    )


def _memory_row(memory: dict[str, Any]) -> dict[str, Any]:
    peak = memory.get("peak_total_mb")
    answered = set(memory.get("login_statuses", [])) | set(memory.get("upload_statuses", []))
    high_water = sum(memory.get("worker_high_water_mb", [])) + (memory.get("master_peak_mb") or 0)
    return _row(
        "memory_burst_mb",
        f"RSS of gunicorn master + {memory.get('workers')} workers, peak during "
        f"{memory.get('logins')} logins and {memory.get('uploads')} picture uploads at once",
        "<= 450 MB",
        peak,
        None if peak is None else peak <= 450 and answered == {303},
        f"before {memory.get('before_total_mb')} MB, after {memory.get('after_total_mb')} MB; "
        f"master {memory.get('master_peak_mb')} MB, workers {memory.get('worker_peaks_mb')} MB "
        f"(VmHWM {memory.get('worker_high_water_mb')}, sum with the master {high_water:.1f} MB); "
        f"answers {sorted(answered)} in {memory.get('seconds')} s; {memory.get('picture')}",
    )


def _with_errors(rows: list[dict[str, Any]], results: dict[str, Any]) -> list[dict[str, Any]]:
    """A measurement that failed says why in its rows' notes."""
    sources = {
        "pages": ROW_KEYS[:7],
        "throughput": ("throughput_ratio",),
        "throughput_signed_in": ("throughput_signed_in_ratio",),
        "throughput_uncached": ("throughput_anonymous_uncached_ratio",),
        "shared_cache": ("shared_cache_hit_rate",),
        "claims": ("claim_race",),
        "capacity": ("claim_capacity",),
        "memory": ("memory_burst_mb",),
    }
    for source, keys in sources.items():
        error = _get(results, source, "error")
        if error:
            for row in rows:
                if row["key"] in keys and error not in row["note"]:
                    row["note"] = f"FAILED: {error}"
    purge_row = next(row for row in rows if row["key"] == "purge_10k_seconds")
    for backend in ("sqlite", "postgres"):
        error = _get(results, "purge", backend, "error")
        if error:
            purge_row["note"] += f"; {backend} FAILED: {error}"
    return rows


def format_table(rows: list[dict[str, Any]]) -> str:
    def met(value: bool | None) -> str:
        return {True: "yes", False: "NO", None: "-"}[value]

    header = ("what", "budget", "measured", "met?")
    lines = [(r["key"], r["budget"], str(r["measured"]), met(r["met"])) for r in rows]
    widths = [max(len(x[i]) for x in [header, *lines]) for i in range(4)]
    out = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    out.append("-+-".join("-" * w for w in widths))
    out += [" | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    return "\n".join(out)


def format_claim_tables(results: dict[str, Any]) -> str:
    """The claim curve and the gunicorn sweep as Markdown tables (bench/README.md takes them)."""
    out = []
    columns = (
        "| claimers | claims/s | attempts/s | p50 ms | p95 ms | max ms | refused | errors "
        "| exact |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    )
    levels = _get(results, "capacity", "levels") or []
    if levels:
        out += ["claim curve (the app's gunicorn.conf.py):", columns]
        out += [
            f"| {lv['claimers']} | {lv['claims_per_second']} | {lv['attempts_per_second']} "
            f"| {lv['latency_p50_ms']} | {lv['latency_p95_ms']} | {lv['latency_max_ms']} "
            f"| {lv['refused']} | {lv['errors']} | {'yes' if lv['exact'] else 'NO'} |"
            for lv in levels
        ]
    settings = _get(results, "sweep", "settings") or []
    if settings:
        claimers = _get(results, "sweep", "claimers")
        out += [
            "",
            f"gunicorn settings at {claimers} claimers (best: {_get(results, 'sweep', 'best')}):",
            "| setting | claims/s | p50 ms | p95 ms | errors | exact | peak PSS MB | peak RSS MB "
            "| PSS after MB |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for st in settings:
            if "error" in st:
                out.append(f"| {st['setting']} | FAILED: {st['error']} |")
                continue
            out.append(
                f"| {st['setting']} | {st['claims_per_second']} | {st['latency_p50_ms']} "
                f"| {st['latency_p95_ms']} | {st['errors']} | {'yes' if st['exact'] else 'NO'} "
                f"| {st['peak_pss_mb']} | {st['peak_rss_mb']} | {st['pss_after_mb']} |"
            )
    return "\n".join(out)


def _environment() -> dict[str, Any]:
    def version(command: list[str]) -> str | None:
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=10)  # noqa: S603
        except (OSError, subprocess.SubprocessError):
            return None
        return (
            (done.stdout or done.stderr).strip().splitlines()[0]
            if done.returncode in (0, 1)
            else None
        )

    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            capture_output=True,
            text=True,
            cwd=servers.ROOT,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git_commit": commit or None,
        "gunicorn_workers": int(os.environ.get("WEB_CONCURRENCY", "2")),
        "gunicorn_threads": int(os.environ.get("GUNICORN_THREADS", "4")),
        "wrk": version(["wrk", "--version"]) if shutil.which("wrk") else None,
        "redis": version(["redis-server", "--version"]),
    }


# -- the run ------------------------------------------------------------------------------------
def _step(results: dict[str, Any], key: str, what: str, function: Any, *args: Any) -> None:
    """Run one measurement; a failure is recorded in the results instead of ending the run."""
    log(what)
    started = time.perf_counter()
    try:
        results[key] = function(*args)
    except Exception as error:  # noqa: BLE001 - reported in the table and the JSON
        log(f"{what} FAILED: {type(error).__name__}: {error}")
        results[key] = {"error": f"{type(error).__name__}: {error}"}
    log(f"{what}: {time.perf_counter() - started:.1f}s")


def run(scale: Scale, output: Path, web_backend: str) -> dict[str, Any]:
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp("-konexi-bench"))
    pool = Servers(postgres_url_from_env=os.environ.get("BENCH_POSTGRES_URL") or None)
    results: dict[str, Any] = {"nearby": {}, "purge": {}}
    data: dict[str, Any] = {"web_backend": web_backend}
    web: WebServers | None = None
    try:
        pool.start_postgres_in_background()
        redis_url = pool.start_redis()
        sqlite_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        log("migrating a SQLite file and a PostgreSQL database")
        servers.migrate(sqlite_url)
        postgres_url = pool.postgres_database("konexi_bench")
        log(f"seeding {scale.vouchers} vouchers, {scale.branches} branches, {scale.users} users")
        data["sqlite"] = seed_database(sqlite_url, scale)
        log(f"SQLite seeded in {data['sqlite']['seconds']}s")
        data["postgres"] = seed_database(postgres_url, scale)
        log(f"PostgreSQL seeded in {data['postgres']['seconds']}s")
        web_url = postgres_url if web_backend == "postgres" else sqlite_url

        # gunicorn starts while the pictures are attached (nothing is being timed then).
        web = web_servers(web_url, postgres_url, redis_url, workdir)
        web.launch()
        data["card_images"] = attach_card_images(
            web_url, pages=1 if scale.quick else 2, size=800 if scale.quick else 1600
        )
        web.wait_ready()

        for backend, url in (("sqlite", sqlite_url), ("postgres", postgres_url)):
            _step(
                results["nearby"], backend, f"nearby query, {backend}", measure_nearby, url, scale
            )
        _step(
            results,
            "pages",
            f"page weight and timing ({web_backend})",
            measure_pages,
            web.app.url,
            scale,
        )
        _step(
            results,
            "throughput",
            f"throughput ({web_backend})",
            measure_feed_throughput,
            web.app,
            web.hello,
            scale,
        )
        _step(
            results,
            "throughput_signed_in",
            f"throughput, signed-in feed ({web_backend})",
            measure_throughput_signed_in,
            web_url,
            web,
            scale,
        )
        _step(
            results,
            "throughput_uncached",
            f"throughput, anonymous feed without the page cache ({web_backend})",
            measure_feed_throughput,
            web.uncached,
            web.hello,
            scale,
        )
        _step(
            results,
            "shared_cache",
            f"shared page cache, two gunicorn masters on one Redis ({web_backend})",
            measure_shared_cache,
            web,
            scale,
        )
        _step(
            results,
            "claims",
            "claim race (PostgreSQL, HTTP)",
            measure_claims,
            postgres_url,
            web.claims,
            redis_url,
            scale,
        )
        _step(
            results,
            "capacity",
            f"claim capacity at {scale.capacity_levels} claimers (PostgreSQL, HTTP)",
            measure_capacity,
            postgres_url,
            web.claims,
            redis_url,
            scale,
        )
        web.stop()
        _step(
            results,
            "sweep",
            f"gunicorn settings at {scale.sweep_claimers} claimers: "
            + ", ".join(setting.label for setting in scale.sweep),
            measure_sweep,
            postgres_url,
            redis_url,
            workdir,
            scale,
        )
        _step(
            results,
            "memory",
            f"memory under a burst of logins and uploads ({web_backend})",
            measure_memory,
            web_url,
            redis_url,
            workdir,
        )
        for backend, url in (("sqlite", sqlite_url), ("postgres", postgres_url)):
            _step(results["purge"], backend, f"purge, {backend}", measure_purge, url, scale)
        # Last: its own (large) database; with BENCH_POSTGRES_URL it replaces the tables above.
        _step(
            results["nearby"],
            "postgis_1m",
            f"nearby query, PostGIS at {scale.postgis_vouchers:,} vouchers",
            measure_nearby_postgis,
            pool,
            scale,
        )
    finally:
        if web is not None:
            web.stop()
        pool.stop()
        if os.environ.get("BENCH_KEEP"):
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    rows = budget_rows(results, scale)
    report = {
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": scale.quick,
        "scale": _jsonable(scale.__dict__),
        "seconds": round(time.perf_counter() - started, 1),
        "environment": _environment(),
        "data": data,
        "rows": rows,
        "results": _jsonable(results),
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny data, 1 repeat, no throttling")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--runs", type=int, help="Chromium timing runs (default 5, quick 1)")
    parser.add_argument("--seconds", type=int, help="load duration per app (default 15)")
    parser.add_argument(
        "--web-db",
        choices=("sqlite", "postgres"),
        help="database behind the gunicorn that serves the feed (default: SQLite; PostgreSQL "
        "with --quick, so one gunicorn serves everything, or when BENCH_POSTGRES_URL is set)",
    )
    args = parser.parse_args(argv)
    scale = QUICK if args.quick else FULL
    overrides = {"runs": args.runs, "load_seconds": args.seconds}
    scale = Scale(**{**scale.__dict__, **{k: v for k, v in overrides.items() if v}})
    web_backend = args.web_db or (
        "postgres" if scale.quick or os.environ.get("BENCH_POSTGRES_URL") else "sqlite"
    )
    report = run(scale, args.output, web_backend)
    print(
        f"\nKonexi benchmark, {report['ran_at']} ({'quick' if scale.quick else 'full'} run, "
        f"{report['seconds']}s)\n"
    )
    print(format_table(report["rows"]))
    for row in report["rows"]:
        if row["note"]:
            print(f"  {row['key']}: {row['note']}")
    claim_tables = format_claim_tables(report["results"])
    if claim_tables:
        print("\n" + claim_tables)
    print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
