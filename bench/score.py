"""Retrieval metrics over a question set with gold document, pages and answer strings.

A question counts as
- answer-in-top-5 when every answer string appears in the text of the top 5 hits,
- right-document@5 when a top-5 hit comes from the gold source,
- right-page@5 when a top-5 hit from the gold source covers a gold page.
Text is compared case-blind with white space collapsed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Hits = list[dict[str, Any]]


def normalise(text: str) -> str:
    return " ".join(text.split()).casefold()


def load_questions(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@dataclass
class Scores:
    n: int
    answer_at_5: float
    doc_at_5: float
    page_at_5: float
    misses: list[str]

    def row(self) -> str:
        return f"{self.answer_at_5:.3f} | {self.page_at_5:.3f} | {self.doc_at_5:.3f}"


def judge(question: dict[str, Any], hits: Hits) -> tuple[bool, bool, bool]:
    top = hits[:5]
    text = " \n ".join(normalise(h["text"]) for h in top)
    answer = all(normalise(a) in text for a in question["answers"])
    doc = any(h["source"] == question["source"] for h in top)
    gold = set(question["pages"])
    page = any(h["source"] == question["source"] and any(h["page"] <= p <= h["page_end"] for p in gold) for h in top)
    return answer, doc, page


def score(questions: Iterable[dict[str, Any]], search: Callable[[str], Hits]) -> Scores:
    counts = [0, 0, 0]
    misses = []
    questions = list(questions)
    for q in questions:
        results = judge(q, search(q["question"]))
        for i, ok in enumerate(results):
            counts[i] += ok
        if not all(results):
            misses.append(f"{q['id']}: answer={results[0]} doc={results[1]} page={results[2]}")
    n = len(questions) or 1
    return Scores(len(questions), counts[0] / n, counts[1] / n, counts[2] / n, misses)
