"""The fitted numbers are the fitting script's output: refitting on the shipped feature
table of the development sets' fit split reproduces ``answer/calibration.json``, and
refitting the coverage signals of the development topics reproduces its coverage model
(pure: no index, no model). ``make bench`` checks the feature table against a fresh
index (``bench/calibrate.py --check``)."""

from __future__ import annotations

import gzip
import json

import calibrate
import coverage_eval
from qkdnassist.answer.calibration import CALIBRATION_FILE, Calibration, calibration


def test_refitting_the_shipped_features_reproduces_the_calibration_file() -> None:
    shipped = json.loads(CALIBRATION_FILE.read_text())
    table = calibrate.read_features()
    assert {q["id"].split("-")[0] for q in table["questions"]} >= {"fa", "fb", "un", "co"}
    refit = calibrate.calibration_data(table, shipped["coverage"])
    assert calibrate.compare(refit, shipped)


def test_refitting_the_coverage_signals_reproduces_the_coverage_model() -> None:
    shipped = json.loads(CALIBRATION_FILE.read_text())["coverage"]
    table = json.loads(gzip.decompress(coverage_eval.FEATURES.read_bytes()))
    assert table["signals"] == list(shipped["weights"]) or set(table["signals"]) == set(shipped["weights"])
    model, quality = coverage_eval.coverage_model(table)
    assert model == shipped
    assert quality["held_out_5_fold"][0] >= 0.85  # recall on topics not seen in the fold's fit


def test_the_fit_never_sees_the_test_split() -> None:
    table = calibrate.read_features()
    fitted = {q["id"] for q in table["questions"]}
    for name in ("facts.jsonl", "unanswerable.jsonl", "coordination.jsonl"):
        for q in calibrate.load(calibrate.QUESTIONS / name):
            assert (q["id"] in fitted) == (q["split"] == "fit"), q["id"]


def test_the_calibration_file_loads_with_every_model() -> None:
    loaded = calibration()
    assert isinstance(loaded, Calibration)
    assert set(loaded.statement.weights) == set(calibrate.feature_names())
    assert set(loaded.abstain.weights) == set(calibrate.ABSTAIN)
    assert 0 < loaded.abstain.threshold < 1
