"""A contributor's first day: links follow the dev server's PORT, `python worker.py` explains a bad
setting in one line as the web process does, and the fake sign-in provider runs on its own
(`python -m tests.servers.fake_oidc`, as README shows)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask

from konexi.config import ROOT, ConfigError, load_settings
from konexi.extensions import db
from konexi.models import User
from konexi.services.catalogue import digest
from tests.servers.ports import free_port, wait_for_port
from tests.servers.smtp_server import SmtpServer
from tests.support.factories import make_voucher


def test_base_url_follows_port_in_development(tmp_path) -> None:
    def base_url(**environ: str) -> str:
        return load_settings(environ, instance_path=tmp_path)["BASE_URL"]

    assert base_url() == "http://127.0.0.1:5000"
    assert base_url(PORT="8123") == "http://127.0.0.1:8123"
    assert base_url(PORT="8123", BASE_URL="https://konexi.example") == "https://konexi.example"
    with pytest.raises(ConfigError, match="PORT"):
        base_url(PORT="eighty")


def test_email_links_point_at_the_port_the_app_runs_on(
    app_factory: Callable[..., Flask], twilio, mailbox: SmtpServer
) -> None:
    app = app_factory(BASE_URL="", PORT="8123")  # "" drops the suite's BASE_URL
    with app.app_context():
        voucher = make_voucher()
        user = User(
            name="Dewi",
            email="dewi@example.com",
            phone="+6281211112222",
            phone_verified_at=voucher.created_at,
            email_verified_at=voucher.created_at,
            marketing_email=True,
            personalisation_enabled=False,
        )
        db.session.add(user)
        db.session.commit()
        assert digest.send_weekly_digests() == 1
        voucher_id = voucher.id
        db.session.remove()
    [mail] = mailbox.to("dewi@example.com")
    assert f"http://127.0.0.1:8123/vouchers/{voucher_id}" in mail.text
    assert "127.0.0.1:5000" not in mail.text


def run_worker(**environ: str) -> subprocess.CompletedProcess[str]:
    keep = ("PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV")
    return subprocess.run(  # noqa: S603
        [sys.executable, "worker.py"],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if k in keep}, **environ},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"KONEXI_ENV": "production"}, "SECRET_KEY"),
        ({"KONEXI_ENV": "testing", "PURGE_GRACE_DAYS": "a month"}, "PURGE_GRACE_DAYS"),
    ],
)
def test_the_worker_explains_a_bad_setting_in_one_line(environ: dict[str, str], named: str) -> None:
    result = run_worker(**environ)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("konexi worker: ") and named in lines[0]


def test_the_fake_sign_in_provider_runs_standalone_for_local_tries(
    app_factory: Callable[..., Flask], twilio, mailbox
) -> None:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "tests.servers.fake_oidc", "--port", str(port)]
        + ["--email", "local.try@example.com", "--name", "Local Try"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_port(port)
        assert process.stdout is not None
        process.stdout.readline()
        process.stdout.readline()
        settings = dict(pair.split("=", 1) for pair in process.stdout.readline().split())
        app = app_factory(**settings)
        with app.app_context():
            client = app.test_client()
            start = client.get("/auth/google/login")
            at_provider = requests.get(start.headers["Location"], allow_redirects=False, timeout=10)
            back = urlsplit(at_provider.headers["Location"])
            finished = client.get(f"{back.path}?{back.query}")
            assert finished.headers["Location"] == "/auth/complete-signup"
            assert "local.try@example.com" in client.get("/auth/complete-signup").text
            db.session.remove()
    finally:
        process.terminate()
        process.wait(10)
