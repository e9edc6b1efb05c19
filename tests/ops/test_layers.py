"""The layers hold (`make lint`): a service that reaches for HTTP or a blueprint fails the lint.

Each check runs the real tool on a copy of the package with one offending module planted in it,
and on the same copy without it, so the test fails if the contract stops catching the leak.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess  # noqa: S404 - the project's own lint tools, fixed arguments
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of konexi/ and its configuration, where offending modules can be planted."""
    root = tmp_path_factory.mktemp("layers")
    shutil.copytree(ROOT / "konexi", root / "konexi", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def _run(tree: Path, *command: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}  # the copy, not the installed package
    return subprocess.run(  # noqa: S603
        command, cwd=tree, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _plant(tree: Path, source: str) -> Path:
    module = tree / "konexi" / "services" / "privacy" / "leak.py"
    module.write_text(f'"""A planted module."""\n\n{source}\n')
    return module


def test_ruff_refuses_flask_request_in_a_service(tree: Path) -> None:
    module = _plant(tree, "from flask import request\n\nLANGUAGE = request.accept_languages")
    try:
        refused = _run(tree, str(BIN / "ruff"), "check", "--no-cache", str(module))
        _plant(tree, "from flask import current_app\n\nNAME = current_app.name")
        allowed = _run(tree, str(BIN / "ruff"), "check", "--no-cache", str(module))
    finally:
        module.unlink()
    assert refused.returncode == 1
    assert "TID251" in refused.stdout and "flask.request" in refused.stdout
    assert allowed.returncode == 0, allowed.stdout


def test_import_linter_refuses_web_plumbing_in_a_service(tree: Path) -> None:
    lint_imports = str(BIN / "lint-imports")
    module = _plant(tree, "from konexi.web import htmx  # noqa: F401")
    try:
        refused = _run(tree, lint_imports, "--no-cache")
    finally:
        module.unlink()
    kept = _run(tree, lint_imports, "--no-cache")
    assert refused.returncode == 1
    assert "Services import no blueprint, no web plumbing, no jobs BROKEN" in refused.stdout
    assert "konexi.services.privacy.leak -> konexi.web" in refused.stdout
    assert kept.returncode == 0, kept.stdout
    assert "2 kept, 0 broken" in kept.stdout


def test_models_may_not_import_services(tree: Path) -> None:
    module = tree / "konexi" / "models" / "leak.py"
    module.write_text('"""A planted module."""\n\nfrom konexi.services import errors\n')
    try:
        refused = _run(tree, str(BIN / "lint-imports"), "--no-cache")
    finally:
        module.unlink()
    assert refused.returncode == 1
    assert "Models import nothing above them BROKEN" in refused.stdout


@pytest.mark.parametrize(
    ("source", "banned"),
    [
        ('from flask import url_for\n\nLINK = url_for("sharing.landing", token="t")', "url_for"),
        (
            "from flask import has_request_context\n\nLOCALE = has_request_context() and 'id'",
            "has_request_context",
        ),
        ("from flask_babel import force_locale\n\nFORCED = force_locale('id')", "force_locale"),
    ],
)
def test_ruff_refuses_request_guesses_in_a_service(tree: Path, source: str, banned: str) -> None:
    module = _plant(tree, source)
    try:
        refused = _run(tree, str(BIN / "ruff"), "check", "--no-cache", str(module))
    finally:
        module.unlink()
    assert refused.returncode == 1
    assert "TID251" in refused.stdout and banned in refused.stdout


def test_ruff_refuses_url_for_in_messaging(tree: Path) -> None:
    module = tree / "konexi" / "messaging" / "leak.py"
    module.write_text(
        '"""A planted module."""\n\nfrom flask import url_for\n\nLINK = url_for("a")\n'
    )
    try:
        refused = _run(tree, str(BIN / "ruff"), "check", "--no-cache", str(module))
    finally:
        module.unlink()
    assert refused.returncode == 1
    assert "TID251" in refused.stdout and "flask.url_for" in refused.stdout


def _base_url_reads(root: Path) -> list[str]:
    """Where services or messaging read the BASE_URL setting: their links come from
    ``konexi.urls.external_url`` instead, never from BASE_URL and a path typed by hand."""
    found = []
    for package in ("services", "messaging"):
        for path in sorted((root / "konexi" / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                named = (node.value if isinstance(node, ast.Constant) else None) or getattr(
                    node, "id", getattr(node, "attr", None)
                )
                if named == "BASE_URL":
                    found.append(f"{path.relative_to(root).as_posix()}:{node.lineno}")
    return found


def test_services_and_messaging_build_no_link_from_base_url(tree: Path) -> None:
    assert _base_url_reads(ROOT) == []
    module = _plant(
        tree, "from flask import current_app\n\nLINK = f\"{current_app.config['BASE_URL']}/s/t\""
    )
    try:
        assert _base_url_reads(tree) == ["konexi/services/privacy/leak.py:5"]
    finally:
        module.unlink()
