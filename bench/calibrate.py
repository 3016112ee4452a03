"""Fit the abstention model on the development questions and report how well it holds.

    .venv/bin/python bench/calibrate.py [--index index]

For every question of bench/questions/dev.jsonl (answerable) and dev_unanswerable.jsonl
it computes the evidence signals of :mod:`qkdnassist.abstain`, fits a logistic model
(L2-regularised, Newton's method; a handful of weights, so little room to overfit),
chooses the threshold, and reports in-sample and 5-fold cross-validated abstention
rates. Paste the printed weights into ``src/qkdnassist/abstain.py`` when adopting them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
NAMES = ("unseen", "coverage", "similarity", "agreement")
# The share of answerable questions the threshold may refuse on the training folds;
# kept below the target (0.10) to leave room for questions not seen in fitting.
MAX_FALSE_ABSTAIN = 0.04


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def features(assistant, question: str) -> np.ndarray:  # type: ignore[no-untyped-def]
    from qkdnassist.abstain import signals
    from qkdnassist.evidence import QueryTerms, select_quotes

    hits = assistant.searcher.search(question, assistant.k)
    terms = QueryTerms.of(question, assistant.searcher.keyword_index(), assistant.word_pieces)
    s = signals(terms, hits, select_quotes(terms, hits))
    return np.array([s.as_dict()[n] for n in NAMES])


def fit(x: np.ndarray, y: np.ndarray, l2: float = 0.1) -> tuple[np.ndarray, float]:
    """Logistic regression by Newton's method; returns (weights, bias)."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    reg = np.eye(xb.shape[1]) * l2
    reg[-1, -1] = 0.0  # the bias is not shrunk
    for _ in range(50):
        p = 1 / (1 + np.exp(-xb @ w))
        grad = xb.T @ (p - y) + reg @ w
        hess = xb.T @ (xb * (p * (1 - p))[:, None]) + reg
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1])


def predict(x: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    return 1 / (1 + np.exp(-(x @ w + b)))


def choose_threshold(p: np.ndarray, y: np.ndarray) -> float:
    """The highest threshold that refuses at most MAX_FALSE_ABSTAIN of answerable questions."""
    answerable = np.sort(p[y == 1])
    allowed = int(np.floor(MAX_FALSE_ABSTAIN * len(answerable)))
    return float(answerable[allowed]) - 1e-6


def rates(p: np.ndarray, y: np.ndarray, threshold: float) -> tuple[float, float]:
    abstain = p < threshold
    return float(abstain[y == 0].mean()), float(abstain[y == 1].mean())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=Path("index"))
    parser.add_argument("--dump", type=Path, help="write the feature table as JSON Lines")
    args = parser.parse_args()

    from qkdnassist.answer import Assistant
    from qkdnassist.config import load_settings
    from qkdnassist.embedding import Embedder
    from qkdnassist.index import Index
    from qkdnassist.retrieve import Searcher

    settings = load_settings()
    assistant = Assistant(Searcher(Index(args.index), Embedder.from_settings(settings)))
    answerable = load(HERE / "questions" / "dev.jsonl")
    unanswerable = load(HERE / "questions" / "dev_unanswerable.jsonl")
    questions = answerable + unanswerable
    x = np.array([features(assistant, q["question"]) for q in questions])
    y = np.array([1] * len(answerable) + [0] * len(unanswerable))
    if args.dump:
        with args.dump.open("w") as out:
            for q, row, label in zip(questions, x, y, strict=True):
                out.write(
                    json.dumps({"id": q["id"], "answerable": int(label), **dict(zip(NAMES, row.round(4), strict=True))})
                    + "\n"
                )

    w, b = fit(x, y)
    p = predict(x, w, b)
    threshold = choose_threshold(p, y)
    tn, fa = rates(p, y, threshold)
    print("weights:", {n: round(float(v), 3) for n, v in zip(NAMES, w, strict=True)}, "bias:", round(b, 3))
    print(f"threshold: {threshold:.3f}")
    print(f"in-sample: abstains on {tn:.3f} of unanswerable, {fa:.3f} of answerable")

    # 5-fold cross-validation, stratified, fixed seed: weights and threshold refitted per fold.
    rng = np.random.default_rng(0)
    folds = np.zeros(len(y), dtype=int)
    for label in (0, 1):
        idx = np.flatnonzero(y == label)
        folds[rng.permutation(idx)] = np.arange(len(idx)) % 5
    held = np.zeros(len(y))
    for f in range(5):
        train = folds != f
        wf, bf = fit(x[train], y[train])
        tf = choose_threshold(predict(x[train], wf, bf), y[train])
        held[~train] = predict(x[~train], wf, bf) - tf + 0.5  # shift so 0.5 is each fold's threshold
    tn, fa = rates(held, y, 0.5)
    print(f"5-fold cross-validated: abstains on {tn:.3f} of unanswerable, {fa:.3f} of answerable")
    return 0


if __name__ == "__main__":
    sys.exit(main())
