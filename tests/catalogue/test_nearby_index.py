"""The nearby search against a brute-force great-circle ranking, on a random catalogue (a dense
city, towns, a lone branch in Kalimantan, empty sea) built and then changed through the services:
pages, filters, deactivated, moved and deleted branches, vouchers linked and unlinked, paused,
expired and sold out."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from konexi.extensions import db
from konexi.models import Branch, Category, Company, Voucher
from konexi.models.base import utcnow
from konexi.models.catalogue import latitude_band
from konexi.services.catalogue.catalogue import voucher_filter
from konexi.services.catalogue.geo import Point
from konexi.services.catalogue.nearby import SEARCH_RADII_KM, nearest_live_vouchers
from konexi.services.providers import branches as branch_service
from konexi.services.providers import provider_vouchers
from konexi.services.providers.branches import BranchDetails
from konexi.services.providers.provider_vouchers import VoucherFields
from tests.support.catalogue import count_queries
from tests.support.nearby_reference import assert_ranked_like_brute_force

# (latitude, longitude, spread in degrees, branches)
CITIES = [
    (-6.20, 106.84, 0.06, 26),  # Jakarta: dense
    (-5.15, 119.43, 0.04, 8),  # Makassar
    (3.59, 98.67, 0.04, 5),  # Medan
    (-2.21, 113.91, 0.02, 2),  # Palangka Raya: alone in Kalimantan
]
ORIGINS = {
    "jakarta": Point(-6.18, 106.83),
    "makassar": Point(-5.15, 119.43),
    "kalimantan": Point(-1.5, 113.9),
    "banda sea": Point(-6.0, 126.0),
    "aceh": Point(5.55, 95.32),
}
WORDS = ["kopi", "bakso", "salon", "batik", "sate", "roti"]


@dataclass
class Catalogue:
    companies: list[Company]
    branches: list[Branch]
    categories: list[Category]
    actor_id: int
    mall: Branch  # one branch holding many vouchers: ties and a full cap


def _branch(company: Company, actor_id: int, lat: float | None, lon: float | None) -> Branch:
    details = BranchDetails(
        name=f"Cabang {company.id}",
        address="Jl. Contoh 1",
        city="Kota",
        latitude="" if lat is None else f"{lat:.6f}",
        longitude="" if lon is None else f"{lon:.6f}",
    )
    return branch_service.create_branch(company.id, details, actor_id)


def _fields(voucher: Voucher, branch_ids: list[int]) -> VoucherFields:
    return VoucherFields(
        title=voucher.title,
        category_id=voucher.category_id,
        quota_total=voucher.quota_total,
        per_user_limit=voucher.per_user_limit,
        starts_at=voucher.starts_at,
        ends_at=voucher.ends_at,
        branch_ids=tuple(branch_ids),
    )


@pytest.fixture
def catalogue(app, create_user) -> Catalogue:
    rng = random.Random(20261128)
    actor_id = create_user().id
    categories = [
        Category(slug="food-drink", name_en="Food & drink", name_id="Makanan & minuman"),
        Category(slug="beauty", name_en="Beauty", name_id="Kecantikan"),
        Category(slug="shopping", name_en="Shopping", name_id="Belanja"),
    ]
    companies = [
        Company(name=f"Usaha {rng.choice(WORDS)} {n}", slug=f"usaha-{n}") for n in range(7)
    ]
    db.session.add_all(categories + companies)
    db.session.commit()
    by_company: dict[int, list[Branch]] = {company.id: [] for company in companies}
    branches: list[Branch] = []
    for lat, lon, spread, count in CITIES:
        for _ in range(count):
            company = rng.choice(companies)
            branch = _branch(company, actor_id, rng.gauss(lat, spread), rng.gauss(lon, spread))
            by_company[company.id].append(branch)
            branches.append(branch)
    for _ in range(6):  # scattered across the archipelago, and a few without a location
        company = rng.choice(companies)
        branch = _branch(company, actor_id, rng.uniform(-10, 5), rng.uniform(95, 141))
        by_company[company.id].append(branch)
        branches.append(branch)
    for company in companies[:3]:
        branch = _branch(company, actor_id, None, None)
        by_company[company.id].append(branch)
        branches.append(branch)
    mall_company = companies[0]
    mall = _branch(mall_company, actor_id, -6.19, 106.82)
    by_company[mall_company.id].append(mall)
    branches.append(mall)

    now = utcnow()
    for n in range(150):
        company = rng.choice([c for c in companies if by_company[c.id]])
        own = by_company[company.id]
        linked = rng.sample(own, min(len(own), rng.randint(1, 4)))
        fields = VoucherFields(
            title=f"{rng.choice(WORDS).title()} {n:03d}",
            category_id=rng.choice(categories).id,
            quota_total=rng.randint(5, 50),
            per_user_limit=1,
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=rng.uniform(1, 60)),
            branch_ids=tuple(b.id for b in linked),
        )
        provider_vouchers.create_voucher(company.id, fields, publish=rng.random() > 0.05)
    for n in range(80):  # many vouchers at one place: ties, and more links than the cap
        fields = VoucherFields(
            title=f"Mall {rng.choice(WORDS)} {n:02d}",
            category_id=rng.choice(categories).id,
            quota_total=10,
            per_user_limit=1,
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=rng.choice([3, 7, 7, 14])),  # equal ends: id decides
            branch_ids=(mall.id,),
        )
        provider_vouchers.create_voucher(mall_company.id, fields, publish=True)

    vouchers = list(db.session.scalars(select(Voucher).order_by(Voucher.id)))
    for voucher in rng.sample(vouchers, 12):
        provider_vouchers.change_status(voucher.company_id, voucher.id, "pause")
    for voucher in rng.sample(vouchers, 10):  # expired or sold out since they were published
        voucher = db.session.get(Voucher, voucher.id)
        if rng.random() < 0.5:
            voucher.ends_at = now - timedelta(hours=1)
        else:
            voucher.quota_claimed = voucher.quota_total
    companies[-1].is_active = False
    db.session.commit()
    for branch in rng.sample(branches, 5):
        branch_service.set_branch_active(branch, False)
    return Catalogue(companies, branches, categories, actor_id, mall)


# -- the tests --------------------------------------------------------------------------------
# These only read the catalogue, so they share one (building it through the services is the
# slow part): one test per concern, looping over origins, page sizes and filters.
def test_every_page_ranks_like_the_brute_force(catalogue):
    for origin in ORIGINS.values():
        ranking = assert_ranked_like_brute_force(origin)
        assert len(ranking) > 100
        assert ranking[-1][1] is None  # vouchers without a located active branch come last


def test_other_page_sizes_rank_alike(catalogue):
    for per_page in (1, 7, 25):
        assert_ranked_like_brute_force(ORIGINS["jakarta"], per_page=per_page, pages=4)
        assert_ranked_like_brute_force(ORIGINS["kalimantan"], per_page=per_page, pages=3)


def test_filters_rank_alike(catalogue):
    for category, q in [("beauty", None), (None, "kopi"), ("shopping", "mall"), (None, "zzz")]:
        filters = voucher_filter(category, q)
        for origin in ("jakarta", "banda sea"):
            assert_ranked_like_brute_force(ORIGINS[origin], filters=filters)


def test_many_vouchers_at_one_branch_keep_their_order_by_end_and_id(catalogue):
    at_the_mall = Point(catalogue.mall.latitude, catalogue.mall.longitude)
    ranking = assert_ranked_like_brute_force(at_the_mall, pages=5)
    assert ranking[0][1] == pytest.approx(0, abs=1e-6)


def test_sparse_and_dense_places_cost_a_few_queries(catalogue):
    # In the city one or two boxes; far away a few empty ones first, never "everything".
    # PostgreSQL walks the PostGIS index nearest first instead: one or two KNN steps anywhere.
    postgis = db.engine.dialect.name == "postgresql"
    nearest_live_vouchers(ORIGINS["jakarta"])  # the path is decided once, before counting
    for name, bound in [("jakarta", 2), ("kalimantan", 2 if postgis else len(SEARCH_RADII_KM))]:
        with count_queries() as statements:
            listing = nearest_live_vouchers(ORIGINS[name], 3)
        assert listing.items and len(statements) <= bound, (name, len(statements))
        assert all(("<->" in s) == postgis for s in statements), statements


def test_changes_made_through_the_services_show_at_once(catalogue):
    rng = random.Random(5)
    kalimantan = ORIGINS["kalimantan"]
    active = [b for b in catalogue.branches if b.is_active and b.latitude is not None]

    # A Jakarta branch moves to Kalimantan: its vouchers are now the nearest there.
    moved = next(b for b in active if b.latitude < -6 and b.longitude < 107 and b != catalogue.mall)
    branch_service.update_branch(
        moved,
        BranchDetails(
            name=moved.name,
            address=moved.address,
            city="Palangka Raya",
            latitude="-1.5010",
            longitude="113.9010",
        ),
        catalogue.actor_id,
    )
    assert moved.lat_band == latitude_band(-1.501)
    first = nearest_live_vouchers(kalimantan).items[0]
    assert moved in first.voucher.branches and first.distance_km < 0.2

    # Deactivated, then deleted branches no longer count; a voucher is moved to another branch.
    branch_service.set_branch_active(rng.choice([b for b in active if b != moved]), False)
    doomed = rng.choice([b for b in active if b.is_active and b not in (moved, catalogue.mall)])
    db.session.delete(doomed)
    db.session.commit()
    voucher = next(
        v
        for v in db.session.scalars(select(Voucher).where(Voucher.status == "live"))
        if moved in v.branches
    )
    others = [
        b.id
        for b in catalogue.branches
        if b.company_id == voucher.company_id
        and b.is_active
        and b != moved
        and b.latitude is not None
    ]
    if not others:  # give the company a branch in Aceh to move the voucher to
        others = [
            _branch(db.session.get(Company, voucher.company_id), catalogue.actor_id, 5.5, 95.3).id
        ]
    provider_vouchers.update_voucher(voucher.company_id, voucher.id, _fields(voucher, others[:1]))
    assert voucher.id not in [i.voucher.id for i in nearest_live_vouchers(kalimantan).items[:1]]
    # ... and linked to the moved branch again, then paused.
    provider_vouchers.update_voucher(
        voucher.company_id, voucher.id, _fields(voucher, [*others[:1], moved.id])
    )
    assert voucher.id in [i.voucher.id for i in nearest_live_vouchers(kalimantan).items]
    for origin in ORIGINS.values():
        assert_ranked_like_brute_force(origin)
    provider_vouchers.change_status(voucher.company_id, voucher.id, "pause")
    assert voucher.id not in [i.voucher.id for i in nearest_live_vouchers(kalimantan).items]
    for origin in ("jakarta", "kalimantan"):
        assert_ranked_like_brute_force(ORIGINS[origin])
