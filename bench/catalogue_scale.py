"""How long the catalogue and the edition chooser take for a thousand documents.

    .venv/bin/python bench/catalogue_scale.py [--documents 1000]

Synthetic records shaped like the sample's (a third of the documents in lineages of
two or three editions, one shared-number pair in fifty) with a first page each; the
catalogue is built from records and pages as ``qkdnassist catalogue`` builds it, and
the chooser as a search snapshot does. Prints one JSON object (seconds, best of 3).
"""

from __future__ import annotations

import argparse
import json
import random
import time

from qkdnassist.editions import EditionChooser
from qkdnassist.types import DocumentInfo, DocumentRecord, Page
from qkdnassist.workflows.catalogue import catalogue_of

WORDS = "quantum key distribution network trusted node relay hybrid exchange lattice signature migration".split()


def records(n: int, seed: int = 7) -> tuple[list[DocumentRecord], dict[str, list[Page]]]:
    rng = random.Random(seed)
    out, pages = [], {}
    number = 0
    while len(out) < n:
        number += 1
        title = " ".join(rng.sample(WORDS, 5))
        editions = rng.choice((1, 1, 2, 3))
        for e in range(editions):
            source = f"body{number % 7}/doc{number}-v{e + 1}.pdf"
            info = DocumentInfo(
                f"ETSI GS QKD {number:03d}",
                title=title,
                body="ETSI",
                edition=f"V{e + 1}.1.1",
                date=f"{2015 + e}-0{e + 1}",
            )
            out.append(DocumentRecord(source, "0" * 64, info, 20, 40, ""))
            pages[source] = [Page(1, f"ETSI GS QKD {number:03d} V{e + 1}.1.1\n1 Scope\n{title} " * 5)]
    return out[:n], pages


def best_of(run, times: int = 3) -> float:
    best = float("inf")
    for _ in range(times):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return round(best, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=1000)
    args = parser.parse_args()
    recs, pages = records(args.documents)
    chooser = EditionChooser(recs)
    print(
        json.dumps(
            {
                "documents": len(recs),
                "documents_with_editions": len(chooser.documents),
                "catalogue_s": best_of(lambda: catalogue_of(recs, pages)),
                "edition_chooser_build_s": best_of(lambda: EditionChooser(recs)),
                "exclusions_per_query_ms": round(
                    1000 * best_of(lambda: [chooser.exclusions(f"question {i} of 2016") for i in range(100)]) / 100, 3
                ),
            }
        )
    )


if __name__ == "__main__":
    main()
