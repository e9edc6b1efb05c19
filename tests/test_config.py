"""Configuration comes from the environment only, and production refuses development defaults."""

from __future__ import annotations

import pytest

from konexi.config import ConfigError, env_bool, load_settings, normalise_database_url

PRODUCTION = {
    "KONEXI_ENV": "production",
    "SECRET_KEY": "s3cret",
    "DATABASE_URL": "postgres://u:p@db.example:5432/konexi",
    "REDIS_URL": "redis://redis.example:6379/0",
    "TWILIO_ACCOUNT_SID": "AC123",
    "TWILIO_AUTH_TOKEN": "token",
    "TWILIO_FROM_NUMBER": "+15005550006",
    "SMTP_URL": "smtps://user:pass@mail.example:465",
    "MAIL_FROM": "Konexi <no-reply@konexi.example>",
}


def test_heroku_postgres_urls_use_the_psycopg_driver():
    assert normalise_database_url("postgres://u:p@h:5432/d") == "postgresql+psycopg://u:p@h:5432/d"
    assert normalise_database_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_production_starts_with_every_setting(tmp_path):
    settings = load_settings(PRODUCTION, instance_path=tmp_path)
    config = settings.flask_config()
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.parametrize(
    "missing",
    [
        "SECRET_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_FROM_NUMBER",
        "SMTP_URL",
        "MAIL_FROM",
    ],
)
def test_production_refuses_to_start_and_names_what_is_missing(missing, tmp_path):
    environ = {k: v for k, v in PRODUCTION.items() if k != missing}
    with pytest.raises(ConfigError) as error:
        load_settings(environ, instance_path=tmp_path)
    assert missing in str(error.value)


def test_production_refuses_sqlite(tmp_path):
    environ = {**PRODUCTION, "DATABASE_URL": "sqlite:///konexi.sqlite3"}
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_settings(environ, instance_path=tmp_path)


@pytest.mark.parametrize(
    "smtp_url",
    [
        "https://user:hunter2zz@mail.example",
        "smtp://user:hunter2zz@mail.example:587?tls=off",
        "mail.example:587",
        "smtp://user:hunter2zz@:587",
    ],
)
def test_a_malformed_smtp_url_stops_the_start_not_every_later_email(smtp_url, tmp_path):
    environ = {**PRODUCTION, "SMTP_URL": smtp_url}
    with pytest.raises(ConfigError, match="SMTP_URL") as error:
        load_settings(environ, instance_path=tmp_path)
    assert "hunter2zz" not in str(error.value)  # the password is not echoed into the logs


def test_create_app_refuses_production_defaults(tmp_path):
    from konexi import create_app

    with pytest.raises(ConfigError, match="REDIS_URL"):
        create_app({k: v for k, v in PRODUCTION.items() if k != "REDIS_URL"})


def test_development_defaults_need_no_accounts(tmp_path):
    settings = load_settings({}, instance_path=tmp_path)
    assert settings.env == "development"
    assert settings.database_url == f"sqlite:///{tmp_path / 'konexi.sqlite3'}"
    assert settings.redis_url is None
    assert not settings.sms_configured and not settings.smtp_configured
    # the development secret key is random per install and kept across restarts
    assert settings.secret_key == load_settings({}, instance_path=tmp_path).secret_key
    assert len(settings.secret_key) >= 32


def test_unknown_environment_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="KONEXI_ENV"):
        load_settings({"KONEXI_ENV": "prod"}, instance_path=tmp_path)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("1", True),
        ("on", True),
        ("false", False),
        ("0", False),
        ("no", False),
        (None, False),
        ("", False),
    ],
)
def test_booleans_are_parsed_explicitly(raw, expected):
    assert env_bool(raw) is expected


def test_not_a_boolean_is_an_error():
    with pytest.raises(ConfigError):
        env_bool("maybe")


def test_production_without_settings_exits_with_one_clear_line(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=root,
        env={"KONEXI_ENV": "production", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "SECRET_KEY" in result.stderr and "REDIS_URL" in result.stderr
