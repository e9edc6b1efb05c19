"""Every string shown to people has an Indonesian translation; the language switch works."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
METHODS = [
    ("konexi/**.py", "python"),
    ("templates/**.html", "jinja2"),
    ("templates/messages/**.txt", "jinja2"),
]


def _catalogue(language: str):
    with open(ROOT / "translations" / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=language)


def _source_messages() -> set[str]:
    found: set[str] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=METHODS, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_source_string_is_in_the_indonesian_catalogue():
    catalogue = _catalogue("id")
    known = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalogue if m.id}
    missing = sorted(_source_messages() - known)
    assert not missing, "run tools/update_catalogues.sh and translate: " + "; ".join(missing)


def test_every_indonesian_message_is_translated():
    untranslated = []
    for message in _catalogue("id"):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(s and s.strip() for s in strings) or message.fuzzy:
            untranslated.append(message.id)
    assert not untranslated, f"missing Indonesian translations: {untranslated}"


def test_placeholders_survive_translation():
    import re

    placeholder = re.compile(r"%\(\w+\)[sd]")
    for message in _catalogue("id"):
        if not message.id:
            continue
        source = message.id[0] if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for translated in strings:
            assert set(placeholder.findall(source)) == set(placeholder.findall(translated)), source


def test_lang_parameter_switches_and_is_remembered(client):
    response = client.get("/?lang=id")
    assert "Voucher di dekat Anda" in response.get_data(as_text=True)
    assert 'lang="id"' in response.get_data(as_text=True)
    assert "lang=id" in response.headers["Set-Cookie"]
    # the cookie keeps the choice on the next page
    assert "Voucher di dekat Anda" in client.get("/").get_data(as_text=True)
    assert "Vouchers near you" in client.get("/?lang=en").get_data(as_text=True)
    assert "Vouchers near you" in client.get("/").get_data(as_text=True)


def test_accept_language_is_used_without_a_choice(client):
    page = client.get("/", headers={"Accept-Language": "id-ID,id;q=0.9,en;q=0.5"})
    assert "Voucher di dekat Anda" in page.get_data(as_text=True)
    page = client.get("/", headers={"Accept-Language": "fr-FR"})
    assert "Vouchers near you" in page.get_data(as_text=True)


def test_unknown_lang_value_falls_back_to_english(client):
    page = client.get("/?lang=xx")
    assert page.status_code == 200
    assert "Vouchers near you" in page.get_data(as_text=True)


def test_not_found_page_is_translated(client):
    page = client.get("/no-such-page?lang=id")
    assert page.status_code == 404
    assert "Halaman tidak ditemukan" in page.get_data(as_text=True)
