"""The type checker in `make lint` and `make test` (mypy, `[tool.mypy]` in pyproject.toml): an
unannotated function or a `# type: ignore` that silences nothing fails it.

Each case runs the real mypy with the project's settings on one planted module (importing only
the standard library, so it takes seconds), next to a correct one that passes, so the test fails
if the settings stop catching either.
"""

from __future__ import annotations

import subprocess  # noqa: S404 - the project's own type checker, fixed arguments
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MYPY = Path(sys.executable).parent / "mypy"


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache for the module: the standard library is read once, not per case."""
    return tmp_path_factory.mktemp("mypy-cache")


def _mypy(tmp_path: Path, cache: Path, source: str) -> subprocess.CompletedProcess[str]:
    """mypy with the project's settings on one planted module under konexi/."""
    module = tmp_path / "konexi" / "planted.py"
    module.parent.mkdir(exist_ok=True)
    module.write_text(f'"""A planted module."""\n\n{source}\n')
    command = [
        str(MYPY),
        "--config-file",
        str(ROOT / "pyproject.toml"),
        "--cache-dir",
        str(cache),
        str(module),
    ]
    return subprocess.run(  # noqa: S603
        command, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("def double(n):\n    return n * 2", "[no-untyped-def]"),
        ("TOTAL: int = 3  # type: ignore[assignment]", "[unused-ignore]"),
    ],
    ids=["unannotated-function", "unused-ignore"],
)
def test_the_type_checker_refuses(tmp_path: Path, cache: Path, source: str, error: str) -> None:
    refused = _mypy(tmp_path, cache, source)
    assert refused.returncode == 1, refused.stdout
    assert error in refused.stdout


def test_the_type_checker_passes_annotated_code(tmp_path: Path, cache: Path) -> None:
    passed = _mypy(tmp_path, cache, "def double(n: int) -> int:\n    return n * 2")
    assert passed.returncode == 0, passed.stdout


def test_make_lint_and_make_test_run_the_type_checker() -> None:
    makefile = (ROOT / "Makefile").read_text()
    for target in ("lint", "test"):
        recipe = makefile.split(f"\n{target}:", 1)[1].split("\n\n", 1)[0]
        assert "$(BIN)/mypy" in recipe, target
