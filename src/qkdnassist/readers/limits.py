"""Bounds every reader applies, so that a hostile or broken file costs bounded time and
memory whatever its type (the PDF reader has more of its own, in :mod:`.pdf`)."""

from __future__ import annotations

# More pages than any standard has; a page tree, form feeds or page breaks beyond it
# are a bomb or a mistake. The largest sample document has 146.
MAX_PAGES = 5000

# Wall-clock seconds ingest gives the reader process of one file before it kills the
# process and reports the file failed. The PDF reader stops itself at 300 s, but checks
# only between pages; this is the backstop for a reader stuck where no check runs (one
# enormous page, a loop inside pypdf or a C extension).
MAX_READ_SECONDS = 600.0
