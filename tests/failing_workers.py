"""Work that kills, hangs or breaks its worker process on purpose, for
``test_workers.py`` and ``test_ingest.py``.

Worker processes are spawned, not forked: a function a test monkeypatches in is
pickled by name and imported afresh in the worker, so it must live in a module the
worker can import (this folder is on the ``sys.path`` the workers inherit), not
inside a test.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from qkdnassist import indexing as ingest

_prepare = ingest._worker_prepare  # the real one (the tests replace ingest's name for it)


def misbehave(what: str) -> str:
    """``what`` upper-cased, unless it names a way to fail."""
    if what == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif what == "exit":
        os._exit(3)
    elif what == "hang":
        time.sleep(3600)
    elif what == "raise":
        raise ValueError("raised on purpose")
    return what.upper()


def fail_to_start() -> None:
    os._exit(4)


def prepare_or_misbehave(path: Path, source: str, *args: Any) -> Any:
    """ingest's worker call, except for files named ``sigkill-*`` (the process kills
    itself, as the OOM killer would) and ``hang-*`` (it never returns)."""
    if path.name.startswith("sigkill-"):
        os.kill(os.getpid(), signal.SIGKILL)
    if path.name.startswith("hang-"):
        time.sleep(3600)
    return _prepare(path, source, *args)
