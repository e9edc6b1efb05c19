"""Hypothesis strategies for the fuzz tests: hostile values, form bodies and query strings.

The HTML payloads carry markers (``<x-fuzz-7311``, ``onfocus="xfuzz``, ``onfocus='xfuzz``)
that must never come back raw in an HTML answer; escaped (``&lt;x-fuzz-7311``) is fine.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote_from_bytes

from hypothesis import strategies as st

MARKER = "<x-fuzz-7311"
# What must never appear in an HTML answer: the tag, an attribute that broke out of its quotes,
# or a javascript: URL where a browser would follow it (as a value="…" it is only text).
RAW_MARKERS = (
    re.compile(re.escape(MARKER)),
    re.compile(r"""\sonfocus=(["'])xfuzz"""),
    re.compile(r"""\b(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:xfuzz""", re.I),
)

HTML_PAYLOADS = [
    f"{MARKER}>",
    f'"><{MARKER[1:]} onerror=alert(1)>',
    f"'>{MARKER}>",
    '" autofocus onfocus="xfuzz()',
    "' autofocus onfocus='xfuzz()",
    f"</textarea>{MARKER}>",
    f"</script><script>{MARKER}>",
    "javascript:xfuzz()",
    f"{{{{7*7}}}}{MARKER}>",  # template injection
]
SQL_PAYLOADS = [
    "' OR '1'='1",
    "'; DROP TABLE users; --",
    '" OR 1=1 --',
    "1; SELECT pg_sleep(0)",
    "%' AND 1=0 UNION SELECT NULL --",
    "\\'; --",
]
UNICODE_PAYLOADS = [
    "\u202eevil\u202c",  # right-to-left override
    "\u200b\u200c\u200d\ufeff",  # zero-width characters and a BOM
    "👩\u200d👩\u200d👧 🇮🇩 ☕",
    "a\u0301\u0301\u0301\u0301",  # stacked combining marks
    "ﷺ" * 50,
    "\U0010ffff\U000e0001",
    "Ａｄｍｉｎ",  # full-width
    "İıẞß",  # case-mapping oddities
    "\ud800",  # a lone surrogate (sent as its surrogate-escaped bytes)
    "\udcff\udc80",
    "\x00",
    "nul\x00inside",
    "\r\n\r\nInjected: header",
    "\t\x0b\x0c\x1b[31m",
]
NUMBER_PAYLOADS = [
    "-1",
    "0",
    "-0",
    "1e309",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "Infinity",
    "9" * 30,
    "-" + "9" * 30,
    str(2**63),
    str(-(2**63) - 1),
    str(2**31),
    "0x1F",
    "1_000",
    " 7 ",
    "٣",  # an Arabic-Indic digit (Python's int() accepts it)
    "3.5",
    "1,5",
    "",
]
CONTACT_PAYLOADS = [
    "@",
    "a@",
    "@b",
    "a@b",
    "a@@b.com",
    "a@b..com",
    "x" * 300 + "@example.com",
    '"quoted"@example.com',
    "user@[127.0.0.1]",
    "user@xn--80ak6aa92e.com",
    "ü@ümlaut.de",
    "+",
    "+62",
    "+6281",
    "0812",
    "+62 812 3456 7890 1234 5678",
    "08123456789012345678901234567890",
    "+1 (555) 010-9999",
    "++6281234567890",
    "+62812345678ext99",
    "0812-3456-7890<x>",
    "6281234567890",
    "+999999999999999",
]
DATE_PAYLOADS = [
    "2024-02-30",
    "0000-00-00",
    "9999-12-31",
    "1900-01-01",
    "2024-13-01",
    "today",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
]
# Every representable date and time, in the shapes a datetime-local input or a person sends:
# the ends of the range overflow time-zone arithmetic (year 1 in Jakarta is year 0 in UTC).
_DATE_SHAPES = [
    "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}",
    "{:04d}-{:02d}-{:02d} {:02d}:{:02d}",
    "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:00",
    "{:04d}-{:02d}-{:02d}",
]
FULL_RANGE_DATES: st.SearchStrategy[str] = st.builds(
    lambda moment, shape: shape.format(
        moment.year, moment.month, moment.day, moment.hour, moment.minute
    ),
    st.one_of(
        st.datetimes(min_value=datetime.min, max_value=datetime.max),
        st.sampled_from([datetime.min, datetime.max]),
    ),
    st.sampled_from(_DATE_SHAPES),
)
CHOICE_PAYLOADS = [
    "y",
    "on",
    "true",
    "owner",
    "admin",
    "staff",
    "pause",
    "resume",
    "end",
    "1",
    "spam",
]


@st.composite
def huge_text(draw: st.DrawFn) -> str:
    """Tens of kilobytes up to 100 KB, with a marker at the end so truncation is visible."""
    size = draw(st.sampled_from([1_001, 5_000, 64 * 1024, 100 * 1024]))
    filler = draw(st.sampled_from(["A", "é", "😀", "<", "'"]))
    return filler * (size // len(filler.encode())) + MARKER + ">"


def hostile_text() -> st.SearchStrategy[str]:
    """One hostile value: a known payload, random unicode, a number or a huge string."""
    return HOSTILE_TEXT


HOSTILE_TEXT: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(HTML_PAYLOADS),
    st.sampled_from(SQL_PAYLOADS),
    st.sampled_from(UNICODE_PAYLOADS),
    st.sampled_from(NUMBER_PAYLOADS),
    st.sampled_from(CONTACT_PAYLOADS),
    st.sampled_from(DATE_PAYLOADS + CHOICE_PAYLOADS),
    FULL_RANGE_DATES,
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=40),
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=12).map(lambda s: s + MARKER + ">"),
    huge_text(),
)


def field_value() -> st.SearchStrategy[str | list[str]]:
    """A field's value: usually one string, sometimes a repeated key."""
    return FIELD_VALUE


FIELD_VALUE: st.SearchStrategy[str | list[str]] = st.one_of(
    HOSTILE_TEXT, HOSTILE_TEXT, HOSTILE_TEXT, st.lists(HOSTILE_TEXT, min_size=2, max_size=3)
)


def wire_bytes(text: str) -> bytes:
    """What a client would put on the wire, surrogates included (as their UTF-8-ish bytes)."""
    return text.encode("utf-8", "surrogatepass")


def urlencode_raw(fields: list[tuple[str, str]]) -> bytes:
    """An application/x-www-form-urlencoded body (or query string) from raw values."""
    return b"&".join(
        quote_from_bytes(wire_bytes(name), safe=b"").encode()
        + b"="
        + quote_from_bytes(wire_bytes(value), safe=b"").encode()
        for name, value in fields
    )


def safe_text(text: str) -> str:
    """``text`` with lone surrogates replaced: for places the test client encodes itself."""
    return wire_bytes(text).decode("utf-8", "replace")


WRONG_CSRF_TOKEN = "IjAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAi.x.y"  # noqa: S105
ENCODINGS = ("form", "form", "form", "multipart", "json", "text", "no-boundary")
CSRF_MODES = ("valid", "valid", "valid", "absent", "wrong")

FAKE_FILES = [
    (b"GIF89a" + MARKER.encode() + b"><script>", "x.gif", "image/gif"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "broken.png", "image/png"),
    (b"%PDF-1.4\n" + MARKER.encode(), "../../etc/passwd.png", "image/png"),
    (b"<svg onload=alert(1)>" + MARKER.encode() + b">", "a.svg", "image/svg+xml"),
    (b"", "", "application/octet-stream"),
    (b"\xff\xd8\xff\xe0" + b"A" * 2048, f"{MARKER}>.jpg", "image/jpeg"),
]


@dataclass
class FuzzRequest:
    """One hostile request: fields (repeated keys allowed), how it is encoded, CSRF, headers."""

    fields: list[tuple[str, str]]
    encoding: str = "form"
    csrf: str = "valid"
    files: dict[str, tuple[bytes, str, str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        shown = [(k, v[:60] + ("…" if len(v) > 60 else "")) for k, v in self.fields]
        return f"{self.encoding} csrf={self.csrf} fields={shown} files={list(self.files)}"

    def wire_fields(self, csrf_token: str | None) -> list[tuple[str, str]]:
        """The fields as sent, with the CSRF token this request carries (if any)."""
        fields = list(self.fields)
        if self.csrf == "valid" and csrf_token:
            fields.append(("csrf_token", csrf_token))
        elif self.csrf == "wrong":
            fields.append(("csrf_token", WRONG_CSRF_TOKEN))
        return fields

    def body(self, csrf_token: str | None) -> tuple[Any, str]:
        """(data, content type) for the test client."""
        fields = self.wire_fields(csrf_token)
        if self.encoding == "json":
            document: dict[str, Any] = {}
            for name, value in fields:
                document.setdefault(name, []).append(value)
            flat = {k: v[0] if len(v) == 1 else v for k, v in document.items()}
            return json.dumps(flat), "application/json"
        if self.encoding == "text":
            return urlencode_raw(fields), "text/plain"
        if self.encoding == "no-boundary":
            return urlencode_raw(fields), "multipart/form-data"
        if self.encoding == "multipart":
            data: dict[str, Any] = {}
            for name, value in fields:
                data.setdefault(safe_text(name), []).append(safe_text(value))
            for name, (content, filename, mimetype) in self.files.items():
                from io import BytesIO

                data.setdefault(name, []).append((BytesIO(content), filename, mimetype))
            return data, "multipart/form-data"
        return urlencode_raw(fields), "application/x-www-form-urlencoded"


HEADER_PAYLOADS = {
    "HX-Request": st.sampled_from(["true", "false", ""]),
    "Referer": st.sampled_from(
        ["javascript:xfuzz()", "http://evil.example/x", "//evil.example", MARKER, "/\\evil"]
    ),
    "Accept-Language": st.sampled_from(["xx", "*;q=nan", "id-ID;q=2", MARKER, "en;q=-1,,,"]),
    "X-Forwarded-For": st.sampled_from(
        ["not-an-ip", "999.1.1.1", "::ffff:1.2.3.4", "1.2.3.4, " + MARKER, ""]
    ),
    "Accept": st.sampled_from(["text/html", "application/json", "*/*", MARKER]),
}


@st.composite
def headers(draw: st.DrawFn) -> dict[str, str]:
    names = draw(st.lists(st.sampled_from(sorted(HEADER_PAYLOADS)), max_size=3, unique=True))
    return {name: draw(HEADER_PAYLOADS[name]) for name in names}


@st.composite
def fuzz_requests(draw: st.DrawFn, names: list[str], file_names: list[str]) -> FuzzRequest:
    """A hostile request for a form whose field names are ``names`` (any may be missing)."""
    chosen = draw(st.lists(st.sampled_from(names), max_size=min(6, len(names)), unique=True))
    extra = draw(st.lists(hostile_text().map(lambda s: s[:40]), max_size=1))
    fields: list[tuple[str, str]] = []
    for name in chosen + extra:
        value = draw(field_value())
        for one in value if isinstance(value, list) else [value]:
            fields.append((name, one))
    encoding = draw(st.sampled_from(ENCODINGS))
    files = {}
    if encoding == "multipart" and file_names:
        for name in draw(st.lists(st.sampled_from(file_names), max_size=2, unique=True)):
            files[name] = draw(st.sampled_from(FAKE_FILES))
    return FuzzRequest(
        fields=fields,
        encoding=encoding,
        csrf=draw(st.sampled_from(CSRF_MODES)),
        files=files,
        headers=draw(headers()),
    )


QUERY_NAMES = [
    "q",
    "page",
    "category",
    "lat",
    "lon",
    "lang",
    "next",
    "place",
    "near",
    "outbox",
    "state",
    "code",
    "error",
    "status",
    "sort",
    "days",
    "from",
    "to",
    "branch",
]


@st.composite
def query_strings(draw: st.DrawFn) -> bytes:
    """A raw query string of hostile parameters (repeated keys included)."""
    pairs = []
    for name in draw(st.lists(st.sampled_from(QUERY_NAMES), min_size=1, max_size=5)):
        value = draw(hostile_text())
        pairs.append((name, value[:8_000]))  # a URL, not a body: keep it shorter
    return urlencode_raw(pairs)
