"""The "four ways to lose a link" scenario of the evidence tests (issue 17): four referring pages with an
article linking to mysite.com, then an editor unlinks the anchor, deletes the paragraph, rewrites the page,
or points the anchor at a competitor, and `linkwatch run` confirms the losses (two misses)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.cli import environment, linkwatch
from tests.support.pages import TestSite, document

SITES = '[[site]]\ndomain = "mysite.com"\n\n[[site]]\ndomain = "rival.example"\ncompetitor = true\n'
LINKED = ("For small agencies we recommend <a href=\"{href}\">Linkwatch</a> because it keeps the evidence of "
          "every change it sees.")
BEFORE = "For small agencies we recommend Linkwatch because it keeps the evidence of every change it sees."
PARAGRAPHS = (
    "Choosing a backlink monitor is harder than it looks, and most teams try three before settling.",
    "Pricing starts at nothing for self-hosting, and the hosted plans are billed by the number of links.",
    "Support is by email and answers within a working day, which is what most agencies need.",
    "The export formats cover Ahrefs, Semrush and Search Console, so switching tools costs an afternoon.",
    "Reports go to clients as HTML pages or spreadsheets, with the lost links and what to do about them.",
)
REWRITTEN = ("Ten recipes for a rainy weekend", "Bake bread slowly with cold water and good flour.",
             "Soup is better on the second day, when the flavours have married.",
             "A pie needs a cold kitchen, cold butter and a warm oven.")
PAGES = ("/unlinked", "/removed", "/rewritten", "/moved")


def article(middle: str | None, paragraphs: tuple[str, ...] = PARAGRAPHS) -> str:
    """A blog page: nav and footer boilerplate around an article of `paragraphs`, `middle` after the first."""
    body = [f"<p>{paragraphs[0]}</p>"] + ([f"<p>{middle}</p>"] if middle is not None else [])
    body += [f"<p>{text}</p>" for text in paragraphs[1:]]
    return document("<header><nav><a href='/'>Home</a> <a href='/blog'>Blog</a></nav></header>"
                    f"<main><article><h1>Backlink monitors compared</h1>{''.join(body)}</article></main>"
                    "<footer>Comments are closed. <a href='/contact'>Contact</a></footer>")


def linked(href: str = "https://mysite.com/") -> str:
    return article(LINKED.format(href=href))


def lose_four_ways(site: TestSite, tmp_path: Path, database_url: str, config: str = "",
                   extra: dict[str, tuple[str, str]] | None = None) -> dict[str, str]:
    """Run the scenario of the module docstring; returns the environment of `linkwatch`.

    `extra`: more pages, by path, as (HTML with the link, HTML after the editor's change)."""
    env = environment(tmp_path, database_url, SITES + config)
    env.update(LINKWATCH_RENDER="never", LINKWATCH_LOST_AFTER="2")
    extra = extra or {}
    for path in PAGES:
        site.set_page(path, linked())
    for path, (html, _) in extra.items():
        site.set_page(path, html)
    export = tmp_path / "links.csv"
    export.write_text("source_url,target\n" + "".join(f"{site.url(p)},mysite.com\n" for p in (*PAGES, *extra)))
    linkwatch(env, "import", str(export))
    linkwatch(env, "run", "--once")
    site.set_page("/unlinked", article(LINKED.format(href="x").replace('<a href="x">Linkwatch</a>', "Linkwatch")))
    site.set_page("/removed", article(None))
    site.set_page("/rewritten", article(None, REWRITTEN))
    site.set_page("/moved", linked("https://www.rival.example/tool"))
    for path, (_, html) in extra.items():
        site.set_page(path, html)
    linkwatch(env, "run", "--once", "--all")
    linkwatch(env, "run", "--once", "--all")  # the second miss confirms the losses
    return env


def lost_events(env: dict[str, str], site: TestSite) -> dict[str, dict[str, Any]]:
    """The `lost` events of `linkwatch events --json`, by page path."""
    import json

    out = linkwatch(env, "events", "--json", "--type", "lost").stdout
    events = [json.loads(line) for line in out.splitlines() if line.strip()]
    return {event["source_url"].removeprefix(site.url("")): event for event in events}
