"""Metadata without the manifest: how much of each document's identity qkdnassist finds
on its own, against the project manifest (``corpus/manifest.tsv``, checked by hand).

    .venv/bin/python bench/metadata_eval.py [--corpus ../shared/corpus] [--extra ../shared/corpus-editions]

For every file of the corpus folders the title pages are read and the identity is
detected as ingest does without a manifest (:func:`qkdnassist.metadata.detect_info`),
then typed and dated as the catalogue does (:mod:`qkdnassist.editions`). Compared per
field: doc_id (case and spacing aside), body, edition (the digits), date (ISO, to the
month) and draft/final status. Documents the manifest does not list (the editions)
are compared against the truth written below. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# Truth for documents the project manifest does not list, and the status of every
# document (the manifest has no status column): drafts are drafts.
EXTRA_TRUTH = {
    "ietf/draft-ietf-tls-hybrid-design-05.txt": {
        "doc_id": "draft-ietf-tls-hybrid-design",
        "body": "IETF",
        "edition": "05",
        "date": "2022-08",
    },
    "ietf/draft-ietf-tls-hybrid-design-16.txt": {
        "doc_id": "draft-ietf-tls-hybrid-design",
        "body": "IETF",
        "edition": "16",
        "date": "2025-09",
    },
}
DRAFTS = ("ietf/", "gov/sg_csa_govtech_imda_quantum_safe_handbook_draft_2025.pdf")


def _norm(field: str, value: str) -> str:
    value = " ".join(value.split()).lower()
    if field == "edition":
        return ".".join(re.findall(r"\d+", value)) or value
    if field == "date":
        return value[:7]
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--extra", type=Path, default=ROOT.parent / "shared" / "corpus-editions")
    args = parser.parse_args()

    from qkdnassist.editions import classify, iso_date
    from qkdnassist.metadata import detect_info, load_manifest
    from qkdnassist.readers import read_pages

    manifest = {e.path: e.info for e in load_manifest(ROOT / "corpus" / "manifest.tsv").entries}
    fields = ("doc_id", "body", "edition", "date", "status")
    right = dict.fromkeys(fields, 0)
    total = dict.fromkeys(fields, 0)
    wrong: list[dict[str, Any]] = []
    for folder in (args.corpus, args.extra):
        for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".pdf", ".txt", ".docx", ".md")):
            source = path.relative_to(folder).as_posix()
            if source.upper().startswith(("MANIFEST", "README")):
                continue
            pages = read_pages(path, source)
            info = detect_info(pages, source)
            head = "\n".join(p.text for p in pages[:3])
            found = {
                "doc_id": info.doc_id,
                "body": info.body,
                "edition": info.edition,
                "date": iso_date(info.date) or iso_date(info.edition),
                "status": classify(info, head).status,
            }
            if source in manifest:
                known = manifest[source]
                truth = {"doc_id": known.doc_id, "body": known.body, "edition": known.edition, "date": known.date}
            elif source in EXTRA_TRUTH:
                truth = dict(EXTRA_TRUTH[source])
            else:
                continue
            truth["status"] = "draft" if source.startswith(DRAFTS) else "published"
            for field in fields:
                if not truth.get(field):
                    continue
                total[field] += 1
                if _norm(field, found[field]) == _norm(field, truth[field]):
                    right[field] += 1
                else:
                    wrong.append({"source": source, "field": field, "found": found[field], "truth": truth[field]})
    n = sum(total.values())
    print(
        json.dumps(
            {
                "fields_right": round(sum(right.values()) / n, 3) if n else 0.0,
                "by_field": {f: f"{right[f]}/{total[f]}" for f in fields},
                "wrong": wrong,
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
