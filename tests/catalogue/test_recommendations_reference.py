""" "For you" without a location gives exactly what the rule says, checked against a plain Python
reading of the rule over random catalogues, claims and favourites (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from konexi.extensions import db
from konexi.models import Category, Claim, Company, User, Voucher
from konexi.models.base import utcnow
from konexi.models.preferences import user_favourite_categories
from konexi.services.catalogue.recommendations import for_you
from tests.support.catalogue import count_queries

LIMITS = (1, 4, 9, 60)


def _random_world(rng: random.Random, create_user) -> list[User]:
    """Categories, providers (a few closed), vouchers in every state with many equal end times,
    and users with random favourites and claims (some hidden, some using a voucher up)."""
    now = utcnow().replace(microsecond=0)
    categories = [
        Category(slug=f"cat-{n}", name_en=f"Category {n}", name_id=f"Kategori {n}")
        for n in range(7)
    ]
    companies = [
        Company(name=f"Provider {n}", slug=f"provider-{n}", is_active=rng.random() > 0.15)
        for n in range(14)
    ]
    db.session.add_all(categories + companies)
    db.session.flush()
    # A few big categories and providers, a long tail of small ones.
    category_weights = [30, 15, 8, 4, 2, 1, 1]
    company_weights = [1 + 20 // (n + 1) for n in range(len(companies))]
    vouchers = []
    for n in range(220):
        quota = rng.choice((1, 3, 10))
        roll = rng.random()
        starts = now - timedelta(days=rng.randint(1, 20))
        ends = now + timedelta(hours=rng.choice((2, 5, 30, 30, 30, 70, 200, 900)))
        status, claimed = "live", rng.randint(0, quota - 1)
        if roll < 0.08:
            ends = now - timedelta(hours=rng.randint(1, 100))  # expired
        elif roll < 0.14:
            claimed = quota  # sold out
        elif roll < 0.19:
            status = rng.choice(("paused", "draft", "ended"))
        elif roll < 0.24:
            starts = now + timedelta(days=rng.randint(1, 5))  # not started
        vouchers.append(
            Voucher(
                company_id=rng.choices(companies, company_weights)[0].id,
                category_id=rng.choices(categories, category_weights)[0].id,
                title=f"Voucher {n}",
                quota_total=quota,
                quota_claimed=claimed,
                per_user_limit=rng.choice((1, 1, 2, 3)),
                starts_at=starts,
                ends_at=ends,
                status=status,
            )
        )
    db.session.add_all(vouchers)
    db.session.commit()

    users = [create_user(name=f"Member {n}") for n in range(8)]
    code = 0
    for user in users:
        for category in rng.sample(categories, rng.choice((0, 0, 1, 2))):
            db.session.execute(
                user_favourite_categories.insert().values(user_id=user.id, category_id=category.id)
            )
        for voucher in rng.sample(vouchers, rng.choice((0, 1, 3, 12))):
            for number in range(1, rng.randint(1, voucher.per_user_limit) + 1):
                code += 1
                db.session.add(
                    Claim(
                        voucher_id=voucher.id,
                        user_id=user.id,
                        claim_number=number,
                        code=f"R{code:08d}",
                        hidden_at=now if rng.random() < 0.3 else None,
                    )
                )
    db.session.commit()
    return users


def reference_for_you(user: User, limit: int, now: datetime) -> list[int]:
    """The module's rule, read literally over every row (no location: soonest ending first)."""
    vouchers = list(db.session.scalars(select(Voucher)))
    by_id = {voucher.id: voucher for voucher in vouchers}
    active = {company.id: company.is_active for company in db.session.scalars(select(Company))}
    claims = [claim for claim in db.session.scalars(select(Claim)) if claim.user_id == user.id]
    favourites = set(
        db.session.scalars(
            select(user_favourite_categories.c.category_id).where(
                user_favourite_categories.c.user_id == user.id
            )
        )
    )
    visible = [by_id[claim.voucher_id] for claim in claims if claim.hidden_at is None]
    liked_categories = favourites | {voucher.category_id for voucher in visible}
    liked_companies = {voucher.company_id for voucher in visible}
    used = Counter(claim.voucher_id for claim in claims)  # hidden claims use the limit up too

    def suggested(voucher: Voucher) -> bool:
        live = (
            voucher.status == "live"
            and voucher.starts_at <= now < voucher.ends_at
            and voucher.quota_claimed < voucher.quota_total
            and active[voucher.company_id]
        )
        liked = voucher.category_id in liked_categories or voucher.company_id in liked_companies
        return live and liked and used[voucher.id] < voucher.per_user_limit

    matching = [voucher for voucher in vouchers if suggested(voucher)]
    matching.sort(key=lambda voucher: (voucher.ends_at, voucher.id))
    return [voucher.id for voucher in matching[:limit]]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_suggestions_match_the_rule_on_a_random_catalogue(app, create_user, seed):
    users = _random_world(random.Random(seed), create_user)
    now = utcnow()
    compared = 0
    for user in users:
        for limit in LIMITS:
            expected = reference_for_you(user, limit, now)
            got = for_you(user, limit=limit)
            assert [item.voucher.id for item in got] == expected, (user.name, limit)
            assert all(item.distance_km is None and item.days_left >= 1 for item in got)
            compared += len(expected)
    assert compared > 0  # the random world did give something to compare


def test_turning_personalisation_off_stops_the_suggestions_of_a_random_user(app, create_user):
    users = _random_world(random.Random(4), create_user)
    user = max(users, key=lambda member: len(reference_for_you(member, 60, utcnow())))
    assert for_you(user, limit=60)
    user.personalisation_enabled = False
    db.session.commit()
    assert for_you(user, limit=60) == []


def test_suggestions_cost_one_query_however_many_signals(app, create_user):
    users = _random_world(random.Random(5), create_user)
    for user in users:
        user.name  # noqa: B018 - loaded before counting
        with count_queries() as statements:
            for_you(user, limit=9)
        assert len(statements) == 1, user.name
