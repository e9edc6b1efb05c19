"""The counter's offline queue over HTTP: the endpoint, the conflicts lists, the offline page and
the service worker, and what logging out clears."""

from __future__ import annotations

import uuid

from flask.testing import FlaskClient

from konexi.extensions import db
from konexi.models import Claim
from tests.support.factories import fresh
from tests.support.redemption import (
    CUSTOMER_PHONE,
    Counter,
    confirm,
    lookup,
    make_counter,
    receipts,
    staff_client,
    token,
)

URL = "/provider/redeem/offline"


def send(client: FlaskClient, items: list[dict], lang: str = "en"):
    return client.post(
        f"{URL}?lang={lang}",
        json={"items": items},
        headers={"X-CSRFToken": token(client)},
    )


def item(counter: Counter, code: str, branch_id: int | None = None, nonce: str = "") -> dict:
    return {
        "nonce": nonce or str(uuid.uuid4()),
        "code": code,
        "branch": branch_id or counter.here.id,
        "redeemed_at": "2026-12-04T07:30:00.000Z",
    }


def test_sending_needs_the_pages_csrf_token_and_a_member_of_the_company(app, create_user, twilio):
    c = make_counter(create_user)
    anonymous = app.test_client()
    staff = staff_client(app, c.staff)
    stranger = staff_client(app, c.stranger)

    assert anonymous.post(URL, json={"items": [item(c, c.claim.code)]}).status_code == 400
    assert staff.post(URL, json={"items": [item(c, c.claim.code)]}).status_code == 400  # no token
    token_page = stranger.get("/account").get_data(as_text=True)
    assert "X-CSRFToken" in token_page
    stranger_token = token_page.split('"X-CSRFToken": "')[1].split('"')[0]
    refused = stranger.post(
        URL, json={"items": [item(c, c.claim.code)]}, headers={"X-CSRFToken": stranger_token}
    )
    assert refused.status_code == 404
    assert fresh(Claim, c.claim.id).status == "active"


def test_each_item_gets_its_translated_answer_in_english_and_indonesian(app, create_user, twilio):
    c = make_counter(create_user)
    client = staff_client(app, c.staff)
    first = item(c, c.claim.code)

    english = send(client, [first, item(c, "KXF47QRT")])
    indonesian = send(client, [first, {**first, "code": "KXF47QRT"}], lang="id")

    assert english.status_code == 200 and english.headers["Cache-Control"] == "private, no-store"
    redeemed, unknown = english.get_json()["results"]
    assert (redeemed["outcome"], redeemed["ok"], redeemed["replayed"]) == ("redeemed", True, False)
    assert redeemed["message"].startswith(f"Redeemed: {c.voucher.title} at {c.here.name}, ")
    assert c.customer.name not in redeemed["message"]  # the device keeps no customer names
    assert unknown["message"] == "Refused: no voucher of your company has this code."
    replayed, tampered = indonesian.get_json()["results"]
    assert (replayed["outcome"], replayed["replayed"]) == ("redeemed", True)
    assert replayed["message"].startswith(f"Ditukar: {c.voucher.title} di {c.here.name}, ")
    assert tampered["outcome"] == "tampered"
    assert tampered["message"] == (
        "Ditolak: penukaran tersimpan ini sudah pernah dikirim dengan kode lain."
    )
    assert len(receipts(c.customer.id)) == 1


def test_a_payload_that_cannot_be_read_is_a_translated_422_never_a_500(app, create_user):
    c = make_counter(create_user)
    client = staff_client(app, c.staff)
    csrf = {"X-CSRFToken": token(client)}

    not_json = client.post(URL, data="items", headers=csrf)
    not_a_list = client.post(URL, json={"items": "all"}, headers=csrf)
    too_many = client.post(URL + "?lang=id", json={"items": [{}] * 51}, headers=csrf)
    odd_items = client.post(
        URL, json={"items": [None, 7, {"nonce": 5, "code": [], "branch": "x"}]}, headers=csrf
    )

    assert not_json.status_code == not_a_list.status_code == too_many.status_code == 422
    assert not_json.get_json()["error"] == (
        "Nothing to send: the saved redemptions could not be read."
    )
    assert too_many.get_json()["error"] == "Kirim paling banyak 50 penukaran tersimpan sekaligus."
    assert odd_items.status_code == 200
    assert {r["outcome"] for r in odd_items.get_json()["results"]} == {"malformed"}


def test_sending_is_rate_limited_per_staff_member(app_factory, create_user, redis_url):
    limited = app_factory(REDIS_URL=redis_url, RATELIMIT_REDEEM_OFFLINE_PER_STAFF="2 per minute")
    with limited.app_context():
        c = make_counter(create_user)
        client = staff_client(limited, c.staff)
        answers = [send(client, []).status_code for _ in range(3)]
    assert answers == [200, 200, 429]


def test_a_conflict_shows_on_both_staff_redeem_pages_and_in_the_owners_console(
    app, create_user, twilio
):
    c = make_counter(create_user)
    online = staff_client(app, c.staff_elsewhere)
    lookup(online, c.elsewhere.id, CUSTOMER_PHONE)
    assert confirm(online, c.elsewhere.id, c.claim.id, c.claim.code).status_code == 303
    offline = staff_client(app, c.staff)

    [late] = send(offline, [item(c, c.claim.code)]).get_json()["results"]

    assert late["outcome"] == "already_redeemed"
    assert late["message"].startswith(f"Not redeemed: {c.voucher.title} was already redeemed at ")
    tail = c.claim.code[-4:]
    for client in (offline, online):
        page = client.get("/provider/redeem").get_data(as_text=True)
        assert 'id="offline-conflicts"' in page and tail in page
        fragment = client.get("/provider/redeem/conflicts").get_data(as_text=True)
        assert fragment.lstrip().startswith("<section") and tail in fragment
    owner = staff_client(app, c.owner).get("/provider/").get_data(as_text=True)
    assert "Conflicts" in owner and tail in owner
    admin_elsewhere = staff_client(app, c.other_admin).get("/provider/").get_data(as_text=True)
    assert tail not in admin_elsewhere
    assert len(receipts(c.customer.id)) == 1


def test_the_redeem_page_carries_the_offline_queue_and_its_script(app, create_user):
    c = make_counter(create_user)
    page = staff_client(app, c.staff).get("/provider/redeem?lang=id").get_data(as_text=True)
    assert 'id="offline-queue"' in page and f'data-send-url="{URL}"' in page
    assert "Tersimpan, akan dikirim saat Anda kembali online." in page
    assert "/static/offline.js?v=" in page


def test_the_service_worker_is_served_from_the_root_and_the_offline_page_is_translated(client):
    worker = client.get("/sw.js")
    offline_en = client.get("/offline")
    offline_id = client.get("/offline?lang=id")

    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    assert worker.headers["Cache-Control"] == "no-cache"
    assert "Service-Worker-Allowed" not in worker.headers  # its own scope, "/", is enough
    assert "You are offline: nothing was redeemed" in offline_en.get_data(as_text=True)
    assert "Anda sedang offline: tidak ada yang ditukar" in offline_id.get_data(as_text=True)
    assert "<script" not in offline_en.get_data(as_text=True)


def test_logging_out_clears_what_the_device_kept(app, create_user):
    c = make_counter(create_user)
    client = staff_client(app, c.staff)
    answer = client.post("/logout", data={"csrf_token": token(client)})
    assert answer.status_code == 303
    assert answer.headers["Clear-Site-Data"] == '"cache", "storage"'
    db.session.remove()


def test_the_privacy_notice_says_what_a_counter_device_keeps_and_until_when(client):
    english = client.get("/privacy?lang=en").get_data(as_text=True).replace("&#39;", "'")
    indonesian = client.get("/privacy?lang=id").get_data(as_text=True)

    assert 'id="offline-counter"' in english
    assert "it stays there only until the connection returns and it is sent" in english
    assert "only the answers (without customer names) stay, until the staff member logs out" in (
        english
    )
    assert "the pages with your voucher codes are kept so they open without a connection" in (
        english
    )
    assert "hanya tersimpan di sana sampai koneksi kembali dan terkirim" in indonesian
    assert "Keluar menghapus semua yang disimpan Konexi di perangkat." in indonesian
