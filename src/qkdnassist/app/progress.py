"""The command line's progress bar for long ingests (tqdm, on stderr, only on a terminal)."""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["ProgressBar"]


class ProgressBar:
    """A tqdm bar on stderr, created on the first update (when the total is known)."""

    def __init__(self) -> None:
        self._bar: Any = None

    def update(self, source: str, done: int, total: int) -> None:
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="file", file=sys.stderr, leave=False)
        self._bar.set_postfix_str(source[-40:], refresh=False)
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
