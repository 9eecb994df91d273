"""CPU per page of `crawler.extract.extract_page` alone, on the farm's pages and on the corpus cases.

    python -m bench.extract_cpu [--rounds 7] [--name NAME] [--bare]

Farm pages: each corpus template with the farm's one injected link (bench.farm), the target its domain:
what a crawl of the farm extracts.  Farm pages, link lost: the same pages asked for a target they do not
link to, so the page's links are read too (for where a lost link went).  Corpus cases: each case's page and
target (../shared/corpus/cases.json), a few to hundreds of reported links per page: where reading each
link's context and position (crawler.context) shows.  The median and the minimum of the rounds, in ms of
process CPU per page; to compare two versions, run both back to back (PYTHONPATH pointing at the other's
sources).  `--bare`: without the page's main text and links (the extraction before issue 17), as a baseline.
Results: bench/results/NAME.json when --name is given.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from bench.farm import CORPUS_PAGES, link_html, load_templates
from crawler.extract import extract_page
from monitor.core.targets import parse_target

RESULTS = Path(__file__).resolve().parent / "results"


def pages() -> tuple[list[str], list[tuple[str, str]]]:
    """The farm pages (target mysite.example) and the corpus cases as (html, target)."""
    farm = [(t.head + link_html("follow", "mysite.example", n) + t.tail).decode("utf-8", "replace")
            for n, t in enumerate(load_templates(CORPUS_PAGES))]
    cases = json.loads((CORPUS_PAGES.parent / "cases.json").read_text(encoding="utf-8"))["cases"]
    corpus = [((CORPUS_PAGES / c["file"]).read_bytes().decode("utf-8", "replace"), c["target"]) for c in cases]
    return farm, corpus


def one_round(farm: list[str], corpus: list[tuple[str, str]]) -> tuple[float, float, float]:
    """ms of CPU per page: (farm, farm with the link lost, corpus cases)."""
    target, absent = [parse_target("mysite.example")], [parse_target("absent.example")]
    started = time.process_time()
    for html in farm:
        extract_page(html, "https://blog.test/p", target)
    farm_done = time.process_time()
    for html in farm:
        extract_page(html, "https://blog.test/p", absent)
    lost_done = time.process_time()
    for html, case_target in corpus:
        extract_page(html, "http://127.0.0.1:8000/corpus/visible/page.html", [parse_target(case_target)])
    ended = time.process_time()
    return ((farm_done - started) * 1000 / len(farm), (lost_done - farm_done) * 1000 / len(farm),
            (ended - lost_done) * 1000 / len(corpus))


def bare() -> None:
    """extract_page without the main text and the page's links (what it did before issue 17)."""
    import crawler.extract
    import crawler.main_text

    empty = {"main_text": lambda *args, **kwargs: "", "page_links": lambda *args, **kwargs: ()}
    for module in (crawler.extract, crawler.main_text):
        for name, function in empty.items():
            if hasattr(module, name):
                setattr(module, name, function)
    if hasattr(crawler.main_text, "PageLinks"):  # the version that read the links in the extraction's loop
        crawler.main_text.PageLinks.consider = lambda *args: None  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--name")
    parser.add_argument("--bare", action="store_true", help="without the main text and the page's links")
    args = parser.parse_args()
    if args.bare:
        bare()
    farm, corpus = pages()
    one_round(farm, corpus)  # warm-up
    rounds = [one_round(farm, corpus) for _ in range(args.rounds)]
    result = {
        name: {"median_ms": round(statistics.median(r[i] for r in rounds), 3),
               "min_ms": round(min(r[i] for r in rounds), 3), "pages": len(pages_of)}
        for i, (name, pages_of) in enumerate((("farm", farm), ("farm_link_lost", farm), ("corpus_cases", corpus)))
    }
    print(json.dumps(result))
    if args.name:
        (RESULTS / f"{args.name}.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
