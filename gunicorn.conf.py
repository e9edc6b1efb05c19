"""gunicorn settings for a 512 MB dyno; every value can be overridden from the environment.

How WEB_CONCURRENCY=2 and GUNICORN_THREADS=4 were chosen (measured 2026-11-28 on a 2-core machine,
demo data on SQLite, `ps -o rss` and /proc/<pid>/smaps_rollup after 1,200 mixed page requests,
8 at a time, compressed):

- master (preload_app: the app is imported once, before the fork): RSS 108-111 MB, PSS 68-71 MB;
- each worker after warm-up (3 runs): RSS 116-119 MB, PSS 86-88 MB, 74-75 MB of it private
  (CPython's reference counts dirty most shared pages, so the fork saves little).
- 2 workers + master ≈ 240 MB PSS in steady state: 3 workers (≈ 330 MB) would still fit in
  steady state, but not with each worker's burst headroom, and 4 workers (≈ 420 MB) leave no
  room at all.

Memory budget: master + workers ≤ 450 MB RSS, so the 512 MB dyno keeps room for the platform.
A worker's bursts are bounded: one memory-heavy task at a time per process
(MEMORY_HEAVY_TASKS_AT_ONCE: an argon2 hash of 19 MiB, or a picture decode of at most 4 MP,
~35 MB with its copies; konexi/services/work_slots.py), and freed buffers leave the process
(the glibc mmap threshold below). Measured by `make bench` (row memory_burst_mb, 2026-12-04):
16 logins with production argon2 parameters and 8 uploads of the largest accepted picture at
once took master + 2 workers from 315 to 399 MB (workers 144 MB each), back to 337 MB after.
Before these bounds (argon2 at 64 MiB, 16 MP decodes, 4 at once per worker) the same kind of
burst reached 895 MB. tests/ops/test_memory_burst.py keeps each worker inside (450 MB − master) / 2.
- threads: requests mostly wait on the database, Redis or the network, so 4 threads per worker
  (8 requests in flight) use the two cores without more memory; the GIL makes more threads useless
  for CPU work (templates, compression), more workers would cost memory we do not have.

On a larger dyno raise WEB_CONCURRENCY first (about one worker per 120 MB of headroom).
"""

import ctypes
import ctypes.util

from konexi.config import read_setting

bind = f"0.0.0.0:{read_setting('PORT')}"
workers = read_setting("WEB_CONCURRENCY")
threads = read_setting("GUNICORN_THREADS")
worker_class = "gthread"
timeout = read_setting("GUNICORN_TIMEOUT")
keepalive = 5
# Recycle workers now and then, so a slow leak never reaches the dyno's limit — but rarely: a
# recycled worker starts with an empty page cache (at 2000 requests the cached feed restarted
# workers every few seconds under load, p99 0.85–1.6 s; without recycling, p99 41 ms).
max_requests = 50000
max_requests_jitter = 5000
preload_app = True
# No access log: it would print every client's full address and every path with its token
# (/verify/email/<token>, /s/<token>, /unsubscribe/<token>). konexi/web/request_log.py writes
# one line per request instead, with the route pattern and the address truncated to its network.
accesslog = None
errorlog = "-"
# Which peers gunicorn lets set X-Forwarded-Proto (it then marks the request https itself).
# None without a trusted proxy (TRUSTED_PROXIES=0): a client's own header must not count. With
# proxies, "*": Heroku's router has no fixed address (what Heroku documents), and the app's
# ProxyFix believes only the TRUSTED_PROXIES right-most hops (konexi/web/proxies.py).
forwarded_allow_ips = "*" if read_setting("TRUSTED_PROXIES") > 0 else ""
# Only the header Heroku's router sets: gunicorn's defaults also take X-Forwarded-Ssl and
# X-Forwarded-Protocol, which the router passes through from the client untouched.
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}


def _give_large_buffers_back_to_the_system() -> None:
    """glibc keeps freed memory in per-thread arenas and raises its mmap threshold as large
    blocks are freed, so an argon2 hash (19 MiB) or a decoded picture that ran once in each of
    a worker's 4 threads stayed resident 4 times. A fixed threshold (which also stops the
    raising) maps every buffer of 1 MiB or more on its own and unmaps it when freed. Set here,
    in the master before the fork, so every worker inherits it."""
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt if name else None
    except (OSError, AttributeError):  # not glibc (e.g. musl, macOS): nothing to tune
        mallopt = None
    if mallopt is not None:
        mallopt(M_MMAP_THRESHOLD, 1024 * 1024)


M_MMAP_THRESHOLD = -3  # glibc's malloc.h
_give_large_buffers_back_to_the_system()


def when_ready(server):  # type: ignore[no-untyped-def]
    """In the master, before the fork: compress the static files once for every worker, and say
    in one line which nearby search the database runs (PostGIS, or portable without it)."""
    from konexi.web.compression import warm_static_cache
    from konexi.web.health import announce_nearby_search

    if preload_app:
        warm_static_cache(server.app.wsgi())
        announce_nearby_search(server.app.wsgi())
