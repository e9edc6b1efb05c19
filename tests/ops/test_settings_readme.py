"""README's settings table says what konexi/config.py declares: every setting, its default."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from konexi.config import SETTINGS, SETTINGS_BY_NAME, shown_value

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\| `([A-Z0-9_]+)` \| (.*?) \| (.*) \|$")


def _readme_rows() -> dict[str, tuple[str, str]]:
    """Setting name -> (default cell, meaning cell), from README's settings table."""
    rows = {}
    for line in (ROOT / "README.md").read_text().splitlines():
        match = ROW.match(line)
        if match:
            assert match.group(1) not in rows, f"{match.group(1)} documented twice"
            rows[match.group(1)] = (match.group(2), match.group(3))
    return rows


def test_every_setting_is_documented_and_nothing_else_is():
    documented = set(_readme_rows())
    declared = {setting.name for setting in SETTINGS}
    assert declared - documented == set(), "declared but missing from README"
    assert documented - declared == set(), "documented but not declared"


def test_readme_defaults_are_the_declared_defaults():
    for name, (default_cell, meaning) in _readme_rows().items():
        setting = SETTINGS_BY_NAME[name]
        assert default_cell == setting.readme_default, name
        assert meaning.startswith(setting.description), name
        if (
            setting.shown_default is None
            and setting.default is not None
            and not callable(setting.default)
        ):
            # the README's figure, read back by the setting's own parser, is the default
            assert setting.parse(name, default_cell.strip("`")) == setting.default, name
            assert default_cell == f"`{shown_value(setting.default)}`", name


def test_the_table_tool_finds_the_readme_up_to_date():
    result = subprocess.run(
        [sys.executable, "tools/settings_table.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout
