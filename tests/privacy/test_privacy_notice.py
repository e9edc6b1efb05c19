"""The privacy notice states what the code does: the figures come from the code that keeps the
data, and each promise names the feature behind it, in English and Indonesian."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from html import unescape

import pytest
from flask import Flask

from konexi.services.privacy import retention
from konexi.services.sharing import sharing
from tests.support.auth import log_in

# Figures the notice states in words: if the code changes one, the notice must change too.
STATED_IN_WORDS = {
    "Verification codes are valid for 10 minutes and deleted after a day.": (
        retention.CODE_RETENTION == timedelta(days=1)
    ),
    "The log of messages we sent is deleted after 90 days.": (
        retention.MESSAGE_RETENTION == timedelta(days=90)
    ),
}


def notice(app: Flask, lang: str = "en") -> str:
    client = app.test_client()
    return unescape(client.get(f"/privacy?lang={lang}").get_data(as_text=True))


def test_figures_stated_in_words_match_the_code(app: Flask) -> None:
    page = notice(app)
    for sentence, true_in_code in STATED_IN_WORDS.items():
        assert sentence in page and true_in_code, sentence


@pytest.mark.parametrize(
    "lang, contact, hashes, purge",
    [
        (
            "en",
            "and at most {n} day after it was sent when the network has not confirmed delivery",
            "are erased {n} days after the share (by a daily clean-up)",
            "everything personal is erased for good after {n} days",
        ),
        (
            "id",
            "paling lambat {n} hari setelah dikirim jika jaringan belum mengonfirmasi pengiriman",
            "dihapus {n} hari setelah berbagi (oleh pembersihan harian)",
            "dihapus permanen setelah {n} hari",
        ),
    ],
)
def test_share_contacts_limit_hashes_and_the_purge_delay_come_from_the_code(
    app_factory: Callable[..., Flask], lang: str, contact: str, hashes: str, purge: str
) -> None:
    page = notice(app_factory(PURGE_GRACE_DAYS="14"), lang)

    assert contact.format(n=sharing.SCRUB_GRACE.days) in page
    assert hashes.format(n=retention.SHARE_HASH_RETENTION.days) in page
    assert purge.format(n=14) in page


def test_the_notice_says_what_staff_senders_and_visitors_see(app: Flask) -> None:
    page = notice(app)
    # The redemption counter shows the customer's name and phone at the lookup, not only after.
    assert "staff see your full name and phone number when they look you up" in page
    # Finding friends by email or phone, and its off state.
    assert "sees your public name" in page and "“Shared with me”" in page
    assert "the sender sees the same answer as for an address without an account" in page
    # The public profile and what it shows.
    assert "date of birth only if you choose to show it" in page
    assert "not your account number" in page
    # SMS notifications off: what is still texted, and where a friend's share goes instead.
    assert "we text you only what is essential: one-time codes, security notices" in page
    assert "not texted to you; it appears under “Shared with me”" in page
    # The request log is the operator's log drain's (README), not stored by Konexi.
    assert "not stored by Konexi itself" in page and "at most 90 days" in page
    # The old promises that were no longer the whole truth are gone.
    assert "only when you redeem their voucher" not in page
    assert "Technical request logs are kept for 90 days." not in page


def test_the_settings_page_says_what_the_sms_switch_still_sends(client, create_user) -> None:
    log_in(client, create_user())
    for lang, hint in (
        ("en", "One-time codes, security notices, your claim codes and redemption receipts"),
        ("id", "Kode sekali pakai, pemberitahuan keamanan, kode klaim, dan bukti penukaran"),
    ):
        page = unescape(client.get(f"/account/privacy?lang={lang}").get_data(as_text=True))
        assert hint in page


def test_the_indonesian_notice_is_translated(app: Flask) -> None:
    page = notice(app, "id")
    assert "Pemberitahuan privasi" in page
    assert "Staf penyedia melihat nama lengkap dan nomor HP Anda" in page
    assert "Dibagikan kepada saya" in page and "Profil publik" in page
    assert "kami hanya mengirim SMS yang penting" in page
