"""Browser journeys: the app on a free port, driven through Playwright in Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from konexi import create_app
from konexi.extensions import db
from tests.servers.fake_twilio import FakeTwilio
from tests.servers.ports import free_port
from tests.servers.smtp_server import SmtpServer
from tests.support.app import base_environ

CHROMIUM = os.environ.get("KONEXI_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


class LiveServer:
    """The app served by werkzeug in a thread, as a browser would reach it."""

    def __init__(self, app: Flask, port: int) -> None:
        self.app = app
        self.port = port
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()

    def drop_connection(self) -> None:
        """The connection is gone: nothing answers on the port any more (connection refused),
        for the page and its service worker alike. Playwright's offline mode alone does not
        reach a service worker's own requests in every Chromium, so a journey "offline" could
        still get through to the app."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def restore_connection(self) -> None:
        """The connection is back: the same app answers on the same port again."""
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()


@pytest.fixture
def live_server(
    sqlite_template: Path,
    tmp_path: Path,
    smtp_server: SmtpServer,
    fake_twilio: FakeTwilio,
) -> Iterator[LiveServer]:
    """A fresh app on a fresh SQLite copy, with real SMTP and the fake Twilio API."""
    fake_twilio.reset()
    smtp_server.clear()
    database = tmp_path / "live.sqlite3"
    shutil.copyfile(sqlite_template, database)
    port = free_port()
    environ = base_environ(f"sqlite:///{database}", smtp_server, fake_twilio)
    environ["BASE_URL"] = f"http://127.0.0.1:{port}"
    app = create_app(environ)
    with app.app_context():
        from konexi.dev.demo_data import load_demo_data

        load_demo_data()
    server = LiveServer(app, port)
    server.start()
    yield server
    server.stop()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: make test installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, request: pytest.FixtureRequest) -> Iterator[Callable[..., object]]:
    """Open a page in a fresh browser context (a new visitor); ``javascript=False`` turns JS off."""
    contexts = []

    def open_page(javascript: bool = True, locale: str = "en-US"):
        context = browser.new_context(
            java_script_enabled=javascript,
            locale=locale,
            viewport={"width": 390, "height": 844},
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    failed = getattr(request.node, "rep_call", None)
    for index, context in enumerate(contexts):
        if failed is not None and failed.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            for page in context.pages:
                page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{index}.png"))
        context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
