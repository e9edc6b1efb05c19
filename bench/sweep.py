"""The data-size sweep shared by the query benchmarks: for each voucher count, a fresh SQLite
file (and a PostgreSQL database when BENCH_POSTGRES_URL is set; ``auto`` starts a throwaway
cluster), seeded and measured by the caller's function; a table per run, JSON at the end."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

Measure = Callable[[str, int, int, int], tuple[dict, dict]]
Table = Callable[[str, int, dict, dict], str]


def main(
    argv: list[str] | None,
    *,
    description: str,
    name: str,
    results: Path,
    measure: Measure,
    table: Table,
) -> int:
    """Parse ``--vouchers/--branches/--repeats/--output``, run ``measure(url, vouchers,
    branches, repeats)`` on each database and size, print ``table(...)`` and write the JSON."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--vouchers", default="10000,100000", help="comma-separated sizes")
    parser.add_argument("--branches", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--output", default=str(results))
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.vouchers.split(",") if size.strip()]

    from bench.servers import Servers, migrate

    postgres = os.environ.get("BENCH_POSTGRES_URL", "")
    servers = Servers(postgres_url_from_env=postgres if postgres not in ("", "auto") else None)
    directory = Path(tempfile.mkdtemp(f"-konexi-bench-{name}"))
    runs: list[dict[str, object]] = []
    report: dict[str, object] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "branches": args.branches,
        "repeats": args.repeats,
        "runs": runs,
    }
    try:
        for vouchers in sizes:
            databases = [("sqlite", f"sqlite:///{directory / f'{name}-{vouchers}.sqlite3'}")]
            if postgres:
                databases.append(("postgresql", ""))
            for database, url in databases:
                if database == "sqlite":
                    migrate(url)
                else:
                    url = servers.postgres_database(f"{name}_{vouchers}")
                seeded, figures = measure(url, vouchers, args.branches, args.repeats)
                print(table(database, vouchers, seeded, figures), flush=True)
                runs.append(
                    {
                        "database": database,
                        "vouchers": vouchers,
                        "seeded": seeded,
                        "figures": figures,
                    }
                )
                if database == "sqlite":
                    Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    finally:
        servers.stop()
        shutil.rmtree(directory, ignore_errors=True)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {output}")
    return 0
