"""Generate a realistic Ahrefs backlinks export of N rows, deterministically (same seed, same bytes).

The file is what Site Explorer > Backlinks > Export writes: UTF-16 LE with a BOM,
tab-separated, CRLF line ends, the current columns (../shared/docs/domain.md).
Rows look like a real profile: about one referring domain per 12 rows (some with
`www.`, `blog.`, `forum.` hosts, a few IDN ones, country TLDs such as `co.uk`),
http and https pages, targets spread over 300 pages of the site (some spelled
with `www.` or a trailing slash), anchors from brand, URL, generic and long-tail
pools (with non-ASCII, quotes, empty image anchors), titles with commas and
quotes, traffic counts with thousands separators, dates as `2026-03-01 10:11:12`,
15% nofollow, a few UGC/sponsored.  Every row is a distinct backlink unless
`duplicates` asks for exact repeats and conflicting rows (the same page and
target with another anchor) every that many rows.  `bad_lines` makes those data
lines invalid (a referring page that is not a URL).  `last_seen` shifts the
`Last seen` column, as a newer export of the same profile would.

    python -m bench.import_file OUT --rows 1000000 [--seed 1] [--bad-line -1] [--encoding utf-8]

Stdlib only (the tests use it too).  Reads no linkwatch settings.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from pathlib import Path

COLUMNS = [
    "Referring page title", "Referring page URL", "Referring page HTTP code", "Domain rating", "UR",
    "Domain traffic", "Referring domains", "Linked domains", "External links", "Page traffic", "Keywords",
    "Target URL", "Left context", "Anchor", "Right context", "Type", "Is spam", "Content", "Nofollow", "UGC",
    "Sponsored", "Rendered", "Raw", "Lost status", "Drop reason", "Discovered status", "First seen", "Last seen",
    "Lost",
]
SITE = "acme.com"
ROWS_PER_DOMAIN = 12
_SYLLABLES = ("ka", "lo", "mi", "ne", "ro", "ta", "vi", "su", "pe", "dor", "lin", "mar", "sol", "ter", "qua", "zen",
              "bri", "cal", "fen", "gro", "hub", "jet", "kin", "nova", "pix", "rex", "sky", "web", "byte", "data")
_TLDS = ("com", "com", "com", "org", "net", "io", "co.uk", "de", "fr", "com.au", "nl", "es", "it", "blog", "info")
_SUBDOMAINS = ("", "", "", "www.", "www.", "blog.", "forum.", "news.", "en.")
_WORDS = ("seo", "audit", "tools", "guide", "review", "best", "2026", "marketing", "backlinks", "growth", "startup",
          "analytics", "how", "to", "rank", "content", "strategy", "free", "top", "list", "compare", "pricing")
_ANCHORS_BRAND = ("Acme", "acme", "Acme Inc.", "ACME", "Acme – the audit tool", "Acme’s crawler")
_ANCHORS_GENERIC = ("click here", "here", "this site", "read more", "website", "source", "link", "")
_ANCHORS_TOPIC = ("seo audit tool", "best backlink checker", "site audit", "rank tracker", "keyword research",
                  "broken link checker", "technical SEO", "crawl budget", "Prüfwerkzeug für SEO",
                  "outil d'audit SEO", 'the "best" audit tool', "backlink monitor, free")
_CONTEXT = ("we recommend", "as described by", "according to", "see also", "tools like", "I switched to",
            "a good example is", "for audits", "which works well", "and it is free")


def _domain(index: int) -> str:
    rng = random.Random(index * 7919)
    name = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
    if index % 997 == 0:
        name = "café-" + name  # an IDN: stored in punycode
    return f"{name}{index}.{rng.choice(_TLDS)}"


def _target(rng: random.Random) -> str:
    page = rng.randrange(300)
    host = f"www.{SITE}" if rng.random() < 0.1 else SITE
    if page == 0:
        return f"https://{host}/"
    if page < 20:
        return f"https://{host}/{('pricing', 'features', 'blog', 'about', 'tools')[page % 5]}/{page}"
    return f"https://{host}/blog/post-{page}" + ("/" if rng.random() < 0.2 else "")


def _anchor(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.35:
        return rng.choice(_ANCHORS_BRAND)
    if roll < 0.45:
        return rng.choice((f"https://{SITE}/", SITE, f"www.{SITE}"))
    if roll < 0.65:
        return rng.choice(_ANCHORS_GENERIC)
    if roll < 0.9:
        return rng.choice(_ANCHORS_TOPIC)
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 7)))


def _count(rng: random.Random, high: int) -> str:
    value = 0 if rng.random() < 0.3 else int(rng.lognormvariate(3, 2.5))
    return f"{min(value, high):,}"


def _seen(rng: random.Random, start: date, days: int) -> str:
    day = start + timedelta(days=rng.randrange(days))
    return f"{day.isoformat()} {rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"


def row(index: int, seed: int = 1, last_seen: int = 0) -> list[str]:
    """Data row `index` (0-based) of the file: the same for the same (index, seed), whatever else is generated."""
    rng = random.Random(seed * 1_000_003 + index)
    domain = _domain(index // ROWS_PER_DOMAIN + seed * 10_000_000)
    host = rng.choice(_SUBDOMAINS) + domain
    scheme = "https" if rng.random() < 0.85 else "http"
    slug = "-".join(rng.choice(_WORDS) for _ in range(rng.randint(2, 6)))
    path = rng.choice((f"/{2015 + index % 12}/{1 + index % 12:02d}/{slug}-{index}", f"/t/{slug}/{index}",
                       f"/?p={index}", f"/blog/{slug}-{index}.html", f"/{slug}/{index}/"))
    nofollow = rng.random() < 0.15
    title_words = [rng.choice(_WORDS).capitalize() for _ in range(rng.randint(2, 8))]
    title = " ".join(title_words)
    if rng.random() < 0.3:
        title = f"{title}, {rng.randint(2019, 2026)}"
    if rng.random() < 0.05:
        title = f'"{title}" – {domain}'
    values = {
        "Referring page title": title, "Referring page URL": f"{scheme}://{host}{path}",
        "Referring page HTTP code": "200", "Domain rating": str(rng.randint(0, 95)), "UR": str(rng.randint(0, 60)),
        "Domain traffic": _count(rng, 5_000_000), "Referring domains": _count(rng, 200_000),
        "Linked domains": _count(rng, 20_000), "External links": str(rng.randint(1, 400)),
        "Page traffic": _count(rng, 90_000), "Keywords": str(rng.randint(0, 900)), "Target URL": _target(rng),
        "Left context": rng.choice(_CONTEXT), "Anchor": _anchor(rng), "Right context": rng.choice(_CONTEXT),
        "Type": rng.choice(("text", "text", "text", "image", "redirect")), "Is spam": "false", "Content": "true",
        "Nofollow": str(nofollow).lower(), "UGC": str(rng.random() < 0.03).lower(),
        "Sponsored": str(rng.random() < 0.02).lower(), "Rendered": "false", "Raw": "true",
        "Lost status": "" if rng.random() < 0.97 else "removed", "Drop reason": "", "Discovered status": "",
        "First seen": _seen(rng, date(2021, 1, 1), 1800),
        "Last seen": _seen(rng, date(2026, 9, 1) + timedelta(days=last_seen), 14), "Lost": "",
    }
    return [values[c] for c in COLUMNS]


def rows(count: int, seed: int = 1, duplicates: int = 0, bad_lines: Iterable[int] = (),
         last_seen: int = 0) -> Iterator[list[str]]:
    """The data rows; `bad_lines` are file line numbers (the header is line 1, -1 the last line)."""
    bad = {count + 1 + line + 1 if line < 0 else line for line in bad_lines}
    for index in range(count):
        cells = row(index, seed, last_seen)
        if duplicates and index and index % duplicates == 0:
            cells = row(index - 1, seed, last_seen)  # an exact repeat of the row before
            if index % (2 * duplicates) == 0:
                cells[COLUMNS.index("Anchor")] += " (again)"  # the same backlink, another anchor: a conflict
        if index + 2 in bad:
            cells[COLUMNS.index("Referring page URL")] = f"not a url {index}"
        yield cells


def write(path: Path, count: int, seed: int = 1, duplicates: int = 0, bad_lines: Iterable[int] = (),
          encoding: str = "utf-16", delimiter: str = "\t", last_seen: int = 0) -> Path:
    """Write the export (`utf-16` writes the BOM, little-endian here); returns `path`."""
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows(count, seed, duplicates, bad_lines, last_seen))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a deterministic Ahrefs-style backlinks export.")
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duplicates", type=int, default=0, help="an exact repeat or conflict every N rows")
    parser.add_argument("--bad-line", type=int, action="append", default=[], help="make this line invalid (-1: last)")
    parser.add_argument("--encoding", default="utf-16", help="utf-16 (Ahrefs), utf-8, ...")
    parser.add_argument("--last-seen", type=int, default=0, help="shift `Last seen` by this many days")
    args = parser.parse_args(argv)
    write(args.out, args.rows, args.seed, args.duplicates, args.bad_line, args.encoding,
          "\t" if args.encoding.startswith("utf-16") else ",", args.last_seen)
    return 0


if __name__ == "__main__":
    sys.exit(main())
