"""Production, day one: a fresh deploy run the way the platform runs it, on real servers.

A fresh PostgreSQL (its URL in Heroku's ``postgres://`` form), a Redis that speaks only TLS with
a self-signed certificate (``rediss://``, as the Redis add-on gives), the fake Twilio API, an
SMTP relay with STARTTLS that would even take a login in clear (its certificate trusted through
``SSL_CERT_FILE``; the Redis one is not), and a router in front that terminates TLS and sets
``X-Forwarded-*`` as Heroku's does. The Procfile's own lines run: ``release`` to completion, then
``web`` and ``worker``. The operator runs the documented commands; a provider and a customer use
the site through the router as a browser without JavaScript would; every SMS and email is
delivered by the worker process. A restart (SIGTERM to both dynos while messages are queued or
being sent) loses and doubles none.

README's "Deploying to a Heroku-style platform" section describes exactly these steps.
"""

from __future__ import annotations

import html
import json
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import requests
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from konexi.config import ROOT
from konexi.services.catalogue.categories import DEFAULT_CATEGORIES
from tests.servers.fake_twilio import FakeTwilio
from tests.servers.ports import free_port, wait_for_port
from tests.servers.postgres_server import PostgresServer
from tests.servers.procfile import Dyno, dyno_environ, read_procfile, run_one_off
from tests.servers.redis_server import RedisServer, start_redis
from tests.servers.smtp_server import SmtpServer
from tests.servers.tls import SelfSignedCertificate, make_self_signed_certificate
from tests.servers.tls_router import TlsRouter
from tests.support.faults import wait_for
from tests.support.form_browser import FormBrowser, Page

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

JAKARTA = ZoneInfo("Asia/Jakarta")
PASSWORD = "day-one password 7"  # noqa: S105 - test credential
ADMIN = {"email": "ops@example.com", "name": "Ops Admin", "phone": "081311110003"}
PROVIDER = {"email": "rina.kopi@example.com", "name": "Rina Kopi", "phone": "081311110001"}
BRANCH_PHONE = "081311110009"
SMTP_USER, SMTP_PASSWORD = "konexi", "relay-password"
CUSTOMER = {"email": "budi@example.com", "name": "Budi Santoso", "phone": "081311110002"}


def e164(local: str) -> str:
    return "+62" + local[1:]


# -- the deploy --------------------------------------------------------------------------------
@dataclass
class Deploy:
    """Everything the journey runs on, and the dynos it started."""

    root: Path
    config_vars: dict[str, str]
    procfile: dict[str, str]
    router: TlsRouter
    router_ca: Path
    twilio: FakeTwilio
    smtp: SmtpServer
    redis: RedisServer
    database_url: str
    logs: Path
    dynos: dict[str, Dyno]

    @property
    def environ(self) -> dict[str, str]:
        return dyno_environ(self.config_vars)

    def run(self, command: str, stdin: str = "") -> tuple[int, str]:
        """A one-off dyno (``heroku run``): its exit code and everything it printed."""
        started = time.monotonic()
        done = run_one_off(command, self.environ, cwd=self.root, stdin=stdin)
        output = done.stdout + done.stderr
        took = time.monotonic() - started
        with (self.logs / "one-off.log").open("a") as log:
            log.write(f"--- {command} (exit {done.returncode}, {took:.1f} s)\n{output}\n")
        return done.returncode, output

    def start(self, name: str) -> Dyno:
        dyno = Dyno(name, self.procfile[name], self.environ, self.root, self.logs / f"{name}.log")
        self.dynos[name] = dyno
        dyno.start()
        return dyno

    def browser(self) -> FormBrowser:
        return FormBrowser(self.router.https_url, self.router_ca)

    def all_logs(self) -> str:
        return "\n".join(
            f"===== {path.name}\n{path.read_text(errors='replace')[-6000:]}"
            for path in sorted(self.logs.glob("*.log"))
        )


def _ca_bundle(path: Path, *certificates: SelfSignedCertificate) -> Path:
    """What SSL_CERT_FILE points at: the certificates the app may trust (never the Redis one)."""
    path.write_bytes(b"".join(c.cert_file.read_bytes() for c in certificates))
    return path


@pytest.fixture
def deploy(tmp_path: Path, postgres_server: PostgresServer, twilio: FakeTwilio) -> Iterator[Deploy]:
    with ExitStack() as cleanup:
        smtp_certificate = make_self_signed_certificate(tmp_path / "smtp-tls")
        router_certificate = make_self_signed_certificate(tmp_path / "router-tls")
        # The relay offers AUTH even in clear: only the app's own rule keeps the credentials and
        # the mail off the wire until STARTTLS has succeeded.
        smtp = SmtpServer(smtp_certificate, auth=True)
        smtp.start()
        cleanup.callback(smtp.stop)
        redis = start_redis(tls=True)
        cleanup.callback(shutil.rmtree, redis.directory, ignore_errors=True)
        cleanup.callback(redis.stop)
        web_port = free_port()
        router = TlsRouter(upstream_port=web_port, certificate=router_certificate)
        router.start()
        cleanup.callback(router.stop)

        name = f"konexi_day_one_{secrets.token_hex(4)}"
        postgres_server.create_database(name)
        database_url = f"postgres://konexi@127.0.0.1:{postgres_server.port}/{name}"
        logs = tmp_path / "logs"
        logs.mkdir()
        config_vars = {
            "KONEXI_ENV": "production",
            "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis.url,
            **twilio.env(),
            "SMTP_URL": smtp.url.replace("://", f"://{SMTP_USER}:{SMTP_PASSWORD}@", 1),
            "MAIL_FROM": "Konexi <no-reply@konexi.test>",
            "BASE_URL": router.https_url,
            "TRUSTED_PROXIES": "1",
            "PORT": str(web_port),
            "SSL_CERT_FILE": str(_ca_bundle(tmp_path / "ca-bundle.pem", smtp_certificate)),
            # Each dyno has its own home (gunicorn keeps its control socket there).
            "HOME": str(tmp_path / "home"),
        }
        deployed = Deploy(
            root=ROOT,
            config_vars=config_vars,
            procfile=read_procfile(ROOT / "Procfile"),
            router=router,
            router_ca=router_certificate.cert_file,
            twilio=twilio,
            smtp=smtp,
            redis=redis,
            database_url=database_url,
            logs=logs,
            dynos={},
        )
        cleanup.callback(lambda: [dyno.kill() for dyno in deployed.dynos.values()])
        try:
            yield deployed
        finally:
            # Shown by pytest only when the test failed: what each process said.
            print(deployed.all_logs())  # noqa: T201


# -- what arrives ------------------------------------------------------------------------------
def sms_to(twilio: FakeTwilio, phone: str, pattern: str, count: int = 1) -> list[str]:
    """Wait for ``count`` SMS to ``phone`` matching ``pattern``; the first group of each."""

    def found() -> list[str]:
        matches = [re.search(pattern, m.body) for m in twilio.to(e164(phone))]
        return [m.group(1) for m in matches if m]

    wait_for(lambda: len(found()) >= count, f"{count} SMS to {phone} matching {pattern!r}")
    return found()


def email_code(smtp: SmtpServer, address: str) -> str:
    wait_for(lambda: smtp.to(address), f"an email to {address}")
    match = re.search(r"Your Konexi code is (\d{6})", smtp.to(address)[-1].text)
    assert match, smtp.to(address)[-1].text
    return match.group(1)


# -- the people --------------------------------------------------------------------------------
def sign_up_and_verify(deploy: Deploy, person: dict[str, str]) -> FormBrowser:
    browser = deploy.browser()
    form = browser.get("/signup")
    verify = browser.submit(
        form,
        "/signup",
        {
            "name": person["name"],
            "email": person["email"],
            "phone": person["phone"],
            "password": PASSWORD,
        },
    )
    assert verify.url.endswith("/verify"), verify.problems()
    phone_code = sms_to(deploy.twilio, person["phone"], r"Konexi code: (\d{6})")[-1]
    verify = browser.submit(verify, "/verify/phone", {"phone-code": phone_code})
    done = browser.submit(
        verify, "/verify/email", {"email-code": email_code(deploy.smtp, person["email"])}
    )
    assert "Your phone and email are verified" in done.text, done.text[:2000]
    return browser


def sign_in_over_https(deploy: Deploy, identifier: str, remember: bool = False) -> FormBrowser:
    browser = deploy.browser()
    values = {"identifier": identifier, "password": PASSWORD}
    if remember:
        values["remember"] = "y"
    page = browser.submit(browser.get("/login"), "/login", values)
    assert "/login" not in page.url, page.text[:2000]
    return browser


def choose(page: Page, action: str, field: str) -> str:
    """The first real option of a select (not the empty "Choose…")."""
    values = re.findall(rf'<select[^>]*name="{field}".*?</select>', page.text, flags=re.DOTALL)
    assert values, f"no select {field} on {page.url}"
    options = [v for v in re.findall(r'<option[^>]*value="([^"]*)"', values[0]) if v]
    assert options, f"nothing to choose in {field} on {page.url}: {values[0][:500]}"
    return options[0]


def jakarta(moment: datetime) -> str:
    return moment.astimezone(JAKARTA).strftime("%Y-%m-%dT%H:%M")


# -- the journey -------------------------------------------------------------------------------
def test_production_day_one_deploy_serves_providers_and_customers_and_survives_a_restart(
    deploy: Deploy,
) -> None:
    platform_problems = release_and_start(deploy)
    assert not platform_problems, "the fresh deploy is not usable:\n- " + "\n- ".join(
        platform_problems
    )

    # The operator's commands, run as one-off dynos with the app's environment.
    answers = f"{ADMIN['name']}\n{ADMIN['phone']}\n{PASSWORD}\n{PASSWORD}\n"
    code, output = deploy.run(f"flask --app wsgi create-admin {ADMIN['email']}", stdin=answers)
    assert code == 0, f"create-admin failed:\n{output}"
    code, output = deploy.run("flask --app wsgi load-categories")  # also safe to run again
    assert code == 0, f"load-categories failed:\n{output}"
    admin = sign_in_over_https(deploy, ADMIN["email"])  # a platform admin, over HTTPS
    categories = admin.get("/admin/categories").text
    assert all(html.escape(name) in categories for _slug, name, _id in DEFAULT_CATEGORIES)
    assert set(queue_counts(admin)) >= {"sms", "email"}, "the admin sees the queues on rediss://"

    # A provider signs up, verifies, and opens for business.
    provider = sign_up_and_verify(deploy, PROVIDER)
    company_form = provider.get("/provider/new")
    branches = provider.submit(
        company_form,
        "/provider/new",
        {
            "name": "Kopi Pagi",
            "description": "Coffee from 6 in the morning.",
            "category": choose(company_form, "/provider/new", "category"),
            "slug": "kopi-pagi",
        },
    )
    assert branches.url.endswith("/provider/branches"), branches.text[:2000]
    proving = provider.submit(
        provider.get("/provider/branches/new"),
        "/provider/branches/new",
        {
            "name": "Kopi Pagi Menteng",
            "address": "Jl. Teuku Umar 12",
            "city": "Jakarta",
            "latitude": "-6.1957",
            "longitude": "106.8320",
            "opening_hours": "Every day 06:00-22:00",
            "phone": BRANCH_PHONE,
            "phone_consent": "y",
        },
    )
    # The customer-service number is shown only once the company proved it holds it.
    phone_path = urlsplit(proving.url).path
    assert re.fullmatch(r"/provider/branches/\d+/phone", phone_path), proving.url
    proving = provider.submit(proving, f"{phone_path}/code")
    branch_code = sms_to(deploy.twilio, BRANCH_PHONE, r"Konexi code (\d{6}) confirms")[-1]
    proven = provider.submit(proving, phone_path, {"code": branch_code})
    assert "is proven for Kopi Pagi Menteng" in proven.text, proven.problems()
    voucher_form = provider.get("/provider/vouchers/new")
    branch_ids = re.findall(r'name="branch_ids" value="(\d+)"', voucher_form.text)
    assert len(branch_ids) == 1, voucher_form.text[:3000]
    now = datetime.now(JAKARTA)
    listed = provider.submit(
        voucher_form,
        "/provider/vouchers/new",
        {
            "title": "Es kopi susu 2 for 1",
            "description": "Two iced coffees with palm sugar for the price of one.",
            "terms": "One per visit.",
            "category_id": choose(voucher_form, "/provider/vouchers/new", "category_id"),
            "quota_total": "50",
            "per_user_limit": "5",
            "starts_at": jakarta(now - timedelta(minutes=10)),
            "ends_at": jakarta(now + timedelta(days=30)),
            "branch_ids": branch_ids,
        },
        button="publish",
    )
    assert "The voucher is live." in listed.text, listed.text[:3000]
    voucher_id = re.findall(r"/provider/vouchers/(\d+)/edit", listed.text)[0]

    # A customer signs up, verifies, claims, and is redeemed at the counter.
    customer = sign_up_and_verify(deploy, CUSTOMER)
    voucher = customer.get(f"/vouchers/{voucher_id}")
    assert "Es kopi susu 2 for 1" in voucher.text
    assert f'href="tel:{e164(BRANCH_PHONE)}"' in voucher.text, "the proven branch phone is shown"
    claimed = customer.submit(voucher, f"/vouchers/{voucher_id}/claim")
    shown = re.search(r'redemption-code big">([A-Z0-9 ]+)<', claimed.text)
    assert shown, claimed.text[:3000]
    claim_code = shown.group(1)
    assert sms_to(deploy.twilio, CUSTOMER["phone"], r"Konexi code ([A-Z0-9 ]+) for") == [claim_code]
    counter = provider.submit(
        provider.get("/provider/redeem"), "/provider/redeem/lookup", {"phone": CUSTOMER["phone"]}
    )
    claim_id = re.search(r'name="claim_id" value="(\d+)"', counter.text)
    assert claim_id, counter.text[:3000]
    redeemed = provider.submit(
        counter,
        "/provider/redeem/confirm",
        {"code": claim_code.replace(" ", "")[-4:]},
        having={"claim_id": claim_id.group(1)},
    )
    assert "Redeemed: Es kopi susu 2 for 1 for Budi Santoso" in redeemed.text, redeemed.text[:3000]
    sms_to(deploy.twilio, CUSTOMER["phone"], r"Konexi: (Es kopi susu .*) redeemed at")

    # A restart while the worker is busy sending: SIGTERM reaches both dynos as claims' SMS are
    # queued and one is on the wire; the new worker sends the rest; nothing lost, nothing twice.
    deploy.twilio.state.delay = 2.0
    codes = [claim_code]
    for _claim in range(3):
        page = customer.submit(
            customer.get(f"/vouchers/{voucher_id}"), f"/vouchers/{voucher_id}/claim"
        )
        codes.append(re.search(r'redemption-code big">([A-Z0-9 ]+)<', page.text).group(1))
    assert deploy.dynos["web"].running and deploy.dynos["worker"].running
    for name in ("web", "worker"):  # as the platform does: every dyno at once
        deploy.dynos[name].terminate()
    stopped = {name: deploy.dynos[name].wait_stopped() for name in ("web", "worker")}
    claim_pattern = r"Konexi code ([A-Z0-9 ]+) for"
    sent_before_restart = len(sms_to(deploy.twilio, CUSTOMER["phone"], claim_pattern))
    deploy.twilio.state.delay = 0.0
    assert stopped == {"web": 0, "worker": 0}, "a dyno did not stop cleanly on SIGTERM"
    assert sent_before_restart < len(codes), "the restart came too late to interrupt delivery"
    start_dynos(deploy)

    sms_to(deploy.twilio, CUSTOMER["phone"], claim_pattern, count=len(codes))
    time.sleep(1.0)  # a doubled send would arrive now
    claim_sms = sms_to(deploy.twilio, CUSTOMER["phone"], claim_pattern, count=len(codes))
    assert sorted(claim_sms) == sorted(codes), "each claim's SMS exactly once"
    assert deploy.twilio.duplicates() == {}
    for person in (PROVIDER, CUSTOMER):
        assert len(deploy.smtp.to(person["email"])) == 1, "one verification email each"
    assert deploy.smtp.logins and all(login.over_tls for login in deploy.smtp.logins)
    assert all(mail.over_tls for mail in deploy.smtp.messages), "mail sent only after STARTTLS"
    assert_worker_delivered_everything(deploy)
    counts = queue_counts(admin)  # the admin's session outlived the restart
    assert all(c["failed"] == 0 for c in counts.values()), counts
    assert counts["sms"]["queued"] == counts["email"]["queued"] == 0, counts

    # The platform keeps the dynos' logs: they name no person, contact or code.
    logs = deploy.dynos["web"].log() + deploy.dynos["worker"].log()
    for person in (PROVIDER, CUSTOMER):
        for personal in (person["email"], person["name"], person["phone"], e164(person["phone"])):
            assert personal not in logs, f"{personal} is in the logs"
    for code in codes:
        assert code not in logs and code.replace(" ", "") not in logs, "a code is in the logs"

    # After the restart: logging in over HTTPS works, and only __Host- Secure cookies were set.
    again = sign_in_over_https(deploy, CUSTOMER["email"], remember=True)
    mine = again.get("/me/vouchers")
    assert all(c.replace(" ", "") in mine.text.replace(" ", "") for c in codes[1:])
    cookies = customer.set_cookies + provider.set_cookies + again.set_cookies
    names = {header.split("=", 1)[0] for header in cookies}
    assert {"__Host-session", "__Host-remember"} <= names, names
    for header in cookies:
        attributes = [a.strip().lower() for a in header.split(";")[1:]]
        if header.startswith("__Host-"):
            assert "secure" in attributes and "path=/" in attributes, header
            assert not any(a.startswith("domain=") for a in attributes), header
        else:
            assert "secure" in attributes, f"a cookie without Secure: {header}"


def queue_counts(admin: FormBrowser) -> dict[str, dict[str, int]]:
    """The admin's background jobs page, read as a table: queue -> queued/started/failed/…"""
    page = admin.get("/admin/queues").text
    assert "Redis cannot be reached" not in page
    row = r'<tr id="queue-([\w-]+)">\s*<th[^>]*>[^<]*</th>' + r'\s*<td class="num">(\d+)</td>' * 4
    columns = ("queued", "started", "failed", "scheduled")
    return {
        name: dict(zip(columns, map(int, numbers), strict=True))
        for name, *numbers in re.findall(row, page)
    }


def assert_worker_delivered_everything(deploy: Deploy) -> None:
    """Each SMS that reached Twilio was sent by the worker dyno (its log names the outbox row),
    and the web dyno sent nothing itself."""
    worker_log = deploy.dynos["worker"].log()
    for sms in deploy.twilio.messages:
        assert sms.outbox_id, sms
        assert re.search(rf"outbox {sms.outbox_id} sms/\S+: sent", worker_log), sms.outbox_id
    sent_emails = re.findall(r"outbox \d+ email/\S+: sent", worker_log)
    assert len(sent_emails) == len(deploy.smtp.messages), sent_emails
    assert "konexi.messaging.delivery" not in deploy.dynos["web"].log()


def start_dynos(deploy: Deploy) -> None:
    deploy.start("web")
    deploy.start("worker")
    wait_for_port(int(deploy.config_vars["PORT"]))


def release_and_start(deploy: Deploy) -> list[str]:
    """Release, start web and worker; what does not work as a deploy needs (all of it, at once)."""
    problems: list[str] = []
    code, output = deploy.run(deploy.procfile["release"])
    assert code == 0, f"the release command failed:\n{output}"
    heads = set(ScriptDirectory(str(ROOT / "migrations")).get_heads())
    engine = create_engine(deploy.database_url.replace("postgres://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        recorded = set(connection.scalars(text("SELECT version_num FROM alembic_version")))
    engine.dispose()
    if recorded != heads:
        problems.append(f"alembic_version holds {recorded or 'nothing'}, not the heads {heads}")
    code, output = deploy.run(deploy.procfile["release"])  # the next deploy's release phase
    if code != 0 or "Running upgrade" in output:
        problems.append(f"a second release is not a no-op (exit {code}):\n{output[-2000:]}")

    start_dynos(deploy)
    worker = deploy.dynos["worker"]
    wait_for(
        lambda: not worker.running or "Listening on" in worker.log(),
        "the worker to listen or exit",
    )
    if not worker.running:
        problems.append(f"the worker exited at start:\n{worker.log()[-2000:]}")

    # A browser typing the address goes to port 80, so its Host has no port (as on Heroku,
    # where one name answers both); the answer must send it to the same path on https.
    plain = requests.get(
        f"{deploy.router.http_url}/login?next=/me/vouchers",
        headers={"Host": "127.0.0.1"},
        timeout=30,
        allow_redirects=False,
    )
    location = urlsplit(plain.headers.get("Location", ""))
    found = (location.scheme, location.hostname, location.path, location.query)
    if plain.status_code != 308 or found != ("https", "127.0.0.1", "/login", "next=/me/vouchers"):
        problems.append(
            f"plain HTTP is not redirected to HTTPS: {plain.status_code} "
            f"Location={plain.headers.get('Location')!r}"
        )

    # Only the router's own X-Forwarded-For entry is trusted (TRUSTED_PROXIES=1): a client
    # cannot choose the address that rate limits count.
    requests.get(
        f"{deploy.router.https_url}/login",
        headers={"X-Forwarded-For": "203.0.113.9"},
        verify=deploy.router_ca,
        timeout=30,
    )
    if "203.0.113" in deploy.dynos["web"].log():
        problems.append("the web dyno took a client's X-Forwarded-For as the client address")

    health = requests.get(f"{deploy.router.https_url}/healthz", verify=deploy.router_ca, timeout=30)
    try:
        body = health.json()
    except json.JSONDecodeError:
        body = {"raw": health.text[:300]}
    if health.status_code != 200 or body.get("redis") != "ok":
        problems.append(f"/healthz over HTTPS: {health.status_code} {body}")
    return problems
