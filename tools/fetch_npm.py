"""Download the pinned npm packages the browser tests serve (`make test-assets`, run by `make setup`).

The shadow DOM test of a real web-component library (tests/test_shadow_dom_lit.py) serves Lit from the
local test site.  The packages are not vendored into the repository: each pinned tarball is fetched from
the npm registry with plain HTTPS, checked against its sha512 `integrity` (as in a package-lock.json),
and unpacked into `.cache/npm/NAME/` (ignored by git), with `.integrity` written last so that a partial
unpack is fetched again.  Already there and matching: nothing is downloaded.  Any failure (network,
checksum, a member outside the package) is one line on stderr and exit 1: a machine that cannot fetch
them must say so at set-up, not skip the test later.

Usage: python3 tools/fetch_npm.py [DEST]   (default: .cache/npm next to this folder)
"""

from __future__ import annotations

import base64
import hashlib
import io
import shutil
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

REGISTRY = "https://registry.npmjs.org"
#: (name, version, integrity): Lit and what it imports in a browser (its `browser`/`default` exports)
PINS = (
    ("lit", "3.3.3", "sha512-fycuvZg/hkpozL00lm1pEJH5nN/lr9ZXd6mJI2HSN4+Bzc+LDNdEApJ6HFbPkdFNHLvOplIIuJvxkS4XUxqirw=="),
    ("lit-html", "3.3.3",
     "sha512-el8M6jK2o3RXBnrSHX3ZKrsN8zEV63pSExTO1wYJz7QndGYZ8353e2a5PPX+qHe2aGayfnchQmkAojaWAREOIA=="),
    ("lit-element", "4.2.2",
     "sha512-aFKhNToWxoyhkNDmWZwEva2SlQia+jfG0fjIWV//YeTaWrVnOxD89dPKfigCUspXFmjzOEUQpOkejH5Ly6sG0w=="),
    ("@lit/reactive-element", "2.1.2",
     "sha512-pbCDiVMnne1lYUIaYNN5wrwQXDtHaYtg7YEFPeW+hws6U47WeFvISGUWekPGKWOP1ygrs0ef0o1VJMk1exos5A=="),
)
MAX_BYTES = 20 * 1024 * 1024
DEFAULT_DEST = Path(__file__).resolve().parent.parent / ".cache" / "npm"


class FetchError(Exception):
    """Why a package could not be fetched (one line)."""


def tarball_url(name: str, version: str) -> str:
    """The registry's tarball address: `@scope/pkg` -> `@scope/pkg/-/pkg-VERSION.tgz`."""
    return f"{REGISTRY}/{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz"


def check_integrity(data: bytes, integrity: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise FetchError(f"unsupported integrity {algorithm!r}")
    got = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if got != expected:
        raise FetchError(f"checksum mismatch: expected {integrity}, got sha512-{got}")


def unpack(data: bytes, dest: Path) -> None:
    """The tarball's `package/` folder into `dest`: regular files and folders only, none outside it."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in archive.getmembers():
            parts = Path(member.name).parts
            if not parts or parts[0] != "package" or ".." in parts or member.name.startswith("/"):
                raise FetchError(f"unexpected member {member.name!r}")
            if member.isdir() or not member.isfile():
                continue  # folders are made as needed; links and devices are left out
            target = dest.joinpath(*parts[1:])
            target.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(member)
            if source is None:
                raise FetchError(f"unreadable member {member.name!r}")
            target.write_bytes(source.read())


def fetch(name: str, version: str, integrity: str, root: Path) -> bool:
    """One package into root/NAME; False when it was there already."""
    dest = root / name
    marker = dest / ".integrity"
    if marker.is_file() and marker.read_text().strip() == integrity:
        return False
    url = tarball_url(name, version)
    try:
        with urllib.request.urlopen(url, timeout=60) as answer:
            data = answer.read(MAX_BYTES + 1)
    except OSError as exc:
        raise FetchError(f"{url}: {exc}") from exc
    if len(data) > MAX_BYTES:
        raise FetchError(f"{url}: larger than {MAX_BYTES} bytes")
    check_integrity(data, integrity)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent) as scratch:
        unpacked = Path(scratch) / "package"
        unpack(data, unpacked)
        (unpacked / ".integrity").write_text(integrity + "\n")
        shutil.rmtree(dest, ignore_errors=True)
        unpacked.rename(dest)
    return True


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else DEFAULT_DEST
    try:
        fetched = [f"{name}@{version}" for name, version, integrity in PINS if fetch(name, version, integrity, root)]
    except (FetchError, OSError, tarfile.TarError) as exc:
        sys.stderr.write(f"fetch_npm: cannot fetch the pinned npm packages: {exc}\n")
        return 1
    print(f"npm packages in {root}: " + (", ".join(fetched) + " fetched" if fetched else "up to date"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
