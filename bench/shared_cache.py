"""The shared page cache across dynos: two gunicorn masters, one Redis, renders per expiry.

Two separate gunicorn masters stand for two web dynos: each runs the app's ``gunicorn.conf.py``
(its workers and threads), both on the same database and the same Redis, with a short
``PAGE_CACHE_SECONDS`` so the copy expires many times during the load. The load is spread over
both at once (half the connections each) and sends the same ``Host`` to both, as the platform's
router does (the cache key holds the host); the host is new in each run, so no copy exists
before the load starts.

Renders are counted from each master's request log (``konexi.requests`` lines of ``feed.index``
written during the load): a line ending ``cache=hit`` was replayed (from the worker's memory or
from Redis), any other line was rendered by the app. Hit rate = 1 - renders / requests;
renders per expiry = renders / (load seconds / ``PAGE_CACHE_SECONDS``): 1.0 is one render per
expiry for everybody, 2 dynos x 2 workers each rendering their own copy would be about 4.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench import servers, throughput
from bench.servers import Gunicorn

SECONDS_PER_COPY = 2  # PAGE_CACHE_SECONDS here: ten expiries in a 20 s load
DYNOS = 2


def dyno_servers(database_url: str, redis_url: str, workdir: Path) -> list[Gunicorn]:
    """The two masters (not started): the app's gunicorn.conf.py, one database, one Redis."""
    environ = {
        **servers.app_environ(database_url, redis_url),
        "PAGE_CACHE_SECONDS": str(SECONDS_PER_COPY),
        "LOG_LEVEL": "INFO",  # the request log is the counter
    }
    return [
        Gunicorn("wsgi:app", environ, workdir / f"gunicorn-dyno{n + 1}.log") for n in range(DYNOS)
    ]


def measure(
    dynos: list[Gunicorn], *, seconds: int, connections: int, use_wrk: bool
) -> dict[str, Any]:
    """Load ``/`` on the running masters at once; count renders and hits from their logs."""
    host = f"dynos-{secrets.token_hex(4)}.bench.konexi.test"
    loads: list[throughput.LoadResult | None] = [None] * len(dynos)
    failures: list[BaseException] = []
    for dyno in dynos:
        # Every worker renders a few pages of another host first (one URL each: none is a
        # copy of another), so no render below is a cold worker's first.
        dyno.warm_up([f"/?warm-up={n}" for n in range(16)], {"Host": "warm-up." + host})
    offsets = [dyno.log_size() for dyno in dynos]

    def load(n: int) -> None:
        try:
            loads[n] = throughput.load(
                dynos[n].url + "/",
                connections=max(1, connections // len(dynos)),
                seconds=seconds,
                use_wrk=use_wrk,
                warmup=False,
                headers={"Host": host},
            )
        except BaseException as error:  # noqa: BLE001 - raised again below
            failures.append(error)

    threads = [threading.Thread(target=load, args=(n,)) for n in range(len(dynos))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    per_dyno: list[dict[str, Any]] = []
    for dyno, offset, result in zip(dynos, offsets, loads, strict=True):
        lines = dyno.request_lines("feed.index", since=offset)
        per_dyno.append(
            {
                "requests_logged": len(lines),
                "renders": sum(1 for line in lines if not line.endswith("cache=hit")),
                "load": asdict(result) if result else None,
            }
        )
    requests = sum(d["requests_logged"] for d in per_dyno)
    renders = sum(d["renders"] for d in per_dyno)
    expiries = seconds / SECONDS_PER_COPY
    return {
        "dynos": len(dynos),
        "page_cache_seconds": SECONDS_PER_COPY,
        "seconds": seconds,
        "requests": requests,
        "renders": renders,
        "hit_rate": round(1 - renders / requests, 5) if requests else None,
        "renders_per_expiry": round(renders / expiries, 2),
        "non_success": sum((d["load"] or {}).get("non_success", 0) for d in per_dyno),
        "per_dyno": per_dyno,
    }
