"""The large benchmark data set: Indonesian providers, branches, vouchers and users.

Branches cluster around real city centres, weighted roughly by population: Jakarta and its
satellites hold about a third, the big Java and Sumatra cities most of the rest, and a long tail
of small towns (Kalimantan, Sulawesi, Nusa Tenggara, Maluku, Papua) stays sparse. Companies own
several branches (a few national chains own hundreds); each voucher is valid at 1–5 of its
company's branches. Most vouchers are live; some are expired, sold out, paused, drafts or not
started yet. Everything goes in with SQLAlchemy Core bulk inserts, so 100,000 vouchers take
seconds, not minutes.

    python -m bench.dataset --branches 20000 --vouchers 100000 --users 1000

seeds the database at ``DATABASE_URL`` (already migrated: ``flask --app wsgi db upgrade``).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask
from sqlalchemy import Table, func, insert, select, text

from konexi.extensions import db
from konexi.models import Branch, Category, Company, User, Voucher, voucher_branches
from konexi.models.base import utcnow
from konexi.models.catalogue import latitude_band
from konexi.services.accounts.passwords import hash_password

BATCH = 5_000
BENCH_PASSWORD = "bench-password"  # noqa: S105 - throwaway benchmark accounts

# (name, latitude, longitude, weight, spread in degrees)
CITIES: tuple[tuple[str, float, float, float, float], ...] = (
    ("Jakarta", -6.2000, 106.8450, 220, 0.10),
    ("Tangerang", -6.1783, 106.6319, 40, 0.06),
    ("Bekasi", -6.2383, 106.9756, 40, 0.06),
    ("Depok", -6.4025, 106.7942, 28, 0.05),
    ("Bogor", -6.5950, 106.8166, 22, 0.05),
    ("Surabaya", -7.2575, 112.7521, 75, 0.07),
    ("Bandung", -6.9175, 107.6191, 65, 0.06),
    ("Medan", 3.5952, 98.6722, 50, 0.06),
    ("Semarang", -6.9667, 110.4167, 32, 0.05),
    ("Makassar", -5.1477, 119.4327, 30, 0.05),
    ("Palembang", -2.9761, 104.7754, 28, 0.05),
    ("Denpasar", -8.6705, 115.2126, 25, 0.05),
    ("Yogyakarta", -7.7956, 110.3695, 22, 0.04),
    ("Malang", -7.9666, 112.6326, 18, 0.04),
    ("Batam", 1.0456, 104.0305, 17, 0.05),
    ("Pekanbaru", 0.5071, 101.4478, 16, 0.04),
    ("Bandar Lampung", -5.3971, 105.2668, 15, 0.04),
    ("Padang", -0.9471, 100.4172, 14, 0.04),
    ("Surakarta", -7.5755, 110.8243, 13, 0.03),
    ("Balikpapan", -1.2379, 116.8529, 10, 0.04),
    ("Samarinda", -0.5022, 117.1536, 10, 0.04),
    ("Pontianak", -0.0263, 109.3425, 10, 0.04),
    ("Banjarmasin", -3.3186, 114.5944, 10, 0.04),
    ("Manado", 1.4748, 124.8421, 9, 0.03),
    ("Jambi", -1.6101, 103.6131, 8, 0.03),
    ("Cirebon", -6.7320, 108.5523, 8, 0.03),
    ("Mataram", -8.5833, 116.1167, 7, 0.03),
    ("Kupang", -10.1772, 123.6070, 5, 0.03),
    ("Jayapura", -2.5337, 140.7181, 5, 0.03),
    ("Ambon", -3.6954, 128.1814, 4, 0.03),
    ("Palu", -0.8917, 119.8707, 4, 0.03),
    ("Kendari", -3.9985, 122.5127, 4, 0.03),
    ("Bengkulu", -3.8004, 102.2655, 4, 0.03),
    ("Palangka Raya", -2.2161, 113.9135, 3, 0.03),
    ("Tarakan", 3.3000, 117.6333, 2, 0.02),
    ("Sorong", -0.8762, 131.2558, 2, 0.02),
    ("Ternate", 0.7893, 127.3753, 2, 0.02),
    ("Gorontalo", 0.5435, 123.0568, 2, 0.02),
    ("Banda Aceh", 5.5483, 95.3238, 3, 0.03),
    ("Pangkal Pinang", -2.1291, 106.1090, 2, 0.02),
    # the long tail: small towns, a few branches each
    ("Sampit", -2.5333, 112.9500, 0.8, 0.02),
    ("Pangkalan Bun", -2.6833, 111.6167, 0.6, 0.02),
    ("Muara Teweh", -0.9500, 114.9000, 0.3, 0.01),
    ("Putussibau", 0.8333, 112.9333, 0.2, 0.01),
    ("Sintang", 0.0667, 111.5000, 0.4, 0.01),
    ("Ketapang", -1.8500, 109.9833, 0.4, 0.01),
    ("Tanjung Redeb", 2.1500, 117.4833, 0.3, 0.01),
    ("Merauke", -8.4932, 140.4018, 0.5, 0.02),
    ("Wamena", -4.0975, 138.9500, 0.2, 0.01),
    ("Timika", -4.5500, 136.8833, 0.4, 0.01),
    ("Nabire", -3.3667, 135.4833, 0.2, 0.01),
    ("Manokwari", -0.8615, 134.0620, 0.4, 0.01),
    ("Fakfak", -2.9167, 132.3000, 0.1, 0.01),
    ("Biak", -1.1833, 136.0833, 0.2, 0.01),
    ("Tual", -5.6333, 132.7500, 0.1, 0.01),
    ("Saumlaki", -7.9833, 131.3000, 0.1, 0.01),
    ("Ende", -8.8432, 121.6623, 0.3, 0.01),
    ("Maumere", -8.6199, 122.2111, 0.3, 0.01),
    ("Labuan Bajo", -8.4964, 119.8877, 0.3, 0.01),
    ("Bima", -8.4600, 118.7267, 0.3, 0.01),
    ("Waingapu", -9.6567, 120.2641, 0.1, 0.01),
    ("Luwuk", -0.9500, 122.7833, 0.2, 0.01),
    ("Poso", -1.3959, 120.7524, 0.2, 0.01),
    ("Mamuju", -2.6806, 118.8861, 0.2, 0.01),
    ("Bau-Bau", -5.4667, 122.6333, 0.2, 0.01),
    ("Tobelo", 1.7333, 128.0000, 0.1, 0.01),
    ("Sibolga", 1.7427, 98.7792, 0.3, 0.01),
    ("Meulaboh", 4.1363, 96.1285, 0.2, 0.01),
    ("Tanjung Pandan", -2.7500, 107.6500, 0.3, 0.01),
    ("Tanjung Selor", 2.8375, 117.3653, 0.1, 0.01),
    ("Pacitan", -8.2000, 111.1000, 0.3, 0.01),
    ("Banyuwangi", -8.2192, 114.3691, 0.6, 0.02),
    ("Tasikmalaya", -7.3274, 108.2207, 1.5, 0.02),
    ("Purwokerto", -7.4245, 109.2302, 1.5, 0.02),
    ("Kediri", -7.8480, 112.0178, 1.2, 0.02),
    ("Jember", -8.1724, 113.7000, 1.2, 0.02),
)

CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("food-drink", "Food & drink", "Makanan & minuman"),
    ("beauty", "Beauty", "Kecantikan"),
    ("shopping", "Shopping", "Belanja"),
    ("fun", "Fun & leisure", "Hiburan"),
    ("services", "Services", "Layanan"),
    ("health", "Health", "Kesehatan"),
    ("travel", "Travel", "Perjalanan"),
    ("education", "Education", "Pendidikan"),
)
CATEGORY_WEIGHTS = (40, 12, 15, 10, 8, 6, 5, 4)

WORDS = (
    "Kopi Warung Toko Salon Bakso Mie Sate Roti Batik Apotek Bengkel Laundry Spa Gym Kedai "
    "Rumah Makan Depot Soto Martabak Nasi Ayam Es Teh Jamu Optik Sepatu Buku Studio"
).split()
OFFERS = (
    "Buy 1 get 1",
    "20% off",
    "Free upsize",
    "Rp 10.000 off",
    "Half price",
    "Free dessert",
    "30% off weekdays",
    "Free delivery",
    "Student discount",
    "Happy hour",
)


def _batches(rows: Iterable[dict[str, object]], size: int = BATCH) -> Iterator[list[dict]]:
    batch: list[dict[str, object]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert(table: Table, rows: Iterable[dict[str, object]]) -> int:
    """Bulk insert: COPY on PostgreSQL (ten times faster than batched INSERTs there), batched
    Core ``insert()`` executemany elsewhere."""
    count = 0
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        # COPY skips the model's Python-side defaults (the ORM and insert() apply them).
        defaults = {
            column.name: column.default.arg  # type: ignore[attr-defined]
            for column in table.columns
            if column.default is not None and column.default.is_scalar
        }
        for batch in _batches({**defaults, **row} for row in rows):
            columns = list(batch[0])
            names = ", ".join(f'"{name}"' for name in columns)
            with driver.cursor() as cursor:  # type: ignore[union-attr]
                with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                    for row in batch:
                        copy.write_row([row[name] for name in columns])
            count += len(batch)
        return count
    for batch in _batches(rows):
        db.session.execute(insert(table), batch)
        count += len(batch)
    return count


def _next_id(column: object) -> int:
    return int(db.session.scalar(select(func.coalesce(func.max(column), 0))) or 0) + 1


def _company_sizes(rng: random.Random, branches: int) -> list[int]:
    """Branch counts per company: many one-to-five-branch firms, a few national chains."""
    sizes: list[int] = []
    total = 0
    while total < branches:
        roll = rng.random()
        if roll < 0.004:
            size = rng.randint(100, 400)
        elif roll < 0.04:
            size = rng.randint(15, 60)
        elif roll < 0.25:
            size = rng.randint(4, 12)
        else:
            size = rng.randint(1, 3)
        size = min(size, branches - total)
        sizes.append(size)
        total += size
    return sizes


def _city_point(rng: random.Random, city: tuple[str, float, float, float, float]) -> tuple:
    _, lat, lon, _, spread = city
    return (
        round(rng.gauss(lat, spread), 6),
        round(rng.gauss(lon, spread / math.cos(math.radians(lat))), 6),
    )


@dataclass
class _Firms:
    """Companies and their branches, as rows to insert, and which branches each company has."""

    first_company: int
    company_rows: list[dict[str, object]]
    branch_rows: list[dict[str, object]]
    branch_ids: list[list[int]]  # per company, in order
    categories: list[int]  # per company
    now: object


def _companies_and_branches(rng: random.Random, branches: int, category_ids: list[int]) -> _Firms:
    """Companies of realistic sizes (_company_sizes) with branches around the cities."""
    sizes = _company_sizes(rng, branches)
    company_id = _next_id(Company.id)
    branch_id = _next_id(Branch.id)
    company_rows: list[dict[str, object]] = []
    branch_rows: list[dict[str, object]] = []
    company_branches: list[list[int]] = []
    company_category: list[int] = []
    city_weights = [city[3] for city in CITIES]
    now = utcnow()
    for n, size in enumerate(sizes):
        cid = company_id + n
        category = rng.choices(category_ids, CATEGORY_WEIGHTS[: len(category_ids)])[0]
        name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {n + 1}"
        company_rows.append(
            {
                "id": cid,
                "name": name,
                "slug": f"bench-{cid}",
                "description": f"{name}: a benchmark provider.",
                "category_id": category,
                "is_active": rng.random() > 0.02,
                "created_at": now,
            }
        )
        # Small firms stay in one city; chains spread across the country by population.
        home = rng.choices(CITIES, city_weights)[0]
        ids: list[int] = []
        for _ in range(size):
            city = home if size <= 12 else rng.choices(CITIES, city_weights)[0]
            located = rng.random() > 0.02  # a few online-only branches without a location
            lat, lon = _city_point(rng, city) if located else (None, None)
            bid = branch_id + len(branch_rows)
            branch_rows.append(
                {
                    "id": bid,
                    "company_id": cid,
                    "name": f"{name} {city[0]} {len(ids) + 1}",
                    "address": f"Jl. Benchmark No. {bid}",
                    "city": city[0],
                    "latitude": lat,
                    "longitude": lon,
                    "lat_band": latitude_band(lat),
                    "phone": None,
                    "is_active": rng.random() > 0.03,
                    "opening_hours": "",
                }
            )
            ids.append(bid)
        company_branches.append(ids)
        company_category.append(category)
    return _Firms(company_id, company_rows, branch_rows, company_branches, company_category, now)


def seed(
    app: Flask,
    *,
    branches: int = 20_000,
    vouchers: int = 100_000,
    users: int = 1_000,
    rng_seed: int = 7,
) -> dict[str, int]:
    """Fill the app's (migrated) database with the benchmark data set; returns what it added."""
    rng = random.Random(rng_seed)
    started = time.monotonic()
    with app.app_context():
        counts = {"categories": 0, "companies": 0, "branches": 0, "vouchers": 0, "links": 0}
        category_ids = _categories()
        counts["categories"] = len(category_ids)
        firms = _companies_and_branches(rng, branches, category_ids)
        company_id, company_branches, company_category = (
            firms.first_company,
            firms.branch_ids,
            firms.categories,
        )
        voucher_id = _next_id(Voucher.id)
        now = firms.now
        counts["companies"] = _insert(Company.__table__, firms.company_rows)
        counts["branches"] = _insert(Branch.__table__, firms.branch_rows)

        # Vouchers go to companies in proportion to their size (a chain runs more offers).
        weights = [len(ids) ** 0.8 for ids in company_branches]
        owners = rng.choices(range(len(company_branches)), weights, k=vouchers)
        voucher_rows: list[dict[str, object]] = []
        link_rows: list[dict[str, object]] = []
        for n, owner in enumerate(owners):
            vid = voucher_id + n
            voucher_rows.append(
                _voucher(rng, vid, company_id + owner, now, category_ids, company_category[owner])
            )
            ids = company_branches[owner]
            for bid in rng.sample(ids, min(len(ids), rng.randint(1, 5))):
                link_rows.append({"voucher_id": vid, "branch_id": bid})
            if len(voucher_rows) >= BATCH:
                counts["vouchers"] += _insert(Voucher.__table__, voucher_rows)
                counts["links"] += _insert(voucher_branches, link_rows)
                voucher_rows, link_rows = [], []
        counts["vouchers"] += _insert(Voucher.__table__, voucher_rows)
        counts["links"] += _insert(voucher_branches, link_rows)
        counts["users"] = _users(users)
        _after_bulk_insert()
        db.session.commit()
        _analyze()
    counts["seconds"] = round(time.monotonic() - started, 1)  # type: ignore[assignment]
    return counts


# The vouchers of the large PostgreSQL data set, written by the server itself: a million rows
# made in Python and copied in took minutes; generate_series takes seconds. The mix follows
# _voucher (8% expired, 5% sold out, 3% paused or draft, 3% not started, 80% in the company's
# category); owners are drawn through a branch, so a company's share follows its size.
_LARGE_VOUCHERS = """
WITH p AS (
    SELECT CAST(:now AS timestamptz) AS now, CAST(:first_voucher AS int) AS first,
           CAST(:categories AS int[]) AS categories, CAST(:offers AS text[]) AS offers,
           CAST(:words AS text[]) AS words
)
INSERT INTO vouchers (id, company_id, category_id, title, description, terms, quota_total,
                      quota_claimed, per_user_limit, starts_at, ends_at, status, created_at)
SELECT id, company_id, category_id, title, title || ', at the branches listed.',
       'One per customer per visit.', quota,
       CASE WHEN roll >= 0.08 AND roll < 0.13 THEN quota ELSE floor(b * quota / 2)::int END,
       (ARRAY[1, 1, 1, 2, 5])[1 + floor(c * 5)::int],
       CASE WHEN roll < 0.08 THEN ends - interval '30 days'
            WHEN roll >= 0.16 AND roll < 0.19 THEN now + (1 + 13 * c) * interval '1 day'
            ELSE now - 30 * c * interval '1 day' END,
       CASE WHEN roll >= 0.16 AND roll < 0.19 THEN now + (31 + 13 * c) * interval '1 day'
            ELSE ends END,
       CASE WHEN roll < 0.08 AND d < 0.5 THEN 'ended'
            WHEN roll >= 0.13 AND roll < 0.16 THEN (ARRAY['paused', 'draft'])[1 + floor(d * 2)::int]
            ELSE 'live' END,
       now
FROM (
    SELECT p.first + g - 1 AS id, slot.company_id, roll, b, c, d, p.now,
           CASE WHEN e < 0.8 THEN companies.category_id
                ELSE p.categories[1 + floor(f * cardinality(p.categories))::int] END
             AS category_id,
           (ARRAY[10, 25, 50, 100, 200, 500, 1000])[1 + floor(a * 7)::int] AS quota,
           p.offers[1 + floor(f * cardinality(p.offers))::int] || ' '
             || lower(p.words[1 + floor(e * cardinality(p.words))::int])
             || ' #' || (p.first + g - 1) AS title,
           CASE WHEN roll < 0.08 THEN p.now - (0.1 + 59.9 * d) * interval '1 day'
                ELSE p.now + (0.5 + 89.5 * d) * interval '1 day' END AS ends
    FROM (SELECT g, random() AS roll, random() AS a, random() AS b, random() AS c,
                 random() AS d, random() AS e, random() AS f, random() AS s
          FROM generate_series(1, CAST(:vouchers AS int)) AS g) AS draws
    CROSS JOIN p
    JOIN (SELECT row_number() OVER (ORDER BY id) AS n, company_id FROM branches) AS slot
      ON slot.n = 1 + floor(draws.s * CAST(:branch_count AS int))::int
    JOIN companies ON companies.id = slot.company_id
) AS drawn
"""
# Each voucher at 1-5 of its company's branches (fewer when the company has fewer): spread over
# the company's branches (their ids are consecutive) by its id.
_LARGE_LINKS = """
INSERT INTO voucher_branches (voucher_id, branch_id)
SELECT vouchers.id, firms.first_branch + ((vouchers.id * 7 + k * 13) % firms.size)
FROM vouchers
JOIN (SELECT company_id, min(id) AS first_branch, count(*)::int AS size
      FROM branches GROUP BY company_id) AS firms ON firms.company_id = vouchers.company_id
CROSS JOIN generate_series(0, 4) AS k
WHERE vouchers.id >= :first_voucher AND k < least(firms.size, 1 + vouchers.id % 5)
ON CONFLICT DO NOTHING
"""


def seed_large_postgres(
    app: Flask, *, branches: int = 100_000, vouchers: int = 1_000_000, rng_seed: int = 7
) -> dict[str, int]:
    """The nearby benchmark's large data set on PostgreSQL (no users): companies and branches
    as in ``seed`` (copied in), vouchers and their links generated by the server."""
    rng = random.Random(rng_seed)
    started = time.monotonic()
    with app.app_context():
        if db.session.get_bind().dialect.name != "postgresql":
            raise ValueError("seed_large_postgres needs PostgreSQL")
        category_ids = _categories()
        firms = _companies_and_branches(rng, branches, category_ids)
        counts = {
            "categories": len(category_ids),
            "companies": _insert(Company.__table__, firms.company_rows),
            "branches": _insert(Branch.__table__, firms.branch_rows),
        }
        if db.session.scalar(text("SELECT current_setting('is_superuser')")) == "on":
            # The generated ids come from rows already there, so the foreign-key checks (two
            # trigger calls per link, per voucher) find nothing; skipped, seeding takes a third
            # of the time. Only a superuser may; elsewhere the checks run.
            db.session.execute(text("SET LOCAL session_replication_role = replica"))
        db.session.execute(text("SELECT setseed(:seed)"), {"seed": rng_seed / 100})
        first_voucher = _next_id(Voucher.id)
        parameters = {
            "now": firms.now,
            "first_voucher": first_voucher,
            "vouchers": vouchers,
            "branch_count": counts["branches"],
            "categories": category_ids,
            "offers": list(OFFERS),
            "words": list(WORDS),
        }
        counts["vouchers"] = db.session.execute(text(_LARGE_VOUCHERS), parameters).rowcount
        counts["links"] = db.session.execute(
            text(_LARGE_LINKS), {"first_voucher": first_voucher}
        ).rowcount
        _after_bulk_insert()
        db.session.commit()
        _analyze()
    counts["seconds"] = round(time.monotonic() - started, 1)
    return counts


def _voucher(
    rng: random.Random,
    vid: int,
    company_id: int,
    now: object,
    category_ids: list[int],
    company_category: int,
) -> dict[str, object]:
    quota = rng.choice((10, 25, 50, 100, 200, 500, 1000))
    claimed = rng.randint(0, quota // 2)
    status = "live"
    starts = now - timedelta(days=rng.uniform(0, 30))  # type: ignore[operator]
    ends = now + timedelta(days=rng.uniform(0.5, 90))  # type: ignore[operator]
    roll = rng.random()
    if roll < 0.08:  # expired (some already marked ended)
        ends = now - timedelta(days=rng.uniform(0.1, 60))  # type: ignore[operator]
        starts = ends - timedelta(days=30)
        status = "ended" if rng.random() < 0.5 else "live"
    elif roll < 0.13:  # sold out
        claimed = quota
    elif roll < 0.16:
        status = rng.choice(("paused", "draft"))
    elif roll < 0.19:  # starts later
        starts = now + timedelta(days=rng.uniform(1, 14))  # type: ignore[operator]
        ends = starts + timedelta(days=30)
    category = company_category if rng.random() < 0.8 else rng.choice(category_ids)
    title = f"{rng.choice(OFFERS)} {rng.choice(WORDS).lower()} #{vid}"
    return {
        "id": vid,
        "company_id": company_id,
        "category_id": category,
        "title": title,
        "description": f"{title}, at the branches listed.",
        "terms": "One per customer per visit.",
        "quota_total": quota,
        "quota_claimed": claimed,
        "per_user_limit": rng.choice((1, 1, 1, 2, 5)),
        "starts_at": starts,
        "ends_at": ends,
        "status": status,
        "created_at": now,
        "image_id": None,
    }


def _categories() -> list[int]:
    existing = {slug: cid for cid, slug in db.session.execute(select(Category.id, Category.slug))}
    missing = [
        {"slug": slug, "name_en": en, "name_id": id_}
        for slug, en, id_ in CATEGORIES
        if slug not in existing
    ]
    if missing:
        _insert(Category.__table__, missing)
        existing = {
            slug: cid for cid, slug in db.session.execute(select(Category.id, Category.slug))
        }
    return [existing[slug] for slug, _, _ in CATEGORIES]


def _users(count: int) -> int:
    """Verified users sharing one password hash (argon2 is slow on purpose)."""
    if count <= 0:
        return 0
    password_hash = hash_password(BENCH_PASSWORD)
    first = _next_id(User.id)
    now = utcnow()
    rows = (
        {
            "id": first + n,
            "name": f"Bench User {first + n}",
            "email": f"bench{first + n}@konexi.test",
            "phone": f"+62813{first + n:08d}",
            "password_hash": password_hash,
            "phone_verified_at": now,
            "email_verified_at": now,
            "created_at": now,
        }
        for n in range(count)
    )
    return _insert(User.__table__, rows)


def _after_bulk_insert() -> None:
    """Explicit ids bypass PostgreSQL's sequences: move them past the new rows; then let any
    derived data the app keeps catch up."""
    if db.session.get_bind().dialect.name == "postgresql":
        for table in ("categories", "companies", "branches", "vouchers", "users"):
            db.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
            )


def _analyze() -> None:
    """Fresh planner statistics, as a production database gathers them by itself."""
    with db.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--branches", type=int, default=20_000)
    parser.add_argument("--vouchers", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL"):
        print("Set DATABASE_URL to a migrated database.", file=sys.stderr)
        return 2
    from konexi import create_app

    app = create_app()
    counts = seed(
        app,
        branches=args.branches,
        vouchers=args.vouchers,
        users=args.users,
        rng_seed=args.seed,
    )
    print(" ".join(f"{name}={value}" for name, value in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
