"""Providers edit, publish, pause, resume and end vouchers; the quota never drops under claims."""

from __future__ import annotations

from datetime import timedelta

import pytest

from konexi.extensions import db
from konexi.models import Voucher
from konexi.models.base import utcnow
from konexi.services.claims.claims import ClaimOutcome, claim_voucher
from konexi.services.providers.provider_vouchers import StatusChange, change_status
from tests.support.catalogue import count_queries
from tests.support.console import edit_url, post_form, status, voucher_fields, voucher_form
from tests.support.factories import fresh


def test_editing_changes_the_voucher_and_keeps_its_claims(app, client, console):  # noqa: F811
    voucher = console.voucher(quota_total=10)
    console.claims(voucher, 3, redeemed=1)
    console.log_in(client, "admin")
    form_html = client.get(edit_url(voucher)).get_data(as_text=True)
    assert 'value="Buy 1 get 1 es kopi susu"' in form_html
    assert "Already claimed: 3" in form_html

    response = post_form(
        client,
        edit_url(voucher),
        voucher_form(console, title="Buy 1 get 1", quota_total="3", per_user_limit="2"),
    )

    assert response.status_code == 303
    voucher = fresh(Voucher, voucher.id)
    assert (voucher.title, voucher.quota_total, voucher.per_user_limit) == ("Buy 1 get 1", 3, 2)
    assert voucher.quota_claimed == 3
    assert voucher.status == "live"
    assert len(voucher.branches) == 2


def test_the_quota_cannot_go_below_what_is_claimed(app, client, console):  # noqa: F811
    voucher = console.voucher(quota_total=10)
    console.claims(voucher, 4)
    console.log_in(client, "admin")

    response = post_form(client, edit_url(voucher), voucher_form(console, quota_total="3"))

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "4 are already claimed: the quota can&#39;t be lower." in html
    assert 'value="3"' in html
    assert fresh(Voucher, voucher.id).quota_total == 10


@pytest.mark.postgres
def test_a_claim_racing_the_edit_cannot_slip_under_the_new_quota(app, console, create_user):  # noqa: F811
    """The edit reads 4 claimed, a claim holding the row makes it 5, the edit to 4 must fail."""
    import threading

    from sqlalchemy import text

    from konexi.services.providers.provider_vouchers import VoucherInvalid, update_voucher

    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL")
    voucher = console.voucher(quota_total=10)
    console.claims(voucher, 4)
    outcome: list[object] = []
    with db.engine.connect() as claimer:
        claimer.execute(
            text("UPDATE vouchers SET quota_claimed = quota_claimed + 1 WHERE id = :id"),
            {"id": voucher.id},
        )  # the row is now locked by this open transaction

        def edit() -> None:
            with app.app_context():
                try:
                    update_voucher(
                        console.company.id, voucher.id, voucher_fields(console, quota_total=4)
                    )
                    outcome.append("saved")
                except VoucherInvalid as error:
                    outcome.append(error.errors)

        editor = threading.Thread(target=edit)
        editor.start()
        _wait_until_blocked_on_a_lock()
        claimer.commit()
        editor.join(timeout=10)
    assert outcome and isinstance(outcome[0], dict)
    assert "5 are already claimed" in outcome[0]["quota_total"]
    voucher = fresh(Voucher, voucher.id)
    assert (voucher.quota_total, voucher.quota_claimed) == (10, 5)


def _wait_until_blocked_on_a_lock() -> None:
    """Return once another PostgreSQL session waits for a row lock (the edit's UPDATE)."""
    import time

    from sqlalchemy import text

    query = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
    deadline = time.monotonic() + 10
    with db.engine.connect() as watcher:
        while watcher.execute(query).scalar() == 0:
            assert time.monotonic() < deadline, "the edit never waited for the claim's lock"
            time.sleep(0.02)
            watcher.rollback()


def test_pause_resume_and_end(app, client, console, create_user):  # noqa: F811
    voucher = console.voucher()
    customer = create_user(name="Budi")
    console.log_in(client, "admin")

    assert status(client, voucher, "pause").status_code == 303
    assert fresh(Voucher, voucher.id).status == "paused"
    assert claim_voucher(customer.id, voucher.id).outcome is ClaimOutcome.NOT_LIVE
    assert "Paused: nobody can claim it" in client.get("/provider/vouchers").get_data(as_text=True)

    status(client, voucher, "resume")
    assert fresh(Voucher, voucher.id).status == "live"

    confirm_page = status(client, voucher, "end", confirm=False)
    assert confirm_page.status_code == 200
    assert "Ending is final" in confirm_page.get_data(as_text=True)
    assert fresh(Voucher, voucher.id).status == "live"
    status(client, voucher, "end")
    assert fresh(Voucher, voucher.id).status == "ended"
    assert claim_voucher(customer.id, voucher.id).outcome is ClaimOutcome.ENDED

    # Ending is final: nothing brings it back, and it can't be edited.
    for action in ("resume", "publish", "pause"):
        status(client, voucher, action)
        assert fresh(Voucher, voucher.id).status == "ended"
    edit_page = client.get(edit_url(voucher)).get_data(as_text=True)
    assert "This voucher has ended and can" in edit_page
    refused = post_form(client, edit_url(voucher), voucher_form(console, title="Back"))
    assert refused.status_code == 422
    assert fresh(Voucher, voucher.id).title != "Back"


def test_only_allowed_transitions_happen(app, console):  # noqa: F811
    draft = console.voucher(status="draft")
    company = console.company.id
    assert change_status(company, draft.id, "resume") is StatusChange.NOT_ALLOWED
    assert change_status(company, draft.id, "pause") is StatusChange.NOT_ALLOWED
    assert change_status(company, draft.id, "delete") is StatusChange.NOT_ALLOWED
    assert change_status(console.other.id, draft.id, "publish") is StatusChange.NOT_ALLOWED
    assert change_status(company, draft.id, "publish") is StatusChange.DONE
    assert fresh(Voucher, draft.id).status == "live"
    late = console.voucher(status="draft", ends_at=utcnow() - timedelta(hours=1))
    assert change_status(company, late.id, "publish") is StatusChange.ENDS_IN_PAST
    assert fresh(Voucher, late.id).status == "draft"


def test_the_list_shows_counts_in_one_query(app, client, console):  # noqa: F811
    live = console.voucher(title="Kopi live", quota_total=20, ends_at=utcnow() + timedelta(days=3))
    console.claims(live, 5, redeemed=2)
    console.voucher(title="Kopi draft", status="draft")
    console.voucher(title="Kopi ended", status="ended")
    for n in range(5):
        console.voucher(title=f"More {n}")
    console.log_in(client, "admin")
    from konexi.services.providers.provider_voucher_list import company_vouchers

    company_id = console.company.id

    with count_queries() as statements:
        rows = company_vouchers(company_id)
        shown = [(r.voucher.title, r.voucher.quota_claimed, r.redeemed, r.state) for r in rows]
    assert len(statements) == 1
    assert [title for title, *_rest in shown][-2:] == ["Kopi draft", "Kopi ended"]

    html = client.get("/provider/vouchers").get_data(as_text=True)
    card = html.split(f'id="voucher-{live.id}"', 1)[1].split("</li>", 1)[0]
    assert "5 / 20 claimed" in card
    assert "2 redeemed" in card
    assert "3 days left" in card
    assert "Live" in card


def test_the_picture_can_be_replaced_or_removed(app, client, console):  # noqa: F811
    from konexi.services.images import store_image
    from tests.support.console import photo_bytes

    first = store_image(console.company.id, photo_bytes((640, 360), orientation=None))
    db.session.commit()
    voucher = console.voucher(image_id=first.id)
    console.log_in(client, "admin")
    assert f"/media/{first.id}-" in client.get(edit_url(voucher)).get_data(as_text=True)

    post_form(client, edit_url(voucher), voucher_form(console))
    assert fresh(Voucher, voucher.id).image_id == first.id  # untouched without a new file

    upload = (photo_bytes((800, 450), orientation=None), "neu.png")
    post_form(client, edit_url(voucher), voucher_form(console, image=upload, remove_image="y"))
    replaced = fresh(Voucher, voucher.id).image_id
    assert replaced not in (None, first.id)  # a new file wins over "remove"

    post_form(client, edit_url(voucher), voucher_form(console, remove_image="y"))
    assert fresh(Voucher, voucher.id).image_id is None
