"""The fitted numbers of the answer layer, read from ``calibration.json``.

Three logistic models, fitted by ``bench/calibrate.py`` on the *fit* split of the
development questions (``bench/questions/*.jsonl``; the *test* split is never used
for fitting) and written to the data file beside this module:

- ``statement``: the probability that a candidate statement holds the answer, from
  the features of :mod:`.evidence` (question words it covers, dense similarity, the
  value type asked for, rank of its passage, …). It picks the lead statement and the
  supporting ones.
- ``abstain``: the probability that the evidence answers the question at all, from
  :class:`Signals`. Below its threshold the assistant abstains.
- ``coverage``: the probability that a document treats a topic (the coverage check).

The code never carries fitted numbers itself; a test refits on the shipped
development sets and checks that it reproduces this file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["CALIBRATION_FILE", "Calibration", "Logistic", "Signals", "calibration"]

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")


@dataclass(frozen=True)
class Logistic:
    """A fitted logistic model over named features, with its decision threshold."""

    weights: dict[str, float]
    bias: float
    threshold: float = 0.5

    def probability(self, features: Mapping[str, float]) -> float:
        """The model's probability for ``features`` (missing features count as 0)."""
        z = self.bias + sum(w * features.get(name, 0.0) for name, w in self.weights.items())
        if z < -50:
            return 0.0
        return 1.0 / (1.0 + math.exp(-z))

    def as_dict(self) -> dict[str, object]:
        return {"weights": self.weights, "bias": self.bias, "threshold": self.threshold}

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Logistic:
        """A model from its JSON form ({"weights": {...}, "bias": b, "threshold": t})."""
        weights = data["weights"]
        if not isinstance(weights, Mapping):
            raise ValueError("weights must be a mapping")
        threshold = float(data.get("threshold", 0.5))
        return cls({str(k): float(v) for k, v in weights.items()}, float(data["bias"]), threshold)


@dataclass(frozen=True)
class Calibration:
    """All fitted models, and what they were fitted on."""

    statement: Logistic
    abstain: Logistic
    coverage: Logistic
    fitted_on: dict[str, object]

    def as_dict(self) -> dict[str, object]:
        return {
            "fitted_on": self.fitted_on,
            "statement": self.statement.as_dict(),
            "abstain": self.abstain.as_dict(),
            "coverage": self.coverage.as_dict(),
        }

    def save(self, path: Path = CALIBRATION_FILE) -> None:
        path.write_text(json.dumps(self.as_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path = CALIBRATION_FILE) -> Calibration:
        """Read a calibration file.

        Raises:
            CalibrationError: the file is missing or malformed.
        """
        from ..errors import CalibrationError

        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                Logistic.of(data["statement"]),
                Logistic.of(data["abstain"]),
                Logistic.of(data["coverage"]),
                dict(data.get("fitted_on", {})),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CalibrationError(f"cannot read the calibration file {path}: {exc}") from None


@lru_cache(maxsize=1)
def calibration() -> Calibration:
    """The shipped calibration (read once)."""
    return Calibration.load()


@dataclass(frozen=True)
class Signals:
    """What the abstention decision rests on (each about 0..1).

    Attributes:
        unseen: weighted share of the question's words that no indexed passage contains.
        unseen_id: 1 when the question names an identifier ("ML-DSA-128", "V1.2.1",
            "QKD 011") that no indexed passage contains.
        names: 1 when the question names something (a multi-word name) whose words
            never stand together in the corpus.
        foreign_doc: 1 when the question names a standard by number that is not
            indexed (only cited): what it says cannot be quoted.
        lead: the statement model's probability for the best statement.
        lead_rare: share of the question's heaviest words the best statement and its
            context contain — evidence that speaks to *this* question, not its topic.
        lead_dense: dense similarity of the question and the best statement.
        value_missing: 1 when the question asks for a value type (a URL, a size, a
            date, …) that none of the best three statements contains.
        value_partial: 1 when the question asks for two or more kinds of value
            ("when and where", "how many … and how long") and the best five
            statements lack one of them.
        name_absent: share of the question's proper names ("Tokyo", "Willow",
            "CACR") — other than words naming an indexed document — that the best
            three statements, their context and clause titles do not contain.
        number_missing: 1 when a number or ordinal of the question ("ninth",
            "2031") stands in none of the best five statements or their context.
        similarity: the best dense similarity of the question and a passage.
        agreement: how strongly keyword and dense search agree on the top passage.
    """

    unseen: float
    unseen_id: float
    names: float
    foreign_doc: float
    lead: float
    lead_rare: float
    lead_dense: float
    value_missing: float
    number_missing: float
    similarity: float
    agreement: float
    value_partial: float = 0.0
    name_absent: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)
