"""Fetch the front-end files Konexi serves from the npm registry, checked against package-lock.json.

Used where npm is not available (the platform's Python build); `make` uses `npm ci`. The tarball's
sha512 must match the lock file's integrity value, so the build gets exactly the locked release.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = {"htmx.org": ("package/dist/htmx.min.js", ROOT / "static" / "vendor" / "htmx.min.js")}


def fetch(package: str) -> None:
    lock = json.loads((ROOT / "package-lock.json").read_text())
    entry = lock["packages"][f"node_modules/{package}"]
    version, integrity = entry["version"], entry["integrity"]
    url = f"https://registry.npmjs.org/{package}/-/{package}-{version}.tgz"
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - fixed https URL
        tarball = response.read()
    algorithm, expected = integrity.split("-", 1)
    digest = base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode()
    if digest != expected:
        sys.exit(f"{package}@{version}: integrity mismatch, refusing to install it")
    member, target = FILES[package]
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        extracted = archive.extractfile(member)
        if extracted is None:
            sys.exit(f"{package}@{version}: {member} missing from the tarball")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(extracted.read())
    print(f"{package}@{version} → {target.relative_to(ROOT)}")


if __name__ == "__main__":
    for name in FILES:
        fetch(name)
