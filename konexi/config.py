"""Settings, read from the environment in one place.

Development works with no accounts anywhere (SQLite file, in-process jobs, dev outbox);
production refuses to start while any of those development defaults would be used.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from konexi.redis_client import DEFAULT_SSL_CERT_REQS, SSL_CERT_REQS_CHOICES, redis_options

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("development", "testing", "production")
DATABASE_CONNECT_TIMEOUT = 5  # seconds to connect to PostgreSQL
PAGE_CACHE_SECONDS_PRODUCTION = 10  # anonymous pages replayed for up to this long
DEFAULT_PORT = 5000  # make run's port unless PORT says otherwise


class ConfigError(RuntimeError):
    """Raised when the environment cannot run the app (e.g. production without its settings)."""


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


def _dev_secret_key(instance_path: Path) -> str:
    """A random key per development install, kept in instance/ so sessions survive restarts."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


@dataclass
class Settings:
    """Everything the app reads from the environment."""

    env: str
    secret_key: str
    database_url: str
    redis_url: str | None
    twilio_account_sid: str | None
    twilio_auth_token: str | None
    twilio_from_number: str | None
    twilio_api_base: str | None
    smtp_url: str | None
    mail_from: str
    base_url: str
    purge_grace_days: int
    google_client_id: str | None = None
    google_client_secret: str | None = None
    facebook_client_id: str | None = None
    facebook_client_secret: str | None = None
    google_discovery_url: str = "https://accounts.google.com/.well-known/openid-configuration"
    facebook_api_base: str = "https://graph.facebook.com/v19.0/"
    facebook_authorize_url: str = "https://www.facebook.com/v19.0/dialog/oauth"
    ratelimit_enabled: bool = True
    outbox_retry_delays: tuple[int, ...] = (30, 120, 600, 1800, 7200)
    outbox_sending_lease: int = 300
    missing_in_production: list[str] = field(default_factory=list)
    export_inline_max_rows: int = 500
    unsubscribe_mailbox: str | None = None
    inbound_email_secret: str | None = None
    # Rate limits, SMS caps and cookie names (see _security_settings and docs/security.md).
    security_settings: dict[str, object] = field(default_factory=dict)
    # Anonymous-page micro-cache per worker (konexi/page_cache.py); 0 seconds turns it off.
    page_cache_seconds: int = 0
    page_cache_entries: int = 512
    # Proxies in front that may set X-Forwarded-For/-Proto (konexi/proxies.py, gunicorn.conf.py).
    trusted_proxies: int = 0
    # Errors to Sentry, scrubbed of personal data (konexi/error_tracking.py); unset: off.
    sentry_dsn: str | None = None
    # Certificate policy of a rediss:// REDIS_URL (konexi/redis_client.py).
    redis_ssl_cert_reqs: str = DEFAULT_SSL_CERT_REQS

    @property
    def sms_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_from_number)

    @property
    def smtp_configured(self) -> bool:
        return bool(self.smtp_url)

    def flask_config(self) -> dict[str, object]:
        """The Flask/extension configuration derived from these settings."""
        production = self.env == "production"
        engine_options: dict[str, object] = {"pool_pre_ping": True}
        # A hung or unreachable database must cost a request seconds, not minutes (libpq waits
        # forever by default): the visitor gets the 503 page (tests/test_faults_database.py).
        engine_options["connect_args"] = {"connect_timeout": DATABASE_CONNECT_TIMEOUT}
        if self.database_url.startswith("sqlite"):
            engine_options = {"connect_args": {"timeout": 30}}
        return {
            "KONEXI_ENV": self.env,
            "TESTING": self.env == "testing",
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
            "REDIS_URL": self.redis_url,
            "TWILIO_ACCOUNT_SID": self.twilio_account_sid,
            "TWILIO_AUTH_TOKEN": self.twilio_auth_token,
            "TWILIO_FROM_NUMBER": self.twilio_from_number,
            "TWILIO_API_BASE": self.twilio_api_base,
            "SMTP_URL": self.smtp_url,
            "MAIL_FROM": self.mail_from,
            "BASE_URL": self.base_url.rstrip("/"),
            "PURGE_GRACE_DAYS": self.purge_grace_days,
            "GOOGLE_CLIENT_ID": self.google_client_id,
            "GOOGLE_CLIENT_SECRET": self.google_client_secret,
            "FACEBOOK_CLIENT_ID": self.facebook_client_id,
            "FACEBOOK_CLIENT_SECRET": self.facebook_client_secret,
            "GOOGLE_DISCOVERY_URL": self.google_discovery_url,
            "FACEBOOK_API_BASE": self.facebook_api_base,
            "FACEBOOK_AUTHORIZE_URL": self.facebook_authorize_url,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": production,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_SECURE": production,
            "PREFERRED_URL_SCHEME": "https" if production else "http",
            "WTF_CSRF_TIME_LIMIT": None,
            "RATELIMIT_ENABLED": self.ratelimit_enabled,
            "OUTBOX_RETRY_DELAYS": list(self.outbox_retry_delays),
            "OUTBOX_SENDING_LEASE": self.outbox_sending_lease,
            "RATELIMIT_STORAGE_URI": self.redis_url or "memory://",
            # Flask-Limiter adds these to its own (timeouts); so does the SMS guard.
            "RATELIMIT_STORAGE_OPTIONS": redis_options(self.redis_url, self.redis_ssl_cert_reqs)
            if self.redis_url
            else {},
            "REDIS_SSL_CERT_REQS": self.redis_ssl_cert_reqs,
            "RATELIMIT_HEADERS_ENABLED": True,
            "BABEL_DEFAULT_LOCALE": "en",
            "BABEL_DEFAULT_TIMEZONE": "UTC",
            "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "translations"),
            "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
            "EXPORT_INLINE_MAX_ROWS": self.export_inline_max_rows,
            "UNSUBSCRIBE_MAILBOX": self.unsubscribe_mailbox,
            "INBOUND_EMAIL_SECRET": self.inbound_email_secret,
            **self.security_settings,
            "PAGE_CACHE_SECONDS": self.page_cache_seconds,
            "PAGE_CACHE_ENTRIES": self.page_cache_entries,
            "TRUSTED_PROXIES": self.trusted_proxies,
            "SENTRY_DSN": self.sentry_dsn,
        }


def _get(environ: dict[str, str], name: str) -> str | None:
    value = environ.get(name)
    return value.strip() if value and value.strip() else None


def _retry_delays(value: str | None) -> tuple[int, ...]:
    """Seconds to wait before each retry of a message, e.g. "30,120,600,1800,7200"."""
    if value is None:
        return Settings.outbox_retry_delays
    try:
        delays = tuple(int(part) for part in value.split(","))
    except ValueError as exc:
        raise ConfigError("OUTBOX_RETRY_DELAYS must be seconds separated by commas") from exc
    if not delays or min(delays) < 0:
        raise ConfigError("OUTBOX_RETRY_DELAYS must be seconds separated by commas")
    return delays


def _whole_number(environ: dict[str, str], name: str, default: int) -> int:
    """A non-negative whole number from the environment, or ``default`` when unset."""
    value = _get(environ, name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number") from exc
    if number < 0:
        raise ConfigError(f"{name} must be a whole number")
    return number


def trusted_proxies(environ: Mapping[str, str]) -> int:
    """``TRUSTED_PROXIES``: how many proxies in front may set X-Forwarded-For/-Proto (default 0,
    Heroku 1). gunicorn.conf.py reads it too, so the app and gunicorn trust the same hops."""
    return _whole_number(dict(environ), "TRUSTED_PROXIES", 0)


def _redis_ssl_cert_reqs(environ: dict[str, str]) -> str:
    """``REDIS_SSL_CERT_REQS``: ``none`` (Heroku's self-signed rediss://) or ``required``."""
    value = (_get(environ, "REDIS_SSL_CERT_REQS") or DEFAULT_SSL_CERT_REQS).lower()
    if value not in SSL_CERT_REQS_CHOICES:
        raise ConfigError(f"REDIS_SSL_CERT_REQS must be one of {', '.join(SSL_CERT_REQS_CHOICES)}")
    return value


def _sending_lease(value: str | None) -> int:
    """Seconds a worker may hold a message in "sending" (longer than a send's 15 s timeout)."""
    if value is None:
        return Settings.outbox_sending_lease
    if not value.isdigit() or int(value) < 1:
        raise ConfigError("OUTBOX_SENDING_LEASE must be a whole number of seconds")
    return int(value)


def _check_smtp_url(smtp_url: str) -> None:
    """A mistyped SMTP_URL stops the start: otherwise the app serves and every email (sign-up
    codes too) fails later in the worker. The message names the rule, never the URL's password."""
    from konexi.messaging.email import parse_smtp_url  # messaging imports config: import late

    try:
        parse_smtp_url(smtp_url)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


def load_settings(
    environ: dict[str, str] | None = None, instance_path: Path | None = None
) -> Settings:
    """Read the settings from ``environ`` (default: ``os.environ``) and check them."""
    environ = dict(os.environ if environ is None else environ)
    instance_path = instance_path or ROOT / "instance"
    env = (_get(environ, "KONEXI_ENV") or "development").lower()
    if env not in ENVIRONMENTS:
        raise ConfigError(f"KONEXI_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")

    missing: list[str] = []
    secret_key = _get(environ, "SECRET_KEY")
    if not secret_key:
        missing.append("SECRET_KEY")
        secret_key = _dev_secret_key(instance_path) if env == "development" else "testing-secret"
    database_url = _get(environ, "DATABASE_URL")
    if not database_url:
        missing.append("DATABASE_URL")
        instance_path.mkdir(parents=True, exist_ok=True)
        database_url = f"sqlite:///{instance_path / 'konexi.sqlite3'}"
    redis_url = _get(environ, "REDIS_URL")
    if not redis_url:
        missing.append("REDIS_URL")
    twilio = {
        name: _get(environ, name)
        for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER")
    }
    missing.extend(name for name, value in twilio.items() if not value)
    smtp_url = _get(environ, "SMTP_URL")
    mail_from = _get(environ, "MAIL_FROM")
    if not smtp_url:
        missing.append("SMTP_URL")
    else:
        _check_smtp_url(smtp_url)
    if not mail_from:
        missing.append("MAIL_FROM")
    try:
        grace = int(_get(environ, "PURGE_GRACE_DAYS") or "30")
    except ValueError as exc:
        raise ConfigError("PURGE_GRACE_DAYS must be a whole number of days") from exc

    settings = Settings(
        env=env,
        secret_key=secret_key,
        database_url=normalise_database_url(database_url),
        redis_url=redis_url,
        twilio_account_sid=twilio["TWILIO_ACCOUNT_SID"],
        twilio_auth_token=twilio["TWILIO_AUTH_TOKEN"],
        twilio_from_number=twilio["TWILIO_FROM_NUMBER"],
        twilio_api_base=_get(environ, "TWILIO_API_BASE"),
        smtp_url=smtp_url,
        mail_from=mail_from or "Konexi <no-reply@konexi.test>",
        # The dev server listens on PORT (make run, flask run): links in SMS and email follow it.
        base_url=_get(environ, "BASE_URL")
        or f"http://127.0.0.1:{_whole_number(environ, 'PORT', DEFAULT_PORT)}",
        purge_grace_days=grace,
        google_client_id=_get(environ, "GOOGLE_CLIENT_ID"),
        google_client_secret=_get(environ, "GOOGLE_CLIENT_SECRET"),
        facebook_client_id=_get(environ, "FACEBOOK_CLIENT_ID"),
        facebook_client_secret=_get(environ, "FACEBOOK_CLIENT_SECRET"),
        google_discovery_url=_get(environ, "GOOGLE_DISCOVERY_URL")
        or "https://accounts.google.com/.well-known/openid-configuration",
        facebook_api_base=_get(environ, "FACEBOOK_API_BASE") or "https://graph.facebook.com/v19.0/",
        facebook_authorize_url=_get(environ, "FACEBOOK_AUTHORIZE_URL")
        or "https://www.facebook.com/v19.0/dialog/oauth",
        ratelimit_enabled=env_bool(_get(environ, "RATELIMIT_ENABLED"), default=True),
        outbox_retry_delays=_retry_delays(_get(environ, "OUTBOX_RETRY_DELAYS")),
        outbox_sending_lease=_sending_lease(_get(environ, "OUTBOX_SENDING_LEASE")),
        missing_in_production=missing,
        export_inline_max_rows=_whole_number(environ, "EXPORT_INLINE_MAX_ROWS", 500),
        unsubscribe_mailbox=_get(environ, "UNSUBSCRIBE_MAILBOX"),
        inbound_email_secret=_get(environ, "INBOUND_EMAIL_SECRET"),
        security_settings=_security_settings(environ, env),
        # Off in development (a change shows at once) and testing; 10 s in production.
        page_cache_seconds=_whole_number(
            environ,
            "PAGE_CACHE_SECONDS",
            PAGE_CACHE_SECONDS_PRODUCTION if env == "production" else 0,
        ),
        page_cache_entries=_whole_number(environ, "PAGE_CACHE_ENTRIES", 512),
        trusted_proxies=trusted_proxies(environ),
        sentry_dsn=_get(environ, "SENTRY_DSN"),
        redis_ssl_cert_reqs=_redis_ssl_cert_reqs(environ),
    )
    if env == "production":
        if "DATABASE_URL" not in missing and settings.database_url.startswith("sqlite"):
            missing.append("DATABASE_URL (SQLite is for development only)")
        if missing:
            raise ConfigError(
                "Konexi refuses to start in production with development defaults. "
                "Set these environment variables: " + ", ".join(dict.fromkeys(missing))
            )
    return settings


# -- rate limits, SMS pumping defence, cookies (docs/security.md lists each figure) ---------
# Limits in Flask-Limiter's notation. Indonesian carriers put thousands of phones behind one
# public address (carrier-grade NAT), and a promotion stand or shop Wi-Fi signs many people up
# from one address: the per-IP figures let 200 distinct people sign up (and resend a code now and
# then) from one IP in an hour. What really caps abuse is per number, per account and global:
# SMS_PER_NUMBER_LIMIT, the per-destination code limits in services/verification.py, the
# per-sender share limits, and SMS_GLOBAL_HOURLY_CAP (the bill's ceiling).
RATE_LIMIT_DEFAULTS: dict[str, str] = {
    # Only failed logins count; per account stays tight (guessing one person's password).
    "RATELIMIT_LOGIN_PER_IP": "30 per minute;300 per hour",
    "RATELIMIT_LOGIN_PER_ACCOUNT": "5 per minute;20 per hour",
    "RATELIMIT_SIGNUP_PER_IP": "30 per minute;400 per hour",
    "RATELIMIT_FORGOT_PER_IP": "20 per minute;200 per hour",
    "RATELIMIT_RESET_PER_IP": "30 per minute;300 per hour",
    "RATELIMIT_RESET_PER_ACCOUNT": "10 per hour",
    "RATELIMIT_VERIFY_PER_USER": "10 per minute;30 per hour",
    "RATELIMIT_RESEND_PER_USER": "5 per minute;20 per hour",
    "RATELIMIT_EMAIL_LINK_PER_IP": "60 per minute",
    # SMS that an anonymous or new user can make Konexi send (codes, resets, shares).
    "SMS_PER_NUMBER_LIMIT": "5 per 10 minutes",
    "SMS_PER_IP_LIMIT": "300 per hour;2000 per day",
}
SECURITY_INT_DEFAULTS: dict[str, int] = {
    # Reports hide a review before a moderator looks only when this many verified reporters,
    # each from a different /24 network and with an account this old, agree.
    "REVIEW_HIDE_MIN_REPORTERS": 3,
    "REVIEW_REPORTER_MIN_AGE_DAYS": 7,
    "SMS_GLOBAL_HOURLY_CAP": 1000,
    # Codes (verification and reset) one IP may have sent per channel (SMS, email) in an hour.
    "CODES_PER_IP_PER_HOUR": 300,
    # Shares are capped per sender (10 a day) and per recipient (3 a day); this only stops one
    # network from flooding, so it must fit a whole carrier's NAT address.
    "SHARES_PER_IP_PER_DAY": 500,
}
OTP_ALLOWED_COUNTRY_CODES_DEFAULT = "62"


def _security_settings(environ: dict[str, str], env: str) -> dict[str, object]:
    """The rate-limit, SMS-cap and cookie settings, each checked so a typo stops the start."""
    from limits import parse_many

    values: dict[str, object] = {}
    for name, default in RATE_LIMIT_DEFAULTS.items():
        value = _get(environ, name) or default
        try:
            parse_many(value)
        except ValueError as exc:
            raise ConfigError(f"{name} must be a limit such as {default!r}") from exc
        values[name] = value
    for name, number in SECURITY_INT_DEFAULTS.items():
        values[name] = _whole_number(environ, name, number)
    codes = _get(environ, "OTP_ALLOWED_COUNTRY_CODES") or OTP_ALLOWED_COUNTRY_CODES_DEFAULT
    country_codes = tuple(code.strip().lstrip("+") for code in codes.split(",") if code.strip())
    if not country_codes or not all(code.isdigit() and len(code) <= 3 for code in country_codes):
        raise ConfigError("OTP_ALLOWED_COUNTRY_CODES must be country calling codes, e.g. 62,65")
    values["OTP_ALLOWED_COUNTRY_CODES"] = country_codes
    # Flask-Login's default is a year; a stolen remember-me cookie should not last that long.
    values["REMEMBER_COOKIE_DURATION"] = timedelta(days=30)
    if env == "production":
        # __Host- cookies are Secure, for this exact host and path "/" only: a sibling
        # subdomain cannot plant or overwrite them (session fixation through cookie tossing).
        values.update(
            SESSION_COOKIE_NAME="__Host-session",
            SESSION_COOKIE_PATH="/",
            SESSION_COOKIE_DOMAIN=None,
            REMEMBER_COOKIE_NAME="__Host-remember",
            REMEMBER_COOKIE_PATH="/",
            REMEMBER_COOKIE_DOMAIN=None,
        )
    return values
