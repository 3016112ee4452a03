"""Many users at once, briefly: 20 simulated users ask through the served app's API — the
Gradio API, the OpenAI-compatible API and MCP — for 15 s each (the 60 s run is
`bench/load.py [--surface openai|mcp]`, recorded in docs/reliability.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from qkdnassist.answer import Assistant
from qkdnassist.config import Settings
from qkdnassist.search.retrieve import Searcher

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from load import run_load

QUESTIONS = [
    "Which URL does a slave SAE call to get keys with key IDs?",
    "What is the size in bytes of the ML-KEM-768 encapsulation key?",
    "What do the QIRG principles say about Bell pairs?",
    "Which agencies wrote the position paper on QKD?",
    "How many physical qubits does Google's Willow quantum processor have?",
]


@pytest.mark.slow
def test_twenty_users_at_once_get_answers_without_errors(subset_index: Settings, searcher: Searcher) -> None:
    result = run_load(Assistant(searcher), subset_index, QUESTIONS, users=20, seconds=15)
    assert result["errors"] == 0, result["error_samples"]
    assert result["answered"] >= 20
    assert result["rss_mb_end"] - result["rss_mb_start"] < 300, result  # no runaway growth


@pytest.mark.slow
@pytest.mark.parametrize("surface", ["openai", "mcp"])
def test_twenty_api_clients_at_once_get_answers_without_errors(
    subset_index: Settings, searcher: Searcher, surface: str
) -> None:
    result = run_load(Assistant(searcher), subset_index, QUESTIONS, users=20, seconds=15, surface=surface)
    print(result)  # the run's latencies and memory, for the record (pytest -s)
    assert result["errors"] == 0, result["error_samples"]
    assert result["answered"] >= 20, result
