"""Every feature is present, so nothing probes for one: no template included only if it exists,
no context function used only if defined, no route guarded by ``endpoint in view_functions``, no
model looked up with ``getattr(models, ...)``. A probe hides a missing template or a renamed
endpoint as a silently absent button instead of a failing test."""

from __future__ import annotations

import re
from pathlib import Path

from konexi.config import ROOT

TEMPLATE_PROBES = re.compile(r"ignore missing|\bis\s+(?:not\s+)?defined\b")
CODE_PROBES = re.compile(r"\bview_functions\b|(?:get|has)attr\(\s*models\b")


def _lines_matching(pattern: re.Pattern[str], folder: str, suffix: str) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / folder).rglob(f"*{suffix}"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if pattern.search(line)
    ]


def test_templates_include_and_call_what_exists_without_probing():
    assert _lines_matching(TEMPLATE_PROBES, "templates", ".html") == []


def test_code_and_tests_do_not_probe_for_endpoints_or_models():
    found = _lines_matching(CODE_PROBES, "konexi", ".py") + _lines_matching(
        CODE_PROBES, "tests", ".py"
    )
    this_file = str(Path(__file__).relative_to(ROOT))
    assert [place for place in found if not place.startswith(this_file + ":")] == []
