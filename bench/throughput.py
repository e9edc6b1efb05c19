"""Requests per second under gunicorn: the feed page against a bare Flask "hello" app.

Both are served by gunicorn with the app's ``gunicorn.conf.py`` (same workers and threads), one
after the other in the same run, and loaded by the same generator with the same connections,
duration and headers. ``wrk`` (Debian's package) is the generator; without it a small threaded
Python client stands in, and the result says so.

Signed-in load gives each connection its own session cookie: ``wrk`` then runs one thread per
connection with a Lua script that hands each thread one cookie (wrk's scripts know threads, not
connections); the Python client sends connection n the n-th cookie.
"""

from __future__ import annotations

import http.client
import json
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

# What a phone's browser sends: the server may compress, and both apps get the same headers.
HEADERS = {"Accept-Encoding": "gzip, br", "Accept-Language": "en"}


@dataclass
class LoadResult:
    url: str
    generator: str
    connections: int
    seconds: float
    requests: int
    requests_per_second: float
    non_success: int  # responses that were not 2xx or 3xx (a 429 would show here)
    latency_p50_ms: float | None = None
    latency_p99_ms: float | None = None
    statuses: dict[str, int] = field(default_factory=dict)


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {value!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> dict[str, float]:
    """The figures a ``wrk --latency`` report holds."""
    figures: dict[str, float] = {}
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if not match:
        raise RuntimeError(f"wrk printed no Requests/sec:\n{output}")
    figures["requests_per_second"] = float(match.group(1))
    match = re.search(r"(\d+) requests in ([\d.]+\w+)", output)
    if match:
        figures["requests"] = float(match.group(1))
        figures["seconds"] = _ms(match.group(2)) / 1000
    match = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    figures["non_success"] = float(match.group(1)) if match else 0.0
    match = re.search(r"Socket errors:.*", output)
    if match:
        figures["socket_errors"] = float(sum(int(n) for n in re.findall(r"\d+", match.group(0))))
    for percent, key in (("50", "latency_p50_ms"), ("99", "latency_p99_ms")):
        match = re.search(rf"^\s+{percent}%\s+(\S+)", output, re.MULTILINE)
        if match:
            figures[key] = _ms(match.group(1))
    return figures


# One cookie per wrk thread: setup() runs in wrk's main state once per thread, before the
# thread's init() builds its (static) request from wrk.headers.
_COOKIE_SCRIPT = """
local cookies = {%s}
local handed = 0
function setup(thread)
  handed = handed + 1
  thread:set("cookie", cookies[(handed - 1) %% #cookies + 1])
end
function init(args)
  wrk.headers["Cookie"] = cookie
end
"""


def cookie_script(cookies: Sequence[str], directory: Path) -> Path:
    """A wrk Lua script giving thread n the n-th cookie (JSON strings are Lua string literals
    for the ASCII a cookie holds)."""
    path = directory / "cookies.lua"
    path.write_text(_COOKIE_SCRIPT % ", ".join(json.dumps(c) for c in cookies))
    return path


def run_wrk(
    url: str,
    *,
    connections: int,
    seconds: int,
    threads: int = 1,
    headers: dict[str, str] | None = None,
    cookies: Sequence[str] = (),
) -> LoadResult:
    """``wrk`` against ``url`` with the given connections for ``seconds``; with ``cookies``,
    one thread per connection, each sending its own cookie."""
    sent = {**HEADERS, **(headers or {})}
    header_args = [arg for name, value in sent.items() for arg in ("-H", f"{name}: {value}")]
    with tempfile.TemporaryDirectory() as directory:
        script: list[str] = []
        if cookies:
            threads = connections
            script = ["-s", str(cookie_script(cookies, Path(directory)))]
        command = [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            *header_args,
            *script,
            url,
        ]
        output = subprocess.run(  # noqa: S603
            command, check=True, capture_output=True, text=True, timeout=seconds + 60
        ).stdout
    figures = parse_wrk(output)
    return LoadResult(
        url=url,
        generator=f"wrk -t{threads}" + (" (a session cookie per connection)" if cookies else ""),
        connections=connections,
        seconds=figures.get("seconds", float(seconds)),
        requests=int(figures.get("requests", 0)),
        requests_per_second=figures["requests_per_second"],
        non_success=int(figures["non_success"] + figures.get("socket_errors", 0)),
        latency_p50_ms=figures.get("latency_p50_ms"),
        latency_p99_ms=figures.get("latency_p99_ms"),
    )


def run_python_load(
    url: str,
    *,
    connections: int,
    seconds: float,
    headers: dict[str, str] | None = None,
    cookies: Sequence[str] = (),
) -> LoadResult:
    """The fallback generator: one thread per connection, keep-alive, GET in a loop; with
    ``cookies``, connection n sends the n-th one."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def hammer(number: int) -> None:
        sent = {**HEADERS, **(headers or {})}
        if cookies:
            sent["Cookie"] = cookies[number % len(cookies)]
        connection = http.client.HTTPConnection(parts.netloc, timeout=30)
        mine: list[float] = []
        seen: Counter[str] = Counter()
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=sent)
                response = connection.getresponse()
                response.read()
                seen[str(response.status)] += 1
            except (OSError, http.client.HTTPException):
                seen["error"] += 1
                connection.close()
                connection = http.client.HTTPConnection(parts.netloc, timeout=30)
                continue
            mine.append((time.perf_counter() - started) * 1000)
        connection.close()
        with lock:
            statuses.update(seen)
            latencies.extend(mine)

    started = time.monotonic()
    workers = [threading.Thread(target=hammer, args=(n,)) for n in range(connections)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    total = sum(statuses.values())
    latencies.sort()

    def percentile(p: float) -> float | None:
        return (
            round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 2)
            if latencies
            else None
        )

    return LoadResult(
        url=url,
        generator="python (wrk not installed)"
        + (", a session cookie per connection" if cookies else ""),
        connections=connections,
        seconds=round(elapsed, 2),
        requests=total,
        requests_per_second=round(total / elapsed, 2) if elapsed else 0.0,
        non_success=sum(n for status, n in statuses.items() if not status.startswith(("2", "3"))),
        latency_p50_ms=percentile(0.50),
        latency_p99_ms=percentile(0.99),
        statuses=dict(statuses),
    )


def load(
    url: str,
    *,
    connections: int,
    seconds: int,
    use_wrk: bool,
    warmup: bool,
    headers: dict[str, str] | None = None,
    cookies: Sequence[str] = (),
) -> LoadResult:
    """Warm the server up briefly (unless told not to), then load it for ``seconds``;
    ``headers`` are sent besides ``HEADERS``, ``cookies`` one per connection."""
    for duration in ([2 if use_wrk else 1] if warmup else []) + [seconds]:
        if use_wrk:
            result = run_wrk(
                url, connections=connections, seconds=duration, headers=headers, cookies=cookies
            )
        else:
            result = run_python_load(
                url, connections=connections, seconds=duration, headers=headers, cookies=cookies
            )
    return result


def throughput_ratio(
    feed_url: str,
    hello_url: str,
    *,
    connections: int,
    seconds: int,
    use_wrk: bool,
    warmup: bool = True,
    cookies: Sequence[str] = (),
) -> dict[str, object]:
    """Load the hello app and the feed the same way (with ``cookies``, both get the same
    cookie per connection); the ratio is feed req/s over hello req/s."""
    hello, feed = (
        load(
            url,
            connections=connections,
            seconds=seconds,
            use_wrk=use_wrk,
            warmup=warmup,
            cookies=cookies,
        )
        for url in (hello_url, feed_url)
    )
    ratio = feed.requests_per_second / hello.requests_per_second if hello.requests_per_second else 0
    return {
        "ratio": round(ratio, 3),
        "feed": asdict(feed),
        "hello": asdict(hello),
        "headers": HEADERS,
    }
