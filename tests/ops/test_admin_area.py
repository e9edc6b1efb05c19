"""The platform admin's area (/admin/): the index, categories (add, edit, deactivate; never
delete) and the background-jobs page read from RQ's registries on a real Redis."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import select

from konexi.extensions import db
from konexi.models import Category, User, Voucher
from konexi.services.catalogue import catalogue
from konexi.services.catalogue.categories import load_default_categories
from konexi.services.providers import provider_vouchers
from konexi.services.providers.provider_vouchers import VoucherFields, VoucherInvalid
from konexi.tasks.job_queues import last_line
from tests.support.app import csrf_token_from
from tests.support.auth import log_in
from tests.support.factories import make_voucher


@pytest.fixture
def admin_client(app: Flask, create_user: Callable[..., User]) -> FlaskClient:
    admin = create_user(email="moderator@example.com")
    admin.is_platform_admin = True
    db.session.commit()
    client = app.test_client()
    log_in(client, admin)
    return client


def post_form(client: FlaskClient, url: str, data: dict[str, str], page: str | None = None):
    token = csrf_token_from(client.get(page or url).text)
    return client.post(url, data={"csrf_token": token, **data})


def category(slug: str) -> Category | None:
    db.session.expire_all()
    return db.session.scalar(select(Category).where(Category.slug == slug))


def test_the_index_links_categories_moderation_and_jobs_in_both_languages(
    admin_client: FlaskClient,
) -> None:
    page = admin_client.get("/admin/")
    assert page.status_code == 200
    for link in ('href="/admin/categories"', 'href="/admin/reviews"', 'href="/admin/queues"'):
        assert link in page.text
    assert 'href="/admin/"' in admin_client.get("/").text  # the menu shows the way in
    indonesian = admin_client.get("/admin/?lang=id")
    assert "Admin platform" in indonesian.text and "Tugas latar belakang" in indonesian.text


def test_someone_else_gets_not_found_and_the_menu_has_no_admin_link(
    app: Flask, create_user: Callable[..., User]
) -> None:
    client = app.test_client()
    assert client.get("/admin/categories").status_code == 404
    log_in(client, create_user())
    assert client.get("/admin/queues").status_code == 404
    assert 'href="/admin/"' not in client.get("/").text


def test_a_category_form_keeps_the_input_and_shows_translated_errors(
    admin_client: FlaskClient,
) -> None:
    make_voucher()  # food-drink exists
    response = post_form(
        admin_client,
        "/admin/categories/new?lang=id",
        {"slug": "Food Drink!", "name_en": "Health", "name_id": ""},
    )
    assert response.status_code == 422
    assert 'value="Food Drink!"' in response.text and 'value="Health"' in response.text
    assert "Gunakan huruf kecil, angka, dan tanda hubung tunggal" in response.text
    assert "Masukkan nama." in response.text

    taken = post_form(
        admin_client,
        "/admin/categories/new?lang=en",
        {"slug": "food-drink", "name_en": "Food", "name_id": "Makanan"},
    )
    assert taken.status_code == 422 and "Another category has this slug." in taken.text
    assert category("health") is None


def test_an_admin_adds_and_edits_a_category(admin_client: FlaskClient) -> None:
    created = post_form(
        admin_client,
        "/admin/categories/new",
        {"slug": "health", "name_en": "Health", "name_id": "Kesehatan"},
    )
    assert created.status_code == 303 and created.headers["Location"] == "/admin/categories"
    health = category("health")
    assert health is not None and health.is_active
    listing = admin_client.get("/admin/categories")
    assert "Category “Health” is added." in listing.text and "Kesehatan" in listing.text

    url = f"/admin/categories/{health.id}/edit"
    edited = post_form(
        admin_client, url, {"slug": "health-care", "name_en": "Health care", "name_id": "Kesehatan"}
    )
    assert edited.status_code == 303
    renamed = category("health-care")
    assert renamed is not None and renamed.id == health.id and renamed.name_en == "Health care"
    assert admin_client.get("/admin/categories/999999/edit").status_code == 404


def test_a_default_categorys_slug_stays_so_the_release_does_not_add_it_again(
    admin_client: FlaskClient,
) -> None:
    load_default_categories()
    beauty = category("beauty")
    assert beauty is not None
    url = f"/admin/categories/{beauty.id}/edit?lang=id"
    moved = post_form(
        admin_client, url, {"slug": "cantik", "name_en": "Beauty", "name_id": "Kecantikan"}
    )
    assert moved.status_code == 422
    assert "Kategori bawaan tetap memakai slug-nya" in moved.text
    assert category("cantik") is None
    renamed = post_form(
        admin_client, url, {"slug": "beauty", "name_en": "Beauty", "name_id": "Cantik"}
    )
    assert renamed.status_code == 303
    assert load_default_categories().created == 0


def voucher_fields(voucher: Voucher, category_id: int) -> VoucherFields:
    return VoucherFields(
        title=voucher.title,
        category_id=category_id,
        quota_total=voucher.quota_total,
        per_user_limit=1,
        starts_at=voucher.starts_at,
        ends_at=voucher.ends_at,
        branch_ids=tuple(branch.id for branch in voucher.branches if branch.is_active),
    )


def test_deactivating_a_used_category_keeps_its_vouchers_and_stops_new_use(
    admin_client: FlaskClient,
) -> None:
    voucher = make_voucher()
    used = voucher.category
    company_id, category_id = voucher.company_id, used.id
    fields = voucher_fields(voucher, category_id)

    response = post_form(
        admin_client, f"/admin/categories/{category_id}/deactivate", {}, "/admin/categories"
    )
    assert response.status_code == 303
    listing = admin_client.get("/admin/categories")
    assert "is deactivated" in listing.text and "1 voucher" in listing.text

    assert category("food-drink") is not None  # never deleted
    db.session.expire_all()
    assert db.session.get(Voucher, voucher.id).category_id == category_id
    assert used.slug not in {c.slug for c in catalogue.categories()}  # no filter chip
    # A company that has it still sees it among its settings' choices.
    assert used.slug in {c.slug for c in catalogue.categories(keep_id=category_id)}
    with pytest.raises(VoucherInvalid) as refused:
        provider_vouchers.create_voucher(company_id, fields)
    assert "category_id" in refused.value.errors
    # The voucher that has it can still be saved with it.
    provider_vouchers.update_voucher(company_id, voucher.id, fields)

    post_form(admin_client, f"/admin/categories/{category_id}/reactivate", {}, "/admin/categories")
    assert used.slug in {c.slug for c in catalogue.categories()}


def test_without_redis_the_jobs_page_says_jobs_run_in_process(admin_client: FlaskClient) -> None:
    page = admin_client.get("/admin/queues")
    assert page.status_code == 200
    assert "jobs run in-process" in page.text
    assert "send_weekly_digests" in page.text and "requeue_stalled_exports" in page.text


def test_the_jobs_page_counts_each_queue_and_shows_failures_without_arguments(
    app_factory: Callable[..., Flask],
    redis_url: str,
    create_user: Callable[..., User],
    twilio,
    mailbox,
) -> None:
    connection = Redis.from_url(redis_url)
    default = Queue("default", connection=connection)
    personal = "siti.rahma@example.com +6281234567890"
    default.enqueue("builtins.int", personal)  # fails: ValueError quoting its argument
    SimpleWorker([default], connection=connection).work(burst=True)
    default.enqueue("builtins.len", "waiting")
    Queue("sms", connection=connection).enqueue_in(timedelta(hours=1), "builtins.len", "later")

    app = app_factory(REDIS_URL=redis_url)
    with app.app_context():
        admin = create_user(email="ops@example.com")
        admin.is_platform_admin = True
        db.session.commit()
        client = app.test_client()
        log_in(client, admin)
        page = client.get("/admin/queues").text
        db.session.remove()

    def row(name: str) -> str:
        start = page.index(f'id="queue-{name}"')
        return page[start : page.index("</tr>", start)]

    def cells(name: str) -> list[int]:
        return [int(c.split(">")[1].split("<")[0]) for c in row(name).split('class="num"')[1:]]

    assert cells("default") == [1, 0, 1, 0]  # queued, running, failed, scheduled
    assert cells("sms") == [0, 0, 0, 1]
    assert "builtins.int" in page and "ValueError: invalid literal for int()" in page
    assert "siti.rahma" not in page and "6281234567890" not in page
    assert "waiting" not in page and "later" not in page
    assert "time unknown" not in page  # when it failed is shown


def test_an_exceptions_last_line_is_scrubbed_and_cut() -> None:
    traceback_text = (
        "Traceback (most recent call last):\n  File 'x.py', line 1\n"
        "psycopg.errors.UniqueViolation: Key (email)=(a.b@example.co.id) 081234567890 exists"
    )
    assert last_line(traceback_text) == "psycopg.errors.UniqueViolation: Key (email)=(…) … exists"
    assert len(last_line("E: " + "x" * 500)) == 200
    assert last_line(None) == ""
