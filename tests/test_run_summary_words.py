"""The summary `linkwatch run` prints reads as words (issue 16): numbers with separators, durations, states and
events in words, most urgent first, no enum names or Python values; the pieces come from monitor.core.human."""

from __future__ import annotations

import re
from pathlib import Path

from monitor.core.human import event_counts, event_detail_words, human_duration, plural
from tests.support.cli import linkwatch
from tests.support.pages import TestSite, page
from tests.support.scenario import agency_env, import_rows

LINK = '<a href="https://mysite.com/">My site</a>'
PATHS = ("/removed", "/sponsored", "/gone", "/moved", "/anchor", "/kept")
PYTHON = re.compile(r"None|True|False|'|->|\b(?:page_gone|page_redirected|anchor_changed|http_status|reason=)\b")


def _summary(output: str) -> list[str]:
    """The summary's lines without the duration and the database line (they vary)."""
    lines = [re.sub(r" in [\d.]+ s$| in \d+ min( \d+ s)?$", " in T", line) for line in output.splitlines()]
    return [line for line in lines if not line.startswith("database: ")]


def test_the_run_summary_says_what_changed_in_words_most_urgent_first(site: TestSite, tmp_path: Path) -> None:
    env = agency_env(tmp_path)
    for path in PATHS:
        site.set_page(path, page(LINK))
    import_rows(env, tmp_path, "links.csv", "source_url,target\n" + "".join(f"{site.url(p)},mysite.com\n"
                                                                          for p in PATHS))
    first = linkwatch(env, "run", "--once")
    assert _summary(first.stdout)[:3] == ["run 1 finished: 6 links checked on 6 pages in T",
                                          "rendered in Chromium: 0 of 6 pages (0%)", "on the pages: 6 followed"]
    site.set_page("/removed", page("<p>The link was here.</p>"))
    site.set_page("/sponsored", page(LINK.replace("<a ", '<a rel="sponsored" ')))
    site.remove("/gone")
    site.set_page("/new-home", page("<p>Moved, no links</p>"))
    site.set_redirect("/moved", "/new-home")
    site.set_page("/anchor", page('<a href="https://mysite.com/">Best shoes</a>'))

    second = linkwatch(env, "run", "--once", "--all").stdout
    assert _summary(second) == [
        "run 2 finished: 6 links checked on 6 pages in T",
        "rendered in Chromium: 0 of 6 pages (0%)",
        "on the pages: 2 missing, 1 on a page that is gone, 1 not followed, 2 followed",
        "  (3 missing links are not lost yet: the next check confirms a loss)",
        "changes, most urgent first: 1 now not followed, 1 page redirected, 1 anchor changed",
        f"  Became not followed: {site.url('/sponsored')} → mysite.com (not followed: rel=\"sponsored\" on the link)",
        f"  Page redirected: {site.url('/moved')} → mysite.com (redirected to {site.url('/new-home')})",
        f"  Anchor changed: {site.url('/anchor')} → mysite.com (anchor text “My site” is now “Best shoes”)",
    ], second
    third = linkwatch(env, "run", "--once", "--all", "--max-events", "2").stdout
    assert _summary(third)[2:] == [
        "on the pages: 2 missing, 1 on a page that is gone, 1 not followed, 2 followed",
        "changes, most urgent first: 2 links lost, 1 page gone",
        f"  Link lost: {site.url('/removed')} → mysite.com (the page was rewritten and your link went with it; "
        "missing in 2 checks in a row)",
        f"  Link lost: {site.url('/moved')} → mysite.com (redirected to {site.url('/new-home')}; "
        "missing in 2 checks in a row)",
        "  … and 1 more (linkwatch events lists them all)",
    ], third
    events = linkwatch(env, "events").stdout.splitlines()
    assert events[0].split() == ["WHEN", "SITE", "WHAT", "STATE", "PAGE", "TARGET", "WHY"]
    removed = re.escape(site.url("/removed"))
    lost = [line for line in events if "Link lost" in line and site.url("/removed") in line]
    when = r"\d{1,2} \w{3} \d{4} \d\d:\d\d UTC"
    wanted = (rf"{when} +mysite\.com +Link lost +Live \(followed\) → Lost +{removed} +mysite\.com +"
              "the page was rewritten and your link went with it; missing( in 2 checks in a row| …)")
    assert len(lost) == 1 and re.fullmatch(wanted, lost[0]), events
    for output in (first.stdout, second, third, "\n".join(events)):
        assert not PYTHON.search(output.replace(site.url(""), "")), output


def test_human_pieces_of_the_summary() -> None:
    assert [human_duration(s) for s in (0.42, 45, 192, 3600, 7500, 93784)] == [
        "0.4 s", "45 s", "3 min 12 s", "1 h", "2 h 5 min", "1 d 2 h"]
    assert (plural(1, "page"), plural(1204, "page")) == ("1 page", "1,204 pages")
    assert event_counts({"new": 2, "lost": 3, "nofollow": 1}) == "3 links lost, 1 now not followed, 2 new links"
    assert event_detail_words("anchor_changed", {"old_anchor": None, "new_anchor": "Acme"}) == (
        "anchor text is now “Acme” (it had none)")
    assert event_detail_words("new", {"follow": False, "reasons": ["rel_ugc", "rel_nofollow", "header"]}) == (
        'not followed: rel="ugc nofollow" on the link, an X-Robots-Tag: nofollow header')
    assert event_detail_words("page_gone", {"http_status": 410, "error": "http 410"}) == "the page answers 410"
    assert event_detail_words("new", {"follow": True, "rendered_only": True}) == "found only after JavaScript rendering"
    assert event_detail_words("restored", {"follow": True, "misses": 2}) == ""
