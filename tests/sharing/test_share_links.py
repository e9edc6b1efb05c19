"""No links in share notes or sender names, whatever the disguise; honest notes still pass."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from konexi.extensions import db
from konexi.models import OutboxMessage
from konexi.services.sharing import sharing
from konexi.services.sharing.link_check import has_link
from konexi.services.sharing.sharing import ShareError, share_voucher
from tests.support.factories import make_voucher

DISGUISED_LINKS = [
    "login di 10.0.0.1/login",
    "cek 192.168.1.20:8080",
    "buka evil .com sekarang",
    "buka evil . com sekarang",
    "buka evil。com",  # ideographic full stop
    "buka evil︒com",  # vertical ideographic full stop
    "buka evil｡com",  # half-width ideographic full stop
    "buka ｅｖｉｌ．ｃｏｍ",  # full-width letters and stop
    "buka evil\u200b.com",  # zero-width space
    "buka ev\u200dil.c\u200com",  # zero-width joiner and non-joiner
    "buka e\u00advil.com",  # soft hyphen
    "buka evil\u2060.\ufeffcom",  # word joiner, byte-order mark
    "buka evil\u2024com",  # one-dot leader
    "promo di еvil.com",  # Cyrillic е
    "ke evil dot com",
    "ke evil(.)com",
    "ke evil[dot]com",
    "ke evil [ . ] com",
    "HTTPS://EVIL.EXAMPLE",
    "ｈｔｔｐｓ：／／x",
    "https:/evil",
    "www .promo",
    "klik bit.ly/xyz",
    "s.id/abc",
    "buka evil\u00b7com",  # middle dot
    "buka evil\u2027com",  # hyphenation point
    "buka evil\u30fbcom",  # katakana middle dot
    "buka evil\uff65com",  # half-width katakana middle dot
    "buka evil\u22c5com",  # dot operator
    "buka evil\u2219com",  # bullet operator
    "buka evil\u0589com",  # Armenian full stop
    "buka evil\u0964com",  # Devanagari danda
    "buka evil\u1362com",  # Ethiopic full stop
    "buka evil\u2e33com",  # raised dot
    "buka evi\u0307l.com",  # combining dot above: reads as evil.com
    "buka evil\u0338.com",  # combining long solidus overlay on the last letter
    "buka e\u0301vil.c\u0327om",  # combining acute and cedilla
]
HONEST_NOTES = [
    "see you at 10.30",
    "jam 10.30an ya",
    "Rp 50.000",
    "Rp 1.500.000 hemat!",
    "Rp 100.000.000.000",
    "Enak. Mantap. Dicoba ya",
    "Jl. Sudirman no. 5",
    "Diskon 50% s/d 31.12",
    "Versi 2.0 lebih murah",
    "Promo 😋 buat kamu",
    "Hemat 20 ribu!",
    "Kopi \u00b7 Teh \u00b7 Roti",  # middle dots as separators, with spaces
    "Caf\u00e9 Mantap. Enak",
    "Rp 50\u00b7000",
]


@pytest.mark.parametrize("note", DISGUISED_LINKS)
def test_a_disguised_link_is_found(note):
    assert has_link(note)


@pytest.mark.parametrize("note", HONEST_NOTES)
def test_an_honest_note_passes(note):
    assert not has_link(note)
    assert sharing.clean_message(note) == note


def test_invisible_characters_are_dropped_from_the_note_that_is_sent():
    assert sharing.clean_message("Enak\u200b banget\u00ad!") == "Enak banget!"


def test_a_share_with_a_disguised_link_is_refused_and_sends_nothing(app, create_user):
    sender, voucher = create_user(), make_voucher()
    for note in ("buka evil。com", "login di 10.0.0.1/login", "ｅｖｉｌ．ｃｏｍ"):
        with pytest.raises(ShareError) as refused:
            share_voucher(sender.id, voucher.id, "0812 3456 7000", note, None)
        assert refused.value.reason == "invalid_message" and refused.value.field == "message"
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_a_sender_name_with_a_disguised_link_is_not_sent(app, create_user):
    sender, voucher = create_user(name="evil。com promo"), make_voucher()
    share_voucher(sender.id, voucher.id, "0812 3456 7000", "", None)
    body = db.session.scalar(select(OutboxMessage.body))
    assert "evil" not in body and body.startswith("A friend shared a voucher")
