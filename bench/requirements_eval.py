"""Requirements: recall, precision and strength of the extracted normative statements
against a hand-checked set.

    QKDN_INDEX=index .venv/bin/python bench/requirements_eval.py [--gold bench/questions/requirements.jsonl]

The gold file has scope lines ({"scope": doc, "clauses": [...]}: the clauses scored, all
of them when empty) and one line a requirement ({"doc", "clause", "page", "strength",
"text"}), checked by hand against the pages: a whole sentence or table row that states
a requirement, recommendation, permission or possibility by the body's drafting rules
(notes, examples, boilerplate and descriptions are not). An extracted statement matches
a gold one of the same document and clause when their texts agree (case, spacing and
punctuation aside; one may be a truncation of the other). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from qkdnassist.config import load_settings
from qkdnassist.store.index import Index
from qkdnassist.workflows.requirements import document_requirements

HERE = Path(__file__).resolve().parent


def _norm(text: str) -> str:
    return re.sub(r"\W+", "", text.lower())


def _inside(clause: str, prefixes: list[str]) -> bool:
    return not prefixes or any(clause == p or clause.startswith(p + ".") for p in prefixes)


def score(index: Index, gold: list[dict[str, object]]) -> dict[str, object]:
    """Recall, precision and strength accuracy, per document and overall."""
    scopes = [(str(row["scope"]), list(row["clauses"])) for row in gold if "scope" in row]  # type: ignore[call-overload]
    wanted = [row for row in gold if "scope" not in row]
    per_doc: dict[str, dict[str, object]] = {}
    totals = {"gold": 0, "extracted": 0, "matched": 0, "strength_right": 0}
    errors: list[str] = []
    for doc, prefixes in scopes:
        found = [r for r in document_requirements(index, doc).requirements if _inside(r.clause, prefixes)]
        expected = [row for row in wanted if row["doc"] == doc]
        unmatched = list(range(len(found)))
        matched = strength_right = 0
        for row in expected:
            text = _norm(str(row["text"]))
            hit = next(
                (i for i in unmatched if found[i].clause == row["clause"] and _agree(_norm(found[i].text), text)), None
            )
            if hit is None:
                errors.append(f"{doc} {row['clause']}: missed: {str(row['text'])[:100]}")
                continue
            unmatched.remove(hit)
            matched += 1
            if found[hit].strength == row["strength"]:
                strength_right += 1
            else:
                errors.append(f"{doc} {row['clause']}: strength {found[hit].strength} (gold {row['strength']})")
        errors += [f"{doc} {found[i].clause}: not a requirement: {found[i].text[:100]}" for i in unmatched]
        per_doc[doc] = {"gold": len(expected), "extracted": len(found), "matched": matched}
        for key, value in zip(totals, (len(expected), len(found), matched, strength_right), strict=True):
            totals[key] += value
    return {
        **totals,
        "recall": round(totals["matched"] / max(totals["gold"], 1), 3),
        "precision": round(totals["matched"] / max(totals["extracted"], 1), 3),
        "strength_accuracy": round(totals["strength_right"] / max(totals["matched"], 1), 3),
        "documents": per_doc,
        "errors": errors,
    }


def _agree(a: str, b: str) -> bool:
    return a == b or (min(len(a), len(b)) >= 30 and (a.startswith(b) or b.startswith(a)))


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args.add_argument("--gold", type=Path, default=HERE / "questions" / "requirements.jsonl")
    options = args.parse_args()
    gold = [json.loads(line) for line in options.gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    print(json.dumps(score(Index.existing(load_settings()), gold), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
