"""Worker processes in which one call fails alone: a worker that dies or hangs costs
that call, never the others, and leaves no process behind."""

from __future__ import annotations

import multiprocessing
import time

import pytest

from failing_workers import fail_to_start, misbehave
from qkdnassist.errors import QkdnError
from qkdnassist.workers import Lost, run_each


def test_a_dying_or_hanging_worker_fails_its_call_alone() -> None:
    calls = [("a",), ("sigkill",), ("b",), ("hang",), ("exit",), ("c",)]
    started = time.monotonic()
    results = dict(run_each(misbehave, calls, processes=2, timeout=3))
    assert results == {
        0: "A",
        1: Lost(timed_out=False, how="killed by SIGKILL, out of memory?"),
        2: "B",
        3: Lost(timed_out=True, how="killed after 3 s"),
        4: Lost(timed_out=False, how="exit code 3"),
        5: "C",
    }
    assert time.monotonic() - started < 30
    assert multiprocessing.active_children() == []  # the hung worker was killed


def test_an_exception_in_a_call_is_raised_and_every_worker_stopped() -> None:
    with pytest.raises(ValueError, match="raised on purpose") as caught:
        list(run_each(misbehave, [("hang",), ("raise",)], processes=2, timeout=60))
    assert "in the worker process" in caught.value.__notes__[0]
    assert multiprocessing.active_children() == []


def test_a_worker_that_cannot_start_is_an_error_not_a_lost_call() -> None:
    with pytest.raises(QkdnError, match=r"could not start \(exit code 4"):
        list(run_each(misbehave, [("a",)], processes=1, timeout=60, initializer=fail_to_start))


def test_closing_early_stops_the_workers() -> None:
    results = run_each(misbehave, [("a",), ("hang",), ("b",)], processes=2, timeout=60)
    next(results)
    results.close()
    assert multiprocessing.active_children() == []
