"""The claim race over HTTP: many logged-in users claim a voucher with few left, all at once.

The first user logs in through the real login form of the running gunicorn (CSRF token and
argon2 check included). The others get their session the efficient way: Flask-Login's
``login_user`` runs in a request context of the same app (same secret key) and the signed session
cookie it produces is handed to the client, because 200 argon2 checks with production parameters
would take minutes on a 2-core machine and are not what is measured. Each user then fetches the
voucher page through gunicorn for its CSRF token, with its own cookie session. Then every user's
claim is released at the same instant by a barrier, one thread per user, as plain form POSTs
(the JavaScript-off path).
A success answers 303 to the new claim's page (``/me/vouchers/<id>``); a refusal answers 303
back to the voucher page; anything else (or an exception) is an error.
"""

from __future__ import annotations

import math
import re
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import Flask
from sqlalchemy import func, insert, select

CLAIMER_PASSWORD = "claim-race-password"  # noqa: S105 - a throwaway bench password
PAGE_THREADS = 4  # fetching the voucher pages (for CSRF tokens) before the race
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def _csrf(html: str) -> str:
    match = _CSRF.search(html)
    if not match:
        raise RuntimeError("the page carries no CSRF token")
    return match.group(1) or match.group(2)


def add_voucher(*, left: int, quota_total: int, title: str = "Claim race: es kopi susu") -> Any:
    """A live voucher of a new company with ``left`` of ``quota_total`` remaining, one per person
    (added to the session of the current app context, not committed)."""
    from konexi.extensions import db
    from konexi.models import Branch, Category, Company, Voucher
    from konexi.models.base import utcnow

    now = utcnow()
    category = db.session.scalar(select(Category).order_by(Category.id).limit(1))
    if category is None:
        category = Category(slug="race", name_en="Race", name_id="Balapan")
        db.session.add(category)
    company = Company(name="Claim Race Kopi", slug=f"claim-race-{time.time_ns()}")
    company.branches = [
        Branch(name="Claim Race Sudirman", address="Jl. Sudirman 1", city="Jakarta")
    ]
    db.session.add(company)
    db.session.flush()
    voucher = Voucher(
        company=company,
        category=category,
        title=title,
        description="The benchmark's claim race.",
        terms="One per person.",
        quota_total=quota_total,
        quota_claimed=quota_total - left,
        per_user_limit=1,
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=7),
        status="live",
        branches=list(company.branches),
    )
    db.session.add(voucher)
    db.session.flush()
    return voucher


def prepare_race(app: Flask, *, claimers: int, left: int) -> tuple[int, list[str]]:
    """A live voucher with ``left`` of its quota remaining, and ``claimers`` verified users."""
    from konexi.extensions import db
    from konexi.models import User
    from konexi.models.base import utcnow
    from konexi.services.accounts.passwords import hash_password

    with app.app_context():
        now = utcnow()
        voucher = add_voucher(left=left, quota_total=left + 70)
        # One argon2 hash for everyone (hashing is not what is measured); verified users.
        password_hash = hash_password(CLAIMER_PASSWORD)
        emails = [f"racer{n}-{voucher.company.slug}@bench.konexi.test" for n in range(claimers)]
        db.session.execute(
            insert(User),
            [
                {
                    "name": f"Racer {n}",
                    "email": email,
                    "phone": f"+62819{n:07d}",
                    "password_hash": password_hash,
                    "phone_verified_at": now,
                    "email_verified_at": now,
                }
                for n, email in enumerate(emails)
            ],
        )
        db.session.commit()
        voucher_id = voucher.id
        db.session.remove()
    return voucher_id, emails


def log_in_with_form(base_url: str, email: str) -> requests.Session:
    """A cookie session logged in through the login form."""
    session = requests.Session()
    page = session.get(f"{base_url}/login", timeout=60)
    response = session.post(
        f"{base_url}/login",
        data={"csrf_token": _csrf(page.text), "identifier": email, "password": CLAIMER_PASSWORD},
        allow_redirects=False,
        timeout=60,
    )
    if response.status_code not in (302, 303):
        raise RuntimeError(f"login of {email} answered {response.status_code}")
    return session


def signed_session(app: Flask, base_url: str, email: str) -> requests.Session:
    """A cookie session started by Flask-Login's ``login_user`` in a request of the same app."""
    from bench.sessions import sign_in
    from konexi.extensions import db
    from konexi.models import User

    with app.app_context():
        user_id = db.session.execute(select(User.id).where(User.email == email)).scalar_one()
    (signed,) = sign_in(app, [user_id])
    session = requests.Session()
    host = urlsplit(base_url).hostname
    for name, value in signed.cookies.items():
        # The cookie must be the one the server's later Set-Cookie replaces (same domain and
        # path), or the client would send the stale one first.
        session.cookies.set(name, value, domain=host, path="/")
    return session


def with_csrf_token(
    session: requests.Session, base_url: str, voucher_id: int
) -> tuple[requests.Session, str]:
    """The voucher page through gunicorn (logged in?), and its CSRF token."""
    voucher_page = session.get(f"{base_url}/vouchers/{voucher_id}", timeout=60)
    if 'action="/logout"' not in voucher_page.text:
        raise RuntimeError("the session is not logged in")
    token = _csrf(voucher_page.text)
    session.close()  # the race opens fresh connections (idle keep-alives time out meanwhile)
    return session, token


def race(base_url: str, voucher_id: int, sessions: list[tuple[requests.Session, str]]) -> dict:
    """Release every claim at once; classify each answer and time it."""
    barrier = threading.Barrier(len(sessions))
    results: list[dict[str, Any]] = []
    lock = threading.Lock()

    def claim(session: requests.Session, token: str) -> None:
        outcome: dict[str, Any] = {}
        try:
            barrier.wait(timeout=60)
            started = time.perf_counter()
            response = session.post(
                f"{base_url}/vouchers/{voucher_id}/claim",
                data={"csrf_token": token},
                allow_redirects=False,
                timeout=60,
            )
            outcome["ms"] = (time.perf_counter() - started) * 1000
            outcome["result"] = claim_answer(
                response.status_code, response.headers.get("Location", ""), voucher_id
            )
        except Exception as error:  # noqa: BLE001 - every failure is counted as an error
            outcome["result"] = f"error: {type(error).__name__}: {error}"
        finally:
            session.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=claim, args=pair) for pair in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    counted = outcomes(results)
    counted["errors"] += len(sessions) - len(results)  # a thread that never answered
    return counted


def claim_answer(status: int, location: str, voucher_id: int) -> str:
    """``ok`` (303 to the new claim), ``refused`` (303 back to the voucher) or ``error: …``."""
    if status == 303 and "/me/vouchers/" in location:
        return "ok"
    if status == 303 and f"/vouchers/{voucher_id}" in location:
        return "refused"
    return f"error: HTTP {status}"


def outcomes(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts of ``{"result": …, "ms": …}`` answers and the latency at the client (every
    answer that arrived, refusals included: p50, p95, max)."""
    latencies = sorted(r["ms"] for r in results if "ms" in r)
    errors = [r["result"] for r in results if r["result"].startswith("error")]
    return {
        "succeeded": sum(1 for r in results if r["result"] == "ok"),
        "refused": sum(1 for r in results if r["result"] == "refused"),
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:5],
        "latency_p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        # nearest rank: the smallest latency that 95 % of the answers do not exceed
        "latency_p95_ms": round(latencies[math.ceil(0.95 * len(latencies)) - 1], 1)
        if latencies
        else None,
        "latency_max_ms": round(latencies[-1], 1) if latencies else None,
    }


def claim_race(app: Flask, base_url: str, *, claimers: int = 200, left: int = 50) -> dict:
    """``claimers`` users claim a voucher with ``left`` remaining at once, over HTTP."""
    from konexi.extensions import db
    from konexi.models import Claim, Voucher

    voucher_id, emails = prepare_race(app, claimers=claimers, left=left)
    started = time.perf_counter()
    logged_in = [log_in_with_form(base_url, emails[0])]
    with app.app_context():
        logged_in += [signed_session(app, base_url, email) for email in emails[1:]]
    with ThreadPoolExecutor(max_workers=PAGE_THREADS) as pool:
        sessions = list(pool.map(lambda s: with_csrf_token(s, base_url, voucher_id), logged_in))
    login_seconds = time.perf_counter() - started
    outcome = race(base_url, voucher_id, sessions)
    with app.app_context():
        claims = db.session.scalar(
            select(func.count(Claim.id)).where(Claim.voucher_id == voucher_id)
        )
        voucher = db.session.get(Voucher, voucher_id)
        quota_exact = voucher.quota_claimed == voucher.quota_total
        db.session.remove()
    return {
        "claimers": claimers,
        "left": left,
        **outcome,
        "claims_in_database": claims,
        "quota_claimed_equals_total": quota_exact,
        "login_seconds": round(login_seconds, 1),
        "logins": "1 through the login form, the others by login_user() in a request context",
        "backend": app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0],
    }
