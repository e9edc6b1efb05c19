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
    assert settings["DATABASE_URL"] == f"sqlite:///{tmp_path / 'konexi.sqlite3'}"
    assert settings["REDIS_URL"] is None
    assert not settings.sms_configured and not settings.smtp_configured
    # the development secret key is random per install and kept across restarts
    assert settings["SECRET_KEY"] == load_settings({}, instance_path=tmp_path)["SECRET_KEY"]
    assert len(str(settings["SECRET_KEY"])) >= 32


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

    root = Path(__file__).resolve().parents[2]
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


def test_memory_and_timeout_settings_have_safe_defaults_and_refuse_nonsense(tmp_path):
    config = load_settings({"KONEXI_ENV": "testing"}, tmp_path).flask_config()
    assert config["MEMORY_HEAVY_TASKS_AT_ONCE"] == 1
    assert config["RATELIMIT_STORAGE_OPTIONS"] == {
        "socket_timeout": 1.0,
        "socket_connect_timeout": 1.0,
    }
    tuned = load_settings(
        {
            "KONEXI_ENV": "testing",
            "DATABASE_URL": "postgres://u:p@db.example/konexi",
            "DATABASE_STATEMENT_TIMEOUT": "0",
            "REDIS_SOCKET_TIMEOUT": "0.5",
        },
        tmp_path,
    ).flask_config()
    connect_args = tuned["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]
    assert "options" not in connect_args and "konexi_wait_timeout" not in connect_args  # 0: off
    assert tuned["RATELIMIT_STORAGE_OPTIONS"]["socket_timeout"] == 0.5
    for name, value in (
        ("MEMORY_HEAVY_TASKS_AT_ONCE", "0"),
        ("REDIS_SOCKET_TIMEOUT", "0"),
        ("REDIS_SOCKET_CONNECT_TIMEOUT", "soon"),
        ("DATABASE_STATEMENT_TIMEOUT", "-1"),
        ("DATABASE_POOL_TIMEOUT", "nan"),
        ("RATELIMIT_UPLOADS_PER_USER", "lots"),
    ):
        with pytest.raises(ConfigError, match=name):
            load_settings({"KONEXI_ENV": "testing", name: value}, tmp_path)


def test_every_declared_setting_reaches_the_flask_config(tmp_path):
    from konexi.config import SETTINGS

    config = load_settings({"KONEXI_ENV": "testing"}, tmp_path).flask_config()
    for setting in SETTINGS:
        assert (setting.flask_key or setting.name) in config, setting.name


def test_each_literal_default_is_a_value_its_parser_accepts():
    from konexi.config import SETTINGS, PerEnvironment, shown_value

    for setting in SETTINGS:
        defaults = (
            [setting.default.development, setting.default.production]
            if isinstance(setting.default, PerEnvironment)
            else [setting.default]
        )
        for default in defaults:
            if default is not None and not callable(default):
                assert setting.parse(setting.name, shown_value(default)) == default, setting.name


def test_production_names_everything_missing_in_one_line(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_settings({"KONEXI_ENV": "production"}, instance_path=tmp_path)
    message = str(error.value)
    assert "\n" not in message
    assert message.endswith(
        "SECRET_KEY, DATABASE_URL, REDIS_URL, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, "
        "TWILIO_FROM_NUMBER, SMTP_URL, MAIL_FROM"
    )


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("OUTBOX_MAX_ATTEMPTS", "3", 3),
        ("OUTBOX_SEND_TIMEOUT", "2.5", 2.5),
        ("LOG_LEVEL", "warning", "WARNING"),
        ("GUNICORN_TIMEOUT", "60", 60),
        ("RATELIMIT_CLAIMS_PER_USER", "3 per minute", "3 per minute"),
    ],
)
def test_settings_that_used_to_escape_the_table_are_read_and_checked(
    name, value, expected, tmp_path
):
    config = load_settings({"KONEXI_ENV": "testing", name: value}, tmp_path).flask_config()
    assert config[name] == expected
    with pytest.raises(ConfigError, match=name):
        load_settings({"KONEXI_ENV": "testing", name: "lots"}, tmp_path)


def test_gunicorn_reads_its_settings_through_the_table():
    from konexi.config import read_setting

    assert read_setting("WEB_CONCURRENCY", {}) == 2
    assert read_setting("PORT", {"PORT": "8080"}) == 8080
    with pytest.raises(ConfigError, match="WEB_CONCURRENCY"):
        read_setting("WEB_CONCURRENCY", {"WEB_CONCURRENCY": "0"})


def test_the_environment_is_read_only_in_config_py():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    sources = [*root.joinpath("konexi").rglob("*.py")] + [
        root / name for name in ("worker.py", "wsgi.py", "gunicorn.conf.py")
    ]
    readers = [
        f"{path.relative_to(root)}:{number}"
        for path in sources
        if path.name != "config.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if ("os.environ" in line or "getenv(" in line) and not line.lstrip().startswith('"""')
    ]
    assert readers == []


def test_no_rate_limit_is_typed_into_a_blueprint():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "konexi"
    literal = re.compile(r"""(limit\(\s*|= )["'][0-9]+ per """)
    typed = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path.name != "config.py" and literal.search(path.read_text())
    ]
    assert typed == []
