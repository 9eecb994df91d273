"""CPU per page of `crawler.extract.extract_page` alone, on the farm's pages and on the corpus cases.

    python -m bench.extract_cpu [--rounds 7] [--name NAME]

Farm pages: each corpus template with the farm's one injected link (bench.farm), the target its domain:
what a crawl of the farm extracts.  Corpus cases: each case's page and target (../shared/corpus/cases.json),
a few to hundreds of reported links per page: where reading each link's context and position
(crawler.context) shows.  The median and the minimum of the rounds, in ms of process CPU per page; to
compare two versions, run both back to back (PYTHONPATH pointing at the other's sources).
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


def one_round(farm: list[str], corpus: list[tuple[str, str]]) -> tuple[float, float]:
    """ms of CPU per page: (farm, corpus cases)."""
    target = [parse_target("mysite.example")]
    started = time.process_time()
    for html in farm:
        extract_page(html, "https://blog.test/p", target)
    middle = time.process_time()
    for html, case_target in corpus:
        extract_page(html, "http://127.0.0.1:8000/corpus/visible/page.html", [parse_target(case_target)])
    ended = time.process_time()
    return (middle - started) * 1000 / len(farm), (ended - middle) * 1000 / len(corpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--name")
    args = parser.parse_args()
    farm, corpus = pages()
    one_round(farm, corpus)  # warm-up
    rounds = [one_round(farm, corpus) for _ in range(args.rounds)]
    result = {
        name: {"median_ms": round(statistics.median(r[i] for r in rounds), 3),
               "min_ms": round(min(r[i] for r in rounds), 3), "pages": len(pages_of)}
        for i, (name, pages_of) in enumerate((("farm", farm), ("corpus_cases", corpus)))
    }
    print(json.dumps(result))
    if args.name:
        (RESULTS / f"{args.name}.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
