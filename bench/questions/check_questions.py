#!/usr/bin/env python3
"""Validate the development question sets of ``bench/questions/``.

    .venv/bin/python bench/questions/check_questions.py [--corpus DIR] [--editions DIR]

Files and what is checked in each (every record: known fields and types, unique id,
``split`` is "fit" or "test"; every file: at least a quarter in the frozen test split):

* ``facts.jsonl`` — answerable fact questions over the sample corpus
  ``{"id", "question", "source", "pages", "answers", "kind", "paraphrase", "split"}``:
  the source exists, the gold pages are in range, 1-3 answers, each answer stands on
  a gold page. At least 200 questions, 60 paraphrased, 40 whose answer is in a table.
* ``editions.jsonl`` — the same over ``draft-ietf-tls-hybrid-design`` -05/-16 in the
  editions corpus, plus ``edition`` ("any", "current" or "-05").
* ``unanswerable.jsonl`` — ``{"id", "question", "kind": "unanswerable", "trap",
  "absent", …}``: each ``absent`` string occurs on no page of either corpus (the
  question names something neither holds). At least 100.
* ``coordination.jsonl`` — ``{"id", "question", "kind": "coordination", "gold": [{"source",
  "body", "pages", "quote"}], …}``: two bodies at least, every gold quote stands on
  one of its pages. At least 40.

Page text is what the index stores: the project's own readers (pypdf pages, ruled
tables rebuilt row by row, text files split on form feeds), compared case-blind with
white space collapsed. Exits 1 when there is any problem.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
KINDS = {"exact", "table", "definition", "synonym", "identifier"}
MINIMUM = {"facts.jsonl": 200, "unanswerable.jsonl": 100, "coordination.jsonl": 40, "editions.jsonl": 20}
TEST_SHARE = 0.25


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


class Corpus:
    """Page texts of a corpus folder as the project's readers give them (cached)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._pages: dict[str, list[str]] = {}

    def pages(self, source: str) -> list[str] | None:
        if source not in self._pages:
            path = self.root / source
            if not path.is_file():
                return None
            from qkdnassist.readers import read_pages

            self._pages[source] = [normalise(p.text) for p in read_pages(path, source)]
        return self._pages[source]

    def everything(self) -> list[str]:
        from qkdnassist.readers import SUPPORTED_SUFFIXES

        for path in sorted(self.root.rglob("*")):
            if path.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES and path.name != "MANIFEST.tsv":
                self.pages(path.relative_to(self.root).as_posix())
        return [text for pages in self._pages.values() for text in pages]


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def check_fact(q: dict[str, Any], corpus: Corpus) -> list[str]:
    problems = []
    if q.get("kind") not in KINDS:
        problems.append(f"unknown kind {q.get('kind')!r}")
    if not isinstance(q.get("paraphrase"), bool):
        problems.append("'paraphrase' must be true or false")
    pages = corpus.pages(q.get("source") or "")
    if pages is None:
        return [*problems, f"source not found: {q.get('source')}"]
    gold = q.get("pages") or []
    if not gold or any(not 1 <= p <= len(pages) for p in gold):
        problems.append(f"gold pages {gold} out of range 1..{len(pages)}")
    answers = q.get("answers") or []
    if not 1 <= len(answers) <= 3:
        problems.append(f"expected 1-3 answers, got {len(answers)}")
    for answer in answers:
        if not any(normalise(answer) in pages[p - 1] for p in gold if 1 <= p <= len(pages)):
            problems.append(f"answer {answer!r} not on gold page(s) {gold}")
    return problems


def check_unanswerable(q: dict[str, Any], everything: list[str]) -> list[str]:
    problems = []
    if q.get("kind") != "unanswerable" or q.get("answers") or q.get("pages") or q.get("source") is not None:
        problems.append("an unanswerable record has kind 'unanswerable', source null and no pages or answers")
    absent = q.get("absent") or []
    if not absent and not q["id"].startswith("unans-"):  # the first 30 predate the field
        problems.append("no 'absent' strings")
    for text in absent:
        if any(normalise(text) in page for page in everything):
            problems.append(f"'absent' string {text!r} occurs in the corpus")
    return problems


def check_coordination(q: dict[str, Any], corpora: list[Corpus]) -> list[str]:
    problems = []
    gold = q.get("gold") or []
    if len({g.get("body") for g in gold}) < 2:
        problems.append("gold documents must span two bodies at least")
    for g in gold:
        pages = next((p for c in corpora if (p := c.pages(g.get("source", ""))) is not None), None)
        if pages is None:
            problems.append(f"gold source not found: {g.get('source')}")
            continue
        quote = normalise(g.get("quote", ""))
        if not quote or not any(quote in pages[p - 1] for p in g.get("pages", []) if 1 <= p <= len(pages)):
            problems.append(f"gold quote not on pages {g.get('pages')} of {g.get('source')}")
    return problems


def check_file(name: str, corpus: Corpus, editions: Corpus) -> tuple[list[str], list[dict[str, Any]]]:
    records = load(HERE / name)
    problems: list[str] = []
    seen: set[str] = set()
    everything = corpus.everything() + editions.everything() if name == "unanswerable.jsonl" else []
    for q in records:
        label = q.get("id", "?")
        mine = []
        if label in seen:
            mine.append("duplicate id")
        seen.add(label)
        if not isinstance(q.get("question"), str) or not q["question"].strip():
            mine.append("no question")
        if q.get("split") not in ("fit", "test"):
            mine.append("split must be 'fit' or 'test'")
        if name == "facts.jsonl":
            mine += check_fact(q, corpus)
        elif name == "editions.jsonl":
            mine += check_fact(q, editions)
            if q.get("edition") not in ("any", "current", "-05"):
                mine.append(f"unknown edition {q.get('edition')!r}")
        elif name == "unanswerable.jsonl":
            mine += check_unanswerable(q, everything)
        elif name == "coordination.jsonl":
            mine += check_coordination(q, [corpus, editions])
        problems += [f"{label}: {m}" for m in mine]
    if len(records) < MINIMUM[name]:
        problems.append(f"{len(records)} questions, at least {MINIMUM[name]} wanted")
    test = sum(q.get("split") == "test" for q in records)
    if test < TEST_SHARE * len(records):
        problems.append(f"only {test} of {len(records)} in the test split (at least a quarter wanted)")
    if name == "facts.jsonl":
        if sum(bool(q.get("paraphrase")) for q in records) < 60:
            problems.append("fewer than 60 paraphrased questions")
        if sum(q.get("kind") == "table" for q in records) < 40:
            problems.append("fewer than 40 table questions")
    return problems, records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--editions", type=Path, default=ROOT.parent / "shared" / "corpus-editions")
    args = parser.parse_args(argv)
    corpus, editions = Corpus(args.corpus), Corpus(args.editions)
    total = 0
    for name in MINIMUM:
        problems, records = check_file(name, corpus, editions)
        splits = Counter(q.get("split") for q in records)
        kinds = Counter(q.get("kind") for q in records)
        extra = f", paraphrased {sum(bool(q.get('paraphrase')) for q in records)}" if name.startswith("facts") else ""
        print(f"== {name}: {len(records)} ({dict(splits)}; {dict(kinds)}{extra})")
        for problem in problems:
            print(f"  PROBLEM: {problem}")
        total += len(problems)
    print(f"problems: {total}")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
