"""References: how many reference entries of the sample documents come out with the right
id and kind, and whether any is linked to the wrong indexed document.

    QKDN_INDEX=index .venv/bin/python bench/references_eval.py [--gold bench/questions/references.jsonl]

The gold file (written by hand from each document's reference clause) holds one line an
entry: the document, the entry's label, the id as the catalogue writes ids (null for a
paper, web page or law that has no standard number), the kind, and the source of the
indexed document it must resolve to (null: it must resolve to none). An entry is right
when its label, id and kind all match; a false link is an entry resolved to a document
the gold does not name. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from qkdnassist.config import load_settings
from qkdnassist.store.index import Index
from qkdnassist.workflows.references import references

HERE = Path(__file__).resolve().parent


def score(index: Index, gold: list[dict[str, str | None]]) -> dict[str, object]:
    """Per document and overall: entries right (id and kind), ids right, kinds right,
    missed and extra entries, false links."""
    docs: dict[str, list[dict[str, str | None]]] = {}
    for row in gold:
        docs.setdefault(str(row["doc"]), []).append(row)
    per_doc: dict[str, dict[str, object]] = {}
    totals = {"entries": 0, "right": 0, "id_right": 0, "kind_right": 0, "missed": 0, "extra": 0, "false_links": 0}
    wrong: list[str] = []
    for doc, rows in docs.items():
        found = {r.label: r for r in references(index, doc).references}
        right = id_right = kind_right = missed = false_links = 0
        for row in rows:
            entry = found.pop(str(row["label"]), None)
            if entry is None:
                missed += 1
                wrong.append(f"{doc} [{row['label']}]: missing")
                continue
            id_ok = (entry.id or None) == row["id"]
            kind_ok = entry.kind == row["kind"]
            id_right += id_ok
            kind_right += kind_ok
            right += id_ok and kind_ok
            if entry.resolved and entry.resolved != row["resolved"]:
                false_links += 1
            if not (id_ok and kind_ok):
                wrong.append(f"{doc} [{row['label']}]: {entry.id!r}/{entry.kind} (gold {row['id']!r}/{row['kind']})")
        extra = len(found)
        wrong += [f"{doc} [{label}]: extra" for label in found]
        per_doc[doc] = {"entries": len(rows), "right": right, "share": round(right / len(rows), 3)}
        for key, value in zip(
            totals, (len(rows), right, id_right, kind_right, missed, extra, false_links), strict=True
        ):
            totals[key] += value
    return {
        **totals,
        "share_right": round(totals["right"] / max(totals["entries"], 1), 3),
        "worst_document_share": min((float(str(d["share"])) for d in per_doc.values()), default=0.0),
        "documents": per_doc,
        "wrong": wrong,
    }


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args.add_argument("--gold", type=Path, default=HERE / "questions" / "references.jsonl")
    options = args.parse_args()
    gold = [json.loads(line) for line in options.gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    index = Index.existing(load_settings())
    print(json.dumps(score(index, gold), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
