"""The Procfile's web process, `gunicorn wsgi:app --config gunicorn.conf.py`, in production: no
full client address or token reaches its output, and X-Forwarded-Proto counts only from a
trusted proxy (TRUSTED_PROXIES drives gunicorn's forwarded_allow_ips as well as the app's)."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from konexi.config import ROOT
from tests.servers.ports import free_port, wait_for_port
from tests.support.faults import postgres_only  # noqa: F401 - PostgreSQL: production

TOKEN_PATHS = (
    "/verify/email/eyJ1c2VyIjo0Mn0.Zs9vKq.gunicorn-token-1",
    "/s/gunicorn-token-2-AbCdEfGh",
    "/unsubscribe/gunicorn-token-3-AbCdEfGh",
    "/account/export/gunicorn-token-4-AbCdEfGh",
    "/provider/invitations/gunicorn-token-5-AbCdEfGh",
)
PEER = "127.0.0.77"  # the proxy's (or client's) own address, as gunicorn sees it
CLIENT = "203.0.113.77"  # the client's address, as the proxy reports it


@pytest.fixture
def start_gunicorn(
    database_url, redis_url, smtp_server, fake_twilio, tmp_path: Path
) -> Iterator[Callable[..., tuple[int, Path]]]:
    """Start the Procfile's web command with production settings; returns (port, output file)."""
    processes: list[subprocess.Popen] = []

    def start(**extra: str) -> tuple[int, Path]:
        port = free_port()
        output = tmp_path / f"gunicorn-{port}.log"
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SMTP_"))}
        environ.update(
            KONEXI_ENV="production",
            SECRET_KEY="s" * 64,
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            SMTP_URL=smtp_server.url,
            MAIL_FROM="Konexi <no-reply@konexi.test>",
            BASE_URL="https://konexi.test",
            PORT=str(port),
            WEB_CONCURRENCY="1",
            GUNICORN_THREADS="2",
            LOG_LEVEL="INFO",
            **fake_twilio.env(),
            **extra,
        )
        gunicorn = Path(sys.executable).parent / "gunicorn"
        with output.open("w") as log:
            processes.append(
                subprocess.Popen(  # noqa: S603
                    [str(gunicorn), "wsgi:app", "--config", "gunicorn.conf.py"],
                    cwd=ROOT,
                    env=environ,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        wait_for_port(port, timeout=60)
        return port, output

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=30)


def _get(port: int, path: str, headers: dict[str, str]) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20, source_address=(PEER, 0))
    connection.request("GET", path, headers={"Host": "konexi.test", **headers})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_gunicorn_output_has_no_full_client_address_and_no_token(start_gunicorn):
    port, output = start_gunicorn(TRUSTED_PROXIES="1")
    # As Heroku's router forwards an HTTPS request: the client's address and the scheme.
    proxied = {"X-Forwarded-For": CLIENT, "X-Forwarded-Proto": "https"}
    statuses = [_get(port, path, proxied).status for path in TOKEN_PATHS]
    assert 308 not in statuses and 500 not in statuses, statuses
    assert _get(port, "/privacy", proxied).status == 200
    text = output.read_text()
    # The request log wrote a line per request, with the route pattern and the network only.
    assert "/verify/email/<token>" in text and "/s/<token>" in text, text[-2000:]
    assert "ip=203.0.113.0/24" in text
    # One line at start-up says which nearby search the (migrated, PostGIS) database runs.
    assert text.count("nearby: PostGIS") == 1, text[:2000]
    for secret in (CLIENT, PEER, *(path.rsplit("/", 1)[1] for path in TOKEN_PATHS)):
        assert secret not in text, secret


def test_without_trusted_proxies_gunicorn_ignores_a_forged_x_forwarded_proto(start_gunicorn):
    alone, _ = start_gunicorn()  # TRUSTED_PROXIES unset: 0
    forged = {"X-Forwarded-Proto": "https"}
    response = _get(alone, "/privacy", forged)
    assert response.status == 308
    assert response.getheader("Location") == "https://konexi.test/privacy"
    behind, _ = start_gunicorn(TRUSTED_PROXIES="1")
    assert _get(behind, "/privacy", forged).status == 200
    assert _get(behind, "/privacy", {}).status == 308  # the router's own plain-HTTP request
    # Headers the router passes through from the client do not make plain HTTP look secure.
    for header in ({"X-Forwarded-Ssl": "on"}, {"X-Forwarded-Protocol": "ssl"}):
        assert _get(behind, "/privacy", {"X-Forwarded-Proto": "http", **header}).status == 308
