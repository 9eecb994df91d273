"""The pinned npm packages `make test-assets` fetched (tools/fetch_npm.py, into .cache/npm), served from the local
test site with an import map, so that a page can `import {LitElement, html} from 'lit'` with no internet.

`serve_packages(site)` registers every `.js` file of the packages under `/npm/NAME/` and returns the
`<script type="importmap">` to put in a page's head.  A cache that is not there fails the test with the
command to run, rather than skipping it: a web-component library page that is never rendered proves nothing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.support.pages import TestSite

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".cache" / "npm"
#: bare specifier -> file or folder of a package, as its package.json `exports` name them for a browser
ENTRY_POINTS = {
    "lit": "lit/index.js", "lit/": "lit/",
    "lit-html": "lit-html/lit-html.js", "lit-html/": "lit-html/",
    "lit-element": "lit-element/index.js", "lit-element/": "lit-element/",
    "@lit/reactive-element": "@lit/reactive-element/reactive-element.js",
    "@lit/reactive-element/": "@lit/reactive-element/",
}


def pinned_packages() -> list[tuple[str, str, str]]:
    """(name, version, integrity) of tools/fetch_npm.py's pins."""
    sys.path.insert(0, str(REPO / "tools"))
    try:
        import fetch_npm
    finally:
        sys.path.remove(str(REPO / "tools"))
    return list(fetch_npm.PINS)


def serve_packages(site: TestSite) -> str:
    """Serve the fetched packages' JavaScript at /npm/...; returns the import map script for a page's head."""
    for name, version, integrity in pinned_packages():
        marker = CACHE / name / ".integrity"
        if not marker.is_file() or marker.read_text().strip() != integrity:
            raise AssertionError(f"{name}@{version} is not in .cache/npm: run `make test-assets` (needs the npm "
                                 "registry once)")
        for path in sorted((CACHE / name).rglob("*.js")):
            relative = path.relative_to(CACHE).as_posix()
            site.set_page(f"/npm/{relative}", path.read_bytes(), content_type="text/javascript")
    imports = {specifier: f"/npm/{target}" for specifier, target in ENTRY_POINTS.items()}
    return f'<script type="importmap">{json.dumps({"imports": imports})}</script>'
