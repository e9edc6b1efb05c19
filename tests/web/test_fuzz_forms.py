"""Fuzzing every form and endpoint with hostile input: never a 500, never reflected unescaped.

The targets come from ``app.url_map`` (through the access table, which must cover every
route): every rule accepting POST gets hostile form bodies (huge strings, unicode, NUL bytes,
SQL and HTML payloads, malformed phones/emails, numbers like nan/inf/2**80, missing fields,
repeated keys, JSON/text/multipart bodies, fake files, absent or wrong CSRF tokens); every GET
rule gets hostile query strings; every rule with a path parameter gets hostile path segments.
Each request is made as an anonymous visitor, a verified user or (for the console) a provider
admin, on real objects (the access matrix's world), so views get past their 404s.

Every answer must be below 500 (503 only from /healthz) and an HTML/XML answer must not carry
a payload's marker raw. Hypothesis runs derandomised without an example database, so CI
is deterministic; ``FUZZ_SCALE`` multiplies the number of examples (default 1). The number of
cases tried is written to ``test-artifacts/fuzz-cases.json`` and printed at the end.

The bulk runs on SQLite (≈1 minute); a smaller run of the form fuzzing on PostgreSQL catches
what only PostgreSQL refuses (NUL bytes in text, integers beyond BIGINT).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict
from wtforms.fields.core import UnboundField

from konexi.extensions import db
from tests.servers.fake_twilio import AUTH_TOKEN
from tests.support.access_rules import RULES
from tests.support.access_world import World
from tests.support.app import BACKENDS
from tests.support.fuzz_strategies import (
    MARKER,
    QUERY_NAMES,
    RAW_MARKERS,
    FuzzRequest,
    fuzz_requests,
    hostile_text,
    query_strings,
    safe_text,
    urlencode_raw,
    wire_bytes,
)

pytestmark = pytest.mark.slow

SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
ARTIFACT = Path(__file__).resolve().parents[2] / "test-artifacts" / "fuzz-cases.json"
INBOUND_SECRET = "fuzz-inbound-secret"  # noqa: S105 - test credential
CASES: Counter[str] = Counter()
# The random half runs on SQLite; PostgreSQL runs when the suite has it (KONEXI_TEST_DATABASES).
SQLITE = ["sqlite"]
POSTGRES = [
    pytest.param(
        "postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif("postgres" not in BACKENDS, reason="PostgreSQL not in this run"),
        ],
    )
]
HTML_TYPES = {"text/html", "text/xml", "application/xml", "application/xhtml+xml"}


def examples(n: int) -> int:
    return max(10, int(n * SCALE))


def fuzz_settings(n: int) -> settings:
    return settings(
        max_examples=examples(n),
        deadline=None,
        derandomize=True,
        database=None,
        print_blob=False,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


# -- the app, its world and who asks ----------------------------------------------------------
@pytest.fixture
def fuzz_app(app_factory: Callable[..., Flask], twilio: Any, mailbox: Any) -> Iterator[Flask]:
    application = app_factory(RATELIMIT_ENABLED="false", INBOUND_EMAIL_SECRET=INBOUND_SECRET)
    with application.app_context():
        yield application
        db.session.remove()


class Sessions:
    """One client per actor; re-signed-in before each request (a fuzzed POST may log out)."""

    PAGES = {"anonymous": "/login", "user": "/account/privacy", "admin": "/account/privacy"}

    def __init__(self, app: Flask, world: World) -> None:
        self.app, self.world = app, world
        self.clients: dict[str, tuple[FlaskClient, str, str]] = {}

    def get(self, actor: str) -> tuple[FlaskClient, str]:
        client, token, raw = self.clients.get(actor) or (self.app.test_client(), "", "")
        with client.session_transaction() as session:  # signed in as tests.log_in does
            if actor == "anonymous":
                session.pop("_user_id", None)
            else:
                session["_user_id"] = self.world.users[actor].get_id()
                session["_fresh"] = True
            current = session.get("csrf_token", "")
        if not token or current != raw:
            page = client.get(self.PAGES[actor]).get_data(as_text=True)
            match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
            token = match.group(1) if match else ""
            with client.session_transaction() as session:
                raw = session.get("csrf_token", "")
        self.clients[actor] = (client, token, raw)
        return client, token


def form_field_names() -> list[str]:
    """Every field name of every form class in the app (imported by create_app)."""
    names: set[str] = set()
    stack = list(FlaskForm.__subclasses__())
    while stack:
        form = stack.pop()
        stack.extend(form.__subclasses__())
        if not form.__module__.startswith("konexi"):
            continue
        for name in dir(form):
            if isinstance(getattr(form, name, None), UnboundField):
                names.add(name)
    return sorted(names)


FORM_RE = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
ACTION_RE = re.compile(r'action="([^"]*)"')
NAME_RE = re.compile(r'\bname="([^"]+)"')


def crawl_form_fields(app: Flask, sessions: Sessions, urls: list[str]) -> dict[str, set[str]]:
    """endpoint -> field names, read from the forms on the app's own pages."""
    adapter = app.url_map.bind("konexi.test")
    found: dict[str, set[str]] = {}
    for actor in ("user", "admin"):
        client, _token = sessions.get(actor)
        for url in urls:
            page = client.get(url)
            if page.mimetype != "text/html":
                continue
            html = page.get_data(as_text=True)
            for attributes, inner in FORM_RE.findall(html):
                action = ACTION_RE.search(attributes)
                target = urlsplit(action.group(1) if action else url).path or url
                try:
                    endpoint, _args = adapter.match(target, method="POST")
                except Exception:  # noqa: S112 - a GET-only form (search): not a POST target
                    continue
                names = {n for n in NAME_RE.findall(inner) if n != "csrf_token"}
                found.setdefault(endpoint, set()).update(names)
    return found


_CRAWLED: dict[str, set[str]] = {}


class Target:
    """A route to fuzz: its endpoint, a URL on real objects, field names and who asks."""

    def __init__(self, endpoint: str, method: str, url: str, fields: list[str]) -> None:
        self.endpoint, self.method, self.url, self.fields = endpoint, method, url, fields
        self.actors = ["admin"] if url.startswith("/provider/") else ["anonymous", "user"]
        if url.startswith("/provider/"):
            self.actors.append("anonymous")

    def __repr__(self) -> str:
        return f"{self.method} {self.url} ({self.endpoint})"


class Fuzzer:
    """The world, its sessions and the targets of one fuzz test."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.world = World().build()
        self.sessions = Sessions(app, self.world)
        self.urls = {key: rule.url(self.world) for key, rule in RULES.items()}
        db.session.commit()
        pages = sorted({url for (_e, method), url in self.urls.items() if method == "GET"})
        if not _CRAWLED:  # the same forms whatever the backend: crawl once per session
            _CRAWLED.update(crawl_form_fields(app, self.sessions, pages))
        crawled = _CRAWLED
        generic = form_field_names()
        self.posts = []
        for (endpoint, method), url in sorted(self.urls.items()):
            if method != "POST":
                continue
            own = sorted(crawled.get(endpoint, set()))
            data_names = sorted(RULES[(endpoint, method)].data(self.world))
            fields = sorted(set(own) | set(data_names)) or generic
            self.posts.append(Target(endpoint, method, url, fields + ["extra", "csrf_token"]))
        self.gets = [
            Target(endpoint, method, url, [])
            for (endpoint, method), url in sorted(self.urls.items())
            if method == "GET"
        ]
        self.generic = generic

    def send(self, target: Target, actor: str, request: FuzzRequest) -> Any:
        client, token = self.sessions.get(actor)
        data, content_type = request.body(token)
        headers = dict(request.headers)
        sent = request.wire_fields(token)
        if target.endpoint.startswith("webhooks.") and request.encoding == "form":
            # Signed as Twilio would sign it, so the fuzz reaches the parsers behind the check
            # (a body that is not UTF-8 cannot come from Twilio: it stays unsigned, 403).
            form = MultiDict([(k, v) for k, v in sent if safe_text(k + v) == k + v])
            signature = RequestValidator(AUTH_TOKEN).compute_signature(
                "http://konexi.test" + target.url, form
            )
            headers["X-Twilio-Signature"] = signature
            headers["X-Inbound-Secret"] = INBOUND_SECRET
        return client.post(target.url, data=data, content_type=content_type, headers=headers)


def check(response: Any, what: str, endpoint: str) -> None:
    """Never a 500 (503 only from the health check); no raw marker in HTML/XML answers."""
    status = response.status_code
    assert status < 500 or (status == 503 and endpoint == "pages.healthz"), (status, what)
    if response.mimetype in HTML_TYPES:
        body = response.get_data().decode("utf-8", "replace")
        for marker in RAW_MARKERS:
            found = marker.search(body)
            assert found is None, f"{found.group(0)!r} reflected raw by {what}"
    location = response.headers.get("Location", "")
    assert not location.lower().lstrip().startswith("javascript:"), (location, what)
    assert "evil.example" not in urlsplit(location).netloc, (location, what)


def count(test: str) -> None:
    CASES[test] += 1


def record_cases(counts: dict[str, int]) -> int:
    """Merge this process's counts into the artifact (xdist workers share it); the total."""
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACT.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            saved = json.loads(ARTIFACT.read_text()).get("by test", {})
        except (OSError, ValueError):
            saved = {}
        saved.update(counts)
        total = sum(saved.values())
        document = {"total": total, "by test": dict(sorted(saved.items()))}
        ARTIFACT.write_text(json.dumps(document, indent=2) + "\n")
    return total


@pytest.fixture(scope="module", autouse=True)
def _report_cases(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if not CASES:
        return
    total = record_cases(dict(CASES))
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(
            f"fuzz cases tried: {sum(CASES.values())} here, {total} recorded in "
            f"{ARTIFACT.name}: " + json.dumps(dict(CASES))
        )


# -- the tests ---------------------------------------------------------------------------------
def _fuzz_forms(fuzzer: Fuzzer, data: st.DataObject, name: str) -> None:
    target = data.draw(st.sampled_from(fuzzer.posts), label="target")
    actor = data.draw(st.sampled_from(target.actors), label="actor")
    file_names = [f for f in target.fields if f in ("picture", "image", "photo", "email")]
    request = data.draw(fuzz_requests(target.fields, file_names), label="request")
    response = fuzzer.send(target, actor, request)
    count(name)
    check(response, f"POST {target.url} as {actor}: {request.describe()}", target.endpoint)
    db.session.rollback()


@pytest.mark.parametrize("database_url", SQLITE, indirect=True)
def test_hostile_form_posts_never_break_a_page(fuzz_app: Flask) -> None:
    fuzzer = Fuzzer(fuzz_app)

    @fuzz_settings(800)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        _fuzz_forms(fuzzer, data, "form posts (SQLite)")

    run()


@pytest.mark.parametrize("database_url", POSTGRES, indirect=True)
def test_hostile_form_posts_never_break_a_page_on_postgres(fuzz_app: Flask) -> None:
    fuzzer = Fuzzer(fuzz_app)

    @fuzz_settings(400)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        _fuzz_forms(fuzzer, data, "form posts (PostgreSQL)")

    run()


def _fuzz_queries(fuzzer: Fuzzer, data: st.DataObject, name: str) -> None:
    target = data.draw(st.sampled_from(fuzzer.gets), label="target")
    actor = data.draw(st.sampled_from(target.actors), label="actor")
    query = data.draw(query_strings(), label="query")
    htmx = data.draw(st.booleans(), label="htmx")
    client, _token = fuzzer.sessions.get(actor)
    path = urlsplit(target.url).path
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.get(f"{path}?{query.decode('ascii')}", headers=headers)
    count(name)
    check(response, f"GET {path}?{query[:200]!r} as {actor}", target.endpoint)
    db.session.rollback()


@pytest.mark.parametrize("database_url", SQLITE, indirect=True)
def test_hostile_query_strings_never_break_a_page(fuzz_app: Flask) -> None:
    fuzzer = Fuzzer(fuzz_app)

    @fuzz_settings(300)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        _fuzz_queries(fuzzer, data, "query strings (SQLite)")

    run()


@pytest.mark.parametrize("database_url", POSTGRES, indirect=True)
def test_hostile_query_strings_never_break_a_page_on_postgres(fuzz_app: Flask) -> None:
    fuzzer = Fuzzer(fuzz_app)

    @fuzz_settings(200)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        _fuzz_queries(fuzzer, data, "query strings (PostgreSQL)")

    run()


_PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
HUGE_INTS = ["0", str(2**31), str(2**63), str(2**63 + 1), "9" * 40]


def path_segment() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(HUGE_INTS), hostile_text().map(lambda s: s[:2000]))


@pytest.mark.parametrize("database_url", SQLITE + POSTGRES, indirect=True)
def test_hostile_path_segments_never_break_a_page(fuzz_app: Flask) -> None:
    fuzzer = Fuzzer(fuzz_app)
    sqlite = "sqlite" in fuzz_app.config["SQLALCHEMY_DATABASE_URI"]
    backend = "SQLite" if sqlite else "PostgreSQL"
    patterns = sorted(
        {
            (rule.rule, rule.endpoint, tuple(sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})))
            for rule in fuzz_app.url_map.iter_rules()
            if "<" in rule.rule and rule.endpoint != "static"
        }
    )

    @fuzz_settings(400 if sqlite else 200)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        pattern, endpoint, methods = data.draw(st.sampled_from(patterns), label="rule")

        def fill(match: re.Match[str]) -> str:
            converter = match.group(1) or "default"
            if converter == "int":
                return data.draw(st.sampled_from(HUGE_INTS), label=match.group(2))
            if converter == "any":
                return data.draw(st.sampled_from(["webp", "jpg"]), label=match.group(2))
            value = data.draw(path_segment(), label=match.group(2))
            return quote(wire_bytes(value), safe="")

        path = _PARAM.sub(fill, pattern)
        method = data.draw(st.sampled_from(methods), label="method")
        actor = data.draw(st.sampled_from(["anonymous", "user", "admin"]), label="actor")
        client, token = fuzzer.sessions.get(actor)
        if method == "GET":
            response = client.get(path)
        else:
            response = client.post(path, data={"csrf_token": token})
        count(f"path segments ({backend})")
        check(response, f"{method} {path[:300]} as {actor}", endpoint)
        db.session.rollback()

    run()


def test_the_marker_check_sees_a_raw_reflection() -> None:
    """The oracle itself: a raw marker fails, an escaped one passes."""

    class Answer:
        status_code = 200
        mimetype = "text/html"
        headers: dict[str, str] = {}

        def __init__(self, body: str) -> None:
            self.body = body

        def get_data(self) -> bytes:
            return self.body.encode()

    check(Answer("<p>&lt;x-fuzz-7311&gt;</p>"), "escaped", "x")
    with pytest.raises(AssertionError):
        check(Answer(f"<p>{MARKER}></p>"), "raw", "x")


SWEEP_VALUES = [
    "\x00",
    str(2**31),
    str(2**63),
    "9" * 40,
    "nan",
    "-1",
    "\ud800",
    "A" * (20 * 1024) + MARKER + ">",  # (100 KB values are in the random half)
    f'"><{MARKER[1:]}>',
    "' OR '1'='1",
]


@pytest.mark.parametrize("database_url", SQLITE + POSTGRES, indirect=True)
def test_every_field_of_every_form_takes_each_hostile_value(fuzz_app: Flask) -> None:
    """The systematic half: every POST target with all its fields set to each hostile value,
    and every GET target with every known query parameter set to it."""
    fuzzer = Fuzzer(fuzz_app)
    uri = fuzz_app.config["SQLALCHEMY_DATABASE_URI"]
    backend = "PostgreSQL" if "postgres" in uri else "SQLite"
    # SQLite takes what PostgreSQL refuses, except integers beyond 64 bits: there, only those.
    values = SWEEP_VALUES if backend == "PostgreSQL" else [str(2**63), "9" * 40]
    for value in values:
        for target in fuzzer.posts:
            actor = "admin" if target.url.startswith("/provider/") else "user"
            names = [n for n in target.fields if n not in ("csrf_token", "extra")]
            request = FuzzRequest(fields=[(name, value) for name in names])
            response = fuzzer.send(target, actor, request)
            count(f"sweep ({backend})")
            what = f"POST {target.url} as {actor}: all fields = {value[:30]!r}"
            check(response, what, target.endpoint)
            db.session.rollback()
        query = urlencode_raw([(name, value[:8000]) for name in QUERY_NAMES]).decode("ascii")
        for target in fuzzer.gets:
            client, _token = fuzzer.sessions.get("user")
            path = urlsplit(target.url).path
            response = client.get(f"{path}?{query}")
            count(f"sweep ({backend})")
            check(response, f"GET {path} with every parameter = {value[:30]!r}", target.endpoint)
            db.session.rollback()


@pytest.mark.parametrize("database_url", SQLITE, indirect=True)
def test_fuzzed_webhook_requests_get_past_the_signature(fuzz_app: Flask) -> None:
    """The webhooks' parsers are fuzzed too: a fuzzed form body is signed as Twilio would."""
    fuzzer = Fuzzer(fuzz_app)
    targets = {t.endpoint: t for t in fuzzer.posts if t.endpoint.startswith("webhooks.")}
    hostile = FuzzRequest(fields=[("From", "\u202e+62 812"), ("Body", f"REDEEM {MARKER}>🇮🇩")])
    for endpoint in ("webhooks.twilio_sms", "webhooks.twilio_status", "webhooks.inbound_email"):
        response = fuzzer.send(targets[endpoint], "anonymous", hostile)
        assert 200 <= response.status_code < 300, endpoint
        check(response, endpoint, endpoint)
