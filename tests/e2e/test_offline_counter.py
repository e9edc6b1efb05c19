"""Redeeming at the counter through a dropped connection, in Chromium with Playwright's offline
mode: three codes saved offline, one of those claims redeemed online at another branch meanwhile;
back online exactly two count, one conflict shows on both counters and in the owner's console;
a replayed nonce changes nothing, a tampered one is refused; logging out leaves nothing behind."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from sqlalchemy import func, select

from konexi.extensions import db
from konexi.models import Claim, Membership, OfflineRedemption, OutboxMessage, User
from konexi.services.claims.redemption import Actor
from konexi.services.claims.redemption_counter import redeem_at_counter
from tests.support.offline_counter import CUSTOMER_PHONE, browser_log_in, make_shift

PAGES = "konexi-pages-v1"
TEXT = {
    "en": {
        "saved": "Saved, will be sent when you are back online.",
        "waiting": "Waiting to be sent: 3",
        "bad_code": "Enter the full 8-character code the customer shows.",
        "redeemed": "Redeemed: {title} at {branch}",
        "conflict": "Not redeemed: {title} was already redeemed at {branch}",
        "tampered": "Refused: this saved redemption was already sent with another code.",
        "offline": "You are offline: nothing was redeemed and nothing was sent.",
        "conflicts": "Conflicts",
    },
    "id": {
        "saved": "Tersimpan, akan dikirim saat Anda kembali online.",
        "waiting": "Menunggu dikirim: 3",
        "bad_code": "Masukkan kode lengkap 8 karakter yang ditunjukkan pelanggan.",
        "redeemed": "Ditukar: {title} di {branch}",
        "conflict": "Tidak ditukar: {title} sudah ditukar di {branch}",
        "tampered": "Ditolak: penukaran tersimpan ini sudah pernah dikirim dengan kode lain.",
        "offline": "Anda sedang offline: tidak ada yang ditukar dan tidak ada yang dikirim.",
        "conflicts": "Konflik",
    },
}

SEND = """async ([url, items]) => {
  const queue = document.getElementById("offline-queue");
  const answer = await fetch(url, {
    method: "POST",
    headers: {"Content-Type": "application/json", "X-CSRFToken": queue.dataset.csrf},
    body: JSON.stringify({items}),
  });
  return answer.json();
}"""
STORED_PAGES = f"""async () => {{
  const cache = await caches.open("{PAGES}");
  return (await cache.keys()).map((request) => new URL(request.url).pathname);
}}"""


def stored_pages(page) -> list[str]:
    return page.evaluate(STORED_PAGES)


def wait_for_stored(page, path: str) -> None:
    """The service worker is running and ``path`` is kept for offline use."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    deadline = time.monotonic() + 10
    while path not in stored_pages(page):
        assert time.monotonic() < deadline, f"{path} was not stored for offline use"
        time.sleep(0.1)


def receipt_count(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == "redemption_receipt")
        )


@pytest.mark.parametrize("lang", ["en", "id"])
def test_a_shift_through_a_dropped_connection(live_server, new_page, lang):
    app, base, text = live_server.app, live_server.url, TEXT[lang]
    shift = make_shift(app)
    page = new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(  # offline, failed requests are expected errors; a blocked script is not
        "console",
        lambda message: "Content Security Policy" in message.text and errors.append(message.text),
    )
    browser_log_in(page, base, shift.staff_a, lang)
    page.goto(base + "/provider/redeem")
    wait_for_stored(page, "/provider/redeem")

    # Mid-shift the connection drops: the redeem page still opens, and takes codes.
    page.context.set_offline(True)
    live_server.drop_connection()
    page.reload()
    form = page.locator("#offline-redeem")
    form.wait_for(state="visible")
    page.fill("#offline-code", "ABC")
    form.locator("button[type=submit]").click()
    assert page.locator("#offline-code-error").inner_text() == text["bad_code"]
    for code in shift.codes:
        page.fill("#offline-code", f"{code[:4]} {code[4:]}".lower())
        form.locator("button[type=submit]").click()
    queue = page.locator("#offline-queue")
    assert queue.locator("[data-offline-status]").inner_text() == text["saved"]
    assert queue.locator("[data-offline-count]").inner_text() == text["waiting"]
    # A page that was never stored: the translated offline page, not the browser's error.
    page.goto(base + "/provider/branches")
    assert text["offline"] in page.locator("main").inner_text()
    page.go_back()
    form.wait_for(state="visible")
    assert queue.locator("[data-offline-count]").inner_text() == text["waiting"]

    # Meanwhile counter B, online, redeems the second claim at its branch.
    with app.app_context():
        staff_b = db.session.scalar(select(User).where(User.email == shift.staff_b))
        membership = db.session.scalar(select(Membership).where(Membership.user_id == staff_b.id))
        online = redeem_at_counter(
            Actor.member(membership),
            shift.elsewhere_id,
            CUSTOMER_PHONE,
            shift.claim_ids[1],
            shift.codes[1],
        )
        assert online.ok

    # Back online: the queue goes by itself.
    live_server.restore_connection()
    page.context.set_offline(False)
    sent = queue.locator("[data-offline-sent] li")
    sent.nth(2).wait_for()
    assert queue.locator("[data-offline-count]").inner_text() == ""
    assert sent.count() == 3
    messages = {line.get_attribute("data-outcome"): line.inner_text() for line in sent.all()}
    assert sorted(line.get_attribute("data-outcome") for line in sent.all()) == [
        "already_redeemed",
        "redeemed",
        "redeemed",
    ]
    assert messages["already_redeemed"].startswith(
        text["conflict"].format(title=shift.titles[1], branch=shift.elsewhere)
    )
    redeemed_lines = [
        line.inner_text() for line in sent.all() if "is-ok" in line.get_attribute("class")
    ]
    assert any(
        line.startswith(text["redeemed"].format(title=shift.titles[0], branch=shift.here))
        for line in redeemed_lines
    )
    tail = shift.codes[1][-4:]
    conflicts = page.locator("#offline-conflicts")
    page.wait_for_function(
        f"document.getElementById('offline-conflicts').innerText.includes('{tail}')"
    )
    assert text["conflicts"] in conflicts.inner_text()

    with app.app_context():
        claims = [db.session.get(Claim, claim_id) for claim_id in shift.claim_ids]
        assert [claim.redeemed_branch_id for claim in claims] == [
            shift.here_id,
            shift.elsewhere_id,
            shift.here_id,
        ]
        rows = list(db.session.scalars(select(OfflineRedemption)))
        assert sorted(row.outcome for row in rows) == ["already_redeemed", "redeemed", "redeemed"]
        assert [row.is_conflict for row in rows].count(True) == 1
    assert receipt_count(app) == 3  # one per claim: none for the conflict

    # Counter B and the owner see the conflict too.
    counter_b = new_page()
    browser_log_in(counter_b, base, shift.staff_b, lang)
    counter_b.goto(base + "/provider/redeem")
    assert tail in counter_b.locator("#offline-conflicts").inner_text()
    owner = new_page()
    browser_log_in(owner, base, shift.owner, lang)
    owner.goto(base + "/provider/")
    assert tail in owner.locator("#offline-conflicts").inner_text()

    # The device kept answers only: no code, no customer name.
    kept = page.evaluate("JSON.stringify(Object.assign({}, localStorage))")
    assert "Rina" not in kept and not any(code in kept for code in shift.codes)
    first = next(
        item
        for item in json.loads(page.evaluate("localStorage.getItem('konexi.offline.sent')"))
        if item["outcome"] == "redeemed"
    )

    # A replayed nonce changes nothing; the same nonce with another code is refused.
    url = base + "/provider/redeem/offline"
    replay = {"nonce": first["nonce"], "code": shift.codes[0], "branch": shift.here_id}
    tampered = {**replay, "code": shift.codes[2]}
    [again, refused] = page.evaluate(SEND, [url, [replay, tampered]])["results"]
    if again["outcome"] != "redeemed":  # the first redeemed line may be the third claim's
        replay["code"] = shift.codes[2]
        tampered["code"] = shift.codes[0]
        [again, refused] = page.evaluate(SEND, [url, [replay, tampered]])["results"]
    assert (again["outcome"], again["replayed"]) == ("redeemed", True)
    assert (refused["outcome"], refused["message"]) == ("tampered", text["tampered"])
    assert receipt_count(app) == 3
    with app.app_context():
        assert db.session.scalar(select(func.count(OfflineRedemption.id))) == 3

    # Logging out clears the queue, the answers and the stored pages.
    page.locator("header form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.evaluate("localStorage.length") == 0
    assert set(stored_pages(page)) <= {"/offline"}
    assert errors == []


def test_the_customers_code_opens_offline_until_logout(live_server, new_page):
    shift = make_shift(live_server.app)
    base = live_server.url
    page = new_page()
    browser_log_in(page, base, shift.customer_email, "en")
    mine = f"/me/vouchers/{shift.claim_ids[0]}"
    page.goto(base + mine)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now through the service worker, which keeps a copy
    wait_for_stored(page, mine)
    code = shift.codes[0]

    page.context.set_offline(True)
    live_server.drop_connection()
    page.reload()
    assert f"{code[:4]} {code[4:]}" in page.locator(".redemption-code").inner_text()

    live_server.restore_connection()
    page.context.set_offline(False)
    page.goto(base + "/me/vouchers")
    page.locator("header form button[type=submit]").click()
    page.wait_for_load_state()
    wait_for_stored(page, "/offline")  # the worker, removed at logout, is back: pages are not
    assert stored_pages(page) == ["/offline"]
    page.context.set_offline(True)
    live_server.drop_connection()
    page.goto(base + mine)
    assert "You are offline" in page.locator("main").inner_text()
    assert code[:4] not in page.content()


def test_a_queue_left_on_the_device_is_sent_on_the_next_page_load(live_server, new_page):
    """Saved offline, page closed before the connection returned: the next visit sends it."""
    shift = make_shift(live_server.app)
    base = live_server.url
    page = new_page()
    browser_log_in(page, base, shift.staff_a, "en")
    page.goto(base + "/provider/redeem")
    left = [{"nonce": str(uuid.uuid4()), "code": shift.codes[0], "branch": str(shift.here_id)}]
    page.evaluate(
        "(items) => localStorage.setItem('konexi.offline.queue', items)", json.dumps(left)
    )

    page.reload()

    page.locator("#offline-queue [data-offline-sent] li").first.wait_for()
    assert page.evaluate("localStorage.getItem('konexi.offline.queue')") == "[]"
    with live_server.app.app_context():
        assert db.session.get(Claim, shift.claim_ids[0]).redeemed_branch_id == shift.here_id
