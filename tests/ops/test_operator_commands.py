"""The operator's commands: create-admin, load-categories, send-digests (README's command table).

Creating the first admin runs as a real process (`flask --app wsgi …`, answers piped on stdin),
the way an operator runs it on a fresh production database; the rest use Flask's CLI runner,
which runs the same commands in this process (a process costs a second and a half of CPU).
"""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskCliRunner
from sqlalchemy import select

from konexi.config import ROOT
from konexi.extensions import db
from konexi.models import Category, User
from konexi.services.accounts.passwords import verify_password
from konexi.services.catalogue.categories import DEFAULT_CATEGORIES
from tests.servers.smtp_server import SmtpServer
from tests.support.app import flask_command
from tests.support.factories import make_voucher


def fresh_user(email: str) -> User | None:
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.email == email))
    db.session.commit()
    return user


def test_create_admin_creates_a_verified_admin_from_piped_answers(
    runner: FlaskCliRunner, database_url: str
) -> None:
    answers = "Ayu Lestari\n0812 3456 7890\nlong enough secret\n"
    result = flask_command(database_url, "create-admin", "Ayu@Example.com", stdin=answers)
    assert "created platform admin" in result.stdout

    user = fresh_user("Ayu@example.com")
    assert user is not None and user.is_platform_admin and user.is_verified
    assert user.phone == "+6281234567890" and user.name == "Ayu Lestari"
    assert verify_password(user.password_hash, "long enough secret")

    again = runner.invoke(args=["create-admin", "ayu@example.com"])
    assert again.exit_code == 0 and "already an admin" in again.output


def test_create_admin_promotes_an_existing_verified_account(
    runner: FlaskCliRunner, create_user: Callable[..., User]
) -> None:
    create_user(email="moderator@example.com")
    result = runner.invoke(args=["create-admin", "moderator@example.com"])
    assert result.exit_code == 0, result.output
    assert "moderator@example.com is now a platform admin" in result.output
    user = fresh_user("moderator@example.com")
    assert user is not None and user.is_platform_admin


def test_create_admin_refuses_bad_input_with_one_line(
    runner: FlaskCliRunner, create_user: Callable[..., User]
) -> None:
    create_user(email="unverified@example.com", verified=False)
    taken = create_user(email="taken@example.com")

    cases = [
        (["create-admin", "not-an-email"], "", "email:"),
        (["create-admin", "unverified@example.com"], "", "has not verified"),
        (["create-admin", "new@example.com"], "Budi\n12\nlong enough secret\n", "phone:"),
        (
            ["create-admin", "new@example.com"],
            f"Budi\n{taken.phone}\nlong enough secret\n",
            "phone:",
        ),
        (["create-admin", "new@example.com"], "Budi\n081299998888\nshort\n", "password:"),
        (["create-admin", "new@example.com"], "\n\n", "Aborted"),
    ]
    for args, answers, expected in cases:
        result = runner.invoke(args=args, input=answers)
        assert result.exit_code == 1, (args, result.output)
        assert expected in result.output, (args, result.output)
        assert "Traceback" not in result.output
        refusals = [line for line in result.output.splitlines() if line.startswith("Error:")]
        assert len(refusals) == 1 or "Aborted!" in result.output, result.output
    assert fresh_user("new@example.com") is None
    unverified = fresh_user("unverified@example.com")
    assert unverified is not None and not unverified.is_platform_admin


def test_load_categories_twice_creates_then_changes_nothing_and_never_deletes(
    runner: FlaskCliRunner,
) -> None:
    extra = Category(slug="health", name_en="Health", name_id="Kesehatan")
    renamed = Category(slug="beauty", name_en="Beauty old", name_id="Kecantikan")
    db.session.add_all([extra, renamed])
    db.session.commit()

    first = runner.invoke(args=["load-categories"])
    assert first.exit_code == 0 and "4 created, 1 updated, 0 unchanged" in first.output
    second = runner.invoke(args=["load-categories"])
    assert second.exit_code == 0 and "0 created, 0 updated, 5 unchanged" in second.output

    db.session.expire_all()
    names = {c.slug: (c.name_en, c.name_id) for c in db.session.scalars(select(Category))}
    assert names == {slug: (en, id_) for slug, en, id_ in DEFAULT_CATEGORIES} | {
        "health": ("Health", "Kesehatan")
    }


def test_the_release_line_loads_the_categories_after_the_migrations() -> None:
    procfile = (ROOT / "Procfile").read_text().splitlines()
    [release] = [line for line in procfile if line.startswith("release:")]
    assert release == ("release: flask --app wsgi db upgrade && flask --app wsgi load-categories")


def test_send_digests_sends_now_once_per_week(
    runner: FlaskCliRunner, create_user: Callable[..., User], mailbox: SmtpServer
) -> None:
    make_voucher(title="Kopi susu hemat")
    user = create_user(email="weekly@example.com")
    user.marketing_email, user.personalisation_enabled = True, False
    db.session.commit()

    first = runner.invoke(args=["send-digests"])
    second = runner.invoke(args=["send-digests"])
    assert first.exit_code == 0 and "queued for 1 users" in first.output
    assert second.exit_code == 0 and "queued for 0 users" in second.output
    [mail] = mailbox.to("weekly@example.com")
    assert "Kopi susu hemat" in mail.text
