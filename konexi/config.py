"""Settings, read from the environment in one place: the table ``SETTINGS``.

Each setting is declared once (name, parser, default, whether production requires it, and what
it means); the Flask config, the production check and README's settings table are built from it
(``tools/settings_table.py`` writes the README rows; ``tests/ops/test_settings_readme.py``
checks them).
Development works with no accounts anywhere (SQLite file, in-process jobs, dev outbox);
production refuses to start while any of those development defaults would be used.
"""

from __future__ import annotations

import math
import os
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app

from konexi.redis_client import (
    DEFAULT_SSL_CERT_REQS,
    SSL_CERT_REQS_CHOICES,
    redis_options,
    redis_timeouts,
)

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("development", "testing", "production")
DATABASE_CONNECT_TIMEOUT = 5  # seconds to connect to PostgreSQL
PAGE_CACHE_SECONDS_PRODUCTION = 10  # anonymous pages replayed for up to this long
DEFAULT_PORT = 5000  # make run's port unless PORT says otherwise
# TCP keepalives: a connection whose peer vanished (a dead host, a dropped NAT mapping) is
# found within idle + interval x count = 30 + 3 x 10 s instead of the kernel's two hours.
DATABASE_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}


class ConfigError(RuntimeError):
    """Raised when the environment cannot run the app (e.g. production without its settings)."""


# -- parsers: (setting name, stripped non-empty text) -> value; a bad value names the setting ---
Parser = Callable[[str, str], object]


def env_bool(value: str | None, default: bool = False) -> bool:
    """Parse a boolean environment value explicitly: "false", "0", "no", "off" are false."""
    if value is None or value.strip() == "":
        return default
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"not a boolean: {value!r}")


def normalise_database_url(url: str) -> str:
    """Map Heroku-style ``postgres://`` (and ``postgresql://``) URLs to the psycopg driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def text(name: str, value: str) -> str:
    return value


def boolean(name: str, value: str) -> bool:
    try:
        return env_bool(value)
    except ConfigError as exc:
        raise ConfigError(f"{name} must be true or false") from exc


def whole_number(minimum: int = 0) -> Parser:
    """A whole number of at least ``minimum``."""

    def parse(name: str, value: str) -> int:
        try:
            number = int(value)
        except ValueError as exc:
            raise ConfigError(f"{name} must be a whole number") from exc
        if number < minimum:
            raise ConfigError(f"{name} must be a whole number, at least {minimum}")
        return number

    return parse


def seconds(*, zero_allowed: bool = True) -> Parser:
    """A number of seconds, fractions allowed (never negative or NaN)."""

    def parse(name: str, value: str) -> float:
        try:
            number = float(value)
        except ValueError as exc:
            raise ConfigError(f"{name} must be a number of seconds") from exc
        if math.isnan(number) or number < 0 or (number == 0 and not zero_allowed):
            raise ConfigError(f"{name} must be a number of seconds, more than 0")
        return number

    return parse


def limit(name: str, value: str) -> str:
    """A rate limit in Flask-Limiter's notation, checked now so a typo stops the start."""
    from limits import parse_many  # Flask-Limiter's own parser

    try:
        parse_many(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a limit such as '10 per minute;60 per hour'") from exc
    return value


def choice(*choices: str) -> Parser:
    """One of ``choices`` (case-insensitive)."""

    def parse(name: str, value: str) -> str:
        for option in choices:
            if value.lower() == option.lower():
                return option
        raise ConfigError(f"{name} must be one of {', '.join(choices)}")

    return parse


def database_url(name: str, value: str) -> str:
    return normalise_database_url(value)


def smtp_url(name: str, value: str) -> str:
    """A mistyped SMTP_URL stops the start: otherwise the app serves and every email (sign-up
    codes too) fails later in the worker. The message names the rule, never the URL's password."""
    from konexi.messaging.email import parse_smtp_url  # messaging imports config: import late

    try:
        parse_smtp_url(value)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    return value


def base_url(name: str, value: str) -> str:
    return value.rstrip("/")


def retry_delays(name: str, value: str) -> list[int]:
    """Seconds to wait before each retry of a message, e.g. "30,120,600,1800,7200"."""
    try:
        delays = [int(part) for part in value.split(",")]
    except ValueError as exc:
        raise ConfigError(f"{name} must be seconds separated by commas") from exc
    if not delays or min(delays) < 0:
        raise ConfigError(f"{name} must be seconds separated by commas")
    return delays


def country_codes(name: str, value: str) -> tuple[str, ...]:
    codes = tuple(code.strip().lstrip("+") for code in value.split(",") if code.strip())
    if not codes or not all(code.isdigit() and len(code) <= 3 for code in codes):
        raise ConfigError(f"{name} must be country calling codes, e.g. 62,65")
    return codes


# -- defaults that depend on the environment or on other settings -------------------------------
@dataclass(frozen=True)
class Context:
    """What a computed default may look at: the environment's name, the instance folder and
    the settings read before it in the table."""

    env: str
    instance_path: Path
    values: Mapping[str, object]


@dataclass(frozen=True)
class PerEnvironment:
    """A default that differs between development, testing and production."""

    development: object
    testing: object
    production: object

    def __call__(self, context: Context) -> object:
        return getattr(self, context.env)


def _dev_secret_key(context: Context) -> str:
    """A random key per development install, kept in instance/ so sessions survive restarts;
    a fixed one in testing (production refuses to start without SECRET_KEY)."""
    if context.env != "development":
        return "testing-secret"  # noqa: S105 - never used in production
    key_file = context.instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    context.instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def _dev_database(context: Context) -> str:
    context.instance_path.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{context.instance_path / 'konexi.sqlite3'}"


def _local_base_url(context: Context) -> str:
    # The dev server listens on PORT (make run, flask run): links in SMS and email follow it.
    return f"http://127.0.0.1:{context.values['PORT']}"


@dataclass(frozen=True)
class Setting:
    """One environment variable: how to read it, its default, and what it means."""

    name: str
    parse: Parser
    default: object  # a value, or a callable taking a Context (PerEnvironment, _dev_database...)
    description: str
    required_in_production: bool = False
    shown_default: str | None = None  # README's default column, when the value says too little
    flask_key: str | None = None  # the Flask config key, when it is not ``name``

    @property
    def readme_default(self) -> str:
        """The default as README's settings table shows it."""
        if self.shown_default is not None:
            return self.shown_default
        if self.default is None:
            return "unset"
        if isinstance(self.default, PerEnvironment):
            production = shown_value(self.default.production)
            elsewhere = shown_value(self.default.development)
            return f"`{production}` in production, `{elsewhere}` elsewhere"
        return f"`{shown_value(self.default)}`"

    def default_for(self, context: Context) -> object:
        return self.default(context) if callable(self.default) else self.default


def shown_value(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_OPTIONAL = None  # unset: the feature is off (or its development stand-in is used)
_PER_IP_NOTE = "many people share one carrier-grade NAT address, so per-IP figures are generous"

# Every setting, in README's order. Limits use Flask-Limiter's notation. Indonesian carriers put
# thousands of phones behind one public address, and a promotion stand or shop Wi-Fi signs many
# people up from one address: the per-IP figures let 200 distinct people sign up (and resend a
# code now and then) from one IP in an hour. What really caps abuse is per number, per account
# and global: SMS_PER_NUMBER_LIMIT, the per-destination code limits in
# konexi/services/accounts/verification.py, the per-sender share limits, and
# SMS_GLOBAL_HOURLY_CAP (the bill's ceiling).
# One setting per few lines reads as a table: the formatter leaves it alone.
# fmt: off
SETTINGS: tuple[Setting, ...] = (
    # -- the environment and its services (production requires each of these) ---------------
    Setting("KONEXI_ENV", choice(*ENVIRONMENTS), "development",
            "`development`, `testing` or `production`. Production refuses to start while "
            "`SECRET_KEY`, a real `DATABASE_URL`, `REDIS_URL`, `TWILIO_*` or "
            "`SMTP_URL`/`MAIL_FROM` is unset, and names what is missing"),
    Setting("SECRET_KEY", text, _dev_secret_key, "signs sessions and tokens",
            required_in_production=True,
            shown_default="random per install, kept in `instance/secret_key`"),
    Setting("DATABASE_URL", database_url, _dev_database,
            "`postgres://…` (Heroku style) is accepted and mapped to psycopg 3",
            required_in_production=True, shown_default="`sqlite:///instance/konexi.sqlite3`",
            flask_key="SQLALCHEMY_DATABASE_URI"),
    Setting("DATABASE_STATEMENT_TIMEOUT", seconds(), 3.0,
            "seconds PostgreSQL may spend on one statement (`0`: no limit, e.g. for a release "
            "whose migration rewrites a large table); the app also stops waiting on a silent "
            "server one second later, so a hung database answers with the 503 page"),
    Setting("DATABASE_POOL_TIMEOUT", seconds(), 5.0,
            "seconds a request waits for a pooled database connection before a 503"),
    Setting("REDIS_URL", text, _OPTIONAL,
            "RQ queues, cron, rate-limit storage; `redis://…` or `rediss://…` (TLS)",
            required_in_production=True, shown_default="unset: jobs run in-process"),
    Setting("REDIS_SSL_CERT_REQS", choice(*SSL_CERT_REQS_CHOICES), DEFAULT_SSL_CERT_REQS,
            "for a `rediss://` `REDIS_URL`: `none` encrypts without checking the server's "
            "certificate (Heroku's Redis add-on presents a self-signed one), `required` checks "
            "it against the system's CAs (plus `SSL_CERT_FILE`). Applies to every Redis "
            "connection: queue, worker, cron, rate limits, `/healthz`"),
    Setting("REDIS_SOCKET_TIMEOUT", seconds(zero_allowed=False), 1.0,
            "seconds a Redis command of the web app may take before Redis counts as down"),
    Setting("REDIS_SOCKET_CONNECT_TIMEOUT", seconds(zero_allowed=False), 1.0,
            "seconds a connection attempt to Redis may take before Redis counts as down"),
    Setting("TWILIO_ACCOUNT_SID", text, _OPTIONAL, "SMS through Twilio: the account",
            required_in_production=True, shown_default="unset: SMS go to the dev outbox"),
    Setting("TWILIO_AUTH_TOKEN", text, _OPTIONAL,
            "SMS through Twilio: the token (also checks Twilio's webhook signatures)",
            required_in_production=True, shown_default="unset: SMS go to the dev outbox"),
    Setting("TWILIO_FROM_NUMBER", text, _OPTIONAL, "SMS through Twilio: the sender number",
            required_in_production=True, shown_default="unset: SMS go to the dev outbox"),
    Setting("TWILIO_API_BASE", text, _OPTIONAL,
            "the tests point the real Twilio client at a local fake API",
            shown_default="Twilio's own"),
    Setting("SMTP_URL", smtp_url, _OPTIONAL,
            "`smtp://user:pass@host:port` (STARTTLS) or `smtps://…`. In production TLS is "
            "required: a server that offers no STARTTLS, or whose certificate fails "
            "verification (`SSL_CERT_FILE` can add a CA), gets neither the password nor the "
            "message, and the email is retried. `…?tls=none` opts out explicitly (e.g. a relay "
            "on the same host); development and testing send in clear when STARTTLS is not "
            "offered", required_in_production=True,
            shown_default="unset: email goes to the dev outbox"),
    Setting("MAIL_FROM", text, "Konexi <no-reply@konexi.test>", "the sender of every email",
            required_in_production=True),
    Setting("OUTBOX_SEND_TIMEOUT", seconds(zero_allowed=False), 15.0,
            "seconds one SMS or email send may take (Twilio's API, the SMTP server) before it "
            "counts as a temporary failure"),
    Setting("OUTBOX_RETRY_DELAYS", retry_delays, [30, 120, 600, 1800, 7200],
            "seconds before each retry of a temporarily failed SMS/email (the last repeats)"),
    Setting("OUTBOX_MAX_ATTEMPTS", whole_number(1), 6,
            "attempts at one SMS/email before it is given up as failed"),
    Setting("OUTBOX_SENDING_LEASE", whole_number(1), 300,
            "seconds a worker may hold a message while sending it; after that the sweeper "
            "takes it back (a worker died). Keep it above `OUTBOX_SEND_TIMEOUT`"),
    Setting("GOOGLE_CLIENT_ID", text, _OPTIONAL, "Google sign-in (Authlib)",
            shown_default="unset: button hidden"),
    Setting("GOOGLE_CLIENT_SECRET", text, _OPTIONAL, "Google sign-in (Authlib)",
            shown_default="unset: button hidden"),
    Setting("FACEBOOK_CLIENT_ID", text, _OPTIONAL, "Facebook sign-in (Authlib)",
            shown_default="unset: button hidden"),
    Setting("FACEBOOK_CLIENT_SECRET", text, _OPTIONAL, "Facebook sign-in (Authlib)",
            shown_default="unset: button hidden"),
    Setting("GOOGLE_DISCOVERY_URL", text,
            "https://accounts.google.com/.well-known/openid-configuration",
            "Google's OpenID discovery document (the tests point it at a fake provider)"),
    Setting("FACEBOOK_API_BASE", text, "https://graph.facebook.com/v19.0/",
            "Facebook's Graph API (the tests point it at a fake provider)"),
    Setting("FACEBOOK_AUTHORIZE_URL", text, "https://www.facebook.com/v19.0/dialog/oauth",
            "Facebook's login dialog (the tests point it at a fake provider)"),
    Setting("PORT", whole_number(), DEFAULT_PORT,
            "the port `make run` serves on (and gunicorn binds on the platform); without "
            "`BASE_URL`, links follow it"),
    Setting("BASE_URL", base_url, _local_base_url,
            "absolute links in SMS and email (set it in production)",
            shown_default="`http://127.0.0.1:$PORT`"),
    Setting("TRUSTED_PROXIES", whole_number(), 0,
            "how many proxies in front may set `X-Forwarded-For`/`X-Forwarded-Proto`: only that "
            "many right-most values are believed (the client's address for rate limits and the "
            "log; HTTPS), by the app and by gunicorn (`forwarded_allow_ips`). `0`: the headers "
            "are ignored. In production plain HTTP is redirected to HTTPS (308) as seen after "
            "this", shown_default="`0` (Heroku: `1`)"),
    Setting("WEB_CONCURRENCY", whole_number(1), 2, "gunicorn workers (`gunicorn.conf.py`)"),
    Setting("GUNICORN_THREADS", whole_number(1), 4,
            "threads per gunicorn worker (`gunicorn.conf.py`)"),
    Setting("GUNICORN_TIMEOUT", whole_number(1), 30,
            "seconds gunicorn lets a request run before it restarts the worker"),
    Setting("MEMORY_HEAVY_TASKS_AT_ONCE", whole_number(1), 1,
            # gunicorn.conf.py's memory budget (master + 2 workers <= 450 MB) counts on one.
            "argon2 hashes and picture decodes running at once in one process; the others wait "
            "their turn (keeps a 512 MB dyno's workers inside their memory budget, see "
            "`gunicorn.conf.py`)"),
    Setting("LOG_LEVEL", choice("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"), "INFO",
            "log verbosity (logs go to stderr, one line per event)"),
    Setting("SENTRY_DSN", text, _OPTIONAL,
            "errors of the web and worker processes to Sentry (Flask and RQ integrations), "
            "scrubbed of emails, phone numbers, tokens, cookies, IP addresses, bodies and users "
            "(`konexi/error_tracking.py`)", shown_default="unset: no error tracking"),
    # -- product rules ------------------------------------------------------------------------
    Setting("PURGE_GRACE_DAYS", whole_number(), 30,
            "days between a deletion request and the purge"),
    Setting("EXPORT_INLINE_MAX_ROWS", whole_number(), 500,
            "\"Download my data\" with more rows than this is built by a job and announced by "
            "email"),
    Setting("UNSUBSCRIBE_MAILBOX", text, _OPTIONAL,
            "the `mailto:` of the List-Unsubscribe header (plus-addressed with the signed token)",
            shown_default="`unsubscribe@` + the domain of `MAIL_FROM`"),
    Setting("INBOUND_EMAIL_SECRET", text, _OPTIONAL,
            "shared secret of the mail provider's inbound route (see below)",
            shown_default="unset: `/webhooks/inbound-email` answers 404"),
    Setting("PAGE_CACHE_SECONDS", whole_number(),
            PerEnvironment(development=0, testing=0, production=PAGE_CACHE_SECONDS_PRODUCTION),
            "each gunicorn worker replays the anonymous feed (`/` and its htmx fragments), "
            "public provider pages and `/privacy` for this long (`konexi/web/page_cache.py`; with "
            "`REDIS_URL`, one copy shared by all workers, see `PAGE_CACHE_SHARED`), and tells "
            "CDNs they may keep them as long (`s-maxage`): only "
            "for requests with no cookie but `lang` and no `Authorization`, per URL and `Vary` "
            "variant, with `Age`. Anonymous \"N left\" counts may be this many seconds old, plus "
            "at most 5 s while one request re-renders an expired copy (a claim always checks the "
            "quota); signed-in pages and the voucher page (it counts views) are never cached. "
            "`0` turns it off", shown_default="`10` in production, `0` (off) in development "
            "and testing"),
    Setting("PAGE_CACHE_STALE_SECONDS", whole_number(), 30,
            "after `PAGE_CACHE_SECONDS`, an anonymous page may still be served this long while "
            "one request renders it again: `Cache-Control: public, max-age=0, s-maxage=<PAGE_CACHE_"
            "SECONDS>, stale-while-revalidate=<this>` tells a CDN or router cache, and the shared "
            "copy in Redis is kept this long past expiry"),
    Setting("PAGE_CACHE_SHARED", boolean, True,
            "with `REDIS_URL`, every worker and dyno shares one copy of each cached page in Redis "
            "and renders it once per expiry (a short lock; `konexi/web/shared_pages.py`); Redis "
            "down or hung: each worker renders and keeps its own copy. `false`: per worker only"),
    Setting("PAGE_CACHE_ENTRIES", whole_number(), 512,
            "most pages one worker keeps (least recently used first out; also at most 16 MB of "
            "bodies)"),
    Setting("CATEGORY_CHIPS_SECONDS", whole_number(),
            PerEnvironment(development=10, testing=0, production=10),
            "each worker reuses the feed's category chips (the active categories) for this long "
            "instead of reading them on every page: a new, renamed or deactivated category shows "
            "on every worker within this time. `0` reads them on every page",
            shown_default="`10`, `0` in testing"),
    Setting("REVIEW_HIDE_MIN_REPORTERS", whole_number(), 3,
            "reports hide a review before a moderator looks only when this many verified "
            "reporters, each from a different /24 network and with an account at least "
            "`REVIEW_REPORTER_MIN_AGE_DAYS` old, agree; other reports only queue it at "
            "`/admin/reviews`"),
    Setting("REVIEW_REPORTER_MIN_AGE_DAYS", whole_number(), 7,
            "days an account must be old for its report to count towards hiding a review"),
    Setting("UNVERIFIED_CONTACT_HOLD_HOURS", whole_number(), 24,
            "hours an unconfirmed email or phone stays reserved for the account that typed it; "
            "after that a new sign-up may take it (`docs/security.md`)"),
    # -- SMS pumping defence ------------------------------------------------------------------
    Setting("SMS_PER_NUMBER_LIMIT", limit, "5 per 10 minutes",
            "SMS (codes, resets, shares) to one number"),
    Setting("SMS_PER_IP_LIMIT", limit, "300 per hour;2000 per day",
            "SMS (codes, resets, shares) caused by one IP"),
    Setting("SMS_GLOBAL_HOURLY_CAP", whole_number(), 1000,
            "those SMS an hour, everyone together (the bill's ceiling)"),
    Setting("CODES_PER_IP_PER_HOUR", whole_number(), 300,
            "verification and reset codes one IP may have sent an hour, per channel (SMS, email)"),
    Setting("OTP_ALLOWED_COUNTRY_CODES", country_codes, ("62",),
            "country calling codes SMS codes and shares may go to, e.g. `62,65`"),
    # Shares are capped per sender (10 a day) and per recipient (3 a day); this only stops one
    # network from flooding, so it must fit a whole carrier's NAT address.
    Setting("SHARES_PER_IP_PER_DAY", whole_number(), 500,
            "shares a day from one network (each sender: 10 a day)"),
    # An unaccepted gift goes back to the sender after this (or when the voucher ends, if sooner).
    Setting("GIFT_ACCEPT_DAYS", whole_number(1), 7,
            "days a friend has to accept a given voucher before it returns to the sender"),
    # -- rate limits of the endpoints (Flask-Limiter; docs/security.md lists each) -------------
    Setting("RATELIMIT_ENABLED", boolean, True,
            "rate limits (Flask-Limiter, stored in Redis when `REDIS_URL` is set)"),
    Setting("RATELIMIT_LOGIN_PER_IP", limit, "30 per minute;300 per hour",
            f"failed logins from one IP ({_PER_IP_NOTE})"),
    Setting("RATELIMIT_LOGIN_PER_ACCOUNT", limit, "5 per minute;20 per hour",
            "failed logins naming one account (guessing one person's password)"),
    Setting("RATELIMIT_SIGNUP_PER_IP", limit, "30 per minute;400 per hour",
            "sign-ups from one IP: lets 200 people sign up from one carrier-NAT address an hour"),
    Setting("RATELIMIT_FORGOT_PER_IP", limit, "20 per minute;200 per hour",
            "password-reset requests from one IP"),
    Setting("RATELIMIT_RESET_PER_IP", limit, "30 per minute;300 per hour",
            "password-reset code entries from one IP"),
    Setting("RATELIMIT_RESET_PER_ACCOUNT", limit, "10 per hour",
            "password-reset code entries for one account from one IP"),
    Setting("RATELIMIT_VERIFY_PER_USER", limit, "10 per minute;30 per hour",
            "verification code entries per user"),
    Setting("RATELIMIT_RESEND_PER_USER", limit, "5 per minute;20 per hour",
            "verification code resends per user"),
    Setting("RATELIMIT_EMAIL_LINK_PER_IP", limit, "60 per minute",
            "email verification links opened from one IP"),
    Setting("RATELIMIT_PASSWORD_CHANGE_PER_USER", limit, "5 per minute;20 per hour",
            "password checks of a signed-in user (change password, close or delete account)"),
    Setting("RATELIMIT_CONTACT_CHANGE_PER_USER", limit, "5 per minute;10 per hour",
            "email/phone changes per user (each asks for a code to a new address)"),
    Setting("RATELIMIT_SOCIAL_CALLBACK_PER_IP", limit, "20 per minute;100 per hour",
            "social sign-in callbacks from one IP"),
    Setting("RATELIMIT_SOCIAL_SIGNUP_PER_IP", limit, "10 per minute;50 per hour",
            "completed social sign-ups from one IP"),
    Setting("RATELIMIT_UPLOADS_PER_USER", limit, "10 per minute;60 per hour",
            "picture uploads per user, profile and voucher pictures together"),
    Setting("RATELIMIT_CLAIMS_PER_USER", limit, "10 per minute;60 per hour",
            "voucher claims per user (per user, not per IP: carrier-grade NAT)"),
    Setting("RATELIMIT_SHARES_PER_USER", limit, "10 per minute;40 per day",
            "share form posts per user, typos included (a flood guard; the readable rule is "
            "10 shares a day)"),
    Setting("RATELIMIT_SHARES_PER_IP", limit, "30 per minute;120 per day",
            "share form posts from one IP, typos included (a flood guard)"),
    Setting("RATELIMIT_GIFTS_PER_USER", limit, "10 per minute;40 per day",
            "\"Give this voucher\" posts per user, typos included (a flood guard; the readable "
            "rule is 10 gifts a day)"),
    Setting("RATELIMIT_GIFTS_PER_IP", limit, "30 per minute;120 per day",
            "\"Give this voucher\" posts from one IP, typos included (a flood guard)"),
    Setting("RATELIMIT_REVIEWS_PER_USER", limit, "5 per minute;20 per day",
            "reviews written per user"),
    Setting("RATELIMIT_REVIEW_REPORTS_PER_USER", limit, "10 per minute;50 per day",
            "review reports per user"),
    Setting("RATELIMIT_INVITES_PER_USER", limit, "10 per minute;50 per day",
            "team invitations sent per provider admin"),
    Setting("RATELIMIT_BRANCH_PHONE_CODES_PER_USER", limit, "3 per 10 minutes;20 per day",
            "codes sent to confirm a branch phone, per provider admin (each is an SMS)"),
    Setting("RATELIMIT_BRANCH_PHONE_TRIES_PER_USER", limit, "10 per minute;30 per hour",
            "branch phone code entries per provider admin"),
    Setting("RATELIMIT_REDEEM_LOOKUPS_PER_STAFF", limit, "30 per minute;300 per hour",
            "customer lookups at the redeem desk per staff member (a branch shares one network)"),
    Setting("RATELIMIT_REDEEM_FAILED_LOOKUPS_PER_STAFF", limit, "10 per 10 minutes;30 per hour",
            "lookups that showed nothing, per staff member: the guard against probing numbers"),
    Setting("RATELIMIT_REDEEM_CONFIRMS_PER_STAFF", limit, "30 per minute;300 per hour",
            "redemptions confirmed per staff member"),
    Setting("RATELIMIT_REDEEM_OFFLINE_PER_STAFF", limit, "20 per minute;200 per hour",
            "batches of offline redemptions sent per staff member (one per reconnect)"),
    Setting("RATELIMIT_SMS_WEBHOOK_PER_SENDER", limit, "20 per minute;200 per hour",
            "inbound SMS handled per sending phone"),
    Setting("RATELIMIT_SMS_WEBHOOK_PER_IP", limit, "300 per minute",
            "inbound SMS webhooks per IP (Twilio calls from a pool: a guard against loops)"),
    Setting("RATELIMIT_STATUS_WEBHOOK_PER_IP", limit, "1200 per minute",
            "SMS delivery-status webhooks per IP"),
    Setting("RATELIMIT_INBOUND_EMAIL_PER_IP", limit, "300 per minute",
            "inbound email (unsubscribe mailbox) webhooks per IP"),
)
# fmt: on
SETTINGS_BY_NAME: dict[str, Setting] = {setting.name: setting for setting in SETTINGS}


def _raw(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name)
    return value.strip() if value and value.strip() else None


def read_setting(name: str, environ: Mapping[str, str] | None = None) -> Any:
    """One setting with no app (gunicorn.conf.py reads PORT, TRUSTED_PROXIES, WEB_CONCURRENCY...);
    its default must not depend on others."""
    setting = SETTINGS_BY_NAME[name]
    raw = _raw(os.environ if environ is None else environ, name)
    if raw is not None:
        return setting.parse(name, raw)
    env = (_raw(os.environ if environ is None else environ, "KONEXI_ENV") or "development").lower()
    return setting.default_for(Context(env, ROOT / "instance", {}))


class Settings(Mapping[str, object]):
    """The settings read from one environment: a read-only mapping of setting name to value."""

    def __init__(self, env: str, values: dict[str, object], missing: list[str]) -> None:
        self.env = env
        self._values = values
        self.missing_in_production = missing

    def __getitem__(self, name: str) -> object:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    @property
    def sms_configured(self) -> bool:
        return all(
            self[name] for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER")
        )

    @property
    def smtp_configured(self) -> bool:
        return bool(self["SMTP_URL"])

    def flask_config(self) -> dict[str, object]:
        """The Flask/extension configuration: every setting under its key, plus what follows
        from them (cookies, engine and storage options, Babel)."""
        config = {SETTINGS_BY_NAME[name].flask_key or name: value for name, value in self.items()}
        config.update(_derived(self.env, config))
        return config


def load_settings(
    environ: Mapping[str, str] | None = None, instance_path: Path | None = None
) -> Settings:
    """Read every setting in ``SETTINGS`` from ``environ`` (default: ``os.environ``), check it,
    and in production refuse to start with development defaults, naming what is missing."""
    environ = dict(os.environ if environ is None else environ)
    env = (_raw(environ, "KONEXI_ENV") or "development").lower()
    if env not in ENVIRONMENTS:
        raise ConfigError(f"KONEXI_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    values: dict[str, object] = {"KONEXI_ENV": env}
    context = Context(env, instance_path or ROOT / "instance", values)
    missing: list[str] = []
    for setting in SETTINGS[1:]:
        raw = _raw(environ, setting.name)
        if raw is None:
            if setting.required_in_production:
                missing.append(setting.name)
            values[setting.name] = setting.default_for(context)
        else:
            values[setting.name] = setting.parse(setting.name, raw)
    if env == "production":
        if "DATABASE_URL" not in missing and str(values["DATABASE_URL"]).startswith("sqlite"):
            missing.append("DATABASE_URL (SQLite is for development only)")
        if missing:
            raise ConfigError(
                "Konexi refuses to start in production with development defaults. "
                "Set these environment variables: " + ", ".join(missing)
            )
    return Settings(env, values, missing)


def rate_limit(name: str) -> Callable[[], str]:
    """A ``RATELIMIT_*`` setting for ``limiter.limit``, read from the app's config on each
    request, so an operator can raise a figure (e.g. one that carrier-grade NAT makes too
    tight) without a code change. An undeclared name fails at import."""
    if SETTINGS_BY_NAME[name].parse is not limit:
        raise ConfigError(f"{name} is not a rate limit")

    def configured_limit() -> str:
        return str(current_app.config[name])

    configured_limit.__name__ = name.lower()
    return configured_limit


def _derived(env: str, config: Mapping[str, object]) -> dict[str, object]:
    """Flask and extension keys that follow from the settings rather than being settings."""
    production = env == "production"
    engine_options = postgres_engine_options(config)
    if str(config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        engine_options = {"connect_args": {"timeout": 30}}
    redis_url = config["REDIS_URL"]
    derived: dict[str, object] = {
        "TESTING": env == "testing",
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        # Flask-Login's default is a year; a stolen remember-me cookie should not last that long.
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "WTF_CSRF_TIME_LIMIT": None,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # Flask-Limiter adds these to its own; so does the SMS guard: the short timeouts
        # (a hung Redis must not hold a request) and the rediss:// certificate policy.
        "RATELIMIT_STORAGE_OPTIONS": {
            **redis_timeouts(config),
            **(
                redis_options(str(redis_url), str(config["REDIS_SSL_CERT_REQS"]))
                if redis_url
                else {}
            ),
        },
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "translations"),
        "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
    }
    if production:
        # __Host- cookies are Secure, for this exact host and path "/" only: a sibling
        # subdomain cannot plant or overwrite them (session fixation through cookie tossing).
        derived.update(
            SESSION_COOKIE_NAME="__Host-session",
            SESSION_COOKIE_PATH="/",
            SESSION_COOKIE_DOMAIN=None,
            REMEMBER_COOKIE_NAME="__Host-remember",
            REMEMBER_COOKIE_PATH="/",
            REMEMBER_COOKIE_DOMAIN=None,
        )
    return derived


# A PostgreSQL that hangs after connecting must not hold a request: the server cancels a
# statement after DATABASE_STATEMENT_TIMEOUT seconds, and the client itself gives up one second
# later (a stopped server cancels nothing; konexi/database_timeouts.py). A request that meets a
# hung server answers 503 within that + the 5 s connect timeout of the pool's new connection.
def postgres_engine_options(config: Mapping[str, Any]) -> dict[str, object]:
    """SQLAlchemy engine options that keep a hung PostgreSQL from holding a request."""
    statement = float(config["DATABASE_STATEMENT_TIMEOUT"])
    connect_args: dict[str, object] = {
        # libpq waits forever to connect by default.
        "connect_timeout": DATABASE_CONNECT_TIMEOUT,
        **DATABASE_KEEPALIVES,
    }
    if statement > 0:
        connect_args["options"] = f"-c statement_timeout={int(statement * 1000)}"
        connect_args["konexi_wait_timeout"] = statement + 1
    return {
        "pool_pre_ping": True,
        "pool_timeout": config["DATABASE_POOL_TIMEOUT"],
        "connect_args": connect_args,
    }
