"""Rewrite module paths from the flat layout to the domain packages (konexi/services/<domain>/,
konexi/web/, konexi/tasks/), in Python imports, dotted strings and file paths in docs.

Safe to run again, and on a branch that still uses some old paths (a merge from a branch that
started before the move): ``.venv/bin/python tools/relayout.py [--move] [FILE ...]``.
``--move`` also does the ``git mv`` of the modules (once, on the tree that still has them).
Without FILE arguments it rewrites every tracked text file except the translation catalogues
(their location comments are refreshed by the next catalogue extraction).

One old form reads like a new one and is left alone: ``from konexi.services.catalogue import
categories`` (the function of the old catalogue module, not the module of the new package).
"""

from __future__ import annotations

import re
import subprocess  # noqa: S404 - git, with fixed arguments
import sys
from pathlib import Path

DOMAINS: dict[str, list[str]] = {
    "accounts": [
        "accounts", "account_lifecycle", "account_messages", "contacts", "contact_ownership",
        "contact_changes", "verification", "password_reset", "passwords", "social_accounts",
        "profile", "platform_admins",
    ],
    "catalogue": [
        "catalogue", "categories", "feed", "nearby", "geo", "places", "recommendations", "digest",
    ],
    "claims": ["claims", "redemption", "redemption_counter", "redemption_codes", "voucher_stats"],
    "sharing": ["sharing", "link_check"],
    "providers": [
        "companies", "branches", "branch_phones", "memberships", "team", "invitations",
        "provider_profile", "provider_stats", "provider_voucher_list", "provider_vouchers",
    ],
    "reviews": ["reviews", "review_moderation", "review_notices"],
    "privacy": [
        "privacy_settings", "export", "export_jobs", "purge", "retention", "unsubscribe",
    ],
}  # fmt: skip

# Modules of konexi/services/ that are not domain code: their new package.
SERVICES_OUT = {
    "svg_chart": "konexi.web",
    "health": "konexi.web",
    "demo_data": "konexi.dev",
    "job_queues": "konexi.tasks",
}

# Modules at the top of konexi/: their new package.
TOP_LEVEL = {
    name: "konexi.web"
    for name in (
        "auth_session", "compression", "conditional", "errors", "htmx", "page_cache",
        "personal_pages", "proxies", "request_log", "routing", "security", "static_assets",
        "web_forms",
    )
} | {"queue": "konexi.tasks", "schedule": "konexi.tasks"}  # fmt: skip

SERVICE_PARENT: dict[str, str] = {
    module: f"konexi.services.{domain}" for domain, modules in DOMAINS.items() for module in modules
} | SERVICES_OUT


def _alternation(names: object) -> str:
    return "|".join(sorted(map(re.escape, names), key=len, reverse=True))  # type: ignore[arg-type]


# A module named like its package (services/accounts/accounts.py) is already new when the
# package name is followed by one of that package's modules.
_NEW_TAIL = rf"(?:\.|\s+import\s+)(?:{_alternation(m for ms in DOMAINS.values() for m in ms)})\b"
_SERVICES_DOTTED = re.compile(
    rf"(?<![\w.])(?:konexi\.)?services\.({_alternation(SERVICE_PARENT)})\b(?!{_NEW_TAIL})"
)
_TOP_DOTTED = re.compile(rf"(?<![\w.])konexi\.({_alternation(TOP_LEVEL)})\b")
_SERVICES_PATH = re.compile(
    rf"(?<![\w/.])(?:konexi/)?services/({_alternation(SERVICE_PARENT)})\.py\b"
)
_TOP_PATH = re.compile(rf"(?<![\w/.])konexi/({_alternation(TOP_LEVEL)})\.py\b")
_FROM_IMPORT = re.compile(
    r"^(?P<indent>[ \t]*)from (?P<package>konexi|konexi\.services) import "
    r"(?P<names>[\w ,]+?)(?P<comment>[ \t]*#.*)?$",
    re.MULTILINE,
)


def _split_from_import(match: re.Match[str]) -> str:
    package = match["package"]
    table = TOP_LEVEL if package == "konexi" else SERVICE_PARENT
    groups: dict[str, list[str]] = {}
    for item in match["names"].split(","):
        item = item.strip()
        if not item:
            continue
        groups.setdefault(table.get(item.split()[0], package), []).append(item)
    if list(groups) == [package]:
        return match[0]
    comment = match["comment"] or ""
    lines = [
        f"{match['indent']}from {parent} import {', '.join(items)}"
        for parent, items in sorted(groups.items())
    ]
    lines[0] += comment
    return "\n".join(lines)


def _dotted_service(match: re.Match[str]) -> str:
    new = f"{SERVICE_PARENT[match[1]]}.{match[1]}"
    # A short ``services.export`` in prose stays short: ``services.privacy.export``.
    short = not match[0].startswith("konexi.") and new.startswith("konexi.services.")
    return new.removeprefix("konexi.") if short else new


def rewrite(text: str) -> str:
    text = _FROM_IMPORT.sub(_split_from_import, text)
    text = _SERVICES_DOTTED.sub(_dotted_service, text)
    text = _TOP_DOTTED.sub(lambda m: f"{TOP_LEVEL[m[1]]}.{m[1]}", text)
    text = _SERVICES_PATH.sub(lambda m: f"{SERVICE_PARENT[m[1]].replace('.', '/')}/{m[1]}.py", text)
    return _TOP_PATH.sub(lambda m: f"{TOP_LEVEL[m[1]].replace('.', '/')}/{m[1]}.py", text)


def move() -> None:
    """``git mv`` every module to its new package (each new package gets an ``__init__.py``)."""
    moves = [(f"konexi/services/{m}.py", parent, m) for m, parent in SERVICE_PARENT.items()]
    moves += [(f"konexi/{m}.py", parent, m) for m, parent in TOP_LEVEL.items()]
    for source, parent, module in moves:
        folder = Path(parent.replace(".", "/"))
        folder.mkdir(parents=True, exist_ok=True)
        init = folder / "__init__.py"
        if not init.exists():
            title = folder.name.replace("_", " ").capitalize()
            init.write_text(f'"""{title}."""\n')
            subprocess.run(["git", "add", str(init)], check=True)  # noqa: S603,S607
        destination = str(folder / f"{module}.py")
        subprocess.run(["git", "mv", source, destination], check=True)  # noqa: S603,S607


def tracked_text_files() -> list[Path]:
    listing = subprocess.run(  # noqa: S603
        ["git", "ls-files"],  # noqa: S607 - git from PATH, as a developer runs it
        check=True,
        capture_output=True,
        text=True,
    )
    keep = (".py", ".md", ".cfg", ".toml", ".txt", ".sh", ".html", ".ini", ".tmpl", ".yml")
    names = [n for n in listing.stdout.splitlines() if n.endswith(keep) or n == "Procfile"]
    return [Path(n) for n in names if not n.startswith("translations/") and Path(n).is_file()]


def main(arguments: list[str]) -> None:
    if "--move" in arguments:
        arguments.remove("--move")
        move()
    for path in [Path(a) for a in arguments] or tracked_text_files():
        if path.resolve() == Path(__file__).resolve():
            continue
        text = path.read_text(encoding="utf-8")
        new = rewrite(text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            print(path)  # noqa: T201


if __name__ == "__main__":
    main(sys.argv[1:])
