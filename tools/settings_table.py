"""Write README's settings table from konexi/config.py's SETTINGS (the one place they are declared).

.venv/bin/python tools/settings_table.py          # rewrite the table in README.md
.venv/bin/python tools/settings_table.py --check  # exit 1 when README.md is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from konexi.config import SETTINGS  # noqa: E402 - after the path above

README = ROOT / "README.md"
START = "<!-- settings table: written by tools/settings_table.py from konexi/config.py -->"
END = "<!-- end of settings table -->"


def settings_table() -> str:
    """The markdown table: one row per setting, in the table's order."""
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for setting in SETTINGS:
        production = "; required in production" if setting.required_in_production else ""
        rows.append(
            f"| `{setting.name}` | {setting.readme_default} | {setting.description}{production} |"
        )
    return "\n".join(rows)


def with_table(readme: str) -> str:
    """``readme`` with the text between the markers replaced by the current table."""
    before, rest = readme.split(START, 1)
    _old, after = rest.split(END, 1)
    return f"{before}{START}\n{settings_table()}\n{END}{after}"


def main(argv: list[str]) -> int:
    current = README.read_text()
    wanted = with_table(current)
    if "--check" in argv:
        if current != wanted:
            print("README.md's settings table is out of date: run tools/settings_table.py")
            return 1
        return 0
    README.write_text(wanted)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
