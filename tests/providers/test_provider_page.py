"""The public provider page: company, branches, live vouchers, visible reviews and the average."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from konexi.extensions import db
from konexi.models import Category, Company, User
from konexi.models.base import utcnow
from tests.support.auth import log_in
from tests.support.factories import fresh, make_company, make_voucher
from tests.support.reviews import make_review, redeemed_claim


def provider_with_vouchers() -> tuple[Company, dict[str, int]]:
    company = make_company()
    company.description = "Kopi susu gula aren since 2019."
    category = Category(slug="coffee", name_en="Coffee", name_id="Kopi")
    db.session.add(category)
    db.session.flush()
    company.category_id = category.id
    now = utcnow()
    vouchers = {
        "live": make_voucher(company=company, title="Es kopi susu 2 for 1").id,
        "ended": make_voucher(
            company=company,
            title="Old promo",
            starts_at=now - timedelta(days=10),
            ends_at=now - timedelta(days=1),
        ).id,
        "draft": make_voucher(company=company, title="Secret draft", status="draft").id,
        "sold_out": make_voucher(
            company=company, title="All gone", quota_total=5, quota_claimed=5
        ).id,
    }
    return company, vouchers


def test_page_shows_company_branches_and_live_vouchers_only(app, client):
    company, vouchers = provider_with_vouchers()

    response = client.get(f"/providers/{company.slug}")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"<h1>{company.name}</h1>" in html
    assert "Kopi susu gula aren since 2019." in html and "Coffee" in html
    assert "Jl. Cikini Raya No. 7, Jakarta" in html and 'href="tel:+622131900001"' in html
    assert "Jl. Suryakencana 3, Bogor" in html
    assert "Jl. Lama 1" not in html  # an inactive branch
    assert f'href="/vouchers/{vouchers["live"]}"' in html and "Es kopi susu 2 for 1" in html
    for hidden in ("Old promo", "Secret draft", "All gone"):
        assert hidden not in html
    assert "No reviews yet." in html


def test_branch_opening_hours_show_when_set(app, client):
    company = make_company()
    company.branches[0].opening_hours = "Mon–Sat 08:00–22:00\nSun 10:00–18:00"
    db.session.commit()

    html = client.get(f"/providers/{company.slug}").get_data(as_text=True)

    assert "Mon–Sat 08:00–22:00\nSun 10:00–18:00" in html
    assert html.count('class="opening-hours') == 1  # the other branch has none


def test_unknown_or_inactive_provider_is_404(app, client):
    inactive = make_company(active=False)
    db.session.commit()

    assert client.get("/providers/nobody-here").status_code == 404
    assert client.get(f"/providers/{inactive.slug}").status_code == 404


def test_visible_reviews_and_their_average_exclude_hidden_and_removed(app, client, create_user):
    voucher = make_voucher()
    make_review(create_user(name="Ayu Lestari"), voucher, rating=5, text="Mantap sekali")
    make_review(create_user(name="Budi"), voucher, rating=4, text="Lumayan enak")
    make_review(create_user(name="Citra"), voucher, rating=1, text="Hidden one", status="hidden")
    make_review(create_user(name="Dewi"), voucher, rating=1, text="Removed one", status="removed")

    html = client.get(f"/providers/{voucher.company.slug}").get_data(as_text=True)

    assert "Mantap sekali" in html and "Lumayan enak" in html
    assert "Hidden one" not in html and "Removed one" not in html
    assert '<span class="rating-average">4.5</span>' in html
    assert "2 reviews" in html
    assert "Ayu" in html and "Lestari" not in html and "@example.com" not in html


def test_a_deleted_users_review_shows_deleted_user(app, client, create_user):
    user = create_user(name="Eka Putri")
    voucher = make_voucher()
    redeemed_claim(user, voucher)
    review = make_review(user, voucher, text="Still here after I left")
    db.session.execute(delete(User).where(User.id == user.id))  # the purge
    db.session.commit()

    html = client.get(f"/providers/{voucher.company.slug}").get_data(as_text=True)

    assert "Still here after I left" in html
    assert "Deleted user" in html and "Eka" not in html
    if db.engine.dialect.name == "postgresql":  # SQLite here does not enforce foreign keys
        assert fresh(type(review), review.id).user_id is None


def test_reviews_are_paged_newest_first(app, client, create_user):
    voucher = make_voucher()
    now = utcnow()
    for n in range(12):
        make_review(
            create_user(), voucher, text=f"Review number {n:02d}", created_at=now + timedelta(n)
        )

    first = client.get(f"/providers/{voucher.company.slug}").get_data(as_text=True)
    second = client.get(f"/providers/{voucher.company.slug}?page=2").get_data(as_text=True)

    assert "Review number 11" in first and "Review number 02" in first
    assert "Review number 01" not in first and "Older reviews" in first
    assert "Review number 01" in second and "Review number 00" in second
    assert "12 reviews" in second


def test_redeemers_get_a_review_link_on_the_page_and_on_the_voucher(app, client, create_user):
    user = create_user()
    voucher = make_voucher()
    redeemed_claim(user, voucher)
    link = f'href="/providers/{voucher.company.slug}/vouchers/{voucher.id}/review"'
    log_in(client, user)

    page = client.get(f"/providers/{voucher.company.slug}").get_data(as_text=True)
    detail = client.get(f"/vouchers/{voucher.id}").get_data(as_text=True)

    assert link in page and link in detail and "Leave a review" in detail


def test_voucher_page_shows_its_reviews_without_a_link_for_others(app, client, create_user):
    voucher = make_voucher()
    make_review(create_user(name="Fajar"), voucher, rating=3, text="Biasa saja")
    other = make_voucher(company=voucher.company, title="Other voucher")
    make_review(create_user(), other, rating=5, text="About the other voucher")
    log_in(client, create_user())

    html = client.get(f"/vouchers/{voucher.id}").get_data(as_text=True)

    assert 'id="voucher-reviews"' in html
    assert "Biasa saja" in html and "Fajar" in html
    assert "About the other voucher" not in html
    assert "Leave a review" not in html
    assert f'href="/providers/{voucher.company.slug}#reviews"' in html


def test_provider_page_answers_htmx_with_the_fragment(app, client):
    company = make_company()
    db.session.commit()

    response = client.get(f"/providers/{company.slug}", headers={"HX-Request": "true"})

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and f'id="provider-{company.id}"' in html
    assert "HX-Request" in response.headers["Vary"]
