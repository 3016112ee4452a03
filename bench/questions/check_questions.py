#!/usr/bin/env python3
"""Validate a qkdnassist benchmark question file (JSON Lines).

Each line of the question file is one JSON object::

    {"id": "etsi014-01", "question": "...", "source": "etsi/gs_qkd_014_v1.1.1.pdf",
     "pages": [11], "answers": ["..."], "kind": "identifier"}

Checks performed for every record:

* the record has exactly the expected fields with the expected types;
* ``id`` is unique within the file and ``kind`` is a known kind;
* answerable records: ``source`` exists under the corpus root, every gold page
  is within the document's page range, there are 1-3 answers, and every answer
  string occurs on at least one of the gold pages;
* unanswerable records (``kind == "unanswerable"``): ``source`` is null and
  ``pages`` / ``answers`` are empty.

Page numbering follows the benchmark convention:

* PDF: 1-based physical page index, i.e. ``pypdf.PdfReader(path).pages[page - 1]``,
  text taken from ``page.extract_text()``;
* plain text: the file is split on form-feed characters (``"\\f"``) and page N is
  the N-th piece (a file without form feeds has only page 1).

Answers are compared case-insensitively after collapsing every run of
whitespace to a single space (on both the answer and the page text).

Usage::

    python check_questions.py [QUESTIONS.jsonl ...] [--corpus DIR]

With no file argument, ``dev.jsonl`` next to this script is checked. The
script prints every problem found, then counts per document and per kind, and
exits with status 1 if there was any problem.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from pypdf import PdfReader

DEFAULT_CORPUS = Path("/work/shared/corpus")
DEFAULT_QUESTIONS = Path(__file__).resolve().parent / "dev.jsonl"

ANSWERABLE_KINDS = {"exact", "table", "definition", "synonym", "identifier"}
UNANSWERABLE_KIND = "unanswerable"
EXPECTED_FIELDS = {"id", "question", "source", "pages", "answers", "kind"}
MAX_ANSWERS = 3

_WHITESPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Lower-case ``text`` and collapse all whitespace runs to one space."""
    return _WHITESPACE.sub(" ", text).strip().lower()


class Corpus:
    """Lazily extracted, cached page texts of the corpus documents."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._pages: dict[str, list[str]] = {}

    def exists(self, source: str) -> bool:
        """Return True if ``source`` names a file under the corpus root."""
        return (self.root / source).is_file()

    def pages(self, source: str) -> list[str]:
        """Return the normalized text of every page of ``source`` (index 0 = page 1)."""
        if source not in self._pages:
            self._pages[source] = [normalize(t) for t in self._extract(self.root / source)]
        return self._pages[source]

    @staticmethod
    def _extract(path: Path) -> list[str]:
        if path.suffix.lower() == ".pdf":
            return [page.extract_text() or "" for page in PdfReader(path).pages]
        return path.read_text(encoding="utf-8").split("\f")


def load_records(path: Path) -> tuple[list[tuple[int, dict[str, Any]]], list[str]]:
    """Parse a JSONL file; return (line number, record) pairs and parse problems."""
    records: list[tuple[int, dict[str, Any]]] = []
    problems: list[str] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"line {lineno}: invalid JSON ({exc})")
                continue
            if not isinstance(obj, dict):
                problems.append(f"line {lineno}: not a JSON object")
                continue
            records.append((lineno, obj))
    return records, problems


def check_shape(rec: dict[str, Any]) -> list[str]:
    """Check field names and types common to all records."""
    problems: list[str] = []
    keys = set(rec)
    if keys != EXPECTED_FIELDS:
        missing, extra = EXPECTED_FIELDS - keys, keys - EXPECTED_FIELDS
        if missing:
            problems.append(f"missing fields {sorted(missing)}")
        if extra:
            problems.append(f"unexpected fields {sorted(extra)}")
    if not isinstance(rec.get("id"), str) or not rec.get("id"):
        problems.append("'id' must be a non-empty string")
    if not isinstance(rec.get("question"), str) or not rec.get("question", "").strip():
        problems.append("'question' must be a non-empty string")
    kind = rec.get("kind")
    if kind not in ANSWERABLE_KINDS | {UNANSWERABLE_KIND}:
        problems.append(f"unknown kind {kind!r}")
    pages = rec.get("pages")
    if not isinstance(pages, list) or not all(isinstance(p, int) and not isinstance(p, bool) for p in pages):
        problems.append("'pages' must be a list of integers")
    answers = rec.get("answers")
    if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
        problems.append("'answers' must be a list of strings")
    return problems


def check_unanswerable(rec: dict[str, Any]) -> list[str]:
    """Check that an unanswerable record carries no source, pages or answers."""
    problems: list[str] = []
    if rec.get("source") is not None:
        problems.append("unanswerable record must have source null")
    if rec.get("pages"):
        problems.append("unanswerable record must have empty pages")
    if rec.get("answers"):
        problems.append("unanswerable record must have empty answers")
    return problems


def check_answerable(rec: dict[str, Any], corpus: Corpus) -> list[str]:
    """Check source, page range and answer presence of an answerable record."""
    source = rec.get("source")
    if not isinstance(source, str) or not source:
        return ["'source' must be a non-empty path relative to the corpus root"]
    if not corpus.exists(source):
        return [f"source not found: {source}"]

    pages: list[int] = rec["pages"]
    answers: list[str] = rec["answers"]
    problems: list[str] = []
    if not pages:
        problems.append("no gold pages")
    if len(set(pages)) != len(pages):
        problems.append(f"duplicate gold pages {pages}")
    if not 1 <= len(answers) <= MAX_ANSWERS:
        problems.append(f"expected 1-{MAX_ANSWERS} answers, got {len(answers)}")

    texts = corpus.pages(source)
    valid_pages = [p for p in pages if 1 <= p <= len(texts)]
    for p in pages:
        if p not in valid_pages:
            problems.append(f"page {p} out of range 1..{len(texts)}")

    for answer in answers:
        needle = normalize(answer)
        if not needle:
            problems.append("empty answer string")
        elif not any(needle in texts[p - 1] for p in valid_pages):
            problems.append(f"answer {answer!r} not found on gold page(s) {pages}")
    return problems


def check_file(path: Path, corpus: Corpus) -> tuple[list[str], list[dict[str, Any]]]:
    """Check one question file; return its problems and the parsed records."""
    records, problems = load_records(path)
    seen: dict[str, int] = {}
    for lineno, rec in records:
        label = f"line {lineno} ({rec.get('id', '?')})"
        rec_problems = check_shape(rec)
        if not rec_problems:  # content checks need well-formed fields
            if rec["kind"] == UNANSWERABLE_KIND:
                rec_problems = check_unanswerable(rec)
            else:
                rec_problems = check_answerable(rec, corpus)
        qid = rec.get("id")
        if isinstance(qid, str):
            if qid in seen:
                rec_problems.append(f"duplicate id (first on line {seen[qid]})")
            else:
                seen[qid] = lineno
        problems.extend(f"{label}: {msg}" for msg in rec_problems)
    return problems, [rec for _, rec in records]


def print_counts(records: list[dict[str, Any]]) -> None:
    """Print the number of questions per source document and per kind."""
    by_source = Counter(str(r.get("source")) for r in records)
    by_kind = Counter(str(r.get("kind")) for r in records)
    width = max((len(s) for s in by_source), default=0)
    print("  per document:")
    for source, n in sorted(by_source.items()):
        print(f"    {source:<{width}}  {n:3d}")
    print("  per kind:")
    for kind, n in sorted(by_kind.items()):
        print(f"    {kind:<12}  {n:3d}")
    print(f"  total: {len(records)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "files", nargs="*", type=Path, default=[DEFAULT_QUESTIONS], help="question files to check (default: dev.jsonl)"
    )
    parser.add_argument(
        "--corpus", type=Path, default=DEFAULT_CORPUS, help=f"corpus root directory (default: {DEFAULT_CORPUS})"
    )
    args = parser.parse_args(argv)

    corpus = Corpus(args.corpus)
    total_problems = 0
    for path in args.files:
        print(f"== {path}")
        if not path.is_file():
            print(f"  PROBLEM: file not found: {path}")
            total_problems += 1
            continue
        problems, records = check_file(path, corpus)
        for msg in problems:
            print(f"  PROBLEM: {msg}")
        print_counts(records)
        print(f"  problems: {len(problems)}")
        total_problems += len(problems)
    return 1 if total_problems else 0


if __name__ == "__main__":
    sys.exit(main())
