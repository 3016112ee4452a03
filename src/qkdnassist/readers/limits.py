"""Bounds every reader applies, so that a hostile or broken file costs bounded time and
memory whatever its type (the PDF reader has more of its own, in :mod:`.pdf`)."""

from __future__ import annotations

# More pages than any standard has; a page tree, form feeds or page breaks beyond it
# are a bomb or a mistake. The largest sample document has 146.
MAX_PAGES = 5000
