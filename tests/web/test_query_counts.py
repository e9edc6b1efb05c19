"""Pages cost a fixed number of SQL queries, however many vouchers, branches, reviews or claims."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from konexi.extensions import db
from konexi.models import Branch, User, Voucher
from tests.support.auth import log_in
from tests.support.catalogue import count_queries
from tests.support.factories import make_company, make_voucher
from tests.support.reviews import make_review, redeemed_claim

SIZES = (3, 12)


def _world(size: int, create_user: Callable[..., User]) -> dict[str, object]:
    """A provider with ``size`` branches, vouchers and reviews, and a user with ``size`` claims."""
    company = make_company()
    for n in range(size - len(company.branches)):
        company.branches.append(
            Branch(name=f"Outlet {n}", address=f"Jl. Sabang {n}", city="Jakarta", phone=None)
        )
    db.session.commit()
    vouchers = [
        make_voucher(company=company, title=f"Voucher {size}-{n}", per_user_limit=size)
        for n in range(size)
    ]
    main = vouchers[0]
    for n in range(size):
        reviewer = create_user(name=f"Reviewer {size}-{n}")
        make_review(reviewer, main, rating=1 + n % 5, text=f"Review {n}")
    customer = create_user(name=f"Customer {size}")
    for n, voucher in enumerate(vouchers):
        claim = redeemed_claim(customer, voucher)
        if n % 3 == 0:
            claim.status, claim.redeemed_at, claim.redeemed_branch_id = "active", None, None
        if n % 4 == 1:
            claim.hidden_at = claim.claimed_at
    db.session.commit()
    return {"company": company, "voucher": main, "customer": customer}


def _queries(app, url: str, user: User | None = None, **kwargs) -> int:
    client = app.test_client()
    if user is not None:
        log_in(client, user)
    with count_queries() as statements:
        response = client.get(url, **kwargs)
    assert response.status_code == 200, url
    return len(statements)


@pytest.fixture
def worlds(app, create_user):
    return {size: _world(size, create_user) for size in SIZES}


def test_the_voucher_page_costs_the_same_with_3_or_12_branches_and_reviews(app, worlds):
    costs = {
        size: (
            _queries(app, f"/vouchers/{w['voucher'].id}"),
            _queries(app, f"/vouchers/{w['voucher'].id}", w["customer"]),
        )
        for size, w in worlds.items()
    }
    assert costs[3] == costs[12]
    anonymous, signed_in = costs[12]
    assert anonymous <= 8 and signed_in <= 10  # measured: 5 and 8


def test_the_provider_page_costs_the_same_with_3_or_12_vouchers_and_reviews(app, worlds):
    costs = {size: _queries(app, f"/providers/{w['company'].slug}") for size, w in worlds.items()}
    assert costs[3] == costs[12] <= 7  # measured: 5


def test_my_vouchers_costs_the_same_with_3_or_12_claims(app, worlds):
    costs = {size: _queries(app, "/me/vouchers", w["customer"]) for size, w in worlds.items()}
    # measured: 6 — the claims, "Shared with me", gifts waiting to be accepted and the links the
    # person shared are one query each, whatever their number
    assert costs[3] == costs[12] <= 6


def test_load_more_costs_the_same_for_3_or_10_cards(app, create_user):
    company = make_company()
    make_voucher(company=company, title="First page filler")
    for n in range(12):
        make_voucher(company=company, title=f"Voucher {n:02d}")
    hx = {"HX-Request": "true"}
    user = create_user()
    three = (_queries(app, "/?page=2", headers=hx), _queries(app, "/?page=2", user, headers=hx))
    for n in range(7):
        make_voucher(company=company, title=f"More {n}")
    assert db.session.query(Voucher).count() == 20
    ten = (_queries(app, "/?page=2", headers=hx), _queries(app, "/?page=2", user, headers=hx))
    assert three == ten
    assert ten[0] == 1  # anonymous: the cards in one query
